//! What the cache answers: a customer's page, a product's page, the status
//! of the cache. Each figure comes with when it was synced.

use crate::apply::{Figure, table};
use crate::columns::{parse_date, parse_decimal, parse_time, time};
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use fieldbook_core::{
    Address, AfterSalesRequest, Contact, Credit, Currency, Customer, Entity, ErpId, Invoice,
    OrderLine, Payment, Product, ProductPricing, RequestState, SaleState, StockLevel,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

/// A value and when the laptop last received it from the ERP.
#[derive(Clone, Debug, PartialEq)]
pub struct Synced<T> {
    pub value: T,
    pub synced_at: DateTime<Utc>,
}

/// Everything a salesperson looks at about one customer.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerView {
    pub customer: Synced<Customer>,
    pub addresses: Vec<Address>,
    pub contacts: Vec<Contact>,
    pub credit: Option<Synced<Credit>>,
    /// Open invoices, earliest due first.
    pub open_invoices: Vec<Synced<Invoice>>,
    /// Newest first.
    pub recent_orders: Vec<Synced<OrderSummary>>,
    /// Newest first.
    pub recent_payments: Vec<Synced<Payment>>,
    /// After-sales requests, newest first: every one still open, and the
    /// last closed ones. One written offline and not yet in the ERP has a
    /// negative id.
    pub requests: Vec<Synced<AfterSalesRequest>>,
}

impl CustomerView {
    /// The address a new quote or order uses unless told otherwise: the
    /// customer's first invoice (or delivery) address, else their first.
    pub fn default_address(&self, invoice: bool) -> Option<ErpId> {
        self.addresses
            .iter()
            .find(|address| {
                if invoice {
                    address.invoice
                } else {
                    address.delivery
                }
            })
            .or(self.addresses.first())
            .map(|address| address.erp_id)
    }
}

/// How a customer is named: by the code people know it by (any case), or
/// by its ERP id. Never a guess between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerRef<'a> {
    Code(&'a str),
    Id(ErpId),
}

