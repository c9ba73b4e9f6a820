//! What the window reads: all of it from the cache, so it works offline.

use crate::wire::{
    AddressRow, ConflictRow, ContactRow, CreditPanel, CustomerDetail, DiscardedRow, EntryRow, Hit,
    Home, InvoiceRow, NotReadableRow, OrderRow, PaymentRow, PriceDifferenceRow, ProductDetail,
    QuoteRef, RequestRow, SaleForm, StockRow, WarehouseRow,
};
use crate::write::sale_form;
use crate::{App, AppError, erp_info};
use chrono::{Local, Utc};
use fieldbook_core::customers::{Conflict, EditField};
use fieldbook_core::{Entity, ErpId, PriceDifference, SaleRef};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_store::{EntryPayload, EntryState, OutboxEntry, SearchKind, Store};
use std::collections::HashMap;

/// The most search results the window lists: a screenful. A salesperson
/// types on rather than scrolls, and every row drawn costs the keystroke
/// time (BENCHMARKS.md, the window).
const SEARCH_LIMIT: usize = 20;

impl App {
    pub fn home(&self) -> Result<Home, AppError> {
        let connectivity = self.connectivity();
        self.with_store(|store| {
            let status = store.status()?;
            // The last sync that brought every entity up to date, but
            // those the ERP user may not read (shown on their own).
            let refused = |entity: Entity| {
                status
                    .not_readable
                    .iter()
                    .any(|r| r.part == fieldbook_core::SyncPart::Records(entity))
            };
            let last_sync_at = status
                .entities
                .iter()
                .filter(|entity| !refused(entity.entity))
                .map(|entity| entity.last_complete_sync)
                .collect::<Option<Vec<_>>>()
                .and_then(|times| times.into_iter().min());
            let count = |entity: Entity| {
                status
                    .entities
                    .iter()
                    .find(|e| e.entity == entity)
                    .map_or(0, |e| e.records)
            };
            let (pending, _) = store.outbox_counts()?;
            let entries = store.outbox()?;
            let others = Others::new(store, &entries)?;
            let mut rejected = Vec::new();
            for entry in entries.iter().rev() {
                if entry.state == EntryState::Rejected {
                    rejected.push(entry_row(store, entry, &others)?);
                }
            }
            Ok(Home {
                erp: status.erp.map(erp_info),
                connectivity,
                last_sync_at,
                customers: count(Entity::Customers),
                products: count(Entity::Products),
                pending,
                rejected,
                not_readable: status
                    .not_readable
                    .iter()
                    .map(|refused| NotReadableRow {
                        part: refused.part.name().to_owned(),
                        detail: refused.detail.clone(),
                        since: refused.since,
                        tried_at: refused.tried_at,
                    })
                    .collect(),
            })
        })
    }

    /// Customers and products matching every word, best first. `kind`
    /// keeps only customers or only products.
    pub fn search(&self, text: &str, kind: Option<&str>) -> Result<Vec<Hit>, AppError> {
        let kind = match kind {
            None => None,
            Some("customer") => Some(SearchKind::Customer),
            Some("product") => Some(SearchKind::Product),
            Some(other) => {
                return Err(AppError::invalid(format!(
                    "{other:?} is neither customer nor product"
                )));
            }
        };
        self.with_store(|store| {
            Ok(store
                .search_kind(text, kind, SEARCH_LIMIT)?
                .into_iter()
                .map(|hit| Hit {
                    kind: hit.kind.name().to_owned(),
                    erp_id: hit.erp_id,
                    code: hit.code,
                    name: hit.name,
                })
                .collect())
        })
    }

