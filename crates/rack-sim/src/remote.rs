//! Remote migration between simulators, as qemu-server's `remote_migrate_vm` and
//! pve-container's twin do it: the source asks the endpoint which node it is
//! (`/cluster/status`, the `local` entry), starts its `qmigrate` task, opens the tunnel on the
//! target (`POST …/mtunnel`, which creates the guest there locked `create` and starts a
//! `qmtunnel` task), copies the disks over simulated time, hands the configuration over with
//! its storages and bridges mapped, and leaves the source stopped and locked `migrate` — or
//! destroys it with `delete`. Where Proxmox speaks JSON commands over a websocket tunnel, the
//! source hands the finished configuration over in one call to the target's `/sim/incoming`.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use rack_pve::propstr::PropString;
use rack_pve::remote::{IdMap, RemoteEndpoint};
use serde_json::{Value, json};

use super::Shared;
use super::calendar::format_hms;
use super::http::ApiError;
use super::logs::Described;
use super::scenario::GuestKind;
use super::tasks::{LogPlan, Work, stamped};
use super::world::{Guest, GuestStatus, World};

/// An address that does not answer (a node's LAN address seen from elsewhere) fails in time.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Disks cross at this many bytes a simulated second.
const COPY_RATE: f64 = (1u64 << 30) as f64;

/// A remote migration the source has checked and will start.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: GuestKind,
    pub node: String,
    pub vmid: u32,
    pub target_vmid: u32,
    pub endpoint: RemoteEndpoint,
    pub storages: IdMap,
    pub bridges: IdMap,
    /// Live (a running VM with `online`), or a container restarted on the target.
    pub keep_running: bool,
    pub delete: bool,
    pub user: String,
}

/// One call to another Proxmox API (a simulator) over HTTPS, pinned to the endpoint's
/// fingerprint: the answer's `data`, or the error as Proxmox's API client words it
/// (`400 Parameter verification failed.` and the parameters' errors).
pub async fn call(
    endpoint: &RemoteEndpoint,
    method: &str,
    path: &str,
    form: &[(String, String)],
) -> Result<Value, String> {
    let host = &endpoint.host;
    tokio::time::timeout(CALL_TIMEOUT, call_unbounded(endpoint, method, path, form))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "remote '{host}': no answer within {} s",
                CALL_TIMEOUT.as_secs()
            ))
        })
}

async fn call_unbounded(
    endpoint: &RemoteEndpoint,
    method: &str,
    path: &str,
    form: &[(String, String)],
) -> Result<Value, String> {
    let host = &endpoint.host;
    let pin = endpoint.fingerprint.as_deref().ok_or_else(|| {
        format!("remote '{host}': no fingerprint given and its certificate is not trusted")
    })?;
    let config = rack_pve::tls::pinned_client_config(pin)
        .ok_or_else(|| format!("remote '{host}': '{pin}' is not a fingerprint"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect((host.as_str(), endpoint.port))
        .await
        .map_err(|e| format!("remote '{host}': {e}"))?;
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|e| format!("remote '{host}': {e}"))?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| format!("remote '{host}': {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| format!("remote '{host}': {e}"))?;
    tokio::spawn(connection);
    let body = serde_urlencoded::to_string(form).map_err(|e| e.to_string())?;
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, format!("{host}:{}", endpoint.port))
        .header(AUTHORIZATION, &endpoint.apitoken)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("remote '{host}': {e}"))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("remote '{host}': {e}"))?
        .to_bytes();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(answer.get("data").cloned().unwrap_or(Value::Null));
    }
    let mut text = format!(
        "{} {}",
        status.as_u16(),
        answer["message"].as_str().unwrap_or("").trim_end()
    );
    if let Some(errors) = answer["errors"].as_object() {
        for (k, v) in errors {
            text.push_str(&format!("\n{k}: {}", v.as_str().unwrap_or("").trim_end()));
        }
    }
    Err(text)
}

