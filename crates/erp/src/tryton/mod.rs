//! Tryton (8.2) over JSON-RPC.
//!
//! Fieldbook's entities are these Tryton models: customers `party.party`,
//! addresses `party.address`, contacts `party.contact_mechanism`, products
//! `product.product` with their `product.template`, warehouses
//! `stock.location` of type warehouse, orders `sale.sale`, order lines
//! `sale.line`, invoices `account.invoice` (customer invoices), payments the
//! credit lines of receivable accounts (`account.move.line`). Stock is read
//! per warehouse from the product's `quantity` and `forecast_quantity` with
//! the warehouse in the context; credit from the party's `credit_amount`,
//! `credit_limit_amount` and `receivable`.
//!
//! Reading computed fields is what costs Tryton most, so pages read stored
//! fields (and the template's) and the derived figures are read only for
//! the records that moved.
//!
//! # Tryton, as this client finds it
//!
//! - A delta's bound is a change time: `write_date`, null until a record is
//!   first written (`create_date` then), and a product changes when its
//!   template does, so a delta asks for either date at or after the bound,
//!   on the product and on its template.
//! - On PostgreSQL a row's `write_date` is the start of the transaction that
//!   wrote it, seen only once that commits: a long transaction (an inventory,
//!   a batch posting) that began before a sync and commits after it leaves
//!   rows dated before the next delta's bound. With Fieldbook's module the
//!   clock is `fieldbook.sync.clock`: the start of the oldest transaction
//!   still running (`pg_stat_activity`, 1 s early), else the server's time,
//!   so whatever commits later is dated at or after the bound; the module
//!   says so at connect (`fieldbook.sync.capabilities`) and the client
//!   answers [`crate::Erp::exact_clock`]. Without the module, or on SQLite,
//!   the clock is the HTTP `Date` header and the sync's overlap covers late
//!   commits.
//! - Stock through `quantity`/`forecast_quantity` costs per product and
//!   warehouse; with the module, `product.product.fieldbook_stock` runs
//!   Tryton's own stock query for every product at once, with the same
//!   figures (tested against the fields). BENCHMARKS.md has both costs.
//! - The survey is `fieldbook.sync.survey`, one request for every question
//!   of a delta.
//! - Tryton words a missing right as any other user error, in the user's
//!   language: after a refusal the client asks
//!   `ir.model.access.get_access` for the models the call touched (one
//!   request, only then) and answers `NotPermitted` when one is missing.
//! - Answers are asked gzipped: uncompressed, Tryton streams its JSON a few
//!   hundred bytes at a time, and receiving them cost more than the work.

mod customers;
mod push;
mod requests;
mod rpc;
mod values;

