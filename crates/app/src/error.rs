//! Errors as the window receives them: a stable dotted `code` that is also
//! the translation key, the values the translation needs (`params`), and the
//! English `message` the engine wrote, for logs and for codes the window
//! has no words for.

use fieldbook_core::DraftError;
use fieldbook_core::pricing::Unpriceable;
use fieldbook_core::requests::RequestError;
use fieldbook_core::{ErpId, SaleKind};
use fieldbook_erp::ErpError;
use fieldbook_store::{Owned, Refusal, StoreError};
use fieldbook_sync::SyncError;
use serde::Serialize;
use std::collections::BTreeMap;
use ts_rs::TS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct AppError {
    /// What kind of trouble it is, for a front end that answers by kind
    /// (the CLI's exit codes); the window goes by `code`.
    #[serde(skip)]
    #[ts(skip)]
    pub kind: ErrorKind,
    /// `errors.<area>.<what>`: the window's translation key.
    pub code: String,
    pub message: String,
    /// Values the translation fills in (`{line}`, `{rounded}`, ...).
    pub params: BTreeMap<String, String>,
    /// Whether the same action may succeed later with nothing changed
    /// (the ERP is down, the cache is busy).
    pub transient: bool,
}

/// The kinds of trouble a front end tells apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorKind {
    /// What was typed or asked cannot be done as given: nothing was
    /// changed; fix it and try again.
    #[default]
    Input,
    /// A record named is not in the cache.
    NotFound,
    /// The ERP cannot be reached, or is busy: the same may work later.
    ErpUnavailable,
    /// The ERP answered, and said no.
    ErpRefused,
    /// The ERP user lacks a right: what it may do was done, the rest waits
    /// for the ERP's administrator.
    NotPermitted,
    /// The cache cannot be opened, read or written as it is (wrong key,
    /// damaged, in use, made by a newer Fieldbook).
    Cache,
    /// The computer: a folder that cannot be written, no random numbers.
    System,
}

