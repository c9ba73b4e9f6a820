//! `fieldbook`: the engine from a terminal, for administrators, scripts
//! and tests. It holds no business logic: each command opens the cache,
//! calls the engine, and prints what it got (as text for people, or as
//! JSON with `--json`, in the shapes of `output.rs`).

mod customers;
mod output;
mod progress;
mod write;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, CommandFactory, Parser, Subcommand};
use fieldbook_app::local::{Folders, Holder, WriterLock};
use fieldbook_app::{
    App, AppError, CACHE_KEY_SECRET, ErrorKind, KeyringSecrets, MemorySecrets, PASSWORD_SECRET,
    Secrets, SyncRun, wire,
};
use fieldbook_core::SaleKind;
use fieldbook_erp::ErpError;
use fieldbook_store::CustomerRef;
use fieldbook_store::StoreError;
use fieldbook_sync::{Progress, SyncError, SyncOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Fieldbook: the ERP's customers, credit, products and stock, offline.
#[derive(Parser)]
#[command(name = "fieldbook", version, about, after_long_help = ENVIRONMENT_AND_EXIT_CODES)]
struct Cli {
    /// Where the cache lives [default: the platform's data folder, or
    /// $FIELDBOOK_DATA_DIR].
    #[arg(long, global = true, env = "FIELDBOOK_DATA_DIR")]
    data_dir: Option<PathBuf>,

    /// Allow plain http:// to an ERP that is not on this computer. The
    /// password and the session then cross the network unencrypted: only
    /// on a network you trust. Without it, use the ERP's https:// address.
    /// The variable takes 1, true, yes or on (and 0, false, no, off).
    #[arg(
        long,
        global = true,
        env = "FIELDBOOK_ALLOW_INSECURE_HTTP",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_insecure_http: bool,

    #[command(subcommand)]
    command: Command,
}

/// The end of `fieldbook --help` (and of the manual page).
const ENVIRONMENT_AND_EXIT_CODES: &str = "\
Environment:
  FIELDBOOK_DATA_DIR             The data folder, as --data-dir. Default: the platform's,
                                 the one Fieldbook's window uses (`fieldbook logs` shows it).
  FIELDBOOK_LOG_DIR              Where the log files go. Default: the platform's log folder,
                                 or logs/ in a data folder given with --data-dir.
  FIELDBOOK_LOG                  What is logged, e.g. debug or fieldbook_sync=debug.
                                 Default: info and above to the files, errors to stderr.
  FIELDBOOK_PASSWORD             The ERP password. Default: the window's keyring entry for
                                 this data folder, else a prompt.
  FIELDBOOK_CACHE_KEY            The cache's passphrase. Default: the window's keyring entry
                                 for this data folder, else a prompt.
  FIELDBOOK_ALLOW_INSECURE_HTTP  As --allow-insecure-http (1, true, yes or on).
  FIELDBOOK_PROGRESS             Show the sync's progress even when stderr is not a terminal.

Exit codes:
  0  Done.
  1  Failed for another reason (the message says which).
  2  Bad input: nothing was changed; fix what the message names and try again.
  3  Not in the cache: search for it, or sync.
  4  The ERP cannot be reached, or is busy: try again later.
  5  The ERP refused: the message gives its words.
  6  The cache cannot be used: in use by the window, wrong key, damaged, or made by a
     newer Fieldbook.
  7  The ERP user lacks a right: what it may do was done; ask the ERP's administrator.";

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
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What the cache holds and how old it is.
    Status {
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Search customers and products (name, code, tax id, address, phone, e-mail).
    Search {
        /// What to look for: part of a name, a code, a phone number, ...
        text: String,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Quotes written offline (the ERP records them as quotations), and
    /// quotes turned into orders.
    Quote {
        #[command(subcommand)]
        action: QuoteAction,
    },
    /// Orders written offline (sent to the ERP to be confirmed).
    Order {
        #[command(subcommand)]
        action: SaleAction,
    },
    /// After-sales requests (complaints, service requests) filed offline.
    Request {
        #[command(subcommand)]
        action: RequestAction,
    },
    /// What was written offline and what the ERP answered.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// A customer: addresses, contacts, credit, open invoices, recent
    /// orders; or `customer new` / `customer edit CODE` to write changes
    /// offline.
    #[command(args_conflicts_with_subcommands = true)]
    Customer {
        #[command(subcommand)]
        action: Option<CustomerAction>,
        /// The customer's code (or ERP id).
        code: Option<String>,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A product: price and stock per warehouse.
    Product {
        /// The product's code (or ERP id).
        code: String,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Where this profile's data and log files are, for a support person
    /// who asks for them.
    Logs {
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the completions for a shell (the packages install them), e.g.
    /// `fieldbook completions bash > ~/.local/share/bash-completion/completions/fieldbook`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (fieldbook.1, fieldbook-sync.1, ...) into a
    /// folder (the packages install them).
    #[command(hide = true)]
    Manual {
        /// The folder to write them in.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum SaleAction {
    /// Write one offline; it goes to the ERP with the next sync.
    New(SaleArgs),
    /// One written earlier, by its outbox entry number.
    Show {
        /// The outbox entry number (`fieldbook outbox list`).
        entry: i64,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Change one the ERP has not accepted (refused, or not sent yet) and
    /// queue it to be sent again. Fields given replace the entry's; lines
    /// given replace all its lines.
    Edit(EditArgs),
}

#[derive(Subcommand)]
enum CustomerAction {
    /// A new customer, written offline; the ERP gives it its code with the
    /// next sync (until then it is NEW-1, NEW-2, ...).
    New {
        /// The customer's name.
        #[arg(long, required_unless_present = "from")]
        name: Option<String>,
        /// An address, STREET|CITY[|POSTAL_CODE[|COUNTRY]] (country as an
        /// ISO code, e.g. CN); repeat for more.
        #[arg(long = "address")]
        addresses: Vec<String>,
        /// A phone number; repeat for more.
        #[arg(long = "phone")]
        phones: Vec<String>,
        /// A mobile number; repeat for more.
        #[arg(long = "mobile")]
        mobiles: Vec<String>,
        /// An e-mail address; repeat for more.
        #[arg(long = "email")]
        emails: Vec<String>,
        /// Read it from a JSON file instead (shape in the README).
        #[arg(long, conflicts_with_all = ["name", "addresses", "phones", "mobiles", "emails"])]
        from: Option<PathBuf>,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Change a customer offline: its name, a contact, an address; add
    /// addresses and contacts. Ids come from `fieldbook customer CODE`.
    Edit {
        /// The customer's code (or ERP id).
        code: String,
        /// The customer's new name.
        #[arg(long)]
        name: Option<String>,
        /// A contact's new value, CONTACT_ID=VALUE; repeat for more.
        #[arg(long = "contact")]
        contacts: Vec<String>,
        /// An address's new street, ADDRESS_ID=STREET.
        #[arg(long = "street")]
        streets: Vec<String>,
        /// An address's new postal code, ADDRESS_ID=CODE.
        #[arg(long = "postal-code")]
        postal_codes: Vec<String>,
        /// An address's new city, ADDRESS_ID=CITY.
        #[arg(long = "city")]
        cities: Vec<String>,
        /// A new address, STREET|CITY[|POSTAL_CODE[|COUNTRY]].
        #[arg(long = "add-address")]
        add_addresses: Vec<String>,
        /// A new phone number; repeat for more.
        #[arg(long = "add-phone")]
        add_phones: Vec<String>,
        /// A new mobile number; repeat for more.
        #[arg(long = "add-mobile")]
        add_mobiles: Vec<String>,
        /// A new e-mail address; repeat for more.
        #[arg(long = "add-email")]
        add_emails: Vec<String>,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RequestAction {
    /// File one offline; it goes to the ERP with the next sync, and its
    /// state comes back with the customer.
    New {
        /// The customer's code.
        #[arg(long)]
        customer: String,
        /// What the customer reports or asks for.
        #[arg(long)]
        description: String,
        /// The order it is about (the ERP's number).
        #[arg(long, conflicts_with = "invoice")]
        order: Option<String>,
        /// The invoice it is about (the ERP's number).
        #[arg(long)]
        invoice: Option<String>,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum QuoteAction {
    #[command(flatten)]
    Sale(SaleAction),
    /// Turn a quote into an order: the ERP confirms it with the next sync.
    Send {
        /// The quote's outbox entry number, or the ERP's quotation number.
        quote: String,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct EditArgs {
    /// The outbox entry number.
    entry: i64,
    /// A line, PRODUCT:QUANTITY[:UNIT_PRICE[:DISCOUNT_PERCENT]]; when any
    /// is given, they replace all the entry's lines.
    #[arg(long = "line")]
    lines: Vec<String>,
    #[command(flatten)]
    fields: SaleFields,
    /// Replace the whole entry with a JSON file (the shape `new` reads; the
    /// customer must stay the same).
    #[arg(long, conflicts_with_all = ["lines", "invoice_address", "shipment_address", "warehouse", "date", "reference", "note"])]
    from: Option<PathBuf>,
    /// Print JSON (the shapes in the README) instead of text.
    #[arg(long)]
    json: bool,
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
    #[command(flatten)]
    fields: SaleFields,
    /// Read it from a JSON file instead (shape in the README).
    #[arg(long, conflicts_with_all = ["customer", "lines", "invoice_address", "shipment_address", "warehouse", "date", "reference", "note"])]
    from: Option<PathBuf>,
    /// Print JSON (the shapes in the README) instead of text.
    #[arg(long)]
    json: bool,
}

/// The fields of a quote or order besides customer and lines, as `new`
/// and `edit` take them.
#[derive(Args)]
struct SaleFields {
    /// Invoice address (its id, from `fieldbook customer`) [new: the
    /// customer's first invoice address].
    #[arg(long)]
    invoice_address: Option<i64>,
    /// Shipment address [new: the customer's first delivery address].
    #[arg(long)]
    shipment_address: Option<i64>,
    /// Warehouse code [new: the first warehouse].
    #[arg(long)]
    warehouse: Option<String>,
    /// Requested delivery date, YYYY-MM-DD.
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    /// The customer's own reference (their purchase order number; "" clears
    /// it in `edit`).
    #[arg(long)]
    reference: Option<String>,
    /// A note ("" clears it in `edit`).
    #[arg(long)]
    note: Option<String>,
}

#[derive(Subcommand)]
enum OutboxAction {
    /// Every entry with its state (the default).
    List {
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One entry, with what was typed.
    Show {
        /// The outbox entry number.
        entry: i64,
        /// Print JSON (the shapes in the README) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send a refused entry again (after acknowledging its warning, or once
    /// the ERP's reason is gone).
    Retry {
        /// The outbox entry number.
        entry: i64,
    },
    /// Drop an entry the ERP has not accepted (and what waits on it).
    Discard {
        /// The outbox entry number.
        entry: i64,
    },
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
    /// The ERP user lacks a right: what it may read synced, the rest waits
    /// for the administrator.
    NotPermitted = 7,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Made from the definition above: no data folder, no log.
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "fieldbook",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Command::Manual { out } => {
            return match std::fs::create_dir_all(out)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), out))
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!(
                        "error: cannot write the manual pages to {}: {error}",
                        out.display()
                    );
                    ExitCode::from(Exit::Failure as u8)
                }
            };
        }
        _ => {}
    }
    let folders = match Folders::locate(cli.data_dir.clone()) {
        Ok(folders) => folders,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(Exit::Failure as u8);
        }
    };
    if let Err(problem) = fieldbook_app::logs::start(&folders.logs, "fieldbook-cli") {
        eprintln!("warning: {problem}");
    }
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
    match runtime.block_on(run(cli, folders)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(error) => {
            eprintln!("error: {error:#}");
            if let Some(how) = how_from_here(&error) {
                eprintln!("{how}");
            }
            ExitCode::from(exit_code(&error) as u8)
        }
    }
}

fn exit_code(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(error) = cause.downcast_ref::<AppError>() {
            return kind_exit(error.kind);
        }
        if let Some(error) = cause.downcast_ref::<ErpError>() {
            return erp_exit(error);
        }
        if let Some(error) = cause.downcast_ref::<SyncError>() {
            return match error {
                SyncError::Erp(error) => erp_exit(error),
                SyncError::Store(_) => Exit::Cache,
            };
        }
        if let Some(error) = cause.downcast_ref::<StoreError>() {
            // A change the cache refuses as given (an accepted entry to
            // discard, ...) is the caller's to fix, not a broken cache.
            return if error.is_refused_change() {
                Exit::BadInput
            } else {
                Exit::Cache
            };
        }
    }
    Exit::Failure
}

fn kind_exit(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::Input => Exit::BadInput,
        ErrorKind::NotFound => Exit::NotFound,
        ErrorKind::ErpUnavailable => Exit::ErpUnavailable,
        ErrorKind::ErpRefused => Exit::ErpRefused,
        ErrorKind::NotPermitted => Exit::NotPermitted,
        ErrorKind::Cache => Exit::Cache,
        ErrorKind::System => Exit::Failure,
    }
}

fn erp_exit(error: &ErpError) -> Exit {
    if matches!(error, ErpError::NotPermitted { .. }) {
        Exit::NotPermitted
    } else if error.is_transient() {
        Exit::ErpUnavailable
    } else {
        Exit::ErpRefused
    }
}

async fn run(cli: Cli, folders: Folders) -> anyhow::Result<Exit> {
    let data_dir = folders.data.clone();
    if cli.data_dir.is_none() {
        warn_of_an_earlier_folder(&data_dir);
    }
    // A command that writes holds the data folder while it runs, and is
    // refused while the window has the cache open.
    let _writing = if cli.command.writes() {
        Some(WriterLock::take(&data_dir, Holder::Cli)?)
    } else {
        None
    };
    let allow_insecure_http = cli.allow_insecure_http;
    match cli.command {
        Command::Init {
            erp,
            database,
            user,
        } => init(&data_dir, erp, database, user, allow_insecure_http).await,
        Command::Sync { page_size, json } => {
            sync(&data_dir, page_size, json, allow_insecure_http).await
        }
        Command::Status { json } => {
            let status = app(&data_dir)?.read(|store| store.status())?;
            output::status(&status, Utc::now(), json)?;
            Ok(Exit::Ok)
        }
        Command::Search { text, limit, json } => {
            let hits = app(&data_dir)?.read(|store| store.search(&text, limit))?;
            output::search(&hits, json)?;
            Ok(Exit::Ok)
        }
        Command::Customer {
            action: Some(action),
            ..
        } => customer_change(&app(&data_dir)?, action),
        Command::Customer {
            action: None,
            code: None,
            ..
        } => {
            eprintln!(
                "error: give a customer's code (`fieldbook customer C-ACME`), or `customer new` / `customer edit CODE`"
            );
            Ok(Exit::BadInput)
        }
        Command::Customer {
            action: None,
            code: Some(code),
            json,
        } => {
            let found = app(&data_dir)?.read(|store| store.customer_as_typed(&code))?;
            Ok(show("customer", &code, found, |view| {
                output::customer(view, Utc::now(), json)
            }))
        }
        Command::Quote {
            action: QuoteAction::Sale(action),
        } => sale(&data_dir, SaleKind::Quote, action),
        Command::Quote {
            action: QuoteAction::Send { quote, json },
        } => send_quote(&app(&data_dir)?, &quote, json),
        Command::Order { action } => sale(&data_dir, SaleKind::Order, action),
        Command::Request {
            action:
                RequestAction::New {
                    customer,
                    description,
                    order,
                    invoice,
                    json,
                },
        } => new_request(
            &app(&data_dir)?,
            &customer,
            description,
            order.as_deref(),
            invoice.as_deref(),
            json,
        ),
        Command::Outbox { action } => {
            let now = Utc::now();
            match action.unwrap_or(OutboxAction::List { json: false }) {
                OutboxAction::List { json } => {
                    app(&data_dir)?
                        .read(|store| Ok(write::outbox(store, &store.outbox()?, now, json)))??;
                }
                OutboxAction::Show { entry, json } => {
                    return show_entry(&app(&data_dir)?, entry, json);
                }
                OutboxAction::Retry { entry } => {
                    if let Err(error) = app(&data_dir)?.retry(entry) {
                        return refused(error, "nothing was changed");
                    }
                    println!("Entry {entry} will be sent again with the next `fieldbook sync`.");
                }
                OutboxAction::Discard { entry } => {
                    let discarded = match app(&data_dir)?.discard(entry) {
                        Ok(discarded) => discarded,
                        Err(error) => return refused(error, "nothing was discarded"),
                    };
                    let removed = discarded.entries;
                    let plural = if removed == 1 { "y" } else { "ies" };
                    if discarded.ever_sent == 0 {
                        println!(
                            "Discarded {removed} entr{plural} (none of it was ever sent to the ERP)."
                        );
                    } else {
                        println!(
                            "Discarded {removed} entr{plural}. The ERP refused {} of them when they were sent, \
                             but a refusal half-way can leave a draft there: the next `fieldbook sync` looks \
                             for one and reports what the ERP holds.",
                            discarded.ever_sent
                        );
                    }
                }
            }
            Ok(Exit::Ok)
        }
        Command::Product { code, json } => {
            let found = app(&data_dir)?.read(|store| store.product_as_typed(&code))?;
            Ok(show("product", &code, found, |view| {
                output::product(view, Utc::now(), json)
            }))
        }
        Command::Logs { json } => {
            output::folders(&folders, json)?;
            Ok(Exit::Ok)
        }
        Command::Completions { .. } | Command::Manual { .. } => {
            unreachable!("answered in main, before the data folder is looked for")
        }
    }
}

impl Command {
    /// Whether the command writes to the cache (and so must not run while
    /// the window has it open).
    fn writes(&self) -> bool {
        match self {
            Command::Init { .. }
            | Command::Sync { .. }
            | Command::Request { .. }
            | Command::Quote { .. }
            | Command::Order { .. } => !matches!(
                self,
                Command::Quote {
                    action: QuoteAction::Sale(SaleAction::Show { .. })
                } | Command::Order {
                    action: SaleAction::Show { .. }
                }
            ),
            Command::Customer { action, .. } => action.is_some(),
            Command::Outbox { action } => matches!(
                action,
                Some(OutboxAction::Retry { .. } | OutboxAction::Discard { .. })
            ),
            Command::Status { .. }
            | Command::Search { .. }
            | Command::Product { .. }
            | Command::Logs { .. }
            | Command::Completions { .. }
            | Command::Manual { .. } => false,
        }
    }
}

/// Builds before the window and the CLI shared a folder kept the CLI's
/// cache in a folder of its own: say where it is, rather than act as if
/// there were none.
fn warn_of_an_earlier_folder(data_dir: &Path) {
    let Some(earlier) = directories::ProjectDirs::from("com", "Fieldbook", "fieldbook")
        .map(|dirs| dirs.data_dir().to_owned())
    else {
        return;
    };
    if earlier != data_dir
        && earlier.join("cache.db").exists()
        && !data_dir.join("cache.db").exists()
    {
        eprintln!(
            "warning: a cache made by an earlier fieldbook is in {}; the window and the CLI now share {}: \
             move the files there (or pass --data-dir {})",
            earlier.display(),
            data_dir.display(),
            earlier.display()
        );
    }
}

/// Each `--line` as typed, read; the first that cannot be read refuses all.
fn typed_lines(lines: &[String]) -> Result<Vec<write::LineForm>, AppError> {
    lines
        .iter()
        .map(|line| write::LineForm::parse(line))
        .collect()
}

/// `quote new|show|edit` and `order new|show|edit`.
fn sale(data_dir: &Path, kind: SaleKind, action: SaleAction) -> anyhow::Result<Exit> {
    let args = match action {
        SaleAction::Show { entry, json } => return show_entry(&app(data_dir)?, entry, json),
        SaleAction::Edit(args) => return edit_sale(&app(data_dir)?, kind, args),
        SaleAction::New(args) => args,
    };
    let app = app(data_dir)?;
    let form = match &args.from {
        Some(path) => write::read_form(path),
        None => typed_lines(&args.lines).map(|lines| write::SaleForm {
            customer: args.customer.clone().unwrap_or_default(),
            lines,
            invoice_address: args.fields.invoice_address,
            shipment_address: args.fields.shipment_address,
            warehouse: args.fields.warehouse.clone(),
            requested_date: args.fields.date,
            reference: args.fields.reference.clone(),
            note: args.fields.note.clone(),
        }),
    };
    let saved = form
        .and_then(|form| write::wire_form(&app, kind, &form))
        .and_then(|form| app.save_sale(&form, None));
    match saved {
        Ok(saved) => sale_saved(&app, saved.entry, args.json),
        Err(error) => refused(error, "nothing was saved"),
    }
}

/// Says what a `new` or `edit` saved, with what it takes from credit and
/// stock.
fn sale_saved(app: &App, seq: i64, json: bool) -> anyhow::Result<Exit> {
    let (entry, digits) =
        app.read(|store| Ok((store.outbox_entry(seq)?, store.currency_digits()?)))?;
    let entry = entry.context("the entry just saved is gone")?;
    let fieldbook_store::EntryPayload::Sale(draft) = &entry.payload else {
        anyhow::bail!("outbox entry {seq} just saved is not a quote or order");
    };
    let mut checks = write::Checks::say(&app.entry_checks(seq)?, Utc::now());
    let preview = app.preview_sale(&app.sale_form(seq)?, Some(seq))?;
    write::say_pricing(&preview, &mut checks);
    write::saved(&entry, draft, &preview, &checks, digits, json)?;
    Ok(Exit::Ok)
}

/// `quote edit` and `order edit`.
fn edit_sale(app: &App, kind: SaleKind, args: EditArgs) -> anyhow::Result<Exit> {
    let edits = write::Edits {
        lines: Vec::new(),
        invoice_address: args.fields.invoice_address,
        shipment_address: args.fields.shipment_address,
        warehouse: args.fields.warehouse.clone(),
        requested_date: args.fields.date,
        reference: args.fields.reference.clone(),
        note: args.fields.note.clone(),
    };
    let form = match &args.from {
        Some(path) => write::read_form(path).and_then(|form| write::wire_form(app, kind, &form)),
        None => typed_lines(&args.lines).and_then(|lines| {
                let edits = write::Edits { lines, ..edits };
                if edits.is_empty() {
                    return Err(AppError::invalid(
                        "nothing to change: give the fields to change (e.g. --line P-TEA:5), or --from FILE",
                    ));
                }
                let mut form = edits.apply(app, app.sale_form(args.entry)?)?;
                form.kind = match kind {
                    SaleKind::Quote => "quote",
                    SaleKind::Order => "order",
                }
                .to_owned();
                Ok(form)
            }),
    };
    match form.and_then(|form| app.save_sale(&form, Some(args.entry))) {
        Ok(saved) => sale_saved(app, saved.entry, args.json),
        Err(error) => refused(error, "the entry is unchanged"),
    }
}

/// `customer new` and `customer edit`.
fn customer_change(app: &App, action: CustomerAction) -> anyhow::Result<Exit> {
    match action {
        CustomerAction::New {
            name,
            addresses,
            phones,
            mobiles,
            emails,
            from,
            json,
        } => {
            let form = match from {
                Some(path) => customers::read_form(&path),
                None => addresses
                    .iter()
                    .map(|text| customers::AddressForm::parse("--address", text))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|addresses| customers::CustomerForm {
                        name: name.unwrap_or_default(),
                        addresses,
                        contacts: Vec::new(),
                    }),
            };
            let saved = form.and_then(|form| {
                app.new_customer(&form.wire(customers::contacts(&phones, &mobiles, &emails)))
            });
            match saved {
                Ok(saved) => {
                    customers::saved(
                        saved.entry,
                        saved.customer_id,
                        Some(&saved.code),
                        true,
                        json,
                    )?;
                    Ok(Exit::Ok)
                }
                Err(error) => refused(error, "nothing was saved"),
            }
        }
        CustomerAction::Edit {
            code,
            name,
            contacts,
            streets,
            postal_codes,
            cities,
            add_addresses,
            add_phones,
            add_mobiles,
            add_emails,
            json,
        } => {
            let form = customers::EditForm {
                name,
                contacts,
                streets,
                postal_codes,
                cities,
                add_addresses,
                add_contacts: customers::contacts(&add_phones, &add_mobiles, &add_emails),
            };
            let saved = app.customer_id(&code).and_then(|customer_id| {
                let saved = app.edit_customer(&form.wire(customer_id)?)?;
                Ok((saved.entry, customer_id))
            });
            match saved {
                Ok((seq, customer_id)) => {
                    let view = app.read(|store| store.customer(CustomerRef::Id(customer_id)))?;
                    let code = view
                        .as_ref()
                        .and_then(|view| view.customer.value.code.as_deref());
                    customers::saved(seq, customer_id, code, false, json)?;
                    Ok(Exit::Ok)
                }
                Err(error) => refused(error, "nothing was saved"),
            }
        }
    }
}

/// `request new`.
fn new_request(
    app: &App,
    customer: &str,
    description: String,
    order: Option<&str>,
    invoice: Option<&str>,
    json: bool,
) -> anyhow::Result<Exit> {
    let saved = (|| {
        let form = wire::RequestForm {
            customer_id: app.customer_id(customer)?,
            description,
            order_id: order.map(|number| app.order_id(number)).transpose()?,
            invoice_id: invoice.map(|number| app.invoice_id(number)).transpose()?,
        };
        app.save_request(&form)
    })();
    let seq = match saved {
        Ok(saved) => saved.entry,
        Err(error) => return refused(error, "nothing was saved"),
    };
    if json {
        let entry = app
            .read(|store| store.outbox_entry(seq))?
            .context("the entry just saved is gone")?;
        output::print_json(
            &serde_json::json!({"entry": seq, "uuid": entry.uuid, "kind": "request"}),
        )?;
    } else {
        println!(
            "Saved the after-sales request offline as outbox entry {seq}; it goes to the ERP with the next `fieldbook sync`, and its state shows with the customer."
        );
    }
    Ok(Exit::Ok)
}

/// `quote send`.
fn send_quote(app: &App, quote: &str, json: bool) -> anyhow::Result<Exit> {
    let seq = match app
        .quote_named(quote)
        .and_then(|quote| app.send_quote(&quote))
    {
        Ok(saved) => saved.entry,
        Err(error) => return refused(error, "nothing was saved"),
    };
    let entry = app
        .read(|store| store.outbox_entry(seq))?
        .context("the entry just saved is gone")?;
    let fieldbook_store::EntryPayload::QuoteToOrder(change) = &entry.payload else {
        anyhow::bail!("outbox entry {seq} just saved does not turn a quote into an order");
    };
    let checks = write::Checks::say(&app.entry_checks(seq)?, Utc::now());
    write::quote_sent(&entry, change, &checks, json)?;
    Ok(Exit::Ok)
}

/// Says why the application layer refused, and what became of the change
/// (`outcome`), with the exit code for the reason.
fn refused(error: AppError, outcome: &str) -> anyhow::Result<Exit> {
    eprintln!("error: {error}; {outcome}");
    if let Some(how) = how_for_code(&error.code) {
        eprintln!("{how}");
    }
    Ok(kind_exit(error.kind))
}

/// The libraries say what to do in any front end's words ("connect
/// again"); this says how, with this CLI.
fn how_from_here(error: &anyhow::Error) -> Option<&'static str> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<AppError>() {
            return how_for_code(&error.code);
        }
        cause.downcast_ref::<StoreError>().and_then(|error| {
            how_for_code(match error {
                StoreError::Missing { .. } => "errors.cache.missing",
                StoreError::AlreadyExists { .. } => "errors.cache.exists",
                StoreError::WrongKeyOrNotACache { .. } => "errors.cache.wrong_key",
                StoreError::Corrupt { .. } | StoreError::BadValue(_) => "errors.cache.damaged",
                _ => return None,
            })
        })
    })
}

fn how_for_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "errors.cache.missing" => "With this CLI: run `fieldbook init` first.",
        "errors.cache.exists" => "With this CLI: use it, or pass --data-dir.",
        "errors.cache.wrong_key" | "errors.cache.damaged" => {
            "With this CLI: move the cache file away and run `fieldbook init` again."
        }
        "errors.not_found.entry" | "errors.outbox.not_waiting" => {
            "With this CLI: `fieldbook outbox list` lists every entry."
        }
        "errors.outbox.other_kind_quote" => "With this CLI: `fieldbook quote edit ENTRY`.",
        "errors.outbox.other_kind_order" => "With this CLI: `fieldbook order edit ENTRY`.",
        "errors.refused.not_theirs_invoice_address"
        | "errors.refused.not_theirs_shipment_address"
        | "errors.refused.not_theirs_order"
        | "errors.refused.not_theirs_invoice" => {
            "With this CLI: `fieldbook customer CODE` lists what is theirs."
        }
        "errors.not_found.customer" | "errors.not_found.product" => {
            "With this CLI: `fieldbook search TEXT` finds it, or `fieldbook sync` brings it."
        }
        "errors.customer.not_theirs_contact" | "errors.customer.not_theirs_address" => {
            "With this CLI: `fieldbook customer CODE` lists its ids."
        }
        _ => return None,
    })
}

