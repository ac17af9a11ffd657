//! Every method the simulator serves, called on a running simulator, answers in the shape the
//! official Proxmox VE schema (tests/it/fixtures/pve-api-subset.json) declares: required fields
//! present, every present field of the declared type (booleans as 0/1), enums respected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

mod remote;
mod terminals;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::schema_errata::{errata, sent_as_text};

const SCHEMA: &str = include_str!("fixtures/pve-api-subset.json");

/// Check `value` against a schema; every mismatch is reported with its JSON path.
fn check(value: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
    // An optional property Perl left undefined goes out as null (a pool's unset target_size).
    if value.is_null() && schema.get("optional").is_some_and(|o| o == 1) {
        return;
    }
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("boolean") if !matches!(value.as_i64(), Some(0 | 1)) => {
            out.push(format!("{at}: expected 0/1 boolean, got {value}"));
        }
        Some("integer") if !(value.is_i64() || value.is_u64()) => {
            out.push(format!("{at}: expected integer, got {value}"));
        }
        Some("number") if !value.is_number() => {
            out.push(format!("{at}: expected number, got {value}"));
        }
        Some("string") => match value.as_str() {
            None => out.push(format!("{at}: expected string, got {value}")),
            Some(s) => {
                if let Some(values) = schema.get("enum").and_then(Value::as_array)
                    && !values.iter().any(|v| v == s)
                {
                    out.push(format!("{at}: {s:?} not in enum {values:?}"));
                }
            }
        },
        Some("array") => match value.as_array() {
            None => out.push(format!("{at}: expected array, got {value}")),
            Some(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        check(item, item_schema, &format!("{at}[{i}]"), out);
                    }
                }
            }
        },
        Some("object") => {
            let Some(obj) = value.as_object() else {
                out.push(format!("{at}: expected object, got {value}"));
                return;
            };
            let props = schema.get("properties").and_then(Value::as_object);
            for (name, sub) in props.into_iter().flatten() {
                if name.starts_with('{') {
                    // `{id}`, `{node}`: the schema's way of saying "every key".
                    for (k, v) in obj {
                        check(v, sub, &format!("{at}.{k}"), out);
                    }
                    continue;
                }
                let optional = sub.get("optional").is_some_and(|o| o == 1);
                if let Some(stem) = name.strip_suffix("[n]") {
                    for (k, v) in obj.iter().filter(|(k, _)| {
                        k.strip_prefix(stem)
                            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    }) {
                        check(v, sub, &format!("{at}.{k}"), out);
                    }
                    continue;
                }
                match obj.get(name) {
                    Some(v) => check(v, sub, &format!("{at}.{name}"), out),
                    None if !optional => out.push(format!("{at}: required field {name:?} missing")),
                    None => {}
                }
            }
        }
        Some("null") if !value.is_null() => {
            out.push(format!("{at}: expected null, got {value}"));
        }
        _ => {}
    }
}

struct Checker {
    schema: BTreeMap<String, Value>,
    seen: BTreeSet<String>,
    problems: Vec<String>,
}

impl Checker {
    fn verify(&mut self, key: &str, reply: &common::Reply) {
        assert_eq!(reply.status, 200, "{key}: {}", reply.text);
        let corrected = errata(key, &self.schema[key]["returns"]);
        let returns = &corrected;
        let data = reply.data();
        let mut out = Vec::new();
        if key == "GET /cluster/nextid" {
            // Proxmox declares an integer but sends it as a string; clients must accept both.
            assert!(
                data.as_str().is_some_and(|s| s.parse::<u32>().is_ok()),
                "{data}"
            );
        } else if let Some(fields) = sent_as_text(key) {
            // The schema declares numbers that Proxmox passes on as the text it read: `vlan-id`
            // and `mtu` from /etc/network/interfaces, a container's pressure from its cgroup.
            let mut without = data.clone();
            let items = match without.as_array_mut() {
                Some(list) => list.iter_mut().collect::<Vec<_>>(),
                None => vec![&mut without],
            };
            for i in items {
                for field in fields {
                    if let Some(v) = i.as_object_mut().and_then(|o| o.remove(*field)) {
                        assert!(
                            v.as_str().is_some_and(|t| t.parse::<f64>().is_ok()),
                            "{key}: {field} {v}"
                        );
                    }
                }
            }
            check(&without, returns, key, &mut out);
        } else if returns.get("type").is_some() && !(data.is_null() && returns["type"] == "null") {
            check(data, returns, key, &mut out);
        }
        whole_numbers(data, key, key.contains("rrddata"), &mut out);
        self.problems.extend(out);
        self.seen.insert(key.to_string());
    }
}

