//! Price formulas, evaluated exactly as Tryton evaluates them, so the laptop
//! can show the ERP's price while offline.
//!
//! A Tryton price-list line (`product.price_list.line`) and a sale promotion
//! (`sale.promotion`) each hold a *formula*: a Python expression such as
//! `list_price * 0.9`. Tryton rewrites every number in it to
//! `Decimal('<number>')` (`decistmt`), then evaluates it with `simpleeval`,
//! which knows three names and one function, `Decimal`. All its arithmetic is
//! therefore Python `decimal` arithmetic in the default context: operands are
//! exact, and each result is rounded half to even to 28 significant digits.
//!
//! Terms:
//! - *name*: `unit_price`, `cost_price` or `list_price`, given in [`Names`].
//!   A promotion knows only `unit_price` (see [`Formula::uses`]).
//! - *Null*: Tryton's `DecimalNull`, the value of a name the product has no
//!   price for. Arithmetic with Null gives Null, and a Null result means "no
//!   price". Null compares as 0, except that `==` holds only between two
//!   Nulls: when `unit_price` is Null, `unit_price == 0` and
//!   `unit_price != 0` are both false. `-unit_price` is a plain 0, not Null.
//! - *refused*: what this module answers with a [`FormulaError`] instead of
//!   a number.
//!
//! **Invariant:** [`Formula::eval`] gives Tryton's number or an error, never
//! another number. What this module cannot match exactly, it refuses:
//! attribute access (`unit_price.quantize(…)`), `**` unless its result is
//! exact, bit operators, `in`, `is`, `None`, arithmetic on `True`/`False`,
//! several statements, and numbers beyond 38 digits or an exponent of
//! ±10,000. Tryton evaluates a few of these; the caller then asks the ERP.
//!
//! What Tryton does with the formula's result is the caller's: a price list
//! rounds it to the price digits (`round_price`), a promotion keeps
//! `max(result, 0)`, which is still Null when the result is Null.

use crate::PRICE_DIGITS;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A price formula, parsed once and evaluated for each product.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    text: String,
    root: Node,
    /// Whether the text names each of [`PriceName::ALL`], in that order.
    names_used: [bool; 3],
}

impl Formula {
    /// Parses a formula as Tryton stores it. Everything this module refuses
    /// in the text itself (see the module docs) is refused here, even in a
    /// branch of `… if … else …` that Tryton would never evaluate.
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        if text.chars().count() > MAX_CHARS {
            return Err(FormulaError::TooLong { max: MAX_CHARS });
        }
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            nesting: 0,
            names_used: [false; 3],
        };
        let root = parser.formula()?;
        Ok(Formula {
            text: text.to_owned(),
            root,
            names_used: parser.names_used,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the formula names `name` (`"unit_price"`, `"cost_price"` or
    /// `"list_price"`). Tryton fails on a promotion formula that reaches
    /// `cost_price` or `list_price`, so a caller refuses such a promotion.
    pub fn uses(&self, name: &str) -> bool {
        PriceName::ALL
            .iter()
            .zip(self.names_used)
            .any(|(known, used)| used && known.identifier() == name)
    }

    /// The formula's value for one product. `Ok(None)`: Tryton's Null (a
    /// name without a value reached the result), which means "no price".
    ///
    /// The value is exactly Tryton's whenever a [`Decimal`] can hold it. One
    /// it cannot hold (more than 28 decimals, or more digits than it has) is
    /// cut to fit and its last digit made odd if anything was cut off
    /// (rounding to odd): then rounding it to [`PRICE_DIGITS`], as the
    /// caller does, or comparing it with a price, gives what Tryton gets
    /// from its exact value. A value Tryton cannot round to [`PRICE_DIGITS`]
    /// (24 digits before the point) is refused, as Tryton fails on it.
    pub fn eval(&self, names: &Names) -> Result<Option<Decimal>, FormulaError> {
        match evaluate(&self.root, names)? {
            Value::Null => Ok(None),
            Value::Number(number) => number.to_price().map(Some),
            Value::Bool(_) => Err(FormulaError::NotAPrice),
        }
    }
}

/// The values a formula's names have for one product; `None` is Tryton's
/// Null. Fill them as Tryton does: for a price list, `cost_price` is 0 (not
/// Null) when the product has no cost price, and `unit_price` is the list
/// price or the cost price as the price list says, or Null; a promotion has
/// only `unit_price`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Names {
    pub unit_price: Option<Decimal>,
    pub cost_price: Option<Decimal>,
    pub list_price: Option<Decimal>,
}

/// Why a formula has no offline price. Every message starts with "cannot
/// evaluate offline"; asking the ERP is the way on.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FormulaError {
    #[error("cannot evaluate offline: the formula is empty")]
    Empty,
    #[error("cannot evaluate offline: the formula is longer than {max} characters")]
    TooLong { max: usize },
    #[error("cannot evaluate offline: the formula nests deeper than {max} levels")]
    TooDeep { max: usize },
    /// `at` counts characters from 1.
    #[error("cannot evaluate offline: {problem} (at character {at})")]
    Syntax { at: usize, problem: String },
    #[error(
        "cannot evaluate offline: `{name}` is not a name a price formula knows \
         (it knows unit_price, cost_price and list_price)"
    )]
    UnknownName { name: String },
    #[error(
        "cannot evaluate offline: `{name}` is not something a price formula can call \
         (it can call Decimal)"
    )]
    NotCallable { name: String },
    /// Python that Tryton may evaluate but this module does not.
    #[error("cannot evaluate offline: {what} is not supported")]
    Unsupported { what: String },
    #[error("cannot evaluate offline: `{literal}` {problem}")]
    BadNumber { literal: String, problem: String },
    /// Tryton raises too.
    #[error("cannot evaluate offline: the formula divides by zero")]
    DivisionByZero,
    /// Tryton raises too (simpleeval's or Python's limits).
    #[error("cannot evaluate offline: {what}, which Tryton refuses too")]
    RefusedByTryton { what: String },
    /// Tryton raises too: "result is not a Decimal".
    #[error("cannot evaluate offline: the formula gives True or False, not a price")]
    NotAPrice,
    #[error("cannot evaluate offline: a value in the formula is too large or too small")]
    OutOfRange,
}

/// Tryton's formulas are a line or two; the limit keeps parsing cheap
/// whatever the text.
const MAX_CHARS: usize = 1_000;

/// How deeply a formula may nest: parentheses, and operators applied to
/// results of operators. It bounds every recursion here.
const MAX_DEPTH: usize = 64;

/// Python's default `decimal` context: 28 significant digits.
const PRECISION: u32 = 28;

/// The most significant digits a number written in a formula may have; it
/// keeps every exact intermediate within 256 bits.
const MAX_DIGITS: u32 = 38;

/// Values whose decimal exponent goes beyond this are refused. Python's own
/// limit is 999,999; staying far inside it means its overflow and subnormal
/// rules never apply.
const MAX_EXPONENT: i64 = 10_000;

/// simpleeval refuses `a ** b` when `abs(a)` or `abs(b)` exceeds this.
const MAX_POWER: u128 = 4_000_000;

// ---------------------------------------------------------------------------
// Syntax tree

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PriceName {
    Unit,
    Cost,
    List,
}

impl PriceName {
    const ALL: [PriceName; 3] = [PriceName::Unit, PriceName::Cost, PriceName::List];

    fn identifier(self) -> &'static str {
        match self {
            PriceName::Unit => "unit_price",
            PriceName::Cost => "cost_price",
            PriceName::List => "list_price",
        }
    }

    fn value(self, names: &Names) -> Option<Decimal> {
        match self {
            PriceName::Unit => names.unit_price,
            PriceName::Cost => names.cost_price,
            PriceName::List => names.list_price,
        }
    }
}

