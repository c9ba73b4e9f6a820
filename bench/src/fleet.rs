//! `fieldbook-bench --fleet N`: N salespeople's laptops on one Tryton, as a
//! company runs it (PostgreSQL, gunicorn with W workers), each laptop with
//! Fieldbook's real sync code, its own cache and its own ERP user and
//! session.
//!
//! The run has three parts:
//!
//! 1. **Morning.** The laptops' first syncs, staggered over a ramp.
//! 2. **The day, compressed.** Every laptop syncs (push, then pull) every
//!    few seconds, at its own phase; before some syncs the salesperson has
//!    written an order, a customer edit or an after-sales request; a
//!    back-office script edits customers, prices and stock all along.
//!    Every request, error and latency is counted; the server's CPU time
//!    (gunicorn's processes and PostgreSQL's, from /proc) is read at the
//!    start and the end.
//! 3. **Unit costs on a quiet server**, beside Tryton alone: a sync with
//!    nothing new (and the same requests replayed by a bare JSON-RPC
//!    client; and the generic reading path, without Fieldbook's module),
//!    and an order (against a bare client's create, quote, confirm).
//!
//! At the end every order and request the laptops wrote is looked up in
//! Tryton by its uuid: each must be there exactly once, or wait on its
//! laptop with the ERP's refusal.
//!
//! The laptops run as tasks of this one process, so on a small machine
//! they take CPU from the server: latencies are an upper bound, and the
//! server's CPU seconds, read per process, are its own.

