//! The cache as the sync engine and the CLI use it, on in-memory SQLite.

use chrono::{DateTime, TimeZone, Utc};
use fieldbook_core::{
    Address, Contact, Credit, Customer, Entity, Product, Records, StockLevel, Warehouse,
};
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_store::{PageEffects, PullCursor, SearchKind, Store};
use rust_decimal::dec;
use std::collections::BTreeSet;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap()
}

fn customer(erp_id: i64, code: &str, name: &str) -> Customer {
    Customer {
        erp_id,
        code: Some(code.into()),
        name: name.into(),
        tax_id: None,
        price_list_id: None,
        active: true,
    }
}

fn contact(erp_id: i64, customer_id: i64, kind: &str, value: &str) -> Contact {
    Contact {
        erp_id,
        customer_id,
        kind: kind.into(),
        value: value.into(),
        name: None,
        active: true,
    }
}

fn product(erp_id: i64, code: &str, name: &str, description: &str) -> Product {
    Product {
        erp_id,
        code: Some(code.into()),
        name: name.into(),
        description: Some(description.into()),
        unit: "u".into(),
        list_price: Some(dec!(12.3456)),
        salable: true,
        pricing: Default::default(),
        active: true,
    }
}

fn apply(store: &mut Store, records: Records) {
    store
        .apply_page(
            &records,
            &PullCursor::default(),
            &PageEffects::default(),
            at(2),
        )
        .unwrap();
}

fn seeded() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    apply(
        &mut store,
        Records::Customers(vec![
            customer(1, "C-HUAWEI", "深圳市华为技术有限公司"),
            customer(2, "C-ACME", "ACME Trading Co."),
            customer(3, "C000003", "Pacific Acme Imports"),
            customer(4, "C000004", "杭州明达电子科技有限公司"),
        ]),
    );
    apply(
        &mut store,
        Records::Addresses(vec![Address {
            erp_id: 10,
            customer_id: 4,
            name: None,
            street: Some("文三路 90号".into()),
            postal_code: Some("310012".into()),
            city: Some("杭州".into()),
            subdivision: None,
            country: Some("China".into()),
            invoice: true,
            delivery: true,
            active: true,
        }]),
    );
    apply(
        &mut store,
        Records::Contacts(vec![
            contact(20, 2, "phone", "+86 138 1234 5678"),
            contact(21, 2, "email", "orders@acme.example"),
        ]),
    );
    apply(
        &mut store,
        Records::Products(vec![
            product(
                100,
                "P-TEA",
                "Longjing Green Tea 龙井茶 250g",
                "West Lake tea",
            ),
            product(101, "P000101", "Acme Widget", "A widget for trading"),
        ]),
    );
    store
}

fn check(store: &Store, query: &str, expected: &[&str]) {
    let hits = store.search(query, 10).unwrap();
    let codes: Vec<_> = hits
        .iter()
        .map(|hit| hit.code.clone().unwrap_or_default())
        .collect();
    assert_eq!(codes, expected, "search {query:?}");
}

#[test]
fn search_finds_chinese_substrings_latin_prefixes_codes_and_phone_numbers() {
    let store = seeded();
    check(&store, "华为", &["C-HUAWEI"]);
    check(&store, "华为技术", &["C-HUAWEI"]);
    check(&store, "龙井", &["P-TEA"]);
    check(&store, "杭州", &["C000004"]);
    check(&store, "文三路", &["C000004"]);
    // A name that starts with the text ranks above one that only contains it,
    // and both above a match in a description.
    check(&store, "acm", &["C-ACME", "P000101", "C000003"]);
    // Every word must match somewhere; the name that starts with the text comes first.
    check(&store, "ACME trad", &["C-ACME", "P000101"]);
    check(&store, "c-huawei", &["C-HUAWEI"]);
    check(&store, "13812345678", &["C-ACME"]);
    check(&store, "138 1234", &["C-ACME"]);
    check(&store, "orders@acme", &["C-ACME"]);
    check(&store, "000101", &["P000101"]);
    check(&store, "nothing like this", &[]);
    check(&store, "   ", &[]);
    check(&store, "\"; DROP", &[]);
    check(&store, "50%", &[]);
}

