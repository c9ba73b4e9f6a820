//! The outbox: changes written offline, waiting for the ERP, in order.
//!
//! Each entry is written in the same transaction as the change it carries
//! and keeps what the salesperson typed until it is discarded, so nothing is
//! lost whatever the ERP answers. The engine that sends entries lives in
//! `fieldbook-sync`; this module only records what happened to each.

use crate::apply::time;
use crate::read::parse_time;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::customers::{Conflict, CustomerDraft, CustomerEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{ErpId, QuoteToOrder, SaleDraft, SaleKind, SaleRef};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;

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

    fn to_json(&self) -> Result<String, StoreError> {
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
    /// The entry may be in the ERP: a request carrying it began and no
    /// answer of the ERP has settled it yet (see [`Store::mark_in_flight`]).
    pub in_flight: bool,
    /// When a request first carried the entry; `None` proves that nothing
    /// of it ever left the laptop.
    pub first_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "seq, uuid, kind, payload, customer_id, depends_on, state, attempts, next_attempt_at, \
                       erp_message, warning_name, warning_text, erp_id, erp_number, created_at, updated_at, conflicts, \
                       in_flight, first_sent_at, payload_version";

/// The shape of the payloads this build writes (`outbox.payload_version`).
/// Raise it, and read the older shapes, when a payload's shape changes.
pub const PAYLOAD_VERSION: i64 = 1;

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

fn entry(row: &Row) -> Result<OutboxEntry, StoreError> {
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
    })
}

