//! Whether the window can be opened here at all: started over a remote
//! shell, or in a broken X session, GTK cannot reach a display, and Tauri
//! would panic with a backtrace. The window says so in one line instead.

/// Why no window can be opened here, if none can.
#[cfg(target_os = "linux")]
pub fn check() -> Result<(), String> {
    let x11 = std::env::var_os("DISPLAY").filter(|name| !name.is_empty());
    let wayland = std::env::var_os("WAYLAND_DISPLAY").filter(|name| !name.is_empty());
    if x11.is_none() && wayland.is_none() {
        return Err(
            "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set): start Fieldbook from the desktop, \
             or use the `fieldbook` command in a terminal"
                .into(),
        );
    }
    // The same call Tauri makes, on the same (main) thread; it is made
    // once, so Tauri's own call finds GTK ready.
    gtk::init().map_err(|_| {
        let name = wayland
            .map(|name| format!("Wayland display {}", name.to_string_lossy()))
            .or_else(|| x11.map(|name| format!("X display {}", name.to_string_lossy())))
            .unwrap_or_default();
        format!(
            "the {name} cannot be opened: check that the desktop session is running and this user may use it, \
             or use the `fieldbook` command in a terminal"
        )
    })
}

/// Windows and macOS always have their desktop.
#[cfg(not(target_os = "linux"))]
pub fn check() -> Result<(), String> {
    Ok(())
}
