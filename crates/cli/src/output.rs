//! What the CLI prints. The `--json` shapes below are a stable interface:
//! fields are added, never renamed or removed. Money and quantities are
//! decimal strings (never floats), times RFC 3339 UTC, dates YYYY-MM-DD.
//! Every figure carries `synced_at` (when the laptop received it from the
//! ERP) so a reader can tell how old it is.

use chrono::{DateTime, Local, NaiveDate, Utc};
use fieldbook_core::{Created, Entity, SyncPart, age_between};
use fieldbook_store::{CustomerView, DiscardedEntry, NotReadable, ProductView, SearchHit, Status};
use fieldbook_sync::{Progress, PushReport, SyncReport};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct StatusJson {
    erp: Option<ErpJson>,
    schema_version: i64,
    entities: Vec<EntityJson>,
    stock_refresh_pending: u64,
    credit_refresh_pending: u64,
    /// Parts of the sync the ERP user may not read.
    not_readable: Vec<NotReadableJson>,
}

/// A part of the sync the ERP user may not read (`status --json`,
/// `sync --json`).
#[derive(Serialize)]
struct NotReadableJson {
    /// `invoices`, `payments`, `credit_moves`, ... (every entity name, and
    /// `stock_moves`, `credit_moves`, `stock`, `credit`).
    part: &'static str,
    detail: String,
    since: DateTime<Utc>,
    tried_at: DateTime<Utc>,
}

impl NotReadableJson {
    fn new(refused: &NotReadable) -> NotReadableJson {
        NotReadableJson {
            part: refused.part.name(),
            detail: refused.detail.clone(),
            since: refused.since,
            tried_at: refused.tried_at,
        }
    }
}

/// What a part the ERP user may not read means, in words.
fn part_words(part: SyncPart) -> String {
    match part {
        SyncPart::Records(entity) => label(entity).replace('_', " "),
        SyncPart::StockMoves => "stock moves (which products' stock changed)".into(),
        SyncPart::CreditMoves => "receivable lines (which customers' balance changed)".into(),
        SyncPart::Stock => "stock levels".into(),
        SyncPart::Credit => "credit figures".into(),
    }
}

/// One line per part the ERP user may not read.
fn not_readable_lines(refused: &[NotReadable], now: DateTime<Utc>) -> Vec<String> {
    refused
        .iter()
        .map(|refused| {
            format!(
                "Not readable since {}, {}: {}. The rest syncs; Fieldbook asks again every hour.",
                when(refused.since, now),
                part_words(refused.part),
                refused.detail
            )
        })
        .collect()
}

#[derive(Serialize)]
struct ErpJson {
    url: String,
    database: String,
    login: String,
}

#[derive(Serialize)]
struct EntityJson {
    entity: &'static str,
    records: u64,
    last_complete_sync: Option<DateTime<Utc>>,
    interrupted: bool,
}

pub fn status(status: &Status, now: DateTime<Utc>, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&StatusJson {
            erp: status.erp.as_ref().map(|erp| ErpJson {
                url: erp.url.clone(),
                database: erp.database.clone(),
                login: erp.login.clone(),
            }),
            schema_version: status.schema_version,
            entities: status
                .entities
                .iter()
                .map(|e| EntityJson {
                    entity: e.entity.name(),
                    records: e.records,
                    last_complete_sync: e.last_complete_sync,
                    interrupted: e.interrupted,
                })
                .collect(),
            stock_refresh_pending: status.stock_refresh_pending,
            credit_refresh_pending: status.credit_refresh_pending,
            not_readable: status
                .not_readable
                .iter()
                .map(NotReadableJson::new)
                .collect(),
        });
    }
    match &status.erp {
        Some(erp) => println!(
            "ERP: {} database {} as {}",
            erp.url, erp.database, erp.login
        ),
        None => println!("ERP: not set"),
    }
    let mut rows = Vec::new();
    for entity in &status.entities {
        let refused = status
            .not_readable
            .iter()
            .any(|r| r.part == SyncPart::Records(entity.entity));
        let synced = match entity.last_complete_sync {
            _ if refused => "not readable by your ERP user (see below)".to_string(),
            Some(time) => format!("synced {}", when(time, now)),
            None => "never synced completely".to_string(),
        };
        let interrupted = if entity.interrupted && !refused {
            " (a sync was interrupted; `fieldbook sync` resumes it)"
        } else {
            ""
        };
        rows.push(vec![
            label(entity.entity).to_owned(),
            entity.records.to_string(),
            format!("{synced}{interrupted}"),
        ]);
    }
    print_columns("", rows, &[1]);
    if status.stock_refresh_pending + status.credit_refresh_pending > 0 {
        println!(
            "waiting for refresh: stock of {} products, credit of {} customers (`fieldbook sync`)",
            status.stock_refresh_pending, status.credit_refresh_pending
        );
    }
    for line in not_readable_lines(&status.not_readable, now) {
        println!("{line}");
    }
    Ok(())
}

