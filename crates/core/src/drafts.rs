//! What a salesperson writes offline, before the ERP has seen it.
//!
//! A draft holds exactly what was typed (prices before discount, the
//! discount, the note), so a rejected entry can be shown, edited and sent
//! again with nothing lost. Totals computed here are *estimates*: the ERP's
//! own figures replace them once it has accepted the sale.

use crate::ErpId;
use crate::pricing::PricedLine;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Digits the ERP keeps for a unit price (the reference ERP keeps 4).
pub const PRICE_DIGITS: u32 = 4;

/// A quotation (the ERP records it, nothing ships) or an order (sent to be
/// confirmed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    Quote,
    Order,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaleDraft {
    pub kind: SaleKind,
    pub customer_id: ErpId,
    pub invoice_address_id: Option<ErpId>,
    pub shipment_address_id: Option<ErpId>,
    /// The warehouse it ships from.
    pub warehouse_id: Option<ErpId>,
    /// The delivery date the customer asked for.
    pub requested_date: Option<NaiveDate>,
    /// The customer's own reference (their purchase order number).
    pub reference: Option<String>,
    pub note: Option<String>,
    /// The price list the sale is on (the customer's, else the company's
    /// default) as the laptop priced it: the ERP records it with the sale.
    #[serde(default)]
    pub price_list_id: Option<ErpId>,
    pub lines: Vec<DraftLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftLine {
    pub product_id: ErpId,
    pub quantity: Decimal,
    /// Price per unit before discount: the one the salesperson typed, or
    /// the customer's price list's when the draft was saved; `None` when it
    /// cannot be known offline (a formula this laptop cannot evaluate):
    /// the ERP prices the line.
    pub unit_price: Option<Decimal>,
    /// Whether the salesperson typed [`DraftLine::unit_price`]; a price
    /// from the list is priced again whenever the draft is edited. Entries
    /// written before prices came from lists kept their price as typed.
    #[serde(default = "typed_by_default")]
    pub price_typed: bool,
    /// Fraction taken off the unit price: 0.1 is 10 %.
    #[serde(default)]
    pub discount: Decimal,
    /// The price the ERP keeps as the line's base (Tryton's `sale_discount`
    /// measures the discount from it): the product's list price, as the
    /// ERP's own client fills it in, or the price before the discount when
    /// the salesperson gave one. `None`: not sent.
    #[serde(default)]
    pub base_price: Option<Decimal>,
    /// The unit price the laptop showed, after the promotion the ERP will
    /// apply, when it knew it: what the ERP's answer is compared with.
    #[serde(default)]
    pub expected_price: Option<Decimal>,
    /// The promotion the laptop showed for this line, if any.
    #[serde(default)]
    pub promotion: Option<String>,
}

fn typed_by_default() -> bool {
    true
}

impl DraftLine {
    /// A line at a price the salesperson typed, with no base price sent.
    pub fn typed(
        product_id: ErpId,
        quantity: Decimal,
        unit_price: Decimal,
        discount: Decimal,
    ) -> DraftLine {
        DraftLine {
            product_id,
            quantity,
            unit_price: Some(unit_price),
            price_typed: true,
            discount,
            base_price: None,
            expected_price: None,
            promotion: None,
        }
    }

    /// The price per unit after discount, to the ERP's price digits: what
    /// is sent as the line's unit price (`None`: the ERP prices it).
    pub fn net_unit_price(&self) -> Option<Decimal> {
        // Saturating, here and below: absurd figures (typed, or from a
        // damaged entry) give absurd totals, never a panic.
        self.unit_price.map(|price| {
            (price.saturating_mul(Decimal::ONE.saturating_sub(self.discount)))
                .round_dp_with_strategy(PRICE_DIGITS, RoundingStrategy::MidpointNearestEven)
        })
    }

    /// The price per unit the laptop expects the ERP to charge: after the
    /// promotion it showed, else the net price.
    pub fn charged_price(&self) -> Option<Decimal> {
        self.expected_price.or_else(|| self.net_unit_price())
    }

    /// The sum of some lines' amounts, those the laptop can price: see
    /// [`SaleDraft::estimated_total`].
    pub fn total(lines: &[DraftLine], currency_digits: u32) -> Decimal {
        let total = lines
            .iter()
            .filter_map(|line| line.amount(currency_digits))
            .fold(Decimal::ZERO, Decimal::saturating_add);
        crate::pricing::round_amount(total, currency_digits)
    }

    /// Quantity times the charged price, to the currency's digits, as the
    /// ERP computes a line's amount (`None`: not known offline).
    pub fn amount(&self, currency_digits: u32) -> Option<Decimal> {
        self.charged_price()
            .map(|price| crate::pricing::amount(self.quantity, price, currency_digits))
    }
}

/// A sale as the outbox names it: a quote written on this laptop (by its
/// outbox entry's uuid, which the ERP keeps with the sale) or one the ERP
/// already had when the cache was last synced (by the ERP's id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleRef {
    Entry(String),
    Erp(ErpId),
}

/// A quote turned into an order: the ERP confirms the quotation it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteToOrder {
    pub sale: SaleRef,
    pub customer_id: ErpId,
    /// What the salesperson knows the quote by (its ERP number, or its
    /// outbox entry), to show while the order waits.
    pub label: String,
    /// The quote's total as last known, counted against the customer's
    /// credit until the ERP has confirmed the order.
    pub estimated_total: Decimal,
}

