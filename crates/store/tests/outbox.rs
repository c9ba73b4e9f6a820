//! The outbox: a change and its entry are written together, entries keep
//! what was typed, and each answer of the ERP is recorded.

use chrono::{DateTime, TimeZone, Utc};
use fieldbook_core::{
    Address, Customer, DraftLine, Product, Records, SaleDraft, SaleKind, Warehouse,
};
use fieldbook_store::CustomerRef;
use fieldbook_store::{
    EntryPayload, EntryState, ErpWarning, Owned, PageEffects, PullCursor, Refusal, Store,
    StoreError,
};
use rust_decimal::{Decimal, dec};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, minute, 0).unwrap()
}

fn apply(store: &mut Store, records: Records) {
    store
        .apply_page(
            &records,
            &PullCursor::default(),
            &PageEffects::default(),
            at(0),
        )
        .unwrap();
}

fn product(erp_id: i64, code: &str, salable: bool) -> Product {
    Product {
        erp_id,
        code: Some(code.into()),
        name: format!("Product {code}"),
        description: None,
        unit: "u".into(),
        list_price: Some(dec!(168)),
        salable,
        pricing: Default::default(),
        active: true,
    }
}

fn address(erp_id: i64, customer_id: i64) -> Address {
    Address {
        erp_id,
        customer_id,
        name: None,
        street: Some("科技园 1号".into()),
        postal_code: None,
        city: Some("深圳".into()),
        subdivision: None,
        country: Some("China".into()),
        invoice: true,
        delivery: true,
        active: true,
    }
}

fn seeded() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    apply(
        &mut store,
        Records::Customers(
            [(4, "C-HUAWEI"), (5, "C-ACME")]
                .map(|(erp_id, code)| Customer {
                    erp_id,
                    code: Some(code.into()),
                    name: code.into(),
                    tax_id: None,
                    price_list_id: None,
                    active: true,
                })
                .to_vec(),
        ),
    );
    apply(
        &mut store,
        Records::Addresses(vec![address(40, 4), address(50, 5)]),
    );
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
        Records::Products(vec![
            product(1, "P-TEA", true),
            product(2, "P-SAMPLE", false),
        ]),
    );
    store
}

fn order(customer_id: i64, quantity: Decimal) -> SaleDraft {
    SaleDraft {
        kind: SaleKind::Order,
        customer_id,
        invoice_address_id: Some(40),
        shipment_address_id: Some(40),
        warehouse_id: Some(5),
        requested_date: None,
        reference: Some("PO-778".into()),
        note: Some("请周五前送达".into()),
        price_list_id: None,
        lines: vec![DraftLine::typed(1, quantity, dec!(168), dec!(0.1))],
    }
}

#[test]
fn an_order_is_written_with_its_entry_and_kept_as_typed() {
    let mut store = seeded();
    let draft = order(4, dec!(3));
    let seq = store
        .add_sale("7f0c1f4e-0000-4000-8000-000000000001", &draft, None, at(1))
        .unwrap();
    let entries = store.outbox().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.seq, seq);
    assert_eq!(entry.uuid, "7f0c1f4e-0000-4000-8000-000000000001");
    assert_eq!(entry.payload, EntryPayload::Sale(draft));
    assert_eq!(entry.state, EntryState::Pending);
    assert_eq!(entry.customer_id, Some(4));
    assert_eq!(entry.created_at, at(1));
    assert_eq!(store.outbox_counts().unwrap(), (1, 0));
    // 3 × 168 × 0.9
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(453.60));
    assert_eq!(store.unsent_sales_total(5).unwrap(), Decimal::ZERO);
}

