//! The ERP's price, computed on the laptop: customer price lists with their
//! quantity tiers and category lines, the salesperson's discount, and the
//! promotions the ERP applies when it records a quote.
//!
//! One function, [`price_sale`], pure: given what the cache holds (a
//! [`PriceBook`]), the customer's price list, the day and the lines, it
//! says for each line its price, where the price comes from and what a
//! promotion takes off, and the sale's untaxed total, rounded as the ERP
//! rounds (half-even: unit prices to [`PRICE_DIGITS`], amounts to the
//! currency's digits). Where it cannot know the ERP's answer (a formula it
//! cannot evaluate, a tax it does not know), it says so and why: never a
//! number the ERP would not give.
//!
//! The rules are Tryton's (product_price_list, sale_price_list,
//! sale_discount, sale_promotion, 8.2), said here in Fieldbook's words:
//! - A price list's lines are tried in order (sequence, lines without one
//!   first, then id); the first whose product, category (the product's
//!   categories and their parents) and minimum quantity match gives the
//!   price by its formula, rounded to the price digits. No line matching
//!   means no price.
//! - A customer without a list is priced from the company's default list,
//!   and without that at the product's list price.
//! - A promotion applies when the sale is recorded as a quote: in order,
//!   each one whose dates hold today, whose price list (if any) is the
//!   sale's, whose minimum quantity (over the lines it concerns) and
//!   minimum amount (the sale before promotions) are reached, prices each
//!   line it concerns by its formula over the product's price from the
//!   sale's list at quantity 0, and replaces the line's price when that is
//!   not higher.

use crate::formula::{Formula, FormulaError, Names};
use crate::{ErpId, PRICE_DIGITS};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// What a price list's formula calls `unit_price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListBase {
    ListPrice,
    CostPrice,
    /// Nothing: a formula using `unit_price` gives no price.
    Nothing,
}

/// The unit a price list's minimum quantities are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListUnit {
    /// The product's default unit.
    Default,
    /// The unit the product is sold in.
    Sale,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PriceList {
    pub erp_id: ErpId,
    pub name: String,
    pub base: ListBase,
    pub unit: ListUnit,
    /// Its formulas give prices with taxes, which the ERP takes off.
    pub tax_included: bool,
    pub lines: Vec<PriceListLine>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PriceListLine {
    pub erp_id: ErpId,
    pub sequence: Option<i64>,
    pub category_id: Option<ErpId>,
    pub product_id: Option<ErpId>,
    /// The least quantity the line applies from. The ERP keeps it as a
    /// float and compares it as one.
    pub quantity: Option<f64>,
    pub formula: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    pub erp_id: ErpId,
    pub name: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Only for sales on this price list.
    pub price_list_id: Option<ErpId>,
    /// The least amount of the sale (in the company currency).
    pub amount: Option<Decimal>,
    /// Whether [`Promotion::amount`] is before taxes (else with them).
    pub untaxed_amount: bool,
    /// The least quantity over the lines it concerns, in `unit_id`.
    pub quantity: Option<f64>,
    pub unit_id: Option<ErpId>,
    /// The category of `unit_id`: lines in units of another category are
    /// not its concern.
    pub unit_category_id: Option<ErpId>,
    /// The products it concerns (none: every product) ...
    pub product_ids: Vec<ErpId>,
    /// ... and the categories (none: every category).
    pub category_ids: Vec<ErpId>,
    pub formula: String,
}

/// What pricing needs to know of a product.
#[derive(Clone, Debug, PartialEq)]
pub struct PricedProduct {
    pub erp_id: ErpId,
    pub list_price: Option<Decimal>,
    pub cost_price: Option<Decimal>,
    /// Its categories, the accounting one included (not their parents).
    pub category_ids: Vec<ErpId>,
    /// Its default unit and the unit it is sold in, where known.
    pub unit_id: Option<ErpId>,
    pub unit_category_id: Option<ErpId>,
    pub sale_unit_id: Option<ErpId>,
    /// The rate of its sale taxes (0.13 for 13 %) where known: `None` when
    /// the cache does not know them.
    pub tax_rate: Option<Decimal>,
}

/// The pricing data the cache holds, as one value to price from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceBook {
    pub lists: HashMap<ErpId, PriceList>,
    /// The company's default list, for customers without one.
    pub default_list_id: Option<ErpId>,
    /// Every promotion (the book filters them by date and list).
    pub promotions: Vec<Promotion>,
    /// Each category's parent.
    pub category_parents: HashMap<ErpId, Option<ErpId>>,
}

/// A line to price, as the salesperson wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct LineToPrice {
    pub product: PricedProduct,
    pub quantity: Decimal,
    /// A price the salesperson typed: it replaces the list's.
    pub typed_price: Option<Decimal>,
    /// Fraction taken off the price (0.1 is 10 %).
    pub discount: Decimal,
}

/// A sale to price.
#[derive(Clone, Debug, PartialEq)]
pub struct SaleToPrice {
    /// The customer's own price list (`None`: the company's default).
    pub customer_list_id: Option<ErpId>,
    /// The day the ERP will record it (promotions' dates are compared
    /// with it).
    pub date: NaiveDate,
    pub currency_digits: u32,
    pub lines: Vec<LineToPrice>,
}

/// Where a line's price comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum PriceSource {
    /// The salesperson typed it.
    Typed,
    /// The product's list price (the customer has no price list).
    ListPrice,
    /// A line of a price list.
    List {
        list_id: ErpId,
        list: String,
        /// The least quantity of the line that matched, if it has one.
        from_quantity: Option<f64>,
        formula: String,
    },
}

