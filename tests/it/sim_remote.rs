//! Remote migration between two simulators, as Proxmox does it: the source's task, the
//! target's tunnel and the guest arriving under its new VMID with its storages and bridges
//! mapped; the source kept stopped and locked, or deleted; and the refusals, in Proxmox's words.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::Duration;

use rack::sim::SimOptions;
use serde_json::Value;

use crate::common;

async fn pair() -> (common::Sim, common::Sim) {
    let options = || SimOptions {
        speed: 0.0,
        start: Some(1_773_136_800.0),
        ..SimOptions::default()
    };
    let lab = common::start_with("homelab", options()).await;
    let office = common::start_with("homelab", options()).await;
    (lab, office)
}

/// The target's tunnel task (`qmtunnel`), as its task list shows it.
async fn tunnel_task(sim: &common::Sim) -> Value {
    let tasks = sim.get("/cluster/tasks").await;
    tasks
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "qmtunnel")
        .cloned()
        .unwrap()
}

/// Until the task ends, the source's clock moved on meanwhile (the copy takes simulated time).
async fn finished(sim: &common::Sim, upid: &str) -> Value {
    let node = upid.split(':').nth(1).unwrap();
    for _ in 0..400 {
        let r = sim.get(&format!("/nodes/{node}/tasks/{upid}/status")).await;
        if r.data()["status"] == "stopped" {
            return r.data().clone();
        }
        sim.advance(10.0).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{upid} never ended");
}

async fn migrate(
    from: &common::Sim,
    to: &common::Sim,
    path: &str,
    extra: &[(&str, &str)],
) -> common::Reply {
    let endpoint = to.remote_endpoint();
    let mut form = vec![
        ("target-endpoint", endpoint.as_str()),
        ("target-storage", "local-zfs:vm-disks,vm-disks"),
        ("target-bridge", "vmbr0:vmbr1"),
    ];
    form.extend_from_slice(extra);
    from.post(path, &form).await
}

#[tokio::test]
async fn a_vm_arrives_under_a_new_vmid_with_its_storage_and_bridge_mapped() {
    let (lab, office) = pair().await;
    let path = "/nodes/pve-aimax-01/qemu/110/remote_migrate";

    // Its own VMID is taken on the target: the tunnel refuses, and the task says so.
    let r = migrate(&lab, &office, path, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let upid = r.data().as_str().unwrap().to_string();
    let status = finished(&lab, &upid).await;
    assert_eq!(status["exitstatus"], "migration aborted");
    let log = lab.task_log(&upid).await.join("\n");
    assert!(
        log.contains("ERROR: migration aborted") && log.contains("vmid: unable to create empty VM config - VM 110 already exists on node 'pve-aimax-01'"),
        "{log}"
    );
    assert_eq!(lab.resource("qemu/110").await["lock"], Value::Null);

    // A free VMID: the guest goes.
    let r = migrate(&lab, &office, path, &[("target-vmid", "5110")]).await;
    let upid = r.data().as_str().unwrap().to_string();
    assert!(upid.contains(":qmigrate:110:"), "{upid}");
    let status = finished(&lab, &upid).await;
    let log = lab.task_log(&upid).await.join("\n");
    assert_eq!(status["exitstatus"], "OK", "{log}");
    for line in [
        "remote: started tunnel worker 'UPID:pve-ms01-01:",
        ":qmtunnel:5110:",
        "starting migration of VM 110 to node 'pve-ms01-01' (127.0.0.1)",
        "volume 'local-zfs:vm-110-disk-0' is 'vm-disks:vm-5110-disk-0' on the target",
        "mapped: net0 from vmbr0 to vmbr1",
        "migration finished successfully",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
    let arrived = office.resource("qemu/5110").await;
    assert_eq!(arrived["name"], "ai-training-01", "{arrived}");
    assert_eq!(arrived["node"], "pve-ms01-01");
    assert_eq!(arrived["status"], "stopped");
    let config = office.get("/nodes/pve-ms01-01/qemu/5110/config").await;
    let config = config.data();
    assert!(
        config["scsi0"]
            .as_str()
            .unwrap()
            .starts_with("vm-disks:vm-5110-disk-0,"),
        "{config}"
    );
    assert!(
        config["net0"].as_str().unwrap().contains("bridge=vmbr1"),
        "{config}"
    );
    assert!(config.get("lock").is_none(), "{config}");
    // As qemu-server leaves it without `delete`: kept, stopped, locked.
    let kept = lab.resource("qemu/110").await;
    assert_eq!(
        (kept["status"].as_str(), kept["lock"].as_str()),
        (Some("stopped"), Some("migrate"))
    );
    // The target's own task: the tunnel, ended.
    let tunnel = tunnel_task(&office).await;
    assert_eq!(tunnel["status"], "OK", "{tunnel}");
}

#[tokio::test]
async fn a_running_vm_goes_live_and_the_source_is_deleted_when_asked() {
    let (lab, office) = pair().await;
    let path = "/nodes/pve-ms01-01/qemu/101/remote_migrate";
    let r = migrate(&lab, &office, path, &[("target-vmid", "5101")]).await;
    assert_eq!(r.status, 500);
    assert!(
        r.text.contains("can't migrate running VM without --online"),
        "{}",
        r.text
    );

    let r = migrate(
        &lab,
        &office,
        path,
        &[("target-vmid", "5101"), ("online", "1"), ("delete", "1")],
    )
    .await;
    let upid = r.data().as_str().unwrap().to_string();
    assert_eq!(finished(&lab, &upid).await["exitstatus"], "OK");
    assert_eq!(office.resource("qemu/5101").await["status"], "running");
    assert_eq!(lab.resource("qemu/101").await, Value::Null);
}

#[tokio::test]
async fn a_running_vm_with_a_mapped_device_fails_in_its_task_as_qemu_server_says() {
    let (lab, office) = pair().await;
    let r = migrate(
        &lab,
        &office,
        "/nodes/pve-aimax-01/qemu/111/remote_migrate",
        &[("target-vmid", "5111"), ("online", "1")],
    )
    .await;
    let upid = r.data().as_str().unwrap().to_string();
    assert_eq!(
        finished(&lab, &upid).await["exitstatus"],
        "migration aborted"
    );
    let log = lab.task_log(&upid).await.join("\n");
    assert!(
        log.contains(
            "can't live migrate running VM which uses following mapped devices: usb0:coral"
        ),
        "{log}"
    );
    assert_eq!(office.resource("qemu/5111").await, Value::Null);
    assert_eq!(lab.resource("qemu/111").await["status"], "running");
}

#[tokio::test]
async fn a_migration_stopped_on_the_way_leaves_nothing_on_the_target() {
    let (lab, office) = pair().await;
    let r = migrate(
        &lab,
        &office,
        "/nodes/pve-aimax-01/qemu/110/remote_migrate",
        &[("target-vmid", "5110")],
    )
    .await;
    let upid = r.data().as_str().unwrap().to_string();
    // Once the tunnel is open the guest is there, locked `create`.
    for _ in 0..100 {
        if office.resource("qemu/5110").await["lock"] == "create" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(office.resource("qemu/5110").await["lock"], "create");
    let stop = lab
        .write("DELETE", &format!("/nodes/pve-aimax-01/tasks/{upid}"), &[])
        .await;
    assert_eq!(stop.status, 200, "{}", stop.text);
    for _ in 0..100 {
        if office.resource("qemu/5110").await == Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(office.resource("qemu/5110").await, Value::Null);
    let tunnel = tunnel_task(&office).await;
    assert_eq!(tunnel["status"], "migration aborted", "{tunnel}");
    let source = lab.resource("qemu/110").await;
    assert_eq!(source["lock"], Value::Null, "{source}");
}

#[tokio::test]
async fn refusals_come_in_proxmox_s_words() {
    let (lab, office) = pair().await;
    let r = migrate(
        &lab,
        &office,
        "/nodes/pve-ms01-02/qemu/104/remote_migrate",
        &[("online", "1")],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text
            .contains("cannot remote-migrate VM that is configured for HA"),
        "{}",
        r.text
    );
    let endpoint = office.remote_endpoint();
    let r = lab
        .post(
            "/nodes/pve-aimax-01/qemu/110/remote_migrate",
            &[
                ("target-endpoint", endpoint.as_str()),
                ("target-storage", "1"),
                ("target-bridge", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 500);
    assert!(
        r.text
            .contains("remote migration requires explicit storage mapping!"),
        "{}",
        r.text
    );
    let r = lab
        .post(
            "/nodes/pve-aimax-01/qemu/110/remote_migrate",
            &[
                ("target-endpoint", "host=x"),
                ("target-storage", "a"),
                ("target-bridge", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text.contains("property 'apitoken' is missing"),
        "{}",
        r.text
    );
}
