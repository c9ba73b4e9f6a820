//! What the window writes: quotes and orders, after-sales requests, and
//! what becomes of outbox entries. Each is one transaction in the cache
//! with its outbox entry (the store sees to that); the background sync is
//! woken to send it.

use crate::wire::{
    CreditCheck, DiscardedEntries, EntryChecks, LineForm, LinePreview, RequestForm, SaleForm,
    SalePreview, Saved, StockCheck,
};
use crate::{App, AppError};
use chrono::Utc;
use fieldbook_core::promise::Remaining;
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{DraftLine, ErpId, LineInput, SaleDraft, SaleKind, SaleRef};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_store::{EntryPayload, EntryState, Store, StoreError};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

impl App {
    /// The editor's live figures for a draft, saved or not: line amounts,
    /// the estimated total, credit and stock left to promise after it (with
    /// their ages), and what would keep it from being saved. `editing`
    /// names the outbox entry being edited, whose old figures are not
    /// counted twice.
    pub fn preview_sale(
        &self,
        form: &SaleForm,
        editing: Option<i64>,
    ) -> Result<SalePreview, AppError> {
        self.with_store(|store| preview(store, form, editing))
    }

    /// Saves a draft as an outbox entry (or, with `editing`, replaces the
    /// entry's draft and queues it again), after every check the cache can
    /// make. Nothing is saved when a check fails.
    pub fn save_sale(&self, form: &SaleForm, editing: Option<i64>) -> Result<Saved, AppError> {
        // An entry being sent right now is not changed under the sync.
        let _no_sync = match editing {
            Some(_) => Some(self.no_sync_running()?),
            None => None,
        };
        let entry = self.with_store(|store| {
            let draft = draft(store, form)?;
            match editing {
                None => Ok(store.add_sale(
                    &uuid::Uuid::new_v4().to_string(),
                    &draft,
                    None,
                    Utc::now(),
                )?),
                Some(seq) => {
                    store.replace_sale(seq, &draft, Utc::now())?;
                    Ok(seq)
                }
            }
        })?;
        self.wake.notify_one();
        Ok(Saved { entry })
    }

    /// A quote or order waiting in the outbox as the editor fills it in,
    /// to change and save again with [`App::save_sale`].
    pub fn sale_form(&self, seq: i64) -> Result<SaleForm, AppError> {
        self.with_store(|store| {
            let entry = store
                .outbox_entry(seq)?
                .ok_or_else(|| AppError::no_entry(seq))?;
            match &entry.payload {
                EntryPayload::Sale(draft) => Ok(sale_form(draft)),
                EntryPayload::QuoteToOrder(_) => Err(AppError::new(
                    "errors.outbox.not_a_sale",
                    format!(
                        "outbox entry {seq} turns a quote into an order and has nothing to edit: edit the quote itself"
                    ),
                )),
                EntryPayload::NewCustomer(_)
                | EntryPayload::CustomerEdit(_)
                | EntryPayload::Request(_) => Err(AppError::new(
                    "errors.outbox.not_a_sale",
                    format!("outbox entry {seq} is not a quote or order"),
                )),
            }
        })
    }

    /// What an outbox entry takes from its customer's credit and from
    /// stock, after everything else not yet accepted by the ERP.
    pub fn entry_checks(&self, seq: i64) -> Result<EntryChecks, AppError> {
        self.with_store(|store| entry_checks(store, seq))
    }

    /// Files an after-sales request offline.
    pub fn save_request(&self, form: &RequestForm) -> Result<Saved, AppError> {
        let draft = RequestDraft {
            customer_id: form.customer_id,
            description: form.description.trim().to_owned(),
            order_id: form.order_id,
            invoice_id: form.invoice_id,
        };
        draft.validate()?;
        let entry = self.with_store(|store| {
            Ok(store.add_request(&uuid::Uuid::new_v4().to_string(), &draft, Utc::now())?)
        })?;
        self.wake.notify_one();
        Ok(Saved { entry })
    }

