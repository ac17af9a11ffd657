//! The nodes' figures from the metrics export, kept across reads: the newest of each node (the
//! LOAD column) and each node's last hour a point a minute (the cluster charts), built as
//! rrddata's hour is — the average of what fell in each minute, network rates from the NICs'
//! counters. One request a cycle instead of one per node.

use std::collections::BTreeMap;

use crate::model::cluster_rrd::{ClusterHistory, node_part};
use crate::model::partial::Partial;
use crate::pve::types::{MetricsExport, NodeMetric, NodeMetricKind, RrdPoint};

/// Points a minute kept per node: rrddata's hour has 70.
const MINUTES_KEPT: usize = 70;
/// Seconds a node's figures may trail the newest generation and still be its own: pvestatd
/// writes each node's generation on its own 10 s cycle.
const CURRENT_WITHIN: u64 = 20;
/// Seconds a node's minutes may trail the newest before it is left out of the charts' sum.
const TRAILING: u64 = 120;
/// Seconds before the slowest node's newest generation the next read starts from.
const READ_BACK: u64 = 30;

/// What the export said, folded read after read.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// False when the cluster has no export (older than pve-manager of August 2024): LOAD and
    /// the charts then come from each node. A fact about the cluster, not an error.
    pub available: bool,
    /// The newest time read, where the next read starts.
    pub newest: Option<u64>,
    pub nodes: BTreeMap<String, NodeNow>,
    /// Each node's minutes, oldest first.
    pub minutes: BTreeMap<String, Vec<RrdPoint>>,
    /// Whether the hour before the first read is in `minutes`: from the export's history, or
    /// from the nodes' rrddata read once.
    pub seeded: bool,
    building: BTreeMap<String, Minute>,
    counters: BTreeMap<String, (u64, f64, f64)>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            available: true,
            newest: None,
            nodes: BTreeMap::new(),
            minutes: BTreeMap::new(),
            seeded: false,
            building: BTreeMap::new(),
            counters: BTreeMap::new(),
        }
    }
}

/// A node's newest figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeNow {
    /// Unix seconds of the generation they come from.
    pub at: u64,
    /// The 1-minute load average (the LOAD column's).
    pub load: Option<f64>,
    pub cpu: Option<f64>,
    pub threads: Option<f64>,
    pub mem_used: Option<f64>,
    pub mem_total: Option<f64>,
}

/// The minute being summed for a node.
#[derive(Debug, Clone, Default, PartialEq)]
struct Minute {
    end: u64,
    sums: [f64; 5],
    counts: [u32; 5],
}

/// The figures of one node at one time.
#[derive(Debug, Default)]
struct Sample {
    now: NodeNow,
    net: (Option<f64>, Option<f64>),
}

impl Metrics {
    /// The cluster has no metrics export.
    pub fn absent() -> Self {
        Self {
            available: false,
            ..Self::default()
        }
    }

    /// Fold in a read's answer: generations already folded are skipped, so a read that
    /// overlaps the last one counts nothing twice.
    pub fn fold(&mut self, export: MetricsExport) {
        self.fold_into(export, false);
    }

    /// Fold in a read of the newest generation alone (a large cluster's, once a minute): its
    /// nodes' figures all go into one minute, that of its newest time. Nodes' generations are
    /// seconds apart, and split over two minutes they would each sum only part of the cluster.
    pub fn fold_newest(&mut self, export: MetricsExport) {
        self.fold_into(export, true);
    }

    fn fold_into(&mut self, export: MetricsExport, one_minute: bool) {
        let mut samples: BTreeMap<(u64, String), Sample> = BTreeMap::new();
        for NodeMetric {
            node,
            metric,
            timestamp,
            value,
        } in export.nodes
        {
            if !value.is_finite() {
                continue;
            }
            let s = samples.entry((timestamp, node)).or_default();
            s.now.at = timestamp;
            match metric {
                NodeMetricKind::CpuAvg1 => s.now.load = Some(value),
                // Nothing on screen shows them.
                NodeMetricKind::CpuAvg5 | NodeMetricKind::CpuAvg15 | NodeMetricKind::Uptime => {}
                NodeMetricKind::CpuCurrent => s.now.cpu = Some(value),
                NodeMetricKind::CpuMax => s.now.threads = Some(value),
                NodeMetricKind::MemUsed => s.now.mem_used = Some(value),
                NodeMetricKind::MemTotal => s.now.mem_total = Some(value),
                NodeMetricKind::NetIn => s.net.0 = Some(value),
                NodeMetricKind::NetOut => s.net.1 = Some(value),
            }
        }
        let read_at = samples.keys().map(|(t, _)| *t).max().unwrap_or(0);
        for ((t, node), sample) in samples {
            if self.nodes.get(&node).is_some_and(|n| n.at >= t) {
                continue;
            }
            let rates = self.rates(&node, t, sample.net);
            let minute_of = if one_minute { read_at } else { t };
            self.add_to_minute(&node, minute_of, &sample.now, rates);
            self.nodes.insert(node, sample.now);
            self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        }
    }

