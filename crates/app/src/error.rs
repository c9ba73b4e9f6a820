//! Errors as the window receives them: a stable dotted `code` that is also
//! the translation key, the values the translation needs (`params`), and the
//! English `message` the engine wrote, for logs and for codes the window
//! has no words for.

use fieldbook_core::DraftError;
use fieldbook_core::requests::RequestError;
use fieldbook_erp::ErpError;
use fieldbook_store::StoreError;
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
            StoreError::Invalid(_) => "errors.form.invalid",
            StoreError::QuoteAlreadySent { .. } => "errors.quote.already_sent",
            StoreError::QuoteRefused { .. } => "errors.quote.refused",
            StoreError::InFlight { .. } => "errors.outbox.in_flight",
            StoreError::UnreadableEntry { .. } => "errors.outbox.unreadable",
            StoreError::EmptyKey | StoreError::Sqlite(_) | StoreError::Migration(_) => {
                "errors.cache.other"
            }
        };
        // A change the cache refuses as given (an accepted entry to
        // discard, ...) is the caller's to fix, not a broken cache.
        let kind = if error.is_refused_change() {
            ErrorKind::Input
        } else {
            ErrorKind::Cache
        };
        let mut app = AppError::new(code, message).of_kind(kind);
        if let StoreError::QuoteAlreadySent { entry, .. }
        | StoreError::QuoteRefused { entry, .. }
        | StoreError::InFlight { entry }
        | StoreError::UnreadableEntry { entry, .. } = &error
        {
            app = app.with("entry", entry);
        }
        if error.is_transient() {
            app.transient()
        } else {
            app
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
                price: dec!(1.234),
                digits: 2,
                rounded: dec!(1.23),
            }
            .into(),
            serde_json::json!({
                "code": "errors.draft.price_digits",
                "message": "line 2: the unit price 1.234 has more decimals than the currency allows (2); use 1.23",
                "params": {"digits": "2", "line": "2", "price": "1.234", "rounded": "1.23"},
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
