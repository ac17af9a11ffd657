//! Remote migration's API: `POST …/remote_migrate` on the source (checked here, carried out by
//! `remote::begin` once the endpoint has said which node it is) and `POST …/mtunnel` on the
//! target, which creates the incoming guest locked `create` and starts the tunnel's task.

use serde_json::{Value, json};

use super::{Call, Reply};
use crate::http::ApiError;
use crate::logs::Described;
use crate::remote::Plan;
use crate::scenario::GuestKind;
use crate::tasks::{LogPlan, Work};
use crate::world::Guest;
use rack_pve::remote::{IdMap, RemoteEndpoint};

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Reply, ApiError>> {
    Some(match (method, path) {
        ("POST", "/nodes/{node}/qemu/{vmid}/remote_migrate") => {
            check(c, GuestKind::Qemu).map(|p| Reply::Remote(Box::new(p)))
        }
        ("POST", "/nodes/{node}/lxc/{vmid}/remote_migrate") => {
            check(c, GuestKind::Lxc).map(|p| Reply::Remote(Box::new(p)))
        }
        ("POST", "/nodes/{node}/qemu/{vmid}/mtunnel") => {
            tunnel(c, GuestKind::Qemu).map(Reply::Value)
        }
        ("POST", "/nodes/{node}/lxc/{vmid}/mtunnel") => tunnel(c, GuestKind::Lxc).map(Reply::Value),
        _ => return None,
    })
}

/// What `remote_migrate_vm` checks before it starts the task, in its order and words.
fn check(c: &mut Call, kind: GuestKind) -> Result<Plan, ApiError> {
    let g = c.guest(kind)?.clone();
    let w = c.world();
    if let Some(lock) = g.lock() {
        return Err(ApiError::fail(format!(
            "{} is locked ({lock})",
            kind.label()
        )));
    }
    if w.is_ha(&g) {
        return Err(ApiError::param(
            "vmid",
            format!(
                "cannot remote-migrate {} that is configured for HA",
                kind.label()
            ),
        ));
    }
    let online = c.flag("online");
    let keep_running = match kind {
        GuestKind::Qemu if g.running() && !online => {
            return Err(ApiError::fail("can't migrate running VM without --online"));
        }
        GuestKind::Lxc if g.running() && !online && !c.flag("restart") => {
            return Err(ApiError::fail(
                "can't migrate running container without --online or --restart",
            ));
        }
        _ => g.running(),
    };
    let endpoint = RemoteEndpoint::parse(c.param("target-endpoint").unwrap_or_default())
        .map_err(|e| ApiError::param("target-endpoint", e))?;
    let storages = IdMap::parse(c.param("target-storage").unwrap_or_default()).map_err(|e| {
        ApiError::param(
            "target-storage",
            format!("failed to parse storage map: {e}"),
        )
    })?;
    if storages.identity {
        return Err(ApiError::fail(
            "remote migration requires explicit storage mapping!",
        ));
    }
    let bridges = IdMap::parse(c.param("target-bridge").unwrap_or_default()).map_err(|e| {
        ApiError::param("target-bridge", format!("failed to parse bridge map: {e}"))
    })?;
    let target_vmid = c
        .int("target-vmid")
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(g.vmid);
    Ok(Plan {
        kind,
        node: g.node.clone(),
        vmid: g.vmid,
        target_vmid,
        endpoint,
        storages,
        bridges,
        keep_running,
        delete: c.flag("delete"),
        user: c.user(),
    })
}

/// The target's end of the tunnel: the guest's VMID must be free in this cluster.
fn tunnel(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let vmid: u32 = c.var("vmid").parse().unwrap_or(0);
    // pve-cluster's words: the config asked for, then the guest already there.
    if let Some(g) = c.world().guests.get(&vmid) {
        return Err(ApiError::param(
            "vmid",
            format!(
                "unable to create empty {} config - {} {vmid} already exists on node '{}'",
                kind.label(),
                g.kind.label(),
                g.node
            ),
        ));
    }
    let w = c.world_mut();
    let now = w.now;
    let mut config = std::collections::BTreeMap::new();
    config.insert("lock".to_string(), "create".to_string());
    w.guests.insert(
        vmid,
        Guest::new_stopped(vmid, kind, node.clone(), config.into(), now),
    );
    let mut plan = LogPlan::default();
    plan.at(0.0, "mtunnel started");
    plan.at(0.0, "received command 'version'");
    let described = Described {
        kind: match kind {
            GuestKind::Qemu => "qmtunnel",
            GuestKind::Lxc => "vzmtunnel",
        },
        id: vmid.to_string(),
        duration: 1.0e7,
        lock: None,
        plan,
    };
    let user = c.user();
    let upid = c
        .world_mut()
        .spawn(&node, &user, Work::RemoteIn { vmid }, described);
    let socket = match kind {
        GuestKind::Qemu => format!("/run/qemu-server/{vmid}.mtunnel"),
        GuestKind::Lxc => format!("/run/lxc/{vmid}.mtunnel"),
    };
    Ok(json!({ "upid": upid, "ticket": format!("PVEVNC:{vmid}::tunnel"), "socket": socket }))
}