    pub fn customer(&self, id: ErpId) -> Result<CustomerDetail, AppError> {
        let today = Utc::now().with_timezone(&Local).date_naive();
        self.with_store(|store| {
            let view = store
                .customer(CustomerRef::Id(id))?
                .ok_or_else(|| AppError::not_found("customer", id))?;
            let customer = &view.customer.value;
            let credit = match &view.credit {
                None => None,
                Some(credit) => {
                    let unsent = store.unsent_sales_total(customer.erp_id)?;
                    Some(CreditPanel {
                        currency: credit.value.currency.clone(),
                        limit: credit.value.limit,
                        used: credit.value.used,
                        available: credit.value.available(),
                        unsent,
                        available_after_unsent: credit
                            .value
                            .available()
                            .map(|available| available - unsent),
                        receivable: credit.value.receivable,
                        synced_at: credit.synced_at,
                    })
                }
            };
            let entries = store.outbox()?;
            let others = Others::new(store, &entries)?;
            let mut unsent = Vec::new();
            for entry in &entries {
                if entry.state != EntryState::Done && entry.customer_id == Some(customer.erp_id) {
                    unsent.push(entry_row(store, entry, &others)?);
                }
            }
            Ok(CustomerDetail {
                erp_id: customer.erp_id,
                code: customer.code.clone(),
                name: customer.name.clone(),
                tax_id: customer.tax_id.clone(),
                synced_at: view.customer.synced_at,
                provisional: customer.erp_id < 0,
                addresses: view
                    .addresses
                    .iter()
                    .map(|address| AddressRow {
                        erp_id: address.erp_id,
                        one_line: address.one_line(),
                        street: address.street.clone(),
                        postal_code: address.postal_code.clone(),
                        city: address.city.clone(),
                        invoice: address.invoice,
                        delivery: address.delivery,
                    })
                    .collect(),
                contacts: view
                    .contacts
                    .iter()
                    .map(|contact| ContactRow {
                        erp_id: contact.erp_id,
                        kind: contact.kind.clone(),
                        value: contact.value.clone(),
                    })
                    .collect(),
                credit,
                open_invoices: view
                    .open_invoices
                    .iter()
                    .map(|invoice| InvoiceRow {
                        erp_id: invoice.value.erp_id,
                        number: invoice.value.number.clone(),
                        invoice_date: invoice.value.invoice_date,
                        due_date: invoice.value.due_date,
                        overdue: invoice.value.is_overdue(today),
                        currency: invoice.value.currency.clone(),
                        total: invoice.value.total,
                        amount_to_pay: invoice.value.amount_to_pay,
                        synced_at: invoice.synced_at,
                    })
                    .collect(),
                recent_orders: view
                    .recent_orders
                    .iter()
                    .map(|order| OrderRow {
                        erp_id: order.value.erp_id,
                        number: order.value.number.clone(),
                        state: order.value.state.name().to_owned(),
                        may_become_order: order.value.state.may_become_order(),
                        order_date: order.value.order_date,
                        currency: order.value.currency.clone(),
                        total: order.value.total,
                        lines: order.value.line_count,
                        synced_at: order.synced_at,
                        sent_as_order: others.sent_as_order(&SaleRef::Erp(order.value.erp_id)),
                    })
                    .collect(),
                recent_payments: view
                    .recent_payments
                    .iter()
                    .map(|payment| PaymentRow {
                        erp_id: payment.value.erp_id,
                        date: payment.value.date,
                        currency: payment.value.currency.clone(),
                        amount: payment.value.amount,
                        description: payment.value.description.clone(),
                        synced_at: payment.synced_at,
                    })
                    .collect(),
                requests: view
                    .requests
                    .iter()
                    .map(|request| RequestRow {
                        erp_id: request.value.erp_id,
                        number: request.value.number.clone(),
                        date: request.value.date,
                        state: if request.value.erp_id < 0 {
                            "unsent".to_owned()
                        } else {
                            request.value.state.name().to_owned()
                        },
                        kind: request.value.kind.clone(),
                        description: request.value.description.clone(),
                        synced_at: request.synced_at,
                    })
                    .collect(),
                unsent,
            })
        })
    }

    pub fn product(&self, id: ErpId) -> Result<ProductDetail, AppError> {
        self.with_store(|store| {
            let view = store
                .product(ProductRef::Id(id))?
                .ok_or_else(|| AppError::not_found("product", id))?;
            let product = &view.product.value;
            let mut stock = Vec::new();
            for row in &view.stock {
                let unsent = store.unsent_quantity(product.erp_id, row.warehouse_id)?;
                stock.push(StockRow {
                    warehouse_id: row.warehouse_id,
                    warehouse: row.warehouse.clone(),
                    on_hand: row.level.on_hand,
                    forecast: row.level.forecast,
                    unsent,
                    available_to_promise: row.level.forecast - unsent,
                    synced_at: row.synced_at,
                });
            }
            Ok(ProductDetail {
                erp_id: product.erp_id,
                code: product.code.clone(),
                name: product.name.clone(),
                description: product.description.clone(),
                unit: product.unit.clone(),
                list_price: product.list_price,
                currency: store.house_currency()?,
                salable: product.salable,
                synced_at: view.product.synced_at,
                stock,
            })
        })
    }

    /// A customer's id, from the code people know it by (or, failing a
    /// code, its ERP id).
    pub fn customer_id(&self, code: &str) -> Result<ErpId, AppError> {
        self.with_store(|store| {
            Ok(store
                .customer_as_typed(code)?
                .ok_or_else(|| AppError::not_found_code("customer", code))?
                .customer
                .value
                .erp_id)
        })
    }

    /// A product's id, from its code (or, failing a code, its ERP id).
    pub fn product_id(&self, code: &str) -> Result<ErpId, AppError> {
        self.with_store(|store| {
            Ok(store
                .product_as_typed(code)?
                .ok_or_else(|| AppError::not_found_code("product", code))?
                .product
                .value
                .erp_id)
        })
    }

