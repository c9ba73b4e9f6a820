//! What Fieldbook's Tryton client sends for each kind of outbox entry, as
//! the real Tryton receives it, held to the same snapshots as the hermetic
//! replay in `crates/erp/tests/payloads.rs`. With
//! `FIELDBOOK_RECORD_PAYLOADS=1` it also records Tryton's answers as the
//! replay's fixtures (`crates/erp/tests/payloads/*.json`).

#[path = "../crates/erp/tests/payloads/stories.rs"]
mod stories;

use chrono::NaiveDate;
use fieldbook_core::customers::{
    AddressDraft, ContactDraft, CustomerDraft, CustomerEdit, EditField, FieldEdit,
};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{DraftLine, Entity, SaleDraft, SaleKind, SaleRef};
use fieldbook_erp::Erp;
use fieldbook_erp::tryton::Tryton;
use fieldbook_store::{CustomerRef, ProductRef, Store};
use fieldbook_testkit::{Dataset, TrytonServer};
use fieldbook_tests::synced;
use rust_decimal::dec;
use stories::{Entry, Exchange, Fixture, STORIES, send, shown, snapshots, write_fixture};

/// A uuid for story `n`, the same at every run.
fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// An order (or quote) for C-ACME: two lines, one with a discount, to its
/// first address, from the first warehouse, on a fixed date.
fn sale(store: &Store, kind: SaleKind) -> SaleDraft {
    let acme = store
        .customer(CustomerRef::Code("C-ACME"))
        .unwrap()
        .unwrap();
    let product = |code| {
        store
            .product(ProductRef::Code(code))
            .unwrap()
            .unwrap()
            .product
            .value
    };
    let tea = product("P-TEA");
    // The first other product for sale, by id: the same at every run.
    let second = store
        .local_ids(Entity::Products)
        .unwrap()
        .into_iter()
        .filter_map(|id| store.product(ProductRef::Id(id)).unwrap())
        .map(|view| view.product.value)
        .find(|other| other.salable && other.erp_id != tea.erp_id)
        .unwrap();
    let address = acme.addresses[0].erp_id;
    SaleDraft {
        kind,
        customer_id: acme.customer.value.erp_id,
        invoice_address_id: Some(address),
        shipment_address_id: Some(address),
        warehouse_id: store
            .local_ids(Entity::Warehouses)
            .unwrap()
            .first()
            .copied(),
        requested_date: NaiveDate::from_ymd_opt(2030, 1, 15),
        reference: Some("PO-2030-7".into()),
        note: Some("请周五前送达 / deliver before Friday".into()),
        // C-ACME has no list of its own: the company's default.
        price_list_id: store.default_price_list().unwrap().unwrap().value,
        lines: vec![
            // A discount: the base price is the price it is taken from.
            DraftLine {
                base_price: tea.list_price,
                ..DraftLine::typed(tea.erp_id, dec!(3), tea.list_price.unwrap(), dec!(0.1))
            },
            // A typed price: the base price is the product's list price.
            DraftLine {
                base_price: second.list_price,
                ..DraftLine::typed(second.erp_id, dec!(2), dec!(12.30), dec!(0))
            },
            // A price only the ERP knows: sent without one.
            DraftLine {
                unit_price: None,
                price_typed: false,
                base_price: tea.list_price,
                ..DraftLine::typed(tea.erp_id, dec!(1), dec!(0), dec!(0))
            },
        ],
    }
}

/// The entry each story sends, made from the synced cache (and, for a
/// quote to become an order, a quote sent first).
async fn entry(story: &str, store: &Store, erp: &Tryton) -> Entry {
    let acme = store
        .customer(CustomerRef::Code("C-ACME"))
        .unwrap()
        .unwrap();
    match story {
        "order" => Entry::Order {
            uuid: uuid(1),
            draft: sale(store, SaleKind::Order),
        },
        "quote_to_order" => {
            erp.send_sale(&uuid(2), &sale(store, SaleKind::Quote), None)
                .await
                .unwrap();
            Entry::QuoteToOrder {
                sale: SaleRef::Entry(uuid(2)),
            }
        }
        "customer_new" => Entry::CustomerNew {
            uuid: uuid(3),
            draft: CustomerDraft {
                name: "深圳市蓝海贸易有限公司".into(),
                addresses: vec![AddressDraft {
                    uuid: uuid(4),
                    street: Some("南山区科技园南路 18 号".into()),
                    postal_code: Some("518057".into()),
                    city: Some("深圳".into()),
                    country: Some("CN".into()),
                    invoice: true,
                    delivery: true,
                }],
                contacts: vec![ContactDraft {
                    uuid: uuid(5),
                    kind: "mobile".into(),
                    value: "+86 138 0000 0000".into(),
                }],
            },
        },
        "customer_edit" => {
            let address = &acme.addresses[0];
            Entry::CustomerEdit {
                edit: CustomerEdit {
                    customer_id: acme.customer.value.erp_id,
                    fields: vec![
                        FieldEdit {
                            field: EditField::CustomerName,
                            base: Some(acme.customer.value.name.clone()),
                            value: Some(format!("{} (华南)", acme.customer.value.name)),
                        },
                        FieldEdit {
                            field: EditField::AddressCity {
                                address_id: address.erp_id,
                            },
                            base: address.city.clone(),
                            value: Some("广州".into()),
                        },
                    ],
                    new_addresses: vec![],
                    new_contacts: vec![ContactDraft {
                        uuid: uuid(6),
                        kind: "email".into(),
                        value: "buyer@acme.example.cn".into(),
                    }],
                },
            }
        }
        "request" => Entry::Request {
            uuid: uuid(7),
            draft: RequestDraft {
                customer_id: acme.customer.value.erp_id,
                description: "两箱茶叶包装破损 / two cases arrived damaged".into(),
                order_id: acme.recent_orders.first().map(|order| order.value.erp_id),
                invoice_id: None,
            },
        },
        other => panic!("no story {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_client_sends_tryton_is_what_the_pins_say() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let (erp, store) = synced(&server).await;
    let record = std::env::var_os("FIELDBOOK_RECORD_PAYLOADS").is_some();
    for story in STORIES {
        let entry = entry(story, &store, &erp).await;
        let recorded = Tryton::connect_recorded(server.sales_config())
            .await
            .unwrap();
        send(&recorded, &entry)
            .await
            .unwrap_or_else(|error| panic!("{story}: {error}"));
        let exchanges = recorded.take_exchanges();
        let requests: Vec<_> = exchanges
            .iter()
            .map(|(method, params, _)| (method.clone(), params.clone()))
            .collect();
        if record {
            let exchanges = exchanges
                .into_iter()
                .map(|(method, _, answer)| Exchange { method, answer })
                .collect();
            write_fixture(story, &Fixture { entry, exchanges });
        }
        snapshots().bind(|| insta::assert_snapshot!(story, shown(&requests)));
    }
}
