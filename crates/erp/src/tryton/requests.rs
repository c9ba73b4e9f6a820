//! After-sales requests sent to Tryton as `sale.complaint`: carrying the
//! client's uuid (`fieldbook_uuid`) and looked up by it before anything is
//! created, then submitted (`wait`) for the after-sales team. The request's
//! type is the ERP's first complaint type for what it is about (an order, an
//! invoice, or the customer alone); Fieldbook's module adds the last two.

use super::Tryton;
use super::values::Fields;
use crate::{ErpError, SentRequest};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{ErpId, RequestState};
use serde_json::json;

impl Tryton {
    pub(crate) async fn file_request_in_tryton(
        &self,
        uuid: &str,
        draft: &RequestDraft,
        acknowledged_warning: Option<&str>,
    ) -> Result<SentRequest, ErpError> {
        self.require_module()?;
        if let Some(name) = acknowledged_warning {
            self.skip_warning(name).await?;
        }
        let context = self.context_with(json!({"active_test": false}));
        let found = self
            .search_read(
                "sale.complaint",
                json!([["fieldbook_uuid", "=", uuid]]),
                Some(1),
                &["state"],
                context.clone(),
            )
            .await?;
        let complaint = match found.first() {
            Some(row) => Fields {
                model: "sale.complaint",
                row,
            }
            .id()?,
            None => {
                let (model, origin, what) = match (draft.order_id, draft.invoice_id) {
                    (Some(order), _) => (
                        Some("sale.sale"),
                        Some(format!("sale.sale,{order}")),
                        "orders",
                    ),
                    (None, Some(invoice)) => (
                        Some("account.invoice"),
                        Some(format!("account.invoice,{invoice}")),
                        "invoices",
                    ),
                    (None, None) => (None, None, "a customer alone"),
                };
                let domain = match model {
                    Some(model) => json!([["origin.name", "=", model]]),
                    None => json!([["origin", "=", null]]),
                };
                let types = self
                    .search_read(
                        "sale.complaint.type",
                        domain,
                        Some(1),
                        &["name"],
                        self.context.clone(),
                    )
                    .await?;
                let Some(kind) = types.first() else {
                    return Err(ErpError::Rejected {
                        message: format!(
                            "the ERP has no after-sales request type for {what}: ask the administrator to add one \
                             (Sales > Configuration > Complaint Types) or to install Fieldbook's module, which adds them"
                        ),
                        description: None,
                    });
                };
                let kind = Fields {
                    model: "sale.complaint.type",
                    row: kind,
                }
                .id()?;
                let created = self
                    .rpc
                    .call(
                        "model.sale.complaint.create",
                        json!([[{
                            "customer": draft.customer_id,
                            "type": kind,
                            "origin": origin,
                            "description": draft.description.trim(),
                            "fieldbook_uuid": uuid,
                        }], self.context]),
                    )
                    .await?;
                created
                    .get(0)
                    .and_then(super::values::positive_id)
                    .ok_or_else(|| {
                        ErpError::Protocol(format!(
                            "expected the new complaint's id, got {created}"
                        ))
                    })?
            }
        };
        let state = self.complaint(complaint).await?.state;
        if state == RequestState::Draft {
            self.rpc
                .call(
                    "model.sale.complaint.wait",
                    json!([[complaint], self.context]),
                )
                .await?;
        }
        self.complaint(complaint).await
    }

    async fn complaint(&self, id: ErpId) -> Result<SentRequest, ErpError> {
        let rows = self
            .read(
                "sale.complaint",
                &[id],
                &["number", "state"],
                self.context.clone(),
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| ErpError::Protocol(format!("complaint {id} vanished after sending")))?;
        let fields = Fields {
            model: "sale.complaint",
            row,
        };
        Ok(SentRequest {
            erp_id: id,
            number: fields.opt_text("number")?,
            state: fields.request_state("state")?,
        })
    }
}

/// The order and invoice a complaint's origin names (Tryton writes a
/// reference as `model,id`).
pub(super) fn origin_ids(origin: Option<&str>) -> (Option<ErpId>, Option<ErpId>) {
    let Some((model, id)) = origin.and_then(|origin| origin.split_once(',')) else {
        return (None, None);
    };
    let id = id.trim().parse::<ErpId>().ok().filter(|id| *id > 0);
    match model {
        "sale.sale" => (id, None),
        "account.invoice" => (None, id),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::origin_ids;

    #[test]
    fn origins_name_an_order_or_an_invoice() {
        assert_eq!(origin_ids(Some("sale.sale,12")), (Some(12), None));
        assert_eq!(origin_ids(Some("account.invoice,7")), (None, Some(7)));
        assert_eq!(origin_ids(Some("sale.line,3")), (None, None));
        assert_eq!(origin_ids(Some("sale.sale,-1")), (None, None));
        assert_eq!(origin_ids(Some("sale.sale,")), (None, None));
        assert_eq!(origin_ids(None), (None, None));
    }
}
