//! The soak, as SQLite tests itself: round after round against the real
//! Tryton, the `fieldbook` command's sync is killed at random moments and
//! the network between it and Tryton misbehaves (answers dropped after
//! Tryton committed, answers cut in half, answers delayed, connections
//! refused), while orders are saved from a second process. After every 100
//! rounds and at the end: every order is in Tryton exactly once, no entry
//! is stuck, and the cache equals a clean sync's.
//!
//! `cargo xtask test` runs it for FIELDBOOK_SOAK_SECONDS (default 180);
//! `cargo xtask soak` for FIELDBOOK_SOAK_ROUNDS (1,000) and writes
//! target/soak/report.md.

mod common;

use common::{ok, sales_sent_from_fieldbook};
use fieldbook_store::{CacheKey, Store};
use fieldbook_testkit::{Dataset, SALES_LOGIN, SALES_PASSWORD, TrytonServer};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "soak-cache-key";

/// What the proxy does to the next answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    /// Nothing: the sync is killed at a random moment instead.
    Kill,
    /// The answer to a sale's create or its quote-and-confirm
    /// (`fieldbook_process`) is thrown away.
    Drop,
    /// Half of an answer to a sale's create or quote-and-confirm arrives.
    Half,
    /// Every piece of every answer waits 100 ms: syncs run long, and the
    /// saves of the second process land in the middle of them.
    Delay,
    /// Every connection is closed at once.
    Refuse,
}

const FAULTS: [Fault; 5] = [
    Fault::Kill,
    Fault::Drop,
    Fault::Half,
    Fault::Delay,
    Fault::Refuse,
];

/// A proxy in front of Tryton whose behaviour the soak sets per round.
struct Proxy {
    port: u16,
    mode: Arc<AtomicU8>,
    /// How many answers it spoiled.
    spoiled: Arc<Mutex<u64>>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(0));
        let spoiled = Arc::new(Mutex::new(0));
        let (shared_mode, shared_spoiled) = (Arc::clone(&mode), Arc::clone(&spoiled));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let fault = FAULTS[usize::from(shared_mode.load(Ordering::SeqCst))];
                let spoiled = Arc::clone(&shared_spoiled);
                std::thread::spawn(move || relay(client, target, fault, &spoiled));
            }
        });
        Proxy {
            port,
            mode,
            spoiled,
        }
    }

    fn set(&self, fault: Fault) {
        let index = FAULTS.iter().position(|f| *f == fault).unwrap();
        self.mode.store(index as u8, Ordering::SeqCst);
    }
}

