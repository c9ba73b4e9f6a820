//! Pull sync against the real Tryton: what the cache holds after a sync is
//! what Tryton itself says.

use fieldbook_core::Entity;
use fieldbook_store::Store;
use fieldbook_store::{CustomerRef, ProductRef};
use fieldbook_testkit::{Backend, Dataset, TrytonServer};
use fieldbook_tests::{decimal, erp_rows, sync};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn id(row: &Value) -> i64 {
    row["id"].as_i64().unwrap()
}

async fn a_full_sync_holds_what_tryton_returns(backend: Backend) {
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    // The seed names no provinces: give one address one.
    let admin = server.admin().await.unwrap();
    let china = find_one(&admin, "country.country", json!([["code", "=", "CN"]])).await;
    let guangdong = admin_call(
        &admin,
        "model.country.subdivision.create",
        vec![json!([{"country": china, "name": "Guangdong 广东省", "code": "CN-GD", "type": "province"}])],
    )
    .await[0]
        .as_i64()
        .unwrap();
    let huawei = find_one(&admin, "party.party", json!([["code", "=", "C-HUAWEI"]])).await;
    let address = find_one(&admin, "party.address", json!([["party", "=", huawei]])).await;
    admin_call(
        &admin,
        "model.party.address.write",
        vec![json!([address]), json!({"subdivision": guangdong})],
    )
    .await;
    let mut store = Store::open_in_memory().unwrap();
    let report = sync(&server, &mut store).await.unwrap();
    assert!(report.pulled[&Entity::Customers] > 60, "{report:?}");

    // Counts of every entity, against Tryton's own.
    let checks: [(Entity, &str, Value); 7] = [
        (Entity::Customers, "party.party", json!([])),
        (Entity::Addresses, "party.address", json!([])),
        (Entity::Contacts, "party.contact_mechanism", json!([])),
        (Entity::Products, "product.product", json!([])),
        (
            Entity::Warehouses,
            "stock.location",
            json!([["type", "=", "warehouse"]]),
        ),
        (Entity::Orders, "sale.sale", json!([])),
        (
            Entity::OrderLines,
            "sale.line",
            json!([["type", "=", "line"]]),
        ),
    ];
    for (entity, model, domain) in checks {
        let erp_ids: Vec<i64> = erp_rows(&server, model, domain, &["id"], json!({}))
            .await
            .unwrap()
            .iter()
            .map(id)
            .collect();
        assert_eq!(store.local_ids(entity).unwrap(), erp_ids, "{entity:?}");
    }

    // Credit of every customer.
    let parties = erp_rows(
        &server,
        "party.party",
        json!([]),
        &["code", "credit_amount", "credit_limit_amount", "receivable"],
        json!({}),
    )
    .await
    .unwrap();
    let mut with_limit = 0;
    let mut with_debt = 0;
    for party in &parties {
        let code = party["code"].as_str().unwrap_or_default();
        let view = store.customer(CustomerRef::Id(id(party))).unwrap().unwrap();
        let credit = view
            .credit
            .unwrap_or_else(|| panic!("no credit for {code}"))
            .value;
        assert_eq!(
            credit.used,
            decimal(&party["credit_amount"]),
            "{code} credit used"
        );
        assert_eq!(
            credit.receivable,
            decimal(&party["receivable"]),
            "{code} receivable"
        );
        let limit = match &party["credit_limit_amount"] {
            Value::Null => None,
            value => Some(decimal(value)),
        };
        assert_eq!(credit.limit, limit, "{code} limit");
        with_limit += usize::from(limit.is_some());
        with_debt += usize::from(credit.used > Decimal::ZERO);
    }
    assert!(
        with_limit > 10 && with_debt > 10,
        "the seed must give real figures: {with_limit} limits, {with_debt} in use"
    );

    // Open invoices and what is left to pay on them.
    let invoices = erp_rows(
        &server,
        "account.invoice",
        json!([["type", "=", "out"], ["state", "=", "posted"]]),
        &["party", "amount_to_pay", "total_amount"],
        json!({}),
    )
    .await
    .unwrap();
    let open: BTreeMap<i64, Decimal> = invoices
        .iter()
        .filter(|invoice| decimal(&invoice["amount_to_pay"]) > Decimal::ZERO)
        .map(|invoice| (id(invoice), decimal(&invoice["amount_to_pay"])))
        .collect();
    assert!(!open.is_empty());
    assert_eq!(
        store.local_ids(Entity::Invoices).unwrap(),
        open.keys().copied().collect::<Vec<_>>()
    );
    let limited = store
        .customer(CustomerRef::Code("C-LIMIT"))
        .unwrap()
        .unwrap();
    assert!(!limited.open_invoices.is_empty());
    for invoice in &limited.open_invoices {
        assert_eq!(invoice.value.amount_to_pay, open[&invoice.value.erp_id]);
        assert!(
            invoice.value.due_date.is_some(),
            "an open invoice has a due date"
        );
    }

    // Stock of every product in both warehouses.
    let warehouses = erp_rows(
        &server,
        "stock.location",
        json!([["type", "=", "warehouse"]]),
        &["id"],
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(warehouses.len(), 2);
    let mut forecast_differs = 0;
    for warehouse in warehouses.iter().map(id) {
        let products = erp_rows(
            &server,
            "product.product",
            json!([]),
            &["code", "quantity", "forecast_quantity"],
            json!({"locations": [warehouse]}),
        )
        .await
        .unwrap();
        let mut stocked = 0;
        for product in &products {
            let view = store.product(ProductRef::Id(id(product))).unwrap().unwrap();
            let row = view
                .stock
                .iter()
                .find(|row| row.warehouse_id == warehouse)
                .unwrap();
            assert_eq!(
                row.level.on_hand,
                decimal(&product["quantity"]),
                "{} on hand",
                product["code"]
            );
            assert_eq!(
                row.level.forecast,
                decimal(&product["forecast_quantity"]),
                "{} forecast",
                product["code"]
            );
            stocked += usize::from(row.level.on_hand > Decimal::ZERO);
            forecast_differs += usize::from(row.level.on_hand != row.level.forecast);
        }
        assert!(stocked > 10, "warehouse {warehouse} holds stock");
    }
    assert!(
        forecast_differs > 0,
        "confirmed unshipped sales make forecast differ"
    );

    // Prices and units of every product, the amount of every order line,
    // and the names of every address's country and subdivision, as Tryton
    // itself reads them (the client reads units and names by id, once per
    // sync, list prices through the module, and computes line amounts).
    assert_products_as_tryton_reads(&server, &store).await;
    assert_line_amounts_as_tryton_reads(&server, &store).await;
    // After-sales requests with their states and what they are about.
    let complaints = erp_rows(
        &server,
        "sale.complaint",
        json!([]),
        &["state", "origin"],
        json!({}),
    )
    .await
    .unwrap();
    assert!(!complaints.is_empty(), "the seed files complaints");
    assert_eq!(
        store.count_where(Entity::Complaints, "1").unwrap(),
        complaints.len() as u64
    );
    for complaint in &complaints {
        let state = complaint["state"].as_str().unwrap();
        let order = complaint["origin"]
            .as_str()
            .and_then(|origin| origin.strip_prefix("sale.sale,"))
            .map(|id| id.to_owned())
            .unwrap_or_else(|| "NULL".into());
        let condition = format!(
            "erp_id = {} AND state = '{state}' AND order_id IS {order}",
            id(complaint)
        );
        assert_eq!(
            store.count_where(Entity::Complaints, &condition).unwrap(),
            1,
            "{complaint}"
        );
    }
    let addresses = erp_rows(
        &server,
        "party.address",
        json!([]),
        &["party", "country.name", "subdivision.name"],
        json!({}),
    )
    .await
    .unwrap();
    let mut with_subdivision = 0;
    for address in &addresses {
        let party = address["party"].as_i64().unwrap();
        let Some(view) = store.customer(CustomerRef::Id(party)).unwrap() else {
            continue; // an address of a party that is not a customer we hold
        };
        let cached = view
            .addresses
            .iter()
            .find(|cached| cached.erp_id == id(address))
            .unwrap_or_else(|| panic!("address {address}"));
        let name = |field: &str| address[field]["name"].as_str().map(str::to_owned);
        assert_eq!(cached.country, name("country."), "{address}");
        assert_eq!(cached.subdivision, name("subdivision."), "{address}");
        with_subdivision += usize::from(cached.subdivision.is_some());
    }
    assert!(with_subdivision > 0, "some addresses name a province");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_synced_customers_and_products_in_chinese_and_latin() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    sync(&server, &mut store).await.unwrap();
    let first = |query: &str| {
        store
            .search(query, 5)
            .unwrap()
            .first()
            .and_then(|hit| hit.code.clone())
    };
    assert_eq!(first("华为").as_deref(), Some("C-HUAWEI"));
    assert_eq!(first("acm").as_deref(), Some("C-ACME"));
    assert_eq!(first("龙井").as_deref(), Some("P-TEA"));
    assert_eq!(first("c-limit").as_deref(), Some("C-LIMIT"));
}

/// Calls a model method as the administrator.
async fn admin_call(
    admin: &fieldbook_erp::tryton::RawSession,
    method: &str,
    mut params: Vec<Value>,
) -> Value {
    params.push(admin.context().clone());
    admin
        .call(method, Value::Array(params))
        .await
        .unwrap_or_else(|error| panic!("{method}: {error}"))
}

async fn find_one(admin: &fieldbook_erp::tryton::RawSession, model: &str, domain: Value) -> i64 {
    let mut context = admin.context().clone();
    context["active_test"] = json!(false);
    let ids = admin
        .call(
            &format!("model.{model}.search"),
            json!([domain, 0, 1, null, context]),
        )
        .await
        .unwrap();
    ids[0]
        .as_i64()
        .unwrap_or_else(|| panic!("no {model} {domain}"))
}

async fn edits_deactivations_deletions_and_stock_moves_in_tryton_arrive_on_the_next_delta_sync(
    backend: Backend,
) {
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let admin = server.admin().await.unwrap();
    let mut store = Store::open_in_memory().unwrap();

    // A customer that exists only to be deleted later.
    let created = admin_call(
        &admin,
        "model.party.party.create",
        vec![json!([{
            "name": "临时客户 Delete Me Ltd.",
            "code": "C-DELETE",
            "addresses": [["create", [{"street": "测试删除路 1号", "city": "苏州"}]]],
            "contact_mechanisms": [["create", [{"type": "phone", "value": "+86 512 6000 0001"}]]],
        }])],
    )
    .await;
    let doomed = created[0].as_i64().unwrap();
    sync(&server, &mut store).await.unwrap();
    assert!(
        store
            .customer(CustomerRef::Code("C-DELETE"))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.search("测试删除路", 5).unwrap()[0].code.as_deref(),
        Some("C-DELETE")
    );

    let huawei = find_one(&admin, "party.party", json!([["code", "=", "C-HUAWEI"]])).await;
    let acme = find_one(&admin, "party.party", json!([["code", "=", "C-ACME"]])).await;
    let tea = find_one(&admin, "product.product", json!([["code", "=", "P-TEA"]])).await;
    let tea_template = admin_call(
        &admin,
        "model.product.product.read",
        vec![json!([tea]), json!(["template", "default_uom"])],
    )
    .await;
    let (template, uom) = (
        tea_template[0]["template"].clone(),
        tea_template[0]["default_uom"].clone(),
    );
    let before = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();

    admin_call(
        &admin,
        "model.party.party.write",
        vec![json!([huawei]), json!({"name": "华为技术有限公司（深圳）"})],
    )
    .await;
    admin_call(
        &admin,
        "model.party.party.write",
        vec![json!([acme]), json!({"active": false})],
    )
    .await;
    admin_call(&admin, "model.party.party.delete", vec![json!([doomed])]).await;
    admin_call(
        &admin,
        "model.product.template.write",
        vec![
            json!([template]),
            json!({"list_price": {"__class__": "Decimal", "decimal": "188.5000"}}),
        ],
    )
    .await;
    // A price of its own for one variant, which then wins over its
    // template's (Tryton's `list_price_used`, which the module's
    // `fieldbook_list_price` must follow).
    let variant = find_one(
        &admin,
        "product.product",
        json!([["code", "!=", "P-TEA"], ["active", "=", true]]),
    )
    .await;
    admin_call(
        &admin,
        "model.product.product.write",
        vec![
            json!([variant]),
            json!({"list_price": {"__class__": "Decimal", "decimal": "77.1234"}}),
        ],
    )
    .await;
    // Ten more tins arrive in the first warehouse.
    let supplier = find_one(&admin, "stock.location", json!([["type", "=", "supplier"]])).await;
    let warehouse = before.stock[0].warehouse_id;
    let storage = admin_call(
        &admin,
        "model.stock.location.read",
        vec![json!([warehouse]), json!(["storage_location"])],
    )
    .await[0]["storage_location"]
        .clone();
    let moves = admin_call(
        &admin,
        "model.stock.move.create",
        vec![json!([{
            "product": tea, "unit": uom, "quantity": 10.0, "from_location": supplier, "to_location": storage,
            "unit_price": {"__class__": "Decimal", "decimal": "100"}, "currency": 1,
        }])],
    )
    .await;
    admin_call(&admin, "model.stock.move.do", vec![moves]).await;

    let report = sync(&server, &mut store).await.unwrap();
    assert_eq!(
        report.removed.get(&Entity::Customers),
        Some(&1),
        "{report:?}"
    );

    assert_eq!(
        store
            .customer(CustomerRef::Code("C-HUAWEI"))
            .unwrap()
            .unwrap()
            .customer
            .value
            .name,
        "华为技术有限公司（深圳）"
    );
    assert_eq!(
        store.search("深圳）", 5).unwrap()[0].code.as_deref(),
        Some("C-HUAWEI")
    );
    assert!(
        store
            .customer(CustomerRef::Code("C-ACME"))
            .unwrap()
            .is_none(),
        "deactivated"
    );
    assert!(
        store
            .search("acme trading", 5)
            .unwrap()
            .iter()
            .all(|hit| hit.code.as_deref() != Some("C-ACME"))
    );
    assert!(
        store
            .customer(CustomerRef::Code("C-DELETE"))
            .unwrap()
            .is_none(),
        "deleted"
    );
    assert!(store.search("测试删除路", 5).unwrap().is_empty());
    let after = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();
    assert_eq!(
        after.product.value.list_price,
        Some(rust_decimal::dec!(188.5))
    );
    assert_eq!(
        store
            .product(ProductRef::Id(variant))
            .unwrap()
            .unwrap()
            .product
            .value
            .list_price,
        Some(rust_decimal::dec!(77.1234))
    );
    assert_products_as_tryton_reads(&server, &store).await;
    let shelf = |view: &fieldbook_store::ProductView| {
        view.stock
            .iter()
            .find(|row| row.warehouse_id == warehouse)
            .unwrap()
            .level
            .clone()
    };
    assert_eq!(
        shelf(&after).on_hand,
        shelf(&before).on_hand + Decimal::from(10)
    );
    assert_eq!(
        shelf(&after).forecast,
        shelf(&before).forecast + Decimal::from(10)
    );

    // A delta with nothing new changes nothing and, through the module's
    // survey, costs the shared ERP one request (20 step by step).
    let snapshot = store.snapshot().unwrap();
    let erp = std::sync::Arc::new(
        fieldbook_erp::tryton::Tryton::connect(server.sales_config())
            .await
            .unwrap(),
    );
    // What changed within the overlap (1 s here) before the last sync is
    // read again once: a second past it, a delta has truly nothing new.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();
    let connect_calls = erp.calls();
    fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();
    assert_eq!(store.snapshot().unwrap(), snapshot);
    let calls = erp.calls() - connect_calls;
    assert_eq!(calls, 1, "a delta with nothing new asks the survey alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_logs_in_again_by_itself() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let erp = std::sync::Arc::new(
        fieldbook_erp::tryton::Tryton::connect(server.sales_config())
            .await
            .unwrap(),
    );
    // Tryton keeps sessions in its database; dropping them is what an
    // expiry or an administrator's logout does.
    let database = rusqlite::Connection::open(server.dir().join("fieldbook.sqlite")).unwrap();
    let dropped = database.execute("DELETE FROM ir_session", []).unwrap();
    assert!(dropped >= 1, "the session must have been stored");
    let mut store = Store::open_in_memory().unwrap();
    let calls_before = erp.calls();
    fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();
    assert!(
        store
            .customer(CustomerRef::Code("C-HUAWEI"))
            .unwrap()
            .is_some()
    );
    assert!(erp.calls() > calls_before);
}

/// Stock levels sorted, to compare two ways of reading them.
fn sorted(mut levels: Vec<fieldbook_core::StockLevel>) -> Vec<(i64, i64, Decimal, Decimal)> {
    let mut rows: Vec<_> = levels
        .drain(..)
        .map(|level| {
            (
                level.product_id,
                level.warehouse_id,
                level.on_hand,
                level.forecast,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_through_fieldbooks_tryton_module_equals_tryton_own_fields() {
    use fieldbook_erp::Erp;
    use fieldbook_erp::tryton::Tryton;
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let with_module = Tryton::connect(server.sales_config()).await.unwrap();
    assert!(
        with_module.has_module(),
        "the test template has the module activated"
    );
    let product_by_product = Tryton::connect(server.sales_config())
        .await
        .unwrap()
        .without_module();
    let products = with_module.ids(Entity::Products).await.unwrap();
    let warehouses = with_module.ids(Entity::Warehouses).await.unwrap();
    assert_eq!(warehouses.len(), 2);

    let through_module = sorted(with_module.stock(&products, &warehouses).await.unwrap());
    let through_fields = sorted(
        product_by_product
            .stock(&products, &warehouses)
            .await
            .unwrap(),
    );
    assert_eq!(through_module.len(), products.len() * 2);
    assert_eq!(through_module, through_fields);
    // The data has products with stock and products without in each warehouse.
    for warehouse in &warehouses {
        let here: Vec<_> = through_module
            .iter()
            .filter(|row| row.1 == *warehouse)
            .collect();
        assert!(here.iter().any(|row| row.2.is_zero()) && here.iter().any(|row| !row.2.is_zero()));
    }

    // A few products (asked by id) and a product id Tryton no longer has.
    let some = [products[0], products[5], 999_999];
    let through_module = sorted(with_module.stock(&some, &warehouses).await.unwrap());
    let through_fields = sorted(product_by_product.stock(&some, &warehouses).await.unwrap());
    assert_eq!(
        through_module
            .iter()
            .filter(|row| row.0 != 999_999)
            .collect::<Vec<_>>(),
        through_fields.iter().collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tryton_without_fieldbooks_module_is_read_product_by_product() {
    let server = TrytonServer::start_without_module(Dataset::TEST).unwrap();
    let erp = std::sync::Arc::new(
        fieldbook_erp::tryton::Tryton::connect(server.sales_config())
            .await
            .unwrap(),
    );
    assert!(!erp.has_module());
    let mut store = Store::open_in_memory().unwrap();
    // The salesperson has Tryton's Sales and Stock groups, and without the
    // module no group grants the receivable lines.
    let report = fieldbook_tests::sync_reading_what_it_may(
        &erp,
        &mut store,
        std::time::Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let refused: Vec<&str> = report
        .not_readable
        .iter()
        .map(|refused| refused.part.name())
        .collect();
    assert_eq!(refused, ["invoices", "payments"]);
    assert!(store.local_count(Entity::Orders).unwrap() > 0);
    let tea = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();
    let mut stock: Vec<_> = tea
        .stock
        .iter()
        .map(|row| row.level.on_hand.to_string())
        .collect();
    stock.sort();
    assert_eq!(stock, ["300", "500"]);
}

/// Every product's list price and unit in the cache equal Tryton's own
/// `list_price_used` and default unit.
async fn assert_products_as_tryton_reads(server: &TrytonServer, store: &Store) {
    let products = erp_rows(
        server,
        "product.product",
        json!([]),
        &["list_price_used", "template.default_uom.symbol"],
        json!({}),
    )
    .await
    .unwrap();
    assert!(!products.is_empty());
    for product in &products {
        let view = store.product(ProductRef::Id(id(product))).unwrap().unwrap();
        let price = match &product["list_price_used"] {
            Value::Null => None,
            price => Some(decimal(price)),
        };
        assert_eq!(view.product.value.list_price, price, "{product}");
        assert_eq!(
            view.product.value.unit,
            product["template."]["default_uom."]["symbol"]
                .as_str()
                .unwrap(),
            "{product}"
        );
    }
}

/// Every order line's amount in the cache equals Tryton's own `amount`.
async fn assert_line_amounts_as_tryton_reads(server: &TrytonServer, store: &Store) {
    let lines = erp_rows(
        server,
        "sale.line",
        json!([["type", "=", "line"]]),
        &["sale", "amount"],
        json!({}),
    )
    .await
    .unwrap();
    assert!(lines.len() > 10, "the seed has order lines");
    let mut by_order: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for line in &lines {
        by_order
            .entry(line["sale"].as_i64().unwrap())
            .or_default()
            .push(line);
    }
    for (order, lines) in by_order {
        let cached = store.order_lines(order).unwrap();
        assert_eq!(cached.len(), lines.len(), "lines of order {order}");
        for line in lines {
            let row = cached
                .iter()
                .find(|row| row.value.erp_id == id(line))
                .unwrap_or_else(|| panic!("line {line}"));
            assert_eq!(row.value.amount, decimal(&line["amount"]), "{line}");
        }
    }
}

/// A laptop offline while 20,000 stock moves happened: the next delta asks
/// for the products they moved a page at a time. One call for all of
/// them (as before) could outlast the ERP's time limit and stop every
/// later sync at the same step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_twenty_thousand_stock_moves_offline_the_delta_reads_them_in_pages() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let admin = server.admin().await.unwrap();
    let erp = std::sync::Arc::new(
        fieldbook_erp::tryton::Tryton::connect(server.sales_config())
            .await
            .unwrap(),
    );
    let mut store = Store::open_in_memory().unwrap();
    fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();

    let products = admin_call(
        &admin,
        "model.product.product.search_read",
        vec![
            json!([["type", "=", "goods"]]),
            json!(0),
            json!(null),
            json!(null),
            json!(["default_uom"]),
        ],
    )
    .await;
    let products: Vec<(i64, Value)> = products
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (id(row), row["default_uom"].clone()))
        .collect();
    let supplier = find_one(&admin, "stock.location", json!([["type", "=", "supplier"]])).await;
    let storage = find_one(&admin, "stock.location", json!([["type", "=", "storage"]])).await;
    for batch in 0..10 {
        let moves: Vec<Value> = (0..2_000)
            .map(|index| {
                let (product, unit) = &products[(batch * 2_000 + index) % products.len()];
                json!({
                    "product": product, "unit": unit, "quantity": 1.0,
                    "from_location": supplier, "to_location": storage,
                    "unit_price": {"__class__": "Decimal", "decimal": "1"}, "currency": 1,
                })
            })
            .collect();
        admin_call(&admin, "model.stock.move.create", vec![json!(moves)]).await;
    }

    erp.start_recording();
    let report = fieldbook_tests::sync_with(&erp, &mut store).await.unwrap();
    let calls = erp.take_recording();
    let move_pages: Vec<&Value> = calls
        .iter()
        .filter(|(method, _)| method == "model.stock.move.search_read")
        .map(|(_, params)| &params[2])
        .collect();
    assert!(move_pages.len() >= 2, "{move_pages:?}");
    for limit in &move_pages {
        let limit = limit
            .as_u64()
            .unwrap_or_else(|| panic!("a stock move read without a limit: {limit}"));
        assert!(limit <= 10_000, "{limit}");
    }
    assert!(
        report.stock_refreshed >= products.len() as u64,
        "every moved product's stock is read again: {report:?}"
    );
}

/// A salesperson's ERP user as a company gives it before following
/// Fieldbook's README (Sales and Stock, not "Fieldbook salesperson"): the
/// sync brings everything it may read, marks invoices, payments and the
/// receivable lines not readable, and reads them once the administrator
/// gives the group and the part is asked for again.
async fn a_salesperson_without_fieldbooks_group_gets_the_rest_then_all_once_given_it(
    backend: Backend,
) {
    use fieldbook_core::SyncPart;
    use fieldbook_tests::sync_reading_what_it_may;
    use std::time::Duration;
    let hourly = Duration::from_secs(3600);
    let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
    let config = server
        .salesperson_without_fieldbook_group("sales-new")
        .await
        .unwrap();
    let erp = std::sync::Arc::new(
        fieldbook_erp::tryton::Tryton::connect(config)
            .await
            .unwrap(),
    );
    let mut store = Store::open_in_memory().unwrap();
    let parts = |report: &fieldbook_sync::SyncReport| -> Vec<SyncPart> {
        report
            .not_readable
            .iter()
            .map(|refused| refused.part)
            .collect()
    };

    let first = sync_reading_what_it_may(&erp, &mut store, hourly)
        .await
        .unwrap();
    let (invoices, payments) = (
        SyncPart::Records(Entity::Invoices),
        SyncPart::Records(Entity::Payments),
    );
    assert_eq!(parts(&first), [invoices, payments]);
    for refused in &first.not_readable {
        assert!(
            refused
                .detail
                .contains("\"sales-new\" may not read account.move.line")
                && refused.detail.contains("Fieldbook salesperson"),
            "{}",
            refused.detail
        );
    }
    let customers = erp_rows(&server, "party.party", json!([]), &["id"], json!({}))
        .await
        .unwrap();
    assert_eq!(
        store.local_count(Entity::Customers).unwrap(),
        customers.len() as u64
    );
    assert!(store.local_count(Entity::Orders).unwrap() > 0);
    assert!(first.credit_refreshed > 0 && first.stock_refreshed > 0);
    assert_eq!(store.local_count(Entity::Invoices).unwrap(), 0);

    // The next sync: the receivable lines that move credit are refused
    // too; invoices and payments are not asked for again within the hour.
    let before = erp.calls();
    let second = sync_reading_what_it_may(&erp, &mut store, hourly)
        .await
        .unwrap();
    assert_eq!(parts(&second), [invoices, payments, SyncPart::CreditMoves]);
    assert_eq!(store.not_readable().unwrap(), second.not_readable);
    let refused_again = erp.calls() - before;

    // The administrator gives the group: the next sync within the hour does
    // not ask; the first one after does, and brings everything.
    server.give_fieldbook_group("sales-new").await.unwrap();
    let before = erp.calls();
    let third = sync_reading_what_it_may(&erp, &mut store, hourly)
        .await
        .unwrap();
    assert_eq!(parts(&third), parts(&second));
    assert!(
        erp.calls() - before <= refused_again,
        "refused parts are not asked for: {} requests against {refused_again}",
        erp.calls() - before
    );
    let fourth = sync_reading_what_it_may(&erp, &mut store, Duration::ZERO)
        .await
        .unwrap();
    assert!(fourth.not_readable.is_empty(), "{:?}", fourth.not_readable);
    assert!(store.not_readable().unwrap().is_empty());
    // The cache keeps the open invoices.
    let invoices = erp_rows(
        &server,
        "account.invoice",
        json!([["type", "=", "out"], ["state", "=", "posted"]]),
        &["amount_to_pay"],
        json!({}),
    )
    .await
    .unwrap();
    let open: Vec<i64> = invoices
        .iter()
        .filter(|invoice| decimal(&invoice["amount_to_pay"]) > Decimal::ZERO)
        .map(id)
        .collect();
    assert!(!open.is_empty());
    assert_eq!(store.local_ids(Entity::Invoices).unwrap(), open);
    assert!(store.local_count(Entity::Payments).unwrap() > 0);
}

fieldbook_tests::on_both_backends!(
    a_full_sync_holds_what_tryton_returns,
    edits_deactivations_deletions_and_stock_moves_in_tryton_arrive_on_the_next_delta_sync,
    a_salesperson_without_fieldbooks_group_gets_the_rest_then_all_once_given_it,
);

/// A Tryton transaction that writes a customer, a price and a stock move,
/// then waits for `MARKER` before it commits: what a long inventory or a
/// batch posting does. Arguments: configuration, database, marker file.
const LATE_COMMIT: &str = r#"
import os, sys, time
from decimal import Decimal
conf, dbname, marker = sys.argv[1:4]
from trytond import config
config.update_etc(conf)
from trytond.pool import Pool
from trytond.transaction import Transaction
Pool.start()
pool = Pool(dbname)
pool.init()
with Transaction().start(dbname, 0, context={'company': 1}) as transaction:
    Party = pool.get('party.party')
    Product = pool.get('product.product')
    Template = pool.get('product.template')
    Location = pool.get('stock.location')
    Move = pool.get('stock.move')
    acme, = Party.search([('code', '=', 'C-ACME')])
    Party.write([acme], {'name': 'ACME late commit'})
    tea, = Product.search([('code', '=', 'P-TEA')])
    Template.write([tea.template], {'list_price': Decimal('199')})
    supplier, = Location.search([('type', '=', 'supplier')], limit=1)
    storage, = Location.search([('code', '=', 'STO')])
    moves = Move.create([{
        'product': tea.id, 'unit': tea.default_uom.id, 'quantity': 7.0,
        'from_location': supplier.id, 'to_location': storage.id,
        'unit_price': Decimal('100'), 'currency': 1, 'company': 1}])
    Move.do(moves)
    open(marker + '.written', 'w').close()
    while not os.path.exists(marker):
        time.sleep(0.05)
    transaction.commit()
"#;

/// On PostgreSQL a row is dated by the start of the transaction that
/// wrote it and seen only once that commits: a transaction that stays open
/// past a sync (and past the sync's overlap) would have its changes dated
/// before the next delta's bound. The module's clock (the oldest running
/// transaction's start) keeps the bound before them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_after_a_sync_is_read_by_the_next_on_postgres() {
    let server = TrytonServer::start_on(Backend::Postgres, Dataset::TEST).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    sync(&server, &mut store).await.unwrap();
    let tea_stock = |store: &Store| -> Decimal {
        let tea = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();
        tea.stock
            .iter()
            .find(|row| row.warehouse.contains("Shanghai"))
            .unwrap()
            .level
            .on_hand
    };
    let stock_before = tea_stock(&store);

    let folder = tempfile::tempdir().unwrap();
    let marker = folder.path().join("commit");
    let mut writer = server
        .python(LATE_COMMIT, &[marker.to_str().unwrap()])
        .unwrap();
    let written = marker.with_extension("written");
    let waiting = std::time::Instant::now();
    while !written.exists() {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(120),
            "the writing transaction never got there"
        );
        assert!(writer.try_wait().unwrap().is_none(), "the writer died");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Open longer than any look-back (on PostgreSQL with the module, the
    // clock's 1 s margin and no overlap; 1 s of overlap in these tests
    // otherwise), then a sync runs: the changes are not committed, so not
    // seen.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    sync(&server, &mut store).await.unwrap();
    let acme = store
        .customer(CustomerRef::Code("C-ACME"))
        .unwrap()
        .unwrap();
    assert_eq!(acme.customer.value.name, "ACME Trading Co.");

    std::fs::write(&marker, b"").unwrap();
    assert!(writer.wait().unwrap().success(), "the writer failed");
    sync(&server, &mut store).await.unwrap();

    let acme = store
        .customer(CustomerRef::Code("C-ACME"))
        .unwrap()
        .unwrap();
    assert_eq!(acme.customer.value.name, "ACME late commit");
    let tea = store.product(ProductRef::Code("P-TEA")).unwrap().unwrap();
    assert_eq!(tea.product.value.list_price, Some(Decimal::from(199)));
    assert_eq!(tea_stock(&store), stock_before + Decimal::from(7));
}

/// On PostgreSQL, Fieldbook's module dates every change not yet read (its
/// clock is the oldest running transaction's start), so a delta reads from
/// its bound exactly and a change is read once. On SQLite a write is
/// dated when made and seen when committed: deltas look back by the
/// overlap there, and read a recent change again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_reads_a_change_once_on_postgres_and_again_within_the_overlap_on_sqlite() {
    for (backend, exact) in [(Backend::Postgres, true), (Backend::Sqlite, false)] {
        let server = TrytonServer::start_on(backend, Dataset::TEST).unwrap();
        let erp = std::sync::Arc::new(
            fieldbook_erp::tryton::Tryton::connect(server.sales_config())
                .await
                .unwrap(),
        );
        assert_eq!(fieldbook_erp::Erp::exact_clock(&*erp), exact, "{backend:?}");
        let options = fieldbook_sync::SyncOptions {
            overlap: std::time::Duration::from_secs(60),
            ..Default::default()
        };
        let mut store = Store::open_in_memory().unwrap();
        let customers_pulled = async |store: &mut Store| {
            let report =
                fieldbook_sync::pull(&erp, store, &options, &chrono::Utc::now, &mut |_| {})
                    .await
                    .unwrap();
            assert!(report.not_readable.is_empty(), "{report:?}");
            report.pulled.get(&Entity::Customers).copied().unwrap_or(0)
        };
        customers_pulled(&mut store).await;
        let admin = server.admin().await.unwrap();
        let acme = find_one(&admin, "party.party", json!([["code", "=", "C-ACME"]])).await;
        admin_call(
            &admin,
            "model.party.party.write",
            vec![json!([acme]), json!({"name": "ACME read once"})],
        )
        .await;
        // Past the module's clock margin on PostgreSQL (1 s before the
        // oldest running transaction), so the next bound is after the write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(customers_pulled(&mut store).await, 1, "{backend:?}");
        assert_eq!(
            store
                .customer(CustomerRef::Code("C-ACME"))
                .unwrap()
                .unwrap()
                .customer
                .value
                .name,
            "ACME read once"
        );
        let again = customers_pulled(&mut store).await;
        assert_eq!(again, if exact { 0 } else { 1 }, "{backend:?}");
    }
}
