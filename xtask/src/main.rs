//! `cargo xtask`: everything a newcomer needs, from a fresh Debian 12 with
//! Rust, Python 3.11 and Node.
//!
//! - `cargo xtask demo`: installs what is missing, starts a seeded Tryton
//!   and runs Fieldbook against it.
//! - `cargo xtask test`: installs what is missing and runs every test,
//!   including those against the real Tryton.
//! - `cargo xtask bench`: the benchmarks, figures for BENCHMARKS.md.
//! - `cargo xtask package`: the .deb and .rpm an IT department installs.
//! - `cargo xtask icons`: the icons at every size, from icons/make_icons.py.

mod bench;
mod demo;
mod package;

use anyhow::{Context, bail};
use std::process::Command;

/// Debian packages the build and the tests need: SQLCipher links the
/// system's OpenSSL; Tryton's virtualenv needs venv; the window needs
/// WebKitGTK (and librsvg, libxdo for Tauri), the keyring crate libdbus;
/// the window's tests an X server, a session bus, GNOME Keyring's Secret
/// Service, a notification service (dunst) and WebKitWebDriver.
const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "python3-venv",
    "libwebkit2gtk-4.1-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    "xvfb",
    "xauth",
    "dbus",
    "gnome-keyring",
    "dunst",
    "webkit2gtk-driver",
    // Chinese text in the window's screenshots (a salesperson's laptop in
    // China has CJK fonts already).
    "fonts-noto-cjk",
    // `kill`, which the window tests use to end tauri-driver's process group.
    "procps",
    // Production's backend: the tests run Tryton on a private PostgreSQL
    // cluster too (crates/testkit/src/postgres.rs).
    "postgresql",
    // The package test lists the .rpm's files.
    "rpm",
];

/// tauri-driver, the WebDriver server for Tauri windows, built from
/// crates.io into target/tools.
const TAURI_DRIVER_VERSION: &str = "2.1.0";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo::demo(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("soak") => soak(&args[1..]),
        Some("package") => package::package(&args[1..]),
        Some("icons") => icons(),
        _ => {
            eprintln!(
                "usage: cargo xtask demo | test | package [--debug] | icons | soak [ROUNDS] | bench [--quick | --push [ORDERS] | --search-in CACHE | --window | --fuzz | --fleet N [--workers W] [--interval S] [--minutes M] [--ramp S] [--office S]]"
            );
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("xtask: {error:#}");
        std::process::exit(1);
    }
}

fn test(extra: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
    // Build the virtualenv and the test databases (SQLite and PostgreSQL)
    // once, before the tests that share them start in parallel.
    fieldbook_testkit::ensure_template(fieldbook_testkit::Dataset::TEST)?;
    fieldbook_testkit::ensure_postgres_template(fieldbook_testkit::Dataset::TEST, true)?;
    // The test cluster stops at the end, whatever the tests say; its
    // templates stay for the next run.
    let tested = run_tests(extra);
    let stopped = fieldbook_testkit::postgres::stop();
    tested.and(stopped)
}