#[derive(Serialize)]
struct HitJson<'a> {
    kind: &'static str,
    erp_id: i64,
    code: Option<&'a str>,
    name: &'a str,
}

pub fn search(hits: &[SearchHit], json: bool) -> anyhow::Result<()> {
    if json {
        let hits: Vec<_> = hits
            .iter()
            .map(|hit| HitJson {
                kind: hit.kind.name(),
                erp_id: hit.erp_id,
                code: hit.code.as_deref(),
                name: &hit.name,
            })
            .collect();
        return print_json(&hits);
    }
    if hits.is_empty() {
        println!("Nothing found.");
    }
    let rows = hits
        .iter()
        .map(|hit| {
            vec![
                hit.kind.name().to_owned(),
                hit.code.as_deref().unwrap_or("-").to_owned(),
                hit.name.clone(),
            ]
        })
        .collect();
    print_columns("", rows, &[]);
    Ok(())
}

#[derive(Serialize)]
struct CustomerJson<'a> {
    erp_id: i64,
    code: Option<&'a str>,
    name: &'a str,
    tax_id: Option<&'a str>,
    synced_at: DateTime<Utc>,
    addresses: Vec<AddressJson<'a>>,
    contacts: Vec<ContactJson<'a>>,
    credit: Option<CreditJson>,
    open_invoices: Vec<InvoiceJson<'a>>,
    recent_orders: Vec<OrderJson<'a>>,
    recent_payments: Vec<PaymentJson<'a>>,
    requests: Vec<RequestJson<'a>>,
}

#[derive(Serialize)]
struct RequestJson<'a> {
    /// Negative while the request waits in the outbox.
    erp_id: i64,
    number: Option<&'a str>,
    date: Option<NaiveDate>,
    state: &'a str,
    /// Whether the ERP has it yet.
    sent: bool,
    kind: Option<&'a str>,
    description: Option<&'a str>,
    order_id: Option<i64>,
    invoice_id: Option<i64>,
    synced_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct AddressJson<'a> {
    erp_id: i64,
    text: String,
    street: Option<&'a str>,
    postal_code: Option<&'a str>,
    city: Option<&'a str>,
    subdivision: Option<&'a str>,
    country: Option<&'a str>,
    invoice: bool,
    delivery: bool,
}

#[derive(Serialize)]
struct ContactJson<'a> {
    erp_id: i64,
    kind: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct CreditJson {
    currency: String,
    limit: Option<Decimal>,
    used: Decimal,
    available: Option<Decimal>,
    receivable: Decimal,
    synced_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct InvoiceJson<'a> {
    erp_id: i64,
    number: Option<&'a str>,
    invoice_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    overdue: bool,
    currency: &'a str,
    total: Decimal,
    amount_to_pay: Decimal,
    synced_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct OrderJson<'a> {
    erp_id: i64,
    number: Option<&'a str>,
    state: &'a str,
    order_date: Option<NaiveDate>,
    currency: &'a str,
    total: Decimal,
    lines: u64,
    synced_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct PaymentJson<'a> {
    erp_id: i64,
    date: NaiveDate,
    currency: &'a str,
    amount: Decimal,
    description: Option<&'a str>,
    synced_at: DateTime<Utc>,
}

