//! The `fieldbook` command as a person or a script uses it, against the real
//! Tryton: bad input gets one clear message, a documented exit code, and an
//! untouched cache; an interrupted sync resumes and ends where a clean one
//! ends.

mod common;

use common::{ok, sales_sent_from_fieldbook};
use fieldbook_store::{CacheKey, Store};
use fieldbook_testkit::{Dataset, SALES_LOGIN, SALES_PASSWORD, TrytonServer};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const KEY: &str = "e2e-cache-key";

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fieldbook"));
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env("FIELDBOOK_PASSWORD", SALES_PASSWORD)
            .env("FIELDBOOK_CACHE_KEY", KEY)
            // Every log line there is, so that none can leak a secret
            // unseen (`run` checks each command's output).
            .env("FIELDBOOK_LOG", "trace")
            .env_remove("FIELDBOOK_DATA_DIR")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = self.command(args).output().unwrap();
        for text in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(text);
            let leaked = secrets_in(&text);
            assert!(
                leaked.is_empty(),
                "`fieldbook {}` printed {leaked:?}",
                args.join(" ")
            );
        }
        // The log files too, written at trace (`command`).
        let logs = self.dir.path().join("logs");
        let files: Vec<_> = std::fs::read_dir(&logs)
            .unwrap_or_else(|error| panic!("no log folder {}: {error}", logs.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        assert!(
            !files.is_empty(),
            "`fieldbook {}` logged nothing",
            args.join(" ")
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let leaked = secrets_in(&text);
            assert!(
                leaked.is_empty(),
                "`fieldbook {}` logged {leaked:?} in {}",
                args.join(" "),
                file.display()
            );
        }
        output
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache.db")
    }

    fn init(&self, server: &TrytonServer) -> Output {
        self.init_as(server, SALES_LOGIN)
    }

    fn init_as(&self, server: &TrytonServer, login: &str) -> Output {
        self.run(&[
            "init",
            "--erp",
            &server.url(),
            "--database",
            server.database(),
            "--user",
            login,
        ])
    }

    fn snapshot(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        Store::open(&self.cache(), &CacheKey::new(KEY).unwrap())
            .unwrap()
            .snapshot()
            .unwrap()
    }
}

/// The secrets `text` holds: the ERP password, the cache passphrase, or
/// the salesperson's session (Tryton's Authorization header is
/// `Session base64("login:user_id:key")`, so any session of theirs starts
/// with the same base64 text).
fn secrets_in(text: &str) -> Vec<&'static str> {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{SALES_LOGIN}:"));
    // Only the characters that do not depend on what follows the colon.
    let session_prefix = &encoded[..(SALES_LOGIN.len() + 1) / 3 * 4];
    let mut found = Vec::new();
    if text.contains(SALES_PASSWORD) {
        found.push("the ERP password");
    }
    if text.contains(KEY) {
        found.push("the cache passphrase");
    }
    if text.contains(session_prefix) || text.contains("Session ") {
        found.push("a session");
    }
    found
}

#[test]
fn the_secret_detector_finds_each_secret() {
    use base64::Engine;
    let session =
        base64::engine::general_purpose::STANDARD.encode(format!("{SALES_LOGIN}:7:0123abcd"));
    assert_eq!(
        secrets_in("all clear: synced 60 customers"),
        Vec::<&str>::new()
    );
    assert_eq!(
        secrets_in(&format!("password={SALES_PASSWORD}")),
        ["the ERP password"]
    );
    assert_eq!(secrets_in(&format!("key {KEY}")), ["the cache passphrase"]);
    assert_eq!(
        secrets_in(&format!("authorization: \"{session}\"")),
        ["a session"]
    );
}

/// Asserts the exit code and that stderr says `words`; returns stderr.
#[track_caller]
fn check(output: &Output, code: i32, words: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(stderr.contains(words), "expected {words:?} in: {stderr}");
    stderr
}

/// An HTTP server on loopback that is not Tryton: answers every request
/// with a plain web page.
fn not_tryton() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
        }
    });
    url
}