impl Store {
    /// Writes a new quote or order and its outbox entry, in one
    /// transaction. The customer, every product and the addresses must be in
    /// the cache (the addresses the customer's own, the products for sale);
    /// the draft's own figures are checked by [`SaleDraft::validate`] first.
    /// `depends_on` names an entry that must reach the ERP first (the
    /// customer's own, for a customer created offline). Returns the entry's
    /// sending order.
    pub fn add_sale(
        &mut self,
        uuid: &str,
        draft: &SaleDraft,
        depends_on: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let tx = self.write_transaction()?;
        check_sale(&tx, draft)?;
        // A sale for a customer or to an address written here and not yet
        // in the ERP waits for the entry that creates them.
        let waits_for = match depends_on {
            Some(first) => Some(first.to_owned()),
            None => crate::changes::creating_entry(&tx, records_named(draft))?,
        };
        let seq = insert_entry(
            &tx,
            uuid,
            &EntryPayload::Sale(draft.clone()),
            Some(draft.customer_id),
            waits_for.as_deref(),
            at,
        )?;
        tx.commit()?;
        Ok(seq)
    }
    /// Replaces what a quote or order not yet accepted by the ERP carries
    /// (the salesperson edited it, typically after a refusal) and queues it
    /// to be sent again. A warning acknowledged for the old content no
    /// longer counts: the ERP judges the new one afresh. The entry keeps its
    /// uuid, so the ERP updates the sale it may already hold.
    pub fn replace_sale(
        &mut self,
        seq: i64,
        draft: &SaleDraft,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        let current = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE seq = ?1"),
                [seq],
                |row| Ok(entry(row)),
            )
            .optional()?
            .transpose()?;
        let current = match current {
            Some(current) if current.in_flight => return Err(StoreError::InFlight { entry: seq }),
            Some(current) if current.state != EntryState::Done => current,
            Some(_) => {
                return Err(StoreError::Invalid(format!(
                    "outbox entry {seq} was accepted by the ERP and can no longer be edited: change it in the ERP"
                )));
            }
            None => {
                return Err(StoreError::Invalid(format!(
                    "no outbox entry {seq}: the outbox lists every entry"
                )));
            }
        };
        // Records written offline that the ERP has accepted since are known
        // by the ERP's ids now.
        let canonical = |id: ErpId| crate::changes::canonical(&tx, id);
        let mut draft = draft.clone();
        draft.customer_id = canonical(draft.customer_id)?;
        draft.invoice_address_id = draft.invoice_address_id.map(canonical).transpose()?;
        draft.shipment_address_id = draft.shipment_address_id.map(canonical).transpose()?;
        let draft = &draft;
        match &current.payload {
            EntryPayload::Sale(old)
                if old.kind == draft.kind && canonical(old.customer_id)? == draft.customer_id => {}
            EntryPayload::Sale(old) if old.kind != draft.kind => {
                return Err(StoreError::Invalid(format!(
                    "outbox entry {seq} is {} {}, not {} {}: edit it with `fieldbook {} edit {seq}`",
                    article(old.kind),
                    kind_word(old.kind),
                    article(draft.kind),
                    kind_word(draft.kind),
                    kind_word(old.kind)
                )));
            }
            EntryPayload::Sale(_) => {
                return Err(StoreError::Invalid(format!(
                    "outbox entry {seq} is for another customer: a sale cannot change customer; discard it and write a new one"
                )));
            }
            EntryPayload::QuoteToOrder(_) => {
                return Err(StoreError::Invalid(format!(
                    "outbox entry {seq} turns a quote into an order and has nothing to edit: edit the quote instead"
                )));
            }
            EntryPayload::NewCustomer(_)
            | EntryPayload::CustomerEdit(_)
            | EntryPayload::Request(_) => {
                return Err(StoreError::Invalid(format!(
                    "outbox entry {seq} is not a quote or order"
                )));
            }
        }
        check_sale(&tx, draft)?;
        let waits_for = crate::changes::creating_entry(&tx, records_named(draft))?;
        tx.execute(
            "UPDATE outbox SET payload = ?2, payload_version = ?5, state = 'pending', attempts = 0, next_attempt_at = NULL,
             erp_message = NULL, warning_name = NULL, warning_text = NULL, depends_on = coalesce(?4, depends_on), updated_at = ?3
             WHERE seq = ?1",
            params![
                seq,
                EntryPayload::Sale(draft.clone()).to_json()?,
                time(at),
                waits_for,
                PAYLOAD_VERSION
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Queues turning a quote into an order. A quote written here that the
    /// ERP has not accepted yet is waited for, one it refused is refused
    /// until it is sent again; a sale already on its way to becoming an
    /// order is refused, naming the entry that carries it.
    pub fn add_quote_to_order(
        &mut self,
        uuid: &str,
        change: &QuoteToOrder,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let tx = self.write_transaction()?;
        let mut depends_on = None;
        let mut statement = tx.prepare(&format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let other = match entry(row) {
                Ok(other) => other,
                Err(StoreError::UnreadableEntry { .. }) => continue,
                Err(error) => return Err(error),
            };
            match (&other.payload, &change.sale) {
                (EntryPayload::QuoteToOrder(earlier), _) if earlier.sale == change.sale => {
                    return Err(StoreError::QuoteAlreadySent {
                        label: change.label.clone(),
                        entry: other.seq,
                    });
                }
                (EntryPayload::Sale(draft), SaleRef::Entry(quote)) if other.uuid == *quote => {
                    if draft.kind != SaleKind::Quote {
                        return Err(StoreError::Invalid(format!(
                            "outbox entry {} is an order already, not a quote",
                            other.seq
                        )));
                    }
                    if other.state == EntryState::Rejected {
                        return Err(StoreError::QuoteRefused {
                            label: change.label.clone(),
                            entry: other.seq,
                        });
                    }
                    if other.state != EntryState::Done {
                        depends_on = Some(other.uuid.clone());
                    }
                }
                _ => {}
            }
        }
        drop(rows);
        drop(statement);
        if let SaleRef::Entry(quote) = &change.sale {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE uuid = ?1)",
                [quote],
                |row| row.get(0),
            )?;
            if !known {
                return Err(StoreError::Invalid(format!(
                    "the quote {} is not in the outbox",
                    change.label
                )));
            }
        }
        let seq = insert_entry(
            &tx,
            uuid,
            &EntryPayload::QuoteToOrder(change.clone()),
            Some(change.customer_id),
            depends_on.as_deref(),
            at,
        )?;
        tx.commit()?;
        Ok(seq)
    }

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
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = NULL, warning_name = NULL,
             warning_text = NULL, next_attempt_at = NULL, updated_at = ?4",
            params![seq, erp_id, number, time(at)],
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
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_entry(
            seq,
            "state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = ?4, warning_name = NULL,
             warning_text = NULL, next_attempt_at = NULL, updated_at = ?5",
            params![seq, erp_id, number, differences, time(at)],
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
            return Err(StoreError::InFlight { entry: seq });
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

    /// Drops an entry the ERP has not accepted, and whatever waits on it.
    /// Refused while the entry, or one waiting on it, may be in the ERP
    /// ([`OutboxEntry::in_flight`]): a sync must settle it first, or the
    /// laptop would forget a record the ERP holds.
    pub fn discard(&mut self, seq: i64, at: DateTime<Utc>) -> Result<Discarded, StoreError> {
        let tx = self.write_transaction()?;
        let Some(uuid) = waiting_uuid(&tx, seq)? else {
            return Err(StoreError::Invalid(format!(
                "no outbox entry {seq} waiting: the outbox lists every entry (an entry the ERP accepted cannot be discarded)"
            )));
        };
        // Each entry held, with what it is when this build can read it.
        let mut held: Vec<(i64, bool, bool, Option<OutboxEntry>)> = Vec::new();
        {
            let mut statement = tx.prepare(&format!(
                "WITH RECURSIVE held(uuid) AS (SELECT ?1 UNION SELECT outbox.uuid FROM outbox JOIN held ON outbox.depends_on = held.uuid)
                 SELECT {COLUMNS} FROM outbox WHERE uuid IN held AND state != 'done'"
            ))?;
            let mut rows = statement.query([&uuid])?;
            while let Some(row) = rows.next()? {
                let readable = match entry(row) {
                    Ok(readable) => Some(readable),
                    Err(StoreError::UnreadableEntry { .. }) => None,
                    Err(error) => return Err(error),
                };
                let sent_once = row.get::<_, Option<String>>(18)?.is_some();
                held.push((row.get(0)?, row.get(17)?, sent_once, readable));
            }
        }
        if let Some((busy, ..)) = held.iter().find(|(_, in_flight, ..)| *in_flight) {
            return Err(StoreError::InFlight { entry: *busy });
        }
        for (seq, _, sent_once, readable) in &held {
            // What the entry wrote in the cache goes with it (an entry this
            // build cannot read leaves what it wrote: it cannot tell what).
            if let Some(gone) = readable {
                if *sent_once {
                    // The next syncs look it up in the ERP, and report it
                    // if a refusal half-way left it there.
                    crate::discarded::remember(&tx, gone, at)?;
                }
                crate::changes::undo_local_change(&tx, gone)?;
            }
            tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
        }
        tx.commit()?;
        Ok(Discarded {
            entries: held.len(),
            ever_sent: held
                .iter()
                .filter(|(_, _, sent_once, _)| *sent_once)
                .count(),
        })
    }

    /// The estimated total of this customer's orders the ERP has not
    /// accepted yet (new orders, and quotes on their way to become orders),
    /// to count against their available credit. A quote alone commits
    /// nothing, in the ERP as here.
    pub fn unsent_sales_total(
        &self,
        customer_id: ErpId,
        currency_digits: u32,
    ) -> Result<Decimal, StoreError> {
        let customer_id = crate::changes::canonical(&self.conn, customer_id)?;
        let mut total = Decimal::ZERO;
        for order in self.unsent_orders()? {
            if crate::changes::canonical(&self.conn, order.customer_id())? == customer_id {
                total += match &order {
                    UnsentOrder::Draft(draft) => draft.estimated_total(currency_digits),
                    UnsentOrder::Quote(change, _) => change.estimated_total,
                };
            }
        }
        Ok(total)
    }

    /// How much of a product the orders not yet accepted by the ERP take
    /// from a warehouse, to count against what it can promise. (A quotation
    /// the ERP already held is counted by the ERP's forecast once
    /// confirmed; its lines are not known here per warehouse.)
    pub fn unsent_quantity(
        &self,
        product_id: ErpId,
        warehouse_id: ErpId,
    ) -> Result<Decimal, StoreError> {
        let mut quantity = Decimal::ZERO;
        for order in self.unsent_orders()? {
            let draft = match &order {
                UnsentOrder::Draft(draft) => draft,
                UnsentOrder::Quote(_, Some(quote)) => quote,
                UnsentOrder::Quote(_, None) => continue,
            };
            if draft.warehouse_id == Some(warehouse_id) {
                quantity += draft
                    .lines
                    .iter()
                    .filter(|line| line.product_id == product_id)
                    .map(|line| line.quantity)
                    .sum::<Decimal>();
            }
        }
        Ok(quantity)
    }

    /// The orders written here that the ERP has not accepted yet.
    fn unsent_orders(&self) -> Result<Vec<UnsentOrder>, StoreError> {
        let entries = self.outbox()?;
        let quotes: std::collections::HashMap<&str, &SaleDraft> = entries
            .iter()
            .filter_map(|entry| match &entry.payload {
                EntryPayload::Sale(draft) => Some((entry.uuid.as_str(), draft)),
                _ => None,
            })
            .collect();
        Ok(entries
            .iter()
            .filter(|entry| entry.state != EntryState::Done)
            .filter_map(|entry| match &entry.payload {
                EntryPayload::Sale(draft) if draft.kind == SaleKind::Order => {
                    Some(UnsentOrder::Draft(draft.clone()))
                }
                EntryPayload::Sale(_)
                | EntryPayload::NewCustomer(_)
                | EntryPayload::CustomerEdit(_)
                | EntryPayload::Request(_) => None,
                EntryPayload::QuoteToOrder(change) => {
                    let quote = match &change.sale {
                        SaleRef::Entry(uuid) => {
                            quotes.get(uuid.as_str()).map(|draft| (*draft).clone())
                        }
                        SaleRef::Erp(_) => None,
                    };
                    Some(UnsentOrder::Quote(change.clone(), quote))
                }
            })
            .collect())
    }

    /// Every warehouse in the cache, by ERP id: `(id, code, name)`.
    pub fn warehouses(&self) -> Result<Vec<(ErpId, Option<String>, String)>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT erp_id, code, name FROM warehouses WHERE erp_id > 0 ORDER BY erp_id",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The warehouse a new order ships from when the salesperson names
    /// none: the ERP's first (lowest id), as Tryton's own default does on a
    /// company with one warehouse. None while no warehouse is cached.
    pub fn default_warehouse(&self) -> Result<Option<ErpId>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT min(erp_id) FROM warehouses WHERE erp_id > 0",
            [],
            |row| row.get(0),
        )?)
    }

    /// The ERP id of the warehouse with this code (any case).
    pub fn warehouse_id(&self, code: &str) -> Result<Option<ErpId>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT erp_id FROM warehouses WHERE lower(code) = lower(?1) ORDER BY erp_id LIMIT 1",
                [code],
                |row| row.get(0),
            )
            .optional()?)
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
        return Err(StoreError::Invalid(format!(
            "no outbox entry {seq} to change: the outbox lists every entry"
        )));
    }
    Ok(())
}

