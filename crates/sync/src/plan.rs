//! The pure half of the engine: what to do, decided from data alone.

use chrono::{DateTime, Utc};
use fieldbook_core::{Entity, ErpId, Records, SyncPart};
use fieldbook_erp::{ErpError, Question};
use fieldbook_store::{Figure, PageEffects, PullCursor};
use std::collections::{BTreeMap, BTreeSet};

/// One operation of a sync, in the order [`plan`] puts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Queue the records whose derived figure moved since the figure's cursor.
    FindMoved(Figure),
    /// Pull an entity's changed records to the end.
    Pull(Entity),
    /// Compare the entity's live records with the cache and drop those the
    /// ERP deleted.
    RemoveDeleted(Entity),
    /// Re-read the queued derived figures.
    Refresh(Figure),
}

impl Step {
    /// The part of the sync this step reads, as far as the ERP user's
    /// rights go: a part the user may not read is skipped whole.
    pub fn part(self) -> SyncPart {
        match self {
            Step::FindMoved(Figure::Stock) => SyncPart::StockMoves,
            Step::FindMoved(Figure::Credit) => SyncPart::CreditMoves,
            Step::Pull(entity) | Step::RemoveDeleted(entity) => SyncPart::Records(entity),
            Step::Refresh(Figure::Stock) => SyncPart::Stock,
            Step::Refresh(Figure::Credit) => SyncPart::Credit,
        }
    }
}

/// How far before its bound a delta looks: not at all when the ERP's
/// clock is exact (it dates every change not yet read, see
/// [`fieldbook_erp::Erp::exact_clock`]), by `overlap` otherwise, for clock
/// skew and transactions that commit late.
pub fn overlap(overlap: std::time::Duration, exact_clock: bool) -> std::time::Duration {
    match exact_clock {
        true => std::time::Duration::ZERO,
        false => overlap,
    }
}

/// Whether a part the ERP refused at `tried_at` is tried again at `now`:
/// rights change rarely, so a refused part is asked for once per `retry`,
/// not at every sync.
pub fn try_again(tried_at: DateTime<Utc>, now: DateTime<Utc>, retry: std::time::Duration) -> bool {
    let retry = chrono::Duration::from_std(retry).unwrap_or(chrono::Duration::MAX);
    // A retry beyond the calendar never comes due.
    tried_at
        .checked_add_signed(retry)
        .is_some_and(|due| now >= due)
        || now < tried_at
}

/// What a delta asks the ERP before it reads a page: for each entity whose
/// last run completed, how many records changed since its bound (and, where
/// the ERP can delete, how many are live); for each derived figure looked
/// at before, whether anything moved it since.
pub fn questions(
    cursors: &BTreeMap<Entity, PullCursor>,
    stock_since: Option<DateTime<Utc>>,
    credit_since: Option<DateTime<Utc>>,
    overlap: std::time::Duration,
) -> Vec<Question> {
    let overlap = chrono::Duration::from_std(overlap).unwrap_or(chrono::Duration::MAX);
    let back = |since: DateTime<Utc>| since.checked_sub_signed(overlap).unwrap_or(since);
    let mut questions = Vec::new();
    for (&entity, cursor) in cursors {
        if let (Some(since), false) = (cursor.since, cursor.in_progress()) {
            questions.push(Question::Changed {
                entity,
                since: back(since),
            });
            if checks_deletions(entity) {
                questions.push(Question::Live(entity));
            }
        }
    }
    questions.extend(stock_since.map(|since| Question::StockMoved(back(since))));
    questions.extend(credit_since.map(|since| Question::CreditMoved(back(since))));
    questions
}

/// The survey's answers, each taken by the step that needs it.
#[derive(Debug, Default)]
pub struct Known {
    changed: BTreeMap<Entity, Result<u64, ErpError>>,
    live: BTreeMap<Entity, Result<u64, ErpError>>,
    stock_moved: Option<Result<u64, ErpError>>,
    credit_moved: Option<Result<u64, ErpError>>,
}

