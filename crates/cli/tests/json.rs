//! Every `--json` shape of `fieldbook` that needs no ERP, pinned by
//! snapshots (`insta`; `cargo insta review` after a deliberate change).
//! The cache is made here, with the store, from fixed records: no Tryton,
//! so this runs in plain `cargo test`.

use chrono::{DateTime, TimeZone, Utc};
use fieldbook_core::{
    Address, Contact, Credit, Customer, Order, Product, Records, SaleState, StockLevel, Warehouse,
};
use fieldbook_store::{CacheKey, ErpLink, PageEffects, PullCursor, Store};
use rust_decimal::dec;
use std::path::Path;
use std::process::Command;

const KEY: &str = "snapshot passphrase";

fn synced() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

/// A cache as a sync would leave it: one warehouse, two customers (one
/// with address, contacts and credit), a product with stock, a quote the
/// ERP holds.
fn cache(dir: &Path) {
    let mut store = Store::create(&dir.join("cache.db"), &CacheKey::new(KEY).unwrap()).unwrap();
    store
        .set_erp_link(&ErpLink {
            url: "https://erp.example.cn/".into(),
            database: "fieldbook".into(),
            login: "sales".into(),
            created_at: synced(),
        })
        .unwrap();
    let pages = [
        Records::Warehouses(vec![Warehouse {
            erp_id: 1,
            code: Some("WH-SZ".into()),
            name: "深圳仓".into(),
            active: true,
        }]),
        Records::Customers(vec![
            Customer {
                erp_id: 2,
                code: Some("C-ACME".into()),
                name: "深圳市艾克米贸易有限公司".into(),
                tax_id: Some("91440300MA5F000001".into()),
                price_list_id: None,
                active: true,
            },
            Customer {
                erp_id: 3,
                code: Some("C-HUAWEI".into()),
                name: "华为技术有限公司".into(),
                tax_id: None,
                price_list_id: None,
                active: true,
            },
        ]),
        Records::Addresses(vec![Address {
            erp_id: 10,
            customer_id: 2,
            name: None,
            street: Some("科技园 1号".into()),
            postal_code: Some("518000".into()),
            city: Some("深圳".into()),
            subdivision: Some("广东省".into()),
            country: Some("CN".into()),
            invoice: true,
            delivery: true,
            active: true,
        }]),
        Records::Contacts(vec![Contact {
            erp_id: 20,
            customer_id: 2,
            kind: "phone".into(),
            value: "+86 755 2878 0808".into(),
            name: None,
            active: true,
        }]),
        Records::Products(vec![Product {
            erp_id: 5,
            code: Some("P-TEA".into()),
            name: "西湖龙井".into(),
            description: Some("明前 250g".into()),
            unit: "盒".into(),
            list_price: Some(dec!(168.00)),
            salable: true,
            pricing: Default::default(),
            active: true,
        }]),
        Records::Orders(vec![Order {
            erp_id: 30,
            number: Some("SO0042".into()),
            customer_id: 2,
            customer_reference: None,
            state: SaleState::Quote,
            order_date: Some(synced().date_naive()),
            currency: "CNY".into(),
            untaxed: dec!(840.00),
            tax: dec!(109.20),
            total: dec!(949.20),
        }]),
    ];
    for records in &pages {
        store
            .apply_page(
                records,
                &PullCursor::default(),
                &PageEffects::default(),
                synced(),
            )
            .unwrap();
    }
    store
        .apply_stock(
            &[5],
            &[StockLevel {
                product_id: 5,
                warehouse_id: 1,
                on_hand: dec!(40),
                forecast: dec!(35),
            }],
            synced(),
        )
        .unwrap();
    store
        .apply_credit(
            &[2],
            &[Credit {
                customer_id: 2,
                currency: "CNY".into(),
                limit: Some(dec!(5000)),
                used: dec!(1200),
                receivable: dec!(800),
            }],
            synced(),
        )
        .unwrap();
}

/// Runs `fieldbook args` on the cache in `dir`; its stdout, which must be
/// JSON, pretty-printed.
fn json(dir: &Path, args: &[&str]) -> String {
    let stdout = text(dir, args);
    let value: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("fieldbook {args:?} printed no JSON ({error}): {stdout}"));
    serde_json::to_string_pretty(&value).unwrap()
}