/// What [`Store::discard`] dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discarded {
    /// The entry and those that waited on it.
    pub entries: usize,
    /// How many of them a request once carried. The ERP refused each of
    /// those (a discard is refused while one may be in the ERP), but a
    /// refusal half-way (a sale made, then refused at confirmation) can
    /// leave a draft there: the next syncs look each up by its uuid and
    /// report what the ERP holds ([`Store::discarded`]). 0 proves nothing
    /// of them ever left the laptop.
    pub ever_sent: usize,
}

/// An order not yet accepted by the ERP: written as one, or a quote on its
/// way to become one (with the quote's draft when it was written here).
enum UnsentOrder {
    Draft(SaleDraft),
    Quote(QuoteToOrder, Option<SaleDraft>),
}

impl UnsentOrder {
    fn customer_id(&self) -> ErpId {
        match self {
            UnsentOrder::Draft(draft) => draft.customer_id,
            UnsentOrder::Quote(change, _) => change.customer_id,
        }
    }
}

fn kind_word(kind: SaleKind) -> &'static str {
    match kind {
        SaleKind::Quote => "quote",
        SaleKind::Order => "order",
    }
}

fn article(kind: SaleKind) -> &'static str {
    match kind {
        SaleKind::Quote => "a",
        SaleKind::Order => "an",
    }
}

