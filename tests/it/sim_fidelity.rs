//! The simulator answers field for field as Proxmox VE 9 does where its answers were found to
//! differ (issue 18): percent-encoded path segments, the node list, and the guests as
//! qemu-server's and pve-container's `vmstatus` describe them — in a listing, and in full.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use serde_json::Value;

use crate::common;

/// The keys of an object answer, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// Guests of the cluster by kind and status, from `/cluster/resources`.
async fn guests(sim: &common::Sim, kind: &str, status: &str) -> Vec<(String, u64)> {
    let r = sim.get("/cluster/resources?type=vm").await;
    r.data()
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["type"] == kind && g["status"] == status && g["template"] != 1)
        .map(|g| {
            (
                g["node"].as_str().unwrap().to_string(),
                g["vmid"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A UPID in the path as Go's `url.PathEscape` and JavaScript's `encodeURIComponent` send it
/// (`:` `@` `!` escaped) is the same task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_percent_encoded_upid_names_its_task() {
    let sim = common::start("homelab", 1.0).await;
    let tasks = sim.get("/cluster/tasks").await;
    let upid = tasks.data()[0]["upid"].as_str().unwrap().to_string();
    let node = upid.split(':').nth(1).unwrap();
    let encoded = upid
        .replace(':', "%3A")
        .replace('@', "%40")
        .replace('!', "%21");
    assert_ne!(encoded, upid);
    for path in [
        format!("/nodes/{node}/tasks/{encoded}/status"),
        format!("/nodes/{node}/tasks/{encoded}/log"),
    ] {
        let r = sim.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    let r = sim
        .get(&format!("/nodes/{node}/tasks/{encoded}/status"))
        .await;
    assert_eq!(r.data()["upid"], upid.as_str());
    // Decoding keeps every character: an `&` in a segment is part of the name, which then is
    // no node name at all.
    let r = sim.get("/nodes/pve-ms01-01%26x/status").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.body["errors"]["node"].is_string(), "{}", r.text);
}

/// `/nodes` as pve-manager makes it: identity and state for every node, the figures only for
/// one online, each with its own certificate's fingerprint (the one its certificates list
/// and, for the node serving, the one it presents); integers as integers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_list_has_what_proxmox_sends() {
    let sim = common::start("homelab", 1.0).await;
    let off = sim
        .control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let r = sim.get("/nodes").await;
    let fingerprint = sim.handle.fingerprint.clone().unwrap();
    for n in r.data().as_array().unwrap() {
        let name = n["node"].as_str().unwrap();
        assert_eq!(n["id"], format!("node/{name}"));
        assert_eq!(n["type"], "node");
        if name == "pve-ms01-01" {
            assert_eq!(n["ssl_fingerprint"], fingerprint.as_str());
        } else {
            assert_ne!(n["ssl_fingerprint"], fingerprint.as_str());
        }
        if name == "pve-ms01-02" {
            assert_eq!(n["status"], "offline");
            assert_eq!(
                keys(n),
                ["id", "node", "ssl_fingerprint", "status", "type"],
                "{n}"
            );
            continue;
        }
        assert_eq!(n["status"], "online");
        let certs = sim.get(&format!("/nodes/{name}/certificates/info")).await;
        let own = certs
            .data()
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["filename"] == "pve-ssl.pem")
            .cloned()
            .unwrap();
        assert_eq!(n["ssl_fingerprint"], own["fingerprint"], "{name}");
        assert_eq!(
            keys(n),
            [
                "cpu",
                "disk",
                "id",
                "level",
                "maxcpu",
                "maxdisk",
                "maxmem",
                "mem",
                "node",
                "ssl_fingerprint",
                "status",
                "type",
                "uptime"
            ],
            "{n}"
        );
        for key in ["maxcpu", "maxmem", "mem", "maxdisk", "disk", "uptime"] {
            assert!(n[key].is_u64(), "{key} of {name}: {n}");
        }
    }
}

/// A VM listing is what qemu-server reads without asking QEMU: no run state or machine unless
/// `full=1`; `disk` is 0 (QEMU reports none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_listing_asks_qemu_only_in_full() {
    let sim = common::start("homelab", 1.0).await;
    let (node, _) = guests(&sim, "qemu", "running").await.remove(0);
    let list = sim.get(&format!("/nodes/{node}/qemu")).await;
    for vm in list.data().as_array().unwrap() {
        assert_eq!(vm["disk"], 0, "{vm}");
        for key in ["qmpstatus", "running-machine", "running-qemu", "blockstat"] {
            assert!(vm.get(key).is_none(), "{key} without full: {vm}");
        }
        if vm["status"] == "running" {
            assert!(vm["pid"].is_u64(), "{vm}");
            assert!(vm["pressurecpusome"].is_number(), "{vm}");
        }
    }
    let full = sim.get(&format!("/nodes/{node}/qemu?full=1")).await;
    for vm in full.data().as_array().unwrap() {
        assert_eq!(vm["qmpstatus"], vm["status"], "{vm}");
        if vm["status"] == "running" {
            assert_eq!(vm["running-qemu"], "10.0.2", "{vm}");
        }
    }
}

