//! The outbox: changes written offline, waiting for the ERP, in order.
//!
//! Each entry is written in the same transaction as the change it carries
//! and keeps what the salesperson typed until it is discarded, so nothing is
//! lost whatever the ERP answers. The engine that sends entries lives in
//! `fieldbook-sync`; this module only records what happened to each.
//!
//! # How entries are kept
//!
//! Each entry has a uuid made on the laptop (so has each address and contact
//! a customer change adds) and carries one of `fieldbook-core`'s drafts. Its
//! kind is stored beside its payload, with the
//! payload's version: an entry this build cannot read is kept aside
//! ([`Store::quarantined`]) and the others go on.
//!
//! Records the cache must show before the ERP has them (a new customer, its
//! addresses and contacts, an after-sales request) are cached under
//! provisional ids, listed with the entry that creates them (`local.rs`). An
//! entry naming a provisional id depends on that entry and is sent with the
//! ERP's ids ([`Store::resolved_sale`]); when the ERP accepts the creating
//! entry, the cached records take the ERP's ids. A customer edit keeps, per
//! field, the value the salesperson saw (`base`): the ERP writes a field only
//! where it still holds `base`, and a conflict keeps the salesperson's value
//! on the entry.
//!
//! Whether an entry may be in the ERP is explicit: `in_flight` is committed
//! just before the first request that carries it and cleared only by the
//! ERP's answer (accepted, refused, a warning); a lost answer, a crash or a
//! proxy's page leaves it set. While it is set the store refuses to edit,
//! retry or discard the entry ([`Refusal::InFlight`](crate::Refusal::InFlight));
//! the next push looks the entry up by its uuid and settles it.
//! `first_sent_at` is never cleared, so a discard says nothing of it was ever
//! sent only when that is proven. A discarded entry a request once carried
//! leaves a row in `discarded`: a refusal half-way can leave a draft in the
//! ERP, and each push looks it up until the ERP proves it holds nothing.
//!
//! Every write transaction begins `IMMEDIATE` ([`Store::write_transaction`]):
//! a deferred one would fail at once, without waiting, when another
//! connection committed meanwhile. A lock held past the busy timeout is
//! [`StoreError::Busy`]. Commits run with `synchronous=FULL`, so what a
//! salesperson was told is saved survives a power cut.

use crate::columns::parse_time;
use crate::columns::time;
use crate::error::Refusal;
use crate::local::first_time;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::customers::{Conflict, CustomerDraft, CustomerEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{ErpId, PriceDifference, QuoteToOrder, SaleDraft};
use rusqlite::{OptionalExtension, Row, params};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// Waiting to be sent (again).
    Pending,
    /// The ERP accepted it.
    Done,
    /// The ERP refused it, or raised a warning to acknowledge; it waits to be
    /// edited and resent, or discarded.
    Rejected,
}

impl EntryState {
    pub fn name(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Done => "done",
            EntryState::Rejected => "rejected",
        }
    }

    fn from_name(name: &str) -> Result<EntryState, StoreError> {
        Ok(match name {
            "pending" => EntryState::Pending,
            "done" => EntryState::Done,
            "rejected" => EntryState::Rejected,
            other => return Err(StoreError::BadValue(format!("outbox state {other:?}"))),
        })
    }
}

/// What an entry carries.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryPayload {
    /// A new quote or order.
    Sale(SaleDraft),
    /// A quote to be confirmed as an order.
    QuoteToOrder(QuoteToOrder),
    /// A new customer (cached under provisional ids until the ERP has it).
    NewCustomer(CustomerDraft),
    /// Changes to a customer.
    CustomerEdit(CustomerEdit),
    /// An after-sales request.
    Request(RequestDraft),
}