    /// Queues a refused entry again (acknowledging its warning, if any).
    pub fn retry(&self, seq: i64) -> Result<(), AppError> {
        let _no_sync = self.no_sync_running()?;
        self.with_store(|store| {
            let entry = store
                .outbox_entry(seq)?
                .ok_or_else(|| AppError::no_entry(seq))?;
            // A pending entry goes by itself; retrying one whose last
            // sending got no answer would forget that it may be in the ERP.
            if entry.state != EntryState::Rejected {
                return Err(AppError::new(
                    "errors.outbox.not_refused",
                    format!("entry {seq} was not refused: it goes with the next sync by itself"),
                ));
            }
            Ok(store.retry(seq, Utc::now())?)
        })?;
        self.wake.notify_one();
        Ok(())
    }

    /// Drops an entry the ERP has not accepted, with what waits on it and
    /// what it wrote in the cache. An entry this build cannot read exists
    /// all the same: it can be discarded (everything else refuses it,
    /// saying why).
    pub fn discard(&self, seq: i64) -> Result<DiscardedEntries, AppError> {
        let _no_sync = self.no_sync_running()?;
        self.with_store(|store| {
            match store.outbox_entry(seq) {
                Ok(Some(_)) | Err(StoreError::UnreadableEntry { .. }) => {}
                Ok(None) => return Err(AppError::no_entry(seq)),
                Err(error) => return Err(error.into()),
            }
            let discarded = store.discard(seq, Utc::now())?;
            Ok(DiscardedEntries {
                entries: discarded.entries,
                ever_sent: discarded.ever_sent,
            })
        })
    }
}

/// The form of a saved draft, for the editor.
pub(crate) fn sale_form(draft: &SaleDraft) -> SaleForm {
    SaleForm {
        kind: match draft.kind {
            SaleKind::Quote => "quote",
            SaleKind::Order => "order",
        }
        .to_owned(),
        customer_id: draft.customer_id,
        lines: draft
            .lines
            .iter()
            .map(|line| LineForm {
                product_id: line.product_id,
                quantity: line.quantity.normalize().to_string(),
                unit_price: Some(line.unit_price.to_string()),
                discount_percent: Some(
                    (line.discount * Decimal::ONE_HUNDRED)
                        .normalize()
                        .to_string(),
                )
                .filter(|percent| percent != "0"),
            })
            .collect(),
        invoice_address_id: draft.invoice_address_id,
        shipment_address_id: draft.shipment_address_id,
        warehouse_id: draft.warehouse_id,
        requested_date: draft.requested_date,
        reference: draft.reference.clone(),
        note: draft.note.clone(),
    }
}

/// A form as a draft the store can save: every field read and checked,
/// defaults filled (list prices; the customer's first invoice and delivery
/// addresses; the first warehouse).
fn draft(store: &Store, form: &SaleForm) -> Result<SaleDraft, AppError> {
    let kind = match form.kind.as_str() {
        "quote" => SaleKind::Quote,
        "order" => SaleKind::Order,
        other => {
            return Err(AppError::invalid(format!(
                "{other:?} is neither a quote nor an order"
            )));
        }
    };
    let customer = store
        .customer(CustomerRef::Id(form.customer_id))?
        .ok_or_else(|| AppError::not_found("customer", form.customer_id))?;
    let mut lines = Vec::new();
    for (index, line) in form.lines.iter().enumerate() {
        lines.push(draft_line(store, index + 1, line)?);
    }
    let draft = SaleDraft {
        kind,
        customer_id: customer.customer.value.erp_id,
        invoice_address_id: form
            .invoice_address_id
            .or_else(|| customer.default_address(true)),
        shipment_address_id: form
            .shipment_address_id
            .or_else(|| customer.default_address(false)),
        warehouse_id: warehouse(store, form)?,
        requested_date: form.requested_date,
        reference: form
            .reference
            .clone()
            .filter(|text| !text.trim().is_empty()),
        note: form.note.clone().filter(|text| !text.trim().is_empty()),
        lines,
    };
    store.check_sale(&draft)?;
    draft.validate()?;
    Ok(draft)
}

