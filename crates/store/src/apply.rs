//! Writing what a sync pulled: pages of records with their cursor, derived
//! figures, and the removal of records the ERP no longer has.

use crate::columns::time;
use crate::search::{customer_rowid, product_rowid, reindex_customers, reindex_products, unindex};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::{Credit, Entity, ErpId, Records, StockLevel};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::BTreeSet;

/// How far the pull of one entity has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullCursor {
    /// Lower bound of the run in progress: records changed at or after it.
    /// `None`: the entity was never pulled completely, so this run is full.
    pub since: Option<DateTime<Utc>>,
    /// The run has applied every record up to this ERP id.
    pub after_id: ErpId,
    /// The ERP's clock when this run started; `since` of the next run.
    pub next_since: Option<DateTime<Utc>>,
    /// When the last complete run ended (laptop clock).
    pub completed_at: Option<DateTime<Utc>>,
}

impl PullCursor {
    /// Whether a run is under way (started and not completed).
    pub fn in_progress(&self) -> bool {
        self.next_since.is_some()
    }
}

/// What a page moved besides its own rows: records whose derived figures
/// must be re-read from the ERP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageEffects {
    pub refresh_stock: BTreeSet<ErpId>,
    pub refresh_credit: BTreeSet<ErpId>,
    /// Index the customers the page touches later, in one pass
    /// ([`Store::index_queued`]), rather than now: on a first sync their
    /// addresses and contacts are still coming, and indexing each customer
    /// once instead of three times is most of what a page costs the laptop.
    pub index_later: bool,
}

/// A derived figure that is refreshed record by record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Stock,
    Credit,
}

impl Figure {
    fn name(self) -> &'static str {
        match self {
            Figure::Stock => "stock",
            Figure::Credit => "credit",
        }
    }
}

