//! HA and corosync answers: `/cluster/ha/status/*`, `/cluster/ha/resources`, `/cluster/ha/rules`,
//! `/cluster/config/nodes`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::de;

/// One entry of `GET /cluster/ha/status/current`: quorum, master, one `lrm` per node, one
/// `service` per HA resource, and (9.1) the fencing state.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HaStatusItem {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub node: Option<String>,
    /// Free text such as `pve1 (active, Fri Nov 21 10:51:29 2026)`.
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub sid: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub crm_state: Option<String>,
    /// What the user asked for: started, stopped, disabled, ignored.
    #[serde(deserialize_with = "de::opt_string")]
    pub request_state: Option<String>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub max_restart: Option<u32>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub max_relocate: Option<u32>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub failback: Option<bool>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub quorate: Option<bool>,
    /// The fencing entry's state: armed, standby, disarming, disarmed.
    #[serde(rename = "armed-state", deserialize_with = "de::opt_string")]
    pub armed_state: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub timestamp: Option<u64>,
}

/// `GET /cluster/ha/resources` entry: a service's configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HaResource {
    pub sid: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub max_restart: Option<u32>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub max_relocate: Option<u32>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub failback: Option<bool>,
    /// HA group (Proxmox VE 8 and older; 9 replaced groups with rules).
    #[serde(deserialize_with = "de::opt_string")]
    pub group: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub comment: Option<String>,
}

/// `GET /cluster/ha/rules` entry (Proxmox VE 9): node affinity (where services may or prefer to
/// run) or resource affinity (services kept together or apart).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HaRule {
    pub rule: String,
    /// `node-affinity` or `resource-affinity`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `vm:100,ct:101`
    #[serde(deserialize_with = "de::opt_string")]
    pub resources: Option<String>,
    /// `node1:2,node2` (node affinity): nodes with optional priorities.
    #[serde(deserialize_with = "de::opt_string")]
    pub nodes: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub strict: Option<bool>,
    /// `positive` or `negative` (resource affinity).
    #[serde(deserialize_with = "de::opt_string")]
    pub affinity: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub disable: Option<bool>,
    #[serde(deserialize_with = "de::opt_string")]
    pub comment: Option<String>,
}

/// `GET /cluster/config/nodes` entry: a node in corosync.conf.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CorosyncNode {
    #[serde(deserialize_with = "de::opt_string")]
    pub node: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub nodeid: Option<u32>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub quorum_votes: Option<u32>,
}

impl CorosyncNode {
    pub fn node_name(&self) -> Option<&str> {
        self.node.as_deref().or(self.name.as_deref())
    }
}

/// What rack takes from `GET /cluster/ha/status/manager_status`, which the schema leaves untyped:
/// the CRM's view of each node (online, maintenance, unknown, fence, gone) and each LRM's mode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HaManagerStatus {
    pub master: Option<String>,
    /// Node -> online | maintenance | unknown | fence | gone.
    pub node_status: BTreeMap<String, String>,
    /// Node -> (mode, state): (active | maintenance | restart | shutdown, active |
    /// wait_for_agent_lock | lost_agent_lock).
    pub lrm: BTreeMap<String, (String, String)>,
}

impl<'de> Deserialize<'de> for HaManagerStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let manager = value.get("manager_status");
        let node_status = manager
            .and_then(|m| m.get("node_status"))
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(node, s)| Some((node.clone(), text(Some(s))?)))
                    .collect()
            })
            .unwrap_or_default();
        let lrm = value
            .get("lrm_status")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(node, l)| {
                        let field = |k| text(l.get(k)).unwrap_or_default();
                        (node.clone(), (field("mode"), field("state")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            master: text(manager.and_then(|m| m.get("master_node"))),
            node_status,
            lrm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_status_reads_what_it_can_and_ignores_the_rest() {
        let s: HaManagerStatus = serde_json::from_str(
            r#"{"manager_status":{"master_node":"pve1","node_status":{"pve1":"online","pve2":"fence","pve3":7},
                "service_status":{}},"lrm_status":{"pve1":{"mode":"active","state":"active"},"pve2":"odd"},
                "quorum":{"node":"pve1","quorate":"1"}}"#,
        )
        .unwrap();
        assert_eq!(s.master.as_deref(), Some("pve1"));
        assert_eq!(s.node_status.get("pve2").map(String::as_str), Some("fence"));
        assert!(!s.node_status.contains_key("pve3"));
        assert_eq!(s.lrm.get("pve1"), Some(&("active".into(), "active".into())));
        assert_eq!(s.lrm.get("pve2"), Some(&(String::new(), String::new())));
        let empty: HaManagerStatus = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, HaManagerStatus::default());
    }

    #[test]
    fn corosync_nodes_send_numbers_as_strings() {
        let n: Vec<CorosyncNode> = serde_json::from_str(
            r#"[{"name":"pve1","nodeid":"1","quorum_votes":"2","ring0_addr":"10.0.0.1"}]"#,
        )
        .unwrap();
        assert_eq!(n[0].node_name(), Some("pve1"));
        assert_eq!(n[0].quorum_votes, Some(2));
    }
}