/// What is wrong with a draft, said so the salesperson can fix it. Lines
/// count from 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("a quote or order needs at least one line: add a product")]
    NoLines,
    #[error("line {line}: the quantity must be more than zero (got {quantity})")]
    Quantity { line: usize, quantity: Decimal },
    #[error("line {line}: the unit price cannot be negative (got {price})")]
    NegativePrice { line: usize, price: Decimal },
    #[error(
        "line {line}: the unit price {price} has more decimals than the ERP keeps for a price ({digits}); use {rounded}"
    )]
    PriceDigits {
        line: usize,
        price: Decimal,
        digits: u32,
        rounded: Decimal,
    },
    #[error("line {line}: the discount must be from 0 to 100 % (got {percent} %)")]
    Discount { line: usize, percent: Decimal },
    #[error("line {line}: the {field} {value:?} is not a number")]
    NotANumber {
        line: usize,
        /// `quantity`, `unit_price` or `discount_percent`.
        field: &'static str,
        value: String,
    },
    /// Neither the laptop nor the ERP has a price for the line.
    #[error("line {line}: {reason}")]
    NoPrice { line: usize, reason: String },
    /// A discount on a line whose price only the ERP knows.
    #[error(
        "line {line}: its price is not known offline ({reason}), so a discount cannot be taken off it: type the price"
    )]
    DiscountOnUnknownPrice { line: usize, reason: String },
}

/// A line as the salesperson typed it, in a form or on a command line:
/// text, with the price and the discount left empty when not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInput<'a> {
    pub quantity: &'a str,
    pub unit_price: Option<&'a str>,
    /// In percent: "10" is 10 %.
    pub discount_percent: Option<&'a str>,
}

/// A line as read from what was typed: the price and the discount the
/// salesperson gave, if any. Pricing it ([`DraftLine::priced`]) makes the
/// draft's line.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedLine {
    pub product_id: ErpId,
    pub quantity: Decimal,
    pub unit_price: Option<Decimal>,
    /// Fraction taken off the price: 0.1 is 10 %.
    pub discount: Decimal,
}

impl TypedLine {
    /// Line `line` (from 1) as typed: each number read as written (a
    /// decimal point, no thousands separators), no price where none was
    /// typed (the price list gives it), no discount where none was. Whether
    /// the figures make sense is [`SaleDraft::validate`]'s.
    pub fn from_input(
        line: usize,
        product_id: ErpId,
        input: &LineInput,
    ) -> Result<TypedLine, DraftError> {
        let number = |field: &'static str, text: &str| {
            text.trim()
                .parse::<Decimal>()
                .map_err(|_| DraftError::NotANumber {
                    line,
                    field,
                    value: text.to_owned(),
                })
        };
        fn given(text: Option<&str>) -> Option<&str> {
            text.map(str::trim).filter(|text| !text.is_empty())
        }
        let unit_price = given(input.unit_price)
            .map(|text| number("unit_price", text))
            .transpose()?;
        let discount = match given(input.discount_percent) {
            Some(text) => number("discount_percent", text)? / Decimal::ONE_HUNDRED,
            None => Decimal::ZERO,
        };
        Ok(TypedLine {
            product_id,
            quantity: number("quantity", input.quantity)?,
            unit_price,
            discount,
        })
    }
}

impl DraftLine {
    /// Line `line` (from 1) of a draft: what was typed, priced as the ERP
    /// will price it ([`crate::pricing::price_sale`]'s line for it). A line
    /// whose price only the ERP can know is kept without one, and the ERP
    /// prices it; one that has no price anywhere is refused, saying why.
    pub fn priced(
        line: usize,
        typed: &TypedLine,
        priced: &PricedLine,
    ) -> Result<DraftLine, DraftError> {
        let unit_price = match &priced.price {
            Ok((price, _)) => Some(*price),
            Err(why) if why.erp_has_no_price() => {
                return Err(DraftError::NoPrice {
                    line,
                    reason: why.to_string(),
                });
            }
            Err(why) if !typed.discount.is_zero() => {
                return Err(DraftError::DiscountOnUnknownPrice {
                    line,
                    reason: why.to_string(),
                });
            }
            Err(_) => None,
        };
        // As the ERP's client fills it in: the product's list price; with a
        // discount, the price it is taken from, so the ERP shows the same
        // discount the salesperson gave.
        let base_price = if typed.discount.is_zero() {
            priced.list_price
        } else {
            unit_price
        };
        Ok(DraftLine {
            product_id: typed.product_id,
            quantity: typed.quantity,
            unit_price,
            price_typed: typed.unit_price.is_some(),
            discount: typed.discount,
            base_price,
            expected_price: priced.unit_price,
            promotion: priced
                .promotion
                .as_ref()
                .map(|promotion| promotion.name.clone()),
        })
    }
}

