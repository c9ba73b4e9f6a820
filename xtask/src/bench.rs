//! Benchmarks against the real Tryton; figures go to BENCHMARKS.md.

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the benchmark is not written yet")
}
