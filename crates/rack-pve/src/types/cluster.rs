//! `/cluster/*` answers.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::de;

/// What a `/cluster/resources` entry describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Node,
    Qemu,
    Lxc,
    Storage,
    Pool,
    Sdn,
    Network,
    Openvz,
    /// A type a newer Proxmox added; kept so the rest of the answer still reads.
    #[default]
    #[serde(other)]
    Other,
}

/// One entry of `GET /cluster/resources`: every field but `id` and `type` is optional, and which
/// are present depends on the type. Text is `Cow` so the simulator can lend its own strings when it
/// writes thousands of these per answer; what the client reads is owned (`ClusterResource<'static>`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterResource<'a> {
    pub id: Cow<'a, str>,
    #[serde(rename = "type")]
    pub kind: ResourceKind,
    #[serde(deserialize_with = "de::opt_cow")]
    pub status: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub node: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub name: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_u32")]
    pub vmid: Option<u32>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub pool: Option<Cow<'a, str>>,
    /// `;`-separated.
    #[serde(deserialize_with = "de::opt_cow")]
    pub tags: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_bool", serialize_with = "de::opt_bool01")]
    pub template: Option<bool>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub lock: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub hastate: Option<Cow<'a, str>>,
    /// A fraction (0..1) of `maxcpu`.
    #[serde(deserialize_with = "de::opt_f64")]
    pub cpu: Option<f64>,
    /// A count, sent as an integer (`8`, never `8.0`), though read leniently.
    #[serde(deserialize_with = "de::opt_f64", serialize_with = "de::opt_whole")]
    pub maxcpu: Option<f64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub mem: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub disk: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub diskread: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub diskwrite: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub netin: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub netout: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub uptime: Option<u64>,
    /// Node: subscription level.
    #[serde(deserialize_with = "de::opt_cow")]
    pub level: Option<Cow<'a, str>>,
    #[serde(rename = "cgroup-mode", deserialize_with = "de::opt_u64")]
    pub cgroup_mode: Option<u64>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub storage: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub content: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub plugintype: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "de::opt_bool", serialize_with = "de::opt_bool01")]
    pub shared: Option<bool>,
    #[serde(deserialize_with = "de::opt_cow")]
    pub sdn: Option<Cow<'a, str>>,
    #[serde(rename = "zone-type", deserialize_with = "de::opt_cow")]
    pub zone_type: Option<Cow<'a, str>>,
}

impl ClusterResource<'_> {
    /// Whether a storage holds this content type (`backup`, `images`, `iso` …).
    pub fn holds(&self, content: &str) -> bool {
        self.content
            .as_deref()
            .is_some_and(|c| c.split(',').any(|x| x.trim() == content))
    }
}

/// `GET /cluster/nextid`'s answer: Proxmox declares an integer and sends a string.
pub fn next_id(answer: &serde_json::Value) -> Option<u32> {
    answer
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| answer.as_u64().and_then(|n| u32::try_from(n).ok()))
}

/// One entry of `GET /cluster/status`: the cluster itself, or one member node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClusterStatusItem {
    pub id: String,
    pub name: String,
    /// `cluster` or `node`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "de::opt_u64")]
    pub nodes: Option<u64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub quorate: Option<bool>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub version: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub ip: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub online: Option<bool>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub local: Option<bool>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub nodeid: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub level: Option<String>,
}

/// One entry of `GET /cluster/tasks` (recent and running tasks of all nodes).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClusterTask {
    pub upid: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub node: Option<String>,
    #[serde(rename = "type", deserialize_with = "de::opt_string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub user: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub starttime: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub endtime: Option<u64>,
    /// The exit status once finished ("OK", "WARNINGS: n" or the error); absent while running.
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
}

/// `GET /version`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Version {
    pub version: String,
    pub release: String,
    pub repoid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_real_clusters_send() {
        let item: ClusterResource<'static> = serde_json::from_str(
            r#"{"id":"qemu/100","type":"qemu","vmid":"100","template":"","maxmem":2147483648.0,
                "cpu":"0.25","name":7,"newfield":{"x":1},"status":null}"#,
        )
        .unwrap();
        assert_eq!(item.vmid, Some(100));
        assert_eq!(item.template, Some(false));
        assert_eq!(item.maxmem, Some(2 << 30));
        assert_eq!(item.cpu, Some(0.25));
        assert_eq!(item.name.as_deref(), Some("7"));
        assert_eq!(item.status, None);
        let odd: ClusterResource<'static> =
            serde_json::from_str(r#"{"id":"x/1","type":"network","vmid":-3}"#).unwrap();
        assert_eq!(odd.kind, ResourceKind::Network);
        assert_eq!(odd.vmid, None);
        let newer: ClusterResource<'static> =
            serde_json::from_str(r#"{"id":"x/1","type":"fabric"}"#).unwrap();
        assert_eq!(newer.kind, ResourceKind::Other);
    }

    #[test]
    fn writes_booleans_as_proxmox_does() {
        let item = ClusterResource {
            id: "lxc/200".into(),
            kind: ResourceKind::Lxc,
            template: Some(true),
            ..ClusterResource::default()
        };
        assert_eq!(
            serde_json::to_string(&item).unwrap(),
            r#"{"id":"lxc/200","type":"lxc","template":1}"#
        );
    }
}

/// `GET /cluster/log`: one entry of the cluster log (pmxcfs's, newest first).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClusterLogEntry {
    /// `uid:node`, added by pve-manager.
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub time: Option<u64>,
    /// syslog priority: 3 error, 4 warning, 6 info.
    #[serde(deserialize_with = "de::opt_u64")]
    pub pri: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub tag: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub node: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub user: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub msg: Option<String>,
}