fn show_entry(app: &App, entry: i64, json: bool) -> anyhow::Result<Exit> {
    app.read(|store| {
        Ok(match store.outbox_entry(entry)? {
            Some(found) => write::entry(store, &found, Utc::now(), json).map(|()| Exit::Ok),
            None => {
                eprintln!("error: no outbox entry {entry}: see `fieldbook outbox list`");
                Ok(Exit::NotFound)
            }
        })
    })?
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
    url: String,
    database: String,
    login: String,
    allow_insecure_http: bool,
) -> anyhow::Result<Exit> {
    let app = App::new(data_dir.to_owned(), Arc::new(Prompted::new(data_dir)))
        .refusing_an_existing_cache()
        .allowing_insecure_http(allow_insecure_http);
    let password = secret("FIELDBOOK_PASSWORD", &format!("ERP password for {login}: "))?;
    // Checks the ERP first: nothing is written unless it accepts the login;
    // the passphrase is asked for then.
    app.connect(wire::ConnectForm {
        url,
        database,
        login,
        password,
    })
    .await?;
    let erp = app
        .session()?
        .erp
        .context("the cache just made names no ERP")?;
    println!(
        "Connected to the ERP at {} as {}; created an encrypted cache at {}.",
        erp.url,
        erp.login,
        data_dir.join("cache.db").display()
    );
    println!("Next: `fieldbook sync` to fetch customers, products, stock and credit.");
    Ok(Exit::Ok)
}