#[test]
fn a_draft_naming_what_the_cache_does_not_hold_is_refused_and_nothing_is_written() {
    let mut store = seeded();
    let mut unknown_customer = order(99, dec!(1));
    unknown_customer.invoice_address_id = None;
    unknown_customer.shipment_address_id = None;
    let mut foreign_address = order(5, dec!(1));
    foreign_address.shipment_address_id = Some(50);
    let mut unknown_product = order(4, dec!(1));
    unknown_product.lines[0].product_id = 77;
    let mut not_for_sale = order(4, dec!(1));
    not_for_sale
        .lines
        .push(DraftLine::typed(2, dec!(1), dec!(1), Decimal::ZERO));
    let mut unknown_warehouse = order(4, dec!(1));
    unknown_warehouse.warehouse_id = Some(99);
    let cases = [
        (unknown_customer, "customer 99 is not in the cache"),
        (unknown_warehouse, "warehouse 99 is not in the cache"),
        (
            foreign_address,
            "invoice address 40 is not one of C-ACME's: pick one of theirs",
        ),
        (unknown_product, "line 1: product 77 is not in the cache"),
        (not_for_sale, "line 2: product P-SAMPLE is not for sale"),
    ];
    let mut refusals = Vec::new();
    for (index, (draft, message)) in cases.into_iter().enumerate() {
        let error = store
            .add_sale(&format!("uuid-{index}"), &draft, None, at(1))
            .unwrap_err();
        assert!(error.to_string().starts_with(message), "{error}");
        let StoreError::Refused(refusal) = error else {
            panic!("not a refusal: {error:?}");
        };
        refusals.push(refusal);
    }
    assert!(
        matches!(
            refusals.as_slice(),
            [
                Refusal::CustomerNotCached { customer_id: 99 },
                Refusal::WarehouseNotCached { warehouse_id: 99 },
                Refusal::NotTheirs {
                    what: Owned::InvoiceAddress,
                    id: 40,
                    ..
                },
                Refusal::ProductNotCached {
                    line: 1,
                    product_id: 77
                },
                Refusal::NotForSale { line: 2, .. },
            ]
        ),
        "{refusals:?}"
    );
    assert!(store.outbox().unwrap().is_empty());
    // The same uuid twice is one entry.
    store
        .add_sale("twice", &order(4, dec!(1)), None, at(1))
        .unwrap();
    let error = store
        .add_sale("twice", &order(4, dec!(2)), None, at(2))
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Refused(Refusal::AlreadyWritten { uuid }) if uuid == "twice"),
        "{error:?}"
    );
    assert_eq!(store.outbox().unwrap().len(), 1);
}

#[test]
fn each_answer_of_the_erp_is_recorded_and_a_refused_entry_waits_for_the_salesperson() {
    let mut store = seeded();
    let first = store
        .add_sale("a", &order(4, dec!(1)), None, at(1))
        .unwrap();
    let second = store
        .add_sale("b", &order(4, dec!(2)), None, at(2))
        .unwrap();
    let third = store
        .add_sale("c", &order(4, dec!(3)), None, at(3))
        .unwrap();
    let seqs = |entries: Vec<fieldbook_store::OutboxEntry>| {
        entries.iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    assert_eq!(
        seqs(store.sendable(Some(at(4))).unwrap()),
        [first, second, third]
    );

    // ERP down: the first waits out its back-off; the others are still in order.
    store
        .record_failed_attempt(first, "the ERP is unreachable", at(10), at(4))
        .unwrap();
    assert_eq!(seqs(store.sendable(Some(at(5))).unwrap()), [second, third]);
    assert_eq!(
        seqs(store.sendable(Some(at(10))).unwrap()),
        [first, second, third]
    );
    assert_eq!(store.outbox_entry(first).unwrap().unwrap().attempts, 1);

    store
        .record_accepted(first, 901, Some("SO0042"), &[], at(11))
        .unwrap();
    store
        .record_rejected(
            second,
            "The party \"C-HUAWEI\" will exceed their CNY 5000.00 credit limit.",
            at(11),
        )
        .unwrap();
    let warning = ErpWarning {
        name: "credit_limit_4".into(),
        text: "Credit limit exceeded".into(),
    };
    store.record_warning(third, &warning, at(11)).unwrap();
    assert!(store.sendable(Some(at(12))).unwrap().is_empty());
    assert_eq!(store.outbox_counts().unwrap(), (0, 2));

    let accepted = store.outbox_entry(first).unwrap().unwrap();
    assert_eq!(
        (
            accepted.state,
            accepted.erp_id,
            accepted.erp_number.as_deref()
        ),
        (EntryState::Done, Some(901), Some("SO0042"))
    );
    let refused = store.outbox_entry(second).unwrap().unwrap();
    assert_eq!(refused.state, EntryState::Rejected);
    assert!(refused.erp_message.unwrap().contains("credit limit"));
    assert_eq!(
        refused.payload,
        EntryPayload::Sale(order(4, dec!(2))),
        "what was typed is kept"
    );
    assert_eq!(
        store.outbox_entry(third).unwrap().unwrap().warning,
        Some(warning)
    );
    // Accepted sales no longer count against credit; refused ones still do.
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(756.00));

    // An accepted entry cannot change or be discarded.
    assert!(store.record_rejected(first, "late", at(13)).is_err());
    assert!(store.discard(first, at(0)).is_err());
    // The salesperson resends one and discards the other.
    store.retry(second, at(14)).unwrap();
    assert_eq!(seqs(store.sendable(Some(at(14))).unwrap()), [second]);
    assert_eq!(store.discard(third, at(0)).unwrap().entries, 1);
    assert_eq!(seqs(store.outbox().unwrap()), [first, second]);
    assert!(store.retry(third, at(15)).is_err());
}