/// A node of the syntax tree and how deep the tree below it is, which
/// [`Node::new`] keeps within [`MAX_DEPTH`].
#[derive(Clone, Debug, PartialEq)]
struct Node {
    expr: Expr,
    depth: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Name(PriceName),
    /// A number, or `Decimal('…')`: both exact.
    Number(Dec),
    Bool(bool),
    /// `Decimal(expression)`: the value, exactly; Null and `False` give 0.
    ToDecimal(Box<Node>),
    Not(Box<Node>),
    Negate(Box<Node>),
    Plus(Box<Node>),
    Arithmetic(Arithmetic, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// `a < b <= c`: Python's chained comparison.
    Compare(Box<Node>, Vec<(Comparison, Node)>),
    IfElse {
        condition: Box<Node>,
        then: Box<Node>,
        otherwise: Box<Node>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arithmetic {
    Add,
    Subtract,
    Multiply,
    Divide,
    FloorDivide,
    Remainder,
    Power,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

impl Node {
    fn new(expr: Expr) -> Result<Node, FormulaError> {
        let below = match &expr {
            Expr::Name(_) | Expr::Number(_) | Expr::Bool(_) => 0,
            Expr::ToDecimal(operand)
            | Expr::Not(operand)
            | Expr::Negate(operand)
            | Expr::Plus(operand) => operand.depth,
            Expr::Arithmetic(_, left, right) | Expr::And(left, right) | Expr::Or(left, right) => {
                left.depth.max(right.depth)
            }
            Expr::Compare(first, rest) => rest
                .iter()
                .map(|(_, node)| node.depth)
                .fold(first.depth, usize::max),
            Expr::IfElse {
                condition,
                then,
                otherwise,
            } => condition.depth.max(then.depth).max(otherwise.depth),
        };
        if below >= MAX_DEPTH {
            return Err(FormulaError::TooDeep { max: MAX_DEPTH });
        }
        Ok(Node {
            expr,
            depth: below + 1,
        })
    }
}

// ---------------------------------------------------------------------------
// Evaluation

/// What a Python expression over Tryton's names can give: a `Decimal`,
/// Tryton's Null, or a bool from a comparison or `not`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Number(Dec),
    Null,
    Bool(bool),
}

impl Value {
    /// Python's truth: a non-zero Decimal; Null is `Decimal(0)` underneath,
    /// so it is false.
    fn is_true(self) -> bool {
        match self {
            Value::Number(number) => !number.is_zero(),
            Value::Null => false,
            Value::Bool(truth) => truth,
        }
    }

    /// The number Python compares: Null's is 0, a bool's is 0 or 1.
    fn compared(self) -> Dec {
        match self {
            Value::Number(number) => number,
            Value::Null => Dec::ZERO,
            Value::Bool(truth) => Dec::from_bool(truth),
        }
    }
}

/// Evaluates as simpleeval does, operands left to right, `and`, `or`,
/// `… if … else …` and chained comparisons evaluating no more than Python
/// does, so an error (1/0) is raised exactly when Tryton raises it.
/// Recursion is bounded by [`Node::depth`].
fn evaluate(node: &Node, names: &Names) -> Result<Value, FormulaError> {
    Ok(match &node.expr {
        Expr::Name(name) => match name.value(names) {
            Some(price) => Value::Number(Dec::from_decimal(price)?),
            None => Value::Null,
        },
        Expr::Number(number) => Value::Number(*number),
        Expr::Bool(truth) => Value::Bool(*truth),
        Expr::ToDecimal(operand) => Value::Number(evaluate(operand, names)?.compared()),
        Expr::Not(operand) => Value::Bool(!evaluate(operand, names)?.is_true()),
        // Null has no `__neg__` of its own: Decimal's gives a plain 0.
        Expr::Negate(operand) => match evaluate(operand, names)? {
            Value::Number(number) => Value::Number(number.negated().rounded()?),
            Value::Null => Value::Number(Dec::ZERO),
            Value::Bool(_) => return Err(bool_arithmetic()),
        },
        Expr::Plus(operand) => match evaluate(operand, names)? {
            Value::Number(number) => Value::Number(number.rounded()?),
            Value::Null => Value::Number(Dec::ZERO),
            Value::Bool(_) => return Err(bool_arithmetic()),
        },
        Expr::Arithmetic(operator, left, right) => {
            let left = evaluate(left, names)?;
            let right = evaluate(right, names)?;
            arithmetic(*operator, left, right)?
        }
        Expr::And(left, right) => {
            let left = evaluate(left, names)?;
            if left.is_true() {
                evaluate(right, names)?
            } else {
                left
            }
        }
        Expr::Or(left, right) => {
            let left = evaluate(left, names)?;
            if left.is_true() {
                left
            } else {
                evaluate(right, names)?
            }
        }
        Expr::Compare(first, rest) => {
            let mut right = evaluate(first, names)?;
            for (comparison, node) in rest {
                let left = right;
                right = evaluate(node, names)?;
                if !compare(*comparison, left, right) {
                    return Ok(Value::Bool(false));
                }
            }
            Value::Bool(true)
        }
        Expr::IfElse {
            condition,
            then,
            otherwise,
        } => {
            if evaluate(condition, names)?.is_true() {
                evaluate(then, names)?
            } else {
                evaluate(otherwise, names)?
            }
        }
    })
}

fn bool_arithmetic() -> FormulaError {
    FormulaError::Unsupported {
        what: "arithmetic on True or False".into(),
    }
}

fn arithmetic(operator: Arithmetic, left: Value, right: Value) -> Result<Value, FormulaError> {
    // Python would treat True and False as 1 and 0, and `True + True` is an
    // int that Tryton then rejects; not worth following.
    if matches!(left, Value::Bool(_)) || matches!(right, Value::Bool(_)) {
        return Err(bool_arithmetic());
    }
    if operator == Arithmetic::Power {
        // simpleeval's safe_power checks the sizes before anything else,
        // Null included (its `abs` is a plain 0).
        let too_large = |value: Value| -> Result<bool, FormulaError> {
            let magnitude = value.compared().absolute().rounded()?;
            Ok(magnitude.cmp_value(Dec::from_u128(MAX_POWER)) == Ordering::Greater)
        };
        if too_large(left)? || too_large(right)? {
            return Err(FormulaError::RefusedByTryton {
                what: "`**` with a number above 4,000,000".into(),
            });
        }
    }
    // Null's operators return Null whatever the other operand, even for a
    // division by zero.
    let (Value::Number(left), Value::Number(right)) = (left, right) else {
        return Ok(Value::Null);
    };
    Ok(Value::Number(match operator {
        Arithmetic::Add => left.add(right)?,
        Arithmetic::Subtract => left.add(right.negated())?,
        Arithmetic::Multiply => left.multiply(right)?,
        Arithmetic::Divide => left.divide(right)?.0,
        Arithmetic::FloorDivide => left.divide_integer(right)?.0,
        Arithmetic::Remainder => left.divide_integer(right)?.1.rounded()?,
        Arithmetic::Power => left.power(right)?,
    }))
}

/// Python's comparison of two values. Null's `__eq__` holds only against
/// another Null; everything else (`!=` included, which Null inherits from
/// Decimal) compares Null as 0.
fn compare(comparison: Comparison, left: Value, right: Value) -> bool {
    if comparison == Comparison::Equal
        && (matches!(left, Value::Null) || matches!(right, Value::Null))
    {
        return matches!((left, right), (Value::Null, Value::Null));
    }
    let ordering = left.compared().cmp_value(right.compared());
    match comparison {
        Comparison::Less => ordering == Ordering::Less,
        Comparison::LessOrEqual => ordering != Ordering::Greater,
        Comparison::Greater => ordering == Ordering::Greater,
        Comparison::GreaterOrEqual => ordering != Ordering::Less,
        Comparison::Equal => ordering == Ordering::Equal,
        Comparison::NotEqual => ordering != Ordering::Equal,
    }
}

// ---------------------------------------------------------------------------
// Python's Decimal

/// A finite Python `Decimal`: (-1)^negative × coefficient × 10^exponent.
///
/// Trailing zeros are stripped (Python keeps them, as in `1.50`, but they
/// change no value, and every rounding here depends on the value alone);
/// zero is `Dec::ZERO`, never negative. The coefficient has at most
/// [`MAX_DIGITS`] digits and the adjusted exponent stays within
/// [`MAX_EXPONENT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dec {
    negative: bool,
    coefficient: u128,
    exponent: i32,
}

impl Dec {
    const ZERO: Dec = Dec {
        negative: false,
        coefficient: 0,
        exponent: 0,
    };

    /// The exact value, or an error if it does not fit the limits.
    fn exact(negative: bool, coefficient: Wide, exponent: i64) -> Result<Dec, FormulaError> {
        if coefficient.is_zero() {
            return Ok(Dec::ZERO);
        }
        let (mut coefficient, mut exponent) = (coefficient, exponent);
        loop {
            let (quotient, remainder) = coefficient.div_rem(Wide::from(10));
            if !remainder.is_zero() {
                break;
            }
            coefficient = quotient;
            exponent += 1;
        }
        let digits = coefficient.digits();
        let adjusted = exponent + i64::from(digits) - 1;
        let coefficient = coefficient.to_u128().filter(|_| digits <= MAX_DIGITS);
        match coefficient {
            Some(coefficient) if adjusted.abs() <= MAX_EXPONENT => Ok(Dec {
                negative,
                coefficient,
                // Within ±(MAX_EXPONENT + MAX_DIGITS), so it fits.
                exponent: exponent as i32,
            }),
            _ => Err(FormulaError::OutOfRange),
        }
    }

    /// The value rounded half to even to [`PRECISION`] digits, as Python
    /// rounds every result; and whether anything was rounded off.
    fn round(
        negative: bool,
        coefficient: Wide,
        exponent: i64,
    ) -> Result<(Dec, bool), FormulaError> {
        let digits = coefficient.digits();
        if digits <= PRECISION {
            return Ok((Dec::exact(negative, coefficient, exponent)?, false));
        }
        let dropped = digits - PRECISION;
        let (mut kept, rest) = coefficient.div_rem(Wide::pow10(dropped)?);
        let half = Wide::pow10(dropped - 1)?.checked_mul(Wide::from(5))?;
        let up = match rest.cmp(&half) {
            Ordering::Greater => true,
            Ordering::Equal => kept.low % 2 == 1,
            Ordering::Less => false,
        };
        if up {
            kept = kept.checked_add(Wide::from(1))?;
        }
        let rounded = Dec::exact(negative, kept, exponent + i64::from(dropped))?;
        Ok((rounded, !rest.is_zero()))
    }

    /// This value rounded to Python's precision, as unary `+` and `-`,
    /// `abs` and `%` leave it.
    fn rounded(self) -> Result<Dec, FormulaError> {
        Ok(Dec::round(self.negative, self.wide(), i64::from(self.exponent))?.0)
    }

    fn from_u128(value: u128) -> Dec {
        Dec {
            negative: false,
            coefficient: value,
            exponent: 0,
        }
        .normalized()
    }

    fn from_bool(truth: bool) -> Dec {
        Dec::from_u128(u128::from(truth))
    }

    fn from_decimal(price: Decimal) -> Result<Dec, FormulaError> {
        let mantissa = price.mantissa();
        Dec::exact(
            mantissa < 0,
            Wide::from(mantissa.unsigned_abs()),
            -i64::from(price.scale()),
        )
    }

    /// Strips trailing zeros of a value built in place.
    fn normalized(self) -> Dec {
        if self.coefficient == 0 {
            return Dec::ZERO;
        }
        let mut normal = self;
        while normal.coefficient.is_multiple_of(10) {
            normal.coefficient /= 10;
            normal.exponent += 1;
        }
        normal
    }

    /// The value as a price (see [`Formula::eval`]).
    fn to_price(self) -> Result<Decimal, FormulaError> {
        // Tryton's round_price quantizes to PRICE_DIGITS decimals, which
        // fails when that takes more than 28 digits: from
        // 10^(28 - PRICE_DIGITS) less half a unit of the last decimal, which
        // rounds up to it.
        let unroundable = Dec {
            negative: false,
            coefficient: 10u128.pow(PRECISION + 1) - 5,
            exponent: -(PRICE_DIGITS as i32) - 1,
        };
        if self.absolute().cmp_value(unroundable) != Ordering::Less {
            return Err(FormulaError::RefusedByTryton {
                what: format!(
                    "a price of {} digits or more before the point",
                    PRECISION - PRICE_DIGITS
                ),
            });
        }
        // A Decimal's mantissa is below 2^96, its scale at most 28.
        const MANTISSA_LIMIT: u128 = 1 << 96;
        const MAX_SCALE: i64 = 28;
        // Rounding to odd keeps the caller's rounding to PRICE_DIGITS exact
        // only if two more decimals are kept: with one, the odd last digit
        // could be the 5 of a tie. Only a number of more than 28 digits,
        // some 22 of them before the point, would keep fewer; it is refused.
        let fewest_kept = i64::from(PRICE_DIGITS) + 2;
        let mut coefficient = self.coefficient;
        let mut scale = -i64::from(self.exponent);
        while scale < 0 {
            coefficient = coefficient
                .checked_mul(10)
                .filter(|grown| *grown < MANTISSA_LIMIT)
                .ok_or(FormulaError::OutOfRange)?;
            scale += 1;
        }
        let mut cut_off = false;
        while scale > MAX_SCALE || coefficient >= MANTISSA_LIMIT {
            if scale <= fewest_kept {
                return Err(FormulaError::OutOfRange);
            }
            cut_off |= !coefficient.is_multiple_of(10);
            coefficient /= 10;
            scale -= 1;
        }
        if cut_off && coefficient.is_multiple_of(2) {
            coefficient += 1;
        }
        let magnitude = i128::try_from(coefficient).map_err(|_| FormulaError::OutOfRange)?;
        let mantissa = if self.negative { -magnitude } else { magnitude };
        Decimal::try_from_i128_with_scale(mantissa, scale as u32)
            .map_err(|_| FormulaError::OutOfRange)
    }

    fn wide(self) -> Wide {
        Wide::from(self.coefficient)
    }

    fn is_zero(self) -> bool {
        self.coefficient == 0
    }

    fn digits(self) -> u32 {
        self.wide().digits()
    }

    /// The exponent of the first digit: 1.5 has 0, 0.015 has -2.
    fn adjusted(self) -> i64 {
        i64::from(self.exponent) + i64::from(self.digits()) - 1
    }

    fn negated(self) -> Dec {
        Dec {
            negative: !self.negative && !self.is_zero(),
            ..self
        }
    }

    fn absolute(self) -> Dec {
        Dec {
            negative: false,
            ..self
        }
    }

    /// Compares values exactly, as Python does (no rounding).
    fn cmp_value(self, other: Dec) -> Ordering {
        let sign = |value: Dec| match (value.is_zero(), value.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let by_sign = sign(self).cmp(&sign(other));
        if by_sign != Ordering::Equal || self.is_zero() {
            return by_sign;
        }
        let by_magnitude = self.adjusted().cmp(&other.adjusted()).then_with(|| {
            // Same first digit position: line the digits up on the left.
            // Both have at most MAX_DIGITS digits, so this cannot fail.
            let widen = |value: Dec| {
                Wide::pow10(MAX_DIGITS - value.digits())
                    .and_then(|power| value.wide().checked_mul(power))
                    .ok()
            };
            widen(self).cmp(&widen(other))
        });
        if self.negative {
            by_magnitude.reverse()
        } else {
            by_magnitude
        }
    }

    /// Python's `__add__`, following `_pydecimal`: an operand far below the
    /// other's last digit is replaced by a single 1 just below the rounding
    /// position, which rounds the same and keeps the sum within 77 digits.
    fn add(self, other: Dec) -> Result<Dec, FormulaError> {
        if self.is_zero() {
            return other.rounded();
        }
        if other.is_zero() {
            return self.rounded();
        }
        let (high, low) = if self.exponent >= other.exponent {
            (self, other)
        } else {
            (other, self)
        };
        let high_exponent = i64::from(high.exponent);
        let floor = high_exponent + (-1).min(i64::from(high.digits()) - i64::from(PRECISION) - 2);
        let (low_coefficient, low_exponent) = if low.adjusted() < floor {
            (Wide::from(1), floor)
        } else {
            (low.wide(), i64::from(low.exponent))
        };
        let shift =
            u32::try_from(high_exponent - low_exponent).map_err(|_| FormulaError::OutOfRange)?;
        let high_coefficient = high.wide().checked_mul(Wide::pow10(shift)?)?;
        let (negative, sum) = if high.negative == low.negative {
            (
                high.negative,
                high_coefficient.checked_add(low_coefficient)?,
            )
        } else if high_coefficient >= low_coefficient {
            (
                high.negative,
                high_coefficient.wrapping_sub(low_coefficient),
            )
        } else {
            (low.negative, low_coefficient.wrapping_sub(high_coefficient))
        };
        Ok(Dec::round(negative, sum, low_exponent)?.0)
    }

    fn multiply(self, other: Dec) -> Result<Dec, FormulaError> {
        let product = self.wide().checked_mul(other.wide())?;
        let exponent = i64::from(self.exponent) + i64::from(other.exponent);
        Ok(Dec::round(self.negative != other.negative, product, exponent)?.0)
    }

    /// Python's `__truediv__`, following `_pydecimal`: a quotient of two
    /// digits more than the precision, its last digit nudged off 0 or 5
    /// when the division is inexact, then rounded. Also says whether the
    /// result is inexact.
    fn divide(self, other: Dec) -> Result<(Dec, bool), FormulaError> {
        if other.is_zero() {
            return Err(FormulaError::DivisionByZero);
        }
        if self.is_zero() {
            return Ok((Dec::ZERO, false));
        }
        let shift = i64::from(other.digits()) - i64::from(self.digits()) + i64::from(PRECISION) + 1;
        let exponent = i64::from(self.exponent) - i64::from(other.exponent) - shift;
        let power = Wide::pow10(shift.unsigned_abs() as u32)?;
        let (mut quotient, remainder) = if shift >= 0 {
            self.wide().checked_mul(power)?.div_rem(other.wide())
        } else {
            self.wide().div_rem(other.wide().checked_mul(power)?)
        };
        let inexact = !remainder.is_zero();
        if inexact && quotient.low.is_multiple_of(5) {
            quotient = quotient.checked_add(Wide::from(1))?;
        }
        let negative = self.negative != other.negative;
        let (result, rounded_off) = Dec::round(negative, quotient, exponent)?;
        Ok((result, inexact || rounded_off))
    }

    /// Python's `//` and `%` (`_divide`): the quotient truncated toward
    /// zero, and the remainder, which has the dividend's sign and is not
    /// yet rounded. A quotient of more than 28 digits is an error in Python.
    fn divide_integer(self, other: Dec) -> Result<(Dec, Dec), FormulaError> {
        if other.is_zero() {
            return Err(FormulaError::DivisionByZero);
        }
        if self.is_zero() {
            return Ok((Dec::ZERO, Dec::ZERO));
        }
        let too_large = || FormulaError::RefusedByTryton {
            what: "`//` or `%` with a quotient of more than 28 digits".into(),
        };
        let exponent_difference = self.adjusted() - other.adjusted();
        if exponent_difference <= -2 {
            return Ok((Dec::ZERO, self));
        }
        if exponent_difference > i64::from(PRECISION) {
            return Err(too_large());
        }
        // Both exponents are within 2 × MAX_DIGITS + PRECISION of each
        // other here, so the shifted coefficient fits.
        let shift = i64::from(self.exponent) - i64::from(other.exponent);
        let power = Wide::pow10(shift.unsigned_abs() as u32)?;
        let (dividend, divisor) = if shift >= 0 {
            (self.wide().checked_mul(power)?, other.wide())
        } else {
            (self.wide(), other.wide().checked_mul(power)?)
        };
        let (quotient, remainder) = dividend.div_rem(divisor);
        if quotient >= Wide::pow10(PRECISION)? {
            return Err(too_large());
        }
        let remainder_exponent = i64::from(self.exponent.min(other.exponent));
        Ok((
            Dec::exact(self.negative != other.negative, quotient, 0)?,
            Dec::exact(self.negative, remainder, remainder_exponent)?,
        ))
    }

    /// `**` with a whole exponent, when Python's result is exact: then any
    /// way of computing it gives it. An inexact power (`2 ** 0.5`, `3 ** -1`,
    /// `2 ** 100`) is refused: Python computes those with its own
    /// working precision, which this module does not follow.
    fn power(self, exponent: Dec) -> Result<Dec, FormulaError> {
        let inexact = || FormulaError::Unsupported {
            what: "`**` whose exact result has more than 28 digits".into(),
        };
        if exponent.exponent < 0 {
            return Err(FormulaError::Unsupported {
                what: "`**` with an exponent that is not a whole number".into(),
            });
        }
        // At most MAX_POWER here, checked by the caller.
        let times = exponent
            .wide()
            .checked_mul(Wide::pow10(exponent.exponent as u32)?)?
            .to_u128()
            .ok_or(FormulaError::OutOfRange)?;
        if self.is_zero() {
            return match (times, exponent.negative) {
                (0, _) => Err(FormulaError::RefusedByTryton {
                    what: "`0 ** 0`".into(),
                }),
                // Python gives Infinity, which a comparison can still turn
                // into a price.
                (_, true) => Err(FormulaError::Unsupported {
                    what: "`0 **` a negative exponent, which is infinite,".into(),
                }),
                (_, false) => Ok(Dec::ZERO),
            };
        }
        let base = if exponent.negative {
            let (reciprocal, reciprocal_inexact) = Dec::from_u128(1).divide(self)?;
            if reciprocal_inexact {
                return Err(inexact());
            }
            reciprocal
        } else {
            self
        };
        // The coefficient has no trailing zero, so neither has any power of
        // it: its digits are all significant. A coefficient of 2 or more
        // passes 28 digits within 94 steps.
        let mut coefficient = Wide::from(1);
        for _ in 0..times {
            if base.coefficient == 1 {
                break;
            }
            coefficient = coefficient.checked_mul(base.wide())?;
            if coefficient.digits() > PRECISION {
                return Err(inexact());
            }
        }
        let result_exponent = i64::from(base.exponent)
            .checked_mul(i64::try_from(times).map_err(|_| FormulaError::OutOfRange)?)
            .ok_or(FormulaError::OutOfRange)?;
        let negative = base.negative && times % 2 == 1;
        Dec::exact(negative, coefficient, result_exponent)
    }
}

/// Parses a decimal number as Python's `Decimal('…')` does, without its
/// special values (`inf`, `nan`) and underscores, which are refused.
fn parse_decimal(text: &str) -> Result<Dec, &'static str> {
    let not_a_number = "is not a number";
    let text = text.trim_matches([' ', '\t']);
    let special = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if ["inf", "infinity", "nan", "snan"].contains(&special.as_str()) {
        return Err("is not a finite number");
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent_text) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return Err(not_a_number);
    }
    let mut exponent: i64 = match exponent_text {
        None => 0,
        Some(exponent_text) => {
            let digits = exponent_text.trim_start_matches(['+', '-']);
            if digits.is_empty() || !all_digits(digits) || exponent_text.len() - digits.len() > 1 {
                return Err(not_a_number);
            }
            // Anything longer is far beyond MAX_EXPONENT.
            let significant = digits.trim_start_matches('0');
            if significant.len() > 9 {
                return Err("is too large or too small");
            }
            let magnitude: i64 = significant.parse().unwrap_or(0);
            if exponent_text.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    exponent -= fraction.len() as i64;
    let significant = format!("{whole}{fraction}");
    let significant = significant.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    exponent += (significant.len() - trimmed.len()) as i64;
    if trimmed.len() > MAX_DIGITS as usize {
        return Err("has more than 38 significant digits");
    }
    let coefficient = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse::<u128>().map_err(|_| not_a_number)?
    };
    Dec::exact(negative, Wide::from(coefficient), exponent).map_err(|_| "is too large or too small")
}

/// An unsigned 256-bit integer: room for the exact product of two 38-digit
/// coefficients, which `u128` lacks. Fields in this order make the derived
/// ordering numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Wide {
    high: u128,
    low: u128,
}

impl Wide {
    fn from(value: u128) -> Wide {
        Wide {
            high: 0,
            low: value,
        }
    }

