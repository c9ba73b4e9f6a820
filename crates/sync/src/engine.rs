//! The executor: carries out the plan against an ERP and the cache.

use crate::plan::{
    Known, Step, advance, overlap, page_effects, plan, questions, removed_ids, try_again,
};
use chrono::{DateTime, SubsecRound, Utc};
use fieldbook_core::{Entity, Records, SyncPart};
use fieldbook_erp::{Erp, ErpError, PullRequest};
use fieldbook_store::{Figure, NotReadable, PageEffects, PullCursor, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Records per page: memory is bounded by it, not by the data.
    pub page_size: usize,
    /// Records whose derived figures are read in one request.
    pub refresh_chunk: usize,
    /// How far before the previous run's start a delta looks, to cover
    /// clock skew and transactions that committed late.
    pub overlap: Duration,
    /// How often a part the ERP user may not read is asked for again, in
    /// case the rights changed.
    pub not_readable_retry: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            page_size: 1000,
            refresh_chunk: 500,
            overlap: Duration::from_secs(60),
            not_readable_retry: Duration::from_secs(3600),
        }
    }
}

/// How far a sync has come, for a progress bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Records of an entity pulled in this run so far, out of `total` when
    /// known (a full run knows it).
    Pulling {
        entity: Entity,
        done: u64,
        total: Option<u64>,
    },
    /// Records removed because the ERP deleted them.
    Removed { entity: Entity, count: u64 },
    /// Derived figures refreshed so far, out of those queued.
    Refreshing {
        figure: Figure,
        done: u64,
        total: u64,
    },
    /// Outbox entries the ERP has answered in this push so far, out of
    /// those that may go (more may join once an entry they wait on is
    /// accepted).
    Sending { done: u64, total: u64 },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pulled: BTreeMap<Entity, u64>,
    pub removed: BTreeMap<Entity, u64>,
    pub stock_refreshed: u64,
    pub credit_refreshed: u64,
    /// Parts the ERP user may not read: refused in this run, or refused
    /// before and not asked for again yet. The rest of the sync went on.
    pub not_readable: Vec<NotReadable>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Erp(#[from] ErpError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether running the sync again later can help by itself.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Erp(error) => error.is_transient(),
            SyncError::Store(error) => error.is_transient(),
        }
    }
}

/// Brings the cache up to date with the ERP. Interrupted at any point, it
/// leaves the cache consistent, and the next call resumes where it stopped.
///
/// While one page is written to the cache the next is already being fetched
/// (on another task), so the ERP is kept busy and the laptop's work hides
/// behind it.
pub async fn pull<E: Erp + 'static>(
    erp: &Arc<E>,
    store: &mut Store,
    options: &SyncOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport, SyncError> {
    let options = &SyncOptions {
        overlap: overlap(options.overlap, erp.exact_clock()),
        ..options.clone()
    };
    let cursors: BTreeMap<Entity, PullCursor> = Entity::ALL
        .into_iter()
        .map(|entity| Ok((entity, store.pull_cursor(entity)?)))
        .collect::<Result<_, StoreError>>()?;
    // A delta first asks, in one request when the ERP can answer so, what
    // changed and how much is live: the parts with nothing new then cost
    // the ERP nothing more.
    let questions = questions(
        &cursors,
        store.figure_cursor(Figure::Stock)?,
        store.figure_cursor(Figure::Credit)?,
        options.overlap,
    );
    let survey = match questions.is_empty() {
        true => None,
        false => erp.survey(&questions).await?,
    };
    let (started, mut known) = match survey {
        Some(survey) => (survey.clock, Known::new(&questions, survey.answers)),
        None => (erp.clock().await?, Known::default()),
    };
    // The currency the ERP keeps its amounts in, as it is now: estimates
    // made offline are rounded to its decimals; and the list the sales of
    // customers without a price list of their own are priced from.
    store.set_currency(&erp.currency(), now())?;
    store.set_default_price_list(erp.default_price_list(), now())?;
    let mut report = SyncReport::default();
    let mut refused: BTreeMap<SyncPart, NotReadable> = store
        .not_readable()?
        .into_iter()
        .map(|refusal| (refusal.part, refusal))
        .collect();
    // Parts asked for in this run: a part refused before and read now is
    // forgotten; one refused now is skipped for the rest of the run.
    let mut asked: BTreeSet<SyncPart> = BTreeSet::new();
    for step in plan(&cursors) {
        let part = step.part();
        if let Some(refusal) = refused.get(&part)
            && (asked.contains(&part)
                || !try_again(refusal.tried_at, now(), options.not_readable_retry))
        {
            tracing::debug!(?step, "skipped: the ERP user may not read it");
            continue;
        }
        asked.insert(part);
        tracing::debug!(?step, "sync step");
        match run(
            erp,
            store,
            step,
            started,
            options,
            now,
            progress,
            &mut known,
            &mut report,
        )
        .await
        {
            Ok(()) => {
                if refused.remove(&part).is_some() {
                    store.clear_not_readable(part)?;
                    tracing::info!(part = part.name(), "the ERP user may read it now");
                }
            }
            Err(SyncError::Erp(error @ ErpError::NotPermitted { .. })) => {
                tracing::warn!(part = part.name(), %error, "not readable; the rest of the sync goes on");
                // As the cache keeps it (to the microsecond), so the report
                // equals what `status` shows.
                let at = now().trunc_subsecs(6);
                store.mark_not_readable(part, &error.to_string(), at)?;
                let since = refused.get(&part).map_or(at, |before| before.since);
                refused.insert(
                    part,
                    NotReadable {
                        part,
                        detail: error.to_string(),
                        since,
                        tried_at: at,
                    },
                );
            }
            Err(error) => return Err(error),
        }
    }
    report.not_readable = refused.into_values().collect();
    Ok(report)
}

