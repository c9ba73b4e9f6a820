//! The sync engine: brings the cache up to date with the ERP.
//!
//! Terms. A *pull* brings one entity's changed records, page by page, each
//! page applied with its cursor in one transaction. A *run* is one pull from
//! a cursor to the end; a *full* run (no `since`) reads every live record, a
//! *delta* run the records changed since the previous run started, by the
//! ERP's clock, with an overlap for clock and transaction skew. *Derived
//! figures* (stock per warehouse, credit) change without their record
//! changing; they are re-read for the records that moved them: queued by the
//! pages that touched them and by the stock moves and receivable lines the
//! ERP reports since the last look.
//!
//! The engine is split as atuin's is: pure functions decide ([`plan`],
//! [`page_effects`], [`advance`], [`removed_ids`]); [`pull`] executes, and
//! is tested against the real Tryton.
//!
//! # How a sync works
//!
//! For each entity, a run pages through records in ERP-id order: a full run
//! (first sync) reads every live record; a delta run reads records created,
//! written or deactivated since the previous run started, by the ERP's clock,
//! less an overlap for clock skew ([`plan`]'s `overlap`). Each page is applied
//! with its cursor `(since, after_id)` in one transaction, so a sync killed
//! anywhere resumes at the next page. Paging is by id under a changed-since
//! bound, not by a change time: an ERP's change time may be empty until a
//! record is first written, and a record may change when another does (a
//! product with its template), so no single column orders all changes. The
//! bound keeps a delta small; the id order keeps paging stable.
//!
//! A delta first surveys ([`fieldbook_erp::Erp::survey`], one request where
//! the ERP can; `plan::questions` says what it asks): for every entity read
//! whole before, how many records changed since its bound and, where the ERP
//! deletes, how many are live; for each figure, how many lines moved it. The
//! steps then skip what the survey found empty, so a delta with nothing new
//! costs the ERP one request. Without a survey the engine asks step by step.
//! Where the ERP's clock is exact ([`fieldbook_erp::Erp::exact_clock`]:
//! nothing committed later is dated before it), a delta reads from its bound
//! with no overlap; otherwise every delta reads the overlap's changes again.
//!
//! Derived figures (stock per warehouse, credit) change without their record
//! changing. Pages queue the records whose figures they may have moved (new
//! products, customers with new orders, invoices or payments); the ERP is
//! asked for products with stock moves and customers with receivable lines
//! since the last look; the queue, kept in the cache so it survives a crash,
//! is then drained in chunks (one chunk when the ERP reads stock in bulk,
//! [`fieldbook_erp::Erp::stock_batch`]).
//!
//! The search index is written with the pages, in the same transactions. On a
//! full run of customers, addresses and contacts (a first sync), pages queue
//! their customers instead (`PageEffects::index_later`) and the engine
//! indexes the queue once the contacts are in: each customer once rather than
//! three times.
//!
//! Rights: each step reads one sync part ([`fieldbook_core::SyncPart`]). A
//! part the ERP user may not read ([`fieldbook_erp::ErpError::NotPermitted`])
//! is marked in the cache with its first and latest refusal; the engine goes
//! on with the other parts, skips the marked one until
//! [`SyncOptions::not_readable_retry`] has passed, and forgets the mark the
//! first time the part is read. Its cursor stays where it was, so a part read
//! again after weeks catches up from there. Any other refusal ends the sync.
//!
//! Deleted records leave no trace in the ERP: after a delta run, the engine
//! compares the ERP's count of live records with the cache's and fetches the
//! id list only when they differ. A deactivated customer's row and search
//! entry go; their addresses, contacts, orders and invoices stay unseen, so a
//! reactivated customer comes back whole.

mod engine;
mod plan;
mod push;

pub use engine::{Progress, SyncError, SyncOptions, SyncReport, pull};
pub use plan::{Step, advance, checks_deletions, page_effects, plan, removed_ids};
pub use push::{PushOptions, PushReport, backoff, push, push_reporting};
