//! The simulator behaves like Proxmox: auth (token, ticket, renewal, CSRF), errors, effects of
//! writes, the dynamics of nodes going down and coming back, and injected faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use serde_json::Value;

#[tokio::test]
async fn auth_token_ticket_renewal_and_csrf() {
    let sim = common::start("homelab", 1.0).await;
    // No credentials, a wrong token.
    let r = sim.send(sim.http.get(sim.url("/version"))).await;
    assert_eq!(r.status, 401);
    let r = sim
        .send(
            sim.http
                .get(sim.url("/version"))
                .header("Authorization", "PVEAPIToken=root@pam!rack=wrong"),
        )
        .await;
    assert_eq!(r.status, 401);
    // Ticket login; a wrong password is refused.
    let login = |pw: String| {
        sim.http
            .post(sim.url("/access/ticket"))
            .form(&[("username", "root@pam".to_string()), ("password", pw)])
    };
    assert_eq!(sim.send(login("nope".into())).await.status, 401);
    let r = sim.send(login(sim.handle.password.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ticket = r.data()["ticket"].as_str().unwrap().to_string();
    let csrf = r.data()["CSRFPreventionToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(r.data()["clustername"], "homelab-pve-cluster");
    let cookie = format!("PVEAuthCookie={ticket}");
    let r = sim
        .send(
            sim.http
                .get(sim.url("/cluster/status"))
                .header("Cookie", &cookie),
        )
        .await;
    assert_eq!(r.status, 200);
    // A write by ticket needs the CSRF token.
    let path = sim.url("/nodes/pve-ms01-01/qemu/105/snapshot");
    let snapshot = || {
        sim.http
            .post(&path)
            .header("Cookie", &cookie)
            .form(&[("snapname", "snap-a")])
    };
    assert_eq!(sim.send(snapshot()).await.status, 401);
    let r = sim
        .send(snapshot().header("CSRFPreventionToken", &csrf))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Renewal: the ticket as password gives a new ticket.
    let r = sim.send(login(ticket.clone())).await;
    assert_eq!(r.status, 200);
    // Expired tickets stop working, tokens do not.
    sim.control("POST", "/tickets/expire", &[]).await;
    let r = sim
        .send(
            sim.http
                .get(sim.url("/cluster/status"))
                .header("Cookie", &cookie),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(sim.get("/cluster/status").await.status, 200);
}

#[tokio::test]
async fn errors_look_like_proxmox_errors() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim.get("/nodes/pve-ms01-01/nothing").await;
    assert_eq!(r.status, 501);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("Method 'GET /api2/json/nodes/pve-ms01-01/nothing' not implemented")
    );
    let r = sim
        .post("/nodes/pve-ms01-01/qemu", &[("vmid", "99"), ("cores", "x")])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["errors"]["vmid"],
        "value must have a minimum value of 100"
    );
    assert_eq!(
        r.body["errors"]["cores"],
        "type check ('integer') failed - got 'x'"
    );
    let r = sim
        .post("/nodes/pve-ms01-01/qemu/101/status/start", &[])
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body["message"], "VM 101 already running\n");
    let r = sim.get("/nodes/nope/status").await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn migration_moves_the_guest_and_logs_progress() {
    let sim = common::start("homelab", 1.0).await;
    let r = sim
        .post(
            "/nodes/pve-ms01-01/qemu/101/migrate",
            &[("target", "pve-ms01-02"), ("online", "1")],
        )
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    assert!(
        upid.starts_with("UPID:pve-ms01-01:") && upid.contains(":qmigrate:101:root@pam!rack:"),
        "{upid}"
    );
    assert_eq!(sim.resource("qemu/101").await["lock"], "migrate");
    let status = sim.wait_task(&upid).await;
    assert_eq!(status["exitstatus"], "OK");
    let log = sim.task_log(&upid).await.join("\n");
    assert!(log.contains("migration active, transferred"), "{log}");
    assert!(log.contains("migration finished successfully"));
    let vm = sim.resource("qemu/101").await;
    assert_eq!(vm["node"], "pve-ms01-02");
    assert_eq!(vm["status"], "running");
    assert!(vm.get("lock").is_none());
    // Local disks stop a live migration unless asked for.
    let r = sim
        .post(
            "/nodes/pve-ms01-02/qemu/106/migrate",
            &[("target", "pve-ms01-01"), ("online", "1")],
        )
        .await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn injected_task_failure_is_reported_with_its_text() {
    let sim = common::start("homelab", 1.0).await;
    sim.control(
        "POST",
        "/tasks/fail-next",
        &[("type", "qmigrate"), ("error", "migration aborted")],
    )
    .await;
    let r = sim
        .post(
            "/nodes/pve-ms01-01/qemu/101/migrate",
            &[("target", "pve-ms01-02"), ("online", "1")],
        )
        .await;
    let status = sim.wait_task(r.data().as_str().unwrap()).await;
    assert_eq!(status["exitstatus"], "migration aborted");
    assert_eq!(sim.resource("qemu/101").await["node"], "pve-ms01-01");
}

#[tokio::test]
async fn a_node_down_degrades_ceph_recovers_ha_and_wakes_on_lan() {
    let sim = common::start("homelab", 1.0).await;
    sim.control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    let node = sim.resource("node/pve-ms01-02").await;
    assert_eq!(node["status"], "offline");
    let ceph = sim.get("/cluster/ceph/status").await;
    assert_eq!(ceph.data()["health"]["status"], "HEALTH_WARN");
    let checks = &ceph.data()["health"]["checks"];
    assert!(
        checks.get("OSD_DOWN").is_some() && checks.get("PG_DEGRADED").is_some(),
        "{checks}"
    );
    assert_eq!(sim.get("/nodes/pve-ms01-02/status").await.status, 595);
    // After the fence delay HA restarts vm:104 elsewhere; the non-HA guests stay down.
    sim.advance(200.0).await;
    sim.advance(30.0).await;
    let vm = sim.resource("qemu/104").await;
    assert_ne!(vm["node"], "pve-ms01-02");
    assert_eq!(vm["status"], "running");
    assert_eq!(sim.resource("qemu/102").await["status"], "unknown");
    // Wake it through another node; it boots after its boot time.
    let r = sim.post("/nodes/pve-ms01-02/wakeonlan", &[]).await;
    assert_eq!(r.data(), "58:47:ca:7a:10:02");
    sim.advance(100.0).await;
    assert_eq!(sim.resource("node/pve-ms01-02").await["status"], "online");
    assert_eq!(sim.resource("qemu/102").await["status"], "running");
}

#[tokio::test]
async fn two_nodes_down_lose_quorum_and_writes_fail() {
    let sim = common::start("homelab", 1.0).await;
    sim.control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    sim.control("POST", "/nodes/pve-aimax-01/power", &[("state", "off")])
        .await;
    let status = sim.get("/cluster/status").await;
    assert_eq!(status.data()[0]["quorate"], 0);
    let r = sim
        .post("/nodes/pve-ms01-01/qemu/105/status/shutdown", &[])
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body["message"], "cluster not ready - no quorum?\n");
}

#[tokio::test]
async fn maintenance_moves_ha_services_away() {
    let sim = common::start("homelab", 1.0).await;
    sim.control("POST", "/nodes/pve-ms01-01/maintenance", &[("enable", "1")])
        .await;
    let ms = sim.get("/cluster/ha/status/manager_status").await;
    assert_eq!(
        ms.data()["manager_status"]["node_status"]["pve-ms01-01"],
        "maintenance"
    );
    sim.advance(60.0).await;
    sim.advance(60.0).await;
    assert_ne!(sim.resource("qemu/105").await["node"], "pve-ms01-01");
    assert_ne!(sim.resource("lxc/203").await["node"], "pve-ms01-01");
}

#[tokio::test]
async fn scheduled_backup_jobs_run_and_write_archives() {
    let sim = common::start("homelab", 1.0).await;
    let before = count_backups(&sim, 104).await;
    sim.advance(86_400.0).await;
    sim.advance(600.0).await;
    let tasks = sim.get("/nodes/pve-ms01-02/tasks?typefilter=vzdump").await;
    assert!(!tasks.data().as_array().unwrap().is_empty());
    assert!(count_backups(&sim, 104).await >= before.min(7));
    // Not covered by any job: the media server.
    let r = sim.get("/cluster/backup-info/not-backed-up").await;
    let ids: Vec<&Value> = r
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["vmid"])
        .collect();
    assert_eq!(ids, vec![&Value::from(106)]);
}