    fn is_zero(self) -> bool {
        self.high == 0 && self.low == 0
    }

    fn to_u128(self) -> Option<u128> {
        (self.high == 0).then_some(self.low)
    }

    /// 10^exponent; an error beyond 10^77, which 256 bits cannot hold.
    fn pow10(exponent: u32) -> Result<Wide, FormulaError> {
        let mut power = Wide::from(1);
        for _ in 0..exponent {
            power = power.checked_mul(Wide::from(10))?;
        }
        Ok(power)
    }

    /// The full product of two u128, from four 64-bit products.
    fn product(left: u128, right: u128) -> Wide {
        const HALF: u128 = u64::MAX as u128;
        let (left_high, left_low) = (left >> 64, left & HALF);
        let (right_high, right_low) = (right >> 64, right & HALF);
        let low_low = left_low * right_low;
        let (middle, middle_carry) = (left_low * right_high).overflowing_add(left_high * right_low);
        let (low, low_carry) = low_low.overflowing_add(middle << 64);
        let high = left_high * right_high
            + (middle >> 64)
            + (u128::from(middle_carry) << 64)
            + u128::from(low_carry);
        Wide { high, low }
    }

    fn checked_add(self, other: Wide) -> Result<Wide, FormulaError> {
        let (low, carry) = self.low.overflowing_add(other.low);
        let high = self
            .high
            .checked_add(other.high)
            .and_then(|high| high.checked_add(u128::from(carry)))
            .ok_or(FormulaError::OutOfRange)?;
        Ok(Wide { high, low })
    }

    fn wrapping_sub(self, other: Wide) -> Wide {
        let (low, borrow) = self.low.overflowing_sub(other.low);
        let high = self
            .high
            .wrapping_sub(other.high)
            .wrapping_sub(u128::from(borrow));
        Wide { high, low }
    }

    fn checked_mul(self, other: Wide) -> Result<Wide, FormulaError> {
        let (wide, narrow) = match (self.to_u128(), other.to_u128()) {
            (Some(left), Some(right)) => return Ok(Wide::product(left, right)),
            (None, Some(narrow)) => (self, narrow),
            (Some(narrow), None) => (other, narrow),
            (None, None) => return Err(FormulaError::OutOfRange),
        };
        let low = Wide::product(wide.low, narrow);
        let high = Wide::product(wide.high, narrow);
        if high.high != 0 {
            return Err(FormulaError::OutOfRange);
        }
        let top = low
            .high
            .checked_add(high.low)
            .ok_or(FormulaError::OutOfRange)?;
        Ok(Wide {
            high: top,
            low: low.low,
        })
    }

    /// Quotient and remainder; a zero divisor gives (0, self), which no
    /// caller asks for.
    fn div_rem(self, divisor: Wide) -> (Wide, Wide) {
        if divisor.is_zero() {
            return (Wide::from(0), self);
        }
        if let (Some(dividend), Some(divisor)) = (self.to_u128(), divisor.to_u128()) {
            return (
                Wide::from(dividend / divisor),
                Wide::from(dividend % divisor),
            );
        }
        // Long division, one bit at a time.
        let mut quotient = Wide::from(0);
        let mut remainder = Wide::from(0);
        for bit in (0..256).rev() {
            let overflowing = remainder.high >> 127 == 1;
            remainder = Wide {
                high: (remainder.high << 1) | (remainder.low >> 127),
                low: (remainder.low << 1) | self.bit(bit),
            };
            if overflowing || remainder >= divisor {
                remainder = remainder.wrapping_sub(divisor);
                if bit >= 128 {
                    quotient.high |= 1 << (bit - 128);
                } else {
                    quotient.low |= 1 << bit;
                }
            }
        }
        (quotient, remainder)
    }

    fn bit(self, bit: u32) -> u128 {
        if bit >= 128 {
            (self.high >> (bit - 128)) & 1
        } else {
            (self.low >> bit) & 1
        }
    }

    /// How many decimal digits; 0 for zero.
    fn digits(self) -> u32 {
        if let Some(small) = self.to_u128() {
            return small.checked_ilog10().map_or(0, |log| log + 1);
        }
        let mut count = 0;
        let mut power = Wide::from(1);
        while power <= self {
            count += 1;
            match power.checked_mul(Wide::from(10)) {
                Ok(next) => power = next,
                Err(_) => break,
            }
        }
        count
    }
}

// ---------------------------------------------------------------------------
// Reading the text

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Number(Dec),
    /// Identifiers and Python's keywords.
    Word(String),
    /// Text in quotes, without them.
    Quoted(String),
    Operator(&'static str),
    End,
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: TokenKind,
    /// Where it starts, counting characters from 0.
    at: usize,
    text: String,
}

/// Python's operators and delimiters, longest first, including those only
/// recognised to say they are not supported.
const OPERATORS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", ":=", "->", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/", "%", "@", "&", "|", "^",
    "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=",
];

fn syntax(at: usize, problem: impl Into<String>) -> FormulaError {
    FormulaError::Syntax {
        at: at + 1,
        problem: problem.into(),
    }
}

/// Splits the text into tokens the way Python's tokenizer does for what is
/// accepted here, and refuses what would make Tryton's text differ from
/// the tokens: several lines outside parentheses (Tryton evaluates only the
/// first), an indented first line after a comment (Python fails), a
/// carriage return alone, backslashes in quotes.
fn lex(text: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut at = 0;
    let mut open_brackets = 0usize;
    let mut line_start = 0;
    let mut line_ended = false;
    let mut comment_first = false;
    let newline_length = |at: usize| match (chars.get(at), chars.get(at + 1)) {
        (Some('\n'), _) => Some(1),
        (Some('\r'), Some('\n')) => Some(2),
        _ => None,
    };
    while at < chars.len() {
        let current = chars[at];
        if let Some(length) = newline_length(at) {
            if open_brackets == 0 && !tokens.is_empty() {
                line_ended = true;
            }
            at += length;
            line_start = at;
            continue;
        }
        match current {
            ' ' | '\t' => {
                at += 1;
                continue;
            }
            '\r' => {
                return Err(syntax(
                    at,
                    "a carriage return must be followed by a new line",
                ));
            }
            '#' => {
                comment_first |= tokens.is_empty();
                while at < chars.len() && newline_length(at).is_none() && chars[at] != '\r' {
                    at += 1;
                }
                continue;
            }
            '\\' => {
                // Python joins a line ending in a backslash to the next.
                match newline_length(at + 1) {
                    Some(length) if !tokens.is_empty() => {
                        at += 1 + length;
                        continue;
                    }
                    _ => return Err(syntax(at, "a backslash may only end a line")),
                }
            }
            _ => {}
        }
        if line_ended {
            return Err(FormulaError::Unsupported {
                what: "a second line outside parentheses (Tryton evaluates only the first)".into(),
            });
        }
        if tokens.is_empty() && comment_first && at != line_start {
            return Err(syntax(
                at,
                "the first line after a comment must not be indented",
            ));
        }
        let start = at;
        let kind = if current.is_ascii_digit()
            || (current == '.' && chars.get(at + 1).is_some_and(char::is_ascii_digit))
        {
            at = number_end(&chars, at);
            if chars
                .get(at)
                .is_some_and(|next| next.is_ascii_alphanumeric() || *next == '_' || *next == '.')
            {
                return Err(syntax(
                    at,
                    "a number must not be followed directly by a letter, `_` or `.`",
                ));
            }
            let literal: String = chars[start..at].iter().collect();
            let is_integer = !literal.contains(['.', 'e', 'E']);
            if is_integer
                && literal.starts_with('0')
                && literal.contains(['1', '2', '3', '4', '5', '6', '7', '8', '9'])
            {
                return Err(syntax(start, "a whole number must not start with 0"));
            }
            // Python drops the underscores of `1_000`.
            let number = parse_decimal(&literal.replace('_', "")).map_err(|problem| {
                FormulaError::BadNumber {
                    literal: literal.clone(),
                    problem: problem.into(),
                }
            })?;
            TokenKind::Number(number)
        } else if current.is_ascii_alphabetic() || current == '_' {
            while chars
                .get(at)
                .is_some_and(|next| next.is_ascii_alphanumeric() || *next == '_')
            {
                at += 1;
            }
            if matches!(chars.get(at), Some('\'' | '"')) {
                return Err(FormulaError::Unsupported {
                    what: "text in quotes with a prefix (r'…', f'…')".into(),
                });
            }
            TokenKind::Word(chars[start..at].iter().collect())
        } else if current == '\'' || current == '"' {
            if chars.get(at + 1) == Some(&current) && chars.get(at + 2) == Some(&current) {
                return Err(FormulaError::Unsupported {
                    what: "text in triple quotes".into(),
                });
            }
            at += 1;
            loop {
                match chars.get(at) {
                    Some(quote) if *quote == current => break,
                    Some('\\') => {
                        return Err(FormulaError::Unsupported {
                            what: "a backslash in quotes".into(),
                        });
                    }
                    Some('\n' | '\r') | None => {
                        return Err(syntax(start, "the text in quotes is not closed"));
                    }
                    Some(_) => at += 1,
                }
            }
            at += 1;
            TokenKind::Quoted(chars[start + 1..at - 1].iter().collect())
        } else {
            let operator = OPERATORS.iter().find(|operator| {
                operator
                    .chars()
                    .enumerate()
                    .all(|(offset, expected)| chars.get(at + offset) == Some(&expected))
            });
            let Some(operator) = operator else {
                return Err(syntax(
                    at,
                    format!("`{current}` cannot appear in a formula"),
                ));
            };
            at += operator.len();
            match *operator {
                "(" | "[" | "{" => open_brackets += 1,
                ")" | "]" | "}" => open_brackets = open_brackets.saturating_sub(1),
                _ => {}
            }
            TokenKind::Operator(operator)
        };
        tokens.push(Token {
            kind,
            at: start,
            text: chars[start..at].iter().collect(),
        });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        at: chars.len(),
        text: String::new(),
    });
    Ok(tokens)
}

/// Where a number starting at `at` ends, following Python's tokenizer:
/// digits with single underscores between them, an optional fraction, an
/// optional exponent.
fn number_end(chars: &[char], at: usize) -> usize {
    let digit_at = |at: usize| chars.get(at).is_some_and(char::is_ascii_digit);
    let digits_end = |mut at: usize| {
        while digit_at(at) || (chars.get(at) == Some(&'_') && digit_at(at + 1)) {
            at += 1;
        }
        at
    };
    let mut at = digits_end(at);
    if chars.get(at) == Some(&'.') {
        at = digits_end(at + 1);
    }
    if matches!(chars.get(at), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(at + 1), Some('+' | '-')));
        if digit_at(at + 1 + sign) {
            at = digits_end(at + 1 + sign);
        }
    }
    at
}

/// Python's keywords, which are never names.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A recursive-descent parser of the part of Python's expression grammar a
/// formula may use, with Python's precedence.
struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// How many recursive steps are open, kept within [`MAX_DEPTH`].
    nesting: usize,
    names_used: [bool; 3],
}