use anyhow::{Context, bail};
use chrono::Utc;
use fieldbook_core::customers::{CustomerEdit, EditField, FieldEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{DraftLine, Entity, SaleDraft, SaleKind};
use fieldbook_erp::tryton::{RawSession, Tryton, TrytonConfig};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_store::{EntryPayload, EntryState, Store};
use fieldbook_sync::{PushOptions, SyncOptions, push};
use fieldbook_testkit::{Dataset, TrytonServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Of a hundred syncs, how many follow an order written on the laptop,
/// a customer edit, an after-sales request: a salesperson's day at a
/// five-minute interval is ~100 syncs for about 5 orders, a couple of
/// customer changes and a request. The fleet compresses the day (a sync
/// every few seconds instead of every five minutes), not the mix.
const ORDER_PERCENT: u64 = 5;
const EDIT_PERCENT: u64 = 2;
const REQUEST_PERCENT: u64 = 1;

/// How many syncs and orders the quiet-server unit costs average over.
const UNIT_SYNCS: usize = 40;
const UNIT_ORDERS: usize = 20;

/// How long the back office runs alone, to measure its cost.
const BACK_OFFICE_ALONE: Duration = Duration::from_secs(30);

/// Delta syncs read again what changed within this of their last start
/// (`SyncOptions::overlap`) unless the ERP's clock is exact, as without
/// Fieldbook's module: a sync with nothing new comes only after it.
const PAST_OVERLAP: Duration = Duration::from_secs(61);

/// What `--fleet N [--workers W] [--interval S] [--minutes M] [--ramp S]
/// [--office S]` asks for.
#[derive(Clone, Debug)]
pub struct Options {
    pub laptops: usize,
    pub workers: u32,
    pub interval: Duration,
    pub steady: Duration,
    pub ramp: Duration,
    /// How often the back-office script changes something (a customer's
    /// name, a product's price, a stock receipt, in turn).
    pub office_every: Duration,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Options> {
        let value = |flag: &str| -> anyhow::Result<Option<u64>> {
            match args.iter().position(|arg| arg == flag) {
                None => Ok(None),
                Some(at) => {
                    let text = args
                        .get(at + 1)
                        .with_context(|| format!("{flag} needs a number"))?;
                    let number = text.parse::<u64>().with_context(|| {
                        format!("{flag} takes a whole positive number, not {text:?}")
                    })?;
                    if number == 0 {
                        bail!("{flag} must be at least 1");
                    }
                    Ok(Some(number))
                }
            }
        };
        let laptops = value("--fleet")?.context("--fleet needs the number of laptops")?;
        Ok(Options {
            laptops: usize::try_from(laptops)?,
            workers: u32::try_from(value("--workers")?.unwrap_or(4))?,
            interval: Duration::from_secs(value("--interval")?.unwrap_or(5)),
            steady: Duration::from_secs(60 * value("--minutes")?.unwrap_or(5)),
            ramp: Duration::from_secs(value("--ramp")?.unwrap_or(60)),
            office_every: Duration::from_secs(value("--office")?.unwrap_or(1)),
        })
    }
}

pub async fn run(options: &Options) -> anyhow::Result<String> {
    let dataset = Dataset::TEST;
    let Options {
        laptops,
        workers,
        interval,
        steady,
        ramp,
        office_every,
    } = options.clone();
    eprintln!("fleet: starting Tryton on PostgreSQL under gunicorn, {workers} workers ...");
    let server = TrytonServer::start_on_postgres_with(dataset, workers)?;
    let meter = ServerCpu::new(&server)?;
    let admin = server.admin().await?;
    lift_credit_limits(&admin).await?;
    let logins: Vec<String> = (1..=laptops).map(|n| format!("fleet-{n:04}")).collect();
    let configs = server.salespeople(&logins, true).await?;

    // 1. Morning: first syncs, staggered over the ramp; then the day
    // starts for all at once.
    eprintln!("fleet: {laptops} first syncs over {} s ...", ramp.as_secs());
    let morning = Arc::new(tokio::sync::Barrier::new(laptops + 1));
    let cpu_start = meter.seconds()?;
    let ramp_start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, config) in configs.iter().cloned().enumerate() {
        let morning = morning.clone();
        let start_after = ramp.mul_f64(index as f64 / laptops as f64);
        tasks.spawn(
            async move { laptop(index, config, start_after, morning, interval, steady).await },
        );
    }
    morning.wait().await;
    let cpu_morning = meter.seconds()?;
    let morning_took = ramp_start.elapsed();
    eprintln!(
        "fleet: the day, {} s, every laptop syncing every {} s ...",
        steady.as_secs(),
        interval.as_secs()
    );
    let day_start = Instant::now();
    let back_office = BackOffice::new(&server, office_every).await?;
    let back_office = tokio::spawn(async move { back_office.run(day_start + steady).await });
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.context("a laptop's task")?);
    }
    outcomes.sort_by_key(|outcome| outcome.index);
    let (office_changes, office_errors) = back_office.await.context("the back office")?;
    let day_took = day_start.elapsed();
    let cpu_day = meter.seconds()?;

    // Everything still queued goes out now; then every order and request
    // is looked up in the ERP.
    eprintln!("fleet: sending what is left and counting ...");
    let mut errors: Vec<String> = outcomes
        .iter()
        .flat_map(|outcome| outcome.errors.iter().cloned())
        .collect();
    errors.extend(
        office_errors
            .iter()
            .map(|error| format!("back office: {error}")),
    );
    for outcome in &mut outcomes {
        if let Some(laptop) = outcome.laptop.as_mut()
            && let Err(error) = laptop.push(false).await
        {
            errors.push(format!("laptop {} final push: {error:#}", outcome.index));
        }
    }
    let check = check_exactly_once(&admin, &outcomes).await?;

    // 3. Unit costs on the quiet server, beside Tryton alone.
    eprintln!("fleet: unit costs on a quiet server ...");
    let units = unit_costs(&server, &meter, &configs[0]).await?;

    // The report.
    let first: Vec<Duration> = outcomes.iter().filter_map(|o| o.first_sync).collect();
    let first_requests: u64 = outcomes.iter().map(|o| o.first_requests).sum();
    let samples: Vec<&Sample> = outcomes.iter().flat_map(|o| &o.samples).collect();
    let day_requests: u64 = samples.iter().map(|s| s.requests).sum();
    let idle: Vec<Duration> = samples
        .iter()
        .filter(|s| !s.wrote)
        .map(|s| s.took)
        .collect();
    let wrote: Vec<Duration> = samples.iter().filter(|s| s.wrote).map(|s| s.took).collect();
    let day_cpu = cpu_day - cpu_morning;
    let written = |kind: Kind| samples.iter().filter(|s| s.kind == Some(kind)).count();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut report = String::new();
    writeln!(
        report,
        "### Fleet of {laptops} laptops, {workers} gunicorn workers\n"
    )?;
    writeln!(
        report,
        "Tryton 8.2 on PostgreSQL 15, data {dataset:?} (one salesperson's share); {cores} cores, the laptops' tasks on the same machine; measured {}. A sync every {} s per laptop is the load of {} laptops syncing every 5 minutes; of 100 syncs, {ORDER_PERCENT} follow an order, {EDIT_PERCENT} a customer edit, {REQUEST_PERCENT} an after-sales request.\n",
        Utc::now().format("%Y-%m-%d"),
        interval.as_secs(),
        laptops as u64 * 300 / interval.as_secs().max(1),
    )?;
    writeln!(
        report,
        "| | laptops / syncs | time | ERP requests | requests/s | server CPU | sync p50 | sync p99 |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|")?;
    writeln!(
        report,
        "| first syncs, staggered over {} s | {} | {} | {first_requests} | {:.1} | {:.1} s ({:.2} s each) | {} | {} |",
        ramp.as_secs(),
        first.len(),
        secs(morning_took),
        first_requests as f64 / morning_took.as_secs_f64(),
        cpu_morning - cpu_start,
        (cpu_morning - cpu_start) / first.len().max(1) as f64,
        ms(percentile(&first, 50)),
        ms(percentile(&first, 99)),
    )?;
    writeln!(
        report,
        "| the day: a sync every {} s per laptop | {} | {} | {day_requests} | {:.1} | {:.1} s ({:.0} % of {cores} cores) | {} | {} |",
        interval.as_secs(),
        samples.len(),
        secs(day_took),
        day_requests as f64 / day_took.as_secs_f64(),
        day_cpu,
        100.0 * day_cpu / day_took.as_secs_f64() / cores as f64,
        ms(percentile(
            &samples.iter().map(|s| s.took).collect::<Vec<_>>(),
            50
        )),
        ms(percentile(
            &samples.iter().map(|s| s.took).collect::<Vec<_>>(),
            99
        )),
    )?;
    writeln!(
        report,
        "| … of which syncs with nothing to send | {} | | | | | {} | {} |",
        idle.len(),
        ms(percentile(&idle, 50)),
        ms(percentile(&idle, 99))
    )?;
    writeln!(
        report,
        "| … of which syncs sending what the salesperson wrote | {} | | | | | {} | {} |",
        wrote.len(),
        ms(percentile(&wrote, 50)),
        ms(percentile(&wrote, 99))
    )?;
    writeln!(
        report,
        "\nWritten on the laptops during the day: {} orders, {} customer edits, {} after-sales requests; the back office made {office_changes} changes (customers renamed, prices changed, stock received).",
        written(Kind::Order),
        written(Kind::Edit),
        written(Kind::Request),
    )?;
    writeln!(
        report,
        "Errors: {}. Orders: {} written, {} in Tryton exactly once, {} duplicated, {} lost, {} waiting on their laptop with the ERP's refusal. After-sales requests: {} written, {} in Tryton exactly once, {} duplicated, {} lost.",
        errors.len(),
        check.orders.written,
        check.orders.once,
        check.orders.duplicated,
        check.orders.lost,
        check.orders.refused,
        check.requests.written,
        check.requests.once,
        check.requests.duplicated,
        check.requests.lost,
    )?;
    for error in errors.iter().take(5) {
        writeln!(report, "- {error}")?;
    }

    writeln!(
        report,
        "\nUnit costs on the quiet server after the day (server CPU, gunicorn and PostgreSQL; averaged over {UNIT_SYNCS} syncs, {UNIT_ORDERS} orders; Tryton alone is a bare JSON-RPC client on the same server):\n"
    )?;
    writeln!(report, "| | requests | server CPU | Tryton alone |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| a sync with nothing new (push and pull) | {} | {:.1} ms | {:.1} ms (the same requests, bare JSON-RPC) |",
        units.idle_requests,
        units.idle_cpu * 1000.0,
        units.idle_bare_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| … without Fieldbook's module (the generic reading path) | {} | {:.1} ms | |",
        units.generic_requests,
        units.generic_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| an order of 5 lines, pushed | {:.1} | {:.1} ms | {:.1} ms (create, quote, confirm: 3 requests) |",
        units.order_requests,
        units.order_cpu * 1000.0,
        units.order_bare_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| … the next sync, bringing the order, its lines, credit and stock back | {:.1} | {:.1} ms | |",
        units.order_pull_requests,
        units.order_pull_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| one back-office change (alone for {} s) | | {:.1} ms | |",
        BACK_OFFICE_ALONE.as_secs(),
        units.office_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| another laptop's next sync, for each of those {UNIT_ORDERS} orders (beyond a sync with nothing new) | | {:.1} ms | |",
        units.foreign_order_cpu * 1000.0
    )?;
    writeln!(
        report,
        "| another laptop's next sync, for each of those back-office changes | | {:.1} ms | |",
        units.foreign_office_cpu * 1000.0
    )?;
    writeln!(
        report,
        "\nThe sync after an order, its requests replayed one by one (Tryton's time, as the client waits for it):\n"
    )?;
    report.push_str(&crate::by_method(&units.read_back));
    writeln!(
        report,
        "\nThe sync after the back office's {} changes alone, replayed the same way:\n",
        units.office_changes
    )?;
    report.push_str(&crate::by_method(&units.office_read));

    // The administrator's arithmetic: a model of the server's CPU from the
    // unit costs, checked against the day, then solved for a fleet.
    let model = Model::at_fleet_mix(&units);
    let office_rate = office_changes as f64 / day_took.as_secs_f64();
    let predicted = model.cpu_per_second(laptops as f64, interval.as_secs_f64(), office_rate)
        * day_took.as_secs_f64();
    writeln!(
        report,
        "\nThe server's CPU, modelled from these unit costs: each sync costs a sync with nothing new, plus its own order's push and read-back when it sends one, plus the reading of every change made since the laptop's last sync: every other laptop's orders, edits and requests (each counted as an order) and the back office's changes. For this day's fleet the model gives **{predicted:.0} s**; measured: {day_cpu:.0} s."
    )?;
    writeln!(
        report,
        "\nLaptops one server carries at a 5-minute interval, half busy (room for a morning rush), at this fleet's mix of writes, with 1–2 workers per core. Without scoped caches every laptop reads every other laptop's changes, so the cost of a sync grows with the fleet and capacity grows slower than cores:\n"
    )?;
    writeln!(
        report,
        "| server cores | back office quiet | back office making {:.0} changes a minute (this day's rate) |",
        office_rate * 60.0
    )?;
    writeln!(report, "|---|---|---|")?;
    for cores in [1.0, 2.0, 4.0, 8.0] {
        writeln!(
            report,
            "| {cores} | {:.0} | {:.0} |",
            model.laptops(cores * 0.5, 300.0, 0.0),
            model.laptops(cores * 0.5, 300.0, office_rate),
        )?;
    }
    Ok(report)
}

