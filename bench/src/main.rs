//! The benchmarks behind BENCHMARKS.md. Every figure is measured against the
//! real Tryton doing the same work in the same run, never as an absolute
//! time alone: the machine's speed cancels out of the ratios.
//!
//! `cargo xtask bench` runs it on the benchmark data (10,000 customers,
//! 50,000 products, ~20,000 sale lines); `--quick` on the tests' small data.

mod fleet;
mod push;

use anyhow::Context;
use chrono::Utc;
use fieldbook_core::Entity;
use fieldbook_erp::tryton::{RawSession, Tryton};
use fieldbook_store::{CacheKey, Store};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_sync::{SyncOptions, SyncReport};
use fieldbook_testkit::{Dataset, TrytonServer};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--search-in") {
        // Search alone over a cache synced earlier (its key from
        // FIELDBOOK_CACHE_KEY): to measure a change to search without
        // syncing again.
        let path = args.get(at + 1).context("--search-in needs a cache file")?;
        let key = CacheKey::new(
            std::env::var("FIELDBOOK_CACHE_KEY").context("set FIELDBOOK_CACHE_KEY")?,
        )?;
        let opened = Instant::now();
        let store = Store::open(std::path::Path::new(path), &key)?;
        println!(
            "opened (and upgraded if older) in {:.1} s",
            opened.elapsed().as_secs_f64()
        );
        println!("{}", measure_search(&store)?);
        return Ok(());
    }
    if args.iter().any(|arg| arg == "--fleet") {
        let options = fleet::Options::parse(&args)?;
        let report = fleet::run(&options).await?;
        let out = fieldbook_testkit::target_dir().join("bench");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join(format!("fleet-{}.md", options.laptops)), &report)?;
        println!("{report}");
        return Ok(());
    }
    if let Some(at) = args.iter().position(|arg| arg == "--push") {
        let orders = match args.get(at + 1) {
            Some(count) => count.parse().context("--push takes a number of orders")?,
            None => 1000,
        };
        let report = push::run(orders).await?;
        let out = fieldbook_testkit::target_dir().join("bench");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("push.md"), &report)?;
        println!("{report}");
        return Ok(());
    }
    let quick = args.iter().any(|arg| arg == "--quick");
    let dataset = if quick { Dataset::TEST } else { Dataset::BENCH };
    let mut report = String::new();
    writeln!(report, "Data: {dataset:?}; {}", machine())?;
    eprintln!("bench: starting Tryton with {dataset:?} (seeded once, then reused) ...");
    let server = TrytonServer::start(dataset)?;
    let dir = tempfile::tempdir()?;
    let cache_path = dir.path().join("cache.db");
    let key = CacheKey::new("bench")?;
    let mut store = Store::create(&cache_path, &key)?;

    // 1. First full sync, recorded so Tryton alone can replay it.
    eprintln!("bench: full sync ...");
    reset_peak_rss();
    let rss_before = peak_rss_kib();
    let erp = std::sync::Arc::new(Tryton::connect(server.sales_config()).await?);
    erp.start_recording();
    let (full, full_time) = timed(sync(&erp, &mut store)).await?;
    let requests = erp.take_recording();
    let peak_rss = peak_rss_kib();
    let cache_bytes = ["cache.db", "cache.db-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(dir.path().join(name)).ok())
        .map(|metadata| metadata.len())
        .sum::<u64>();

    eprintln!(
        "bench: Tryton alone, replaying the sync's {} requests ...",
        requests.len()
    );
    let replay = RawSession::connect(server.sales_config()).await?;
    let (breakdown, tryton_time) = replay_timed(&replay, &requests).await?;

    writeln!(report, "\n### First full sync\n")?;
    writeln!(report, "| | time | requests | ratio |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| Fieldbook full sync (cold Tryton) | {} | {} | 1.00 |",
        secs(full_time),
        requests.len()
    )?;
    writeln!(
        report,
        "| (a) Tryton alone serving the same requests, one after another | {} | {} | sync / Tryton = {:.2} |",
        secs(tryton_time),
        requests.len(),
        full_time.as_secs_f64() / tryton_time.as_secs_f64()
    )?;
    writeln!(report, "\nRecords: {}", records(&full))?;
    writeln!(
        report,
        "\nWhere Tryton's time goes (replayed requests, by method and model):\n"
    )?;
    report.push_str(&by_method(&breakdown));
    flush(&report, quick)?;

    // 2. Delta after 100 changes made in Tryton.
    eprintln!("bench: delta after 100 changes ...");
    let changed = make_changes(&server, 100).await?;
    // Past the overlap window (60 s), so the delta after this one does not
    // read these changes again and shows a truly idle delta.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let erp = std::sync::Arc::new(Tryton::connect(server.sales_config()).await?);
    erp.start_recording();
    let (delta, delta_time) = timed(sync(&erp, &mut store)).await?;
    let delta_requests = erp.take_recording();
    let (_, delta_tryton) = replay_timed(&replay, &delta_requests).await?;

    // 3. Delta with nothing changed.
    eprintln!("bench: delta with nothing new ...");
    let erp = std::sync::Arc::new(Tryton::connect(server.sales_config()).await?);
    erp.start_recording();
    let (idle, idle_time) = timed(sync(&erp, &mut store)).await?;
    let idle_requests = erp.take_recording();

    writeln!(report, "\n### Delta syncs\n")?;
    writeln!(
        report,
        "| | time | requests | records pulled | Tryton alone |"
    )?;
    writeln!(report, "|---|---|---|---|---|")?;
    writeln!(
        report,
        "| after {changed} changes in Tryton | {} | {} | {} | {} |",
        secs(delta_time),
        delta_requests.len(),
        delta.pulled.values().sum::<u64>(),
        secs(delta_tryton)
    )?;
    writeln!(
        report,
        "| nothing changed | {} | {} | {} | |",
        secs(idle_time),
        idle_requests.len(),
        idle.pulled.values().sum::<u64>()
    )?;
    let methods: Vec<String> = idle_requests
        .iter()
        .map(|(method, _)| method.trim_start_matches("model.").to_string())
        .collect();
    writeln!(
        report,
        "\nThe requests of a delta with nothing new: {}",
        methods.join(", ")
    )?;

    flush(&report, quick)?;

    // 4. Search.
    eprintln!("bench: search ...");
    report.push_str(&measure_search(&store)?);

    // 4b. Pricing a line, here and in Tryton.
    eprintln!("bench: pricing ...");
    report.push_str(&measure_pricing(&replay, &store).await?);

    writeln!(report, "\n### Memory and disk\n")?;
    writeln!(
        report,
        "Peak resident memory of the syncing process: {} MiB (before the sync: {} MiB; pages of {} records).",
        peak_rss / 1024,
        rss_before / 1024,
        SyncOptions::default().page_size
    )?;
    writeln!(
        report,
        "Cache on disk after the full sync: {:.1} MiB.",
        cache_bytes as f64 / 1_048_576.0
    )?;

    flush(&report, quick)?;

    // 5. The naive client, last: it meets a server the sync has warmed,
    // which favours it.
    eprintln!("bench: naive client ...");
    let (naive_requests, naive_time) = timed(naive(&server)).await?;
    writeln!(report, "\n### Naive client\n")?;
    writeln!(
        report,
        "(b) every cached field, sequential pages of 1,000: {} in {naive_requests} requests; full sync / naive = {:.2}.",
        secs(naive_time),
        full_time.as_secs_f64() / naive_time.as_secs_f64()
    )?;
    flush(&report, quick)?;
    println!("{report}");
    Ok(())
}