impl EntryPayload {
    fn kind(&self) -> &'static str {
        match self {
            EntryPayload::Sale(_) => "sale",
            EntryPayload::QuoteToOrder(_) => "quote_to_order",
            EntryPayload::NewCustomer(_) => "customer_new",
            EntryPayload::CustomerEdit(_) => "customer_edit",
            EntryPayload::Request(_) => "request",
        }
    }

    pub(crate) fn to_json(&self) -> Result<String, StoreError> {
        match self {
            EntryPayload::Sale(draft) => serde_json::to_string(draft),
            EntryPayload::QuoteToOrder(change) => serde_json::to_string(change),
            EntryPayload::NewCustomer(draft) => serde_json::to_string(draft),
            EntryPayload::CustomerEdit(edit) => serde_json::to_string(edit),
            EntryPayload::Request(request) => serde_json::to_string(request),
        }
        .map_err(|error| StoreError::BadValue(error.to_string()))
    }

    fn from_json(kind: &str, text: &str) -> Result<EntryPayload, StoreError> {
        let bad =
            |error: serde_json::Error| StoreError::BadValue(format!("outbox {kind}: {error}"));
        Ok(match kind {
            "sale" => EntryPayload::Sale(serde_json::from_str(text).map_err(bad)?),
            "quote_to_order" => {
                EntryPayload::QuoteToOrder(serde_json::from_str(text).map_err(bad)?)
            }
            "customer_new" => EntryPayload::NewCustomer(serde_json::from_str(text).map_err(bad)?),
            "customer_edit" => EntryPayload::CustomerEdit(serde_json::from_str(text).map_err(bad)?),
            "request" => EntryPayload::Request(serde_json::from_str(text).map_err(bad)?),
            other => return Err(StoreError::BadValue(format!("outbox kind {other:?}"))),
        })
    }
}

/// A warning the ERP raised about an entry: its name in the ERP (to skip it
/// once acknowledged) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErpWarning {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// Sending order.
    pub seq: i64,
    /// The client's id for the record, sent to the ERP with it.
    pub uuid: String,
    pub payload: EntryPayload,
    pub customer_id: Option<ErpId>,
    /// An entry that must be accepted first.
    pub depends_on: Option<String>,
    pub state: EntryState,
    /// Sending attempts that failed for a passing reason (ERP down, ...).
    pub attempts: u32,
    /// Not before this time, after a passing failure.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The ERP's words: why it refused the entry, or the latest passing
    /// failure.
    pub erp_message: Option<String>,
    pub warning: Option<ErpWarning>,
    /// The ERP's record and number, once accepted.
    pub erp_id: Option<ErpId>,
    pub erp_number: Option<String>,
    /// For an accepted customer edit: the fields where the ERP's value won.
    pub conflicts: Vec<Conflict>,
    /// For an accepted quote or order: where the ERP's prices are not the
    /// ones the laptop showed.
    pub price_differences: Vec<PriceDifference>,
    /// The entry may be in the ERP: a request carrying it began and no
    /// answer of the ERP has settled it yet (see [`Store::mark_in_flight`]).
    pub in_flight: bool,
    /// When a request first carried the entry; `None` proves that nothing
    /// of it ever left the laptop.
    pub first_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const COLUMNS: &str = "seq, uuid, kind, payload, customer_id, depends_on, state, attempts, next_attempt_at, \
                       erp_message, warning_name, warning_text, erp_id, erp_number, created_at, updated_at, conflicts, \
                       in_flight, first_sent_at, payload_version, price_differences";

/// The shape of the payloads this build writes (`outbox.payload_version`).
/// Raise it, and read the older shapes, when a payload's shape changes.
/// 2: a sale's lines may have no unit price (the ERP prices them) and
/// carry their base price, whether the price was typed, and the price the
/// laptop showed; version 1 sales read as typed at their price.
pub const PAYLOAD_VERSION: i64 = 2;

/// An entry this build cannot read: written by a newer Fieldbook, or
/// damaged. It is kept aside, never sent, and the other entries go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantinedEntry {
    pub seq: i64,
    pub uuid: String,
    pub kind: String,
    /// What could not be read, in plain words.
    pub reason: String,
}

/// How price differences are stored: JSON, NULL for none.
fn price_differences(prices: &[PriceDifference]) -> Result<Option<String>, StoreError> {
    if prices.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(prices)
        .map(Some)
        .map_err(|error| StoreError::BadValue(format!("outbox price differences: {error}")))
}