/// The server's CPU time: gunicorn's master and workers, PostgreSQL's
/// server and backends, read from /proc (utime + stime of every live
/// process in the two trees, plus what their ended children used).
struct ServerCpu {
    roots: Vec<u32>,
    tick: f64,
}

impl ServerCpu {
    fn new(server: &TrytonServer) -> anyhow::Result<ServerCpu> {
        let tryton = server.process_id().context("Tryton is not running")?;
        let postgres = fieldbook_testkit::postgres::cluster()?.server_pid()?;
        // SAFETY: sysconf reads a constant of the system.
        let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        anyhow::ensure!(tick > 0, "no clock tick from sysconf");
        Ok(ServerCpu {
            roots: vec![tryton, postgres],
            tick: tick as f64,
        })
    }

    fn seconds(&self) -> anyhow::Result<f64> {
        let mut parents = BTreeMap::new();
        let mut used = BTreeMap::new();
        for entry in std::fs::read_dir("/proc")? {
            let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // A process may end while we read: skip it.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some((parent, ticks)) = parent_and_ticks(&stat) else {
                continue;
            };
            parents.insert(pid, parent);
            used.insert(pid, ticks);
        }
        let mut ticks = 0;
        for (pid, ticks_used) in &used {
            let mut at = *pid;
            loop {
                if self.roots.contains(&at) {
                    ticks += ticks_used;
                    break;
                }
                match parents.get(&at) {
                    Some(parent) if *parent > 1 => at = *parent,
                    _ => break,
                }
            }
        }
        Ok(ticks as f64 / self.tick)
    }
}

