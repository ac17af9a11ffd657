//! The simulator's packages as Proxmox's APT API shows them: upgrades from the last refresh,
//! installed versions with the running kernel, the refresh as an `aptupdate` task, and a reboot
//! that installs the upgrades and boots the newest kernel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use serde_json::Value;

use crate::common;

fn package<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["Package"] == name)
        .unwrap_or(&Value::Null)
}

async fn running_kernel(sim: &common::Sim, node: &str) -> String {
    let versions = sim.get(&format!("/nodes/{node}/apt/versions")).await;
    let kernel = package(versions.data(), "proxmox-ve")["RunningKernel"].clone();
    let status = sim.get(&format!("/nodes/{node}/status")).await;
    assert_eq!(status.data()["current-kernel"]["release"], kernel);
    kernel.as_str().unwrap().to_string()
}

#[tokio::test]
async fn upgrades_versions_and_the_daily_refresh() {
    let sim = common::start("homelab", 0.0).await;
    let updates = sim.get("/nodes/pve-ms01-01/apt/update").await;
    assert_eq!(updates.status, 200, "{}", updates.text);
    let manager = package(updates.data(), "pve-manager");
    assert_eq!(manager["OldVersion"], "9.1.2");
    assert_eq!(manager["Version"], "9.1.4");
    assert_eq!(manager["Origin"], "Proxmox");
    // A kernel the upgrade brings in is new: no installed version.
    let kernel = package(updates.data(), "proxmox-kernel-6.17.4-1-pve-signed");
    assert_eq!(kernel["Version"], "6.17.4-1");
    assert!(kernel.get("OldVersion").is_none(), "{kernel}");
    assert_eq!(updates.data().as_array().unwrap().len(), 5);

    // pve-aimax-01 installed the new kernel last week and still runs the old one.
    let versions = sim.get("/nodes/pve-aimax-01/apt/versions").await;
    let list = versions.data().as_array().unwrap();
    assert_eq!(list[0]["Package"], "proxmox-ve");
    assert_eq!(list[0]["RunningKernel"], "6.17.2-1-pve");
    assert_eq!(list[1]["Package"], "pve-manager");
    assert_eq!(list[1]["ManagerVersion"], "9.1.2/3bdeea5e4d5d8c7c");
    let kernels: Vec<&str> = list
        .iter()
        .filter_map(|p| p["Package"].as_str())
        .filter(|p| p.ends_with("-signed"))
        .collect();
    assert_eq!(
        kernels,
        [
            "proxmox-kernel-6.17.4-1-pve-signed",
            "proxmox-kernel-6.17.2-1-pve-signed"
        ]
    );
    assert!(list.iter().all(|p| p["CurrentState"] == "Installed"));
    // Its upgrade list lacks the kernel it has.
    let aimax = sim.get("/nodes/pve-aimax-01/apt/update").await;
    assert!(package(aimax.data(), "proxmox-kernel-6.17.4-1-pve-signed").is_null());

    // The daily refresh ran 7 hours before the start, as root@pam.
    let tasks = sim
        .get("/nodes/pve-ms01-01/tasks?typefilter=aptupdate&limit=1")
        .await;
    let last = &tasks.data()[0];
    assert_eq!(last["user"], "root@pam");
    assert_eq!(last["status"], "OK");
    let age = common::epoch() as i64 - last["endtime"].as_i64().unwrap();
    assert!((7 * 3600 - 60..=7 * 3600).contains(&age), "{age}");

    // A refresh is a task; its log is apt-get update's.
    let upid = sim.post("/nodes/pve-ms01-01/apt/update", &[]).await;
    let upid = upid.data().as_str().unwrap().to_string();
    assert!(upid.contains(":aptupdate::root@pam!"), "{upid}");
    assert_eq!(sim.wait_task(&upid).await["exitstatus"], "OK");
    let log = sim.task_log(&upid).await;
    assert_eq!(log[0], "starting apt-get update");
    assert!(log.iter().any(|l| l == "Reading package lists..."));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_in_the_node_s_shell_installs_and_the_reboot_boots_the_newest_kernel() {
    let sim = common::start("homelab", 0.0).await;
    assert_eq!(running_kernel(&sim, "pve-ms01-01").await, "6.17.2-1-pve");
    let reboot = async || {
        let r = sim
            .post("/nodes/pve-ms01-01/status", &[("command", "reboot")])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        for _ in 0..20 {
            sim.advance(30.0).await;
        }
        assert_eq!(sim.resource("node/pve-ms01-01").await["status"], "online");
    };
    // A reboot alone installs nothing.
    reboot().await;
    assert_eq!(running_kernel(&sim, "pve-ms01-01").await, "6.17.2-1-pve");
    let pending = sim.get("/nodes/pve-ms01-01/apt/update").await;
    assert_eq!(pending.data().as_array().unwrap().len(), 5);
    // pveupgrade through termproxy's cmd=upgrade, as the walkthrough runs it.
    let root = common::root_client_of(&sim.handle);
    let said = rack::actions::node_shell::upgrade(&root, "pve-ms01-01").await;
    assert_eq!(
        said,
        Ok("the system is up to date; a kernel update was installed: the reboot boots it".into())
    );
    // A token gets a login prompt, not pveupgrade.
    let token = common::client_of(&sim.handle);
    let refused = rack::actions::node_shell::upgrade(&token, "pve-ms01-02").await;
    assert!(refused.unwrap_err().contains("not root@pam"));
    reboot().await;
    assert_eq!(running_kernel(&sim, "pve-ms01-01").await, "6.17.4-1-pve");
    let updates = sim.get("/nodes/pve-ms01-01/apt/update").await;
    assert_eq!(updates.data(), &serde_json::json!([]));
    // Nothing changed on the others.
    assert_eq!(running_kernel(&sim, "pve-ms01-02").await, "6.17.2-1-pve");
}

#[tokio::test]
async fn listing_upgrades_needs_sys_modify_on_the_node() {
    let sim = common::start("homelab", 0.0).await;
    let made = sim
        .control(
            "POST",
            "/tokens",
            &[
                ("id", "audit@pve!ro"),
                ("secret", "s3cret"),
                ("privs", "/=VM.Audit,Sys.Audit"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.text);
    let as_auditor = |path: &str| {
        sim.http
            .get(sim.url(path))
            .header("Authorization", "PVEAPIToken=audit@pve!ro=s3cret")
    };
    let updates = sim.send(as_auditor("/nodes/pve-ms01-01/apt/update")).await;
    assert_eq!(updates.status, 403, "{}", updates.text);
    assert_eq!(
        updates.body["message"],
        "Permission check failed (/nodes/pve-ms01-01, Sys.Modify)\n"
    );
    let versions = sim
        .send(as_auditor("/nodes/pve-ms01-01/apt/versions"))
        .await;
    assert_eq!(versions.status, 200, "{}", versions.text);
}