pub(crate) fn entry(row: &Row) -> Result<OutboxEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let kind: String = row.get(2)?;
    let version: i64 = row.get(19)?;
    let unreadable = |reason: String| StoreError::UnreadableEntry { entry: seq, reason };
    if version > PAYLOAD_VERSION {
        return Err(unreadable(format!(
            "it was written by a newer Fieldbook (payload version {version}, this one reads up to {PAYLOAD_VERSION})"
        )));
    }
    let payload = EntryPayload::from_json(&kind, &row.get::<_, String>(3)?)
        .map_err(|error| unreadable(error.to_string()))?;
    let optional_time = |text: Option<String>| text.as_deref().map(parse_time).transpose();
    let warning = match (
        row.get::<_, Option<String>>(10)?,
        row.get::<_, Option<String>>(11)?,
    ) {
        (Some(name), Some(text)) => Some(ErpWarning { name, text }),
        _ => None,
    };
    Ok(OutboxEntry {
        seq: row.get(0)?,
        uuid: row.get(1)?,
        payload,
        customer_id: row.get(4)?,
        depends_on: row.get(5)?,
        state: EntryState::from_name(&row.get::<_, String>(6)?)?,
        attempts: row.get(7)?,
        next_attempt_at: optional_time(row.get(8)?)?,
        erp_message: row.get(9)?,
        warning,
        erp_id: row.get(12)?,
        erp_number: row.get(13)?,
        created_at: parse_time(&row.get::<_, String>(14)?)?,
        updated_at: parse_time(&row.get::<_, String>(15)?)?,
        conflicts: match row.get::<_, Option<String>>(16)? {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text)
                .map_err(|error| StoreError::BadValue(format!("outbox conflicts: {error}")))?,
        },
        in_flight: row.get(17)?,
        first_sent_at: optional_time(row.get(18)?)?,
        price_differences: match row.get::<_, Option<String>>(20)? {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|error| {
                StoreError::BadValue(format!("outbox price differences: {error}"))
            })?,
        },
    })
}

impl Store {
    /// Every entry this build can read, in sending order. An entry it
    /// cannot read is left out (see [`Store::quarantined`]), so one damaged
    /// or newer entry never makes the outbox unusable.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))?;
        let mut rows = statement.query([])?;
        readable(&mut rows)
    }

    /// The entries this build cannot read, kept aside and not sent: each
    /// with what could not be read. They can be discarded.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedEntry>, StoreError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state != 'done' ORDER BY seq"
        ))?;
        let mut rows = statement.query([])?;
        let mut quarantined = Vec::new();
        while let Some(row) = rows.next()? {
            if let Err(StoreError::UnreadableEntry { entry, reason }) = entry(row) {
                quarantined.push(QuarantinedEntry {
                    seq: entry,
                    uuid: row.get(1)?,
                    kind: row.get(2)?,
                    reason,
                });
            }
        }
        Ok(quarantined)
    }

    pub fn outbox_entry(&self, seq: i64) -> Result<Option<OutboxEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE seq = ?1"))?;
        let mut rows = statement.query([seq])?;
        rows.next()?.map(entry).transpose()
    }

    /// The entries to send, in order: pending, and not held by an entry
    /// they depend on that the ERP has not accepted. With `backoff_at`, not
    /// those waiting out a back-off at that time either.
    pub fn sendable(
        &self,
        backoff_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox AS entry
             WHERE state = 'pending' AND (?1 IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?1)
               AND (depends_on IS NULL
                    OR EXISTS (SELECT 1 FROM outbox AS first WHERE first.uuid = entry.depends_on AND first.state = 'done'))
             ORDER BY seq"
        ))?;
        let mut rows = statement.query([backoff_at.map(time)])?;
        readable(&mut rows)
    }

    /// How many entries wait (pending) and how many the ERP refused.
    pub fn outbox_counts(&self) -> Result<(u64, u64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'rejected') FROM outbox",
            [],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// The ERP accepted the entry as its record `erp_id`, numbered `number`.
    pub fn record_accepted(
        &mut self,
        seq: i64,
        erp_id: ErpId,
        number: Option<&str>,
        prices: &[PriceDifference],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = NULL, warning_name = NULL,
             warning_text = NULL, next_attempt_at = NULL, updated_at = ?4, price_differences = ?5",
            params![seq, erp_id, number, time(at), price_differences(prices)?],
        )
    }

    /// The ERP already held the entry's record, with other content than the
    /// entry's (`differences`, in plain words): the entry is done, as the
    /// ERP's record stands, and keeps both what was typed and the
    /// differences for the salesperson to see.
    pub fn record_accepted_differing(
        &mut self,
        seq: i64,
        erp_id: ErpId,
        number: Option<&str>,
        differences: &str,
        prices: &[PriceDifference],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = ?4, warning_name = NULL,
             warning_text = NULL, next_attempt_at = NULL, updated_at = ?5, price_differences = ?6",
            params![seq, erp_id, number, differences, time(at), price_differences(prices)?],
        )
    }

    /// The ERP refused the entry, in its own words.
    pub fn record_rejected(
        &mut self,
        seq: i64,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'rejected', in_flight = 0, erp_message = ?2, next_attempt_at = NULL, updated_at = ?3",
            params![seq, message, time(at)],
        )
    }

    /// The ERP raised a warning the salesperson must acknowledge.
    pub fn record_warning(
        &mut self,
        seq: i64,
        warning: &ErpWarning,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'rejected', in_flight = 0, warning_name = ?2, warning_text = ?3, erp_message = NULL, next_attempt_at = NULL,
             updated_at = ?4",
            params![seq, warning.name, warning.text, time(at)],
        )
    }

    /// A passing failure (ERP down, timeout): try again after `retry_at`.
    pub fn record_failed_attempt(
        &mut self,
        seq: i64,
        message: &str,
        retry_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "attempts = attempts + 1, erp_message = ?2, next_attempt_at = ?3, updated_at = ?4",
            params![seq, message, time(retry_at), time(at)],
        )
    }

    /// The salesperson asks to send a refused entry again (after editing it,
    /// or after acknowledging its warning, which is then skipped once).
    /// An entry the ERP has not settled (see [`OutboxEntry::in_flight`]) is
    /// refused: only a sync can tell whether it is there already.
    pub fn retry(&mut self, seq: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        if in_flight(&tx, seq)? {
            return Err(Refusal::InFlight { entry: seq }.into());
        }
        let changed = tx.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = NULL, erp_message = NULL, updated_at = ?2
             WHERE seq = ?1 AND state != 'done'",
            params![seq, time(at)],
        )?;
        require_changed(seq, changed)?;
        tx.commit()?;
        Ok(())
    }

    /// Entry `seq` is about to be sent: from now until the ERP's answer
    /// settles it, it may be in the ERP. Committed (durably) before the
    /// request leaves, so a crash, a lost answer or a page the laptop cannot
    /// read never leaves an entry that looks unsent.
    pub fn mark_in_flight(&mut self, seq: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "in_flight = 1, first_sent_at = coalesce(first_sent_at, ?2)",
            params![seq, time(at)],
        )
    }

    /// Changes entry `seq` (parameter 1) with `set`; an entry the ERP has
    /// accepted no longer changes.
    fn update_entry(
        &mut self,
        seq: i64,
        set: &str,
        values: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        let sql = format!("UPDATE outbox SET {set} WHERE seq = ?1 AND state != 'done'");
        let changed = self.conn.execute(&sql, values)?;
        require_changed(seq, changed)
    }
}