#[test]
fn an_entry_waits_for_the_one_it_depends_on() {
    let mut store = seeded();
    let first = store
        .add_sale("first", &order(4, dec!(1)), None, at(1))
        .unwrap();
    let second = store
        .add_sale("second", &order(4, dec!(1)), Some("first"), at(2))
        .unwrap();
    let error = store
        .add_sale("third", &order(4, dec!(1)), Some("nowhere"), at(2))
        .unwrap_err();
    assert!(error.to_string().contains("nowhere"), "{error}");
    let seqs = |store: &Store, now| {
        store
            .sendable(Some(now))
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(&store, at(3)), [first]);
    store.record_rejected(first, "no", at(4)).unwrap();
    assert_eq!(seqs(&store, at(5)), Vec::<i64>::new());
    // Discarding the first discards what waits on it.
    assert_eq!(store.discard(first, at(0)).unwrap().entries, 2);
    assert!(store.outbox().unwrap().is_empty());
    assert!(store.outbox_entry(second).unwrap().is_none());
    // Once the first is accepted, the second may go.
    let first = store
        .add_sale("first-again", &order(4, dec!(1)), None, at(6))
        .unwrap();
    let second = store
        .add_sale(
            "second-again",
            &order(4, dec!(1)),
            Some("first-again"),
            at(6),
        )
        .unwrap();
    assert_eq!(seqs(&store, at(7)), [first]);
    store
        .record_accepted(first, 900, Some("SO1"), &[], at(8))
        .unwrap();
    assert_eq!(seqs(&store, at(9)), [second]);
}

#[test]
fn a_refused_sale_is_edited_and_queued_again_keeping_its_uuid() {
    let mut store = seeded();
    let seq = store
        .add_sale("refused", &order(4, dec!(30)), None, at(1))
        .unwrap();
    store
        .record_warning(
            seq,
            &ErpWarning {
                name: "credit_limit".into(),
                text: "over the limit".into(),
            },
            at(2),
        )
        .unwrap();
    let smaller = order(4, dec!(3));
    store.replace_sale(seq, &smaller, at(3)).unwrap();
    let entry = store.outbox_entry(seq).unwrap().unwrap();
    assert_eq!(entry.uuid, "refused", "the ERP finds its sale by it");
    assert_eq!(entry.payload, EntryPayload::Sale(smaller));
    assert_eq!(entry.state, EntryState::Pending);
    assert_eq!(entry.warning, None, "the new content is judged afresh");
    assert_eq!(entry.updated_at, at(3));
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(453.60));

    // What the cache does not hold, another customer or another kind is
    // refused, and the entry stays as it was.
    let before = store.outbox_entry(seq).unwrap().unwrap();
    let mut unknown_product = order(4, dec!(1));
    unknown_product.lines[0].product_id = 77;
    let mut quote = order(4, dec!(1));
    quote.kind = SaleKind::Quote;
    for (bad, says) in [
        (unknown_product, "product 77 is not in the cache"),
        (order(5, dec!(1)), "another customer"),
        (quote, "is an order, not a quote: edit it as an order"),
    ] {
        let error = store.replace_sale(seq, &bad, at(4)).unwrap_err();
        assert!(error.to_string().contains(says), "{error}");
        assert_eq!(store.outbox_entry(seq).unwrap().unwrap(), before);
    }

    // Once the ERP has accepted it, it is the ERP's to change.
    store
        .record_accepted(seq, 900, Some("SO9"), &[], at(5))
        .unwrap();
    let error = store
        .replace_sale(seq, &order(4, dec!(1)), at(6))
        .unwrap_err();
    assert!(error.to_string().contains("accepted"), "{error}");
    assert!(store.replace_sale(999, &order(4, dec!(1)), at(6)).is_err());
}

