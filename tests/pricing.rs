//! The ERP's price, computed on the laptop, against the real Tryton: the
//! pricing data a sync brings (price lists and their lines, promotions,
//! categories, each customer's list, the company's default), kept current
//! by delta syncs, and every price the laptop computes from it equal to
//! Tryton's own, line by line and sale by sale.

use chrono::Utc;
use fieldbook_core::pricing::{
    LineToPrice, PriceBook, PricedProduct, SaleToPrice, Unpriceable, price_sale,
};
use fieldbook_core::{Entity, ErpId};
use fieldbook_erp::tryton::RawSession;
use fieldbook_store::{CustomerRef, Store};
use fieldbook_testkit::{Backend, Dataset, TrytonServer};
use fieldbook_tests::{call, decimal, erp_rows, on_both_backends, synced};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A small deterministic generator: the same combinations every run.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

async fn ids(session: &RawSession, model: &str, domain: Value) -> Vec<ErpId> {
    call(
        session,
        &format!("model.{model}.search"),
        vec![domain, json!(0), json!(null), json!(null)],
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .map(|id| id.as_i64().unwrap())
    .collect()
}

/// What pricing reads of every salable product the cache holds.
async fn cached_products(session: &RawSession, store: &Store) -> Vec<PricedProduct> {
    ids(session, "product.product", json!([["salable", "=", true]]))
        .await
        .into_iter()
        .filter_map(|id| store.priced_product(id).unwrap())
        .collect()
}

/// Tryton's own price of each product for `quantity` on `list` (no list:
/// the list price), as the salesperson reads it.
async fn trytons_prices(
    session: &RawSession,
    products: &[ErpId],
    list: Option<ErpId>,
    quantity: Decimal,
) -> BTreeMap<ErpId, Option<Decimal>> {
    let mut context = session.context().clone();
    context["price_list"] = json!(list);
    context["quantity"] = json!(quantity.to_string().parse::<f64>().unwrap());
    let rows = session
        .call(
            "model.product.product.read",
            json!([products, ["sale_price_uom"], context]),
        )
        .await
        .unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let price = &row["sale_price_uom"];
            (
                row["id"].as_i64().unwrap(),
                (!price.is_null()).then(|| decimal(price)),
            )
        })
        .collect()
}

async fn every_price_a_list_gives_is_trytons(backend: Backend) {
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let (_erp, store) = synced(&server).await;
    let book = store.price_book().unwrap();
    let sales = RawSession::connect(server.sales_config()).await.unwrap();
    let admin = server.admin().await.unwrap();

    // What the sync brought is what the ERP holds.
    let lists = ids(&admin, "product.price_list", json!([])).await;
    assert_eq!(book.lists.len(), lists.len(), "price lists");
    assert!(lists.len() >= 5, "the seed has several lists");
    let lines = ids(&admin, "product.price_list.line", json!([])).await;
    let cached_lines: usize = book.lists.values().map(|list| list.lines.len()).sum();
    assert_eq!(cached_lines, lines.len(), "price-list lines");
    let promotions = ids(&admin, "sale.promotion", json!([])).await;
    assert_eq!(book.promotions.len(), promotions.len(), "promotions");
    let configuration = call(
        &admin,
        "model.sale.configuration.read",
        vec![json!([1]), json!(["sale_price_list"])],
    )
    .await;
    assert_eq!(
        book.default_list_id,
        configuration[0]["sale_price_list"].as_i64(),
        "the company's default list"
    );
    assert!(book.default_list_id.is_some());
    // Each customer's list, as the ERP has it for the company.
    let parties = erp_rows(
        &server,
        "party.party",
        json!([]),
        &["code", "sale_price_list"],
        json!({}),
    )
    .await
    .unwrap();
    let mut on_a_list = 0;
    for party in &parties {
        let id = party["id"].as_i64().unwrap();
        if store.customer(CustomerRef::Id(id)).unwrap().is_none() {
            continue; // not a customer the salesperson sees
        }
        let list = party["sale_price_list"].as_i64();
        on_a_list += usize::from(list.is_some());
        assert_eq!(store.customer_price_list(id).unwrap(), list, "{party}");
    }
    assert!(on_a_list > 10, "most customers are on a list ({on_a_list})");

    // Every list (and none), every cached product, quantities around the
    // tiers: the laptop's price is Tryton's, or both have none.
    let products = cached_products(&sales, &store).await;
    let product_ids: Vec<ErpId> = products.iter().map(|product| product.erp_id).collect();
    assert!(products.len() > 100);
    let quantities = [
        "0", "0.5", "1", "5", "9.99", "10", "20", "49", "50", "99", "100", "500", "999", "1000",
        "2000",
    ];
    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut lists: Vec<Option<ErpId>> = book.lists.keys().copied().map(Some).collect();
    lists.sort();
    lists.push(None);
    for list in lists {
        for quantity in quantities {
            let quantity: Decimal = quantity.parse().unwrap();
            let tryton = trytons_prices(&sales, &product_ids, list, quantity).await;
            for product in &products {
                let product_id = product.erp_id;
                let laptop = match book.list_price(list, product, quantity) {
                    Ok((price, _)) => Some(price),
                    Err(Unpriceable::NoPrice { .. }) | Err(Unpriceable::NoListPrice) => None,
                    Err(other) => panic!("product {product_id}, list {list:?}: {other}"),
                };
                compared += 1;
                if laptop != tryton[&product_id] {
                    mismatches.push((list, product_id, quantity, laptop, tryton[&product_id]));
                }
            }
        }
    }
    assert!(compared >= 10_000, "{compared} combinations");
    assert!(
        mismatches.is_empty(),
        "{} of {compared}: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(20)]
    );
    eprintln!("pricing: {compared} (list, product, quantity) prices equal to Tryton's");
}