pub fn customer(view: &CustomerView, now: DateTime<Utc>, json: bool) -> anyhow::Result<()> {
    let today = now.with_timezone(&Local).date_naive();
    let customer = &view.customer.value;
    if json {
        return print_json(&CustomerJson {
            erp_id: customer.erp_id,
            code: customer.code.as_deref(),
            name: &customer.name,
            tax_id: customer.tax_id.as_deref(),
            synced_at: view.customer.synced_at,
            addresses: view
                .addresses
                .iter()
                .map(|a| AddressJson {
                    erp_id: a.erp_id,
                    text: a.one_line(),
                    street: a.street.as_deref(),
                    postal_code: a.postal_code.as_deref(),
                    city: a.city.as_deref(),
                    subdivision: a.subdivision.as_deref(),
                    country: a.country.as_deref(),
                    invoice: a.invoice,
                    delivery: a.delivery,
                })
                .collect(),
            contacts: view
                .contacts
                .iter()
                .map(|c| ContactJson {
                    erp_id: c.erp_id,
                    kind: &c.kind,
                    value: &c.value,
                })
                .collect(),
            credit: view.credit.as_ref().map(|credit| CreditJson {
                currency: credit.value.currency.clone(),
                limit: credit.value.limit,
                used: credit.value.used,
                available: credit.value.available(),
                receivable: credit.value.receivable,
                synced_at: credit.synced_at,
            }),
            open_invoices: view
                .open_invoices
                .iter()
                .map(|i| InvoiceJson {
                    erp_id: i.value.erp_id,
                    number: i.value.number.as_deref(),
                    invoice_date: i.value.invoice_date,
                    due_date: i.value.due_date,
                    overdue: i.value.is_overdue(today),
                    currency: &i.value.currency,
                    total: i.value.total,
                    amount_to_pay: i.value.amount_to_pay,
                    synced_at: i.synced_at,
                })
                .collect(),
            recent_orders: view
                .recent_orders
                .iter()
                .map(|o| OrderJson {
                    erp_id: o.value.erp_id,
                    number: o.value.number.as_deref(),
                    state: o.value.state.name(),
                    order_date: o.value.order_date,
                    currency: &o.value.currency,
                    total: o.value.total,
                    lines: o.value.line_count,
                    synced_at: o.synced_at,
                })
                .collect(),
            recent_payments: view
                .recent_payments
                .iter()
                .map(|p| PaymentJson {
                    erp_id: p.value.erp_id,
                    date: p.value.date,
                    currency: &p.value.currency,
                    amount: p.value.amount,
                    description: p.value.description.as_deref(),
                    synced_at: p.synced_at,
                })
                .collect(),
            requests: view
                .requests
                .iter()
                .map(|r| RequestJson {
                    erp_id: r.value.erp_id,
                    number: r.value.number.as_deref(),
                    date: r.value.date,
                    state: r.value.state.name(),
                    sent: r.value.erp_id > 0,
                    kind: r.value.kind.as_deref(),
                    description: r.value.description.as_deref(),
                    order_id: r.value.order_id,
                    invoice_id: r.value.invoice_id,
                    synced_at: r.synced_at,
                })
                .collect(),
        });
    }
    println!(
        "{}  [{}]",
        customer.name,
        customer.code.as_deref().unwrap_or("no code")
    );
    if let Some(tax_id) = &customer.tax_id {
        println!("Tax id: {tax_id}");
    }
    println!("Record synced {}", when(view.customer.synced_at, now));
    if !view.addresses.is_empty() {
        println!("\nAddresses");
        for address in &view.addresses {
            let mut uses = Vec::new();
            if address.invoice {
                uses.push("invoice");
            }
            if address.delivery {
                uses.push("delivery");
            }
            let uses = if uses.is_empty() {
                String::new()
            } else {
                format!("  ({})", uses.join(", "))
            };
            println!("  {}{uses}  [id {}]", address.one_line(), address.erp_id);
        }
    }
    if !view.contacts.is_empty() {
        println!("\nContacts");
        let rows = view
            .contacts
            .iter()
            .map(|contact| {
                vec![
                    contact.kind.to_string(),
                    contact.value.clone(),
                    format!("[id {}]", contact.erp_id),
                ]
            })
            .collect();
        print_columns("  ", rows, &[]);
    }
    println!();
    match &view.credit {
        Some(credit) => {
            let c = &credit.value;
            println!("Credit as of {}", when(credit.synced_at, now));
            match (c.limit, c.available()) {
                (Some(limit), Some(available)) => {
                    println!("  limit      {}", money(limit, &c.currency));
                    println!("  used       {}", money(c.used, &c.currency));
                    let over = if available < Decimal::ZERO {
                        "  OVER THE LIMIT"
                    } else {
                        ""
                    };
                    println!("  available  {}{over}", money(available, &c.currency));
                }
                _ => {
                    println!("  no credit limit");
                    println!("  used       {}", money(c.used, &c.currency));
                }
            }
            println!("  receivable {}", money(c.receivable, &c.currency));
        }
        None => println!("Credit: not fetched yet (`fieldbook sync`)"),
    }
    if let Some(first) = view.open_invoices.first() {
        println!("\nOpen invoices as of {}", when(first.synced_at, now));
        let rows = view
            .open_invoices
            .iter()
            .map(|invoice| {
                let i = &invoice.value;
                let due = i
                    .due_date
                    .map_or("no due date".to_string(), |date| format!("due {date}"));
                vec![
                    i.number.as_deref().unwrap_or("-").to_owned(),
                    due,
                    format!("to pay {}", money(i.amount_to_pay, &i.currency)),
                    format!("of {}", money(i.total, &i.currency)),
                    if i.is_overdue(today) { "OVERDUE" } else { "" }.to_owned(),
                ]
            })
            .collect();
        print_columns("  ", rows, &[]);
    } else {
        println!("\nNo open invoices.");
    }
    if let Some(first) = view.recent_orders.first() {
        println!("\nRecent orders as of {}", when(first.synced_at, now));
        let rows = view
            .recent_orders
            .iter()
            .map(|order| {
                let o = &order.value;
                vec![
                    o.number.as_deref().unwrap_or("(no number)").to_owned(),
                    o.order_date
                        .map_or("-".to_string(), |date| date.to_string()),
                    o.state.to_string(),
                    format!("{} lines", o.line_count),
                    money(o.total, &o.currency),
                ]
            })
            .collect();
        print_columns("  ", rows, &[3, 4]);
    }
    if let Some(first) = view.recent_payments.first() {
        println!("\nRecent payments as of {}", when(first.synced_at, now));
        let rows = view
            .recent_payments
            .iter()
            .map(|payment| {
                let p = &payment.value;
                vec![
                    p.date.to_string(),
                    money(p.amount, &p.currency),
                    p.description.as_deref().unwrap_or("").to_owned(),
                ]
            })
            .collect();
        print_columns("  ", rows, &[1]);
    }
    if !view.requests.is_empty() {
        println!("\nAfter-sales requests");
        let rows = view
            .requests
            .iter()
            .map(|request| {
                let r = &request.value;
                let state = if r.erp_id < 0 {
                    "written offline, not sent yet".to_string()
                } else {
                    format!("{} as of {}", r.state, when(request.synced_at, now))
                };
                vec![
                    r.number.as_deref().unwrap_or("-").to_owned(),
                    r.date.map_or("-".to_string(), |date| date.to_string()),
                    format!("{state}:"),
                    r.description
                        .as_deref()
                        .unwrap_or("")
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                ]
            })
            .collect();
        print_columns("  ", rows, &[]);
    }
    Ok(())
}

