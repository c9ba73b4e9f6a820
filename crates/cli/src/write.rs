//! Writing offline: quotes and orders into the outbox, and the outbox
//! itself. The command line and a JSON file (`--from`) fill the same
//! [`SaleForm`]; it names customers, products and warehouses by code, and the
//! cache turns them into the ERP's ids.

use crate::output::{money, print_json, when};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use fieldbook_core::{DraftLine, Entity, ErpId, SaleDraft, SaleKind};
use fieldbook_store::{EntryPayload, EntryState, OutboxEntry, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::str::FromStr;

/// Decimals of the money the ERP keeps (CNY, USD, EUR: cents).
pub const CURRENCY_DIGITS: u32 = 2;

/// A quote or order as typed: codes, not ids. The shape of a `--from` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleForm {
    pub customer: String,
    pub lines: Vec<LineForm>,
    #[serde(default)]
    pub invoice_address: Option<ErpId>,
    #[serde(default)]
    pub shipment_address: Option<ErpId>,
    /// A warehouse code; the first warehouse if not given.
    #[serde(default)]
    pub warehouse: Option<String>,
    #[serde(default)]
    pub requested_date: Option<NaiveDate>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineForm {
    pub product: String,
    pub quantity: Decimal,
    /// The cached list price if not given.
    #[serde(default)]
    pub unit_price: Option<Decimal>,
    #[serde(default)]
    pub discount_percent: Option<Decimal>,
}

/// Why a form cannot become a draft. `NotFound` exits with 3, `Bad` with
/// 2 (bad input), and a cache that cannot be read as every cache error does.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Bad(String),
    #[error(transparent)]
    Cache(#[from] fieldbook_store::StoreError),
}

impl LineForm {
    /// `PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]]`, as `--line` takes it.
    pub fn parse(text: &str) -> Result<LineForm, FormError> {
        let parts: Vec<&str> = text.split(':').collect();
        let number = |index: usize, what: &str| -> Result<Option<Decimal>, FormError> {
            match parts.get(index).map(|part| part.trim()).filter(|part| !part.is_empty()) {
                None => Ok(None),
                Some(part) => Decimal::from_str(part).map(Some).map_err(|_| {
                    FormError::Bad(format!(
                        "--line {text:?}: the {what} {part:?} is not a number (write PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]], e.g. P-TEA:10:168.00:5)"
                    ))
                }),
            }
        };
        if parts.len() < 2 || parts.len() > 4 || parts[0].trim().is_empty() {
            return Err(FormError::Bad(format!(
                "--line {text:?}: write PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]], e.g. P-TEA:10 or P-TEA:10:168.00:5"
            )));
        }
        Ok(LineForm {
            product: parts[0].trim().to_owned(),
            quantity: number(1, "quantity")?.ok_or_else(|| {
                FormError::Bad(format!("--line {text:?}: the quantity is missing"))
            })?,
            unit_price: number(2, "unit price")?,
            discount_percent: number(3, "discount")?,
        })
    }
}

/// Reads a `--from` file, with the place and the field of any mistake.
pub fn read_form(path: &Path) -> Result<SaleForm, FormError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| FormError::Bad(format!("cannot read {}: {error}", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        FormError::Bad(format!(
            "{} is not a valid quote or order ({error}); see \"Writing offline\" in the README for its shape",
            path.display()
        ))
    })
}

/// Turns a form into a draft, looking codes up in the cache and filling
/// defaults (list prices, the customer's first invoice and delivery
/// addresses, the first warehouse).
pub fn draft(store: &Store, kind: SaleKind, form: &SaleForm) -> Result<SaleDraft, FormError> {
    let customer = store.customer(&form.customer)?.ok_or_else(|| {
        FormError::NotFound(format!(
            "no customer with code {:?} in the cache: try `fieldbook search {}`, or sync",
            form.customer, form.customer
        ))
    })?;
    let default_address = |invoice: bool| {
        customer
            .addresses
            .iter()
            .find(|address| {
                if invoice {
                    address.invoice
                } else {
                    address.delivery
                }
            })
            .or(customer.addresses.first())
            .map(|address| address.erp_id)
    };
    let warehouse = match &form.warehouse {
        None => store.local_ids(Entity::Warehouses)?.first().copied(),
        Some(code) => Some(store.warehouse_id(code)?.ok_or_else(|| {
            FormError::NotFound(format!(
                "no warehouse with code {code:?}: see `fieldbook status`"
            ))
        })?),
    };
    let mut lines = Vec::new();
    for (index, line) in form.lines.iter().enumerate() {
        let product = store
            .product(&line.product)
            ?
            .ok_or_else(|| {
                FormError::NotFound(format!(
                    "line {}: no product with code {:?} in the cache: try `fieldbook search {}`, or sync",
                    index + 1,
                    line.product,
                    line.product
                ))
            })?;
        let unit_price = match line.unit_price.or(product.product.value.list_price) {
            Some(price) => price,
            None => {
                return Err(FormError::Bad(format!(
                    "line {}: {} has no list price: give one (PRODUCT:QUANTITY:UNIT_PRICE)",
                    index + 1,
                    line.product
                )));
            }
        };
        lines.push(DraftLine {
            product_id: product.product.value.erp_id,
            quantity: line.quantity,
            unit_price,
            discount: line.discount_percent.unwrap_or_default() / Decimal::ONE_HUNDRED,
        });
    }
    let draft = SaleDraft {
        kind,
        customer_id: customer.customer.value.erp_id,
        invoice_address_id: form.invoice_address.or_else(|| default_address(true)),
        shipment_address_id: form.shipment_address.or_else(|| default_address(false)),
        warehouse_id: warehouse,
        requested_date: form.requested_date,
        reference: form.reference.clone(),
        note: form.note.clone(),
        lines,
    };
    draft
        .validate(CURRENCY_DIGITS)
        .map_err(|error| FormError::Bad(error.to_string()))?;
    Ok(draft)
}

