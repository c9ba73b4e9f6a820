//! Saving while a sync runs, against the real Tryton: the window saves
//! through its own connection while the background sync writes pages
//! through another, and no save may fail because of it.

use chrono::Utc;
use fieldbook_core::customers::{CustomerEdit, EditField, FieldEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{DraftLine, Entity, SaleDraft, SaleKind};
use fieldbook_erp::tryton::Tryton;
use fieldbook_store::CustomerRef;
use fieldbook_store::{CacheKey, Store};
use fieldbook_sync::SyncOptions;
use fieldbook_testkit::{Dataset, TrytonServer};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Small pages, so the first sync writes many transactions while the
/// saves go on.
const OPTIONS: SyncOptions = SyncOptions {
    page_size: 5,
    refresh_chunk: 5,
    overlap: Duration::from_secs(1),
    not_readable_retry: Duration::from_secs(3600),
};

/// What the first sync of each cache holds, by entity (ERP ids only).
fn held(store: &Store) -> Vec<(Entity, Vec<i64>)> {
    Entity::ALL
        .iter()
        .map(|entity| (*entity, store.local_ids(*entity).unwrap()))
        .collect()
}

/// The 200 saves: orders, requests and customer edits in turn, each as
/// soon as the cache holds what it names. Returns the failures.
fn save_200(path: &std::path::Path, key: &CacheKey) -> Vec<String> {
    let mut store = Store::open(path, key).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Wait for the first customer, product and warehouse of the sync.
    let (customer, product, warehouse) = loop {
        let customer = store.local_ids(Entity::Customers).unwrap().first().copied();
        let product = store.local_ids(Entity::Products).unwrap().first().copied();
        let warehouse = store.default_warehouse().unwrap();
        if let (Some(customer), Some(product), Some(warehouse)) = (customer, product, warehouse) {
            break (customer, product, warehouse);
        }
        assert!(
            Instant::now() < deadline,
            "the sync brought no customer and product"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let name = store
        .customer(CustomerRef::Id(customer))
        .unwrap()
        .unwrap()
        .customer
        .value
        .name;
    let mut failures = Vec::new();
    let mut current_name = name;
    for index in 0..200 {
        let uuid = format!("00000000-0000-4000-9000-{index:012}");
        let saved = match index % 3 {
            0 => store.add_sale(
                &uuid,
                &SaleDraft {
                    kind: SaleKind::Order,
                    customer_id: customer,
                    invoice_address_id: None,
                    shipment_address_id: None,
                    warehouse_id: Some(warehouse),
                    requested_date: None,
                    reference: Some(format!("PO-{index}")),
                    note: None,
                    price_list_id: None,
                    lines: vec![DraftLine::typed(product, 1.into(), 10.into(), 0.into())],
                },
                None,
                Utc::now(),
            ),
            1 => store.add_request(
                &uuid,
                &RequestDraft {
                    customer_id: customer,
                    description: format!("请求 {index}"),
                    order_id: None,
                    invoice_id: None,
                },
                Utc::now(),
            ),
            _ => {
                let new_name = format!("客户 {index}");
                let result = store.edit_customer(
                    &uuid,
                    &CustomerEdit {
                        customer_id: customer,
                        fields: vec![FieldEdit {
                            field: EditField::CustomerName,
                            base: Some(current_name.clone()),
                            value: Some(new_name.clone()),
                        }],
                        new_addresses: vec![],
                        new_contacts: vec![],
                    },
                    Utc::now(),
                );
                if result.is_ok() {
                    current_name = new_name;
                }
                result
            }
        };
        if let Err(error) = saved {
            failures.push(format!("save {index}: {error}"));
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_saves_during_a_first_sync_all_land_and_the_sync_is_unchanged() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let erp = Arc::new(Tryton::connect(server.sales_config()).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let key = CacheKey::new("k").unwrap();

    // A clean first sync, nothing else writing: what the cache must hold.
    let mut clean = Store::create(&dir.path().join("clean.db"), &key).unwrap();
    let clean_report = fieldbook_sync::pull(&erp, &mut clean, &OPTIONS, &Utc::now, &mut |_| {})
        .await
        .unwrap();

    // The same first sync, with 200 saves from another connection.
    let path = dir.path().join("cache.db");
    let mut store = Store::create(&path, &key).unwrap();
    let saver = {
        let (path, key) = (path.clone(), key.clone());
        std::thread::spawn(move || save_200(&path, &key))
    };
    let report = fieldbook_sync::pull(&erp, &mut store, &OPTIONS, &Utc::now, &mut |_| {})
        .await
        .unwrap();
    let failures = saver.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} of 200 saves failed; the first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(store.outbox().unwrap().len(), 200);
    assert_eq!(report.pulled, clean_report.pulled);
    assert_eq!(held(&store), held(&clean));
}