/// Carries out one step, adding what it did to `report`.
#[allow(clippy::too_many_arguments)]
async fn run<E: Erp + 'static>(
    erp: &Arc<E>,
    store: &mut Store,
    step: Step,
    started: DateTime<Utc>,
    options: &SyncOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    progress: &mut (dyn FnMut(Progress) + Send),
    known: &mut Known,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    match step {
        Step::FindMoved(figure) => match known.moved(figure).transpose()? {
            // Nothing moved: the look is done, without a request.
            Some(0) => store.queue_moved(figure, &BTreeSet::new(), started)?,
            _ => find_moved(erp, store, figure, started, options).await?,
        },
        Step::Pull(entity) => {
            let unchanged = known.changed(entity).transpose()? == Some(0);
            let pulled = pull_entity(
                erp, store, entity, started, options, now, progress, unchanged,
            )
            .await?;
            report.pulled.insert(entity, pulled);
            if entity == Entity::Contacts {
                // Customers, addresses and contacts are in: index the
                // customers a first sync left for later (or a sync
                // stopped before it got here).
                while store.index_queued(2000)? > 0 {}
            }
        }
        Step::RemoveDeleted(entity) => {
            let live = match known.live(entity).transpose()? {
                Some(live) => live,
                None => erp.count(entity).await?,
            };
            let removed = remove_deleted(erp, store, entity, live).await?;
            if removed > 0 {
                progress(Progress::Removed {
                    entity,
                    count: removed,
                });
                report.removed.insert(entity, removed);
            }
        }
        Step::Refresh(figure) => {
            let refreshed = refresh(erp, store, figure, options, now, progress).await?;
            match figure {
                Figure::Stock => report.stock_refreshed = refreshed,
                Figure::Credit => report.credit_refreshed = refreshed,
            }
        }
    }
    Ok(())
}

async fn find_moved<E: Erp>(
    erp: &Arc<E>,
    store: &mut Store,
    figure: Figure,
    started: DateTime<Utc>,
    options: &SyncOptions,
) -> Result<(), SyncError> {
    let moved = match store.figure_cursor(figure)? {
        // Never looked: the first full pull queues every record anyway.
        None => BTreeSet::new(),
        Some(since) => {
            let since = since - options.overlap;
            let ids = match figure {
                Figure::Stock => erp.products_moved_since(since).await?,
                Figure::Credit => erp.customers_with_receivables_since(since).await?,
            };
            ids.into_iter().collect()
        }
    };
    store.queue_moved(figure, &moved, started)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn pull_entity<E: Erp + 'static>(
    erp: &Arc<E>,
    store: &mut Store,
    entity: Entity,
    started: DateTime<Utc>,
    options: &SyncOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    progress: &mut (dyn FnMut(Progress) + Send),
    unchanged: bool,
) -> Result<u64, SyncError> {
    let mut cursor = store.pull_cursor(entity)?;
    if !cursor.in_progress() {
        cursor.next_since = Some(started);
        cursor.after_id = 0;
        if unchanged {
            // The ERP said nothing changed since the bound: the run ends
            // here, as it would on an empty page, without asking for one.
            let empty = Records::empty(entity);
            let next = advance(&cursor, &empty, options.page_size, now())?;
            store.apply_page(&empty, &next, &PageEffects::default(), now())?;
            return Ok(0);
        }
        store.save_cursor(entity, &cursor)?;
    }
    // A full run can say how much there is to do; a delta cannot cheaply.
    let total = match cursor.since {
        None => Some(erp.count(entity).await?),
        Some(_) => None,
    };
    let mut done = 0;
    progress(Progress::Pulling {
        entity,
        done,
        total,
    });
    let request = |cursor: &PullCursor| PullRequest {
        since: cursor.since.map(|since| since - options.overlap),
        after_id: cursor.after_id,
        limit: options.page_size,
    };
    let mut in_flight = fetch_page(erp, entity, request(&cursor));
    loop {
        let waiting = Instant::now();
        let records = joined(in_flight).await?;
        let waited = waiting.elapsed();
        let next = advance(&cursor, &records, options.page_size, now())?;
        let following = next
            .in_progress()
            .then(|| fetch_page(erp, entity, request(&next)));
        let mut effects = page_effects(&records);
        // A first sync indexes customers once, after their contacts.
        effects.index_later = cursor.since.is_none()
            && matches!(
                entity,
                Entity::Customers | Entity::Addresses | Entity::Contacts
            );
        if entity == Entity::Warehouses && !records.is_empty() && cursor.since.is_some() {
            // A new or changed warehouse: every product's stock there is news.
            effects
                .refresh_stock
                .extend(store.local_ids(Entity::Products)?);
        }
        let applying = Instant::now();
        store.apply_page(&records, &next, &effects, now())?;
        tracing::debug!(
            ?entity,
            records = records.len(),
            waited_ms = waited.as_millis() as u64,
            applied_ms = applying.elapsed().as_millis() as u64,
            "page"
        );
        done += records.len() as u64;
        progress(Progress::Pulling {
            entity,
            done,
            total,
        });
        cursor = next;
        match following {
            Some(handle) => in_flight = handle,
            None => return Ok(done),
        }
    }
}