#[derive(Serialize)]
struct ProductJson<'a> {
    erp_id: i64,
    code: Option<&'a str>,
    name: &'a str,
    description: Option<&'a str>,
    unit: &'a str,
    list_price: Option<Decimal>,
    salable: bool,
    synced_at: DateTime<Utc>,
    stock: Vec<StockJson<'a>>,
}

#[derive(Serialize)]
struct StockJson<'a> {
    warehouse_id: i64,
    warehouse: &'a str,
    on_hand: Decimal,
    forecast: Decimal,
    synced_at: Option<DateTime<Utc>>,
}

pub fn product(view: &ProductView, now: DateTime<Utc>, json: bool) -> anyhow::Result<()> {
    let p = &view.product.value;
    if json {
        return print_json(&ProductJson {
            erp_id: p.erp_id,
            code: p.code.as_deref(),
            name: &p.name,
            description: p.description.as_deref(),
            unit: &p.unit,
            list_price: p.list_price,
            salable: p.salable,
            synced_at: view.product.synced_at,
            stock: view
                .stock
                .iter()
                .map(|row| StockJson {
                    warehouse_id: row.warehouse_id,
                    warehouse: &row.warehouse,
                    on_hand: row.level.on_hand,
                    forecast: row.level.forecast,
                    synced_at: row.synced_at,
                })
                .collect(),
        });
    }
    println!("{}  [{}]", p.name, p.code.as_deref().unwrap_or("no code"));
    if let Some(description) = &p.description {
        println!("{description}");
    }
    let price = p.list_price.map_or("no list price".to_string(), |price| {
        format!("{} per {}", price.normalize(), p.unit)
    });
    println!(
        "List price {price}  (as of {})",
        when(view.product.synced_at, now)
    );
    if !p.salable {
        println!("Not for sale.");
    }
    println!("\nStock");
    let mut rows = vec![vec![
        String::new(),
        "on hand".to_owned(),
        "forecast".to_owned(),
        String::new(),
    ]];
    rows.extend(view.stock.iter().map(|row| {
        let age = row.synced_at.map_or("not fetched yet".to_string(), |time| {
            format!("as of {}", when(time, now))
        });
        vec![
            row.warehouse.clone(),
            row.level.on_hand.normalize().to_string(),
            row.level.forecast.normalize().to_string(),
            age,
        ]
    }));
    print_columns("  ", rows, &[1, 2]);
    Ok(())
}

