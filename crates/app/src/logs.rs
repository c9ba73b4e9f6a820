//! Logs a support person can ask for: the window and the CLI write
//! rotating daily files (`fieldbook-window.YYYY-MM-DD.log`,
//! `fieldbook-cli.…`, the last 14 kept) in the profile's log folder
//! ([`crate::local::Folders`]), at info unless `FIELDBOOK_LOG` says
//! otherwise, and errors to stderr. A panic is logged with its backtrace
//! before the process ends.
//!
//! Never a secret: the password, the cache key and the ERP session are
//! never logged (the CLI's end-to-end tests log at trace and check every
//! file for them).

use std::path::Path;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How many daily files each program keeps.
const KEPT_FILES: usize = 14;

/// Starts logging for `program` ("fieldbook-window", "fieldbook-cli") into
/// `folder`, with the filter `FIELDBOOK_LOG` gives (files at info and
/// stderr at error without it), and logs panics. Returns why the files
/// cannot be written, if they cannot: the program goes on, logging to
/// stderr only.
pub fn start(folder: &Path, program: &str) -> Result<(), String> {
    let chosen = std::env::var("FIELDBOOK_LOG")
        .ok()
        .filter(|filter| !filter.trim().is_empty());
    start_with(folder, program, chosen.as_deref())
}

/// [`start`] with the filter given (`None`: info to the files).
pub fn start_with(folder: &Path, program: &str, filter: Option<&str>) -> Result<(), String> {
    let file_filter = || EnvFilter::new(filter.unwrap_or("info"));
    // A panic reaches stderr through the default hook, once.
    let stderr_filter = EnvFilter::new(format!(
        "{},fieldbook::panic=off",
        filter.unwrap_or("error")
    ));
    let appender = std::fs::create_dir_all(folder)
        .map_err(|error| error.to_string())
        .and_then(|()| {
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(program)
                .filename_suffix("log")
                .max_log_files(KEPT_FILES)
                .build(folder)
                .map_err(|error| error.to_string())
        });
    let (file_layer, problem) = match appender {
        Ok(appender) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(appender)
                    .with_filter(file_filter()),
            ),
            Ok(()),
        ),
        Err(error) => (
            None,
            Err(format!(
                "cannot write logs to {}: {error}",
                folder.display()
            )),
        ),
    };
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(stderr_filter);
    tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init()
        .map_err(|error| error.to_string())?;
    log_panics();
    tracing::info!(
        program,
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        "started"
    );
    problem
}

/// Logs a panic with its backtrace, then lets the default hook print it
/// (and the process end, or the thread unwind) as before.
fn log_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(target: "fieldbook::panic", "{info}\nbacktrace:\n{backtrace}");
        previous(info);
    }));
}
