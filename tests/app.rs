//! The desktop window's controller (`fieldbook-app`) against the real
//! Tryton: a salesperson's day as the window drives it, command by command,
//! with no window. The window itself is driven over WebDriver in
//! `src-tauri/tests/window.rs`.

use fieldbook_app::wire::{ConnectForm, LineForm, SaleForm, SyncEvent};
use fieldbook_app::{App, MemorySecrets, Secrets, Trigger};
use fieldbook_testkit::{Dataset, TrytonServer};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

fn connect_form(server: &TrytonServer) -> ConnectForm {
    let config = server.sales_config();
    ConnectForm {
        url: config.url,
        database: config.database,
        login: config.login,
        password: config.password,
    }
}

/// Runs a sync as the salesperson's "Sync now" does, collecting its events.
async fn sync(
    app: &App,
) -> (
    Result<fieldbook_app::wire::SyncSummary, fieldbook_app::AppError>,
    Vec<SyncEvent>,
) {
    let events = Mutex::new(Vec::new());
    let result = app
        .sync(Trigger::Person, &|event| events.lock().unwrap().push(event))
        .await;
    (result, events.into_inner().unwrap())
}

/// A window's app connected to `server` as the salesperson, after its
/// first sync (the folder holds its data).
async fn synced_app(server: &TrytonServer) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path().join("data"), Arc::new(MemorySecrets::default()));
    app.connect(connect_form(server)).await.unwrap();
    sync(&app).await.0.unwrap();
    (dir, app)
}

