//! Fieldbook's desktop window. Each command is one call to
//! `fieldbook_app::App`, which holds everything the window does and is
//! tested without it; this file only wires Tauri to it: the app's state, the
//! OS keyring, the background sync and its events to the window.

// No console window next to the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod keyring_secrets;

use fieldbook_app::wire::{
    ConnectForm, Connectivity, CustomerDetail, CustomerEditForm, CustomerForm, EntryRow, ErpInfo,
    Hit, Home, ProductDetail, QuoteToSend, RequestForm, SaleForm, SalePreview, Saved,
    SavedCustomer, Session, Settings, SyncEvent, SyncSummary, WarehouseRow,
};
use fieldbook_app::{App, AppError, Trigger};
use std::sync::Arc;
use tauri::{Emitter, Manager, State};

/// The event every sync reports through.
const SYNC_EVENT: &str = "sync";

type AppState<'a> = State<'a, Arc<App>>;

#[tauri::command]
async fn session(app: AppState<'_>) -> Result<Session, AppError> {
    app.session()
}

#[tauri::command]
async fn connect(app: AppState<'_>, form: ConnectForm) -> Result<Session, AppError> {
    app.connect(form).await
}

#[tauri::command]
async fn home(app: AppState<'_>) -> Result<Home, AppError> {
    app.home()
}

#[tauri::command]
async fn connectivity(app: AppState<'_>) -> Result<Connectivity, AppError> {
    Ok(app.connectivity())
}

#[tauri::command]
async fn search(
    app: AppState<'_>,
    text: String,
    kind: Option<String>,
) -> Result<Vec<Hit>, AppError> {
    app.search(&text, kind.as_deref())
}

#[tauri::command]
async fn customer(app: AppState<'_>, id: i64) -> Result<CustomerDetail, AppError> {
    app.customer(id)
}

#[tauri::command]
async fn product(app: AppState<'_>, id: i64) -> Result<ProductDetail, AppError> {
    app.product(id)
}

#[tauri::command]
async fn warehouses(app: AppState<'_>) -> Result<Vec<WarehouseRow>, AppError> {
    app.warehouses()
}

#[tauri::command]
async fn preview_sale(
    app: AppState<'_>,
    form: SaleForm,
    editing: Option<i64>,
) -> Result<SalePreview, AppError> {
    app.preview_sale(&form, editing)
}

#[tauri::command]
async fn save_sale(
    app: AppState<'_>,
    form: SaleForm,
    editing: Option<i64>,
) -> Result<Saved, AppError> {
    app.save_sale(&form, editing)
}

#[tauri::command]
async fn save_request(app: AppState<'_>, form: RequestForm) -> Result<Saved, AppError> {
    app.save_request(&form)
}

#[tauri::command]
async fn new_customer(app: AppState<'_>, form: CustomerForm) -> Result<SavedCustomer, AppError> {
    app.new_customer(&form)
}

#[tauri::command]
async fn edit_customer(app: AppState<'_>, form: CustomerEditForm) -> Result<Saved, AppError> {
    app.edit_customer(&form)
}

#[tauri::command]
async fn send_quote(app: AppState<'_>, quote: QuoteToSend) -> Result<Saved, AppError> {
    app.send_quote(&quote)
}

#[tauri::command]
async fn outbox(app: AppState<'_>) -> Result<Vec<EntryRow>, AppError> {
    app.outbox()
}

#[tauri::command]
async fn outbox_entry(app: AppState<'_>, entry: i64) -> Result<EntryRow, AppError> {
    app.outbox_entry(entry)
}

#[tauri::command]
async fn retry(app: AppState<'_>, entry: i64) -> Result<(), AppError> {
    app.retry(entry)
}

#[tauri::command]
async fn discard(app: AppState<'_>, entry: i64) -> Result<usize, AppError> {
    app.discard(entry)
}

#[tauri::command]
async fn sync_now(app: AppState<'_>, window: tauri::AppHandle) -> Result<SyncSummary, AppError> {
    app.sync(Trigger::Person, &|event| emit(&window, event))
        .await
}

#[tauri::command]
async fn settings(app: AppState<'_>) -> Result<Settings, AppError> {
    app.settings()
}

#[tauri::command]
async fn save_settings(app: AppState<'_>, settings: Settings) -> Result<Settings, AppError> {
    app.save_settings(settings)
}

#[tauri::command]
async fn sign_out(app: AppState<'_>) -> Result<(), AppError> {
    app.sign_out().await
}

fn emit(handle: &tauri::AppHandle, event: SyncEvent) {
    if let Err(error) = handle.emit(SYNC_EVENT, event) {
        tracing::warn!(%error, "cannot tell the window about the sync");
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("FIELDBOOK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let result = tauri::Builder::default()
        .setup(|tauri_app| {
            // FIELDBOOK_DATA_DIR chooses another folder (tests, a second
            // profile); the default is the platform's app data folder.
            let data_dir = match std::env::var_os("FIELDBOOK_DATA_DIR") {
                Some(dir) => dir.into(),
                None => tauri_app.path().app_data_dir()?,
            };
            let secrets = Arc::new(keyring_secrets::KeyringSecrets::new(&data_dir));
            let mut app = App::new(data_dir, secrets);
            // An administrator (or the demo) can preset the ERP the connect
            // page offers; the salesperson still types the password.
            if let (Ok(url), Ok(database), Ok(login)) = (
                std::env::var("FIELDBOOK_ERP_URL"),
                std::env::var("FIELDBOOK_ERP_DATABASE"),
                std::env::var("FIELDBOOK_ERP_LOGIN"),
            ) {
                app = app.with_suggested_erp(ErpInfo {
                    url,
                    database,
                    login,
                });
            }
            let app = Arc::new(app);
            tauri_app.manage(app.clone());
            let handle = tauri_app.handle().clone();
            tauri::async_runtime::spawn(fieldbook_app::run_background(app, move |event| {
                emit(&handle, event)
            }));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            session,
            connect,
            home,
            connectivity,
            search,
            customer,
            product,
            warehouses,
            preview_sale,
            save_sale,
            save_request,
            new_customer,
            edit_customer,
            send_quote,
            outbox,
            outbox_entry,
            retry,
            discard,
            sync_now,
            settings,
            save_settings,
            sign_out,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("error: Fieldbook's window could not start: {error}");
        std::process::exit(1);
    }
}
