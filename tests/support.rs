//! Helpers shared by the end-to-end tests.

use chrono::Utc;
use fieldbook_erp::tryton::{RawSession, Tryton};
use fieldbook_store::Store;
use fieldbook_sync::{SyncOptions, SyncReport};
use fieldbook_testkit::TrytonServer;
use serde_json::{Value, json};
use std::sync::Arc;

/// Syncs `store` from `server` as the salesperson, with small pages so
/// every entity takes several.
pub async fn sync(server: &TrytonServer, store: &mut Store) -> anyhow::Result<SyncReport> {
    let erp = Arc::new(Tryton::connect(server.sales_config()).await?);
    sync_with(&erp, store).await
}

/// Syncs as `sync_with` does, and fails if any part of the sync was not
/// readable: the seeded salesperson has every right the laptop needs.
pub async fn sync_with(erp: &Arc<Tryton>, store: &mut Store) -> anyhow::Result<SyncReport> {
    let report = sync_reading_what_it_may(erp, store, std::time::Duration::from_secs(3600)).await?;
    if let Some(refused) = report.not_readable.first() {
        anyhow::bail!("{}: {}", refused.part.name(), refused.detail);
    }
    Ok(report)
}

/// Syncs, skipping what the ERP user may not read (asked for again once
/// `retry` has passed since the last refusal).
pub async fn sync_reading_what_it_may(
    erp: &Arc<Tryton>,
    store: &mut Store,
    retry: std::time::Duration,
) -> anyhow::Result<SyncReport> {
    // No overlap beyond the Date header's one-second resolution: the ERP runs
    // on this machine, so there is no clock skew to cover, and a delta right
    // after a freshly seeded database must not read it all again.
    let options = SyncOptions {
        page_size: 40,
        refresh_chunk: 50,
        overlap: std::time::Duration::from_secs(1),
        not_readable_retry: retry,
    };
    Ok(fieldbook_sync::pull(erp, store, &options, &Utc::now, &mut |_| {}).await?)
}

/// Tryton's own answer to `search_read`, as the administrator.
pub async fn erp_rows(
    server: &TrytonServer,
    model: &str,
    domain: Value,
    fields: &[&str],
    context: Value,
) -> anyhow::Result<Vec<Value>> {
    let admin = server.admin().await?;
    let mut full_context = admin.context().clone();
    if let (Some(full), Some(extra)) = (full_context.as_object_mut(), context.as_object()) {
        full.extend(extra.clone());
    }
    let rows = admin
        .call(
            &format!("model.{model}.search_read"),
            json!([domain, 0, null, [["id", "ASC"]], fields, full_context]),
        )
        .await?;
    Ok(rows.as_array().cloned().unwrap_or_default())
}

pub fn decimal(value: &Value) -> rust_decimal::Decimal {
    fieldbook_erp::tryton::decode_decimal(value).unwrap_or_else(|| panic!("not a decimal: {value}"))
}

/// Calls `method` with `params` and the session's context; panics with the
/// ERP's words if it refuses.
pub async fn call(session: &RawSession, method: &str, mut params: Vec<Value>) -> Value {
    params.push(session.context().clone());
    session
        .call(method, Value::Array(params))
        .await
        .unwrap_or_else(|error| panic!("{method}: {error}"))
}

/// The salesperson's connection and a cache synced through it.
pub async fn synced(server: &TrytonServer) -> (Arc<Tryton>, Store) {
    let erp = Arc::new(Tryton::connect(server.sales_config()).await.unwrap());
    let mut store = Store::open_in_memory().unwrap();
    sync_with(&erp, &mut store).await.unwrap();
    (erp, store)
}

/// Runs a story against both backends: `story::sqlite` on Tryton's
/// development server over SQLite (the demo's), `story::postgres` on
/// PostgreSQL under gunicorn with several workers (production's). The
/// story is an `async fn(Backend)` in the calling file.
#[macro_export]
macro_rules! on_both_backends {
    ($($story:ident),+ $(,)?) => {
        $(
            mod $story {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$story(fieldbook_testkit::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$story(fieldbook_testkit::Backend::Postgres).await
                }
            }
        )+
    };
}
