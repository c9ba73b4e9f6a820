//! `fieldbook-bench --push [N]`: N orders of 5 lines each (1,000 by
//! default) queued offline, then pushed to Tryton; against Tryton alone
//! creating, quoting and confirming the same orders with bare JSON-RPC
//! calls; and the outbox's cost per entry when nothing is to send.
//!
//! Tryton's cost per confirmed order grows with the customer's confirmed
//! sales (its credit check sums them), so the two sides must not share a
//! database, nor run one after the other: each has its own copy of the
//! same seeded database, and they take turns in ten rounds of N/10 orders.
//! Both then pay the same growth, and anything else the machine does during
//! the run falls on both alike.

use anyhow::Context;
use chrono::Utc;
use fieldbook_core::{DraftLine, Entity, SaleDraft, SaleKind};
use fieldbook_erp::tryton::{RawSession, Tryton};
use fieldbook_store::Store;
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_sync::{PushOptions, SyncOptions, push};
use fieldbook_testkit::{Dataset, TrytonServer};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How many turns each side takes.
const ROUNDS: usize = 10;

pub async fn run(orders: usize) -> anyhow::Result<String> {
    let dataset = Dataset::TEST;
    let mut report = String::new();
    writeln!(
        report,
        "### Push of {orders} orders of 5 lines (data: {dataset:?})\n"
    )?;
    eprintln!("bench: starting two Tryton servers with {dataset:?} ...");
    let push_server = TrytonServer::start(dataset)?;
    let bare_server = TrytonServer::start(dataset)?;
    let erp = std::sync::Arc::new(Tryton::connect(push_server.sales_config()).await?);
    let mut store = Store::open_in_memory()?;
    fieldbook_sync::pull(
        &erp,
        &mut store,
        &SyncOptions::default(),
        &Utc::now,
        &mut |_| {},
    )
    .await?;

    // A customer with room on its credit, five products for sale; both
    // databases are copies of one template, so the ids are the same.
    let customer = store
        .customer(CustomerRef::Code("C-ACME"))?
        .context("C-ACME is not in the cache")?;
    for server in [&push_server, &bare_server] {
        let admin = server.admin().await?;
        admin
            .call(
                "model.party.party.write",
                json!([[customer.customer.value.erp_id],
                       {"credit_limit_amount": {"__class__": "Decimal", "decimal": "1000000000"}},
                       admin.context()]),
            )
            .await?;
    }
    let address = customer.addresses[0].erp_id;
    let warehouse = store.local_ids(Entity::Warehouses)?[0];
    let mut products = Vec::new();
    for id in store.local_ids(Entity::Products)? {
        let Some(view) = store.product(ProductRef::Id(id))? else {
            continue;
        };
        if let (true, Some(price)) = (view.product.value.salable, view.product.value.list_price) {
            products.push((id, price));
        }
        if products.len() == 5 {
            break;
        }
    }
    let draft = SaleDraft {
        kind: SaleKind::Order,
        customer_id: customer.customer.value.erp_id,
        invoice_address_id: Some(address),
        shipment_address_id: Some(address),
        warehouse_id: Some(warehouse),
        requested_date: None,
        reference: None,
        note: None,
        price_list_id: None,
        lines: products
            .iter()
            .map(|(id, price)| DraftLine::typed(*id, 1.into(), *price, Default::default()))
            .collect(),
    };
    let bare = BareClient::new(&bare_server, &draft, &products).await?;

    let mut push_time = Duration::ZERO;
    let mut bare_time = Duration::ZERO;
    let mut push_calls = 0;
    let mut queued = 0;
    for round in 0..ROUNDS {
        let count = orders * (round + 1) / ROUNDS - orders * round / ROUNDS;
        for _ in 0..count {
            store.add_sale(&format!("bench-push-{queued}"), &draft, None, Utc::now())?;
            queued += 1;
        }
        eprintln!(
            "bench: round {}/{ROUNDS}: pushing {count} orders, then Tryton alone the same ...",
            round + 1
        );
        let calls_before = erp.calls();
        let start = Instant::now();
        let pushed = push(
            &*erp,
            &mut store,
            PushOptions {
                respect_backoff: false,
            },
            &Utc::now,
        )
        .await?;
        push_time += start.elapsed();
        push_calls += erp.calls() - calls_before;
        anyhow::ensure!(
            pushed.accepted.len() == count,
            "only {} of {count} accepted: {:?}",
            pushed.accepted.len(),
            pushed.rejected.first()
        );

        let start = Instant::now();
        for _ in 0..count {
            bare.create_quote_confirm().await?;
        }
        bare_time += start.elapsed();
    }

    eprintln!("bench: pushes with nothing to send ...");
    let idle_rounds = 100;
    let start = Instant::now();
    for _ in 0..idle_rounds {
        let nothing = push(
            &*erp,
            &mut store,
            PushOptions {
                respect_backoff: true,
            },
            &Utc::now,
        )
        .await?;
        anyhow::ensure!(
            nothing.accepted.is_empty(),
            "a push with nothing to send sent something"
        );
    }
    let idle = start.elapsed() / idle_rounds;

    writeln!(report, "| | time | per order | requests |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| Fieldbook push | {:.1} s | {:.0} ms | {push_calls} |",
        push_time.as_secs_f64(),
        per(push_time, orders)
    )?;
    writeln!(
        report,
        "| Tryton alone: create, quote, confirm | {:.1} s | {:.0} ms | {} |",
        bare_time.as_secs_f64(),
        per(bare_time, orders),
        orders * 3
    )?;
    writeln!(
        report,
        "\npush / Tryton alone = {:.2} (each on its own copy of the database, taking turns in {ROUNDS} rounds). A push with nothing to send, over an outbox of {orders} accepted entries: {:.2} ms ({:.2} µs per entry).",
        push_time.as_secs_f64() / bare_time.as_secs_f64(),
        idle.as_secs_f64() * 1000.0,
        idle.as_secs_f64() * 1e6 / orders as f64
    )?;
    Ok(report)
}