/// A VM's `status/current` in full: a running one with its balloon, per-drive and per-NIC
/// counters that add up to its totals; a stopped one with its run state; the agent said only
/// when it is enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_s_current_status_is_in_full() {
    let sim = common::start("homelab", 1.0).await;
    let (node, vmid) = guests(&sim, "qemu", "running").await.remove(0);
    let r = sim
        .get(&format!("/nodes/{node}/qemu/{vmid}/status/current"))
        .await;
    let s = r.data();
    for key in [
        "balloon",
        "ballooninfo",
        "freemem",
        "blockstat",
        "nics",
        "proxmox-support",
        "qmpstatus",
        "running-machine",
        "running-qemu",
        "ha",
    ] {
        assert!(s.get(key).is_some(), "{key} missing: {s}");
    }
    assert_eq!(s["qmpstatus"], "running");
    let drives = s["blockstat"].as_object().unwrap();
    assert!(!drives.is_empty(), "{s}");
    let read: u64 = drives
        .values()
        .map(|d| d["rd_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(read, s["diskread"].as_u64().unwrap(), "{s}");
    let nics = s["nics"].as_object().unwrap();
    assert!(
        nics.keys().all(|k| k.starts_with(&format!("tap{vmid}i"))),
        "{s}"
    );
    let config = sim.get(&format!("/nodes/{node}/qemu/{vmid}/config")).await;
    let agent = config.data()["agent"]
        .as_str()
        .is_some_and(|a| a.starts_with('1') || a.contains("enabled=1"));
    if agent {
        assert_eq!(s["agent"], 1, "{s}");
    } else {
        assert!(s.get("agent").is_none(), "{s}");
    }

    let stopped = guests(&sim, "qemu", "stopped").await;
    let (node, vmid) = stopped.first().expect("a stopped VM in the homelab");
    let r = sim
        .get(&format!("/nodes/{node}/qemu/{vmid}/status/current"))
        .await;
    let s = r.data();
    assert_eq!(s["qmpstatus"], "stopped", "{s}");
    assert_eq!(s["disk"], 0, "{s}");
    for key in ["balloon", "blockstat", "pid", "running-qemu"] {
        assert!(s.get(key).is_none(), "{key} on a stopped VM: {s}");
    }
}

/// A container listing as pve-container makes it: its swap always, its pid while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_listing_has_its_swap_and_pid() {
    let sim = common::start("homelab", 1.0).await;
    let (node, _) = guests(&sim, "lxc", "running").await.remove(0);
    let list = sim.get(&format!("/nodes/{node}/lxc")).await;
    for ct in list.data().as_array().unwrap() {
        assert!(ct["swap"].is_u64(), "{ct}");
        assert!(ct["maxswap"].is_u64(), "{ct}");
        assert_eq!(ct["type"], "lxc");
        if ct["status"] == "running" {
            assert!(ct["pid"].is_u64(), "{ct}");
        } else {
            assert!(ct.get("pid").is_none(), "{ct}");
            assert_eq!(ct["disk"], 0, "{ct}");
        }
    }
}