/// Counts, ids, sizes in bytes and times in seconds that Proxmox sends as JSON integers, though
/// the schema often says "number" (`cpus`, `maxcpu`, `maxmem`).
const WHOLE: &[&str] = &[
    "cpus",
    "maxcpu",
    "maxmem",
    "maxdisk",
    "uptime",
    "vmid",
    "pid",
    "pstart",
    "starttime",
    "endtime",
    "ctime",
    "snaptime",
    "timestamp",
    "time",
    "size",
    "total",
    "used",
    "avail",
];

/// rrddata averages over each step, so its amounts may have fractions; its times and limits not.
const WHOLE_IN_RRD: &[&str] = &["time", "maxcpu", "maxmem", "maxdisk"];

/// Every field of `data` (at any depth) that Proxmox sends as an integer and is a float here.
fn whole_numbers(data: &Value, at: &str, rrd: bool, out: &mut Vec<String>) {
    let names = if rrd { WHOLE_IN_RRD } else { WHOLE };
    match data {
        Value::Object(map) => {
            for (k, v) in map {
                if names.contains(&k.as_str()) && v.is_f64() {
                    out.push(format!(
                        "{at}.{k}: {v} is a float; Proxmox sends an integer"
                    ));
                }
                whole_numbers(v, &format!("{at}.{k}"), rrd, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                whole_numbers(v, &format!("{at}[]"), rrd, out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_served_route_answers_as_the_schema_declares() {
    let sim = common::start("homelab", 50.0).await;
    let mut c = Checker {
        schema: serde_json::from_str(SCHEMA).unwrap(),
        seen: BTreeSet::new(),
        problems: Vec::new(),
    };
    let n = "/nodes/pve-ms01-01";
    let listed = sim
        .get(&format!("{n}/storage/nas-backup/content?vmid=110"))
        .await;
    let backup = listed.data()[0]["volid"].as_str().unwrap_or_default();
    let backup = rack::pve::path::segment(backup);
    let reads: &[(&str, String)] = &[
        (
            "GET /nodes/{node}/vzdump/extractconfig",
            format!("{n}/vzdump/extractconfig?volume={backup}"),
        ),
        ("GET /version", "/version".into()),
        ("GET /cluster/status", "/cluster/status".into()),
        ("GET /cluster/config/nodes", "/cluster/config/nodes".into()),
        (
            "GET /nodes/{node}/storage/{storage}/rrddata",
            "/nodes/pve-ms01-01/storage/nas-backup/rrddata?timeframe=week&cf=AVERAGE".into(),
        ),
        ("GET /cluster/resources", "/cluster/resources".into()),
        ("GET /cluster/nextid", "/cluster/nextid".into()),
        ("GET /cluster/tasks", "/cluster/tasks".into()),
        ("GET /cluster/options", "/cluster/options".into()),
        ("GET /cluster/log", "/cluster/log?max=20".into()),
        (
            "GET /cluster/metrics/export",
            "/cluster/metrics/export?history=1&start-time=0".into(),
        ),
        ("GET /nodes", "/nodes".into()),
        ("GET /nodes/{node}/status", format!("{n}/status")),
        ("GET /nodes/{node}/config", format!("{n}/config")),
        ("GET /nodes/{node}/version", format!("{n}/version")),
        ("GET /nodes/{node}/syslog", format!("{n}/syslog?limit=20")),
        (
            "GET /nodes/{node}/certificates/info",
            format!("{n}/certificates/info"),
        ),
        (
            "GET /nodes/{node}/rrddata",
            format!("{n}/rrddata?timeframe=hour"),
        ),
        ("GET /nodes/{node}/qemu", format!("{n}/qemu")),
        ("GET /nodes/{node}/lxc", format!("{n}/lxc")),
        (
            "GET /nodes/{node}/qemu/{vmid}/status/current",
            format!("{n}/qemu/101/status/current"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/status/current",
            format!("{n}/lxc/200/status/current"),
        ),
        (
            "GET /nodes/{node}/qemu/{vmid}/config",
            format!("{n}/qemu/101/config"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/config",
            format!("{n}/lxc/200/config"),
        ),
        (
            "GET /nodes/{node}/qemu/{vmid}/pending",
            format!("{n}/qemu/101/pending"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/pending",
            format!("{n}/lxc/200/pending"),
        ),
        (
            "GET /nodes/{node}/qemu/{vmid}/rrddata",
            format!("{n}/qemu/101/rrddata?timeframe=day"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/rrddata",
            format!("{n}/lxc/200/rrddata?timeframe=hour"),
        ),
        (
            "GET /nodes/{node}/qemu/{vmid}/migrate",
            format!("{n}/qemu/101/migrate"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/migrate",
            format!("{n}/lxc/200/migrate"),
        ),
        (
            "GET /nodes/{node}/qemu/{vmid}/snapshot",
            "/nodes/pve-ms01-02/qemu/104/snapshot".into(),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/snapshot",
            format!("{n}/lxc/200/snapshot"),
        ),
        ("GET /nodes/{node}/tasks", format!("{n}/tasks?source=all")),
        ("GET /nodes/{node}/storage", format!("{n}/storage")),
        (
            "GET /nodes/{node}/storage/{storage}/content",
            format!("{n}/storage/nas-backup/content"),
        ),
        ("GET /nodes/{node}/network", format!("{n}/network")),
        (
            "GET /nodes/{node}/hardware/pci",
            "/nodes/pve-aimax-01/hardware/pci".into(),
        ),
        (
            "GET /nodes/{node}/hardware/usb",
            "/nodes/pve-aimax-01/hardware/usb".into(),
        ),
        ("GET /nodes/{node}/ceph/osd", format!("{n}/ceph/osd")),
        ("GET /nodes/{node}/ceph/pool", format!("{n}/ceph/pool")),
        ("GET /nodes/{node}/ceph/mon", format!("{n}/ceph/mon")),
        ("GET /nodes/{node}/ceph/mgr", format!("{n}/ceph/mgr")),
        ("GET /cluster/mapping/pci", "/cluster/mapping/pci".into()),
        ("GET /cluster/mapping/usb", "/cluster/mapping/usb".into()),
        ("GET /cluster/sdn/zones", "/cluster/sdn/zones".into()),
        ("GET /cluster/sdn/vnets", "/cluster/sdn/vnets".into()),
        (
            "GET /cluster/sdn/vnets/{vnet}/subnets",
            "/cluster/sdn/vnets/vlan28/subnets".into(),
        ),
        (
            "GET /cluster/ha/status/current",
            "/cluster/ha/status/current".into(),
        ),
        (
            "GET /cluster/ha/status/manager_status",
            "/cluster/ha/status/manager_status".into(),
        ),
        ("GET /cluster/ha/resources", "/cluster/ha/resources".into()),
        (
            "GET /cluster/ha/resources/{sid}",
            "/cluster/ha/resources/vm:104".into(),
        ),
        ("GET /cluster/ha/rules", "/cluster/ha/rules".into()),
        ("GET /cluster/ceph/status", "/cluster/ceph/status".into()),
        ("GET /cluster/ceph/flags", "/cluster/ceph/flags".into()),
        (
            "GET /cluster/ceph/flags/{flag}",
            "/cluster/ceph/flags/noout".into(),
        ),
        (
            "GET /cluster/ceph/metadata",
            "/cluster/ceph/metadata".into(),
        ),
        ("GET /cluster/backup", "/cluster/backup".into()),
        (
            "GET /cluster/backup-info/not-backed-up",
            "/cluster/backup-info/not-backed-up".into(),
        ),
        ("GET /pools", "/pools".into()),
        ("GET /access/permissions", "/access/permissions".into()),
        ("GET /nodes/{node}/apt/update", format!("{n}/apt/update")),
        (
            "GET /nodes/{node}/apt/versions",
            format!("{n}/apt/versions"),
        ),
        (
            "GET /nodes/{node}/subscription",
            format!("{n}/subscription"),
        ),
        ("GET /nodes/{node}/replication", format!("{n}/replication")),
        ("GET /cluster/replication", "/cluster/replication".into()),
        (
            "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
            format!("{n}/qemu/101/agent/network-get-interfaces"),
        ),
        (
            "GET /nodes/{node}/lxc/{vmid}/interfaces",
            format!("{n}/lxc/200/interfaces"),
        ),
    ];
    for (key, path) in reads {
        let r = sim.get(path).await;
        c.verify(key, &r);
    }
    // Proxmox VE 9 keeps the HA groups endpoint but refuses it once groups became rules.
    let r = sim.get("/cluster/ha/groups").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(
        r.text.contains("ha groups have been migrated to rules"),
        "{}",
        r.text
    );
    c.seen.insert("GET /cluster/ha/groups".to_string());

    // Writes, in an order where each one is possible, each task followed to its end.
    let ms2 = "/nodes/pve-ms01-02";
    // (method, path template, concrete path, form)
    type Write<'a> = (&'a str, &'a str, String, Vec<(&'a str, &'a str)>);
    let writes: Vec<Write> = vec![
        (
            "POST /access/ticket",
            "POST",
            "/access/ticket".into(),
            vec![
                ("username", "root@pam"),
                ("password", sim.handle.password.as_str()),
            ],
        ),
        (
            "POST /nodes/{node}/apt/update",
            "POST",
            format!("{n}/apt/update"),
            vec![("notify", "0")],
        ),
        (
            "POST /nodes/{node}/qemu",
            "POST",
            format!("{n}/qemu"),
            vec![
                ("vmid", "150"),
                ("name", "web-01"),
                ("memory", "2048"),
                ("scsi0", "vm-disks:16"),
                ("net0", "virtio,bridge=vmbr0,tag=28"),
            ],
        ),
        (
            "POST /nodes/{node}/lxc",
            "POST",
            format!("{n}/lxc"),
            vec![
                ("vmid", "250"),
                ("hostname", "ct-01"),
                (
                    "ostemplate",
                    "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst",
                ),
                ("rootfs", "vm-disks:8"),
                ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
            ],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/clone",
            "POST",
            format!("{n}/qemu/9000/clone"),
            vec![("newid", "151"), ("name", "clone-01")],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/clone",
            "POST",
            format!("{n}/lxc/200/clone"),
            vec![("newid", "251"), ("hostname", "grafana-2"), ("full", "1")],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/config",
            "POST",
            format!("{n}/qemu/150/config"),
            vec![("cores", "2")],
        ),
        (
            "PUT /nodes/{node}/qemu/{vmid}/config",
            "PUT",
            format!("{n}/qemu/150/config"),
            vec![("tags", "test")],
        ),
        (
            "PUT /nodes/{node}/lxc/{vmid}/config",
            "PUT",
            format!("{n}/lxc/250/config"),
            vec![("cores", "2")],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/start",
            "POST",
            format!("{n}/qemu/150/status/start"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/suspend",
            "POST",
            format!("{n}/qemu/150/status/suspend"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/resume",
            "POST",
            format!("{n}/qemu/150/status/resume"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/reboot",
            "POST",
            format!("{n}/qemu/150/status/reboot"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/snapshot",
            "POST",
            format!("{n}/qemu/150/snapshot"),
            vec![("snapname", "s1"), ("vmstate", "1")],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
            "POST",
            format!("{n}/qemu/150/snapshot/s1/rollback"),
            vec![],
        ),
        (
            "DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}",
            "DELETE",
            format!("{n}/qemu/150/snapshot/s1"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/shutdown",
            "POST",
            format!("{n}/qemu/150/status/shutdown"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/start",
            "POST",
            format!("{n}/lxc/250/status/start"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/suspend",
            "POST",
            format!("{n}/lxc/250/status/suspend"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/resume",
            "POST",
            format!("{n}/lxc/250/status/resume"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/reboot",
            "POST",
            format!("{n}/lxc/250/status/reboot"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/snapshot",
            "POST",
            format!("{n}/lxc/250/snapshot"),
            vec![("snapname", "c1")],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback",
            "POST",
            format!("{n}/lxc/250/snapshot/c1/rollback"),
            vec![],
        ),
        (
            "DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}",
            "DELETE",
            format!("{n}/lxc/250/snapshot/c1"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/start",
            "POST",
            format!("{n}/lxc/250/status/start"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/shutdown",
            "POST",
            format!("{n}/lxc/250/status/shutdown"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/migrate",
            "POST",
            format!("{n}/lxc/250/migrate"),
            vec![("target", "pve-ms01-02")],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/status/stop",
            "POST",
            format!("{n}/qemu/101/status/stop"),
            vec![],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/status/stop",
            "POST",
            format!("{n}/lxc/200/status/stop"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/migrate",
            "POST",
            format!("{n}/qemu/101/migrate"),
            vec![("target", "pve-ms01-02")],
        ),
        (
            "DELETE /nodes/{node}/qemu/{vmid}",
            "DELETE",
            format!("{n}/qemu/150"),
            vec![],
        ),
        (
            "DELETE /nodes/{node}/lxc/{vmid}",
            "DELETE",
            format!("{ms2}/lxc/250"),
            vec![],
        ),
        (
            "POST /cluster/ha/resources/{sid}/migrate",
            "POST",
            "/cluster/ha/resources/vm:104/migrate".into(),
            vec![("node", "pve-ms01-01")],
        ),
        (
            "POST /cluster/ha/resources/{sid}/relocate",
            "POST",
            "/cluster/ha/resources/ct:203/relocate".into(),
            vec![("node", "pve-ms01-02")],
        ),
        (
            "PUT /cluster/ceph/flags",
            "PUT",
            "/cluster/ceph/flags".into(),
            vec![("noout", "1")],
        ),
        (
            "PUT /cluster/ceph/flags/{flag}",
            "PUT",
            "/cluster/ceph/flags/noout".into(),
            vec![("value", "0")],
        ),
        (
            "POST /nodes/{node}/vzdump",
            "POST",
            format!("{n}/vzdump"),
            vec![("vmid", "105"), ("storage", "nas-backup")],
        ),
        (
            "POST /nodes/{node}/wakeonlan",
            "POST",
            "/nodes/pve-aimax-01/wakeonlan".into(),
            vec![],
        ),
        (
            "POST /nodes/{node}/status",
            "POST",
            "/nodes/pve-aimax-01/status".into(),
            vec![("command", "reboot")],
        ),
    ];
    for (key, method, path, form) in &writes {
        let r = sim.write(method, path, form).await;
        c.verify(key, &r);
        if let Some(upid) = r.data().as_str().filter(|s| s.starts_with("UPID:")) {
            let status = sim.wait_task(upid).await;
            assert_eq!(
                status["exitstatus"],
                "OK",
                "{key}: {status} {:?}",
                sim.task_log(upid).await
            );
        }
    }
    terminals::verify(&sim, &mut c).await;
    remote::verify(&sim, &mut c).await;
    // Task reads and stop, on a long task.
    let r = sim
        .post(
            &format!("{n}/vzdump"),
            &[("vmid", "105"), ("storage", "nas-backup")],
        )
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    c.verify(
        "GET /nodes/{node}/tasks/{upid}/status",
        &sim.get(&format!("{n}/tasks/{upid}/status")).await,
    );
    c.verify(
        "GET /nodes/{node}/tasks/{upid}/log",
        &sim.get(&format!("{n}/tasks/{upid}/log")).await,
    );
    c.verify(
        "DELETE /nodes/{node}/tasks/{upid}",
        &sim.write("DELETE", &format!("{n}/tasks/{upid}"), &[]).await,
    );

    assert!(
        c.problems.is_empty(),
        "schema mismatches:\n{}",
        c.problems.join("\n")
    );
    let missing: Vec<&String> = c.schema.keys().filter(|k| !c.seen.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "routes the simulator serves but this test did not call: {missing:?}"
    );
}
