//! What the window writes: quotes and orders, after-sales requests, and
//! what becomes of outbox entries. Each is one transaction in the cache
//! with its outbox entry (the store sees to that); the background sync is
//! woken to send it.

use crate::wire::{
    CreditCheck, DiscardedEntries, EntryChecks, LineForm, LinePreview, LinePromotion,
    PriceSourcePreview, PromotionPreview, RequestForm, SaleForm, SalePreview, Saved, StockCheck,
};
use crate::{App, AppError};
use chrono::{Local, Utc};
use fieldbook_core::pricing::{
    LineToPrice, PriceSource, PricedLine, PricedSale, SaleToPrice, price_sale,
};
use fieldbook_core::promise::Remaining;
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{
    DraftError, DraftLine, ErpId, LineInput, SaleDraft, SaleKind, SaleRef, TypedLine,
};
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
                // A price from the list is priced again, as of now.
                unit_price: line
                    .unit_price
                    .filter(|_| line.price_typed)
                    .map(|price| price.to_string()),
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
    priced_draft(store, form, &price_form(store, form)?)
}

/// [`draft`], with the form's lines priced already.
fn priced_draft(
    store: &Store,
    form: &SaleForm,
    pricing: &PricedForm,
) -> Result<SaleDraft, AppError> {
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
    for (index, line) in pricing.lines.iter().enumerate() {
        let (typed, priced) = line.as_ref().map_err(Clone::clone)?;
        lines.push(DraftLine::priced(index + 1, typed, priced)?);
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
        price_list_id: pricing.sale.price_list_id,
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

/// A form's lines, read and priced together as the ERP will price them
/// (promotions look at the whole sale): for each line, what was typed and
/// its price, or why it cannot be read. Lines that cannot be read are left
/// out of the pricing.
struct PricedForm {
    lines: Vec<Result<(TypedLine, PricedLine), DraftError>>,
    sale: PricedSale,
    /// What was priced: the lines read.
    priced_from: SaleToPrice,
    /// The name of the price list the sale is on, if the cache has it.
    list_name: Option<String>,
}

fn price_form(store: &Store, form: &SaleForm) -> Result<PricedForm, AppError> {
    let mut read = Vec::new();
    let mut to_price = Vec::new();
    for (index, line) in form.lines.iter().enumerate() {
        let product = store
            .priced_product(line.product_id)?
            .ok_or_else(|| AppError::not_found("product", line.product_id))?;
        let input = LineInput {
            quantity: &line.quantity,
            unit_price: line.unit_price.as_deref(),
            discount_percent: line.discount_percent.as_deref(),
        };
        let typed = TypedLine::from_input(index + 1, product.erp_id, &input);
        if let Ok(typed) = &typed {
            to_price.push(LineToPrice {
                product,
                quantity: typed.quantity,
                typed_price: typed.unit_price,
                discount: typed.discount,
            });
        }
        read.push(typed);
    }
    let book = store.price_book()?;
    let priced_from = SaleToPrice {
        customer_list_id: store.customer_price_list(form.customer_id)?,
        // The ERP dates the sale when it records it: today, as the
        // salesperson's laptop sees it.
        date: Local::now().date_naive(),
        currency_digits: store.currency_digits()?,
        lines: to_price,
    };
    let sale = price_sale(&book, &priced_from);
    let mut priced = sale.lines.iter().cloned();
    let lines = read
        .into_iter()
        .map(|typed| {
            typed.map(|typed| {
                let priced = priced.next().expect("one priced line for each line read");
                (typed, priced)
            })
        })
        .collect();
    let list_name = sale
        .price_list_id
        .and_then(|id| book.lists.get(&id))
        .map(|list| list.name.clone());
    Ok(PricedForm {
        lines,
        sale,
        priced_from,
        list_name,
    })
}

fn preview(store: &Store, form: &SaleForm, editing: Option<i64>) -> Result<SalePreview, AppError> {
    let pricing = price_form(store, form)?;
    let problem = priced_draft(store, form, &pricing).err();
    let digits = store.currency_digits()?;
    // Lines are shown even while another line (or field) is wrong.
    let mut lines = Vec::new();
    let mut parsed = Vec::new();
    for (index, (line, read)) in form.lines.iter().zip(&pricing.lines).enumerate() {
        let product = store
            .product(ProductRef::Id(line.product_id))?
            .ok_or_else(|| AppError::not_found("product", line.product_id))?;
        let product = product.product.value;
        let priced = read.as_ref().ok().map(|(_, priced)| priced);
        let draft_line = read
            .as_ref()
            .ok()
            .and_then(|(typed, priced)| DraftLine::priced(index + 1, typed, priced).ok());
        lines.push(LinePreview {
            product_id: line.product_id,
            code: product.code.clone(),
            name: product.name.clone(),
            unit: product.unit.clone(),
            list_price: product.list_price,
            price: priced.and_then(|priced| priced.price.as_ref().ok().map(|(price, _)| *price)),
            source: priced.and_then(|priced| {
                priced
                    .price
                    .as_ref()
                    .ok()
                    .map(|(_, source)| source_preview(source))
            }),
            promotion: priced.and_then(|priced| {
                priced.promotion.as_ref().map(|promotion| LinePromotion {
                    name: promotion.name.clone(),
                    before: promotion.before,
                    unit_price: promotion.unit_price,
                })
            }),
            unit_price: draft_line.as_ref().and_then(DraftLine::charged_price),
            amount: draft_line.as_ref().and_then(|line| line.amount(digits)),
            unknown: priced.and_then(PricedLine::unknown).map(AppError::from),
            typed_price_replaced: priced.is_some_and(|priced| {
                priced.promotion.is_some() && matches!(priced.price, Ok((_, PriceSource::Typed)))
            }),
        });
        parsed.extend(draft_line);
    }
    let estimated_total = DraftLine::total(&parsed, digits);
    let promotions = pricing
        .sale
        .promotion_savings(&pricing.priced_from)
        .into_iter()
        .map(|(name, takes_off)| PromotionPreview { name, takes_off })
        .collect();
    let unpriced_lines = parsed
        .iter()
        .filter(|line| line.charged_price().is_none())
        .count();
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
        unpriced_lines,
        price_list: pricing.list_name,
        promotions,
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

/// Where a price comes from, for the window.
fn source_preview(source: &PriceSource) -> PriceSourcePreview {
    let (kind, list, from_quantity, formula) = match source {
        PriceSource::Typed => ("typed", None, None, None),
        PriceSource::ListPrice => ("list_price", None, None, None),
        PriceSource::List {
            list,
            from_quantity,
            formula,
            ..
        } => (
            "list",
            Some(list.clone()),
            from_quantity.and_then(|quantity| Decimal::try_from(quantity).ok()),
            Some(formula.clone()),
        ),
    };
    PriceSourcePreview {
        kind: kind.into(),
        words: source.to_string(),
        list,
        from_quantity,
        formula,
    }
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