/// Ceph's status as Proxmox answers it: `monmap` and `mgrmap` are the full `mon dump` and
/// `mgr dump` — every monitor with its rank and addresses, the quorum by rank, the active
/// manager with its addresses and the standbys — and a monitor down is named by its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceph_status_carries_the_mon_and_mgr_dumps() {
    let sim = common::start("homelab", 1.0).await;
    let off = sim
        .control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let nodes = sim.get("/cluster/status").await;
    let ip_of = |name: &str| {
        nodes
            .data()
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .and_then(|n| n["ip"].as_str())
            .unwrap()
            .to_string()
    };
    let r = sim.get("/cluster/ceph/status").await;
    let s = r.data();
    let mons = s["monmap"]["mons"].as_array().unwrap();
    assert_eq!(mons.len(), 3, "{}", s["monmap"]);
    for (rank, m) in mons.iter().enumerate() {
        let name = m["name"].as_str().unwrap();
        let ip = ip_of(name);
        assert_eq!(m["rank"], rank);
        assert_eq!(m["addr"], format!("{ip}:6789/0"));
        assert_eq!(
            m["public_addrs"]["addrvec"][0]["addr"],
            format!("{ip}:3300")
        );
    }
    let down = mons
        .iter()
        .position(|m| m["name"] == "pve-ms01-02")
        .unwrap();
    let quorum: Vec<u64> = s["monmap"]["quorum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_u64().unwrap())
        .collect();
    assert_eq!(quorum.len(), 2);
    assert!(!quorum.contains(&(down as u64)));
    assert_eq!(s["quorum"], s["monmap"]["quorum"]);
    let detail = s["health"]["checks"]["MON_DOWN"]["detail"][0]["message"]
        .as_str()
        .unwrap();
    let ip = ip_of("pve-ms01-02");
    assert!(detail.contains(&format!("v2:{ip}:3300/0")), "{detail}");
    let mgr = &s["mgrmap"];
    let active = mgr["active_name"].as_str().unwrap();
    assert!(!active.is_empty() && active != "pve-ms01-02", "{mgr}");
    let addr = mgr["active_addr"].as_str().unwrap();
    assert!(
        addr.starts_with(&format!("{}:6801/", ip_of(active))),
        "{mgr}"
    );
    assert_eq!(mgr["available"], true);
    assert!(mgr["standbys"].is_array());
    assert!(
        mgr["available_modules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "prometheus")
    );
}

/// Endpoints other clients read (prometheus-pve-exporter, pvecontrol) are served as Proxmox VE 9
/// serves them: a node's subscription, replication jobs (none), and HA groups refused as
/// migrated to rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_other_clients_read_is_served() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim.get("/nodes/pve-ms01-01/subscription").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sub = r.data();
    assert_eq!(sub["status"], "active", "{sub}");
    assert!(
        sub["sockets"].is_u64() && sub["checktime"].is_i64(),
        "{sub}"
    );
    assert_eq!(sub["serverid"].as_str().unwrap().len(), 32, "{sub}");
    for path in ["/nodes/pve-ms01-01/replication", "/cluster/replication"] {
        let r = sim.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.data(), &Value::Array(vec![]));
    }
    let r = sim.get("/cluster/ha/groups").await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.body["message"],
        "cannot index groups: ha groups have been migrated to rules\n"
    );
}

/// Task lists and task logs say how many there are in all (`total`), as Proxmox pages them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_lists_and_logs_say_their_total() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim.get("/nodes/pve-ms01-01/tasks?limit=1").await;
    assert_eq!(r.data().as_array().unwrap().len(), 1);
    let total = r.body["total"].as_u64().unwrap();
    let all = sim.get("/nodes/pve-ms01-01/tasks?limit=10000").await;
    assert_eq!(all.data().as_array().unwrap().len() as u64, total);
    let upid = all.data()[0]["upid"].as_str().unwrap();
    let log = sim
        .get(&format!("/nodes/pve-ms01-01/tasks/{upid}/log?limit=1"))
        .await;
    assert_eq!(log.data().as_array().unwrap().len(), 1);
    let lines = log.body["total"].as_u64().unwrap();
    let whole = sim
        .get(&format!("/nodes/pve-ms01-01/tasks/{upid}/log?limit=100000"))
        .await;
    assert_eq!(whole.data().as_array().unwrap().len() as u64, lines);
}

