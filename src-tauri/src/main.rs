//! Fieldbook's desktop window. Each command but `notify` (the desktop's
//! notifications) is one call to `fieldbook_app::App`, which holds
//! everything the window does and is tested without it; this file only
//! wires Tauri to it: the app's state, the OS keyring, the background sync
//! and its events to the window.

// No console window next to the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod display;

use fieldbook_app::local::{Folders, Holder, WriterLock};
use fieldbook_app::wire::{
    ConnectForm, Connectivity, CustomerDetail, CustomerEditForm, CustomerForm, DiscardedRow,
    EntryRow, ErpInfo, Hit, Home, ProductDetail, QuoteToSend, RequestForm, SaleForm, SalePreview,
    Saved, SavedCustomer, Session, Settings, SyncEvent, SyncSummary, WarehouseRow,
};
use fieldbook_app::{App, AppError, KeyringSecrets, Trigger};
use std::sync::Arc;
use tauri::{Emitter, Manager, State};

/// The event every sync reports through.
const SYNC_EVENT: &str = "sync";

type AppState<'a> = State<'a, Arc<App>>;

/// Runs a command's body, which reads or writes the cache (SQLite) and
/// perhaps the keyring, on the blocking pool, so that it never holds up
/// one of the few async workers that carry the IPC and the background
/// sync.
async fn blocking<T: Send + 'static>(
    app: AppState<'_>,
    body: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let app = Arc::clone(&app);
    tauri::async_runtime::spawn_blocking(move || body(&app))
        .await
        .map_err(|error| {
            let message = format!("the command stopped unexpectedly: {error}");
            AppError::new("errors.unknown", message.clone()).with("message", message)
        })?
}

#[tauri::command]
async fn session(app: AppState<'_>) -> Result<Session, AppError> {
    blocking(app, |app| app.session()).await
}

#[tauri::command]
async fn connect(app: AppState<'_>, form: ConnectForm) -> Result<Session, AppError> {
    app.connect(form).await
}

#[tauri::command]
async fn home(app: AppState<'_>) -> Result<Home, AppError> {
    blocking(app, |app| app.home()).await
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
    blocking(app, move |app| app.search(&text, kind.as_deref())).await
}

#[tauri::command]
async fn customer(app: AppState<'_>, id: i64) -> Result<CustomerDetail, AppError> {
    blocking(app, move |app| app.customer(id)).await
}

#[tauri::command]
async fn product(app: AppState<'_>, id: i64) -> Result<ProductDetail, AppError> {
    blocking(app, move |app| app.product(id)).await
}

#[tauri::command]
async fn warehouses(app: AppState<'_>) -> Result<Vec<WarehouseRow>, AppError> {
    blocking(app, |app| app.warehouses()).await
}

#[tauri::command]
async fn preview_sale(
    app: AppState<'_>,
    form: SaleForm,
    editing: Option<i64>,
) -> Result<SalePreview, AppError> {
    blocking(app, move |app| app.preview_sale(&form, editing)).await
}

#[tauri::command]
async fn save_sale(
    app: AppState<'_>,
    form: SaleForm,
    editing: Option<i64>,
) -> Result<Saved, AppError> {
    blocking(app, move |app| app.save_sale(&form, editing)).await
}

#[tauri::command]
async fn save_request(app: AppState<'_>, form: RequestForm) -> Result<Saved, AppError> {
    blocking(app, move |app| app.save_request(&form)).await
}

#[tauri::command]
async fn new_customer(app: AppState<'_>, form: CustomerForm) -> Result<SavedCustomer, AppError> {
    blocking(app, move |app| app.new_customer(&form)).await
}

#[tauri::command]
async fn edit_customer(app: AppState<'_>, form: CustomerEditForm) -> Result<Saved, AppError> {
    blocking(app, move |app| app.edit_customer(&form)).await
}

#[tauri::command]
async fn send_quote(app: AppState<'_>, quote: QuoteToSend) -> Result<Saved, AppError> {
    blocking(app, move |app| app.send_quote(&quote)).await
}

#[tauri::command]
async fn outbox(app: AppState<'_>) -> Result<Vec<EntryRow>, AppError> {
    blocking(app, |app| app.outbox()).await
}

#[tauri::command]
async fn discarded(app: AppState<'_>) -> Result<Vec<DiscardedRow>, AppError> {
    blocking(app, |app| app.discarded()).await
}

#[tauri::command]
async fn outbox_entry(app: AppState<'_>, entry: i64) -> Result<EntryRow, AppError> {
    blocking(app, move |app| app.outbox_entry(entry)).await
}