#[test]
fn init_refuses_a_wrong_address_database_or_password_and_writes_nothing() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    let closed_port = format!(
        "http://127.0.0.1:{}/",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let cases: [(Vec<String>, i32, &str); 7] = [
        (
            vec![closed_port, server.database().into(), SALES_LOGIN.into()],
            4,
            "cannot reach the ERP",
        ),
        // Refused before any connection is tried.
        (
            vec![
                "http://erp.example.com:8000/".into(),
                server.database().into(),
                SALES_LOGIN.into(),
            ],
            5,
            "refusing to send the ERP password over plain http://",
        ),
        (
            vec![
                format!("https://{SALES_LOGIN}:{SALES_PASSWORD}@erp.example.com/"),
                server.database().into(),
                SALES_LOGIN.into(),
            ],
            5,
            "contains a login or password",
        ),
        (
            vec![not_tryton(), server.database().into(), SALES_LOGIN.into()],
            5,
            "does not answer like a Tryton ERP",
        ),
        (
            vec![
                "erp.example.com".into(),
                server.database().into(),
                SALES_LOGIN.into(),
            ],
            5,
            "must start with http",
        ),
        (
            vec![server.url(), "no_such_db".into(), SALES_LOGIN.into()],
            5,
            "has no database named \"no_such_db\"",
        ),
        (
            vec![server.url(), server.database().into(), "nobody".into()],
            5,
            "refused the login \"nobody\"",
        ),
    ];
    for (args, code, words) in cases {
        let output = cli.run(&[
            "init",
            "--erp",
            &args[0],
            "--database",
            &args[1],
            "--user",
            &args[2],
        ]);
        check(&output, code, words);
        assert!(!cli.cache().exists(), "{args:?} left a cache behind");
    }
    let output = cli
        .command(&[
            "init",
            "--erp",
            &server.url(),
            "--database",
            server.database(),
            "--user",
            SALES_LOGIN,
        ])
        .env("FIELDBOOK_PASSWORD", "wrong password")
        .output()
        .unwrap();
    check(&output, 5, "check the login and the password");
    assert!(!cli.cache().exists());

    // 0.0.0.0 is not this computer's loopback name, so plain http:// to it
    // needs the administrator's word; given (as the environment variable,
    // in the form the README shows), it is tried and found closed.
    let unspecified = "http://0.0.0.0:9/";
    let init = |allow: Option<&str>| {
        let mut command = cli.command(&[
            "init",
            "--erp",
            unspecified,
            "--database",
            server.database(),
            "--user",
            SALES_LOGIN,
        ]);
        if let Some(allow) = allow {
            command.env("FIELDBOOK_ALLOW_INSECURE_HTTP", allow);
        }
        command.output().unwrap()
    };
    check(&init(None), 5, "--allow-insecure-http");
    check(&init(Some("0")), 5, "--allow-insecure-http");
    check(&init(Some("1")), 4, "cannot reach the ERP");
    assert!(!cli.cache().exists());

    ok(&cli.init(&server));
    check(&cli.init(&server), 6, "a cache already exists");
}

#[test]
fn a_synced_cache_answers_every_read_command_and_says_how_old_each_figure_is() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert!(
        report["pulled"]["customers"].as_u64().unwrap() > 60,
        "{report}"
    );

    let customer = ok(&cli.run(&["customer", "c-limit"]));
    assert!(customer.contains("北京小额贸易有限公司"), "{customer}");
    assert!(customer.contains("Credit as of just now"), "{customer}");
    assert!(customer.contains("limit      5,000.00 CNY"), "{customer}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["customer", "C-LIMIT", "--json"]))).unwrap();
    assert_eq!(json["credit"]["limit"], "5000.00");
    assert!(json["credit"]["synced_at"].is_string());
    assert!(!json["open_invoices"].as_array().unwrap().is_empty());

    let product: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["product", "P-TEA", "--json"]))).unwrap();
    assert_eq!(product["stock"].as_array().unwrap().len(), 2, "{product}");
    assert!(product["stock"][0]["synced_at"].is_string());

    let hits: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["search", "华为", "--json"]))).unwrap();
    assert_eq!(hits[0]["code"], "C-HUAWEI");
    let status: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["status", "--json"]))).unwrap();
    assert_eq!(status["erp"]["login"], SALES_LOGIN);

    check(
        &cli.run(&["customer", "C-NOBODY"]),
        3,
        "no customer with code \"C-NOBODY\"",
    );
    check(
        &cli.run(&["product", "P-NOTHING"]),
        3,
        "no product with code \"P-NOTHING\"",
    );
}

