//! Terminals and what is known from inside guests: `termproxy` for nodes, VMs' serial ports and
//! containers, `vncwebsocket` read without an upgrade, a VM's guest-agent interfaces and a
//! container's interfaces.

use serde_json::{Value, json};

use super::{Call, Reply};
use crate::http::ApiError;
use crate::scenario::GuestKind;
use rack_pve::termproxy::Target;

use crate::terminal;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Reply, ApiError>> {
    let result = match (method, path) {
        ("POST", "/nodes/{node}/termproxy") => node_shell(c),
        ("POST", "/nodes/{node}/qemu/{vmid}/termproxy") => serial(c),
        ("POST", "/nodes/{node}/lxc/{vmid}/termproxy") => container(c),
        (
            "GET",
            "/nodes/{node}/vncwebsocket"
            | "/nodes/{node}/qemu/{vmid}/vncwebsocket"
            | "/nodes/{node}/lxc/{vmid}/vncwebsocket",
        ) => websocket_plain(c, path),
        ("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces") => agent(c),
        ("GET", "/nodes/{node}/lxc/{vmid}/interfaces") => lxc(c),
        _ => return None,
    };
    Some(result.map(Reply::Value))
}

fn node_shell(c: &mut Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let user = c.user();
    // Only root@pam gets a command run for it; anyone else gets a login prompt, as Proxmox's
    // termproxy runs /bin/login for them.
    let upgrade = c.param("cmd") == Some("upgrade");
    let far = Target::Node { node, upgrade };
    terminal::open(c.state, far, &user)
}

fn serial(c: &mut Call) -> Result<Value, ApiError> {
    let g = c.guest(GuestKind::Qemu)?;
    let vmid = g.vmid;
    // Without `serial`, the one the display is redirected to (vga: serialN), else the first
    // serial port, as `qm terminal` picks it.
    let port = c
        .param("serial")
        .map(str::to_string)
        .or_else(|| {
            g.config
                .get("vga")
                .filter(|v| v.starts_with("serial"))
                .map(|v| v.split(',').next().unwrap_or("serial0").to_string())
        })
        .or_else(|| {
            (0..4)
                .map(|i| format!("serial{i}"))
                .find(|k| g.config.contains_key(k))
        })
        .unwrap_or_else(|| "serial0".into());
    let node = g.node.clone();
    let user = c.user();
    terminal::open(c.state, Target::Serial { node, vmid, port }, &user)
}

fn container(c: &mut Call) -> Result<Value, ApiError> {
    let g = c.guest(GuestKind::Lxc)?;
    let far = Target::Container {
        node: g.node.clone(),
        vmid: g.vmid,
    };
    let user = c.user();
    terminal::open(c.state, far, &user)
}

fn websocket_plain(c: &mut Call, template: &str) -> Result<Value, ApiError> {
    c.node()?;
    let port = c.int("port").unwrap_or(0);
    let ticket = c.param("vncticket").unwrap_or("").to_string();
    let acl = if template.contains("{vmid}") {
        format!("/vms/{}", c.var("vmid"))
    } else {
        format!("/nodes/{}", c.var("node"))
    };
    let now = c.state.clock.now();
    let user = c.user();
    let good = u16::try_from(port)
        .is_ok_and(|p| c.state.auth.check_vnc_ticket(&ticket, &user, &acl, p, now));
    if !good {
        return Err(ApiError::new(
            401,
            "permission denied - invalid PVEVNC ticket",
        ));
    }
    Ok(json!({ "port": port.to_string() }))
}

/// How long after a VM starts its guest agent answers.
const AGENT_STARTS_AFTER: f64 = 20.0;

fn agent(c: &mut Call) -> Result<Value, ApiError> {
    let g = c.guest(GuestKind::Qemu)?;
    let Some(agent) = g.config.get("agent") else {
        return Err(ApiError::fail("No QEMU guest agent configured"));
    };
    if !g.running() {
        return Err(ApiError::fail(format!("VM {} is not running", g.vmid)));
    }
    let enabled = agent
        .split(',')
        .any(|p| matches!(p, "1" | "enabled=1" | "enabled=true"));
    let up = c.world().now - g.started_at;
    if !enabled || up < AGENT_STARTS_AFTER {
        return Err(ApiError::fail("QEMU guest agent is not running"));
    }
    Ok(terminal::agent_interfaces(g, up))
}

fn lxc(c: &mut Call) -> Result<Value, ApiError> {
    c.node()?;
    let vmid: u32 = c.var("vmid").parse().unwrap_or(0);
    let node = c.var("node").to_string();
    // A container that is not running (or not there) has no interfaces: null, not an error.
    Ok(c.world()
        .guests
        .get(&vmid)
        .filter(|g| g.kind == GuestKind::Lxc && g.node == node && g.running())
        .map_or(Value::Null, terminal::lxc_interfaces))
}