/// From a `/proc/PID/stat` line: the parent's process id, and the CPU
/// ticks the process and its ended children used (utime + stime + cutime +
/// cstime, fields 14 to 17). The command, in parentheses, may hold spaces
/// and parentheses: the fields are counted from the last ')'.
fn parent_and_ticks(stat: &str) -> Option<(u32, u64)> {
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split(' ').collect();
    // After the command: state (3), ppid (4), ..., utime (14).
    let number = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    let parent = u32::try_from(number(4)?).ok()?;
    Some((
        parent,
        number(14)? + number(15)? + number(16)? + number(17)?,
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Order,
    Edit,
    Request,
}

/// One sync of the day.
struct Sample {
    took: Duration,
    requests: u64,
    wrote: bool,
    kind: Option<Kind>,
}

/// What a laptop did.
struct Outcome {
    index: usize,
    first_sync: Option<Duration>,
    first_requests: u64,
    samples: Vec<Sample>,
    errors: Vec<String>,
    laptop: Option<Laptop>,
}

async fn laptop(
    index: usize,
    config: TrytonConfig,
    start_after: Duration,
    morning: Arc<tokio::sync::Barrier>,
    interval: Duration,
    steady: Duration,
) -> Outcome {
    let mut outcome = Outcome {
        index,
        first_sync: None,
        first_requests: 0,
        samples: Vec::new(),
        errors: Vec::new(),
        laptop: None,
    };
    tokio::time::sleep(start_after).await;
    let started = Instant::now();
    match Laptop::first_sync(index, config).await {
        Ok(laptop) => {
            outcome.first_sync = Some(started.elapsed());
            outcome.first_requests = laptop.erp.calls();
            outcome.laptop = Some(laptop);
        }
        Err(error) => outcome
            .errors
            .push(format!("laptop {index} first sync: {error:#}")),
    }
    morning.wait().await;
    let day_start = Instant::now();
    let end = day_start + steady;
    let Some(laptop) = outcome.laptop.as_mut() else {
        return outcome;
    };
    let phase = interval.mul_f64(laptop.random.next(1000) as f64 / 1000.0);
    let mut next = day_start + phase;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        let kind = match laptop.random.next(100) {
            n if n < ORDER_PERCENT => Some(Kind::Order),
            n if n < ORDER_PERCENT + EDIT_PERCENT => Some(Kind::Edit),
            n if n < ORDER_PERCENT + EDIT_PERCENT + REQUEST_PERCENT => Some(Kind::Request),
            _ => None,
        };
        let kind = match kind.map(|kind| (kind, laptop.write(kind))) {
            Some((kind, Ok(true))) => Some(kind),
            Some((_, Ok(false))) | None => None,
            Some((kind, Err(error))) => {
                outcome
                    .errors
                    .push(format!("laptop {index} writing {kind:?}: {error:#}"));
                None
            }
        };
        let calls = laptop.erp.calls();
        let started = Instant::now();
        let synced = async {
            laptop.push(true).await?;
            laptop.pull().await
        }
        .await;
        outcome.samples.push(Sample {
            took: started.elapsed(),
            requests: laptop.erp.calls() - calls,
            wrote: kind.is_some(),
            kind,
        });
        if let Err(error) = synced {
            outcome
                .errors
                .push(format!("laptop {index} sync: {error:#}"));
        }
        // A sync longer than the interval delays the next, as the
        // window's background loop does.
        next = (next + interval).max(Instant::now());
    }
    outcome
}

/// One salesperson's laptop: a session, a cache, what it has written.
struct Laptop {
    index: usize,
    erp: Arc<Tryton>,
    store: Store,
    random: Random,
    orders: Vec<String>,
    requests: Vec<String>,
    written: u64,
}

impl Laptop {
    /// Logs in, with an empty cache.
    fn new(index: usize, erp: Tryton) -> anyhow::Result<Laptop> {
        Ok(Laptop {
            index,
            erp: Arc::new(erp),
            store: Store::open_in_memory()?,
            random: Random(0xf1ee7 + index as u64),
            orders: Vec::new(),
            requests: Vec::new(),
            written: 0,
        })
    }

    /// Logs in and makes the first sync.
    async fn first_sync(index: usize, config: TrytonConfig) -> anyhow::Result<Laptop> {
        let mut laptop = Laptop::new(index, Tryton::connect(config).await?)?;
        laptop.pull().await?;
        Ok(laptop)
    }

    async fn pull(&mut self) -> anyhow::Result<()> {
        let report = fieldbook_sync::pull(
            &self.erp,
            &mut self.store,
            &SyncOptions::default(),
            &Utc::now,
            &mut |_| {},
        )
        .await?;
        if let Some(part) = report.not_readable.first() {
            bail!("not readable by the salesperson: {part:?}");
        }
        Ok(())
    }

    async fn push(&mut self, respect_backoff: bool) -> anyhow::Result<()> {
        let report = push(
            &*self.erp,
            &mut self.store,
            PushOptions { respect_backoff },
            &Utc::now,
        )
        .await?;
        if let Some((seq, why)) = report.not_permitted.first() {
            bail!("entry {seq} not permitted: {why}");
        }
        Ok(())
    }

    fn uuid(&mut self) -> String {
        self.written += 1;
        format!("fleet-{:04}-{:06}", self.index, self.written)
    }

    /// Writes what a salesperson writes, as the window does: to the cache
    /// with its outbox entry. False when the customer drawn has no address
    /// (or no product for sale was drawn): nothing written.
    fn write(&mut self, kind: Kind) -> anyhow::Result<bool> {
        let customers = self.store.local_ids(Entity::Customers)?;
        anyhow::ensure!(!customers.is_empty(), "no customer in the cache");
        let customer_id = customers[self.random.next(customers.len() as u64) as usize];
        let customer = self
            .store
            .customer(CustomerRef::Id(customer_id))?
            .context("the customer just listed")?;
        let uuid = self.uuid();
        let at = Utc::now();
        match kind {
            Kind::Order => {
                let Some(address) = customer.addresses.first().map(|a| a.erp_id) else {
                    return Ok(false);
                };
                let warehouse = self
                    .store
                    .default_warehouse()?
                    .context("no warehouse in the cache")?;
                let products = self.store.local_ids(Entity::Products)?;
                let mut lines = Vec::new();
                for _ in 0..20 {
                    if lines.len() == 5 {
                        break;
                    }
                    let id = products[self.random.next(products.len() as u64) as usize];
                    let Some(view) = self.store.product(ProductRef::Id(id))? else {
                        continue;
                    };
                    if let (true, Some(price)) =
                        (view.product.value.salable, view.product.value.list_price)
                        && !lines.iter().any(|line: &DraftLine| line.product_id == id)
                    {
                        lines.push(DraftLine::typed(
                            id,
                            Decimal::from(1 + self.random.next(5)),
                            price,
                            Decimal::ZERO,
                        ));
                    }
                }
                if lines.is_empty() {
                    return Ok(false);
                }
                let draft = SaleDraft {
                    kind: SaleKind::Order,
                    customer_id,
                    invoice_address_id: Some(address),
                    shipment_address_id: Some(address),
                    warehouse_id: Some(warehouse),
                    requested_date: None,
                    reference: Some(uuid.clone()),
                    note: None,
                    price_list_id: None,
                    lines,
                };
                self.store.add_sale(&uuid, &draft, None, at)?;
                self.orders.push(uuid);
            }
            Kind::Edit => {
                let Some(address) = customer.addresses.first() else {
                    return Ok(false);
                };
                let edit = CustomerEdit {
                    customer_id,
                    fields: vec![FieldEdit {
                        field: EditField::AddressStreet {
                            address_id: address.erp_id,
                        },
                        base: address.street.clone(),
                        value: Some(format!("外勤路 {} 号", self.written)),
                    }],
                    new_addresses: Vec::new(),
                    new_contacts: Vec::new(),
                };
                self.store.edit_customer(&uuid, &edit, at)?;
            }
            Kind::Request => {
                let draft = RequestDraft {
                    customer_id,
                    description: format!("客户反馈 {uuid}: the last delivery was short"),
                    order_id: None,
                    invoice_id: None,
                };
                self.store.add_request(&uuid, &draft, at)?;
                self.requests.push(uuid);
            }
        }
        Ok(true)
    }
}

/// Every party may buy on credit: the fleet measures the server, not the
/// seeded customers' limits.
async fn lift_credit_limits(admin: &RawSession) -> anyhow::Result<()> {
    let context = admin.context().clone();
    let parties = admin
        .call(
            "model.party.party.search",
            json!([[], 0, null, null, context]),
        )
        .await?;
    admin
        .call(
            "model.party.party.write",
            json!([parties, {"credit_limit_amount": {"__class__": "Decimal", "decimal": "1000000000"}}, context]),
        )
        .await?;
    Ok(())
}

/// The back office: a Tryton user changing what the laptops hold.
struct BackOffice {
    admin: RawSession,
    parties: Vec<i64>,
    templates: Vec<i64>,
    /// Products with their unit, received into the first warehouse.
    products: Vec<(i64, Value)>,
    supplier: Value,
    storage: Value,
    currency: Value,
    every: Duration,
}

impl BackOffice {
    async fn new(server: &TrytonServer, every: Duration) -> anyhow::Result<BackOffice> {
        let admin = server.admin().await?;
        let context = admin.context().clone();
        let ids = |found: Value| -> Vec<i64> {
            found
                .as_array()
                .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default()
        };
        let parties = ids(admin
            .call(
                "model.party.party.search",
                json!([[], 0, 50, null, context]),
            )
            .await?);
        let templates = ids(admin
            .call(
                "model.product.template.search",
                json!([[["salable", "=", true]], 0, 50, null, context]),
            )
            .await?);
        let products = admin
            .call(
                "model.product.product.search_read",
                json!([
                    [["salable", "=", true], ["type", "=", "goods"]],
                    0,
                    50,
                    null,
                    ["default_uom"],
                    context
                ]),
            )
            .await?
            .as_array()
            .context("products")?
            .iter()
            .filter_map(|row| Some((row["id"].as_i64()?, row["default_uom"].clone())))
            .collect();
        let supplier = admin
            .call(
                "model.stock.location.search",
                json!([[["type", "=", "supplier"]], 0, 1, null, context]),
            )
            .await?[0]
            .clone();
        let warehouse = admin
            .call(
                "model.stock.location.search",
                json!([[["type", "=", "warehouse"]], 0, 1, [["id", "ASC"]], context]),
            )
            .await?[0]
            .clone();
        let storage = admin
            .call(
                "model.stock.location.read",
                json!([[warehouse], ["storage_location"], context]),
            )
            .await?[0]["storage_location"]
            .clone();
        let currency = admin
            .call(
                "model.company.company.read",
                json!([[context["company"]], ["currency"], context]),
            )
            .await?[0]["currency"]
            .clone();
        Ok(BackOffice {
            admin,
            parties,
            templates,
            products,
            supplier,
            storage,
            currency,
            every,
        })
    }

    /// Changes one thing every `every` until `end`; returns how many
    /// changes it made and what failed.
    async fn run(self, end: Instant) -> (u64, Vec<String>) {
        let mut made = 0;
        let mut errors = Vec::new();
        let mut turn = 0usize;
        while Instant::now() < end {
            tokio::time::sleep(self.every).await;
            match self.change(turn).await {
                Ok(()) => made += 1,
                Err(error) => errors.push(format!("{error:#}")),
            }
            turn += 1;
        }
        (made, errors)
    }

    async fn change(&self, turn: usize) -> anyhow::Result<()> {
        let context = self.admin.context().clone();
        let pick = |ids: usize| (turn / 3 * 7) % ids.max(1);
        match turn % 3 {
            0 if !self.parties.is_empty() => {
                let id = self.parties[pick(self.parties.len())];
                self.admin
                    .call(
                        "model.party.party.write",
                        json!([[id], {"name": format!("客户 {id} (back office {turn})")}, context]),
                    )
                    .await?;
            }
            1 if !self.templates.is_empty() => {
                let id = self.templates[pick(self.templates.len())];
                let price = json!({"__class__": "Decimal", "decimal": format!("{}.{:02}", 10 + turn % 90, turn % 100)});
                self.admin
                    .call(
                        "model.product.template.write",
                        json!([[id], {"list_price": price}, context]),
                    )
                    .await?;
            }
            2 if !self.products.is_empty() => {
                let (product, unit) = &self.products[pick(self.products.len())];
                let moves = self
                    .admin
                    .call(
                        "model.stock.move.create",
                        json!([[{"product": product, "unit": unit, "quantity": 5.0,
                                 "from_location": self.supplier, "to_location": self.storage,
                                 "unit_price": {"__class__": "Decimal", "decimal": "10"},
                                 "currency": self.currency}], context]),
                    )
                    .await?;
                self.admin
                    .call("model.stock.move.do", json!([moves, context]))
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Default)]
struct Tally {
    written: usize,
    once: usize,
    duplicated: usize,
    lost: usize,
    /// Not in the ERP, waiting on the laptop with the ERP's refusal.
    refused: usize,
}

struct Check {
    orders: Tally,
    requests: Tally,
}

/// Looks every order and request the laptops wrote up in Tryton by uuid.
async fn check_exactly_once(admin: &RawSession, outcomes: &[Outcome]) -> anyhow::Result<Check> {
    let mut check = Check {
        orders: Tally::default(),
        requests: Tally::default(),
    };
    for (model, tally, written) in [
        (
            "sale.sale",
            &mut check.orders,
            outcomes
                .iter()
                .filter_map(|o| o.laptop.as_ref())
                .map(|l| (l, &l.orders))
                .collect::<Vec<_>>(),
        ),
        (
            "sale.complaint",
            &mut check.requests,
            outcomes
                .iter()
                .filter_map(|o| o.laptop.as_ref())
                .map(|l| (l, &l.requests))
                .collect::<Vec<_>>(),
        ),
    ] {
        for (laptop, uuids) in written {
            if uuids.is_empty() {
                continue;
            }
            let found = admin
                .call(
                    &format!("model.{model}.search_read"),
                    json!([
                        [["fieldbook_uuid", "in", uuids]],
                        0,
                        null,
                        null,
                        ["fieldbook_uuid"],
                        admin.context()
                    ]),
                )
                .await?;
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for row in found.as_array().context("search_read rows")? {
                if let Some(uuid) = row["fieldbook_uuid"].as_str()
                    && let Some(ours) = uuids.iter().find(|u| *u == uuid)
                {
                    *counts.entry(ours.as_str()).or_default() += 1;
                }
            }
            let outbox = laptop.store.outbox()?;
            for uuid in uuids {
                tally.written += 1;
                match counts.get(uuid.as_str()).copied().unwrap_or(0) {
                    1 => tally.once += 1,
                    0 if outbox
                        .iter()
                        .any(|e| &e.uuid == uuid && e.state == EntryState::Rejected) =>
                    {
                        tally.refused += 1
                    }
                    0 => tally.lost += 1,
                    _ => tally.duplicated += 1,
                }
            }
        }
    }
    Ok(check)
}

struct Units {
    idle_requests: u64,
    idle_cpu: f64,
    idle_bare_cpu: f64,
    generic_requests: u64,
    generic_cpu: f64,
    order_requests: f64,
    order_cpu: f64,
    order_bare_cpu: f64,
    /// The sync after an order, reading it back (with its lines, the
    /// customer's credit, the products' stock).
    order_pull_requests: f64,
    order_pull_cpu: f64,
    /// The requests of one such sync, replayed: (request, count, time).
    read_back: Vec<(String, usize, Duration)>,
    /// One back-office change.
    office_cpu: f64,
    /// Reading, in another laptop's next sync, one order someone else
    /// placed (its sale, lines, the customer's credit, the stock it moved),
    /// beyond a sync with nothing new: the fan-out every laptop pays for
    /// every other laptop's orders while it holds the whole company.
    foreign_order_cpu: f64,
    /// Reading one back-office change, the same way.
    foreign_office_cpu: f64,
    /// How many changes the back office made alone, and the requests of
    /// the sync that read them, replayed.
    office_changes: u64,
    office_read: Vec<(String, usize, Duration)>,
}

/// The server's CPU for a fleet, from the unit costs: per sync, a sync
/// with nothing new, the laptop's own order when it sends one (push and
/// read-back), and the reading of every change made since its last sync by
/// the other laptops (their writes, each counted as an order) and by the
/// back office; plus the back office's own changes.
struct Model<'a> {
    units: &'a Units,
    /// Of a sync, how often it follows a write on the laptop (any kind),
    /// and an order.
    writes_per_sync: f64,
    orders_per_sync: f64,
}

impl Model<'_> {
    /// Server CPU seconds per second for `laptops` syncing every
    /// `interval` seconds while the back office makes `office_rate`
    /// changes a second.
    fn cpu_per_second(&self, laptops: f64, interval: f64, office_rate: f64) -> f64 {
        let units = self.units;
        let others = laptops * self.writes_per_sync * units.foreign_order_cpu
            + office_rate * interval * units.foreign_office_cpu;
        laptops / interval * (self.own() + others) + office_rate * units.office_cpu
    }

    /// The fleet's mix of writes (`ORDER_PERCENT` and the rest).
    fn at_fleet_mix(units: &Units) -> Model<'_> {
        Model {
            units,
            writes_per_sync: (ORDER_PERCENT + EDIT_PERCENT + REQUEST_PERCENT) as f64 / 100.0,
            orders_per_sync: ORDER_PERCENT as f64 / 100.0,
        }
    }

    /// A sync's own work: one with nothing new, and its order's push and
    /// read-back when it sends one.
    fn own(&self) -> f64 {
        let units = self.units;
        units.idle_cpu
            + self.orders_per_sync
                * (units.order_cpu + units.order_pull_cpu - units.idle_cpu).max(0.0)
    }

    /// How many laptops syncing every `interval` seconds keep the server's
    /// CPU at `busy` cores: the positive root of the model's quadratic.
    fn laptops(&self, busy: f64, interval: f64, office_rate: f64) -> f64 {
        // cpu_per_second = a·L² + b·L + office's own, set equal to `busy`.
        let a = self.writes_per_sync * self.units.foreign_order_cpu / interval;
        let b = self.own() / interval + office_rate * self.units.foreign_office_cpu;
        let c = office_rate * self.units.office_cpu - busy;
        if c >= 0.0 {
            return 0.0;
        }
        match a > 0.0 {
            true => (-b + (b * b - 4.0 * a * c).sqrt()) / (2.0 * a),
            false => -c / b.max(f64::EPSILON),
        }
    }
}

