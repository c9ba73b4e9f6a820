use chrono::{DateTime, Utc};
use std::fmt;

/// How old a figure is, rounded the way a person says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Age {
    /// Under a minute (or a clock that runs slightly behind the ERP's).
    JustNow,
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

/// The age of something synced at `synced_at`, seen at `now`.
pub fn age_between(synced_at: DateTime<Utc>, now: DateTime<Utc>) -> Age {
    let seconds = (now - synced_at).num_seconds();
    match seconds {
        s if s < 60 => Age::JustNow,
        s if s < 3600 => Age::Minutes(s / 60),
        s if s < 48 * 3600 => Age::Hours(s / 3600),
        s => Age::Days(s / 86_400),
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Age::JustNow => f.write_str("just now"),
            Age::Minutes(m) => write!(f, "{m} min ago"),
            Age::Hours(h) => write!(f, "{h} h ago"),
            Age::Days(d) => write!(f, "{d} d ago"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_read_the_way_people_say_them() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let cases = [
            (0, "just now"),
            (-30, "just now"),
            (59, "just now"),
            (60, "1 min ago"),
            (59 * 60 + 59, "59 min ago"),
            (3600, "1 h ago"),
            (2 * 3600 + 5, "2 h ago"),
            (47 * 3600, "47 h ago"),
            (48 * 3600, "2 d ago"),
            (30 * 86_400, "30 d ago"),
        ];
        for (seconds_ago, expected) in cases {
            let synced_at = now - chrono::Duration::seconds(seconds_ago);
            assert_eq!(
                age_between(synced_at, now).to_string(),
                expected,
                "{seconds_ago} s"
            );
        }
    }
}