/// Ask the endpoint which node it is, start the source's task and the work behind it; the
/// task's UPID, as the API call answers.
pub async fn begin(shared: &Shared, plan: Plan) -> Result<Value, ApiError> {
    let status = call(&plan.endpoint, "GET", "/api2/json/cluster/status", &[])
        .await
        .map_err(ApiError::fail)?;
    let target_node = status
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["type"] == "node" && e["local"].as_u64().is_some_and(|l| l == 1))
        })
        .and_then(|e| e["name"].as_str())
        .map(str::to_string)
        .ok_or_else(|| ApiError::fail("couldn't determine endpoint's node name"))?;
    let (upid, done_at) = {
        let mut s = shared
            .lock()
            .map_err(|_| ApiError::fail("simulator state poisoned"))?;
        s.sync();
        start_task(&mut s.world, &plan, &target_node)?
    };
    let task_shared = shared.clone();
    let task_upid = upid.clone();
    tokio::spawn(async move { drive(task_shared, plan, task_upid, target_node, done_at).await });
    Ok(json!(upid))
}

/// Lock the guest and start the source's task, its log planned up to the copy's end.
fn start_task(w: &mut World, plan: &Plan, target_node: &str) -> Result<(String, f64), ApiError> {
    let g = w.guests.get(&plan.vmid).cloned().ok_or_else(|| {
        ApiError::fail(format!(
            "{} {} does not exist",
            plan.kind.label(),
            plan.vmid
        ))
    })?;
    if let Some(lock) = g.lock() {
        return Err(ApiError::fail(format!(
            "{} is locked ({lock})",
            plan.kind.label()
        )));
    }
    let now = w.now;
    let disks: Vec<_> = g.disks().into_iter().filter(|d| !d.cdrom).collect();
    let bytes: f64 = disks.iter().map(|d| d.size as f64).sum();
    let duration = 3.0 + bytes / COPY_RATE;
    let host = &plan.endpoint.host;
    let vmid = plan.vmid;
    let mut plan_lines = LogPlan::default();
    let at = |f: f64| now + f * duration;
    plan_lines.at(0.0, "local WS tunnel version: 2");
    plan_lines.at(0.0, "remote WS tunnel version: 2");
    plan_lines.at(0.0, "minimum required WS tunnel version: 2");
    plan_lines.at(0.0, "websocket tunnel started");
    plan_lines.at(
        0.01,
        stamped(
            at(0.01),
            &format!(
                "starting migration of {} {vmid} to node '{target_node}' ({host})",
                plan.kind.label()
            ),
        ),
    );
    for d in &disks {
        plan_lines.at(
            0.02,
            stamped(
                at(0.02),
                &format!("found local disk '{}' (attached)", d.volid),
            ),
        );
    }
    if !disks.is_empty() {
        plan_lines.at(0.03, stamped(at(0.03), "copying local disk images"));
    }
    for d in &disks {
        plan_lines.at(
            0.9,
            stamped(
                at(0.9),
                &format!(
                    "volume '{}' is '{}' on the target",
                    d.volid,
                    target_volid(&d.volid, vmid, plan.target_vmid, &plan.storages)
                ),
            ),
        );
    }
    for (key, from, to) in bridge_moves(&g, &plan.bridges) {
        plan_lines.at(
            0.95,
            stamped(at(0.95), &format!("mapped: {key} from {from} to {to}")),
        );
    }
    let described = Described {
        kind: match plan.kind {
            GuestKind::Qemu => "qmigrate",
            GuestKind::Lxc => "vzmigrate",
        },
        id: vmid.to_string(),
        duration,
        lock: Some("migrate"),
        plan: plan_lines,
    };
    if let Some(guest) = w.guests.get_mut(&vmid) {
        guest.config.insert("lock".into(), "migrate".into());
    }
    let upid = w.spawn(&plan.node, &plan.user, Work::RemoteOut { vmid }, described);
    // Ended by `drive`, not by the clock.
    if let Some(t) = w.task_mut(&upid) {
        t.end = f64::INFINITY;
    }
    Ok((upid, now + duration))
}

