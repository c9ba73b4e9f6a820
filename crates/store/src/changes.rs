//! Customer changes written offline: a new customer (cached under
//! provisional ids until the ERP has it) and edits to a cached one (applied
//! to the cache at once, so the salesperson sees them offline).
//!
//! Provisional ids are negative, so they never meet the ERP's; each is
//! listed in `provisional_ids` with the uuid that travels to the ERP with
//! its record. When the ERP accepts the entry, the cached records take the
//! ERP's ids, and entries written against the provisional ones (an order for
//! the new customer) are sent with the ERP's ([`Store::resolved_sale`]).

use crate::apply::apply_and_index;
use crate::columns::time;
use crate::error::{Owned, Refusal};
use crate::local::{cached_customer, creating_entry, given_id, owner, provisional};
use crate::outbox::{COLUMNS, EntryPayload, OutboxEntry, entry, insert_entry, waiting_uuid};
use crate::search::{customer_rowid, reindex_customers, unindex};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::customers::{
    AddressDraft, Conflict, ContactDraft, CustomerDraft, CustomerEdit, CustomerError, EditField,
};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{
    Address, AfterSalesRequest, Contact, Customer, ErpId, Records, RequestState, SaleDraft,
};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::BTreeSet;

/// A customer just written offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    /// The outbox entry that sends it.
    pub seq: i64,
    /// Its provisional id and code (`NEW-1`, ...) until the ERP gives its own.
    pub customer_id: ErpId,
    pub code: String,
}

/// What the ERP made of a customer entry: its ids for the records the
/// entry created (by their uuids), its code for the customer, and the
/// edits where its own value won.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AcceptedCustomer {
    pub customer_id: ErpId,
    pub code: Option<String>,
    pub ids: Vec<(String, ErpId)>,
    pub conflicts: Vec<Conflict>,
}

impl Store {
    /// Writes a new customer with its addresses and contacts into the cache
    /// under provisional ids, with its outbox entry, in one transaction.
    pub fn add_customer(
        &mut self,
        uuid: &str,
        draft: &CustomerDraft,
        at: DateTime<Utc>,
    ) -> Result<NewCustomer, StoreError> {
        draft.validate().map_err(Refusal::from)?;
        let tx = self.write_transaction()?;
        let customer_id = provisional(&tx, "customers", uuid, uuid)?;
        // NEW-1, NEW-2, ... among the customers not yet in the ERP (one the
        // ERP has accepted carries the ERP's code).
        let number: i64 = tx.query_row(
            "SELECT coalesce(max(CAST(substr(code, 5) AS INTEGER)), 0) + 1 FROM customers
             WHERE erp_id < 0 AND code LIKE 'NEW-%'",
            [],
            |row| row.get(0),
        )?;
        let code = format!("NEW-{number}");
        let synced_at = time(at);
        apply_and_index(
            &tx,
            &Records::Customers(vec![Customer {
                erp_id: customer_id,
                code: Some(code.clone()),
                name: draft.name.trim().to_owned(),
                tax_id: None,
                // The ERP gives a new customer the company's default list.
                price_list_id: None,
                active: true,
            }]),
            &synced_at,
        )?;
        add_addresses_and_contacts(
            &tx,
            customer_id,
            uuid,
            &draft.addresses,
            &draft.contacts,
            &synced_at,
        )?;
        let seq = insert_entry(
            &tx,
            uuid,
            &EntryPayload::NewCustomer(draft.clone()),
            Some(customer_id),
            None,
            at,
        )?;
        tx.commit()?;
        Ok(NewCustomer {
            seq,
            customer_id,
            code,
        })
    }

