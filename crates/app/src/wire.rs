//! What crosses to the window, and back. These are the window's types: the
//! TypeScript in `ui/src/lib/bindings/` is generated from them (`cargo
//! test -p fieldbook-app` writes it), never written by hand.
//!
//! Money and quantities are decimal strings, never floats; times are RFC
//! 3339 UTC (the window shows them in local time); dates are YYYY-MM-DD.
//! Every figure from the ERP carries `synced_at`, so the window can say how
//! old it is.

use crate::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use fieldbook_core::ErpId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the app stands when the window opens.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct Session {
    /// No usable cache yet (first run, or signed out): show the connect
    /// page.
    pub needs_setup: bool,
    /// The connected ERP; while `needs_setup`, the one to offer on the
    /// connect page, if any.
    pub erp: Option<ErpInfo>,
    pub settings: Settings,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ErpInfo {
    pub url: String,
    pub database: String,
    pub login: String,
}

/// What the connect page sends. The password goes to the OS keyring and
/// nowhere else.
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConnectForm {
    pub url: String,
    pub database: String,
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for ConnectForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectForm")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What the window's About says: the version, and where this profile's
/// data and logs are, for a support person who asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct About {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
}

/// Settings kept in the data folder (nothing secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Settings {
    /// `"zh-CN"` or `"en"`; none until the salesperson chooses, and the
    /// window follows the system's language meanwhile.
    pub language: Option<String>,
    /// Seconds between background syncs while online.
    pub sync_interval_seconds: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            language: None,
            sync_interval_seconds: 300,
        }
    }
}

/// The home page.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct Home {
    pub erp: Option<ErpInfo>,
    pub connectivity: Connectivity,
    /// When the last complete sync of every entity finished.
    pub last_sync_at: Option<DateTime<Utc>>,
    pub customers: u64,
    pub products: u64,
    /// Outbox entries waiting to be sent.
    pub pending: u64,
    /// Entries the ERP refused or warned about, newest first.
    pub rejected: Vec<EntryRow>,
    /// Parts of the sync the ERP user may not read (the rest syncs).
    pub not_readable: Vec<NotReadableRow>,
}

/// A part of the sync the ERP user may not read.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct NotReadableRow {
    /// The part's stable name (`invoices`, `payments`, `credit_moves`, ...):
    /// the window's translation key `sync.part.<part>`.
    pub part: String,
    /// Which right is missing and the ERP's words, in English.
    pub detail: String,
    /// Refused since, and last asked for.
    pub since: DateTime<Utc>,
    pub tried_at: DateTime<Utc>,
}

