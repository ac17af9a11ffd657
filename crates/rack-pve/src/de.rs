//! Serde helpers for what Proxmox sends and expects: booleans as 0/1, numbers that sometimes
//! arrive as strings.

use serde::{Deserialize, Deserializer, Serializer};

/// Serialize a bool as Proxmox does: the integer 0 or 1.
pub fn bool01<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*value))
}

/// Accept 0/1, true/false, "0"/"1"/"" and "true"/"false" for a boolean.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    bool_of(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, got {value}")))
}

/// Serialize an optional bool as 0/1; pair with `skip_serializing_if = "Option::is_none"`.
pub fn opt_bool01<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_u8(u8::from(*v)),
        None => s.serialize_none(),
    }
}

/// Serialize an optional count held as f64 as Proxmox sends it: an integer when it is whole.
pub fn opt_whole<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
        None => s.serialize_none(),
    }
}

/// An optional boolean in any of Proxmox's shapes; anything unreadable is `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(bool_of(&serde_json::Value::deserialize(d)?))
}

/// An optional number sent as a number or a string; anything unreadable is `None` rather than a
/// failed answer, since one odd field must not hide a whole cluster.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(number_of(&serde_json::Value::deserialize(d)?).filter(|n| n.is_finite()))
}

/// As [`opt_f64`], for counts and byte sizes (negative or fractional values are rounded into
/// range).
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(opt_f64(d)?.map(|n| n.max(0.0).round() as u64))
}

/// As [`opt_f64`], for ids such as a VMID.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(opt_f64(d)?
        .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX) && n.fract() == 0.0)
        .map(|n| n as u32))
}

/// A TCP port sent as a number or a string; anything else is an error, since a terminal cannot
/// open without it.
pub fn port<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    number_of(&value)
        .filter(|n| *n > 0.0 && *n <= f64::from(u16::MAX) && n.fract() == 0.0)
        .map(|n| n as u16)
        .ok_or_else(|| serde::de::Error::custom(format!("{value} is not a port")))
}

/// An optional string; a number is taken as its decimal text, anything else as absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// As [`opt_string`], for a `Cow` field of a shape the simulator also writes.
pub fn opt_cow<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::borrow::Cow<'static, str>>, D::Error> {
    Ok(opt_string(d)?.map(std::borrow::Cow::Owned))
}

/// A list of numbers, each a number or a string (`loadavg`); unreadable entries are dropped.
pub fn f64_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items.iter().filter_map(number_of).collect(),
        _ => Vec::new(),
    })
}

/// Interpret a JSON value the way Proxmox's clients do.
pub fn bool_of(value: &serde_json::Value) -> Option<bool> {
    use serde_json::Value;
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim() {
            "" | "0" | "false" | "no" | "off" => Some(false),
            "1" | "true" | "yes" | "on" => Some(true),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

/// A number that may arrive as a JSON number or as a string (`"vmid":"100"`).
pub fn number_of(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_come_in_many_shapes() {
        assert_eq!(bool_of(&json!(1)), Some(true));
        assert_eq!(bool_of(&json!("0")), Some(false));
        assert_eq!(bool_of(&json!("")), Some(false));
        assert_eq!(bool_of(&json!(true)), Some(true));
        assert_eq!(bool_of(&json!([1])), None);
    }

    #[test]
    fn numbers_may_be_strings() {
        assert_eq!(number_of(&json!("100")), Some(100.0));
        assert_eq!(number_of(&json!(7)), Some(7.0));
        assert_eq!(number_of(&json!("x")), None);
    }
}