#[test]
fn one_and_two_character_queries_use_the_short_index() {
    let store = seeded();
    // Chinese: any character, any two neighbouring characters.
    check(&store, "华", &["C-HUAWEI"]);
    check(&store, "杭", &["C000004"]);
    check(&store, "科技", &["C000004"]);
    check(&store, "明达 科技", &["C000004"]);
    check(&store, "为华", &[]);
    // Mixed with longer words, each word must match.
    check(&store, "龙井 tea", &["P-TEA"]);
    check(&store, "龙井 coffee", &[]);
    // Latin and digits: the start of a word, ranked as longer queries are.
    check(&store, "ac", &["C-ACME", "P000101", "C000003"]);
    check(&store, "13", &["C-ACME"]);
    check(&store, "we", &["P-TEA"]);
    // Neither (punctuation, or scripts mixed in two characters): still found
    // by a scan.
    check(&store, "c-", &["C-ACME", "C-HUAWEI"]);
    check(&store, "a华", &[]);
}

#[test]
fn search_keeps_one_kind_when_asked_whatever_the_query_takes() {
    let store = seeded();
    let codes = |text: &str, kind: Option<SearchKind>| -> Vec<String> {
        store
            .search_kind(text, kind, 10)
            .unwrap()
            .into_iter()
            .map(|hit| hit.code.unwrap_or_default())
            .collect()
    };
    // Through the main index, the short index and a scan alike.
    assert_eq!(codes("acm", Some(SearchKind::Product)), ["P000101"]);
    assert_eq!(
        codes("acm", Some(SearchKind::Customer)),
        ["C-ACME", "C000003"]
    );
    assert_eq!(codes("ac", Some(SearchKind::Product)), ["P000101"]);
    assert_eq!(
        codes("c-", Some(SearchKind::Customer)),
        ["C-ACME", "C-HUAWEI"]
    );
    assert!(codes("c-", Some(SearchKind::Product)).is_empty());
    assert_eq!(codes("acm", None), ["C-ACME", "P000101", "C000003"]);
}

#[test]
fn search_hits_say_what_they_are() {
    let store = seeded();
    let hits = store.search("tea", 10).unwrap();
    assert_eq!(hits[0].kind, SearchKind::Product);
    assert_eq!(hits[0].erp_id, 100);
    assert_eq!(hits[0].name, "Longjing Green Tea 龙井茶 250g");
}

#[test]
fn a_deactivated_customer_leaves_the_cache_and_the_search() {
    let mut store = seeded();
    let mut gone = customer(2, "C-ACME", "ACME Trading Co.");
    gone.active = false;
    apply(&mut store, Records::Customers(vec![gone]));
    assert!(
        store
            .customer(CustomerRef::Code("C-ACME"))
            .unwrap()
            .is_none()
    );
    // The contacts are records of their own, still live in the ERP: they stay
    // unseen, so a reactivated customer comes back whole.
    assert_eq!(
        store
            .count_where(Entity::Contacts, "customer_id = 2")
            .unwrap(),
        2
    );
    apply(
        &mut store,
        Records::Customers(vec![customer(2, "C-ACME", "ACME Trading Co.")]),
    );
    assert_eq!(
        store
            .customer(CustomerRef::Code("C-ACME"))
            .unwrap()
            .unwrap()
            .contacts
            .len(),
        2
    );
    check(&store, "13812345678", &["C-ACME"]);
    let mut gone = customer(2, "C-ACME", "ACME Trading Co.");
    gone.active = false;
    apply(&mut store, Records::Customers(vec![gone]));
    check(&store, "13812345678", &[]);
    check(&store, "acm", &["P000101", "C000003"]);
    check(&store, "ac", &["P000101", "C000003"]);
    check(&store, "13", &[]);
}

#[test]
fn a_changed_contact_is_searchable_by_its_new_value_only() {
    let mut store = seeded();
    apply(
        &mut store,
        Records::Contacts(vec![contact(20, 2, "phone", "+86 139 0000 1111")]),
    );
    check(&store, "13812345678", &[]);
    check(&store, "13900001111", &["C-ACME"]);
    let mut removed = contact(20, 2, "phone", "+86 139 0000 1111");
    removed.active = false;
    apply(&mut store, Records::Contacts(vec![removed]));
    check(&store, "13900001111", &[]);
}