/// Whether the ERP answered lately, as the background sync saw it.
#[derive(Clone, Debug, Default, Serialize, TS)]
#[ts(export)]
pub struct Connectivity {
    /// None until the first attempt.
    pub online: Option<bool>,
    pub syncing: bool,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<AppError>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct Hit {
    /// `"customer"` or `"product"`.
    pub kind: String,
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct CustomerDetail {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub tax_id: Option<String>,
    pub synced_at: DateTime<Utc>,
    /// Written offline, not in the ERP yet.
    pub provisional: bool,
    pub addresses: Vec<AddressRow>,
    pub contacts: Vec<ContactRow>,
    pub credit: Option<CreditPanel>,
    pub open_invoices: Vec<InvoiceRow>,
    pub recent_orders: Vec<OrderRow>,
    pub recent_payments: Vec<PaymentRow>,
    pub requests: Vec<RequestRow>,
    /// Outbox entries about this customer the ERP has not accepted.
    pub unsent: Vec<EntryRow>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct AddressRow {
    pub erp_id: ErpId,
    pub one_line: String,
    /// The parts the edit form changes.
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub invoice: bool,
    pub delivery: bool,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ContactRow {
    pub erp_id: ErpId,
    /// `phone`, `mobile`, `email`, ...
    pub kind: String,
    pub value: String,
}

/// Credit as the ERP last said, and what is left after what waits here.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct CreditPanel {
    pub currency: String,
    /// None: the ERP sets no limit.
    #[ts(type = "string | null")]
    pub limit: Option<Decimal>,
    #[ts(type = "string")]
    pub used: Decimal,
    #[ts(type = "string | null")]
    pub available: Option<Decimal>,
    /// Orders written here the ERP has not accepted yet.
    #[ts(type = "string")]
    pub unsent: Decimal,
    /// `available - unsent`.
    #[ts(type = "string | null")]
    pub available_after_unsent: Option<Decimal>,
    #[ts(type = "string")]
    pub receivable: Decimal,
    pub synced_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct InvoiceRow {
    pub erp_id: ErpId,
    pub number: Option<String>,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    pub currency: String,
    #[ts(type = "string")]
    pub total: Decimal,
    #[ts(type = "string")]
    pub amount_to_pay: Decimal,
    pub synced_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct OrderRow {
    pub erp_id: ErpId,
    pub number: Option<String>,
    /// Where it stands in the ERP: `draft`, `quote`, `confirmed`,
    /// `processing`, `done`, `cancelled` (fieldbook_core::SaleState).
    pub state: String,
    /// A draft or a quote in the ERP, which the customer's yes turns into
    /// an order (unless it was sent as one already: `sent_as_order`).
    pub may_become_order: bool,
    pub order_date: Option<NaiveDate>,
    pub currency: String,
    #[ts(type = "string")]
    pub total: Decimal,
    pub lines: u64,
    pub synced_at: DateTime<Utc>,
    /// The outbox entry that sends this quote as an order, once the
    /// salesperson has.
    pub sent_as_order: Option<i64>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct PaymentRow {
    pub erp_id: ErpId,
    pub date: NaiveDate,
    pub currency: String,
    #[ts(type = "string")]
    pub amount: Decimal,
    pub description: Option<String>,
    pub synced_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct RequestRow {
    pub erp_id: ErpId,
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    /// The ERP's state (`draft`, `waiting`, `approved`, `rejected`, `done`,
    /// `cancelled`), or `unsent` for one written here.
    pub state: String,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub synced_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ProductDetail {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    #[ts(type = "string | null")]
    pub list_price: Option<Decimal>,
    /// The list price's: the company's (none on a cache that cannot tell).
    pub currency: Option<String>,
    pub salable: bool,
    pub synced_at: DateTime<Utc>,
    pub stock: Vec<StockRow>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct StockRow {
    pub warehouse_id: ErpId,
    pub warehouse: String,
    #[ts(type = "string")]
    pub on_hand: Decimal,
    #[ts(type = "string")]
    pub forecast: Decimal,
    /// On orders written here, not yet accepted.
    #[ts(type = "string")]
    pub unsent: Decimal,
    /// `forecast - unsent`: what can still be promised.
    #[ts(type = "string")]
    pub available_to_promise: Decimal,
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct WarehouseRow {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
}

/// A quote or order as the editor holds it: ids, as picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SaleForm {
    /// `"quote"` or `"order"`.
    pub kind: String,
    pub customer_id: ErpId,
    pub lines: Vec<LineForm>,
    pub invoice_address_id: Option<ErpId>,
    pub shipment_address_id: Option<ErpId>,
    pub warehouse_id: Option<ErpId>,
    pub requested_date: Option<NaiveDate>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LineForm {
    pub product_id: ErpId,
    /// As typed; checked when previewed and saved.
    pub quantity: String,
    /// Empty: the customer's price list gives it.
    pub unit_price: Option<String>,
    pub discount_percent: Option<String>,
}

/// The editor's live view of a draft: amounts and the checks a
/// salesperson relies on, each with its age. `problem` says what keeps the
/// draft from being saved, if anything.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct SalePreview {
    pub lines: Vec<LinePreview>,
    /// The sum of the lines the laptop can price, after the promotions the
    /// ERP will apply: an estimate until the ERP answers.
    #[ts(type = "string")]
    pub estimated_total: Decimal,
    /// Lines only the ERP can price (each says why): not in the total.
    pub unpriced_lines: usize,
    pub currency: Option<String>,
    /// The price list the sale is on (the customer's, else the company's
    /// default); `None`: list prices.
    pub price_list: Option<String>,
    /// The promotions the ERP will apply when it records the sale, each
    /// with what it takes off in all.
    pub promotions: Vec<PromotionPreview>,
    pub credit: Option<CreditCheck>,
    pub stock: Vec<StockCheck>,
    pub problem: Option<AppError>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct LinePreview {
    pub product_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub unit: String,
    #[ts(type = "string | null")]
    pub list_price: Option<Decimal>,
    /// The price before discount and promotions (typed, or the price
    /// list's for this quantity); `None` while the line cannot be read or
    /// when only the ERP can price it.
    #[ts(type = "string | null")]
    pub price: Option<Decimal>,
    /// Where [`LinePreview::price`] comes from.
    pub source: Option<PriceSourcePreview>,
    /// The promotion the ERP will apply to the line, if any.
    pub promotion: Option<LinePromotion>,
    /// The unit price the ERP will charge, when the laptop knows it.
    #[ts(type = "string | null")]
    pub unit_price: Option<Decimal>,
    /// None while the line cannot be computed (a quantity that is not a
    /// number, a price only the ERP knows, ...).
    #[ts(type = "string | null")]
    pub amount: Option<Decimal>,
    /// Why only the ERP can price the line (it saves all the same, and the
    /// ERP prices it), as a code and params for the window's words.
    pub unknown: Option<AppError>,
    /// The salesperson typed a price and a promotion will replace it: the
    /// ERP applies promotions over typed prices.
    pub typed_price_replaced: bool,
}

/// Where a line's price comes from: `kind` is `typed`, `list_price` (no
/// price list) or `list` (a line of `list`, from `from_quantity` units,
/// by `formula`).
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct PriceSourcePreview {
    pub kind: String,
    /// The same in English words, for the command line and logs.
    pub words: String,
    pub list: Option<String>,
    #[ts(type = "string | null")]
    pub from_quantity: Option<Decimal>,
    pub formula: Option<String>,
}

/// A promotion on a line: the price it replaces and the one it gives.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct LinePromotion {
    pub name: String,
    #[ts(type = "string")]
    pub before: Decimal,
    #[ts(type = "string")]
    pub unit_price: Decimal,
}

/// A promotion over the sale: what it takes off, all its lines together.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct PromotionPreview {
    pub name: String,
    #[ts(type = "string")]
    pub takes_off: Decimal,
}

/// Available credit = limit − used at the last sync − orders not yet
/// accepted (others, and this one).
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct CreditCheck {
    pub currency: String,
    #[ts(type = "string")]
    pub available: Decimal,
    #[ts(type = "string")]
    pub unsent: Decimal,
    #[ts(type = "string")]
    pub this_draft: Decimal,
    #[ts(type = "string")]
    pub left: Decimal,
    pub over: bool,
    pub synced_at: DateTime<Utc>,
}

/// Available to promise = forecast − lines not yet accepted (others, and
/// this one's).
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct StockCheck {
    pub product_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub warehouse: String,
    #[ts(type = "string")]
    pub forecast: Decimal,
    #[ts(type = "string")]
    pub unsent: Decimal,
    #[ts(type = "string")]
    pub this_draft: Decimal,
    #[ts(type = "string")]
    pub left: Decimal,
    pub over: bool,
    pub synced_at: Option<DateTime<Utc>>,
}

/// What an outbox entry takes from credit and stock once the ERP accepts
/// it, after everything else not yet accepted (the CLI says it after
/// saving; the window's editor shows the same as a [`SalePreview`]).
#[derive(Clone, Debug, Serialize)]
pub struct EntryChecks {
    pub credit: Option<CreditCheck>,
    pub stock: Vec<StockCheck>,
}

/// What discarding an entry took away (the window shows the count).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DiscardedEntries {
    /// The entry and those that waited on it.
    pub entries: usize,
    /// How many of them were sent to the ERP at least once (and refused):
    /// a refusal half-way can leave a draft there, which later syncs look
    /// for.
    pub ever_sent: usize,
}

/// An entry discarded here that the ERP may hold all the same (a refusal
/// half-way can leave a draft there), as the outbox page lists it.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct DiscardedRow {
    pub entry: i64,
    /// `sale`, `customer` or `request`.
    pub kind: String,
    pub customer_name: String,
    pub discarded_at: DateTime<Utc>,
    /// `true` once a sync found it in the ERP; `false` until a sync looked.
    pub in_erp: bool,
    /// The ERP's number and state for it, once found.
    pub erp_number: Option<String>,
    pub erp_state: Option<String>,
    /// When a sync last looked it up.
    pub checked_at: Option<DateTime<Utc>>,
}

/// One outbox entry, as the outbox page lists it.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct EntryRow {
    pub entry: i64,
    /// `quote`, `order`, `quote_to_order`, `customer_new`, `customer_edit`,
    /// `request`.
    pub kind: String,
    pub customer_id: Option<ErpId>,
    pub customer_name: Option<String>,
    /// `pending`, `done` or `rejected`.
    pub state: String,
    /// Waiting for another entry to reach the ERP first.
    pub waiting: bool,
    /// It may already be in the ERP (its last sending got no answer): it
    /// cannot be edited, resent or discarded until a sync settles it.
    pub in_flight: bool,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The ERP's words: why it refused, or the last passing failure.
    pub erp_message: Option<String>,
    /// A warning the ERP raised, to acknowledge before resending.
    pub warning: Option<String>,
    pub erp_id: Option<ErpId>,
    pub erp_number: Option<String>,
    #[ts(type = "string | null")]
    pub estimated_total: Option<Decimal>,
    /// The estimated total's: the company's, as the ERP prices an order
    /// written here (none on a cache that cannot tell).
    pub currency: Option<String>,
    /// Fields where the ERP's value stayed over the salesperson's.
    pub conflicts: Vec<ConflictRow>,
    /// For an accepted quote or order: where the ERP's prices are not the
    /// ones the laptop showed.
    pub price_differences: Vec<PriceDifferenceRow>,
    /// For a quote-to-order entry: the quote it confirms.
    pub quote: Option<QuoteRef>,
    /// For a quote: the outbox entry that sends it as an order, once the
    /// salesperson has.
    pub sent_as_order: Option<i64>,
    /// A quote or order, as typed (to edit and resend).
    pub sale: Option<SaleForm>,
    /// What an after-sales request says.
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A price the ERP accepted a sale at that is not the one the laptop
/// showed: `kind` `line` (line `line`, `product`, the ERP's price per unit
/// and the laptop's, `null` when only the ERP could price it) or `total`
/// (the untaxed totals).
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct PriceDifferenceRow {
    pub kind: String,
    pub line: Option<usize>,
    /// The product's code, else its name.
    pub product: Option<String>,
    #[ts(type = "string")]
    pub erp: Decimal,
    #[ts(type = "string | null")]
    pub laptop: Option<Decimal>,
}

/// A customer change the ERP did not take because the back office had
/// changed the same field since the salesperson's last sync: the ERP's
/// value stays, the salesperson's is kept on the entry.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ConflictRow {
    /// `name`, `contact`, `street`, `postal_code` or `city`.
    pub field: String,
    /// What the ERP holds (none: empty).
    pub erp_value: Option<String>,
    /// What the salesperson typed (none: emptied).
    pub yours: Option<String>,
}

/// The quote a quote-to-order entry confirms: the ERP's number once it has
/// one, and the outbox entry that carries it when it was written here.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct QuoteRef {
    pub number: Option<String>,
    pub entry: Option<i64>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct Saved {
    pub entry: i64,
}

#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct RequestForm {
    pub customer_id: ErpId,
    pub description: String,
    pub order_id: Option<ErpId>,
    pub invoice_id: Option<ErpId>,
}

/// What a sync tells the window as it goes.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    Started,
    /// Outbox entries the ERP has answered so far, out of those going.
    Sending {
        done: u64,
        total: u64,
    },
    /// Records of an entity pulled so far, out of `total` when known.
    Pulling {
        entity: String,
        done: u64,
        total: Option<u64>,
    },
    /// Stock or credit figures refreshed so far.
    Refreshing {
        figure: String,
        done: u64,
        total: u64,
    },
    Finished {
        summary: SyncSummary,
    },
    Failed {
        error: AppError,
    },
}

/// What one sync did: each ERP answer to what was sent, and what came back.
#[derive(Clone, Debug, Default, Serialize, TS)]
#[ts(export)]
pub struct SyncSummary {
    pub accepted: Vec<Answer>,
    pub refused: Vec<Answer>,
    pub pulled: u64,
    pub removed: u64,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct Answer {
    pub entry: i64,
    pub number: Option<String>,
    pub message: Option<String>,
}

/// A new customer as the form holds it.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct CustomerForm {
    pub name: String,
    pub addresses: Vec<AddressForm>,
    pub contacts: Vec<ContactForm>,
}

#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct AddressForm {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// A two-letter ISO code such as `CN`.
    pub country: Option<String>,
    pub invoice: bool,
    pub delivery: bool,
}

#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct ContactForm {
    /// `phone`, `mobile`, `email`, `fax` or `website`.
    pub kind: String,
    pub value: String,
}

/// Changes to a customer: only what differs from the cache is sent.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct CustomerEditForm {
    pub customer_id: ErpId,
    pub name: Option<String>,
    pub contacts: Vec<ContactChange>,
    pub addresses: Vec<AddressChange>,
    pub new_addresses: Vec<AddressForm>,
    pub new_contacts: Vec<ContactForm>,
}

#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct ContactChange {
    pub contact_id: ErpId,
    pub value: String,
}

/// An address's new street, postal code or city (none: unchanged; empty:
/// cleared).
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct AddressChange {
    pub address_id: ErpId,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct SavedCustomer {
    pub entry: i64,
    /// Provisional (negative) until the ERP has the customer.
    pub customer_id: ErpId,
    /// `NEW-1`, ... until the ERP gives its code.
    pub code: String,
}

/// The quote to turn into an order: one written here (its outbox entry)
/// or one the ERP holds (its order id), one of the two.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct QuoteToSend {
    pub entry: Option<i64>,
    pub order_id: Option<ErpId>,
}
