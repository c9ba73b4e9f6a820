//! `cargo xtask bench`: the benchmarks, built with optimizations, against
//! the real Tryton. Figures go to BENCHMARKS.md.

use crate::{cargo, install_prerequisites, run};

pub fn run_bench(args: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
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
