//! What the simulated shells print: each command answered from the world, most of them from the
//! same API answers a client reads (so `qm list` and the Instances pane agree).

use std::collections::BTreeMap;

use serde_json::Value;

use super::addresses::guest_interfaces;
use crate::SimState;
use crate::api::{Reply, dispatch};
use crate::auth::Identity;
use crate::calendar::format_datetime;

/// Where a shell runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Host {
    Node(String),
    /// Inside a guest, logged in as `user`.
    Guest {
        vmid: u32,
        user: String,
    },
}

/// What a command line does.
pub enum Outcome {
    Print(String),
    Top,
    Clear,
    Exit,
}

/// Run one command line.
pub fn run(line: &str, host: &Host, state: &mut SimState, size: (u16, u16)) -> Outcome {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(&first) = words.first() else {
        return Outcome::Print(String::new());
    };
    let args = &words[1..];
    let common = match (first, args) {
        ("exit" | "logout", _) => return Outcome::Exit,
        ("clear", _) => return Outcome::Clear,
        ("top" | "htop", _) => return Outcome::Top,
        ("stty", ["size"]) => Some(format!("{} {}\n", size.1, size.0)),
        ("tput", ["cols"]) => Some(format!("{}\n", size.0)),
        ("tput", ["lines"]) => Some(format!("{}\n", size.1)),
        ("echo", rest) => Some(format!("{}\n", rest.join(" "))),
        ("whoami", []) => Some(match host {
            Host::Node(_) => "root\n".to_string(),
            Host::Guest { user, .. } => format!("{user}\n"),
        }),
        ("date", []) => Some(format!("{}\n", format_datetime(state.world.now))),
        _ => None,
    };
    if let Some(text) = common {
        return Outcome::Print(text);
    }
    let text = match host {
        Host::Node(node) => node_command(first, args, node, state),
        Host::Guest { vmid, .. } => guest_command(first, args, *vmid, state),
    };
    Outcome::Print(text.unwrap_or_else(|| format!("-bash: {first}: command not found\n")))
}

fn node_command(cmd: &str, args: &[&str], node: &str, state: &mut SimState) -> Option<String> {
    Some(match (cmd, args) {
        ("hostname", []) => format!("{node}\n"),
        ("uptime", []) => uptime(state, node),
        ("pveversion", []) => {
            let sw = &state.world.software;
            let kernel = state
                .world
                .node(node)
                .map(|n| n.packages.running_kernel.clone())
                .unwrap_or_default();
            format!(
                "pve-manager/{}/{} (running kernel: {kernel})\n",
                sw.pve_version, sw.repoid
            )
        }
        ("qm", ["list"]) => qm_list(state, node),
        ("pct", ["list"]) => pct_list(state, node),
        ("pvecm", ["status"]) => pvecm_status(state, node),
        ("ha-manager", ["status"]) => ha_status(state),
        ("ha-manager", ["crm-command", "node-maintenance", action, target]) => {
            node_maintenance(state, action, target)
        }
        ("ceph", ["-s"] | ["status"]) => ceph_status(state),
        ("ip", ["-br", "a"] | ["-br", "addr"] | ["-brief", "address"]) => node_ip(state, node),
        ("apt", ["list", "--upgradable"]) => apt_upgradable(state, node),
        ("qm" | "pct" | "pvecm" | "ha-manager" | "ceph" | "ip" | "apt", _) => {
            format!("{cmd}: only '{}' is simulated here\n", usage_of(cmd))
        }
        _ => return None,
    })
}

fn usage_of(cmd: &str) -> &'static str {
    match cmd {
        "qm" => "qm list",
        "pct" => "pct list",
        "pvecm" => "pvecm status",
        "ha-manager" => {
            "ha-manager status' and 'ha-manager crm-command node-maintenance enable|disable NODE"
        }
        "ceph" => "ceph -s",
        "ip" => "ip -br a",
        _ => "apt list --upgradable",
    }
}