fn fetch_page<E: Erp + 'static>(
    erp: &Arc<E>,
    entity: Entity,
    request: PullRequest,
) -> JoinHandle<Result<fieldbook_core::Records, ErpError>> {
    let erp = Arc::clone(erp);
    tokio::spawn(async move { erp.pull(entity, request).await })
}

/// The result of a spawned request. A panic in it is a bug, so it is
/// resumed here rather than turned into an error.
/// The page task's answer. A task that panicked (a bug met by an answer no
/// test foresaw) ends this sync with an error instead of unwinding through
/// the caller, which would leave its state (the window's "syncing") behind.
async fn joined<T>(handle: JoinHandle<Result<T, ErpError>>) -> Result<T, ErpError> {
    match handle.await {
        Ok(result) => result,
        Err(error) => {
            let detail = match error.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into()),
                Err(error) => error.to_string(),
            };
            Err(ErpError::Protocol(format!(
                "reading a page failed inside Fieldbook ({detail}); nothing of that page was written"
            )))
        }
    }
}

async fn remove_deleted<E: Erp>(
    erp: &Arc<E>,
    store: &mut Store,
    entity: Entity,
    live: u64,
) -> Result<u64, SyncError> {
    // Counting is cheap; the id lists are fetched only when counts differ.
    if live == store.local_count(entity)? {
        return Ok(0);
    }
    let live = erp.ids(entity).await?;
    let gone = removed_ids(&store.local_ids(entity)?, &live);
    Ok(store.remove(entity, &gone)? as u64)
}

async fn refresh<E: Erp + 'static>(
    erp: &Arc<E>,
    store: &mut Store,
    figure: Figure,
    options: &SyncOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<u64, SyncError> {
    // The queue is read whole (ids only): memory stays small, and the next
    // chunk can be fetched while the previous one is written.
    let queued = store.queued(figure, usize::MAX >> 1)?;
    let total = queued.len() as u64;
    if total == 0 {
        return Ok(0);
    }
    let warehouses = Arc::new(store.local_ids(Entity::Warehouses)?);
    let fetch = |ids: Vec<fieldbook_core::ErpId>| {
        let erp = Arc::clone(erp);
        let warehouses = Arc::clone(&warehouses);
        tokio::spawn(async move {
            let figures = match figure {
                Figure::Stock => Figures::Stock(erp.stock(&ids, &warehouses).await?),
                Figure::Credit => Figures::Credit(erp.credit(&ids).await?),
            };
            Ok((ids, figures))
        })
    };
    let chunk = match figure {
        Figure::Stock => erp.stock_batch().unwrap_or(options.refresh_chunk),
        Figure::Credit => options.refresh_chunk,
    };
    let mut chunks = queued.chunks(chunk.max(1)).map(<[_]>::to_vec);
    let mut done = 0;
    progress(Progress::Refreshing {
        figure,
        done,
        total,
    });
    let mut in_flight = chunks.next().map(fetch);
    while let Some(handle) = in_flight.take() {
        let waiting = Instant::now();
        let (ids, figures) = joined(handle).await?;
        let waited = waiting.elapsed();
        in_flight = chunks.next().map(fetch);
        let applying = Instant::now();
        match figures {
            Figures::Stock(levels) => store.apply_stock(&ids, &levels, now())?,
            Figures::Credit(credits) => store.apply_credit(&ids, &credits, now())?,
        }
        tracing::debug!(
            ?figure,
            records = ids.len(),
            waited_ms = waited.as_millis() as u64,
            applied_ms = applying.elapsed().as_millis() as u64,
            "refresh"
        );
        done += ids.len() as u64;
        progress(Progress::Refreshing {
            figure,
            done,
            total,
        });
    }
    Ok(done)
}

enum Figures {
    Stock(Vec<fieldbook_core::StockLevel>),
    Credit(Vec<fieldbook_core::Credit>),
}
