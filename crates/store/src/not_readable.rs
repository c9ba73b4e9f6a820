//! Parts of a sync the ERP user may not read: remembered so that the rest
//! of the sync goes on, the salesperson is told, and the part is tried
//! again at a slower pace until the rights change.

use crate::columns::parse_time;
use crate::columns::time;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::SyncPart;
use rusqlite::params;

/// A part of the sync the ERP refused for lack of rights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotReadable {
    pub part: SyncPart,
    /// The refusal as Fieldbook words it: which right, the ERP's words,
    /// whom to ask.
    pub detail: String,
    /// The first refusal of a run of them.
    pub since: DateTime<Utc>,
    /// The latest refusal.
    pub tried_at: DateTime<Utc>,
}

impl Store {
    /// Records that the ERP refused `part` at `at`: its first refusal stays
    /// `since`, the latest is `tried_at`.
    pub fn mark_not_readable(
        &mut self,
        part: SyncPart,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO not_readable (part, detail, since, tried_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (part) DO UPDATE SET detail = excluded.detail, tried_at = excluded.tried_at",
            params![part.name(), detail, time(at)],
        )?;
        Ok(())
    }

    /// Forgets a refusal once the part was read. Returns whether there was
    /// one.
    pub fn clear_not_readable(&mut self, part: SyncPart) -> Result<bool, StoreError> {
        let removed = self
            .conn
            .execute("DELETE FROM not_readable WHERE part = ?1", [part.name()])?;
        Ok(removed > 0)
    }

    /// Every part the ERP refused, by part.
    pub fn not_readable(&self) -> Result<Vec<NotReadable>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT part, detail, since, tried_at FROM not_readable")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut found = Vec::new();
        for row in rows {
            let (name, detail, since, tried_at) = row?;
            let part = SyncPart::from_name(&name).ok_or_else(|| StoreError::Corrupt {
                detail: format!("unknown sync part {name:?} in not_readable"),
            })?;
            found.push(NotReadable {
                part,
                detail,
                since: parse_time(&since)?,
                tried_at: parse_time(&tried_at)?,
            });
        }
        found.sort_by_key(|refused| refused.part);
        Ok(found)
    }
}