#[test]
fn a_quote_becomes_an_order_after_the_quote_itself_and_only_once() {
    use fieldbook_core::{QuoteToOrder, SaleRef};
    let mut store = seeded();
    let mut quote = order(4, dec!(3));
    quote.kind = SaleKind::Quote;
    let quote_seq = store.add_sale("quote", &quote, None, at(1)).unwrap();
    // A quote alone commits no credit and no stock.
    assert_eq!(store.unsent_sales_total(4).unwrap(), Decimal::ZERO);
    assert_eq!(store.unsent_quantity(1, 5).unwrap(), Decimal::ZERO);

    let change = QuoteToOrder {
        sale: SaleRef::Entry("quote".into()),
        customer_id: 4,
        label: "the quote of outbox entry 1".into(),
        estimated_total: dec!(453.60),
    };
    let confirm = store.add_quote_to_order("confirm", &change, at(2)).unwrap();
    let entry = store.outbox_entry(confirm).unwrap().unwrap();
    assert_eq!(entry.payload, EntryPayload::QuoteToOrder(change.clone()));
    assert_eq!(entry.depends_on.as_deref(), Some("quote"));
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(453.60));
    assert_eq!(store.unsent_quantity(1, 5).unwrap(), dec!(3));

    // Twice is refused, naming the entry already on its way.
    let error = store
        .add_quote_to_order("again", &change, at(3))
        .unwrap_err();
    assert!(
        error.to_string().contains(&format!("entry {confirm}")),
        "{error}"
    );

    // The confirmation waits for the quote.
    let sendable = |store: &Store| {
        store
            .sendable(None)
            .unwrap()
            .iter()
            .map(|entry| entry.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(sendable(&store), [quote_seq]);
    store
        .record_accepted(quote_seq, 900, Some("SO9"), &[], at(4))
        .unwrap();
    assert_eq!(sendable(&store), [confirm]);
    store
        .record_accepted(confirm, 900, Some("SO9"), &[], at(5))
        .unwrap();
    assert_eq!(store.unsent_sales_total(4).unwrap(), Decimal::ZERO);

    // A quotation the ERP already had waits for nothing; an order is no
    // quote.
    let synced = QuoteToOrder {
        sale: SaleRef::Erp(321),
        customer_id: 5,
        label: "quote SO321".into(),
        estimated_total: dec!(10),
    };
    let seq = store.add_quote_to_order("synced", &synced, at(6)).unwrap();
    assert_eq!(store.outbox_entry(seq).unwrap().unwrap().depends_on, None);
    assert_eq!(store.unsent_sales_total(5).unwrap(), dec!(10));
    store
        .add_sale("an-order", &order(4, dec!(1)), None, at(7))
        .unwrap();
    let not_a_quote = QuoteToOrder {
        sale: SaleRef::Entry("an-order".into()),
        ..change.clone()
    };
    let error = store
        .add_quote_to_order("nope", &not_a_quote, at(8))
        .unwrap_err();
    assert!(error.to_string().contains("not a quote"), "{error}");
    let unknown = QuoteToOrder {
        sale: SaleRef::Entry("nowhere".into()),
        ..change
    };
    assert!(store.add_quote_to_order("nope", &unknown, at(8)).is_err());
}

/// A quote the ERP refused waits on the salesperson (edit it, send it
/// again, or discard it): it does not become an order meanwhile, whichever
/// front end asks. Sent again, it may.
#[test]
fn a_quote_the_erp_refused_does_not_become_an_order_until_it_is_sent_again() {
    use fieldbook_core::{QuoteToOrder, SaleRef};
    let mut store = seeded();
    let mut quote = order(4, dec!(3));
    quote.kind = SaleKind::Quote;
    let seq = store.add_sale("quote", &quote, None, at(1)).unwrap();
    store
        .record_rejected(seq, "the customer is blocked", at(2))
        .unwrap();
    let change = QuoteToOrder {
        sale: SaleRef::Entry("quote".into()),
        customer_id: 4,
        label: "the quote of outbox entry 1".into(),
        estimated_total: dec!(453.60),
    };
    let before = store.outbox().unwrap();
    let error = store
        .add_quote_to_order("confirm", &change, at(3))
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Refused(Refusal::QuoteRefused { entry, .. }) if entry == seq),
        "{error:?}"
    );
    assert!(error.is_refused_change());
    assert!(error.to_string().contains("refused"), "{error}");
    assert_eq!(store.outbox().unwrap(), before);

    store.retry(seq, at(4)).unwrap();
    let confirm = store.add_quote_to_order("confirm", &change, at(5)).unwrap();
    let entry = store.outbox_entry(confirm).unwrap().unwrap();
    assert_eq!(entry.depends_on.as_deref(), Some("quote"));
}

