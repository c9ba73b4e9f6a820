//! How the window looks and where it opens: the desktop's dark theme, and
//! the size and place it was left at. No ERP needed: the connect page.

mod desktop;

use desktop::{Desktop, Window};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_follows_a_dark_desktop_and_opens_as_it_was_left() {
    // GTK's dark variant, as a desktop set to dark gives its apps.
    let desktop = Desktop::start_with(&[("GTK_THEME", "Adwaita:dark")]).unwrap();
    let window = Window::open(&desktop).await.unwrap();
    window.wait("connect-url").await;
    let dark = window
        .script("return window.matchMedia('(prefers-color-scheme: dark)').matches")
        .await;
    assert_eq!(dark, serde_json::json!(true), "WebKit sees a dark desktop");
    let background = window
        .script("return getComputedStyle(document.documentElement).backgroundColor")
        .await;
    assert_eq!(background, "rgb(20, 24, 31)", "the dark theme's --bg");
    window.shot("dark-connect").await;

    window.resize(1100, 700).await;
    // Kept once it has settled, not only when the app exits normally
    // (WebDriver ends it as a crash would).
    tokio::time::sleep(Duration::from_secs(2)).await;
    window.close().await;
    // One window per user: the next starts once this one has ended.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let window = Window::open(&desktop).await.unwrap();
    window.wait("connect-url").await;
    let size = window
        .script("return [window.outerWidth, window.outerHeight]")
        .await;
    assert_eq!(
        size,
        serde_json::json!([1100, 700]),
        "the size it was left at"
    );
    window.close().await;
}
