//! How values are written in the cache's columns: times as RFC 3339 text
//! in UTC to the microsecond, so they sort as text.

use crate::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};

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
