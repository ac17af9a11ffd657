//! `/nodes/{node}/{qemu|lxc}/{vmid}/*` and storage content answers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::de;

/// `GET …/config`: every key as text (Proxmox sends some as numbers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestConfig(pub BTreeMap<String, String>);

impl<'de> Deserialize<'de> for GuestConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(d)?;
        Ok(Self(
            map.into_iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => u8::from(b).to_string(),
                        _ => return None,
                    };
                    Some((k, text))
                })
                .collect(),
        ))
    }
}

impl GuestConfig {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// One entry of `GET …/snapshot`; the entry named `current` is "you are here".
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub name: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub parent: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub snaptime: Option<u64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub vmstate: Option<bool>,
}

/// One entry of `GET /nodes/{node}/storage/{storage}/content`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StorageVolume {
    pub volid: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub content: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub format: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub size: Option<u64>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub vmid: Option<u32>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub ctime: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub notes: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub protected: Option<bool>,
    /// PBS verification of a backup: state "ok" or "failed"; absent when not verified yet.
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Verification {
    #[serde(deserialize_with = "de::opt_string")]
    pub state: Option<String>,
}