/// The cost of a sync with nothing new and of an order, one at a time on
/// the quiet server, beside Tryton alone doing the same work.
async fn unit_costs(
    server: &TrytonServer,
    meter: &ServerCpu,
    config: &TrytonConfig,
) -> anyhow::Result<Units> {
    let mut laptop = Laptop::first_sync(0, config.clone()).await?;
    let mut generic = Laptop::new(0, Tryton::connect(config.clone()).await?.without_module())?;
    generic.pull().await?;
    tokio::time::sleep(PAST_OVERLAP).await;
    // Once past the overlap, then measured.
    laptop.push(true).await?;
    laptop.pull().await?;
    generic.pull().await?;

    laptop.erp.start_recording();
    let calls = laptop.erp.calls();
    let cpu = meter.seconds()?;
    for _ in 0..UNIT_SYNCS {
        laptop.push(true).await?;
        laptop.pull().await?;
    }
    let idle_cpu = (meter.seconds()? - cpu) / UNIT_SYNCS as f64;
    let idle_requests = (laptop.erp.calls() - calls) / UNIT_SYNCS as u64;
    let recorded = laptop.erp.take_recording();

    let bare = RawSession::connect(config.clone()).await?;
    let cpu = meter.seconds()?;
    for (method, params) in &recorded {
        bare.call(method, params.clone()).await?;
    }
    let idle_bare_cpu = (meter.seconds()? - cpu) / UNIT_SYNCS as f64;

    let calls = generic.erp.calls();
    let cpu = meter.seconds()?;
    for _ in 0..UNIT_SYNCS {
        generic.pull().await?;
    }
    let generic_cpu = (meter.seconds()? - cpu) / UNIT_SYNCS as f64;
    let generic_requests = (generic.erp.calls() - calls) / UNIT_SYNCS as u64;

    // A second laptop, caught up, reads the orders afterwards.
    let mut observer = Laptop::first_sync(1, config.clone()).await?;
    observer.pull().await?;

    // Orders: each written and pushed (its CPU), then pulled back as the
    // next sync does (the pull's CPU, apart).
    let mut push_cpu = 0.0;
    let mut push_calls = 0;
    let mut pull_cpu = 0.0;
    let mut pull_calls = 0;
    let mut draft = None;
    let mut read_back = Vec::new();
    for _ in 0..UNIT_ORDERS {
        while !laptop.write(Kind::Order)? {}
        let (calls, cpu) = (laptop.erp.calls(), meter.seconds()?);
        laptop.push(false).await?;
        let (pushed_calls, pushed_cpu) = (laptop.erp.calls(), meter.seconds()?);
        laptop.erp.start_recording();
        laptop.pull().await?;
        read_back = laptop.erp.take_recording();
        push_cpu += pushed_cpu - cpu;
        push_calls += pushed_calls - calls;
        pull_cpu += meter.seconds()? - pushed_cpu;
        pull_calls += laptop.erp.calls() - pushed_calls;
        if draft.is_none() {
            draft = laptop
                .store
                .outbox()?
                .last()
                .and_then(|entry| match &entry.payload {
                    EntryPayload::Sale(sale) => Some(sale.clone()),
                    _ => None,
                });
        }
    }
    let cpu = meter.seconds()?;
    observer.pull().await?;
    let foreign_order_cpu = (meter.seconds()? - cpu - idle_cpu).max(0.0) / UNIT_ORDERS as f64;
    let draft = draft.context("no order was written")?;
    let products: Vec<(i64, Decimal)> = draft
        .lines
        .iter()
        // The bench's lines are typed at list prices: each has a price.
        .filter_map(|line| Some((line.product_id, line.unit_price?)))
        .collect();
    // Where the read-back's server time goes: the last one's requests,
    // replayed by a bare client.
    let session = RawSession::connect(config.clone()).await?;
    let (read_back, _) = crate::replay_timed(&session, &read_back).await?;
    let bare = crate::push::BareClient::new(server, &draft, &products).await?;
    let cpu = meter.seconds()?;
    for _ in 0..UNIT_ORDERS {
        bare.create_quote_confirm().await?;
    }
    let order_bare_cpu = (meter.seconds()? - cpu) / UNIT_ORDERS as f64;

    // The back office alone, to tell its share of the day's CPU.
    let office = BackOffice::new(server, Duration::from_secs(1)).await?;
    let cpu = meter.seconds()?;
    let (changes, errors) = office.run(Instant::now() + BACK_OFFICE_ALONE).await;
    if let Some(error) = errors.first() {
        bail!("the back office alone: {error}");
    }
    let office_cpu = (meter.seconds()? - cpu) / changes.max(1) as f64;
    let cpu = meter.seconds()?;
    observer.erp.start_recording();
    observer.pull().await?;
    let office_read = observer.erp.take_recording();
    let foreign_office_cpu = (meter.seconds()? - cpu - idle_cpu).max(0.0) / changes.max(1) as f64;
    let (office_read, _) = crate::replay_timed(&session, &office_read).await?;
    Ok(Units {
        idle_requests,
        idle_cpu,
        idle_bare_cpu,
        generic_requests,
        generic_cpu,
        order_requests: push_calls as f64 / UNIT_ORDERS as f64,
        order_cpu: push_cpu / UNIT_ORDERS as f64,
        order_bare_cpu,
        order_pull_requests: pull_calls as f64 / UNIT_ORDERS as f64,
        order_pull_cpu: pull_cpu / UNIT_ORDERS as f64,
        read_back,
        office_cpu,
        foreign_order_cpu,
        foreign_office_cpu,
        office_changes: changes,
        office_read,
    })
}

