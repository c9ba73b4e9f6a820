//! The CLI on a laptop where the window runs: the same data folder, the
//! window's cache read but never written while the window has it open,
//! and the log files a support person asks for. No ERP: plain `cargo test`.

use fieldbook_app::local::{Holder, WriterLock};
use fieldbook_store::{CacheKey, ErpLink, Store};
use std::path::Path;
use std::process::{Command, Output};

const KEY: &str = "profile passphrase";

fn fieldbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldbook"))
        .args(args)
        .env("FIELDBOOK_DATA_DIR", dir)
        .env("FIELDBOOK_CACHE_KEY", KEY)
        .env_remove("FIELDBOOK_LOG")
        .env_remove("FIELDBOOK_LOG_DIR")
        .output()
        .unwrap()
}

fn cache(dir: &Path) -> Store {
    let mut store = Store::create(&dir.join("cache.db"), &CacheKey::new(KEY).unwrap()).unwrap();
    store
        .set_erp_link(&ErpLink {
            url: "https://erp.example.cn/".into(),
            database: "fieldbook".into(),
            login: "sales".into(),
            created_at: chrono::Utc::now(),
        })
        .unwrap();
    store
}

#[test]
fn while_the_window_is_open_the_cli_reads_and_refuses_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = cache(dir.path());
    let window = WriterLock::take(dir.path(), Holder::Window).unwrap();

    for args in [
        &["sync"][..],
        &["order", "new", "--customer", "C-ACME", "--line", "P-TEA:2"],
        &["outbox", "retry", "1"],
        &["customer", "new", "--name", "杭州新茶贸易有限公司"],
    ] {
        let output = fieldbook(dir.path(), args);
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(6), "{args:?}: {said}");
        assert!(
            said.contains("in use by Fieldbook's window") && said.contains("close the window"),
            "{args:?}: {said}"
        );
    }
    assert!(store.outbox().unwrap().is_empty(), "nothing was written");

    for args in [&["status"][..], &["outbox", "list"], &["search", "茶"]] {
        let output = fieldbook(dir.path(), args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // Closed, the same command goes on (and fails for its own reason: no
    // such customer in this empty cache).
    drop(window);
    let output = fieldbook(
        dir.path(),
        &["order", "new", "--customer", "C-ACME", "--line", "P-TEA:2"],
    );
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{said}");
}

#[test]
fn fieldbook_logs_names_the_folders_and_the_files_hold_info_and_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let _store = cache(dir.path());
    assert!(fieldbook(dir.path(), &["status"]).status.success());

    let output = fieldbook(dir.path(), &["logs", "--json"]);
    assert!(output.status.success());
    let logs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let data = std::path::absolute(dir.path()).unwrap();
    assert_eq!(logs["data_dir"], data.display().to_string());
    assert_eq!(logs["log_dir"], data.join("logs").display().to_string());
    let files = logs["log_files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{logs}");
    let path = files[0]["path"].as_str().unwrap();
    assert!(path.contains("fieldbook-cli."), "{path}");

    let text = std::fs::read_to_string(path).unwrap();
    // Each run says it started, at info; nothing below info by default.
    assert_eq!(text.matches("started").count(), 2, "{text}");
    assert!(!text.contains("DEBUG") && !text.contains("TRACE"), "{text}");

    let output = fieldbook(dir.path(), &["logs"]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("Log folder:"), "{said}");
    assert!(said.contains("fieldbook-cli."), "{said}");
}