impl Parser {
    fn peek(&self) -> &Token {
        // `lex` always ends the tokens with End, and nothing moves past it.
        &self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn peek_kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.next += 1;
        }
        token
    }

    fn at_operator(&self, operator: &str) -> bool {
        matches!(self.peek_kind(), TokenKind::Operator(found) if *found == operator)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek_kind(), TokenKind::Word(found) if found == word)
    }

    fn eat_operator(&mut self, operator: &str) -> bool {
        let found = self.at_operator(operator);
        if found {
            self.advance();
        }
        found
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.at_word(word);
        if found {
            self.advance();
        }
        found
    }

    fn unexpected(&self) -> FormulaError {
        let token = self.peek();
        match token.kind {
            TokenKind::End => syntax(token.at, "the formula ends where more was expected"),
            _ => syntax(token.at, format!("`{}` was not expected here", token.text)),
        }
    }

    fn expect_operator(&mut self, operator: &str) -> Result<(), FormulaError> {
        if self.eat_operator(operator) {
            Ok(())
        } else {
            let token = self.peek();
            Err(syntax(token.at, format!("`{operator}` was expected here")))
        }
    }

    /// Runs one recursive step, refusing more than [`MAX_DEPTH`] at once.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Parser) -> Result<T, FormulaError>,
    ) -> Result<T, FormulaError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(FormulaError::TooDeep { max: MAX_DEPTH });
        }
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    fn formula(&mut self) -> Result<Node, FormulaError> {
        if *self.peek_kind() == TokenKind::End {
            return Err(FormulaError::Empty);
        }
        let root = self.expression()?;
        match self.peek_kind() {
            TokenKind::End => Ok(root),
            TokenKind::Operator(";") => Err(FormulaError::Unsupported {
                what: "more than one statement".into(),
            }),
            TokenKind::Operator(
                "=" | ":=" | "+=" | "-=" | "*=" | "/=" | "//=" | "%=" | "**=" | "&=" | "|=" | "^="
                | "@=" | ">>=" | "<<=",
            ) => Err(FormulaError::Unsupported {
                what: "assigning".into(),
            }),
            _ => Err(self.unexpected()),
        }
    }

    /// `body if condition else otherwise`, or an `or` test.
    fn expression(&mut self) -> Result<Node, FormulaError> {
        self.nested(|parser| {
            if parser.at_word("lambda") {
                return Err(FormulaError::Unsupported {
                    what: "`lambda`".into(),
                });
            }
            let body = parser.or_test()?;
            if !parser.eat_word("if") {
                return Ok(body);
            }
            let condition = parser.or_test()?;
            if !parser.eat_word("else") {
                let token = parser.peek();
                return Err(syntax(token.at, "`else` was expected here"));
            }
            let otherwise = parser.expression()?;
            Node::new(Expr::IfElse {
                condition: Box::new(condition),
                then: Box::new(body),
                otherwise: Box::new(otherwise),
            })
        })
    }

    fn or_test(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.and_test()?;
        while self.eat_word("or") {
            let right = self.and_test()?;
            left = Node::new(Expr::Or(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn and_test(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.not_test()?;
        while self.eat_word("and") {
            let right = self.not_test()?;
            left = Node::new(Expr::And(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn not_test(&mut self) -> Result<Node, FormulaError> {
        if !self.eat_word("not") {
            return self.comparison();
        }
        self.nested(|parser| {
            let operand = parser.not_test()?;
            Node::new(Expr::Not(Box::new(operand)))
        })
    }

    fn comparison(&mut self) -> Result<Node, FormulaError> {
        let first = self.bitwise()?;
        let mut rest = Vec::new();
        loop {
            let comparison = match self.peek_kind() {
                TokenKind::Operator("<") => Comparison::Less,
                TokenKind::Operator("<=") => Comparison::LessOrEqual,
                TokenKind::Operator(">") => Comparison::Greater,
                TokenKind::Operator(">=") => Comparison::GreaterOrEqual,
                TokenKind::Operator("==") => Comparison::Equal,
                TokenKind::Operator("!=") => Comparison::NotEqual,
                TokenKind::Word(word) if matches!(word.as_str(), "in" | "is" | "not") => {
                    let word = if word == "not" { "not in" } else { word };
                    return Err(FormulaError::Unsupported {
                        what: format!("`{word}`"),
                    });
                }
                _ => break,
            };
            self.advance();
            rest.push((comparison, self.bitwise()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Node::new(Expr::Compare(Box::new(first), rest))
    }

    /// Python's `|`, `^`, `&`, `<<` and `>>` sit here in precedence. They
    /// raise on Decimals (on Null they give Null), so they are only
    /// recognised, to be refused.
    fn bitwise(&mut self) -> Result<Node, FormulaError> {
        let operand = self.sum()?;
        if let TokenKind::Operator(operator @ ("|" | "^" | "&" | "<<" | ">>")) = self.peek_kind() {
            return Err(FormulaError::Unsupported {
                what: format!("the operator `{operator}`"),
            });
        }
        Ok(operand)
    }

    fn sum(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.term()?;
        loop {
            let operator = if self.eat_operator("+") {
                Arithmetic::Add
            } else if self.eat_operator("-") {
                Arithmetic::Subtract
            } else {
                return Ok(left);
            };
            let right = self.term()?;
            left = Node::new(Expr::Arithmetic(operator, Box::new(left), Box::new(right)))?;
        }
    }

    fn term(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.factor()?;
        loop {
            let operator = match self.peek_kind() {
                TokenKind::Operator("*") => Arithmetic::Multiply,
                TokenKind::Operator("/") => Arithmetic::Divide,
                TokenKind::Operator("//") => Arithmetic::FloorDivide,
                TokenKind::Operator("%") => Arithmetic::Remainder,
                TokenKind::Operator("@") => {
                    return Err(FormulaError::Unsupported {
                        what: "the operator `@`".into(),
                    });
                }
                _ => return Ok(left),
            };
            self.advance();
            let right = self.factor()?;
            left = Node::new(Expr::Arithmetic(operator, Box::new(left), Box::new(right)))?;
        }
    }

    /// Unary `-`, `+`; below them `**`, which binds tighter on its left
    /// (`-2 ** 2` is -4) and takes a unary operand on its right (`2 ** -1`).
    fn factor(&mut self) -> Result<Node, FormulaError> {
        let unary = match self.peek_kind() {
            TokenKind::Operator("-") => Expr::Negate,
            TokenKind::Operator("+") => Expr::Plus,
            TokenKind::Operator("~") => {
                return Err(FormulaError::Unsupported {
                    what: "the operator `~`".into(),
                });
            }
            _ => return self.power(),
        };
        self.advance();
        self.nested(|parser| {
            let operand = parser.factor()?;
            Node::new(unary(Box::new(operand)))
        })
    }

    fn power(&mut self) -> Result<Node, FormulaError> {
        let base = self.primary()?;
        if !self.eat_operator("**") {
            return Ok(base);
        }
        let exponent = self.nested(Parser::factor)?;
        Node::new(Expr::Arithmetic(
            Arithmetic::Power,
            Box::new(base),
            Box::new(exponent),
        ))
    }

    fn primary(&mut self) -> Result<Node, FormulaError> {
        let atom = self.atom()?;
        let refused = match self.peek_kind() {
            TokenKind::Operator(".") => {
                match &self.tokens.get(self.next + 1).map(|token| &token.kind) {
                    Some(TokenKind::Word(attribute)) => format!("reading `.{attribute}`"),
                    _ => "reading an attribute".into(),
                }
            }
            TokenKind::Operator("[") => "indexing (`[…]`)".into(),
            TokenKind::Operator("(") => "calling the result of an expression".into(),
            _ => return Ok(atom),
        };
        Err(FormulaError::Unsupported { what: refused })
    }

    fn atom(&mut self) -> Result<Node, FormulaError> {
        let token = self.peek().clone();
        let refused = match token.kind {
            TokenKind::Number(number) => {
                self.advance();
                return Node::new(Expr::Number(number));
            }
            TokenKind::Word(word) => {
                self.advance();
                return self.word(word, token.at);
            }
            TokenKind::Operator("(") => {
                self.advance();
                return self.parenthesised();
            }
            TokenKind::Quoted(_) => "text in quotes other than the argument of Decimal('…')",
            TokenKind::Operator("[") => "a list `[…]`",
            TokenKind::Operator("{") => "a set or dict `{…}`",
            TokenKind::Operator(_) | TokenKind::End => return Err(self.unexpected()),
        };
        Err(FormulaError::Unsupported {
            what: refused.into(),
        })
    }

    /// What follows `(`: an expression and `)`.
    fn parenthesised(&mut self) -> Result<Node, FormulaError> {
        if self.at_operator(")") {
            return Err(FormulaError::Unsupported {
                what: "an empty tuple `()`".into(),
            });
        }
        let inner = self.expression()?;
        if self.at_operator(",") {
            return Err(FormulaError::Unsupported {
                what: "a tuple".into(),
            });
        }
        self.expect_operator(")")?;
        Ok(inner)
    }

    fn word(&mut self, word: String, at: usize) -> Result<Node, FormulaError> {
        match word.as_str() {
            "True" => return Node::new(Expr::Bool(true)),
            "False" => return Node::new(Expr::Bool(false)),
            "None" => {
                return Err(FormulaError::Unsupported {
                    what: "`None`".into(),
                });
            }
            "Decimal" => return self.decimal_call(),
            _ => {}
        }
        if KEYWORDS.contains(&word.as_str()) {
            return Err(syntax(at, format!("`{word}` was not expected here")));
        }
        if let Some(index) = PriceName::ALL
            .iter()
            .position(|name| name.identifier() == word)
        {
            self.names_used[index] = true;
            return Node::new(Expr::Name(PriceName::ALL[index]));
        }
        if self.at_operator("(") {
            Err(FormulaError::NotCallable { name: word })
        } else {
            Err(FormulaError::UnknownName { name: word })
        }
    }

    /// `Decimal()`, `Decimal('0.85')` or `Decimal(expression)`, with at most
    /// one argument, as Tryton's formulas use it.
    fn decimal_call(&mut self) -> Result<Node, FormulaError> {
        if !self.eat_operator("(") {
            return Err(FormulaError::Unsupported {
                what: "`Decimal` other than called, as in Decimal('0.85'),".into(),
            });
        }
        if self.eat_operator(")") {
            return Node::new(Expr::Number(Dec::ZERO));
        }
        let closes = |token: Option<&Token>| {
            matches!(
                token.map(|token| &token.kind),
                Some(TokenKind::Operator(")" | ","))
            )
        };
        let argument = match self.peek_kind().clone() {
            TokenKind::Quoted(text) if closes(self.tokens.get(self.next + 1)) => {
                self.advance();
                if text.contains('_') {
                    return Err(FormulaError::Unsupported {
                        what: "an underscore in Decimal('…')".into(),
                    });
                }
                let number = parse_decimal(&text).map_err(|problem| FormulaError::BadNumber {
                    literal: format!("Decimal('{text}')"),
                    problem: problem.into(),
                })?;
                Node::new(Expr::Number(number))?
            }
            TokenKind::Operator("*" | "**") => {
                return Err(FormulaError::Unsupported {
                    what: "`*` arguments".into(),
                });
            }
            _ => {
                let operand = self.expression()?;
                Node::new(Expr::ToDecimal(Box::new(operand)))?
            }
        };
        self.eat_operator(",");
        if !self.at_operator(")") {
            return Err(FormulaError::Unsupported {
                what: "Decimal(…) with more than one argument".into(),
            });
        }
        self.advance();
        Ok(argument)
    }
}

/*
Re-checks the test tables against Tryton: paste into a shell at the
workspace root, naming the directory that holds trytond 8.2 and simpleeval.

python3 - crates/core/src/formula.rs /path/to/site-packages <<'EOF'
# The directory holds trytond 8.2 and simpleeval 1.0.8. Each table row is
# evaluated as product.price_list.line.get_unit_price does: decistmt, then
# simple_eval, then round_price's quantize, which raises on what it cannot
# round. Prints the rows whose recorded outcome differs.
import importlib.util, re, sys, warnings
from decimal import Decimal

source, site = sys.argv[1:3]
sys.path.insert(0, site)
# trytond/__init__.py needs lxml: load trytond/tools/decimal_.py alone.
spec = importlib.util.spec_from_file_location(
    'decimal_', site + '/trytond/tools/decimal_.py')
decimal_ = importlib.util.module_from_spec(spec)
spec.loader.exec_module(decimal_)
from simpleeval import simple_eval


def outcome(formula, names):
    """The price as str() gives it, 'Null', or 'raises' and the exception."""
    names = {name: Decimal(names[name]) if name in names
        else decimal_.DecimalNull()
        for name in ('unit_price', 'cost_price', 'list_price')}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            result = simple_eval(decimal_.decistmt(formula), names=names,
                functions={'Decimal': Decimal})
        if isinstance(result, decimal_.DecimalNull):
            return 'Null'
        if not isinstance(result, Decimal):
            raise ValueError('result is not a Decimal')
        result.quantize(Decimal('0.0001'))
        return str(result)
    except Exception as exception:
        return 'raises ' + type(exception).__name__


def unescape(text):
    return re.sub(r'\\u\{([0-9a-f]+)\}|\\(.)',
        lambda m: chr(int(m.group(1), 16)) if m.group(1)
        else {'n': '\n', 't': '\t', 'r': '\r'}.get(m.group(2), m.group(2)),
        text)


STRING = r'"((?:[^"\\]|\\.)*)"'
ROW = re.compile(r'\(\s*' + STRING + r',\s*' + STRING
    + r',\s*(?:(Price|RoundsTo)\(' + STRING + r'\)|(Null|Fails)|' + STRING
    + r'),?\s*\)')
rows = differ = 0
for match in ROW.finditer(open(source).read()):
    formula = unescape(match.group(1))
    names = dict(pair.split('=') for pair in match.group(2).split())
    kind, price, simple, refused = match.group(3, 4, 5, 6)
    recorded = price or simple or refused
    found = outcome(formula, names)
    if kind == 'RoundsTo' and found[0] in '-0123456789':
        found = str(Decimal(found).quantize(Decimal('0.0001')))
    rows += 1
    if found != recorded and not (
            recorded == 'Fails' and found.startswith('raises ')):
        differ += 1
        print(f'{formula!r} {names}: recorded {recorded}, Tryton {found}')
print(f'{rows} rows, {differ} differ')
EOF
*/

#[cfg(test)]
mod tests {
    //! The expected values in these tables are Tryton's own: they were
    //! computed by Tryton 8.2's `decistmt` and simpleeval 1.0.8, evaluating
    //! each row as `product.price_list.line.get_unit_price` does. The script
    //! just above this module re-checks every row.

    use super::*;
    use rust_decimal::RoundingStrategy;
    use std::str::FromStr;

    /// What Tryton gives for a formula.
    #[derive(Clone, Copy, Debug)]
    enum Tryton {
        Price(&'static str),
        /// The price after round_price, to 4 digits.
        RoundsTo(&'static str),
        Null,
        /// It raises, or returns something that is not a Decimal, or
        /// round_price fails on the result.
        Fails,
    }
    use Tryton::{Fails, Null, Price, RoundsTo};

    /// Names written as `unit_price=10 cost_price=5`; a missing one is Null.
    fn names(given: &str) -> Names {
        let mut names = Names::default();
        for pair in given.split_whitespace() {
            let (name, value) = pair.split_once('=').expect("name=value");
            let value = Some(Decimal::from_str(value).expect("a decimal"));
            match name {
                "unit_price" => names.unit_price = value,
                "cost_price" => names.cost_price = value,
                "list_price" => names.list_price = value,
                _ => panic!("unknown name {name}"),
            }
        }
        names
    }

    /// The formula gives Tryton's price (exactly, before the conversion to
    /// a `Decimal`), its Null, or an error where Tryton fails.
    fn check(formula: &str, given: &str, tryton: Tryton) {
        let names = names(given);
        let found = Formula::parse(formula).and_then(|parsed| parsed.eval(&names));
        match tryton {
            Price(price) => {
                let price = parse_decimal(price).expect("Python's str() of a Decimal");
                let parsed = Formula::parse(formula).expect("a formula Tryton evaluates");
                assert_eq!(
                    evaluate(&parsed.root, &names),
                    Ok(Value::Number(price)),
                    "{formula:?} with {given:?}: the exact value"
                );
                let price = price.to_price().expect("Tryton could round it");
                assert_eq!(found, Ok(Some(price)), "{formula:?} with {given:?}");
            }
            RoundsTo(rounded) => {
                let rounded = Decimal::from_str(rounded).expect("a decimal");
                let found = found.map(|price| {
                    price.map(|price| {
                        price.round_dp_with_strategy(
                            PRICE_DIGITS,
                            RoundingStrategy::MidpointNearestEven,
                        )
                    })
                });
                assert_eq!(found, Ok(Some(rounded)), "{formula:?} with {given:?}");
            }
            Null => assert_eq!(found, Ok(None), "{formula:?} with {given:?}"),
            Fails => assert!(
                found.is_err(),
                "{formula:?} with {given:?}: Tryton fails, this gives {found:?}"
            ),
        }
    }

    /// (formula, names, what Tryton gives)
    const TRYTON: &[(&str, &str, Tryton)] = &[
        ("unit_price * 0.85", "unit_price=10", Price("8.50")),
        ("unit_price * 0.85", "unit_price=19.99", Price("16.9915")),
        ("unit_price * 0.85", "", Null),
        (
            "list_price * Decimal('0.9')",
            "unit_price=0 cost_price=0 list_price=12.34",
            Price("11.106"),
        ),
        (
            "list_price * Decimal(\"0.9\")",
            "cost_price=0 list_price=12.34",
            Price("11.106"),
        ),
        ("list_price * Decimal('0.9')", "cost_price=0", Null),
        ("cost_price * 1.3", "cost_price=7.77", Price("10.101")),
        ("cost_price * 1.3", "cost_price=0", Price("0.0")),
        ("unit_price - 5", "unit_price=3", Price("-2")),
        ("unit_price - 5", "unit_price=-0.0001", Price("-5.0001")),
        (
            "(list_price + cost_price) / 2",
            "cost_price=5 list_price=10",
            Price("7.5"),
        ),
        ("(list_price + cost_price) / 2", "cost_price=5", Null),
        (
            "(list_price + cost_price) / 2",
            "cost_price=0.0001 list_price=0.0002",
            Price("0.00015"),
        ),
        (
            "unit_price / 3",
            "unit_price=10",
            Price("3.333333333333333333333333333"),
        ),
        (
            "unit_price / 3",
            "unit_price=100",
            Price("33.33333333333333333333333333"),
        ),
        (
            "unit_price / 3",
            "unit_price=0.0001",
            Price("0.00003333333333333333333333333333"),
        ),
        (
            "unit_price / 7 * 7",
            "unit_price=10",
            Price("10.00000000000000000000000000"),
        ),
        (
            "unit_price / 3 * 3",
            "unit_price=10",
            Price("9.999999999999999999999999999"),
        ),
        ("unit_price * 1.21 / 1.21", "unit_price=9.99", Price("9.99")),
        (
            "unit_price / 0.7",
            "unit_price=12345678901234567890.12345678",
            Price("17636684144620811271.60493826"),
        ),
        (
            "unit_price * 0.9 if unit_price > 100 else unit_price",
            "unit_price=150",
            Price("135.0"),
        ),
        (
            "unit_price * 0.9 if unit_price > 100 else unit_price",
            "unit_price=50",
            Price("50"),
        ),
        (
            "unit_price * 0.9 if unit_price > 100 else unit_price",
            "",
            Null,
        ),
        (
            "list_price if list_price else cost_price * 1.2",
            "cost_price=10",
            Price("12.0"),
        ),
        (
            "list_price if list_price else cost_price * 1.2",
            "cost_price=10 list_price=0",
            Price("12.0"),
        ),
        (
            "list_price if list_price else cost_price * 1.2",
            "cost_price=10 list_price=8",
            Price("8"),
        ),
        (
            "cost_price * 1.5 if cost_price >= 10 else cost_price + 5",
            "cost_price=10",
            Price("15.0"),
        ),
        (
            "cost_price * 1.5 if cost_price >= 10 else cost_price + 5",
            "cost_price=9.99",
            Price("14.99"),
        ),
        (
            "unit_price if 10 < unit_price <= 100 else 0",
            "unit_price=100",
            Price("100"),
        ),
        (
            "unit_price if 10 < unit_price <= 100 else 0",
            "unit_price=10",
            Price("0"),
        ),
        (
            "unit_price if 10 < unit_price <= 100 else 0",
            "",
            Price("0"),
        ),
        (
            "1 if unit_price < 1 else 2 if unit_price < 10 else 3",
            "unit_price=5",
            Price("2"),
        ),
        (
            "(1 if unit_price < 1 else 2) if unit_price < 10 else 3",
            "unit_price=50",
            Price("3"),
        ),
        ("unit_price or cost_price", "cost_price=4", Price("4")),
        (
            "unit_price or cost_price",
            "unit_price=0 cost_price=4",
            Price("4"),
        ),
        (
            "unit_price or cost_price",
            "unit_price=3 cost_price=4",
            Price("3"),
        ),
        ("unit_price and cost_price", "unit_price=3", Null),
        ("unit_price and cost_price", "cost_price=4", Null),
        (
            "unit_price and list_price or cost_price",
            "unit_price=1 cost_price=2",
            Price("2"),
        ),
        ("unit_price > 5 and 3", "unit_price=10", Price("3")),
        ("unit_price > 5 and 3", "unit_price=1", Fails),
        ("not unit_price and 7", "", Price("7")),
        ("not unit_price or 7", "unit_price=1", Price("7")),
        ("1 if unit_price == 0 else 2", "", Price("2")),
        ("1 if unit_price == 0 else 2", "unit_price=0", Price("1")),
        ("1 if unit_price != 0 else 2", "", Price("2")),
        ("1 if unit_price != 0 else 2", "unit_price=0", Price("2")),
        ("1 if 0 == unit_price else 2", "", Price("2")),
        ("1 if 0 != unit_price else 2", "", Price("2")),
        ("1 if unit_price < 1 else 2", "", Price("1")),
        ("1 if unit_price > -1 else 2", "", Price("1")),
        ("1 if unit_price >= 0 else 2", "", Price("1")),
        ("1 if unit_price <= 0 <= unit_price else 2", "", Price("1")),
        ("1 if unit_price == list_price else 2", "", Price("1")),
        (
            "1 if unit_price == cost_price else 2",
            "cost_price=0",
            Price("2"),
        ),
        ("1 if unit_price != list_price else 2", "", Price("2")),
        ("1 if unit_price == unit_price else 2", "", Price("1")),
        (
            "1 if unit_price < list_price else 2",
            "list_price=0.01",
            Price("1"),
        ),
        ("1 if not unit_price else 2", "", Price("1")),
        ("1 if unit_price == False else 2", "", Price("2")),
        (
            "1 if unit_price == False else 2",
            "unit_price=0",
            Price("1"),
        ),
        ("1 if unit_price < True else 2", "", Price("1")),
        ("1 if (unit_price > 0) == False else 2", "", Price("1")),
        ("unit_price + cost_price", "cost_price=5", Null),
        ("cost_price - unit_price", "cost_price=5", Null),
        ("unit_price * -1", "", Null),
        ("unit_price / 0", "", Null),
        ("1 / unit_price", "", Null),
        ("unit_price // 0", "", Null),
        ("unit_price % 0", "", Null),
        ("unit_price ** 2", "", Null),
        ("2 ** unit_price", "", Null),
        ("unit_price ** 0.5", "", Null),
        ("-unit_price", "", Price("0")),
        ("+unit_price", "", Price("0")),
        ("-unit_price * 2", "", Price("0")),
        ("-(unit_price * 2)", "", Price("0")),
        ("-unit_price + cost_price", "cost_price=3", Price("3")),
        ("Decimal(unit_price)", "", Price("0")),
        ("Decimal(unit_price) + 1", "", Price("1")),
        ("unit_price ** 5000000", "", Fails),
        ("5000000 ** unit_price", "", Fails),
        ("unit_price > 5", "unit_price=10", Fails),
        ("not unit_price", "unit_price=10", Fails),
        ("True", "", Fails),
        ("False", "", Fails),
        ("1 < 2 < 1 / 0", "", Fails),
        ("2 < 1 < 1 / 0", "", Fails),
        ("1 if 2 < 1 < 1 / 0 else 3", "", Price("3")),
        ("True + True", "", Fails),
        ("-True", "", Fails),
        ("None", "", Fails),
        ("unit_price == None", "", Fails),
        ("1 / 0", "", Fails),
        ("0 / 0", "", Fails),
        ("unit_price / 0", "unit_price=10", Fails),
        ("1 // 0", "", Fails),
        ("1 % 0", "", Fails),
        ("0 % 0", "", Fails),
        (
            "unit_price / (cost_price - 5)",
            "unit_price=10 cost_price=5",
            Fails,
        ),
        ("1 if 1 / 0 else 2", "", Fails),
        ("1e30 * 1e30", "", Fails),
        ("unit_price * 1e24", "unit_price=1", Fails),
        ("unit_price * 1e23", "unit_price=9.99", Price("9.99E+23")),
        ("1e999999 * 10", "", Fails),
        ("99999999999999999999999999999 * 9", "", Fails),
        ("__import__(\"os\")", "", Fails),
        ("__import__('os').system('ls')", "", Fails),
        ("unit_price.__class__", "unit_price=10", Fails),
        ("max(unit_price, 5)", "unit_price=10", Fails),
        ("min(1, 2)", "", Fails),
        ("abs(unit_price)", "unit_price=-1", Fails),
        ("round(unit_price, 2)", "unit_price=1.234", Fails),
        ("int(unit_price)", "unit_price=1.5", Fails),
        ("Decimal", "", Fails),
        ("Decimal(None)", "", Fails),
        ("Decimal('abc')", "", Fails),
        ("Decimal('')", "", Fails),
        ("Decimal('1e')", "", Fails),
        ("Decimal('inf')", "", Fails),
        ("Decimal('-Infinity') * 0", "", Fails),
        ("Decimal('inf') > unit_price", "unit_price=1", Fails),
        ("unit_price & 1", "unit_price=10", Fails),
        ("unit_price | 1", "unit_price=10", Fails),
        ("unit_price ^ 1", "unit_price=10", Fails),
        ("~unit_price", "unit_price=10", Fails),
        ("~unit_price", "", Fails),
        ("unit_price << 1", "unit_price=10", Fails),
        ("unit_price in unit_price", "unit_price=10", Fails),
        ("unit_price is None", "unit_price=10", Fails),
        ("unit_price @ 2", "unit_price=10", Fails),
        ("unit_price[0]", "unit_price=10", Fails),
        ("[1]", "", Fails),
        ("(1, 2)", "", Fails),
        ("()", "", Fails),
        ("{}", "", Fails),
        ("lambda: 1", "", Fails),
        ("'abc'", "", Fails),
        ("'1' + '2'", "", Fails),
        ("unknown_price * 2", "", Fails),
        ("Unit_price", "unit_price=10", Fails),
        ("unit_price 2", "unit_price=10", Fails),
        ("unit_price +", "unit_price=10", Fails),
        ("(unit_price", "unit_price=10", Fails),
        ("unit_price)", "unit_price=10", Fails),
        ("# note\n  unit_price", "unit_price=10", Fails),
        ("1 <> 2", "", Fails),
        ("1 === 1", "", Fails),
        ("if", "", Fails),
        ("unit_price if unit_price", "unit_price=10", Fails),
        ("0 ** 0", "", Fails),
        ("0 ** -1", "", Fails),
        ("4000001 ** 1", "", Fails),
        ("2 ** 4000001", "", Fails),
        ("Decimal(1)(2)", "", Fails),
        ("2 ** 100", "", Fails),
        ("1e10001", "", Fails),
        ("10 ** 400000", "", Fails),
        ("1 % 1e-20000", "", Fails),
        ("unit_price ** 2", "unit_price=1.5", Price("2.25")),
        ("2 ** -1", "", Price("0.5")),
        ("2 ** -2", "", Price("0.25")),
        ("5 ** -3", "", Price("0.008")),
        ("0.5 ** 10", "", Price("0.0009765625")),
        ("Decimal('0.5') ** -20", "", Price("1048576")),
        ("(-2) ** 3", "", Price("-8")),
        ("-2 ** 2", "", Price("-4")),
        ("2 ** 3 ** 2", "", Price("512")),
        ("1.1 ** 2", "", Price("1.21")),
        ("10 ** 20", "", Price("100000000000000000000")),
        ("unit_price ** 0", "unit_price=10", Price("1")),
        ("0 ** 3", "", Price("0")),
        ("2 ** 2.0", "", Price("4")),
        ("(-0.5) ** -3", "", Price("-8")),
        ("10 ** -28", "", Price("1E-28")),
        ("2 ** 93", "", Fails),
        ("1 ** 4000000", "", Price("1")),
        ("unit_price ** -1", "unit_price=-0.04", Price("-25")),
        ("-7 // 2", "", Price("-3")),
        ("-7 % 2", "", Price("-1")),
        ("7 // -2", "", Price("-3")),
        ("7 % -2", "", Price("1")),
        ("-7 % -2", "", Price("-1")),
        ("7.5 // 2", "", Price("3")),
        ("-7.5 % 2", "", Price("-1.5")),
        ("unit_price % 3", "unit_price=-10", Price("-1")),
        ("unit_price // 3", "unit_price=-10", Price("-3")),
        ("10 % 0.3", "", Price("0.1")),
        ("1e26 // 0.1", "", Fails),
        ("1e27 // 0.1", "", Fails),
        ("1 % 1e-30", "", Fails),
        ("1e-30 % 1", "", Price("1E-30")),
        ("1e-30 // 1", "", Price("0")),
        ("0 // 5", "", Price("0")),
        ("0 % -5", "", Price("0")),
        ("123456789012345678901234567 % 1e-2", "", Fails),
        ("123456.789 // 0.001", "", Price("123456789")),
        ("0.3 % 0.1", "", Price("0.0")),
        ("-0.3 // 0.1", "", Price("-3")),
        ("-unit_price", "unit_price=10", Price("-10")),
        ("- -unit_price", "unit_price=10", Price("10")),
        ("-(-5)", "", Price("5")),
        ("--5", "", Price("5")),
        ("+-5", "", Price("-5")),
        ("-0.0", "", Price("0.0")),
        ("-+-+1", "", Price("1")),
        ("-unit_price ** 2", "unit_price=3", Price("-9")),
        ("(-unit_price) ** 2", "unit_price=3", Price("9")),
        ("  unit_price * 2  ", "unit_price=10", Price("20")),
        ("\tunit_price", "unit_price=10", Price("10")),
        ("(unit_price\n * 2)", "unit_price=10", Price("20")),
        ("unit_price\n", "unit_price=10", Price("10")),
        ("\nunit_price", "unit_price=10", Price("10")),
        ("\n  unit_price", "unit_price=10", Price("10")),
        ("unit_price  \n  ", "unit_price=10", Price("10")),
        ("unit_price # 10% off\n", "unit_price=10", Price("10")),
        ("# note\nunit_price * 0.9", "unit_price=10", Price("9.0")),
        ("  # note\nunit_price * 0.9", "unit_price=10", Price("9.0")),
        ("(unit_price # a\n * 2)", "unit_price=10", Price("20")),
        ("unit_price \\\n * 2", "unit_price=10", Price("20")),
        ("(unit_price\r\n*2)", "unit_price=10", Price("20")),
        ("unit_price\r\n", "unit_price=10", Price("10")),
        ("(\n  unit_price\n  * 0.9\n)", "unit_price=10", Price("9.0")),
        ("", "", Fails),
        ("   ", "", Fails),
        ("\n", "", Fails),
        ("# only a comment", "", Fails),
        ("1_000", "", Price("1000")),
        (".5", "", Price("0.5")),
        ("5.", "", Price("5")),
        ("1e3", "", Price("1E+3")),
        ("1E-3", "", Price("0.001")),
        ("2.5e+2", "", Price("2.5E+2")),
        ("1.e2", "", Price("1E+2")),
        ("007.5", "", Price("7.5")),
        ("00", "", Price("0")),
        ("0e5", "", Price("0E+5")),
        ("0123", "", Fails),
        ("0x10", "", Fails),
        ("1j", "", Fails),
        ("1__0", "", Fails),
        ("1_", "", Fails),
        ("1.5.2", "", Fails),
        ("1e", "", Fails),
        ("0_1", "", Fails),
        ("Decimal('0.85')", "", Price("0.85")),
        ("Decimal(\"0.85\")", "", Price("0.85")),
        ("Decimal(' 0.85 ')", "", Price("0.85")),
        ("Decimal()", "", Price("0")),
        ("Decimal('1',)", "", Price("1")),
        ("Decimal(0.85)", "", Price("0.85")),
        ("Decimal(True)", "", Price("1")),
        ("Decimal(1 > 2)", "", Price("0")),
        ("Decimal('1e5')", "", Price("1E+5")),
        ("Decimal('-1.5')", "", Price("-1.5")),
        ("Decimal('+.5')", "", Price("0.5")),
        ("Decimal('5.')", "", Price("5")),
        ("Decimal('1E+2')", "", Price("1E+2")),
        ("Decimal(-1)", "", Price("-1")),
        ("Decimal(unit_price * 2)", "unit_price=1.5", Price("3.0")),
        (
            "Decimal (  \"2\" ) * unit_price",
            "unit_price=1.5",
            Price("3.0"),
        ),
        (
            "Decimal('1.2345678901234567890123456789012345')",
            "",
            Price("1.2345678901234567890123456789012345"),
        ),
        (
            "+Decimal('1.2345678901234567890123456789012345')",
            "",
            Price("1.234567890123456789012345679"),
        ),
        (
            "-Decimal('1.2345678901234567890123456789012345')",
            "",
            Price("-1.234567890123456789012345679"),
        ),
        (
            "1 if Decimal('1.2345678901234567890123456789012345') > Decimal('1.2345678901234567890123456789012344') else 2",
            "",
            Price("1"),
        ),
        ("1e-40 + 1", "", Price("1.000000000000000000000000000")),
        ("1 - 1e-40", "", Price("1.000000000000000000000000000")),
        ("1e-40 - 1", "", Price("-1.000000000000000000000000000")),
        ("0.1 + 0.2", "", Price("0.3")),
        ("1 - 0.9999999999999999999999999999999", "", Price("1E-31")),
        (
            "1.00000000000000000000000000005 + 0",
            "",
            Price("1.000000000000000000000000000"),
        ),
        (
            "1.00000000000000000000000000015 + 0",
            "",
            Price("1.000000000000000000000000000"),
        ),
        (
            "1.000000000000000000000000000050000001 + 0",
            "",
            Price("1.000000000000000000000000000"),
        ),
        (
            "9.9999999999999999999999999999 + 0",
            "",
            Price("10.00000000000000000000000000"),
        ),
        (
            "12345678901234567890.123456789 * 98765432109876543210.987654321",
            "",
            Fails,
        ),
        (
            "0.00005000000000000000000000000001 + 0",
            "",
            Price("0.00005000000000000000000000000001"),
        ),
        (
            "unit_price * 3",
            "unit_price=79228162514264337593543950335",
            Fails,
        ),
        (
            "unit_price + 0",
            "unit_price=79228162514264337593543950335",
            Fails,
        ),
        (
            "-unit_price",
            "unit_price=79228162514264337593543950335",
            Fails,
        ),
        (
            "unit_price + 1e-20",
            "unit_price=1234567890.1234567890123456789",
            Price("1234567890.123456789012345679"),
        ),
        (
            "unit_price - cost_price",
            "unit_price=1.0000000000000000000000000001 cost_price=1",
            Price("1E-28"),
        ),
        ("2 / 3", "", Price("0.6666666666666666666666666667")),
        ("-2 / 3", "", Price("-0.6666666666666666666666666667")),
        ("1 / 7", "", Price("0.1428571428571428571428571429")),
        ("22 / 7 * 7", "", Price("22.00000000000000000000000000")),
        ("1 / 3e20", "", Price("3.333333333333333333333333333E-21")),
        ("1e20 / 3", "", Price("33333333333333333333.33333333")),
        (
            "0.0001 / 3",
            "",
            Price("0.00003333333333333333333333333333"),
        ),
        ("7 / 0.0000000001", "", Price("7E+10")),
        ("1 / 1024", "", Price("0.0009765625")),
    ];

    #[test]
    fn formulas_give_trytons_price_or_fail_where_tryton_fails() {
        for (formula, given, tryton) in TRYTON {
            check(formula, given, *tryton);
        }
    }

    /// Formulas and names drawn at random (seeded) from a grammar of what is
    /// supported, and Tryton's results for them.
    const RANDOM: &[(&str, &str, Tryton)] = &[
        (
            "(0.0001 // (list_price)) if (0.5 != 10) else 0.85 / ((-(0)) + ((0) / (list_price)))",
            "unit_price=0 cost_price=19.99 list_price=19.99",
            Price("0"),
        ),
        (
            "cost_price if not not .5 != cost_price else (99999999999999999999)",
            "unit_price=-3.5 cost_price=0 list_price=12345678901234567890.12345678",
            Price("0"),
        ),
        (
            "(-cost_price) * unit_price",
            "unit_price=10 list_price=-3.5",
            Price("0"),
        ),
        (
            "(3 - list_price) + (123456789.123456789 // (cost_price)) / (list_price)",
            "unit_price=79228162514264337593543950335 cost_price=-3.5 list_price=0.0001",
            Price("-352733679997.0001"),
        ),
        (
            "(unit_price) if 2.5e-3 >= (unit_price - 1e20) else ((7) / (1e3 + 0.5))",
            "unit_price=10 cost_price=0.0001 list_price=10",
            Price("10"),
        ),
        (
            "Decimal(unit_price % 7)",
            "unit_price=79228162514264337593543950335 cost_price=0 list_price=0.0001",
            Fails,
        ),
        (
            "7 // (list_price) * 0.5 and list_price",
            "unit_price=-0.5 cost_price=10",
            Null,
        ),
        (
            "(0.0001) + list_price if (2.5e-3 != (Decimal('1'))) else (1.3)",
            "unit_price=12345678901234567890.12345678 cost_price=-0.5 list_price=-3.5",
            Price("-3.4999"),
        ),
        (
            "(10) if ((list_price) / Decimal('0') == (7) != (unit_price)) else (Decimal(unit_price))",
            "unit_price=7.9 cost_price=1.234567890123456789012345678 list_price=-3.5",
            Fails,
        ),
        (
            "((unit_price) if 100 == (unit_price) else (1) // (2.5e-3 - 7)) // (-(100 + list_price))",
            "unit_price=79228162514264337593543950335 cost_price=7.9",
            Fails,
        ),
        (
            "Decimal(unit_price) * ((123456789.123456789) + 100)",
            "unit_price=0 cost_price=79228162514264337593543950335 list_price=12345678901234567890.12345678",
            Price("0E-9"),
        ),
        (
            "((1) and (1)) * (Decimal('2.5e-3')) and 3.14159265358979323846264338327950288",
            "unit_price=0 cost_price=0",
            Price("3.14159265358979323846264338327950288"),
        ),
        (
            "(2) - (-(3.14159265358979323846264338327950288)) + unit_price",
            "unit_price=12345678901234567890.12345678 cost_price=-0.5 list_price=-3.5",
            Price("12345678901234567895.26504943"),
        ),
        (
            "(7) and Decimal(-Decimal('1e20')) if (Decimal(cost_price)) else (cost_price)",
            "unit_price=-0.5 cost_price=7.9 list_price=19.99",
            Price("-1E+20"),
        ),
        (
            "-(0 + (cost_price)) - (list_price) * ((cost_price) if list_price < (unit_price) else 1e3)",
            "unit_price=10 cost_price=-3.5 list_price=12345678901234567890.12345678",
            Price("-12345678901234567890119.95678"),
        ),
        (
            "(.5) or (Decimal('0.5')) + (cost_price) / (Decimal('0.0001'))",
            "unit_price=0 cost_price=0.0001 list_price=7.9",
            Price("0.5"),
        ),
        ("-(2) or (1.3)", "list_price=-0.5", Price("-2")),
        (
            "-(((12.3456) + (cost_price)) + ((0) - (1e20)))",
            "unit_price=10 cost_price=19.99 list_price=0",
            Price("99999999999999999967.6644"),
        ),
        (
            "-unit_price * unit_price",
            "unit_price=10 cost_price=-3.5 list_price=-0.5",
            Price("-100"),
        ),
        (
            "cost_price or cost_price",
            "unit_price=19.99 cost_price=-3.5 list_price=0.0001",
            Price("-3.5"),
        ),
        (
            "((0) or unit_price and (0)) - (list_price) - list_price % ((1e20) and (12.3456))",
            "unit_price=1.234567890123456789012345678 list_price=7.9",
            Price("-15.8000"),
        ),
        (
            "((-(0.85)) + (cost_price + (cost_price))) and ((Decimal('2')) if (cost_price) else (100))",
            "unit_price=10 cost_price=7.9 list_price=-0.5",
            Price("2"),
        ),
        (
            "(-0.1234567890123456789012345678901) // 1.3 // (3.14159265358979323846264338327950288)",
            "unit_price=10 cost_price=0.0001 list_price=-3.5",
            Price("-0"),
        ),
        (
            "((cost_price) + (.5 * (10))) + (Decimal('10') // (list_price and (Decimal('5.'))))",
            "unit_price=0 cost_price=1.234567890123456789012345678 list_price=-0.5",
            Price("8.234567890123456789012345678"),
        ),
        (
            "Decimal((list_price) if cost_price <= unit_price == 0.85 else (0.5))",
            "unit_price=-0.5 cost_price=19.99 list_price=12345678901234567890.12345678",
            Price("0.5"),
        ),
        (
            "(0.85) - (Decimal('2.5e-3'))",
            "unit_price=0 cost_price=-0.5",
            Price("0.8475"),
        ),
        (
            "Decimal((unit_price) or 0.0) - (((list_price) / 1e-20) and ((1.3) * (100)))",
            "unit_price=0 cost_price=12345678901234567890.12345678 list_price=-3.5",
            Price("-130.0"),
        ),
        (
            "(list_price + cost_price) * ((Decimal('1e20')) * (Decimal('123456789.123456789')))",
            "unit_price=0.0001 cost_price=12345678901234567890.12345678 list_price=-0.5",
            Fails,
        ),
        (
            "((unit_price) - 100 - 0.0 / (list_price)) or 1e3",
            "unit_price=-0.5 cost_price=0.0001 list_price=-3.5",
            Price("-100.5"),
        ),
        (
            "(unit_price) + (1e3) + (1e20)",
            "unit_price=1.234567890123456789012345678 cost_price=79228162514264337593543950335 list_price=1.234567890123456789012345678",
            Price("100000000000000001001.2345679"),
        ),
        (
            "-(list_price) + (Decimal('1.3')) - ((1.3) - cost_price // list_price)",
            "unit_price=79228162514264337593543950335 cost_price=12345678901234567890.12345678 list_price=0.0001",
            Price("123456789012345678901233.9999"),
        ),
        (
            "(0) - (Decimal(cost_price))",
            "unit_price=12345678901234567890.12345678 cost_price=0.0001",
            Price("-0.0001"),
        ),
        (
            "(0.0) % (2.5e-3)",
            "unit_price=7.9 cost_price=1.234567890123456789012345678 list_price=7.9",
            Price("0.0000"),
        ),
        (
            "3.14159265358979323846264338327950288 or list_price - (1e-20)",
            "unit_price=0 cost_price=10 list_price=10",
            Price("3.14159265358979323846264338327950288"),
        ),
        (
            "Decimal(((cost_price) + (Decimal('10'))) + ((0) if (1e3 > (cost_price)) else 12.3456))",
            "unit_price=0.0001 cost_price=19.99 list_price=-3.5",
            Price("29.99"),
        ),
        (
            "(list_price) + (7) * list_price - (Decimal('7'))",
            "unit_price=19.99 cost_price=79228162514264337593543950335 list_price=1.234567890123456789012345678",
            Price("2.876543120987654312098765424"),
        ),
        (
            "-((Decimal('1.3')) and (-(10)))",
            "unit_price=10 cost_price=-0.5 list_price=0.0001",
            Price("10"),
        ),
        (
            "(cost_price) // 0.85 if (list_price < (10)) else (list_price) and (Decimal('1000'))",
            "unit_price=-3.5 cost_price=0 list_price=10",
            Price("1000"),
        ),
        (
            "cost_price + ((3) * (100))",
            "unit_price=-0.5 cost_price=0.0001 list_price=-0.5",
            Price("300.0001"),
        ),
        (
            "(-(-((Decimal('.5')) + 0.5))) - (list_price)",
            "unit_price=79228162514264337593543950335 cost_price=19.99",
            Null,
        ),
        (
            "(7) - 0.0",
            "unit_price=0 cost_price=10 list_price=79228162514264337593543950335",
            Price("7.0"),
        ),
        (
            "(1_000) % (3.14159265358979323846264338327950288) / 0.1234567890123456789012345678901",
            "unit_price=12345678901234567890.12345678 cost_price=10 list_price=10",
            Price("7.885642954381362964452518688"),
        ),
        (
            "(Decimal('123456789.123456789')) if 0 < (list_price) else ((1e-20) + 2)",
            "unit_price=10 cost_price=1.234567890123456789012345678 list_price=-3.5",
            Price("2.00000000000000000001"),
        ),
        (
            "((cost_price) and 0.0001) // (unit_price)",
            "unit_price=10 cost_price=0 list_price=1.234567890123456789012345678",
            Price("0"),
        ),
        (
            "Decimal(0.85 / (unit_price) / Decimal(cost_price))",
            "unit_price=0.0001 cost_price=7.9 list_price=0.0001",
            Price("1075.949367088607594936708861"),
        ),
        (
            "Decimal((-(3)) - list_price)",
            "unit_price=0 cost_price=12345678901234567890.12345678 list_price=0.0001",
            Price("-3.0001"),
        ),
        (
            "unit_price if (123456789.123456789 < (cost_price)) else (1)",
            "unit_price=0.0001 cost_price=-0.5 list_price=10",
            Price("1"),
        ),
        (
            "((1e-20) + list_price) + ((unit_price) * cost_price)",
            "unit_price=10 cost_price=79228162514264337593543950335",
            Null,
        ),
        (
            "(-Decimal(unit_price) or Decimal('1000') % (2.5e-3) % (unit_price)) / list_price",
            "unit_price=-0.5 cost_price=10 list_price=1.234567890123456789012345678",
            Price("0.4050000036450000331695003021"),
        ),
        (
            "(unit_price or cost_price) / (cost_price / (cost_price))",
            "unit_price=-0.5 cost_price=-0.5 list_price=0",
            Price("-0.5"),
        ),
        (
            "((2) + (2.5e-3) * (cost_price) or unit_price) + (1e20 if 1e-20 == 5. else (1e3))",
            "unit_price=7.9 cost_price=0.0001 list_price=19.99",
            Price("1002.00000025"),
        ),
        (
            "cost_price % .5 if 12.3456 == (cost_price) else Decimal('12.3456') // (cost_price)",
            "unit_price=-0.5 cost_price=19.99 list_price=-3.5",
            Price("0"),
        ),
        (
            "(cost_price / (list_price)) and list_price",
            "unit_price=-3.5 cost_price=79228162514264337593543950335 list_price=7.9",
            Price("7.9"),
        ),
        (
            "list_price // (0.5)",
            "unit_price=7.9 cost_price=0.0001 list_price=0.0001",
            Price("0"),
        ),
        (
            "(-list_price) - Decimal('3.14159265358979323846264338327950288')",
            "unit_price=10 cost_price=12345678901234567890.12345678 list_price=7.9",
            Price("-11.04159265358979323846264338"),
        ),
        (
            "((cost_price) - (0.0)) // ((cost_price) * list_price) * -((0.5) / cost_price)",
            "unit_price=0.0001 cost_price=-3.5 list_price=-3.5",
            Price("-0E-28"),
        ),
        (
            "((2.5e-3 - (unit_price)) // ((1) - 100)) + (Decimal('0.5') * list_price) + ((0.5) % (5.))",
            "unit_price=12345678901234567890.12345678 cost_price=7.9 list_price=0",
            Price("124703827285197655.5"),
        ),
        (
            "(1_000 and (1.3)) / (unit_price)",
            "unit_price=1.234567890123456789012345678 cost_price=1.234567890123456789012345678 list_price=0",
            Price("1.053000009477000086240700786"),
        ),
        (
            "Decimal(-((12.3456) if (list_price >= list_price) else (list_price)))",
            "unit_price=79228162514264337593543950335 cost_price=12345678901234567890.12345678 list_price=-3.5",
            Price("-12.3456"),
        ),
        (
            "(Decimal(1)) / (list_price or list_price)",
            "unit_price=-3.5 cost_price=79228162514264337593543950335 list_price=79228162514264337593543950335",
            Price("1.262177448353618888658765704E-29"),
        ),
        (
            "(Decimal(list_price)) / 5. % (unit_price)",
            "unit_price=0.0001 cost_price=-0.5 list_price=0.0001",
            Price("0.00002"),
        ),
        (
            "(100) * (cost_price) % (99999999999999999999) if (1_000 == 1e-20) else unit_price",
            "unit_price=0 cost_price=0 list_price=10",
            Price("0"),
        ),
        (
            "((1e-20) * (list_price)) if list_price else (Decimal(unit_price))",
            "unit_price=0.0001 cost_price=0 list_price=1.234567890123456789012345678",
            Price("1.234567890123456789012345678E-20"),
        ),
        (
            "-((cost_price) - (12.3456))",
            "unit_price=10 cost_price=0.0001 list_price=7.9",
            Price("12.3455"),
        ),
        (
            "Decimal(unit_price + (2.5e-3))",
            "unit_price=-3.5 cost_price=0.0001 list_price=12345678901234567890.12345678",
            Price("-3.4975"),
        ),
        (
            "(list_price) / (-(list_price)) + (list_price) + (1_000) * (cost_price)",
            "unit_price=0.0001 cost_price=10 list_price=-3.5",
            Price("9995.5"),
        ),
        (
            "(3) if (1e20 <= (cost_price)) else 123456789.123456789",
            "unit_price=-0.5 cost_price=0.0001 list_price=-3.5",
            Price("123456789.123456789"),
        ),
        (
            "(1e-20) + (cost_price // -(1e3) * 1e-20 and (unit_price))",
            "cost_price=19.99 list_price=12345678901234567890.12345678",
            Price("1E-20"),
        ),
        (
            "(cost_price) and (100) - (unit_price)",
            "unit_price=0.0001 cost_price=0.0001 list_price=10",
            Price("99.9999"),
        ),
        (
            "((list_price) and (cost_price) * ((0.85) + cost_price)) or list_price",
            "unit_price=-3.5 cost_price=0.0001",
            Null,
        ),
        (
            "-((cost_price) if (0.1234567890123456789012345678901) else (-(1)))",
            "unit_price=7.9 cost_price=0.0001 list_price=1.234567890123456789012345678",
            Price("-0.0001"),
        ),
        (
            "-(((cost_price) % (2)) % cost_price if (cost_price >= (1e3) != (cost_price)) else 0.85)",
            "unit_price=-3.5 cost_price=19.99 list_price=0",
            Price("-0.85"),
        ),
        (
            "(Decimal('7')) // 10",
            "unit_price=0.0001 cost_price=1.234567890123456789012345678",
            Price("0"),
        ),
        (
            "-((cost_price) - (2.5e-3)) if cost_price == (0.5) else (unit_price)",
            "unit_price=12345678901234567890.12345678 cost_price=0.0001 list_price=-3.5",
            Price("12345678901234567890.12345678"),
        ),
        (
            "(cost_price) + (unit_price)",
            "unit_price=-0.5 cost_price=79228162514264337593543950335 list_price=0.0001",
            Fails,
        ),
        (
            "((100) % 1.3) + ((10) % 0.85) or (99999999999999999999 and (cost_price) / (0.5) - (.5))",
            "cost_price=-3.5 list_price=1.234567890123456789012345678",
            Price("1.85"),
        ),
        (
            "Decimal((2) % cost_price if (.5 >= cost_price) else (list_price))",
            "unit_price=-0.5 cost_price=19.99",
            Price("0"),
        ),
        (
            "(list_price) and (1e-20) * (.5) // ((list_price) if 7 > (1_000) != 2.5e-3 else (2.5e-3))",
            "unit_price=7.9 cost_price=0 list_price=10",
            Price("0"),
        ),
        (
            "(list_price) - ((list_price * 1) - 0.0001)",
            "unit_price=-0.5 cost_price=0.0001 list_price=10",
            Price("0.0001"),
        ),
        (
            "(list_price) - (list_price) and ((10) - 1e20)",
            "unit_price=79228162514264337593543950335 cost_price=10 list_price=-3.5",
            Price("0.0"),
        ),
        (
            "0.0001 * (cost_price) - (list_price) % Decimal('123456789.123456789')",
            "unit_price=1.234567890123456789012345678 cost_price=0.0001 list_price=12345678901234567890.12345678",
            Price("-11.234567780"),
        ),
        (
            "(0.85) * Decimal('1e20') / (list_price)",
            "unit_price=10 cost_price=-3.5 list_price=79228162514264337593543950335",
            Price("1.072850831100576055359950849E-9"),
        ),
        (
            "((-(12.3456)) if (cost_price) else 7) or (3)",
            "unit_price=1.234567890123456789012345678 cost_price=10 list_price=7.9",
            Price("-12.3456"),
        ),
        (
            "(-(Decimal('.5') / cost_price)) // (1) and (0.85) * (unit_price)",
            "unit_price=0 cost_price=7.9 list_price=-0.5",
            Price("-0"),
        ),
        (
            "-(Decimal(cost_price)) if (1.3 == (7) <= (1e-20)) else ((list_price) + (unit_price))",
            "unit_price=19.99 cost_price=0 list_price=0.0001",
            Price("19.9901"),
        ),
        (
            "list_price and cost_price or 1",
            "unit_price=0.0001 cost_price=0",
            Price("1"),
        ),
        (
            "-((list_price) / 2.5e-3) - (.5)",
            "cost_price=0.0001 list_price=0",
            Price("-0.5"),
        ),
        (
            "((Decimal(cost_price)) + ((5.) if list_price > 10 else (cost_price))) * unit_price",
            "unit_price=0 cost_price=79228162514264337593543950335 list_price=0.0001",
            Price("0E+2"),
        ),
        (
            "1_000 % ((2 + (1e20)) + (cost_price) % (5.))",
            "unit_price=-0.5 cost_price=0.0001 list_price=19.99",
            Price("1000.0000"),
        ),
        (
            "(Decimal(Decimal('0.0'))) / (cost_price) // (99999999999999999999)",
            "unit_price=7.9 cost_price=0.0001 list_price=7.9",
            Price("0"),
        ),
        (
            "(cost_price) * Decimal('2')",
            "unit_price=79228162514264337593543950335 cost_price=12345678901234567890.12345678 list_price=10",
            Price("24691357802469135780.24691356"),
        ),
        (
            "-(cost_price) if (2.5e-3 > 0.1234567890123456789012345678901) else (list_price)",
            "unit_price=0 cost_price=0 list_price=79228162514264337593543950335",
            Fails,
        ),
        (
            "Decimal((list_price) * 0.0001)",
            "unit_price=7.9 cost_price=1.234567890123456789012345678 list_price=-3.5",
            Price("-0.00035"),
        ),
        (
            "(unit_price) + ((unit_price) / list_price)",
            "unit_price=1.234567890123456789012345678 cost_price=-3.5 list_price=10",
            Price("1.358024679135802467913580246"),
        ),
        (
            "-(((unit_price - (1.3)) / list_price) * 99999999999999999999)",
            "unit_price=12345678901234567890.12345678 cost_price=79228162514264337593543950335 list_price=-3.5",
            Fails,
        ),
        (
            "(0.85) if unit_price <= (1) else (cost_price) if (0 >= list_price) else cost_price",
            "unit_price=19.99 cost_price=12345678901234567890.12345678 list_price=-0.5",
            Price("12345678901234567890.12345678"),
        ),
        (
            "-(1e-20 % 0.85)",
            "unit_price=19.99 cost_price=79228162514264337593543950335 list_price=0.0001",
            Price("-1E-20"),
        ),
        (
            "((-(Decimal('1'))) // (unit_price * 7)) * unit_price",
            "unit_price=19.99 cost_price=-0.5 list_price=0",
            Price("-0.00"),
        ),
        (
            "1e3 // (Decimal('1e-20')) % 3.14159265358979323846264338327950288 - (123456789.123456789)",
            "unit_price=-3.5 cost_price=0 list_price=1.234567890123456789012345678",
            Price("-123456786.7588601002315631793"),
        ),
        (
            "Decimal(unit_price) * (unit_price)",
            "unit_price=0 cost_price=-3.5 list_price=-0.5",
            Price("0"),
        ),
    ];

    #[test]
    fn random_formulas_give_trytons_price_or_fail_where_tryton_fails() {
        for (formula, given, tryton) in RANDOM {
            check(formula, given, *tryton);
        }
    }

    /// (formula, names, what Tryton gives): Python that Tryton evaluates but
    /// this module does not follow, so it refuses.
    const REFUSED: &[(&str, &str, &str)] = &[
        ("unit_price.real", "unit_price=10", "10"),
        (
            "unit_price.quantize(Decimal('0.01'))",
            "unit_price=1.234",
            "1.23",
        ),
        (
            "unit_price.max(cost_price)",
            "unit_price=1 cost_price=2",
            "2",
        ),
        ("True * 2", "", "2"),
        ("(unit_price > 5) * unit_price", "unit_price=10", "10"),
        ("unit_price & 1", "", "Null"),
        ("unit_price << 1", "", "Null"),
        ("1 if unit_price is None else 2", "", "2"),
        ("1 if unit_price == None else 2", "", "1"),
        ("unit_price if True else max(1)", "unit_price=10", "10"),
        ("2 ** 0.5", "", "1.414213562373095048801688724"),
        ("3 ** -1", "", "0.3333333333333333333333333333"),
        ("1.1 ** 30", "", "17.44940226888640731855880375"),
        (
            "unit_price ** 1.5",
            "unit_price=10",
            "31.62277660168379331998893544",
        ),
        ("1e-10001", "", "1E-10001"),
        ("10 ** -400000", "", "1E-400000"),
        ("1e-20000 % 1", "", "1E-20000"),
        (
            "Decimal('1.000000000000000000000000000000000000001')",
            "",
            "1.000000000000000000000000000000000000001",
        ),
        ("Decimal('nan')", "", "NaN"),
        (
            "1 if Decimal('inf') > unit_price else 2",
            "unit_price=1",
            "1",
        ),
        ("Decimal('1_000')", "", "1000"),
        ("Decimal(1, None)", "", "1"),
        ("(Decimal)(1)", "", "1"),
        ("Decimal(r'1')", "", "1"),
        ("Decimal('1' '2')", "", "12"),
        ("Decimal(f\"1\")", "", "1"),
        ("Decimal('١٢٣')", "", "123"),
        ("1if True else 2", "", "1"),
        ("x = 3", "", "3"),
        ("unit_price; 2", "unit_price=10", "10"),
        ("unit_price += 1", "unit_price=10", "1"),
        ("unit_price\n+2", "unit_price=10", "10"),
        ("unit_price\n* 2", "unit_price=10", "10"),
        ("unit_price\rx", "unit_price=10", "10"),
        ("\\\nunit_price", "unit_price=10", "10"),
        ("\u{c}unit_price", "unit_price=10", "10"),
        // More digits than a Decimal holds, too close to the price digits to
        // be cut.
        (
            "Decimal('999999999999999999999999.99994')",
            "",
            "999999999999999999999999.99994",
        ),
        (
            "Decimal('999999999999999999999999.99985')",
            "",
            "999999999999999999999999.99985",
        ),
        (
            "Decimal('92345678901234567890123.45678901')",
            "",
            "92345678901234567890123.45678901",
        ),
    ];

    #[test]
    fn what_cannot_be_matched_exactly_is_refused_though_tryton_evaluates_it() {
        for (formula, given, tryton) in REFUSED {
            let found = Formula::parse(formula).and_then(|parsed| parsed.eval(&names(given)));
            assert!(
                found.is_err(),
                "{formula:?} with {given:?}: Tryton gives {tryton}, this gives {found:?}"
            );
        }
    }

    /// (formula, names, Tryton's price after round_price). Rounding what
    /// [`Formula::eval`] gives to [`PRICE_DIGITS`] gives Tryton's price,
    /// even where the exact value has more decimals than a `Decimal`.
    const ROUNDED: &[(&str, &str, Tryton)] = &[
        (
            "0.00005000000000000000000000000001 + 0",
            "",
            RoundsTo("0.0001"),
        ),
        (
            "-0.00005000000000000000000000000001 + 0",
            "",
            RoundsTo("-0.0001"),
        ),
        (
            "Decimal('0.000050000000000000000000000000000001')",
            "",
            RoundsTo("0.0001"),
        ),
        (
            "Decimal('0.00004999999999999999999999999999999')",
            "",
            RoundsTo("0.0000"),
        ),
        ("unit_price / 3", "unit_price=0.0001", RoundsTo("0.0000")),
        ("unit_price / 2", "unit_price=0.0001", RoundsTo("0.0000")),
        ("unit_price / 2", "unit_price=0.0003", RoundsTo("0.0002")),
        ("unit_price / 3", "unit_price=10", RoundsTo("3.3333")),
        ("unit_price * 0.85", "unit_price=19.99", RoundsTo("16.9915")),
        ("1.00005 + 0", "", RoundsTo("1.0000")),
        ("1.00015 + 0", "", RoundsTo("1.0002")),
        (
            "Decimal('1234567890123456789012.345678901')",
            "",
            RoundsTo("1234567890123456789012.3457"),
        ),
        (
            "Decimal('12345678901234567890123.45678951')",
            "",
            RoundsTo("12345678901234567890123.4568"),
        ),
        (
            "-Decimal('999999999999999999999999.9999')",
            "",
            RoundsTo("-999999999999999999999999.9999"),
        ),
        ("Decimal('999999999999999999999999.99995')", "", Fails),
        ("Decimal('-999999999999999999999999.99995')", "", Fails),
    ];

    #[test]
    fn the_price_rounded_to_price_digits_is_trytons_rounded_price() {
        for (formula, given, tryton) in ROUNDED {
            check(formula, given, *tryton);
        }
    }

    #[test]
    fn errors_say_what_is_wrong_in_the_formula() {
        let long = "1".repeat(1_001);
        let deep = format!("{}1{}", "(".repeat(70), ")".repeat(70));
        let cases = [
            ("", "the formula is empty"),
            (long.as_str(), "the formula is longer than 1000 characters"),
            (deep.as_str(), "the formula nests deeper than 64 levels"),
            (
                "unit_price +",
                "the formula ends where more was expected (at character 13)",
            ),
            (
                "unit_price 2",
                "`2` was not expected here (at character 12)",
            ),
            ("(unit_price", "`)` was expected here (at character 12)"),
            (
                "unit_price $ 2",
                "`$` cannot appear in a formula (at character 12)",
            ),
            (
                "0123",
                "a whole number must not start with 0 (at character 1)",
            ),
            (
                "unknown_price * 2",
                "`unknown_price` is not a name a price formula knows \
                 (it knows unit_price, cost_price and list_price)",
            ),
            (
                "max(unit_price, 5)",
                "`max` is not something a price formula can call (it can call Decimal)",
            ),
            (
                "unit_price.quantize(Decimal('0.01'))",
                "reading `.quantize` is not supported",
            ),
            ("unit_price & 1", "the operator `&` is not supported"),
            ("unit_price is None", "`is` is not supported"),
            ("True * 2", "arithmetic on True or False is not supported"),
            (
                "2 ** 0.5",
                "`**` with an exponent that is not a whole number is not supported",
            ),
            (
                "unit_price\n+2",
                "a second line outside parentheses (Tryton evaluates only the first) \
                 is not supported",
            ),
            ("1e99999", "`1e99999` is too large or too small"),
            ("Decimal('abc')", "`Decimal('abc')` is not a number"),
            ("Decimal('nan')", "`Decimal('nan')` is not a finite number"),
            ("1 / 0", "the formula divides by zero"),
            (
                "unit_price > 5",
                "the formula gives True or False, not a price",
            ),
            ("0 ** 0", "`0 ** 0`, which Tryton refuses too"),
            (
                "1e30 * 1e30",
                "a price of 24 digits or more before the point, which Tryton refuses too",
            ),
        ];
        let names = Names {
            unit_price: Some(Decimal::TEN),
            ..Names::default()
        };
        for (formula, message) in cases {
            let found = Formula::parse(formula).and_then(|parsed| parsed.eval(&names));
            let found = found.map_err(|error| error.to_string());
            assert_eq!(
                found,
                Err(format!("cannot evaluate offline: {message}")),
                "{formula:?}"
            );
        }
    }

    #[test]
    fn a_formula_tells_which_names_it_uses_so_promotions_can_refuse_other_prices() {
        let promotion = Formula::parse("unit_price * 0.9 if unit_price > 100 else unit_price")
            .expect("a formula");
        assert!(promotion.uses("unit_price"));
        assert!(!promotion.uses("cost_price"));
        assert!(!promotion.uses("list_price"));
        // Tryton fails on such a promotion when it reaches cost_price.
        let other =
            Formula::parse("unit_price if unit_price else cost_price * 1.2").expect("a formula");
        assert!(other.uses("cost_price"));
        assert!(!other.uses("list_price"));
        assert!(!other.uses("Decimal"));
        assert_eq!(
            other.text(),
            "unit_price if unit_price else cost_price * 1.2"
        );
    }

    /// Tryton evaluates all of these formulas, except 200 parentheses or
    /// `Decimal(` deep (Python's parser stops there) and the chains of
    /// `not`, which give a bool.
    #[test]
    fn formulas_nested_64_deep_are_evaluated_and_deeper_ones_refused() {
        let cases = [
            |depth: usize| format!("{}1{}", "(".repeat(depth - 1), ")".repeat(depth - 1)),
            |depth: usize| format!("{}1", "-".repeat(depth - 1)),
            |depth: usize| format!("1{}", " + 1".repeat(depth - 1)),
            |depth: usize| format!("{}1", "not ".repeat(depth - 1)),
            |depth: usize| format!("{}1", "Decimal(".repeat(depth - 1)) + &")".repeat(depth - 1),
            |depth: usize| format!("{}1", "1 if 1 else ".repeat(depth - 1)),
        ];
        let names = Names::default();
        for formula in cases {
            let deepest = formula(MAX_DEPTH);
            let parsed = Formula::parse(&deepest);
            assert!(parsed.is_ok(), "{deepest:?}: {parsed:?}");
            let too_deep = formula(MAX_DEPTH + 1);
            assert_eq!(
                Formula::parse(&too_deep),
                Err(FormulaError::TooDeep { max: MAX_DEPTH }),
                "{too_deep:?}"
            );
            let far_too_deep = formula(400);
            let refused = Formula::parse(&far_too_deep).and_then(|parsed| parsed.eval(&names));
            assert!(refused.is_err(), "{far_too_deep:?}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_price() -> impl Strategy<Value = Option<Decimal>> {
            prop_oneof![
                Just(None),
                (any::<i64>(), 0u32..=28)
                    .prop_map(|(mantissa, scale)| Some(Decimal::new(mantissa, scale))),
                Just(Some(Decimal::MAX)),
                Just(Some(Decimal::MIN)),
            ]
        }

        fn any_names() -> impl Strategy<Value = Names> {
            (any_price(), any_price(), any_price()).prop_map(
                |(unit_price, cost_price, list_price)| Names {
                    unit_price,
                    cost_price,
                    list_price,
                },
            )
        }

        /// Texts made of the pieces formulas are made of, so that they get
        /// past the tokenizer and reach the parser and the arithmetic.
        fn formula_like() -> impl Strategy<Value = String> {
            let pieces = prop::sample::select(vec![
                "unit_price",
                "cost_price",
                "list_price",
                "Decimal",
                "(",
                ")",
                "'0.5'",
                "'-1e-9'",
                "0",
                "7",
                "0.1",
                "1e27",
                "1e-9999",
                "123456789012345678901234567890123456789",
                "0.3333333333333333333333333333333",
                "4000000",
                "-",
                "+",
                "*",
                "/",
                "//",
                "%",
                "**",
                "<",
                "<=",
                "==",
                "!=",
                ">",
                "if",
                "else",
                "and",
                "or",
                "not",
                "True",
                "False",
                ",",
                ".",
                "#",
                "\n",
                "\\",
                "x",
                "'",
                "[",
                "=",
                "&",
                ";",
                "None",
                "1_0",
            ]);
            (prop::collection::vec(pieces, 0..40), any::<bool>())
                .prop_map(|(pieces, spaced)| pieces.join(if spaced { " " } else { "" }))
        }

        proptest! {
            #[test]
            fn any_text_is_parsed_and_evaluated_without_panicking(
                text in any::<String>(),
                names in any_names(),
            ) {
                if let Ok(formula) = Formula::parse(&text) {
                    let _ = formula.eval(&names);
                }
            }

            #[test]
            fn formula_like_text_is_parsed_and_evaluated_without_panicking(
                text in formula_like(),
                names in any_names(),
            ) {
                if let Ok(formula) = Formula::parse(&text) {
                    let _ = formula.eval(&names);
                }
            }

            /// Prices of up to 10 digits and 4 decimals: Python's results are
            /// exact, so they are `Decimal`'s; `//` and `%` truncate toward
            /// zero as Rust does.
            #[test]
            fn arithmetic_on_ordinary_prices_is_exact(
                left in -10_000_000_000i64..10_000_000_000,
                left_scale in 0u32..=4,
                right in -10_000_000_000i64..10_000_000_000,
                right_scale in 0u32..=4,
            ) {
                let (left, right) = (Decimal::new(left, left_scale), Decimal::new(right, right_scale));
                let names = Names { unit_price: Some(left), cost_price: Some(right), list_price: None };
                let eval = |text: &str| Formula::parse(text).and_then(|formula| formula.eval(&names));
                prop_assert_eq!(eval("unit_price + cost_price"), Ok(Some(left + right)));
                prop_assert_eq!(eval("unit_price - cost_price"), Ok(Some(left - right)));
                prop_assert_eq!(eval("unit_price * cost_price"), Ok(Some(left * right)));
                prop_assert_eq!(eval("-unit_price"), Ok(Some(-left)));
                if right.is_zero() {
                    prop_assert_eq!(eval("unit_price / cost_price"), Err(FormulaError::DivisionByZero));
                } else {
                    prop_assert_eq!(eval("unit_price * cost_price / cost_price"), Ok(Some(left)));
                    prop_assert_eq!(eval("unit_price // cost_price"), Ok(Some((left / right).trunc())));
                    prop_assert_eq!(eval("unit_price % cost_price"), Ok(Some(left % right)));
                }
            }

            /// The 256-bit product and long division undo each other.
            #[test]
            fn wide_products_divide_back(left in any::<u128>(), right in 1u128..) {
                let product = Wide::product(left, right);
                prop_assert_eq!(product.div_rem(Wide::from(right)), (Wide::from(left), Wide::from(0)));
                let bigger = product.checked_add(Wide::from(right - 1));
                if let Ok(bigger) = bigger {
                    prop_assert_eq!(bigger.div_rem(Wide::from(right)), (Wide::from(left), Wide::from(right - 1)));
                }
            }
        }
    }
}