fn run_tests(extra: &[String]) -> anyhow::Result<()> {
    // Formatting first: it needs no build.
    ensure_rust_components(&["rustfmt", "clippy"])?;
    run(cargo().args(["fmt", "--all", "--check"]))
        .context("the code is not formatted as `cargo fmt --all` would")?;
    // The window's TypeScript types come from fieldbook-app's tests (ts-rs):
    // make them first, so the front end is checked against the Rust of now.
    run(cargo().args(["test", "--locked", "--quiet", "-p", "fieldbook-app"]))?;
    // The front end: its own tests, its type check, its linter (ESLint
    // with the Svelte plugin), then the build the window embeds.
    npm(&["test"])?;
    npm(&["run", "check"])?;
    npm(&["run", "lint"])?;
    npm(&["run", "build"])?;
    // Clippy over every crate and target (the end-to-end features
    // included), warnings as errors. After the front end's build: the
    // window's crate embeds `ui/dist`, which a clean clone does not have.
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--features",
        "fieldbook-cli/e2e",
        "--",
        "-D",
        "warnings",
    ]))?;
    let driver = ensure_tauri_driver()?;
    let workspace = [
        "test",
        "--workspace",
        "--locked",
        "--features",
        "fieldbook-cli/e2e",
    ];
    if !extra.is_empty() {
        // Tests picked by hand run as asked, one binary after another.
        return run(cargo()
            .args(workspace)
            .args(extra)
            .env("FIELDBOOK_TAURI_DRIVER", driver));
    }
    // The soak runs for a fixed 3 minutes against its own Tryton: it goes
    // beside the other tests instead of after them (a warm run is ~3
    // minutes shorter), its output kept apart and shown at the end.
    let soak = soak_binary(&workspace)?;
    let log_path = fieldbook_testkit::target_dir().join("soak/test-output.log");
    std::fs::create_dir_all(log_path.parent().expect("soak folder"))?;
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let cli = fieldbook_testkit::workspace_root().join("crates/cli");
    let mut soaking = Command::new(&soak)
        .current_dir(&cli)
        .env("CARGO_MANIFEST_DIR", &cli)
        .arg("--nocapture")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start the soak {}", soak.display()))?;
    let tested = run(cargo()
        .args(workspace)
        .args(["--", "--skip", SOAK_TEST])
        .env("FIELDBOOK_TAURI_DRIVER", driver));
    let soaked = soaking.wait().context("waiting for the soak")?;
    let output = std::fs::read_to_string(&log_path)
        .unwrap_or_else(|error| format!("(cannot read {}: {error})", log_path.display()));
    println!("\nThe soak (crates/cli/tests/soak.rs), run beside the tests:\n{output}");
    tested?;
    if !soaked.success() {
        bail!(
            "the soak failed ({soaked}); its output is above and in {}",
            log_path.display()
        );
    }
    // The packages, from the debug build just tested: they install and
    // start (`cargo xtask package` makes the release ones).
    let packages = package::build(package::Profile::Debug, package::Built::ForTheTests)?;
    package::check(&packages)
}

/// `cargo xtask icons`: draws the icon (icons/make_icons.py), then has
/// Tauri's `tauri icon` make every size and format the platforms need
/// (.png, .ico, .icns, Windows' tiles) into icons/.
fn icons() -> anyhow::Result<()> {
    let root = fieldbook_testkit::workspace_root();
    run(Command::new("python3").arg(root.join("icons/make_icons.py")))?;
    let made = tempfile::tempdir()?;
    run(Command::new(package::ensure_tauri_cli()?)
        .arg("icon")
        .arg(root.join("icons/icon.png"))
        .arg("--output")
        .arg(made.path()))?;
    // The desktop's: Android's and iOS's are not Fieldbook's platforms.
    for entry in std::fs::read_dir(made.path())? {
        let path = entry?.path();
        if path.is_file() && path.file_name().is_some_and(|name| name != "icon.png") {
            std::fs::copy(
                &path,
                root.join("icons").join(path.file_name().expect("a name")),
            )?;
        }
    }
    Ok(())
}

