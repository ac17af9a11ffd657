//! `GET /cluster/metrics/export` (pve-manager since August 2024, PVE 8.2): pvestatd's figures of every node, guest and
//! storage, one generation each 10 s, the newest half hour kept. rack reads the nodes' figures
//! only; a large cluster's answer is tens of thousands of guest entries, skipped while reading
//! without being kept.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de};

use crate::de as lenient;

/// The nodes' entries of an export, in the order sent (by time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsExport {
    pub nodes: Vec<NodeMetric>,
}

/// One figure of one node at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeMetric {
    pub node: String,
    pub metric: NodeMetricKind,
    /// Unix seconds.
    pub timestamp: u64,
    pub value: f64,
}

/// The node figures rack uses (PullMetric's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeMetricKind {
    Uptime,
    /// Bytes received by the physical NICs since boot (a `derive` counter).
    NetIn,
    NetOut,
    /// The load averages.
    CpuAvg1,
    CpuAvg5,
    CpuAvg15,
    /// Threads.
    CpuMax,
    /// A fraction of all threads.
    CpuCurrent,
    MemTotal,
    MemUsed,
}

impl NodeMetricKind {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "uptime" => Self::Uptime,
            "net_in" => Self::NetIn,
            "net_out" => Self::NetOut,
            "cpu_avg1" => Self::CpuAvg1,
            "cpu_avg5" => Self::CpuAvg5,
            "cpu_avg15" => Self::CpuAvg15,
            "cpu_max" => Self::CpuMax,
            "cpu_current" => Self::CpuCurrent,
            "mem_total" => Self::MemTotal,
            "mem_used" => Self::MemUsed,
            _ => return None,
        })
    }
}

/// An entry as sent; its strings borrowed from the answer where they can be.
#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metric: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    value: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    timestamp: Option<u64>,
}

impl<'de> Deserialize<'de> for MetricsExport {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ExportVisitor)
    }
}

struct ExportVisitor;

impl<'de> Visitor<'de> for ExportVisitor {
    type Value = MetricsExport;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with the list of metrics in `data`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetricsExport, A::Error> {
        let mut export = MetricsExport::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "data" {
                export = map.next_value::<NodesOnly>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(export)
    }
}

/// The `data` list, keeping the nodes' entries that carry a figure rack uses.
struct NodesOnly(MetricsExport);

impl<'de> Deserialize<'de> for NodesOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = NodesOnly;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of metrics")
            }
            fn visit_unit<E: de::Error>(self) -> Result<NodesOnly, E> {
                Ok(NodesOnly(MetricsExport::default()))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<NodesOnly, S::Error> {
                let mut nodes = Vec::new();
                while let Some(entry) = seq.next_element::<RawEntry<'de>>()? {
                    let node = entry.id.as_deref().and_then(|id| id.strip_prefix("node/"));
                    let metric = entry.metric.as_deref().and_then(NodeMetricKind::of);
                    if let (Some(node), Some(metric), Some(timestamp), Some(value)) =
                        (node, metric, entry.timestamp, entry.value)
                    {
                        nodes.push(NodeMetric {
                            node: node.to_string(),
                            metric,
                            timestamp,
                            value,
                        });
                    }
                }
                Ok(NodesOnly(MetricsExport { nodes }))
            }
        }
        d.deserialize_any(ListVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_nodes_figures_are_kept_read_leniently() {
        let text = r#"{"data":[
            {"metric":"cpu_avg1","id":"node/pve1","value":1.5,"timestamp":100,"type":"gauge"},
            {"metric":"cpu_current","id":"qemu/101","value":0.2,"timestamp":100,"type":"gauge"},
            {"metric":"net_in","id":"node/pve1","value":"123456","timestamp":"100","type":"derive"},
            {"metric":"swap_used","id":"node/pve1","value":0,"timestamp":100,"type":"gauge"},
            {"metric":"disk_used","id":"storage/pve1/local","value":5,"timestamp":100,"type":"gauge"},
            {"id":"node/pve1"}
        ]}"#;
        let export: MetricsExport = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(
            export.nodes,
            vec![
                NodeMetric {
                    node: "pve1".into(),
                    metric: NodeMetricKind::CpuAvg1,
                    timestamp: 100,
                    value: 1.5
                },
                NodeMetric {
                    node: "pve1".into(),
                    metric: NodeMetricKind::NetIn,
                    timestamp: 100,
                    value: 123_456.0
                },
            ]
        );
        let empty: MetricsExport = serde_json::from_str(r#"{"data":[]}"#).unwrap_or_default();
        assert!(empty.nodes.is_empty());
    }
}
