//! The records the cache holds, as Fieldbook understands them (not as any
//! ERP names them).

use crate::ErpId;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A customer (a business partner the salesperson sells to).
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub tax_id: Option<String>,
    /// The price list the ERP prices their sales from (`None`: the
    /// company's default list).
    pub price_list_id: Option<ErpId>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Address {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    pub name: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub subdivision: Option<String>,
    pub country: Option<String>,
    pub invoice: bool,
    pub delivery: bool,
    pub active: bool,
}

impl Address {
    /// The address on one line, the way it is written on an envelope in the
    /// order the fields come (street, postal code and city, region, country).
    pub fn one_line(&self) -> String {
        let city = [self.postal_code.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        [
            self.street.as_deref(),
            Some(city.as_str()),
            self.subdivision.as_deref(),
            self.country.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(|part| part.trim().replace('\n', ", "))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A way to reach a customer: a phone number, an e-mail address, ...
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    /// `phone`, `mobile`, `email`, `fax`, `website`, or another kind the ERP
    /// knows; kept as the ERP's word so nothing is lost in translation.
    pub kind: String,
    pub value: String,
    pub name: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    /// The list price in the company currency, as many decimals as the ERP
    /// keeps. `None` when the ERP has no price for it.
    pub list_price: Option<Decimal>,
    pub salable: bool,
    /// What price lists and promotions look at besides the list price.
    pub pricing: ProductPricing,
    pub active: bool,
}

/// What the ERP's price lists and promotions read of a product besides its
/// list price. The cost price is kept only for price-list formulas that
/// use it: it is never shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductPricing {
    pub cost_price: Option<Decimal>,
    /// Its categories, the accounting one included (not their parents).
    pub category_ids: Vec<ErpId>,
    /// The ERP's ids of its default unit and of the unit it is sold in.
    pub unit_id: Option<ErpId>,
    /// The category of its default unit (units, weight, ...).
    pub unit_category_id: Option<ErpId>,
    pub sale_unit_id: Option<ErpId>,
}

/// A product category (categories nest: a price-list line or a promotion
/// for a category also takes its sub-categories).
#[derive(Clone, Debug, PartialEq)]
pub struct Category {
    pub erp_id: ErpId,
    pub name: String,
    pub parent_id: Option<ErpId>,
}

/// A price list, without its lines (they change on their own).
#[derive(Clone, Debug, PartialEq)]
pub struct PriceListHead {
    pub erp_id: ErpId,
    pub name: String,
    pub base: crate::pricing::ListBase,
    pub unit: crate::pricing::ListUnit,
    pub tax_included: bool,
    pub active: bool,
}

/// A line of a price list.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceListRule {
    pub price_list_id: ErpId,
    pub line: crate::pricing::PriceListLine,
}

/// A promotion, and whether the ERP still runs it.
#[derive(Clone, Debug, PartialEq)]
pub struct PromotionRecord {
    pub promotion: crate::pricing::Promotion,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Warehouse {
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
    pub active: bool,
}

/// What a warehouse holds of a product.
#[derive(Clone, Debug, PartialEq)]
pub struct StockLevel {
    pub product_id: ErpId,
    pub warehouse_id: ErpId,
    /// Physically there now.
    pub on_hand: Decimal,
    /// On hand plus what is expected in, minus what is promised out.
    pub forecast: Decimal,
}

/// A customer's credit standing, in the company currency.
#[derive(Clone, Debug, PartialEq)]
pub struct Credit {
    pub customer_id: ErpId,
    pub currency: String,
    /// `None`: the ERP sets no limit for this customer.
    pub limit: Option<Decimal>,
    /// What the ERP counts against the limit: receivables plus orders
    /// confirmed but not yet invoiced.
    pub used: Decimal,
    /// What the customer owes now, due or not.
    pub receivable: Decimal,
}

impl Credit {
    /// Limit minus used, or `None` when there is no limit. Negative when the
    /// customer is already over their limit.
    pub fn available(&self) -> Option<Decimal> {
        // Saturating: figures from a broken ERP answer must not panic.
        self.limit.map(|limit| limit.saturating_sub(self.used))
    }
}

/// A customer invoice that still has something to pay.
#[derive(Clone, Debug, PartialEq)]
pub struct Invoice {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    pub number: Option<String>,
    pub invoice_date: Option<NaiveDate>,
    /// The earliest date by which an unpaid part is due.
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub total: Decimal,
    pub amount_to_pay: Decimal,
    /// Open invoices only are kept; a paid, cancelled or draft invoice
    /// arriving in a sync removes the cached one.
    pub open: bool,
}

impl Invoice {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.open
            && self.amount_to_pay > Decimal::ZERO
            && self.due_date.is_some_and(|due| due < today)
    }
}

/// Money received from a customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    pub date: NaiveDate,
    pub currency: String,
    pub amount: Decimal,
    pub description: Option<String>,
}

