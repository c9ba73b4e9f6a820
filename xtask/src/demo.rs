//! The demo: a seeded Tryton on loopback and Fieldbook against it.

use crate::{cargo, install_prerequisites, run};
use fieldbook_testkit::{Dataset, SALES_LOGIN, SALES_PASSWORD, TrytonServer, target_dir};
use std::io::IsTerminal;
use std::process::Command;

const DEMO_CACHE_KEY: &str = "fieldbook-demo-key";

pub fn demo(_args: &[String]) -> anyhow::Result<()> {
    install_prerequisites()?;
    run(cargo().args(["build", "--quiet", "--locked", "-p", "fieldbook-cli"]))?;
    eprintln!("xtask: starting Tryton with demo data (built once, then reused) ...");
    let server = TrytonServer::start(Dataset::DEMO)?;
    let data_dir = tempfile_dir()?;
    let fieldbook = target_dir().join("debug/fieldbook");
    let cli = |args: &[&str]| -> anyhow::Result<()> {
        println!("\n$ fieldbook {}", args.join(" "));
        let mut command = Command::new(&fieldbook);
        command
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .env("FIELDBOOK_PASSWORD", SALES_PASSWORD)
            .env("FIELDBOOK_CACHE_KEY", DEMO_CACHE_KEY)
            .env("FIELDBOOK_PROGRESS", "1");
        run(&mut command)
    };
    let url = server.url();
    cli(&[
        "init",
        "--erp",
        &url,
        "--database",
        server.database(),
        "--user",
        SALES_LOGIN,
    ])?;
    cli(&["sync"])?;
    cli(&["status"])?;
    cli(&["search", "华为"])?;
    cli(&["customer", "C-LIMIT"])?;
    cli(&["product", "P-TEA"])?;
    // Writing offline: an order waits in the outbox, the next sync sends it
    // and the customer view shows it with Tryton's number.
    cli(&[
        "order",
        "new",
        "--customer",
        "C-ACME",
        "--line",
        "P-TEA:2",
        "--note",
        "demo order 演示订单",
    ])?;
    // A new customer with an order for it, a quote, and an after-sales
    // request: all wait in the outbox and go with one sync.
    cli(&[
        "customer",
        "new",
        "--name",
        "杭州新茶贸易有限公司 Hangzhou New Tea Trading",
        "--address",
        "西湖区文三路 90号|杭州|310012|CN",
        "--phone",
        "+86 571 8888 0001",
    ])?;
    cli(&["order", "new", "--customer", "NEW-1", "--line", "P-TEA:1"])?;
    cli(&[
        "quote",
        "new",
        "--customer",
        "C-HUAWEI",
        "--line",
        "P-TEA:3",
    ])?;
    cli(&[
        "request",
        "new",
        "--customer",
        "C-ACME",
        "--description",
        "请安排上门培训 / please arrange training",
    ])?;
    cli(&["outbox"])?;
    cli(&["sync"])?;
    cli(&["outbox"])?;
    cli(&["customer", "C-ACME"])?;
    println!(
        "\nTryton is running at {url} (database {}, login {SALES_LOGIN}, password {SALES_PASSWORD}).",
        server.database()
    );
    println!("Try it yourself in another terminal:");
    println!(
        "  export FIELDBOOK_DATA_DIR={} FIELDBOOK_PASSWORD={SALES_PASSWORD} FIELDBOOK_CACHE_KEY={DEMO_CACHE_KEY}",
        data_dir.display()
    );
    println!("  {} search acme", fieldbook.display());
    if window(&server)? {
        return Ok(());
    }
    if std::io::stdin().is_terminal() {
        println!("Press Enter to stop Tryton and end the demo.");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
    }
    Ok(())
}

/// A fresh data folder for the demo's cache in the target folder, so each demo
/// starts from an empty cache.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = target_dir().join("demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Opens Fieldbook's window on the demo Tryton, its connect page filled in
/// but for the password, and waits until it is closed. Returns false, having
/// said why, where there is no display to open it on.
fn window(server: &TrytonServer) -> anyhow::Result<bool> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!(
            "\nNo display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window is not opened: \
             run `cargo xtask demo` on a desktop to see it (the tests drive it under Xvfb: `cargo xtask test`)."
        );
        return Ok(false);
    }
    crate::npm(&["run", "build"])?;
    run(cargo().args(["build", "--quiet", "--locked", "-p", "fieldbook-desktop"]))?;
    let data_dir = target_dir().join("demo-window");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    println!(
        "\nOpening Fieldbook's window: its connect page offers the demo Tryton; the password is {SALES_PASSWORD}. \
         Close the window to stop Tryton and end the demo."
    );
    run(Command::new(target_dir().join("debug/fieldbook-desktop"))
        .env("FIELDBOOK_DATA_DIR", &data_dir)
        .env("FIELDBOOK_ERP_URL", server.url())
        .env("FIELDBOOK_ERP_DATABASE", server.database())
        .env("FIELDBOOK_ERP_LOGIN", SALES_LOGIN))?;
    Ok(true)
}
