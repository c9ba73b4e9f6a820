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
pub mod formula;
pub mod pricing;
pub mod promise;
mod records;
pub mod requests;
mod states;

pub use age::{Age, age_between};
pub use drafts::{
    DraftError, DraftLine, ErpLine, LineInput, PRICE_DIGITS, PriceDifference, QuoteToOrder,
    SaleContent, SaleDifference, SaleDraft, SaleKind, SaleRef, TypedLine,
};
pub use entity::{Entity, SyncPart};
pub use records::*;
pub use states::{RequestState, SaleState};

/// The money the ERP keeps its amounts in: the company's currency, and how
/// many decimals its amounts have (2 for CNY, USD, EUR; 0 for JPY). The
/// estimates made before the ERP prices a sale are rounded to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217, e.g. `CNY`.
    pub code: String,
    pub digits: u32,
}

impl Currency {
    /// The most decimals a currency may have here.
    pub const MAX_DIGITS: u32 = 12;
}

/// The id of a record in the ERP.
pub type ErpId = i64;

/// What an outbox entry makes in the ERP, found there again by the entry's
/// uuid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Created {
    /// A quote or an order.
    Sale,
    /// A customer, with its addresses and contacts.
    Customer,
    /// An after-sales request.
    Request,
}

impl Created {
    /// Its name in the cache and in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Created::Sale => "sale",
            Created::Customer => "customer",
            Created::Request => "request",
        }
    }

    pub fn from_name(name: &str) -> Option<Created> {
        [Created::Sale, Created::Customer, Created::Request]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// A record the ERP holds: its id, and its number and state where it has
/// them (the state's name: [`SaleState::name`], [`RequestState::name`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRecord {
    pub erp_id: ErpId,
    pub number: Option<String>,
    pub state: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Created;

    #[test]
    fn a_created_kind_reads_back_from_its_name_and_nothing_else_does() {
        for kind in [Created::Sale, Created::Customer, Created::Request] {
            assert_eq!(Created::from_name(kind.name()), Some(kind));
        }
        for other in ["", "Sale", "order", "customer_new"] {
            assert_eq!(Created::from_name(other), None, "{other:?}");
        }
    }
}