/// A sale as the ERP holds it: a quotation or an order, in any state.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub erp_id: ErpId,
    /// The ERP's number, assigned when the sale is quoted or confirmed.
    pub number: Option<String>,
    pub customer_id: ErpId,
    pub customer_reference: Option<String>,
    pub state: crate::SaleState,
    pub order_date: Option<NaiveDate>,
    pub currency: String,
    pub untaxed: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderLine {
    pub erp_id: ErpId,
    pub order_id: ErpId,
    pub product_id: Option<ErpId>,
    pub description: Option<String>,
    pub quantity: Decimal,
    pub unit: Option<String>,
    pub unit_price: Option<Decimal>,
    pub amount: Decimal,
}

/// An after-sales request (a complaint or a service request) about a
/// customer, optionally about one of their orders or invoices.
#[derive(Clone, Debug, PartialEq)]
pub struct AfterSalesRequest {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    pub state: crate::RequestState,
    /// The kind of request, in the ERP's words.
    pub kind: Option<String>,
    pub description: Option<String>,
    /// The order it is about, if any.
    pub order_id: Option<ErpId>,
    /// The invoice it is about, if any.
    pub invoice_id: Option<ErpId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn credit(limit: Option<Decimal>, used: Decimal) -> Credit {
        Credit {
            customer_id: 1,
            currency: "CNY".into(),
            limit,
            used,
            receivable: used,
        }
    }

    #[test]
    fn available_credit_is_limit_minus_used() {
        let cases = [
            (Some(dec!(5000.00)), dec!(1200.50), Some(dec!(3799.50))),
            (Some(dec!(5000)), dec!(5000), Some(dec!(0))),
            (Some(dec!(5000)), dec!(6200.10), Some(dec!(-1200.10))),
            (None, dec!(99999), None),
        ];
        for (limit, used, expected) in cases {
            assert_eq!(
                credit(limit, used).available(),
                expected,
                "limit {limit:?} used {used}"
            );
        }
    }

    #[test]
    fn an_invoice_is_overdue_only_when_open_unpaid_and_past_due() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let invoice = |due: Option<(i32, u32, u32)>, to_pay: Decimal, open: bool| Invoice {
            erp_id: 1,
            customer_id: 1,
            number: None,
            invoice_date: None,
            due_date: due.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
            currency: "CNY".into(),
            total: dec!(100),
            amount_to_pay: to_pay,
            open,
        };
        assert!(invoice(Some((2026, 11, 24)), dec!(10), true).is_overdue(today));
        assert!(
            !invoice(Some((2026, 11, 25)), dec!(10), true).is_overdue(today),
            "due today is not overdue"
        );
        assert!(
            !invoice(Some((2026, 11, 1)), dec!(0), true).is_overdue(today),
            "nothing left to pay"
        );
        assert!(
            !invoice(Some((2026, 11, 1)), dec!(10), false).is_overdue(today),
            "closed"
        );
        assert!(
            !invoice(None, dec!(10), true).is_overdue(today),
            "no due date"
        );
    }

    #[test]
    fn an_address_reads_on_one_line() {
        let address = Address {
            erp_id: 1,
            customer_id: 1,
            name: None,
            street: Some("科技园南区 深南大道 9988号\n3栋".into()),
            postal_code: Some("518057".into()),
            city: Some("深圳".into()),
            subdivision: Some("广东省".into()),
            country: Some("China".into()),
            invoice: true,
            delivery: true,
            active: true,
        };
        assert_eq!(
            address.one_line(),
            "科技园南区 深南大道 9988号, 3栋, 518057 深圳, 广东省, China"
        );
        let bare = Address {
            street: None,
            postal_code: None,
            subdivision: None,
            country: None,
            ..address
        };
        assert_eq!(bare.one_line(), "深圳");
    }
}

