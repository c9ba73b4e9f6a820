//! `cargo xtask bench --window`: the desktop window at benchmark size, in
//! the same harness as the window tests (Xvfb, a real Secret Service,
//! WebDriver) against the real Tryton with 10,000 customers and 50,000
//! products.
//!
//! - *cold start to first page with data*: from asking WebDriver for a
//!   session (which starts the app) to the home page showing the last sync,
//!   with the cache and keyring already there, three times;
//! - *search as you type*: each keystroke to its results drawn on screen,
//!   as the window measures it (`ui/src/lib/perf.ts`), against Tryton alone
//!   answering the same searches (`party.party.search_read` on the name, 20
//!   rows) in the same run;
//! - *resident memory* of the app (its process and WebKit's web and network
//!   processes) after the first full sync.
//!
//! Figures go to target/bench/window.md and BENCHMARKS.md.

#[path = "../tests/desktop/mod.rs"]
mod desktop;

use desktop::{Desktop, Window};
use fieldbook_testkit::{Dataset, TrytonServer};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Benchmark size in customers and products; few sales, which cost the
/// seeding most of its time and the window nothing here.
const WINDOW: Dataset = Dataset {
    customers: 10_000,
    products: 50_000,
    sales: 40,
    seed: 42,
};

/// What a salesperson types into the customer search: two Chinese
/// characters from inside names, the start of a Latin name, a code, a
/// phone number's digits.
const QUERIES: &[&str] = &["科技", "贸易", "有限", "acme", "tra", "C0012", "1380"];

/// Between keystrokes: a fast typist.
const KEY_PAUSE: Duration = Duration::from_millis(150);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    eprintln!("bench: starting Tryton with {WINDOW:?} (seeded once, then reused) ...");
    let server = TrytonServer::start(WINDOW)?;
    if std::env::args().any(|arg| arg == "--seed-only") {
        // Seeding takes minutes: done ahead, it leaves the machine quiet
        // for the measurements.
        return Ok(());
    }
    let desktop = Desktop::start()?;
    let mut report = String::new();
    writeln!(
        report,
        "### The window ({} customers, {} products)\n",
        WINDOW.customers, WINDOW.products
    )?;

    // First run: connect and the first full sync, as a salesperson does.
    let window = Window::open(&desktop).await?;
    let config = server.sales_config();
    window.fill("connect-url", &config.url).await;
    window.fill("connect-database", &config.database).await;
    window.fill("connect-login", &config.login).await;
    window.fill("connect-password", &config.password).await;
    let sync_started = Instant::now();
    window.click("connect-submit").await;
    window
        .wait_text_for("home-last-sync", Duration::from_secs(1800), |text| {
            !text.is_empty()
        })
        .await;
    let first_sync = sync_started.elapsed();
    eprintln!("bench: first sync {first_sync:?}");
    let memory = app_memory()?;

    // Search as you type right after the first sync, then Tryton alone
    // answering the same searches.
    let after_sync = type_queries(&window).await?;
    let typed = typed_prefixes();
    let sales = fieldbook_erp::tryton::RawSession::connect(server.sales_config()).await?;
    let mut tryton = Vec::new();
    for text in &typed {
        let started = Instant::now();
        sales
            .call(
                "model.party.party.search_read",
                serde_json::json!([
                    [["rec_name", "ilike", format!("%{text}%")]],
                    0,
                    20,
                    null,
                    ["rec_name", "code"],
                    sales.context()
                ]),
            )
            .await?;
        tryton.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    // Cold starts: the app closed and opened again on its cache. After the
    // last, the salesperson's every day: the same searches typed in a
    // window just started.
    window.close().await;
    let mut starts = Vec::new();
    let mut fresh = None;
    for round in 0..3 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let started = Instant::now();
        let window = Window::open(&desktop).await?;
        window
            .wait_text("home-last-sync", |text| !text.is_empty())
            .await;
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        if round == 2 {
            fresh = Some(type_queries(&window).await?);
        }
        window.close().await;
    }
    let fresh = fresh.expect("the last round types");

    writeln!(report, "| | figure | target | Tryton alone |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| cold start to the home page with data (median of 3; each: {}) | {:.0} ms | under 1,000 ms | |",
        starts
            .iter()
            .map(|ms| format!("{ms:.0} ms"))
            .collect::<Vec<_>>()
            .join(", "),
        median(&starts)
    )?;
    for (label, typing) in [
        ("in a window just started on its cache", &fresh),
        ("right after the first sync", &after_sync),
    ] {
        let (total, asking, drawing) = (
            typing.each_of(|search| search.total_ms),
            typing.each_of(|search| search.asking_ms),
            typing.each_of(|search| search.drawing_ms),
        );
        writeln!(
            report,
            "| keystroke to results drawn {label}, p50 / p99 / max over {} keystrokes | {:.1} / {:.1} / {:.1} ms | under 50 ms | {:.1} / {:.1} / {:.1} ms |",
            total.len(),
            percentile(&total, 0.5),
            percentile(&total, 0.99),
            percentile(&total, 1.0),
            percentile(&tryton, 0.5),
            percentile(&tryton, 0.99),
            percentile(&tryton, 1.0),
        )?;
        writeln!(
            report,
            "| of which asking the backend (IPC and the command), p50 / p99 | {:.1} / {:.1} ms | | |",
            percentile(&asking, 0.5),
            percentile(&asking, 0.99),
        )?;
        writeln!(
            report,
            "| of which drawing the answer, p50 / p99 (two idle frames: {:.1} ms) | {:.1} / {:.1} ms | | |",
            median(&typing.idle_frames),
            percentile(&drawing, 0.5),
            percentile(&drawing, 0.99),
        )?;
    }
    writeln!(
        report,
        "| resident memory after the first full sync: app / WebKit web and network processes / total | {} / {} / {} MiB | | |",
        memory.app / 1024,
        memory.webkit / 1024,
        (memory.app + memory.webkit) / 1024
    )?;
    for (label, typing) in [
        ("in a window just started", &fresh),
        ("right after the first sync", &after_sync),
    ] {
        writeln!(
            report,
            "\nEach keystroke {label} (text so far: window (asking + drawing) / Tryton alone, ms): {}.",
            typing.each(&typed, &tryton)
        )?;
    }
    writeln!(
        report,
        "\nFirst full sync through the window: {:.1} s. Keystroke p50 in a window just started / Tryton alone = {:.2}. Queries typed: {}.",
        first_sync.as_secs_f64(),
        percentile(&fresh.each_of(|search| search.total_ms), 0.5) / percentile(&tryton, 0.5),
        QUERIES.join(", ")
    )?;
    print!("{report}");
    let out = fieldbook_testkit::target_dir().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("window.md"), &report)?;
    Ok(())
}