    /// Writes a customer edit into the cache and its outbox entry, in one
    /// transaction. Each field must belong to the customer; `base` is what
    /// the field held when the salesperson changed it.
    pub fn edit_customer(
        &mut self,
        uuid: &str,
        edit: &CustomerEdit,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        edit.validate().map_err(Refusal::from)?;
        let tx = self.write_transaction()?;
        cached_customer(&tx, edit.customer_id)?;
        let mut referenced = vec![edit.customer_id];
        for change in &edit.fields {
            let value = change.value.as_deref().map(str::trim);
            let (sql, record) = match &change.field {
                EditField::CustomerName => {
                    ("UPDATE customers SET name = ?2 WHERE erp_id = ?1", None)
                }
                EditField::ContactValue { contact_id } => (
                    "UPDATE contacts SET value = ?2 WHERE erp_id = ?1",
                    Some(("contacts", *contact_id)),
                ),
                EditField::AddressStreet { address_id } => (
                    "UPDATE addresses SET street = ?2 WHERE erp_id = ?1",
                    Some(("addresses", *address_id)),
                ),
                EditField::AddressPostalCode { address_id } => (
                    "UPDATE addresses SET postal_code = ?2 WHERE erp_id = ?1",
                    Some(("addresses", *address_id)),
                ),
                EditField::AddressCity { address_id } => (
                    "UPDATE addresses SET city = ?2 WHERE erp_id = ?1",
                    Some(("addresses", *address_id)),
                ),
            };
            let id = match record {
                None => edit.customer_id,
                Some((table, id)) => {
                    if owner(&tx, table, id)? != Some(edit.customer_id) {
                        let what = if table == "contacts" {
                            "contact"
                        } else {
                            "address"
                        };
                        return Err(Refusal::from(CustomerError::NotTheirs { what, id }).into());
                    }
                    referenced.push(id);
                    id
                }
            };
            tx.execute(sql, params![id, value])?;
        }
        let synced_at = time(at);
        add_addresses_and_contacts(
            &tx,
            edit.customer_id,
            uuid,
            &edit.new_addresses,
            &edit.new_contacts,
            &synced_at,
        )?;
        reindex_customers(&tx, &BTreeSet::from([edit.customer_id]))?;
        let waits_for = creating_entry(&tx, referenced)?;
        let seq = insert_entry(
            &tx,
            uuid,
            &EntryPayload::CustomerEdit(edit.clone()),
            Some(edit.customer_id),
            waits_for.as_deref(),
            at,
        )?;
        tx.commit()?;
        Ok(seq)
    }