/// The warehouse the sale ships from: the one chosen, else the default.
fn warehouse(store: &Store, form: &SaleForm) -> Result<Option<ErpId>, AppError> {
    Ok(match form.warehouse_id {
        Some(id) => Some(id),
        None => store.default_warehouse()?,
    })
}

fn draft_line(store: &Store, number: usize, line: &LineForm) -> Result<DraftLine, AppError> {
    let product = store
        .product(ProductRef::Id(line.product_id))?
        .ok_or_else(|| AppError::not_found("product", line.product_id))?;
    let input = LineInput {
        quantity: &line.quantity,
        unit_price: line.unit_price.as_deref(),
        discount_percent: line.discount_percent.as_deref(),
    };
    let product = &product.product.value;
    Ok(DraftLine::from_input(
        number,
        product.erp_id,
        product.list_price,
        &input,
    )?)
}

fn preview(store: &Store, form: &SaleForm, editing: Option<i64>) -> Result<SalePreview, AppError> {
    let problem = draft(store, form).err();
    let digits = store.currency_digits()?;
    // Lines are shown even while another line (or field) is wrong.
    let mut lines = Vec::new();
    let mut parsed = Vec::new();
    for (index, line) in form.lines.iter().enumerate() {
        let product = store
            .product(ProductRef::Id(line.product_id))?
            .ok_or_else(|| AppError::not_found("product", line.product_id))?;
        let draft_line = draft_line(store, index + 1, line).ok();
        lines.push(LinePreview {
            product_id: line.product_id,
            code: product.product.value.code.clone(),
            name: product.product.value.name.clone(),
            unit: product.product.value.unit.clone(),
            list_price: product.product.value.list_price,
            amount: draft_line.as_ref().map(|line| line.amount(digits)),
        });
        parsed.extend(draft_line);
    }
    let estimated_total: Decimal = parsed.iter().map(|line| line.amount(digits)).sum();
    let old = match editing {
        None => None,
        Some(seq) => match store.outbox_entry(seq)? {
            Some(entry) if entry.state != EntryState::Done => match entry.payload {
                EntryPayload::Sale(draft) => Some(draft),
                _ => None,
            },
            _ => None,
        },
    };
    // What the entry being edited counts today, so it is not counted twice.
    let old_order = old.as_ref().filter(|draft| draft.kind == SaleKind::Order);
    let is_order = form.kind == "order";

    let customer = store.customer(CustomerRef::Id(form.customer_id))?;
    // A quote commits nothing, in the ERP as here.
    let credit = credit_check(
        store,
        form.customer_id,
        old_order.map_or(Decimal::ZERO, |draft| draft.estimated_total(digits)),
        if is_order {
            estimated_total
        } else {
            Decimal::ZERO
        },
    )?;
    let stock = match warehouse(store, form)? {
        None => Vec::new(),
        Some(warehouse) => stock_checks(
            store,
            warehouse,
            &quantities(&parsed),
            &old_order
                .filter(|draft| draft.warehouse_id == Some(warehouse))
                .map(|draft| quantities(&draft.lines))
                .unwrap_or_default(),
            is_order,
        )?,
    };
    Ok(SalePreview {
        lines,
        estimated_total,
        currency: credit
            .as_ref()
            .map(|credit| credit.currency.clone())
            .or_else(|| {
                customer
                    .as_ref()
                    .and_then(|view| view.recent_orders.first())
                    .map(|order| order.value.currency.clone())
            }),
        credit,
        stock,
        problem,
    })
}

/// Each product's quantity over some lines.
fn quantities(lines: &[DraftLine]) -> BTreeMap<ErpId, Decimal> {
    let mut wanted: BTreeMap<ErpId, Decimal> = BTreeMap::new();
    for line in lines {
        *wanted.entry(line.product_id).or_default() += line.quantity;
    }
    wanted
}

