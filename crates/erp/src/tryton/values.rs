//! Tryton's JSON value encoding: dates, datetimes and decimals travel as
//! objects tagged with `__class__`; stored booleans may come back as 1/0.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::str::FromStr;

use crate::ErpError;
use fieldbook_core::pricing::{ListBase, ListUnit};
use fieldbook_core::{RequestState, SaleState};

pub(crate) type Row = Map<String, Value>;

/// A date as Tryton's JSON-RPC encodes it.
pub(crate) fn encode_date(date: NaiveDate) -> Value {
    serde_json::json!({"__class__": "date", "year": date.year(), "month": date.month(), "day": date.day()})
}

/// A datetime as Tryton wants it: naive UTC, all seven keys.
pub fn encode_datetime(time: DateTime<Utc>) -> Value {
    json!({
        "__class__": "datetime",
        "year": time.year(), "month": time.month(), "day": time.day(),
        "hour": time.hour(), "minute": time.minute(), "second": time.second(),
        "microsecond": time.timestamp_subsec_micros(),
    })
}

pub fn decode_datetime(value: &Value) -> Option<DateTime<Utc>> {
    let object = value
        .as_object()
        .filter(|o| o.get("__class__").and_then(Value::as_str) == Some("datetime"))?;
    // Out-of-range parts are refused, never wrapped into a valid date.
    let part = |key: &str| object.get(key).and_then(Value::as_i64);
    let small = |key: &str| part(key).and_then(|value| u32::try_from(value).ok());
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(part("year")?).ok()?,
        small("month")?,
        small("day")?,
    )?;
    let microsecond = match object.get("microsecond") {
        None | Some(Value::Null) => 0,
        Some(_) => small("microsecond")?,
    };
    let time = date.and_hms_micro_opt(
        small("hour")?,
        small("minute")?,
        small("second")?,
        microsecond,
    )?;
    Some(Utc.from_utc_datetime(&time))
}

pub(crate) fn decode_date(value: &Value) -> Option<NaiveDate> {
    let object = value
        .as_object()
        .filter(|o| o.get("__class__").and_then(Value::as_str) == Some("date"))?;
    let part = |key: &str| object.get(key).and_then(Value::as_i64);
    let small = |key: &str| part(key).and_then(|value| u32::try_from(value).ok());
    NaiveDate::from_ymd_opt(
        i32::try_from(part("year")?).ok()?,
        small("month")?,
        small("day")?,
    )
}

/// A decimal from a `Decimal` object, or from a plain JSON number (Tryton
/// sends quantities as floats): the number's text, never an f64.
pub fn decode_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Object(object)
            if object.get("__class__").and_then(Value::as_str) == Some("Decimal") =>
        {
            Decimal::from_str(object.get("decimal")?.as_str()?).ok()
        }
        Value::Number(number) => {
            let text = number.to_string();
            Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .ok()
        }
        _ => None,
    }
}

/// Reads the fields of one record, with errors that name the model and
/// field when the ERP sends something unexpected.
pub(crate) struct Fields<'a> {
    pub model: &'static str,
    pub row: &'a Row,
}