fn require_changed(seq: i64, changed: usize) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(Refusal::NoWaitingEntry { entry: seq }.into());
    }
    Ok(())
}

/// The entries of `rows` this build can read; those it cannot are left
/// for [`Store::quarantined`].
fn readable(rows: &mut rusqlite::Rows) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        match entry(row) {
            Ok(readable) => entries.push(readable),
            Err(StoreError::UnreadableEntry { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(entries)
}

/// Whether entry `seq` may be in the ERP (false for an unknown entry).
fn in_flight(tx: &rusqlite::Transaction, seq: i64) -> Result<bool, StoreError> {
    Ok(tx
        .query_row(
            "SELECT in_flight FROM outbox WHERE seq = ?1",
            [seq],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// The uuid of entry `seq` if the ERP has not accepted it yet.
pub(crate) fn waiting_uuid(
    tx: &rusqlite::Transaction,
    seq: i64,
) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT uuid FROM outbox WHERE seq = ?1 AND state != 'done'",
            [seq],
            |row| row.get(0),
        )
        .optional()?)
}

/// Inserts an entry (after its change is written, in the same transaction).
pub(crate) fn insert_entry(
    tx: &rusqlite::Transaction,
    uuid: &str,
    payload: &EntryPayload,
    customer_id: Option<ErpId>,
    depends_on: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    if let Some(first) = depends_on {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE uuid = ?1)",
            [first],
            |row| row.get(0),
        )?;
        if !known {
            return Err(Refusal::UnknownDependency {
                uuid: first.to_owned(),
            }
            .into());
        }
    }
    let at = time(at);
    let inserted = tx.execute(
        "INSERT INTO outbox (uuid, kind, payload, payload_version, customer_id, depends_on, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            uuid,
            payload.kind(),
            payload.to_json()?,
            PAYLOAD_VERSION,
            customer_id,
            depends_on,
            at
        ],
    );
    first_time(uuid, inserted)?;
    Ok(tx.last_insert_rowid())
}
