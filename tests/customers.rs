//! Customer changes against the real Tryton: a customer created offline
//! (and an order for it) arrives once; an edit arrives where Tryton still
//! holds what the salesperson saw, and where Tryton changed the same field
//! since, Tryton's value stays and the salesperson's is kept on the entry.

use chrono::Utc;
use fieldbook_core::customers::{
    AddressDraft, ContactDraft, CustomerDraft, CustomerEdit, EditField, FieldEdit,
};
use fieldbook_core::{DraftLine, SaleDraft, SaleKind};
use fieldbook_erp::Erp;
use fieldbook_erp::tryton::RawSession;
use fieldbook_store::EntryState;
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_sync::{PushOptions, push};
use fieldbook_testkit::{Backend, Dataset, TrytonServer};
use fieldbook_tests::{call, sync_with, synced};
use serde_json::{Value, json};

const NOW: PushOptions = PushOptions {
    respect_backoff: false,
};

/// `(id, name)` of the parties carrying this uuid.
async fn parties_with(admin: &RawSession, uuid: &str) -> Vec<(i64, String)> {
    call(
        admin,
        "model.party.party.search_read",
        vec![
            json!([["fieldbook_uuid", "=", uuid]]),
            json!(0),
            json!(null),
            json!(null),
            json!(["name"]),
        ],
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .map(|row| {
        (
            row["id"].as_i64().unwrap(),
            row["name"].as_str().unwrap().to_owned(),
        )
    })
    .collect()
}

fn new_customer() -> CustomerDraft {
    CustomerDraft {
        name: "杭州新茶贸易有限公司 Hangzhou New Tea Trading".into(),
        addresses: vec![AddressDraft {
            uuid: "c0ffee00-0000-4000-8000-00000000a001".into(),
            street: Some("西湖区文三路 90号".into()),
            postal_code: Some("310012".into()),
            city: Some("杭州".into()),
            country: Some("CN".into()),
            invoice: true,
            delivery: true,
        }],
        contacts: vec![
            ContactDraft {
                uuid: "c0ffee00-0000-4000-8000-00000000c001".into(),
                kind: "phone".into(),
                value: "+86 571 8888 0001".into(),
            },
            ContactDraft {
                uuid: "c0ffee00-0000-4000-8000-00000000c002".into(),
                kind: "email".into(),
                value: "buyer@newtea.example.cn".into(),
            },
        ],
    }
}

async fn a_customer_created_offline_and_an_order_for_it_arrive_once(backend: Backend) {
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let (erp, mut store) = synced(&server).await;
    let admin = server.admin().await.unwrap();
    let uuid = "c0ffee00-0000-4000-8000-000000000001";
    let new = store
        .add_customer(uuid, &new_customer(), Utc::now())
        .unwrap();
    assert_eq!(new.code, "NEW-1");
    assert_eq!(
        store.search("新茶", 5).unwrap()[0].code.as_deref(),
        Some("NEW-1")
    );
    let view = store.customer(CustomerRef::Code("NEW-1")).unwrap().unwrap();
    let tea = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();
    let draft = SaleDraft {
        kind: SaleKind::Order,
        customer_id: new.customer_id,
        invoice_address_id: Some(view.addresses[0].erp_id),
        shipment_address_id: Some(view.addresses[0].erp_id),
        warehouse_id: store
            .local_ids(fieldbook_core::Entity::Warehouses)
            .unwrap()
            .first()
            .copied(),
        requested_date: None,
        reference: None,
        note: Some("first order".into()),
        price_list_id: None,
        lines: vec![DraftLine::typed(
            tea.product.value.erp_id,
            1.into(),
            tea.product.value.list_price.unwrap(),
            rust_decimal::Decimal::ZERO,
        )],
    };
    let order = store
        .add_sale("c0ffee00-order", &draft, None, Utc::now())
        .unwrap();

    let report = push(&*erp, &mut store, NOW, &Utc::now).await.unwrap();
    assert_eq!(report.customers.len(), 1, "{report:?}");
    assert_eq!(report.accepted.len(), 1, "{report:?}");
    let parties = parties_with(&admin, uuid).await;
    assert_eq!(parties.len(), 1, "{parties:?}");
    let party = parties[0].0;
    let sale = call(
        &admin,
        "model.sale.sale.search_read",
        vec![
            json!([["fieldbook_uuid", "=", "c0ffee00-order"]]),
            json!(0),
            json!(null),
            json!(null),
            json!(["party", "invoice_address.fieldbook_uuid", "state"]),
        ],
    )
    .await;
    assert_eq!(sale[0]["party"].as_i64(), Some(party), "{sale}");
    assert_eq!(
        sale[0]["invoice_address."]["fieldbook_uuid"],
        "c0ffee00-0000-4000-8000-00000000a001"
    );
    assert_eq!(
        store.outbox_entry(order).unwrap().unwrap().state,
        EntryState::Done
    );

    // Sent again (a lost answer, another device): still one party, and the
    // same ids.
    let again = erp.create_customer(uuid, &new_customer()).await.unwrap();
    assert_eq!(again.erp_id, party);
    assert_eq!(parties_with(&admin, uuid).await.len(), 1);

    // The cache took the ERP's ids at once, and the pull agrees.
    let code = report.customers[0].1.code.clone().unwrap();
    let cached = store.customer(CustomerRef::Code(&code)).unwrap().unwrap();
    assert_eq!(cached.customer.value.erp_id, party);
    sync_with(&erp, &mut store).await.unwrap();
    let pulled = store.customer(CustomerRef::Code(&code)).unwrap().unwrap();
    assert_eq!(pulled.customer.value.erp_id, party);
    assert_eq!(pulled.addresses.len(), 1);
    assert_eq!(pulled.addresses[0].country.as_deref(), Some("China"));
    assert_eq!(pulled.contacts.len(), 2);
    assert!(
        store
            .customer(CustomerRef::Code("NEW-1"))
            .unwrap()
            .is_none()
    );
    assert_eq!(pulled.recent_orders.len(), 1);

    // A country the ERP does not know is refused with the address named.
    let mut bad = new_customer();
    bad.addresses[0].uuid = "c0ffee00-bad-address".into();
    bad.addresses[0].country = Some("XQ".into());
    bad.contacts.clear();
    let seq = store
        .add_customer("c0ffee00-bad", &bad, Utc::now())
        .unwrap()
        .seq;
    let report = push(&*erp, &mut store, NOW, &Utc::now).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let message = store
        .outbox_entry(seq)
        .unwrap()
        .unwrap()
        .erp_message
        .unwrap();
    assert!(message.contains("no country with code XQ"), "{message}");
    assert!(parties_with(&admin, "c0ffee00-bad").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflicting_edit_keeps_the_erps_value_and_the_salespersons_on_the_entry() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let (erp, mut store) = synced(&server).await;
    let admin = server.admin().await.unwrap();
    let view = store
        .customer(CustomerRef::Code("C-HUAWEI"))
        .unwrap()
        .unwrap();
    let phone = view
        .contacts
        .iter()
        .find(|contact| contact.kind == "phone")
        .expect("C-HUAWEI has a phone")
        .clone();
    let address = view.addresses[0].clone();

    // Offline, the salesperson changes the phone and the street, renames
    // nothing, and adds an e-mail.
    let edit = CustomerEdit {
        customer_id: view.customer.value.erp_id,
        fields: vec![
            FieldEdit {
                field: EditField::ContactValue {
                    contact_id: phone.erp_id,
                },
                base: Some(phone.value.clone()),
                value: Some("+86 755 2222 2222".into()),
            },
            FieldEdit {
                field: EditField::AddressStreet {
                    address_id: address.erp_id,
                },
                base: address.street.clone(),
                value: Some("坂田华为基地 B区".into()),
            },
        ],
        new_addresses: vec![],
        new_contacts: vec![ContactDraft {
            uuid: "c0ffee00-edit-email".into(),
            kind: "email".into(),
            value: "purchasing@huawei.example.cn".into(),
        }],
    };
    let seq = store
        .edit_customer("c0ffee00-edit", &edit, Utc::now())
        .unwrap();
    let shown = store
        .customer(CustomerRef::Code("C-HUAWEI"))
        .unwrap()
        .unwrap();
    assert!(
        shown
            .contacts
            .iter()
            .any(|c| c.value == "+86 755 2222 2222"),
        "the cache shows the edit offline"
    );
    // Meanwhile, in the ERP, someone changes the same phone.
    call(
        &admin,
        "model.party.contact_mechanism.write",
        vec![json!([phone.erp_id]), json!({"value": "+86 755 1111 1111"})],
    )
    .await;

    let report = push(&*erp, &mut store, NOW, &Utc::now).await.unwrap();
    assert_eq!(report.customers.len(), 1, "{report:?}");
    let conflicts = &report.customers[0].1.conflicts;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].yours.as_deref(), Some("+86 755 2222 2222"));
    let entry = store.outbox_entry(seq).unwrap().unwrap();
    assert_eq!(entry.state, EntryState::Done);
    assert_eq!(entry.conflicts, *conflicts, "kept on the entry");
    let message = entry.erp_message.unwrap();
    assert!(message.contains("the ERP's value stays"), "{message}");
    assert!(message.contains("+86 755 2222 2222"), "{message}");

    // The ERP kept its phone, took the street and the new e-mail.
    let contact = call(
        &admin,
        "model.party.contact_mechanism.read",
        vec![json!([phone.erp_id]), json!(["value"])],
    )
    .await;
    assert_eq!(
        contact[0]["value"]
            .as_str()
            .map(|v| v.replace(' ', ""))
            .as_deref(),
        Some("+8675511111111")
    );
    let street = call(
        &admin,
        "model.party.address.read",
        vec![json!([address.erp_id]), json!(["street"])],
    )
    .await;
    assert_eq!(street[0]["street"], "坂田华为基地 B区");
    let emails = call(
        &admin,
        "model.party.contact_mechanism.search_count",
        vec![json!([["fieldbook_uuid", "=", "c0ffee00-edit-email"]])],
    )
    .await;
    assert_eq!(emails, 1);

    // Resent after a lost answer: nothing changes, nothing is doubled, and
    // the street (already written) is no conflict.
    let resolved = store.resolved_edit(&edit).unwrap();
    let again = erp.edit_customer(&resolved).await.unwrap();
    assert_eq!(again.conflicts.len(), 1, "only the phone: {again:?}");
    assert_eq!(
        call(
            &admin,
            "model.party.contact_mechanism.search_count",
            vec![json!([["fieldbook_uuid", "=", "c0ffee00-edit-email"]])],
        )
        .await,
        1
    );

    // The pull shows the ERP's view: its phone, the new street and e-mail.
    sync_with(&erp, &mut store).await.unwrap();
    let after = store
        .customer(CustomerRef::Code("C-HUAWEI"))
        .unwrap()
        .unwrap();
    let phone_now = after
        .contacts
        .iter()
        .find(|contact| contact.erp_id == phone.erp_id)
        .unwrap();
    assert_eq!(phone_now.value.replace(' ', ""), "+8675511111111");
    assert!(
        after
            .contacts
            .iter()
            .any(|c| c.value == "purchasing@huawei.example.cn")
    );
    assert!(after.contacts.iter().all(|c| c.erp_id > 0));
}

