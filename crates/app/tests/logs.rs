//! The log files a support person asks for: info and above by default, a
//! panic with its backtrace. Its own test binary: logging is set up once
//! per process.

use std::path::Path;

fn log_text(folder: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("fieldbook-test.") && name.ends_with(".log"),
            "a file named by program and day: {name}"
        );
        text += &std::fs::read_to_string(&path).unwrap();
    }
    text
}

#[test]
fn the_log_file_holds_info_and_a_panic_with_its_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    fieldbook_app::logs::start_with(&folder, "fieldbook-test", None).unwrap();
    tracing::info!(entries = 3, "sent the outbox");
    tracing::debug!("a detail support does not need");

    let panicked = std::thread::spawn(|| panic!("the cache vanished mid-sync")).join();
    assert!(panicked.is_err());

    let text = log_text(&folder);
    assert!(text.contains("started"), "{text}");
    assert!(text.contains("sent the outbox entries=3"), "{text}");
    assert!(!text.contains("a detail support does not need"), "{text}");
    assert!(text.contains("the cache vanished mid-sync"), "{text}");
    assert!(text.contains("backtrace:"), "{text}");
    // A frame of the backtrace: this test's own function.
    assert!(text.contains("logs::the_log_file_holds_info"), "{text}");
}
