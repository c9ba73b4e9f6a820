//! Writing offline: quotes and orders into the outbox, and the outbox
//! itself. The command line and a JSON file (`--from`) fill the same
//! [`SaleForm`]; it names customers, products and warehouses by code, and the
//! cache turns them into the ERP's ids.

use crate::output::{money, print_json, when};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use fieldbook_core::customers::{
    AddressDraft, Conflict, ContactDraft, CustomerDraft, CustomerEdit,
};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{DraftLine, ErpId, QuoteToOrder, SaleDraft, SaleKind, SaleRef};
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
    Cache(fieldbook_store::StoreError),
}

impl From<fieldbook_store::StoreError> for FormError {
    /// A change the cache refuses as given is bad input, said in the
    /// cache's words; any other cache error stays one.
    fn from(error: fieldbook_store::StoreError) -> FormError {
        if error.is_refused_change() {
            FormError::Bad(error.to_string())
        } else {
            FormError::Cache(error)
        }
    }
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
    let warehouse = match &form.warehouse {
        None => store.default_warehouse()?,
        Some(code) => Some(store.warehouse_id(code)?.ok_or_else(|| {
            FormError::NotFound(format!(
                "no warehouse with code {code:?}: see `fieldbook status`"
            ))
        })?),
    };
    let draft = SaleDraft {
        kind,
        customer_id: customer.customer.value.erp_id,
        invoice_address_id: form
            .invoice_address
            .or_else(|| customer.default_address(true)),
        shipment_address_id: form
            .shipment_address
            .or_else(|| customer.default_address(false)),
        warehouse_id: warehouse,
        requested_date: form.requested_date,
        reference: form.reference.clone(),
        note: form.note.clone(),
        lines: draft_lines(store, &form.lines)?,
    };
    draft
        .validate(CURRENCY_DIGITS)
        .map_err(|error| FormError::Bad(error.to_string()))?;
    Ok(draft)
}

/// What `quote edit` and `order edit` change: each field given replaces
/// the entry's; lines given replace all its lines.
#[derive(Debug, Default)]
pub struct Edits {
    pub lines: Vec<LineForm>,
    pub invoice_address: Option<ErpId>,
    pub shipment_address: Option<ErpId>,
    pub warehouse: Option<String>,
    pub requested_date: Option<NaiveDate>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
            && self.invoice_address.is_none()
            && self.shipment_address.is_none()
            && self.warehouse.is_none()
            && self.requested_date.is_none()
            && self.reference.is_none()
            && self.note.is_none()
    }
}

/// The draft of an entry with the salesperson's edits applied.
pub fn edited(store: &Store, old: &SaleDraft, edits: &Edits) -> Result<SaleDraft, FormError> {
    let mut draft = old.clone();
    if !edits.lines.is_empty() {
        draft.lines = draft_lines(store, &edits.lines)?;
    }
    if let Some(address) = edits.invoice_address {
        draft.invoice_address_id = Some(address);
    }
    if let Some(address) = edits.shipment_address {
        draft.shipment_address_id = Some(address);
    }
    if let Some(code) = &edits.warehouse {
        draft.warehouse_id = Some(store.warehouse_id(code)?.ok_or_else(|| {
            FormError::NotFound(format!(
                "no warehouse with code {code:?}: see `fieldbook status`"
            ))
        })?);
    }
    if let Some(date) = edits.requested_date {
        draft.requested_date = Some(date);
    }
    if let Some(reference) = &edits.reference {
        draft.reference = Some(reference.clone()).filter(|text| !text.is_empty());
    }
    if let Some(note) = &edits.note {
        draft.note = Some(note.clone()).filter(|text| !text.is_empty());
    }
    draft
        .validate(CURRENCY_DIGITS)
        .map_err(|error| FormError::Bad(error.to_string()))?;
    Ok(draft)
}