/// One connection: the request goes to Tryton; the answer comes back, or
/// not, as `fault` says. Tryton's development server answers one request
/// per connection.
fn relay(mut client: TcpStream, target: u16, fault: Fault, spoiled: &Mutex<u64>) {
    if fault == Fault::Refuse {
        return;
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = server.set_read_timeout(Some(Duration::from_secs(60)));
    let mut upstream = server.try_clone().unwrap();
    let mut downstream = client.try_clone().unwrap();
    let spoil = Arc::new(AtomicU8::new(0));
    let flag = Arc::clone(&spoil);
    std::thread::spawn(move || {
        let mut buffer = vec![0; 65536];
        while let Ok(n) = downstream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buffer[..n]);
            if text.contains("\"model.sale.sale.create\"")
                || text.contains("\"model.sale.sale.fieldbook_process\"")
            {
                flag.store(1, Ordering::SeqCst);
            }
            if upstream.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
    });
    let mut buffer = vec![0; 65536];
    while let Ok(n) = server.read(&mut buffer) {
        if n == 0 {
            break;
        }
        if fault == Fault::Delay {
            std::thread::sleep(Duration::from_millis(100));
        }
        if spoil.load(Ordering::SeqCst) == 1 && matches!(fault, Fault::Drop | Fault::Half) {
            *spoiled.lock().unwrap() += 1;
            if fault == Fault::Half {
                let _ = client.write_all(&buffer[..n / 2]);
            }
            break;
        }
        if client.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        // `cargo xtask soak` runs a copy of the binary (FIELDBOOK_SOAK_CLI),
        // so that a build during its hour and a half cannot change what
        // it tests.
        let binary = std::env::var_os("FIELDBOOK_SOAK_CLI")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_fieldbook").into());
        let mut command = Command::new(binary);
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env("FIELDBOOK_PASSWORD", SALES_PASSWORD)
            .env("FIELDBOOK_CACHE_KEY", KEY)
            .env_remove("FIELDBOOK_DATA_DIR")
            .env_remove("FIELDBOOK_LOG")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn init(&self, url: &str, server: &TrytonServer) {
        ok(&self.run(&[
            "init",
            "--erp",
            url,
            "--database",
            server.database(),
            "--user",
            SALES_LOGIN,
        ]));
    }

    fn snapshot(&self) -> BTreeMap<String, Vec<String>> {
        Store::open(
            &self.dir.path().join("cache.db"),
            &CacheKey::new(KEY).unwrap(),
        )
        .unwrap()
        .snapshot()
        .unwrap()
    }
}

/// A small deterministic random source, so a failing run can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// What the checks found.
#[derive(Default)]
struct Tally {
    orders: usize,
    duplicates: usize,
    lost: usize,
}

/// Heals the network, syncs until a sync succeeds, and checks: every entry
/// done, each in Tryton exactly once, the cache equal to a clean sync's.
fn check(cli: &Cli, proxy: &Proxy, server: &TrytonServer, round: usize) -> Tally {
    proxy.set(Fault::Kill);
    let mut tries = 0;
    loop {
        let output = cli.run(&["sync"]);
        if output.status.success() {
            break;
        }
        tries += 1;
        assert!(
            tries < 5,
            "round {round}: the sync does not succeed on a healed network: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let entries: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["outbox", "list", "--json"]))).unwrap();
    let entries = entries.as_array().unwrap();
    for entry in entries {
        assert_eq!(entry["state"], "done", "round {round}: stuck: {entry}");
        assert_eq!(entry["in_flight"], false, "round {round}: {entry}");
    }
    let mut in_tryton: BTreeMap<String, usize> = BTreeMap::new();
    for sale in sales_sent_from_fieldbook(server) {
        *in_tryton
            .entry(sale["fieldbook_uuid"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let mut tally = Tally {
        orders: entries.len(),
        ..Tally::default()
    };
    for entry in entries {
        match in_tryton.get(entry["uuid"].as_str().unwrap()) {
            None => tally.lost += 1,
            Some(1) => {}
            Some(_) => tally.duplicates += 1,
        }
    }
    tally.duplicates += in_tryton.values().filter(|count| **count > 1).count();
    assert_eq!(tally.duplicates, 0, "round {round}: orders in Tryton twice");
    assert_eq!(tally.lost, 0, "round {round}: orders missing in Tryton");
    assert_eq!(
        in_tryton.len(),
        entries.len(),
        "round {round}: sales nobody wrote"
    );

    let clean = Cli {
        dir: tempfile::tempdir().unwrap(),
    };
    clean.init(&server.url(), server);
    ok(&clean.run(&["sync"]));
    assert!(
        clean.snapshot() == cli.snapshot(),
        "round {round}: the cache differs from a clean sync's"
    );
    tally
}

/// Raises the credit limit of these customers (by code) out of reach, as
/// the administrator.
fn lift_credit_limits(server: &TrytonServer, codes: &[&str]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let admin = server.admin().await.unwrap();
        let ids = admin
            .call(
                "model.party.party.search",
                serde_json::json!([[["code", "in", codes]], 0, null, null, admin.context()]),
            )
            .await
            .unwrap();
        assert_eq!(ids.as_array().map(Vec::len), Some(codes.len()), "{ids}");
        admin
            .call(
                "model.party.party.write",
                serde_json::json!([
                    ids,
                    {"credit_limit_amount": {"__class__": "Decimal", "decimal": "1000000000"}},
                    admin.context()
                ]),
            )
            .await
            .unwrap();
    });
}

#[test]
fn soak_every_order_reaches_tryton_exactly_once_whatever_breaks() {
    let seconds: u64 = std::env::var("FIELDBOOK_SOAK_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(180);
    let rounds: Option<usize> = std::env::var("FIELDBOOK_SOAK_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok());
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let customers = ["C-ACME", "C-HUAWEI", "C000003", "C000004"];
    // A thousand rounds of orders take any customer past a credit limit,
    // and Tryton would rightly refuse them: the soak is about faults, so
    // its customers may owe what they like.
    lift_credit_limits(&server, &customers);
    let proxy = Proxy::start(server.port());
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
    };
    cli.init(&format!("http://127.0.0.1:{}/", proxy.port), &server);
    ok(&cli.run(&["sync"]));

    // FIELDBOOK_SOAK_FAULTS (e.g. `Delay,Kill`) narrows the faults, to
    // replay a failure with only the kind that caused it.
    let faults: Vec<Fault> = match std::env::var("FIELDBOOK_SOAK_FAULTS") {
        Ok(names) => names
            .split(',')
            .map(|name| {
                *FAULTS
                    .iter()
                    .find(|fault| format!("{fault:?}").eq_ignore_ascii_case(name.trim()))
                    .unwrap_or_else(|| panic!("FIELDBOOK_SOAK_FAULTS: no fault {name:?}"))
            })
            .collect(),
        Err(_) => FAULTS.to_vec(),
    };
    let mut random = Random(0x50a6_2026);
    let mut injected: BTreeMap<Fault, u64> = BTreeMap::new();
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut round = 0;
    loop {
        let done = match rounds {
            Some(rounds) => round >= rounds,
            None => started.elapsed() >= Duration::from_secs(seconds),
        };
        if done {
            break;
        }
        let customer = customers[round % customers.len()];
        let line = format!("P-TEA:{}", 1 + round % 3);
        ok(&cli.run(&["order", "new", "--customer", customer, "--line", &line]));
        let fault = faults[random.next(faults.len() as u64) as usize];
        *injected.entry(fault).or_default() += 1;
        proxy.set(fault);
        let mut sync = cli
            .command(&["sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A save from a second process while the sync runs.
        if random.next(2) == 0 {
            ok(&cli.run(&["order", "new", "--customer", customer, "--line", "P-TEA:1"]));
        }
        if fault == Fault::Kill {
            std::thread::sleep(Duration::from_millis(random.next(1200)));
            let _ = sync.kill();
        }
        let ended = sync.wait_with_output().unwrap();
        let status = ended.status;
        // A fault ends a sync as a passing failure (4) or, killed, by the
        // signal; never as a refusal or a damaged cache.
        assert!(
            status.success() || status.code() == Some(4) || status.code().is_none(),
            "round {round} ({fault:?}): the sync ended with {status}: {}",
            String::from_utf8_lossy(&ended.stderr)
        );
        round += 1;
        if round % 100 == 0 {
            let found = check(&cli, &proxy, &server, round);
            tally.orders = found.orders;
        }
    }
    let found = check(&cli, &proxy, &server, round);
    tally.orders = found.orders;

    let report = format!(
        "Soak: {round} rounds in {:.0} s; faults: {}; answers spoiled by the proxy: {}; \
         orders: {}; duplicates: {}; lost: {}\n",
        started.elapsed().as_secs_f64(),
        injected
            .iter()
            .map(|(fault, count)| format!("{fault:?} {count}"))
            .collect::<Vec<_>>()
            .join(", "),
        proxy.spoiled.lock().unwrap(),
        tally.orders,
        tally.duplicates,
        tally.lost,
    );
    eprintln!("{report}");
    let out = fieldbook_testkit::target_dir().join("soak");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("report.md"), report).unwrap();
    assert!(round >= 1, "no round ran");
}
