//! Load, memory and traffic as functions of simulated time. Deterministic noise around each
//! guest's mean load means history (rrddata) and the live numbers always agree.

use serde_json::{Value, json};

use std::collections::HashMap;

use super::clock::{drift, noise};
use super::world::{Guest, Node, World};

const GIB: f64 = (1u64 << 30) as f64;

impl World {
    pub fn running_at(g: &Guest, t: f64) -> bool {
        if t < g.started_at {
            return false;
        }
        match g.stopped_at {
            Some(stop) => t < stop,
            None => g.running(),
        }
    }

    /// CPU use of a guest at `t` as a fraction of its own CPUs.
    pub fn guest_cpu(&self, g: &Guest, t: f64) -> f64 {
        if !Self::running_at(g, t) {
            return 0.0;
        }
        let n = drift(self.seed, u64::from(g.vmid), t);
        (g.load * (0.4 + 1.2 * n)).clamp(0.001, 1.0)
    }

    pub fn guest_mem(&self, g: &Guest, t: f64) -> u64 {
        if !Self::running_at(g, t) {
            return 0;
        }
        let n = drift(self.seed, u64::from(g.vmid) ^ 0xa5a5, t);
        let share = (g.mem_used * (0.9 + 0.2 * n)).clamp(0.05, 0.99);
        (g.maxmem() as f64 * share) as u64
    }

    /// Network bytes per second in and out at `t`.
    pub fn guest_net(&self, g: &Guest, t: f64) -> (f64, f64) {
        if !Self::running_at(g, t) {
            return (0.0, 0.0);
        }
        // Received and sent traffic move on their own: a guest that downloads need not upload.
        let rx = drift(self.seed, u64::from(g.vmid) ^ 0x5a5a, t);
        let tx = drift(self.seed, u64::from(g.vmid) ^ 0x6b6b, t);
        let base = 20_000.0 + g.load * 4_000_000.0;
        (base * (0.5 + rx), base * (0.3 + 0.8 * tx))
    }

    pub fn guest_disk_io(&self, g: &Guest, t: f64) -> (f64, f64) {
        if !Self::running_at(g, t) {
            return (0.0, 0.0);
        }
        let read = drift(self.seed, u64::from(g.vmid) ^ 0x3c3c, t);
        let write = drift(self.seed, u64::from(g.vmid) ^ 0x4d4d, t);
        let base = 10_000.0 + g.load * 2_000_000.0;
        (base * (0.4 + read), base * (0.6 + write))
    }

    /// Bytes used inside a guest's root disk (containers report it; VMs report 0, as Proxmox
    /// cannot see into them).
    pub fn guest_disk_used(&self, g: &Guest) -> u64 {
        match g.kind {
            super::scenario::GuestKind::Lxc => {
                (g.maxdisk() as f64 * (0.2 + 0.4 * g.mem_used)) as u64
            }
            super::scenario::GuestKind::Qemu => 0,
        }
    }

