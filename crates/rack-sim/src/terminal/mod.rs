//! Terminals as Proxmox serves them: `POST …/termproxy` opens one (a port, a `PVEVNC:` ticket and
//! a running `vncshell`/`vncproxy` task), `GET …/vncwebsocket` attaches to it over a websocket,
//! and behind it runs a small shell that answers from the simulated world.

mod addresses;
mod commands;
mod session;
mod socket;
mod top;

use std::collections::BTreeMap;

use rack_pve::termproxy::Target;
use serde_json::{Value, json};

pub use addresses::{agent_interfaces, lxc_interfaces};
pub use socket::upgrade;

use super::SimState;
use super::http::ApiError;
use super::tasks::Work;

/// A terminal opened and not yet closed.
#[derive(Debug, Clone)]
pub struct Opened {
    pub far: Target,
    pub user: String,
    pub ticket: String,
    pub upid: String,
    pub at: f64,
    pub attached: bool,
}

/// The open terminals by port (5900–5999, as Proxmox picks them).
#[derive(Debug, Default)]
pub struct Terminals {
    pub by_port: BTreeMap<u16, Opened>,
    /// Ports whose connection the simulator was told to cut (`/sim` control, tests).
    pub cut: Vec<u16>,
}

/// How long an opened terminal waits for its websocket, as termproxy does.
const ATTACH_WITHIN: f64 = 10.0;

/// `POST …/termproxy`: open a terminal for `user` on `far`.
pub fn open(state: &mut SimState, far: Target, user: &str) -> Result<Value, ApiError> {
    let now = state.world.now;
    let stale: Vec<u16> = state
        .terminals
        .by_port
        .iter()
        .filter(|(_, o)| !o.attached && now - o.at > ATTACH_WITHIN)
        .map(|(p, _)| *p)
        .collect();
    for port in stale {
        close(state, port);
    }
    let port = (5900..6000)
        .find(|p| !state.terminals.by_port.contains_key(p))
        .ok_or_else(|| ApiError::fail("unable to find free port (5900-6000)"))?;
    let ticket = state
        .auth
        .vnc_ticket(user, &far.acl_path(), port, state.clock.now());
    let guest = match &far {
        Target::Node { .. } => None,
        Target::Serial { vmid, .. } | Target::Container { vmid, .. } => Some(*vmid),
    };
    let upid = state
        .world
        .start_work(far.node(), user, Work::Terminal { guest });
    state.terminals.by_port.insert(
        port,
        Opened {
            far,
            user: user.to_string(),
            ticket: ticket.clone(),
            upid: upid.clone(),
            at: now,
            attached: false,
        },
    );
    Ok(json!({ "user": user, "ticket": ticket, "port": port, "upid": upid }))
}

/// The terminal on `port` is gone: its task ends.
pub fn close(state: &mut SimState, port: u16) {
    let Some(opened) = state.terminals.by_port.remove(&port) else {
        return;
    };
    let now = state.world.now;
    if let Some(task) = state
        .world
        .tasks
        .iter_mut()
        .rev()
        .find(|t| t.text == opened.upid && t.running())
    {
        task.end = now;
    }
}
