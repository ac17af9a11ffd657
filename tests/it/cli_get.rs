//! `rack get` as a script runs it: the embedded cluster without a config, a configured cluster,
//! and a clear failure for one that cannot be read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common::{self, rack};

use serde_json::Value;

/// A home with no config in it, so rack falls back to the embedded simulator.
fn empty_home(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("home-{tag}"))
}

/// A config in `home` for the simulator `sim` at `endpoints` (a TOML list's inside), with
/// `extra` lines (a fingerprint, or none).
fn config_for(
    home: &std::path::Path,
    sim: &common::Sim,
    endpoints: &str,
    extra: &str,
) -> std::path::PathBuf {
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [{endpoints}]\ntoken_id = \"{}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\n{extra}",
            sim.handle.token_id
        ),
    )
    .unwrap();
    config
}

/// `rack ARGS` with that config and the simulator's secret, no log asked for.
fn run_with(
    home: &std::path::Path,
    config: &std::path::Path,
    sim: &common::Sim,
    args: &[&str],
) -> std::process::Output {
    rack(home)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RACK_TEST_SECRET", &sim.handle.token_secret)
        .env_remove("RACK_LOG")
        .output()
        .unwrap()
}

fn pinned(sim: &common::Sim) -> String {
    format!(
        "fingerprint = \"{}\"\n",
        sim.handle.fingerprint.clone().unwrap()
    )
}