/// A PBS snapshot is `STORAGE:backup/vm/104/…Z`, as PVE's PBS plugin names it, and that is the
/// name a restore and `extractconfig` take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pbs_backups_have_proxmox_s_volume_ids() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim
        .get("/nodes/pve-ms01-01/storage/offsite-pbs/content?content=backup")
        .await;
    let list = r.data().as_array().unwrap();
    assert!(!list.is_empty(), "{}", r.text);
    for v in list {
        let volid = v["volid"].as_str().unwrap();
        let rest = volid
            .strip_prefix("offsite-pbs:backup/")
            .unwrap_or_else(|| panic!("{volid}"));
        let parts: Vec<&str> = rest.split('/').collect();
        assert!(matches!(parts[0], "vm" | "ct"), "{volid}");
        assert_eq!(parts[1], v["vmid"].to_string(), "{volid}");
        assert!(parts[2].ends_with('Z') && parts[2].contains('T'), "{volid}");
        assert_eq!(v["format"], format!("pbs-{}", parts[0]), "{v}");
    }
    let volid = list[0]["volid"].as_str().unwrap();
    let r = sim
        .get(&format!(
            "/nodes/pve-ms01-01/vzdump/extractconfig?volume={}",
            volid.replace(':', "%3A")
        ))
        .await;
    assert_eq!(r.status, 200, "{volid}: {}", r.text);
}

/// An SDN subnet's DHCP ranges are objects, as Proxmox answers them, and rack shows each as
/// `start-end` — from objects, and from the property strings older releases sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdn_dhcp_ranges_are_objects() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim.get("/cluster/sdn/vnets/vlan28/subnets").await;
    let range = &r.data()[0]["dhcp-range"][0];
    assert_eq!(
        range,
        &serde_json::json!({ "start-address": "10.8.30.100", "end-address": "10.8.30.250" })
    );
    let subnets = rack::model::networks::parse_subnets("vlan28", r.data()).unwrap();
    assert_eq!(subnets[0].dhcp, ["10.8.30.100-10.8.30.250"]);
    let older = serde_json::json!([{ "cidr": "10.8.28.0/22",
        "dhcp-range": ["start-address=10.8.30.100,end-address=10.8.30.250"] }]);
    let subnets = rack::model::networks::parse_subnets("vlan28", &older).unwrap();
    assert_eq!(subnets[0].dhcp, ["10.8.30.100-10.8.30.250"]);
}

