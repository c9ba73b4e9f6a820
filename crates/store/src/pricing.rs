//! The pricing data the cache holds, read back as one
//! [`PriceBook`](fieldbook_core::pricing::PriceBook) for the pricing rules
//! in `fieldbook-core`, and the company's default price list, which every
//! sync writes.

use crate::columns::{
    parse_date, parse_decimal, parse_ids, parse_list_base, parse_list_unit, parse_time, time,
};
use crate::read::{Synced, category_ids};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use fieldbook_core::ErpId;
use fieldbook_core::pricing::{PriceBook, PriceList, PriceListLine, PricedProduct, Promotion};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

impl Store {
    /// Records the company's default price list (`None`: it has none) as
    /// the ERP told it at `at`. Written only when it changed.
    pub fn set_default_price_list(
        &mut self,
        list_id: Option<ErpId>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if self
            .default_price_list()?
            .is_some_and(|kept| kept.value == list_id)
        {
            return Ok(());
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO pricing_defaults (id, default_list_id, synced_at) VALUES (1, ?1, ?2)",
            params![list_id, time(at)],
        )?;
        Ok(())
    }

    /// The company's default price list as of the last sync (`value:
    /// None`: it has none); `None` before the first sync that read it.
    pub fn default_price_list(&self) -> Result<Option<Synced<Option<ErpId>>>, StoreError> {
        let row: Option<(Option<ErpId>, String)> = self
            .conn
            .query_row(
                "SELECT default_list_id, synced_at FROM pricing_defaults WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(value, synced_at)| {
            Ok(Synced {
                value,
                synced_at: parse_time(&synced_at)?,
            })
        })
        .transpose()
    }

    /// Every price list with its lines, every promotion, the categories'
    /// tree and the company's default list: what pricing a sale reads.
    pub fn price_book(&self) -> Result<PriceBook, StoreError> {
        let mut lists: HashMap<ErpId, PriceList> = HashMap::new();
        let mut statement = self
            .conn
            .prepare_cached("SELECT erp_id, name, base, unit, tax_included FROM price_lists")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, ErpId>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, bool>(4)?,
            ))
        })?;
        for row in rows {
            let (erp_id, name, base, unit, tax_included) = row?;
            lists.insert(
                erp_id,
                PriceList {
                    erp_id,
                    name,
                    base: parse_list_base(&base)?,
                    unit: parse_list_unit(&unit)?,
                    tax_included,
                    lines: Vec::new(),
                },
            );
        }
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, price_list_id, sequence, category_id, product_id, quantity, formula
             FROM price_list_lines ORDER BY erp_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, ErpId>(1)?,
                PriceListLine {
                    erp_id: row.get(0)?,
                    sequence: row.get(2)?,
                    category_id: row.get(3)?,
                    product_id: row.get(4)?,
                    quantity: row.get(5)?,
                    formula: row.get(6)?,
                },
            ))
        })?;
        for row in rows {
            let (list_id, line) = row?;
            // A line whose list left the cache (deactivated in the ERP)
            // prices nothing.
            if let Some(list) = lists.get_mut(&list_id) {
                list.lines.push(line);
            }
        }
        let mut statement = self.conn.prepare_cached(
            "SELECT erp_id, name, start_date, end_date, price_list_id, amount, untaxed_amount, quantity,
                 unit_id, unit_category_id, product_ids, category_ids, formula
             FROM promotions ORDER BY erp_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, ErpId>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<ErpId>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, bool>(6)?,
                row.get::<_, Option<f64>>(7)?,
                row.get::<_, Option<ErpId>>(8)?,
                row.get::<_, Option<ErpId>>(9)?,
                row.get::<_, String>(10)?,
                row.get::<_, String>(11)?,
                row.get::<_, String>(12)?,
            ))
        })?;
        let mut promotions = Vec::new();
        for row in rows {
            let (
                erp_id,
                name,
                start_date,
                end_date,
                price_list_id,
                amount,
                untaxed_amount,
                quantity,
                unit_id,
                unit_category_id,
                product_ids,
                category_ids,
                formula,
            ) = row?;
            promotions.push(Promotion {
                erp_id,
                name,
                start_date: start_date.as_deref().map(parse_date).transpose()?,
                end_date: end_date.as_deref().map(parse_date).transpose()?,
                price_list_id,
                amount: amount.as_deref().map(parse_decimal).transpose()?,
                untaxed_amount,
                quantity,
                unit_id,
                unit_category_id,
                product_ids: parse_ids(&product_ids)?,
                category_ids: parse_ids(&category_ids)?,
                formula,
            });
        }
        let mut statement = self
            .conn
            .prepare_cached("SELECT erp_id, parent_id FROM categories")?;
        let category_parents = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(PriceBook {
            lists,
            default_list_id: self.default_price_list()?.and_then(|kept| kept.value),
            promotions,
            category_parents,
        })
    }

    /// What pricing reads of a cached product; `None` if it is not cached.
    pub fn priced_product(&self, product_id: ErpId) -> Result<Option<PricedProduct>, StoreError> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<ErpId>,
            Option<ErpId>,
            Option<ErpId>,
        );
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT list_price, cost_price, unit_id, unit_category_id, sale_unit_id
                 FROM products WHERE erp_id = ?1",
                [product_id],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((list_price, cost_price, unit_id, unit_category_id, sale_unit_id)) = row else {
            return Ok(None);
        };
        Ok(Some(PricedProduct {
            erp_id: product_id,
            list_price: list_price.as_deref().map(parse_decimal).transpose()?,
            cost_price: cost_price.as_deref().map(parse_decimal).transpose()?,
            category_ids: category_ids(&self.conn, product_id)?,
            unit_id,
            unit_category_id,
            sale_unit_id,
            // Sale taxes are not cached yet: what depends on them is
            // unknown offline rather than guessed.
            tax_rate: None,
        }))
    }

    /// A cached customer's own price list (`None`: none, or not cached);
    /// which list their sale is on is `PriceBook::list_for`'s.
    pub fn customer_price_list(&self, customer_id: ErpId) -> Result<Option<ErpId>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT price_list_id FROM customers WHERE erp_id = ?1",
                [customer_id],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }
}