impl SaleDraft {
    /// Checks what can be checked without the cache: every line has a
    /// positive quantity, a unit price the ERP can hold ([`PRICE_DIGITS`]
    /// decimals at most: a unit price is not an amount, only amounts round
    /// to the currency's digits) and a discount from 0 to 100 %.
    pub fn validate(&self) -> Result<(), DraftError> {
        if self.lines.is_empty() {
            return Err(DraftError::NoLines);
        }
        for (index, line) in self.lines.iter().enumerate() {
            let number = index + 1;
            if line.quantity <= Decimal::ZERO {
                return Err(DraftError::Quantity {
                    line: number,
                    quantity: line.quantity,
                });
            }
            if let Some(price) = line.unit_price {
                if price.is_sign_negative() && !price.is_zero() {
                    return Err(DraftError::NegativePrice {
                        line: number,
                        price,
                    });
                }
                if price.normalize().scale() > PRICE_DIGITS {
                    return Err(DraftError::PriceDigits {
                        line: number,
                        price,
                        digits: PRICE_DIGITS,
                        rounded: price.round_dp_with_strategy(
                            PRICE_DIGITS,
                            RoundingStrategy::MidpointNearestEven,
                        ),
                    });
                }
            }
            if line.discount < Decimal::ZERO || line.discount > Decimal::ONE {
                return Err(DraftError::Discount {
                    line: number,
                    percent: line
                        .discount
                        .saturating_mul(Decimal::ONE_HUNDRED)
                        .normalize(),
                });
            }
        }
        Ok(())
    }

    /// The sum of the lines' amounts as the laptop priced them (after the
    /// promotions it showed): an estimate until the ERP answers (taxes are
    /// the ERP's to compute). Lines only the ERP can price count nothing
    /// here: [`SaleDraft::unpriced_lines`] says how many there are.
    pub fn estimated_total(&self, currency_digits: u32) -> Decimal {
        DraftLine::total(&self.lines, currency_digits)
    }

