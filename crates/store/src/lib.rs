//! The local cache: an encrypted SQLite file holding what a salesperson needs
//! from the ERP, its sync cursors, and the search index over it.
//!
//! **Architecture invariant:** this crate knows nothing of the network or of
//! any ERP. It stores Fieldbook's domain records (`fieldbook-core`) and
//! answers questions about them. Every page of a sync is applied in one
//! transaction together with its cursor, so the file is never half-written.
//!
//! Terms: a *page* is one batch of records of one entity as pulled from the
//! ERP; a *cursor* says how far the pull of an entity has come; the *refresh
//! queue* lists records whose derived figures (stock, credit) must be re-read.

mod apply;
mod changes;
mod columns;
mod discarded;
mod error;
mod local;
mod not_readable;
mod open;
mod outbox;
mod pricing;
mod read;
mod sales;
mod search;

pub use apply::{Figure, PageEffects, PullCursor};
pub use changes::{AcceptedCustomer, Discarded, NewCustomer};
pub use discarded::DiscardedEntry;
pub use error::{Owned, Refusal, StoreError};
pub use not_readable::NotReadable;
pub use open::{CacheKey, SCHEMA_VERSION, Store};
pub use outbox::{
    EntryPayload, EntryState, ErpWarning, OutboxEntry, PAYLOAD_VERSION, QuarantinedEntry,
};
pub use read::{
    CustomerRef, CustomerView, EntityStatus, ErpLink, OrderSummary, ProductRef, ProductView,
    Status, StockRow, Synced,
};
pub use search::{SearchHit, SearchKind};