async fn count_backups(sim: &common::Sim, vmid: u32) -> usize {
    let r = sim
        .get(&format!(
            "/nodes/pve-ms01-02/storage/nas-backup/content?content=backup&vmid={vmid}"
        ))
        .await;
    r.data().as_array().unwrap().len()
}

#[tokio::test]
async fn faults_latency_errors_unreachable_malformed() {
    let sim = common::start("homelab", 1.0).await;
    sim.control(
        "POST",
        "/faults",
        &[(
            "spec",
            "unreachable=pve-aimax-01;malformed=/cluster/resources",
        )],
    )
    .await;
    assert_eq!(sim.get("/nodes/pve-aimax-01/status").await.status, 595);
    let r = sim.get("/cluster/resources").await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "should be cut off"
    );
    sim.control("DELETE", "/faults", &[]).await;
    sim.control("POST", "/faults", &[("spec", "errors=1:503")])
        .await;
    assert_eq!(sim.get("/version").await.status, 503);
    sim.control("DELETE", "/faults", &[]).await;
    sim.control("POST", "/faults", &[("spec", "latency=300ms")])
        .await;
    let t = std::time::Instant::now();
    assert_eq!(sim.get("/version").await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn the_standalone_laptop_has_no_cluster_and_no_ceph() {
    let sim = common::start("laptop", 1.0).await;
    let status = sim.get("/cluster/status").await;
    let items = status.data().as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "node");
    let r = sim.get("/cluster/ceph/status").await;
    assert_eq!(r.status, 500);
}