use chrono::{DateTime, Utc};
use fieldbook_core::pricing::{PriceListLine, Promotion};
use fieldbook_core::{
    Address, AfterSalesRequest, Category, Contact, Credit, Currency, Customer, Entity, ErpId,
    Invoice, Order, OrderLine, Payment, PriceListHead, PriceListRule, Product, ProductPricing,
    PromotionRecord, Records, SaleDraft, SaleRef, StockLevel, Warehouse,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

use crate::{Erp, ErpError, PullRequest, Question, Survey};
pub use rpc::{DEFAULT_MAX_ANSWER_BYTES, TrytonConfig};
use values::{Fields, Row, encode_datetime};
pub use values::{decode_datetime, decode_decimal, encode_datetime as encode_time};

/// A logged-in connection to one Tryton database.
pub struct Tryton {
    rpc: rpc::Rpc,
    /// The user's context (company, language, ...) sent with every call.
    context: Value,
    company_currency: String,
    /// How many decimals the company currency's amounts have.
    currency_digits: u32,
    /// Whether Fieldbook's Tryton module (`erp/tryton/modules/fieldbook`)
    /// is activated on this database: it serves stock for many products
    /// in one cheap call, and list prices a page at a time.
    module: bool,
    /// Whether the ERP files after-sales requests (`sale_complaint`); without
    /// it there are none to pull.
    complaints: bool,
    /// Whether it prices sales from customer price lists
    /// (`product_price_list` and `sale_price_list`) ...
    price_lists: bool,
    /// ... and applies promotions when a sale is quoted (`sale_promotion`).
    promotions: bool,
    /// Whether its sale lines keep a base price to measure discounts from
    /// (`sale_discount`).
    discounts: bool,
    /// The company's default price list, read when connecting (as the
    /// currency is).
    default_price_list: Option<ErpId>,
    /// Whether the module's clock dates every change not yet read (it
    /// does on PostgreSQL): deltas then need no overlap.
    exact_clock: bool,
    /// Names of small reference records (units, countries, subdivisions,
    /// currencies and their rounding) by model, field and id, read once per
    /// connection: asking for
    /// them through dotted fields on every row costs Tryton more than
    /// reading the rows.
    names: tokio::sync::Mutex<HashMap<(&'static str, &'static str, ErpId), Value>>,
}

impl Tryton {
    /// Logs in and reads the user's context. Fails with a clear error for a
    /// wrong address, database, login or password.
    pub async fn connect(config: TrytonConfig) -> Result<Tryton, ErpError> {
        Tryton::connect_with(rpc::Rpc::new(config)?).await
    }

    /// Connects keeping every call from the first, with Tryton's answers
    /// (see [`Tryton::take_exchanges`]): to pin what the client sends and
    /// record what Tryton answers. The login itself, which carries the
    /// password, is never kept.
    pub async fn connect_recorded(config: TrytonConfig) -> Result<Tryton, ErpError> {
        let rpc = rpc::Rpc::new(config)?;
        rpc.start_recording(true);
        Tryton::connect_with(rpc).await
    }

    async fn connect_with(rpc: rpc::Rpc) -> Result<Tryton, ErpError> {
        rpc.login().await?;
        let preferences = rpc
            .call("model.res.user.get_preferences", json!([true, {}]))
            .await?;
        let mut context = serde_json::Map::new();
        for key in [
            "company",
            "companies",
            "employee",
            "employees",
            "language",
            "language_direction",
        ] {
            if let Some(value) = preferences.get(key) {
                context.insert(key.to_owned(), value.clone());
            }
        }
        let company = preferences.get("company").and_then(Value::as_i64).ok_or_else(|| {
            ErpError::Protocol("the ERP user has no company: ask the administrator to set one in the user's preferences".into())
        })?;
        let context = Value::Object(context);
        let rows = rpc
            .call(
                "model.company.company.read",
                json!([[company], ["currency.code", "currency.digits"], context]),
            )
            .await?;
        let currency = rows.get(0).and_then(|row| row.get("currency."));
        let company_currency = currency
            .and_then(|currency| currency.get("code"))
            .and_then(Value::as_str)
            .ok_or_else(|| ErpError::Protocol(format!("company currency in {rows}")))?
            .to_owned();
        let currency_digits = currency
            .and_then(|currency| currency.get("digits"))
            .and_then(Value::as_u64)
            .and_then(|digits| u32::try_from(digits).ok())
            .filter(|digits| *digits <= Currency::MAX_DIGITS)
            .ok_or_else(|| ErpError::Protocol(format!("company currency's digits in {rows}")))?;
        let activated = rpc
            .call(
                "model.ir.module.search_read",
                json!([
                    [
                        [
                            "name",
                            "in",
                            [
                                "fieldbook",
                                "sale_complaint",
                                "product_price_list",
                                "sale_price_list",
                                "sale_promotion",
                                "sale_discount"
                            ]
                        ],
                        ["state", "=", "activated"]
                    ],
                    0,
                    null,
                    null,
                    ["name"],
                    context
                ]),
            )
            .await?;
        let activated: Vec<&str> = activated
            .as_array()
            .ok_or_else(|| ErpError::Protocol(format!("expected modules, got {activated}")))?
            .iter()
            .filter_map(|row| row.get("name").and_then(Value::as_str))
            .collect();
        let module = activated.contains(&"fieldbook");
        let complaints = activated.contains(&"sale_complaint");
        let price_lists =
            activated.contains(&"product_price_list") && activated.contains(&"sale_price_list");
        let promotions = activated.contains(&"sale_promotion");
        let discounts = activated.contains(&"sale_discount");
        let exact_clock = match module {
            false => false,
            true => {
                let capabilities = rpc
                    .call("model.fieldbook.sync.capabilities", json!([context]))
                    .await?;
                match capabilities.get("exact_clock") {
                    Some(Value::Bool(exact)) => *exact,
                    _ => {
                        return Err(ErpError::Protocol(format!(
                            "expected the module's capabilities, got {capabilities}"
                        )));
                    }
                }
            }
        };
        let default_price_list = match price_lists {
            false => None,
            true => {
                // `sale.configuration` is a singleton; the list is a
                // company value, for the user's company in the context.
                let rows = rpc
                    .call(
                        "model.sale.configuration.search_read",
                        json!([[], 0, 1, null, ["sale_price_list"], context]),
                    )
                    .await?;
                match rows.get(0).and_then(Value::as_object) {
                    Some(row) => Fields {
                        model: "sale.configuration",
                        row,
                    }
                    .opt_id("sale_price_list")?,
                    None => None,
                }
            }
        };
        if !complaints {
            tracing::info!(
                "this ERP has no after-sales requests (sale_complaint is not activated)"
            );
        }
        if !module {
            tracing::info!(
                "Fieldbook's Tryton module is not activated on this ERP; stock is read product by product"
            );
        }
        Ok(Tryton {
            rpc,
            context,
            company_currency,
            currency_digits,
            module,
            complaints,
            price_lists,
            promotions,
            discounts,
            default_price_list,
            exact_clock,
            names: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Whether Fieldbook's Tryton module is activated on the ERP.
    pub fn has_module(&self) -> bool {
        self.module
    }

    /// Whether this ERP holds records of `entity` at all (after-sales
    /// requests need `sale_complaint`, price lists `sale_price_list`,
    /// promotions `sale_promotion`).
    fn serves(&self, entity: Entity) -> bool {
        match entity {
            Entity::Complaints => self.complaints,
            Entity::PriceLists | Entity::PriceListLines => self.price_lists,
            Entity::Promotions => self.promotions,
            _ => true,
        }
    }

    /// This connection, reading as if Fieldbook's Tryton module were not
    /// there (to compare both ways of reading in tests and benchmarks).
    pub fn without_module(mut self) -> Tryton {
        self.module = false;
        self
    }

    /// How many JSON-RPC calls this connection has made.
    pub fn calls(&self) -> u64 {
        self.rpc.calls()
    }

    /// Starts keeping every call this connection makes (for benchmarks).
    pub fn start_recording(&self) {
        self.rpc.start_recording(false);
    }

    /// The calls made since `start_recording`, as (method, parameters).
    pub fn take_recording(&self) -> Vec<(String, Value)> {
        self.rpc
            .take_recording()
            .into_iter()
            .map(|(method, params, _)| (method, params))
            .collect()
    }

    /// The calls made since [`Tryton::connect_recorded`] connected, with
    /// Tryton's answers: (method, parameters, answer).
    pub fn take_exchanges(&self) -> Vec<(String, Value, Value)> {
        self.rpc
            .take_recording()
            .into_iter()
            .map(|(method, params, answer)| (method, params, answer.unwrap_or(Value::Null)))
            .collect()
    }

    /// The Tryton server version, e.g. "8.2".
    pub async fn server_version(&self) -> Result<String, ErpError> {
        let version = self
            .rpc
            .call_server("common.server.version", json!([]))
            .await?;
        version
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ErpError::Protocol(format!("version {version}")))
    }

    /// `error`, or, when it is a refusal and the user lacks the right to
    /// `access` one of `models`, [`ErpError::NotPermitted`] naming it.
    ///
    /// Tryton words a missing right as any other user error, in the user's
    /// language, so the words cannot tell them apart: its own table of the
    /// user's rights can (`ir.model.access.get_access`, one request, made
    /// only after a refusal).
    async fn explained(&self, error: ErpError, models: &[&str], access: Access) -> ErpError {
        let detail = match &error {
            ErpError::Rejected { message, .. } => message.clone(),
            _ => return error,
        };
        let rights = match self
            .rpc
            .call(
                "model.ir.model.access.get_access",
                json!([models, self.context]),
            )
            .await
        {
            Ok(rights) => rights,
            Err(lookup) => {
                tracing::debug!(%lookup, "cannot read the ERP user's rights");
                return error;
            }
        };
        let denied = models.iter().find(|model| {
            let right = &rights[**model][access.name()];
            right == &json!(false) || right == &json!(0)
        });
        match denied {
            Some(model) => ErpError::NotPermitted {
                login: self.rpc.login_name().to_owned(),
                action: access.name(),
                model: (*model).to_owned(),
                detail,
            },
            None => error,
        }
    }

    /// The result of a call that needs `access` to `models`, its refusal
    /// explained (see [`Tryton::explained`]).
    async fn with_rights<T>(
        &self,
        result: Result<T, ErpError>,
        models: &[&str],
        access: Access,
    ) -> Result<T, ErpError> {
        match result {
            Ok(value) => Ok(value),
            Err(error) => Err(self.explained(error, models, access).await),
        }
    }

    fn context_with(&self, extra: Value) -> Value {
        let mut context = self.context.clone();
        if let (Some(context), Some(extra)) = (context.as_object_mut(), extra.as_object()) {
            context.extend(extra.clone());
        }
        context
    }

    async fn search_read(
        &self,
        model: &str,
        domain: Value,
        limit: Option<usize>,
        fields: &[&str],
        context: Value,
    ) -> Result<Vec<Row>, ErpError> {
        let result = self
            .rpc
            .call(
                &format!("model.{model}.search_read"),
                json!([domain, 0, limit, [["id", "ASC"]], fields, context]),
            )
            .await?;
        rows(result)
    }

    async fn read(
        &self,
        model: &str,
        ids: &[ErpId],
        fields: &[&str],
        context: Value,
    ) -> Result<Vec<Row>, ErpError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let result = self
            .rpc
            .call(
                &format!("model.{model}.read"),
                json!([ids, fields, context]),
            )
            .await?;
        rows(result)
    }

    /// Like `read`, but ids the ERP no longer has are left out instead of
    /// failing the call (a record may be deleted between two requests).
    async fn read_existing(
        &self,
        model: &str,
        ids: &[ErpId],
        fields: &[&str],
        context: Value,
    ) -> Result<Vec<Row>, ErpError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let context = match context {
            Value::Object(mut context) => {
                context.insert("active_test".into(), json!(false));
                Value::Object(context)
            }
            other => other,
        };
        self.search_read(model, json!([["id", "in", ids]]), None, fields, context)
            .await
    }

    /// Due dates of invoices: the earliest maturity of each invoice's
    /// unreconciled receivable lines (Tryton keeps no due date on the invoice).
    async fn due_dates(
        &self,
        invoices: &[Row],
    ) -> Result<HashMap<ErpId, chrono::NaiveDate>, ErpError> {
        let mut line_to_invoice = HashMap::new();
        for row in invoices {
            let fields = Fields {
                model: "account.invoice",
                row,
            };
            for line in fields.ids("lines_to_pay")? {
                line_to_invoice.insert(line, fields.id()?);
            }
        }
        let line_ids: Vec<ErpId> = line_to_invoice.keys().copied().collect();
        let lines = self
            .read(
                "account.move.line",
                &line_ids,
                &["maturity_date", "reconciliation"],
                self.context.clone(),
            )
            .await?;
        let mut due = HashMap::new();
        for row in &lines {
            let fields = Fields {
                model: "account.move.line",
                row,
            };
            if fields.opt_id("reconciliation")?.is_some() {
                continue;
            }
            if let (Some(date), Some(invoice)) = (
                fields.opt_date("maturity_date")?,
                line_to_invoice.get(&fields.id()?),
            ) {
                due.entry(*invoice)
                    .and_modify(|earliest: &mut chrono::NaiveDate| {
                        *earliest = (*earliest).min(date)
                    })
                    .or_insert(date);
            }
        }
        Ok(due)
    }

    fn convert(
        &self,
        entity: Entity,
        rows: &[Row],
        due_dates: &HashMap<ErpId, chrono::NaiveDate>,
    ) -> Result<Records, ErpError> {
        let model = model(entity, self.module).name;
        let each = |row| Fields { model, row };
        let currency = |fields: &Fields| -> Result<String, ErpError> {
            Ok(fields
                .opt_text("currency.code")?
                .unwrap_or_else(|| self.company_currency.clone()))
        };
        Ok(match entity {
            Entity::Warehouses => Records::Warehouses(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Warehouse {
                            erp_id: f.id()?,
                            code: f.opt_text("code")?,
                            name: f.text("name")?,
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Customers => Records::Customers(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Customer {
                            erp_id: f.id()?,
                            code: f.opt_text("code")?,
                            name: f.text("name")?,
                            tax_id: f.opt_text("tax_identifier.code")?,
                            price_list_id: f.opt_id("sale_price_list")?,
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Addresses => Records::Addresses(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Address {
                            erp_id: f.id()?,
                            customer_id: f.req_id("party")?,
                            name: f.opt_text("party_name")?,
                            street: f.opt_text("street")?,
                            postal_code: f.opt_text("postal_code")?,
                            city: f.opt_text("city")?,
                            subdivision: f.opt_text("subdivision.name")?,
                            country: f.opt_text("country.name")?,
                            invoice: f.boolean("invoice")?,
                            delivery: f.boolean("delivery")?,
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Contacts => Records::Contacts(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Contact {
                            erp_id: f.id()?,
                            customer_id: f.req_id("party")?,
                            kind: f.text("type")?,
                            value: f.text("value")?,
                            name: f.opt_text("name")?,
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Products => Records::Products(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Product {
                            erp_id: f.id()?,
                            code: f.opt_text("code")?,
                            name: f.text("template.name")?,
                            description: f.opt_text("description")?,
                            unit: f.text("template.default_uom.symbol")?,
                            list_price: f.opt_decimal(list_price_field(self.module))?,
                            salable: f.boolean("template.salable")?,
                            pricing: ProductPricing {
                                cost_price: f.opt_decimal("cost_price")?,
                                category_ids: f.ids("template.categories_all")?,
                                unit_id: f.opt_id("template.default_uom")?,
                                unit_category_id: f.opt_id("template.default_uom.category")?,
                                sale_unit_id: f.opt_id("template.sale_uom")?,
                            },
                            active: f.boolean("active")? && f.boolean("template.active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Categories => Records::Categories(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Category {
                            erp_id: f.id()?,
                            name: f.text("name")?,
                            parent_id: f.opt_id("parent")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::PriceLists => Records::PriceLists(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(PriceListHead {
                            erp_id: f.id()?,
                            name: f.text("name")?,
                            base: f.list_base("price")?,
                            unit: f.list_unit("unit")?,
                            tax_included: f.boolean("tax_included")?,
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::PriceListLines => Records::PriceListLines(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(PriceListRule {
                            price_list_id: f.req_id("price_list")?,
                            line: PriceListLine {
                                erp_id: f.id()?,
                                sequence: f.opt_integer("sequence")?,
                                category_id: f.opt_id("category")?,
                                product_id: f.opt_id("product")?,
                                quantity: f.opt_float("quantity")?,
                                formula: f.text("formula")?,
                            },
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Promotions => Records::Promotions(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        let amount = f.opt_decimal("amount")?.filter(|amount| !amount.is_zero());
                        let unit = f.opt_id("unit")?;
                        Ok(PromotionRecord {
                            promotion: Promotion {
                                erp_id: f.id()?,
                                name: f.text("name")?,
                                start_date: f.opt_date("start_date")?,
                                end_date: f.opt_date("end_date")?,
                                price_list_id: f.opt_id("price_list")?,
                                // Tryton looks at the amount only when the
                                // promotion has a currency.
                                amount: f.opt_id("currency")?.and(amount),
                                untaxed_amount: f.boolean("untaxed_amount")?,
                                // ... and at the quantity only with a unit.
                                quantity: unit.and(f.opt_float("quantity")?),
                                unit_id: unit,
                                unit_category_id: f.opt_id("unit.category")?,
                                product_ids: f.ids("products")?,
                                category_ids: f.ids("categories")?,
                                formula: f.text("formula")?,
                            },
                            active: f.boolean("active")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Orders => Records::Orders(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Order {
                            erp_id: f.id()?,
                            number: f.opt_text("number")?,
                            customer_id: f.req_id("party")?,
                            customer_reference: f.opt_text("reference")?,
                            state: f.sale_state("state")?,
                            order_date: f.opt_date("sale_date")?,
                            currency: currency(&f)?,
                            untaxed: f.decimal("untaxed_amount")?,
                            tax: f.decimal("tax_amount")?,
                            total: f.decimal("total_amount")?,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::OrderLines => Records::OrderLines(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(OrderLine {
                            erp_id: f.id()?,
                            order_id: f.req_id("sale")?,
                            product_id: f.opt_id("product")?,
                            description: f.opt_text("description")?,
                            quantity: f.decimal("quantity")?,
                            unit: f.opt_text("unit.symbol")?,
                            unit_price: f.opt_decimal("unit_price")?,
                            // Tryton's `amount` is computed line by line
                            // on every read; it is this, as Tryton's
                            // `SaleLine.on_change_with_amount` computes it.
                            amount: {
                                let rounding = f.opt_decimal("sale.currency.rounding")?;
                                f.decimal("quantity")?
                                    .checked_mul(f.decimal("unit_price")?)
                                    .and_then(|amount| round_to_currency(amount, rounding))
                                    .ok_or_else(|| f.out_of_range("quantity × unit_price"))?
                            },
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Invoices => Records::Invoices(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        let erp_id = f.id()?;
                        let amount_to_pay = f.decimal("amount_to_pay")?;
                        Ok(Invoice {
                            erp_id,
                            customer_id: f.req_id("party")?,
                            number: f.opt_text("number")?,
                            invoice_date: f.opt_date("invoice_date")?,
                            due_date: due_dates.get(&erp_id).copied(),
                            currency: currency(&f)?,
                            total: f.decimal("total_amount")?,
                            amount_to_pay,
                            open: f.text("state")? == "posted"
                                && amount_to_pay > rust_decimal::Decimal::ZERO,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Payments => Records::Payments(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        Ok(Payment {
                            erp_id: f.id()?,
                            customer_id: f.req_id("party")?,
                            date: f.opt_date("date")?.ok_or_else(|| {
                                ErpError::Protocol("payment without a date".into())
                            })?,
                            currency: self.company_currency.clone(),
                            amount: f
                                .decimal("credit")?
                                .checked_sub(f.decimal("debit")?)
                                .ok_or_else(|| f.out_of_range("credit − debit"))?,
                            description: f
                                .opt_text("description")?
                                .or(f.opt_text("move_description_used")?),
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
            Entity::Complaints => Records::Complaints(
                rows.iter()
                    .map(each)
                    .map(|f| {
                        let (order_id, invoice_id) =
                            requests::origin_ids(f.opt_text("origin")?.as_deref());
                        Ok(AfterSalesRequest {
                            erp_id: f.id()?,
                            customer_id: f.req_id("customer")?,
                            number: f.opt_text("number")?,
                            date: f.opt_date("date")?,
                            state: f.request_state("state")?,
                            kind: f.opt_text("type.name")?,
                            description: f.opt_text("description")?,
                            order_id,
                            invoice_id,
                        })
                    })
                    .collect::<Result<_, ErpError>>()?,
            ),
        })
    }
}

/// How an entity is read from Tryton.
struct Model {
    name: &'static str,
    fields: &'static [&'static str],
    /// Restricts the model to what the entity means (e.g. customer invoices).
    domain: fn() -> Value,
    /// Whether the record also counts as changed when its template changed.
    template: bool,
    /// Related reference records read by id and filled in after the page
    /// came back (see [`Lookup`]).
    lookups: &'static [Lookup],
}

/// A field holding the id of a small reference record (`path`, dotted
/// through relations read in the page, e.g. `template.default_uom`), and
/// which field of the referenced `model` to show (`name`). After a page is
/// read, `path.name` is filled in as if it had been asked for as a dotted
/// field, from names read once per connection.
struct Lookup {
    path: &'static str,
    model: &'static str,
    name: &'static str,
}

const UNIT: Lookup = Lookup {
    path: "unit",
    model: "product.uom",
    name: "symbol",
};
/// The category of a unit (units, weight, ...): quantities add up only
/// within one.
const UNIT_CATEGORY: Lookup = Lookup {
    path: "unit",
    model: "product.uom",
    name: "category",
};
const CURRENCY: Lookup = Lookup {
    path: "currency",
    model: "currency.currency",
    name: "code",
};

const DATES: [&str; 2] = ["write_date", "create_date"];

/// The field that holds the list price Tryton uses for a product: the
/// module's one-query-per-page `fieldbook_list_price` where it is
/// installed, else Tryton's own `list_price_used`, computed product by
/// product (the same figure; tests/pull.rs checks every product).
fn list_price_field(module: bool) -> &'static str {
    if module {
        "fieldbook_list_price"
    } else {
        "list_price_used"
    }
}

/// `amount` rounded as Tryton's `Currency.round` rounds it: to a multiple
/// of the currency's rounding factor, half to even. Without a factor the
/// amount stays as it is, as in Tryton.
/// `None` when the figures are beyond what a decimal holds (a broken or
/// hostile answer), never a panic.
fn round_to_currency(amount: Decimal, factor: Option<Decimal>) -> Option<Decimal> {
    match factor {
        Some(factor) if !factor.is_zero() => amount
            .checked_div(factor)?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
            .checked_mul(factor),
        _ => Some(amount),
    }
}

/// A right on a model, as Tryton's `ir.model.access` names it.
#[derive(Clone, Copy, Debug)]
enum Access {
    Read,
    Create,
    Write,
}

impl Access {
    fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Create => "create",
            Access::Write => "write",
        }
    }
}

/// What creating or editing a customer writes.
const CUSTOMER_MODELS: [&str; 3] = ["party.party", "party.address", "party.contact_mechanism"];

/// Every model reading a page of `entity` touches: its own, the reference
/// records looked up, and for invoices the receivable lines that hold
/// their due dates.
fn models_read(entity: Entity) -> Vec<&'static str> {
    let model = model(entity, false);
    let mut models = vec![model.name];
    models.extend(model.lookups.iter().map(|lookup| lookup.model));
    if entity == Entity::Invoices {
        models.push("account.move.line");
    }
    models
}

fn model(entity: Entity, module: bool) -> Model {
    let everything: fn() -> Value = || json!([]);
    match entity {
        Entity::Warehouses => Model {
            name: "stock.location",
            fields: &["name", "code", "active"],
            domain: || json!([["type", "=", "warehouse"]]),
            template: false,
            lookups: &[],
        },
        Entity::Customers => Model {
            name: "party.party",
            fields: &[
                "code",
                "name",
                "active",
                "tax_identifier.code",
                "sale_price_list",
            ],
            domain: everything,
            template: false,
            lookups: &[],
        },
        Entity::Addresses => Model {
            name: "party.address",
            fields: &[
                "party",
                "party_name",
                "street",
                "postal_code",
                "city",
                "subdivision",
                "country",
                "invoice",
                "delivery",
                "active",
            ],
            domain: everything,
            template: false,
            lookups: &[
                Lookup {
                    path: "subdivision",
                    model: "country.subdivision",
                    name: "name",
                },
                Lookup {
                    path: "country",
                    model: "country.country",
                    name: "name",
                },
            ],
        },
        Entity::Contacts => Model {
            name: "party.contact_mechanism",
            fields: &["party", "type", "value", "name", "active"],
            domain: everything,
            template: false,
            lookups: &[],
        },
        Entity::Products => Model {
            name: "product.product",
            fields: if module {
                &[
                    "code",
                    "description",
                    "active",
                    "fieldbook_list_price",
                    "cost_price",
                    "template.name",
                    "template.default_uom",
                    "template.sale_uom",
                    "template.categories_all",
                    "template.salable",
                    "template.active",
                ]
            } else {
                &[
                    "code",
                    "description",
                    "active",
                    "list_price_used",
                    "cost_price",
                    "template.name",
                    "template.default_uom",
                    "template.sale_uom",
                    "template.categories_all",
                    "template.salable",
                    "template.active",
                ]
            },
            domain: everything,
            template: true,
            lookups: &[
                Lookup {
                    path: "template.default_uom",
                    ..UNIT
                },
                Lookup {
                    path: "template.default_uom",
                    ..UNIT_CATEGORY
                },
            ],
        },
        Entity::Categories => Model {
            name: "product.category",
            fields: &["name", "parent"],
            domain: everything,
            template: false,
            lookups: &[],
        },
        Entity::PriceLists => Model {
            name: "product.price_list",
            fields: &["name", "price", "unit", "tax_included", "active"],
            domain: everything,
            template: false,
            lookups: &[],
        },
        // Editing a line does not change its list's write_date: lines are
        // pulled on their own.
        Entity::PriceListLines => Model {
            name: "product.price_list.line",
            fields: &[
                "price_list",
                "sequence",
                "category",
                "product",
                "quantity",
                "formula",
            ],
            domain: everything,
            template: false,
            lookups: &[],
        },
        Entity::Promotions => Model {
            name: "sale.promotion",
            fields: &[
                "name",
                "start_date",
                "end_date",
                "price_list",
                "amount",
                "currency",
                "untaxed_amount",
                "quantity",
                "unit",
                "products",
                "categories",
                "formula",
                "active",
            ],
            domain: everything,
            template: false,
            lookups: &[UNIT_CATEGORY],
        },
        Entity::Orders => Model {
            name: "sale.sale",
            fields: &[
                "number",
                "party",
                "reference",
                "state",
                "sale_date",
                "currency",
                "untaxed_amount",
                "tax_amount",
                "total_amount",
            ],
            domain: everything,
            template: false,
            lookups: &[CURRENCY],
        },
        Entity::OrderLines => Model {
            name: "sale.line",
            fields: &[
                "sale",
                "sale.currency",
                "product",
                "description",
                "quantity",
                "unit",
                "unit_price",
            ],
            domain: || json!([["type", "=", "line"]]),
            template: false,
            lookups: &[
                UNIT,
                Lookup {
                    path: "sale.currency",
                    model: "currency.currency",
                    name: "rounding",
                },
            ],
        },
        Entity::Invoices => Model {
            name: "account.invoice",
            fields: &[
                "number",
                "party",
                "invoice_date",
                "state",
                "currency",
                "total_amount",
                "amount_to_pay",
                "lines_to_pay",
            ],
            domain: || {
                json!([
                    ["type", "=", "out"],
                    ["state", "in", ["posted", "paid", "cancelled"]]
                ])
            },
            template: false,
            lookups: &[CURRENCY],
        },
        Entity::Payments => Model {
            name: "account.move.line",
            fields: &[
                "party",
                "date",
                "credit",
                "debit",
                "description",
                "move_description_used",
            ],
            domain: || {
                json!([
                    ["party", "!=", null],
                    ["account.type.receivable", "=", true],
                    ["credit", ">", {"__class__": "Decimal", "decimal": "0"}],
                    ["move_state", "=", "posted"],
                ])
            },
            template: false,
            lookups: &[],
        },
        Entity::Complaints => Model {
            name: "sale.complaint",
            fields: &[
                "customer",
                "number",
                "date",
                "state",
                "type",
                "description",
                "origin",
            ],
            domain: everything,
            template: false,
            lookups: &[Lookup {
                path: "type",
                model: "sale.complaint.type",
                name: "name",
            }],
        },
    }
}

/// Stock moves created or changed at or after `since`.
fn stock_moves_since(since: DateTime<Utc>) -> Value {
    json!([changed_since(since, false)])
}

/// Customers' receivable lines created or changed at or after `since`.
fn receivable_lines_since(since: DateTime<Utc>) -> Value {
    json!([
        ["party", "!=", null],
        ["account.type.receivable", "=", true],
        changed_since(since, false)
    ])
}

/// The domain of records changed at or after `since`.
fn changed_since(since: DateTime<Utc>, template: bool) -> Value {
    let since = encode_datetime(since);
    let mut alternatives = vec![json!("OR")];
    let prefixes: &[&str] = if template { &["", "template."] } else { &[""] };
    for prefix in prefixes {
        for date in DATES {
            alternatives.push(json!([[format!("{prefix}{date}"), ">=", since]]));
        }
    }
    Value::Array(alternatives)
}

fn rows(result: Value) -> Result<Vec<Row>, ErpError> {
    match result {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(row) => Ok(row),
                other => Err(ErpError::Protocol(format!(
                    "expected a record, got {other}"
                ))),
            })
            .collect(),
        other => Err(ErpError::Protocol(format!(
            "expected a list of records, got {other}"
        ))),
    }
}

fn ids(result: Value) -> Result<Vec<ErpId>, ErpError> {
    match result {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                values::positive_id(item).ok_or_else(|| {
                    ErpError::Protocol(format!("expected an id above 0, got {item}"))
                })
            })
            .collect(),
        other => Err(ErpError::Protocol(format!("expected ids, got {other}"))),
    }
}

impl Tryton {
    /// The distinct ids that `field` of the `model` records matching
    /// `domain` point to, ascending.
    ///
    /// Reads [`ID_PAGE`] records at a time: after weeks offline the records
    /// matching can be many (tens of thousands of stock moves), and one
    /// call for all of them could outlast the ERP's time limit and stop
    /// every sync at the same step.
    async fn referenced_ids(
        &self,
        model: &'static str,
        domain: Value,
        field: &str,
    ) -> Result<Vec<ErpId>, ErpError> {
        let mut referenced = BTreeSet::new();
        let mut after = 0;
        loop {
            let page_domain = json!([domain.clone(), [["id", ">", after]]]);
            let rows = self
                .search_read(
                    model,
                    page_domain,
                    Some(ID_PAGE),
                    &[field],
                    self.context.clone(),
                )
                .await?;
            let mut last = after;
            for row in &rows {
                let fields = Fields { model, row };
                last = fields.id()?;
                referenced.insert(fields.req_id(field)?);
            }
            if rows.len() < ID_PAGE {
                return Ok(referenced.into_iter().collect());
            }
            after = next_after(model, after, last)?;
        }
    }

    /// The ids of the live records of `entity`, ascending, [`ID_PAGE`] at a
    /// time.
    async fn live_ids(&self, entity: Entity) -> Result<Vec<ErpId>, ErpError> {
        let model = model(entity, self.module);
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let result = self
                .rpc
                .call(
                    &format!("model.{}.search", model.name),
                    json!([
                        [(model.domain)(), [["id", ">", after]]],
                        0,
                        ID_PAGE,
                        [["id", "ASC"]],
                        self.context
                    ]),
                )
                .await?;
            let page = ids(result)?;
            let full = page.len() >= ID_PAGE;
            let last = page.last().copied().unwrap_or(after);
            all.extend(page);
            if !full {
                return Ok(all);
            }
            after = next_after(model.name, after, last)?;
        }
    }

    /// Fills in each lookup's `path.name` in `rows`, reading the names not
    /// yet known in one call per model.
    async fn fill_lookups(&self, rows: &mut [Row], lookups: &[Lookup]) -> Result<(), ErpError> {
        for lookup in lookups {
            let (relations, field) = match lookup.path.rsplit_once('.') {
                Some((relations, field)) => (relations.split('.').collect::<Vec<_>>(), field),
                None => (Vec::new(), lookup.path),
            };
            let mut wanted = BTreeSet::new();
            for row in rows.iter_mut() {
                if let Some(id) = related(row, &relations)
                    .and_then(|related| related.get(field))
                    .and_then(Value::as_i64)
                {
                    wanted.insert(id);
                }
            }
            let names = self.names_of(lookup, &wanted).await?;
            for row in rows.iter_mut() {
                let Some(related) = related_mut(row, &relations) else {
                    continue;
                };
                let Some(id) = related.get(field).and_then(Value::as_i64) else {
                    continue;
                };
                let name = names.get(&id).cloned().unwrap_or(Value::Null);
                // Several lookups of one path fill one related record.
                let filled = related
                    .entry(format!("{field}."))
                    .or_insert_with(|| Value::Object(Row::new()));
                if let Value::Object(filled) = filled {
                    filled.insert("id".into(), json!(id));
                    filled.insert(lookup.name.into(), name);
                }
            }
        }
        Ok(())
    }

    /// The `lookup.name` of each id, from what this connection has read
    /// before or from one `read` of the rest.
    async fn names_of(
        &self,
        lookup: &Lookup,
        ids: &BTreeSet<ErpId>,
    ) -> Result<HashMap<ErpId, Value>, ErpError> {
        let mut known = self.names.lock().await;
        let missing: Vec<ErpId> = ids
            .iter()
            .copied()
            .filter(|id| !known.contains_key(&(lookup.model, lookup.name, *id)))
            .collect();
        if !missing.is_empty() {
            let context = self.context_with(json!({"active_test": false}));
            for row in self
                .read(lookup.model, &missing, &[lookup.name], context)
                .await?
            {
                let fields = Fields {
                    model: lookup.model,
                    row: &row,
                };
                let name = row.get(lookup.name).cloned().unwrap_or(Value::Null);
                known.insert((lookup.model, lookup.name, fields.id()?), name);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| {
                known
                    .get(&(lookup.model, lookup.name, *id))
                    .map(|name| (*id, name.clone()))
            })
            .collect())
    }
}

/// The related record reached from `row` through `relations` (each read
/// as Tryton returns a dotted field, under "relation.").
fn related<'a>(row: &'a Row, relations: &[&str]) -> Option<&'a Row> {
    let mut current = row;
    for relation in relations {
        current = current.get(&format!("{relation}."))?.as_object()?;
    }
    Some(current)
}

fn related_mut<'a>(row: &'a mut Row, relations: &[&str]) -> Option<&'a mut Row> {
    let mut current = row;
    for relation in relations {
        current = current.get_mut(&format!("{relation}."))?.as_object_mut()?;
    }
    Some(current)
}

/// How many products one call of the module's stock method is asked for.
const MODULE_STOCK_BATCH: usize = 100_000;

/// Above this many products the module is asked for every product and the
/// answer filtered here: cheaper than a long `IN (...)` list.
const MODULE_STOCK_ALL_ABOVE: usize = 5_000;

impl Tryton {
    /// Stock through Fieldbook's Tryton module: one call for all warehouses,
    /// answering only products with a non-zero figure; the others have none.
    async fn stock_from_module(
        &self,
        products: &[ErpId],
        warehouses: &[ErpId],
    ) -> Result<Vec<StockLevel>, ErpError> {
        if products.is_empty() || warehouses.is_empty() {
            return Ok(Vec::new());
        }
        let filter = if products.len() > MODULE_STOCK_ALL_ABOVE {
            Value::Null
        } else {
            json!(products)
        };
        let answer = self
            .rpc
            .call(
                "model.product.product.fieldbook_stock",
                json!([warehouses, filter, self.context]),
            )
            .await?;
        let mut found: HashMap<(ErpId, ErpId), (Decimal, Decimal)> = HashMap::new();
        for &warehouse in warehouses {
            let rows = answer
                .get(warehouse.to_string())
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ErpError::Protocol(format!(
                        "no stock for warehouse {warehouse} in the module's answer"
                    ))
                })?;
            for row in rows {
                let figures = match row.as_array().map(Vec::as_slice) {
                    Some([product, on_hand, forecast]) => values::positive_id(product)
                        .zip(decode_decimal(on_hand))
                        .zip(decode_decimal(forecast)),
                    _ => None,
                };
                let Some(((product, on_hand), forecast)) = figures else {
                    return Err(ErpError::Protocol(format!(
                        "expected [product, quantity, forecast], got {row}"
                    )));
                };
                found.insert(
                    (product, warehouse),
                    (on_hand.normalize(), forecast.normalize()),
                );
            }
        }
        let mut levels = Vec::with_capacity(products.len() * warehouses.len());
        for &product_id in products {
            for &warehouse_id in warehouses {
                let (on_hand, forecast) = found
                    .get(&(product_id, warehouse_id))
                    .copied()
                    .unwrap_or_default();
                levels.push(StockLevel {
                    product_id,
                    warehouse_id,
                    on_hand,
                    forecast,
                });
            }
        }
        Ok(levels)
    }
}

impl Erp for Tryton {
    fn currency(&self) -> Currency {
        Currency {
            code: self.company_currency.clone(),
            digits: self.currency_digits,
        }
    }

    fn default_price_list(&self) -> Option<ErpId> {
        self.default_price_list
    }

    async fn survey(&self, questions: &[Question]) -> Result<Option<Survey>, ErpError> {
        if !self.module {
            return Ok(None);
        }
        // Each question as Fieldbook's module takes it: a model, a domain,
        // context to add, and the other models the part reads. Questions
        // about what this ERP does not hold (no after-sales requests) are
        // answered here.
        let mut queries = Vec::new();
        let mut asked = Vec::with_capacity(questions.len());
        for question in questions {
            let query = match *question {
                Question::Changed { entity, .. } | Question::Live(entity)
                    if !self.serves(entity) =>
                {
                    None
                }
                Question::Changed { entity, since } => {
                    let model = model(entity, true);
                    Some(json!([
                        model.name,
                        [(model.domain)(), changed_since(since, model.template)],
                        {"active_test": false},
                        models_read(entity),
                    ]))
                }
                Question::Live(entity) => {
                    let model = model(entity, true);
                    Some(json!([model.name, (model.domain)(), {}, []]))
                }
                Question::StockMoved(since) => {
                    Some(json!(["stock.move", stock_moves_since(since), {}, []]))
                }
                Question::CreditMoved(since) => Some(json!([
                    "account.move.line",
                    receivable_lines_since(since),
                    {},
                    []
                ])),
            };
            asked.push(query.is_some());
            queries.extend(query);
        }
        let answer = self
            .rpc
            .call(
                "model.fieldbook.sync.survey",
                json!([queries, self.context]),
            )
            .await?;
        let clock = values::decode_datetime(&answer["clock"])
            .ok_or_else(|| ErpError::Protocol(format!("expected the ERP's clock in {answer}")))?;
        let mut given = answer["answers"]
            .as_array()
            .filter(|answers| answers.len() == queries.len())
            .ok_or_else(|| {
                ErpError::Protocol(format!(
                    "expected {} answers to the survey, got {answer}",
                    queries.len()
                ))
            })?
            .iter();
        let answers = asked
            .into_iter()
            .map(|asked| match asked {
                false => Ok(0),
                true => self.survey_answer(given.next().unwrap_or(&Value::Null)),
            })
            .collect();
        Ok(Some(Survey { clock, answers }))
    }

    async fn send_sale(
        &self,
        uuid: &str,
        draft: &SaleDraft,
        acknowledged_warning: Option<&str>,
    ) -> Result<crate::SentSale, ErpError> {
        let sent = self
            .send_sale_to_tryton(uuid, draft, acknowledged_warning)
            .await;
        self.with_rights(sent, &["sale.sale", "sale.line"], Access::Create)
            .await
    }

    async fn confirm_sale(
        &self,
        sale: &SaleRef,
        acknowledged_warning: Option<&str>,
    ) -> Result<crate::SentSale, ErpError> {
        let confirmed = self
            .confirm_sale_in_tryton(sale, acknowledged_warning)
            .await;
        self.with_rights(confirmed, &["sale.sale"], Access::Write)
            .await
    }

    async fn create_customer(
        &self,
        uuid: &str,
        draft: &fieldbook_core::customers::CustomerDraft,
    ) -> Result<crate::SentCustomer, ErpError> {
        let created = self.create_customer_in_tryton(uuid, draft).await;
        self.with_rights(created, &CUSTOMER_MODELS, Access::Create)
            .await
    }

    async fn edit_customer(
        &self,
        edit: &fieldbook_core::customers::CustomerEdit,
    ) -> Result<crate::SentCustomer, ErpError> {
        let edited = self.edit_customer_in_tryton(edit).await;
        self.with_rights(edited, &CUSTOMER_MODELS, Access::Write)
            .await
    }

    async fn file_request(
        &self,
        uuid: &str,
        draft: &fieldbook_core::requests::RequestDraft,
        acknowledged_warning: Option<&str>,
    ) -> Result<crate::SentRequest, ErpError> {
        let filed = self
            .file_request_in_tryton(uuid, draft, acknowledged_warning)
            .await;
        self.with_rights(filed, &["sale.complaint"], Access::Create)
            .await
    }

    async fn held(
        &self,
        kind: fieldbook_core::Created,
        uuid: &str,
    ) -> Result<Option<fieldbook_core::HeldRecord>, ErpError> {
        let model = match kind {
            fieldbook_core::Created::Sale => "sale.sale",
            fieldbook_core::Created::Customer => "party.party",
            fieldbook_core::Created::Request => "sale.complaint",
        };
        let held = self.held_in_tryton(kind, uuid).await;
        self.with_rights(held, &[model], Access::Read).await
    }

    fn exact_clock(&self) -> bool {
        self.module && self.exact_clock
    }

    async fn clock(&self) -> Result<DateTime<Utc>, ErpError> {
        if self.module {
            // The start of the oldest transaction still running (on
            // PostgreSQL a row is dated by its transaction's start, and seen
            // only once it commits), else the server's time: see the
            // module's sync.py.
            let clock = self
                .rpc
                .call("model.fieldbook.sync.clock", json!([self.context]))
                .await?;
            return values::decode_datetime(&clock).ok_or_else(|| {
                ErpError::Protocol(format!("expected the ERP's clock, got {clock}"))
            });
        }
        // Any answer carries the server's Date header; the version call is
        // the cheapest there is.
        self.rpc
            .call_server("common.server.version", json!([]))
            .await?;
        self.rpc
            .server_date()
            .ok_or_else(|| ErpError::Protocol("the ERP sends no Date header".into()))
    }

    async fn pull(&self, entity: Entity, request: PullRequest) -> Result<Records, ErpError> {
        let page = self.pull_page(entity, request).await;
        self.with_rights(page, &models_read(entity), Access::Read)
            .await
    }

    async fn count(&self, entity: Entity) -> Result<u64, ErpError> {
        let count = self.count_live(entity).await;
        self.with_rights(count, &[model(entity, false).name], Access::Read)
            .await
    }

    async fn ids(&self, entity: Entity) -> Result<Vec<ErpId>, ErpError> {
        if !self.serves(entity) {
            return Ok(Vec::new());
        }
        let ids = self.live_ids(entity).await;
        self.with_rights(ids, &[model(entity, false).name], Access::Read)
            .await
    }

    fn stock_batch(&self) -> Option<usize> {
        // One call of the module serves every product at about the cost of
        // one; product by product, a few hundred per call keep each short.
        self.module.then_some(MODULE_STOCK_BATCH)
    }

    async fn stock(
        &self,
        products: &[ErpId],
        warehouses: &[ErpId],
    ) -> Result<Vec<StockLevel>, ErpError> {
        let levels = self.stock_levels(products, warehouses).await;
        self.with_rights(levels, &["product.product"], Access::Read)
            .await
    }

    async fn credit(&self, customers: &[ErpId]) -> Result<Vec<Credit>, ErpError> {
        let credits = self.credits(customers).await;
        self.with_rights(credits, &["party.party"], Access::Read)
            .await
    }

    async fn products_moved_since(&self, since: DateTime<Utc>) -> Result<Vec<ErpId>, ErpError> {
        let moved = self
            .referenced_ids("stock.move", stock_moves_since(since), "product")
            .await;
        self.with_rights(moved, &["stock.move"], Access::Read).await
    }

    async fn customers_with_receivables_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ErpId>, ErpError> {
        let moved = self
            .referenced_ids("account.move.line", receivable_lines_since(since), "party")
            .await;
        self.with_rights(moved, &["account.move.line"], Access::Read)
            .await
    }
}

/// Reading, before a refusal is explained (see [`Tryton::explained`]).
impl Tryton {
    /// One answer of the module's survey: a count, or the model the user
    /// may not read.
    fn survey_answer(&self, answer: &Value) -> Result<u64, ErpError> {
        if let Some(count) = answer["count"].as_u64() {
            return Ok(count);
        }
        match (answer["denied"].as_str(), answer["message"].as_str()) {
            (Some(model), Some(message)) => Err(ErpError::NotPermitted {
                login: self.rpc.login_name().to_owned(),
                action: Access::Read.name(),
                model: model.to_owned(),
                detail: message.to_owned(),
            }),
            _ => Err(ErpError::Protocol(format!(
                "expected a count in the survey, got {answer}"
            ))),
        }
    }

    async fn pull_page(&self, entity: Entity, request: PullRequest) -> Result<Records, ErpError> {
        if !self.serves(entity) {
            return Ok(Records::empty(entity));
        }
        let model = model(entity, self.module);
        // A customer's price list is a field of `sale_price_list`.
        let fields: Vec<&str> = model
            .fields
            .iter()
            .copied()
            .filter(|field| self.price_lists || *field != "sale_price_list")
            .collect();
        let mut domain = vec![(model.domain)(), json!([["id", ">", request.after_id]])];
        // A delta includes deactivated records, so they leave the cache; a
        // full pull reads live records only.
        let context = match request.since {
            Some(since) => {
                domain.push(changed_since(since, model.template));
                self.context_with(json!({"active_test": false}))
            }
            None => self.context.clone(),
        };
        let mut rows = self
            .search_read(
                model.name,
                json!(domain),
                Some(request.limit),
                &fields,
                context,
            )
            .await?;
        self.fill_lookups(&mut rows, model.lookups).await?;
        let due_dates = if entity == Entity::Invoices {
            self.due_dates(&rows).await?
        } else {
            HashMap::new()
        };
        self.convert(entity, &rows, &due_dates)
    }

    async fn count_live(&self, entity: Entity) -> Result<u64, ErpError> {
        if !self.serves(entity) {
            return Ok(0);
        }
        let model = model(entity, self.module);
        let count = self
            .rpc
            .call(
                &format!("model.{}.search_count", model.name),
                json!([(model.domain)(), self.context]),
            )
            .await?;
        count
            .as_u64()
            .ok_or_else(|| ErpError::Protocol(format!("expected a count, got {count}")))
    }

    async fn stock_levels(
        &self,
        products: &[ErpId],
        warehouses: &[ErpId],
    ) -> Result<Vec<StockLevel>, ErpError> {
        if self.module {
            return self.stock_from_module(products, warehouses).await;
        }
        let mut levels = Vec::new();
        for &warehouse in warehouses {
            let context = self.context_with(json!({"locations": [warehouse], "with_childs": true}));
            let rows = self
                .read_existing(
                    "product.product",
                    products,
                    &["quantity", "forecast_quantity"],
                    context,
                )
                .await?;
            for row in &rows {
                let fields = Fields {
                    model: "product.product",
                    row,
                };
                levels.push(StockLevel {
                    product_id: fields.id()?,
                    warehouse_id: warehouse,
                    on_hand: fields.decimal("quantity")?.normalize(),
                    forecast: fields.decimal("forecast_quantity")?.normalize(),
                });
            }
        }
        Ok(levels)
    }

    async fn credits(&self, customers: &[ErpId]) -> Result<Vec<Credit>, ErpError> {
        let fields = ["credit_amount", "credit_limit_amount", "receivable"];
        let rows = self
            .read_existing("party.party", customers, &fields, self.context.clone())
            .await?;
        rows.iter()
            .map(|row| {
                let fields = Fields {
                    model: "party.party",
                    row,
                };
                Ok(Credit {
                    customer_id: fields.id()?,
                    currency: self.company_currency.clone(),
                    limit: fields.opt_decimal("credit_limit_amount")?,
                    used: fields.decimal("credit_amount")?,
                    receivable: fields.decimal("receivable")?,
                })
            })
            .collect()
    }
}

/// Decodes `body` as an answer of Tryton's and reads it the ways the sync
/// reads answers (records, ids, each field kind): for the fuzz target in
/// `fuzz/`, which must find no input that panics. Not for other use.
#[doc(hidden)]
pub fn fuzz_answer(body: &[u8]) {
    let Ok(result) = rpc::decode_for_fuzzing(body) else {
        return;
    };
    let _ = ids(result.clone());
    let Ok(rows) = rows(result) else {
        return;
    };
    for row in &rows {
        let fields = Fields { model: "fuzz", row };
        for field in row.keys() {
            let _ = fields.opt_id(field);
            let _ = fields.ids(field);
            let _ = fields.text(field);
            let _ = fields.boolean(field);
            let _ = fields.decimal(field);
            let _ = fields.opt_date(field);
            let _ = values::decode_datetime(fields.row.get(field).unwrap_or(&Value::Null));
        }
        let _ = fields.id();
        let amount = fields
            .decimal("quantity")
            .ok()
            .zip(fields.decimal("unit_price").ok())
            .and_then(|(quantity, price)| quantity.checked_mul(price));
        let _ = amount
            .map(|amount| round_to_currency(amount, fields.opt_decimal("rounding").ok().flatten()));
    }
}

/// How many records one call reads when the answer is ids only (a page
/// of 10,000 stock moves is about 0.3 MB and a fraction of a second).
const ID_PAGE: usize = 10_000;

/// The cursor after a full page ending at `last`: it must move forward,
/// or an ERP that answers the same page again would be asked forever.
fn next_after(model: &str, after: ErpId, last: ErpId) -> Result<ErpId, ErpError> {
    if last <= after {
        return Err(ErpError::Protocol(format!(
            "{model}: a full page of records did not move past id {after}"
        )));
    }
    Ok(last)
}

/// A bare JSON-RPC session, for tools that speak Tryton's own words: the
/// test harness and benchmarks edit records with it, as an administrator
/// would in Tryton's client. Fieldbook's engine never uses it.
pub struct RawSession {
    rpc: rpc::Rpc,
    context: Value,
}

impl RawSession {
    pub async fn connect(config: TrytonConfig) -> Result<RawSession, ErpError> {
        let rpc = rpc::Rpc::new(config)?;
        rpc.login().await?;
        let context = rpc
            .call("model.res.user.get_preferences", json!([true, {}]))
            .await?;
        Ok(RawSession { rpc, context })
    }

    /// The user's context, to pass as the last parameter of model calls.
    pub fn context(&self) -> &Value {
        &self.context
    }

    /// Calls `method` (e.g. `model.party.party.write`) with `params`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ErpError> {
        self.rpc.call(method, params).await
    }

    pub fn calls(&self) -> u64 {
        self.rpc.calls()
    }
}

#[cfg(test)]
mod tests {
    use super::round_to_currency;
    use rust_decimal::dec;

    #[test]
    fn amounts_round_as_trytons_currency_round() {
        // Decimal('12.345') / Decimal('0.01') quantized half-even, times 0.01.
        assert_eq!(
            round_to_currency(dec!(12.345), Some(dec!(0.01))),
            Some(dec!(12.34))
        );
        assert_eq!(
            round_to_currency(dec!(12.355), Some(dec!(0.01))),
            Some(dec!(12.36))
        );
        assert_eq!(
            round_to_currency(dec!(-12.345), Some(dec!(0.01))),
            Some(dec!(-12.34))
        );
        // A factor that is not a power of ten (Swiss rappen).
        assert_eq!(
            round_to_currency(dec!(12.37), Some(dec!(0.05))),
            Some(dec!(12.35))
        );
        assert_eq!(
            round_to_currency(dec!(12.375), Some(dec!(0.05))),
            Some(dec!(12.40))
        );
        // Yen: whole units.
        assert_eq!(
            round_to_currency(dec!(1234.5), Some(dec!(1))),
            Some(dec!(1234))
        );
        // No factor: unrounded, as Tryton leaves it.
        assert_eq!(round_to_currency(dec!(1.23456), None), Some(dec!(1.23456)));
        assert_eq!(
            round_to_currency(dec!(1.23456), Some(dec!(0))),
            Some(dec!(1.23456))
        );
    }

    #[test]
    fn amounts_beyond_a_decimal_are_none_not_a_panic() {
        let huge = rust_decimal::Decimal::MAX;
        assert_eq!(
            round_to_currency(huge, Some(dec!(0.0000000000000000000000000001))),
            None
        );
        assert_eq!(round_to_currency(huge, Some(dec!(0.01))), None);
    }
}
