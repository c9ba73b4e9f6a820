//! `cargo xtask`: everything a newcomer needs, from a fresh Debian 12 with
//! Rust, Python 3.11 and Node.
//!
//! - `cargo xtask demo`: installs what is missing, starts a seeded Tryton
//!   and runs Fieldbook against it.
//! - `cargo xtask test`: installs what is missing and runs every test,
//!   including those against the real Tryton.
//! - `cargo xtask bench`: the benchmarks, figures for BENCHMARKS.md.

mod bench;
mod demo;

use anyhow::{Context, bail};
use std::process::Command;

/// Debian packages the build and the tests need: SQLCipher links the
/// system's OpenSSL; Tryton's virtualenv needs venv.
const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "python3-venv",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo::demo(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask demo | test | bench [--quick | --push [ORDERS] | --search-in CACHE]"
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
    // Build the virtualenv and the test database once, before the tests
    // that share them start in parallel.
    fieldbook_testkit::ensure_template(fieldbook_testkit::Dataset::TEST)?;
    let mut command = cargo();
    command
        .args([
            "test",
            "--workspace",
            "--locked",
            "--features",
            "fieldbook-cli/e2e",
        ])
        .args(extra);
    run(&mut command)
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
