//! Remote migration in the conformance check: the homelab's guests moved to a second
//! simulator (a standalone laptop), and the target's tunnel opened directly.

use super::Checker;
use crate::common;

pub(super) async fn verify(sim: &common::Sim, c: &mut Checker) {
    let laptop = common::start("laptop", 50.0).await;
    let endpoint = laptop.remote_endpoint();
    for (key, path, form) in [
        (
            "POST /nodes/{node}/qemu/{vmid}/remote_migrate",
            "/nodes/pve-ms01-01/qemu/9000/remote_migrate",
            vec![("target-vmid", "4900")],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/remote_migrate",
            "/nodes/pve-ms01-01/lxc/200/remote_migrate",
            vec![("target-vmid", "4200"), ("restart", "1"), ("delete", "1")],
        ),
    ] {
        let mut form = form;
        form.extend([
            ("target-endpoint", endpoint.as_str()),
            ("target-storage", "local-lvm"),
            ("target-bridge", "vmbr0"),
        ]);
        let r = sim.write("POST", path, &form).await;
        c.verify(key, &r);
        let upid = r.data().as_str().unwrap_or_default().to_string();
        let status = sim.wait_task(&upid).await;
        assert_eq!(
            status["exitstatus"],
            "OK",
            "{key}: {:?}",
            sim.task_log(&upid).await
        );
    }
    for (key, path) in [
        (
            "POST /nodes/{node}/qemu/{vmid}/mtunnel",
            "/nodes/pve-laptop/qemu/4300/mtunnel",
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/mtunnel",
            "/nodes/pve-laptop/lxc/4301/mtunnel",
        ),
    ] {
        let r = laptop
            .write(
                "POST",
                path,
                &[("storages", "local-lvm"), ("bridges", "vmbr0")],
            )
            .await;
        c.verify(key, &r);
    }
}