/// One answered keystroke as the window measured it (`ui/src/lib/perf.ts`),
/// in milliseconds.
#[derive(serde::Deserialize)]
struct Search {
    /// The text answered (an answer overtaken by the next keystroke is
    /// dropped unseen, so not every prefix typed has one).
    text: String,
    /// From the keystroke to its results drawn, in milliseconds (a time,
    /// not an amount of money).
    #[serde(rename = "total")]
    total_ms: f64,
    /// Of which asking the backend (IPC and the command).
    #[serde(rename = "asking")]
    asking_ms: f64,
    /// Of which from the answer to it drawn.
    #[serde(rename = "drawing")]
    drawing_ms: f64,
}

/// What the window measured of one round of typing `QUERIES`.
struct Typing {
    searches: Vec<Search>,
    /// The floor of "drawn" as the window measures it: two animation
    /// frames with nothing to draw, ten times.
    idle_frames: Vec<f64>,
}

impl Typing {
    /// One figure of every keystroke.
    fn each_of(&self, figure: impl Fn(&Search) -> f64) -> Vec<f64> {
        self.searches.iter().map(figure).collect()
    }

    /// Each keystroke: text, window (asking + drawing) / Tryton alone.
    fn each(&self, typed: &[String], tryton: &[f64]) -> String {
        self.searches
            .iter()
            .map(|search| {
                let alone = typed
                    .iter()
                    .position(|typed| *typed == search.text)
                    .map_or("-".to_owned(), |index| format!("{:.0}", tryton[index]));
                format!(
                    "{} {:.0} ({:.0} + {:.0})/{alone}",
                    search.text, search.total_ms, search.asking_ms, search.drawing_ms
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every prefix of every query, in the order typed.
fn typed_prefixes() -> Vec<String> {
    let mut typed = Vec::new();
    for query in QUERIES {
        let mut prefix = String::new();
        for character in query.chars() {
            prefix.push(character);
            typed.push(prefix.clone());
        }
    }
    typed
}

/// Opens the customer list and types every query a key at a time, then
/// reads what the window measured (`ui/src/lib/perf.ts`).
async fn type_queries(window: &Window) -> anyhow::Result<Typing> {
    window.click("nav-customers").await;
    let before = window
        .script("return window.__fieldbookPerf.searches.length;")
        .await
        .as_u64()
        .unwrap_or(0);
    for query in QUERIES {
        window.fill("search-input", "").await;
        window.type_slowly("search-input", query, KEY_PAUSE).await;
        window.wait("search-result").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let searches = window
        .script(&format!(
            "return window.__fieldbookPerf.searches.slice({before});"
        ))
        .await;
    let idle_frames = window
        .script(
            "return (async () => { const times = []; \
             for (let i = 0; i < 10; i++) { const start = performance.now(); \
             await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); \
             times.push(performance.now() - start); } return times; })();",
        )
        .await;
    Ok(Typing {
        searches: serde_json::from_value(searches)?,
        idle_frames: serde_json::from_value(idle_frames)?,
    })
}

struct Memory {
    /// KiB resident in the app's own process.
    app: u64,
    /// KiB resident in its WebKit child processes.
    webkit: u64,
}

/// Resident memory of the running app and every process below it.
fn app_memory() -> anyhow::Result<Memory> {
    let binary = env!("CARGO_BIN_EXE_fieldbook-desktop");
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The parent is the second field after the command's closing paren.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let parent: u32 = after.split_whitespace().nth(1).unwrap_or("0").parse()?;
        parents.push((pid, parent));
    }
    let app = parents
        .iter()
        .map(|(pid, _)| *pid)
        .find(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.to_string_lossy() == binary)
        })
        .ok_or_else(|| anyhow::anyhow!("the app is not running"))?;
    let mut below = vec![app];
    let mut index = 0;
    while index < below.len() {
        let parent = below[index];
        below.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    let rss = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with("VmRSS:"))
                    .and_then(|line| line.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse().ok())
            })
            .unwrap_or(0)
    };
    Ok(Memory {
        app: rss(app),
        webkit: below[1..].iter().map(|pid| rss(*pid)).sum(),
    })
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

fn percentile(values: &[f64], fraction: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}