pub fn progress(event: &Progress) {
    match event {
        Progress::Pulling {
            entity,
            done,
            total: Some(total),
        } => {
            eprintln!("{:<12} {done}/{total}", label(*entity))
        }
        Progress::Pulling {
            entity,
            done,
            total: None,
        } => eprintln!("{:<12} {done} changed", label(*entity)),
        Progress::Removed { entity, count } => eprintln!(
            "{:<12} {count} removed (deleted in the ERP)",
            label(*entity)
        ),
        Progress::Refreshing {
            figure,
            done,
            total,
        } => eprintln!("{figure:<12?} {done}/{total} refreshed"),
        Progress::Sending { done, total } => {
            eprintln!("{:<12} {done}/{total} answered by the ERP", "outbox")
        }
    }
}

#[derive(Serialize)]
struct SyncJson {
    /// Outbox entries the ERP accepted in this sync.
    sent: Vec<SentJson>,
    /// Customer changes the ERP took in this sync.
    customers: Vec<CustomerSentJson>,
    /// After-sales requests the ERP filed in this sync.
    filed: Vec<RequestSentJson>,
    /// Outbox entries the ERP refused or warned about, with its words.
    refused: Vec<RefusedJson>,
    /// Entries the ERP user lacks the right to send, with why: they wait
    /// (the exit code is then 7).
    not_permitted: Vec<RefusedJson>,
    /// Entries discarded here that the ERP holds all the same.
    discarded_in_erp: Vec<DiscardedJson>,
    pulled: BTreeMap<&'static str, u64>,
    removed: BTreeMap<&'static str, u64>,
    stock_refreshed: u64,
    credit_refreshed: u64,
    /// Parts of the sync the ERP user may not read: skipped, the rest
    /// synced (the exit code is then 7).
    not_readable: Vec<NotReadableJson>,
    requests: u64,
}