impl fmt::Display for PriceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceSource::Typed => f.write_str("typed"),
            PriceSource::ListPrice => f.write_str("list price"),
            PriceSource::List {
                list,
                from_quantity,
                formula,
                ..
            } => {
                write!(f, "{list}")?;
                if let Some(quantity) = from_quantity {
                    write!(f, ", {quantity} or more")?;
                }
                write!(f, ": {formula}")
            }
        }
    }
}

/// Why the laptop cannot say what the ERP will ask for a line.
#[derive(Clone, Debug, PartialEq)]
pub enum Unpriceable {
    /// The customer's price list has no line for this product and
    /// quantity, or its formula gives nothing: the ERP has no price either.
    NoPrice { list: String },
    /// The product has no list price and none was typed.
    NoListPrice,
    /// A price list's formula the laptop cannot evaluate.
    Formula {
        list: String,
        formula: String,
        error: FormulaError,
    },
    /// A price list whose prices include taxes the cache does not know.
    TaxIncluded { list: String },
    /// The list's quantities are in the unit the product is sold in, which
    /// differs from its default unit.
    SaleUnit { list: String },
    /// A promotion that may apply and that the laptop cannot evaluate.
    Promotion { promotion: String, reason: String },
    /// The customer's price list is not in the cache.
    UnknownList { list_id: ErpId },
}

impl Unpriceable {
    /// Whether the ERP has no price for the line either (so one must be
    /// typed), rather than one this laptop cannot compute.
    pub fn erp_has_no_price(&self) -> bool {
        matches!(self, Unpriceable::NoPrice { .. } | Unpriceable::NoListPrice)
    }
}

impl fmt::Display for Unpriceable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unpriceable::NoPrice { list } => {
                write!(f, "the price list {list} has no price for it: type one")
            }
            Unpriceable::NoListPrice => f.write_str("the product has no list price: type one"),
            Unpriceable::Formula {
                list,
                formula,
                error,
            } => write!(
                f,
                "the price list {list}'s formula `{formula}`: {error}; the ERP will price it"
            ),
            Unpriceable::TaxIncluded { list } => write!(
                f,
                "the price list {list} includes taxes this laptop does not know; the ERP will price it"
            ),
            Unpriceable::SaleUnit { list } => write!(
                f,
                "the price list {list} counts in the product's sale unit; the ERP will price it"
            ),
            Unpriceable::Promotion { promotion, reason } => write!(
                f,
                "the promotion {promotion} may apply and cannot be evaluated offline ({reason}); the ERP will price it"
            ),
            Unpriceable::UnknownList { list_id } => write!(
                f,
                "the customer's price list ({list_id}) is not on this laptop yet: sync; the ERP will price it"
            ),
        }
    }
}

/// A promotion the ERP will apply to a line.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedPromotion {
    pub promotion_id: ErpId,
    pub name: String,
    /// The line's price before it (what the ERP keeps as the original).
    pub before: Decimal,
    pub unit_price: Decimal,
}

/// One line, priced.
#[derive(Clone, Debug, PartialEq)]
pub struct PricedLine {
    /// The product's list price, to the price digits: the ERP's base price
    /// for a line without a typed discount.
    pub list_price: Option<Decimal>,
    /// The price before discount and promotions, and where it comes from.
    pub price: Result<(Decimal, PriceSource), Unpriceable>,
    pub discount: Decimal,
    /// After the discount: what is sent as the line's unit price.
    pub net_price: Option<Decimal>,
    /// What a promotion will make of it when the ERP records the quote.
    pub promotion: Option<AppliedPromotion>,
    /// A promotion may apply that the laptop cannot evaluate.
    pub promotion_unknown: Option<Unpriceable>,
    /// The price the ERP will charge, when the laptop knows it.
    pub unit_price: Option<Decimal>,
    /// Quantity times [`PricedLine::unit_price`], to the currency's digits.
    pub amount: Option<Decimal>,
}

impl PricedLine {
    /// Why the ERP's price for this line is not known here, if it is not.
    pub fn unknown(&self) -> Option<&Unpriceable> {
        match &self.price {
            Err(why) => Some(why),
            Ok(_) => self.promotion_unknown.as_ref(),
        }
    }
}

/// A sale, priced.
#[derive(Clone, Debug, PartialEq)]
pub struct PricedSale {
    /// The price list the sale is on (the customer's, or the company's
    /// default): the ERP records it with the sale.
    pub price_list_id: Option<ErpId>,
    pub lines: Vec<PricedLine>,
    /// The untaxed total, when every line's price is known here.
    pub untaxed: Option<Decimal>,
}

fn round_price(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(PRICE_DIGITS, RoundingStrategy::MidpointNearestEven)
}

/// An amount to the currency's digits, half-even, written with exactly
/// that many decimals as the ERP writes it (672.00, not 672).
pub(crate) fn round_amount(value: Decimal, digits: u32) -> Decimal {
    let mut amount = value.round_dp_with_strategy(digits, RoundingStrategy::MidpointNearestEven);
    amount.rescale(digits);
    amount
}

/// The ERP's line amount: quantity times unit price, to the currency's
/// digits (saturating: absurd figures give absurd amounts, not a panic).
pub(crate) fn amount(quantity: Decimal, unit_price: Decimal, digits: u32) -> Decimal {
    round_amount(quantity.saturating_mul(unit_price), digits)
}