/// What the salesperson should know before the ERP answers, after this
/// draft and everything not yet sent: credit left and stock left to
/// promise (`notes`), and where they go below zero (`warnings`: the ERP has
/// the last word, so nothing is blocked).
#[derive(Debug, Default)]
pub struct Checks {
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn checks(store: &Store, draft: &SaleDraft, now: DateTime<Utc>) -> anyhow::Result<Checks> {
    let mut checks = Checks::default();
    let customer = store
        .customer(&draft.customer_id.to_string())?
        .context("the customer left the cache")?;
    let credit = customer.credit.as_ref().and_then(|credit| {
        credit
            .value
            .available()
            .map(|available| (credit, available))
    });
    if let Some((credit, available)) = credit {
        // The unsent total already includes this draft once it is saved.
        let unsent = store.unsent_sales_total(draft.customer_id, CURRENCY_DIGITS)?;
        let left = available - unsent;
        checks.notes.push(format!(
            "credit left after this: {} (available {} as of {}, minus {} not yet accepted by the ERP)",
            money(left, &credit.value.currency),
            money(available, &credit.value.currency),
            when(credit.synced_at, now),
            money(unsent, &credit.value.currency)
        ));
        if left < Decimal::ZERO {
            checks.warnings.push(format!(
                "over the credit limit by {}: available {} as of {}, minus {} of quotes and orders not yet accepted. The ERP decides.",
                money(-left, &credit.value.currency),
                money(available, &credit.value.currency),
                when(credit.synced_at, now),
                money(unsent, &credit.value.currency)
            ));
        }
    }
    if let Some(warehouse) = draft.warehouse_id {
        let products: std::collections::BTreeSet<ErpId> =
            draft.lines.iter().map(|line| line.product_id).collect();
        for product_id in products {
            let Some(product) = store.product(&product_id.to_string())? else {
                continue;
            };
            let Some(row) = product
                .stock
                .iter()
                .find(|row| row.warehouse_id == warehouse)
            else {
                continue;
            };
            let promised = store.unsent_quantity(product_id, warehouse)?;
            let left = row.level.forecast - promised;
            let code = product
                .product
                .value
                .code
                .as_deref()
                .unwrap_or(&product.product.value.name);
            checks.notes.push(format!(
                "{code}: {left} left to promise at {} after this (forecast {} as of {})",
                row.warehouse,
                row.level.forecast,
                row.synced_at
                    .map(|at| when(at, now))
                    .unwrap_or_else(|| "never synced".into()),
            ));
            if left < Decimal::ZERO {
                checks.warnings.push(format!(
                    "{}: {} more than available to promise at {} (forecast {} as of {}, minus {} on orders not yet accepted). The ERP decides.",
                    code,
                    -left,
                    row.warehouse,
                    row.level.forecast,
                    row.synced_at.map(|at| when(at, now)).unwrap_or_else(|| "never synced".into()),
                    promised
                ));
            }
        }
    }
    Ok(checks)
}

#[derive(Serialize)]
struct SavedJson<'a> {
    entry: i64,
    uuid: &'a str,
    kind: &'a str,
    estimated_total: Decimal,
    notes: &'a [String],
    warnings: &'a [String],
}

pub fn saved(
    entry: &OutboxEntry,
    draft: &SaleDraft,
    checks: &Checks,
    json: bool,
) -> anyhow::Result<()> {
    let kind = kind_name(draft.kind);
    let total = draft.estimated_total(CURRENCY_DIGITS);
    if json {
        return print_json(&SavedJson {
            entry: entry.seq,
            uuid: &entry.uuid,
            kind,
            estimated_total: total,
            notes: &checks.notes,
            warnings: &checks.warnings,
        });
    }
    println!(
        "Saved {kind} offline as outbox entry {} ({} lines, estimated total {total}); it goes to the ERP with the next `fieldbook sync`.",
        entry.seq,
        draft.lines.len()
    );
    for note in &checks.notes {
        println!("  {note}");
    }
    for warning in &checks.warnings {
        println!("Warning: {warning}");
    }
    Ok(())
}