/// One page of records of one entity, as the ERP sent them.
#[derive(Clone, Debug, PartialEq)]
pub enum Records {
    Warehouses(Vec<Warehouse>),
    Customers(Vec<Customer>),
    Addresses(Vec<Address>),
    Contacts(Vec<Contact>),
    Products(Vec<Product>),
    Categories(Vec<Category>),
    PriceLists(Vec<PriceListHead>),
    PriceListLines(Vec<PriceListRule>),
    Promotions(Vec<PromotionRecord>),
    Orders(Vec<Order>),
    OrderLines(Vec<OrderLine>),
    Invoices(Vec<Invoice>),
    Payments(Vec<Payment>),
    Complaints(Vec<AfterSalesRequest>),
}

impl Records {
    /// A page of `entity` with nothing in it.
    pub fn empty(entity: crate::Entity) -> Records {
        use crate::Entity;
        match entity {
            Entity::Warehouses => Records::Warehouses(Vec::new()),
            Entity::Customers => Records::Customers(Vec::new()),
            Entity::Addresses => Records::Addresses(Vec::new()),
            Entity::Contacts => Records::Contacts(Vec::new()),
            Entity::Products => Records::Products(Vec::new()),
            Entity::Categories => Records::Categories(Vec::new()),
            Entity::PriceLists => Records::PriceLists(Vec::new()),
            Entity::PriceListLines => Records::PriceListLines(Vec::new()),
            Entity::Promotions => Records::Promotions(Vec::new()),
            Entity::Orders => Records::Orders(Vec::new()),
            Entity::OrderLines => Records::OrderLines(Vec::new()),
            Entity::Invoices => Records::Invoices(Vec::new()),
            Entity::Payments => Records::Payments(Vec::new()),
            Entity::Complaints => Records::Complaints(Vec::new()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Records::Warehouses(records) => records.len(),
            Records::Customers(records) => records.len(),
            Records::Addresses(records) => records.len(),
            Records::Contacts(records) => records.len(),
            Records::Products(records) => records.len(),
            Records::Categories(records) => records.len(),
            Records::PriceLists(records) => records.len(),
            Records::PriceListLines(records) => records.len(),
            Records::Promotions(records) => records.len(),
            Records::Orders(records) => records.len(),
            Records::OrderLines(records) => records.len(),
            Records::Invoices(records) => records.len(),
            Records::Payments(records) => records.len(),
            Records::Complaints(records) => records.len(),
        }
    }

    /// The largest ERP id in the page (pages are ordered by id).
    pub fn last_id(&self) -> Option<crate::ErpId> {
        fn max<T>(records: &[T], id: impl Fn(&T) -> crate::ErpId) -> Option<crate::ErpId> {
            records.iter().map(id).max()
        }
        match self {
            Records::Warehouses(records) => max(records, |r| r.erp_id),
            Records::Customers(records) => max(records, |r| r.erp_id),
            Records::Addresses(records) => max(records, |r| r.erp_id),
            Records::Contacts(records) => max(records, |r| r.erp_id),
            Records::Products(records) => max(records, |r| r.erp_id),
            Records::Categories(records) => max(records, |r| r.erp_id),
            Records::PriceLists(records) => max(records, |r| r.erp_id),
            Records::PriceListLines(records) => max(records, |r| r.line.erp_id),
            Records::Promotions(records) => max(records, |r| r.promotion.erp_id),
            Records::Orders(records) => max(records, |r| r.erp_id),
            Records::OrderLines(records) => max(records, |r| r.erp_id),
            Records::Invoices(records) => max(records, |r| r.erp_id),
            Records::Payments(records) => max(records, |r| r.erp_id),
            Records::Complaints(records) => max(records, |r| r.erp_id),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn entity(&self) -> crate::Entity {
        use crate::Entity;
        match self {
            Records::Warehouses(_) => Entity::Warehouses,
            Records::Customers(_) => Entity::Customers,
            Records::Addresses(_) => Entity::Addresses,
            Records::Contacts(_) => Entity::Contacts,
            Records::Products(_) => Entity::Products,
            Records::Categories(_) => Entity::Categories,
            Records::PriceLists(_) => Entity::PriceLists,
            Records::PriceListLines(_) => Entity::PriceListLines,
            Records::Promotions(_) => Entity::Promotions,
            Records::Orders(_) => Entity::Orders,
            Records::OrderLines(_) => Entity::OrderLines,
            Records::Invoices(_) => Entity::Invoices,
            Records::Payments(_) => Entity::Payments,
            Records::Complaints(_) => Entity::Complaints,
        }
    }
}