    /// How many lines only the ERP can price.
    pub fn unpriced_lines(&self) -> usize {
        self.lines
            .iter()
            .filter(|line| line.charged_price().is_none())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn line(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> DraftLine {
        DraftLine::typed(1, quantity, unit_price, discount)
    }

    fn draft(lines: Vec<DraftLine>) -> SaleDraft {
        SaleDraft {
            kind: SaleKind::Order,
            customer_id: 4,
            invoice_address_id: None,
            shipment_address_id: None,
            warehouse_id: None,
            requested_date: None,
            reference: None,
            note: None,
            price_list_id: None,
            lines,
        }
    }

    #[test]
    fn typed_lines_are_read_as_written_or_say_what_is_wrong() {
        let input = |quantity, unit_price, discount_percent| LineInput {
            quantity,
            unit_price,
            discount_percent,
        };
        let line = |quantity, unit_price, discount| TypedLine {
            product_id: 7,
            quantity,
            unit_price,
            discount,
        };
        let not_a_number = |field, value: &str| DraftError::NotANumber {
            line: 2,
            field,
            value: value.into(),
        };
        let cases = [
            // typed, what it becomes
            (input("3", None, None), Ok(line(dec!(3), None, dec!(0)))),
            (
                input(" 2.5 ", Some(" "), Some("")),
                Ok(line(dec!(2.5), None, dec!(0))),
            ),
            (
                input("1", Some("12.30"), Some("10")),
                Ok(line(dec!(1), Some(dec!(12.30)), dec!(0.1))),
            ),
            // validate's to refuse
            (input("0", None, None), Ok(line(dec!(0), None, dec!(0)))),
            (
                input("lots", None, None),
                Err(not_a_number("quantity", "lots")),
            ),
            (
                input("1", Some("1,5"), None),
                Err(not_a_number("unit_price", "1,5")),
            ),
            (
                input("1", None, Some("10%")),
                Err(not_a_number("discount_percent", "10%")),
            ),
        ];
        for (typed, expected) in cases {
            assert_eq!(TypedLine::from_input(2, 7, &typed), expected, "{typed:?}");
        }
    }

    #[test]
    fn a_priced_line_keeps_the_lists_price_the_base_price_and_the_promotion() {
        use crate::formula::FormulaError;
        use crate::pricing::{AppliedPromotion, PriceSource, Unpriceable};
        let typed = |unit_price, discount| TypedLine {
            product_id: 7,
            quantity: dec!(10),
            unit_price,
            discount,
        };
        let gold = || PriceSource::List {
            list_id: 3,
            list: "Gold".into(),
            from_quantity: Some(10.0),
            formula: "list_price * 0.85".into(),
        };
        let priced = |price: Result<(Decimal, PriceSource), Unpriceable>,
                      net: Option<Decimal>,
                      promoted: Option<Decimal>| PricedLine {
            list_price: Some(dec!(168)),
            price,
            discount: dec!(0),
            net_price: net,
            promotion: promoted.map(|unit_price| AppliedPromotion {
                promotion_id: 1,
                name: "Spring tea".into(),
                before: dec!(142.8),
                unit_price,
            }),
            promotion_unknown: None,
            unit_price: promoted.or(net),
            amount: None,
        };
        let formula = || Unpriceable::Formula {
            list: "Gold".into(),
            formula: "foo".into(),
            error: FormulaError::UnknownName { name: "foo".into() },
        };
        let line =
            |unit_price, price_typed, discount, base_price, expected_price, promotion| DraftLine {
                product_id: 7,
                quantity: dec!(10),
                unit_price,
                price_typed,
                discount,
                base_price,
                expected_price,
                promotion,
            };
        let cases = [
            (
                "the list's price: the list price is the base",
                typed(None, dec!(0)),
                priced(Ok((dec!(142.8), gold())), Some(dec!(142.8)), None),
                Ok(line(
                    Some(dec!(142.8)),
                    false,
                    dec!(0),
                    Some(dec!(168)),
                    Some(dec!(142.8)),
                    None,
                )),
            ),
            (
                "a promotion the ERP will apply is what the laptop expects",
                typed(None, dec!(0)),
                priced(
                    Ok((dec!(142.8), gold())),
                    Some(dec!(142.8)),
                    Some(dec!(136.08)),
                ),
                Ok(line(
                    Some(dec!(142.8)),
                    false,
                    dec!(0),
                    Some(dec!(168)),
                    Some(dec!(136.08)),
                    Some("Spring tea".into()),
                )),
            ),
            (
                "a discount is taken from the price, which becomes the base",
                typed(None, dec!(0.05)),
                priced(Ok((dec!(142.8), gold())), Some(dec!(135.66)), None),
                Ok(line(
                    Some(dec!(142.8)),
                    false,
                    dec!(0.05),
                    Some(dec!(142.8)),
                    Some(dec!(135.66)),
                    None,
                )),
            ),
            (
                "a typed price keeps the list price as the base",
                typed(Some(dec!(150)), dec!(0)),
                priced(Ok((dec!(150), PriceSource::Typed)), Some(dec!(150)), None),
                Ok(line(
                    Some(dec!(150)),
                    true,
                    dec!(0),
                    Some(dec!(168)),
                    Some(dec!(150)),
                    None,
                )),
            ),
            (
                "a price only the ERP knows: no price sent",
                typed(None, dec!(0)),
                priced(Err(formula()), None, None),
                Ok(line(None, false, dec!(0), Some(dec!(168)), None, None)),
            ),
            (
                "no discount on a price only the ERP knows",
                typed(None, dec!(0.1)),
                priced(Err(formula()), None, None),
                Err(DraftError::DiscountOnUnknownPrice {
                    line: 3,
                    reason: formula().to_string(),
                }),
            ),
            (
                "no price anywhere: type one",
                typed(None, dec!(0)),
                priced(
                    Err(Unpriceable::NoPrice {
                        list: "Projects".into(),
                    }),
                    None,
                    None,
                ),
                Err(DraftError::NoPrice {
                    line: 3,
                    reason: "the price list Projects has no price for it: type one".into(),
                }),
            ),
        ];
        for (name, typed, priced, expected) in cases {
            assert_eq!(DraftLine::priced(3, &typed, &priced), expected, "{name}");
        }
    }

    #[test]
    fn amounts_follow_the_erps_rounding() {
        let cases = [
            // quantity, price, discount, net price, amount (2 digits)
            (dec!(3), dec!(168), dec!(0), dec!(168), dec!(504)),
            (dec!(2.5), dec!(19.99), dec!(0), dec!(19.99), dec!(49.98)), // 49.975 to even
            (dec!(1), dec!(10), dec!(0.125), dec!(8.75), dec!(8.75)),
            (dec!(3), dec!(0.33335), dec!(0), dec!(0.3334), dec!(1.00)), // price to 4 digits first
            (dec!(7), dec!(100), dec!(1), dec!(0), dec!(0)),
        ];
        for (quantity, price, discount, net, amount) in cases {
            let line = line(quantity, price, discount);
            assert_eq!(line.net_unit_price(), Some(net), "{line:?}");
            assert_eq!(line.amount(2), Some(amount), "{line:?}");
        }
        let order = draft(vec![
            line(dec!(3), dec!(168), dec!(0)),
            line(dec!(1), dec!(10), dec!(0.125)),
        ]);
        assert_eq!(order.estimated_total(2), dec!(512.75));
    }

    #[test]
    fn bad_lines_are_refused_with_the_line_and_the_fix() {
        let cases = [
            (vec![], DraftError::NoLines),
            (
                vec![
                    line(dec!(1), dec!(1), dec!(0)),
                    line(dec!(0), dec!(1), dec!(0)),
                ],
                DraftError::Quantity {
                    line: 2,
                    quantity: dec!(0),
                },
            ),
            (
                vec![line(dec!(-2), dec!(1), dec!(0))],
                DraftError::Quantity {
                    line: 1,
                    quantity: dec!(-2),
                },
            ),
            (
                vec![line(dec!(1), dec!(-0.01), dec!(0))],
                DraftError::NegativePrice {
                    line: 1,
                    price: dec!(-0.01),
                },
            ),
            (
                vec![line(dec!(1), dec!(9.99995), dec!(0))],
                DraftError::PriceDigits {
                    line: 1,
                    price: dec!(9.99995),
                    digits: 4,
                    rounded: dec!(10.0000),
                },
            ),
            (
                vec![line(dec!(1), dec!(9.99), dec!(1.5))],
                DraftError::Discount {
                    line: 1,
                    percent: dec!(150),
                },
            ),
        ];
        for (lines, error) in cases {
            assert_eq!(draft(lines).validate(), Err(error));
        }
        // Trailing zeros are not extra decimals.
        assert_eq!(
            draft(vec![line(dec!(1), dec!(9.990000), dec!(0.05))]).validate(),
            Ok(())
        );
        assert_eq!(
            DraftError::PriceDigits {
                line: 1,
                price: dec!(9.99995),
                digits: 4,
                rounded: dec!(10.0000)
            }
            .to_string(),
            "line 1: the unit price 9.99995 has more decimals than the ERP keeps for a price (4); use 10.0000"
        );
    }

    #[test]
    fn a_list_price_with_the_erps_four_decimals_is_a_price_and_amounts_round_to_cents() {
        // The defect: a product whose list price has Tryton's four price
        // digits (10.0030) was refused as "more decimals than the currency
        // allows" although nobody typed a price. Unit prices have the
        // ERP's price digits; only amounts round to the currency's.
        let order = draft(vec![line(dec!(3), dec!(10.0030), dec!(0))]);
        assert_eq!(order.validate(), Ok(()));
        assert_eq!(order.estimated_total(2), dec!(30.01)); // 30.009 to cents
        assert_eq!(order.estimated_total(0), dec!(30));
        // Half-even at the cent: 2 × 0.0025 = 0.005 → 0.00, 6 × … = 0.015 → 0.02.
        assert_eq!(
            draft(vec![line(dec!(2), dec!(0.0025), dec!(0))]).estimated_total(2),
            dec!(0.00)
        );
        assert_eq!(
            draft(vec![line(dec!(6), dec!(0.0025), dec!(0))]).estimated_total(2),
            dec!(0.02)
        );
    }

    #[test]
    fn a_draft_round_trips_through_json_with_exact_decimals() {
        let order = draft(vec![line(dec!(2.5), dec!(19.99), dec!(0.1))]);
        let text = serde_json::to_string(&order).unwrap();
        assert!(text.contains("\"19.99\""), "{text}");
        assert_eq!(serde_json::from_str::<SaleDraft>(&text).unwrap(), order);
    }
}

/// A sale line as the ERP holds it: product, quantity and unit price.
pub type ErpLine = (ErpId, Decimal, Decimal);

/// What the ERP holds of a sale, in the draft's terms: enough to tell
/// whether it is the sale the salesperson wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct SaleContent {
    pub customer_id: ErpId,
    pub invoice_address_id: Option<ErpId>,
    pub shipment_address_id: Option<ErpId>,
    /// Product, quantity and net unit price of each line, in the ERP's order.
    pub lines: Vec<(ErpId, Decimal, Decimal)>,
}

/// One way the ERP's sale differs from the entry that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaleDifference {
    Customer {
        erp: ErpId,
        entry: ErpId,
    },
    InvoiceAddress {
        erp: Option<ErpId>,
        entry: Option<ErpId>,
    },
    ShipmentAddress {
        erp: Option<ErpId>,
        entry: Option<ErpId>,
    },
    /// A line the ERP has that the entry does not, or with another
    /// quantity or price: `(product, quantity, net unit price)`.
    OnlyInErp {
        line: (ErpId, Decimal, Decimal),
    },
    /// A line of the entry the ERP does not have: `(product, quantity,
    /// unit price the laptop showed)`, the price `None` when only the ERP
    /// could price it.
    OnlyInEntry {
        line: (ErpId, Decimal, Option<Decimal>),
    },
}