impl Known {
    pub fn new(questions: &[Question], answers: Vec<Result<u64, ErpError>>) -> Known {
        let mut known = Known::default();
        for (question, answer) in questions.iter().zip(answers) {
            match *question {
                Question::Changed { entity, .. } => {
                    known.changed.insert(entity, answer);
                }
                Question::Live(entity) => {
                    known.live.insert(entity, answer);
                }
                Question::StockMoved(_) => known.stock_moved = Some(answer),
                Question::CreditMoved(_) => known.credit_moved = Some(answer),
            }
        }
        known
    }

    /// How many records of `entity` changed, if the survey said.
    pub fn changed(&mut self, entity: Entity) -> Option<Result<u64, ErpError>> {
        self.changed.remove(&entity)
    }

    /// How many records of `entity` are live, if the survey said.
    pub fn live(&mut self, entity: Entity) -> Option<Result<u64, ErpError>> {
        self.live.remove(&entity)
    }

    /// How many lines moved `figure`, if the survey said.
    pub fn moved(&mut self, figure: Figure) -> Option<Result<u64, ErpError>> {
        match figure {
            Figure::Stock => self.stock_moved.take(),
            Figure::Credit => self.credit_moved.take(),
        }
    }
}

/// The steps of a sync, given each entity's cursor before it starts.
///
/// Parents are pulled before children. Deletions are looked for only after
/// a delta run (a full run reads only live records, so it has nothing to
/// remove) and only for entities whose records the ERP may delete.
/// Moved figures are looked for first, so what moves during the sync is
/// caught by the next one.
pub fn plan(cursors: &BTreeMap<Entity, PullCursor>) -> Vec<Step> {
    let mut steps = vec![
        Step::FindMoved(Figure::Stock),
        Step::FindMoved(Figure::Credit),
    ];
    steps.extend(Entity::ALL.into_iter().map(Step::Pull));
    for entity in Entity::ALL {
        let had_completed_run = cursors
            .get(&entity)
            .is_some_and(|cursor| cursor.since.is_some());
        if had_completed_run && checks_deletions(entity) {
            steps.push(Step::RemoveDeleted(entity));
        }
    }
    steps.push(Step::Refresh(Figure::Stock));
    steps.push(Step::Refresh(Figure::Credit));
    steps
}

/// Whether the ERP can delete records of this entity. Posted invoices and
/// posted accounting lines cannot be deleted, so they are never compared.
pub fn checks_deletions(entity: Entity) -> bool {
    !matches!(entity, Entity::Invoices | Entity::Payments)
}

/// The derived figures a page moved: new or changed products need their
/// stock, and anything that changes what a customer owes or has ordered
/// needs their credit.
pub fn page_effects(records: &Records) -> PageEffects {
    let mut effects = PageEffects::default();
    match records {
        Records::Products(products) => {
            effects.refresh_stock = products
                .iter()
                .filter(|p| p.active)
                .map(|p| p.erp_id)
                .collect();
        }
        Records::Customers(customers) => {
            effects.refresh_credit = customers
                .iter()
                .filter(|c| c.active)
                .map(|c| c.erp_id)
                .collect();
        }
        Records::Orders(orders) => {
            effects.refresh_credit = orders.iter().map(|o| o.customer_id).collect()
        }
        Records::Invoices(invoices) => {
            effects.refresh_credit = invoices.iter().map(|i| i.customer_id).collect()
        }
        Records::Payments(payments) => {
            effects.refresh_credit = payments.iter().map(|p| p.customer_id).collect()
        }
        Records::Warehouses(_)
        | Records::Addresses(_)
        | Records::Contacts(_)
        | Records::OrderLines(_)
        | Records::Complaints(_)
        | Records::Categories(_)
        | Records::PriceLists(_)
        | Records::PriceListLines(_)
        | Records::Promotions(_) => {}
    }
    effects
}

