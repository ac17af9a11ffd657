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

/// One of a guest's network interfaces, as its guest agent (`agent/network-get-interfaces`) or
/// the container's `ip` (`lxc/{vmid}/interfaces`) report it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
pub struct GuestInterface {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// The MAC (see `mac()`).
    #[serde(
        default,
        rename = "hardware-address",
        deserialize_with = "de::opt_string"
    )]
    pub mac: Option<String>,
    /// Containers also send the MAC as `hwaddr` (the older name; some send only it).
    #[serde(default, skip_serializing, deserialize_with = "de::opt_string")]
    pub hwaddr: Option<String>,
    #[serde(default, rename = "ip-addresses", deserialize_with = "lenient_list")]
    pub addresses: Vec<IpAddress>,
}

/// An address of an interface: the agent names the family `ipv4`/`ipv6`, `ip` `inet`/`inet6`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
pub struct IpAddress {
    #[serde(default, rename = "ip-address", deserialize_with = "de::opt_string")]
    pub address: Option<String>,
    #[serde(
        default,
        rename = "ip-address-type",
        deserialize_with = "de::opt_string"
    )]
    pub family: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub prefix: Option<u32>,
}

impl GuestInterface {
    pub fn mac(&self) -> Option<&str> {
        self.mac.as_deref().or(self.hwaddr.as_deref())
    }
}

impl IpAddress {
    pub fn is_v4(&self) -> bool {
        matches!(self.family.as_deref(), Some("ipv4" | "inet"))
            || self.address.as_deref().is_some_and(|a| a.contains('.'))
    }

    /// Loopback and link-local addresses say nothing about where to reach a guest.
    pub fn is_reachable(&self) -> bool {
        let Some(a) = self.address.as_deref() else {
            return false;
        };
        let lower = a.to_ascii_lowercase();
        !(a.starts_with("127.")
            || lower == "::1"
            || lower.starts_with("fe80:")
            || a.starts_with("169.254."))
    }
}

/// `agent/network-get-interfaces` answers `{"result": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AgentInterfaces {
    #[serde(default, deserialize_with = "lenient_list")]
    pub result: Vec<GuestInterface>,
}

/// A list that may be missing, null or malformed entries: what can be read of it.
fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod interface_tests {
    use super::*;

    #[test]
    fn agent_and_container_answers_read_alike() {
        let agent: AgentInterfaces = serde_json::from_str(
            r#"{"result":[{"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[{"ip-address":"127.0.0.1","ip-address-type":"ipv4","prefix":8}]},
                {"name":"ens18","hardware-address":"bc:24:11:3a:04:01","ip-addresses":[{"ip-address":"10.8.28.40","ip-address-type":"ipv4","prefix":"22"},{"ip-address":"fe80::be24:11ff:fe3a:401","ip-address-type":"ipv6","prefix":64}],"statistics":{}},
                "junk"]}"#,
        )
        .unwrap_or_default();
        assert_eq!(agent.result.len(), 2);
        let ens = &agent.result[1];
        assert_eq!(ens.mac(), Some("bc:24:11:3a:04:01"));
        assert_eq!(ens.addresses[0].prefix, Some(22));
        assert!(ens.addresses[0].is_v4() && ens.addresses[0].is_reachable());
        assert!(!ens.addresses[1].is_reachable());
        let ct: Vec<GuestInterface> = serde_json::from_str(
            r#"[{"name":"eth0","hwaddr":"bc:24:11:3b:00:01","hardware-address":"bc:24:11:3b:00:01","inet":"10.8.28.50/22","ip-addresses":[{"ip-address":"10.8.28.50","ip-address-type":"inet","prefix":22}]}]"#,
        )
        .unwrap_or_default();
        assert_eq!(ct[0].mac(), Some("bc:24:11:3b:00:01"));
        assert!(ct[0].addresses[0].is_v4());
    }
}