/// Adds the Rust toolchain's `components` with rustup when `cargo` lacks
/// them (rustup's minimal profile has neither rustfmt nor clippy).
fn ensure_rust_components(components: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|component| {
            let subcommand = match *component {
                "rustfmt" => "fmt",
                other => other,
            };
            !cargo()
                .args([subcommand, "--version"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: adding the toolchain's {}", missing.join(", "));
    run(Command::new("rustup")
        .args(["component", "add"])
        .args(&missing))
    .context("rustfmt and clippy are needed for the lints: install rustup's components")
}

/// The soak's one test, by name.
const SOAK_TEST: &str = "soak_every_order_reaches_tryton_exactly_once_whatever_breaks";

/// Builds every test binary of `cargo <workspace>` and returns the soak's.
fn soak_binary(workspace: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    let built = cargo()
        .args(workspace)
        .args(["--no-run", "--message-format=json-render-diagnostics"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot start cargo")?;
    if !built.status.success() {
        bail!("building the tests failed: {}", built.status);
    }
    let stdout = String::from_utf8_lossy(&built.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "soak"
                && message["package_id"]
                    .as_str()
                    .is_some_and(|id| id.contains("fieldbook-cli"))
        })
        .find_map(|message| message["executable"].as_str().map(Into::into))
        .context("cargo built no soak test binary (crates/cli/tests/soak.rs)")
}

/// The soak (crates/cli/tests/soak.rs) for ROUNDS rounds (default 1,000)
/// instead of the 3 minutes `test` gives it; the report goes to
/// target/soak/report.md.
fn soak(args: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
    let rounds: u32 = match args.first() {
        Some(text) => text
            .parse()
            .with_context(|| format!("{text:?} is not a number of rounds"))?,
        None => 1000,
    };
    fieldbook_testkit::ensure_template(fieldbook_testkit::Dataset::TEST)?;
    let test = [
        "test",
        "--locked",
        "-p",
        "fieldbook-cli",
        "--features",
        "e2e",
        "--test",
        "soak",
    ];
    run(cargo().args(test).arg("--no-run"))?;
    // The soak runs for an hour and more: it drives a copy of the CLI, so
    // that a build meanwhile cannot swap the binary under it.
    let target = fieldbook_testkit::target_dir();
    let frozen = target.join("soak/fieldbook");
    std::fs::create_dir_all(target.join("soak"))?;
    std::fs::copy(target.join("debug/fieldbook"), &frozen)
        .with_context(|| format!("cannot copy the CLI to {}", frozen.display()))?;
    run(cargo()
        .args(test)
        .args(["--", "--nocapture"])
        .env("FIELDBOOK_SOAK_ROUNDS", rounds.to_string())
        .env("FIELDBOOK_SOAK_CLI", &frozen))
}

/// Runs `npm ARGS` in ui/, installing its packages first when the lock file
/// is newer than what is installed.
pub(crate) fn npm(args: &[&str]) -> anyhow::Result<()> {
    check_node()?;
    let ui = fieldbook_testkit::workspace_root().join("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if modified(&installed) < modified(&ui.join("package-lock.json")) {
        eprintln!("xtask: installing the front end's npm packages ...");
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&ui))?;
    }
    run(Command::new("npm").args(args).current_dir(&ui))
}

/// tauri-driver under target/tools, installed from crates.io once.
pub(crate) fn ensure_tauri_driver() -> anyhow::Result<std::path::PathBuf> {
    let root = fieldbook_testkit::target_dir().join("tools");
    let driver = root.join("bin/tauri-driver");
    if !driver.exists() {
        eprintln!("xtask: installing tauri-driver {TAURI_DRIVER_VERSION} ...");
        run(cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                "tauri-driver",
                "--version",
                TAURI_DRIVER_VERSION,
                "--root",
            ])
            .arg(&root))?;
    }
    Ok(driver)
}

pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(fieldbook_testkit::workspace_root());
    command
}

pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// Installs the Debian packages that are missing (as root, or with sudo).
pub(crate) fn install_prerequisites() -> anyhow::Result<()> {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|package| !installed(package))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let prefix: &[&str] = if root { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = prefix.to_vec();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut command = Command::new(all[0]);
        command
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut command)
    };
    apt(&["update", "-qq"]).context("apt-get update failed: install the packages by hand")?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install).with_context(|| {
        format!(
            "installing {} failed: install them by hand",
            missing.join(" ")
        )
    })
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Vite 8 needs Node 20.19 or later; Debian 12's own nodejs is 18.
fn check_node() -> anyhow::Result<()> {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .context("cannot run node: install Node 20.19 or later")?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let numbers: Vec<u32> = version
        .trim_start_matches('v')
        .split('.')
        .filter_map(|part| part.parse().ok())
        .collect();
    if numbers.len() < 2 || (numbers[0], numbers[1]) < (20, 19) {
        bail!(
            "the front end needs Node 20.19 or later, and this is Node {version}: install a newer Node"
        );
    }
    Ok(())
}
