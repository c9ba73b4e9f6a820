//! Writing offline: quotes and orders into the outbox, and the outbox
//! itself. The command line and a JSON file (`--from`) fill the same
//! [`SaleForm`]; it names customers, products and warehouses by code, and the
//! cache turns them into the ERP's ids.

use crate::output::{money, print_json, when};
use chrono::{DateTime, NaiveDate, Utc};
use fieldbook_app::wire::{EntryChecks, SaleForm as Form};
use fieldbook_app::{App, AppError, wire};
use fieldbook_core::customers::{
    AddressDraft, Conflict, ContactDraft, CustomerDraft, CustomerEdit,
};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{ErpId, QuoteToOrder, SaleDraft, SaleKind};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_store::{EntryPayload, EntryState, OutboxEntry, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::str::FromStr;

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

impl LineForm {
    /// `PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]]`, as `--line` takes it.
    pub fn parse(text: &str) -> Result<LineForm, AppError> {
        let parts: Vec<&str> = text.split(':').collect();
        let number = |index: usize, what: &str| -> Result<Option<Decimal>, AppError> {
            match parts.get(index).map(|part| part.trim()).filter(|part| !part.is_empty()) {
                None => Ok(None),
                Some(part) => Decimal::from_str(part).map(Some).map_err(|_| {
                    AppError::invalid(format!(
                        "--line {text:?}: the {what} {part:?} is not a number (write PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]], e.g. P-TEA:10:168.00:5)"
                    ))
                }),
            }
        };
        if parts.len() < 2 || parts.len() > 4 || parts[0].trim().is_empty() {
            return Err(AppError::invalid(format!(
                "--line {text:?}: write PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]], e.g. P-TEA:10 or P-TEA:10:168.00:5"
            )));
        }
        Ok(LineForm {
            product: parts[0].trim().to_owned(),
            quantity: number(1, "quantity")?.ok_or_else(|| {
                AppError::invalid(format!("--line {text:?}: the quantity is missing"))
            })?,
            unit_price: number(2, "unit price")?,
            discount_percent: number(3, "discount")?,
        })
    }
}

/// Reads a `--from` file, with the place and the field of any mistake.
pub fn read_form(path: &Path) -> Result<SaleForm, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| AppError::invalid(format!("cannot read {}: {error}", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        AppError::invalid(format!(
            "{} is not a valid quote or order ({error}); see \"Writing offline\" in the README for its shape",
            path.display()
        ))
    })
}

/// The form as the application layer takes it: codes looked up in the
/// cache. The application layer fills in the defaults and checks the rest.
pub fn wire_form(app: &App, kind: SaleKind, form: &SaleForm) -> Result<Form, AppError> {
    Ok(Form {
        kind: kind_name(kind).to_owned(),
        customer_id: app.customer_id(&form.customer)?,
        lines: wire_lines(app, &form.lines)?,
        invoice_address_id: form.invoice_address,
        shipment_address_id: form.shipment_address,
        warehouse_id: form
            .warehouse
            .as_deref()
            .map(|code| app.warehouse_id(code))
            .transpose()?,
        requested_date: form.requested_date,
        reference: form.reference.clone(),
        note: form.note.clone(),
    })
}

fn wire_lines(app: &App, lines: &[LineForm]) -> Result<Vec<wire::LineForm>, AppError> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let product_id = app.product_id(&line.product).map_err(|mut error| {
                error.message = format!("line {}: {}", index + 1, error.message);
                error
            })?;
            Ok(wire::LineForm {
                product_id,
                quantity: line.quantity.to_string(),
                unit_price: line.unit_price.map(|price| price.to_string()),
                discount_percent: line.discount_percent.map(|percent| percent.to_string()),
            })
        })
        .collect()
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

    /// The entry's form with these edits in it ("" clears the reference or
    /// the note).
    pub fn apply(&self, app: &App, mut form: Form) -> Result<Form, AppError> {
        if !self.lines.is_empty() {
            form.lines = wire_lines(app, &self.lines)?;
        }
        if let Some(address) = self.invoice_address {
            form.invoice_address_id = Some(address);
        }
        if let Some(address) = self.shipment_address {
            form.shipment_address_id = Some(address);
        }
        if let Some(code) = &self.warehouse {
            form.warehouse_id = Some(app.warehouse_id(code)?);
        }
        if let Some(date) = self.requested_date {
            form.requested_date = Some(date);
        }
        if let Some(reference) = &self.reference {
            form.reference = Some(reference.clone());
        }
        if let Some(note) = &self.note {
            form.note = Some(note.clone());
        }
        Ok(form)
    }
}