/// Ceph's monitors, managers and pools as pve-manager lists them: each daemon's node, service
/// and Ceph version, a manager's bare address, and each pool's autoscale status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceph_daemons_and_pools_say_what_proxmox_says() {
    let sim = common::start("homelab", 1.0).await;
    let n = "/nodes/pve-ms01-01/ceph";
    for kind in ["mon", "mgr"] {
        let r = sim.get(&format!("{n}/{kind}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.data().as_array().unwrap().len(), 3, "{}", r.text);
        for d in r.data().as_array().unwrap() {
            assert!(d["host"].is_string(), "{d}");
            assert_eq!(d["service"], 1, "{d}");
            assert!(
                d["ceph_version"]
                    .as_str()
                    .unwrap()
                    .starts_with("ceph version 19."),
                "{d}"
            );
            assert!(d["ceph_version_short"].is_string(), "{d}");
            if kind == "mgr" {
                let addr = d["addr"].as_str().unwrap();
                assert!(addr.parse::<std::net::IpAddr>().is_ok(), "{d}");
            }
        }
    }
    let r = sim.get(&format!("{n}/pool")).await;
    assert!(!r.data().as_array().unwrap().is_empty(), "{}", r.text);
    for p in r.data().as_array().unwrap() {
        let status = &p["autoscale_status"];
        for key in [
            "pool_id",
            "pool_name",
            "pg_num_target",
            "pg_num_ideal",
            "logical_used",
            "raw_used_rate",
            "capacity_ratio",
            "bias",
            "bulk",
        ] {
            assert!(status.get(key).is_some(), "{key}: {p}");
        }
        assert!(
            p.get("target_size").is_some() && p.get("target_size_ratio").is_some(),
            "{p}"
        );
    }
}

/// What Proxmox adds or leaves out elsewhere: a new VM's SMBIOS UUID, generation ID and creation
/// note; the ticket's capabilities by area; root's privileges of PVE 9 and `/access/groups`;
/// `protected` said only of a protected backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_proxmox_adds_and_leaves_out() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim
        .post(
            "/nodes/pve-ms01-01/qemu",
            &[("vmid", "150"), ("name", "fresh"), ("memory", "1024")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    sim.wait_task(r.data().as_str().unwrap()).await;
    let config = sim.get("/nodes/pve-ms01-01/qemu/150/config").await;
    let c = config.data();
    assert!(c["smbios1"].as_str().unwrap().starts_with("uuid="), "{c}");
    assert_eq!(c["vmgenid"].as_str().unwrap().len(), 36, "{c}");
    assert!(
        c["meta"]
            .as_str()
            .unwrap()
            .starts_with("creation-qemu=10.0.2,ctime="),
        "{c}"
    );

    let (user, _) = sim.handle.token_id.split_once('!').unwrap();
    let t = sim
        .post(
            "/access/ticket",
            &[("username", user), ("password", &sim.handle.password)],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    let cap = &t.data()["cap"];
    for area in ["vms", "access", "storage", "nodes", "sdn", "dc", "mapping"] {
        assert!(cap[area].is_object(), "{area}: {cap}");
    }
    assert_eq!(cap["vms"]["VM.Migrate"], 1);
    assert_eq!(cap["nodes"]["Sys.PowerMgmt"], 1);

    let p = sim.get("/access/permissions").await;
    assert_eq!(p.data()["/"]["Sys.AccessNetwork"], 1);
    assert_eq!(p.data()["/"]["VM.Replicate"], 1);
    assert!(p.data()["/access/groups"].is_object());

    let r = sim
        .get("/nodes/pve-ms01-01/storage/nas-backup/content?content=backup")
        .await;
    for v in r.data().as_array().unwrap() {
        assert_ne!(v.get("protected"), Some(&Value::from(0)), "{v}");
    }
}

/// A node's network as Proxmox reads /etc/network/interfaces: a VLAN's id as a string, physical
/// NICs the kernel lists marked as existing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_s_network_has_what_proxmox_reads() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim.get("/nodes/pve-ms01-01/network").await;
    let list = r.data().as_array().unwrap();
    let vlans: Vec<&Value> = list.iter().filter(|i| i["type"] == "vlan").collect();
    let physical = |i: &&Value| i["type"] == "eth" || i["type"] == "OVSPort";
    let nics: Vec<&Value> = list.iter().filter(physical).collect();
    assert!(!vlans.is_empty() && !nics.is_empty(), "{}", r.text);
    for v in vlans {
        assert!(v["vlan-id"].is_string(), "{v}");
        // On a bridge, not a NIC: pve-common copies the bridge's (undefined) `exists`.
        assert!(v["exists"].is_null() && v.get("exists").is_some(), "{v}");
    }
    for n in nics {
        assert_eq!(n["exists"], 1, "{n}");
    }
    for other in list.iter().filter(|i| !physical(i) && i["type"] != "vlan") {
        assert!(other.get("exists").is_none(), "{other}");
    }
    // Only what the stanza sets: an MTU where one is configured, as the string read.
    let by = |name: &str| list.iter().find(|i| i["iface"] == name).unwrap();
    assert_eq!(by("vmbr0")["mtu"], "9000");
    assert!(by("vmbr1").get("mtu").is_none());
    // Open vSwitch: the bridge lists its ports, a port names its bridge, a tag is a string.
    assert_eq!(by("vmbr1")["ovs_type"], "OVSBridge");
    assert_eq!(by("vmbr1")["ovs_ports"], "enp87s0 lab0");
    assert_eq!(by("enp87s0")["ovs_bridge"], "vmbr1");
    assert_eq!(by("lab0")["type"], "OVSIntPort");
    assert_eq!(by("lab0")["ovs_tag"], "60");
    assert_eq!(
        by("lab0")["options"][0],
        "post-up ip link set lab0 txqueuelen 10000"
    );
    // A link that is down has no `active`.
    assert!(by("enp87s0").get("active").is_none());
    assert_eq!(by("vmbr0")["active"], 1);
}

/// A real node's task list goes back days: the backup jobs' runs of the last week are there,
/// and each run's log names the archives the storage lists (those not pruned since), a file
/// archive with the size the listing has, as vzdump's `format_size` writes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_history_holds_the_backup_runs_the_storage_shows() {
    let sim = common::start("homelab", 1.0).await;
    let (mut files, mut pbs) = (0, 0);
    for node in ["pve-ms01-01", "pve-ms01-02", "pve-aimax-01"] {
        let r = sim
            .get(&format!("/nodes/{node}/tasks?typefilter=vzdump&limit=500"))
            .await;
        let runs = r.data().as_array().unwrap();
        let newest = runs.first().and_then(|t| t["starttime"].as_i64()).unwrap();
        let oldest = runs.last().and_then(|t| t["starttime"].as_i64()).unwrap();
        // The daily job runs on the first two; the third holds only the weekly job's guests.
        if node != "pve-aimax-01" {
            assert!(newest - oldest > 5 * 86_400, "{}", r.text);
        }
        assert!(runs.iter().all(|t| t["user"] == "root@pam"), "{}", r.text);
        for run in runs.iter().filter(|t| t["status"] == "OK") {
            let upid = run["upid"].as_str().unwrap();
            let log = sim
                .get(&format!("/nodes/{node}/tasks/{upid}/log?limit=0"))
                .await;
            let lines: Vec<&str> = log
                .data()
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l["t"].as_str())
                .collect();
            assert_eq!(lines.last(), Some(&"TASK OK"), "{lines:?}");
            let storage = lines[0]
                .split("--storage ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .unwrap();
            let listed = sim
                .get(&format!(
                    "/nodes/{node}/storage/{storage}/content?content=backup"
                ))
                .await;
            // The archive each guest's backup wrote, and the size vzdump logged for it.
            let mut archives: Vec<(&str, Option<&str>)> = Vec::new();
            for l in &lines {
                if let Some(a) = l
                    .strip_prefix("INFO: creating vzdump archive '")
                    .or_else(|| l.strip_prefix("INFO: creating Proxmox Backup Server archive '"))
                {
                    archives.push((a.trim_end_matches('\''), None));
                } else if let (Some(size), Some(last)) = (
                    l.strip_prefix("INFO: archive file size: "),
                    archives.last_mut(),
                ) {
                    last.1 = Some(size);
                }
            }
            assert!(!archives.is_empty(), "{lines:?}");
            for (archive, logged) in &archives {
                let file = archive.rsplit('/').next().unwrap();
                let Some(volume) = listed
                    .data()
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|v| v["volid"].as_str().unwrap().ends_with(file))
                else {
                    // Pruned since, as the job's retention says.
                    continue;
                };
                if volume["format"].as_str().unwrap().starts_with("pbs-") {
                    assert_eq!(*logged, None, "PBS keeps no file: {lines:?}");
                    pbs += 1;
                    continue;
                }
                // As PVE::VZDump::format_size writes it.
                let size = volume["size"].as_f64().unwrap();
                let gb = size / f64::from(1u32 << 30);
                let said = if gb < 1.0 {
                    format!("{}MB", (size / f64::from(1u32 << 20)) as u64)
                } else {
                    format!("{gb:.2}GB")
                };
                assert_eq!(logged.unwrap_or_default(), said, "{archive}");
                files += 1;
            }
        }
    }
    assert!(files > 0 && pbs > 0, "files {files}, PBS {pbs}");
}

/// Mappings say what is wrong on a node only when asked (`check-node`), as pve-manager does:
/// PCI in `checks`, USB in `errors`; a node without a part of the mapping gets a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_are_checked_on_the_node_asked_for() {
    let sim = common::start("homelab", 1.0).await;
    let plain = sim.get("/cluster/mapping/pci").await;
    let gpu = &plain.data()[0];
    assert_eq!(gpu["type"], "pci");
    assert!(gpu.get("checks").is_none(), "{gpu}");
    let there = sim
        .get("/cluster/mapping/pci?check-node=pve-aimax-01")
        .await;
    assert_eq!(
        there.data()[0]["checks"],
        Value::Array(vec![]),
        "{}",
        there.text
    );
    let elsewhere = sim.get("/cluster/mapping/pci?check-node=pve-ms01-01").await;
    let warning = &elsewhere.data()[0]["checks"][0];
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["message"], "No mapping for node pve-ms01-01.");
    let usb = sim
        .get("/cluster/mapping/usb?check-node=pve-aimax-01")
        .await;
    assert_eq!(usb.data()[0]["type"], "usb");
    assert_eq!(
        usb.data()[0]["errors"],
        Value::Array(vec![]),
        "{}",
        usb.text
    );
}
