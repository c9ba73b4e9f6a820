//! Fieldbook's domain: what a salesperson knows about customers, products,
//! stock, credit and orders, and the arithmetic over it.
//!
//! **Architecture invariant:** this crate does no I/O. It reads no clock, no
//! file and no socket; times and ids are arguments. Everything here is pure
//! and table-tested, so it cannot fail for reasons outside its inputs.
//!
//! Terms used throughout the workspace:
//! - *ERP id* ([`ErpId`]): the record's id in the ERP; the cache keys ERP
//!   records by it.
//! - *synced at*: when this laptop last received the record. Every figure
//!   shown to a salesperson carries its age, computed from this.

mod age;
pub mod customers;
mod drafts;
mod entity;
mod records;
pub mod requests;

pub use age::{Age, age_between};
pub use drafts::{
    DraftError, DraftLine, PRICE_DIGITS, QuoteToOrder, SaleContent, SaleDifference, SaleDraft,
    SaleKind, SaleRef,
};
pub use entity::Entity;
pub use records::*;

/// The id of a record in the ERP.
pub type ErpId = i64;