    /// The ERP accepted customer entry `seq`: the records it created take
    /// the ERP's ids in the cache, and the entry is done, with the edits
    /// where the ERP's value won.
    pub fn record_customer_accepted(
        &mut self,
        seq: i64,
        accepted: &AcceptedCustomer,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        let conflicts = if accepted.conflicts.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&accepted.conflicts)
                    .map_err(|error| StoreError::BadValue(error.to_string()))?,
            )
        };
        let message = (!accepted.conflicts.is_empty()).then(|| {
            accepted
                .conflicts
                .iter()
                .map(Conflict::describe)
                .collect::<Vec<_>>()
                .join("; ")
        });
        let changed = tx.execute(
            "UPDATE outbox SET state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = ?4, conflicts = ?5,
             warning_name = NULL, warning_text = NULL, next_attempt_at = NULL, updated_at = ?6
             WHERE seq = ?1 AND state != 'done'",
            params![
                seq,
                accepted.customer_id,
                accepted.code,
                message,
                conflicts,
                time(at)
            ],
        )?;
        if changed == 0 {
            return Err(Refusal::NoWaitingEntry { entry: seq }.into());
        }
        let mut reindex = BTreeSet::new();
        for (uuid, erp_id) in &accepted.ids {
            let found: Option<(ErpId, String)> = tx
                .query_row(
                    "SELECT provisional, entity FROM provisional_ids WHERE uuid = ?1",
                    [uuid],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((provisional, table)) = found else {
                continue;
            };
            tx.execute(
                "UPDATE provisional_ids SET erp_id = ?2 WHERE provisional = ?1",
                params![provisional, erp_id],
            )?;
            rekey(&tx, &table, provisional, *erp_id, &mut reindex)?;
        }
        if let Some(code) = &accepted.code {
            tx.execute(
                "UPDATE customers SET code = ?2 WHERE erp_id = ?1",
                params![accepted.customer_id, code],
            )?;
            reindex.insert(accepted.customer_id);
        }
        reindex_customers(&tx, &reindex)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes an after-sales request into the cache (under a provisional
    /// id, shown with the customer) and its outbox entry, in one
    /// transaction. The order or invoice must be the customer's.
    pub fn add_request(
        &mut self,
        uuid: &str,
        draft: &RequestDraft,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        draft.validate().map_err(Refusal::from)?;
        let tx = self.write_transaction()?;
        let customer = cached_customer(&tx, draft.customer_id)?;
        for (table, what, id) in [
            ("orders", Owned::Order, draft.order_id),
            ("invoices", Owned::Invoice, draft.invoice_id),
        ] {
            let Some(id) = id else { continue };
            if owner(&tx, table, id)? != Some(draft.customer_id) {
                return Err(Refusal::NotTheirs {
                    what,
                    id,
                    customer: customer.clone(),
                }
                .into());
            }
        }
        let provisional = provisional(&tx, "complaints", uuid, uuid)?;
        apply_and_index(
            &tx,
            &Records::Complaints(vec![AfterSalesRequest {
                erp_id: provisional,
                customer_id: draft.customer_id,
                number: None,
                date: Some(at.date_naive()),
                state: RequestState::Draft,
                kind: None,
                description: Some(draft.description.trim().to_owned()),
                order_id: draft.order_id,
                invoice_id: draft.invoice_id,
            }]),
            &time(at),
        )?;
        let waits_for = creating_entry(&tx, [draft.customer_id])?;
        let seq = insert_entry(
            &tx,
            uuid,
            &EntryPayload::Request(draft.clone()),
            Some(draft.customer_id),
            waits_for.as_deref(),
            at,
        )?;
        tx.commit()?;
        Ok(seq)
    }

    /// The ERP took after-sales request entry `seq` as its record `erp_id`:
    /// the cached request takes the ERP's id, number and state, and the
    /// entry is done.
    pub fn record_request_accepted(
        &mut self,
        seq: i64,
        erp_id: ErpId,
        number: Option<&str>,
        state: RequestState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        let Some(uuid) = waiting_uuid(&tx, seq)? else {
            return Err(Refusal::NoWaitingEntry { entry: seq }.into());
        };
        tx.execute(
            "UPDATE outbox SET state = 'done', in_flight = 0, erp_id = ?2, erp_number = ?3, erp_message = NULL,
             warning_name = NULL, warning_text = NULL, next_attempt_at = NULL, updated_at = ?4
             WHERE seq = ?1",
            params![seq, erp_id, number, time(at)],
        )?;
        let provisional: Option<ErpId> = tx
            .query_row(
                "SELECT provisional FROM provisional_ids WHERE uuid = ?1",
                [&uuid],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(provisional) = provisional {
            tx.execute(
                "UPDATE provisional_ids SET erp_id = ?2 WHERE provisional = ?1",
                params![provisional, erp_id],
            )?;
            rekey(&tx, "complaints", provisional, erp_id, &mut BTreeSet::new())?;
        }
        tx.execute(
            "UPDATE complaints SET number = ?2, state = ?3, synced_at = ?4 WHERE erp_id = ?1",
            params![erp_id, number, state.name(), time(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The request with every provisional id replaced by the ERP's.
    pub fn resolved_request(&self, draft: &RequestDraft) -> Result<RequestDraft, StoreError> {
        let mut resolved = draft.clone();
        resolved.customer_id = self.resolve(draft.customer_id)?;
        Ok(resolved)
    }

    /// The draft with every provisional id replaced by the ERP's, for
    /// sending. Fails if a record it names has not reached the ERP yet
    /// (the entry then waits for the one that creates it).
    pub fn resolved_sale(&self, draft: &SaleDraft) -> Result<SaleDraft, StoreError> {
        let mut resolved = draft.clone();
        resolved.customer_id = self.resolve(draft.customer_id)?;
        resolved.invoice_address_id = draft
            .invoice_address_id
            .map(|id| self.resolve(id))
            .transpose()?;
        resolved.shipment_address_id = draft
            .shipment_address_id
            .map(|id| self.resolve(id))
            .transpose()?;
        Ok(resolved)
    }

    /// The edit with every provisional id replaced by the ERP's.
    pub fn resolved_edit(&self, edit: &CustomerEdit) -> Result<CustomerEdit, StoreError> {
        let mut resolved = edit.clone();
        resolved.customer_id = self.resolve(edit.customer_id)?;
        for change in &mut resolved.fields {
            match &mut change.field {
                EditField::CustomerName => {}
                EditField::ContactValue { contact_id: id }
                | EditField::AddressStreet { address_id: id }
                | EditField::AddressPostalCode { address_id: id }
                | EditField::AddressCity { address_id: id } => *id = self.resolve(*id)?,
            }
        }
        Ok(resolved)
    }

    /// The ERP's id for `id`: itself, or the id the ERP gave the record
    /// cached under this provisional id.
    pub fn resolve(&self, id: ErpId) -> Result<ErpId, StoreError> {
        if id > 0 {
            return Ok(id);
        }
        match given_id(&self.conn, id)? {
            Some(Some(erp_id)) => Ok(erp_id),
            Some(None) => Err(Refusal::NotInErpYet { id }.into()),
            None => Err(Refusal::UnknownRecord { id }.into()),
        }
    }
}

fn add_addresses_and_contacts(
    tx: &Transaction,
    customer_id: ErpId,
    entry_uuid: &str,
    addresses: &[AddressDraft],
    contacts: &[ContactDraft],
    synced_at: &str,
) -> Result<(), StoreError> {
    let mut address_rows = Vec::new();
    for address in addresses {
        let clean = |text: &Option<String>| {
            text.as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        address_rows.push(Address {
            erp_id: provisional(tx, "addresses", &address.uuid, entry_uuid)?,
            customer_id,
            name: None,
            street: clean(&address.street),
            postal_code: clean(&address.postal_code),
            city: clean(&address.city),
            subdivision: None,
            // The ERP's name for it comes with the next pull.
            country: clean(&address.country).map(|code| code.to_uppercase()),
            invoice: address.invoice,
            delivery: address.delivery,
            active: true,
        });
    }
    let mut contact_rows = Vec::new();
    for contact in contacts {
        contact_rows.push(Contact {
            erp_id: provisional(tx, "contacts", &contact.uuid, entry_uuid)?,
            customer_id,
            kind: contact.kind.clone(),
            value: contact.value.trim().to_owned(),
            name: None,
            active: true,
        });
    }
    if !address_rows.is_empty() {
        apply_and_index(tx, &Records::Addresses(address_rows), synced_at)?;
    }
    if !contact_rows.is_empty() {
        apply_and_index(tx, &Records::Contacts(contact_rows), synced_at)?;
    }
    Ok(())
}

/// Moves a cached record from its provisional id to the ERP's (or drops it
/// where a pull already brought the ERP's record).
fn rekey(
    tx: &Transaction,
    table: &str,
    provisional: ErpId,
    erp_id: ErpId,
    reindex: &mut BTreeSet<ErpId>,
) -> Result<(), StoreError> {
    let taken: bool = tx.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE erp_id = ?1)"),
        [erp_id],
        |row| row.get(0),
    )?;
    if taken {
        tx.execute(
            &format!("DELETE FROM {table} WHERE erp_id = ?1"),
            [provisional],
        )?;
    } else {
        tx.execute(
            &format!("UPDATE {table} SET erp_id = ?2 WHERE erp_id = ?1"),
            params![provisional, erp_id],
        )?;
    }
    if table == "customers" {
        for owned in ["addresses", "contacts", "complaints"] {
            tx.execute(
                &format!("UPDATE {owned} SET customer_id = ?2 WHERE customer_id = ?1"),
                params![provisional, erp_id],
            )?;
        }
        tx.execute(
            "UPDATE outbox SET customer_id = ?2 WHERE customer_id = ?1",
            params![provisional, erp_id],
        )?;
        unindex(tx, customer_rowid(provisional))?;
        reindex.insert(erp_id);
    } else {
        let owner: Option<ErpId> = tx
            .query_row(
                &format!("SELECT customer_id FROM {table} WHERE erp_id = ?1"),
                [erp_id],
                |row| row.get(0),
            )
            .optional()?;
        reindex.extend(owner);
    }
    Ok(())
}

/// Takes back what a discarded entry wrote in the cache: the records it
/// created under provisional ids, and the fields a customer edit changed
/// (back to the value they had, where they still hold the edit's).
pub(crate) fn undo_local_change(tx: &Transaction, entry: &OutboxEntry) -> Result<(), StoreError> {
    let mut reindex = BTreeSet::new();
    let created: Vec<(ErpId, String)> = {
        let mut statement = tx.prepare(
            "SELECT provisional, entity FROM provisional_ids WHERE entry_uuid = ?1 AND erp_id IS NULL",
        )?;
        let rows = statement.query_map([&entry.uuid], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (provisional, table) in created {
        if table == "customers" {
            unindex(tx, customer_rowid(provisional))?;
        } else if let Some(customer) = owner(tx, &table, provisional)? {
            // A customer that goes too loses its row when reindexed.
            reindex.insert(customer);
        }
        tx.execute(
            &format!("DELETE FROM {table} WHERE erp_id = ?1"),
            [provisional],
        )?;
        tx.execute(
            "DELETE FROM provisional_ids WHERE provisional = ?1",
            [provisional],
        )?;
    }
    if let EntryPayload::CustomerEdit(edit) = &entry.payload {
        for change in &edit.fields {
            let (table, column, id) = match &change.field {
                EditField::CustomerName => ("customers", "name", edit.customer_id),
                EditField::ContactValue { contact_id } => ("contacts", "value", *contact_id),
                EditField::AddressStreet { address_id } => ("addresses", "street", *address_id),
                EditField::AddressPostalCode { address_id } => {
                    ("addresses", "postal_code", *address_id)
                }
                EditField::AddressCity { address_id } => ("addresses", "city", *address_id),
            };
            let value = change.value.as_deref().map(str::trim);
            tx.execute(
                &format!("UPDATE {table} SET {column} = ?2 WHERE erp_id = ?1 AND {column} IS ?3"),
                params![id, change.base, value],
            )?;
        }
        reindex.insert(edit.customer_id);
    }
    reindex_customers(tx, &reindex)?;
    Ok(())
}

impl Store {
    /// Drops an entry the ERP has not accepted, and whatever waits on it.
    /// Refused while the entry, or one waiting on it, may be in the ERP
    /// ([`OutboxEntry::in_flight`]): a sync must settle it first, or the
    /// laptop would forget a record the ERP holds.
    pub fn discard(&mut self, seq: i64, at: DateTime<Utc>) -> Result<Discarded, StoreError> {
        let tx = self.write_transaction()?;
        let Some(uuid) = waiting_uuid(&tx, seq)? else {
            return Err(Refusal::NoWaitingEntry { entry: seq }.into());
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
            return Err(Refusal::InFlight { entry: *busy }.into());
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
                undo_local_change(&tx, gone)?;
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