    /// A warehouse's id, from its code.
    pub fn warehouse_id(&self, code: &str) -> Result<ErpId, AppError> {
        self.with_store(|store| {
            store
                .warehouse_id(code)?
                .ok_or_else(|| AppError::not_found_code("warehouse", code))
        })
    }

    /// A synced order's id, from the ERP's number for it.
    pub fn order_id(&self, number: &str) -> Result<ErpId, AppError> {
        self.with_store(|store| {
            Ok(store
                .order_by_number(number)?
                .ok_or_else(|| AppError::not_found_number("order", number))?
                .value
                .erp_id)
        })
    }

    /// A synced invoice's id, from the ERP's number for it.
    pub fn invoice_id(&self, number: &str) -> Result<ErpId, AppError> {
        self.with_store(|store| {
            Ok(store
                .invoice_by_number(number)?
                .ok_or_else(|| AppError::not_found_number("invoice", number))?
                .0)
        })
    }

    pub fn warehouses(&self) -> Result<Vec<WarehouseRow>, AppError> {
        self.with_store(|store| {
            Ok(store
                .warehouses()?
                .into_iter()
                .map(|(erp_id, code, name)| WarehouseRow { erp_id, code, name })
                .collect())
        })
    }

    /// Every outbox entry, newest first.
    pub fn outbox(&self) -> Result<Vec<EntryRow>, AppError> {
        self.with_store(|store| {
            let entries = store.outbox()?;
            let others = Others::new(store, &entries)?;
            let mut rows = Vec::new();
            for entry in entries.iter().rev() {
                rows.push(entry_row(store, entry, &others)?);
            }
            Ok(rows)
        })
    }

    /// Entries discarded here after a request once carried them, while
    /// the ERP may hold them: found there by a sync, or not looked up yet.
    pub fn discarded(&self) -> Result<Vec<DiscardedRow>, AppError> {
        self.with_store(|store| {
            Ok(store
                .discarded()?
                .into_iter()
                .map(|entry| DiscardedRow {
                    entry: entry.seq,
                    kind: entry.kind.name().to_owned(),
                    customer_name: entry.customer,
                    discarded_at: entry.discarded_at,
                    in_erp: entry.in_erp.is_some(),
                    erp_number: entry.in_erp.as_ref().and_then(|held| held.number.clone()),
                    erp_state: entry.in_erp.and_then(|held| held.state),
                    checked_at: entry.checked_at,
                })
                .collect())
        })
    }

    pub fn outbox_entry(&self, seq: i64) -> Result<EntryRow, AppError> {
        self.with_store(|store| {
            let entry = store
                .outbox_entry(seq)?
                .ok_or_else(|| AppError::no_entry(seq))?;
            let entries = store.outbox()?;
            entry_row(store, &entry, &Others::new(store, &entries)?)
        })
    }
}

/// What an entry's row says about the other entries, read once for a list.
pub(crate) struct Others<'a> {
    /// Every entry by its uuid: the one an entry waits for, the quote a
    /// quote-to-order entry confirms.
    by_uuid: HashMap<&'a str, &'a OutboxEntry>,
    /// What the estimated totals are in.
    currency: Option<String>,
    /// The quote-to-order entry of each quote sent as an order.
    to_order: Vec<(&'a SaleRef, i64)>,
}

