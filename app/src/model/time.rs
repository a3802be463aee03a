//! [`Timestamp`]: one instant type for JSON, SQLite and MongoDB.
//!
//! In human-readable formats (JSON) it is an RFC 3339 string with millisecond
//! precision and a `Z` suffix (`2026-11-27T09:00:00.000Z`), fixed width, so it
//! also sorts correctly as text. In binary formats (BSON) it is written the way
//! `bson::DateTime` writes itself (a struct named `$date` holding a struct named
//! `$numberLong`), which both `bson` serializers turn into a native BSON date,
//! so MongoDB TTL indexes and date comparisons work on it. (`bson::to_document`
//! presents itself as human-readable and would write strings: the MongoDB store
//! serializes with bson's raw serializer, as the driver does.)

use std::fmt;
use std::ops::{Add, Sub};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// On the wire an RFC 3339 string (BSON dates are accepted on input, see below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = String, format = DateTime))]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current instant, truncated to milliseconds (the precision every store keeps).
    pub fn now() -> Self {
        Self::from_millis(Utc::now().timestamp_millis())
    }

    pub fn from_millis(millis: i64) -> Self {
        Self(Utc.timestamp_millis_opt(millis).single().unwrap_or_default())
    }

    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// RFC 3339 with milliseconds and `Z`, e.g. `2026-11-27T09:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn parse(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Self::from_millis(t.with_timezone(&Utc).timestamp_millis()))
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Self::from_millis(self.millis().saturating_add(secs.saturating_mul(1000)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self::from_millis(value.timestamp_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Add<std::time::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: std::time::Duration) -> Timestamp {
        Self::from_millis(self.millis().saturating_add(rhs.as_millis() as i64))
    }
}

impl Sub<std::time::Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: std::time::Duration) -> Timestamp {
        Self::from_millis(self.millis().saturating_sub(rhs.as_millis() as i64))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_rfc3339())
        } else {
            // The struct names matter: bson's raw serializer (the driver's) recognises a
            // date by the struct name `$date`, not by a map key.
            struct NumberLong(i64);
            impl Serialize for NumberLong {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut body = s.serialize_struct("$numberLong", 1)?;
                    body.serialize_field("$numberLong", &self.0.to_string())?;
                    body.end()
                }
            }
            let mut date = serializer.serialize_struct("$date", 1)?;
            date.serialize_field("$date", &NumberLong(self.millis()))?;
            date.end()
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp, milliseconds since the epoch, or a BSON date")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse(v).ok_or_else(|| E::custom(format!("invalid timestamp {v:?}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_millis(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        i64::try_from(v)
            .map(Timestamp::from_millis)
            .map_err(|_| E::custom("timestamp out of range"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
        // A BSON date read back: {"$date": {"$numberLong": "<ms>"}} (bson's raw
        // deserializer), {"$date": "<RFC 3339>"} (`bson::from_document`) or {"$date": <ms>}.
        let key: String = map.next_key()?.ok_or_else(|| de::Error::custom("empty date"))?;
        if key != "$date" {
            return Err(de::Error::custom(format!("unexpected key {key:?} in a date")));
        }
        let value: DateValue = map.next_value()?;
        match value {
            DateValue::Millis(ms) => Ok(Timestamp::from_millis(ms)),
            DateValue::NumberLong { number_long } => number_long
                .parse()
                .map(Timestamp::from_millis)
                .map_err(|_| de::Error::custom("invalid $numberLong")),
            DateValue::Text(text) => self.visit_str(&text),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateValue {
    Millis(i64),
    NumberLong {
        #[serde(rename = "$numberLong")]
        number_long: String,
    },
    Text(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_fixed_width_rfc3339_with_millis() {
        let t = Timestamp::from_millis(1_795_000_000_000);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-18T11:06:40.000Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn text_order_matches_time_order() {
        let earlier = Timestamp::from_millis(1_000);
        let later = Timestamp::from_millis(10_000_000);
        assert!(earlier.to_rfc3339() < later.to_rfc3339());
    }

    #[test]
    fn accepts_millis_and_extended_json() {
        let t: Timestamp = serde_json::from_str("1795000000000").unwrap();
        assert_eq!(t.millis(), 1_795_000_000_000);
        let t: Timestamp =
            serde_json::from_str(r#"{"$date": {"$numberLong": "1795000000000"}}"#).unwrap();
        assert_eq!(t.millis(), 1_795_000_000_000);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }
}
