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

mod engine;
mod plan;
mod push;

pub use engine::{Progress, SyncError, SyncOptions, SyncReport, pull};
pub use plan::{Step, advance, checks_deletions, page_effects, plan, removed_ids};
pub use push::{PushOptions, PushReport, backoff, push};