/// Tryton alone: the calls a bare client makes to create, quote and
/// confirm the same order, with what it needs read once beforehand.
pub(crate) struct BareClient {
    session: RawSession,
    context: Value,
    sale: Value,
}

impl BareClient {
    pub(crate) async fn new(
        server: &TrytonServer,
        draft: &SaleDraft,
        products: &[(i64, rust_decimal::Decimal)],
    ) -> anyhow::Result<BareClient> {
        let session = RawSession::connect(server.sales_config()).await?;
        let context = session.context().clone();
        let units = session
            .call(
                "model.product.product.read",
                json!([
                    products.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
                    ["default_uom", "rec_name"],
                    context
                ]),
            )
            .await?;
        let payment_term = session
            .call(
                "model.party.party.read",
                json!([[draft.customer_id], ["customer_payment_term"], context]),
            )
            .await?[0]["customer_payment_term"]
            .clone();
        let lines: Vec<_> = products
            .iter()
            .zip(units.as_array().context("product units")?)
            .map(|((id, price), unit)| {
                json!({"type": "line", "product": id, "quantity": 1.0, "unit": unit["default_uom"],
                       "unit_price": {"__class__": "Decimal", "decimal": price.to_string()},
                       "description": unit["rec_name"]})
            })
            .collect();
        let sale = json!({"party": draft.customer_id, "invoice_address": draft.invoice_address_id,
                          "shipment_address": draft.shipment_address_id,
                          "warehouse": draft.warehouse_id, "payment_term": payment_term,
                          "lines": [["create", lines]]});
        Ok(BareClient {
            session,
            context,
            sale,
        })
    }

    pub(crate) async fn create_quote_confirm(&self) -> anyhow::Result<()> {
        let created = self
            .session
            .call("model.sale.sale.create", json!([[self.sale], self.context]))
            .await?;
        for button in ["quote", "confirm"] {
            self.session
                .call(
                    &format!("model.sale.sale.{button}"),
                    json!([created, self.context]),
                )
                .await?;
        }
        Ok(())
    }
}

fn per(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1000.0 / count as f64
}