fn kind_name(kind: SaleKind) -> &'static str {
    match kind {
        SaleKind::Quote => "quote",
        SaleKind::Order => "order",
    }
}

#[derive(Serialize)]
pub struct EntryJson {
    entry: i64,
    uuid: String,
    kind: &'static str,
    customer_id: Option<ErpId>,
    state: &'static str,
    attempts: u32,
    erp_message: Option<String>,
    warning: Option<String>,
    erp_id: Option<ErpId>,
    erp_number: Option<String>,
    estimated_total: Decimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    draft: SaleDraft,
}

fn entry_json(entry: &OutboxEntry) -> EntryJson {
    let EntryPayload::Sale(draft) = &entry.payload;
    EntryJson {
        entry: entry.seq,
        uuid: entry.uuid.clone(),
        kind: kind_name(draft.kind),
        customer_id: entry.customer_id,
        state: entry.state.name(),
        attempts: entry.attempts,
        erp_message: entry.erp_message.clone(),
        warning: entry.warning.as_ref().map(|warning| warning.text.clone()),
        erp_id: entry.erp_id,
        erp_number: entry.erp_number.clone(),
        estimated_total: draft.estimated_total(CURRENCY_DIGITS),
        created_at: entry.created_at,
        updated_at: entry.updated_at,
        draft: draft.clone(),
    }
}

pub fn outbox(
    store: &Store,
    entries: &[OutboxEntry],
    now: DateTime<Utc>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(&entries.iter().map(entry_json).collect::<Vec<_>>());
    }
    if entries.is_empty() {
        println!("The outbox is empty: everything written offline has reached the ERP.");
    }
    for entry in entries {
        println!("{}", line(store, entry, now)?);
    }
    Ok(())
}

pub fn entry(
    store: &Store,
    entry: &OutboxEntry,
    now: DateTime<Utc>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(&entry_json(entry));
    }
    let EntryPayload::Sale(draft) = &entry.payload;
    println!("{}", line(store, entry, now)?);
    println!("  uuid {}", entry.uuid);
    for (index, item) in draft.lines.iter().enumerate() {
        let product = store
            .product(&item.product_id.to_string())?
            .map(|view| view.product.value.code.unwrap_or(view.product.value.name))
            .unwrap_or_else(|| format!("product {} (no longer cached)", item.product_id));
        println!(
            "  line {}: {product} × {} at {} less {} % = {}",
            index + 1,
            item.quantity,
            item.unit_price,
            (item.discount * Decimal::ONE_HUNDRED).normalize(),
            item.amount(CURRENCY_DIGITS)
        );
    }
    if let Some(reference) = &draft.reference {
        println!("  customer reference {reference}");
    }
    if let Some(note) = &draft.note {
        println!("  note: {note}");
    }
    Ok(())
}

fn line(store: &Store, entry: &OutboxEntry, now: DateTime<Utc>) -> anyhow::Result<String> {
    let EntryPayload::Sale(draft) = &entry.payload;
    let customer = store
        .customer(&draft.customer_id.to_string())?
        .map(|view| view.customer.value.code.unwrap_or(view.customer.value.name))
        .unwrap_or_else(|| format!("customer {} (no longer cached)", draft.customer_id));
    let what = format!(
        "{:>4}  {} for {customer}, estimated {}",
        entry.seq,
        kind_name(draft.kind),
        draft.estimated_total(CURRENCY_DIGITS)
    );
    let state = match entry.state {
        EntryState::Done => format!(
            "accepted as {} (ERP id {})",
            entry.erp_number.as_deref().unwrap_or("-"),
            entry.erp_id.unwrap_or_default()
        ),
        EntryState::Rejected => match &entry.warning {
            Some(warning) => format!(
                "WARNING from the ERP: {} — to go ahead: `fieldbook outbox retry {}`",
                warning.text, entry.seq
            ),
            None => format!(
                "REFUSED by the ERP: {} — fix and `fieldbook outbox retry {}`, or `fieldbook outbox discard {}`",
                entry.erp_message.as_deref().unwrap_or("-"),
                entry.seq,
                entry.seq
            ),
        },
        EntryState::Pending => match &entry.erp_message {
            Some(message) => format!(
                "waiting to be sent ({} failed attempts; last: {message})",
                entry.attempts
            ),
            None => "waiting to be sent".into(),
        },
    };
    Ok(format!(
        "{what}, written {}: {state}",
        when(entry.created_at, now)
    ))
}
