//! The Proxmox API methods the simulator serves, one function each, grouped by area.
//! Parameters arrive already validated against the official schema (`schema.rs`).

mod archive;
mod backup;
mod ceph;
mod ceph_dumps;
mod ceph_metadata;
mod certificates;
mod cluster;
mod cluster_log;
mod create;
mod guests;
mod ha;
mod mapping;
mod metrics_export;
mod migrate;
mod node_hardware;
mod nodes;
mod remote_migrate;
mod sdn;
mod syslog;
mod terminals;

use std::collections::BTreeMap;

use serde_json::Value;

pub use create::{clone_guest, create_guest, destroy_guest, expand_new_disks};

use super::SimState;
use super::auth::Identity;
use super::http::ApiError;
use super::scenario::GuestKind;
use super::world::{Guest, Node, World};

/// One API call: the state, who calls, the path variables and the parameters.
pub struct Call<'a> {
    pub state: &'a mut SimState,
    pub who: &'a Identity,
    pub vars: BTreeMap<String, String>,
    pub params: Vec<(String, String)>,
}

impl Call<'_> {
    pub fn world(&self) -> &World {
        &self.state.world
    }

    pub fn world_mut(&mut self) -> &mut World {
        &mut self.state.world
    }

    pub fn var(&self, name: &str) -> &str {
        self.vars.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        super::http::param(&self.params, name)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(|v| v.trim().parse().ok())
    }

    pub fn user(&self) -> String {
        self.who.user.clone()
    }

    /// The `{node}` of the path: it must exist and answer, as a proxied request needs.
    pub fn node(&self) -> Result<&Node, ApiError> {
        let name = self.var("node");
        let node = self.world().node(name).ok_or_else(|| {
            ApiError::fail(format!(
                "hostname lookup '{name}' failed - failed to get address info for: {name}: Name or service not known"
            ))
        })?;
        if !node.online() {
            return Err(ApiError::new(595, "No route to host"));
        }
        Ok(node)
    }

    /// The guest at `/nodes/{node}/{qemu|lxc}/{vmid}`: it must be of that type on that node.
    pub fn guest(&self, kind: GuestKind) -> Result<&Guest, ApiError> {
        let node = self.node()?.name().to_string();
        let vmid: u32 = self.var("vmid").parse().unwrap_or(0);
        let dir = match kind {
            GuestKind::Qemu => "qemu-server",
            GuestKind::Lxc => "lxc",
        };
        self.world()
            .guests
            .get(&vmid)
            .filter(|g| g.kind == kind && g.node == node)
            .ok_or_else(|| {
                ApiError::fail(format!(
                    "Configuration file 'nodes/{node}/{dir}/{vmid}.conf' does not exist"
                ))
            })
    }

    /// Writes need quorum, as every change to /etc/pve does.
    pub fn need_quorum(&self) -> Result<(), ApiError> {
        if self.world().quorate() {
            Ok(())
        } else {
            Err(ApiError::fail("cluster not ready - no quorum?"))
        }
    }
}

/// What a method answers: most build a JSON value; the large listings serialize typed shapes
/// straight to JSON text, which at scale is several times faster than building a value first.
#[derive(Debug)]
pub enum Reply {
    Value(Value),
    Json(String),
    /// A page of a longer list, and how long the whole is (`total` beside `data`).
    Paged(Value, usize),
    /// A remote migration checked: the HTTP layer carries it on outside the state's lock
    /// (`remote::begin` asks the endpoint first) and answers its UPID.
    Remote(Box<crate::remote::Plan>),
}

/// Run the method for `key` ("METHOD /path/{template}").
pub fn dispatch(
    state: &mut SimState,
    key: &str,
    who: &Identity,
    vars: BTreeMap<String, String>,
    params: Vec<(String, String)>,
) -> Result<Reply, ApiError> {
    if let Some(grants) = state.auth.restricted.get(&who.user) {
        super::access::check(grants, &super::access::required(key, &vars))?;
    }
    let mut call = Call {
        state,
        who,
        vars,
        params,
    };
    let c = &mut call;
    let (method, path) = key.split_once(' ').unwrap_or(("", key));
    if method != "GET" && path != "/access/ticket" {
        c.need_quorum()?;
    }
    if let Some(result) = cluster::route(c, method, path) {
        return result;
    }
    if let Some(result) = nodes::paged_route(c, method, path) {
        return result;
    }
    if let Some(result) = syslog::paged_route(c, method, path) {
        return result.map(|(data, total)| Reply::Paged(data, total));
    }
    if let Some(result) = terminals::route(c, method, path) {
        return result;
    }
    if let Some(result) = remote_migrate::route(c, method, path) {
        return result;
    }
    let result = routes(c, method, path)?;
    Ok(Reply::Value(result))
}

fn routes(c: &mut Call, method: &str, path: &str) -> Result<Value, ApiError> {
    if let Some(result) = nodes::route(c, method, path) {
        return result;
    }
    if let Some(result) = guests::route(c, method, path) {
        return result;
    }
    if let Some(result) = migrate::route(c, method, path) {
        return result;
    }
    if let Some(result) = ceph::route(c, method, path) {
        return result;
    }
    if let Some(result) = ha::route(c, method, path) {
        return result;
    }
    if let Some(result) = sdn::route(c, method, path) {
        return result;
    }
    if let Some(result) = backup::route(c, method, path) {
        return result;
    }
    if let Some(result) = certificates::route(c, method, path) {
        return result;
    }
    if let Some(result) = cluster_log::route(c, method, path) {
        return result;
    }
    Err(ApiError::new(
        501,
        format!("Method '{method} /api2/json{path}' not implemented"),
    ))
}

/// Booleans go out as 0/1, as Proxmox sends them.
pub fn b(v: bool) -> u8 {
    u8::from(v)
}