#[test]
fn discarding_an_entry_takes_back_what_it_wrote_in_the_cache() {
    use fieldbook_core::customers::{
        AddressDraft, CustomerDraft, CustomerEdit, EditField, FieldEdit,
    };
    let mut store = seeded();
    let new = store
        .add_customer(
            "new",
            &CustomerDraft {
                name: "杭州新茶贸易".into(),
                addresses: vec![AddressDraft {
                    uuid: "new-address".into(),
                    street: Some("文三路 90号".into()),
                    postal_code: None,
                    city: Some("杭州".into()),
                    country: None,
                    invoice: true,
                    delivery: true,
                }],
                contacts: vec![],
            },
            at(1),
        )
        .unwrap();
    let mut draft = order(new.customer_id, dec!(1));
    let address = store
        .customer(CustomerRef::Code(&new.code))
        .unwrap()
        .unwrap()
        .addresses[0]
        .erp_id;
    draft.invoice_address_id = Some(address);
    draft.shipment_address_id = Some(address);
    store.add_sale("for-new", &draft, None, at(2)).unwrap();
    assert_eq!(store.search("新茶", 5).unwrap().len(), 1);
    // Customers written offline are numbered among themselves, whatever
    // else was written under provisional ids in between.
    let second = store
        .add_customer(
            "second",
            &CustomerDraft {
                name: "第二个新客户".into(),
                addresses: vec![],
                contacts: vec![],
            },
            at(2),
        )
        .unwrap();
    assert_eq!(
        (new.code.as_str(), second.code.as_str()),
        ("NEW-1", "NEW-2")
    );
    store.discard(second.seq, at(0)).unwrap();
    // The customer and the order waiting for it go; nothing of them stays.
    assert_eq!(store.discard(new.seq, at(0)).unwrap().entries, 2);
    assert!(
        store
            .customer(CustomerRef::Code(&new.code))
            .unwrap()
            .is_none()
    );
    assert!(store.search("新茶", 5).unwrap().is_empty());
    assert!(store.search("文三路", 5).unwrap().is_empty());

    // A discarded edit puts back the value it replaced.
    let edit = CustomerEdit {
        customer_id: 4,
        fields: vec![FieldEdit {
            field: EditField::CustomerName,
            base: Some("C-HUAWEI".into()),
            value: Some("华为技术".into()),
        }],
        new_addresses: vec![],
        new_contacts: vec![],
    };
    let seq = store.edit_customer("edit", &edit, at(3)).unwrap();
    assert_eq!(
        store
            .customer(CustomerRef::Code("C-HUAWEI"))
            .unwrap()
            .unwrap()
            .customer
            .value
            .name,
        "华为技术"
    );
    store.discard(seq, at(0)).unwrap();
    assert_eq!(
        store
            .customer(CustomerRef::Code("C-HUAWEI"))
            .unwrap()
            .unwrap()
            .customer
            .value
            .name,
        "C-HUAWEI"
    );
    assert!(store.search("华为技术", 5).unwrap().is_empty());
}

#[test]
fn an_entry_that_may_have_reached_the_erp_is_not_edited_before_a_sync() {
    let mut store = seeded();
    let seq = store
        .add_sale("lost-answer", &order(4, dec!(3)), None, at(1))
        .unwrap();
    store
        .record_failed_attempt(seq, "timed out", at(2), at(1))
        .unwrap();
    // A failed attempt that was never in flight (the push stopped before
    // the request) does not hold the entry.
    store.replace_sale(seq, &order(4, dec!(2)), at(3)).unwrap();

    // The push marks the entry just before the request; then the laptop
    // dies before any answer: attempts stay 0, but the ERP may have it.
    store.mark_in_flight(seq, at(4)).unwrap();
    let entry = store.outbox_entry(seq).unwrap().unwrap();
    assert_eq!(entry.attempts, 0);
    assert!(entry.in_flight);
    assert_eq!(entry.first_sent_at, Some(at(4)));
    let error = store
        .replace_sale(seq, &order(4, dec!(1)), at(5))
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Refused(Refusal::InFlight { entry }) if entry == seq),
        "{error:?}"
    );
    assert!(error.to_string().contains("sync first"), "{error}");
    assert!(error.is_refused_change());
    assert!(matches!(
        store.retry(seq, at(5)),
        Err(StoreError::Refused(Refusal::InFlight { .. }))
    ));
    assert!(matches!(
        store.discard(seq, at(0)),
        Err(StoreError::Refused(Refusal::InFlight { .. }))
    ));
    assert_eq!(store.outbox_entry(seq).unwrap().unwrap(), entry);

    // The ERP's refusal settles it: now it can be edited, and a second
    // sending keeps the first time it was sent.
    store.record_rejected(seq, "credit limit", at(6)).unwrap();
    store.replace_sale(seq, &order(4, dec!(1)), at(7)).unwrap();
    store.mark_in_flight(seq, at(8)).unwrap();
    assert_eq!(
        store.outbox_entry(seq).unwrap().unwrap().first_sent_at,
        Some(at(4))
    );
}

