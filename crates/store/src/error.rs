use fieldbook_core::customers::CustomerError;
use fieldbook_core::requests::RequestError;
use fieldbook_core::{ErpId, SaleKind};
use std::path::PathBuf;

/// What can go wrong with the cache file. Each message says what is wrong
/// and what to do about it, in words any front end can use: how to do it
/// (a command, a button) is the front end's to say.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no cache at {path}: connect to the ERP first, which creates it")]
    Missing { path: PathBuf },

    #[error("a cache already exists at {path}: use it, or pick another data folder")]
    AlreadyExists { path: PathBuf },

    #[error(
        "cannot read the cache at {path}: the encryption key is wrong or the file is not a Fieldbook cache. \
         Use the key the cache was created with; if it is lost, move the file away and connect again, which rebuilds it from the ERP"
    )]
    WrongKeyOrNotACache { path: PathBuf },

    #[error(
        "the cache is damaged ({detail}): move the file away and connect again, which rebuilds it from the ERP"
    )]
    Corrupt { detail: String },

    #[error(
        "the cache at {path} is in use by another program (another Fieldbook sync?): wait for it to finish and try again"
    )]
    Locked { path: PathBuf },

    /// Another connection (the sync, the window, the CLI) held the cache's
    /// write lock for longer than the busy timeout. Nothing was written.
    #[error(
        "the cache is busy with another change (a sync?): nothing was saved; try again in a moment"
    )]
    Busy,

    #[error(
        "the cache at {path} was written by a newer Fieldbook (schema {found}, this one knows up to {supported}): \
         update Fieldbook"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("the cache key is empty: give a non-empty key")]
    EmptyKey,

    #[error(
        "the cache's raw key is not 64 hex digits: the keyring entry is damaged; sign out and connect again"
    )]
    BadRawKey,

    #[error("cache error: {0}")]
    Sqlite(rusqlite::Error),

    #[error("cache migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    /// A change the cache refuses as given: the caller's to fix, not a
    /// broken cache. Nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),

    /// An outbox entry this build cannot read (written by a newer
    /// Fieldbook, or damaged): kept aside, never sent; the rest go on.
    #[error(
        "outbox entry {entry} cannot be read by this Fieldbook ({reason}): it is kept aside and not sent; \
         update Fieldbook, or discard the entry"
    )]
    UnreadableEntry { entry: i64, reason: String },

    #[error(
        "the cache holds a value it cannot read ({0}): move it away and connect again, which rebuilds it from the ERP"
    )]
    BadValue(String),
}

impl StoreError {
    /// Whether the cache refused a change as given: the caller's to fix,
    /// not a broken cache.
    pub fn is_refused_change(&self) -> bool {
        matches!(self, StoreError::Refused(_))
    }

    /// Whether trying the same thing again later can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Locked { .. } | StoreError::Busy)
    }
}

impl From<rusqlite::Error> for StoreError {
    /// Damage can show on any read, not only when the file is opened: a
    /// page that fails its checksum (SQLCipher authenticates every page) is
    /// reported as damage, whatever the query. A lock that another
    /// connection held past the busy timeout is a passing [`StoreError::Busy`].
    fn from(error: rusqlite::Error) -> StoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                StoreError::Corrupt {
                    detail: error.to_string(),
                }
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

/// Why the cache refused a change, one variant per refusal, so a caller
/// never matches a message. Each message says what is wrong and what to do,
/// in words any front end can use.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A customer change its own rules refuse.
    #[error(transparent)]
    Customer(#[from] CustomerError),

    /// An after-sales request its own rules refuse.
    #[error(transparent)]
    Request(#[from] RequestError),

    #[error(
        "customer {customer_id} is not in the cache (no longer active in the ERP?): choose another customer, or sync first"
    )]
    CustomerNotCached { customer_id: ErpId },