impl SaleDifference {
    /// The difference in plain words.
    pub fn describe(&self) -> String {
        let line = |(product, quantity, price): &(ErpId, Decimal, Decimal)| {
            format!(
                "{} × product {product} at {}",
                quantity.normalize(),
                price.normalize()
            )
        };
        let address = |id: &Option<ErpId>| match id {
            Some(id) => format!("address {id}"),
            None => "none".into(),
        };
        match self {
            SaleDifference::Customer { erp, entry } => {
                format!("the ERP's sale is for customer {erp}, the entry's for customer {entry}")
            }
            SaleDifference::InvoiceAddress { erp, entry } => format!(
                "the ERP invoices to {}, the entry to {}",
                address(erp),
                address(entry)
            ),
            SaleDifference::ShipmentAddress { erp, entry } => format!(
                "the ERP ships to {}, the entry to {}",
                address(erp),
                address(entry)
            ),
            SaleDifference::OnlyInErp { line: erp } => {
                format!(
                    "the ERP has a line of {} that the entry does not",
                    line(erp)
                )
            }
            SaleDifference::OnlyInEntry {
                line: (product, quantity, Some(price)),
            } => {
                format!(
                    "the entry has a line of {} that the ERP does not",
                    line(&(*product, *quantity, *price))
                )
            }
            SaleDifference::OnlyInEntry {
                line: (product, quantity, None),
            } => format!(
                "the entry has a line of {} × product {product}, priced by the ERP, that the ERP does not",
                quantity.normalize()
            ),
        }
    }
}