impl PriceBook {
    /// The list a customer's sale is on: theirs, else the company's default.
    pub fn list_for(&self, customer_list_id: Option<ErpId>) -> Option<ErpId> {
        customer_list_id.or(self.default_list_id)
    }

    /// The product's categories with all their parents.
    fn categories_of(&self, product: &PricedProduct) -> BTreeSet<ErpId> {
        let mut all = BTreeSet::new();
        for &first in &product.category_ids {
            let mut next = Some(first);
            // A cycle in damaged data ends when a category comes again.
            while let Some(category) = next {
                if !all.insert(category) {
                    break;
                }
                next = self.category_parents.get(&category).copied().flatten();
            }
        }
        all
    }

    /// The price of `quantity` of `product` on the list `list_id` (`None`:
    /// no list, the product's list price), as the ERP computes it.
    pub fn list_price(
        &self,
        list_id: Option<ErpId>,
        product: &PricedProduct,
        quantity: Decimal,
    ) -> Result<(Decimal, PriceSource), Unpriceable> {
        let Some(list_id) = list_id else {
            return product
                .list_price
                .map(|price| (round_price(price), PriceSource::ListPrice))
                .ok_or(Unpriceable::NoListPrice);
        };
        let list = self
            .lists
            .get(&list_id)
            .ok_or(Unpriceable::UnknownList { list_id })?;
        if list.unit == ListUnit::Sale && product.sale_unit_id != product.unit_id {
            return Err(Unpriceable::SaleUnit {
                list: list.name.clone(),
            });
        }
        let categories = self.categories_of(product);
        let wanted = quantity.to_f64().unwrap_or(f64::MAX).abs();
        let mut lines: Vec<&PriceListLine> = list.lines.iter().collect();
        // Sequence ascending, lines without one first, then by id.
        lines.sort_by_key(|line| (line.sequence.is_some(), line.sequence, line.erp_id));
        let matched = lines.into_iter().find(|line| {
            line.quantity.is_none_or(|least| least <= wanted)
                && line
                    .category_id
                    .is_none_or(|category| categories.contains(&category))
                && line.product_id.is_none_or(|id| id == product.erp_id)
        });
        let Some(line) = matched else {
            return Err(Unpriceable::NoPrice {
                list: list.name.clone(),
            });
        };
        let formula_error = |error: FormulaError| Unpriceable::Formula {
            list: list.name.clone(),
            formula: line.formula.clone(),
            error,
        };
        let formula = Formula::parse(&line.formula).map_err(formula_error)?;
        let names = Names {
            unit_price: match list.base {
                ListBase::ListPrice => product.list_price,
                ListBase::CostPrice => Some(product.cost_price.unwrap_or(Decimal::ZERO)),
                ListBase::Nothing => None,
            },
            cost_price: Some(product.cost_price.unwrap_or(Decimal::ZERO)),
            list_price: product.list_price,
        };
        let Some(price) = formula.eval(&names).map_err(formula_error)? else {
            return Err(Unpriceable::NoPrice {
                list: list.name.clone(),
            });
        };
        if list.tax_included && product.tax_rate != Some(Decimal::ZERO) {
            return Err(Unpriceable::TaxIncluded {
                list: list.name.clone(),
            });
        }
        Ok((
            round_price(price),
            PriceSource::List {
                list_id,
                list: list.name.clone(),
                from_quantity: line.quantity,
                formula: line.formula.clone(),
            },
        ))
    }
}

/// A promotion's verdict on a sale, as the ERP reaches it.
enum Verdict {
    Applies,
    DoesNot,
    Unknown(String),
}

impl Promotion {
    fn in_force(&self, date: NaiveDate, list_id: Option<ErpId>) -> bool {
        self.start_date.is_none_or(|start| start <= date)
            && self.end_date.is_none_or(|end| end >= date)
            && self.price_list_id.is_none_or(|id| Some(id) == list_id)
    }

    /// Whether the promotion concerns a line (its product, its categories,
    /// a positive quantity and price), as the ERP decides it.
    fn concerns(
        &self,
        book: &PriceBook,
        product: &PricedProduct,
        quantity: Decimal,
        price: Decimal,
    ) -> bool {
        if quantity <= Decimal::ZERO || price <= Decimal::ZERO {
            return false;
        }
        // A promotion counting in a unit concerns lines in units of that
        // unit's category only (a line with an unknown category may be its
        // concern: `verdict` says so).
        if self.unit_id.is_some()
            && self.unit_category_id.is_some()
            && product.unit_category_id.is_some()
            && product.unit_category_id != self.unit_category_id
        {
            return false;
        }
        if !self.product_ids.is_empty() && !self.product_ids.contains(&product.erp_id) {
            return false;
        }
        if !self.category_ids.is_empty() {
            let categories = book.categories_of(product);
            if !self.category_ids.iter().any(|id| categories.contains(id)) {
                return false;
            }
        }
        true
    }
}

impl PricedSale {
    /// What each promotion takes off the sale, all its lines together
    /// (each line's amount before it less its amount after it), in the
    /// order the promotions first appear on the lines. `sale` is the sale
    /// this was priced from.
    pub fn promotion_savings(&self, sale: &SaleToPrice) -> Vec<(String, Decimal)> {
        let digits = sale.currency_digits;
        let mut savings: Vec<(String, Decimal)> = Vec::new();
        for (priced, line) in self.lines.iter().zip(&sale.lines) {
            let Some(promotion) = &priced.promotion else {
                continue;
            };
            let saved = amount(line.quantity, promotion.before, digits).saturating_sub(amount(
                line.quantity,
                promotion.unit_price,
                digits,
            ));
            match savings.iter_mut().find(|(name, _)| *name == promotion.name) {
                Some((_, total)) => *total = total.saturating_add(saved),
                None => savings.push((promotion.name.clone(), saved)),
            }
        }
        savings
    }
}

