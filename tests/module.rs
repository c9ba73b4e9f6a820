//! Fieldbook's Tryton module (`erp/tryton/modules/fieldbook`) in a real
//! Tryton: the client's UUID on what it creates is unique in the ERP itself.

use fieldbook_erp::ErpError;
use fieldbook_erp::tryton::RawSession;
use fieldbook_testkit::{Dataset, TrytonServer};
use serde_json::{Value, json};

async fn call(
    session: &RawSession,
    method: &str,
    mut params: Vec<Value>,
) -> Result<Value, ErpError> {
    params.push(session.context().clone());
    session.call(method, Value::Array(params)).await
}

async fn id_of(session: &RawSession, model: &str, domain: Value) -> i64 {
    let ids = call(
        session,
        &format!("model.{model}.search"),
        vec![domain, json!(0), json!(null), json!(null)],
    )
    .await
    .unwrap();
    assert_eq!(ids.as_array().map(Vec::len), Some(1), "{model} {ids}");
    ids[0].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_erp_refuses_a_second_record_with_the_same_fieldbook_uuid() {
    let server = TrytonServer::start(Dataset::TEST).unwrap();
    let sales = RawSession::connect(server.sales_config()).await.unwrap();
    let acme = id_of(&sales, "party.party", json!([["code", "=", "C-ACME"]])).await;
    let warehouse = id_of(&sales, "stock.location", json!([["code", "=", "WH"]])).await;
    let uuid = "0b6f3a52-7d1e-4c8e-9a53-5f2d2f6f1c01";
    let sale = json!([{"party": acme, "warehouse": warehouse, "fieldbook_uuid": uuid}]);

    call(&sales, "model.sale.sale.create", vec![sale.clone()])
        .await
        .unwrap();
    let again = call(&sales, "model.sale.sale.create", vec![sale])
        .await
        .unwrap_err();
    match &again {
        ErpError::Rejected { message, .. } => {
            assert!(
                message.contains("already sent from a Fieldbook device"),
                "{message}"
            )
        }
        other => panic!("expected the ERP to refuse the duplicate, got {other:?}"),
    }
    id_of(&sales, "sale.sale", json!([["fieldbook_uuid", "=", uuid]])).await;

    // Records made in Tryton itself have none, any number of them; a copy
    // does not take the original's.
    let plain = json!([{"party": acme, "warehouse": warehouse}]);
    call(&sales, "model.sale.sale.create", vec![plain.clone()])
        .await
        .unwrap();
    call(&sales, "model.sale.sale.create", vec![plain])
        .await
        .unwrap();
    let original = id_of(&sales, "sale.sale", json!([["fieldbook_uuid", "=", uuid]])).await;
    call(
        &sales,
        "model.sale.sale.copy",
        vec![json!([original]), json!({})],
    )
    .await
    .unwrap();
    id_of(&sales, "sale.sale", json!([["fieldbook_uuid", "=", uuid]])).await;

    // The same holds for customers, their addresses and contacts, and
    // complaints.
    let customer_uuid = "0b6f3a52-7d1e-4c8e-9a53-5f2d2f6f1c02";
    let party = json!([{"name": "新客户 New Customer", "fieldbook_uuid": customer_uuid}]);
    call(&sales, "model.party.party.create", vec![party.clone()])
        .await
        .unwrap();
    assert!(
        call(&sales, "model.party.party.create", vec![party])
            .await
            .is_err()
    );
    for model in ["party.address", "party.contact_mechanism", "sale.complaint"] {
        let fields = call(
            &sales,
            &format!("model.{model}.fields_get"),
            vec![json!(["fieldbook_uuid"])],
        )
        .await
        .unwrap();
        assert_eq!(fields["fieldbook_uuid"]["type"], "char", "{model}");
    }
}