/// Search latency over 1,000 queries drawn from the cache, as a section of
/// the report.
fn measure_search(store: &Store) -> anyhow::Result<String> {
    let queries = queries(store, 1000)?;
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0;
    for query in &queries {
        let start = Instant::now();
        let hits = store.search(query, 20)?;
        latencies.push(start.elapsed());
        found += usize::from(!hits.is_empty());
    }
    latencies.sort();
    let mut report = String::new();
    writeln!(
        report,
        "\n### Search, {} queries over the synced cache\n",
        queries.len()
    )?;
    writeln!(
        report,
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {found} of {} found something.",
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100]),
        ms(*latencies.last().expect("queries")),
        queries.len()
    )?;
    Ok(report)
}

/// Pricing one line offline as the editor does (the price book, the
/// product and the customer's list read from the cache, then
/// `price_sale`) for 1,000 (customer, product, quantity) drawn from the
/// cache, against Tryton pricing the same line (`sale_price_uom` on the
/// sale's list, one request each, as its client asks on a quantity
/// change); and how many of the laptop's prices differ from Tryton's (the
/// goal is none), as a section of the report.
async fn measure_pricing(session: &RawSession, store: &Store) -> anyhow::Result<String> {
    use fieldbook_core::pricing::{LineToPrice, SaleToPrice, price_sale};
    use rust_decimal::Decimal;
    const LINES: usize = 1000;
    let customers = store.local_ids(Entity::Customers)?;
    let products = store.local_ids(Entity::Products)?;
    anyhow::ensure!(
        !customers.is_empty() && !products.is_empty(),
        "nothing cached to price"
    );
    // Around the seeded tiers (10, 20, 50, 100, 500, 1,000).
    let quantities = [1, 3, 9, 10, 12, 20, 49, 50, 100, 250, 500, 1000];
    let digits = store.currency_digits()?;
    let today = chrono::Local::now().date_naive();
    let mut draw = 0x5eed_u64;
    let mut next = |below: usize| {
        draw = draw
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((draw >> 33) % below as u64) as usize
    };
    let (mut laptop, mut tryton) = (Vec::new(), Vec::new());
    let (mut mismatches, mut unknown, mut examples) = (0, 0, Vec::new());
    for _ in 0..LINES {
        let customer = customers[next(customers.len())];
        let product = products[next(products.len())];
        let units: u32 = quantities[next(quantities.len())];
        let quantity = Decimal::from(units);

        let start = Instant::now();
        let book = store.price_book()?;
        let priced_product = store
            .priced_product(product)?
            .context("a cached product is not cached")?;
        let sale = SaleToPrice {
            customer_list_id: store.customer_price_list(customer)?,
            date: today,
            currency_digits: digits,
            lines: vec![LineToPrice {
                product: priced_product,
                quantity,
                typed_price: None,
                discount: Decimal::ZERO,
            }],
        };
        let priced = price_sale(&book, &sale);
        laptop.push(start.elapsed());

        let mut context = session.context().clone();
        context["price_list"] = json!(priced.price_list_id);
        context["customer"] = json!(customer);
        context["quantity"] = json!(f64::from(units));
        let start = Instant::now();
        let rows = session
            .call(
                "model.product.product.read",
                json!([[product], ["sale_price_uom"], context]),
            )
            .await?;
        tryton.push(start.elapsed());
        let erps = rows
            .get(0)
            .and_then(|row| row.get("sale_price_uom"))
            .and_then(|price| price.get("decimal"))
            .and_then(Value::as_str)
            .map(str::parse::<Decimal>)
            .transpose()?;
        match &priced.lines[0].price {
            Ok((price, _)) if Some(price.normalize()) == erps.map(|p| p.normalize()) => {}
            Err(why) if why.erp_has_no_price() && erps.is_none() => {}
            Err(why) if !why.erp_has_no_price() => unknown += 1,
            other => {
                mismatches += 1;
                if examples.len() < 5 {
                    examples.push(format!(
                        "customer {customer}, product {product} × {quantity}: laptop {other:?}, Tryton {erps:?}"
                    ));
                }
            }
        }
    }
    laptop.sort();
    tryton.sort();
    let p = |latencies: &[Duration], at: usize| ms(latencies[latencies.len() * at / 100]);
    let mut report = String::new();
    writeln!(
        report,
        "\n### Pricing a line, {LINES} (customer, product, quantity) drawn from the cache\n"
    )?;
    writeln!(report, "| | p50 | p99 | max |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| Fieldbook offline (cache reads and `price_sale`, as the editor) | {:.3} ms | {:.3} ms | {:.3} ms |",
        p(&laptop, 50),
        p(&laptop, 99),
        ms(*laptop.last().expect("lines"))
    )?;
    writeln!(
        report,
        "| Tryton pricing the same line (`sale_price_uom`, one request) | {:.3} ms | {:.3} ms | {:.3} ms |",
        p(&tryton, 50),
        p(&tryton, 99),
        ms(*tryton.last().expect("lines"))
    )?;
    writeln!(
        report,
        "\nOffline / Tryton at p99: {:.3}. Prices that differ from Tryton's: {mismatches} of {LINES}; unknown offline (the ERP prices them): {unknown}.",
        p(&laptop, 99) / p(&tryton, 99)
    )?;
    for example in examples {
        writeln!(report, "- {example}")?;
    }
    Ok(report)
}

