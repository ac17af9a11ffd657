//! The control interface under `/sim/…` (same port, same auth as the API): what tests and
//! users do to the world that Proxmox's API cannot — faults, power, HA maintenance, time.
//!
//! | method and path | parameters | effect |
//! |---|---|---|
//! | `GET /sim/state` | | clock, nodes and their power, quorum, faults |
//! | `GET /sim/writes` | | the API writes received: method, path, status (logins left out) |
//! | `DELETE /sim/writes` | | forget them (a test's own setup writes) |
//! | `POST /sim/faults` | `spec` | add faults (syntax of `--faults`) |
//! | `DELETE /sim/faults` | | clear request faults |
//! | `POST /sim/tickets/expire` | | every ticket issued so far stops working |
//! | `POST /sim/nodes/{node}/power` | `state=on\|off` | cut power now, or power on (boots) |
//! | `POST /sim/nodes/{node}/maintenance` | `enable=1\|0` | `ha-manager crm-command node-maintenance enable\|disable NODE` |
//! | `POST /sim/tasks/fail-next` | `type`, `error` | the next task of that type fails with `error` |
//! | `POST /sim/clock/advance` | `seconds` | jump simulated time ahead |
//! | `POST /sim/tokens` | `id` (`USER@REALM!NAME`), `secret`, `privs` (`/=VM.Audit;/vms/101=VM.PowerMgmt`) | a token holding only those privileges |
//! | `POST /sim/incoming` | `vmid`, `node`, `config` (JSON), `running`, `upid` | a remote migration's handover, from the source simulator (in place of the websocket tunnel) |

use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};

use super::Shared;
use super::http::{ApiError, authenticate};
use super::world::Power;

pub fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let mut s = shared
        .lock()
        .map_err(|_| ApiError::fail("simulator state poisoned"))?;
    authenticate(&s, method, headers)?;
    s.sync();
    let param = |name: &str| super::http::param(params, name);
    let required = |name: &str| {
        param(name)
            .ok_or_else(|| ApiError::param(name, "property is missing and it is not optional"))
    };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["state"]) => {
            let w = &s.world;
            Ok(json!({
                "now": w.now,
                "speed": s.clock.speed(),
                "quorate": u8::from(w.quorate()),
                "nodes": w.nodes.iter().map(|n| json!({
                    "node": n.name(),
                    "power": match n.power { Power::On => "on", Power::Off => "off", Power::Booting { .. } => "booting", Power::ShuttingDown { .. } => "shutting-down" },
                    "online": u8::from(n.online()),
                    "maintenance": u8::from(w.ha.maintenance.contains(n.name())),
                })).collect::<Vec<_>>(),
                "running_tasks": w.tasks.iter().filter(|t| t.running()).count(),
                "faults": format!("{:?}", w.faults),
            }))
        }
        ("GET", ["writes"]) => Ok(json!(
            s.writes
                .iter()
                .map(|(m, p, status)| json!({ "method": m, "path": p, "status": status }))
                .collect::<Vec<_>>()
        )),
        ("DELETE", ["writes"]) => {
            s.writes.clear();
            Ok(Value::Null)
        }
        ("POST", ["faults"]) => {
            let spec = required("spec")?.to_string();
            s.world
                .faults
                .apply_spec(&spec)
                .map_err(|e| ApiError::param("spec", e))?;
            for node in std::mem::take(&mut s.world.faults.power_off) {
                if let Some(n) = s.world.node_mut(&node) {
                    n.def.online = false;
                }
                s.world.power_off(&node);
            }
            Ok(Value::Null)
        }
        ("DELETE", ["faults"]) => {
            s.world.faults.clear_request_faults();
            Ok(Value::Null)
        }
        ("POST", ["tickets", "expire"]) => {
            let key: [u8; 32] = rand::Rng::random(&mut s.rng);
            s.auth.rotate_key(key);
            Ok(Value::Null)
        }
        ("POST", ["nodes", node, "power"]) => {
            if s.world.node(node).is_none() {
                return Err(ApiError::fail(format!("no such node '{node}'")));
            }
            match required("state")? {
                "off" => {
                    if let Some(n) = s.world.node_mut(node) {
                        n.def.online = false;
                    }
                    s.world.power_off(node);
                }
                "on" => {
                    if let Some(n) = s.world.node_mut(node) {
                        n.def.online = true;
                    }
                    s.world.power_on(node);
                }
                other => {
                    return Err(ApiError::param(
                        "state",
                        format!(
                            "value '{other}' does not have a value in the enumeration 'on, off'"
                        ),
                    ));
                }
            }
            s.sync();
            Ok(Value::Null)
        }
        ("POST", ["nodes", node, "maintenance"]) => {
            if s.world.node(node).is_none() {
                return Err(ApiError::fail(format!("no such node '{node}'")));
            }
            // `action=enable|disable`, as ha-manager's crm-command says it, or `enable=1|0`.
            let enable = match params.iter().rev().find(|(k, _)| k == "action") {
                Some((_, a)) if a == "enable" => true,
                Some((_, a)) if a == "disable" => false,
                Some((_, a)) => {
                    return Err(ApiError::param(
                        "action",
                        format!(
                            "value '{a}' does not have a value in the enumeration 'enable, disable'"
                        ),
                    ));
                }
                None => rack_pve::de::bool_of(&json!(required("enable")?)).unwrap_or(false),
            };
            if enable {
                s.world.ha.maintenance.insert(node.to_string());
            } else {
                s.world.ha.maintenance.remove(*node);
            }
            s.sync();
            Ok(Value::Null)
        }
        ("POST", ["tasks", "fail-next"]) => {
            let kind = required("type")?.to_string();
            let error = required("error")?.to_string();
            s.world.faults.fail_next.insert(kind, error);
            Ok(Value::Null)
        }
        ("POST", ["incoming"]) => super::remote::arrive(&mut s.world, params),
        ("POST", ["tokens"]) => {
            let id = required("id")?.to_string();
            if !id.contains('@') || !id.contains('!') {
                return Err(ApiError::param("id", "not USER@REALM!NAME"));
            }
            let secret = required("secret")?.to_string();
            let grants = super::access::parse_grants(required("privs")?)
                .map_err(|e| ApiError::param("privs", e))?;
            s.auth.tokens.insert(id.clone(), secret);
            s.auth.restricted.insert(id, grants);
            Ok(Value::Null)
        }
        ("POST", ["clock", "advance"]) => {
            let seconds: f64 = required("seconds")?
                .parse()
                .map_err(|_| ApiError::param("seconds", "type check ('number') failed"))?;
            s.clock.advance(seconds);
            s.sync();
            Ok(json!({ "now": s.world.now }))
        }
        _ => Err(ApiError::new(
            501,
            format!("Method '{method} /sim{path}' not implemented"),
        )),
    }
}