#[test]
fn a_salesperson_without_fieldbooks_group_syncs_the_rest_exits_7_and_is_told_whom_to_ask() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(server.salesperson_without_fieldbook_group("sales-new"))
        .unwrap();
    let cli = Cli::new();
    ok(&cli.init_as(&server, "sales-new"));

    let sync = cli.run(&["sync"]);
    let stderr = check(&sync, 7, "Not readable since");
    assert!(String::from_utf8_lossy(&sync.stdout).contains("Synced:"));
    for words in [
        "invoices: the ERP user \"sales-new\" may not read account.move.line",
        "payments: ",
        "\"Fieldbook salesperson\"",
        "asks again every hour",
    ] {
        assert!(stderr.contains(words), "expected {words:?} in: {stderr}");
    }

    // What it may read is there: customers with their credit.
    let customer = ok(&cli.run(&["customer", "C-LIMIT"]));
    assert!(customer.contains("limit      5,000.00 CNY"), "{customer}");
    let status = ok(&cli.run(&["status"]));
    assert!(
        status.contains("not readable by your ERP user") && status.contains("Not readable since"),
        "{status}"
    );

    // A script reads the parts from JSON, sync's and status's alike.
    let again = cli.run(&["sync", "--json"]);
    assert_eq!(again.status.code(), Some(7));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let parts = |value: &serde_json::Value| -> Vec<String> {
        value["not_readable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|part| part["part"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(parts(&report), ["invoices", "payments", "credit_moves"]);
    let status: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["status", "--json"]))).unwrap();
    assert_eq!(parts(&status), parts(&report));
}

#[test]
fn a_cache_that_is_locked_damaged_too_new_or_opened_with_the_wrong_key_is_refused_untouched() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    ok(&cli.run(&["sync"]));
    let pristine = std::fs::read(cli.cache()).unwrap();

    let wrong_key = cli
        .command(&["status"])
        .env("FIELDBOOK_CACHE_KEY", "not the key")
        .output()
        .unwrap();
    check(&wrong_key, 6, "the encryption key is wrong");
    assert_eq!(std::fs::read(cli.cache()).unwrap(), pristine);

    // Another sync holds the cache.
    let lock = std::fs::File::create(cli.dir.path().join("sync.lock")).unwrap();
    lock.lock().unwrap();
    check(&cli.run(&["sync"]), 6, "in use by another program");
    drop(lock);
    assert_eq!(std::fs::read(cli.cache()).unwrap(), pristine);

    // A cache written by a newer Fieldbook.
    let newer = tempfile::tempdir().unwrap();
    let newer_path = newer.path().join("cache.db");
    std::fs::copy(cli.cache(), &newer_path).unwrap();
    {
        let conn = rusqlite::Connection::open(&newer_path).unwrap();
        conn.pragma_update(None, "key", KEY).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let too_new = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
        .arg("--data-dir")
        .arg(newer.path())
        .arg("status")
        .env("FIELDBOOK_CACHE_KEY", KEY)
        .output()
        .unwrap();
    check(&too_new, 6, "written by a newer Fieldbook");

    // Damage: garbage over everything but the first pages, so the file
    // still opens and the damage shows on the first real read.
    let mut damaged = pristine.clone();
    let end = damaged.len();
    damaged[8192..end].fill(0x42);
    std::fs::write(cli.cache(), &damaged).unwrap();
    let output = cli.run(&["search", "华为"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("the cache is damaged"), "{stderr}");
    assert_eq!(
        std::fs::read(cli.cache()).unwrap(),
        damaged,
        "a damaged cache is left for the user to move away"
    );

    // No cache at all.
    let empty = Cli::new();
    check(&empty.run(&["status"]), 6, "run `fieldbook init` first");
}

#[test]
fn the_erp_going_down_mid_sync_leaves_a_consistent_cache_that_resumes() {
    let mut server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    let mut child = cli
        .command(&["sync", "--page-size", "3"])
        .env("FIELDBOOK_PROGRESS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the ERP once the sync is well into the customers, whatever the
    // machine's speed.
    let mut progress = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut stderr = String::new();
    loop {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut progress, &mut line).unwrap() > 0,
            "the sync ended early: {stderr}"
        );
        stderr.push_str(&line);
        if line.starts_with("customers") && line.contains("9/") {
            break;
        }
    }
    server.stop();
    progress.read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("cannot reach the ERP"), "{stderr}");

    // Every read still works from what arrived, and status says a sync was cut short.
    let status: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["status", "--json"]))).unwrap();
    let interrupted = status["entities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|entity| entity["interrupted"] == true);
    assert!(interrupted, "{status}");
    ok(&cli.run(&["search", "acm"]));

    server.resume().unwrap();
    ok(&cli.run(&["sync", "--page-size", "3"]));
    let clean = Cli::new();
    ok(&clean.init(&server));
    ok(&clean.run(&["sync"]));
    assert_eq!(cli.snapshot(), clean.snapshot());
}