/// Writes the figures so far to target/bench/, so an interrupted run still
/// leaves what it measured.
fn flush(report: &str, quick: bool) -> anyhow::Result<()> {
    let out = fieldbook_testkit::target_dir().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join(if quick { "quick.md" } else { "latest.md" }),
        report,
    )?;
    Ok(())
}

async fn sync(erp: &std::sync::Arc<Tryton>, store: &mut Store) -> anyhow::Result<SyncReport> {
    Ok(fieldbook_sync::pull(erp, store, &SyncOptions::default(), &Utc::now, &mut |_| {}).await?)
}

async fn timed<T>(
    future: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, Duration)> {
    let start = Instant::now();
    let value = future.await?;
    Ok((value, start.elapsed()))
}

/// A client that reads every field the cache holds the obvious way: one
/// model after another, sequential `search_read` pages of 1,000, computed
/// fields included, stock read once per warehouse.
async fn naive(server: &TrytonServer) -> anyhow::Result<u64> {
    let session = RawSession::connect(server.sales_config()).await?;
    let context = session.context().clone();
    let warehouses: Vec<i64> = session
        .call(
            "model.stock.location.search",
            json!([[["type", "=", "warehouse"]], 0, null, null, context]),
        )
        .await?
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let mut reads: Vec<(&str, Value, Vec<&str>, Value)> = vec![
        (
            "stock.location",
            json!([["type", "=", "warehouse"]]),
            vec!["name", "code"],
            context.clone(),
        ),
        (
            "party.party",
            json!([]),
            vec![
                "code",
                "name",
                "tax_identifier",
                "credit_amount",
                "credit_limit_amount",
                "receivable",
            ],
            context.clone(),
        ),
        (
            "party.address",
            json!([]),
            vec![
                "party",
                "party_name",
                "street",
                "postal_code",
                "city",
                "subdivision",
                "country",
                "invoice",
                "delivery",
            ],
            context.clone(),
        ),
        (
            "party.contact_mechanism",
            json!([]),
            vec!["party", "type", "value", "name"],
            context.clone(),
        ),
        (
            "sale.sale",
            json!([]),
            vec![
                "number",
                "party",
                "reference",
                "state",
                "sale_date",
                "currency",
                "untaxed_amount",
                "tax_amount",
                "total_amount",
            ],
            context.clone(),
        ),
        (
            "sale.line",
            json!([["type", "=", "line"]]),
            vec![
                "sale",
                "product",
                "description",
                "quantity",
                "unit",
                "unit_price",
                "amount",
            ],
            context.clone(),
        ),
        (
            "account.invoice",
            json!([["type", "=", "out"], ["state", "=", "posted"]]),
            vec![
                "number",
                "party",
                "invoice_date",
                "state",
                "currency",
                "total_amount",
                "amount_to_pay",
                "lines_to_pay",
            ],
            context.clone(),
        ),
        (
            "account.move.line",
            json!([["party", "!=", null], ["account.type.receivable", "=", true], ["credit", ">", {"__class__": "Decimal", "decimal": "0"}]]),
            vec![
                "party",
                "date",
                "credit",
                "debit",
                "description",
                "maturity_date",
            ],
            context.clone(),
        ),
    ];
    for warehouse in warehouses {
        let mut with_location = context.clone();
        with_location["locations"] = json!([warehouse]);
        reads.push((
            "product.product",
            json!([]),
            vec![
                "code",
                "name",
                "description",
                "default_uom",
                "list_price_used",
                "salable",
                "quantity",
                "forecast_quantity",
            ],
            with_location,
        ));
    }
    let mut requests = 0;
    for (model, domain, fields, context) in reads {
        let mut offset = 0;
        loop {
            let rows = session
                .call(
                    &format!("model.{model}.search_read"),
                    json!([domain, offset, 1000, [["id", "ASC"]], fields, context]),
                )
                .await?;
            requests += 1;
            let count = rows.as_array().map_or(0, Vec::len);
            offset += count;
            if count < 1000 {
                break;
            }
        }
    }
    Ok(requests)
}