fn order_for(customer_id: i64, product_id: i64, quantity: &str) -> SaleForm {
    SaleForm {
        kind: "order".into(),
        customer_id,
        lines: vec![LineForm {
            product_id,
            quantity: quantity.into(),
            unit_price: None,
            discount_percent: None,
        }],
        invoice_address_id: None,
        shipment_address_id: None,
        warehouse_id: None,
        requested_date: None,
        reference: Some("PO-APP-1".into()),
        note: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesperson_connects_syncs_writes_offline_and_gets_the_erps_number() {
    let mut server = TrytonServer::start(Dataset::TEST).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let app = App::new(dir.path().join("data"), secrets.clone());
    assert!(app.session().unwrap().needs_setup);

    // Wrong database, wrong password: said plainly, nothing written.
    let mut wrong = connect_form(&server);
    wrong.database = "nosuchdb".into();
    let error = app.connect(wrong).await.unwrap_err();
    assert_eq!(error.code, "errors.erp.unknown_database", "{error:?}");
    assert_eq!(error.params["database"], "nosuchdb");
    let mut wrong = connect_form(&server);
    wrong.password = "not the password".into();
    let error = app.connect(wrong).await.unwrap_err();
    assert_eq!(error.code, "errors.erp.login_refused", "{error:?}");
    assert!(!dir.path().join("data/cache.db").exists());
    assert_eq!(secrets.get(fieldbook_app::PASSWORD_SECRET).unwrap(), None);

    // Connect: the password and a cache key go to the keyring.
    let session = app.connect(connect_form(&server)).await.unwrap();
    assert!(!session.needs_setup);
    assert_eq!(session.erp.unwrap().login, server.sales_config().login);
    assert_eq!(
        secrets.get(fieldbook_app::PASSWORD_SECRET).unwrap(),
        Some(server.sales_config().password)
    );
    let key = secrets
        .get(fieldbook_app::CACHE_KEY_SECRET)
        .unwrap()
        .unwrap();
    // 256 random bits, kept as a raw key (no derivation on every open).
    let hex = key.strip_prefix("raw:").unwrap();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|byte| byte.is_ascii_hexdigit()), "{hex}");
    let cache = std::fs::read(dir.path().join("data/cache.db")).unwrap();
    assert!(
        !cache.starts_with(b"SQLite format 3"),
        "the cache is encrypted"
    );

    // First sync, with progress the window can show.
    let (summary, events) = sync(&app).await;
    let summary = summary.unwrap();
    assert!(summary.pulled > 100, "{summary:?}");
    assert!(matches!(events.first(), Some(SyncEvent::Started)));
    assert!(matches!(events.last(), Some(SyncEvent::Finished { .. })));
    assert!(
        events.iter().any(|event| matches!(
            event,
            SyncEvent::Pulling { entity, total: Some(total), .. } if entity == "customers" && *total > 0
        )),
        "{events:?}"
    );
    assert_eq!(app.connectivity().online, Some(true));
    let home = app.home().unwrap();
    assert!(home.last_sync_at.is_some());
    assert!(home.customers >= 60, "{home:?}");

    // Search by a Chinese substring; open the customer; read the credit.
    let hits = app.search("华为", Some("customer")).unwrap();
    let huawei = hits
        .iter()
        .find(|hit| hit.code.as_deref() == Some("C-HUAWEI"))
        .unwrap_or_else(|| panic!("{hits:?}"));
    assert!(hits.iter().all(|hit| hit.kind == "customer"));
    let customer = app.customer(huawei.erp_id).unwrap();
    assert_eq!(customer.name, "深圳市华为技术有限公司");
    let credit = customer.credit.clone().unwrap();
    assert_eq!(credit.limit, Some(Decimal::from_str("5000000.00").unwrap()));
    assert_eq!(credit.available, Some(credit.limit.unwrap() - credit.used));
    assert_eq!(credit.unsent, Decimal::ZERO);

    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;
    let product = app.product(tea).unwrap();
    assert_eq!(product.code.as_deref(), Some("P-TEA"));
    let stock_before = product.stock[0].clone();
    assert_eq!(stock_before.unsent, Decimal::ZERO);

    // Offline: the ERP goes away; everything still reads, and an order is
    // written with its checks.
    server.stop();
    let form = order_for(customer.erp_id, tea, "3");
    let preview = app.preview_sale(&form, None).unwrap();
    assert!(preview.problem.is_none(), "{:?}", preview.problem);
    // C-HUAWEI's price list prices it, offline as in the ERP.
    let line = &preview.lines[0];
    assert_eq!(line.source.as_ref().unwrap().kind, "list", "{line:?}");
    assert!(line.unit_price < product.list_price, "{line:?}");
    assert_eq!(
        preview.estimated_total,
        (line.unit_price.unwrap() * Decimal::from(3)).round_dp(2)
    );
    let check = preview.credit.unwrap();
    assert_eq!(check.this_draft, preview.estimated_total);
    assert_eq!(
        check.left,
        credit.available.unwrap() - preview.estimated_total
    );
    assert!(!check.over);
    let stock_check = preview
        .stock
        .iter()
        .find(|check| check.warehouse == stock_before.warehouse)
        .unwrap();
    assert_eq!(stock_check.left, stock_before.forecast - Decimal::from(3));

    let saved = app.save_sale(&form, None).unwrap();
    let customer_after = app.customer(customer.erp_id).unwrap();
    assert_eq!(
        customer_after.credit.unwrap().unsent,
        preview.estimated_total
    );
    assert_eq!(customer_after.unsent.len(), 1);
    assert_eq!(app.product(tea).unwrap().stock[0].unsent, Decimal::from(3));

    let (result, events) = sync(&app).await;
    let error = result.unwrap_err();
    assert_eq!(error.code, "errors.erp.unreachable", "{error:?}");
    assert!(matches!(events.last(), Some(SyncEvent::Failed { .. })));
    assert_eq!(app.connectivity().online, Some(false));
    assert_eq!(app.home().unwrap().pending, 1);
    assert_eq!(
        app.outbox_entry(saved.entry).unwrap().state,
        "pending",
        "nothing was lost"
    );

    // The ERP is back: the order goes, once, and its number comes back.
    server.resume().unwrap();
    let (summary, _) = sync(&app).await;
    let summary = summary.unwrap();
    assert_eq!(summary.accepted.len(), 1, "{summary:?}");
    let number = summary.accepted[0].number.clone().unwrap();
    let entry = app.outbox_entry(saved.entry).unwrap();
    assert_eq!(entry.state, "done");
    assert_eq!(entry.erp_number.as_deref(), Some(number.as_str()));
    let customer_now = app.customer(customer.erp_id).unwrap();
    assert!(
        customer_now
            .recent_orders
            .iter()
            .any(|order| order.number.as_deref() == Some(number.as_str())),
        "{:?}",
        customer_now.recent_orders
    );
    assert!(customer_now.unsent.is_empty());
    assert_eq!(app.connectivity().online, Some(true));
    // Exactly one sale in the ERP carries the order's reference.
    let admin = server.admin().await.unwrap();
    let sales = admin
        .call(
            "model.sale.sale.search_read",
            serde_json::json!([
                [["reference", "=", "PO-APP-1"]],
                0,
                null,
                null,
                ["number"],
                admin.context()
            ]),
        )
        .await
        .unwrap();
    assert_eq!(sales.as_array().unwrap().len(), 1, "{sales}");
    assert_eq!(sales[0]["number"], number.as_str());

    // Signing out forgets the secrets; connecting again moves the old,
    // unreadable cache aside (never deletes it) and starts a new one.
    app.sign_out().await.unwrap();
    assert_eq!(secrets.get(fieldbook_app::PASSWORD_SECRET).unwrap(), None);
    assert!(app.session().unwrap().needs_setup);
    assert_eq!(app.home().unwrap_err().code, "errors.not_connected");
    app.connect(connect_form(&server)).await.unwrap();
    let aside: Vec<String> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("cache-unreadable-") && name.ends_with(".db"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(app.home().unwrap().customers, 0, "a new, empty cache");

    // The next start finds the keyring's cache key damaged: the window
    // says the key does not open the cache, and connecting again is the
    // way out (the cache is moved aside as above), not a dead end.
    drop(app);
    secrets
        .set(fieldbook_app::CACHE_KEY_SECRET, "raw:not-a-key")
        .unwrap();
    let restarted = App::new(dir.path().join("data"), secrets.clone());
    assert_eq!(
        restarted.session().unwrap_err().code,
        "errors.cache.wrong_key"
    );
    restarted.connect(connect_form(&server)).await.unwrap();
    assert!(!restarted.session().unwrap().needs_setup);
    let aside = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("cache-unreadable-") && name.ends_with(".db")
        })
        .count();
    assert_eq!(
        aside, 2,
        "the damaged-key cache is moved aside too, nothing overwritten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_is_refused_while_the_outbox_holds_what_the_erp_has_not_accepted() {
    let mut server = TrytonServer::start(Dataset::TEST).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let app = App::new(dir.path().join("data"), secrets.clone());
    app.connect(connect_form(&server)).await.unwrap();
    sync(&app).await.0.unwrap();
    let acme = app.search("C-ACME", Some("customer")).unwrap()[0].erp_id;
    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;
    server.stop();
    let entry = app
        .save_sale(&order_for(acme, tea, "1"), None)
        .unwrap()
        .entry;
    // A pending entry goes by itself: "retry" is for refused ones.
    assert_eq!(
        app.retry(entry).unwrap_err().code,
        "errors.outbox.not_refused"
    );
    let error = app.sign_out().await.unwrap_err();
    assert_eq!(error.code, "errors.sign_out.unsent");
    assert_eq!(error.params["count"], "1");
    assert!(
        secrets
            .get(fieldbook_app::CACHE_KEY_SECRET)
            .unwrap()
            .is_some()
    );
    assert_eq!(app.home().unwrap().pending, 1, "nothing was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_in_the_editor_names_the_line_and_saves_nothing() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path().join("data"), Arc::new(MemorySecrets::default()));
    app.connect(connect_form(&server)).await.unwrap();
    sync(&app).await.0.unwrap();
    let acme = app.search("C-ACME", Some("customer")).unwrap()[0].erp_id;
    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;

    let check = |form: SaleForm, code: &str, params: &[(&str, &str)]| {
        let preview = app.preview_sale(&form, None).unwrap();
        let problem = preview
            .problem
            .unwrap_or_else(|| panic!("{code}: no problem"));
        assert_eq!(problem.code, code, "{problem:?}");
        for (name, value) in params {
            assert_eq!(problem.params[*name], *value, "{problem:?}");
        }
        assert_eq!(app.save_sale(&form, None).unwrap_err().code, code);
    };
    check(
        order_for(acme, tea, "lots"),
        "errors.draft.not_a_number",
        &[("line", "1"), ("field", "quantity")],
    );
    check(
        order_for(acme, tea, "0"),
        "errors.draft.quantity",
        &[("line", "1")],
    );
    let mut digits = order_for(acme, tea, "1");
    // A unit price has the ERP's four price digits, not the currency's.
    digits.lines[0].unit_price = Some("12.34565".into());
    check(
        digits,
        "errors.draft.price_digits",
        &[("line", "1"), ("digits", "4"), ("rounded", "12.3456")],
    );
    let mut discount = order_for(acme, tea, "1");
    discount.lines[0].discount_percent = Some("120".into());
    check(discount, "errors.draft.discount", &[("percent", "120")]);
    let mut none = order_for(acme, tea, "1");
    none.lines.clear();
    check(none, "errors.draft.no_lines", &[]);
    let huawei = app.search("C-HUAWEI", Some("customer")).unwrap()[0].erp_id;
    let huawei_address = app.customer(huawei).unwrap().addresses[0].erp_id;
    let mut foreign = order_for(acme, tea, "1");
    foreign.invoice_address_id = Some(huawei_address);
    check(
        foreign,
        "errors.refused.not_theirs_invoice_address",
        &[("id", &huawei_address.to_string()), ("customer", "C-ACME")],
    );
    let mut unknown = order_for(acme, tea, "1");
    unknown.customer_id = 999_999;
    assert_eq!(
        app.save_sale(&unknown, None).unwrap_err().code,
        "errors.not_found.customer"
    );

    assert!(app.outbox().unwrap().is_empty(), "nothing was saved");
    assert_eq!(app.home().unwrap().pending, 0);

    // A request needs words.
    let error = app
        .save_request(&fieldbook_app::wire::RequestForm {
            customer_id: acme,
            description: "  ".into(),
            order_id: None,
            invoice_id: None,
        })
        .unwrap_err();
    assert_eq!(error.code, "errors.request.no_description");
    assert!(app.outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_written_in_the_window_and_a_quote_confirmed_reach_the_erp_once() {
    use fieldbook_app::wire::{
        AddressChange, AddressForm, ContactChange, ContactForm, CustomerEditForm, CustomerForm,
        QuoteToSend,
    };
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path().join("data"), Arc::new(MemorySecrets::default()));
    app.connect(connect_form(&server)).await.unwrap();
    sync(&app).await.0.unwrap();
    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;

    // Bad input first: named, nothing saved.
    let mut form = CustomerForm {
        name: "杭州新茶贸易有限公司".into(),
        addresses: vec![AddressForm {
            street: Some("西湖区文三路 90号".into()),
            postal_code: Some("310012".into()),
            city: Some("杭州".into()),
            country: Some("cn".into()),
            invoice: true,
            delivery: true,
        }],
        contacts: vec![ContactForm {
            kind: "email".into(),
            value: "buyer-at-newtea".into(),
        }],
    };
    let error = app.new_customer(&form).unwrap_err();
    assert_eq!(error.code, "errors.customer.email", "{error:?}");
    assert_eq!(error.params["index"], "1");
    assert!(app.outbox().unwrap().is_empty());

    // A new customer, a quote for it, the quote confirmed: all offline.
    form.contacts[0].value = "buyer@newtea.example.cn".into();
    let saved = app.new_customer(&form).unwrap();
    assert_eq!(saved.code, "NEW-1");
    assert!(saved.customer_id < 0);
    let hits = app.search("新茶", Some("customer")).unwrap();
    assert_eq!(hits[0].erp_id, saved.customer_id, "searchable at once");
    let customer = app.customer(saved.customer_id).unwrap();
    assert!(customer.provisional);
    let mut quote = order_for(saved.customer_id, tea, "2");
    quote.kind = "quote".into();
    let quote_entry = app.save_sale(&quote, None).unwrap().entry;
    let confirm = app
        .send_quote(&QuoteToSend {
            entry: Some(quote_entry),
            order_id: None,
        })
        .unwrap();
    let error = app
        .send_quote(&QuoteToSend {
            entry: Some(saved.entry),
            order_id: None,
        })
        .unwrap_err();
    assert_eq!(error.code, "errors.quote.not_a_quote");
    // Sent twice: refused in the window's words, naming the first.
    let twice = app
        .send_quote(&QuoteToSend {
            entry: Some(quote_entry),
            order_id: None,
        })
        .unwrap_err();
    assert_eq!(twice.code, "errors.quote.already_sent");
    assert_eq!(twice.params["entry"], confirm.entry.to_string());
    // So the window stops offering it: the quote names its order's entry.
    assert_eq!(
        app.outbox_entry(quote_entry).unwrap().sent_as_order,
        Some(confirm.entry)
    );
    // The outbox names the quote by its entry until the ERP numbers it.
    let row = app.outbox_entry(confirm.entry).unwrap();
    let quote_ref = row.quote.as_ref().unwrap();
    assert_eq!(
        (quote_ref.entry, quote_ref.number.as_deref()),
        (Some(quote_entry), None)
    );
    assert_eq!(row.description, None);

    let (summary, _) = sync(&app).await;
    let summary = summary.unwrap();
    assert_eq!(summary.refused.len(), 0, "{summary:?}");
    assert_eq!(summary.accepted.len(), 3, "{summary:?}");
    let row = app.outbox_entry(confirm.entry).unwrap();
    let quote_ref = row.quote.as_ref().unwrap();
    assert_eq!(
        quote_ref.number,
        app.outbox_entry(quote_entry).unwrap().erp_number,
        "{row:?}"
    );
    assert!(quote_ref.number.is_some(), "{row:?}");
    // Totals and prices say their currency: the company's.
    assert_eq!(row.currency.as_deref(), Some("CNY"), "{row:?}");
    assert_eq!(app.product(tea).unwrap().currency.as_deref(), Some("CNY"));
    for entry in [saved.entry, quote_entry, confirm.entry] {
        assert_eq!(
            app.outbox_entry(entry).unwrap().state,
            "done",
            "entry {entry}"
        );
    }
    let admin = server.admin().await.unwrap();
    let parties = admin
        .call(
            "model.party.party.search_read",
            serde_json::json!([
                [["name", "=", "杭州新茶贸易有限公司"]],
                0,
                null,
                null,
                ["id"],
                admin.context()
            ]),
        )
        .await
        .unwrap();
    assert_eq!(
        parties.as_array().unwrap().len(),
        1,
        "one customer: {parties}"
    );
    let party = parties[0]["id"].as_i64().unwrap();
    let sales = admin
        .call(
            "model.sale.sale.search_read",
            serde_json::json!([
                [["party", "=", party]],
                0,
                null,
                null,
                ["state"],
                admin.context()
            ]),
        )
        .await
        .unwrap();
    let sales = sales.as_array().unwrap();
    assert_eq!(sales.len(), 1, "one sale: {sales:?}");
    assert!(
        ["confirmed", "processing"].contains(&sales[0]["state"].as_str().unwrap()),
        "{sales:?}"
    );

    // An edit: the phone and an address's street of a synced customer, as
    // the salesperson saw them.
    let huawei = app.search("C-HUAWEI", Some("customer")).unwrap()[0].erp_id;
    let detail = app.customer(huawei).unwrap();
    let phone = detail
        .contacts
        .iter()
        .find(|contact| contact.kind == "phone")
        .unwrap()
        .clone();
    let address = detail.addresses[0].clone();
    assert!(address.city.is_some(), "{address:?}");
    // Emptied of both street and city, an address is refused by its id,
    // and nothing is saved.
    let outbox_before = app.outbox().unwrap().len();
    let emptied = app
        .edit_customer(&CustomerEditForm {
            customer_id: huawei,
            name: None,
            contacts: Vec::new(),
            addresses: vec![AddressChange {
                address_id: address.erp_id,
                street: Some(" ".into()),
                postal_code: None,
                city: Some(String::new()),
            }],
            new_addresses: Vec::new(),
            new_contacts: Vec::new(),
        })
        .unwrap_err();
    assert_eq!(emptied.code, "errors.customer.address_emptied");
    assert_eq!(emptied.params["id"], address.erp_id.to_string());
    assert_eq!(app.outbox().unwrap().len(), outbox_before);
    let edit = app
        .edit_customer(&CustomerEditForm {
            customer_id: huawei,
            name: None,
            contacts: vec![ContactChange {
                contact_id: phone.erp_id,
                value: "+86 755 2222 2222".into(),
            }],
            addresses: vec![AddressChange {
                address_id: address.erp_id,
                street: Some("坂田华为基地 B 区".into()),
                postal_code: None,
                city: None,
            }],
            new_addresses: Vec::new(),
            new_contacts: Vec::new(),
        })
        .unwrap();
    let unchanged = app
        .edit_customer(&CustomerEditForm {
            customer_id: huawei,
            name: Some("深圳市华为技术有限公司".into()),
            contacts: Vec::new(),
            addresses: Vec::new(),
            new_addresses: Vec::new(),
            new_contacts: Vec::new(),
        })
        .unwrap_err();
    assert_eq!(unchanged.code, "errors.customer.nothing_to_change");
    sync(&app).await.0.unwrap();
    assert_eq!(app.outbox_entry(edit.entry).unwrap().state, "done");
    let phones = admin
        .call(
            "model.party.contact_mechanism.read",
            serde_json::json!([[phone.erp_id], ["value"], admin.context()]),
        )
        .await
        .unwrap();
    assert_eq!(phones[0]["value"], "+86 755 2222 2222");
    let streets = admin
        .call(
            "model.party.address.read",
            serde_json::json!([[address.erp_id], ["street", "city"], admin.context()]),
        )
        .await
        .unwrap();
    assert_eq!(streets[0]["street"], "坂田华为基地 B 区");
    assert_eq!(streets[0]["city"], serde_json::json!(address.city));
    // After the pull the cache agrees with the ERP.
    let cached = app.customer(huawei).unwrap();
    let cached = cached
        .addresses
        .iter()
        .find(|cached| cached.erp_id == address.erp_id)
        .unwrap();
    assert_eq!(cached.street.as_deref(), Some("坂田华为基地 B 区"));
}

/// The company's currency decides how estimates are rounded and which unit
/// prices a draft may carry: read from the ERP at each sync, never assumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_are_rounded_to_the_decimals_of_the_erps_currency() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let admin = server.admin().await.unwrap();
    let company = fieldbook_tests::call(
        &admin,
        "model.company.company.search_read",
        vec![
            serde_json::json!([]),
            serde_json::json!(0),
            serde_json::json!(1),
            serde_json::json!(null),
            serde_json::json!(["currency", "currency.digits"]),
        ],
    )
    .await;
    let currency = company[0]["currency"].as_i64().unwrap();
    assert_eq!(company[0]["currency."]["digits"], 2, "{company}");

    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let app = App::new(dir.path().join("data"), secrets.clone());
    app.connect(connect_form(&server)).await.unwrap();
    sync(&app).await.0.unwrap();
    let acme = app.search("C-ACME", Some("customer")).unwrap()[0].erp_id;
    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;
    let mut form = order_for(acme, tea, "1");
    form.lines[0].discount_percent = Some("10".into());
    // 168.00 less 10 %: 151.20 in a currency with cents.
    let preview = app.preview_sale(&form, None).unwrap();
    assert_eq!(
        preview.estimated_total,
        Decimal::from_str("151.20").unwrap()
    );

    // The company's currency has no decimals now (as yen): the next
    // connection reads it (the window's next start; a connection kept open
    // reads it again when it logs in anew), its sync keeps it, and
    // estimates and prices follow it.
    fieldbook_tests::call(
        &admin,
        "model.currency.currency.write",
        vec![
            serde_json::json!([currency]),
            serde_json::json!({"digits": 0, "rounding": {"__class__": "Decimal", "decimal": "1"}}),
        ],
    )
    .await;
    drop(app);
    let app = App::new(dir.path().join("data"), secrets);
    app.open().unwrap();
    sync(&app).await.0.unwrap();
    let preview = app.preview_sale(&form, None).unwrap();
    assert_eq!(preview.estimated_total, Decimal::from(151));
    assert_eq!(preview.lines[0].amount, Some(Decimal::from(151)));
    // A unit price keeps its cents (the ERP's price digits): only the
    // amount is in whole yen, half to even (3 × 12.50 = 37.50 → 38).
    let mut cents = order_for(acme, tea, "3");
    cents.lines[0].unit_price = Some("12.50".into());
    let preview = app.preview_sale(&cents, None).unwrap();
    assert!(preview.problem.is_none(), "{:?}", preview.problem);
    assert_eq!(preview.estimated_total, Decimal::from(38));
    app.save_sale(&cents, None).unwrap();
}

/// The editor prices a sale from the customer's price list as the ERP
/// will: a quantity tier, a typed price, a discount, the promotions in
/// force. A line whose formula the laptop cannot evaluate still saves, and
/// the ERP prices it as its own client would. The sale reaches the ERP on
/// the customer's list with each line's base price, and the ERP's prices
/// and total are the laptop's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_prices_as_the_erp_and_the_erp_agrees() {
    use fieldbook_tests::{call, decimal};
    use serde_json::json;
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let admin = server.admin().await.unwrap();
    let (_dir, app) = synced_app(&server).await;
    let id = |text: &str, kind: &str| app.search(text, Some(kind)).unwrap()[0].erp_id;
    let (huawei, tea, bolt) = (
        id("C-HUAWEI", "customer"),
        id("P-TEA", "product"),
        id("P-BOLT", "product"),
    );

    // Gold's negotiated price becomes a formula only the ERP can work out
    // (a fractional power: Python's decimal rounds it its own way).
    let gold: Vec<serde_json::Value> = serde_json::from_value(
        call(
            &admin,
            "model.party.party.read",
            vec![json!([huawei]), json!(["sale_price_list"])],
        )
        .await,
    )
    .unwrap();
    let gold = gold[0]["sale_price_list"].as_i64().unwrap();
    let negotiated = call(
        &admin,
        "model.product.price_list.line.search_read",
        vec![
            json!([["price_list", "=", gold], ["sequence", "=", null]]),
            json!(0),
            json!(1),
            json!(null),
            json!(["product"]),
        ],
    )
    .await;
    let (line_id, odd) = (
        negotiated[0]["id"].as_i64().unwrap(),
        negotiated[0]["product"].as_i64().unwrap(),
    );
    call(
        &admin,
        "model.product.price_list.line.write",
        vec![
            json!([line_id]),
            json!({"formula": "list_price * Decimal('0.8') ** Decimal('0.5')"}),
        ],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    sync(&app).await.0.unwrap();

    let line =
        |product_id, quantity: &str, unit_price: Option<&str>, discount: Option<&str>| LineForm {
            product_id,
            quantity: quantity.into(),
            unit_price: unit_price.map(Into::into),
            discount_percent: discount.map(Into::into),
        };
    let mut form = SaleForm {
        kind: "quote".into(),
        lines: vec![line(tea, "1", None, None)],
        ..order_for(huawei, tea, "1")
    };
    // One tea is on Gold's tea line; twelve reach its tier from 10.
    let one = app.preview_sale(&form, None).unwrap();
    let source = one.lines[0].source.as_ref().unwrap();
    assert_eq!((source.kind.as_str(), source.from_quantity), ("list", None));
    form.lines[0].quantity = "12".into();
    let twelve = app.preview_sale(&form, None).unwrap();
    let source = twelve.lines[0].source.as_ref().unwrap();
    assert_eq!(source.from_quantity, Some(Decimal::from(10)), "{source:?}");
    assert!(
        twelve.lines[0].price < one.lines[0].price,
        "{twelve:?} {one:?}"
    );
    assert_eq!(twelve.price_list.as_deref(), source.list.as_deref());

    form.lines.extend([
        line(tea, "2", Some("160"), None),
        line(bolt, "100", None, Some("10")),
        line(odd, "2", None, None),
    ]);
    let preview = app.preview_sale(&form, None).unwrap();
    assert!(preview.problem.is_none(), "{:?}", preview.problem);
    let unknown = preview.lines[3].unknown.as_ref().unwrap();
    assert_eq!(unknown.code, "pricing.unknown.formula", "{unknown:?}");
    assert_eq!(preview.lines[3].amount, None);
    assert_eq!(preview.unpriced_lines, 1);
    // A promotion lower than a typed price replaces it, and says so.
    let typed = &preview.lines[1];
    assert_eq!(typed.source.as_ref().unwrap().kind, "typed");
    assert_eq!(
        typed.typed_price_replaced,
        typed.promotion.is_some(),
        "{typed:?}"
    );
    // A discount on a price only the ERP knows is refused, naming the line.
    let mut discounted = form.clone();
    discounted.lines[3].discount_percent = Some("5".into());
    let error = app.save_sale(&discounted, None).unwrap_err();
    assert_eq!(error.code, "errors.draft.discount_unknown_price");
    assert_eq!(error.params["line"], "4");

    let saved = app.save_sale(&form, None).unwrap();
    let summary = sync(&app).await.0.unwrap();
    assert_eq!(summary.accepted.len(), 1, "{summary:?}");
    let entry = app
        .outbox()
        .unwrap()
        .into_iter()
        .find(|row| row.entry == saved.entry)
        .unwrap();
    assert_eq!(entry.state, "done", "{entry:?}");
    let sale_id = entry.erp_id.unwrap();
    let sale = call(
        &admin,
        "model.sale.sale.read",
        vec![
            json!([sale_id]),
            json!(["price_list", "untaxed_amount", "state"]),
        ],
    )
    .await;
    assert_eq!(sale[0]["price_list"].as_i64(), Some(gold));
    assert_eq!(sale[0]["state"], "quotation");
    let lines = call(
        &admin,
        "model.sale.line.search_read",
        vec![
            json!([["sale", "=", sale_id]]),
            json!(0),
            json!(null),
            json!([["id", "ASC"]]),
            json!(["product", "quantity", "unit_price", "base_price"]),
        ],
    )
    .await;
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 4);
    for (index, (erp, laptop)) in lines.iter().zip(&preview.lines).enumerate() {
        if let Some(price) = laptop.unit_price {
            assert_eq!(decimal(&erp["unit_price"]), price, "line {}", index + 1);
        }
    }
    // The ERP priced the line the laptop could not, as its client would.
    let mut context = admin.context().clone();
    context["price_list"] = json!(gold);
    context["quantity"] = json!(2.0);
    let trytons = admin
        .call(
            "model.product.product.read",
            json!([[odd], ["sale_price_uom"], context]),
        )
        .await
        .unwrap();
    let odd_price = decimal(&lines[3]["unit_price"]);
    assert_eq!(odd_price, decimal(&trytons[0]["sale_price_uom"]));
    // Base prices: the list price, except under a discount, where it is
    // the price the discount is taken from.
    let list_price = |at: usize| preview.lines[at].list_price.unwrap();
    assert_eq!(decimal(&lines[0]["base_price"]), list_price(0));
    assert_eq!(decimal(&lines[1]["base_price"]), list_price(1));
    assert_eq!(
        decimal(&lines[2]["base_price"]),
        preview.lines[2].price.unwrap()
    );
    // The total: the laptop's estimate, and the ERP's price of the rest.
    let rest = (odd_price * Decimal::from(2)).round_dp(2);
    assert_eq!(
        decimal(&sale[0]["untaxed_amount"]),
        preview.estimated_total + rest
    );
}