/// The customer and addresses a sale names.
fn records_named(draft: &SaleDraft) -> impl Iterator<Item = ErpId> {
    [
        Some(draft.customer_id),
        draft.invoice_address_id,
        draft.shipment_address_id,
    ]
    .into_iter()
    .flatten()
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

/// Checks a draft against the cache: the customer, every product and the
/// addresses must be there (the addresses the customer's own, the products
/// for sale), and the warehouse known.
fn check_sale(tx: &rusqlite::Transaction, draft: &SaleDraft) -> Result<(), StoreError> {
    let customer = crate::changes::cached_customer(tx, draft.customer_id)?;
    for (field, address) in [
        ("invoice address", draft.invoice_address_id),
        ("shipment address", draft.shipment_address_id),
    ] {
        let Some(address) = address else { continue };
        if crate::changes::owner(tx, "addresses", address)? != Some(draft.customer_id) {
            return Err(StoreError::Invalid(format!(
                "{field}: address {address} is not one of {customer}'s addresses: pick one of theirs"
            )));
        }
    }
    if let Some(warehouse) = draft.warehouse_id {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM warehouses WHERE erp_id = ?1)",
            [warehouse],
            |row| row.get(0),
        )?;
        if !known {
            return Err(StoreError::Invalid(format!(
                "warehouse {warehouse} is not in the cache: pick one it holds, or sync"
            )));
        }
    }
    for (index, line) in draft.lines.iter().enumerate() {
        let product: Option<(String, bool)> = tx
            .query_row(
                "SELECT coalesce(code, name), salable FROM products WHERE erp_id = ?1",
                [line.product_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        match product {
            None => {
                return Err(StoreError::Invalid(format!(
                    "line {}: product {} is not in the cache (no longer active in the ERP?): choose another product",
                    index + 1,
                    line.product_id
                )));
            }
            Some((code, false)) => {
                return Err(StoreError::Invalid(format!(
                    "line {}: product {code} is not for sale: choose another product",
                    index + 1
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
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
            return Err(StoreError::Invalid(format!(
                "the entry {first} this one depends on is not in the outbox"
            )));
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
    match inserted {
        Err(error)
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
        {
            Err(StoreError::Invalid(format!(
                "an outbox entry {uuid} already exists"
            )))
        }
        other => {
            other?;
            Ok(tx.last_insert_rowid())
        }
    }
}