/// Replays the requests one after another, timing each, to show where
/// Tryton spends its time; returns the time by request kind and in all.
async fn replay_timed(
    session: &RawSession,
    requests: &[(String, Value)],
) -> anyhow::Result<(Vec<(String, usize, Duration)>, Duration)> {
    let mut totals: std::collections::BTreeMap<String, (usize, Duration)> = Default::default();
    let mut all = Duration::ZERO;
    for (method, params) in requests {
        let start = Instant::now();
        session
            .call(method, params.clone())
            .await
            .with_context(|| format!("replaying {method}"))?;
        let took = start.elapsed();
        all += took;
        let mut key = method.trim_start_matches("model.").to_string();
        // Stock reads name the warehouse in their context; say so.
        if params
            .as_array()
            .and_then(|p| p.last())
            .is_some_and(|context| context.get("locations").is_some())
        {
            key.push_str(" (stock per warehouse)");
        }
        let entry = totals.entry(key).or_default();
        entry.0 += 1;
        entry.1 += took;
    }
    let mut rows: Vec<_> = totals
        .into_iter()
        .map(|(key, (count, time))| (key, count, time))
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.2));
    Ok((rows, all))
}

fn by_method(rows: &[(String, usize, Duration)]) -> String {
    let all_seconds: f64 = rows.iter().map(|row| row.2.as_secs_f64()).sum();
    let mut text = String::from("| request | count | time | share |\n|---|---|---|---|\n");
    for (method, count, time) in rows {
        text.push_str(&format!(
            "| {method} | {count} | {} | {:.0} % |\n",
            match time.as_secs() {
                0..10 => format!("{} ms", time.as_millis()),
                _ => secs(*time),
            },
            100.0 * time.as_secs_f64() / all_seconds
        ));
    }
    text
}