/// The customer's credit left after every order not yet accepted and this
/// draft (`this_draft`), when the cache knows their limit. `counted` is
/// this draft's share the outbox already holds (an entry being edited, a
/// quote on its way to become an order), not to be counted twice.
fn credit_check(
    store: &Store,
    customer_id: ErpId,
    counted: Decimal,
    this_draft: Decimal,
) -> Result<Option<CreditCheck>, AppError> {
    let Some(customer) = store.customer(CustomerRef::Id(customer_id))? else {
        return Ok(None);
    };
    let Some(credit) = customer.credit.as_ref() else {
        return Ok(None);
    };
    let Some(available) = credit.value.available() else {
        return Ok(None);
    };
    let unsent = store.unsent_sales_total(customer_id)? - counted;
    let remaining = Remaining::after(available, unsent, this_draft);
    Ok(Some(CreditCheck {
        currency: credit.value.currency.clone(),
        available: remaining.available,
        unsent: remaining.unsent,
        this_draft: remaining.this_draft,
        left: remaining.left,
        over: remaining.over,
        synced_at: credit.synced_at,
    }))
}

/// Stock left to promise in `warehouse` for each product `wanted`, after
/// every order not yet accepted and this draft (when it is an order).
/// `counted` is what the outbox already holds of this draft.
fn stock_checks(
    store: &Store,
    warehouse: ErpId,
    wanted: &BTreeMap<ErpId, Decimal>,
    counted: &BTreeMap<ErpId, Decimal>,
    is_order: bool,
) -> Result<Vec<StockCheck>, AppError> {
    let mut stock = Vec::new();
    for (&product_id, &quantity) in wanted {
        let Some(product) = store.product(ProductRef::Id(product_id))? else {
            continue;
        };
        let Some(row) = product
            .stock
            .iter()
            .find(|row| row.warehouse_id == warehouse)
        else {
            continue;
        };
        let unsent = store.unsent_quantity(product_id, warehouse)?
            - counted.get(&product_id).copied().unwrap_or_default();
        let this_draft = if is_order { quantity } else { Decimal::ZERO };
        let remaining = Remaining::after(row.level.forecast, unsent, this_draft);
        stock.push(StockCheck {
            product_id,
            code: product.product.value.code.clone(),
            name: product.product.value.name.clone(),
            warehouse: row.warehouse.clone(),
            forecast: remaining.available,
            unsent: remaining.unsent,
            this_draft: remaining.this_draft,
            left: remaining.left,
            over: remaining.over,
            synced_at: row.synced_at,
        });
    }
    Ok(stock)
}

/// What an outbox entry takes from credit and stock, after everything else
/// not yet accepted: a quote or order as the editor previews it; a quote
/// on its way to become an order as the order it becomes.
fn entry_checks(store: &Store, seq: i64) -> Result<EntryChecks, AppError> {
    let entry = store
        .outbox_entry(seq)?
        .ok_or_else(|| AppError::no_entry(seq))?;
    match &entry.payload {
        EntryPayload::Sale(draft) => {
            let preview = preview(store, &sale_form(draft), Some(seq))?;
            Ok(EntryChecks {
                credit: preview.credit,
                stock: preview.stock,
            })
        }
        EntryPayload::QuoteToOrder(change) => {
            let credit = credit_check(
                store,
                change.customer_id,
                change.estimated_total,
                change.estimated_total,
            )?;
            // The lines of a quote written here are known; those of one
            // the ERP holds are counted by its forecast once confirmed.
            let quote = match &change.sale {
                SaleRef::Entry(uuid) => store
                    .outbox()?
                    .into_iter()
                    .find(|other| other.uuid == *uuid)
                    .and_then(|quote| match quote.payload {
                        EntryPayload::Sale(draft) => Some(draft),
                        _ => None,
                    }),
                SaleRef::Erp(_) => None,
            };
            let stock = match quote {
                Some(SaleDraft {
                    warehouse_id: Some(warehouse),
                    lines,
                    ..
                }) => {
                    let wanted = quantities(&lines);
                    stock_checks(store, warehouse, &wanted, &wanted, true)?
                }
                _ => Vec::new(),
            };
            Ok(EntryChecks { credit, stock })
        }
        EntryPayload::NewCustomer(_) | EntryPayload::CustomerEdit(_) | EntryPayload::Request(_) => {
            Ok(EntryChecks {
                credit: None,
                stock: Vec::new(),
            })
        }
    }
}
