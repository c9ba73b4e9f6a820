//! One search over customers and products, offline.
//!
//! The index holds one row per customer (code, name, and a body of tax id,
//! addresses and contact values) and one per product (code, name,
//! description). It uses FTS5's trigram tokenizer: any substring of three or
//! more characters is found through the index, which suits Chinese (written
//! without spaces: "华为" inside "深圳市华为技术有限公司") as well as Latin
//! prefixes and codes. Terms of one or two characters, which trigrams cannot
//! serve, go to a second index (`search_short`) of every CJK character and
//! pair of neighbouring characters and every other word, looked up as a
//! whole term (Chinese) or a word prefix (Latin, digits); only a short term
//! mixing scripts or holding punctuation falls back to LIKE. Phone numbers are
//! also indexed as bare digits, so "13812345678" finds "+86 138 1234 5678".

use crate::{Store, StoreError};
use fieldbook_core::ErpId;
use rusqlite::{Transaction, params_from_iter, types::Value};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKind {
    Customer,
    Product,
}

impl SearchKind {
    pub fn name(self) -> &'static str {
        match self {
            SearchKind::Customer => "customer",
            SearchKind::Product => "product",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub erp_id: ErpId,
    pub code: Option<String>,
    pub name: String,
}

impl Store {
    /// Customers and products matching every word of `text`, best first:
    /// an exact code, then names or codes that start with the text, then
    /// names that contain it, then matches elsewhere (address, contact,
    /// description).
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.search_kind(text, None, limit)
    }

    /// [`Store::search`] over customers only or products only.
    pub fn search_kind(
        &self,
        text: &str,
        kind: Option<SearchKind>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut fts_terms = Vec::new();
        let mut short_terms = Vec::new();
        let digits = phone_digits(text);
        if let Some(digits) = digits.filter(|digits| digits.chars().count() >= 3) {
            fts_terms.push(format!("(digits : {} OR {})", quote(&digits), quote(text)));
        } else {
            for word in text.split_whitespace() {
                if word.chars().count() >= 3 {
                    fts_terms.push(quote(word));
                } else if word.chars().all(is_cjk) {
                    short_terms.push(quote(word));
                } else if word.chars().all(char::is_alphanumeric) {
                    short_terms.push(format!("{}*", quote(word)));
                } else {
                    conditions.push(
                        "(code || ' ' || name || ' ' || body) LIKE ? ESCAPE '\\'".to_string(),
                    );
                    values.push(Value::Text(format!("%{}%", escape_like(word))));
                }
            }
        }
        // The kind by the rowid's parity (see `customer_rowid`): FTS5 knows
        // each match's rowid without reading its row, so the other kind's
        // matches cost nothing more. A short term such as "1" matches most
        // products when customers are searched.
        let of_kind = kind.map(|kind| match kind {
            SearchKind::Customer => "(rowid & 1) = 0",
            SearchKind::Product => "(rowid & 1) = 1",
        });
        let lowered = text.to_lowercase();
        // What `tier` compares with, in its parameters' order.
        let order_values = [
            Value::Text(format!("{}%", escape_like(&lowered))),
            Value::Text(format!("%{}%", escape_like(&lowered))),
            Value::Text(lowered),
        ];
        if fts_terms.is_empty() && conditions.is_empty() && !short_terms.is_empty() {
            // Short terms alone ("C", "有限", "13") can match most of the
            // cache, and every match is ranked. Its code and name are read
            // from the customers and products tables, not the index's own
            // rows, which also hold addresses, contacts and descriptions:
            // a sixth of the time for 10,000 matches. Same rows (the index
            // is built from those tables), same order.
            let matches = short_terms.join(" AND ");
            let mut parts = Vec::new();
            if kind != Some(SearchKind::Product) {
                parts.push(
                    "SELECT 'customer' AS kind, erp_id, coalesce(code, '') AS code, name FROM customers \
                     WHERE erp_id IN (SELECT rowid / 2 FROM search_short WHERE search_short MATCH ?1 AND (rowid & 1) = 0)",
                );
            }
            if kind != Some(SearchKind::Customer) {
                parts.push(
                    "SELECT 'product' AS kind, erp_id, coalesce(code, '') AS code, name FROM products \
                     WHERE erp_id IN (SELECT (rowid - 1) / 2 FROM search_short WHERE search_short MATCH ?1 AND (rowid & 1) = 1)",
                );
            }
            let sql = format!(
                "SELECT kind, erp_id, code, name FROM ({}) \
                 ORDER BY {}, length(code), length(name), erp_id LIMIT ?5",
                parts.join(" UNION ALL "),
                tier(2),
            );
            let mut values = vec![Value::Text(matches)];
            values.extend(order_values);
            values.push(Value::Integer(limit as i64));
            return self.hits(&sql, values);
        }
        if !short_terms.is_empty() {
            conditions.insert(
                0,
                format!(
                    "rowid IN (SELECT rowid FROM search_short WHERE search_short MATCH ?{})",
                    of_kind.map_or(String::new(), |of_kind| format!(" AND {of_kind}"))
                ),
            );
            values.insert(0, Value::Text(short_terms.join(" AND ")));
        }
        let ranked_by_bm25 = !fts_terms.is_empty();
        if ranked_by_bm25 {
            conditions.insert(0, "search_index MATCH ?".to_string());
            values.insert(0, Value::Text(fts_terms.join(" AND ")));
        }
        if let Some(of_kind) = of_kind {
            conditions.push(of_kind.to_owned());
        }
        let sql = format!(
            "SELECT kind, erp_id, code, name FROM search_index WHERE {} ORDER BY {}, {}, length(name), erp_id LIMIT ?",
            conditions.join(" AND "),
            tier(values.len() + 1),
            if ranked_by_bm25 {
                "bm25(search_index, 0, 0, 10.0, 5.0, 1.0, 1.0)"
            } else {
                "length(code)"
            },
        );
        values.extend(order_values);
        values.push(Value::Integer(limit as i64));
        self.hits(&sql, values)
    }