impl AppError {
    /// An error of kind [`ErrorKind::Input`]; see [`AppError::of_kind`].
    pub fn new(code: &str, message: impl Into<String>) -> AppError {
        AppError {
            kind: ErrorKind::Input,
            code: code.to_owned(),
            message: message.into(),
            params: BTreeMap::new(),
            transient: false,
        }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> AppError {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    pub fn of_kind(mut self, kind: ErrorKind) -> AppError {
        self.kind = kind;
        self
    }

    pub(crate) fn transient(mut self) -> AppError {
        self.transient = true;
        self
    }

    pub fn not_found(what: &str, key: impl ToString) -> AppError {
        let key = key.to_string();
        AppError::new(
            &format!("errors.not_found.{what}"),
            format!("no {what} {key:?} in the cache: search again, or sync"),
        )
        .with("key", key)
        .of_kind(ErrorKind::NotFound)
    }

    /// A record named by its code (or, failing a code, its ERP id), not
    /// in the cache.
    pub fn not_found_code(what: &str, code: &str) -> AppError {
        AppError::new(
            &format!("errors.not_found.{what}"),
            format!("no {what} with code {code:?} in the cache: search for it, or sync"),
        )
        .with("key", code)
        .of_kind(ErrorKind::NotFound)
    }

    /// A record named by the ERP's number for it, not in the cache.
    pub fn not_found_number(what: &str, number: &str) -> AppError {
        AppError::new(
            &format!("errors.not_found.{what}"),
            format!("no {what} {number:?} in the cache: sync, then try again"),
        )
        .with("key", number)
        .of_kind(ErrorKind::NotFound)
    }

    /// No outbox entry `seq` (any more).
    pub fn no_entry(seq: i64) -> AppError {
        AppError::new(
            "errors.not_found.entry",
            format!(
                "no outbox entry {seq}: it may have been discarded; the outbox lists every entry"
            ),
        )
        .with("key", seq)
        .of_kind(ErrorKind::NotFound)
    }

    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new("errors.form.invalid", message)
    }
}

impl From<ErpError> for AppError {
    fn from(error: ErpError) -> AppError {
        let message = error.to_string();
        let code = match &error {
            ErpError::Unreachable { .. } => "errors.erp.unreachable",
            ErpError::Timeout { .. } => "errors.erp.timeout",
            ErpError::NotAnErp { .. } => "errors.erp.not_an_erp",
            ErpError::UnknownDatabase { .. } => "errors.erp.unknown_database",
            ErpError::AuthRefused { .. } => "errors.erp.login_refused",
            ErpError::TooManyLogins { .. } => "errors.erp.too_many_logins",
            ErpError::SessionExpired => "errors.erp.session_expired",
            ErpError::Rejected { .. } => "errors.erp.rejected",
            ErpError::Warning { .. } => "errors.erp.warning",
            ErpError::Concurrent => "errors.erp.concurrent",
            ErpError::Server { .. } => "errors.erp.server",
            ErpError::Protocol(_) => "errors.erp.protocol",
            ErpError::Garbled { .. } => "errors.erp.garbled",
            ErpError::SentMeanwhile => "errors.erp.sent_meanwhile",
            ErpError::NotPermitted { .. } => "errors.erp.not_permitted",
            ErpError::AnswerTooLarge { .. } => "errors.erp.too_large",
            ErpError::InsecureAddress { .. } => "errors.erp.insecure_http",
            ErpError::CredentialsInAddress { .. } => "errors.erp.credentials_in_address",
        };
        let kind = match &error {
            ErpError::NotPermitted { .. } => ErrorKind::NotPermitted,
            error if error.is_transient() => ErrorKind::ErpUnavailable,
            _ => ErrorKind::ErpRefused,
        };
        let app = AppError::new(code, message).of_kind(kind);
        let app = match &error {
            ErpError::NotAnErp { url, erp, .. } => app.with("url", url).with("erp", erp),
            ErpError::Unreachable { url, .. }
            | ErpError::Timeout { url }
            | ErpError::Garbled { url, .. }
            | ErpError::AnswerTooLarge { url, .. }
            | ErpError::InsecureAddress { url }
            | ErpError::CredentialsInAddress { url } => app.with("url", url),
            ErpError::Server { status, .. } => app.with("status", status),
            ErpError::UnknownDatabase { database, .. } => app.with("database", database),
            ErpError::AuthRefused { login } | ErpError::TooManyLogins { login } => {
                app.with("login", login)
            }
            ErpError::NotPermitted {
                login,
                action,
                model,
                detail,
            } => app
                .with("login", login)
                .with("action", action)
                .with("model", model)
                .with("erp_message", detail),
            ErpError::Rejected { message, .. } | ErpError::Warning { message, .. } => {
                app.with("erp_message", message)
            }
            _ => app,
        };
        if error.is_transient() {
            app.transient()
        } else {
            app
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        let error = match error {
            StoreError::Refused(refusal) => return refusal.into(),
            error => error,
        };
        let message = error.to_string();
        let code = match &error {
            StoreError::Missing { .. } => "errors.cache.missing",
            StoreError::AlreadyExists { .. } => "errors.cache.exists",
            StoreError::WrongKeyOrNotACache { .. } | StoreError::BadRawKey => {
                "errors.cache.wrong_key"
            }
            StoreError::Corrupt { .. } | StoreError::BadValue(_) => "errors.cache.damaged",
            StoreError::Locked { .. } => "errors.cache.locked",
            StoreError::Busy => "errors.cache.busy",
            StoreError::TooNew { .. } => "errors.cache.too_new",
            StoreError::UnreadableEntry { .. } => "errors.outbox.unreadable",
            StoreError::EmptyKey | StoreError::Sqlite(_) | StoreError::Migration(_) => {
                "errors.cache.other"
            }
            StoreError::Refused(_) => unreachable!("a refusal is answered above"),
        };
        let mut app = AppError::new(code, message).of_kind(ErrorKind::Cache);
        if let StoreError::UnreadableEntry { entry, .. } = &error {
            app = app.with("entry", entry);
        }
        if error.is_transient() {
            app.transient()
        } else {
            app
        }
    }
}

impl From<Refusal> for AppError {
    /// A change the cache refused as given: the caller's to fix, never a
    /// broken cache. Each refusal has its own words in the window.
    fn from(refusal: Refusal) -> AppError {
        let message = refusal.to_string();
        let input = |code: &str| AppError::new(code, message.clone());
        let missing = |what: &str, key: ErpId| {
            AppError::new(&format!("errors.not_found.{what}"), message.clone())
                .with("key", key)
                .of_kind(ErrorKind::NotFound)
        };
        match refusal {
            Refusal::Customer(error) => error.into(),
            Refusal::Request(error) => error.into(),
            Refusal::CustomerNotCached { customer_id } => missing("customer", customer_id),
            Refusal::WarehouseNotCached { warehouse_id } => missing("warehouse", warehouse_id),
            Refusal::ProductNotCached { line, product_id } => {
                input("errors.refused.product_not_cached")
                    .with("line", line)
                    .with("product", product_id)
            }
            Refusal::NotForSale { line, product } => input("errors.refused.not_for_sale")
                .with("line", line)
                .with("product", product),
            Refusal::NotTheirs { what, id, customer } => {
                let what = match what {
                    Owned::InvoiceAddress => "invoice_address",
                    Owned::ShipmentAddress => "shipment_address",
                    Owned::Order => "order",
                    Owned::Invoice => "invoice",
                };
                input(&format!("errors.refused.not_theirs_{what}"))
                    .with("id", id)
                    .with("customer", customer)
            }
            Refusal::NoWaitingEntry { entry } => input("errors.outbox.not_waiting")
                .with("entry", entry)
                .of_kind(ErrorKind::NotFound),
            Refusal::EntryAccepted { entry } => {
                input("errors.outbox.accepted").with("entry", entry)
            }
            Refusal::OtherKind { entry, found, .. } => {
                let found = match found {
                    SaleKind::Quote => "quote",
                    SaleKind::Order => "order",
                };
                input(&format!("errors.outbox.other_kind_{found}")).with("entry", entry)
            }
            Refusal::OtherCustomer { entry } => {
                input("errors.outbox.other_customer").with("entry", entry)
            }
            Refusal::NothingToEdit { entry } => {
                input("errors.outbox.nothing_to_edit").with("entry", entry)
            }
            Refusal::NotASale { entry } => input("errors.outbox.not_a_sale").with("entry", entry),
            Refusal::AlreadyAnOrder { entry } => {
                input("errors.quote.already_an_order").with("entry", entry)
            }
            Refusal::QuoteNotInOutbox { label } => {
                input("errors.quote.not_in_outbox").with("what", label)
            }
            Refusal::QuoteAlreadySent { entry, .. } => {
                input("errors.quote.already_sent").with("entry", entry)
            }
            Refusal::QuoteRefused { entry, .. } => {
                input("errors.quote.refused").with("entry", entry)
            }
            Refusal::InFlight { entry } => input("errors.outbox.in_flight").with("entry", entry),
            Refusal::NotInErpYet { id } => input("errors.refused.not_in_erp_yet").with("id", id),
            Refusal::UnknownRecord { id } => missing("record", id),
            Refusal::AlreadyWritten { uuid } => {
                input("errors.refused.already_written").with("uuid", uuid)
            }
            Refusal::UnknownDependency { uuid } => {
                input("errors.refused.unknown_dependency").with("uuid", uuid)
            }
        }
    }
}

impl From<SyncError> for AppError {
    fn from(error: SyncError) -> AppError {
        match error {
            SyncError::Erp(error) => error.into(),
            SyncError::Store(error) => error.into(),
        }
    }
}

impl From<DraftError> for AppError {
    fn from(error: DraftError) -> AppError {
        let message = error.to_string();
        match error {
            DraftError::NoLines => AppError::new("errors.draft.no_lines", message),
            DraftError::Quantity { line, quantity } => {
                AppError::new("errors.draft.quantity", message)
                    .with("line", line)
                    .with("quantity", quantity)
            }
            DraftError::NegativePrice { line, price } => {
                AppError::new("errors.draft.negative_price", message)
                    .with("line", line)
                    .with("price", price)
            }
            DraftError::PriceDigits {
                line,
                price,
                digits,
                rounded,
            } => AppError::new("errors.draft.price_digits", message)
                .with("line", line)
                .with("price", price)
                .with("digits", digits)
                .with("rounded", rounded),
            DraftError::Discount { line, percent } => {
                AppError::new("errors.draft.discount", message)
                    .with("line", line)
                    .with("percent", percent)
            }
            DraftError::NotANumber { line, field, value } => {
                AppError::new("errors.draft.not_a_number", message)
                    .with("line", line)
                    .with("field", field)
                    .with("value", value)
            }
            DraftError::NoPrice { line, reason } => AppError::new("errors.draft.no_price", message)
                .with("line", line)
                .with("reason", reason),
            DraftError::DiscountOnUnknownPrice { line, reason } => {
                AppError::new("errors.draft.discount_unknown_price", message)
                    .with("line", line)
                    .with("reason", reason)
            }
        }
    }
}

/// Why only the ERP can price a line, for the window's words
/// (`pricing.unknown.*`).
impl From<&Unpriceable> for AppError {
    fn from(why: &Unpriceable) -> AppError {
        let message = why.to_string();
        let code = |kind: &str| format!("pricing.unknown.{kind}");
        match why {
            Unpriceable::NoPrice { list } => {
                AppError::new(&code("no_price"), message).with("list", list)
            }
            Unpriceable::NoListPrice => AppError::new(&code("no_list_price"), message),
            Unpriceable::Formula {
                list,
                formula,
                error,
            } => AppError::new(&code("formula"), message)
                .with("list", list)
                .with("formula", formula)
                .with("detail", error),
            Unpriceable::TaxIncluded { list } => {
                AppError::new(&code("tax_included"), message).with("list", list)
            }
            Unpriceable::SaleUnit { list } => {
                AppError::new(&code("sale_unit"), message).with("list", list)
            }
            Unpriceable::Promotion { promotion, reason } => {
                AppError::new(&code("promotion"), message)
                    .with("promotion", promotion)
                    .with("detail", reason)
            }
            Unpriceable::UnknownList { list_id } => {
                AppError::new(&code("unknown_list"), message).with("list_id", list_id)
            }
        }
    }
}

impl From<RequestError> for AppError {
    fn from(error: RequestError) -> AppError {
        let message = error.to_string();
        match error {
            RequestError::NoDescription => AppError::new("errors.request.no_description", message),
            RequestError::OrderAndInvoice => {
                AppError::new("errors.request.order_and_invoice", message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    /// Every refusal of the cache, once.
    fn refusals() -> Vec<Refusal> {
        use fieldbook_core::customers::CustomerError;
        vec![
            Refusal::Customer(CustomerError::NoName),
            Refusal::Request(RequestError::NoDescription),
            Refusal::CustomerNotCached { customer_id: 9 },
            Refusal::ProductNotCached {
                line: 2,
                product_id: 7,
            },
            Refusal::NotForSale {
                line: 1,
                product: "P-1".into(),
            },
            Refusal::WarehouseNotCached { warehouse_id: 3 },
            Refusal::NotTheirs {
                what: Owned::InvoiceAddress,
                id: 4,
                customer: "C-1".into(),
            },
            Refusal::NotTheirs {
                what: Owned::ShipmentAddress,
                id: 4,
                customer: "C-1".into(),
            },
            Refusal::NotTheirs {
                what: Owned::Order,
                id: 4,
                customer: "C-1".into(),
            },
            Refusal::NotTheirs {
                what: Owned::Invoice,
                id: 4,
                customer: "C-1".into(),
            },
            Refusal::NoWaitingEntry { entry: 5 },
            Refusal::EntryAccepted { entry: 5 },
            Refusal::OtherKind {
                entry: 5,
                found: SaleKind::Quote,
                given: SaleKind::Order,
            },
            Refusal::OtherKind {
                entry: 5,
                found: SaleKind::Order,
                given: SaleKind::Quote,
            },
            Refusal::OtherCustomer { entry: 5 },
            Refusal::NothingToEdit { entry: 5 },
            Refusal::NotASale { entry: 5 },
            Refusal::AlreadyAnOrder { entry: 5 },
            Refusal::QuoteNotInOutbox {
                label: "quote #5".into(),
            },
            Refusal::QuoteAlreadySent {
                label: "quote #5".into(),
                entry: 6,
            },
            Refusal::QuoteRefused {
                label: "quote #5".into(),
                entry: 5,
            },
            Refusal::InFlight { entry: 5 },
            Refusal::NotInErpYet { id: -2 },
            Refusal::UnknownRecord { id: -2 },
            Refusal::AlreadyWritten { uuid: "u".into() },
            Refusal::UnknownDependency { uuid: "u".into() },
        ]
    }

    /// The message the window shows for `code` in a language, if any.
    fn window_words(language: &str, code: &str) -> Option<String> {
        // Cargo's value at run time: the compiled-in one may name another
        // clone that built into the same target folder.
        let path = format!(
            "{}/../../ui/src/lib/i18n/{language}.json",
            std::env::var("CARGO_MANIFEST_DIR").unwrap()
        );
        let messages: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        code.split('.')
            .try_fold(&messages, |tree, name| tree.get(name))?
            .as_str()
            .map(str::to_owned)
    }

    /// A refusal is the salesperson's to fix: the window says which, in
    /// their language, with every value its words name; and it is never
    /// taken for a broken cache.
    #[test]
    fn every_refusal_has_the_windows_words_in_both_languages() {
        let mut codes = std::collections::BTreeSet::new();
        for refusal in refusals() {
            let debug = format!("{refusal:?}");
            let error = AppError::from(StoreError::Refused(refusal));
            assert!(
                matches!(error.kind, ErrorKind::Input | ErrorKind::NotFound),
                "{debug}: {:?}",
                error.kind
            );
            assert!(!error.transient, "{debug}");
            assert_ne!(error.code, "errors.form.invalid", "{debug}");
            for language in ["en", "zh-CN"] {
                let words = window_words(language, &error.code)
                    .unwrap_or_else(|| panic!("{debug}: no {language} words for {}", error.code));
                for (at, _) in words.match_indices("{{") {
                    let name = &words[at + 2..at + 2 + words[at + 2..].find("}}").unwrap()];
                    assert!(
                        error.params.contains_key(name),
                        "{debug}: {language} {} names {{{{{name}}}}}, params {:?}",
                        error.code,
                        error.params
                    );
                }
            }
            codes.insert(error.code);
        }
        // One code per refusal, save those that share the window's words.
        assert!(codes.len() >= 24, "{codes:?}");
    }

    /// The window translates by code and fills in params: both are a
    /// contract with `ui/src/lib/i18n`, pinned here exactly.
    #[test]
    fn errors_reach_the_window_as_code_params_and_message() {
        let check = |error: AppError, expected: serde_json::Value| {
            assert_eq!(serde_json::to_value(&error).unwrap(), expected);
        };
        check(
            DraftError::PriceDigits {
                line: 2,
                price: dec!(1.23456),
                digits: 4,
                rounded: dec!(1.2346),
            }
            .into(),
            serde_json::json!({
                "code": "errors.draft.price_digits",
                "message": "line 2: the unit price 1.23456 has more decimals than the ERP keeps for a price (4); use 1.2346",
                "params": {"digits": "4", "line": "2", "price": "1.23456", "rounded": "1.2346"},
                "transient": false
            }),
        );
        check(
            ErpError::Unreachable {
                url: "http://erp:8000/".into(),
                detail: "connection refused".into(),
            }
            .into(),
            serde_json::json!({
                "code": "errors.erp.unreachable",
                "message": "cannot reach the ERP at http://erp:8000/ (connection refused): check the address and your connection; Fieldbook works offline meanwhile",
                "params": {"url": "http://erp:8000/"},
                "transient": true
            }),
        );
        check(
            ErpError::AuthRefused {
                login: "alice".into(),
            }
            .into(),
            serde_json::json!({
                "code": "errors.erp.login_refused",
                "message": "the ERP refused the login \"alice\": check the login and the password",
                "params": {"login": "alice"},
                "transient": false
            }),
        );
        check(
            StoreError::Locked {
                path: "/tmp/cache.db".into(),
            }
            .into(),
            serde_json::json!({
                "code": "errors.cache.locked",
                "message": "the cache at /tmp/cache.db is in use by another program (another Fieldbook sync?): wait for it to finish and try again",
                "params": {},
                "transient": true
            }),
        );
    }
}