#[test]
fn a_page_and_its_cursor_and_refresh_queue_are_written_together() {
    let mut store = seeded();
    let cursor = PullCursor {
        since: Some(at(1)),
        after_id: 4,
        next_since: Some(at(3)),
        completed_at: None,
    };
    let effects = PageEffects {
        refresh_stock: BTreeSet::from([100]),
        refresh_credit: BTreeSet::from([1, 2]),
        index_later: false,
    };
    store
        .apply_page(
            &Records::Customers(vec![customer(5, "C5", "Five")]),
            &cursor,
            &effects,
            at(3),
        )
        .unwrap();
    assert_eq!(store.pull_cursor(Entity::Customers).unwrap(), cursor);
    assert!(store.pull_cursor(Entity::Customers).unwrap().in_progress());
    assert_eq!(
        store.queued(fieldbook_store::Figure::Credit, 10).unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        store.queued(fieldbook_store::Figure::Stock, 10).unwrap(),
        vec![100]
    );
}

#[test]
fn derived_figures_replace_the_old_ones_and_leave_the_queue() {
    let mut store = seeded();
    apply(
        &mut store,
        Records::Warehouses(vec![
            Warehouse {
                erp_id: 7,
                code: Some("WH".into()),
                name: "Shanghai 上海仓".into(),
                active: true,
            },
            Warehouse {
                erp_id: 8,
                code: Some("SZ".into()),
                name: "Shenzhen 深圳仓".into(),
                active: true,
            },
        ]),
    );
    store
        .queue_refresh(fieldbook_store::Figure::Stock, &BTreeSet::from([100]))
        .unwrap();
    let level = |warehouse_id, on_hand, forecast| StockLevel {
        product_id: 100,
        warehouse_id,
        on_hand,
        forecast,
    };
    store
        .apply_stock(
            &[100],
            &[level(7, dec!(40), dec!(35)), level(8, dec!(5), dec!(5))],
            at(4),
        )
        .unwrap();
    store
        .apply_stock(&[100], &[level(7, dec!(38), dec!(30))], at(5))
        .unwrap();
    let view = store.product(ProductRef::Code("p-tea")).unwrap().unwrap();
    let stock: Vec<_> = view
        .stock
        .iter()
        .map(|row| {
            (
                row.warehouse.as_str(),
                row.level.on_hand,
                row.level.forecast,
            )
        })
        .collect();
    assert_eq!(
        stock,
        [
            ("Shanghai 上海仓", dec!(38), dec!(30)),
            ("Shenzhen 深圳仓", dec!(0), dec!(0))
        ]
    );
    assert_eq!(view.stock[0].synced_at, Some(at(5)));
    assert_eq!(
        store.queued_count(fieldbook_store::Figure::Stock).unwrap(),
        0
    );

    let credit = Credit {
        customer_id: 1,
        currency: "CNY".into(),
        limit: Some(dec!(5000)),
        used: dec!(1200.5),
        receivable: dec!(800),
    };
    store
        .apply_credit(&[1, 99], std::slice::from_ref(&credit), at(6))
        .unwrap();
    let view = store
        .customer(CustomerRef::Code("C-HUAWEI"))
        .unwrap()
        .unwrap();
    let synced = view.credit.unwrap();
    assert_eq!(synced.value, credit);
    assert_eq!(synced.value.available(), Some(dec!(3799.5)));
    assert_eq!(synced.synced_at, at(6));
}

#[test]
fn hard_deleted_records_are_removed_by_id() {
    let mut store = seeded();
    assert_eq!(store.remove(Entity::Products, &[101, 555]).unwrap(), 1);
    assert_eq!(store.local_ids(Entity::Products).unwrap(), vec![100]);
    check(&store, "widget", &[]);
}

