//! The real window, used as a salesperson uses it: under Xvfb, with a real
//! Secret Service keyring, driven over WebDriver (tauri-driver and
//! WebKitWebDriver), against the real Tryton. `cargo xtask test` builds the
//! front end and tauri-driver first; screenshots of every page in both
//! languages land in `target/screenshots/window/`.

mod desktop;

use desktop::{Desktop, Window};
use fieldbook_testkit::{Dataset, TrytonServer};
use std::time::Duration;

/// The whole story of the issue: connect -> first sync -> search a customer
/// by a Chinese substring -> open them and read the credit panel -> the ERP
/// stops -> an order written offline -> the ERP is back -> the order shows
/// the ERP's number; then every page again in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesperson_works_offline_in_the_window_and_the_erp_numbers_the_order() {
    let mut server = TrytonServer::start(Dataset::TEST).unwrap();
    let desktop = Desktop::start().unwrap();
    let window = Window::open(&desktop).await.unwrap();

    // First run: the connect page; a wrong password is said plainly.
    window.wait("connect-url").await;
    window.shot("en-connect").await;
    let config = server.sales_config();
    window.fill("connect-url", &config.url).await;
    window.fill("connect-database", &config.database).await;
    window.fill("connect-login", &config.login).await;
    window.fill("connect-password", "not the password").await;
    window.click("connect-submit").await;
    let error = window
        .wait_text("connect-error", |text| !text.is_empty())
        .await;
    assert!(error.contains(&config.login), "{error}");
    window.shot("en-connect-error").await;

    window.fill("connect-password", &config.password).await;
    window.click("connect-submit").await;
    // The first sync shows its progress, then the home page its time.
    window
        .wait_text_for("home-last-sync", Duration::from_secs(180), |text| {
            !text.is_empty()
        })
        .await;
    window.shot("en-home").await;

    // An administrator's `fieldbook` on this laptop: the same data folder
    // and the window's key from the keyring, with nothing to type; it
    // reads while the window is open, and is refused writing.
    let cli = fieldbook_testkit::target_dir().join("debug/fieldbook");
    let status = desktop
        .command(&cli)
        .args(["status", "--json"])
        .env_remove("FIELDBOOK_CACHE_KEY")
        .env_remove("FIELDBOOK_PASSWORD")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "fieldbook status beside the window: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["erp"]["login"], config.login.as_str(), "{status}");
    let sync = desktop
        .command(&cli)
        .arg("sync")
        .env_remove("FIELDBOOK_CACHE_KEY")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&sync.stderr);
    assert_eq!(sync.status.code(), Some(6), "{said}");
    assert!(said.contains("in use by Fieldbook's window"), "{said}");

    // Search by a Chinese substring, open the customer, read the credit.
    window.click("nav-customers").await;
    window.fill("search-input", "华为").await;
    window
        .wait_text("search-result", |text| text.contains("华为"))
        .await;
    window.shot("en-customers").await;
    window.press_enter("search-input").await;
    window
        .wait_text("customer-name", |text| {
            text.contains("深圳市华为技术有限公司")
        })
        .await;
    let limit = window
        .wait_text("credit-limit", |text| !text.is_empty())
        .await;
    assert!(
        limit.contains("5,000,000"),
        "credit limit shown as {limit:?}"
    );
    let age = window
        .wait_text("credit-age", |text| !text.is_empty())
        .await;
    assert!(!age.is_empty());
    window.shot("en-customer").await;

    // The ERP goes away; an order is written offline.
    server.stop();
    window.click("new-order").await;
    window.fill("editor-product-search", "P-TEA").await;
    window.click_first("editor-product-result").await;
    window.wait("editor-line").await;
    window.fill("line-quantity", "2").await;
    window
        .wait_text("editor-total", |text| {
            text.chars().any(|c| c.is_ascii_digit())
        })
        .await;
    window.shot("en-editor").await;
    window.click("editor-save").await;
    // Saving wakes the sync, which finds the ERP gone.
    window
        .wait_for("offline-badge", Duration::from_secs(60))
        .await;
    window.click("nav-outbox").await;
    window
        .wait_text("entry-state", |text| !text.is_empty())
        .await;
    assert_eq!(
        window
            .attribute("entry-state", "data-state")
            .await
            .as_deref(),
        Some("pending"),
        "the order waits in the outbox"
    );
    window.shot("en-outbox-offline").await;

    // The ERP is back: the background sync sends the order by itself, and
    // the ERP's number shows.
    server.resume().unwrap();
    let number = window
        .wait_text_for("entry-number", Duration::from_secs(120), |text| {
            !text.trim().is_empty()
        })
        .await;
    window.shot("en-outbox-accepted").await;
    // "ERP number 82": the number is the last word.
    let number = number
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(window.absent("offline-badge").await);
    // Exactly one sale came from Fieldbook (they carry its uuid), and it is
    // the one numbered in the window.
    let admin = server.admin().await.unwrap();
    let sales = admin
        .call(
            "model.sale.sale.search_read",
            serde_json::json!([
                [["fieldbook_uuid", "!=", null]],
                0,
                null,
                null,
                ["number"],
                admin.context()
            ]),
        )
        .await
        .unwrap();
    assert_eq!(
        sales.as_array().map(Vec::len),
        Some(1),
        "exactly one sale from Fieldbook: {sales}"
    );
    assert_eq!(sales[0]["number"], number.as_str(), "{sales}");

    // A refusal: C-LIMIT's credit leaves 800.00, and 10 packs of tea
    // (1,680.00) exceed it, which the ERP says when it confirms the order.
    // The window shows the ERP's words, and so does the desktop's
    // notification, for a salesperson in another app.
    window.click("nav-customers").await;
    window.fill("search-input", "C-LIMIT").await;
    window
        .wait_text("search-result", |text| text.contains("北京小额贸易"))
        .await;
    window.press_enter("search-input").await;
    window.wait("credit-panel").await;
    window.click("new-order").await;
    window.fill("editor-product-search", "P-TEA").await;
    window.click_first("editor-product-result").await;
    window.wait("editor-line").await;
    window.fill("line-quantity", "10").await;
    window
        .wait_text("editor-total", |text| text.contains("1,680"))
        .await;
    window.click("editor-save").await;
    window.click("nav-outbox").await;
    let refusal = window
        .wait_text_for("entry-message", Duration::from_secs(120), |text| {
            !text.is_empty()
        })
        .await;
    assert!(refusal.contains("credit limit"), "{refusal}");
    window.shot("en-outbox-refused").await;
    let mut notified = Vec::new();
    for _ in 0..50 {
        notified = desktop.notifications().unwrap();
        if !notified.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        notified.len(),
        1,
        "one notification, the refusal: {notified:?}"
    );
    let (title, body) = &notified[0];
    assert_eq!(title, "Fieldbook: the ERP refused an entry");
    assert!(
        body.contains("北京小额贸易有限公司") && body.contains("credit limit"),
        "{body}"
    );
    // Discarded, so that signing out (below) finds nothing unsent.
    window.click("entry-discard").await;
    window.click("entry-discard-confirm").await;
    let mut gone = false;
    for _ in 0..50 {
        if window.absent("entry-message").await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(gone, "the refused entry is discarded");

    // Every page in both languages, then the wide layout.
    window.click("lang-toggle").await;
    window
        .wait_text("nav-customers", |text| text.contains("客户"))
        .await;
    tour(&window, "zh", &number).await;
    window.click("lang-toggle").await;
    window
        .wait_text("nav-customers", |text| text.contains("Customers"))
        .await;
    tour(&window, "en", &number).await;
    // The other layout people use: a 1920×1080 screen, window maximised.
    window.resize(1920, 1080).await;
    window.click("nav-customers").await;
    window.fill("search-input", "华为").await;
    window.wait("search-result").await;
    window.press_enter("search-input").await;
    window.wait("credit-panel").await;
    window.shot("en-customer-1920x1080").await;

    // Signing out (the outbox is empty now) forgets the keyring entries and
    // shows the connect page, here in Chinese.
    window.click("lang-toggle").await;
    window.click("nav-settings").await;
    // The About says the version and where the logs are.
    let version = window
        .wait_text("about-version", |text| !text.is_empty())
        .await;
    assert_eq!(version, format!("Fieldbook {}", env!("CARGO_PKG_VERSION")));
    let logs = window
        .wait_text("about-logs", |text| !text.is_empty())
        .await;
    assert!(logs.contains("fieldbook/logs"), "{logs}");
    window.shot("zh-settings-about").await;
    window.click("settings-signout").await;
    window.wait("connect-url").await;
    window.shot("zh-connect").await;

    window.close().await;
}

