//! The whole cluster over the last hour: the nodes' rrddata summed point by point, so the Hosts
//! pane can chart CPU, memory and network of the datacenter as one.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::model::partial::{Partial, Previous};
use crate::pve::types::RrdPoint;

/// Every online node's last hour, and their sum. A node whose read failed keeps its last good
/// hour (or is missing from the sum, said in `partial`): the sum never passes a few nodes off
/// as the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterHistory {
    pub nodes: BTreeMap<String, Vec<RrdPoint>>,
    /// The sum over `nodes`.
    pub points: Vec<RrdPoint>,
    /// `history of NODE` for each node whose read failed.
    pub partial: Partial,
}

/// The part a node's last hour is.
pub fn node_part(node: &str) -> String {
    format!("history of {node}")
}

impl ClusterHistory {
    pub fn of(nodes: BTreeMap<String, Vec<RrdPoint>>, partial: Partial) -> Self {
        let lists: Vec<Vec<RrdPoint>> = nodes.values().cloned().collect();
        Self {
            points: sum(&lists),
            nodes,
            partial,
        }
    }

    /// Keep the last good hour of each node whose read failed, and sum again.
    pub fn keep_last_good(&mut self, old: &ClusterHistory, old_at: SystemTime) {
        let p = &mut self.partial;
        for (node, list) in &old.nodes {
            let part = node_part(node);
            if p.get(&part).is_some() {
                let mut kept = Vec::new();
                p.carry(&part, &mut kept, &Previous::of(list, &old.partial, old_at));
                if p.get(&part).is_some_and(|s| s.read_at.is_some()) {
                    self.nodes.insert(node.clone(), kept);
                }
            }
        }
        *self = Self::of(
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.partial),
        );
    }

    /// Nodes missing from the sum: their hour was never read.
    pub fn missing(&self) -> Vec<&str> {
        self.partial
            .iter()
            .filter(|s| s.read_at.is_none())
            .filter_map(|s| s.part.strip_prefix("history of "))
            .collect()
    }
}

/// One point per time the nodes report: CPU as the fraction of all threads in use, memory and
/// network summed. A node without data at a time (it was off) adds nothing to that point. The
/// sum covers only the times every list spans: a node whose hour was kept from an earlier read
/// has no newer points, and the others have none older than their hour, so a point outside that
/// span would pass a few nodes off as the cluster.
pub fn sum(nodes: &[Vec<RrdPoint>]) -> Vec<RrdPoint> {
    #[derive(Default)]
    struct Acc {
        threads_used: f64,
        threads: f64,
        mem: Option<f64>,
        maxmem: Option<f64>,
        netin: Option<f64>,
        netout: Option<f64>,
    }
    let add = |acc: &mut Option<f64>, v: Option<f64>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            *acc = Some(acc.unwrap_or(0.0) + v);
        }
    };
    let times = |list: &Vec<RrdPoint>| list.iter().filter_map(|p| p.time).collect::<Vec<u64>>();
    let start = nodes
        .iter()
        .filter_map(|l| times(l).into_iter().min())
        .max();
    let end = nodes
        .iter()
        .filter_map(|l| times(l).into_iter().max())
        .min();
    let within = |t: &u64| start.is_none_or(|s| *t >= s) && end.is_none_or(|e| *t <= e);
    let mut by_time: BTreeMap<u64, Acc> = BTreeMap::new();
    for p in nodes.iter().flatten() {
        let Some(t) = p.time.filter(within) else {
            continue;
        };
        let acc = by_time.entry(t).or_default();
        if let (Some(cpu), Some(max)) = (p.cpu, p.maxcpu)
            && cpu.is_finite()
            && max.is_finite()
        {
            acc.threads_used += cpu * max;
            acc.threads += max;
        }
        add(&mut acc.mem, p.mem);
        add(&mut acc.maxmem, p.maxmem);
        add(&mut acc.netin, p.netin);
        add(&mut acc.netout, p.netout);
    }
    by_time
        .into_iter()
        .map(|(time, a)| RrdPoint {
            time: Some(time),
            cpu: (a.threads > 0.0).then(|| a.threads_used / a.threads),
            maxcpu: (a.threads > 0.0).then_some(a.threads),
            mem: a.mem,
            maxmem: a.maxmem,
            netin: a.netin,
            netout: a.netout,
            ..RrdPoint::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(time: u64, cpu: f64, maxcpu: f64, mem: f64) -> RrdPoint {
        RrdPoint {
            time: Some(time),
            cpu: Some(cpu),
            maxcpu: Some(maxcpu),
            mem: Some(mem),
            maxmem: Some(100.0),
            netin: Some(10.0),
            netout: Some(1.0),
            ..RrdPoint::default()
        }
    }

    #[test]
    fn the_sum_covers_only_what_every_hour_spans() {
        let fresh = vec![point(60, 0.5, 8.0, 10.0), point(120, 0.5, 8.0, 10.0)];
        let kept = vec![point(0, 0.5, 24.0, 30.0), point(60, 0.5, 24.0, 30.0)];
        let s = sum(&[fresh, kept]);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].time, s[0].maxcpu), (Some(60), Some(32.0)));
    }

    #[test]
    fn nodes_add_up_and_cpu_is_weighed_by_threads() {
        let a = vec![point(60, 0.5, 8.0, 10.0), point(120, 1.0, 8.0, 20.0)];
        // b was off at 120: no data, nothing added.
        let b = vec![
            point(60, 0.0, 24.0, 30.0),
            RrdPoint {
                time: Some(120),
                ..RrdPoint::default()
            },
        ];
        let all = sum(&[a, b]);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].cpu, Some(4.0 / 32.0));
        assert_eq!(all[0].mem, Some(40.0));
        assert_eq!(all[0].maxmem, Some(200.0));
        assert_eq!(all[0].netin, Some(20.0));
        assert_eq!(all[1].cpu, Some(1.0));
        assert_eq!(all[1].maxcpu, Some(8.0));
        assert_eq!(sum(&[]), Vec::new());
    }

    #[test]
    fn a_node_never_read_is_missing_from_the_sum_and_named() {
        let point = |cpu: f64, maxcpu: f64| RrdPoint {
            time: Some(60),
            cpu: Some(cpu),
            maxcpu: Some(maxcpu),
            ..RrdPoint::default()
        };
        let mut partial = Partial::default();
        partial.failed(node_part("pve3"), "HTTP 500");
        let nodes = BTreeMap::from([
            ("pve1".to_string(), vec![point(0.5, 16.0)]),
            ("pve2".to_string(), vec![point(0.25, 16.0)]),
        ]);
        let history = ClusterHistory::of(nodes, partial);
        assert_eq!(history.points[0].maxcpu, Some(32.0));
        assert_eq!(history.missing(), ["pve3"]);
    }
}