fn guest_command(cmd: &str, args: &[&str], vmid: u32, state: &mut SimState) -> Option<String> {
    let g = state.world.guests.get(&vmid)?;
    Some(match (cmd, args) {
        ("hostname", []) => format!("{}\n", g.name()),
        ("uptime", []) => {
            let up = state.world.now - g.started_at;
            format!(
                " {} up {},  1 user,  load average: {:.2}, {:.2}, {:.2}\n",
                clock_of(state.world.now),
                span(up),
                g.load,
                g.load * 0.9,
                g.load * 0.8
            )
        }
        ("ip", ["-br", "a"] | ["-br", "addr"] | ["-brief", "address"]) => {
            let mut out = String::new();
            for iface in guest_interfaces(g) {
                let state = if iface.name == "lo" { "UNKNOWN" } else { "UP" };
                let addrs: Vec<String> = iface
                    .ipv4
                    .iter()
                    .chain(iface.ipv6.iter())
                    .map(|(ip, p)| format!("{ip}/{p}"))
                    .collect();
                out.push_str(&format!(
                    "{:<16} {:<14} {}\n",
                    iface.name,
                    state,
                    addrs.join(" ")
                ));
            }
            out
        }
        _ => return None,
    })
}

/// A read of the simulator's own API, as root.
fn ask(state: &mut SimState, key: &str, vars: &[(&str, &str)]) -> Value {
    let who = Identity {
        user: "root@pam".into(),
        via_ticket: false,
        served_by: None,
    };
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match dispatch(state, key, &who, vars, Vec::new()) {
        Ok(Reply::Value(v) | Reply::Paged(v, _)) => v,
        Ok(Reply::Json(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
        Ok(Reply::Remote(_)) | Err(_) => Value::Null,
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(|x| x.as_f64().or_else(|| x.as_str()?.parse().ok()))
        .unwrap_or(0.0)
}

/// `HH:MM:SS` of a simulated time.
pub fn clock_of(t: f64) -> String {
    let s = (t.floor() as i64).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `12 days,  3:04` or ` 3:04` or `5 min`, as uptime writes a span.
pub fn span(seconds: f64) -> String {
    let s = seconds.max(0.0) as i64;
    let (days, hours, mins) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    let time = if hours == 0 {
        format!("{mins} min")
    } else {
        format!("{hours:2}:{mins:02}")
    };
    match days {
        0 => time,
        1 => format!("1 day, {time}"),
        d => format!("{d} days, {time}"),
    }
}

pub fn uptime(state: &mut SimState, node: &str) -> String {
    let status = ask(state, "GET /nodes/{node}/status", &[("node", node)]);
    let load: Vec<String> = status
        .get("loadavg")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|x| x.as_str().unwrap_or("0.00").to_string())
                .collect()
        })
        .unwrap_or_default();
    format!(
        " {} up {},  1 user,  load average: {}\n",
        clock_of(state.world.now),
        span(num(&status, "uptime")),
        load.join(", ")
    )
}

fn qm_list(state: &mut SimState, node: &str) -> String {
    let list = ask(state, "GET /nodes/{node}/qemu", &[("node", node)]);
    let rows = by_vmid(&list);
    let mut out = format!(
        "{:>10} {:<20} {:<10} {:<10} {:>12} {:<10}\n",
        "VMID", "NAME", "STATUS", "MEM(MB)", "BOOTDISK(GB)", "PID"
    );
    for v in rows {
        let vmid = num(v, "vmid") as u64;
        let running = text(v, "status") == "running";
        out.push_str(&format!(
            "{:>10} {:<20} {:<10} {:<10} {:>12.2} {:<10}\n",
            vmid,
            text(v, "name"),
            text(v, "status"),
            (num(v, "maxmem") / 1_048_576.0) as u64,
            num(v, "maxdisk") / 1_073_741_824.0,
            if running {
                1_000 + vmid * 13 % 90_000
            } else {
                0
            }
        ));
    }
    out
}

/// A guest listing's entries in VMID order, as qm and pct print them.
fn by_vmid(list: &Value) -> Vec<&Value> {
    let mut rows: Vec<&Value> = list
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    rows.sort_by_key(|v| num(v, "vmid") as u64);
    rows
}

fn pct_list(state: &mut SimState, node: &str) -> String {
    let list = ask(state, "GET /nodes/{node}/lxc", &[("node", node)]);
    let rows = by_vmid(&list);
    let mut out = format!(
        "{:<10} {:<10} {:<12} {:<20}\n",
        "VMID", "Status", "Lock", "Name"
    );
    for v in rows {
        out.push_str(&format!(
            "{:<10} {:<10} {:<12} {:<20}\n",
            num(v, "vmid") as u64,
            text(v, "status"),
            text(v, "lock"),
            text(v, "name")
        ));
    }
    out
}

fn pvecm_status(state: &mut SimState, node: &str) -> String {
    let Some(cluster) = state.world.cluster_name.clone() else {
        return "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?\n".into();
    };
    let status = ask(state, "GET /cluster/status", &[]);
    let items: Vec<&Value> = status
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let members: Vec<&&Value> = items.iter().filter(|v| text(v, "type") == "node").collect();
    let head = items.iter().find(|v| text(v, "type") == "cluster");
    let expected: u64 = state
        .world
        .nodes
        .iter()
        .map(|n| u64::from(n.def.votes))
        .sum();
    let total: u64 = members
        .iter()
        .filter(|v| num(v, "online") > 0.0)
        .filter_map(|v| {
            state
                .world
                .node(&text(v, "name"))
                .map(|n| u64::from(n.def.votes))
        })
        .sum();
    let quorum = expected / 2 + 1;
    let quorate = state.world.quorate();
    let own_id = members
        .iter()
        .find(|v| text(v, "name") == node)
        .map_or(1, |v| num(v, "nodeid") as u64);
    let mut out = format!(
        "Cluster information\n-------------------\nName:             {cluster}\nConfig Version:   {}\nTransport:        knet\nSecure auth:      on\n\n",
        head.map_or(1, |h| num(h, "version") as u64)
    );
    out.push_str(&format!(
        "Quorum information\n------------------\nDate:             {}\nQuorum provider:  corosync_votequorum\nNodes:            {}\nNode ID:          0x{own_id:08x}\nRing ID:          1.2c\nQuorate:          {}\n\n",
        format_datetime(state.world.now),
        members.iter().filter(|v| num(v, "online") > 0.0).count(),
        if quorate { "Yes" } else { "No" }
    ));
    out.push_str(&format!(
        "Votequorum information\n----------------------\nExpected votes:   {expected}\nHighest expected: {expected}\nTotal votes:      {total}\nQuorum:           {quorum} {}\nFlags:            {}\n\n",
        if quorate { "" } else { "Activity blocked" },
        if quorate { "Quorate" } else { "" }
    ));
    out.push_str("Membership information\n----------------------\n    Nodeid      Votes Name\n");
    for v in members.iter().filter(|v| num(v, "online") > 0.0) {
        let name = text(v, "name");
        let votes = state.world.node(&name).map_or(1, |n| n.def.votes);
        out.push_str(&format!(
            "0x{:08x} {:>10} {}{}\n",
            num(v, "nodeid") as u64,
            votes,
            text(v, "ip"),
            if name == node { " (local)" } else { "" }
        ));
    }
    out
}

/// `ha-manager crm-command node-maintenance enable|disable NODE`: queued for the CRM, which
/// (here at once) puts the node in or out of maintenance; it prints nothing when it took it.
fn node_maintenance(state: &mut SimState, action: &str, target: &str) -> String {
    if state.world.node(target).is_none() {
        return format!(
            "400 Parameter verification failed.\nnode: no such cluster node '{target}'\n"
        );
    }
    match action {
        "enable" => {
            state.world.ha.maintenance.insert(target.to_string());
        }
        "disable" => {
            state.world.ha.maintenance.remove(target);
        }
        other => {
            return format!(
                "400 Parameter verification failed.\naction: value '{other}' does not have a value in the enumeration 'enable, disable'\n"
            );
        }
    }
    String::new()
}

fn ha_status(state: &mut SimState) -> String {
    let list = ask(state, "GET /cluster/ha/status/current", &[]);
    let mut out = String::new();
    for v in list.as_array().into_iter().flatten() {
        let kind = text(v, "type");
        if kind == "fencing" {
            continue;
        }
        out.push_str(&format!("{kind} {}\n", text(v, "status")));
    }
    out
}

fn ceph_status(state: &mut SimState) -> String {
    if state.world.ceph.is_none() {
        return "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')\n".into();
    }
    let s = ask(state, "GET /cluster/ceph/status", &[]);
    let health = s
        .get("health")
        .map(|h| text(h, "status"))
        .unwrap_or_default();
    let mons: Vec<String> = s
        .get("quorum_names")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let osd = s.get("osdmap").cloned().unwrap_or(Value::Null);
    let pg = s.get("pgmap").cloned().unwrap_or(Value::Null);
    let mut out = format!(
        "  cluster:\n    id:     {}\n    health: {health}\n",
        text(&s, "fsid")
    );
    if let Some(checks) = s
        .get("health")
        .and_then(|h| h.get("checks"))
        .and_then(Value::as_object)
    {
        for check in checks.values() {
            let summary = check
                .get("summary")
                .map(|m| text(m, "message"))
                .unwrap_or_default();
            out.push_str(&format!("            {summary}\n"));
        }
    }
    out.push_str(&format!(
        "\n  services:\n    mon: {} daemons, quorum {} (age 24h)\n    osd: {} osds: {} up, {} in\n\n",
        mons.len(),
        mons.join(","),
        num(&osd, "num_osds"),
        num(&osd, "num_up_osds"),
        num(&osd, "num_in_osds")
    ));
    let tib = |b: f64| format!("{:.1} TiB", b / 1_099_511_627_776.0);
    out.push_str(&format!(
        "  data:\n    pools:   {} pools, {} pgs\n    objects: {} objects\n    usage:   {} used, {} / {} avail\n    pgs:    ",
        num(&pg, "num_pools"),
        num(&pg, "num_pgs"),
        num(&pg, "num_objects"),
        tib(num(&pg, "bytes_used")),
        tib(num(&pg, "bytes_avail")),
        tib(num(&pg, "bytes_total"))
    ));
    for state in pg
        .get("pgs_by_state")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            " {} {}\n            ",
            num(state, "count"),
            text(state, "state_name")
        ));
    }
    format!("{}\n", out.trim_end())
}

fn node_ip(state: &mut SimState, node: &str) -> String {
    let list = ask(state, "GET /nodes/{node}/network", &[("node", node)]);
    let mut out = format!("{:<16} {:<14} 127.0.0.1/8 ::1/128\n", "lo", "UNKNOWN");
    let mut rows: Vec<&Value> = list
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    rows.sort_by_key(|v| text(v, "iface"));
    for v in rows {
        let up = num(v, "active") > 0.0;
        out.push_str(&format!(
            "{:<16} {:<14} {}\n",
            text(v, "iface"),
            if up { "UP" } else { "DOWN" },
            text(v, "cidr")
        ));
    }
    out
}

fn apt_upgradable(state: &mut SimState, node: &str) -> String {
    let Some(n) = state.world.node(node) else {
        return String::new();
    };
    let mut out = "Listing... Done\n".to_string();
    for p in state.world.apt_updates(n) {
        out.push_str(&format!(
            "{}/stable {} amd64 [upgradable from: {}]\n",
            p.package.unwrap_or_default(),
            p.version.unwrap_or_default(),
            p.old_version.unwrap_or_default()
        ));
    }
    out
}
