//! Helpers shared by the `fieldbook` command's end-to-end tests and soak.

use fieldbook_testkit::TrytonServer;
use std::process::Output;

/// Asserts the command succeeded; returns its stdout.
#[track_caller]
pub fn ok(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "stderr: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Every sale in Tryton that a Fieldbook device sent (it carries a uuid),
/// with its uuid, number and state, as the administrator reads them.
pub fn sales_sent_from_fieldbook(server: &TrytonServer) -> Vec<serde_json::Value> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sales = runtime.block_on(async {
        let admin = server.admin().await.unwrap();
        admin
            .call(
                "model.sale.sale.search_read",
                serde_json::json!([
                    [["fieldbook_uuid", "!=", null]],
                    0,
                    null,
                    null,
                    ["fieldbook_uuid", "number", "state"],
                    admin.context()
                ]),
            )
            .await
            .unwrap()
    });
    sales.as_array().cloned().unwrap_or_default()
}