/// What the salesperson should know before the ERP answers, after this
/// entry and everything not yet sent: credit left and stock left to
/// promise (`notes`), and where they go below zero (`warnings`: the ERP has
/// the last word, so nothing is blocked).
#[derive(Debug, Default)]
pub struct Checks {
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

impl Checks {
    /// The application layer's checks, in words.
    pub fn say(checks: &EntryChecks, now: DateTime<Utc>) -> Checks {
        let mut said = Checks::default();
        if let Some(credit) = &checks.credit {
            let currency = &credit.currency;
            // Everything not yet accepted, this entry included.
            let unsent = credit.unsent + credit.this_draft;
            said.notes.push(format!(
                "credit left after this: {} (available {} as of {}, minus {} not yet accepted by the ERP)",
                money(credit.left, currency),
                money(credit.available, currency),
                when(credit.synced_at, now),
                money(unsent, currency)
            ));
            if credit.over {
                said.warnings.push(format!(
                    "over the credit limit by {}: available {} as of {}, minus {} of quotes and orders not yet accepted. The ERP decides.",
                    money(-credit.left, currency),
                    money(credit.available, currency),
                    when(credit.synced_at, now),
                    money(unsent, currency)
                ));
            }
        }
        for row in &checks.stock {
            let code = row.code.as_deref().unwrap_or(&row.name);
            let as_of = row
                .synced_at
                .map(|at| when(at, now))
                .unwrap_or_else(|| "never synced".into());
            said.notes.push(format!(
                "{code}: {} left to promise at {} after this (forecast {} as of {as_of})",
                row.left, row.warehouse, row.forecast,
            ));
            if row.over {
                said.warnings.push(format!(
                    "{code}: {} more than available to promise at {} (forecast {} as of {as_of}, minus {} on orders not yet accepted). The ERP decides.",
                    -row.left,
                    row.warehouse,
                    row.forecast,
                    row.unsent + row.this_draft
                ));
            }
        }
        said
    }
}

#[derive(Serialize)]
struct SavedJson<'a> {
    entry: i64,
    uuid: &'a str,
    kind: &'a str,
    estimated_total: Decimal,
    notes: &'a [String],
    warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing: Option<PricingJson<'a>>,
}

/// How the laptop priced a quote or order, as `--json` gives it.
#[derive(Serialize)]
struct PricingJson<'a> {
    /// The price list the sale is on (`null`: list prices).
    price_list: Option<&'a str>,
    /// Lines only the ERP can price (they are not in the estimated total).
    unpriced_lines: usize,
    promotions: &'a [wire::PromotionPreview],
    lines: Vec<PricedLineJson<'a>>,
}

#[derive(Serialize)]
struct PricedLineJson<'a> {
    line: usize,
    product_id: ErpId,
    /// Before discount and promotions.
    price: Option<Decimal>,
    /// Where the price comes from, in words.
    source: Option<&'a str>,
    promotion: Option<&'a str>,
    /// What the ERP will charge per unit, when known here.
    unit_price: Option<Decimal>,
    amount: Option<Decimal>,
    /// Why only the ERP can price it.
    unknown: Option<&'a str>,
}

/// How each line was priced, in words: its price and where it comes from,
/// the promotions and what they take off, and where a promotion will
/// replace a typed price (`warnings`).
pub fn say_pricing(preview: &wire::SalePreview, checks: &mut Checks) {
    let currency = preview.currency.as_deref().unwrap_or("");
    let mut notes = vec![match &preview.price_list {
        Some(list) => format!("priced from the price list {list}"),
        None => "priced at list prices (no price list)".into(),
    }];
    for (index, line) in preview.lines.iter().enumerate() {
        let name = line.code.as_deref().unwrap_or(&line.name);
        let number = index + 1;
        match (&line.price, &line.source, &line.unknown) {
            (_, _, Some(why)) => notes.push(format!(
                "line {number} ({name}): price not known offline: {}",
                why.message
            )),
            (Some(price), Some(source), None) => {
                let mut note = format!("line {number} ({name}): {price} ({})", source.words);
                if let Some(promotion) = &line.promotion {
                    note.push_str(&format!(
                        "; promotion {}: {} each",
                        promotion.name, promotion.unit_price
                    ));
                }
                notes.push(note);
            }
            _ => {}
        }
        if let (true, Some(promotion)) = (line.typed_price_replaced, &line.promotion) {
            checks.warnings.push(format!(
                "line {number} ({name}): the promotion {} replaces the typed price {} with {} when the ERP records the sale",
                promotion.name, promotion.before, promotion.unit_price
            ));
        }
    }
    for promotion in &preview.promotions {
        notes.push(format!(
            "promotion {} takes off {}",
            promotion.name,
            money(promotion.takes_off, currency)
        ));
    }
    if preview.unpriced_lines > 0 {
        notes.push(format!(
            "{} line(s) priced by the ERP are not in the estimated total",
            preview.unpriced_lines
        ));
    }
    notes.append(&mut checks.notes);
    checks.notes = notes;
}

