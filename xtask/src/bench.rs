//! `cargo xtask bench`: the benchmarks, built with optimizations, against
//! the real Tryton. Figures go to BENCHMARKS.md.

use crate::{cargo, install_prerequisites, run};

pub fn run_bench(args: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
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
        .args(args))
}