#[tauri::command]
async fn retry(app: AppState<'_>, entry: i64) -> Result<(), AppError> {
    blocking(app, move |app| app.retry(entry)).await
}

#[tauri::command]
async fn discard(app: AppState<'_>, entry: i64) -> Result<usize, AppError> {
    blocking(app, move |app| {
        app.discard(entry).map(|discarded| discarded.entries)
    })
    .await
}

#[tauri::command]
async fn sync_now(app: AppState<'_>, window: tauri::AppHandle) -> Result<SyncSummary, AppError> {
    app.sync(Trigger::Person, &|event| emit(&window, event))
        .await
}

#[tauri::command]
async fn settings(app: AppState<'_>) -> Result<Settings, AppError> {
    blocking(app, |app| app.settings()).await
}

#[tauri::command]
async fn save_settings(app: AppState<'_>, settings: Settings) -> Result<Settings, AppError> {
    blocking(app, move |app| app.save_settings(settings)).await
}

#[tauri::command]
async fn about(
    app: AppState<'_>,
    folders: State<'_, Folders>,
) -> Result<fieldbook_app::wire::About, AppError> {
    Ok(app.about(&folders))
}

#[tauri::command]
async fn sign_out(app: AppState<'_>) -> Result<(), AppError> {
    app.sign_out().await
}

/// Shows a notification outside the window (the desktop's own), for what
/// the salesperson must see even with another app in front: an entry the
/// ERP refused. The window words it; its own toast says the same, so a
/// desktop without a notification service loses nothing.
#[tauri::command]
async fn notify(title: String, body: String) -> Result<(), AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        notify_rust::Notification::new()
            .appname("Fieldbook")
            .summary(&title)
            .body(&notification_body(&body))
            .show()
            .map(drop)
    })
    .await
    .map_err(|error| error.to_string())
    .and_then(|shown| shown.map_err(|error| error.to_string()))
    .map_err(|error| {
        AppError::new(
            "errors.notify",
            format!("the desktop did not show the notification: {error}"),
        )
        .with("reason", error)
    })
}

/// The body as the desktop's notification service reads it: Freedesktop
/// services (GNOME Shell, KDE, dunst) take a little markup in the body, so
/// an `&` or `<` in a customer's name or the ERP's words is escaped there.
fn notification_body(body: &str) -> String {
    if cfg!(all(unix, not(target_os = "macos"))) {
        body.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        body.to_owned()
    }
}

/// Saves the window's size and place half a second after it last changed.
/// The plugin saves them only when the app exits normally; a laptop's
/// battery running out, or a logout that kills the app, would lose them.
fn keep_window_state(handle: &tauri::AppHandle) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    static LAST_CHANGE: AtomicU64 = AtomicU64::new(0);
    let change = LAST_CHANGE.fetch_add(1, Ordering::SeqCst) + 1;
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if LAST_CHANGE.load(Ordering::SeqCst) == change
            && let Err(error) = handle.save_window_state(StateFlags::all())
        {
            tracing::warn!(%error, "cannot keep the window's size and place");
        }
    });
}

fn emit(handle: &tauri::AppHandle, event: SyncEvent) {
    if let Err(error) = handle.emit(SYNC_EVENT, event) {
        tracing::warn!(%error, "cannot tell the window about the sync");
    }
}

/// How WebKitGTK is told to draw without a GPU: no accelerated compositing
/// (it would composite every frame of the whole window through Mesa's
/// software OpenGL, llvmpipe) and Skia painting on the CPU. With both, the
/// window benchmark's keystrokes were drawn several times sooner
/// (BENCHMARKS.md, "The desktop window").
const WITHOUT_GPU: [(&str, &str); 2] = [
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
];

