//! Two connections to one cache, as the window's reads and saves and the
//! background sync have: a save never fails because the other connection
//! is writing.

use chrono::{DateTime, TimeZone, Utc};
use fieldbook_core::{Customer, DraftLine, Product, Records, SaleDraft, SaleKind, Warehouse};
use fieldbook_store::{CacheKey, PageEffects, PullCursor, Store, StoreError};
use rust_decimal::dec;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn customers(first: i64, count: i64) -> Records {
    Records::Customers(
        (first..first + count)
            .map(|erp_id| Customer {
                erp_id,
                code: Some(format!("C{erp_id}")),
                name: format!("客户 {erp_id}"),
                tax_id: None,
                price_list_id: None,
                active: true,
            })
            .collect(),
    )
}

fn seeded(path: &std::path::Path, key: &CacheKey) {
    let mut store = Store::create(path, key).unwrap();
    let apply = |store: &mut Store, records: Records| {
        store
            .apply_page(
                &records,
                &PullCursor::default(),
                &PageEffects::default(),
                at(),
            )
            .unwrap();
    };
    apply(&mut store, customers(1, 10));
    apply(
        &mut store,
        Records::Warehouses(vec![Warehouse {
            erp_id: 5,
            code: Some("WH".into()),
            name: "上海仓".into(),
            active: true,
        }]),
    );
    apply(
        &mut store,
        Records::Products(vec![Product {
            erp_id: 1,
            code: Some("P-TEA".into()),
            name: "Tea".into(),
            description: None,
            unit: "u".into(),
            list_price: Some(dec!(168)),
            salable: true,
            pricing: Default::default(),
            active: true,
        }]),
    );
}

fn order(customer_id: i64) -> SaleDraft {
    SaleDraft {
        kind: SaleKind::Order,
        customer_id,
        invoice_address_id: None,
        shipment_address_id: None,
        warehouse_id: Some(5),
        requested_date: None,
        reference: None,
        note: None,
        price_list_id: None,
        lines: vec![DraftLine::typed(1, dec!(2), dec!(168), dec!(0))],
    }
}

/// While one connection applies pages as fast as it can (a sync), another
/// saves 200 orders. A deferred transaction reads first and then asks for
/// the write lock; in WAL mode that upgrade fails at once with SQLITE_BUSY
/// when the other connection committed since the read, without waiting for
/// the busy timeout. Saves begin IMMEDIATE, so each waits its turn.
#[test]
fn saving_while_another_connection_writes_pages_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = CacheKey::new("k").unwrap();
    seeded(&path, &key);

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (path, key, stop) = (path.clone(), key.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut sync = Store::open(&path, &key).unwrap();
            let mut pages = 0;
            while !stop.load(Ordering::Relaxed) {
                sync.apply_page(
                    &customers(1000 + pages * 50, 50),
                    &PullCursor::default(),
                    &PageEffects::default(),
                    at(),
                )
                .unwrap();
                pages += 1;
                // A real sync waits for the ERP between pages far longer.
                std::thread::sleep(Duration::from_millis(2));
            }
            pages
        })
    };

    let mut saver = Store::open(&path, &key).unwrap();
    let mut failures = Vec::new();
    for index in 0..200 {
        let uuid = format!("00000000-0000-4000-8000-{index:012}");
        if let Err(error) = saver.add_sale(&uuid, &order(1 + index % 10), None, at()) {
            failures.push(error.to_string());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let pages = writer.join().unwrap();
    assert!(pages > 10, "the other connection wrote only {pages} pages");
    assert!(
        failures.is_empty(),
        "{} of 200 saves failed; the first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(saver.outbox().unwrap().len(), 200);
}

/// A write lock held past the busy timeout is reported as a passing
/// "busy, try again", never as a bare SQLite error.
#[test]
fn a_save_that_cannot_get_the_lock_in_time_says_the_cache_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = CacheKey::new("k").unwrap();
    seeded(&path, &key);
    let holder = rusqlite_holder(&path);
    let mut saver = Store::open_with_timeout(&path, &key, Duration::from_millis(50)).unwrap();
    let error = saver
        .add_sale(
            "00000000-0000-4000-8000-000000000001",
            &order(1),
            None,
            at(),
        )
        .unwrap_err();
    assert!(matches!(error, StoreError::Busy), "{error:?}");
    assert!(error.is_transient());
    assert!(error.to_string().contains("try again"), "{error}");
    drop(holder);
    saver
        .add_sale(
            "00000000-0000-4000-8000-000000000001",
            &order(1),
            None,
            at(),
        )
        .unwrap();
    assert_eq!(saver.outbox().unwrap().len(), 1);
}

/// Another connection holding the write lock (a sync's page in progress).
fn rusqlite_holder(path: &std::path::Path) -> rusqlite::Connection {
    let holder = rusqlite::Connection::open(path).unwrap();
    holder.pragma_update(None, "key", "k").unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
}

/// Two `fieldbook` commands at once (a sync starting while an `order new`
/// saves, as the soak found): each opens the cache, writes and closes it.
/// Opening must wait for the other's write or close, never fail.
#[test]
fn opening_the_cache_while_another_process_opens_writes_and_closes_it_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = CacheKey::new("k").unwrap();
    seeded(&path, &key);

    let worker = |offset: usize| {
        let (path, key) = (path.clone(), key.clone());
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            for index in 0..150 {
                let uuid = format!("00000000-0000-4000-8000-{:012}", offset + index);
                let saved = Store::open(&path, &key)
                    .and_then(|mut store| store.add_sale(&uuid, &order(1), None, at()));
                if let Err(error) = saved {
                    failures.push(format!("{error:?}"));
                }
            }
            failures
        })
    };
    let (first, second) = (worker(0), worker(1000));
    let mut failures = first.join().unwrap();
    failures.extend(second.join().unwrap());
    assert!(
        failures.is_empty(),
        "{} of 300 opens and saves failed; the first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(
        Store::open(&path, &key).unwrap().outbox().unwrap().len(),
        300
    );
}