    /// Bytes a second in and out since the node's last counters; none across a reset (a
    /// reboot, a counter that went back).
    fn rates(&mut self, node: &str, t: u64, net: (Option<f64>, Option<f64>)) -> [Option<f64>; 2] {
        let (Some(rx), Some(tx)) = net else {
            return [None, None];
        };
        let before = self.counters.insert(node.to_string(), (t, rx, tx));
        match before {
            Some((t0, rx0, tx0)) if t > t0 && rx >= rx0 && tx >= tx0 => {
                let dt = (t - t0) as f64;
                [Some((rx - rx0) / dt), Some((tx - tx0) / dt)]
            }
            _ => [None, None],
        }
    }

    fn add_to_minute(&mut self, node: &str, t: u64, now: &NodeNow, rates: [Option<f64>; 2]) {
        // A minute's point is stamped with its end, as RRD stamps a row.
        let end = t.div_ceil(60).saturating_mul(60);
        let minute = self.building.entry(node.to_string()).or_default();
        if minute.end != end {
            *minute = Minute {
                end,
                ..Minute::default()
            };
        }
        for (i, v) in [now.cpu, now.mem_used, rates[0], rates[1], now.load]
            .into_iter()
            .enumerate()
        {
            if let Some(v) = v {
                minute.sums[i] += v;
                minute.counts[i] += 1;
            }
        }
        let avg =
            |i: usize| (minute.counts[i] > 0).then(|| minute.sums[i] / f64::from(minute.counts[i]));
        let point = RrdPoint {
            time: Some(end),
            cpu: avg(0),
            maxcpu: now.threads,
            mem: avg(1),
            maxmem: now.mem_total,
            netin: avg(2),
            netout: avg(3),
            loadavg: avg(4),
            ..RrdPoint::default()
        };
        let list = self.minutes.entry(node.to_string()).or_default();
        match list.last_mut() {
            Some(last) if last.time == Some(end) => *last = point,
            _ => list.push(point),
        }
        let extra = list.len().saturating_sub(MINUTES_KEPT);
        list.drain(..extra);
    }

    /// Put the nodes' hour read from rrddata before what the export gave.
    pub fn seed(&mut self, hours: &BTreeMap<String, Vec<RrdPoint>>) {
        for (node, hour) in hours {
            let list = self.minutes.entry(node.clone()).or_default();
            let first = list.first().and_then(|p| p.time);
            let mut before: Vec<RrdPoint> = hour
                .iter()
                .filter(|p| p.time.is_some_and(|t| first.is_none_or(|f| t < f)))
                .cloned()
                .collect();
            before.append(list);
            let extra = before.len().saturating_sub(MINUTES_KEPT);
            before.drain(..extra);
            *list = before;
        }
        self.seeded = true;
    }

    /// The cluster's hour, as the charts draw it, of the nodes still `online`. A node whose
    /// minutes stopped while the others' go on (the export's fan-out did not reach it) is left
    /// out of the sum and named, rather than holding the whole chart at its last minute.
    pub fn history(&self, online: &[String]) -> ClusterHistory {
        let last = |l: &Vec<RrdPoint>| l.last().and_then(|p| p.time).unwrap_or(0);
        let newest = self
            .minutes
            .iter()
            .filter(|(n, _)| online.contains(n))
            .map(|(_, l)| last(l))
            .max()
            .unwrap_or(0);
        let mut partial = Partial::default();
        let mut nodes = BTreeMap::new();
        for (node, list) in self.minutes.iter().filter(|(n, _)| online.contains(n)) {
            if last(list).saturating_add(TRAILING) < newest {
                partial.failed(
                    node_part(node),
                    "not in the metrics export's newest minutes",
                );
            } else {
                nodes.insert(node.clone(), list.clone());
            }
        }
        ClusterHistory::of(nodes, partial)
    }

    /// Where the next read starts (`start-time`): before the newest generation of the node that
    /// is furthest behind, a little early, since a node's generation becomes readable seconds
    /// after its time and nodes' clocks differ. What was folded already is skipped.
    pub fn read_from(&self) -> Option<u64> {
        let newest = self.newest?;
        // A node gone from the export (down) holds nothing back.
        let oldest = self
            .nodes
            .values()
            .map(|n| n.at)
            .filter(|at| at.saturating_add(TRAILING) >= newest)
            .min()?;
        Some(oldest.saturating_sub(READ_BACK))
    }