impl<'a> Others<'a> {
    pub(crate) fn new(store: &Store, entries: &'a [OutboxEntry]) -> Result<Others<'a>, AppError> {
        Ok(Others {
            currency: store.house_currency()?,
            by_uuid: entries
                .iter()
                .map(|entry| (entry.uuid.as_str(), entry))
                .collect(),
            to_order: entries
                .iter()
                .filter_map(|entry| match &entry.payload {
                    EntryPayload::QuoteToOrder(change) => Some((&change.sale, entry.seq)),
                    _ => None,
                })
                .collect(),
        })
    }

    /// The entry that sends this quote as an order, if one does (the store
    /// takes one per quote).
    pub(crate) fn sent_as_order(&self, quote: &SaleRef) -> Option<i64> {
        self.to_order
            .iter()
            .find(|(sale, _)| *sale == quote)
            .map(|(_, seq)| *seq)
    }
}

/// The quote a quote-to-order entry confirms, as the window names it, and
/// the currency of its total: the ERP's quote's own, or the company's for
/// one written here.
fn quote_ref(
    store: &Store,
    sale: &SaleRef,
    others: &Others,
) -> Result<(QuoteRef, Option<String>), AppError> {
    Ok(match sale {
        SaleRef::Erp(id) => {
            let order = store.order(*id)?;
            (
                QuoteRef {
                    number: order.as_ref().and_then(|order| order.value.number.clone()),
                    entry: None,
                },
                order.map(|order| order.value.currency),
            )
        }
        SaleRef::Entry(uuid) => {
            let quote = others.by_uuid.get(uuid.as_str());
            (
                QuoteRef {
                    number: quote.and_then(|quote| quote.erp_number.clone()),
                    entry: quote.map(|quote| quote.seq),
                },
                others.currency.clone(),
            )
        }
    })
}

fn conflict_row(conflict: &Conflict) -> ConflictRow {
    ConflictRow {
        field: match conflict.field {
            EditField::CustomerName => "name",
            EditField::ContactValue { .. } => "contact",
            EditField::AddressStreet { .. } => "street",
            EditField::AddressPostalCode { .. } => "postal_code",
            EditField::AddressCity { .. } => "city",
        }
        .to_owned(),
        erp_value: conflict.erp_value.clone(),
        yours: conflict.yours.clone(),
    }
}

fn price_difference_row(
    store: &Store,
    difference: &PriceDifference,
) -> Result<PriceDifferenceRow, AppError> {
    Ok(match difference {
        PriceDifference::Line {
            line,
            product_id,
            erp,
            laptop,
            ..
        } => PriceDifferenceRow {
            kind: "line".into(),
            line: Some(*line),
            product: Some(product_label(store, *product_id)?),
            erp: *erp,
            laptop: *laptop,
        },
        PriceDifference::Total { erp, laptop } => PriceDifferenceRow {
            kind: "total".into(),
            line: None,
            product: None,
            erp: *erp,
            laptop: Some(*laptop),
        },
    })
}

/// A product as a salesperson names it: its code, else its name, else its
/// ERP id when it left the cache.
pub(crate) fn product_label(store: &Store, product_id: ErpId) -> Result<String, AppError> {
    Ok(store
        .product(ProductRef::Id(product_id))?
        .map(|view| view.product.value.code.unwrap_or(view.product.value.name))
        .unwrap_or_else(|| format!("product {product_id}")))
}

pub(crate) fn entry_row(
    store: &Store,
    entry: &OutboxEntry,
    others: &Others,
) -> Result<EntryRow, AppError> {
    let customer_name = match entry.customer_id {
        Some(id) => store
            .customer(CustomerRef::Id(id))?
            .map(|view| view.customer.value.name),
        None => None,
    };
    let (kind, estimated_total, sale, description): (&str, _, Option<SaleForm>, _) = match &entry
        .payload
    {
        EntryPayload::Sale(draft) => (
            match draft.kind {
                fieldbook_core::SaleKind::Quote => "quote",
                fieldbook_core::SaleKind::Order => "order",
            },
            Some(draft.estimated_total(store.currency_digits()?)),
            Some(sale_form(draft)),
            None,
        ),
        EntryPayload::QuoteToOrder(change) => {
            ("quote_to_order", Some(change.estimated_total), None, None)
        }
        EntryPayload::NewCustomer(draft) => ("customer_new", None, None, Some(draft.name.clone())),
        EntryPayload::CustomerEdit(_) => ("customer_edit", None, None, None),
        EntryPayload::Request(draft) => ("request", None, None, Some(draft.description.clone())),
    };
    let waiting = entry.state == EntryState::Pending
        && entry
            .depends_on
            .as_deref()
            .and_then(|uuid| others.by_uuid.get(uuid))
            // An entry waits while the one it depends on is not accepted.
            .is_some_and(|before| before.state != EntryState::Done);
    let (quote, currency) = match &entry.payload {
        EntryPayload::QuoteToOrder(change) => {
            let (quote, currency) = quote_ref(store, &change.sale, others)?;
            (Some(quote), currency)
        }
        _ => (None, others.currency.clone()),
    };
    Ok(EntryRow {
        entry: entry.seq,
        kind: kind.to_owned(),
        customer_id: entry.customer_id,
        customer_name,
        state: entry.state.name().to_owned(),
        waiting,
        in_flight: entry.in_flight,
        attempts: entry.attempts,
        next_attempt_at: entry.next_attempt_at,
        erp_message: entry.erp_message.clone(),
        warning: entry.warning.as_ref().map(|warning| warning.text.clone()),
        erp_id: entry.erp_id,
        erp_number: entry.erp_number.clone(),
        estimated_total,
        currency: estimated_total.and(currency),
        conflicts: entry.conflicts.iter().map(conflict_row).collect(),
        price_differences: entry
            .price_differences
            .iter()
            .map(|difference| price_difference_row(store, difference))
            .collect::<Result<_, _>>()?,
        quote,
        sent_as_order: match &entry.payload {
            EntryPayload::Sale(draft) if draft.kind == fieldbook_core::SaleKind::Quote => {
                others.sent_as_order(&SaleRef::Entry(entry.uuid.clone()))
            }
            _ => None,
        },
        sale,
        description,
        created_at: entry.created_at,
        updated_at: entry.updated_at,
    })
}