/// Runs `fieldbook args` on the cache in `dir`; its stdout, as text.
fn text(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
        .args(args)
        .env("FIELDBOOK_DATA_DIR", dir)
        .env("FIELDBOOK_CACHE_KEY", KEY)
        .env("TZ", "UTC")
        .env_remove("FIELDBOOK_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fieldbook {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// What changes from run to run: the uuids and the times of entries
/// written now, and ages ("3 days ago").
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[uuid]",
    );
    settings.add_filter(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]");
    settings.add_filter(r"as of [^()]*\(\d{4}-\d\d-\d\d \d\d:\d\d\)", "as of [age]");
    settings
}

#[test]
fn the_json_of_every_command_that_reads_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    cache(dir.path());
    settings().bind(|| {
        insta::assert_snapshot!("status", json(dir.path(), &["status", "--json"]));
        insta::assert_snapshot!("search", json(dir.path(), &["search", "深圳", "--json"]));
        insta::assert_snapshot!(
            "customer",
            json(dir.path(), &["customer", "C-ACME", "--json"])
        );
        insta::assert_snapshot!("product", json(dir.path(), &["product", "P-TEA", "--json"]));
        insta::assert_snapshot!(
            "outbox_empty",
            json(dir.path(), &["outbox", "list", "--json"])
        );
    });
}

/// The text people read, Chinese names among Latin ones: columns line up
/// by display width (a Chinese character takes two).
#[test]
fn the_text_of_the_reading_commands_lines_up_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    cache(dir.path());
    let mut settings = settings();
    settings.add_filter(r"\d+ \w+ ago", "[age] ago");
    settings.bind(|| {
        insta::assert_snapshot!("text_status", text(dir.path(), &["status"]));
        insta::assert_snapshot!("text_search", text(dir.path(), &["search", "c"]));
        insta::assert_snapshot!("text_customer", text(dir.path(), &["customer", "C-ACME"]));
        insta::assert_snapshot!("text_product", text(dir.path(), &["product", "P-TEA"]));
    });
}

#[test]
fn the_json_of_every_command_that_writes_offline() {
    let dir = tempfile::tempdir().unwrap();
    cache(dir.path());
    let run = |args: &[&str]| json(dir.path(), args);
    settings().bind(|| {
        insta::assert_snapshot!(
            "order_new",
            run(&[
                "order",
                "new",
                "--customer",
                "C-ACME",
                "--line",
                "P-TEA:2",
                "--line",
                "P-TEA:1:150:10",
                "--json"
            ])
        );
        insta::assert_snapshot!(
            "order_edit",
            run(&[
                "order",
                "edit",
                "1",
                "--line",
                "P-TEA:3",
                "--note",
                "周五前送达",
                "--json"
            ])
        );
        insta::assert_snapshot!(
            "quote_new",
            run(&[
                "quote",
                "new",
                "--customer",
                "C-HUAWEI",
                "--line",
                "P-TEA:1",
                "--json"
            ])
        );
        insta::assert_snapshot!("quote_send", run(&["quote", "send", "SO0042", "--json"]));
        insta::assert_snapshot!(
            "customer_new",
            run(&[
                "customer",
                "new",
                "--name",
                "杭州新茶贸易有限公司",
                "--address",
                "文三路 90号|杭州|310012|CN",
                "--email",
                "orders@xincha.example.cn",
                "--json"
            ])
        );
        insta::assert_snapshot!(
            "customer_edit",
            run(&[
                "customer",
                "edit",
                "C-ACME",
                "--contact",
                "20=+86 755 2222 2222",
                "--city",
                "10=广州",
                "--json"
            ])
        );
        insta::assert_snapshot!(
            "request_new",
            run(&[
                "request",
                "new",
                "--customer",
                "C-ACME",
                "--description",
                "两盒包装破损",
                "--order",
                "SO0042",
                "--json"
            ])
        );
        insta::assert_snapshot!("outbox_list", run(&["outbox", "list", "--json"]));
        insta::assert_snapshot!("outbox_show", run(&["outbox", "show", "1", "--json"]));
        insta::assert_snapshot!("order_show", run(&["order", "show", "1", "--json"]));
    });
}