/// Prices a sale as the ERP will: each line's price (typed, or from the
/// customer's list), its discount, then the promotions in force.
pub fn price_sale(book: &PriceBook, sale: &SaleToPrice) -> PricedSale {
    let list_id = book.list_for(sale.customer_list_id);
    let digits = sale.currency_digits;
    let mut lines: Vec<PricedLine> = sale
        .lines
        .iter()
        .map(|line| {
            let list_price = line.product.list_price.map(round_price);
            let price = match line.typed_price {
                Some(typed) => Ok((typed, PriceSource::Typed)),
                None => book.list_price(list_id, &line.product, line.quantity),
            };
            let net_price = price.as_ref().ok().map(|(price, _)| {
                round_price(price.saturating_mul(Decimal::ONE.saturating_sub(line.discount)))
            });
            PricedLine {
                list_price,
                price,
                discount: line.discount,
                net_price,
                promotion: None,
                promotion_unknown: None,
                unit_price: net_price,
                amount: net_price.map(|net| amount(line.quantity, net, digits)),
            }
        })
        .collect();

    // What the ERP stores before promotions: the amount a minimum-amount
    // promotion compares with.
    let stored_untaxed = sum(lines.iter().map(|line| line.amount));
    let stored_taxes = sum(lines
        .iter()
        .zip(&sale.lines)
        .map(|(priced, line)| Some(amount(priced.amount?, line.product.tax_rate?, digits))));

    let mut promotions: Vec<&Promotion> = book
        .promotions
        .iter()
        .filter(|promotion| promotion.in_force(sale.date, list_id))
        .collect();
    promotions.sort_by_key(|promotion| promotion.erp_id);
    for promotion in promotions {
        let formula = promotion_formula(promotion);
        let verdict = match &formula {
            Ok(_) => verdict(book, promotion, sale, &lines, stored_untaxed, stored_taxes),
            Err(reason) => Verdict::Unknown(reason.clone()),
        };
        match (verdict, formula) {
            (Verdict::DoesNot, _) => {}
            (Verdict::Unknown(reason), _) | (Verdict::Applies, Err(reason)) => {
                // It may apply: every line it could concern is unknown.
                for (priced, line) in lines.iter_mut().zip(&sale.lines) {
                    let price = priced.unit_price.unwrap_or(Decimal::ONE);
                    if promotion.concerns(book, &line.product, line.quantity, price) {
                        priced
                            .promotion_unknown
                            .get_or_insert(Unpriceable::Promotion {
                                promotion: promotion.name.clone(),
                                reason: reason.clone(),
                            });
                    }
                }
            }
            (Verdict::Applies, Ok(formula)) => {
                apply(book, promotion, &formula, list_id, sale, &mut lines)
            }
        }
    }
    for (priced, line) in lines.iter_mut().zip(&sale.lines) {
        if priced.promotion_unknown.is_some() {
            priced.unit_price = None;
        }
        priced.amount = priced
            .unit_price
            .map(|price| amount(line.quantity, price, digits));
    }
    let untaxed = sum(lines.iter().map(|line| line.amount));
    PricedSale {
        price_list_id: list_id,
        lines,
        untaxed,
    }
}

/// The sum of figures, when every one is known.
fn sum(figures: impl Iterator<Item = Option<Decimal>>) -> Option<Decimal> {
    figures
        .into_iter()
        .try_fold(Decimal::ZERO, |total, figure| {
            Some(total.saturating_add(figure?))
        })
}

/// A promotion's formula, or why the laptop cannot use it.
fn promotion_formula(promotion: &Promotion) -> Result<Formula, String> {
    let formula = Formula::parse(&promotion.formula).map_err(|error| error.to_string())?;
    // The ERP fails on a promotion formula naming these.
    if formula.uses("cost_price") || formula.uses("list_price") {
        return Err("its formula names a price other than unit_price".into());
    }
    Ok(formula)
}

/// Whether a promotion applies to the sale as it stands (earlier
/// promotions applied): its minimum quantity over the lines it concerns,
/// its minimum amount over the sale before promotions.
fn verdict(
    book: &PriceBook,
    promotion: &Promotion,
    sale: &SaleToPrice,
    lines: &[PricedLine],
    stored_untaxed: Option<Decimal>,
    stored_taxes: Option<Decimal>,
) -> Verdict {
    if let Some(least) = promotion.amount {
        let total = match (promotion.untaxed_amount, stored_untaxed, stored_taxes) {
            (_, None, _) => return Verdict::Unknown("a line's price is not known".into()),
            (true, Some(untaxed), _) => untaxed,
            (false, Some(untaxed), Some(taxes)) => untaxed.saturating_add(taxes),
            (false, Some(_), None) => {
                return Verdict::Unknown("its minimum amount counts taxes".into());
            }
        };
        let sign = |value: Decimal| if value.is_sign_negative() { -1 } else { 1 };
        if sign(least) * sign(total) >= 0 && least.abs() > total.abs() {
            return Verdict::DoesNot;
        }
    }
    if let Some(unit) = promotion.unit_id {
        let mut quantity = 0f64;
        for (priced, line) in lines.iter().zip(&sale.lines) {
            let Some(price) = priced.unit_price else {
                if promotion.concerns(book, &line.product, line.quantity, Decimal::ONE) {
                    return Verdict::Unknown("a line's price is not known".into());
                }
                continue;
            };
            if !promotion.concerns(book, &line.product, line.quantity, price) {
                continue;
            }
            match line.product.unit_id {
                Some(id) if id == unit => quantity += line.quantity.to_f64().unwrap_or(f64::MAX),
                // Another unit of the category: the ERP converts it by the
                // units' factors, which the cache does not hold.
                _ => return Verdict::Unknown("its quantity is in another unit".into()),
            }
        }
        if promotion.quantity.unwrap_or(0.0) > quantity {
            return Verdict::DoesNot;
        }
    }
    Verdict::Applies
}