    /// A node's 1-minute load average, when the export's newest generations have it: a node
    /// that went down is no longer in them, and its last load is not its load.
    pub fn load(&self, node: &str) -> Option<f64> {
        let newest = self.newest?;
        self.nodes
            .get(node)
            .filter(|n| n.at.saturating_add(CURRENT_WITHIN) >= newest)
            .and_then(|n| n.load)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, metric: NodeMetricKind, timestamp: u64, value: f64) -> NodeMetric {
        NodeMetric {
            node: node.into(),
            metric,
            timestamp,
            value,
        }
    }

    /// Node "a"'s figures at `t`.
    fn generation(t: u64, cpu: f64, rx: f64) -> Vec<NodeMetric> {
        generation_of("a", t, cpu, rx)
    }

    fn generation_of(node: &str, t: u64, cpu: f64, rx: f64) -> Vec<NodeMetric> {
        vec![
            entry(node, NodeMetricKind::CpuCurrent, t, cpu),
            entry(node, NodeMetricKind::CpuMax, t, 16.0),
            entry(node, NodeMetricKind::CpuAvg1, t, cpu * 16.0),
            entry(node, NodeMetricKind::NetIn, t, rx),
            entry(node, NodeMetricKind::NetOut, t, rx / 2.0),
        ]
    }

    #[test]
    fn minutes_average_their_generations_and_rates_come_from_counters() {
        let mut m = Metrics::default();
        let mut nodes = Vec::new();
        for (i, t) in [60u64, 70, 80, 90, 100, 110, 120, 130]
            .into_iter()
            .enumerate()
        {
            nodes.extend(generation(t, 0.1 * (i % 2) as f64, 1000.0 * t as f64));
        }
        m.fold(MetricsExport { nodes });
        let list = &m.minutes["a"];
        assert_eq!(
            list.iter().map(|p| p.time).collect::<Vec<_>>(),
            [Some(60), Some(120), Some(180)]
        );
        // 70…120: cpu 0.1, 0, 0.1, 0, 0.1, 0 → 0.05; every counter step is 1000 B/s.
        assert_eq!(list[1].cpu.map(|c| (c * 100.0).round()), Some(5.0));
        assert_eq!(list[1].netin, Some(1000.0));
        assert_eq!(list[1].netout, Some(500.0));
        // The first generation has no rate: nothing before it.
        assert_eq!(list[0].netin, None);
        assert_eq!(m.load("a"), Some(1.6));
        assert_eq!(m.newest, Some(130));
    }

    #[test]
    fn a_generation_read_twice_counts_once_and_a_counter_reset_gives_no_rate() {
        let mut m = Metrics::default();
        m.fold(MetricsExport {
            nodes: generation(130, 0.5, 5000.0),
        });
        m.fold(MetricsExport {
            nodes: generation(130, 0.9, 9000.0),
        });
        assert_eq!(m.nodes["a"].cpu, Some(0.5));
        m.fold(MetricsExport {
            nodes: generation(140, 0.5, 100.0),
        });
        assert_eq!(m.minutes["a"].last().and_then(|p| p.netin), None);
    }

    #[test]
    fn the_next_read_starts_before_the_slowest_node_and_a_stopped_node_is_left_out() {
        let mut m = Metrics::default();
        let mut nodes = generation(600, 0.5, 1000.0);
        nodes.extend(generation_of("b", 590, 0.5, 1000.0));
        nodes.extend(generation_of("gone", 100, 0.5, 1000.0));
        m.fold(MetricsExport { nodes });
        assert_eq!(m.read_from(), Some(560));
        let online = ["a".to_string(), "b".to_string(), "gone".to_string()];
        let history = m.history(&online);
        assert_eq!(history.nodes.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(history.partial.get("history of gone").is_some());
    }

    #[test]
    fn a_newest_generation_read_goes_into_one_minute_though_its_nodes_straddle_two() {
        let mut m = Metrics::default();
        let mut nodes = generation(118, 0.5, 1000.0);
        nodes.extend(generation_of("b", 125, 0.5, 1000.0));
        m.fold_newest(MetricsExport { nodes });
        assert_eq!(m.minutes["a"][0].time, Some(180));
        assert_eq!(m.minutes["b"][0].time, Some(180));
        assert_eq!(m.history(&["a".into(), "b".into()]).points.len(), 1);
    }

    #[test]
    fn an_hour_from_rrddata_goes_before_the_export_s_minutes() {
        let mut m = Metrics::default();
        m.fold(MetricsExport {
            nodes: generation(170, 0.5, 5000.0),
        });
        let hour: Vec<RrdPoint> = [60, 120, 180]
            .into_iter()
            .map(|t| RrdPoint {
                time: Some(t),
                cpu: Some(0.2),
                ..RrdPoint::default()
            })
            .collect();
        m.seed(&BTreeMap::from([("a".to_string(), hour)]));
        let times: Vec<_> = m.minutes["a"].iter().map(|p| p.time).collect();
        assert_eq!(times, [Some(60), Some(120), Some(180)]);
        assert_eq!(m.minutes["a"][2].cpu, Some(0.5));
        assert!(m.seeded);
    }
}