#[test]
fn a_sync_killed_at_random_points_resumes_and_ends_equal_to_a_clean_one() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    // Deterministic "random" delays, spread over the whole first sync.
    let mut state: u64 = 0x5eed;
    for _ in 0..12 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(100 + (state >> 33) % 2500);
        let mut child = cli
            .command(&["sync", "--page-size", "5"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        // Whatever the moment, the cache opens and answers.
        ok(&cli.run(&["status"]));
    }
    ok(&cli.run(&["sync", "--page-size", "5"]));
    let clean = Cli::new();
    ok(&clean.init(&server));
    ok(&clean.run(&["sync"]));
    assert_eq!(cli.snapshot(), clean.snapshot());
}

#[test]
fn an_order_written_offline_is_sent_by_the_next_sync_and_comes_back_numbered() {
    let mut server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    ok(&cli.run(&["sync"]));

    // Written with the ERP down: saved, with what the salesperson should know.
    server.stop();
    let saved: serde_json::Value = serde_json::from_str(&ok(&cli.run(&[
        "order",
        "new",
        "--customer",
        "C-ACME",
        "--line",
        "P-TEA:2",
        "--line",
        "P-TEA:1:150:10",
        // No price typed: its list price has four decimals (0.1235), a
        // unit price, not an amount; only the line's amount rounds to cents.
        "--line",
        "P-BOLT:7",
        "--reference",
        "PO-118",
        "--note",
        "周五前送达",
        "--json",
    ])))
    .unwrap();
    assert_eq!(saved["kind"], "order");
    // 2 × 168 + 150 × 0.9 + 7 × 0.1235 (0.8645, 0.86 to the cent)
    assert_eq!(saved["estimated_total"], "471.86");
    let notes = saved["notes"].to_string();
    assert!(
        notes.contains("P-TEA: ") && notes.contains("left to promise at"),
        "{notes}"
    );
    let entry = saved["entry"].as_i64().unwrap().to_string();
    let listed = ok(&cli.run(&["outbox"]));
    assert!(listed.contains("waiting to be sent"), "{listed}");
    // While a sync holds the cache (it may be sending this very entry),
    // the entry is neither edited, retried nor discarded.
    {
        let lock = std::fs::File::create(cli.dir.path().join("sync.lock")).unwrap();
        lock.try_lock().unwrap();
        for args in [
            &["order", "edit", &entry, "--line", "P-TEA:3"][..],
            &["outbox", "retry", &entry],
            &["outbox", "discard", &entry],
        ] {
            check(&cli.run(args), 6, "in use by another program");
        }
    }
    let kept: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["outbox", "show", &entry, "--json"]))).unwrap();
    assert_eq!(
        kept["draft"]["lines"].as_array().map(Vec::len),
        Some(3),
        "{kept}"
    );
    check(&cli.run(&["sync"]), 4, "cannot reach the ERP");
    let listed = ok(&cli.run(&["outbox", "list"]));
    assert!(
        listed.contains("order for C-ACME") && listed.contains("waiting to be sent"),
        "{listed}"
    );

    // The ERP is back: the next sync sends it, once, and reads it back.
    server.resume().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    let number = report["sent"][0]["number"].as_str().unwrap().to_owned();
    assert_eq!(report["sent"][0]["total"], "471.86");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["order", "show", &entry, "--json"]))).unwrap();
    assert_eq!(shown["state"], "done");
    assert_eq!(shown["erp_number"], number.as_str());
    assert_eq!(shown["draft"]["note"], "周五前送达");
    let customer = ok(&cli.run(&["customer", "C-ACME"]));
    assert!(
        customer.contains(&number),
        "the pulled order shows: {customer}"
    );
    // A second sync sends nothing again.
    let again: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(again["sent"].as_array().unwrap().len(), 0);

    // A quote for a customer over their credit limit: a warning now, the
    // ERP's refusal (its own words) at sync, and nothing blocks the rest.
    let quote = ok(&cli.run(&[
        "order",
        "new",
        "--customer",
        "C-LIMIT",
        "--line",
        "P-TEA:10",
    ]));
    assert!(quote.contains("Warning: over the credit limit"), "{quote}");
    assert!(quote.contains("credit left after this: -"), "{quote}");
    let report = ok(&cli.run(&["sync"]));
    assert!(
        report.contains("Refused entry") && report.contains("credit limit"),
        "{report}"
    );
    let listed = ok(&cli.run(&["outbox"]));
    assert!(listed.contains("REFUSED by the ERP"), "{listed}");
    let refused = listed
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        listed.contains(&format!("fieldbook order edit {refused}")),
        "the fix is named: {listed}"
    );
    // Edited to fit the credit left (800): queued again, sent, accepted.
    let edited = ok(&cli.run(&["order", "edit", &refused, "--line", "P-TEA:4"]));
    assert!(edited.contains("estimated total 672.00"), "{edited}");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(report["sent"][0]["total"], "672.00", "{report}");
    assert!(!ok(&cli.run(&["outbox"])).contains("REFUSED"));
    // Accepted, it is the ERP's to change now.
    check(
        &cli.run(&["order", "edit", &refused, "--line", "P-TEA:1"]),
        2,
        "can no longer be edited",
    );

    // Refused again, at confirmation: Tryton keeps the draft it made.
    // Discarded here, it is looked up and reported at every sync.
    let over: serde_json::Value = serde_json::from_str(&ok(&cli.run(&[
        "order",
        "new",
        "--customer",
        "C-LIMIT",
        "--line",
        "P-TEA:10",
        "--json",
    ])))
    .unwrap();
    let over = over["entry"].as_i64().unwrap().to_string();
    assert!(ok(&cli.run(&["sync"])).contains("Refused entry"));
    let discarded = ok(&cli.run(&["outbox", "discard", &over]));
    assert!(
        discarded.contains("the next `fieldbook sync` looks for one"),
        "{discarded}"
    );
    let listed = ok(&cli.run(&["outbox"]));
    assert!(
        listed.contains(&format!("Discarded entry {over} (sale for "))
            && listed.contains("the next `fieldbook sync` checks"),
        "{listed}"
    );
    let report = ok(&cli.run(&["sync"]));
    assert!(
        report.contains(&format!("Discarded entry {over} (sale for "))
            && report.contains("IS IN THE ERP all the same")
            && report.contains("(draft)"),
        "{report}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(
        report["discarded_in_erp"][0]["entry"].to_string(),
        over,
        "{report}"
    );
    assert_eq!(report["discarded_in_erp"][0]["state"], "draft");

    // A quote goes as a quotation, then becomes an order.
    let quote: serde_json::Value = serde_json::from_str(&ok(&cli.run(&[
        "quote",
        "new",
        "--customer",
        "C-HUAWEI",
        "--line",
        "P-TEA:3",
        "--json",
    ])))
    .unwrap();
    let quote_entry = quote["entry"].as_i64().unwrap().to_string();
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(report["sent"][0]["state"], "quote", "{report}");
    let quotation = report["sent"][0]["number"].as_str().unwrap().to_owned();
    check(&cli.run(&["quote", "send", &entry]), 2, "is not a quote");
    check(
        &cli.run(&["quote", "send", "Q-NOWHERE"]),
        3,
        "no quote \"Q-NOWHERE\"",
    );
    let sent = ok(&cli.run(&["quote", "send", &quote_entry]));
    assert!(
        sent.contains(&format!("quote {quotation} becomes an order")),
        "{sent}"
    );
    check(
        &cli.run(&["quote", "send", &quote_entry]),
        2,
        "already on its way to become an order",
    );
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(report["sent"][0]["number"], quotation.as_str(), "{report}");
    assert_ne!(report["sent"][0]["state"], "quote", "{report}");
    let customer = ok(&cli.run(&["customer", "C-HUAWEI"]));
    assert!(customer.contains(&quotation), "{customer}");
}

