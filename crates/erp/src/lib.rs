//! What Fieldbook needs from an ERP, and the ERPs that provide it.
//!
//! [`Erp`] is the whole interface the sync engine uses: page through changed
//! records of an [`Entity`], count and list live ids (to find hard deletes),
//! and read the derived figures (stock, credit) for given records. Each
//! implementation lives in its own module and is the only code that knows
//! its ERP's words: above this crate we say customer, not `party.party`.
//!
//! **Architecture invariant:** nothing outside `tryton/` knows Tryton exists.

mod error;
pub mod tryton;

use chrono::{DateTime, Utc};
use fieldbook_core::customers::{Conflict, CustomerDraft, CustomerEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{
    Created, Credit, Currency, Entity, ErpId, HeldRecord, Records, SaleDraft, SaleRef, StockLevel,
};
use rust_decimal::Decimal;
use std::future::Future;

pub use error::ErpError;

/// Which page of an entity to pull.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullRequest {
    /// Only records changed (written, created, deactivated) at or after this
    /// ERP time; `None` for every live record (a full pull).
    pub since: Option<DateTime<Utc>>,
    /// Only records with a larger ERP id: pages are ordered by id.
    pub after_id: ErpId,
    pub limit: usize,
}

/// What the ERP made of a quote or order sent to it: its record, number,
/// state and totals, which replace the laptop's estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct SentSale {
    pub erp_id: ErpId,
    pub number: Option<String>,
    pub state: fieldbook_core::SaleState,
    pub untaxed: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    /// Where the sale the ERP already held (sent before, its answer lost)
    /// differs from the entry: the ERP's sale stands, and the salesperson
    /// is told in plain words. Empty for a sale made or rewritten from the
    /// entry now.
    pub differences: Vec<fieldbook_core::SaleDifference>,
    /// The ERP's lines as it holds them now, `(product, quantity, unit
    /// price)` after the promotions applied at quotation, to compare with
    /// the prices the laptop showed; `None` when the ERP did not say (an
    /// older Fieldbook module).
    pub lines: Option<Vec<fieldbook_core::ErpLine>>,
}

/// What the ERP made of a customer change: the customer's record and code,
/// its ids for the records the change created (by the uuids they were sent
/// with), and the edits where its own value won.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SentCustomer {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub ids: Vec<(String, ErpId)>,
    pub conflicts: Vec<Conflict>,
}

/// What the ERP made of an after-sales request: its record, number and
/// state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentRequest {
    pub erp_id: ErpId,
    pub number: Option<String>,
    pub state: fieldbook_core::RequestState,
}

/// One thing a delta sync asks the ERP before it reads any page (see
/// [`Erp::survey`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// How many records of the entity changed (created, written or
    /// deactivated) since.
    Changed {
        entity: Entity,
        since: DateTime<Utc>,
    },
    /// How many live records of the entity the ERP has.
    Live(Entity),
    /// How many stock moves changed since.
    StockMoved(DateTime<Utc>),
    /// How many receivable lines changed since.
    CreditMoved(DateTime<Utc>),
}

/// The ERP's answers to a survey: its clock when it answered (see
/// [`Erp::clock`]), then one answer per question, in order; a question
/// about what the user may not read is answered
/// [`ErpError::NotPermitted`].
#[derive(Debug)]
pub struct Survey {
    pub clock: DateTime<Utc>,
    pub answers: Vec<Result<u64, ErpError>>,
}

/// What the sync engine needs from an ERP.
pub trait Erp: Send + Sync {
    /// Answers every question in one request, when this ERP can (Tryton
    /// with Fieldbook's module): a delta sync with nothing new then costs
    /// the ERP one request instead of one per entity. `None`: it cannot,
    /// and the engine asks step by step.
    fn survey(
        &self,
        _questions: &[Question],
    ) -> impl Future<Output = Result<Option<Survey>, ErpError>> + Send {
        async { Ok(None) }
    }

    /// The company's currency: the code and the decimals of the amounts
    /// the ERP keeps, which estimates made offline are rounded to.
    fn currency(&self) -> Currency;

    /// The company's default price list, as of connecting: what sales of
    /// customers without one of their own are priced from. `None`: it has
    /// none (or this ERP has no price lists).
    fn default_price_list(&self) -> Option<ErpId>;

    /// The ERP's clock now: the lower bound of the next delta is taken from
    /// it, never from the laptop's clock.
    fn clock(&self) -> impl Future<Output = Result<DateTime<Utc>, ErpError>> + Send;