/// How a product is named: by its code (any case), or by its ERP id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductRef<'a> {
    Code(&'a str),
    Id(ErpId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderSummary {
    pub erp_id: ErpId,
    pub customer_id: ErpId,
    pub number: Option<String>,
    pub state: SaleState,
    pub order_date: Option<NaiveDate>,
    pub currency: String,
    pub total: Decimal,
    pub line_count: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProductView {
    pub product: Synced<Product>,
    pub stock: Vec<StockRow>,
}

/// A product's stock in one warehouse. Warehouses where the product has
/// never been stocked show zero.
#[derive(Clone, Debug, PartialEq)]
pub struct StockRow {
    pub warehouse_id: ErpId,
    pub warehouse: String,
    pub level: StockLevel,
    /// `None`: stock for this product has not been fetched yet.
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErpLink {
    pub url: String,
    pub database: String,
    pub login: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EntityStatus {
    pub entity: Entity,
    pub records: u64,
    pub last_complete_sync: Option<DateTime<Utc>>,
    /// A pull was interrupted and will resume where it stopped.
    pub interrupted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub erp: Option<ErpLink>,
    pub schema_version: i64,
    pub entities: Vec<EntityStatus>,
    pub stock_refresh_pending: u64,
    pub credit_refresh_pending: u64,
    pub oldest_credit: Option<DateTime<Utc>>,
    pub oldest_stock: Option<DateTime<Utc>>,
    /// Parts of the sync the ERP user may not read.
    pub not_readable: Vec<crate::NotReadable>,
}

impl Store {
    pub fn set_erp_link(&mut self, link: &ErpLink) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO erp_link (id, url, database, login, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
            params![link.url, link.database, link.login, time(link.created_at)],
        )?;
        Ok(())
    }

    pub fn erp_link(&self) -> Result<Option<ErpLink>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT url, database, login, created_at FROM erp_link WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(url, database, login, created_at)| {
            Ok(ErpLink {
                url,
                database,
                login,
                created_at: parse_time(&created_at)?,
            })
        })
        .transpose()
    }

    pub fn status(&self) -> Result<Status, StoreError> {
        let mut entities = Vec::new();
        for entity in Entity::ALL {
            let cursor = self.pull_cursor(entity)?;
            entities.push(EntityStatus {
                entity,
                records: self.local_count(entity)?,
                last_complete_sync: cursor.completed_at,
                interrupted: cursor.in_progress(),
            });
        }
        let oldest = |sql: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
            let value: Option<String> = self.conn.query_row(sql, [], |row| row.get(0))?;
            value.as_deref().map(parse_time).transpose()
        };
        Ok(Status {
            erp: self.erp_link()?,
            schema_version: self.schema_version()?,
            entities,
            stock_refresh_pending: self.queued_count(Figure::Stock)?,
            credit_refresh_pending: self.queued_count(Figure::Credit)?,
            oldest_credit: oldest("SELECT min(synced_at) FROM credits")?,
            oldest_stock: oldest("SELECT min(synced_at) FROM stock_levels")?,
            not_readable: self.not_readable()?,
        })
    }

    /// A customer as a person types it: its code or, when no code matches
    /// and the text is a number, its ERP id.
    pub fn customer_as_typed(&self, text: &str) -> Result<Option<CustomerView>, StoreError> {
        match self.customer(CustomerRef::Code(text))? {
            Some(found) => Ok(Some(found)),
            None => match text.trim().parse::<ErpId>() {
                Ok(id) => self.customer(CustomerRef::Id(id)),
                Err(_) => Ok(None),
            },
        }
    }

    /// A product as a person types it: its code or, when no code matches
    /// and the text is a number, its ERP id.
    pub fn product_as_typed(&self, text: &str) -> Result<Option<ProductView>, StoreError> {
        match self.product(ProductRef::Code(text))? {
            Some(found) => Ok(Some(found)),
            None => match text.trim().parse::<ErpId>() {
                Ok(id) => self.product(ProductRef::Id(id)),
                Err(_) => Ok(None),
            },
        }
    }

    /// A customer by its code (case does not matter) or by its ERP id.
    pub fn customer(&self, customer: CustomerRef<'_>) -> Result<Option<CustomerView>, StoreError> {
        let (condition, key) = match customer {
            CustomerRef::Code(code) => (
                "lower(code) = lower(?1)",
                rusqlite::types::Value::Text(code.to_owned()),
            ),
            CustomerRef::Id(id) => ("erp_id = ?1", rusqlite::types::Value::Integer(id)),
        };
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT erp_id, code, name, tax_id, synced_at, price_list_id FROM customers WHERE {condition} LIMIT 1"
                ),
                [key],
                |row| {
                    Ok((
                        row.get::<_, ErpId>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, Option<ErpId>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((erp_id, code, name, tax_id, synced_at, price_list_id)) = found else {
            return Ok(None);
        };
        let customer = Synced {
            value: Customer {
                erp_id,
                code,
                name,
                tax_id,
                price_list_id,
                active: true,
            },
            synced_at: parse_time(&synced_at)?,
        };
        Ok(Some(CustomerView {
            customer,
            addresses: self.addresses(erp_id)?,
            contacts: self.contacts(erp_id)?,
            credit: self.credit(erp_id)?,
            open_invoices: self.open_invoices(erp_id)?,
            recent_orders: self.recent_orders(erp_id, 10)?,
            recent_payments: self.recent_payments(erp_id, 10)?,
            requests: self.requests(erp_id, 10)?,
        }))
    }

    fn requests(
        &self,
        customer_id: ErpId,
        closed: usize,
    ) -> Result<Vec<Synced<AfterSalesRequest>>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, number, date, state, kind, description, order_id, invoice_id, synced_at
             FROM complaints WHERE customer_id = ?1
             ORDER BY erp_id < 0 DESC, date DESC, erp_id DESC",
        )?;
        let rows = statement.query_map([customer_id], |row| {
            Ok((
                (
                    row.get::<_, ErpId>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ),
                (
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<ErpId>>(6)?,
                    row.get::<_, Option<ErpId>>(7)?,
                    row.get::<_, String>(8)?,
                ),
            ))
        })?;
        let mut requests = Vec::new();
        let mut closed_kept = 0;
        for row in rows {
            let (
                (erp_id, number, date, state, kind),
                (description, order_id, invoice_id, synced_at),
            ) = row?;
            let state = parse_request_state(&state)?;
            if state.is_closed() {
                if closed_kept == closed {
                    continue;
                }
                closed_kept += 1;
            }
            requests.push(Synced {
                value: AfterSalesRequest {
                    erp_id,
                    customer_id,
                    number,
                    date: date.as_deref().map(parse_date).transpose()?,
                    state,
                    kind,
                    description,
                    order_id,
                    invoice_id,
                },
                synced_at: parse_time(&synced_at)?,
            });
        }
        Ok(requests)
    }

    /// A synced invoice of a customer by its number (any case): its id and
    /// customer.
    pub fn invoice_by_number(&self, number: &str) -> Result<Option<(ErpId, ErpId)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT erp_id, customer_id FROM invoices WHERE lower(number) = lower(?1) ORDER BY erp_id LIMIT 1",
                [number],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    fn addresses(&self, customer_id: ErpId) -> Result<Vec<Address>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, name, street, postal_code, city, subdivision, country, invoice, delivery
             FROM addresses WHERE customer_id = ?1 ORDER BY erp_id",
        )?;
        let rows = statement.query_map([customer_id], |row| {
            Ok(Address {
                erp_id: row.get(0)?,
                customer_id,
                name: row.get(1)?,
                street: row.get(2)?,
                postal_code: row.get(3)?,
                city: row.get(4)?,
                subdivision: row.get(5)?,
                country: row.get(6)?,
                invoice: row.get(7)?,
                delivery: row.get(8)?,
                active: true,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn contacts(&self, customer_id: ErpId) -> Result<Vec<Contact>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, kind, value, name FROM contacts WHERE customer_id = ?1 ORDER BY erp_id",
        )?;
        let rows = statement.query_map([customer_id], |row| {
            Ok(Contact {
                erp_id: row.get(0)?,
                customer_id,
                kind: row.get(1)?,
                value: row.get(2)?,
                name: row.get(3)?,
                active: true,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn credit(&self, customer_id: ErpId) -> Result<Option<Synced<Credit>>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT currency, credit_limit, used, receivable, synced_at FROM credits WHERE customer_id = ?1",
                [customer_id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(currency, limit, used, receivable, synced_at)| {
            Ok(Synced {
                value: Credit {
                    customer_id,
                    currency,
                    limit: limit.as_deref().map(parse_decimal).transpose()?,
                    used: parse_decimal(&used)?,
                    receivable: parse_decimal(&receivable)?,
                },
                synced_at: parse_time(&synced_at)?,
            })
        })
        .transpose()
    }

    fn open_invoices(&self, customer_id: ErpId) -> Result<Vec<Synced<Invoice>>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, number, invoice_date, due_date, currency, total, amount_to_pay, synced_at
             FROM invoices WHERE customer_id = ?1 ORDER BY due_date IS NULL, due_date, erp_id",
        )?;
        let rows = statement.query_map([customer_id], |row| {
            (0..8)
                .map(|i| row.get::<_, Option<rusqlite::types::Value>>(i))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut invoices = Vec::new();
        for row in rows {
            let row = row?;
            let text = |i: usize| match &row[i] {
                Some(rusqlite::types::Value::Text(text)) => Some(text.clone()),
                _ => None,
            };
            let erp_id = match &row[0] {
                Some(rusqlite::types::Value::Integer(id)) => *id,
                other => return Err(StoreError::BadValue(format!("invoice id {other:?}"))),
            };
            invoices.push(Synced {
                value: Invoice {
                    erp_id,
                    customer_id,
                    number: text(1),
                    invoice_date: text(2).as_deref().map(parse_date).transpose()?,
                    due_date: text(3).as_deref().map(parse_date).transpose()?,
                    currency: text(4).unwrap_or_default(),
                    total: parse_decimal(&text(5).unwrap_or_default())?,
                    amount_to_pay: parse_decimal(&text(6).unwrap_or_default())?,
                    open: true,
                },
                synced_at: parse_time(&text(7).unwrap_or_default())?,
            });
        }
        Ok(invoices)
    }

    fn recent_orders(
        &self,
        customer_id: ErpId,
        limit: usize,
    ) -> Result<Vec<Synced<OrderSummary>>, StoreError> {
        self.orders_where(
            "o.customer_id = ?1 ORDER BY o.order_date DESC, o.erp_id DESC LIMIT ?2",
            params![customer_id, limit as i64],
        )
    }

    /// A synced order or quotation by its ERP id.
    pub fn order(&self, erp_id: ErpId) -> Result<Option<Synced<OrderSummary>>, StoreError> {
        Ok(self.orders_where("o.erp_id = ?1", params![erp_id])?.pop())
    }

    /// A synced order or quotation by its ERP number (any case).
    pub fn order_by_number(
        &self,
        number: &str,
    ) -> Result<Option<Synced<OrderSummary>>, StoreError> {
        Ok(self
            .orders_where(
                "lower(o.number) = lower(?1) ORDER BY o.erp_id LIMIT 1",
                params![number],
            )?
            .pop())
    }

    fn orders_where(
        &self,
        condition: &str,
        values: impl rusqlite::Params,
    ) -> Result<Vec<Synced<OrderSummary>>, StoreError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT o.erp_id, o.number, o.state, o.order_date, o.currency, o.total, o.synced_at,
                    (SELECT count(*) FROM order_lines l WHERE l.order_id = o.erp_id), o.customer_id
             FROM orders o WHERE {condition}"
        ))?;
        let rows = statement.query_map(values, |row| {
            Ok((
                (
                    row.get::<_, ErpId>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ),
                (
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, ErpId>(8)?,
                ),
            ))
        })?;
        rows.map(|row| {
            let (
                (erp_id, number, state, order_date),
                (currency, total, synced_at, line_count, customer_id),
            ) = row?;
            Ok(Synced {
                value: OrderSummary {
                    erp_id,
                    customer_id,
                    number,
                    state: parse_sale_state(&state)?,
                    order_date: order_date.as_deref().map(parse_date).transpose()?,
                    currency,
                    total: parse_decimal(&total)?,
                    line_count: line_count as u64,
                },
                synced_at: parse_time(&synced_at)?,
            })
        })
        .collect()
    }

    fn recent_payments(
        &self,
        customer_id: ErpId,
        limit: usize,
    ) -> Result<Vec<Synced<Payment>>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, date, currency, amount, description, synced_at
             FROM payments WHERE customer_id = ?1 ORDER BY date DESC, erp_id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![customer_id, limit as i64], |row| {
            Ok((
                row.get::<_, ErpId>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (erp_id, date, currency, amount, description, synced_at) = row?;
            Ok(Synced {
                value: Payment {
                    erp_id,
                    customer_id,
                    date: parse_date(&date)?,
                    currency,
                    amount: parse_decimal(&amount)?,
                    description,
                },
                synced_at: parse_time(&synced_at)?,
            })
        })
        .collect()
    }

    /// A product by its code (case does not matter) or by its ERP id,
    /// with its stock in every warehouse.
    pub fn product(&self, product: ProductRef<'_>) -> Result<Option<ProductView>, StoreError> {
        let (condition, key) = match product {
            ProductRef::Code(code) => (
                "lower(code) = lower(?1)",
                rusqlite::types::Value::Text(code.to_owned()),
            ),
            ProductRef::Id(id) => ("erp_id = ?1", rusqlite::types::Value::Integer(id)),
        };
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT erp_id, code, name, description, unit, list_price, salable, synced_at,
                         cost_price, unit_id, unit_category_id, sale_unit_id
                     FROM products WHERE {condition} LIMIT 1"
                ),
                [key],
                product_row,
            )
            .optional()?;
        let Some(row) = found else { return Ok(None) };
        let categories = category_ids(&self.conn, row.erp_id)?;
        let product = row.into_synced(categories)?;
        let mut statement = self.conn.prepare_cached(
            "SELECT w.erp_id, w.name, s.on_hand, s.forecast, s.synced_at
             FROM warehouses w LEFT JOIN stock_levels s ON s.warehouse_id = w.erp_id AND s.product_id = ?1
             ORDER BY w.name",
        )?;
        let rows = statement.query_map([product.value.erp_id], |row| {
            Ok((
                row.get::<_, ErpId>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        let product_synced = self.conn.query_row(
            "SELECT min(synced_at) FROM stock_levels WHERE product_id = ?1",
            [product.value.erp_id],
            |row| row.get::<_, Option<String>>(0),
        )?;
        let mut stock = Vec::new();
        for row in rows {
            let (warehouse_id, warehouse, on_hand, forecast, synced_at) = row?;
            let zero = || "0".to_string();
            stock.push(StockRow {
                warehouse_id,
                warehouse,
                level: StockLevel {
                    product_id: product.value.erp_id,
                    warehouse_id,
                    on_hand: parse_decimal(&on_hand.unwrap_or_else(zero))?,
                    forecast: parse_decimal(&forecast.unwrap_or_else(zero))?,
                },
                // A warehouse with no row has no stock as of the product's
                // last stock refresh, if there was one.
                synced_at: synced_at
                    .or_else(|| product_synced.clone())
                    .as_deref()
                    .map(parse_time)
                    .transpose()?,
            });
        }
        Ok(Some(ProductView { product, stock }))
    }

    /// The lines of a synced order, as the ERP last sent them, in the
    /// ERP's order.
    pub fn order_lines(&self, order_id: ErpId) -> Result<Vec<Synced<OrderLine>>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, product_id, description, quantity, unit, unit_price, amount, synced_at
             FROM order_lines WHERE order_id = ?1 ORDER BY erp_id",
        )?;
        let rows = statement.query_map([order_id], |row| {
            Ok((
                row.get::<_, ErpId>(0)?,
                row.get::<_, Option<ErpId>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
            ))
        })?;
        rows.map(|row| {
            let (erp_id, product_id, description, quantity, unit, unit_price, amount, synced_at) =
                row?;
            Ok(Synced {
                value: OrderLine {
                    erp_id,
                    order_id,
                    product_id,
                    description,
                    quantity: parse_decimal(&quantity)?,
                    unit,
                    unit_price: unit_price.as_deref().map(parse_decimal).transpose()?,
                    amount: parse_decimal(&amount)?,
                },
                synced_at: parse_time(&synced_at)?,
            })
        })
        .collect()
    }

    /// Ids of every cached record of an entity whose table is named by it;
    /// also used by tests to compare with the ERP.
    pub fn count_where(&self, entity: Entity, condition: &str) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM {} WHERE {condition}", table(entity));
        Ok(self.conn.query_row(&sql, [], |row| row.get::<_, i64>(0))? as u64)
    }
}

/// A product's categories as the cache holds them (the accounting one
/// included, not their parents).
pub(crate) fn category_ids(conn: &Connection, product_id: ErpId) -> Result<Vec<ErpId>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT category_id FROM product_categories WHERE product_id = ?1 ORDER BY category_id",
    )?;
    let ids = statement.query_map([product_id], |row| row.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

struct ProductRow {
    erp_id: ErpId,
    code: Option<String>,
    name: String,
    description: Option<String>,
    unit: String,
    list_price: Option<String>,
    salable: bool,
    synced_at: String,
    cost_price: Option<String>,
    unit_id: Option<ErpId>,
    unit_category_id: Option<ErpId>,
    sale_unit_id: Option<ErpId>,
}

fn product_row(row: &Row) -> rusqlite::Result<ProductRow> {
    Ok(ProductRow {
        erp_id: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        unit: row.get(4)?,
        list_price: row.get(5)?,
        salable: row.get(6)?,
        synced_at: row.get(7)?,
        cost_price: row.get(8)?,
        unit_id: row.get(9)?,
        unit_category_id: row.get(10)?,
        sale_unit_id: row.get(11)?,
    })
}

impl ProductRow {
    fn into_synced(self, category_ids: Vec<ErpId>) -> Result<Synced<Product>, StoreError> {
        Ok(Synced {
            value: Product {
                erp_id: self.erp_id,
                code: self.code,
                name: self.name,
                description: self.description,
                unit: self.unit,
                list_price: self.list_price.as_deref().map(parse_decimal).transpose()?,
                salable: self.salable,
                pricing: ProductPricing {
                    cost_price: self.cost_price.as_deref().map(parse_decimal).transpose()?,
                    category_ids,
                    unit_id: self.unit_id,
                    unit_category_id: self.unit_category_id,
                    sale_unit_id: self.sale_unit_id,
                },
                active: true,
            },
            synced_at: parse_time(&self.synced_at)?,
        })
    }
}

fn parse_sale_state(name: &str) -> Result<SaleState, StoreError> {
    SaleState::from_name(name).ok_or_else(|| StoreError::BadValue(format!("sale state {name:?}")))
}

fn parse_request_state(name: &str) -> Result<RequestState, StoreError> {
    RequestState::from_name(name)
        .ok_or_else(|| StoreError::BadValue(format!("request state {name:?}")))
}

impl Store {
    /// Keeps the company's currency as the ERP has it now (every sync).
    /// Written only when it changed, so a sync with nothing new writes
    /// nothing for it; `synced_at` is then when it last changed.
    pub fn set_currency(
        &mut self,
        currency: &Currency,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if currency.digits > Currency::MAX_DIGITS {
            return Err(StoreError::BadValue(format!(
                "currency {} with {} decimals",
                currency.code, currency.digits
            )));
        }
        if self.currency()?.is_some_and(|kept| kept.value == *currency) {
            return Ok(());
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO currency (id, code, digits, synced_at) VALUES (1, ?1, ?2, ?3)",
            params![currency.code, currency.digits, time(at)],
        )?;
        Ok(())
    }

    /// The company's currency as of the last sync; none before the first.
    pub fn currency(&self) -> Result<Option<Synced<Currency>>, StoreError> {
        let row: Option<(String, u32, String)> = self
            .conn
            .query_row(
                "SELECT code, digits, synced_at FROM currency WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        row.map(|(code, digits, synced_at)| {
            Ok(Synced {
                value: Currency { code, digits },
                synced_at: parse_time(&synced_at)?,
            })
        })
        .transpose()
    }

    /// How many decimals the company's amounts have, as of the last sync.
    /// Before the first sync (no price is cached then to make a sale of),
    /// two, as most currencies have.
    pub fn currency_digits(&self) -> Result<u32, StoreError> {
        Ok(self.currency()?.map_or(2, |currency| currency.value.digits))
    }

    /// The company's currency, as far as the cache tells: the one the last
    /// sync brought ([`Store::currency`]); in a cache that predates it, the
    /// one credit figures are in (the ERP keeps credit in the company's
    /// currency), else the one the latest order is in. What list prices and
    /// the estimated totals of orders written here are in. None on an empty
    /// cache.
    pub fn house_currency(&self) -> Result<Option<String>, StoreError> {
        if let Some(currency) = self.currency()? {
            return Ok(Some(currency.value.code));
        }
        for sql in [
            "SELECT currency FROM credits WHERE currency <> '' LIMIT 1",
            "SELECT currency FROM orders WHERE currency <> '' ORDER BY order_date DESC, erp_id DESC LIMIT 1",
        ] {
            let found: Option<String> =
                self.conn.query_row(sql, [], |row| row.get(0)).optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Every cached record as text, table by table, leaving out when each
    /// was received (`synced_at`) and sync bookkeeping: two caches that hold
    /// the same data give the same snapshot. For tests and diagnostics.
    pub fn snapshot(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>, StoreError> {
        let mut snapshot = std::collections::BTreeMap::new();
        for table in [
            "warehouses",
            "customers",
            "addresses",
            "contacts",
            "credits",
            "products",
            "stock_levels",
            "orders",
            "order_lines",
            "invoices",
            "payments",
            "complaints",
        ] {
            let mut statement = self.conn.prepare(&format!("SELECT * FROM {table}"))?;
            let columns: Vec<usize> = statement
                .column_names()
                .iter()
                .enumerate()
                .filter(|(_, name)| **name != "synced_at")
                .map(|(index, _)| index)
                .collect();
            let mut rows = statement.query([])?;
            let mut lines = Vec::new();
            while let Some(row) = rows.next()? {
                let mut fields = Vec::new();
                for &index in &columns {
                    fields.push(format!(
                        "{:?}",
                        row.get::<_, rusqlite::types::Value>(index)?
                    ));
                }
                lines.push(fields.join("|"));
            }
            lines.sort();
            snapshot.insert(table.to_string(), lines);
        }
        Ok(snapshot)
    }
}