    fn guests_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Guest> + 'a {
        self.guests.values().filter(move |g| g.node == node)
    }

    /// CPU use of a node at `t`, a fraction of its threads.
    pub fn node_cpu(&self, node: &Node, t: f64) -> f64 {
        let mine: Vec<&Guest> = self.guests_on(node.name()).collect();
        self.node_cpu_of(node, &mine, t)
    }

    pub fn node_mem_used(&self, node: &Node, t: f64) -> u64 {
        let mine: Vec<&Guest> = self.guests_on(node.name()).collect();
        self.node_mem_of(node, &mine, t)
    }

    /// The node's CPU given its guests (`mine`), found once for answers that ask many times.
    fn node_cpu_of(&self, node: &Node, mine: &[&Guest], t: f64) -> f64 {
        let busy = mine
            .iter()
            .map(|g| self.guest_cpu(g, t) * f64::from(g.cores()))
            .sum();
        self.node_cpu_given(node, busy, t)
    }

    fn node_mem_of(&self, node: &Node, mine: &[&Guest], t: f64) -> u64 {
        let guests = mine.iter().map(|g| self.guest_mem(g, t)).sum();
        self.node_mem_given(node, guests)
    }

    fn node_net_of(&self, mine: &[&Guest], t: f64) -> (f64, f64) {
        mine.iter()
            .map(|g| self.guest_net(g, t))
            .fold((5_000.0, 5_000.0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    fn node_load_of(&self, node: &Node, mine: &[&Guest], t: f64) -> [f64; 3] {
        let threads = f64::from(node.def.threads);
        let now = self.node_cpu_of(node, mine, t) * threads;
        let five = self.node_cpu_of(node, mine, t - 300.0) * threads;
        let fifteen = self.node_cpu_of(node, mine, t - 900.0) * threads;
        [now, (now + five) / 2.0, (now + five + fifteen) / 3.0]
    }

    /// CPU and memory of every node at `t` in one pass over the guests, for answers that list
    /// all nodes (a per-node pass would cost nodes × guests).
    pub fn node_usage(&self, t: f64) -> std::collections::HashMap<&str, (f64, u64)> {
        let mut busy: std::collections::HashMap<&str, (f64, u64)> =
            self.nodes.iter().map(|n| (n.name(), (0.0, 0))).collect();
        for g in self.guests.values() {
            if let Some(sum) = busy.get_mut(g.node.as_str()) {
                sum.0 += self.guest_cpu(g, t) * f64::from(g.cores());
                sum.1 += self.guest_mem(g, t);
            }
        }
        self.nodes
            .iter()
            .map(|n| {
                let (cpu, mem) = busy.get(n.name()).copied().unwrap_or_default();
                (
                    n.name(),
                    (self.node_cpu_given(n, cpu, t), self.node_mem_given(n, mem)),
                )
            })
            .collect()
    }

    /// Node CPU given the guests' busy cores: host overhead plus the guests.
    pub fn node_cpu_given(&self, node: &Node, guest_cores: f64, t: f64) -> f64 {
        if !node.online() {
            return 0.0;
        }
        let jitter = drift(self.seed, node.def.name.len() as u64 * 7919, t);
        (node.def.overhead * (0.6 + 0.8 * jitter)
            + guest_cores / f64::from(node.def.threads.max(1)))
        .clamp(0.0, 1.0)
    }

    pub fn node_mem_given(&self, node: &Node, guests: u64) -> u64 {
        if !node.online() {
            return 0;
        }
        // The host itself, ZFS ARC and Ceph OSDs take their share.
        let osds = self
            .ceph
            .as_ref()
            .map(|c| c.osds.iter().filter(|o| o.host == node.def.name).count())
            .unwrap_or(0) as u64;
        let host = (3.0 * GIB) as u64 + osds * (4 * (1u64 << 30));
        (guests + host).min(node.mem_total())
    }

    pub fn node_load(&self, node: &Node, t: f64) -> [f64; 3] {
        let mine: Vec<&Guest> = self.guests_on(node.name()).collect();
        self.node_load_of(node, &mine, t)
    }

    /// Every node's load averages at `t` (1, 5 and 15 minutes), as `node_load` gives them, in
    /// three passes over the guests rather than three per node.
    pub fn node_loads(&self, t: f64) -> HashMap<&str, [f64; 3]> {
        let now = self.node_usage(t);
        let five = self.node_usage(t - 300.0);
        let fifteen = self.node_usage(t - 900.0);
        self.nodes
            .iter()
            .map(|n| {
                let threads = f64::from(n.def.threads);
                let at =
                    |m: &HashMap<&str, (f64, u64)>| m.get(n.name()).map_or(0.0, |u| u.0) * threads;
                let (a, b, c) = (at(&now), at(&five), at(&fifteen));
                (n.name(), [a, (a + b) / 2.0, (a + b + c) / 3.0])
            })
            .collect()
    }

    /// A guest's byte counters at `t`, since it started: they only grow, at a rate that moves
    /// about the mean of `guest_net`'s and `guest_disk_io`'s.
    pub fn guest_counters(&self, g: &Guest, t: f64) -> Counters {
        if !Self::running_at(g, t) {
            return Counters::default();
        }
        let since = g.started_at;
        let key = u64::from(g.vmid);
        let net = 20_000.0 + g.load * 4_000_000.0;
        let disk = 10_000.0 + g.load * 2_000_000.0;
        Counters {
            net_in: counter(self.seed, key ^ 0x5a5a, net, since, t),
            net_out: counter(self.seed, key ^ 0x6b6b, net * 0.7, since, t),
            disk_read: counter(self.seed, key ^ 0x3c3c, disk * 0.9, since, t),
            disk_write: counter(self.seed, key ^ 0x4d4d, disk * 1.1, since, t),
        }
    }

    /// Every node's physical NICs' received and sent bytes at `t`: its guests' traffic and its
    /// own, in one pass over the guests.
    pub fn node_net_counters(&self, t: f64) -> HashMap<&str, (u64, u64)> {
        let mut sums: HashMap<&str, (u64, u64)> = self
            .nodes
            .iter()
            .map(|n| {
                let own = (5_000.0 * (t - n.booted_at).max(0.0)) as u64;
                (n.name(), (own, own))
            })
            .collect();
        for g in self.guests.values() {
            if let Some(sum) = sums.get_mut(g.node.as_str()) {
                let c = self.guest_counters(g, t);
                sum.0 += c.net_in;
                sum.1 += c.net_out;
            }
        }
        sums
    }

    pub fn rrd_times(&self, timeframe: &str) -> Vec<f64> {
        let step = rrd_step(timeframe);
        let last = (self.now / step).floor() * step;
        (0..70).rev().map(|i| last - f64::from(i) * step).collect()
    }

    pub fn node_rrd(&self, node: &Node, timeframe: &str) -> Vec<Value> {
        let root_total = node.def.rootfs.0;
        // The node's guests, found once: each row samples them many times.
        let mine: Vec<&Guest> = self.guests_on(node.name()).collect();
        let step = rrd_step(timeframe);
        self.rrd_times(timeframe)
            .into_iter()
            .map(|t| {
                if node.offline_since.is_some_and(|s| t >= s)
                    || t < node.booted_at.min(self.now - 86_400.0 * 400.0)
                {
                    return json!({ "time": t as i64 });
                }
                // Each row is the average over its step, as RRD consolidates it.
                let avg = |f: &dyn Fn(f64) -> f64| average(step, t, f);
                let memtotal = node.mem_total() as f64;
                let memused = avg(&|t| self.node_mem_of(node, &mine, t) as f64);
                let cpu = avg(&|t| self.node_cpu_of(node, &mine, t));
                let net = average_pair(step, t, &|t| self.node_net_of(&mine, t));
                json!({
                    "time": t as i64,
                    "cpu": cpu,
                    "maxcpu": node.def.threads,
                    "iowait": avg(&|t| 0.002 + 0.01 * drift(self.seed, 77, t)),
                    "loadavg": avg(&|t| self.node_load_of(node, &mine, t)[0]),
                    "memtotal": memtotal as u64,
                    "memused": memused,
                    // PVE 9: what the kernel could give without swapping, and the ZFS ARC.
                    "memavailable": (memtotal - memused) * 0.97,
                    "arcsize": avg(&|t| memtotal * 0.06 * (0.8 + 0.4 * drift(self.seed, 79, t))),
                    "swaptotal": 8u64 << 30,
                    "swapused": 0,
                    "roottotal": root_total,
                    "rootused": root_total / 100 * 7,
                    "netin": net.0,
                    "netout": net.1,
                    "pressurecpusome": cpu * 3.0,
                    "pressureiosome": avg(&|t| 0.3 * drift(self.seed, 81, t)),
                    "pressureiofull": avg(&|t| 0.2 * drift(self.seed, 81, t)),
                    "pressurememorysome": 0,
                    "pressurememoryfull": 0,
                })
            })
            .collect()
    }

    /// A guest's history: averages over each step while it ran; for a step it did not run,
    /// only what does not need a sample (its size), as pvestatd leaves the rest unknown.
    pub fn guest_rrd(&self, g: &Guest, timeframe: &str) -> Vec<Value> {
        let step = rrd_step(timeframe);
        let lxc = g.type_name() == "lxc";
        self.rrd_times(timeframe)
            .into_iter()
            .map(|t| {
                let mut row = json!({
                    "time": t as i64,
                    "maxcpu": g.cores(),
                    "maxmem": g.maxmem(),
                    "disk": self.guest_disk_used(g),
                    "maxdisk": g.maxdisk(),
                });
                if !Self::running_at(g, t) {
                    return row;
                }
                let avg = |f: &dyn Fn(f64) -> f64| average(step, t, f);
                let cpu = avg(&|t| self.guest_cpu(g, t));
                let mem = avg(&|t| self.guest_mem(g, t) as f64);
                let io = average_pair(step, t, &|t| self.guest_disk_io(g, t));
                let net = average_pair(step, t, &|t| self.guest_net(g, t));
                let rates = json!({
                    "cpu": cpu,
                    "mem": mem,
                    "diskread": io.0,
                    "diskwrite": io.1,
                    "netin": net.0,
                    "netout": net.1,
                    "pressurecpusome": cpu * 2.5,
                    "pressurecpufull": cpu * 1.2,
                    "pressureiosome": cpu * 0.8,
                    "pressureiofull": cpu * 0.6,
                    "pressurememorysome": 0,
                    "pressurememoryfull": 0,
                });
                if let (Some(row), Some(rates)) = (row.as_object_mut(), rates.as_object()) {
                    row.extend(rates.clone());
                    if !lxc {
                        // What the VM's process takes on the host (PVE 9).
                        row.insert("memhost".into(), json!(mem * 1.04));
                    }
                }
                row
            })
            .collect()
    }
}

/// The seconds one RRD row covers for a timeframe.
fn rrd_step(timeframe: &str) -> f64 {
    match timeframe {
        "hour" => 60.0,
        "day" => 1_800.0,
        "week" => 10_800.0,
        "month" => 43_200.0,
        "year" => 604_800.0,
        _ => 6_048_000.0,
    }
}

/// The mean of `f` over the step ending at `t`, from three samples across it.
fn average(step: f64, t: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    (f(t - step * 2.0 / 3.0) + f(t - step / 3.0) + f(t)) / 3.0
}

/// As `average`, for a pair read together (in and out, read and write).
fn average_pair(step: f64, t: f64, f: &dyn Fn(f64) -> (f64, f64)) -> (f64, f64) {
    let samples = [f(t - step * 2.0 / 3.0), f(t - step / 3.0), f(t)];
    let sum = samples
        .iter()
        .fold((0.0, 0.0), |a, s| (a.0 + s.0, a.1 + s.1));
    (sum.0 / 3.0, sum.1 / 3.0)
}

/// A guest's byte counters (network and disk), since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub net_in: u64,
    pub net_out: u64,
    pub disk_read: u64,
    pub disk_write: u64,
}

/// Bytes counted since `since` at `rate` a second on average. The wobble is slow noise scaled so
/// that the rate stays between a quarter and seven quarters of the mean: the counter never
/// goes back, and any two reads agree.
fn counter(seed: u64, key: u64, rate: f64, since: f64, t: f64) -> u64 {
    const PERIOD: f64 = 300.0;
    if t <= since {
        return 0;
    }
    let wobble = noise(seed, key, t, PERIOD) - noise(seed, key, since, PERIOD);
    (rate * ((t - since) + PERIOD / 2.0 * wobble)).max(0.0) as u64
}