/// The cursor after a page: a short page ends the run, which makes its
/// start (by the ERP's clock) the lower bound of the next run. A full page
/// must move the cursor: one whose records all lie at or before it (an ERP
/// ignoring the id bound) would be asked for again and again, so it is an
/// error instead of a sync that never ends.
pub fn advance(
    cursor: &PullCursor,
    records: &Records,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<PullCursor, ErpError> {
    if records.len() < limit {
        return Ok(PullCursor {
            since: cursor.next_since.or(cursor.since),
            after_id: 0,
            next_since: None,
            completed_at: Some(now),
        });
    }
    match records.last_id() {
        Some(last) if last > cursor.after_id => Ok(PullCursor {
            after_id: last,
            ..cursor.clone()
        }),
        _ => Err(ErpError::Protocol(format!(
            "a full page of {} did not move past id {}",
            records.entity().name(),
            cursor.after_id
        ))),
    }
}

/// The cached ids the ERP no longer has.
pub fn removed_ids(cached: &[ErpId], live: &[ErpId]) -> Vec<ErpId> {
    let live: BTreeSet<_> = live.iter().collect();
    cached
        .iter()
        .filter(|id| !live.contains(id))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use fieldbook_core::{Customer, Order};
    use rust_decimal::Decimal;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_delta_looks_back_only_from_an_inexact_clock() {
        let minute = std::time::Duration::from_secs(60);
        // (overlap asked, the ERP's clock exact, overlap used)
        let cases = [
            (minute, false, minute),
            (minute, true, std::time::Duration::ZERO),
            (std::time::Duration::ZERO, false, std::time::Duration::ZERO),
            (std::time::Duration::ZERO, true, std::time::Duration::ZERO),
        ];
        for (asked, exact, used) in cases {
            assert_eq!(overlap(asked, exact), used, "{asked:?}, exact {exact}");
        }
    }

    #[test]
    fn a_refused_part_is_tried_again_once_per_retry_interval() {
        let hour = std::time::Duration::from_secs(3600);
        // (refused at, now, retry, tried again)
        let cases = [
            (at(9), at(9), hour, false),
            (at(9), at(9) + chrono::Duration::minutes(59), hour, false),
            (at(9), at(10), hour, true),
            (at(9), at(15), hour, true),
            (at(9), at(9), std::time::Duration::ZERO, true),
            // The laptop's clock went back: no waiting for it to catch up.
            (at(9), at(8), hour, true),
            (at(9), at(10), std::time::Duration::MAX, false),
        ];
        for (tried_at, now, retry, expected) in cases {
            assert_eq!(
                try_again(tried_at, now, retry),
                expected,
                "refused {tried_at}, now {now}, retry {retry:?}"
            );
        }
    }

    #[test]
    fn a_delta_asks_what_changed_only_for_parts_read_whole_before() {
        let done = PullCursor {
            since: Some(at(9)),
            after_id: 0,
            next_since: None,
            completed_at: Some(at(9)),
        };
        let running = PullCursor {
            after_id: 40,
            next_since: Some(at(10)),
            ..done.clone()
        };
        let cursors: BTreeMap<Entity, PullCursor> = [
            (Entity::Customers, done.clone()),
            (Entity::Invoices, done.clone()),
            (Entity::Products, running),
            (Entity::Orders, PullCursor::default()),
        ]
        .into();
        let minute = std::time::Duration::from_secs(60);
        let before = at(9) - chrono::Duration::minutes(1);
        assert_eq!(
            questions(&cursors, Some(at(8)), None, minute),
            [
                Question::Changed {
                    entity: Entity::Customers,
                    since: before
                },
                Question::Live(Entity::Customers),
                // Invoices are never deleted: no live count.
                Question::Changed {
                    entity: Entity::Invoices,
                    since: before
                },
                Question::StockMoved(at(8) - chrono::Duration::minutes(1)),
            ]
        );
        assert!(questions(&BTreeMap::new(), None, None, minute).is_empty());
    }

    #[test]
    fn each_step_reads_one_part_and_a_pull_and_its_deletions_share_it() {
        assert_eq!(
            Step::Pull(Entity::Payments).part(),
            Step::RemoveDeleted(Entity::Payments).part()
        );
        let parts: BTreeSet<SyncPart> = [
            Step::FindMoved(Figure::Stock),
            Step::FindMoved(Figure::Credit),
            Step::Refresh(Figure::Stock),
            Step::Refresh(Figure::Credit),
            Step::Pull(Entity::Customers),
        ]
        .into_iter()
        .map(Step::part)
        .collect();
        assert_eq!(parts.len(), 5);
    }

    fn customers(ids: &[ErpId]) -> Records {
        Records::Customers(
            ids.iter()
                .map(|&erp_id| Customer {
                    erp_id,
                    code: None,
                    name: "x".into(),
                    tax_id: None,
                    price_list_id: None,
                    active: erp_id % 2 == 0,
                })
                .collect(),
        )
    }

    #[test]
    fn a_first_sync_pulls_everything_and_looks_for_no_deletions() {
        let steps = plan(&BTreeMap::new());
        assert!(
            !steps
                .iter()
                .any(|step| matches!(step, Step::RemoveDeleted(_)))
        );
        assert_eq!(
            steps
                .iter()
                .filter(|step| matches!(step, Step::Pull(_)))
                .count(),
            Entity::ALL.len()
        );
        assert_eq!(steps.first(), Some(&Step::FindMoved(Figure::Stock)));
        assert_eq!(steps.last(), Some(&Step::Refresh(Figure::Credit)));
    }

    #[test]
    fn a_delta_sync_looks_for_deletions_where_the_erp_can_delete() {
        let done = PullCursor {
            since: Some(at(1)),
            ..PullCursor::default()
        };
        let cursors: BTreeMap<_, _> = Entity::ALL
            .into_iter()
            .map(|entity| (entity, done.clone()))
            .collect();
        let removals: Vec<_> = plan(&cursors)
            .into_iter()
            .filter_map(|step| match step {
                Step::RemoveDeleted(entity) => Some(entity),
                _ => None,
            })
            .collect();
        assert_eq!(
            removals,
            [
                Entity::Warehouses,
                Entity::Customers,
                Entity::Addresses,
                Entity::Contacts,
                Entity::Categories,
                Entity::Products,
                Entity::PriceLists,
                Entity::PriceListLines,
                Entity::Promotions,
                Entity::Orders,
                Entity::OrderLines,
                Entity::Complaints
            ]
        );
    }

    #[test]
    fn a_full_page_moves_the_cursor_and_a_short_page_ends_the_run() {
        let running = PullCursor {
            since: Some(at(1)),
            after_id: 10,
            next_since: Some(at(3)),
            completed_at: None,
        };
        let full = advance(&running, &customers(&[11, 12, 14]), 3, at(4)).unwrap();
        assert_eq!(
            full,
            PullCursor {
                after_id: 14,
                ..running.clone()
            }
        );
        let short = advance(&full, &customers(&[20]), 3, at(5)).unwrap();
        assert_eq!(
            short,
            PullCursor {
                since: Some(at(3)),
                after_id: 0,
                next_since: None,
                completed_at: Some(at(5))
            }
        );
        let empty = advance(&running, &customers(&[]), 3, at(5)).unwrap();
        assert_eq!(empty.since, Some(at(3)));
    }

    #[test]
    fn a_full_page_that_does_not_move_the_cursor_is_an_error_not_a_loop() {
        let running = PullCursor {
            since: None,
            after_id: 14,
            next_since: None,
            completed_at: None,
        };
        for page in [&[11, 12, 14][..], &[3, 2, 1], &[14, 14, 14]] {
            let error = advance(&running, &customers(page), 3, at(4)).unwrap_err();
            assert!(
                error.to_string().contains("did not move past id 14"),
                "{page:?}: {error}"
            );
            assert!(!error.is_transient());
        }
    }

    #[test]
    fn pages_queue_the_figures_they_move() {
        let effects = page_effects(&customers(&[1, 2, 4]));
        assert_eq!(
            effects.refresh_credit,
            BTreeSet::from([2, 4]),
            "inactive customers need no credit"
        );
        let order = |erp_id, customer_id| Order {
            erp_id,
            number: None,
            customer_id,
            customer_reference: None,
            state: fieldbook_core::SaleState::Confirmed,
            order_date: None,
            currency: "CNY".into(),
            untaxed: Decimal::ZERO,
            tax: Decimal::ZERO,
            total: Decimal::ZERO,
        };
        let effects = page_effects(&Records::Orders(vec![
            order(1, 7),
            order(2, 7),
            order(3, 9),
        ]));
        assert_eq!(effects.refresh_credit, BTreeSet::from([7, 9]));
        assert!(effects.refresh_stock.is_empty());
    }

    #[test]
    fn removed_ids_are_the_cached_ones_the_erp_no_longer_has() {
        assert_eq!(removed_ids(&[1, 2, 3, 5], &[2, 3, 4]), vec![1, 5]);
        assert_eq!(removed_ids(&[], &[1]), Vec::<ErpId>::new());
    }
}
