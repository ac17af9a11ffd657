//! `/nodes/{node}/tasks/{upid}/…` answers, and `GET /access/permissions`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::de;

/// `GET /nodes/{node}/tasks/{upid}/status`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TaskStatus {
    pub upid: String,
    /// `running` or `stopped`.
    pub status: String,
    /// Once stopped: `OK`, `WARNINGS: n`, or the error.
    #[serde(deserialize_with = "de::opt_string")]
    pub exitstatus: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub starttime: Option<u64>,
    #[serde(rename = "type", deserialize_with = "de::opt_string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub user: Option<String>,
}

impl TaskStatus {
    pub fn running(&self) -> bool {
        self.status == "running"
    }
}

/// Whether a finished task's exit status means it did what it was asked.
pub fn exit_ok(exitstatus: &str) -> bool {
    exitstatus == "OK" || exitstatus.starts_with("WARNINGS")
}

/// One line of `GET /nodes/{node}/tasks/{upid}/log`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TaskLogLine {
    #[serde(deserialize_with = "de::opt_u64")]
    pub n: Option<u64>,
    pub t: String,
}

/// `GET /access/permissions`: path -> the privileges held there. Proxmox sends each privilege
/// with its propagate flag; a privilege listed at all is held on that path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permissions(pub BTreeMap<String, Vec<String>>);

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(d)?;
        Ok(Self(
            map.into_iter()
                .map(|(path, privs)| {
                    let list = privs
                        .as_object()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default();
                    (path, list)
                })
                .collect(),
        ))
    }
}