/// A discard of entries that never left the laptop says so; one of an
/// entry the ERP refused once says it was sent.
#[test]
fn a_discard_says_whether_anything_of_it_was_ever_sent() {
    let mut store = seeded();
    let never = store
        .add_sale("never", &order(4, dec!(1)), None, at(1))
        .unwrap();
    let refused = store
        .add_sale("refused", &order(4, dec!(2)), None, at(1))
        .unwrap();
    store.mark_in_flight(refused, at(2)).unwrap();
    store.record_rejected(refused, "no", at(3)).unwrap();
    assert_eq!(
        store.discard(never, at(0)).unwrap(),
        fieldbook_store::Discarded {
            entries: 1,
            ever_sent: 0
        }
    );
    assert_eq!(
        store.discard(refused, at(4)).unwrap(),
        fieldbook_store::Discarded {
            entries: 1,
            ever_sent: 1
        }
    );
    // Only the one sent once is left to look up in the ERP.
    let waiting = store.discarded().unwrap();
    assert_eq!(
        waiting,
        vec![fieldbook_store::DiscardedEntry {
            seq: refused,
            uuid: "refused".into(),
            kind: fieldbook_core::Created::Sale,
            customer: "C-HUAWEI".into(),
            discarded_at: at(4),
            in_erp: None,
            checked_at: None,
        }]
    );
    let held = fieldbook_core::HeldRecord {
        erp_id: 31,
        number: Some("SO31".into()),
        state: Some("quote".into()),
    };
    store
        .record_discarded_lookup("refused", Some(&held), at(5))
        .unwrap();
    let found = &store.discarded().unwrap()[0];
    assert_eq!(found.in_erp.as_ref(), Some(&held));
    assert_eq!(found.checked_at, Some(at(5)));
    store
        .record_discarded_lookup("refused", None, at(6))
        .unwrap();
    assert!(store.discarded().unwrap().is_empty());
}

#[test]
fn a_new_order_ships_from_the_first_warehouse_unless_told() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.default_warehouse().unwrap(), None);
    apply(
        &mut store,
        Records::Warehouses(
            [(9, "WH-B"), (5, "WH-A"), (12, "WH-C")]
                .map(|(erp_id, code)| Warehouse {
                    erp_id,
                    code: Some(code.into()),
                    name: code.into(),
                    active: true,
                })
                .to_vec(),
        ),
    );
    assert_eq!(store.default_warehouse().unwrap(), Some(5));
    assert_eq!(store.warehouse_id("wh-c").unwrap(), Some(12));
}

#[test]
fn unsent_totals_are_rounded_to_the_decimals_of_the_company_currency() {
    use fieldbook_core::Currency;
    let mut store = seeded();
    // Before any sync brought the currency: two decimals, as most have.
    assert_eq!(store.currency_digits().unwrap(), 2);
    let mut draft = order(4, dec!(1));
    draft.lines[0].unit_price = Some(dec!(10.6));
    draft.lines[0].discount = Decimal::ZERO;
    store.add_sale("round", &draft, None, at(1)).unwrap();
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(10.60));
    let yen = Currency {
        code: "JPY".into(),
        digits: 0,
    };
    store.set_currency(&yen, at(2)).unwrap();
    assert_eq!(store.currency().unwrap().unwrap().value, yen);
    assert_eq!(store.currency().unwrap().unwrap().synced_at, at(2));
    // The same currency again (every idle sync) writes nothing.
    store.set_currency(&yen, at(5)).unwrap();
    assert_eq!(store.currency().unwrap().unwrap().synced_at, at(2));
    assert_eq!(store.house_currency().unwrap().as_deref(), Some("JPY"));
    assert_eq!(store.unsent_sales_total(4).unwrap(), dec!(11));
    // A currency no ERP has is a broken answer, not a setting.
    let broken = Currency {
        code: "XXX".into(),
        digits: 40,
    };
    assert!(store.set_currency(&broken, at(3)).is_err());
    assert_eq!(store.currency_digits().unwrap(), 0);
}
