//! Records written on this laptop and not yet in the ERP: their
//! provisional ids (negative, so they never meet the ERP's), the entry that
//! creates each, and whose a cached record is.

use crate::StoreError;
use crate::error::Refusal;
use fieldbook_core::ErpId;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The ERP's id for `id` where the ERP has given one, else `id` itself.
pub(crate) fn canonical(conn: &rusqlite::Connection, id: ErpId) -> Result<ErpId, StoreError> {
    if id > 0 {
        return Ok(id);
    }
    Ok(given_id(conn, id)?.flatten().unwrap_or(id))
}

/// For a provisional id: whether it is known, and the ERP's id for it once
/// the ERP has accepted its record.
pub(crate) fn given_id(
    conn: &rusqlite::Connection,
    provisional: ErpId,
) -> Result<Option<Option<ErpId>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT erp_id FROM provisional_ids WHERE provisional = ?1",
            [provisional],
            |row| row.get(0),
        )
        .optional()?)
}

/// The latest entry not yet accepted that creates any of these records
/// (those with provisional ids), which an entry naming them must wait for.
pub(crate) fn creating_entry(
    tx: &Transaction,
    ids: impl IntoIterator<Item = ErpId>,
) -> Result<Option<String>, StoreError> {
    let mut latest: Option<(i64, String)> = None;
    for id in ids.into_iter().filter(|id| *id < 0) {
        let found: Option<(i64, String)> = tx
            .query_row(
                "SELECT o.seq, o.uuid FROM provisional_ids p JOIN outbox o ON o.uuid = p.entry_uuid
                 WHERE p.provisional = ?1 AND p.erp_id IS NULL AND o.state != 'done'",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some(found) = found
            && latest.as_ref().is_none_or(|(seq, _)| found.0 > *seq)
        {
            latest = Some(found);
        }
    }
    Ok(latest.map(|(_, uuid)| uuid))
}

/// A new provisional id for a record of `entity` with `uuid`, created by
/// the entry `entry_uuid`.
pub(crate) fn provisional(
    tx: &Transaction,
    entity: &str,
    uuid: &str,
    entry_uuid: &str,
) -> Result<ErpId, StoreError> {
    let id: ErpId = tx.query_row(
        "SELECT coalesce(min(provisional), 0) - 1 FROM provisional_ids",
        [],
        |row| row.get(0),
    )?;
    first_time(
        uuid,
        tx.execute(
            "INSERT INTO provisional_ids (provisional, entity, uuid, entry_uuid) VALUES (?1, ?2, ?3, ?4)",
            params![id, entity, uuid, entry_uuid],
        ),
    )?;
    Ok(id)
}

/// An insert keyed by a uuid made on the laptop: the uniqueness its table
/// enforces means the same change was saved twice, a refusal, not damage.
pub(crate) fn first_time<T>(uuid: &str, inserted: rusqlite::Result<T>) -> Result<T, StoreError> {
    match inserted {
        Err(error)
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
        {
            Err(Refusal::AlreadyWritten {
                uuid: uuid.to_owned(),
            }
            .into())
        }
        other => Ok(other?),
    }
}

/// How the salesperson knows a cached customer (code, else name); a
/// customer the cache does not hold is refused.
pub(crate) fn cached_customer(tx: &Connection, customer_id: ErpId) -> Result<String, StoreError> {
    tx.query_row(
        "SELECT coalesce(code, name) FROM customers WHERE erp_id = ?1",
        [customer_id],
        |row| row.get(0),
    )
    .optional()?
    .ok_or_else(|| Refusal::CustomerNotCached { customer_id }.into())
}

/// The customer a cached address, contact, order or invoice (`table`)
/// belongs to.
pub(crate) fn owner(tx: &Connection, table: &str, id: ErpId) -> Result<Option<ErpId>, StoreError> {
    Ok(tx
        .query_row(
            &format!("SELECT customer_id FROM {table} WHERE erp_id = ?1"),
            [id],
            |row| row.get(0),
        )
        .optional()?)
}