    /// Whether [`Erp::clock`] (and a survey's clock) dates every change not
    /// yet read: nothing committed later is dated before it (Tryton on
    /// PostgreSQL with Fieldbook's module answers the start of the oldest
    /// transaction still running). A delta from an exact clock needs no
    /// overlap; otherwise the sync looks back by its overlap, for clock
    /// skew and for transactions that commit late.
    fn exact_clock(&self) -> bool {
        false
    }

    /// One page of records, ordered by ERP id. A delta page includes
    /// deactivated records (with `active == false`) so they leave the cache.
    fn pull(
        &self,
        entity: Entity,
        request: PullRequest,
    ) -> impl Future<Output = Result<Records, ErpError>> + Send;

    /// How many live records the ERP has of an entity.
    fn count(&self, entity: Entity) -> impl Future<Output = Result<u64, ErpError>> + Send;

    /// The ids of every live record of an entity, ascending.
    fn ids(&self, entity: Entity) -> impl Future<Output = Result<Vec<ErpId>, ErpError>> + Send;

    /// How many products one [`Erp::stock`] call serves best, when the ERP
    /// knows better than the sync's default chunk.
    fn stock_batch(&self) -> Option<usize> {
        None
    }

    /// Stock of these products in these warehouses.
    fn stock(
        &self,
        products: &[ErpId],
        warehouses: &[ErpId],
    ) -> impl Future<Output = Result<Vec<StockLevel>, ErpError>> + Send;

    /// Credit standing of these customers.
    fn credit(
        &self,
        customers: &[ErpId],
    ) -> impl Future<Output = Result<Vec<Credit>, ErpError>> + Send;

    /// Products whose stock moved (a stock move created or changed) since.
    fn products_moved_since(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<ErpId>, ErpError>> + Send;

    /// Customers whose receivables moved (an accounting line on a
    /// receivable account created or changed) since.
    fn customers_with_receivables_since(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<ErpId>, ErpError>> + Send;

    /// Sends a quote or order written offline, identified by the client's
    /// `uuid`. Sending the same uuid again never makes a second sale: the
    /// ERP's record is found by it and taken on from where it stopped.
    /// `acknowledged_warning` names a warning the salesperson has accepted,
    /// skipped once. Rejections and warnings come back as
    /// [`ErpError::Rejected`] and [`ErpError::Warning`], in the ERP's words.
    fn send_sale(
        &self,
        uuid: &str,
        draft: &SaleDraft,
        acknowledged_warning: Option<&str>,
    ) -> impl Future<Output = Result<SentSale, ErpError>> + Send;

    /// Turns a quotation into an order: the ERP confirms it. Confirming a
    /// sale the ERP has confirmed already is not an error (the answer to an
    /// earlier try was lost): its state comes back as it is. A sale the ERP
    /// cancelled or no longer has is [`ErpError::Rejected`].
    fn confirm_sale(
        &self,
        sale: &SaleRef,
        acknowledged_warning: Option<&str>,
    ) -> impl Future<Output = Result<SentSale, ErpError>> + Send;

    /// Creates a customer written offline, with its addresses and
    /// contacts, identified by the client's `uuid` (each address and
    /// contact by its own): sent again, the customer the ERP already has is
    /// found, never made twice.
    fn create_customer(
        &self,
        uuid: &str,
        draft: &CustomerDraft,
    ) -> impl Future<Output = Result<SentCustomer, ErpError>> + Send;

    /// Applies a customer edit (its ids the ERP's). A field whose ERP value
    /// is still the edit's `base` takes the new value; one the ERP changed
    /// since keeps the ERP's value and comes back as a conflict. Added
    /// addresses and contacts are found by their uuids before any is made.
    fn edit_customer(
        &self,
        edit: &CustomerEdit,
    ) -> impl Future<Output = Result<SentCustomer, ErpError>> + Send;

    /// Files an after-sales request identified by the client's `uuid` (sent
    /// again, the request the ERP already has is found) and submits it for
    /// the ERP's after-sales team. `acknowledged_warning` (a similar request
    /// exists, ...) is skipped once, as for sales.
    fn file_request(
        &self,
        uuid: &str,
        draft: &RequestDraft,
        acknowledged_warning: Option<&str>,
    ) -> impl Future<Output = Result<SentRequest, ErpError>> + Send;

    /// The live record of this kind the ERP holds under an entry's `uuid`
    /// (a sale or request not cancelled, an active customer), or `None`:
    /// proof that nothing of the entry stands in the ERP.
    fn held(
        &self,
        kind: Created,
        uuid: &str,
    ) -> impl Future<Output = Result<Option<HeldRecord>, ErpError>> + Send;
}