/// Visits every page, checking each shows its data, and saves a screenshot
/// of each as `LANG-PAGE.png`.
async fn tour(window: &Window, lang: &str, order_number: &str) {
    let shot = |page: &str| format!("{lang}-{page}");
    window.click("nav-home").await;
    window
        .wait_text("home-last-sync", |text| !text.is_empty())
        .await;
    window.shot(&shot("home")).await;

    window.click("nav-customers").await;
    window.fill("search-input", "华为").await;
    window
        .wait_text("search-result", |text| text.contains("华为"))
        .await;
    window.shot(&shot("customers")).await;
    window.press_enter("search-input").await;
    window.wait("credit-panel").await;
    window.wait_text("order-row", |text| !text.is_empty()).await;
    assert!(
        window
            .all_texts("order-row")
            .await
            .iter()
            .any(|row| row.contains(order_number)),
        "the customer's orders show {order_number}"
    );
    window.shot(&shot("customer")).await;
    window.click("new-order").await;
    window.wait("editor-product-search").await;
    window.shot(&shot("editor")).await;

    let open_customer = || async {
        window.click("nav-customers").await;
        window.wait("search-result").await;
        window.press_enter("search-input").await;
        window.wait("credit-panel").await;
    };
    open_customer().await;
    window.click("new-request").await;
    window.wait("request-description").await;
    window.shot(&shot("request")).await;
    open_customer().await;
    window.click("edit-customer").await;
    window.wait("edit-name").await;
    window.shot(&shot("customer-edit")).await;
    window.click("nav-customers").await;
    window.click("new-customer").await;
    window.wait("customer-form-name").await;
    window.shot(&shot("customer-new")).await;

    window.click("nav-products").await;
    window.fill("search-input", "茶").await;
    window.wait("search-result").await;
    window.shot(&shot("products")).await;
    window.press_enter("search-input").await;
    window
        .wait_text("product-name", |text| !text.is_empty())
        .await;
    window.shot(&shot("product")).await;

    window.click("nav-outbox").await;
    window.wait("outbox-row").await;
    window.shot(&shot("outbox")).await;
    window.click("nav-settings").await;
    window.wait("settings-language").await;
    window.shot(&shot("settings")).await;
}