/// Whether a GPU can be reached for rendering: a DRM render node. None in
/// a virtual machine, over most remote desktops, or without the GPU's
/// driver; there WebKit's OpenGL lands on the software rasteriser.
fn gpu_reachable(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

fn main() {
    if cfg!(target_os = "linux") && !gpu_reachable(std::path::Path::new("/dev/dri")) {
        for (name, value) in WITHOUT_GPU {
            // A value the person set wins.
            if std::env::var_os(name).is_none() {
                // SAFETY: the first thing the process does, before any
                // thread starts; WebKit's processes inherit it.
                unsafe { std::env::set_var(name, value) };
            }
        }
    }
    // FIELDBOOK_DATA_DIR chooses another folder (tests, a second
    // profile); the default is the platform's, the one the CLI uses too.
    let folders = match Folders::locate(std::env::var_os("FIELDBOOK_DATA_DIR").map(Into::into)) {
        Ok(folders) => folders,
        Err(error) => {
            eprintln!("error: Fieldbook's window cannot start: {error}");
            std::process::exit(1);
        }
    };
    if let Err(problem) = fieldbook_app::logs::start(&folders.logs, "fieldbook-window") {
        eprintln!("warning: {problem}");
    }
    if let Err(reason) = display::check() {
        tracing::warn!(%reason, "no display");
        eprintln!("error: Fieldbook's window cannot open: {reason}");
        std::process::exit(1);
    }
    let data_dir = folders.data.clone();
    let result = tauri::Builder::default()
        // A second start shows the window already open (first, so that
        // nothing else starts twice).
        .plugin(tauri_plugin_single_instance::init(|tauri_app, _, _| {
            if let Some(window) = tauri_app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        // The window opens where and as large as it was left.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .on_window_event(|window, event| {
            if matches!(
                event,
                tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)
            ) {
                keep_window_state(window.app_handle());
            }
        })
        .setup(move |tauri_app| {
            // The CLI writes to this cache only while the window is closed:
            // wait for a command that is writing now to finish.
            let lock = WriterLock::wait(&data_dir, Holder::Window, |error| {
                tracing::warn!(%error, "waiting for the cache");
                eprintln!("Fieldbook's window is waiting: {error}");
            })?;
            tauri_app.manage(lock);
            tauri_app.manage(folders.clone());
            tracing::info!(data = %data_dir.display(), logs = %folders.logs.display(), "window opening");
            let secrets = Arc::new(KeyringSecrets::new(&data_dir));
            let mut app = App::new(data_dir.clone(), secrets);
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
            discarded,
            retry,
            discard,
            sync_now,
            settings,
            save_settings,
            sign_out,
            notify,
            about,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("error: Fieldbook's window could not start: {error}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{gpu_reachable, notification_body};
    use std::collections::BTreeSet;

    include!("../commands.rs");

    /// The window's commands are named in four places: commands.rs (which
    /// build.rs hands to Tauri), the handlers registered in this file, the
    /// capability that grants them, and ui/src/lib/ipc.ts that calls them.
    #[test]
    fn the_handlers_the_capability_and_the_ui_name_the_same_commands() {
        let commands: BTreeSet<String> = COMMANDS.iter().map(|name| name.to_string()).collect();
        assert_eq!(commands.len(), COMMANDS.len(), "a command listed twice");

        let source = include_str!("main.rs");
        let start = source
            .find("generate_handler![")
            .expect("main.rs registers its handlers")
            + "generate_handler![".len();
        let end = start + source[start..].find(']').expect("the handler list ends");
        let handlers: BTreeSet<String> = source[start..end]
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(
            handlers, commands,
            "generate_handler! in src-tauri/src/main.rs"
        );

        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .expect("the capability lists permissions")
            .iter()
            .filter_map(|permission| permission.as_str()?.strip_prefix("allow-"))
            .map(|permission| permission.replace('-', "_"))
            .collect();
        assert_eq!(granted, commands, "src-tauri/capabilities/default.json");

        // Every call in ipc.ts is `call<Type>('command'`.
        let ipc = include_str!("../../ui/src/lib/ipc.ts");
        let called: BTreeSet<String> = ipc
            .split(">('")
            .skip(1)
            .filter_map(|rest| rest.split_once('\'').map(|(name, _)| name.to_owned()))
            .collect();
        assert_eq!(called, commands, "ui/src/lib/ipc.ts");
    }

    #[test]
    fn a_notification_body_is_plain_text_to_the_desktop() {
        let body = notification_body("The ERP refused Order #2 for A&B <Trading>");
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(body, "The ERP refused Order #2 for A&amp;B &lt;Trading&gt;");
        } else {
            assert_eq!(body, "The ERP refused Order #2 for A&B <Trading>");
        }
    }

    #[test]
    fn a_gpu_is_reachable_only_through_a_render_node() {
        let dri = tempfile::tempdir().unwrap();
        // No DRM folder at all (this machine), or only a card node
        // (display without rendering): no GPU to render with.
        assert!(!gpu_reachable(&dri.path().join("missing")));
        std::fs::write(dri.path().join("card0"), "").unwrap();
        assert!(!gpu_reachable(dri.path()));
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert!(gpu_reachable(dri.path()));
    }
}
