// The window's commands, in one list. build.rs hands it to Tauri, which
// makes an `allow-<command>` permission for each and denies any command no
// capability grants; a test in src/main.rs fails unless the handlers
// registered there, capabilities/default.json and ui/src/lib/ipc.ts name
// exactly these. A new command goes here first.
pub const COMMANDS: &[&str] = &[
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
    "about",
];