/// The migration itself: open the tunnel, wait out the copy, hand the guest over, finish.
async fn drive(shared: Shared, plan: Plan, upid: String, target_node: String, done_at: f64) {
    let refused = {
        let Ok(s) = shared.lock() else { return };
        prepare_error(&s.world, &plan)
    };
    if let Some(why) = refused {
        return abort(&shared, &plan, &upid, &why);
    }
    let kind = plan.kind.api();
    let tvmid = plan.target_vmid;
    let (storages, bridges) = tunnel_needs(&shared, &plan);
    let tunnel = call(
        &plan.endpoint,
        "POST",
        &format!("/api2/json/nodes/{target_node}/{kind}/{tvmid}/mtunnel"),
        &[("storages".into(), storages), ("bridges".into(), bridges)],
    )
    .await;
    let tunnel_upid = match tunnel {
        Ok(v) => v["upid"].as_str().unwrap_or_default().to_string(),
        Err(e) => return abort(&shared, &plan, &upid, &e),
    };
    with_task(&shared, &upid, |w, i| {
        let now = w.now;
        let task = &mut w.tasks[i];
        task.lines.insert(
            0,
            (
                now,
                format!("remote: started tunnel worker '{tunnel_upid}'"),
            ),
        );
    });
    // From here a failure also closes the tunnel: the guest it created there goes.
    let give_up = |why: String| {
        let shared = shared.clone();
        let plan = plan.clone();
        let upid = upid.clone();
        let tunnel_upid = tunnel_upid.clone();
        async move {
            abort(&shared, &plan, &upid, &why);
            let form = [
                ("vmid".to_string(), tvmid.to_string()),
                ("upid".to_string(), tunnel_upid),
                ("abort".to_string(), "1".to_string()),
            ];
            // Best effort, as the tunnel's `quit` with cleanup is.
            let _ = call(&plan.endpoint, "POST", "/sim/incoming", &form).await;
        }
    };
    // The copy takes simulated time: a frozen clock waits for the test to move it.
    loop {
        let (running, copied) = {
            let Ok(mut s) = shared.lock() else { return };
            s.sync();
            let running = s.world.task(&upid).is_some_and(|t| t.running());
            (running, s.world.now >= done_at)
        };
        if !running {
            return give_up("interrupted".into()).await;
        }
        if copied {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let handover = {
        let Ok(s) = shared.lock() else { return };
        s.world.guests.get(&plan.vmid).map(|g| {
            let config = target_config(g, &plan);
            let running = plan.keep_running && g.running();
            vec![
                ("vmid".to_string(), tvmid.to_string()),
                ("node".to_string(), target_node.clone()),
                ("config".to_string(), Value::Object(config).to_string()),
                ("running".to_string(), u8::from(running).to_string()),
                ("upid".to_string(), tunnel_upid.clone()),
            ]
        })
    };
    let Some(handover) = handover else {
        return give_up("source guest disappeared".into()).await;
    };
    if let Err(e) = call(&plan.endpoint, "POST", "/sim/incoming", &handover).await {
        return give_up(e).await;
    }
    let Ok(mut s) = shared.lock() else { return };
    s.sync();
    let w = &mut s.world;
    let now = w.now;
    // Stopped by its user during the handover: the guest is there, the source stays as is.
    if !w.task(&upid).is_some_and(|t| t.running()) {
        return;
    }
    if plan.delete {
        w.guests.remove(&plan.vmid);
        w.volumes
            .retain(|v| v.vmid != Some(plan.vmid) || v.content == "backup");
    } else if let Some(g) = w.guests.get_mut(&plan.vmid) {
        // As qemu-server leaves it: stopped, the `migrate` lock kept.
        g.status = GuestStatus::Stopped;
        g.stopped_at = Some(now);
    }
    if let Some(t) = w.task_mut(&upid) {
        let took = now - t.start;
        t.lines.retain(|(at, _)| *at <= now);
        t.lines.push((
            now,
            stamped(
                now,
                &format!(
                    "migration finished successfully (duration {})",
                    format_hms(took)
                ),
            ),
        ));
        t.end_done(now);
    }
}

/// What QemuMigrate's `prepare` refuses before the tunnel opens: snapshots, devices of the
/// host, and mapped devices a running VM cannot take along live.
fn prepare_error(w: &World, plan: &Plan) -> Option<String> {
    let g = w.guests.get(&plan.vmid)?;
    if !g.snapshots.is_empty() {
        return Some("remote migration with snapshots not supported yet".into());
    }
    let claims = w.device_claims(g, &g.node);
    let raw: Vec<&str> = claims
        .iter()
        .filter(|c| c.mapping.is_none())
        .map(|c| c.key.as_str())
        .collect();
    if !raw.is_empty() {
        return Some(format!(
            "can't migrate VM which uses local devices: {}",
            raw.join(", ")
        ));
    }
    let not_live: Vec<String> = claims
        .iter()
        .filter_map(|c| {
            let name = c.mapping.as_ref()?;
            let live = w
                .mappings
                .pci
                .iter()
                .chain(&w.mappings.usb)
                .any(|m| &m.id == name && m.live_migration_capable);
            (!live).then(|| format!("{}:{name}", c.key))
        })
        .collect();
    if g.running() && plan.keep_running && !not_live.is_empty() {
        return Some(format!(
            "can't live migrate running VM which uses following mapped devices: {}",
            not_live.join(", ")
        ));
    }
    None
}

/// End the source's task as failed, as AbstractMigrate does: the reason logged, the guest
/// unlocked and left as it was.
fn abort(shared: &Shared, plan: &Plan, upid: &str, why: &str) {
    with_task(shared, upid, |w, i| {
        let now = w.now;
        if let Some(g) = w.guests.get_mut(&plan.vmid) {
            g.config.remove("lock");
        }
        let task = &mut w.tasks[i];
        // Stopped by its user: it ended so already, in its own words.
        if !task.running() {
            return;
        }
        let took = now - task.start;
        task.lines.retain(|(t, _)| *t <= now);
        task.lines.push((
            now,
            stamped(
                now,
                &format!(
                    "ERROR: migration aborted (duration {}): {why}",
                    format_hms(took)
                ),
            ),
        ));
        task.end_failed(now, "migration aborted");
    });
}

/// Run `f` on the world and the index of task `upid`, the clock brought up to date.
fn with_task(shared: &Shared, upid: &str, f: impl FnOnce(&mut World, usize)) {
    let Ok(mut s) = shared.lock() else { return };
    s.sync();
    if let Some(i) = s.world.tasks.iter().rposition(|t| t.text == upid) {
        f(&mut s.world, i);
    }
}

/// What the tunnel is told the guest needs there (`storages`, `bridges`): every disk's
/// storage and every network device's bridge, mapped.
fn tunnel_needs(shared: &Shared, plan: &Plan) -> (String, String) {
    let Ok(s) = shared.lock() else {
        return Default::default();
    };
    let Some(g) = s.world.guests.get(&plan.vmid) else {
        return Default::default();
    };
    let list = |mut ids: Vec<String>| {
        ids.sort();
        ids.dedup();
        ids.join(",")
    };
    let storages = g
        .disks()
        .iter()
        .filter(|d| !d.cdrom || d.volid.contains("-cloudinit"))
        .filter_map(|d| d.volid.split_once(':'))
        .map(|(storage, _)| plan.storages.map(storage).to_string())
        .collect();
    let bridges = bridge_moves(g, &plan.bridges)
        .into_iter()
        .map(|(_, _, to)| to)
        .collect();
    (list(storages), list(bridges))
}

/// Each network device's bridge and where the map sends it: (key, from, to).
fn bridge_moves(g: &Guest, bridges: &IdMap) -> Vec<(String, String, String)> {
    g.config
        .iter()
        .filter(|(k, _)| k.starts_with("net"))
        .filter_map(|(k, v)| {
            let from = PropString::parse(v, "model").get("bridge")?.to_string();
            let to = bridges.map(&from).to_string();
            Some((k.clone(), from, to))
        })
        .collect()
}

/// `local-lvm:vm-110-disk-0` on the target: its storage mapped, its name the target VMID's.
fn target_volid(volid: &str, vmid: u32, target_vmid: u32, storages: &IdMap) -> String {
    let Some((storage, name)) = volid.split_once(':') else {
        return volid.to_string();
    };
    let name = name.replace(&format!("-{vmid}-"), &format!("-{target_vmid}-"));
    let name = name.replace(&format!("{vmid}/"), &format!("{target_vmid}/"));
    format!("{}:{name}", storages.map(storage))
}

/// The guest's configuration as it arrives: disks on the mapped storages under the new VMID,
/// network devices on the mapped bridges, no lock.
fn target_config(g: &Guest, plan: &Plan) -> serde_json::Map<String, Value> {
    let disks = g.disks();
    let mut out = serde_json::Map::new();
    for (k, v) in g.config.iter() {
        if k == "lock" {
            continue;
        }
        let mut value = v.clone();
        // A cloud-init drive is generated again on the target's storage, under the new VMID.
        let moving = |d: &&super::guest_config::Disk| !d.cdrom || d.volid.contains("-cloudinit");
        if let Some(d) = disks.iter().filter(moving).find(|d| &d.key == k) {
            let moved = target_volid(&d.volid, plan.vmid, plan.target_vmid, &plan.storages);
            value = value.replacen(&d.volid, &moved, 1);
        }
        if k.starts_with("net") {
            let mut p = PropString::parse(&value, "model");
            if let Some(bridge) = p.get("bridge").map(str::to_string) {
                p.set("bridge", plan.bridges.map(&bridge));
                value = p.to_string_with_default("model");
            }
        }
        out.insert(k.clone(), Value::String(value));
    }
    out
}

/// The target's side of `/sim/incoming`: the guest created by the tunnel takes the
/// configuration, its disks are allocated, it runs when it ran, and the tunnel's task ends.
pub fn arrive(w: &mut World, params: &[(String, String)]) -> Result<Value, ApiError> {
    let param = |name: &str| super::http::param(params, name).unwrap_or_default();
    let vmid: u32 = param("vmid")
        .parse()
        .map_err(|_| ApiError::param("vmid", "not a VMID"))?;
    let now = w.now;
    let upid = param("upid");
    // The source gave up: the guest the tunnel created goes, the tunnel's task fails.
    if param("abort") == "1" {
        if w.guests
            .get(&vmid)
            .is_some_and(|g| g.lock() == Some("create"))
        {
            w.guests.remove(&vmid);
        }
        if let Some(t) = w
            .tasks
            .iter_mut()
            .rev()
            .find(|t| t.text == upid && t.running())
        {
            t.lines.push((now, "received command 'quit'".into()));
            t.end_failed(now, "migration aborted");
        }
        return Ok(Value::Null);
    }
    let node = param("node").to_string();
    let config: std::collections::BTreeMap<String, String> =
        serde_json::from_str::<serde_json::Map<String, Value>>(param("config"))
            .map_err(|e| ApiError::param("config", e.to_string()))?
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
    let g = w
        .guests
        .get_mut(&vmid)
        .filter(|g| g.lock() == Some("create"))
        .ok_or_else(|| ApiError::fail(format!("no tunnel is open for {vmid}")))?;
    g.config = config.into();
    g.node = node;
    if param("running") == "1" {
        g.status = GuestStatus::Running;
        g.started_at = now;
        g.stopped_at = None;
    }
    w.allocate_disks(vmid);
    if let Some(t) = w.task_mut(upid) {
        for command in ["config", "unlock", "quit"] {
            t.lines.push((now, format!("received command '{command}'")));
        }
        t.lines.push((now, "mtunnel exited".into()));
        t.end_done(now);
    }
    Ok(Value::Null)
}
