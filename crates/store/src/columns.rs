//! How values are written in the cache's columns: times as RFC 3339 text
//! in UTC to the microsecond, so they sort as text; decimals as their exact
//! text; lists of ids as JSON arrays.

use crate::StoreError;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use fieldbook_core::ErpId;
use fieldbook_core::pricing::{ListBase, ListUnit};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A time as the cache stores it.
pub(crate) fn time(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time the cache stored; anything else is a damaged value.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| StoreError::BadValue(format!("time {text:?}")))
}

/// What a price list's formulas call `unit_price`, as the cache stores it.
pub(crate) fn list_base_name(base: ListBase) -> &'static str {
    match base {
        ListBase::ListPrice => "list_price",
        ListBase::CostPrice => "cost_price",
        ListBase::Nothing => "nothing",
    }
}

pub(crate) fn parse_list_base(text: &str) -> Result<ListBase, StoreError> {
    [ListBase::ListPrice, ListBase::CostPrice, ListBase::Nothing]
        .into_iter()
        .find(|base| list_base_name(*base) == text)
        .ok_or_else(|| StoreError::BadValue(format!("price list base {text:?}")))
}

pub(crate) fn list_unit_name(unit: ListUnit) -> &'static str {
    match unit {
        ListUnit::Default => "default",
        ListUnit::Sale => "sale",
    }
}

pub(crate) fn parse_list_unit(text: &str) -> Result<ListUnit, StoreError> {
    [ListUnit::Default, ListUnit::Sale]
        .into_iter()
        .find(|unit| list_unit_name(*unit) == text)
        .ok_or_else(|| StoreError::BadValue(format!("price list unit {text:?}")))
}

/// A list of ERP ids as the cache stores it: a JSON array.
pub(crate) fn ids_json(ids: &[ErpId]) -> String {
    serde_json::to_string(ids).expect("a list of integers is JSON")
}

pub(crate) fn parse_ids(text: &str) -> Result<Vec<ErpId>, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::BadValue(format!("list of ids {text:?}")))
}

/// A date as the cache stores it (`YYYY-MM-DD`).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_str(text).map_err(|_| StoreError::BadValue(format!("date {text:?}")))
}

/// A decimal as the cache stores it: its exact text.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|_| StoreError::BadValue(format!("decimal {text:?}")))
}