impl SaleDraft {
    /// How the ERP's sale differs from this draft: the customer, the
    /// addresses, and the lines compared as a multiset of (product,
    /// quantity, net unit price), so the ERP's own line order does not
    /// count. Quantities and prices compare as numbers ("3" equals "3.000").
    /// An empty list: it is the sale the salesperson wrote.
    pub fn differences(&self, erp: &SaleContent) -> Vec<SaleDifference> {
        let mut differences = Vec::new();
        if erp.customer_id != self.customer_id {
            differences.push(SaleDifference::Customer {
                erp: erp.customer_id,
                entry: self.customer_id,
            });
        }
        if erp.invoice_address_id != self.invoice_address_id {
            differences.push(SaleDifference::InvoiceAddress {
                erp: erp.invoice_address_id,
                entry: self.invoice_address_id,
            });
        }
        if erp.shipment_address_id != self.shipment_address_id {
            differences.push(SaleDifference::ShipmentAddress {
                erp: erp.shipment_address_id,
                entry: self.shipment_address_id,
            });
        }
        let key = |product: ErpId, quantity: Decimal, price: Option<Decimal>| {
            (
                product,
                quantity.normalize(),
                price.map(|price| price.normalize()),
            )
        };
        let mut erp_lines: Vec<_> = erp
            .lines
            .iter()
            .map(|&(product, quantity, price)| key(product, quantity, Some(price)))
            .collect();
        // Each line as the laptop showed it: after the promotion it
        // expected (the ERP applies promotions when it records a quote).
        let mut entry_lines: Vec<_> = self
            .lines
            .iter()
            .map(|line| key(line.product_id, line.quantity, line.charged_price()))
            .collect();
        // Equal lines pair off; then a line only the ERP could price pairs
        // with an ERP line of the same product and quantity at any price.
        entry_lines.retain(
            |entry| match erp_lines.iter().position(|erp| erp == entry) {
                Some(found) => {
                    erp_lines.remove(found);
                    false
                }
                None => true,
            },
        );
        entry_lines.retain(|entry| {
            let found = erp_lines
                .iter()
                .position(|erp| entry.2.is_none() && (erp.0, erp.1) == (entry.0, entry.1));
            match found {
                Some(found) => {
                    erp_lines.remove(found);
                    false
                }
                None => true,
            }
        });
        erp_lines.sort();
        entry_lines.sort();
        for (product, quantity, price) in erp_lines {
            if let Some(price) = price {
                differences.push(SaleDifference::OnlyInErp {
                    line: (product, quantity, price),
                });
            }
        }
        for line in entry_lines {
            differences.push(SaleDifference::OnlyInEntry { line });
        }
        differences
    }
}

/// Where the ERP's price for an accepted sale is not the one the laptop
/// showed: a line's unit price (after promotions), or the untaxed total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceDifference {
    /// Line `line` (from 1) of the entry: `laptop` is the price per unit
    /// it showed (`None`: it could not know it, and the ERP priced it).
    Line {
        line: usize,
        product_id: ErpId,
        quantity: Decimal,
        erp: Decimal,
        laptop: Option<Decimal>,
    },
    /// The untaxed total, when the laptop knew every line's price.
    Total { erp: Decimal, laptop: Decimal },
}

impl PriceDifference {
    /// The difference in plain words, naming products by `product` (their
    /// code, say).
    pub fn describe(&self, product: &dyn Fn(ErpId) -> String) -> String {
        match self {
            PriceDifference::Line {
                line,
                product_id,
                erp,
                laptop: Some(laptop),
                ..
            } => format!(
                "line {line}: the ERP priced {} at {}, you quoted {}",
                product(*product_id),
                erp.normalize(),
                laptop.normalize()
            ),
            PriceDifference::Line {
                line,
                product_id,
                erp,
                laptop: None,
                ..
            } => format!(
                "line {line}: the ERP priced {} at {} (not known offline)",
                product(*product_id),
                erp.normalize()
            ),
            PriceDifference::Total { erp, laptop } => {
                format!("the ERP's untaxed total is {erp}, the estimate was {laptop}")
            }
        }
    }
}

impl SaleDraft {
    /// How the prices the ERP accepted the sale at differ from what the
    /// laptop showed: each line's unit price after promotions (the ERP's
    /// lines, `(product, quantity, unit price)`, paired with the entry's by
    /// product and quantity, whatever their order), and the untaxed total
    /// (`erp_untaxed`) when the laptop priced every line. Empty: the ERP
    /// charges what the salesperson was shown.
    pub fn price_differences(
        &self,
        erp_lines: &[ErpLine],
        erp_untaxed: Decimal,
        currency_digits: u32,
    ) -> Vec<PriceDifference> {
        let mut unpaired: Vec<&ErpLine> = erp_lines.iter().collect();
        let mut differences = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            let laptop = line.charged_price();
            let same = |erp: &&ErpLine| {
                erp.0 == line.product_id && erp.1.normalize() == line.quantity.normalize()
            };
            // The ERP's line at the laptop's price if there is one, else
            // any of the same product and quantity.
            let found = unpaired
                .iter()
                .position(|erp| {
                    same(erp) && Some(erp.2.normalize()) == laptop.map(|p| p.normalize())
                })
                .or_else(|| unpaired.iter().position(same));
            let Some(found) = found else {
                // Not in the ERP's sale at all: the content differs, which
                // `differences` says.
                continue;
            };
            let erp = unpaired.remove(found).2;
            if laptop.map(|price| price.normalize()) != Some(erp.normalize()) {
                differences.push(PriceDifference::Line {
                    line: index + 1,
                    product_id: line.product_id,
                    quantity: line.quantity,
                    erp,
                    laptop,
                });
            }
        }
        if self.unpriced_lines() == 0 {
            let laptop = self.estimated_total(currency_digits);
            if laptop.normalize() != erp_untaxed.normalize() {
                differences.push(PriceDifference::Total {
                    erp: erp_untaxed,
                    laptop,
                });
            }
        }
        differences
    }
}

#[cfg(test)]
mod price_difference_tests {
    use super::*;
    use rust_decimal::dec;

    fn draft(lines: Vec<DraftLine>) -> SaleDraft {
        SaleDraft {
            kind: SaleKind::Quote,
            customer_id: 4,
            invoice_address_id: None,
            shipment_address_id: None,
            warehouse_id: None,
            requested_date: None,
            reference: None,
            note: None,
            price_list_id: Some(2),
            lines,
        }
    }

