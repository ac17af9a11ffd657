//! The action verbs as a script runs them: against a configured (simulated) cluster, through
//! the journal, with `--wait` following the task and the exit status telling how it ended.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use std::process::{Command, Output};

use serde_json::Value;

struct Setup {
    dir: common::Scratch,
    config: std::path::PathBuf,
    secret: String,
}

fn setup(tag: &str, sim: &common::Sim) -> Setup {
    let dir = common::Scratch::new(&format!("verbs-{tag}"));
    let config = dir.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\nfingerprint = \"{}\"\n[clusters.networks]\niot = \"vmbr0:28\"\n",
            sim.handle.url,
            sim.handle.token_id,
            sim.handle.fingerprint.clone().unwrap()
        ),
    )
    .unwrap();
    Setup {
        dir,
        config,
        secret: sim.handle.token_secret.clone(),
    }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rack"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("RACK_TEST_SECRET", &self.secret)
            .env("RACK_DATA_DIR", self.dir.join("data"))
            .output()
            .unwrap()
    }
}

impl Setup {
    /// Every write the simulator received was recorded in the audit log first, with its
    /// outcome; and the log's chain holds.
    async fn audited(&self, sim: &common::Sim) {
        common::assert_audited(sim, &self.dir.join("data/audit.jsonl"), "lab").await;
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_with_wait_prints_progress_and_moves_the_guest() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("migrate", &sim);
    let out = s.run(&["migrate", "102", "--to", "pve-ms01-01", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "migrate VM 102 (talos-k8s-02) to pve-ms01-01, online: started UPID:pve-ms01-02:"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  memory: "), "{stdout}");
    assert!(stdout.contains(": ok after "), "{stdout}");
    assert_eq!(sim.resource("qemu/102").await["node"], "pve-ms01-01");

    // The journal kept it, and `get tasks` lists the task.
    let journal = std::fs::read_to_string(s.dir.join("data/journal.jsonl")).unwrap();
    assert!(journal.contains("\"step\":\"finished\""), "{journal}");
    let out = s.run(&["get", "tasks", "-o", "json"]);
    let tasks: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t["type"] == "qmigrate" && t["id"] == "102" && t["status"] == "OK"),
        "{tasks:?}"
    );
    s.audited(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_exit_non_zero_with_proxmox_s_text() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("fail", &sim);
    sim.control(
        "POST",
        "/tasks/fail-next",
        &[("type", "qmigrate"), ("error", "migration aborted")],
    )
    .await;
    let out = s.run(&["migrate", "103", "--to", "pve-ms01-01", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains(": failed after "), "{stderr}");
    assert!(stderr.contains("migration aborted"), "{stderr}");

    // Destructive verbs want --yes.
    let out = s.run(&["stop", "101"]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("add --yes to confirm"),
        "{}",
        text(&out).1
    );
    assert_eq!(sim.resource("qemu/101").await["status"], "running");

    // A target the precondition check rules out is refused with its reason.
    let out = s.run(&["migrate", "106", "--to", "pve-aimax-01"]);
    assert!(!out.status.success());
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("cannot migrate to pve-aimax-01"),
        "{stderr}"
    );

    // An HA rule that keeps two guests apart is named, before anything is sent.
    let out = s.run(&["migrate", "104", "--to", "pve-ms01-01"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "cannot migrate to pve-ms01-01: HA rule ingress-apart-from-db: ct:203 runs there"
        ),
        "{stderr}"
    );

    // A bad snapshot name never reaches the cluster.
    let out = s.run(&["snapshot", "101", "9lives"]);
    assert!(
        text(&out).1.contains("must start with a letter"),
        "{}",
        text(&out).1
    );
    s.audited(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_clone_snapshot_and_power_take_effect() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("create", &sim);
    let out = s.run(&[
        "create",
        "vm",
        "--name",
        "web-test",
        "--vmid",
        "150",
        "--node",
        "pve-ms01-01",
        "--cores",
        "4",
        "--memory",
        "4 GiB",
        "--disk",
        "16G",
        "--storage",
        "vm-disks",
        "--network",
        "vmbr0",
        "--ip",
        "10.0.0.50/24",
        "--gateway",
        "10.0.0.1",
        "--ciuser",
        "ops",
        "--wait",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let config = sim.get("/nodes/pve-ms01-01/qemu/150/config").await;
    let c = config.data();
    assert_eq!(c["name"], "web-test");
    assert_eq!(c["cores"].to_string().trim_matches('"'), "4");
    assert_eq!(c["memory"].to_string().trim_matches('"'), "4096");
    assert!(c["scsi0"].as_str().unwrap().contains("size=16G"), "{c}");
    assert_eq!(c["ipconfig0"], "ip=10.0.0.50/24,gw=10.0.0.1");

    let out = s.run(&[
        "clone",
        "9000",
        "--newid",
        "151",
        "--name",
        "from-template",
        "--wait",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(sim.resource("qemu/151").await["name"], "from-template");

    let out = s.run(&["snapshot", "150", "fresh", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let snaps = sim.get("/nodes/pve-ms01-01/qemu/150/snapshot").await;
    assert!(
        snaps
            .data()
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "fresh")
    );

    let out = s.run(&["start", "150", "151", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(sim.resource("qemu/150").await["status"], "running");
    assert_eq!(sim.resource("qemu/151").await["status"], "running");
    let out = s.run(&["stop", "151", "--yes", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(sim.resource("qemu/151").await["status"], "stopped");

    // Read-only: nothing is sent.
    let out = s.run(&["--read-only", "start", "151"]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("read-only"), "{:?}", text(&out));
    s.audited(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_waits_for_the_node() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("wake", &sim);
    sim.control("POST", "/nodes/pve-aimax-01/power", &[("state", "off")])
        .await;
    let out = s.run(&["wake", "pve-aimax-01", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("wake pve-aimax-01: ok"), "{stdout}");
    assert!(stdout.contains("is online after"), "{stdout}");
    let out = s.run(&["wake", "pve-aimax-01"]);
    assert!(text(&out).1.contains("online already"), "{:?}", text(&out));
    s.audited(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_with_a_gpu_is_placed_on_the_gpu_node_and_a_second_is_refused() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("place", &sim);
    // The dry run: the GPU node first, the others with the reason.
    let out = s.run(&["place", "--devices", "gpu", "--memory", "8G", "-o", "json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let ranking: Value = serde_json::from_str(&stdout).unwrap();
    let ranking = ranking.as_array().unwrap();
    assert_eq!(ranking[0]["node"], "pve-aimax-01");
    assert_eq!(ranking[0]["feasible"], true);
    assert!(ranking[0]["score"].is_number());
    for other in &ranking[1..] {
        assert_eq!(other["feasible"], false, "{other}");
        assert_eq!(other["reasons"][0], "no free gpu", "{other}");
    }

    // Ask for a VM with a GPU without naming a node.
    let out = s.run(&[
        "create",
        "vm",
        "--name",
        "gpu-worker",
        "--vmid",
        "300",
        "--devices",
        "gpu",
        "--memory",
        "8G",
        "--start",
        "--wait",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("placed on pve-aimax-01"), "{stderr}");
    let r = sim.resource("qemu/300").await;
    assert_eq!(r["node"], "pve-aimax-01", "{r}");
    assert_eq!(r["status"], "running", "{r}");
    let config = sim.get("/nodes/pve-aimax-01/qemu/300/config").await;
    assert_eq!(config.data()["hostpci0"], "mapping=gpu,pcie=1");
    assert_eq!(config.data()["machine"], "q35");
    assert_eq!(config.data()["balloon"].to_string().trim_matches('"'), "0");

    // The only GPU is taken now: a second request is refused, with the reason.
    let out = s.run(&[
        "create",
        "vm",
        "--name",
        "gpu-worker-2",
        "--vmid",
        "301",
        "--devices",
        "gpu",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("no node can take VM 301"), "{stderr}");
    assert!(
        stderr.contains("pve-aimax-01: no free gpu (held by VM 300 (gpu-worker))"),
        "{stderr}"
    );
    assert!(sim.get("/nodes/pve-aimax-01/qemu/301/config").await.status != 200);

    // ai-training-01 (110) is configured with the same pool: starting it now would take the
    // GPU VM 300 holds, so it is refused before anything is sent, naming the holder.
    let out = s.run(&["start", "110", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "VM 110 (ai-training-01) not started: hostpci0: every device of mapping 'gpu' on pve-aimax-01 is in use by VM 300 (gpu-worker)"
        ),
        "{stderr}"
    );
    assert_eq!(sim.resource("qemu/110").await["status"], "stopped");

    // A role brings its type's size and its tags; guests of a spread role avoid each other.
    let out = s.run(&[
        "create",
        "vm",
        "--name",
        "k8s-worker",
        "--vmid",
        "302",
        "--role",
        "k8s-node",
        "--network",
        "iot",
        "--wait",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("tagged 'k8s' here already"), "{stderr}");
    let node = sim.resource("qemu/302").await["node"]
        .as_str()
        .unwrap()
        .to_string();
    let config = sim.get(&format!("/nodes/{node}/qemu/302/config")).await;
    let c = config.data();
    assert_eq!(c["tags"], "k8s", "{c}");
    // The network alias is its bridge and VLAN.
    assert!(
        c["net0"].as_str().unwrap().contains("bridge=vmbr0,tag=28"),
        "{c}"
    );
    assert_eq!(c["cores"].to_string().trim_matches('"'), "8", "{c}");
    assert_eq!(c["memory"].to_string().trim_matches('"'), "16384", "{c}");
    // An HA rule the guest will join: apart from the rule's guests.
    let out = s.run(&["place", "--ha-rule", "ingress-apart-from-db", "-o", "json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let ranking: Value = serde_json::from_str(&stdout).unwrap();
    let apart: Vec<&Value> = ranking
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["feasible"] == false)
        .collect();
    assert!(!apart.is_empty(), "{stdout}");
    for r in apart {
        let why = r["reasons"][0].as_str().unwrap();
        assert!(
            why.starts_with("HA rule 'ingress-apart-from-db' keeps it apart from "),
            "{why}"
        );
    }
    let out = s.run(&["place", "--role", "nope"]);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("--role: no role \"nope\"; the roles are none, k8s-node"),
        "{stderr}"
    );
    s.audited(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_beside_the_original_then_destroy_and_bring_a_guest_back() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("restore", &sim);
    // Beside the original: a new VMID, a new name and new MACs.
    let out = s.run(&["restore", "104", "--newid", "1104", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("100%") || stdout.contains("OK"), "{stdout}");
    let new = sim.get("/nodes/pve-ms01-02/qemu/1104/config").await;
    let old = sim.get("/nodes/pve-ms01-02/qemu/104/config").await;
    assert_eq!(new.data()["name"], "postgres-01-restored");
    assert_ne!(new.data()["net0"], old.data()["net0"]);

    // Refused before anything is sent, with the reason.
    let refusals = [
        (
            vec!["restore", "104", "--newid", "105"],
            "VMID 105 is taken by docker-host-01",
        ),
        (vec!["restore", "4242"], "no backup of VMID 4242 was found"),
        (
            vec![
                "restore",
                "104",
                "--archive",
                "nas-backup:backup/nope.vma.zst",
            ],
            "its backups are: ",
        ),
        (
            vec!["restore", "104", "--node", "pve-nowhere"],
            "--node pve-nowhere: no such node",
        ),
        (
            vec!["restore", "104", "--storage", "nas-backup"],
            "does not hold VM disks",
        ),
    ];
    for (args, why) in refusals {
        let out = s.run(&args);
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{args:?}: {stdout}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }

    // A destroyed container comes back under its own VMID, name and MAC.
    let path = "/nodes/pve-ms01-01/lxc/200";
    let before = sim.get(&format!("{path}/config")).await.data().clone();
    let out = s.run(&["destroy", "200", "--yes"]);
    let why = "CT 200 (grafana) is running: stop it first";
    assert!(text(&out).1.contains(why), "{:?}", text(&out));
    assert!(s.run(&["stop", "200", "--yes", "--wait"]).status.success());
    let out = s.run(&["destroy", "200"]);
    let why = "cannot be undone: add --yes";
    assert!(text(&out).1.contains(why), "{:?}", text(&out));
    let out = s.run(&["destroy", "200", "--yes", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_ne!(sim.get(&format!("{path}/config")).await.status, 200);
    let out = s.run(&["restore", "200", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let back = sim.resource("lxc/200").await;
    let node = back["node"].as_str().unwrap().to_string();
    let after = sim.get(&format!("/nodes/{node}/lxc/200/config")).await;
    assert_eq!(after.data()["hostname"], "grafana");
    assert_eq!(after.data()["net0"], before["net0"]);
    s.audited(&sim).await;
}

/// A destroyed GPU VM is restored where its mapping has a device, not on the first node that
/// reaches its backup; a node without one is refused before anything is sent, naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gpu_vm_is_restored_where_its_devices_are() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("restore-gpu", &sim);
    let out = s.run(&["destroy", "110", "--yes", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = s.run(&["restore", "110", "--node", "pve-ms01-01"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "--node pve-ms01-01: hostpci0: mapping 'gpu' has no entry for node 'pve-ms01-01'"
        ),
        "{stderr}"
    );
    let out = s.run(&["restore", "110", "--wait"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let back = sim.resource("qemu/110").await;
    assert_eq!(back["node"], "pve-aimax-01", "{back}");
    s.audited(&sim).await;
}

/// What depends on the date (when jobs run, which backup is newest) holds at the instants
/// where date arithmetic breaks.
#[test]
fn date_sensitive_tests_pass_at_chosen_instants() {
    common::at_instants(
        module_path!(),
        &[
            "restore_beside_the_original_then_destroy_and_bring_a_guest_back",
            "a_gpu_vm_is_restored_where_its_devices_are",
        ],
    );
}

/// What the form refuses, the command line refuses with the same words before anything is
/// sent; and a device whose holder cannot be read is never handed out as free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_and_unknown_holders_are_refused_before_sending() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("refuse", &sim);
    let guests = || async {
        let r = sim.get("/cluster/resources?type=vm").await;
        r.data().as_array().unwrap().len()
    };
    let before = guests().await;
    for (args, words) in [
        (
            &["--cores", "0"][..],
            "--cores 0: a whole number of cores, 1 or more",
        ),
        (&["--vmid", "0"], "--vmid: 0 is outside 100–999999999"),
        (&["--vlan", "5000"], "--vlan 5000: a VLAN tag is 1–4094"),
    ] {
        let mut all = vec!["create", "vm", "--name", "bad"];
        all.extend_from_slice(args);
        let out = s.run(&all);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    // An unknown pool is named, with the pools there are.
    let out = s.run(&["place", "--devices", "nvidia"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no pool or class 'nvidia' (have: coral, gpu)"),
        "{stderr}"
    );
    // VM 111 holds the only Coral; its config cannot be read.
    sim.control(
        "POST",
        "/faults",
        &[("spec", "malformed=/nodes/pve-aimax-01/qemu/111/config")],
    )
    .await;
    let out = s.run(&["place", "--devices", "coral"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot tell which devices are free: config of VM 111"),
        "{stderr}"
    );
    let out = s.run(&["create", "vm", "--name", "nvr-2", "--devices", "coral"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("config of VM 111"), "{stderr}");
    assert_eq!(guests().await, before, "nothing was created");
    s.audited(&sim).await;
}

/// An action on the embedded demo (`--demo`) is not journalled: its tasks end with the process,
/// so a later console on real clusters has nothing of it to take up. On a configured cluster
/// the same action is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_action_stays_out_of_the_journal() {
    let sim = common::start("homelab", 20.0).await;
    let s = setup("demo-journal", &sim);
    let journal = s.dir.join("data").join("journal.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_rack"))
        .args(["--demo", "--demo-start", "1773136800"])
        .args(["snapshot", "101", "before-upgrade", "--wait"])
        .env("RACK_DATA_DIR", s.dir.join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!journal.exists(), "the demo wrote {}", journal.display());
    let out = s.run(&["snapshot", "101", "before-upgrade", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(journal.exists(), "a real cluster's action is journalled");
    s.audited(&sim).await;
}

/// A restore that could not look everywhere does not say there is no backup: it says what it
/// could not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_could_not_look_says_so() {
    let sim = common::start("homelab", 0.0).await;
    let s = setup("restore-unread", &sim);
    let spec = "malformed=/nodes/pve-ms01-01/storage/nas-backup/content";
    sim.control("POST", "/faults", &[("spec", spec)]).await;
    let out = s.run(&["restore", "110"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no backup of VMID 110 was found, but not everything could be read"),
        "{stderr}"
    );
    s.audited(&sim).await;
}