/// Start a write, follow its task to the end, and insist it succeeded.
async fn run_ok(sim: &common::Sim, method: &str, path: &str, form: &[(&str, &str)]) {
    let r = sim.write(method, path, form).await;
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
    if let Some(upid) = r.data().as_str().filter(|s| s.starts_with("UPID:")) {
        let status = sim.wait_task(upid).await;
        assert_eq!(status["exitstatus"], "OK", "{method} {path}: {status}");
    }
}

#[tokio::test]
async fn each_write_changes_the_world_as_proxmox_would() {
    let sim = common::start("homelab", 1.0).await;
    let n = "/nodes/pve-ms01-01";
    // Create allocates its disk on the storage named.
    run_ok(
        &sim,
        "POST",
        &format!("{n}/qemu"),
        &[
            ("vmid", "150"),
            ("name", "web-01"),
            ("scsi0", "vm-disks:16"),
        ],
    )
    .await;
    let vm = sim.resource("qemu/150").await;
    assert_eq!(
        (vm["name"].as_str(), vm["status"].as_str()),
        (Some("web-01"), Some("stopped"))
    );
    assert_eq!(vm["maxdisk"], 16u64 << 30);
    let content = sim.get(&format!("{n}/storage/vm-disks/content")).await;
    assert!(
        content.text.contains("vm-disks:vm-150-disk-0"),
        "{}",
        content.text
    );
    // Clone copies the template into a new guest.
    run_ok(
        &sim,
        "POST",
        &format!("{n}/qemu/9000/clone"),
        &[("newid", "151"), ("name", "c1")],
    )
    .await;
    assert_eq!(sim.resource("qemu/151").await["name"], "c1");
    // Start, suspend, resume, stop.
    run_ok(&sim, "POST", &format!("{n}/qemu/150/status/start"), &[]).await;
    assert_eq!(sim.resource("qemu/150").await["status"], "running");
    run_ok(&sim, "POST", &format!("{n}/qemu/150/status/suspend"), &[]).await;
    let current = sim.get(&format!("{n}/qemu/150/status/current")).await;
    assert_eq!(current.data()["qmpstatus"], "paused");
    run_ok(&sim, "POST", &format!("{n}/qemu/150/status/resume"), &[]).await;
    // Snapshots form a tree; rollback and delete act on it.
    run_ok(
        &sim,
        "POST",
        &format!("{n}/qemu/150/snapshot"),
        &[("snapname", "s1")],
    )
    .await;
    run_ok(
        &sim,
        "PUT",
        &format!("{n}/qemu/150/config"),
        &[("cores", "6")],
    )
    .await;
    run_ok(
        &sim,
        "POST",
        &format!("{n}/qemu/150/snapshot/s1/rollback"),
        &[],
    )
    .await;
    let config = sim.get(&format!("{n}/qemu/150/config")).await;
    assert_ne!(config.data()["cores"], 6, "rollback restores the config");
    // A snapshot without RAM state rolls back to a stopped guest, as on Proxmox.
    assert_eq!(sim.resource("qemu/150").await["status"], "stopped");
    let snaps = sim.get(&format!("{n}/qemu/150/snapshot")).await;
    assert!(snaps.text.contains("\"s1\""), "{}", snaps.text);
    run_ok(&sim, "DELETE", &format!("{n}/qemu/150/snapshot/s1"), &[]).await;
    let snaps = sim.get(&format!("{n}/qemu/150/snapshot")).await;
    assert!(!snaps.text.contains("\"s1\""), "{}", snaps.text);
    run_ok(&sim, "POST", &format!("{n}/qemu/150/status/start"), &[]).await;
    run_ok(&sim, "POST", &format!("{n}/qemu/150/status/stop"), &[]).await;
    assert_eq!(sim.resource("qemu/150").await["status"], "stopped");
    // Destroy removes the guest and its disks.
    run_ok(&sim, "DELETE", &format!("{n}/qemu/150"), &[]).await;
    assert!(sim.resource("qemu/150").await.is_null());
    let content = sim.get(&format!("{n}/storage/vm-disks/content")).await;
    assert!(!content.text.contains("vm-150-disk-0"));
    // A manual backup writes an archive.
    run_ok(
        &sim,
        "POST",
        &format!("{n}/vzdump"),
        &[("vmid", "151"), ("storage", "nas-backup")],
    )
    .await;
    let backups = sim
        .get(&format!(
            "{n}/storage/nas-backup/content?content=backup&vmid=151"
        ))
        .await;
    assert!(
        backups.text.contains("vzdump-qemu-151-"),
        "{}",
        backups.text
    );
    // On a node-local storage it is the node's, listed there and only there.
    run_ok(
        &sim,
        "POST",
        &format!("{n}/vzdump"),
        &[("vmid", "151"), ("storage", "local")],
    )
    .await;
    let local = |node: &str| format!("/nodes/{node}/storage/local/content?content=backup&vmid=151");
    let here = sim.get(&local(n.trim_start_matches("/nodes/"))).await;
    assert!(
        here.text.contains("local:backup/vzdump-qemu-151-"),
        "{}",
        here.text
    );
    let there = sim.get(&local("pve-aimax-01")).await;
    assert_eq!(
        there.data().as_array().map(Vec::len),
        Some(0),
        "{}",
        there.text
    );
    // Restore: the archive's guest as a new one, its disks on the storage asked for.
    let archive = backups.data()[0]["volid"].as_str().unwrap().to_string();
    run_ok(
        &sim,
        "POST",
        &format!("{n}/qemu"),
        &[
            ("vmid", "152"),
            ("archive", archive.as_str()),
            ("storage", "vm-disks"),
            ("unique", "1"),
        ],
    )
    .await;
    let restored = sim.get(&format!("{n}/qemu/152/config")).await;
    let source = sim.get(&format!("{n}/qemu/151/config")).await;
    let (new, old) = (restored.data(), source.data());
    assert_eq!(new["name"], old["name"], "{new}");
    let size = |d: &Value| {
        d.as_str()
            .unwrap()
            .rsplit("size=")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(
        new["scsi0"]
            .as_str()
            .unwrap()
            .starts_with("vm-disks:vm-152-disk-0"),
        "{new}"
    );
    assert_eq!(size(&new["scsi0"]), size(&old["scsi0"]), "{new}");
    assert_eq!(
        new["ide2"], "vm-disks:vm-152-cloudinit,media=cdrom",
        "{new}"
    );
    assert_ne!(new["net0"], old["net0"], "unique: a new MAC");
    let tasks = sim.get(&format!("{n}/tasks?typefilter=qmrestore")).await;
    assert_eq!(tasks.data().as_array().unwrap().len(), 1, "{}", tasks.text);
    // A VM's archive is not a container's, and an archive must exist.
    for (path, form) in [
        (
            "lxc",
            vec![
                ("vmid", "153"),
                ("ostemplate", archive.as_str()),
                ("restore", "1"),
            ],
        ),
        (
            "qemu",
            vec![
                ("vmid", "153"),
                ("archive", "nas-backup:backup/vzdump-qemu-1-x.vma.zst"),
            ],
        ),
    ] {
        let r = sim.write("POST", &format!("{n}/{path}"), &form).await;
        assert_eq!(r.status, 500, "{}", r.text);
        assert!(
            r.text.contains("is a VM backup") || r.text.contains("does not exist"),
            "{}",
            r.text
        );
    }
    // Ceph flags.
    run_ok(&sim, "PUT", "/cluster/ceph/flags/noout", &[("value", "1")]).await;
    let flags = sim.get("/cluster/ceph/flags").await;
    let noout = flags
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "noout")
        .cloned();
    assert_eq!(noout.unwrap()["value"], 1);
    // HA migrate moves the service (traefik: no node affinity to fail it back; not to
    // pve-ms01-02, where a rule keeps it apart from vm:104).
    run_ok(
        &sim,
        "POST",
        "/cluster/ha/resources/ct:203/migrate",
        &[("node", "pve-aimax-01")],
    )
    .await;
    sim.advance(120.0).await;
    assert_eq!(sim.resource("lxc/203").await["node"], "pve-aimax-01");
    // Stopping a running task ends it with Proxmox's text.
    let r = sim
        .post(
            &format!("{n}/vzdump"),
            &[("vmid", "151"), ("storage", "nas-backup")],
        )
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    let stop = sim.write("DELETE", &format!("{n}/tasks/{upid}"), &[]).await;
    assert_eq!(stop.status, 200, "{}", stop.text);
    let status = sim.wait_task(&upid).await;
    assert_eq!(status["exitstatus"], "interrupted by signal");
    // A node reboot takes it offline, then it returns.
    run_ok(
        &sim,
        "POST",
        "/nodes/pve-ms01-02/status",
        &[("command", "reboot")],
    )
    .await;
    sim.advance(60.0).await;
    assert_eq!(sim.resource("node/pve-ms01-02").await["status"], "offline");
    sim.advance(600.0).await;
    assert_eq!(sim.resource("node/pve-ms01-02").await["status"], "online");
}