/// Applies a promotion to the lines it concerns where it lowers the price.
fn apply(
    book: &PriceBook,
    promotion: &Promotion,
    formula: &Formula,
    list_id: Option<ErpId>,
    sale: &SaleToPrice,
    lines: &mut [PricedLine],
) {
    for (priced, line) in lines.iter_mut().zip(&sale.lines) {
        let Some(current) = priced.unit_price else {
            continue;
        };
        if !promotion.concerns(book, &line.product, line.quantity, current) {
            continue;
        }
        // The promotion's `unit_price` is the product's price on the
        // sale's list at quantity 0 (tiers do not count), not the line's.
        let base = match book.list_price(list_id, &line.product, Decimal::ZERO) {
            Ok((price, _)) => Some(price),
            Err(Unpriceable::NoPrice { .. }) | Err(Unpriceable::NoListPrice) => None,
            Err(other) => {
                priced
                    .promotion_unknown
                    .get_or_insert(Unpriceable::Promotion {
                        promotion: promotion.name.clone(),
                        reason: other.to_string(),
                    });
                continue;
            }
        };
        let names = Names {
            unit_price: base,
            ..Names::default()
        };
        let new_price = match formula.eval(&names) {
            Ok(Some(price)) => price.max(Decimal::ZERO),
            Ok(None) => continue,
            Err(error) => {
                priced
                    .promotion_unknown
                    .get_or_insert(Unpriceable::Promotion {
                        promotion: promotion.name.clone(),
                        reason: error.to_string(),
                    });
                continue;
            }
        };
        if current >= new_price {
            let unit_price = round_price(new_price);
            priced.promotion = Some(AppliedPromotion {
                promotion_id: promotion.erp_id,
                name: promotion.name.clone(),
                before: priced.net_price.unwrap_or(current),
                unit_price,
            });
            priced.unit_price = Some(unit_price);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const FOOD: ErpId = 1;
    const TEA: ErpId = 2;
    const INDUSTRIAL: ErpId = 4;
    const HARDWARE: ErpId = 5;
    const ELECTRONICS: ErpId = 8;
    const GOODS: ErpId = 20; // the accounting category
    const UNIT: ErpId = 1;
    const KG: ErpId = 2;
    const DOZEN: ErpId = 3;
    const COUNT: ErpId = 1; // the category of units and dozens
    const WEIGHT: ErpId = 2;

    fn line(
        sequence: Option<i64>,
        formula: &str,
        category_id: Option<ErpId>,
        product_id: Option<ErpId>,
        quantity: Option<f64>,
    ) -> PriceListLine {
        PriceListLine {
            erp_id: 0,
            sequence,
            category_id,
            product_id,
            quantity,
            formula: formula.into(),
        }
    }

    fn list(erp_id: ErpId, name: &str, base: ListBase, lines: Vec<PriceListLine>) -> PriceList {
        PriceList {
            erp_id,
            name: name.into(),
            base,
            unit: ListUnit::Default,
            tax_included: false,
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(index, line)| PriceListLine {
                    erp_id: index as ErpId + 1,
                    ..line
                })
                .collect(),
        }
    }

    /// The lists the reference ERP is seeded with (erp/tryton/seed.py).
    fn book() -> PriceBook {
        let lists = [
            list(
                1,
                "Standard",
                ListBase::ListPrice,
                vec![
                    line(Some(10), "unit_price * 0.98", None, None, Some(100.0)),
                    line(Some(20), "unit_price", None, None, None),
                ],
            ),
            list(
                2,
                "Gold",
                ListBase::ListPrice,
                vec![
                    line(Some(50), "unit_price * 0.92", None, None, None),
                    line(Some(40), "unit_price * 0.88", None, None, Some(50.0)),
                    line(Some(30), "unit_price * 0.9", Some(TEA), None, None),
                    line(
                        Some(20),
                        "unit_price * Decimal('0.85')",
                        Some(TEA),
                        None,
                        Some(10.0),
                    ),
                    line(Some(10), "Decimal('11.1848')", None, Some(446), None),
                    // No sequence: tried first.
                    line(None, "Decimal('497.86')", None, Some(879), None),
                ],
            ),
            list(
                3,
                "Silver",
                ListBase::ListPrice,
                vec![
                    line(
                        Some(10),
                        "unit_price * 0.93",
                        Some(ELECTRONICS),
                        None,
                        Some(20.0),
                    ),
                    line(Some(20), "unit_price * 0.95", Some(FOOD), None, None),
                    line(Some(30), "unit_price * 0.97", None, None, None),
                ],
            ),
            list(
                4,
                "Distributors",
                ListBase::CostPrice,
                vec![
                    line(Some(10), "cost_price * 1.15", None, None, Some(100.0)),
                    line(
                        Some(20),
                        "cost_price * Decimal('1.25') if cost_price * Decimal('1.25') > list_price * 0.7 else list_price * 0.7",
                        None,
                        None,
                        None,
                    ),
                ],
            ),
            list(
                5,
                "Hardware projects",
                ListBase::ListPrice,
                vec![
                    line(
                        Some(10),
                        "(unit_price + cost_price) / 2",
                        Some(HARDWARE),
                        None,
                        Some(1000.0),
                    ),
                    line(Some(20), "unit_price * 0.9", Some(INDUSTRIAL), None, None),
                ],
            ),
        ];
        PriceBook {
            lists: lists.into_iter().map(|list| (list.erp_id, list)).collect(),
            default_list_id: Some(1),
            promotions: Vec::new(),
            category_parents: [
                (FOOD, None),
                (TEA, Some(FOOD)),
                (INDUSTRIAL, None),
                (HARDWARE, Some(INDUSTRIAL)),
                (ELECTRONICS, None),
                (GOODS, None),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn product(
        erp_id: ErpId,
        list_price: Decimal,
        cost_price: Decimal,
        category: ErpId,
    ) -> PricedProduct {
        PricedProduct {
            erp_id,
            list_price: Some(list_price),
            cost_price: Some(cost_price),
            category_ids: vec![category, GOODS],
            unit_id: Some(UNIT),
            unit_category_id: Some(COUNT),
            sale_unit_id: Some(UNIT),
            tax_rate: Some(Decimal::ZERO),
        }
    }

    fn tea() -> PricedProduct {
        product(10, dec!(168.0000), dec!(95.0000), TEA)
    }

    fn bolt() -> PricedProduct {
        product(11, dec!(0.1235), dec!(0.0702), HARDWARE)
    }

    fn price(
        book: &PriceBook,
        list: Option<ErpId>,
        product: &PricedProduct,
        quantity: Decimal,
    ) -> Option<Decimal> {
        match book.list_price(list, product, quantity) {
            Ok((price, _)) => Some(price),
            Err(Unpriceable::NoPrice { .. }) => None,
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_list_prices_as_tryton_does() {
        // Each figure is Tryton 8.2's own `sale_price_uom` for the seeded
        // lists (context price_list, quantity), read from a running server.
        let book = book();
        let cases = [
            // list, quantity, tea, bolt
            (1, dec!(0), Some(dec!(168.0000)), Some(dec!(0.1235))),
            (1, dec!(50), Some(dec!(168.0000)), Some(dec!(0.1235))),
            (1, dec!(100), Some(dec!(164.6400)), Some(dec!(0.1210))),
            (2, dec!(0), Some(dec!(151.2000)), Some(dec!(0.1136))),
            (2, dec!(10), Some(dec!(142.8000)), Some(dec!(0.1136))),
            (2, dec!(50), Some(dec!(142.8000)), Some(dec!(0.1087))),
            (3, dec!(1000), Some(dec!(159.6000)), Some(dec!(0.1198))),
            (4, dec!(0), Some(dec!(118.7500)), Some(dec!(0.0878))),
            (4, dec!(100), Some(dec!(109.2500)), Some(dec!(0.0807))),
            (5, dec!(10), None, Some(dec!(0.1112))),
            (5, dec!(1000), None, Some(dec!(0.0968))),
        ];
        for (list, quantity, tea_price, bolt_price) in cases {
            assert_eq!(
                price(&book, Some(list), &tea(), quantity),
                tea_price,
                "tea, list {list}, {quantity}"
            );
            assert_eq!(
                price(&book, Some(list), &bolt(), quantity),
                bolt_price,
                "bolt, list {list}, {quantity}"
            );
        }
        // A negative quantity (a return) is compared by its size.
        assert_eq!(
            price(&book, Some(2), &tea(), dec!(-10)),
            Some(dec!(142.8000))
        );
        // No list at all: the list price.
        assert_eq!(price(&book, None, &tea(), dec!(5)), Some(dec!(168.0000)));
        // Product lines: the line without a sequence comes first.
        let special = product(879, dec!(600), dec!(300), ELECTRONICS);
        assert_eq!(
            price(&book, Some(2), &special, dec!(100)),
            Some(dec!(497.8600))
        );
    }

    #[test]
    fn where_a_price_comes_from_is_said() {
        let book = book();
        let (_, source) = book.list_price(Some(2), &tea(), dec!(12)).unwrap();
        assert_eq!(
            source.to_string(),
            "Gold, 10 or more: unit_price * Decimal('0.85')"
        );
        let (_, source) = book.list_price(None, &tea(), dec!(12)).unwrap();
        assert_eq!(source, PriceSource::ListPrice);
        let error = book.list_price(Some(5), &tea(), dec!(1)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the price list Hardware projects has no price for it: type one"
        );
    }

    #[test]
    fn a_formula_the_laptop_cannot_evaluate_makes_the_price_unknown_not_wrong() {
        let mut book = book();
        book.lists.get_mut(&3).unwrap().lines[0].formula = "max(unit_price, 10)".into();
        let mut speaker = product(30, dec!(300), dec!(100), ELECTRONICS);
        speaker.category_ids = vec![ELECTRONICS];
        match book.list_price(Some(3), &speaker, dec!(25)) {
            Err(Unpriceable::Formula { list, formula, .. }) => {
                assert_eq!(
                    (list.as_str(), formula.as_str()),
                    ("Silver", "max(unit_price, 10)")
                );
            }
            other => panic!("{other:?}"),
        }
        // Below the line's quantity the formula is not reached.
        assert_eq!(
            price(&book, Some(3), &speaker, dec!(5)),
            Some(dec!(291.0000))
        );
        // Taxes in the price the cache does not know.
        book.lists.get_mut(&1).unwrap().tax_included = true;
        let mut taxed = tea();
        taxed.tax_rate = None;
        assert!(matches!(
            book.list_price(Some(1), &taxed, dec!(1)),
            Err(Unpriceable::TaxIncluded { .. })
        ));
        assert_eq!(
            price(&book, Some(1), &tea(), dec!(1)),
            Some(dec!(168.0000)),
            "no taxes: nothing to take off"
        );
        assert!(matches!(
            book.list_price(Some(99), &tea(), dec!(1)),
            Err(Unpriceable::UnknownList { list_id: 99 })
        ));
    }

    #[test]
    fn a_category_cycle_in_damaged_data_ends() {
        let mut book = book();
        book.category_parents.insert(FOOD, Some(TEA));
        assert_eq!(price(&book, Some(3), &tea(), dec!(1)), Some(dec!(159.6000)));
    }

    fn sale(list: Option<ErpId>, lines: Vec<LineToPrice>) -> SaleToPrice {
        SaleToPrice {
            customer_list_id: list,
            date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            currency_digits: 2,
            lines,
        }
    }

    fn to_price(product: PricedProduct, quantity: Decimal) -> LineToPrice {
        LineToPrice {
            product,
            quantity,
            typed_price: None,
            discount: Decimal::ZERO,
        }
    }

    fn promotion(erp_id: ErpId, name: &str, formula: &str) -> Promotion {
        Promotion {
            erp_id,
            name: name.into(),
            start_date: None,
            end_date: None,
            price_list_id: None,
            amount: None,
            untaxed_amount: true,
            quantity: None,
            unit_id: None,
            unit_category_id: None,
            product_ids: Vec::new(),
            category_ids: Vec::new(),
            formula: formula.into(),
        }
    }

    #[test]
    fn a_sale_is_priced_from_the_customers_list_or_the_companys_default() {
        let book = book();
        let priced = price_sale(
            &book,
            &sale(
                None,
                vec![to_price(tea(), dec!(100)), to_price(bolt(), dec!(7))],
            ),
        );
        assert_eq!(priced.price_list_id, Some(1), "the company's default list");
        assert_eq!(priced.lines[0].unit_price, Some(dec!(164.6400)));
        assert_eq!(priced.lines[0].list_price, Some(dec!(168.0000)));
        assert_eq!(priced.lines[1].amount, Some(dec!(0.86))); // 7 × 0.1235 = 0.8645
        assert_eq!(priced.untaxed, Some(dec!(16464.86)));
        // A typed price and a discount: the discount comes off that price.
        let mut typed = to_price(tea(), dec!(1));
        typed.typed_price = Some(dec!(150));
        typed.discount = dec!(0.1);
        let priced = price_sale(&book, &sale(Some(2), vec![typed]));
        assert_eq!(
            priced.lines[0].price.as_ref().unwrap().1,
            PriceSource::Typed
        );
        assert_eq!(priced.lines[0].net_price, Some(dec!(135.0000)));
        assert_eq!(priced.untaxed, Some(dec!(135.00)));
        // A line without a price makes the total unknown, not smaller.
        let priced = price_sale(
            &book,
            &sale(
                Some(5),
                vec![to_price(tea(), dec!(1)), to_price(bolt(), dec!(1))],
            ),
        );
        assert!(priced.lines[0].unknown().is_some());
        assert_eq!(priced.lines[1].unit_price, Some(dec!(0.1112)));
        assert_eq!(priced.untaxed, None);
    }

    #[test]
    fn promotions_apply_as_the_erp_applies_them_at_quoting() {
        let mut book = book();
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let day = chrono::Days::new(1);
        book.promotions = vec![
            Promotion {
                category_ids: vec![TEA],
                price_list_id: Some(2),
                ..promotion(1, "Spring tea", "unit_price * 0.9")
            },
            Promotion {
                category_ids: vec![HARDWARE],
                quantity: Some(500.0),
                unit_id: Some(UNIT),
                unit_category_id: Some(COUNT),
                ..promotion(2, "Hardware by the box", "unit_price * Decimal('0.95')")
            },
            Promotion {
                category_ids: vec![FOOD],
                end_date: today.checked_sub_days(day),
                ..promotion(3, "Expired", "unit_price * 0.5")
            },
            Promotion {
                amount: Some(dec!(20000)),
                category_ids: vec![TEA],
                ..promotion(4, "Big tea order", "unit_price * 0.88")
            },
        ];
        // Gold, 12 teas: the list gives 142.80 (10 or more); the promotion's
        // unit_price is the list's price at quantity 0 (151.20) × 0.9 =
        // 136.08, lower: it replaces the line's price.
        let priced = price_sale(&book, &sale(Some(2), vec![to_price(tea(), dec!(12))]));
        let line = &priced.lines[0];
        assert_eq!(line.net_price, Some(dec!(142.8000)));
        let applied = line.promotion.as_ref().unwrap();
        assert_eq!(
            (applied.name.as_str(), applied.before, applied.unit_price),
            ("Spring tea", dec!(142.8000), dec!(136.0800))
        );
        assert_eq!(priced.untaxed, Some(dec!(1632.96)));
        // What it takes off in all: 12 × 142.80 − 12 × 136.08, with a
        // second tea line adding its own share; amounts keep the cents.
        let two_lines = sale(
            Some(2),
            vec![to_price(tea(), dec!(12)), to_price(tea(), dec!(1))],
        );
        let priced_two = price_sale(&book, &two_lines);
        assert_eq!(
            priced_two.promotion_savings(&two_lines),
            // 1,713.60 − 1,632.96 = 80.64; 151.20 − 136.08 = 15.12.
            vec![("Spring tea".to_owned(), dec!(95.76))]
        );
        assert_eq!(priced_two.untaxed.unwrap().to_string(), "1769.04");
        // Not on Gold: the spring promotion does not apply, nor the expired
        // one; the big-order one needs 20,000 before promotions.
        let priced = price_sale(&book, &sale(Some(3), vec![to_price(tea(), dec!(12))]));
        assert_eq!(priced.lines[0].promotion, None);
        assert_eq!(priced.lines[0].unit_price, Some(dec!(159.6000)));
        let priced = price_sale(&book, &sale(Some(3), vec![to_price(tea(), dec!(130))]));
        // 130 × 159.60 = 20,748 ≥ 20,000: the Silver list's price at
        // quantity 0 (159.60) × 0.88 = 140.448.
        let applied = priced.lines[0].promotion.as_ref().unwrap();
        assert_eq!(
            (applied.name.as_str(), applied.unit_price),
            ("Big tea order", dec!(140.4480))
        );
        // A typed price above the promotion's is replaced; one below stays.
        let mut typed = to_price(tea(), dec!(1));
        typed.typed_price = Some(dec!(150));
        let priced = price_sale(&book, &sale(Some(2), vec![typed.clone()]));
        assert_eq!(priced.lines[0].unit_price, Some(dec!(136.0800)));
        typed.typed_price = Some(dec!(120));
        let priced = price_sale(&book, &sale(Some(2), vec![typed]));
        assert_eq!(priced.lines[0].promotion, None);
        assert_eq!(priced.lines[0].unit_price, Some(dec!(120)));
        // The minimum quantity counts the lines the promotion concerns.
        let bolts = |quantity| to_price(bolt(), quantity);
        let priced = price_sale(&book, &sale(None, vec![bolts(dec!(300)), bolts(dec!(199))]));
        assert!(priced.lines.iter().all(|line| line.promotion.is_none()));
        let priced = price_sale(&book, &sale(None, vec![bolts(dec!(300)), bolts(dec!(200))]));
        // 0.1235 × 0.95 = 0.117325 → 0.1173 (half-even)
        assert!(
            priced
                .lines
                .iter()
                .all(|line| line.unit_price == Some(dec!(0.1173)))
        );
        // Kilograms are not units: wire by weight neither counts towards
        // the quantity nor gets the promotion (as in Tryton).
        let mut wire = product(12, dec!(70), dec!(50), HARDWARE);
        wire.unit_id = Some(KG);
        wire.unit_category_id = Some(WEIGHT);
        let priced = price_sale(
            &book,
            &sale(
                None,
                vec![bolts(dec!(450)), to_price(wire.clone(), dec!(500))],
            ),
        );
        assert!(priced.lines.iter().all(|line| line.promotion.is_none()));
        assert_eq!(
            priced.lines[1].unit_price,
            Some(dec!(68.6000)),
            "the Standard list's tier"
        );
        // Dozens are units too, but the laptop has no factor to convert
        // them: the bolts' price is unknown rather than wrong.
        let mut boxed = product(13, dec!(1.40), dec!(0.8), HARDWARE);
        boxed.unit_id = Some(DOZEN);
        let priced = price_sale(
            &book,
            &sale(None, vec![bolts(dec!(450)), to_price(boxed, dec!(10))]),
        );
        assert!(priced.lines.iter().all(|line| line.unknown().is_some()));
        assert_eq!(priced.untaxed, None);
        // A unit of an unknown category may be the promotion's concern.
        wire.unit_category_id = None;
        let priced = price_sale(
            &book,
            &sale(None, vec![bolts(dec!(600)), to_price(wire, dec!(5))]),
        );
        assert!(priced.lines.iter().all(|line| line.unknown().is_some()));
    }

    #[test]
    fn a_promotion_over_the_total_with_taxes_needs_the_taxes() {
        let mut book = book();
        book.promotions = vec![Promotion {
            amount: Some(dec!(1000)),
            untaxed_amount: false,
            category_ids: vec![TEA],
            ..promotion(1, "Tea over 1,000", "unit_price * 0.9")
        }];
        let mut taxed = tea();
        taxed.tax_rate = Some(dec!(0.13));
        // 5 × 168 = 840, with 13 % VAT 949.20: short of 1,000.
        let priced = price_sale(&book, &sale(None, vec![to_price(taxed.clone(), dec!(5))]));
        assert_eq!(priced.lines[0].promotion, None);
        // 6 × 168 = 1,008 with taxes 1,139.04.
        let priced = price_sale(&book, &sale(None, vec![to_price(taxed.clone(), dec!(6))]));
        assert_eq!(priced.lines[0].unit_price, Some(dec!(151.2000)));
        taxed.tax_rate = None;
        let priced = price_sale(&book, &sale(None, vec![to_price(taxed, dec!(5))]));
        assert!(matches!(
            priced.lines[0].unknown(),
            Some(Unpriceable::Promotion { .. })
        ));
    }
}
