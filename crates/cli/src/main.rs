//! `fieldbook`: the engine from a terminal, for administrators, scripts
//! and tests. It holds no business logic: each command opens the cache,
//! calls the engine, and prints what it got (as text for people, or as
//! JSON with `--json`, in the shapes of `output.rs`).

mod output;
mod write;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use fieldbook_core::SaleKind;
use fieldbook_erp::ErpError;
use fieldbook_erp::tryton::{Tryton, TrytonConfig};
use fieldbook_store::{CacheKey, ErpLink, Store, StoreError};
use fieldbook_sync::{Progress, SyncError, SyncOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Fieldbook: the ERP's customers, credit, products and stock, offline.
#[derive(Parser)]
#[command(name = "fieldbook", version, about)]
struct Cli {
    /// Where the cache lives [default: the platform's data folder, or
    /// $FIELDBOOK_DATA_DIR].
    #[arg(long, global = true, env = "FIELDBOOK_DATA_DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to the ERP (checking address, database, login and password)
    /// and create an empty encrypted cache for it.
    Init {
        /// The ERP's address, e.g. http://erp.example.com:8000/
        #[arg(long)]
        erp: String,
        /// The ERP database name.
        #[arg(long)]
        database: String,
        /// Your ERP login.
        #[arg(long)]
        user: String,
    },
    /// Send what was written offline, then bring the cache up to date with
    /// the ERP (resumes an interrupted sync).
    Sync {
        /// Records per request.
        #[arg(long, default_value_t = SyncOptions::default().page_size)]
        page_size: usize,
        #[arg(long)]
        json: bool,
    },
    /// What the cache holds and how old it is.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Search customers and products (name, code, tax id, address, phone, e-mail).
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Quotes written offline (the ERP records them as quotations).
    Quote {
        #[command(subcommand)]
        action: SaleAction,
    },
    /// Orders written offline (sent to the ERP to be confirmed).
    Order {
        #[command(subcommand)]
        action: SaleAction,
    },
    /// What was written offline and what the ERP answered.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// A customer: addresses, contacts, credit, open invoices, recent orders.
    Customer {
        /// The customer's code (or ERP id).
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// A product: price and stock per warehouse.
    Product {
        /// The product's code (or ERP id).
        code: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SaleAction {
    /// Write one offline; it goes to the ERP with the next sync.
    New(SaleArgs),
    /// One written earlier, by its outbox entry number.
    Show {
        entry: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct SaleArgs {
    /// The customer's code.
    #[arg(long, required_unless_present = "from")]
    customer: Option<String>,
    /// A line, PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]] (the unit
    /// price is the list price if left out); repeat for more lines.
    #[arg(long = "line", required_unless_present = "from")]
    lines: Vec<String>,
    /// Invoice address (its id, from `fieldbook customer`) [default: the
    /// customer's first invoice address].
    #[arg(long)]
    invoice_address: Option<i64>,
    /// Shipment address [default: the customer's first delivery address].
    #[arg(long)]
    shipment_address: Option<i64>,
    /// Warehouse code [default: the first warehouse].
    #[arg(long)]
    warehouse: Option<String>,
    /// Requested delivery date, YYYY-MM-DD.
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    /// The customer's own reference (their purchase order number).
    #[arg(long)]
    reference: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// Read it from a JSON file instead (shape in the README).
    #[arg(long, conflicts_with_all = ["customer", "lines", "invoice_address", "shipment_address", "warehouse", "date", "reference", "note"])]
    from: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum OutboxAction {
    /// Every entry with its state (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// One entry, with what was typed.
    Show {
        entry: i64,
        #[arg(long)]
        json: bool,
    },
    /// Send a refused entry again (after acknowledging its warning, or once
    /// the ERP's reason is gone).
    Retry { entry: i64 },
    /// Drop an entry the ERP has not accepted (and what waits on it).
    Discard { entry: i64 },
}

/// Exit codes, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Ok = 0,
    Failure = 1,
    BadInput = 2,
    NotFound = 3,
    ErpUnavailable = 4,
    ErpRefused = 5,
    Cache = 6,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("FIELDBOOK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::from(Exit::Failure as u8);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code(&error) as u8)
        }
    }
}

fn exit_code(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(error) = cause.downcast_ref::<ErpError>() {
            return erp_exit(error);
        }
        if let Some(error) = cause.downcast_ref::<SyncError>() {
            return match error {
                SyncError::Erp(error) => erp_exit(error),
                SyncError::Store(_) => Exit::Cache,
            };
        }
        if cause.downcast_ref::<StoreError>().is_some() {
            return Exit::Cache;
        }
    }
    Exit::Failure
}

fn erp_exit(error: &ErpError) -> Exit {
    if error.is_transient() {
        Exit::ErpUnavailable
    } else {
        Exit::ErpRefused
    }
}

async fn run(cli: Cli) -> anyhow::Result<Exit> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("com", "Fieldbook", "fieldbook")
            .context("cannot find a data folder for this user: pass --data-dir")?
            .data_dir()
            .to_owned(),
    };
    let cache_path = data_dir.join("cache.db");
    match cli.command {
        Command::Init {
            erp,
            database,
            user,
        } => init(&data_dir, &cache_path, erp, database, user).await,
        Command::Sync { page_size, json } => sync(&data_dir, &cache_path, page_size, json).await,
        Command::Status { json } => {
            let store = open(&cache_path)?;
            output::status(&store.status()?, Utc::now(), json)?;
            Ok(Exit::Ok)
        }
        Command::Search { text, limit, json } => {
            let store = open(&cache_path)?;
            output::search(&store.search(&text, limit)?, json)?;
            Ok(Exit::Ok)
        }
        Command::Customer { code, json } => {
            let store = open(&cache_path)?;
            Ok(show("customer", &code, store.customer(&code)?, |view| {
                output::customer(view, Utc::now(), json)
            }))
        }
        Command::Quote { action } => sale(&cache_path, SaleKind::Quote, action),
        Command::Order { action } => sale(&cache_path, SaleKind::Order, action),
        Command::Outbox { action } => {
            let mut store = open(&cache_path)?;
            let now = Utc::now();
            match action.unwrap_or(OutboxAction::List { json: false }) {
                OutboxAction::List { json } => write::outbox(&store, &store.outbox()?, now, json)?,
                OutboxAction::Show { entry, json } => return show_entry(&store, entry, json),
                OutboxAction::Retry { entry } => {
                    store.retry(entry, now)?;
                    println!("Entry {entry} will be sent again with the next `fieldbook sync`.");
                }
                OutboxAction::Discard { entry } => {
                    let removed = store.discard(entry)?;
                    println!(
                        "Discarded {removed} entr{} (nothing of it was sent to the ERP).",
                        if removed == 1 { "y" } else { "ies" }
                    );
                }
            }
            Ok(Exit::Ok)
        }
        Command::Product { code, json } => {
            let store = open(&cache_path)?;
            Ok(show("product", &code, store.product(&code)?, |view| {
                output::product(view, Utc::now(), json)
            }))
        }
    }
}

/// `quote new|show` and `order new|show`.
fn sale(cache_path: &Path, kind: SaleKind, action: SaleAction) -> anyhow::Result<Exit> {
    let mut store = open(cache_path)?;
    let args = match action {
        SaleAction::Show { entry, json } => return show_entry(&store, entry, json),
        SaleAction::New(args) => args,
    };
    let form = match &args.from {
        Some(path) => write::read_form(path),
        None => args
            .lines
            .iter()
            .map(|line| write::LineForm::parse(line))
            .collect::<Result<Vec<_>, _>>()
            .map(|lines| write::SaleForm {
                customer: args.customer.clone().unwrap_or_default(),
                lines,
                invoice_address: args.invoice_address,
                shipment_address: args.shipment_address,
                warehouse: args.warehouse.clone(),
                requested_date: args.date,
                reference: args.reference.clone(),
                note: args.note.clone(),
            }),
    };
    let draft = match form.and_then(|form| write::draft(&store, kind, &form)) {
        Ok(draft) => draft,
        Err(write::FormError::Cache(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("error: {error}; nothing was saved");
            return Ok(match error {
                write::FormError::NotFound(_) => Exit::NotFound,
                _ => Exit::BadInput,
            });
        }
    };
    let uuid = uuid::Uuid::new_v4().to_string();
    let seq = match store.add_sale(&uuid, &draft, None, Utc::now()) {
        Ok(seq) => seq,
        Err(StoreError::Invalid(message)) => {
            eprintln!("error: {message}; nothing was saved");
            return Ok(Exit::BadInput);
        }
        Err(error) => return Err(error.into()),
    };
    let entry = store
        .outbox_entry(seq)?
        .context("the entry just saved is gone")?;
    let checks = write::checks(&store, &draft, Utc::now())?;
    write::saved(&entry, &draft, &checks, args.json)?;
    Ok(Exit::Ok)
}

fn show_entry(store: &Store, entry: i64, json: bool) -> anyhow::Result<Exit> {
    match store.outbox_entry(entry)? {
        Some(found) => {
            write::entry(store, &found, Utc::now(), json)?;
            Ok(Exit::Ok)
        }
        None => {
            eprintln!("error: no outbox entry {entry}: see `fieldbook outbox list`");
            Ok(Exit::NotFound)
        }
    }
}

/// Prints a record found in the cache, or says it is not there.
fn show<V>(
    what: &str,
    code: &str,
    found: Option<V>,
    print: impl FnOnce(&V) -> anyhow::Result<()>,
) -> Exit {
    let Some(view) = found else {
        eprintln!(
            "error: no {what} with code {code:?} in the cache: try `fieldbook search {code}`, or sync"
        );
        return Exit::NotFound;
    };
    match print(&view) {
        Ok(()) => Exit::Ok,
        Err(error) => {
            eprintln!("error: {error:#}");
            Exit::Failure
        }
    }
}

async fn init(
    data_dir: &Path,
    cache_path: &Path,
    url: String,
    database: String,
    login: String,
) -> anyhow::Result<Exit> {
    if cache_path.exists() {
        return Err(StoreError::AlreadyExists {
            path: cache_path.to_owned(),
        }
        .into());
    }
    let password = secret("FIELDBOOK_PASSWORD", &format!("ERP password for {login}: "))?;
    let key = CacheKey::new(secret(
        "FIELDBOOK_CACHE_KEY",
        "Passphrase to encrypt the cache: ",
    )?)?;
    // Check the ERP first: nothing is written unless it accepts us.
    let erp = connect(&url, &database, &login, password).await?;
    let version = erp.server_version().await?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
    let mut store = Store::create(cache_path, &key)?;
    store.set_erp_link(&ErpLink {
        url,
        database,
        login,
        created_at: Utc::now(),
    })?;
    println!(
        "Connected to Tryton {version}; created an encrypted cache at {}.",
        cache_path.display()
    );
    println!("Next: `fieldbook sync` to fetch customers, products, stock and credit.");
    Ok(Exit::Ok)
}

async fn sync(
    data_dir: &Path,
    cache_path: &Path,
    page_size: usize,
    json: bool,
) -> anyhow::Result<Exit> {
    if page_size == 0 {
        anyhow::bail!("--page-size must be at least 1");
    }
    let mut store = open(cache_path)?;
    // One sync at a time per cache: a second one would only wait on the first.
    let lock_path = data_dir.join("sync.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(StoreError::Locked {
                path: cache_path.to_owned(),
            }
            .into());
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
        }
    }
    let link = store
        .erp_link()?
        .context("the cache does not say which ERP it mirrors: run `fieldbook init` again")?;
    let password = secret(
        "FIELDBOOK_PASSWORD",
        &format!("ERP password for {}: ", link.login),
    )?;
    let erp = std::sync::Arc::new(connect(&link.url, &link.database, &link.login, password).await?);
    let options = SyncOptions {
        page_size,
        ..SyncOptions::default()
    };
    let show_progress =
        std::io::stderr().is_terminal() || std::env::var_os("FIELDBOOK_PROGRESS").is_some();
    let mut on_progress = |event: Progress| {
        if show_progress {
            output::progress(&event);
        }
    };
    // Push first, then pull, so the cache shows the ERP's view of what was
    // just sent.
    let pushed = fieldbook_sync::push(
        &*erp,
        &mut store,
        fieldbook_sync::PushOptions {
            respect_backoff: false,
        },
        &Utc::now,
    )
    .await?;
    let report =
        fieldbook_sync::pull(&erp, &mut store, &options, &Utc::now, &mut on_progress).await?;
    output::sync_report(&pushed, &report, erp.calls(), json)?;
    Ok(Exit::Ok)
}

fn open(cache_path: &Path) -> anyhow::Result<Store> {
    if !cache_path.exists() {
        return Err(StoreError::Missing {
            path: cache_path.to_owned(),
        }
        .into());
    }
    let key = CacheKey::new(secret("FIELDBOOK_CACHE_KEY", "Cache passphrase: ")?)?;
    Ok(Store::open(cache_path, &key)?)
}

async fn connect(
    url: &str,
    database: &str,
    login: &str,
    password: String,
) -> Result<Tryton, ErpError> {
    Tryton::connect(TrytonConfig {
        url: url.to_owned(),
        database: database.to_owned(),
        login: login.to_owned(),
        password,
        timeout: Duration::from_secs(120),
    })
    .await
}

/// A secret from the environment or, in a terminal, a prompt that does not
/// echo. Never from a command-line argument, where other users could see it.
fn secret(variable: &str, prompt: &str) -> anyhow::Result<String> {
    if let Ok(value) = std::env::var(variable) {
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{variable} is not set and there is no terminal to ask in: set {variable}");
    }
    Ok(rpassword::prompt_password(prompt)?)
}