#[test]
fn customers_applied_for_later_indexing_are_found_once_indexed() {
    let mut store = Store::open_in_memory().unwrap();
    let later = PageEffects {
        index_later: true,
        ..PageEffects::default()
    };
    store
        .apply_page(
            &Records::Customers(vec![customer(5, "C5", "深圳市华为技术有限公司")]),
            &PullCursor::default(),
            &later,
            at(0),
        )
        .unwrap();
    assert!(
        store.customer(CustomerRef::Code("C5")).unwrap().is_some(),
        "cached at once"
    );
    assert!(
        store.search("华为", 5).unwrap().is_empty(),
        "not indexed yet"
    );
    assert_eq!(store.index_queued(1000).unwrap(), 1);
    assert_eq!(store.search("华为", 5).unwrap()[0].erp_id, 5);
    assert_eq!(store.index_queued(1000).unwrap(), 0, "the queue is empty");
}

#[test]
fn a_part_the_erp_user_may_not_read_is_remembered_from_its_first_refusal_until_read() {
    use fieldbook_core::SyncPart;
    let mut store = seeded();
    assert!(store.not_readable().unwrap().is_empty());
    let payments = SyncPart::Records(Entity::Payments);
    store
        .mark_not_readable(payments, "may not read account.move.line", at(9))
        .unwrap();
    store
        .mark_not_readable(
            SyncPart::CreditMoves,
            "may not read account.move.line",
            at(9),
        )
        .unwrap();
    store
        .mark_not_readable(payments, "may not read account.move.line (again)", at(11))
        .unwrap();

    let refused = store.not_readable().unwrap();
    assert_eq!(
        refused.iter().map(|r| r.part).collect::<Vec<_>>(),
        [payments, SyncPart::CreditMoves]
    );
    assert_eq!(refused[0].since, at(9), "the first refusal stays");
    assert_eq!(refused[0].tried_at, at(11));
    assert_eq!(refused[0].detail, "may not read account.move.line (again)");
    assert_eq!(store.status().unwrap().not_readable, refused);

    assert!(store.clear_not_readable(payments).unwrap());
    assert!(
        !store.clear_not_readable(payments).unwrap(),
        "nothing left to clear"
    );
    assert_eq!(
        store
            .not_readable()
            .unwrap()
            .iter()
            .map(|r| r.part)
            .collect::<Vec<_>>(),
        [SyncPart::CreditMoves]
    );
}

/// A lookup by id used to match a customer whose code was that number
/// first (the cache took "code or id" as one text): customer 7 came back
/// as customer 2, coded "7". Named by a `CustomerRef`, each is what it says.
#[test]
fn a_customer_or_product_named_by_id_is_never_one_whose_code_is_that_number() {
    let mut store = Store::open_in_memory().unwrap();
    apply(
        &mut store,
        Records::Customers(vec![customer(2, "7", "Two"), customer(7, "C7", "Seven")]),
    );
    apply(
        &mut store,
        Records::Products(vec![
            product(3, "9", "Three", ""),
            product(9, "P9", "Nine", ""),
        ]),
    );
    let name =
        |found: Option<fieldbook_store::CustomerView>| found.map(|view| view.customer.value.name);
    assert_eq!(
        name(store.customer(CustomerRef::Id(7)).unwrap()).as_deref(),
        Some("Seven")
    );
    assert_eq!(
        name(store.customer(CustomerRef::Code("7")).unwrap()).as_deref(),
        Some("Two")
    );
    assert_eq!(
        name(store.customer(CustomerRef::Code("c7")).unwrap()).as_deref(),
        Some("Seven")
    );
    assert_eq!(name(store.customer(CustomerRef::Id(99)).unwrap()), None);
    // As a person types it: the code first, then a number as an id.
    assert_eq!(
        name(store.customer_as_typed("7").unwrap()).as_deref(),
        Some("Two")
    );
    assert_eq!(
        name(store.customer_as_typed("2").unwrap()).as_deref(),
        Some("Two")
    );
    assert_eq!(name(store.customer_as_typed("x").unwrap()), None);

    let product_name =
        |found: Option<fieldbook_store::ProductView>| found.map(|view| view.product.value.name);
    assert_eq!(
        product_name(store.product(ProductRef::Id(9)).unwrap()).as_deref(),
        Some("Nine")
    );
    assert_eq!(
        product_name(store.product(ProductRef::Code("9")).unwrap()).as_deref(),
        Some("Three")
    );
    assert_eq!(
        product_name(store.product_as_typed("3").unwrap()).as_deref(),
        Some("Three")
    );
}