impl<'a> Fields<'a> {
    fn get(&self, field: &str) -> &'a Value {
        // A dotted name such as "currency.code" reads the related record
        // that Tryton returns under "currency.".
        match field.split_once('.') {
            Some((relation, rest)) => {
                let related = self
                    .row
                    .get(&format!("{relation}."))
                    .and_then(Value::as_object);
                match related {
                    Some(row) => Fields {
                        model: self.model,
                        row,
                    }
                    .get(rest),
                    None => &Value::Null,
                }
            }
            None => self.row.get(field).unwrap_or(&Value::Null),
        }
    }

    /// A malformed field, named by model, record and field, with a short
    /// excerpt of what came instead.
    fn bad(&self, field: &str, what: &str) -> ErpError {
        let mut got = self.get(field).to_string();
        if got.len() > 80 {
            let end = (0..=80)
                .rev()
                .find(|&index| got.is_char_boundary(index))
                .unwrap_or(0);
            got.truncate(end);
            got.push('…');
        }
        ErpError::Protocol(format!(
            "{}, field {field}: expected {what}, got {got}",
            self.record()
        ))
    }

    /// The record as messages name it: its model and, if it has one, id.
    fn record(&self) -> String {
        match self.row.get("id") {
            Some(Value::Number(id)) => format!("{} {id}", self.model),
            _ => self.model.to_owned(),
        }
    }

    /// A figure computed from this record's fields that a decimal cannot
    /// hold: a broken or hostile answer, named by model and record.
    pub fn out_of_range(&self, what: &str) -> ErpError {
        ErpError::Protocol(format!(
            "{}: {what} is beyond what Fieldbook can compute",
            self.record()
        ))
    }

    /// The record's own id. Zero and negative ids are refused: the cache
    /// keeps records written offline under negative ids, and an ERP id must
    /// never meet them.
    pub fn id(&self) -> Result<i64, ErpError> {
        positive_id(self.get("id")).ok_or_else(|| self.bad("id", "an id above 0"))
    }

    pub fn opt_id(&self, field: &str) -> Result<Option<i64>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(None),
            value => positive_id(value)
                .map(Some)
                .ok_or_else(|| self.bad(field, "an id above 0")),
        }
    }

    pub fn req_id(&self, field: &str) -> Result<i64, ErpError> {
        self.opt_id(field)?.ok_or_else(|| self.bad(field, "an id"))
    }

    pub fn ids(&self, field: &str) -> Result<Vec<i64>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .map(|item| positive_id(item).ok_or_else(|| self.bad(field, "ids above 0")))
                .collect(),
            _ => Err(self.bad(field, "a list of ids")),
        }
    }

    pub fn opt_text(&self, field: &str) -> Result<Option<String>, ErpError> {
        match self.get(field) {
            Value::Null | Value::Bool(false) => Ok(None),
            Value::String(text) if text.trim().is_empty() => Ok(None),
            Value::String(text) => Ok(Some(text.clone())),
            _ => Err(self.bad(field, "text")),
        }
    }

    pub fn text(&self, field: &str) -> Result<String, ErpError> {
        Ok(self.opt_text(field)?.unwrap_or_default())
    }

    /// A `sale.sale` state, in Fieldbook's words.
    pub fn sale_state(&self, field: &str) -> Result<SaleState, ErpError> {
        match self.text(field)?.as_str() {
            "draft" => Ok(SaleState::Draft),
            "quotation" => Ok(SaleState::Quote),
            "confirmed" => Ok(SaleState::Confirmed),
            "processing" => Ok(SaleState::Processing),
            "done" => Ok(SaleState::Done),
            "cancelled" => Ok(SaleState::Cancelled),
            _ => Err(self.bad(field, "a sale's state")),
        }
    }

    /// What a `product.price_list`'s formulas call `unit_price`.
    pub fn list_base(&self, field: &str) -> Result<ListBase, ErpError> {
        match self.opt_text(field)?.as_deref() {
            Some("list_price") => Ok(ListBase::ListPrice),
            Some("cost_price") => Ok(ListBase::CostPrice),
            None => Ok(ListBase::Nothing),
            Some(_) => Err(self.bad(field, "a price list's price")),
        }
    }

    /// The unit a `product.price_list`'s quantities are in.
    pub fn list_unit(&self, field: &str) -> Result<ListUnit, ErpError> {
        match self.text(field)?.as_str() {
            "product_default" => Ok(ListUnit::Default),
            "product_sale" => Ok(ListUnit::Sale),
            _ => Err(self.bad(field, "a price list's unit")),
        }
    }

    /// A `sale.complaint` state, in Fieldbook's words.
    pub fn request_state(&self, field: &str) -> Result<RequestState, ErpError> {
        match self.text(field)?.as_str() {
            "draft" => Ok(RequestState::Draft),
            "waiting" => Ok(RequestState::Waiting),
            "approved" => Ok(RequestState::Approved),
            "rejected" => Ok(RequestState::Rejected),
            "done" => Ok(RequestState::Done),
            "cancelled" => Ok(RequestState::Cancelled),
            _ => Err(self.bad(field, "a complaint's state")),
        }
    }

    pub fn boolean(&self, field: &str) -> Result<bool, ErpError> {
        match self.get(field) {
            Value::Bool(value) => Ok(*value),
            Value::Number(number) => Ok(number.as_i64() != Some(0)),
            Value::Null => Ok(false),
            _ => Err(self.bad(field, "a boolean")),
        }
    }

    pub fn opt_decimal(&self, field: &str) -> Result<Option<Decimal>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(None),
            value => decode_decimal(value)
                .map(Some)
                .ok_or_else(|| self.bad(field, "a decimal")),
        }
    }

    pub fn decimal(&self, field: &str) -> Result<Decimal, ErpError> {
        Ok(self.opt_decimal(field)?.unwrap_or_default())
    }

    /// A whole number (a sequence), or nothing.
    pub fn opt_integer(&self, field: &str) -> Result<Option<i64>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(None),
            value => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(field, "a whole number")),
        }
    }

    /// A Tryton float (a quantity): a finite number, or nothing.
    pub fn opt_float(&self, field: &str) -> Result<Option<f64>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(None),
            Value::Number(number) => number
                .as_f64()
                .filter(|value| value.is_finite())
                .map(Some)
                .ok_or_else(|| self.bad(field, "a number")),
            _ => Err(self.bad(field, "a number")),
        }
    }

    pub fn opt_date(&self, field: &str) -> Result<Option<NaiveDate>, ErpError> {
        match self.get(field) {
            Value::Null => Ok(None),
            value => decode_date(value)
                .map(Some)
                .ok_or_else(|| self.bad(field, "a date")),
        }
    }
}