#[test]
fn a_bad_quote_or_order_is_refused_with_the_field_and_the_fix_and_nothing_is_saved() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    ok(&cli.run(&["sync"]));
    let other_address = {
        let huawei: serde_json::Value =
            serde_json::from_str(&ok(&cli.run(&["customer", "C-HUAWEI", "--json"]))).unwrap();
        huawei["addresses"][0]["erp_id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let bad_file = cli.dir.path().join("bad.json");
    std::fs::write(
        &bad_file,
        r#"{"customer": "C-ACME", "lines": [{"product": "P-TEA", "quantity": 2,}]}"#,
    )
    .unwrap();
    let unknown_field = cli.dir.path().join("unknown.json");
    std::fs::write(
        &unknown_field,
        r#"{"customer": "C-ACME", "lines": [{"product": "P-TEA", "qty": "2"}]}"#,
    )
    .unwrap();
    let cases: [(&[&str], i32, &str); 9] = [
        (
            &[
                "order",
                "new",
                "--customer",
                "C-NOBODY",
                "--line",
                "P-TEA:1",
            ],
            3,
            "no customer with code \"C-NOBODY\"",
        ),
        (
            &[
                "order",
                "new",
                "--customer",
                "C-ACME",
                "--line",
                "P-NOTHING:1",
            ],
            3,
            "line 1: no product with code \"P-NOTHING\"",
        ),
        (
            &["order", "new", "--customer", "C-ACME", "--line", "P-TEA:0"],
            2,
            "line 1: the quantity must be more than zero",
        ),
        (
            &["quote", "new", "--customer", "C-ACME", "--line", "P-TEA:-3"],
            2,
            "line 1: the quantity must be more than zero (got -3)",
        ),
        (
            &[
                "order",
                "new",
                "--customer",
                "C-ACME",
                "--line",
                "P-TEA:1:9.99999",
            ],
            2,
            "more decimals than the ERP keeps for a price (4); use 10.0000",
        ),
        (
            &[
                "order",
                "new",
                "--customer",
                "C-ACME",
                "--line",
                "P-TEA:two",
            ],
            2,
            "the quantity \"two\" is not a number",
        ),
        (
            &[
                "order",
                "new",
                "--customer",
                "C-ACME",
                "--line",
                "P-TEA:1",
                "--shipment-address",
                &other_address,
            ],
            2,
            "is not one of C-ACME's: pick one of theirs",
        ),
        (
            &["order", "new", "--from", bad_file.to_str().unwrap()],
            2,
            "is not a valid quote or order",
        ),
        (
            &["order", "new", "--from", unknown_field.to_str().unwrap()],
            2,
            "unknown field `qty`",
        ),
    ];
    for (args, code, words) in cases {
        let stderr = check(&cli.run(args), code, words);
        assert!(stderr.contains("nothing was saved"), "{stderr}");
    }
    assert!(ok(&cli.run(&["outbox"])).contains("The outbox is empty"));
    check(&cli.run(&["outbox", "show", "42"]), 3, "no outbox entry 42");
    check(
        &cli.run(&["outbox", "retry", "42"]),
        3,
        "no outbox entry 42",
    );
    check(
        &cli.run(&["order", "edit", "42", "--line", "P-TEA:1"]),
        3,
        "no outbox entry 42",
    );
}

#[test]
fn syncs_killed_at_random_points_while_sending_leave_every_order_in_tryton_exactly_once() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    ok(&cli.run(&["sync"]));
    let customers = ["C-ACME", "C-HUAWEI", "C000003", "C000004"];
    // Deterministic "random" delays over connecting, sending and pulling.
    let mut state: u64 = 0x0ddba11;
    for round in 0..50 {
        let customer = customers[round % customers.len()];
        let quantity = format!("P-TEA:{}", 1 + round % 3);
        ok(&cli.run(&["order", "new", "--customer", customer, "--line", &quantity]));
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(50 + (state >> 33) % 900);
        let mut child = cli
            .command(&["sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        if round % 10 == 9 {
            // Whatever the moment, the cache opens and answers.
            ok(&cli.run(&["outbox", "list"]));
        }
    }
    ok(&cli.run(&["sync"]));

    let entries: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["outbox", "list", "--json"]))).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 50);
    let sales = sales_sent_from_fieldbook(&server);
    assert_eq!(sales.len(), 50, "one sale per order, no more, no fewer");
    for entry in entries {
        assert_eq!(entry["state"], "done", "{entry}");
        let sale = sales
            .iter()
            .find(|sale| sale["fieldbook_uuid"] == entry["uuid"])
            .unwrap_or_else(|| panic!("no sale for {entry}"));
        assert_eq!(sale["number"], entry["erp_number"]);
        assert!(
            ["confirmed", "processing"].contains(&sale["state"].as_str().unwrap()),
            "{sale}"
        );
    }
}