    #[error(
        "line {line}: product {product_id} is not in the cache (no longer active in the ERP?): choose another product"
    )]
    ProductNotCached { line: usize, product_id: ErpId },

    #[error("line {line}: product {product} is not for sale: choose another product")]
    NotForSale { line: usize, product: String },

    #[error("warehouse {warehouse_id} is not in the cache: pick one it holds, or sync")]
    WarehouseNotCached { warehouse_id: ErpId },

    /// A record named for a customer's change belongs to another customer.
    #[error("{} {id} is not one of {customer}'s: pick one of theirs", what.word())]
    NotTheirs {
        what: Owned,
        id: ErpId,
        /// How the salesperson knows the customer (code, else name).
        customer: String,
    },

    /// No entry with this number waits for the ERP (none at all, or the ERP
    /// has accepted it).
    #[error(
        "no outbox entry {entry} waiting to be sent: the outbox lists every entry (one the ERP accepted no longer changes)"
    )]
    NoWaitingEntry { entry: i64 },

    #[error(
        "outbox entry {entry} was accepted by the ERP and can no longer be edited: change it in the ERP"
    )]
    EntryAccepted { entry: i64 },

    /// A sale's kind does not change on edit: a quote stays a quote.
    #[error(
        "outbox entry {entry} is {}, not {}: edit it as {} or discard it and write a new one",
        kind_word(*found), kind_word(*given), kind_word(*found)
    )]
    OtherKind {
        entry: i64,
        found: SaleKind,
        given: SaleKind,
    },

    #[error(
        "outbox entry {entry} is for another customer: a sale cannot change customer; discard it and write a new one"
    )]
    OtherCustomer { entry: i64 },

    #[error(
        "outbox entry {entry} turns a quote into an order and has nothing to edit: edit the quote instead"
    )]
    NothingToEdit { entry: i64 },

    #[error("outbox entry {entry} is not a quote or order: there is nothing to edit as a sale")]
    NotASale { entry: i64 },

    #[error("outbox entry {entry} is an order already, not a quote")]
    AlreadyAnOrder { entry: i64 },

    #[error("the quote {label} is not in the outbox: pick a quote the outbox or the ERP holds")]
    QuoteNotInOutbox { label: String },

    /// A quote already has its outbox entry to become an order: the store
    /// keeps one per quote.
    #[error("{label} is already on its way to become an order: outbox entry {entry}")]
    QuoteAlreadySent { label: String, entry: i64 },

    /// A quote the ERP refused does not become an order until it is sent
    /// again (edited, or as it is) and the ERP takes it.
    #[error(
        "{label} was refused by the ERP (outbox entry {entry}): send it again, edited if need be, before it can become an order"
    )]
    QuoteRefused { label: String, entry: i64 },

    /// The entry may already be in the ERP (a request carrying it got no
    /// answer that settled it): editing, retrying or discarding it now could
    /// leave the ERP with something other than what the laptop shows.
    #[error(
        "outbox entry {entry} may already be in the ERP (its last sending got no answer): sync first; \
         then edit, resend or discard it if the ERP refused it"
    )]
    InFlight { entry: i64 },

    /// A record written offline is named before the ERP has it.
    #[error(
        "record {id} was written offline and has not reached the ERP yet: the entry that creates it goes first"
    )]
    NotInErpYet { id: ErpId },

    #[error("no record {id} in the cache: pick one the cache holds, or sync")]
    UnknownRecord { id: ErpId },

    /// The uuid of a record or entry written here is used already: the same
    /// change was saved twice.
    #[error("a record or outbox entry {uuid} was written already: nothing was saved twice")]
    AlreadyWritten { uuid: String },

    #[error("the outbox entry {uuid} this one depends on is not in the outbox")]
    UnknownDependency { uuid: String },
}

/// A record that belongs to one customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    InvoiceAddress,
    ShipmentAddress,
    Order,
    Invoice,
}

impl Owned {
    /// Its name in messages and in message codes.
    pub fn word(self) -> &'static str {
        match self {
            Owned::InvoiceAddress => "invoice address",
            Owned::ShipmentAddress => "shipment address",
            Owned::Order => "order",
            Owned::Invoice => "invoice",
        }
    }
}

fn kind_word(kind: SaleKind) -> &'static str {
    match kind {
        SaleKind::Quote => "a quote",
        SaleKind::Order => "an order",
    }
}
