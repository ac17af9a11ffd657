//! Sizes as a scenario writes them (`96G`, `500 GiB`).

use serde::Deserialize;

/// A byte count written as `96G`, `500 GiB`, `2T`, `512M` or plain bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Size(n)),
            Raw::Text(t) => parse_size(&t).map(Size).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "size {t:?} is not a size like \"96G\", \"500 GiB\" or \"512M\""
                ))
            }),
        }
    }
}

/// Parse `4G`, `4096M`, `4 GiB`, `1.5T`, `100` (bytes). Units are binary, as in Proxmox.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit.trim_end_matches("IB").trim_end_matches('B');
    let factor: f64 = match unit {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024f64.powi(2),
        "G" => 1024f64.powi(3),
        "T" => 1024f64.powi(4),
        "P" => 1024f64.powi(5),
        _ => return None,
    };
    if value < 0.0 || !value.is_finite() {
        return None;
    }
    Some((value * factor).round() as u64)
}
