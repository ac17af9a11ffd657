//! Terminals in the conformance check: opened by termproxy, their websocket path read without an
//! upgrade (the websocket itself is tested in `terminals`).

use super::Checker;
use crate::common;

pub async fn verify(sim: &common::Sim, c: &mut Checker) {
    let n = "/nodes/pve-ms01-01";
    // Terminals: opened by termproxy, their websocket path read without an upgrade.
    for (key, path, form) in [
        (
            "POST /nodes/{node}/termproxy",
            format!("{n}/termproxy"),
            vec![],
        ),
        (
            "POST /nodes/{node}/qemu/{vmid}/termproxy",
            "/nodes/pve-ms01-02/qemu/104/termproxy".to_string(),
            vec![("serial", "serial0")],
        ),
        (
            "POST /nodes/{node}/lxc/{vmid}/termproxy",
            format!("{n}/lxc/200/termproxy"),
            vec![],
        ),
    ] {
        let r = sim.write("POST", &path, &form).await;
        c.verify(key, &r);
        let port = r.data()["port"].as_u64().unwrap_or_default();
        let ticket = rack::pve::path::segment(r.data()["ticket"].as_str().unwrap_or_default());
        let socket = path.replace("/termproxy", "/vncwebsocket");
        let key = key
            .replace("POST", "GET")
            .replace("/termproxy", "/vncwebsocket");
        let r = sim
            .get(&format!("{socket}?port={port}&vncticket={ticket}"))
            .await;
        c.verify(&key, &r);
    }
}