async fn sync(
    data_dir: &Path,
    page_size: usize,
    json: bool,
    allow_insecure_http: bool,
) -> anyhow::Result<Exit> {
    if page_size == 0 {
        anyhow::bail!("--page-size must be at least 1");
    }
    let app = App::new(data_dir.to_owned(), Arc::new(Prompted::new(data_dir)))
        .allowing_insecure_http(allow_insecure_http);
    app.open()?;
    // Bars on a terminal; plain lines elsewhere when asked for.
    let mut bars = std::io::stderr()
        .is_terminal()
        .then(|| progress::Bars::new(indicatif::ProgressDrawTarget::stderr()));
    let lines = std::env::var_os("FIELDBOOK_PROGRESS").is_some();
    let mut on_progress = |event: Progress| match bars.as_mut() {
        Some(bars) => bars.show(&event),
        None if lines => output::progress(&event),
        None => {}
    };
    // Every entry that may go is sent now, whatever its back-off: a person
    // asked for this sync.
    let run = SyncRun {
        respect_backoff: false,
        options: SyncOptions {
            page_size,
            ..SyncOptions::default()
        },
    };
    let reports = app.sync_reports(&run, &mut on_progress).await;
    if let Some(bars) = &bars {
        bars.finish();
    }
    let reports = reports?;
    output::sync_report(&reports.pushed, &reports.pulled, reports.requests, json)?;
    Ok(
        if reports.pulled.not_readable.is_empty() && reports.pushed.not_permitted.is_empty() {
            Exit::Ok
        } else {
            Exit::NotPermitted
        },
    )
}

