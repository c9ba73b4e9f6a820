//! Tauri's build step. Naming the app's commands makes Tauri generate an
//! `allow-<command>` permission for each and deny every command no
//! capability grants (capabilities/default.json lists the window's). The
//! list is `commands.rs`, which `main.rs`'s tests hold to the others.

include!("commands.rs");

fn main() {
    println!("cargo:rerun-if-changed=commands.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("Tauri's build step failed");
}