    /// Runs a search's query: rows of kind, ERP id, code ('' for none), name.
    fn hits(&self, sql: &str, values: Vec<Value>) -> Result<Vec<SearchHit>, StoreError> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(params_from_iter(values), |row| {
            let kind: String = row.get(0)?;
            let code: String = row.get(2)?;
            Ok(SearchHit {
                kind: if kind == "customer" {
                    SearchKind::Customer
                } else {
                    SearchKind::Product
                },
                erp_id: row.get(1)?,
                code: (!code.is_empty()).then_some(code),
                name: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// How well a row's code and name match the text typed, best first: the
/// code itself, then a name or code that starts with it, then a name that
/// contains it, then a match elsewhere. Its parameters are numbered from
/// `first`: the text's prefix pattern, its inside pattern, the text
/// (lower case), the order of `order_values` in `search_kind`.
fn tier(first: usize) -> String {
    let (prefix, inside, text) = (first, first + 1, first + 2);
    format!(
        "CASE WHEN lower(code) = ?{text} THEN 0 \
         WHEN lower(name) LIKE ?{prefix} ESCAPE '\\' OR lower(code) LIKE ?{prefix} ESCAPE '\\' THEN 1 \
         WHEN lower(name) LIKE ?{inside} ESCAPE '\\' THEN 2 ELSE 3 END"
    )
}

/// The digits of `text` if it looks like a phone number (digits, spaces,
/// `+`, `-`, parentheses and dots only, with at least one digit).
fn phone_digits(text: &str) -> Option<String> {
    let looks_like_phone = text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (looks_like_phone && !digits.is_empty()).then_some(digits)
}

/// Chinese, Japanese and Korean characters: written without spaces, so
/// every character and pair of characters is a term of the short index.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Unified Ideographs Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x3134F // Extensions B to G
    )
}

/// The text of a record's row in the short index: every CJK character and
/// every pair of neighbouring CJK characters as its own word, and the rest as
/// it is (the unicode61 tokenizer splits it into words).
pub(crate) fn short_terms(parts: &[&str]) -> String {
    let mut terms = String::new();
    for part in parts {
        let mut previous: Option<char> = None;
        for c in part.chars() {
            if is_cjk(c) {
                terms.push(' ');
                terms.push(c);
                if let Some(before) = previous {
                    terms.push(' ');
                    terms.push(before);
                    terms.push(c);
                }
                previous = Some(c);
            } else {
                if previous.take().is_some() {
                    terms.push(' ');
                }
                terms.push(c);
            }
        }
        terms.push(' ');
    }
    terms
}

/// Fills the short index from the main one (schema version 2 on a cache
/// written by version 1).
pub(crate) fn fill_short_terms(tx: &Transaction) -> Result<(), rusqlite::Error> {
    let mut rows = tx.prepare("SELECT rowid, code, name, body FROM search_index")?;
    let mut insert = tx.prepare("INSERT INTO search_short (rowid, terms) VALUES (?1, ?2)")?;
    let mut found = rows.query([])?;
    while let Some(row) = found.next()? {
        let rowid: i64 = row.get(0)?;
        let parts: [String; 3] = [row.get(1)?, row.get(2)?, row.get(3)?];
        insert.execute(rusqlite::params![
            rowid,
            short_terms(&parts.each_ref().map(String::as_str))
        ])?;
    }
    Ok(())
}

/// Removes a record's rows from both indexes.
pub(crate) fn unindex(tx: &Transaction, rowid: i64) -> Result<(), rusqlite::Error> {
    tx.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?
        .execute([rowid])?;
    tx.prepare_cached("DELETE FROM search_short WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Writes a record's row in the short index.
fn index_short(tx: &Transaction, rowid: i64, parts: &[&str]) -> Result<(), rusqlite::Error> {
    tx.prepare_cached("INSERT INTO search_short (rowid, terms) VALUES (?1, ?2)")?
        .execute(rusqlite::params![rowid, short_terms(parts)])?;
    Ok(())
}

/// An FTS5 string literal: the text matched as a phrase, never as syntax.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Each record's index row has a rowid derived from its ERP id (customers
/// even, products odd), so replacing or removing it is a lookup, not a scan
/// of the index (FTS5 cannot index its other columns).
pub(crate) fn customer_rowid(erp_id: ErpId) -> i64 {
    erp_id * 2
}

pub(crate) fn product_rowid(erp_id: ErpId) -> i64 {
    erp_id * 2 + 1
}

/// Rebuilds the index rows of these customers from the cache (a customer no
/// longer cached loses its row).
pub(crate) fn reindex_customers(
    tx: &Transaction,
    customers: &BTreeSet<ErpId>,
) -> Result<(), StoreError> {
    let mut customer = tx.prepare_cached(
        "SELECT coalesce(code, ''), name, coalesce(tax_id, '') FROM customers WHERE erp_id = ?1",
    )?;
    let mut addresses = tx.prepare_cached(
        "SELECT coalesce(name, ''), coalesce(street, ''), coalesce(postal_code, ''), coalesce(city, ''),
                coalesce(subdivision, ''), coalesce(country, '')
         FROM addresses WHERE customer_id = ?1 ORDER BY erp_id",
    )?;
    let mut contacts = tx.prepare_cached(
        "SELECT kind, value FROM contacts WHERE customer_id = ?1 ORDER BY erp_id",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO search_index (rowid, kind, erp_id, code, name, body, digits) VALUES (?6, 'customer', ?1, ?2, ?3, ?4, ?5)",
    )?;
    for &erp_id in customers {
        unindex(tx, customer_rowid(erp_id))?;
        let found = customer
            .query_map([erp_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?
            .next()
            .transpose()?;
        let Some((code, name, tax_id)) = found else {
            continue;
        };
        let mut body = vec![tax_id.clone()];
        let mut digits: Vec<String> = [&code, &tax_id]
            .iter()
            .map(|text| text.chars().filter(char::is_ascii_digit).collect())
            .collect();
        for address in addresses.query_map([erp_id], |row| {
            (0..6)
                .map(|i| row.get::<_, String>(i))
                .collect::<Result<Vec<_>, _>>()
        })? {
            body.extend(address?.into_iter().filter(|part| !part.is_empty()));
        }
        for contact in contacts.query_map([erp_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })? {
            let (kind, value) = contact?;
            if matches!(kind.as_str(), "phone" | "mobile" | "fax") {
                digits.push(value.chars().filter(char::is_ascii_digit).collect());
            }
            body.push(value);
        }
        let body = body.join(" ");
        index_short(tx, customer_rowid(erp_id), &[&code, &name, &body])?;
        insert.execute(params_from_iter([
            Value::Integer(erp_id),
            Value::Text(code),
            Value::Text(name),
            Value::Text(body),
            Value::Text(digits.join(" ")),
            Value::Integer(customer_rowid(erp_id)),
        ]))?;
    }
    Ok(())
}

pub(crate) fn reindex_products(
    tx: &Transaction,
    products: &BTreeSet<ErpId>,
) -> Result<(), StoreError> {
    let mut product = tx.prepare_cached(
        "SELECT coalesce(code, ''), name, coalesce(description, '') FROM products WHERE erp_id = ?1",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO search_index (rowid, kind, erp_id, code, name, body, digits)
         VALUES (?1, 'product', ?2, ?3, ?4, ?5, ?6)",
    )?;
    for &erp_id in products {
        let rowid = product_rowid(erp_id);
        unindex(tx, rowid)?;
        let found = product
            .query_map([erp_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?
            .next()
            .transpose()?;
        let Some((code, name, description)) = found else {
            continue;
        };
        let code_digits: String = code.chars().filter(char::is_ascii_digit).collect();
        index_short(tx, rowid, &[&code, &name, &description])?;
        insert.execute(rusqlite::params![
            rowid,
            erp_id,
            code,
            name,
            description,
            code_digits
        ])?;
    }
    Ok(())
}