/// An ERP id: a whole number above 0.
pub(crate) fn positive_id(value: &Value) -> Option<i64> {
    value.as_i64().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn datetimes_round_trip_through_tryton_encoding() {
        let time = Utc.with_ymd_and_hms(2026, 11, 25, 8, 30, 5).unwrap()
            + chrono::Duration::microseconds(42);
        assert_eq!(decode_datetime(&encode_datetime(time)), Some(time));
    }

    #[test]
    fn decimals_are_read_from_tagged_objects_and_number_text() {
        let cases = [
            (
                json!({"__class__": "Decimal", "decimal": "3619.90"}),
                Some(dec!(3619.90)),
            ),
            (
                json!({"__class__": "Decimal", "decimal": "815.9000"}),
                Some(dec!(815.9)),
            ),
            (
                serde_json::from_str::<Value>("46.1").unwrap(),
                Some(dec!(46.1)),
            ),
            (json!(12), Some(dec!(12))),
            (
                serde_json::from_str::<Value>("1e-7").unwrap(),
                Some(dec!(0.0000001)),
            ),
            (json!("12"), None),
            (json!({"__class__": "Decimal", "decimal": "abc"}), None),
        ];
        for (value, expected) in cases {
            assert_eq!(decode_decimal(&value), expected, "{value}");
        }
    }

    #[test]
    fn tryton_states_map_onto_fieldbooks_and_an_unknown_one_is_an_error() {
        let sale = |word: Value| {
            let row = json!({"id": 1, "state": word}).as_object().unwrap().clone();
            Fields {
                model: "sale.sale",
                row: &row,
            }
            .sale_state("state")
        };
        let sales = [
            ("draft", SaleState::Draft),
            ("quotation", SaleState::Quote),
            ("confirmed", SaleState::Confirmed),
            ("processing", SaleState::Processing),
            ("done", SaleState::Done),
            ("cancelled", SaleState::Cancelled),
        ];
        for (word, state) in sales {
            assert_eq!(sale(json!(word)).unwrap(), state, "{word}");
        }
        for word in [json!("quote"), json!("sent"), json!(3), Value::Null] {
            assert!(
                matches!(sale(word.clone()), Err(ErpError::Protocol(_))),
                "{word}"
            );
        }
        let request = |word: &str| {
            let row = json!({"id": 1, "state": word}).as_object().unwrap().clone();
            Fields {
                model: "sale.complaint",
                row: &row,
            }
            .request_state("state")
        };
        for state in RequestState::ALL {
            // Tryton's complaint states are Fieldbook's words.
            assert_eq!(request(state.name()).unwrap(), state);
        }
        assert!(request("open").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any JSON value Tryton could send, nested a little.
        fn any_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|n| json!(n)),
                "[0-9eE+.-]{0,40}".prop_map(|text| {
                    serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
                }),
                ".{0,20}".prop_map(Value::String),
            ];
            leaf.prop_recursive(3, 24, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("__class__".to_owned()),
                            Just("decimal".to_owned()),
                            Just("year".to_owned()),
                            Just("month".to_owned()),
                            Just("day".to_owned()),
                            Just("hour".to_owned()),
                            Just("microsecond".to_owned()),
                            "[a-z_]{1,8}",
                        ],
                        inner,
                        0..8
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn decoding_never_panics(value in any_value()) {
                let _ = decode_decimal(&value);
                let _ = decode_datetime(&value);
                let _ = decode_date(&value);
                let row: Row = [("id".to_owned(), value.clone()), ("f".to_owned(), value)].into_iter().collect();
                let fields = Fields { model: "m", row: &row };
                let _ = fields.id();
                let _ = fields.opt_id("f");
                let _ = fields.ids("f");
                let _ = fields.text("f");
                let _ = fields.boolean("f");
                let _ = fields.decimal("f");
                let _ = fields.opt_date("f");
                let _ = fields.text("f.g");
            }

            #[test]
            fn tagged_decimals_decode_to_themselves(mantissa in any::<i64>(), scale in 0u32..28) {
                let decimal = Decimal::new(mantissa, scale);
                let value = json!({"__class__": "Decimal", "decimal": decimal.to_string()});
                prop_assert_eq!(decode_decimal(&value), Some(decimal));
            }

            #[test]
            fn datetime_parts_out_of_range_are_refused_not_wrapped(
                year in any::<i64>(), month in any::<i64>(), day in any::<i64>(),
                hour in any::<i64>(), minute in any::<i64>(), second in any::<i64>(),
            ) {
                let value = json!({"__class__": "datetime", "year": year, "month": month, "day": day,
                    "hour": hour, "minute": minute, "second": second, "microsecond": 0});
                if let Some(time) = decode_datetime(&value) {
                    prop_assert_eq!(i64::from(time.year()), year);
                    prop_assert_eq!(i64::from(time.month()), month);
                    prop_assert_eq!(i64::from(time.day()), day);
                    prop_assert_eq!(i64::from(time.hour()), hour);
                    prop_assert_eq!(i64::from(time.second()), second);
                }
            }

            #[test]
            fn datetimes_round_trip(seconds in 0i64..4_102_444_800, micros in 0u32..1_000_000) {
                let time = DateTime::from_timestamp(seconds, micros * 1000).unwrap();
                prop_assert_eq!(decode_datetime(&encode_datetime(time)), Some(time));
            }
        }
    }

    #[test]
    fn fields_read_dotted_relations_and_accept_numeric_booleans() {
        let row: Row = serde_json::from_value(json!({
            "id": 3, "active": 1, "salable": false, "name": "  ", "currency.": {"id": 1, "code": "CNY"},
            "write_date": null,
            "create_date": {"__class__": "datetime", "year": 2026, "month": 1, "day": 2, "hour": 3, "minute": 4, "second": 5, "microsecond": 0},
        }))
        .unwrap();
        let fields = Fields {
            model: "sale.sale",
            row: &row,
        };
        assert_eq!(fields.id().unwrap(), 3);
        assert!(fields.boolean("active").unwrap());
        assert!(!fields.boolean("salable").unwrap());
        assert_eq!(fields.opt_text("name").unwrap(), None);
        assert_eq!(fields.text("currency.code").unwrap(), "CNY");
        assert_eq!(fields.opt_text("missing.code").unwrap(), None);
        let error = fields.req_id("party").unwrap_err().to_string();
        assert!(error.contains("sale.sale 3, field party"), "{error}");
    }

    #[test]
    fn ids_of_zero_or_below_and_malformed_fields_name_model_record_and_field() {
        let row = |value: Value| -> Row {
            serde_json::from_value(json!({"id": 7, "party": value, "lines": [1, value]})).unwrap()
        };
        for bad in [json!(0), json!(-3), json!("4"), json!(1.5), json!(true)] {
            let row = row(bad.clone());
            let fields = Fields {
                model: "sale.sale",
                row: &row,
            };
            let error = fields.opt_id("party").unwrap_err().to_string();
            assert!(error.contains("sale.sale 7, field party"), "{bad}: {error}");
            assert!(fields.ids("lines").is_err(), "{bad}");
        }
        let row: Row = serde_json::from_value(json!({"id": -1})).unwrap();
        let fields = Fields {
            model: "party.party",
            row: &row,
        };
        assert!(fields.id().is_err());
        // A long value is cut in the message.
        let row: Row =
            serde_json::from_value(json!({"id": 2, "name": ["x".repeat(10_000)]})).unwrap();
        let fields = Fields {
            model: "party.party",
            row: &row,
        };
        let error = fields.text("name").unwrap_err().to_string();
        assert!(error.len() < 300, "{error}");
    }
}
