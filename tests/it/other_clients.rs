//! Proxmox clients nobody here wrote, run against the simulator as against a cluster:
//! prometheus-pve-exporter (it scrapes the cluster, its nodes, guests, storage, subscription and
//! replication into metrics) and pvecontrol (a cluster control CLI). Both come from PyPI
//! (`pip install prometheus-pve-exporter==3.10.2 pvecontrol==0.8.0`; `.ci/run` installs them).
//! Each must see every node and guest, without an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

/// A program of theirs, or a failure that says how to get it.
fn program(name: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{name} is not installed: pip install prometheus-pve-exporter==3.10.2 pvecontrol==0.8.0 \
         (.ci/run installs them)"
    );
    Command::new(name)
}

/// Ends the exporter however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The cluster's nodes and guests (VMID, type), as the simulator lists them.
async fn inventory(sim: &common::Sim) -> (BTreeSet<String>, BTreeSet<(u64, String)>) {
    let r = sim.get("/cluster/resources").await;
    let mut nodes = BTreeSet::new();
    let mut guests = BTreeSet::new();
    for item in r.data().as_array().unwrap() {
        match item["type"].as_str() {
            Some("node") => {
                nodes.insert(item["node"].as_str().unwrap().to_string());
            }
            Some(kind @ ("qemu" | "lxc")) => {
                guests.insert((item["vmid"].as_u64().unwrap(), kind.to_string()));
            }
            _ => {}
        }
    }
    (nodes, guests)
}

/// host:port of the simulator, as these clients take a target.
fn target(sim: &common::Sim) -> String {
    sim.handle.url.trim_start_matches("https://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_pve_exporter_scrapes_every_node_and_guest() {
    let sim = common::start("homelab", 1.0).await;
    let dir = common::Scratch::new("exporter");
    let (user, token) = sim.handle.token_id.split_once('!').unwrap();
    let config = dir.join("pve.yml");
    std::fs::write(
        &config,
        format!(
            "default:\n  user: {user}\n  token_name: {token}\n  token_value: {}\n  verify_ssl: false\n",
            sim.handle.token_secret
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _exporter = Running(
        program("pve_exporter")
            .arg("--config.file")
            .arg(&config)
            .args(["--web.listen-address", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!(
        "http://127.0.0.1:{port}/pve?target={}&cluster=1&node=1",
        target(&sim)
    );
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        match http.get(&url).send().await {
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap();
                assert!(status.is_success(), "{status}: {text}");
                break text;
            }
            Err(e) if Instant::now() > deadline => panic!("the exporter did not answer: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let (nodes, guests) = inventory(&sim).await;
    let up: BTreeSet<&str> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("pve_up{id=\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    for node in &nodes {
        assert!(
            up.contains(format!("node/{node}").as_str()),
            "{node}: {up:?}"
        );
    }
    for (vmid, kind) in &guests {
        assert!(
            up.contains(format!("{kind}/{vmid}").as_str()),
            "{kind}/{vmid}: {up:?}"
        );
    }
    // What its node collector reads: the node's subscription and the guests' configs.
    assert!(
        metrics.contains("pve_subscription_info{"),
        "{}",
        &metrics[..metrics.len().min(2000)]
    );
    assert!(metrics.contains("pve_onboot_status{"));
    assert!(metrics.contains("pve_version_info{"));
}

/// `pvecontrol … -o json CMD` with a config for the simulator; its JSON, or a failure with
/// what it printed.
fn pvecontrol(config: &std::path::Path, args: &[&str]) -> Value {
    let out = program("pvecontrol")
        .arg("--config")
        .arg(config)
        .args(["-c", "lab", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pvecontrol {args:?}: {stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("Traceback"),
        "pvecontrol {args:?}: {stderr}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("pvecontrol {args:?}: {e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pvecontrol_lists_every_node_guest_task_and_storage() {
    let sim = common::start("homelab", 1.0).await;
    let dir = common::Scratch::new("pvecontrol");
    let (user, token) = sim.handle.token_id.split_once('!').unwrap();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "clusters:\n  - name: lab\n    host: \"{}\"\n    user: {user}\n    token_name: {token}\n    token_value: {}\n    ssl_verify: false\n",
            target(&sim),
            sim.handle.token_secret
        ),
    )
    .unwrap();
    let (nodes, guests) = inventory(&sim).await;
    let listed: BTreeSet<String> = pvecontrol(&config, &["node", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, nodes);
    let vms: BTreeSet<u64> = pvecontrol(&config, &["vm", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vmid"].as_u64().unwrap())
        .collect();
    for (vmid, kind) in &guests {
        if kind == "qemu" {
            assert!(vms.contains(vmid), "{vmid}: {vms:?}");
        }
    }
    let tasks = pvecontrol(&config, &["task", "list"]);
    assert!(!tasks.as_array().unwrap().is_empty(), "{tasks}");
    let storages = pvecontrol(&config, &["storage", "list"]);
    assert!(
        storages
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["storage"] == "vm-disks"),
        "{storages}"
    );
    // Its sanity checks that read what Proxmox VE 9 still serves (its HA-groups check reads
    // rules on 9.1 and fails on a resource-affinity rule, which has no nodes, on a real
    // cluster too).
    let out = program("pvecontrol")
        .arg("--config")
        .arg(&config)
        .args([
            "-c",
            "lab",
            "sanitycheck",
            "nodes",
            "vms_start_on_boot",
            "vm_backups",
        ])
        .args(["disk_unused", "ha_vms"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert!(stdout.contains("Total checks: 5"), "{stdout}\n{stderr}");
}
