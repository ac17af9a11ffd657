//! The whole cluster over the last hour: the nodes' rrddata summed point by point, so the Hosts
//! pane can chart CPU, memory and network of the datacenter as one.

use std::collections::BTreeMap;

use crate::pve::types::RrdPoint;

/// One point per time the nodes report: CPU as the fraction of all threads in use, memory and
/// network summed. A node without data at a time (it was off) adds nothing to that point.
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
    let mut by_time: BTreeMap<u64, Acc> = BTreeMap::new();
    for p in nodes.iter().flatten() {
        let Some(t) = p.time else {
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
}
