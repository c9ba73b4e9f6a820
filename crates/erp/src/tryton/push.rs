//! Sending what the salesperson wrote offline: a sale carries the client's
//! UUID (`fieldbook_uuid`, unique in the ERP through Fieldbook's Tryton
//! module) and is looked up by it before anything is created, so sending
//! the same entry again, after a lost answer or a crash, continues the sale
//! already made instead of making a second one.

use super::Tryton;
use super::values::{Fields, decode_decimal, encode_date};
use crate::{ErpError, SentSale};
use fieldbook_core::{
    Created, ErpId, ErpLine, HeldRecord, SaleContent, SaleDraft, SaleKind, SaleRef,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// States of `sale.sale` in which a sale has gone as far as each kind of
/// entry asks.
const QUOTED: &[&str] = &["quotation", "confirmed", "processing", "done"];
const CONFIRMED: &[&str] = &["confirmed", "processing", "done"];

/// How long a push waits for another push of the same entry to take its
/// sale to the entry's target: `SETTLE_LOOKS` lookups `SETTLE_PAUSE`
/// apart (a few seconds in all).
const SETTLE_LOOKS: u32 = 12;
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

impl Tryton {
    pub(crate) async fn send_sale_to_tryton(
        &self,
        uuid: &str,
        draft: &SaleDraft,
        acknowledged_warning: Option<&str>,
    ) -> Result<SentSale, ErpError> {
        self.require_module()?;
        if let Some(name) = acknowledged_warning {
            self.skip_warning(name).await?;
        }
        let target = match draft.kind {
            SaleKind::Quote => QUOTED,
            SaleKind::Order => CONFIRMED,
        };
        // One request: the sale with this uuid, if the ERP has it, and what
        // a new one needs (the customer's payment term, the products'
        // units and names).
        let inputs = self.sale_inputs(uuid, draft).await?;
        let sale = match inputs.existing.clone() {
            Some((sale, state)) => {
                // Short of the target, it may be another push of this entry
                // at work right now (the window and the command, a copy of
                // the cache): it gets a moment to finish before this push
                // touches the sale.
                let state = if target.contains(&state.as_str()) || state == "cancelled" {
                    state
                } else {
                    self.settle(uuid, target)
                        .await?
                        .map_or(state, |(_, now)| now)
                };
                if target.contains(&state.as_str()) {
                    // Sent before; only the answer was lost. The ERP's sale
                    // stands, but if it is not what the entry says (edited
                    // in the ERP since), the salesperson must hear of it.
                    let mut sent = self.sent_sale(sale).await?;
                    let content = self.sale_content(sale).await?;
                    sent.differences = draft.differences(&content);
                    sent.lines = Some(content.lines);
                    return Ok(sent);
                }
                match state.as_str() {
                    "cancelled" => {
                        return Err(ErpError::Rejected {
                            message: "this sale was cancelled in the ERP".into(),
                            description: None,
                        });
                    }
                    "quotation" => self.button("sale.sale", "draft", sale).await?,
                    _ => {}
                }
                // Made before but stopped short (refused at confirmation,
                // or the laptop stopped between two calls): bring it up to
                // date with what the salesperson has now, then go on.
                self.rewrite_sale(sale, draft, &inputs).await?;
                sale
            }
            None => match self.create_sale(uuid, draft, &inputs).await {
                Ok(sale) => sale,
                // Refused, but perhaps only by Fieldbook's own uniqueness
                // constraint: another push of the same entry (the CLI and
                // the window, or a second "sync now") created it between
                // our lookup and our create. Then the entry is there, and
                // the next push takes it on; it is not the ERP's "no".
                // Once that push has taken the sale where this entry
                // wants it, its sale is this push's answer too; if it does
                // not get there in a moment, the next push takes it on.
                Err(error @ ErpError::Rejected { .. }) => {
                    return match self.settle(uuid, target).await? {
                        Some((sale, state)) if target.contains(&state.as_str()) => {
                            let mut sent = self.sent_sale(sale).await?;
                            let content = self.sale_content(sale).await?;
                            sent.differences = draft.differences(&content);
                            sent.lines = Some(content.lines);
                            Ok(sent)
                        }
                        Some(_) => Err(ErpError::SentMeanwhile),
                        None => Err(error),
                    };
                }
                Err(error) => return Err(error),
            },
        };
        self.process(sale, draft.kind == SaleKind::Order).await
    }

    /// Takes the sale to quotation, and to confirmed with `confirm`, and
    /// reads back what the laptop records: one request through Fieldbook's
    /// module (`sale.sale.fieldbook_process`: the same buttons in one
    /// transaction, so a refusal at confirmation leaves a draft).
    async fn process(&self, sale: ErpId, confirm: bool) -> Result<SentSale, ErpError> {
        let rows = self
            .rpc
            .call(
                "model.sale.sale.fieldbook_process",
                json!([[sale], confirm, self.context]),
            )
            .await?;
        sent_from(sale, super::rows(rows)?.first())
    }

    /// The sale the ERP holds with `uuid` and what creating one takes, in
    /// one request (`fieldbook.sync.reads`).
    async fn sale_inputs(&self, uuid: &str, draft: &SaleDraft) -> Result<SaleInputs, ErpError> {
        let products = product_ids(draft);
        let answers = self
            .rpc
            .call(
                "model.fieldbook.sync.reads",
                json!([
                    [
                        [
                            "search_read",
                            "sale.sale",
                            [["fieldbook_uuid", "=", uuid]],
                            ["state"],
                            {"active_test": false}
                        ],
                        [
                            "read",
                            "party.party",
                            [draft.customer_id],
                            ["customer_payment_term"],
                            {}
                        ],
                        ["read", "product.product", products, PRODUCT_FIELDS, {}]
                    ],
                    self.context
                ]),
            )
            .await?;
        let part = |index: usize| super::rows(answers.get(index).cloned().unwrap_or(Value::Null));
        let existing = part(0)?
            .first()
            .map(|row| {
                let fields = Fields {
                    model: "sale.sale",
                    row,
                };
                Ok::<_, ErpError>((fields.id()?, fields.text("state")?))
            })
            .transpose()?;
        let payment_term = part(1)?
            .first()
            .and_then(|row| row.get("customer_payment_term"))
            .cloned()
            .unwrap_or(Value::Null);
        Ok(SaleInputs {
            existing,
            payment_term,
            products: product_lines(&part(2)?)?,
        })
    }

    /// Waits a moment for the sale with `uuid` to reach a `target` state,
    /// as another push of the same entry under way takes it there (a
    /// create, a quote and a confirmation take well under a second each).
    /// Returns the sale and its last state seen, or `None` when the ERP
    /// holds no sale with this uuid.
    async fn settle(
        &self,
        uuid: &str,
        target: &[&str],
    ) -> Result<Option<(ErpId, String)>, ErpError> {
        let mut found = self.sale_by_uuid(uuid).await?;
        for _ in 0..SETTLE_LOOKS {
            match &found {
                Some((_, state)) if !target.contains(&state.as_str()) && state != "cancelled" => {
                    tokio::time::sleep(SETTLE_PAUSE).await;
                    found = self.sale_by_uuid(uuid).await?;
                }
                _ => break,
            }
        }
        Ok(found)
    }

    /// The sale the ERP holds with Fieldbook's `uuid`, cancelled or not:
    /// its id and state.
    async fn sale_by_uuid(&self, uuid: &str) -> Result<Option<(ErpId, String)>, ErpError> {
        let found = self
            .search_read(
                "sale.sale",
                json!([["fieldbook_uuid", "=", uuid]]),
                Some(1),
                &["state"],
                self.context_with(json!({"active_test": false})),
            )
            .await?;
        found
            .first()
            .map(|row| {
                let fields = Fields {
                    model: "sale.sale",
                    row,
                };
                Ok((fields.id()?, fields.text("state")?))
            })
            .transpose()
    }

    /// The live record of `kind` carrying Fieldbook's `uuid`: a sale or
    /// complaint in any state but cancelled, an active party.
    pub(crate) async fn held_in_tryton(
        &self,
        kind: Created,
        uuid: &str,
    ) -> Result<Option<HeldRecord>, ErpError> {
        self.require_module()?;
        let (model, domain, fields, context): (_, _, &[&str], _) = match kind {
            Created::Sale => (
                "sale.sale",
                json!([["fieldbook_uuid", "=", uuid], ["state", "!=", "cancelled"]]),
                &["number", "state"],
                self.context_with(json!({"active_test": false})),
            ),
            Created::Request => (
                "sale.complaint",
                json!([["fieldbook_uuid", "=", uuid], ["state", "!=", "cancelled"]]),
                &["number", "state"],
                self.context_with(json!({"active_test": false})),
            ),
            Created::Customer => (
                "party.party",
                json!([["fieldbook_uuid", "=", uuid]]),
                &["code"],
                self.context.clone(),
            ),
        };
        let found = self
            .search_read(model, domain, Some(1), fields, context)
            .await?;
        found
            .first()
            .map(|row| {
                let fields = Fields { model, row };
                Ok(match kind {
                    Created::Customer => HeldRecord {
                        erp_id: fields.id()?,
                        number: fields.opt_text("code")?,
                        state: None,
                    },
                    Created::Sale => HeldRecord {
                        erp_id: fields.id()?,
                        number: fields.opt_text("number")?,
                        state: Some(fields.sale_state("state")?.name().to_owned()),
                    },
                    Created::Request => HeldRecord {
                        erp_id: fields.id()?,
                        number: fields.opt_text("number")?,
                        state: Some(fields.request_state("state")?.name().to_owned()),
                    },
                })
            })
            .transpose()
    }

    pub(crate) async fn confirm_sale_in_tryton(
        &self,
        sale: &SaleRef,
        acknowledged_warning: Option<&str>,
    ) -> Result<SentSale, ErpError> {
        let domain = match sale {
            SaleRef::Entry(uuid) => {
                self.require_module()?;
                json!([["fieldbook_uuid", "=", uuid]])
            }
            SaleRef::Erp(id) => json!([["id", "=", id]]),
        };
        if let Some(name) = acknowledged_warning {
            self.skip_warning(name).await?;
        }
        let found = self
            .search_read(
                "sale.sale",
                domain,
                Some(1),
                &["state"],
                self.context_with(json!({"active_test": false})),
            )
            .await?;
        let Some(row) = found.first() else {
            return Err(ErpError::Rejected {
                message: "the quotation is no longer in the ERP (deleted there?)".into(),
                description: None,
            });
        };
        let fields = Fields {
            model: "sale.sale",
            row,
        };
        let id = fields.id()?;
        match fields.text("state")?.as_str() {
            state if CONFIRMED.contains(&state) => return self.sent_sale(id).await,
            "cancelled" => {
                return Err(ErpError::Rejected {
                    message: "this quotation was cancelled in the ERP".into(),
                    description: None,
                });
            }
            _ if self.module => {}
            "draft" => self.button("sale.sale", "quote", id).await?,
            _ => {}
        }
        if self.module {
            return self.process(id, true).await;
        }
        self.button("sale.sale", "confirm", id).await?;
        self.sent_sale(id).await
    }

    pub(super) fn require_module(&self) -> Result<(), ErpError> {
        if self.module {
            return Ok(());
        }
        Err(ErpError::Protocol(
            "Fieldbook's Tryton module is not activated on this ERP, so a resent order could arrive twice: \
             ask the administrator to install it (see erp/tryton/modules/fieldbook/README.md); nothing was sent"
                .into(),
        ))
    }

    pub(super) async fn skip_warning(&self, name: &str) -> Result<(), ErpError> {
        self.rpc
            .call(
                "model.res.user.warning.skip",
                json!([name, false, self.context]),
            )
            .await?;
        Ok(())
    }

    async fn button(&self, model: &str, name: &str, id: ErpId) -> Result<(), ErpError> {
        self.rpc
            .call(
                &format!("model.{model}.{name}"),
                json!([[id], self.context]),
            )
            .await?;
        Ok(())
    }
}

/// What sending a new sale needs from the ERP first.
struct SaleInputs {
    /// The sale already holding the entry's uuid: its id and state.
    existing: Option<(ErpId, String)>,
    payment_term: Value,
    /// Each product's default unit and name.
    products: HashMap<ErpId, (ErpId, String)>,
}

const PRODUCT_FIELDS: &[&str] = &["default_uom", "rec_name"];

fn product_ids(draft: &SaleDraft) -> Vec<ErpId> {
    draft
        .lines
        .iter()
        .map(|line| line.product_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Each product's default unit and name, from rows of [`PRODUCT_FIELDS`].
fn product_lines(rows: &[super::values::Row]) -> Result<HashMap<ErpId, (ErpId, String)>, ErpError> {
    rows.iter()
        .map(|row| {
            let fields = Fields {
                model: "product.product",
                row,
            };
            Ok((
                fields.id()?,
                (fields.req_id("default_uom")?, fields.text("rec_name")?),
            ))
        })
        .collect()
}

/// A sale's number, state and totals as the ERP answered them.
fn sent_from(sale: ErpId, row: Option<&super::values::Row>) -> Result<SentSale, ErpError> {
    let row =
        row.ok_or_else(|| ErpError::Protocol(format!("sale {sale} vanished after sending")))?;
    let fields = Fields {
        model: "sale.sale",
        row,
    };
    let amount = |name: &str| {
        row.get(name)
            .and_then(decode_decimal)
            .ok_or_else(|| ErpError::Protocol(format!("sale.sale.{name}: expected an amount")))
    };
    Ok(SentSale {
        erp_id: sale,
        number: fields.opt_text("number")?,
        state: fields.sale_state("state")?,
        untaxed: amount("untaxed_amount")?,
        tax: amount("tax_amount")?,
        total: amount("total_amount")?,
        differences: Vec::new(),
        lines: erp_lines(sale, row)?,
    })
}

/// The lines `fieldbook_process` answers with (`fieldbook_lines`:
/// `[product, quantity, unit_price]` each), if it did.
fn erp_lines(sale: ErpId, row: &super::values::Row) -> Result<Option<Vec<ErpLine>>, ErpError> {
    let Some(lines) = row.get("fieldbook_lines") else {
        return Ok(None);
    };
    let bad = || ErpError::Protocol(format!("sale {sale}: expected its lines, got {lines}"));
    lines
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .filter(|line| !line.get(0).is_some_and(Value::is_null))
        .map(|line| {
            let product = line.get(0).and_then(super::values::positive_id);
            let quantity = line
                .get(1)
                .and_then(Value::as_f64)
                .and_then(|quantity| Decimal::try_from(quantity).ok());
            let price = line.get(2).and_then(decode_decimal);
            match (product, quantity, price) {
                (Some(product), Some(quantity), Some(price)) => Ok((product, quantity, price)),
                _ => Err(bad()),
            }
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Tryton's `Decimal` on the wire.
fn decimal(value: Decimal) -> Value {
    json!({"__class__": "Decimal", "decimal": value.to_string()})
}

impl Tryton {
    /// The sale's fields (without lines) as the draft gives them, with the
    /// price list the laptop priced it from, as Tryton's own client sends
    /// it (where the ERP has price lists).
    fn sale_values(
        &self,
        draft: &SaleDraft,
        payment_term: Value,
    ) -> serde_json::Map<String, Value> {
        let mut values = serde_json::Map::new();
        values.insert("party".into(), json!(draft.customer_id));
        values.insert("invoice_address".into(), json!(draft.invoice_address_id));
        values.insert("shipment_address".into(), json!(draft.shipment_address_id));
        values.insert("warehouse".into(), json!(draft.warehouse_id));
        values.insert("payment_term".into(), payment_term);
        values.insert("reference".into(), json!(draft.reference));
        values.insert("comment".into(), json!(draft.note));
        values.insert(
            "shipping_date".into(),
            draft.requested_date.map(encode_date).unwrap_or(Value::Null),
        );
        if self.price_lists {
            values.insert("price_list".into(), json!(draft.price_list_id));
        }
        values
    }

    /// The lines to create, with the unit and description the Tryton
    /// client would fill in from each product, and each line's price
    /// before promotions (the ERP applies them when it records the quote,
    /// keeping this price as the original). A line only the ERP can price
    /// goes without one: Fieldbook's module prices it as Tryton's client
    /// would. The base price goes where the ERP keeps one
    /// (`sale_discount`).
    fn line_values(
        &self,
        draft: &SaleDraft,
        products: &HashMap<ErpId, (ErpId, String)>,
    ) -> Result<Vec<Value>, ErpError> {
        draft
            .lines
            .iter()
            .map(|line| {
                let (unit, name) =
                    products
                        .get(&line.product_id)
                        .ok_or_else(|| ErpError::Rejected {
                            message: format!(
                                "product {} no longer exists in the ERP",
                                line.product_id
                            ),
                            description: None,
                        })?;
                let mut values = json!({
                    "type": "line",
                    "product": line.product_id,
                    "quantity": line.quantity.to_f64(),
                    "unit": unit,
                    "description": name,
                });
                if let Some(price) = line.net_unit_price() {
                    values["unit_price"] = decimal(price);
                }
                if let (true, Some(base)) = (self.discounts, line.base_price) {
                    values["base_price"] = decimal(base);
                }
                Ok(values)
            })
            .collect()
    }
    /// The sale's fields and lines, as creating it from `draft` sends them.
    async fn create_sale(
        &self,
        uuid: &str,
        draft: &SaleDraft,
        inputs: &SaleInputs,
    ) -> Result<ErpId, ErpError> {
        let mut values = self.sale_values(draft, inputs.payment_term.clone());
        values.insert("fieldbook_uuid".into(), json!(uuid));
        values.insert(
            "lines".into(),
            json!([["create", self.line_values(draft, &inputs.products)?]]),
        );
        let created = self
            .rpc
            .call("model.sale.sale.create", json!([[values], self.context]))
            .await?;
        created
            .get(0)
            .and_then(super::values::positive_id)
            .ok_or_else(|| ErpError::Protocol(format!("expected the new sale's id, got {created}")))
    }

    /// Brings a sale the ERP holds back to what the entry says, with the
    /// payment term and units the push read already.
    async fn rewrite_sale(
        &self,
        sale: ErpId,
        draft: &SaleDraft,
        inputs: &SaleInputs,
    ) -> Result<(), ErpError> {
        let current = self
            .read("sale.sale", &[sale], &["lines"], self.context.clone())
            .await?;
        let old_lines = current
            .first()
            .and_then(|row| row.get("lines"))
            .cloned()
            .unwrap_or(json!([]));
        let mut values = self.sale_values(draft, inputs.payment_term.clone());
        values.insert(
            "lines".into(),
            json!([
                ["delete", old_lines],
                ["create", self.line_values(draft, &inputs.products)?]
            ]),
        );
        self.rpc
            .call(
                "model.sale.sale.write",
                json!([[sale], values, self.context]),
            )
            .await?;
        Ok(())
    }

    /// What the ERP holds of a sale, in the draft's terms.
    async fn sale_content(&self, sale: ErpId) -> Result<SaleContent, ErpError> {
        let rows = self
            .read(
                "sale.sale",
                &[sale],
                &["party", "invoice_address", "shipment_address"],
                self.context.clone(),
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| ErpError::Protocol(format!("sale {sale} vanished after sending")))?;
        let fields = Fields {
            model: "sale.sale",
            row,
        };
        let lines = self
            .search_read(
                "sale.line",
                json!([["sale", "=", sale], ["type", "=", "line"]]),
                None,
                &["product", "quantity", "unit_price"],
                self.context.clone(),
            )
            .await?;
        let lines = lines
            .iter()
            .map(|row| {
                let line = Fields {
                    model: "sale.line",
                    row,
                };
                Ok((
                    line.req_id("product")?,
                    line.decimal("quantity")?,
                    line.decimal("unit_price")?,
                ))
            })
            .collect::<Result<_, ErpError>>()?;
        Ok(SaleContent {
            customer_id: fields.req_id("party")?,
            invoice_address_id: fields.opt_id("invoice_address")?,
            shipment_address_id: fields.opt_id("shipment_address")?,
            lines,
        })
    }

    /// The ERP's view of a sale: number, state and totals.
    async fn sent_sale(&self, sale: ErpId) -> Result<SentSale, ErpError> {
        let rows = self
            .read(
                "sale.sale",
                &[sale],
                &[
                    "number",
                    "state",
                    "untaxed_amount",
                    "tax_amount",
                    "total_amount",
                ],
                self.context.clone(),
            )
            .await?;
        sent_from(sale, rows.first())
    }
}