/// The application layer on the cache in `data_dir`, opened with the key
/// from the environment or a prompt.
fn app(data_dir: &Path) -> anyhow::Result<App> {
    let app = App::new(data_dir.to_owned(), Arc::new(Prompted::new(data_dir)));
    app.open()?;
    Ok(app)
}

/// The CLI keeps no secret on disk. Each comes, once per run, from the
/// environment, else the keyring entry the window keeps for this data
/// folder (an administrator's `fieldbook status` on a salesperson's
/// laptop), else a prompt; it is kept in memory until the run ends.
struct Prompted {
    known: MemorySecrets,
    keyring: KeyringSecrets,
}

impl Prompted {
    fn new(data_dir: &Path) -> Prompted {
        Prompted {
            known: MemorySecrets::default(),
            keyring: KeyringSecrets::new(data_dir),
        }
    }

    /// The window's entry, if the keyring can be reached and holds one.
    fn kept_in_keyring(&self, name: &str) -> Option<String> {
        match self.keyring.get(name) {
            Ok(found) => found,
            Err(error) => {
                tracing::debug!(%error, "no keyring to look in");
                None
            }
        }
    }
}

impl Secrets for Prompted {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        if let Some(known) = self.known.get(name)? {
            return Ok(Some(known));
        }
        let (variable, prompt) = match name {
            CACHE_KEY_SECRET => ("FIELDBOOK_CACHE_KEY", "Cache passphrase: "),
            PASSWORD_SECRET => ("FIELDBOOK_PASSWORD", "ERP password: "),
            _ => return Ok(None),
        };
        let found = match std::env::var(variable) {
            Ok(value) => value,
            Err(_) => match self.kept_in_keyring(name) {
                Some(kept) => kept,
                None => secret(variable, prompt).map_err(|error| {
                    AppError::new("errors.secrets.missing", format!("{error:#}"))
                })?,
            },
        };
        self.known.set(name, &found)?;
        Ok(Some(found))
    }

    /// Kept for this run only: the CLI writes nothing to the keyring.
    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        self.known.set(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        self.known.delete(name)
    }

    /// The person chooses the cache's passphrase.
    fn new_cache_key(&self) -> Result<Option<String>, AppError> {
        secret("FIELDBOOK_CACHE_KEY", "Passphrase to encrypt the cache: ")
            .map(Some)
            .map_err(|error| AppError::new("errors.secrets.missing", format!("{error:#}")))
    }
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// `--help` (and the manual page) describes every flag and argument of
    /// every command.
    #[test]
    fn every_flag_and_argument_is_described() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        let command = Cli::command();
        command.clone().debug_assert();
        walk(&command, "fieldbook", &mut missing);
        assert!(missing.is_empty(), "no help for: {missing:#?}");
    }

    #[test]
    fn the_help_names_the_environment_and_the_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        for words in [
            "FIELDBOOK_DATA_DIR",
            "FIELDBOOK_LOG_DIR",
            "FIELDBOOK_CACHE_KEY",
            "Exit codes:",
            "6  The cache cannot be used",
        ] {
            assert!(help.contains(words), "{words:?} is not in --help:\n{help}");
        }
    }
}