/// A discarded entry the ERP holds (`fieldbook sync --json`).
#[derive(Serialize)]
pub(crate) struct DiscardedJson {
    entry: i64,
    uuid: String,
    /// `sale`, `customer` or `request`.
    kind: &'static str,
    customer: String,
    discarded_at: DateTime<Utc>,
    /// What the ERP holds under the entry's uuid; `null` until a sync has
    /// looked it up.
    erp_id: Option<i64>,
    number: Option<String>,
    state: Option<String>,
    checked_at: Option<DateTime<Utc>>,
}

impl DiscardedJson {
    pub(crate) fn new(entry: &DiscardedEntry) -> DiscardedJson {
        DiscardedJson {
            entry: entry.seq,
            uuid: entry.uuid.clone(),
            kind: entry.kind.name(),
            customer: entry.customer.clone(),
            discarded_at: entry.discarded_at,
            erp_id: entry.in_erp.as_ref().map(|held| held.erp_id),
            number: entry.in_erp.as_ref().and_then(|held| held.number.clone()),
            state: entry.in_erp.as_ref().and_then(|held| held.state.clone()),
            checked_at: entry.checked_at,
        }
    }
}

/// One line on a discarded entry: what the ERP holds of it, or that the
/// next sync looks.
pub(crate) fn discarded_line(entry: &DiscardedEntry, now: DateTime<Utc>) -> String {
    let what = match entry.kind {
        Created::Sale => "sale",
        Created::Customer => "customer",
        Created::Request => "after-sales request",
    };
    let head = format!(
        "Discarded entry {} ({what} for {}, discarded {})",
        entry.seq,
        entry.customer,
        when(entry.discarded_at, now)
    );
    match &entry.in_erp {
        Some(held) => format!(
            "{head} IS IN THE ERP all the same, as {}{}: it stands there; cancel it in the ERP if it must not \
             (checked {}).",
            held.number.as_deref().unwrap_or("a record without number"),
            held.state
                .as_deref()
                .map(|state| format!(" ({state})"))
                .unwrap_or_default(),
            entry
                .checked_at
                .map(|at| when(at, now))
                .unwrap_or_else(|| "never".into())
        ),
        None => format!(
            "{head} was sent once: the next `fieldbook sync` checks whether the ERP holds anything of it."
        ),
    }
}

#[derive(Serialize)]
struct SentJson {
    entry: i64,
    erp_id: i64,
    number: Option<String>,
    state: String,
    total: Decimal,
}

#[derive(Serialize)]
struct CustomerSentJson {
    entry: i64,
    erp_id: i64,
    code: Option<String>,
    /// Fields where the ERP's value stayed, in plain words.
    conflicts: Vec<String>,
}

#[derive(Serialize)]
struct RequestSentJson {
    entry: i64,
    erp_id: i64,
    number: Option<String>,
    state: String,
}

#[derive(Serialize)]
struct RefusedJson {
    entry: i64,
    message: String,
}

