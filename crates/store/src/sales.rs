//! Quotes and orders written offline: checked against the cache and
//! queued in the outbox with the entry that must reach the ERP first; and
//! what the orders not yet in the ERP commit (credit, stock).

use crate::columns::time;
use crate::error::{Owned, Refusal};
use crate::local::{cached_customer, canonical, creating_entry, owner};
use crate::outbox::{COLUMNS, EntryPayload, EntryState, PAYLOAD_VERSION, entry, insert_entry};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::{ErpId, QuoteToOrder, SaleDraft, SaleKind, SaleRef};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;

impl Store {
    /// Whether the cache holds what a draft names, as saving it checks:
    /// the customer, the addresses (the customer's own), the warehouse,
    /// and every product (for sale). For a form checked before it is saved.
    pub fn check_sale(&self, draft: &SaleDraft) -> Result<(), StoreError> {
        check_sale(&self.conn, draft)
    }

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
            None => creating_entry(&tx, records_named(draft))?,
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
            Some(current) if current.in_flight => {
                return Err(Refusal::InFlight { entry: seq }.into());
            }
            Some(current) if current.state != EntryState::Done => current,
            Some(_) => return Err(Refusal::EntryAccepted { entry: seq }.into()),
            None => return Err(Refusal::NoWaitingEntry { entry: seq }.into()),
        };
        // Records written offline that the ERP has accepted since are known
        // by the ERP's ids now.
        let canonical = |id: ErpId| canonical(&tx, id);
        let mut draft = draft.clone();
        draft.customer_id = canonical(draft.customer_id)?;
        draft.invoice_address_id = draft.invoice_address_id.map(canonical).transpose()?;
        draft.shipment_address_id = draft.shipment_address_id.map(canonical).transpose()?;
        let draft = &draft;
        match &current.payload {
            EntryPayload::Sale(old)
                if old.kind == draft.kind && canonical(old.customer_id)? == draft.customer_id => {}
            EntryPayload::Sale(old) if old.kind != draft.kind => {
                return Err(Refusal::OtherKind {
                    entry: seq,
                    found: old.kind,
                    given: draft.kind,
                }
                .into());
            }
            EntryPayload::Sale(_) => return Err(Refusal::OtherCustomer { entry: seq }.into()),
            EntryPayload::QuoteToOrder(_) => {
                return Err(Refusal::NothingToEdit { entry: seq }.into());
            }
            EntryPayload::NewCustomer(_)
            | EntryPayload::CustomerEdit(_)
            | EntryPayload::Request(_) => return Err(Refusal::NotASale { entry: seq }.into()),
        }
        check_sale(&tx, draft)?;
        let waits_for = creating_entry(&tx, records_named(draft))?;
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
                    return Err(Refusal::QuoteAlreadySent {
                        label: change.label.clone(),
                        entry: other.seq,
                    }
                    .into());
                }
                (EntryPayload::Sale(draft), SaleRef::Entry(quote)) if other.uuid == *quote => {
                    if draft.kind != SaleKind::Quote {
                        return Err(Refusal::AlreadyAnOrder { entry: other.seq }.into());
                    }
                    if other.state == EntryState::Rejected {
                        return Err(Refusal::QuoteRefused {
                            label: change.label.clone(),
                            entry: other.seq,
                        }
                        .into());
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
                return Err(Refusal::QuoteNotInOutbox {
                    label: change.label.clone(),
                }
                .into());
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

    /// The estimated total of this customer's orders the ERP has not
    /// accepted yet (new orders, and quotes on their way to become orders),
    /// to count against their available credit. A quote alone commits
    /// nothing, in the ERP as here.
    pub fn unsent_sales_total(&self, customer_id: ErpId) -> Result<Decimal, StoreError> {
        let currency_digits = self.currency_digits()?;
        let customer_id = canonical(&self.conn, customer_id)?;
        let mut total = Decimal::ZERO;
        for order in self.unsent_orders()? {
            if canonical(&self.conn, order.customer_id())? == customer_id {
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

/// Checks a draft against the cache: the customer, every product and the
/// addresses must be there (the addresses the customer's own, the products
/// for sale), and the warehouse known.
fn check_sale(tx: &rusqlite::Connection, draft: &SaleDraft) -> Result<(), StoreError> {
    let customer = cached_customer(tx, draft.customer_id)?;
    for (what, address) in [
        (Owned::InvoiceAddress, draft.invoice_address_id),
        (Owned::ShipmentAddress, draft.shipment_address_id),
    ] {
        let Some(address) = address else { continue };
        if owner(tx, "addresses", address)? != Some(draft.customer_id) {
            return Err(Refusal::NotTheirs {
                what,
                id: address,
                customer,
            }
            .into());
        }
    }
    if let Some(warehouse) = draft.warehouse_id {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM warehouses WHERE erp_id = ?1)",
            [warehouse],
            |row| row.get(0),
        )?;
        if !known {
            return Err(Refusal::WarehouseNotCached {
                warehouse_id: warehouse,
            }
            .into());
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
                return Err(Refusal::ProductNotCached {
                    line: index + 1,
                    product_id: line.product_id,
                }
                .into());
            }
            Some((product, false)) => {
                return Err(Refusal::NotForSale {
                    line: index + 1,
                    product,
                }
                .into());
            }
            Some(_) => {}
        }
    }
    Ok(())
}