    #[test]
    fn the_erps_prices_are_compared_with_what_the_laptop_showed() {
        let promoted = DraftLine {
            expected_price: Some(dec!(136.08)),
            promotion: Some("Spring tea".into()),
            ..DraftLine::typed(1, dec!(12), dec!(142.80), dec!(0))
        };
        let unknown = DraftLine {
            unit_price: None,
            ..DraftLine::typed(3, dec!(2), dec!(0), dec!(0))
        };
        let entry = draft(vec![
            promoted.clone(),
            DraftLine::typed(2, dec!(1), dec!(9.9), dec!(0.1)),
        ]);
        let line = |line, product_id, quantity, erp, laptop| PriceDifference::Line {
            line,
            product_id,
            quantity,
            erp,
            laptop,
        };
        // 12 × 136.08 + 8.91 = 1,641.87
        type Case = (
            &'static str,
            SaleDraft,
            Vec<ErpLine>,
            Decimal,
            Vec<PriceDifference>,
        );
        let cases: Vec<Case> = vec![
            (
                "the same prices, in another order and scale",
                entry.clone(),
                vec![(2, dec!(1.0), dec!(8.9100)), (1, dec!(12), dec!(136.0800))],
                dec!(1641.87),
                vec![],
            ),
            (
                "a promotion the laptop did not know",
                entry.clone(),
                vec![(1, dec!(12), dec!(136.08)), (2, dec!(1), dec!(4.455))],
                dec!(1637.42),
                vec![
                    line(2, 2, dec!(1), dec!(4.455), Some(dec!(8.91))),
                    PriceDifference::Total {
                        erp: dec!(1637.42),
                        laptop: dec!(1641.87),
                    },
                ],
            ),
            (
                "a line only the ERP could price: said, no total compared",
                draft(vec![promoted.clone(), unknown]),
                vec![(1, dec!(12), dec!(136.08)), (3, dec!(2), dec!(17.5))],
                dec!(1667.96),
                vec![line(2, 3, dec!(2), dec!(17.5), None)],
            ),
            (
                "two lines of one product pair with the price that matches",
                draft(vec![
                    DraftLine::typed(1, dec!(1), dec!(10), dec!(0)),
                    DraftLine::typed(1, dec!(1), dec!(12), dec!(0)),
                ]),
                vec![(1, dec!(1), dec!(12)), (1, dec!(1), dec!(10))],
                dec!(22),
                vec![],
            ),
        ];
        for (name, entry, erp, untaxed, expected) in cases {
            assert_eq!(
                entry.price_differences(&erp, untaxed, 2),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn price_differences_are_said_in_plain_words() {
        let code = |id: ErpId| format!("P-{id}");
        let cases = [
            (
                PriceDifference::Line {
                    line: 2,
                    product_id: 7,
                    quantity: dec!(3),
                    erp: dec!(8.5000),
                    laptop: Some(dec!(9.00)),
                },
                "line 2: the ERP priced P-7 at 8.5, you quoted 9",
            ),
            (
                PriceDifference::Line {
                    line: 1,
                    product_id: 7,
                    quantity: dec!(3),
                    erp: dec!(8.5),
                    laptop: None,
                },
                "line 1: the ERP priced P-7 at 8.5 (not known offline)",
            ),
            (
                PriceDifference::Total {
                    erp: dec!(25.50),
                    laptop: dec!(27.00),
                },
                "the ERP's untaxed total is 25.50, the estimate was 27.00",
            ),
        ];
        for (difference, words) in cases {
            assert_eq!(difference.describe(&code), words);
        }
    }

    #[test]
    fn an_entry_written_before_prices_came_from_lists_reads_as_typed() {
        let old = r#"{"kind":"order","customer_id":4,"invoice_address_id":null,"shipment_address_id":null,
            "warehouse_id":null,"requested_date":null,"reference":null,"note":null,
            "lines":[{"product_id":1,"quantity":"3","unit_price":"168.00","discount":"0.1"}]}"#;
        let draft: SaleDraft = serde_json::from_str(old).unwrap();
        assert_eq!(draft.price_list_id, None);
        assert_eq!(
            draft.lines,
            vec![DraftLine::typed(1, dec!(3), dec!(168.00), dec!(0.1))]
        );
        assert_eq!(draft.estimated_total(2), dec!(453.60));
    }
}

#[cfg(test)]
mod difference_tests {
    use super::*;
    use rust_decimal::dec;

    fn draft(lines: &[(ErpId, Decimal, Decimal, Decimal)]) -> SaleDraft {
        SaleDraft {
            kind: SaleKind::Order,
            customer_id: 4,
            invoice_address_id: Some(40),
            shipment_address_id: Some(41),
            warehouse_id: Some(5),
            requested_date: None,
            reference: None,
            note: None,
            price_list_id: None,
            lines: lines
                .iter()
                .map(|&(product_id, quantity, unit_price, discount)| {
                    DraftLine::typed(product_id, quantity, unit_price, discount)
                })
                .collect(),
        }
    }

    fn content(lines: &[(ErpId, Decimal, Decimal)]) -> SaleContent {
        SaleContent {
            customer_id: 4,
            invoice_address_id: Some(40),
            shipment_address_id: Some(41),
            lines: lines.to_vec(),
        }
    }

    #[test]
    fn a_sale_differs_from_its_entry_only_where_the_content_does() {
        let entry = draft(&[
            (1, dec!(3), dec!(168), dec!(0.1)),
            (2, dec!(1), dec!(9.9), dec!(0)),
        ]);
        let cases: &[(&str, SaleContent, Vec<SaleDifference>)] = &[
            (
                "the same lines in another order, with other scales",
                content(&[(2, dec!(1.000), dec!(9.9000)), (1, dec!(3), dec!(151.2))]),
                vec![],
            ),
            (
                "another quantity",
                content(&[(1, dec!(5), dec!(151.2)), (2, dec!(1), dec!(9.9))]),
                vec![
                    SaleDifference::OnlyInEntry {
                        line: (1, dec!(3), Some(dec!(151.2))),
                    },
                    SaleDifference::OnlyInErp {
                        line: (1, dec!(5), dec!(151.2)),
                    },
                ],
            ),
            (
                "a line missing in the ERP",
                content(&[(1, dec!(3), dec!(151.2))]),
                vec![SaleDifference::OnlyInEntry {
                    line: (2, dec!(1), Some(dec!(9.9))),
                }],
            ),
            (
                "an extra line in the ERP",
                content(&[
                    (1, dec!(3), dec!(151.2)),
                    (2, dec!(1), dec!(9.9)),
                    (3, dec!(2), dec!(1)),
                ]),
                vec![SaleDifference::OnlyInErp {
                    line: (3, dec!(2), dec!(1)),
                }],
            ),
            (
                "another price",
                content(&[(1, dec!(3), dec!(168)), (2, dec!(1), dec!(9.9))]),
                vec![
                    SaleDifference::OnlyInEntry {
                        line: (1, dec!(3), Some(dec!(151.2))),
                    },
                    SaleDifference::OnlyInErp {
                        line: (1, dec!(3), dec!(168)),
                    },
                ],
            ),
            (
                "another shipment address",
                SaleContent {
                    shipment_address_id: None,
                    ..content(&[(1, dec!(3), dec!(151.2)), (2, dec!(1), dec!(9.9))])
                },
                vec![SaleDifference::ShipmentAddress {
                    erp: None,
                    entry: Some(41),
                }],
            ),
        ];
        for (name, erp, expected) in cases {
            let mut found = entry.differences(erp);
            found.sort_by_key(|difference| format!("{difference:?}"));
            let mut expected = expected.clone();
            expected.sort_by_key(|difference| format!("{difference:?}"));
            assert_eq!(found, expected, "{name}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any decimal at all: huge, tiny, negative, with any scale.
        fn any_decimal() -> impl Strategy<Value = Decimal> {
            (any::<i64>(), any::<u32>(), 0u32..=28).prop_map(|(low, high, scale)| {
                let mut decimal =
                    Decimal::from_i128_with_scale(i128::from(low) << 32 ^ i128::from(high), scale);
                decimal.rescale(scale);
                decimal
            })
        }

        fn any_line() -> impl Strategy<Value = DraftLine> {
            (
                1i64..5,
                any_decimal(),
                prop::option::of(any_decimal()),
                any_decimal(),
                prop::option::of(any_decimal()),
            )
                .prop_map(
                    |(product_id, quantity, unit_price, discount, expected_price)| DraftLine {
                        unit_price,
                        expected_price,
                        ..DraftLine::typed(product_id, quantity, Decimal::ZERO, discount)
                    },
                )
        }

        proptest! {
            /// Whatever a draft holds (typed, or read from a damaged
            /// entry), checking it, totalling it and comparing it with the
            /// ERP's sale answer, never panic.
            #[test]
            fn drafts_are_checked_totalled_and_compared_without_panicking(
                lines in prop::collection::vec(any_line(), 0..5),
                erp_lines in prop::collection::vec((1i64..5, any_decimal(), any_decimal()), 0..5),
                digits in 0u32..6,
            ) {
                let draft = draft(&[]);
                let draft = SaleDraft { lines, ..draft };
                let _ = draft.validate();
                let _ = draft.estimated_total(digits);
                let differences = draft.differences(&content(&erp_lines));
                for difference in &differences {
                    prop_assert!(!difference.describe().is_empty());
                }
            }

            /// A draft compared with the sale it would make differs in
            /// nothing, whatever the order of its lines.
            #[test]
            fn a_sale_made_from_a_draft_does_not_differ_from_it(
                lines in prop::collection::vec(any_line(), 0..6),
            ) {
                let made: Vec<_> = lines
                    .iter()
                    .rev()
                    .map(|line| {
                        // The ERP prices what the laptop could not.
                        let price = line.charged_price().unwrap_or(Decimal::ONE);
                        (line.product_id, line.quantity, price)
                    })
                    .collect();
                let draft = SaleDraft { lines, ..draft(&[]) };
                prop_assert_eq!(draft.differences(&content(&made)), vec![]);
            }
        }
    }

    #[test]
    fn differences_are_said_in_plain_words() {
        assert_eq!(
            SaleDifference::OnlyInErp {
                line: (7, dec!(5.000), dec!(168.0000))
            }
            .describe(),
            "the ERP has a line of 5 × product 7 at 168 that the entry does not"
        );
        assert_eq!(
            SaleDifference::InvoiceAddress {
                erp: Some(3),
                entry: None
            }
            .describe(),
            "the ERP invoices to address 3, the entry to none"
        );
    }
}