/// What Tryton made of a quoted sale: each line's unit price and
/// promotion, and the untaxed total.
struct Quoted {
    lines: Vec<(ErpId, Decimal, Option<ErpId>)>,
    untaxed: Decimal,
}

async fn whole_sales_with_promotions_are_quoted_at_the_laptops_prices(backend: Backend) {
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let (_erp, store) = synced(&server).await;
    let book: PriceBook = store.price_book().unwrap();
    let admin = server.admin().await.unwrap();
    let today = Utc::now().date_naive();
    let digits = store.currency_digits().unwrap();
    let warehouse = ids(&admin, "stock.location", json!([["code", "=", "WH"]])).await[0];
    let unit = |product: &PricedProduct| product.unit_id.unwrap();

    // Customers on each list and on none; products of every category.
    let customers: Vec<ErpId> = ids(&admin, "party.party", json!([]))
        .await
        .into_iter()
        .filter(|id| store.customer(CustomerRef::Id(*id)).unwrap().is_some())
        .collect();
    let products = cached_products(&admin, &store).await;
    let mut draw = Draw(14);
    let quantities = ["1", "3", "10", "12", "50", "120", "300", "600"];
    let mut sales = Vec::new();
    for _ in 0..200 {
        let customer = customers[draw.below(customers.len())];
        let view = store.customer(CustomerRef::Id(customer)).unwrap().unwrap();
        let Some(address) = view.addresses.first().map(|address| address.erp_id) else {
            continue;
        };
        let mut lines = Vec::new();
        for _ in 0..1 + draw.below(4) {
            let product = products[draw.below(products.len())].clone();
            let quantity: Decimal = quantities[draw.below(quantities.len())].parse().unwrap();
            let typed_price = (draw.below(10) == 0)
                .then(|| product.list_price.unwrap_or(Decimal::ONE) * Decimal::new(95, 2));
            let typed_price = typed_price.map(|price| price.round_dp(4));
            let discount = if draw.below(8) == 0 {
                Decimal::new(5, 2)
            } else {
                Decimal::ZERO
            };
            lines.push(LineToPrice {
                product,
                quantity,
                typed_price,
                discount,
            });
        }
        let sale = SaleToPrice {
            customer_list_id: store.customer_price_list(customer).unwrap(),
            date: today,
            currency_digits: digits,
            lines,
        };
        let priced = price_sale(&book, &sale);
        if priced.lines.iter().any(|line| line.net_price.is_none()) {
            continue; // a list with no price for it: the salesperson types one
        }
        sales.push((customer, address, sale, priced));
    }
    assert!(sales.len() >= 150, "{} sales", sales.len());

    // Sent as Tryton's own client sends them: the sale's price list, each
    // line's base price and its price before promotions; then quoted.
    let mut values = Vec::new();
    for (customer, address, sale, priced) in &sales {
        let lines: Vec<Value> = sale
            .lines
            .iter()
            .zip(&priced.lines)
            .map(|(line, priced)| {
                json!({
                    "type": "line",
                    "product": line.product.erp_id,
                    "quantity": line.quantity.to_string().parse::<f64>().unwrap(),
                    "unit": unit(&line.product),
                    "base_price": priced.list_price.map(|price| json!({"__class__": "Decimal", "decimal": price.to_string()})),
                    "unit_price": {"__class__": "Decimal", "decimal": priced.net_price.unwrap().to_string()},
                })
            })
            .collect();
        values.push(json!({
            "party": customer,
            "invoice_address": address,
            "shipment_address": address,
            "warehouse": warehouse,
            "price_list": priced.price_list_id,
            "lines": [["create", lines]],
        }));
    }
    let created: Vec<ErpId> = call(&admin, "model.sale.sale.create", vec![json!(values)])
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    for chunk in created.chunks(50) {
        call(&admin, "model.sale.sale.quote", vec![json!(chunk)]).await;
    }
    let mut quoted = BTreeMap::new();
    let read = call(
        &admin,
        "model.sale.sale.read",
        vec![json!(created), json!(["untaxed_amount", "lines"])],
    )
    .await;
    for sale in read.as_array().unwrap() {
        let line_ids = sale["lines"].clone();
        let lines = call(
            &admin,
            "model.sale.line.read",
            vec![line_ids, json!(["product", "unit_price", "promotion"])],
        )
        .await;
        quoted.insert(
            sale["id"].as_i64().unwrap(),
            Quoted {
                lines: lines
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|line| {
                        (
                            line["product"].as_i64().unwrap(),
                            decimal(&line["unit_price"]),
                            line["promotion"].as_i64(),
                        )
                    })
                    .collect(),
                untaxed: decimal(&sale["untaxed_amount"]),
            },
        );
    }
    let mut promoted = 0;
    let mut unknown = 0;
    let mut mismatches = Vec::new();
    for ((_, _, sale, priced), id) in sales.iter().zip(&created) {
        let erp = &quoted[id];
        if priced.untaxed.is_none() {
            unknown += 1;
            continue;
        }
        let mut laptop: Vec<(ErpId, Decimal, Option<ErpId>)> = sale
            .lines
            .iter()
            .zip(&priced.lines)
            .map(|(line, priced)| {
                (
                    line.product.erp_id,
                    priced.unit_price.unwrap(),
                    priced.promotion.as_ref().map(|p| p.promotion_id),
                )
            })
            .collect();
        promoted += laptop
            .iter()
            .filter(|(_, _, promotion)| promotion.is_some())
            .count();
        // Tryton on PostgreSQL may give a bulk-created sale's lines back
        // in another order: lines compare as a multiset.
        let mut erp_lines = erp.lines.clone();
        laptop.sort();
        erp_lines.sort();
        if laptop != erp_lines || priced.untaxed != Some(erp.untaxed) {
            mismatches.push((id, laptop, erp_lines, priced.untaxed, erp.untaxed));
        }
    }
    assert_eq!(unknown, 0, "the seeded promotions are all known offline");
    assert!(promoted >= 10, "promotions applied to {promoted} lines");
    assert!(
        mismatches.is_empty(),
        "{} of {} sales differ: {:?}",
        mismatches.len(),
        sales.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    eprintln!(
        "pricing: {} quoted sales equal to Tryton's, {promoted} lines promoted",
        sales.len()
    );
}