/// Lines as typed (product codes, optional prices and discounts) as a
/// draft holds them: the cached list price where no price was given.
fn draft_lines(store: &Store, forms: &[LineForm]) -> Result<Vec<DraftLine>, FormError> {
    let mut lines = Vec::new();
    for (index, line) in forms.iter().enumerate() {
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
    Ok(lines)
}

/// The quote `reference` names, as a change to send: an outbox entry
/// number (a quote written here) or, failing that, the ERP's number of a
/// synced quotation.
pub fn quote_to_order(store: &Store, reference: &str) -> Result<QuoteToOrder, FormError> {
    let reference = reference.trim();
    // "#5" is always outbox entry 5; "5" is entry 5 if that is a quote,
    // else the ERP's sale numbered 5 (Tryton numbers sales 1, 2, ...).
    let forced = reference.starts_with('#');
    let entry = reference
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .map(|seq| store.outbox_entry(seq))
        .transpose()?
        .flatten();
    if let Some(entry) = &entry
        && let EntryPayload::Sale(draft) = &entry.payload
        && draft.kind == SaleKind::Quote
    {
        return Ok(QuoteToOrder {
            sale: SaleRef::Entry(entry.uuid.clone()),
            customer_id: draft.customer_id,
            label: match &entry.erp_number {
                Some(number) => format!("quote {number}"),
                None => format!("the quote of outbox entry {}", entry.seq),
            },
            estimated_total: draft.estimated_total(CURRENCY_DIGITS),
        });
    }
    let order = match forced {
        true => None,
        false => store.order_by_number(reference)?,
    };
    let Some(order) = order else {
        return Err(match entry {
            Some(entry) => FormError::Bad(format!(
                "outbox entry {} is not a quote: `quote send` turns a quote into an order",
                entry.seq
            )),
            None => FormError::NotFound(format!(
                "no quote {reference:?}: give its outbox entry number (`fieldbook outbox list`) or the ERP's quotation number (`fieldbook customer CODE` lists them)"
            )),
        });
    };
    let order = order.value;
    match order.state.as_str() {
        "draft" | "quotation" => Ok(QuoteToOrder {
            sale: SaleRef::Erp(order.erp_id),
            customer_id: order.customer_id,
            label: format!("quote {reference}"),
            estimated_total: order.total,
        }),
        state => Err(FormError::Bad(format!(
            "{reference} is not a quote any more (the ERP has it as {state} as of the last sync)"
        ))),
    }
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
    credit_checks(store, draft.customer_id, now, &mut checks)?;
    stock_checks(store, draft, now, &mut checks)?;
    Ok(checks)
}

/// Credit left to the customer after everything not yet accepted.
fn credit_checks(
    store: &Store,
    customer_id: ErpId,
    now: DateTime<Utc>,
    checks: &mut Checks,
) -> anyhow::Result<()> {
    let customer = store
        .customer(&customer_id.to_string())?
        .context("the customer left the cache")?;
    let credit = customer.credit.as_ref().and_then(|credit| {
        credit
            .value
            .available()
            .map(|available| (credit, available))
    });
    if let Some((credit, available)) = credit {
        // The unsent total already includes this draft once it is saved.
        let unsent = store.unsent_sales_total(customer_id, CURRENCY_DIGITS)?;
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
    Ok(())
}

/// Stock left to promise in the draft's warehouse, product by product.
fn stock_checks(
    store: &Store,
    draft: &SaleDraft,
    now: DateTime<Utc>,
    checks: &mut Checks,
) -> anyhow::Result<()> {
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
    Ok(())
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

/// Says what `quote send` queued, with the credit (and for a quote written
/// here, the stock) it will take once the ERP confirms it.
pub fn quote_sent(
    store: &Store,
    entry: &OutboxEntry,
    change: &QuoteToOrder,
    now: DateTime<Utc>,
    json: bool,
) -> anyhow::Result<()> {
    let mut checks = Checks::default();
    credit_checks(store, change.customer_id, now, &mut checks)?;
    if let SaleRef::Entry(uuid) = &change.sale {
        let quote = store
            .outbox()?
            .into_iter()
            .find(|other| other.uuid == *uuid);
        if let Some(EntryPayload::Sale(draft)) = quote.map(|quote| quote.payload) {
            stock_checks(store, &draft, now, &mut checks)?;
        }
    }
    if json {
        return print_json(&SavedJson {
            entry: entry.seq,
            uuid: &entry.uuid,
            kind: "quote_to_order",
            estimated_total: change.estimated_total,
            notes: &checks.notes,
            warnings: &checks.warnings,
        });
    }
    println!(
        "Saved as outbox entry {}: {} becomes an order with the next `fieldbook sync`{}.",
        entry.seq,
        change.label,
        if entry.depends_on.is_some() {
            ", once the quote itself has reached the ERP"
        } else {
            ""
        }
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
    /// It may already be in the ERP: a request carried it and no answer
    /// settled it. Edit, retry and discard wait for a sync.
    in_flight: bool,
    erp_message: Option<String>,
    warning: Option<String>,
    erp_id: Option<ErpId>,
    erp_number: Option<String>,
    estimated_total: Decimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// A quote's or order's draft, as typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<SaleDraft>,
    /// For a quote to become an order: which quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_to_order: Option<QuoteToOrder>,
    /// A new customer, as typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_new: Option<CustomerDraft>,
    /// Changes to a customer, as typed (each with the value it replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_edit: Option<CustomerEdit>,
    /// An after-sales request, as typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<RequestDraft>,
    /// For an accepted customer edit: where the ERP's value stayed.
    conflicts: Vec<String>,
}

fn entry_json(entry: &OutboxEntry) -> EntryJson {
    let (mut draft, mut quote_to_order, mut customer_new, mut customer_edit, mut request) =
        (None, None, None, None, None);
    let (kind, estimated_total) = match &entry.payload {
        EntryPayload::Sale(sale) => {
            draft = Some(sale.clone());
            (kind_name(sale.kind), sale.estimated_total(CURRENCY_DIGITS))
        }
        EntryPayload::QuoteToOrder(change) => {
            quote_to_order = Some(change.clone());
            ("quote_to_order", change.estimated_total)
        }
        EntryPayload::NewCustomer(new) => {
            customer_new = Some(new.clone());
            ("customer_new", Decimal::ZERO)
        }
        EntryPayload::CustomerEdit(edit) => {
            customer_edit = Some(edit.clone());
            ("customer_edit", Decimal::ZERO)
        }
        EntryPayload::Request(draft) => {
            request = Some(draft.clone());
            ("request", Decimal::ZERO)
        }
    };
    EntryJson {
        entry: entry.seq,
        uuid: entry.uuid.clone(),
        kind,
        customer_id: entry.customer_id,
        state: entry.state.name(),
        attempts: entry.attempts,
        in_flight: entry.in_flight,
        erp_message: entry.erp_message.clone(),
        warning: entry.warning.as_ref().map(|warning| warning.text.clone()),
        erp_id: entry.erp_id,
        erp_number: entry.erp_number.clone(),
        estimated_total,
        created_at: entry.created_at,
        updated_at: entry.updated_at,
        draft,
        quote_to_order,
        customer_new,
        customer_edit,
        request,
        conflicts: entry.conflicts.iter().map(Conflict::describe).collect(),
    }
}

pub fn outbox(
    store: &Store,
    entries: &[OutboxEntry],
    now: DateTime<Utc>,
    json: bool,
) -> anyhow::Result<()> {
    let quarantined = store.quarantined()?;
    // The list of entries is a stable JSON shape; entries this build cannot
    // read, and discarded entries that may be in the ERP, are named on
    // stderr there, and listed here in text.
    let aside: Vec<String> = quarantined
        .iter()
        .map(|entry| {
            format!(
                "entry {} ({}): KEPT ASIDE, not sent: this Fieldbook cannot read it ({}); update Fieldbook, or `fieldbook outbox discard {}`",
                entry.seq, entry.kind, entry.reason, entry.seq
            )
        })
        .chain(
            store
                .discarded()?
                .iter()
                .map(|entry| crate::output::discarded_line(entry, now)),
        )
        .collect();
    if json {
        for text in &aside {
            eprintln!("warning: {text}");
        }
    }
    if json {
        return print_json(&entries.iter().map(entry_json).collect::<Vec<_>>());
    }
    if entries.is_empty() && aside.is_empty() {
        println!("The outbox is empty: everything written offline has reached the ERP.");
    }
    for entry in entries {
        println!("{}", line(store, entry, now)?);
    }
    for text in &aside {
        println!("{text}");
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
    println!("{}", line(store, entry, now)?);
    println!("  uuid {}", entry.uuid);
    if let Some(waits) = &entry.depends_on {
        println!("  waits for entry {waits} to reach the ERP first");
    }
    for conflict in &entry.conflicts {
        println!("  the ERP kept its own value: {}", conflict.describe());
    }
    let draft = match &entry.payload {
        EntryPayload::Sale(draft) => draft,
        EntryPayload::QuoteToOrder(change) => {
            println!("  turns {} into an order", change.label);
            return Ok(());
        }
        EntryPayload::NewCustomer(new) => {
            println!("  name: {}", new.name);
            print_added(&new.addresses, &new.contacts);
            return Ok(());
        }
        EntryPayload::CustomerEdit(edit) => {
            for change in &edit.fields {
                println!(
                    "  {}: {} → {}",
                    change.field.describe(),
                    change.base.as_deref().unwrap_or("(empty)"),
                    change.value.as_deref().unwrap_or("(empty)")
                );
            }
            print_added(&edit.new_addresses, &edit.new_contacts);
            return Ok(());
        }
        EntryPayload::Request(request) => {
            println!("  {}", request.description);
            return Ok(());
        }
    };
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

fn print_added(addresses: &[AddressDraft], contacts: &[ContactDraft]) {
    for address in addresses {
        let parts: Vec<&str> = [
            &address.street,
            &address.postal_code,
            &address.city,
            &address.country,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
        println!("  address: {}", parts.join(", "));
    }
    for contact in contacts {
        println!("  {}: {}", contact.kind, contact.value);
    }
}

fn line(store: &Store, entry: &OutboxEntry, now: DateTime<Utc>) -> anyhow::Result<String> {
    let customer_id = entry.customer_id.unwrap_or_default();
    let customer = store
        .customer(&customer_id.to_string())?
        .map(|view| view.customer.value.code.unwrap_or(view.customer.value.name))
        .unwrap_or_else(|| format!("customer {customer_id} (no longer cached)"));
    let what = match &entry.payload {
        EntryPayload::Sale(draft) => format!(
            "{:>4}  {} for {customer}, estimated {}",
            entry.seq,
            kind_name(draft.kind),
            draft.estimated_total(CURRENCY_DIGITS)
        ),
        EntryPayload::QuoteToOrder(change) => format!(
            "{:>4}  {} to become an order, for {customer}, {}",
            entry.seq, change.label, change.estimated_total
        ),
        EntryPayload::NewCustomer(new) => {
            format!("{:>4}  new customer {} ({customer})", entry.seq, new.name)
        }
        EntryPayload::CustomerEdit(edit) => format!(
            "{:>4}  changes to {customer} ({} fields, {} addresses and {} contacts added)",
            entry.seq,
            edit.fields.len(),
            edit.new_addresses.len(),
            edit.new_contacts.len()
        ),
        EntryPayload::Request(_) => format!("{:>4}  after-sales request for {customer}", entry.seq),
    };
    let state = match entry.state {
        EntryState::Done if !entry.conflicts.is_empty() => format!(
            "accepted; the ERP kept its own value where it had changed since your last sync: {}",
            entry
                .conflicts
                .iter()
                .map(Conflict::describe)
                .collect::<Vec<_>>()
                .join("; ")
        ),
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
            None => {
                let fix = match &entry.payload {
                    EntryPayload::Sale(draft) => format!(
                        "edit it (`fieldbook {} edit {}`, which queues it again) or clear the reason in the ERP and `fieldbook outbox retry {}`",
                        kind_name(draft.kind),
                        entry.seq,
                        entry.seq
                    ),
                    EntryPayload::QuoteToOrder(_)
                    | EntryPayload::NewCustomer(_)
                    | EntryPayload::CustomerEdit(_)
                    | EntryPayload::Request(_) => format!(
                        "clear the reason in the ERP and `fieldbook outbox retry {}`",
                        entry.seq
                    ),
                };
                format!(
                    "REFUSED by the ERP: {} — {fix}; or `fieldbook outbox discard {}`",
                    entry.erp_message.as_deref().unwrap_or("-"),
                    entry.seq
                )
            }
        },
        EntryState::Pending => {
            let waiting = if entry.in_flight {
                "may already be in the ERP (its last sending got no answer): the next `fieldbook sync` settles it"
            } else {
                "waiting to be sent"
            };
            match &entry.erp_message {
                Some(message) => format!(
                    "{waiting} ({} failed attempts; last: {message})",
                    entry.attempts
                ),
                None => waiting.into(),
            }
        }
    };
    Ok(format!(
        "{what}, written {}: {state}",
        when(entry.created_at, now)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is typed after `--line`, the answer is a line or a
        /// message naming what to write, never a panic.
        #[test]
        fn any_line_text_is_read_or_explained(text in ".{0,60}") {
            match LineForm::parse(&text) {
                Ok(line) => prop_assert!(!line.product.is_empty()),
                Err(FormError::Bad(message)) => prop_assert!(message.starts_with("--line")),
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }

        /// A line written the documented way reads back as written.
        #[test]
        fn a_well_formed_line_reads_back(
            product in "[A-Z][A-Z0-9-]{0,12}",
            quantity in 1u32..100_000,
            cents in proptest::option::of(0u64..10_000_000),
            discount in proptest::option::of(0u32..=100),
        ) {
            let price = cents.map(|cents| Decimal::new(cents as i64, 2));
            let mut text = format!("{product}:{quantity}");
            match (price, discount) {
                (Some(price), Some(discount)) => text += &format!(":{price}:{discount}"),
                (Some(price), None) => text += &format!(":{price}"),
                (None, Some(discount)) => text += &format!("::{discount}"),
                (None, None) => {}
            }
            let line = LineForm::parse(&text).unwrap();
            prop_assert_eq!(line.product, product);
            prop_assert_eq!(line.quantity, Decimal::from(quantity));
            prop_assert_eq!(line.unit_price, price);
            prop_assert_eq!(line.discount_percent, discount.map(Decimal::from));
        }
    }
}