pub fn saved(
    entry: &OutboxEntry,
    draft: &SaleDraft,
    preview: &wire::SalePreview,
    checks: &Checks,
    currency_digits: u32,
    json: bool,
) -> anyhow::Result<()> {
    let kind = kind_name(draft.kind);
    let total = draft.estimated_total(currency_digits);
    if json {
        return print_json(&SavedJson {
            entry: entry.seq,
            uuid: &entry.uuid,
            kind,
            estimated_total: total,
            notes: &checks.notes,
            warnings: &checks.warnings,
            pricing: Some(PricingJson {
                price_list: preview.price_list.as_deref(),
                unpriced_lines: preview.unpriced_lines,
                promotions: &preview.promotions,
                lines: preview
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(index, line)| PricedLineJson {
                        line: index + 1,
                        product_id: line.product_id,
                        price: line.price,
                        source: line.source.as_ref().map(|source| source.words.as_str()),
                        promotion: line
                            .promotion
                            .as_ref()
                            .map(|promotion| promotion.name.as_str()),
                        unit_price: line.unit_price,
                        amount: line.amount,
                        unknown: line.unknown.as_ref().map(|why| why.message.as_str()),
                    })
                    .collect(),
            }),
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
    entry: &OutboxEntry,
    change: &QuoteToOrder,
    checks: &Checks,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(&SavedJson {
            entry: entry.seq,
            uuid: &entry.uuid,
            kind: "quote_to_order",
            estimated_total: change.estimated_total,
            notes: &checks.notes,
            warnings: &checks.warnings,
            pricing: None,
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
    /// For an accepted quote or order: where the ERP's prices are not the
    /// ones this laptop showed.
    price_differences: Vec<fieldbook_core::PriceDifference>,
}

fn entry_json(entry: &OutboxEntry, currency_digits: u32) -> EntryJson {
    let (mut draft, mut quote_to_order, mut customer_new, mut customer_edit, mut request) =
        (None, None, None, None, None);
    let (kind, estimated_total) = match &entry.payload {
        EntryPayload::Sale(sale) => {
            draft = Some(sale.clone());
            (kind_name(sale.kind), sale.estimated_total(currency_digits))
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
        price_differences: entry.price_differences.clone(),
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
        let digits = store.currency_digits()?;
        return print_json(
            &entries
                .iter()
                .map(|entry| entry_json(entry, digits))
                .collect::<Vec<_>>(),
        );
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
        return print_json(&entry_json(entry, store.currency_digits()?));
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
    let digits = store.currency_digits()?;
    for (index, item) in draft.lines.iter().enumerate() {
        let product = product_label(store, item.product_id)?;
        let price = match item.unit_price {
            Some(price) if item.price_typed => format!("at {price} (typed)"),
            Some(price) => format!("at {price} (from the price list)"),
            None => "at the ERP's price (not known offline)".into(),
        };
        let amount = item
            .amount(digits)
            .map_or_else(|| "set by the ERP".into(), |amount| amount.to_string());
        println!(
            "  line {}: {product} × {} {price} less {} % = {amount}",
            index + 1,
            item.quantity,
            (item.discount * Decimal::ONE_HUNDRED).normalize(),
        );
        if let (Some(promotion), Some(price)) = (&item.promotion, item.expected_price) {
            println!("    promotion {promotion}: {price} each");
        }
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

/// A product as the salesperson names it: its code, else its name.
fn product_label(store: &Store, product_id: ErpId) -> anyhow::Result<String> {
    Ok(store
        .product(ProductRef::Id(product_id))?
        .map(|view| view.product.value.code.unwrap_or(view.product.value.name))
        .unwrap_or_else(|| format!("product {product_id} (no longer cached)")))
}

/// Where the ERP's prices differ from the laptop's, in words, products by
/// their codes.
fn price_differences(store: &Store, entry: &OutboxEntry) -> anyhow::Result<Vec<String>> {
    let mut labels = std::collections::BTreeMap::new();
    for difference in &entry.price_differences {
        if let fieldbook_core::PriceDifference::Line { product_id, .. } = difference {
            labels.insert(*product_id, product_label(store, *product_id)?);
        }
    }
    let label = |id: ErpId| labels.get(&id).cloned().unwrap_or_default();
    Ok(entry
        .price_differences
        .iter()
        .map(|difference| difference.describe(&label))
        .collect())
}

fn line(store: &Store, entry: &OutboxEntry, now: DateTime<Utc>) -> anyhow::Result<String> {
    let customer_id = entry.customer_id.unwrap_or_default();
    let customer = store
        .customer(CustomerRef::Id(customer_id))?
        .map(|view| view.customer.value.code.unwrap_or(view.customer.value.name))
        .unwrap_or_else(|| format!("customer {customer_id} (no longer cached)"));
    let what = match &entry.payload {
        EntryPayload::Sale(draft) => format!(
            "{:>4}  {} for {customer}, estimated {}",
            entry.seq,
            kind_name(draft.kind),
            draft.estimated_total(store.currency_digits()?)
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
        EntryState::Done if !entry.price_differences.is_empty() => format!(
            "accepted as {} (ERP id {}) AT OTHER PRICES than this laptop showed: {}",
            entry.erp_number.as_deref().unwrap_or("-"),
            entry.erp_id.unwrap_or_default(),
            price_differences(store, entry)?.join("; ")
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
                Err(error) => prop_assert!(error.message.starts_with("--line"), "{error}"),
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