on_both_backends!(
    every_price_a_list_gives_is_trytons,
    whole_sales_with_promotions_are_quoted_at_the_laptops_prices
);

/// Price-list lines change without their list's write date, promotions
/// end, lists are deactivated: each delta sync follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_sync_follows_every_pricing_change() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let (erp, mut store) = synced(&server).await;
    let admin = server.admin().await.unwrap();
    let book = store.price_book().unwrap();
    let gold = book
        .lists
        .values()
        .find(|list| list.name.starts_with("Gold"))
        .unwrap()
        .clone();
    let line = gold
        .lines
        .iter()
        .find(|line| line.formula == "unit_price * 0.92")
        .unwrap();
    call(
        &admin,
        "model.product.price_list.line.write",
        vec![
            json!([line.erp_id]),
            json!({"formula": "unit_price * 0.91"}),
        ],
    )
    .await;
    let removed = gold
        .lines
        .iter()
        .find(|line| line.quantity == Some(50.0))
        .unwrap();
    call(
        &admin,
        "model.product.price_list.line.delete",
        vec![json!([removed.erp_id])],
    )
    .await;
    let expired = book
        .promotions
        .iter()
        .find(|p| p.name.starts_with("Spring"))
        .unwrap();
    let silver = book
        .lists
        .values()
        .find(|list| list.name.starts_with("Silver"))
        .unwrap();
    for (model, id) in [
        ("sale.promotion", expired.erp_id),
        ("product.price_list", silver.erp_id),
    ] {
        let method = format!("model.{model}.write");
        call(&admin, &method, vec![json!([id]), json!({"active": false})]).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();
    let after = store.price_book().unwrap();
    let gold_after = &after.lists[&gold.erp_id];
    assert!(
        gold_after
            .lines
            .iter()
            .any(|l| l.erp_id == line.erp_id && l.formula == "unit_price * 0.91")
    );
    assert!(
        gold_after.lines.iter().all(|l| l.erp_id != removed.erp_id),
        "the deleted line left"
    );
    assert!(
        after.promotions.iter().all(|p| p.erp_id != expired.erp_id),
        "the ended promotion left"
    );
    assert!(
        !after.lists.contains_key(&silver.erp_id),
        "the deactivated list left"
    );
    assert_eq!(
        store
            .count_where(
                Entity::PriceListLines,
                &format!("price_list_id = {}", silver.erp_id)
            )
            .unwrap(),
        0
    );
    // Each table says how old it is.
    let status = store.status().unwrap();
    for entity in [
        Entity::Categories,
        Entity::PriceLists,
        Entity::PriceListLines,
        Entity::Promotions,
    ] {
        let row = status
            .entities
            .iter()
            .find(|row| row.entity == entity)
            .unwrap();
        assert!(row.last_complete_sync.is_some(), "{entity:?}");
    }
}