/// Makes `count` changes in Tryton as its users would: renamed customers,
/// edited addresses, new product prices.
async fn make_changes(server: &TrytonServer, count: usize) -> anyhow::Result<usize> {
    let admin = server.admin().await?;
    let context = admin.context().clone();
    let search = |model: &str, limit: usize| {
        let admin = &admin;
        let context = context.clone();
        let model = model.to_string();
        async move {
            let ids = admin
                .call(
                    &format!("model.{model}.search"),
                    json!([[], 0, limit, [["id", "DESC"]], context]),
                )
                .await?;
            anyhow::Ok(
                ids.as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
        }
    };
    let parties = search("party.party", count * 2 / 5).await?;
    let addresses = search("party.address", count * 3 / 10).await?;
    let templates = search("product.template", count - parties.len() - addresses.len()).await?;
    for id in &parties {
        admin
            .call(
                "model.party.party.write",
                json!([[id], {"name": format!("Renamed customer {id} 改名客户")}, context]),
            )
            .await?;
    }
    for id in &addresses {
        admin
            .call(
                "model.party.address.write",
                json!([[id], {"street": format!("新街 {id} 号")}, context]),
            )
            .await?;
    }
    for id in &templates {
        let price = json!({"__class__": "Decimal", "decimal": format!("{}.50", 10 + id % 90)});
        admin
            .call(
                "model.product.template.write",
                json!([[id], {"list_price": price}, context]),
            )
            .await?;
    }
    Ok(parties.len() + addresses.len() + templates.len())
}

/// Queries a salesperson would type, drawn from the cache: two Chinese
/// characters from inside a name, the first three letters of a Latin name,
/// a code, a phone number's digits.
fn queries(store: &Store, count: usize) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entity in [Entity::Customers, Entity::Products] {
        for id in store.local_ids(entity)?.into_iter().step_by(7).take(count) {
            let name = match entity {
                Entity::Customers => store.customer(CustomerRef::Id(id))?.map(|view| {
                    let phone = view
                        .contacts
                        .iter()
                        .find(|c| c.kind == "phone" || c.kind == "mobile")
                        .map(|c| c.value.clone());
                    (view.customer.value.name, view.customer.value.code, phone)
                }),
                _ => store
                    .product(ProductRef::Id(id))?
                    .map(|view| (view.product.value.name, view.product.value.code, None)),
            };
            names.extend(name);
        }
    }
    let mut queries = Vec::new();
    for (index, (name, code, phone)) in names.iter().enumerate() {
        let query = match index % 4 {
            0 | 1 => {
                let chars: Vec<char> = name.chars().collect();
                if chars.iter().any(|c| !c.is_ascii()) {
                    let start = (index / 4) % chars.len().saturating_sub(2).max(1);
                    chars[start..(start + 2).min(chars.len())].iter().collect()
                } else {
                    name.chars().take(3).collect::<String>().to_lowercase()
                }
            }
            2 => code.clone().unwrap_or_else(|| name.clone()),
            _ => phone
                .clone()
                .map(|p| p.chars().filter(char::is_ascii_digit).collect())
                .unwrap_or_else(|| name.clone()),
        };
        queries.push(query);
        if queries.len() == count {
            break;
        }
    }
    Ok(queries)
}

fn records(report: &SyncReport) -> String {
    let mut parts: Vec<String> = report
        .pulled
        .iter()
        .map(|(entity, n)| format!("{} {n}", entity.name()))
        .collect();
    parts.push(format!(
        "stock refreshed for {} products",
        report.stock_refreshed
    ));
    parts.push(format!("credit for {} customers", report.credit_refreshed));
    parts.join(", ")
}

/// Resets the kernel's record of this process's peak resident memory.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} cores, measured {}", Utc::now().format("%Y-%m-%d"))
}

fn secs(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