#[test]
fn without_a_config_scripts_get_no_made_up_data_unless_they_ask() {
    let home = empty_home("embedded");
    for args in [
        &["get", "hosts"][..],
        &["place", "--cores", "2", "--memory", "2G"],
        &["start", "101"],
        &["restore", "104"],
    ] {
        let out = rack(&home).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: no config file (looked at ")
                && stderr.contains("`rack sim` gives a cluster to try")
                && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    let out = rack(&home)
        .args(["get", "instances", "-o", "json", "--demo"])
        .env("RACK_DEMO_START", common::epoch().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let vm = rows.iter().find(|r| r["vmid"] == 101).unwrap();
    assert_eq!(vm["type"], "qemu");
    assert_eq!(vm["name"], "talos-k8s-01");
    assert_eq!(vm["template"], false);
    assert!(rows.iter().any(|r| r["type"] == "lxc"));
    assert!(rows.iter().any(|r| r["template"] == true));
    let out = rack(&home)
        .args(["--demo", "get", "hosts"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("CLUSTER"), "{text}");
    assert!(text.contains("pve-aimax-01"), "{text}");
}

/// `rack get`'s tables have the panes' columns under the panes' titles, figures as the screen
/// shows them and `-` for what a row does not have.
#[test]
fn get_tables_have_the_panes_columns() {
    let home = common::Scratch::new("get-columns");
    let table = |kind: &str| {
        let out = rack(&home)
            .args(["--demo", "get", kind])
            .env("RACK_DEMO_START", common::epoch().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let header = |text: &str| -> Vec<String> {
        let first = text.lines().next().unwrap_or_default();
        first
            .split("  ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    let hosts = table("hosts");
    assert_eq!(
        header(&hosts),
        [
            "CLUSTER",
            "NODE",
            "STATUS",
            "CPU",
            "MEM",
            "ROOT DISK",
            "LOAD",
            "UPTIME",
            "GUESTS",
            "HA",
            "VERSION"
        ],
        "{hosts}"
    );
    let instances = table("instances");
    assert!(
        header(&instances).starts_with(&["CLUSTER".into(), "VMID".into(), "NAME".into()]),
        "{instances}"
    );
    let template = instances
        .lines()
        .find(|l| l.contains(" 9000 "))
        .unwrap_or_else(|| panic!("{instances}"));
    assert!(template.contains(" yes "), "the TPL column: {template}");
    let backups = table("backups");
    for title in [
        "LAST", "SIZE", "STORAGE", "COUNT", "COVERED", "VERIFY", "WARNING",
    ] {
        assert!(
            header(&backups).iter().any(|h| h == title),
            "{title}: {backups}"
        );
    }
}

// Multi-threaded: the simulator keeps serving on one worker while this one waits for rack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_cluster_is_read_and_an_unreadable_one_fails_clearly() {
    let sim = common::start("homelab", 1.0).await;
    let home = empty_home("configured");
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[clusters]]
name = "lab"
endpoints = ["{url}"]
token_id = "{id}"
token_secret_env = "RACK_TEST_SECRET"
fingerprint = "{fp}"

[[clusters]]
name = "gone"
endpoints = ["https://127.0.0.1:{dead}"]
token_id = "root@pam!x"
token_secret_env = "RACK_TEST_SECRET"
timeout = 2
"#,
            url = sim.handle.url,
            id = sim.handle.token_id,
            fp = sim.handle.fingerprint.clone().unwrap(),
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        rack(&home)
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("RACK_TEST_SECRET", &sim.handle.token_secret)
            .output()
            .unwrap()
    };
    let out = run(&["get", "hosts", "-o", "json"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cluster \"gone\" cannot be read"),
        "{stderr}"
    );
    let hosts: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hosts.len(), 3);
    for key in [
        "cluster", "node", "status", "cpu", "maxcpu", "mem", "maxmem", "uptime",
    ] {
        assert!(hosts[0].get(key).is_some(), "hosts have {key}");
    }
    assert_eq!(hosts[0]["cluster"], "lab");
    let out = run(&["get", "hosts", "--cluster", "lab"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every row names its cluster.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("CLUSTER"), "{stdout}");
    assert!(lines[1..].iter().all(|l| l.starts_with("lab ")), "{stdout}");
    // Several by name; one not configured is a usage error that names it.
    let out = run(&["get", "hosts", "--cluster", "lab,gone", "-o", "json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cluster \"gone\" cannot be read"));
    let out = run(&["get", "hosts", "--cluster", "lab,nope"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no cluster named \"nope\""), "{stderr}");
}

#[test]
fn a_config_error_names_the_file_line_and_key() {
    let home = empty_home("bad");
    let config = home.join("bad.toml");
    std::fs::write(&config, "[[clusters]]\nname = \"x\"\nendpionts = []\n").unwrap();
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "hosts"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:3: endpionts: unknown field"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_ceph_gives_health_and_checks_or_says_it_is_not_configured() {
    let lab = common::start("homelab", 0.0).await;
    let laptop = common::start("laptop", 0.0).await;
    let home = empty_home("ceph");
    let config = home.join("rack.toml");
    let cluster = |name: &str, sim: &common::Sim| {
        format!(
            "[[clusters]]\nname = \"{name}\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret = \"{}\"\nfingerprint = \"{}\"\n",
            sim.handle.url,
            sim.handle.token_id,
            sim.handle.token_secret,
            sim.handle.fingerprint.clone().unwrap()
        )
    };
    std::fs::write(
        &config,
        format!("{}\n{}", cluster("lab", &lab), cluster("laptop", &laptop)),
    )
    .unwrap();
    // The secrets are written in it: only its owner may read it.
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // A host down: Ceph degrades and says why.
    lab.control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "ceph", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let lab_row = rows.iter().find(|r| r["cluster"] == "lab").unwrap();
    assert_eq!(lab_row["configured"], true);
    assert_eq!(lab_row["health"], "HEALTH_WARN", "{lab_row}");
    let checks: Vec<&str> = lab_row["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"OSD_HOST_DOWN"), "{checks:?}");
    let laptop_row = rows.iter().find(|r| r["cluster"] == "laptop").unwrap();
    assert_eq!(laptop_row["configured"], false);
    assert!(laptop_row["health"].is_null());
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "ceph"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("laptop: Ceph not configured"), "{text}");
    assert!(text.contains("lab: HEALTH_WARN"), "{text}");
    // The monitor of the host that is off is one of three, not one fewer of two.
    assert!(text.contains("mons 2/3 in quorum"), "{text}");

    // Backups per guest: the newest one, and whether a job covers the guest.
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "backups", "--cluster", "lab", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by = |vmid: u32| rows.iter().find(|r| r["vmid"] == vmid).unwrap();
    assert!(by(104)["last_backup"].is_u64(), "{}", by(104));
    assert_eq!(by(104)["covered"], true);
    // media-server is in no job and has never been backed up.
    assert!(by(106)["last_backup"].is_null(), "{}", by(106));
    assert_eq!(by(106)["covered"], false);
    assert_eq!(by(106)["state"], "bad");
    assert_eq!(by(106)["warning"], "no backup job covers it");
    assert_eq!(by(104)["jobs"][0], "backup-daily-production");

    // Networks: every bridge on the nodes that answer, guests per network, SDN vnets with
    // their subnets; the host that is off is not counted as lacking anything.
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "networks", "--cluster", "lab", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap();
    let vmbr0 = by("vmbr0");
    assert_eq!(vmbr0["kind"], "bridge");
    assert_eq!(vmbr0["nodes"].as_array().unwrap().len(), 2, "{vmbr0}");
    assert_eq!(vmbr0["missing"].as_array().unwrap().len(), 0, "{vmbr0}");
    assert_eq!(vmbr0["mtu"]["pve-ms01-01"], 9000);
    assert!(vmbr0["guests"].as_u64().unwrap() > 0, "{vmbr0}");
    assert!(vmbr0["problems"].as_array().unwrap().is_empty(), "{vmbr0}");
    let vnet = rows.iter().find(|r| r["kind"] == "vnet").unwrap();
    assert!(vnet["info"].as_str().unwrap().contains("zone"), "{vnet}");
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "networks", "--cluster", "lab"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("vmbr0.48"), "{text}");

    // HA: the lost host's LRM, each service with its state and rules, each rule.
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "ha", "--cluster", "lab", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap();
    let lost = by("pve-ms01-02");
    assert_eq!(lost["kind"], "node");
    assert_eq!(lost["state"], "dead?", "{lost}");
    assert_eq!(lost["standing"], "trouble", "{lost}");
    let db = by("vm:104");
    assert_eq!(db["cluster"], "lab");
    assert_eq!(db["guest"], "postgres-01");
    assert!(
        db["related"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ingress-apart-from-db")),
        "{db}"
    );
    assert_eq!(db["facts"]["max restart"], "2", "{db}");
    assert_eq!(by("production-prefers-ms01")["kind"], "rule");
}

#[test]
fn a_secret_command_that_hangs_is_stopped_and_named() {
    let home = empty_home("hung-secret");
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"https://127.0.0.1:9\"]\ntoken_id = \"root@pam!x\"\ntoken_secret_command = \"sleep 30\"\nsecret_command_timeout = \"0.3s\"\n",
    )
    .unwrap();
    let out = rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["get", "hosts"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cluster \"lab\": secret command \"sleep 30\" did not finish within 0.3 s"),
        "{stderr}"
    );
}

/// A TLS failure is one line: an unpinned self-signed certificate shows its fingerprint and
/// the two ways to trust it (`rack trust URL`, the config line that pins it); a pin that does not match shows both fingerprints. No log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_failure_is_one_line_that_says_how_to_trust_the_certificate() {
    let sim = common::start("homelab", 0.0).await;
    let fp = sim.handle.fingerprint.clone().unwrap();
    let home = empty_home("tls");
    let wrong = "AA:".repeat(31) + "AA";
    for (pin, expect) in [
        (
            String::new(),
            format!(
                "its SHA-256 fingerprint is {fp}: if that is the node's (see its Certificates page), run `rack trust {url}` or pin it with fingerprint = \"{fp}\"",
                url = sim.handle.url
            ),
        ),
        (
            format!("fingerprint = \"{wrong}\"\n"),
            format!("certificate fingerprint {fp} does not match the pinned {wrong}"),
        ),
    ] {
        let config = config_for(&home, &sim, &format!("\"{}\"", sim.handle.url), &pin);
        let out = run_with(&home, &config, &sim, &["get", "hosts"]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: cluster \"lab\" cannot be read: https://"),
            "{stderr}"
        );
        assert!(stderr.contains(&expect), "{stderr}");
    }
}

/// Under partial failure `rack get backups` prints what it read, says on stderr what it could
/// not, concludes nothing from an absence that was a failure, and exits 0: only a cluster that
/// cannot be read at all is exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_with_parts_unreadable_print_the_rest_and_say_what_is_missing() {
    let sim = common::start("homelab", 0.0).await;
    let mut spec = String::from("malformed=/cluster/backup-info/not-backed-up");
    for node in ["pve-ms01-01", "pve-ms01-02", "pve-aimax-01"] {
        spec.push_str(&format!(
            ";malformed=/nodes/{node}/storage/nas-backup/content"
        ));
    }
    let r = sim.control("POST", "/faults", &[("spec", &spec)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let home = empty_home("partial");
    let endpoints = format!("\"{}\"", sim.handle.url);
    let config = config_for(&home, &sim, &endpoints, &pinned(&sim));
    let out = run_with(&home, &config, &sim, &["get", "backups", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("backups: coverage unknown"), "{stderr}");
    assert!(stderr.contains("backups: storage nas-backup"), "{stderr}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows.len() > 5);
    for r in &rows {
        assert_ne!(r["warning"], "never backed up", "{r}");
        // Coverage unknown, the jobs tell: "all but 106" leaves out 106 alone.
        let uncovered = r["warning"] == "no backup job covers it";
        assert_eq!(uncovered, r["vmid"] == 106, "{r}");
        // A template (9000) is covered by no job either.
        let covered = r["vmid"] != 106 && r["vmid"] != 9000;
        assert_eq!(r["covered"], serde_json::json!(covered), "{r}");
    }
    assert!(
        rows.iter().any(|r| r["warning"]
            .as_str()
            .is_some_and(|w| w.contains("nas-backup could not be read"))),
        "{rows:?}"
    );
    // Each row says which failed reads its figures depend on.
    for r in &rows {
        let stale = r["stale"].as_array().unwrap();
        assert!(
            stale
                .iter()
                .any(|s| s.as_str().unwrap().starts_with("storage nas-backup")),
            "{r}"
        );
    }
}

/// Under partial failure `rack get networks` and `rack get hosts` conclude nothing from what
/// they could not read: a node whose interfaces failed is unknown, not lacking a bridge; an SDN
/// zone list that failed does not make every vnet's zone missing. Stderr says what failed and
/// the rows carry it as `stale`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn networks_and_hosts_with_parts_unreadable_mark_what_is_unknown() {
    let sim = common::start("homelab", 0.0).await;
    let spec = "malformed=/nodes/pve-aimax-01/network;malformed=/cluster/sdn/zones;\
                malformed=/nodes/pve-ms01-02/status";
    let r = sim.control("POST", "/faults", &[("spec", spec)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let home = empty_home("partial-net");
    let endpoints = format!("\"{}\"", sim.handle.url);
    let config = config_for(&home, &sim, &endpoints, &pinned(&sim));
    let out = run_with(&home, &config, &sim, &["get", "networks", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("networks: interfaces of pve-aimax-01"),
        "{stderr}"
    );
    assert!(stderr.contains("networks: SDN zones"), "{stderr}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap();
    let vmbr0 = row("vmbr0");
    assert_eq!(vmbr0["missing"], serde_json::json!([]), "{vmbr0}");
    assert_eq!(vmbr0["unknown"], serde_json::json!(["pve-aimax-01"]));
    assert!(
        vmbr0["stale"]
            .to_string()
            .contains("interfaces of pve-aimax-01")
    );
    for vnet in rows.iter().filter(|r| r["kind"] == "vnet") {
        let problems = vnet["problems"].to_string();
        assert!(!problems.contains("does not exist"), "{vnet}");
        assert!(vnet["stale"].to_string().contains("SDN zones"), "{vnet}");
    }

    let out = run_with(&home, &config, &sim, &["get", "hosts", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("status of pve-ms01-02"), "{stderr}");
    let hosts: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for h in &hosts {
        let stale = h["stale"].as_array().unwrap();
        assert_eq!(stale.is_empty(), h["node"] != "pve-ms01-02", "{h}");
    }
}

/// When the first endpoint does not answer and the next does, rack get says so once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_is_said_once() {
    let sim = common::start("homelab", 0.0).await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let home = empty_home("failover");
    let endpoints = format!("\"https://127.0.0.1:{dead}\", \"{}\"", sim.handle.url);
    let config = config_for(&home, &sim, &endpoints, &pinned(&sim));
    let out = run_with(&home, &config, &sim, &["get", "hosts"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "note: cluster \"lab\": https://127.0.0.1:{dead} did not answer; read through {}",
            sim.handle.url
        )
    );
}

/// A cluster whose resource list fails once (or twice) is asked again: `rack get` rides out
/// a passing failure instead of failing the cron job; one that keeps failing exits 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_failure_is_retried() {
    let sim = common::start("homelab", 0.0).await;
    let home = empty_home("retry");
    let endpoints = format!("\"{}\"", sim.handle.url);
    let config = config_for(&home, &sim, &endpoints, &pinned(&sim));
    let spec = "fail-requests=/cluster/resources:2";
    let r = sim.control("POST", "/faults", &[("spec", spec)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = run_with(&home, &config, &sim, &["get", "hosts", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let hosts: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hosts.len(), 3);
    let spec = "fail-requests=/cluster/resources:10";
    sim.control("POST", "/faults", &[("spec", spec)]).await;
    let out = run_with(&home, &config, &sim, &["get", "hosts"]);
    assert_eq!(out.status.code(), Some(1));
}