pub fn sync_report(
    pushed: &PushReport,
    report: &SyncReport,
    requests: u64,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(&SyncJson {
            sent: pushed
                .accepted
                .iter()
                .map(|(entry, sale)| SentJson {
                    entry: *entry,
                    erp_id: sale.erp_id,
                    number: sale.number.clone(),
                    state: sale.state.name().to_owned(),
                    total: sale.total,
                })
                .collect(),
            customers: pushed
                .customers
                .iter()
                .map(|(entry, sent)| CustomerSentJson {
                    entry: *entry,
                    erp_id: sent.erp_id,
                    code: sent.code.clone(),
                    conflicts: sent.conflicts.iter().map(|c| c.describe()).collect(),
                })
                .collect(),
            filed: pushed
                .requests
                .iter()
                .map(|(entry, sent)| RequestSentJson {
                    entry: *entry,
                    erp_id: sent.erp_id,
                    number: sent.number.clone(),
                    state: sent.state.name().to_owned(),
                })
                .collect(),
            refused: pushed
                .rejected
                .iter()
                .chain(&pushed.warnings)
                .map(|(entry, message)| RefusedJson {
                    entry: *entry,
                    message: message.clone(),
                })
                .collect(),
            not_permitted: pushed
                .not_permitted
                .iter()
                .map(|(entry, message)| RefusedJson {
                    entry: *entry,
                    message: message.clone(),
                })
                .collect(),
            discarded_in_erp: pushed
                .discarded_in_erp
                .iter()
                .map(DiscardedJson::new)
                .collect(),
            pulled: report
                .pulled
                .iter()
                .map(|(entity, n)| (entity.name(), *n))
                .collect(),
            removed: report
                .removed
                .iter()
                .map(|(entity, n)| (entity.name(), *n))
                .collect(),
            stock_refreshed: report.stock_refreshed,
            credit_refreshed: report.credit_refreshed,
            not_readable: report
                .not_readable
                .iter()
                .map(NotReadableJson::new)
                .collect(),
            requests,
        });
    }
    for (entry, sale) in &pushed.accepted {
        println!(
            "Sent entry {entry}: the ERP accepted it as {} ({}, total {}).",
            sale.number.as_deref().unwrap_or("a record without number"),
            sale.state,
            sale.total
        );
    }
    for (entry, sent) in &pushed.customers {
        println!(
            "Sent entry {entry}: the ERP has customer {}.",
            sent.code.as_deref().unwrap_or("(without code)")
        );
        for conflict in &sent.conflicts {
            println!("  The ERP kept its own value: {}", conflict.describe());
        }
    }
    for (entry, sent) in &pushed.requests {
        println!(
            "Sent entry {entry}: the ERP filed the after-sales request as {} ({}).",
            sent.number.as_deref().unwrap_or("a request without number"),
            sent.state
        );
    }
    for (entry, message) in &pushed.rejected {
        println!("Refused entry {entry}: {message} (see `fieldbook outbox show {entry}`)");
    }
    for (entry, message) in &pushed.warnings {
        println!(
            "Warning on entry {entry}: {message} (to go ahead: `fieldbook outbox retry {entry}`)"
        );
    }
    for (entry, message) in &pushed.not_permitted {
        println!("Entry {entry} waits: {message}; it goes with the first sync after that.");
    }
    for entry in &pushed.discarded_in_erp {
        println!("{}", discarded_line(entry, Utc::now()));
    }
    let pulled: u64 = report.pulled.values().sum();
    let removed: u64 = report.removed.values().sum();
    println!(
        "Synced: {pulled} records received, {removed} removed, stock of {} products and credit of {} customers refreshed ({requests} requests).",
        report.stock_refreshed, report.credit_refreshed
    );
    for line in not_readable_lines(&report.not_readable, Utc::now()) {
        eprintln!("{line}");
    }
    Ok(())
}

pub(crate) fn label(entity: Entity) -> &'static str {
    entity.name()
}

/// A time as a person reads it: local time and age.
pub(crate) fn when(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        age_between(time, now),
        time.with_timezone(&Local).format("%Y-%m-%d %H:%M")
    )
}

