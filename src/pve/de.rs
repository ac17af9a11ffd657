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
