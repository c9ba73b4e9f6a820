//! `cargo xtask bench`: the benchmarks, built with optimizations, against
//! the real Tryton. Figures go to BENCHMARKS.md.

use crate::{cargo, install_prerequisites, run};

/// How long each fuzz target runs in a benchmark run.
const FUZZ_SECONDS: u32 = 120;

/// The fuzz targets in `fuzz/fuzz_targets/`, each with its seed corpus in
/// `fuzz/corpus/`.
const FUZZ_TARGETS: &[&str] = &["jsonrpc_answer"];

/// cargo-fuzz, from crates.io, installed under target/tools once.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

pub fn run_bench(args: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
    if args.iter().any(|arg| arg == "--fuzz") {
        return fuzz();
    }
    if args.iter().any(|arg| arg == "--window") {
        // The window at benchmark size: its own harness (benches/window.rs).
        crate::npm(&["run", "build"])?;
        let driver = crate::ensure_tauri_driver()?;
        return run(cargo()
            .args([
                "bench",
                "--locked",
                "-p",
                "fieldbook-desktop",
                "--bench",
                "window",
            ])
            .env("FIELDBOOK_TAURI_DRIVER", driver));
    }
    run(cargo()
        .args([
            "run",
            "--release",
            "--locked",
            "-p",
            "fieldbook-bench",
            "--",
        ])
        .args(args))?;
    // The full benchmark run also fuzzes, for a fixed time.
    if args.is_empty() {
        fuzz()?;
    }
    Ok(())
}

/// Runs each fuzz target of `fuzz/` for [`FUZZ_SECONDS`] with libFuzzer.
/// cargo-fuzz wants a nightly compiler for its sanitizer flags; the
/// machine's stable one accepts them with RUSTC_BOOTSTRAP=1. What libFuzzer
/// finds new goes to target/fuzz/corpus, a crashing input to
/// target/fuzz/artifacts (the run then fails, naming it).
fn fuzz() -> anyhow::Result<()> {
    let target = fieldbook_testkit::target_dir();
    let tools = target.join("tools");
    let cargo_fuzz = tools.join("bin/cargo-fuzz");
    if !cargo_fuzz.exists() {
        eprintln!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} ...");
        run(cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                "cargo-fuzz",
                "--version",
                CARGO_FUZZ_VERSION,
                "--root",
            ])
            .arg(&tools))?;
    }
    let root = fieldbook_testkit::workspace_root();
    for name in FUZZ_TARGETS {
        let corpus = target.join("fuzz/corpus").join(name);
        let artifacts = target.join("fuzz/artifacts").join(name);
        std::fs::create_dir_all(&corpus)?;
        std::fs::create_dir_all(&artifacts)?;
        eprintln!("xtask: fuzzing {name} for {FUZZ_SECONDS} s ...");
        run(std::process::Command::new(&cargo_fuzz)
            .current_dir(&root)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", target.join("fuzz/build"))
            .args(["fuzz", "run", "--fuzz-dir", "fuzz", name])
            .arg(&corpus)
            .arg(root.join("fuzz/corpus").join(name))
            .arg("--")
            .arg(format!("-max_total_time={FUZZ_SECONDS}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display())))?;
    }
    Ok(())
}
