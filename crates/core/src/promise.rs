//! What a salesperson may still promise: credit to a customer, stock from
//! a warehouse. Both are the same arithmetic over what the ERP said at the
//! last sync, what waits in the outbox, and the draft being written.

use rust_decimal::Decimal;

/// Credit or stock left after everything not yet accepted by the ERP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remaining {
    /// What the ERP had left at the last sync (available credit, forecast
    /// stock).
    pub available: Decimal,
    /// What entries waiting in the outbox take, other than this draft.
    pub unsent: Decimal,
    /// What this draft takes (nothing for a quote: it commits nothing, in
    /// the ERP as here).
    pub this_draft: Decimal,
    pub left: Decimal,
    /// Below zero: worth a warning, not a refusal (the ERP decides).
    pub over: bool,
}

impl Remaining {
    /// `available` less `unsent` less `this_draft`. Saturating: absurd
    /// figures give absurd answers, never a panic.
    pub fn after(available: Decimal, unsent: Decimal, this_draft: Decimal) -> Remaining {
        let left = available.saturating_sub(unsent).saturating_sub(this_draft);
        Remaining {
            available,
            unsent,
            this_draft,
            left,
            over: left < Decimal::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn what_is_left_after_the_outbox_and_this_draft() {
        // (available, unsent, this draft, left, over)
        let table = [
            (dec!(1000), dec!(0), dec!(0), dec!(1000), false),
            (dec!(1000), dec!(300), dec!(200.50), dec!(499.50), false),
            (dec!(1000), dec!(600), dec!(400), dec!(0), false),
            (dec!(1000), dec!(600), dec!(400.01), dec!(-0.01), true),
            // Already over at the last sync: a quote (nothing) stays over.
            (dec!(-50), dec!(0), dec!(0), dec!(-50), true),
            // Absurd figures saturate.
            (Decimal::MIN, Decimal::MAX, Decimal::MAX, Decimal::MIN, true),
        ];
        for (available, unsent, this_draft, left, over) in table {
            let remaining = Remaining::after(available, unsent, this_draft);
            assert_eq!(
                (remaining.left, remaining.over),
                (left, over),
                "{available} - {unsent} - {this_draft}"
            );
            assert_eq!(
                (remaining.available, remaining.unsent, remaining.this_draft),
                (available, unsent, this_draft)
            );
        }
    }
}