impl Store {
    pub fn pull_cursor(&self, entity: Entity) -> Result<PullCursor, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT since, after_id, next_since, completed_at FROM sync_cursors WHERE entity = ?1",
                [entity.name()],
                |row| {
                    Ok((
                        row.get::<_, Option<String>>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((since, after_id, next_since, completed_at)) = row else {
            return Ok(PullCursor::default());
        };
        Ok(PullCursor {
            since: since
                .as_deref()
                .map(crate::columns::parse_time)
                .transpose()?,
            after_id,
            next_since: next_since
                .as_deref()
                .map(crate::columns::parse_time)
                .transpose()?,
            completed_at: completed_at
                .as_deref()
                .map(crate::columns::parse_time)
                .transpose()?,
        })
    }

    /// Saves a cursor on its own (the start of a run: its `next_since`).
    pub fn save_cursor(&mut self, entity: Entity, cursor: &PullCursor) -> Result<(), StoreError> {
        save_cursor(&self.conn, entity, cursor)
    }

    /// Applies one page and the cursor after it, in one transaction.
    /// Inactive records in the page delete their cached rows.
    pub fn apply_page(
        &mut self,
        records: &Records,
        cursor: &PullCursor,
        effects: &PageEffects,
        synced_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        let touched = apply_records(&tx, records, &time(synced_at))?;
        if effects.index_later {
            let mut later = tx.prepare_cached(
                "INSERT OR IGNORE INTO refresh_queue (figure, erp_id) VALUES ('search', ?1)",
            )?;
            for customer in &touched {
                later.execute([customer])?;
            }
        } else {
            reindex_customers(&tx, &touched)?;
        }
        queue(&tx, Figure::Stock, &effects.refresh_stock)?;
        queue(&tx, Figure::Credit, &effects.refresh_credit)?;
        save_cursor(&tx, records.entity(), cursor)?;
        tx.commit()?;
        Ok(())
    }

    /// Indexes up to `limit` customers whose pages were applied with
    /// [`PageEffects::index_later`], in one transaction; returns how many.
    /// Until then they are cached but not found by search.
    pub fn index_queued(&mut self, limit: usize) -> Result<usize, StoreError> {
        let tx = self.write_transaction()?;
        let customers: BTreeSet<ErpId> = {
            let mut statement = tx.prepare_cached(
                "SELECT erp_id FROM refresh_queue WHERE figure = 'search' ORDER BY erp_id LIMIT ?1",
            )?;
            let ids = statement.query_map([limit as i64], |row| row.get(0))?;
            ids.collect::<Result<_, _>>()?
        };
        reindex_customers(&tx, &customers)?;
        let mut done =
            tx.prepare_cached("DELETE FROM refresh_queue WHERE figure = 'search' AND erp_id = ?1")?;
        for customer in &customers {
            done.execute([customer])?;
        }
        drop(done);
        tx.commit()?;
        Ok(customers.len())
    }

    /// How far the look for records whose `figure` moved has come.
    pub fn figure_cursor(&self, figure: Figure) -> Result<Option<DateTime<Utc>>, StoreError> {
        let since: Option<String> = self
            .conn
            .query_row(
                "SELECT since FROM figure_cursors WHERE figure = ?1",
                [figure.name()],
                |row| row.get(0),
            )
            .optional()?;
        since.as_deref().map(crate::columns::parse_time).transpose()
    }

    /// Queues the records whose `figure` moved and advances the figure's
    /// cursor to `since`, together.
    pub fn queue_moved(
        &mut self,
        figure: Figure,
        ids: &BTreeSet<ErpId>,
        since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        queue(&tx, figure, ids)?;
        tx.execute(
            "INSERT INTO figure_cursors (figure, since) VALUES (?1, ?2) ON CONFLICT (figure) DO UPDATE SET since = excluded.since",
            params![figure.name(), time(since)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Queues records whose derived figure must be re-read.
    pub fn queue_refresh(
        &mut self,
        figure: Figure,
        ids: &BTreeSet<ErpId>,
    ) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        queue(&tx, figure, ids)?;
        tx.commit()?;
        Ok(())
    }

    /// Up to `limit` queued ids of a figure, smallest first.
    pub fn queued(&self, figure: Figure, limit: usize) -> Result<Vec<ErpId>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id FROM refresh_queue WHERE figure = ?1 ORDER BY erp_id LIMIT ?2",
        )?;
        let ids = statement.query_map(params![figure.name(), limit as i64], |row| row.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    pub fn queued_count(&self, figure: Figure) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM refresh_queue WHERE figure = ?1",
            [figure.name()],
            |row| row.get::<_, i64>(0),
        )? as u64)
    }

    /// Replaces the stock of `products` with `levels` (a product missing from
    /// `levels` has none anywhere) and takes them off the queue.
    pub fn apply_stock(
        &mut self,
        products: &[ErpId],
        levels: &[StockLevel],
        synced_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let synced_at = time(synced_at);
        let tx = self.write_transaction()?;
        {
            let mut clear = tx.prepare_cached("DELETE FROM stock_levels WHERE product_id = ?1")?;
            let mut dequeue = tx.prepare_cached(
                "DELETE FROM refresh_queue WHERE figure = 'stock' AND erp_id = ?1",
            )?;
            for product in products {
                clear.execute([product])?;
                dequeue.execute([product])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO stock_levels (product_id, warehouse_id, on_hand, forecast, synced_at)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM products WHERE erp_id = ?1)",
            )?;
            for level in levels {
                insert.execute(params![
                    level.product_id,
                    level.warehouse_id,
                    level.on_hand.to_string(),
                    level.forecast.to_string(),
                    synced_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the credit of `customers` with `credits` and takes them off
    /// the queue.
    pub fn apply_credit(
        &mut self,
        customers: &[ErpId],
        credits: &[Credit],
        synced_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let synced_at = time(synced_at);
        let tx = self.write_transaction()?;
        {
            let mut clear = tx.prepare_cached("DELETE FROM credits WHERE customer_id = ?1")?;
            let mut dequeue = tx.prepare_cached(
                "DELETE FROM refresh_queue WHERE figure = 'credit' AND erp_id = ?1",
            )?;
            for customer in customers {
                clear.execute([customer])?;
                dequeue.execute([customer])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO credits (customer_id, currency, credit_limit, used, receivable, synced_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM customers WHERE erp_id = ?1)",
            )?;
            for credit in credits {
                insert.execute(params![
                    credit.customer_id,
                    credit.currency,
                    credit.limit.map(|limit| limit.to_string()),
                    credit.used.to_string(),
                    credit.receivable.to_string(),
                    synced_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The ERP ids the cache holds for an entity.
    pub fn local_ids(&self, entity: Entity) -> Result<Vec<ErpId>, StoreError> {
        // Records written here and not yet accepted by the ERP have
        // provisional (negative) ids: not the ERP's to compare with.
        let sql = format!(
            "SELECT erp_id FROM {} WHERE erp_id > 0 ORDER BY erp_id",
            table(entity)
        );
        let mut statement = self.conn.prepare(&sql)?;
        let ids = statement.query_map([], |row| row.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    pub fn local_count(&self, entity: Entity) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM {}", table(entity));
        Ok(self.conn.query_row(&sql, [], |row| row.get::<_, i64>(0))? as u64)
    }

    /// Deletes the cached records of `entity` whose ids are in `gone` (and
    /// what hangs off them), in one transaction. Returns how many went.
    pub fn remove(&mut self, entity: Entity, gone: &[ErpId]) -> Result<usize, StoreError> {
        let tx = self.write_transaction()?;
        let mut removed = 0;
        let mut customers_to_reindex = BTreeSet::new();
        for &erp_id in gone {
            removed += remove_one(&tx, entity, erp_id, &mut customers_to_reindex)?;
        }
        reindex_customers(&tx, &customers_to_reindex)?;
        tx.commit()?;
        Ok(removed)
    }
}

/// The table holding an entity's records: each is named after its entity.
pub(crate) fn table(entity: Entity) -> &'static str {
    entity.name()
}

fn save_cursor(
    conn: &rusqlite::Connection,
    entity: Entity,
    cursor: &PullCursor,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sync_cursors (entity, since, after_id, next_since, completed_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity) DO UPDATE SET since = excluded.since, after_id = excluded.after_id,
             next_since = excluded.next_since, completed_at = excluded.completed_at",
        params![
            entity.name(),
            cursor.since.map(time),
            cursor.after_id,
            cursor.next_since.map(time),
            cursor.completed_at.map(time)
        ],
    )?;
    Ok(())
}

fn queue(tx: &Transaction, figure: Figure, ids: &BTreeSet<ErpId>) -> Result<(), StoreError> {
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO refresh_queue (figure, erp_id) VALUES (?1, ?2)")?;
    for id in ids {
        insert.execute(params![figure.name(), id])?;
    }
    Ok(())
}

/// Removes one record and what depends on it; returns 1 if it was there.
fn remove_one(
    tx: &Transaction,
    entity: Entity,
    erp_id: ErpId,
    customers_to_reindex: &mut BTreeSet<ErpId>,
) -> Result<usize, StoreError> {
    match entity {
        Entity::Customers => {
            unindex(tx, customer_rowid(erp_id))?;
        }
        Entity::Addresses | Entity::Contacts => {
            let sql = format!(
                "SELECT customer_id FROM {} WHERE erp_id = ?1",
                table(entity)
            );
            if let Some(customer) = tx.query_row(&sql, [erp_id], |row| row.get(0)).optional()? {
                customers_to_reindex.insert(customer);
            }
        }
        Entity::Products => {
            tx.prepare_cached("DELETE FROM stock_levels WHERE product_id = ?1")?
                .execute([erp_id])?;
            tx.prepare_cached("DELETE FROM product_categories WHERE product_id = ?1")?
                .execute([erp_id])?;
            unindex(tx, product_rowid(erp_id))?;
        }
        Entity::Warehouses => {
            tx.prepare_cached("DELETE FROM stock_levels WHERE warehouse_id = ?1")?
                .execute([erp_id])?;
        }
        Entity::Orders => {
            tx.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
                .execute([erp_id])?;
        }
        Entity::PriceLists => {
            tx.prepare_cached("DELETE FROM price_list_lines WHERE price_list_id = ?1")?
                .execute([erp_id])?;
        }
        Entity::OrderLines
        | Entity::Invoices
        | Entity::Payments
        | Entity::Complaints
        | Entity::Categories
        | Entity::PriceListLines
        | Entity::Promotions => {}
    }
    let sql = format!("DELETE FROM {} WHERE erp_id = ?1", table(entity));
    Ok(tx.prepare_cached(&sql)?.execute([erp_id])?)
}

/// Writes a page's records; returns the customers whose search rows must
/// be rebuilt (their own record, an address or a contact changed).
pub(crate) fn apply_records(
    tx: &Transaction,
    records: &Records,
    synced_at: &str,
) -> Result<BTreeSet<ErpId>, StoreError> {
    let mut reindex = BTreeSet::new();
    let dec = |value: rust_decimal::Decimal| value.to_string();
    match records {
        Records::Warehouses(warehouses) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO warehouses (erp_id, code, name, synced_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for warehouse in warehouses {
                if warehouse.active {
                    upsert.execute(params![
                        warehouse.erp_id,
                        warehouse.code,
                        warehouse.name,
                        synced_at
                    ])?;
                } else {
                    remove_one(tx, Entity::Warehouses, warehouse.erp_id, &mut reindex)?;
                }
            }
        }
        Records::Customers(customers) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO customers (erp_id, code, name, tax_id, price_list_id, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for customer in customers {
                if customer.active {
                    upsert.execute(params![
                        customer.erp_id,
                        customer.code,
                        customer.name,
                        customer.tax_id,
                        customer.price_list_id,
                        synced_at
                    ])?;
                    reindex.insert(customer.erp_id);
                } else {
                    remove_one(tx, Entity::Customers, customer.erp_id, &mut reindex)?;
                }
            }
        }
        Records::Addresses(addresses) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO addresses (erp_id, customer_id, name, street, postal_code, city, subdivision, country,
                     invoice, delivery, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for address in addresses {
                remove_one(tx, Entity::Addresses, address.erp_id, &mut reindex)?;
                if address.active {
                    upsert.execute(params![
                        address.erp_id,
                        address.customer_id,
                        address.name,
                        address.street,
                        address.postal_code,
                        address.city,
                        address.subdivision,
                        address.country,
                        address.invoice,
                        address.delivery,
                        synced_at
                    ])?;
                    reindex.insert(address.customer_id);
                }
            }
        }
        Records::Contacts(contacts) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO contacts (erp_id, customer_id, kind, value, name, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for contact in contacts {
                remove_one(tx, Entity::Contacts, contact.erp_id, &mut reindex)?;
                if contact.active {
                    upsert.execute(params![
                        contact.erp_id,
                        contact.customer_id,
                        contact.kind,
                        contact.value,
                        contact.name,
                        synced_at
                    ])?;
                    reindex.insert(contact.customer_id);
                }
            }
        }
        Records::Products(products) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO products (erp_id, code, name, description, unit, list_price, salable,
                     cost_price, unit_id, unit_category_id, sale_unit_id, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut forget_categories =
                tx.prepare_cached("DELETE FROM product_categories WHERE product_id = ?1")?;
            let mut categorise = tx.prepare_cached(
                "INSERT OR IGNORE INTO product_categories (product_id, category_id) VALUES (?1, ?2)",
            )?;
            let mut reindex_product = BTreeSet::new();
            for product in products {
                if product.active {
                    let pricing = &product.pricing;
                    upsert.execute(params![
                        product.erp_id,
                        product.code,
                        product.name,
                        product.description,
                        product.unit,
                        product.list_price.map(dec),
                        product.salable,
                        pricing.cost_price.map(dec),
                        pricing.unit_id,
                        pricing.unit_category_id,
                        pricing.sale_unit_id,
                        synced_at
                    ])?;
                    forget_categories.execute([product.erp_id])?;
                    for category in &pricing.category_ids {
                        categorise.execute([product.erp_id, *category])?;
                    }
                    reindex_product.insert(product.erp_id);
                } else {
                    remove_one(tx, Entity::Products, product.erp_id, &mut reindex)?;
                }
            }
            reindex_products(tx, &reindex_product)?;
        }
        Records::Categories(categories) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO categories (erp_id, name, parent_id, synced_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for category in categories {
                upsert.execute(params![
                    category.erp_id,
                    category.name,
                    category.parent_id,
                    synced_at
                ])?;
            }
        }
        Records::PriceLists(lists) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO price_lists (erp_id, name, base, unit, tax_included, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for list in lists {
                if list.active {
                    upsert.execute(params![
                        list.erp_id,
                        list.name,
                        crate::columns::list_base_name(list.base),
                        crate::columns::list_unit_name(list.unit),
                        list.tax_included,
                        synced_at
                    ])?;
                } else {
                    remove_one(tx, Entity::PriceLists, list.erp_id, &mut reindex)?;
                }
            }
        }
        Records::PriceListLines(rules) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO price_list_lines (erp_id, price_list_id, sequence, category_id, product_id,
                     quantity, formula, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for rule in rules {
                let line = &rule.line;
                upsert.execute(params![
                    line.erp_id,
                    rule.price_list_id,
                    line.sequence,
                    line.category_id,
                    line.product_id,
                    line.quantity,
                    line.formula,
                    synced_at
                ])?;
            }
        }
        Records::Promotions(promotions) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO promotions (erp_id, name, start_date, end_date, price_list_id, amount,
                     untaxed_amount, quantity, unit_id, unit_category_id, product_ids, category_ids, formula,
                     synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for record in promotions {
                let promotion = &record.promotion;
                if record.active {
                    upsert.execute(params![
                        promotion.erp_id,
                        promotion.name,
                        promotion.start_date.map(|date| date.to_string()),
                        promotion.end_date.map(|date| date.to_string()),
                        promotion.price_list_id,
                        promotion.amount.map(dec),
                        promotion.untaxed_amount,
                        promotion.quantity,
                        promotion.unit_id,
                        promotion.unit_category_id,
                        crate::columns::ids_json(&promotion.product_ids),
                        crate::columns::ids_json(&promotion.category_ids),
                        promotion.formula,
                        synced_at
                    ])?;
                } else {
                    remove_one(tx, Entity::Promotions, promotion.erp_id, &mut reindex)?;
                }
            }
        }
        Records::Orders(orders) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO orders (erp_id, number, customer_id, customer_reference, state, order_date, currency,
                     untaxed, tax, total, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for order in orders {
                upsert.execute(params![
                    order.erp_id,
                    order.number,
                    order.customer_id,
                    order.customer_reference,
                    order.state.name(),
                    order.order_date.map(|date| date.to_string()),
                    order.currency,
                    dec(order.untaxed),
                    dec(order.tax),
                    dec(order.total),
                    synced_at
                ])?;
            }
        }
        Records::OrderLines(lines) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO order_lines (erp_id, order_id, product_id, description, quantity, unit, unit_price,
                     amount, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for line in lines {
                upsert.execute(params![
                    line.erp_id,
                    line.order_id,
                    line.product_id,
                    line.description,
                    dec(line.quantity),
                    line.unit,
                    line.unit_price.map(dec),
                    dec(line.amount),
                    synced_at
                ])?;
            }
        }
        Records::Invoices(invoices) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO invoices (erp_id, customer_id, number, invoice_date, due_date, currency, total,
                     amount_to_pay, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for invoice in invoices {
                if invoice.open {
                    upsert.execute(params![
                        invoice.erp_id,
                        invoice.customer_id,
                        invoice.number,
                        invoice.invoice_date.map(|date| date.to_string()),
                        invoice.due_date.map(|date| date.to_string()),
                        invoice.currency,
                        dec(invoice.total),
                        dec(invoice.amount_to_pay),
                        synced_at
                    ])?;
                } else {
                    remove_one(tx, Entity::Invoices, invoice.erp_id, &mut reindex)?;
                }
            }
        }
        Records::Payments(payments) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO payments (erp_id, customer_id, date, currency, amount, description, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for payment in payments {
                upsert.execute(params![
                    payment.erp_id,
                    payment.customer_id,
                    payment.date.to_string(),
                    payment.currency,
                    dec(payment.amount),
                    payment.description,
                    synced_at
                ])?;
            }
        }
        Records::Complaints(complaints) => {
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO complaints (erp_id, customer_id, number, date, state, kind, description,
                     order_id, invoice_id, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for complaint in complaints {
                upsert.execute(params![
                    complaint.erp_id,
                    complaint.customer_id,
                    complaint.number,
                    complaint.date.map(|date| date.to_string()),
                    complaint.state.name(),
                    complaint.kind,
                    complaint.description,
                    complaint.order_id,
                    complaint.invoice_id,
                    synced_at
                ])?;
            }
        }
    }
    Ok(reindex)
}

/// Writes records written here (not pulled) and indexes their customers.
pub(crate) fn apply_and_index(
    tx: &Transaction,
    records: &Records,
    synced_at: &str,
) -> Result<(), StoreError> {
    let touched = apply_records(tx, records, synced_at)?;
    reindex_customers(tx, &touched)?;
    Ok(())
}