/// The value below which `percent` of the durations fall (nearest rank).
fn percentile(durations: &[Duration], percent: usize) -> Option<Duration> {
    if durations.is_empty() {
        return None;
    }
    let mut sorted = durations.to_vec();
    sorted.sort();
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

fn ms(duration: Option<Duration>) -> String {
    match duration {
        Some(duration) => format!("{:.0} ms", duration.as_secs_f64() * 1000.0),
        None => "–".into(),
    }
}

fn secs(duration: Duration) -> String {
    format!("{:.0} s", duration.as_secs_f64())
}

/// A small deterministic random source, so a run can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_the_nearest_rank() {
        let durations: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&durations, 50), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&durations, 99), Some(Duration::from_millis(99)));
        assert_eq!(
            percentile(&durations[..1], 99),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], 50), None);
    }

    fn costs(idle: f64, order: f64, read_back: f64, foreign: f64, office: f64) -> Units {
        Units {
            idle_requests: 1,
            idle_cpu: idle,
            idle_bare_cpu: idle,
            generic_requests: 20,
            generic_cpu: idle * 5.0,
            order_requests: 3.0,
            order_cpu: order,
            order_bare_cpu: order,
            order_pull_requests: 6.0,
            order_pull_cpu: read_back,
            read_back: Vec::new(),
            office_cpu: office,
            foreign_order_cpu: foreign,
            foreign_office_cpu: foreign / 2.0,
            office_changes: 30,
            office_read: Vec::new(),
        }
    }

    #[test]
    fn the_model_adds_each_syncs_own_work_and_what_it_reads_of_others() {
        let units = costs(0.04, 1.5, 0.24, 0.05, 0.1);
        // 8 writes in 100 syncs, 5 of them orders.
        let model = Model::at_fleet_mix(&units);
        // One sync: idle 40 ms + 5 % of (1500 + 240 - 40) ms = 125 ms; with
        // 100 laptops, 8 writes of others at 50 ms = 400 ms; a back office
        // at 1 change/s over 300 s, read at 25 ms each = 7.5 s; its own
        // changes 100 ms/s.
        let cases = [
            (1.0, 0.0, 0.125 / 300.0 + 0.08 * 0.05 / 300.0),
            (100.0, 0.0, 100.0 / 300.0 * (0.125 + 0.4)),
            (100.0, 1.0, 100.0 / 300.0 * (0.125 + 0.4 + 7.5) + 0.1),
        ];
        for (laptops, office, cpu) in cases {
            let got = model.cpu_per_second(laptops, 300.0, office);
            assert!(
                (got - cpu).abs() < 1e-9,
                "{laptops}, {office}: {got} != {cpu}"
            );
        }
    }

    #[test]
    fn the_fleet_a_server_carries_keeps_it_at_the_cpu_asked_for() {
        let units = costs(0.04, 1.5, 0.24, 0.05, 0.1);
        let fanned = Model::at_fleet_mix(&units);
        for (busy, office) in [(0.5, 0.0), (1.0, 0.0), (2.0, 0.5), (4.0, 1.0)] {
            let laptops = fanned.laptops(busy, 300.0, office);
            let cpu = fanned.cpu_per_second(laptops, 300.0, office);
            assert!(
                (cpu - busy).abs() < 1e-9,
                "{busy}, {office}: {laptops} use {cpu}"
            );
        }
        // The fan-out: twice the cores carry fewer than twice the laptops.
        assert!(fanned.laptops(2.0, 300.0, 0.0) < 2.0 * fanned.laptops(1.0, 300.0, 0.0));
        // Without it, capacity is linear: 150 s of CPU per 5 minutes at
        // 125 ms a sync.
        let none = costs(0.04, 1.5, 0.24, 0.0, 0.0);
        let linear = Model {
            units: &none,
            ..fanned
        };
        assert!((linear.laptops(0.5, 300.0, 0.0) - 1200.0).abs() < 1e-6);
        // A back office busier than the server: no laptop fits.
        assert_eq!(fanned.laptops(0.05, 300.0, 1.0), 0.0);
    }

    #[test]
    fn a_stat_line_gives_the_parent_and_the_ticks() {
        // A gunicorn worker's line, its command holding a space and a ')'.
        let line = "4242 (gunicorn: w) ker) S 4200 4200 4200 0 -1 4194560 9170 0 0 0 \
                    1250 310 7 3 20 0 1 0 6061 316080128 17890 18446744073709551615";
        assert_eq!(parent_and_ticks(line), Some((4200, 1250 + 310 + 7 + 3)));
        assert_eq!(parent_and_ticks("4242 (cut"), None);
        assert_eq!(parent_and_ticks("4242 (x) S 1 2"), None);
    }

    #[test]
    fn options_say_what_is_wrong() {
        let args = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let options = Options::parse(&args("--fleet 50 --workers 4")).unwrap();
        assert_eq!((options.laptops, options.workers), (50, 4));
        assert_eq!(options.interval, Duration::from_secs(5));
        assert_eq!(options.office_every, Duration::from_secs(1));
        let error = Options::parse(&args("--fleet fifty")).unwrap_err();
        assert!(format!("{error:#}").contains("not \"fifty\""), "{error:#}");
        let error = Options::parse(&args("--fleet 0")).unwrap_err();
        assert!(format!("{error:#}").contains("at least 1"), "{error:#}");
    }
}
