//! `GET /cluster/metrics/export`, as pve-manager's `PVE::API2::Cluster::MetricServer` and
//! `PVE::PullMetric` answer it: pvestatd keeps a generation of every node's, guest's and
//! storage's figures each 10 s (the newest 181, half an hour); the answer is the newest one, or
//! with `history` those after `start-time` (all kept without it), from the serving node alone
//! (`local-only`) or fanned out to the online members (`node-list` narrows them), sorted by time.
//! Written straight into text: at 10,000 guests one generation is some 90,000 entries.

use std::fmt::Write as _;

use super::{Call, Reply};
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::world::{Node, World};

/// pvestatd's update loop.
const STEP: f64 = 10.0;
/// `PullMetric::max_generations`: 180 old ones and the newest.
const GENERATIONS: usize = 181;

pub fn export(c: &Call) -> Result<Reply, ApiError> {
    let w = c.world();
    let local = c
        .who
        .served_by
        .clone()
        .or_else(|| w.local_node().map(|n| n.name().to_string()))
        .unwrap_or_default();
    let start = c.int("start-time");
    let history = c.flag("history");
    let listed: Vec<String> = c
        .param("node-list")
        .map(|l| {
            l.split([',', ';', ' '])
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let unknown: Vec<&str> = listed
        .iter()
        .filter(|n| w.node(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::fail(format!(
            "Requested node-list contains unknown nodes - {}",
            unknown.join(", ")
        )));
    }
    let wanted = |name: &str| {
        if !listed.is_empty() {
            listed.iter().any(|n| n == name)
        } else if c.flag("local-only") {
            name == local
        } else {
            true
        }
    };
    // The serving node answers first; the others as the fan-out adds them.
    let mut nodes: Vec<&Node> = w
        .nodes
        .iter()
        .filter(|n| n.online() && wanted(n.name()))
        .collect();
    nodes.sort_by_key(|n| n.name() != local);

    let newest = (w.now / STEP).floor() * STEP;
    // `get_last(n)` gives the n generations before the newest, and the newest.
    let count = if history {
        match start {
            Some(s) => ((w.now - s as f64) / STEP).max(0.0) as usize + 1,
            None => GENERATIONS,
        }
    } else {
        1
    }
    .clamp(1, GENERATIONS);
    let times: Vec<f64> = (0..count)
        .rev()
        .map(|i| newest - STEP * i as f64)
        .filter(|t| start.is_none_or(|s| *t > s as f64))
        .collect();

    let storage = w.usage();
    let mut out = String::from("{\"data\":[");
    let mut first = true;
    for &t in &times {
        let usage = w.node_usage(t);
        let loads = w.node_loads(t);
        let nets = w.node_net_counters(t);
        for node in &nodes {
            // A node that was down at that time had no pvestatd to keep a generation.
            if t < node.booted_at {
                continue;
            }
            let mut put = |id: &str, metric: &str, value: Number, derive: bool| {
                if !first {
                    out.push(',');
                }
                first = false;
                let kind = if derive { "derive" } else { "gauge" };
                let _ = write!(
                    out,
                    "{{\"metric\":\"{metric}\",\"id\":\"{id}\",\"value\":{value},\"timestamp\":{},\"type\":\"{kind}\"}}",
                    t as i64
                );
            };
            let figures = Figures {
                usage: usage.get(node.name()).copied().unwrap_or_default(),
                load: loads.get(node.name()).copied().unwrap_or_default(),
                net: nets.get(node.name()).copied().unwrap_or_default(),
            };
            node_metrics(node, t, figures, &mut put);
            guest_metrics(w, node, t, &mut put);
            let id = |sid: &str| format!("storage/{}/{sid}", node.name());
            for s in w
                .storages
                .iter()
                .filter(|s| w.storage_on(&s.id, node.name()).is_some())
            {
                let sid = id(&s.id);
                put(
                    &sid,
                    "disk_total",
                    Number::Int(storage.storage_total(s, node.name())),
                    false,
                );
                put(
                    &sid,
                    "disk_used",
                    Number::Int(storage.storage_used(s, node.name())),
                    false,
                );
            }
        }
    }
    out.push_str("]}");
    Ok(Reply::Json(out))
}

/// A value as Perl's `$value + 0` writes it: integers without a fraction.
#[derive(Clone, Copy)]
enum Number {
    Int(u64),
    Float(f64),
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) if x.is_finite() => write!(f, "{x}"),
            Number::Float(_) => write!(f, "0"),
        }
    }
}

type Put<'a> = dyn FnMut(&str, &str, Number, bool) + 'a;

/// A node's figures at one time, taken for every node in one pass over the guests.
struct Figures {
    usage: (f64, u64),
    load: [f64; 3],
    net: (u64, u64),
}

fn node_metrics(node: &Node, t: f64, figures: Figures, put: &mut Put<'_>) {
    let id = format!("node/{}", node.name());
    let (cpu, mem) = figures.usage;
    let [avg1, avg5, avg15] = figures.load;
    let (net_in, net_out) = figures.net;
    let root = node.def.rootfs.0;
    let f = Number::Float;
    let i = Number::Int;
    put(
        &id,
        "uptime",
        i((t - node.booted_at).max(0.0) as u64),
        false,
    );
    put(&id, "net_in", i(net_in), true);
    put(&id, "net_out", i(net_out), true);
    put(&id, "cpu_avg1", f(round2(avg1)), false);
    put(&id, "cpu_avg5", f(round2(avg5)), false);
    put(&id, "cpu_avg15", f(round2(avg15)), false);
    put(&id, "cpu_max", i(u64::from(node.def.threads)), false);
    put(&id, "cpu_current", f(cpu), false);
    put(&id, "cpu_iowait", f(0.003), false);
    put(&id, "mem_total", i(node.mem_total()), false);
    put(&id, "mem_used", i(mem), false);
    put(&id, "swap_total", i(8 << 30), false);
    put(&id, "swap_used", i(0), false);
    put(&id, "disk_total", i(root), false);
    put(&id, "disk_used", i(root / 100 * 7), false);
}

fn guest_metrics(w: &World, node: &Node, t: f64, put: &mut Put<'_>) {
    let f = Number::Float;
    let i = Number::Int;
    // PullMetric lists the node's VMs, then its containers.
    let on_node = |kind: GuestKind| {
        w.guests
            .values()
            .filter(move |g| g.node == node.name() && g.kind == kind)
    };
    for g in on_node(GuestKind::Qemu).chain(on_node(GuestKind::Lxc)) {
        let id = format!("{}/{}", g.type_name(), g.vmid);
        let running = World::running_at(g, t);
        if running {
            let c = w.guest_counters(g, t);
            put(&id, "cpu_current", f(w.guest_cpu(g, t)), false);
            put(&id, "mem_used", i(w.guest_mem(g, t)), false);
            put(&id, "disk_read", i(c.disk_read), true);
            put(&id, "disk_write", i(c.disk_write), true);
            put(&id, "net_in", i(c.net_in), true);
            put(&id, "net_out", i(c.net_out), true);
            if g.kind == GuestKind::Lxc {
                put(&id, "disk_used", i(w.guest_disk_used(g)), false);
            }
        }
        let uptime = if running {
            (t - g.started_at).max(0.0)
        } else {
            0.0
        };
        put(&id, "uptime", i(uptime as u64), false);
        put(&id, "cpu_max", i(u64::from(g.cores())), false);
        put(&id, "mem_total", i(g.maxmem()), false);
        put(&id, "disk_total", i(g.maxdisk()), false);
    }
}

/// The load average as /proc/loadavg gives it, to two places.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