/// `12345.6` in CNY → `12,345.60 CNY`.
pub(crate) fn money(amount: Decimal, currency: &str) -> String {
    let rounded = amount.round_dp(2);
    let text = format!("{:.2}", rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded < Decimal::ZERO { "-" } else { "" };
    format!("{sign}{grouped}.{fraction} {currency}")
}

/// Prints rows as columns that line up whatever the script: comfy-table
/// measures each cell's display width (a Chinese character takes two
/// columns, as a terminal draws it). Columns in `right` are aligned right
/// (figures); each line starts with `indent` and has no trailing blanks.
pub(crate) fn print_columns(indent: &str, rows: Vec<Vec<String>>, right: &[usize]) {
    for line in columns(rows, right) {
        println!("{indent}{line}");
    }
}

fn columns(rows: Vec<Vec<String>>, right: &[usize]) -> Vec<String> {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .add_rows(rows);
    for (index, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, 2));
        if right.contains(&index) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    table
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect()
}

pub(crate) fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `fieldbook logs`: where this profile's data and logs are, and the log
/// files, newest first.
pub fn folders(folders: &fieldbook_app::local::Folders, json: bool) -> anyhow::Result<()> {
    let mut files: Vec<(String, u64, DateTime<Utc>)> = std::fs::read_dir(&folders.logs)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| {
                    let metadata = entry.metadata().ok().filter(|m| m.is_file())?;
                    let modified = metadata.modified().ok()?;
                    Some((
                        entry.file_name().to_string_lossy().into_owned(),
                        metadata.len(),
                        DateTime::<Utc>::from(modified),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    if json {
        return print_json(&serde_json::json!({
            "data_dir": folders.data,
            "log_dir": folders.logs,
            "log_files": files
                .iter()
                .map(|(name, bytes, modified)| serde_json::json!({
                    "path": folders.logs.join(name),
                    "bytes": bytes,
                    "modified": modified,
                }))
                .collect::<Vec<_>>(),
        }));
    }
    println!("Data folder: {}", folders.data.display());
    println!("Log folder:  {}", folders.logs.display());
    if files.is_empty() {
        println!("No log files yet.");
    }
    for (name, bytes, modified) in &files {
        println!(
            "  {name}  {bytes} bytes, last written {}",
            modified.with_timezone(&Local).format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

#[cfg(test)]
mod columns_tests {
    use super::columns;
    use unicode_width::UnicodeWidthStr;

    /// Where each column starts on screen, as a terminal draws the line.
    fn starts(line: &str, cells: &[&str]) -> Vec<usize> {
        cells
            .iter()
            .map(|cell| line[..line.find(cell).unwrap()].width())
            .collect()
    }

    #[test]
    fn chinese_names_line_up_with_latin_ones() {
        let rows = [
            [
                "customer",
                "C-HUAWEI",
                "深圳市华为技术有限公司",
                "5,000,000.00",
            ],
            ["customer", "C-ACME", "Acme Trading", "12.00"],
            ["product", "P-茶", "西湖龙井 Longjing", "168.00"],
        ];
        let lines = columns(
            rows.iter()
                .map(|row| row.iter().map(|cell| cell.to_string()).collect())
                .collect(),
            &[3],
        );
        assert_eq!(lines.len(), 3);
        let third_column: Vec<usize> = rows
            .iter()
            .zip(&lines)
            .map(|(row, line)| starts(line, &row[..3])[2])
            .collect();
        assert!(
            third_column.iter().all(|at| *at == third_column[0]),
            "{lines:#?}"
        );
        // Figures end at the same column.
        let ends: Vec<usize> = lines.iter().map(|line| line.width()).collect();
        assert!(ends.iter().all(|end| *end == ends[0]), "{lines:#?}");
        assert!(lines.iter().all(|line| line == line.trim_end()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn money_is_grouped_with_two_decimals_and_its_currency() {
        let cases = [
            (dec!(0), "0.00 CNY"),
            (dec!(12345.6), "12,345.60 CNY"),
            (dec!(-1200.105), "-1,200.10 CNY"),
            (dec!(999), "999.00 CNY"),
            (dec!(1000000), "1,000,000.00 CNY"),
        ];
        for (amount, expected) in cases {
            assert_eq!(money(amount, "CNY"), expected);
        }
    }
}