async fn an_after_sales_request_reaches_the_erp_once_and_its_state_comes_back(backend: Backend) {
    use fieldbook_core::requests::RequestDraft;
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let (erp, mut store) = synced(&server).await;
    let admin = server.admin().await.unwrap();
    // A shipped order to complain about.
    let shipped = call(
        &admin,
        "model.sale.sale.search_read",
        vec![
            json!([["state", "in", ["processing", "done"]]]),
            json!(0),
            json!(1),
            json!([["id", "ASC"]]),
            json!(["party"]),
        ],
    )
    .await;
    let (order, customer) = (
        shipped[0]["id"].as_i64().unwrap(),
        shipped[0]["party"].as_i64().unwrap(),
    );
    let about_order = RequestDraft {
        customer_id: customer,
        description: "三箱茶叶受潮 / three cases of tea arrived damp".into(),
        order_id: Some(order),
        invoice_id: None,
    };
    let first = store
        .add_request("c0ffee00-req-1", &about_order, Utc::now())
        .unwrap();
    let alone = RequestDraft {
        customer_id: customer,
        description: "请安排上门培训 / please arrange on-site training".into(),
        order_id: None,
        invoice_id: None,
    };
    store
        .add_request("c0ffee00-req-2", &alone, Utc::now())
        .unwrap();
    let before = store.customer(CustomerRef::Id(customer)).unwrap().unwrap();
    assert_eq!(
        before
            .requests
            .iter()
            .filter(|r| r.value.erp_id < 0)
            .count(),
        2,
        "shown with the customer before they are sent"
    );

    let report = push(&*erp, &mut store, NOW, &Utc::now).await.unwrap();
    assert_eq!(report.requests.len(), 2, "{report:?}");
    let complaints = call(
        &admin,
        "model.sale.complaint.search_read",
        vec![
            json!([["fieldbook_uuid", "in", ["c0ffee00-req-1", "c0ffee00-req-2"]]]),
            json!(0),
            json!(null),
            json!([["id", "ASC"]]),
            json!([
                "state",
                "origin",
                "type.name",
                "description",
                "customer",
                "number"
            ]),
        ],
    )
    .await;
    let complaints = complaints.as_array().unwrap();
    assert_eq!(complaints.len(), 2, "{complaints:?}");
    assert_eq!(
        complaints[0]["state"], "waiting",
        "submitted for the after-sales team"
    );
    assert_eq!(complaints[0]["origin"], format!("sale.sale,{order}"));
    assert_eq!(complaints[0]["customer"].as_i64(), Some(customer));
    assert_eq!(complaints[1]["origin"], Value::Null);
    assert_eq!(complaints[1]["type."]["name"], "Service request 服务请求");
    let number = complaints[0]["number"].as_str().unwrap().to_owned();
    assert_eq!(
        store
            .outbox_entry(first)
            .unwrap()
            .unwrap()
            .erp_number
            .as_deref(),
        Some(number.as_str())
    );

    // Sent again after a lost answer: the same request, not a second.
    let again = erp
        .file_request("c0ffee00-req-1", &about_order, None)
        .await
        .unwrap();
    assert_eq!(again.erp_id, complaints[0]["id"].as_i64().unwrap());
    assert_eq!(
        call(
            &admin,
            "model.sale.complaint.search_count",
            vec![json!([["fieldbook_uuid", "=", "c0ffee00-req-1"]])],
        )
        .await,
        1
    );

    // The after-sales team approves it in the ERP; the next sync shows it.
    call(
        &admin,
        "model.sale.complaint.approve",
        vec![json!([complaints[0]["id"]])],
    )
    .await;
    sync_with(&erp, &mut store).await.unwrap();
    let view = store.customer(CustomerRef::Id(customer)).unwrap().unwrap();
    let approved = view
        .requests
        .iter()
        .find(|r| r.value.number.as_deref() == Some(number.as_str()))
        .unwrap_or_else(|| panic!("{:?}", view.requests));
    // Approved with nothing left to do, Tryton closes it at once.
    let state = call(
        &admin,
        "model.sale.complaint.read",
        vec![json!([complaints[0]["id"]]), json!(["state"])],
    )
    .await[0]["state"]
        .clone();
    assert!(
        ["approved", "done"].contains(&state.as_str().unwrap()),
        "{state}"
    );
    assert_eq!(approved.value.state.name(), state.as_str().unwrap());
    assert_eq!(approved.value.order_id, Some(order));
    assert!(
        view.requests.iter().all(|r| r.value.erp_id > 0),
        "{:?}",
        view.requests
    );

    // An order of another customer is refused before anything is saved.
    let other = store
        .customer(CustomerRef::Code("C-HUAWEI"))
        .unwrap()
        .unwrap()
        .customer
        .value
        .erp_id;
    assert_ne!(other, customer);
    let error = store
        .add_request(
            "c0ffee00-req-3",
            &RequestDraft {
                customer_id: other,
                ..about_order
            },
            Utc::now(),
        )
        .unwrap_err();
    assert!(error.to_string().contains("is not one of"), "{error}");
}

fieldbook_tests::on_both_backends!(
    a_customer_created_offline_and_an_order_for_it_arrive_once,
    an_after_sales_request_reaches_the_erp_once_and_its_state_comes_back,
);
