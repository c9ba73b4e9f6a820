//! Tauri's build step. Naming the app's commands makes Tauri generate an
//! `allow-<command>` permission for each and deny every command no
//! capability grants (capabilities/default.json lists the window's).

const COMMANDS: &[&str] = &[
    "session",
    "connect",
    "home",
    "connectivity",
    "search",
    "customer",
    "product",
    "warehouses",
    "preview_sale",
    "save_sale",
    "save_request",
    "new_customer",
    "edit_customer",
    "send_quote",
    "outbox",
    "outbox_entry",
    "discarded",
    "retry",
    "discard",
    "sync_now",
    "settings",
    "save_settings",
    "sign_out",
    "notify",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("Tauri's build step failed");
}