/// A promotion the back office starts after the salesperson's last sync:
/// the ERP accepts the quote at its own price, and the entry says, line by
/// line and in total, where that differs from what the laptop showed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_the_laptop_did_not_know_is_shown_on_the_entry() {
    use fieldbook_tests::call;
    use serde_json::json;
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let admin = server.admin().await.unwrap();
    let (_dir, app) = synced_app(&server).await;
    let acme = app.search("C-ACME", Some("customer")).unwrap()[0].erp_id;
    let tea = app.search("P-TEA", Some("product")).unwrap()[0].erp_id;
    let form = SaleForm {
        kind: "quote".into(),
        ..order_for(acme, tea, "2")
    };
    let preview = app.preview_sale(&form, None).unwrap();
    let quoted = preview.lines[0].unit_price.unwrap();
    assert!(preview.lines[0].promotion.is_none(), "{preview:?}");
    let saved = app.save_sale(&form, None).unwrap();

    call(
        &admin,
        "model.sale.promotion.create",
        vec![json!([{
            "name": "Flash sale 闪购",
            "formula": "unit_price * 0.5",
            "products": [["add", [tea]]],
        }])],
    )
    .await;
    let summary = sync(&app).await.0.unwrap();
    assert_eq!(summary.accepted.len(), 1, "{summary:?}");
    let entry = app
        .outbox()
        .unwrap()
        .into_iter()
        .find(|row| row.entry == saved.entry)
        .unwrap();
    assert_eq!(entry.state, "done");
    let differences = &entry.price_differences;
    assert_eq!(differences.len(), 2, "{differences:?}");
    let line = &differences[0];
    assert_eq!(
        (line.kind.as_str(), line.line, line.product.as_deref()),
        ("line", Some(1), Some("P-TEA"))
    );
    assert_eq!(line.laptop, Some(quoted));
    assert!(line.erp < quoted, "{line:?}");
    let total = &differences[1];
    assert_eq!(total.kind, "total");
    assert_eq!(total.laptop, Some(preview.estimated_total));
    assert_eq!(total.erp, (line.erp * Decimal::from(2)).round_dp(2));
    // The next sync knows the promotion: a new quote shows it.
    let again = app.preview_sale(&form, None).unwrap();
    assert_eq!(again.lines[0].unit_price, Some(line.erp));
}