#[tokio::test]
async fn a_purged_guest_leaves_backup_jobs_and_ha_but_its_backups_stay() {
    let sim = common::start("homelab", 0.0).await;
    let n = "/nodes/pve-ms01-02";
    let backups = count_backups(&sim, 201).await;
    assert!(backups > 0);
    // An HA guest is destroyed only with purge.
    run_ok(&sim, "POST", &format!("{n}/lxc/201/status/stop"), &[]).await;
    let refused = sim.write("DELETE", &format!("{n}/lxc/201"), &[]).await;
    assert_eq!(refused.status, 500, "{}", refused.text);
    assert!(
        refused.text.contains("purge parameter not set"),
        "{}",
        refused.text
    );
    run_ok(&sim, "DELETE", &format!("{n}/lxc/201"), &[("purge", "1")]).await;
    let jobs = sim.get("/cluster/backup").await;
    let offsite = jobs
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == "backup-monthly-offsite")
        .unwrap()
        .clone();
    assert_eq!(offsite["vmid"], "104", "{offsite}");
    let ha = sim.get("/cluster/ha/resources").await;
    assert!(!ha.text.contains("ct:201"), "{}", ha.text);
    assert_eq!(count_backups(&sim, 201).await, backups);
}

/// What depends on the date (when jobs run, which backup is newest) holds at the instants
/// where date arithmetic breaks.
#[test]
fn date_sensitive_tests_pass_at_chosen_instants() {
    common::at_instants(
        module_path!(),
        &[
            "scheduled_backup_jobs_run_and_write_archives",
            "a_purged_guest_leaves_backup_jobs_and_ha_but_its_backups_stay",
        ],
    );
}

