//! Entries the salesperson discarded after a request once carried them:
//! the ERP refused each, but a refusal half-way can leave a record there
//! (a sale made, then refused at its confirmation). Each is looked up by
//! its uuid at the next syncs: forgotten once the ERP proves it holds
//! nothing alive under it, reported for as long as it does.

use crate::columns::parse_time;
use crate::columns::time;
use crate::outbox::{EntryPayload, OutboxEntry};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::{Created, ErpId, HeldRecord};
use rusqlite::{OptionalExtension, params};

/// A discarded entry that may be in the ERP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscardedEntry {
    /// Its number in the outbox when it was discarded.
    pub seq: i64,
    pub uuid: String,
    pub kind: Created,
    /// The customer's name as the cache had it (a new customer's own).
    pub customer: String,
    pub discarded_at: DateTime<Utc>,
    /// What the ERP holds under the entry's uuid, once a lookup found it.
    pub in_erp: Option<HeldRecord>,
    /// The last lookup; `None` until the first.
    pub checked_at: Option<DateTime<Utc>>,
}

/// Remembers `entry`, being discarded in `tx`, when a request once carried
/// it and it makes a record the ERP could still hold. Runs before the
/// entry's local change is undone, while its customer is still cached.
pub(crate) fn remember(
    tx: &rusqlite::Transaction,
    entry: &OutboxEntry,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (kind, customer) = match &entry.payload {
        EntryPayload::Sale(draft) => (Created::Sale, customer_name(tx, draft.customer_id)?),
        EntryPayload::Request(request) => {
            (Created::Request, customer_name(tx, request.customer_id)?)
        }
        EntryPayload::NewCustomer(draft) => (Created::Customer, draft.name.clone()),
        // A confirmation or an edit makes nothing: what it changed shows in
        // the cache at the next pull.
        EntryPayload::QuoteToOrder(_) | EntryPayload::CustomerEdit(_) => return Ok(()),
    };
    tx.execute(
        "INSERT OR REPLACE INTO discarded (uuid, seq, kind, customer, discarded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entry.uuid, entry.seq, kind.name(), customer, time(at)],
    )?;
    Ok(())
}

fn customer_name(tx: &rusqlite::Transaction, id: ErpId) -> Result<String, StoreError> {
    let canonical = crate::local::canonical(tx, id)?;
    let name: Option<String> = tx
        .query_row(
            "SELECT name FROM customers WHERE erp_id IN (?1, ?2) LIMIT 1",
            [id, canonical],
            |row| row.get(0),
        )
        .optional()?;
    Ok(name.unwrap_or_else(|| format!("#{canonical}")))
}

impl Store {
    /// Discarded entries the ERP may hold, oldest first: those not looked
    /// up yet and those found there.
    pub fn discarded(&self) -> Result<Vec<DiscardedEntry>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT seq, uuid, kind, customer, discarded_at, erp_id, erp_number, erp_state, checked_at
             FROM discarded ORDER BY discarded_at, seq",
        )?;
        let mut rows = statement.query([])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            let kind: String = row.get(2)?;
            found.push(DiscardedEntry {
                seq: row.get(0)?,
                uuid: row.get(1)?,
                kind: Created::from_name(&kind)
                    .ok_or_else(|| StoreError::BadValue(format!("discarded kind {kind:?}")))?,
                customer: row.get(3)?,
                discarded_at: parse_time(&row.get::<_, String>(4)?)?,
                in_erp: row
                    .get::<_, Option<ErpId>>(5)?
                    .map(|erp_id| -> Result<HeldRecord, rusqlite::Error> {
                        Ok(HeldRecord {
                            erp_id,
                            number: row.get(6)?,
                            state: row.get(7)?,
                        })
                    })
                    .transpose()?,
                checked_at: row
                    .get::<_, Option<String>>(8)?
                    .as_deref()
                    .map(parse_time)
                    .transpose()?,
            });
        }
        Ok(found)
    }

    /// What a lookup by uuid found of a discarded entry: nothing alive in
    /// the ERP (it is forgotten: nothing of it stands anywhere), or the
    /// record the ERP holds (it stays, to be reported).
    pub fn record_discarded_lookup(
        &mut self,
        uuid: &str,
        found: Option<&HeldRecord>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match found {
            None => self
                .conn
                .execute("DELETE FROM discarded WHERE uuid = ?1", [uuid])?,
            Some(record) => self.conn.execute(
                "UPDATE discarded SET erp_id = ?2, erp_number = ?3, erp_state = ?4, checked_at = ?5 WHERE uuid = ?1",
                params![uuid, record.erp_id, record.number, record.state, time(at)],
            )?,
        };
        Ok(())
    }
}