#[test]
fn customers_written_offline_reach_the_erp_and_bad_customer_input_is_refused() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let cli = Cli::new();
    ok(&cli.init(&server));
    ok(&cli.run(&["sync"]));

    let acme: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["customer", "C-ACME", "--json"]))).unwrap();
    let acme_name = acme["name"].as_str().unwrap().to_owned();
    let acme_address = acme["addresses"][0]["erp_id"].as_i64().unwrap();
    let (emptied, blanked) = (format!("{acme_address}="), format!("{acme_address}= "));
    assert!(
        acme["addresses"][0]["street"].is_string() || acme["addresses"][0]["city"].is_string(),
        "{acme}"
    );

    let before = cli.snapshot();
    let cases: [(&[&str], i32, &str); 9] = [
        (
            &["customer", "new", "--name", " "],
            2,
            "the customer needs a name",
        ),
        (
            &["customer", "new", "--name", "X", "--email", "nobody"],
            2,
            "\"nobody\" is not an e-mail address",
        ),
        (
            &[
                "customer",
                "new",
                "--name",
                "X",
                "--address",
                "only-a-street",
            ],
            2,
            "write STREET|CITY",
        ),
        (
            &[
                "customer",
                "new",
                "--name",
                "X",
                "--address",
                "路 1号|深圳|518000|China",
            ],
            2,
            "not a two-letter ISO code",
        ),
        (
            &["customer", "edit", "C-NOBODY", "--name", "X"],
            3,
            "no customer with code \"C-NOBODY\"",
        ),
        (
            &["customer", "edit", "C-ACME", "--contact", "999999=+86 1"],
            3,
            "contact 999999 is not one of this customer's",
        ),
        (&["customer", "edit", "C-ACME"], 2, "nothing to change"),
        // The window refused these two and the CLI took them until both
        // went through one application layer: an edit that changes
        // nothing, and an address left with neither street nor city.
        (
            &["customer", "edit", "C-ACME", "--name", &acme_name],
            2,
            "nothing to change",
        ),
        (
            &[
                "customer", "edit", "C-ACME", "--street", &emptied, "--city", &blanked,
            ],
            2,
            "would have neither a street nor a city",
        ),
    ];
    for (args, code, words) in cases {
        let stderr = check(&cli.run(args), code, words);
        assert!(stderr.contains("nothing was saved"), "{stderr}");
    }
    assert_eq!(cli.snapshot(), before, "nothing was written");

    let saved: serde_json::Value = serde_json::from_str(&ok(&cli.run(&[
        "customer",
        "new",
        "--name",
        "杭州新茶贸易有限公司",
        "--address",
        "西湖区文三路 90号|杭州|310012|CN",
        "--phone",
        "+86 571 8888 0001",
        "--json",
    ])))
    .unwrap();
    assert_eq!(saved["code"], "NEW-1");
    let found = ok(&cli.run(&["search", "新茶"]));
    assert!(found.contains("NEW-1"), "{found}");
    let order = ok(&cli.run(&["order", "new", "--customer", "NEW-1", "--line", "P-TEA:1"]));
    assert!(order.contains("Saved order"), "{order}");
    let acme: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["customer", "C-ACME", "--json"]))).unwrap();
    let address = acme["addresses"][0]["erp_id"].as_i64().unwrap();
    let edited = ok(&cli.run(&[
        "customer",
        "edit",
        "C-ACME",
        "--city",
        &format!("{address}=上海市"),
        "--add-email",
        "orders@acme.example.cn",
    ]));
    assert!(edited.contains("Saved changes to C-ACME"), "{edited}");

    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(report["customers"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["sent"].as_array().unwrap().len(), 1, "{report}");
    let code = report["customers"][0]["code"].as_str().unwrap().to_owned();
    assert_ne!(code, "NEW-1");
    let customer = ok(&cli.run(&["customer", &code]));
    assert!(
        customer.contains("杭州新茶贸易有限公司")
            && customer.contains(report["sent"][0]["number"].as_str().unwrap()),
        "{customer}"
    );
    let acme = ok(&cli.run(&["customer", "C-ACME"]));
    assert!(
        acme.contains("上海市") && acme.contains("orders@acme.example.cn"),
        "{acme}"
    );
    assert!(!ok(&cli.run(&["outbox"])).contains("waiting"));

    // An after-sales request: bad input refused, a good one filed and shown.
    check(
        &cli.run(&[
            "request",
            "new",
            "--customer",
            "C-ACME",
            "--description",
            " ",
        ]),
        2,
        "the request needs a description",
    );
    check(
        &cli.run(&[
            "request",
            "new",
            "--customer",
            "C-ACME",
            "--description",
            "x",
            "--order",
            "NOPE-1",
        ]),
        3,
        "no order \"NOPE-1\"",
    );
    ok(&cli.run(&[
        "request",
        "new",
        "--customer",
        "C-ACME",
        "--description",
        "请安排上门培训 / please arrange training",
    ]));
    let acme = ok(&cli.run(&["customer", "C-ACME"]));
    assert!(acme.contains("written offline, not sent yet"), "{acme}");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["sync", "--json"]))).unwrap();
    assert_eq!(report["filed"][0]["state"], "waiting", "{report}");
    let acme: serde_json::Value =
        serde_json::from_str(&ok(&cli.run(&["customer", "C-ACME", "--json"]))).unwrap();
    let filed = acme["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == report["filed"][0]["number"])
        .unwrap_or_else(|| panic!("{acme}"));
    assert_eq!(filed["sent"], true);
    assert_eq!(filed["state"], "waiting");
}