/// Proxmox VE 9's precondition check names the HA services that block a node (negative
/// resource affinity) and the HA manager refuses the move, as ha-manager words it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_resource_affinity_blocks_the_node_and_the_ha_manager_refuses() {
    let sim = common::start("homelab", 1.0).await;
    // postgres-01 (vm:104) on pve-ms01-02; traefik (ct:203) on pve-ms01-01, kept apart.
    let r = sim.get("/nodes/pve-ms01-02/qemu/104/migrate").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.data();
    assert_eq!(
        d["not_allowed_nodes"]["pve-ms01-01"]["blocking-ha-resources"],
        serde_json::json!([{ "sid": "ct:203", "cause": "resource-affinity" }]),
        "{d}"
    );
    assert!(
        !d["allowed_nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "pve-ms01-01"),
        "{d}"
    );
    assert_eq!(d["dependent-ha-resources"], serde_json::json!([]), "{d}");
    // A guest HA does not manage gets no HA fields.
    let r = sim.get("/nodes/pve-ms01-02/qemu/106/migrate").await;
    assert!(
        r.data().get("dependent-ha-resources").is_none(),
        "{}",
        r.text
    );
    // The HA API queues it but says what blocks it; nothing moves.
    let r = sim
        .post(
            "/cluster/ha/resources/vm:104/migrate",
            &[("node", "pve-ms01-01")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.data()["blocking-resources"],
        serde_json::json!([{ "sid": "ct:203", "cause": "resource-affinity" }])
    );
    // The guest's own migrate starts ha-manager, whose task fails with its words.
    let r = sim
        .post(
            "/nodes/pve-ms01-02/qemu/104/migrate",
            &[("target", "pve-ms01-01")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let status = sim.wait_task(r.data().as_str().unwrap()).await;
    assert_eq!(
        status["exitstatus"],
        "cannot migrate resource 'vm:104' to node 'pve-ms01-01': resource 'ct:203' on target node 'pve-ms01-01' in negative affinity with resource 'vm:104'"
    );
    assert_eq!(sim.resource("qemu/104").await["node"], "pve-ms01-02");
}
