//! HA and quorum as the HA pane, the header and the hosts pane show them: corosync votes, the
//! CRM master, each node's LRM, each service with the rules that bind it, and each rule checked
//! against where its services run.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::rows::InstanceRow;
use super::snapshot::ClusterSnapshot;
use super::text::clean;
use crate::pve::types::{HaManagerStatus, HaResource, HaRule, HaStatusItem};

/// What the HA pane reads while it is open: the services' configuration and the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct HaConfig {
    pub resources: Vec<HaResource>,
    /// Rules (Proxmox VE 9); an older cluster has HA groups instead and answers with an error.
    pub rules: Result<Vec<HaRule>, String>,
}

/// Corosync votes: how many are present of how many configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Votes {
    pub present: u32,
    pub expected: u32,
}

impl Votes {
    /// Votes quorum needs: a strict majority.
    pub fn needed(self) -> u32 {
        self.expected / 2 + 1
    }

    /// Votes that may still be lost with quorum kept; negative without quorum.
    pub fn spare(self) -> i64 {
        i64::from(self.present) - i64::from(self.needed())
    }

    /// Quorum held by the last vote: one more node lost and it is gone.
    pub fn at_edge(self) -> bool {
        self.spare() == 0 && self.expected > 1
    }
}

/// Votes from /cluster/status (who is online) and corosync's node list (how many votes each
/// has, one when it was not read). `None` for a standalone node.
pub fn votes(snap: &ClusterSnapshot) -> Option<Votes> {
    let status = snap.status.get()?;
    status.iter().find(|i| i.kind == "cluster")?;
    let weights: BTreeMap<&str, u32> = snap
        .corosync
        .get()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n.node_name()?, n.quorum_votes.unwrap_or(1))))
        .collect();
    let mut votes = Votes {
        present: 0,
        expected: 0,
    };
    for node in status.iter().filter(|i| i.kind == "node") {
        let weight = weights.get(node.name.as_str()).copied().unwrap_or(1);
        votes.expected += weight;
        if node.online == Some(true) {
            votes.present += weight;
        }
    }
    Some(votes)
}

/// A node's LRM state in one word: `fence` when the CRM is fencing it, otherwise the state the
/// LRM's status text gives (`pve1 (active, Fri …)`): active, idle, maintenance, restart,
/// shutdown, or `dead?` when its timestamp is old.
pub fn lrm_label(status: Option<&str>, crm: Option<&str>) -> String {
    if let Some(crm @ ("fence" | "gone")) = crm {
        return crm.to_string();
    }
    let text = status.unwrap_or_default();
    let inner = text
        .split_once('(')
        .and_then(|(_, rest)| rest.split([',', ')']).next())
        .unwrap_or(text)
        .trim();
    if inner.contains("dead") {
        "dead?".into()
    } else if inner.starts_with("maintenance") {
        "maintenance".into()
    } else if inner.is_empty() || inner.starts_with("unable") {
        // No LRM has written a status (a standalone node, or HA never used): nothing is wrong.
        "no status".into()
    } else {
        clean(inner)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HaKind {
    Node,
    Service,
    Rule,
}

impl HaKind {
    pub fn label(self) -> &'static str {
        match self {
            HaKind::Node => "node",
            HaKind::Service => "service",
            HaKind::Rule => "rule",
        }
    }
}

/// How much a line asks for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Trouble,
    Busy,
    Fine,
    Off,
}

/// One row of the HA pane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HaRow {
    /// The cluster it is in (`rack get` prints it from its own field).
    #[serde(skip)]
    pub cluster: String,
    pub kind: HaKind,
    /// Node name, service id (`vm:104`) or rule id.
    pub name: String,
    /// LRM state, the CRM's service state, or `enabled`/`disabled`.
    pub state: String,
    /// The service's node.
    pub node: Option<String>,
    /// The guest's name (services).
    pub guest: Option<String>,
    pub vmid: Option<u32>,
    /// The rest in a few words.
    pub info: String,
    pub problems: Vec<String>,
    pub standing: Standing,
    /// Services on a node, rules binding a service, services a rule binds.
    pub related: Vec<String>,
    /// Facts for the detail, as (label, value); an object in JSON.
    #[serde(serialize_with = "as_object")]
    pub facts: Vec<(String, String)>,
}

fn as_object<S: serde::Serializer>(facts: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(facts.iter().map(|(k, v)| (k, v)))
}

impl HaRow {
    /// What the filter matches.
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.kind.label(),
            self.name,
            self.state,
            self.node.as_deref().unwrap_or_default(),
            self.guest.as_deref().unwrap_or_default(),
            self.info,
            self.problems.join(" ")
        )
    }
}

fn vmid_of(sid: &str) -> Option<u32> {
    sid.split_once(':')?.1.parse().ok()
}

fn members(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(clean)
        .collect()
}

/// `node1:2,node2` -> [(node1, 2), (node2, 0)].
fn priorities(nodes: Option<&str>) -> Vec<(String, i64)> {
    members(nodes)
        .into_iter()
        .map(|entry| match entry.split_once(':') {
            Some((n, p)) => (n.trim().to_string(), p.trim().parse().unwrap_or(0)),
            None => (entry, 0),
        })
        .collect()
}

/// What a service's CRM state means, when it is worth saying, and how it stands.
fn service_meaning(state: &str, node: &str) -> (Standing, Option<String>) {
    match state {
        "fence" => (
            Standing::Trouble,
            Some(format!(
                "{node} is lost: waiting for it to be fenced, then recovered elsewhere"
            )),
        ),
        "recovery" => (
            Standing::Trouble,
            Some("being recovered onto another node".into()),
        ),
        "error" => (
            Standing::Trouble,
            Some(
                "in error: the HA manager gave up; fix the cause, then request disabled and started again"
                    .into(),
            ),
        ),
        "freeze" => (
            Standing::Busy,
            Some(format!(
                "frozen while {node}'s LRM restarts or shuts down"
            )),
        ),
        "starting" | "migrate" | "relocate" | "request_stop" | "stopping" | "queued" => {
            (Standing::Busy, None)
        }
        "ignored" | "disabled" => (Standing::Off, None),
        _ => (Standing::Fine, None),
    }
}

/// The rows of the HA pane: nodes, services and rules, those in trouble first.
pub fn lines(snap: &ClusterSnapshot, instances: &[InstanceRow]) -> Vec<HaRow> {
    let status: &[HaStatusItem] = snap.ha.get().map(Vec::as_slice).unwrap_or_default();
    let manager = snap.ha_manager.get();
    let config = snap.ha_config.get();
    let rules: &[HaRule] = config
        .and_then(|c| c.rules.as_ref().ok())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let resources = config.map(|c| c.resources.as_slice()).unwrap_or_default();
    let services = services(status, resources, instances);
    let (mut out, broken) = rule_lines(rules, &services);
    out.extend(service_lines(&services, rules, &broken, instances));
    out.extend(node_lines(status, manager, &services));
    out.sort_by(|a, b| {
        (a.standing != Standing::Trouble, a.kind, &a.name).cmp(&(
            b.standing != Standing::Trouble,
            b.kind,
            &b.name,
        ))
    });
    out
}

/// A service as the status and its configuration tell of it.
struct Service {
    sid: String,
    node: String,
    state: String,
    request: Option<String>,
    max_restart: Option<u32>,
    max_relocate: Option<u32>,
    failback: Option<bool>,
    config: Option<HaResource>,
}

/// Services by id: the status's entries, with configured ones it does not list added.
fn services(
    status: &[HaStatusItem],
    resources: &[HaResource],
    instances: &[InstanceRow],
) -> BTreeMap<String, Service> {
    let mut services: BTreeMap<String, Service> = BTreeMap::new();
    for item in status.iter().filter(|i| i.kind == "service") {
        let Some(sid) = item.sid.as_deref().map(clean) else {
            continue;
        };
        services.insert(
            sid.clone(),
            Service {
                sid,
                node: clean(item.node.as_deref().unwrap_or_default()),
                state: clean(
                    item.crm_state
                        .as_deref()
                        .or(item.state.as_deref())
                        .unwrap_or("?"),
                ),
                request: item.request_state.as_deref().map(clean),
                max_restart: item.max_restart,
                max_relocate: item.max_relocate,
                failback: item.failback,
                config: None,
            },
        );
    }
    for r in resources {
        let sid = clean(&r.sid);
        let entry = services.entry(sid.clone()).or_insert_with(|| Service {
            sid,
            node: instances
                .iter()
                .find(|i| Some(i.vmid) == vmid_of(&r.sid))
                .map(|i| i.node.clone())
                .unwrap_or_default(),
            state: "?".into(),
            request: None,
            max_restart: None,
            max_relocate: None,
            failback: None,
            config: None,
        });
        entry.request = entry.request.take().or(r.state.as_deref().map(clean));
        entry.max_restart = entry.max_restart.or(r.max_restart);
        entry.max_relocate = entry.max_relocate.or(r.max_relocate);
        entry.failback = entry.failback.or(r.failback);
        entry.config = Some(r.clone());
    }
    services
}

/// Each rule, checked against where its services run; and the problems found, by service.
fn rule_lines(
    rules: &[HaRule],
    services: &BTreeMap<String, Service>,
) -> (Vec<HaRow>, BTreeMap<String, Vec<String>>) {
    let node_of: BTreeMap<&str, &str> = services
        .values()
        .map(|s| (s.sid.as_str(), s.node.as_str()))
        .collect();
    let mut service_problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for rule in rules {
        let id = clean(&rule.rule);
        let bound = members(rule.resources.as_deref());
        let enabled = rule.disable != Some(true);
        let mut problems = Vec::new();
        let placed: Vec<(&str, &str)> = bound
            .iter()
            .filter_map(|s| {
                node_of
                    .get(s.as_str())
                    .filter(|n| !n.is_empty())
                    .map(|n| (s.as_str(), *n))
            })
            .collect();
        let info = match rule.kind.as_str() {
            "node-affinity" => {
                let prio = priorities(rule.nodes.as_deref());
                let strict = rule.strict == Some(true);
                if enabled && strict {
                    for (sid, node) in &placed {
                        if !prio.iter().any(|(n, _)| n == node) {
                            let p = format!(
                                "{sid} runs on {node}, which strict rule {id} does not allow"
                            );
                            service_problems
                                .entry(sid.to_string())
                                .or_default()
                                .push(p.clone());
                            problems.push(p);
                        }
                    }
                }
                format!(
                    "{} {}",
                    if strict { "only on" } else { "prefers" },
                    members(rule.nodes.as_deref()).join(", ")
                )
            }
            "resource-affinity" => {
                let apart = rule.affinity.as_deref() == Some("negative");
                let mut by_node: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                for (sid, node) in &placed {
                    by_node.entry(node).or_default().push(sid);
                }
                if enabled && apart {
                    for (node, sids) in by_node.iter().filter(|(_, s)| s.len() > 1) {
                        let p = format!(
                            "{} share {node}, which rule {id} keeps apart",
                            sids.join(" and ")
                        );
                        for sid in sids {
                            service_problems
                                .entry(sid.to_string())
                                .or_default()
                                .push(p.clone());
                        }
                        problems.push(p);
                    }
                } else if enabled && by_node.len() > 1 {
                    let nodes: Vec<&str> = by_node.keys().copied().collect();
                    let p = format!(
                        "kept together by rule {id} but spread over {}",
                        nodes.join(", ")
                    );
                    for (sid, _) in &placed {
                        service_problems
                            .entry(sid.to_string())
                            .or_default()
                            .push(p.clone());
                    }
                    problems.push(p);
                }
                (if apart {
                    "keeps apart"
                } else {
                    "keeps together"
                })
                .to_string()
            }
            other => clean(other),
        };
        let mut facts = vec![("type".to_string(), clean(&rule.kind))];
        if let Some(n) = &rule.nodes {
            facts.push(("nodes".into(), clean(n)));
        }
        if let Some(s) = rule.strict {
            facts.push(("strict".into(), if s { "yes" } else { "no" }.into()));
        }
        if let Some(a) = &rule.affinity {
            facts.push(("affinity".into(), clean(a)));
        }
        if let Some(c) = &rule.comment {
            facts.push(("comment".into(), clean(c)));
        }
        out.push(HaRow {
            cluster: String::new(),
            kind: HaKind::Rule,
            name: id,
            state: if enabled { "enabled" } else { "disabled" }.into(),
            node: None,
            guest: None,
            vmid: None,
            info: format!("{info} · {}", bound.join(", ")),
            standing: if !problems.is_empty() {
                Standing::Trouble
            } else if enabled {
                Standing::Fine
            } else {
                Standing::Off
            },
            problems,
            related: bound,
            facts,
        });
    }

    (out, service_problems)
}

fn service_lines(
    services: &BTreeMap<String, Service>,
    rules: &[HaRule],
    service_problems: &BTreeMap<String, Vec<String>>,
    instances: &[InstanceRow],
) -> Vec<HaRow> {
    let name_of = |vmid: u32| {
        instances
            .iter()
            .find(|i| i.vmid == vmid)
            .map(|i| i.name.clone())
    };
    let mut out = Vec::new();
    for s in services.values() {
        let (mut standing, meaning) = service_meaning(&s.state, &s.node);
        let mut problems: Vec<String> = meaning.into_iter().collect();
        if s.state == "?" {
            problems.push("configured, but the HA manager's status does not list it".into());
            standing = Standing::Trouble;
        }
        if let Some(p) = service_problems.get(&s.sid) {
            problems.extend(p.iter().cloned());
            standing = Standing::Trouble;
        }
        let binding: Vec<String> = rules
            .iter()
            .filter(|r| members(r.resources.as_deref()).contains(&s.sid))
            .map(|r| clean(&r.rule))
            .collect();
        let vmid = vmid_of(&s.sid);
        let guest = vmid.and_then(name_of);
        let mut info = Vec::new();
        if let Some(r) = s.request.as_ref().filter(|r| **r != s.state) {
            info.push(format!("requested {r}"));
        }
        if !binding.is_empty() {
            info.push(binding.join(", "));
        }
        if let Some(c) = s.config.as_ref().and_then(|c| c.comment.as_deref()) {
            info.push(clean(c));
        }
        let mut facts = Vec::new();
        if let Some(r) = &s.request {
            facts.push(("requested".to_string(), r.clone()));
        }
        if let Some(n) = s.max_restart {
            facts.push(("max restart".into(), n.to_string()));
        }
        if let Some(n) = s.max_relocate {
            facts.push(("max relocate".into(), n.to_string()));
        }
        if let Some(f) = s.failback {
            facts.push(("failback".into(), if f { "yes" } else { "no" }.into()));
        }
        if let Some(g) = s.config.as_ref().and_then(|c| c.group.as_deref()) {
            facts.push(("group".into(), clean(g)));
        }
        if let Some(c) = s.config.as_ref().and_then(|c| c.comment.as_deref()) {
            facts.push(("comment".into(), clean(c)));
        }
        out.push(HaRow {
            cluster: String::new(),
            kind: HaKind::Service,
            name: s.sid.clone(),
            state: s.state.clone(),
            node: (!s.node.is_empty()).then(|| s.node.clone()),
            guest,
            vmid,
            info: info.join(" · "),
            problems,
            standing,
            related: binding,
            facts,
        });
    }

    out
}

/// Every LRM the status lists, and nodes only the CRM knows of.
fn node_lines(
    status: &[HaStatusItem],
    manager: Option<&HaManagerStatus>,
    services: &BTreeMap<String, Service>,
) -> Vec<HaRow> {
    let master = status
        .iter()
        .find(|i| i.kind == "master")
        .and_then(|i| i.node.clone())
        .or_else(|| manager.and_then(|m| m.master.clone()));
    let mut out = Vec::new();
    let mut nodes: BTreeSet<String> = status
        .iter()
        .filter(|i| i.kind == "lrm")
        .filter_map(|i| i.node.as_deref().map(clean))
        .collect();
    nodes.extend(
        manager
            .into_iter()
            .flat_map(|m| m.node_status.keys().map(|n| clean(n))),
    );
    for node in nodes {
        let lrm = status
            .iter()
            .find(|i| i.kind == "lrm" && i.node.as_deref().map(clean).as_deref() == Some(&node));
        let crm = manager
            .and_then(|m| m.node_status.get(&node))
            .map(|s| clean(s));
        let state = lrm_label(lrm.and_then(|l| l.status.as_deref()), crm.as_deref());
        let on_it: Vec<String> = services
            .values()
            .filter(|s| s.node == node)
            .map(|s| s.sid.clone())
            .collect();
        let mut problems = Vec::new();
        match (crm.as_deref(), state.as_str()) {
            (Some("fence"), _) => problems.push(
                "being fenced: its services are recovered once the HA manager holds its lock"
                    .into(),
            ),
            (Some("unknown"), _) | (_, "dead?") => problems.push(
                "the HA manager has lost it; its services are recovered elsewhere after fencing"
                    .into(),
            ),
            (Some("gone"), _) => problems.push("gone from the cluster".into()),
            _ => {}
        }
        let standing = if !problems.is_empty() {
            Standing::Trouble
        } else if state == "maintenance" {
            Standing::Busy
        } else {
            Standing::Fine
        };
        let mut info = Vec::new();
        if master.as_deref() == Some(node.as_str()) {
            info.push("CRM master".to_string());
        }
        if let Some(c) = crm.as_deref().filter(|c| *c != "online") {
            info.push(format!("CRM sees {c}"));
        }
        info.push(match on_it.len() {
            1 => "1 service".into(),
            n => format!("{n} services"),
        });
        let mut facts = Vec::new();
        if let Some(text) = lrm.and_then(|l| l.status.as_deref()) {
            facts.push(("LRM status".to_string(), clean(text)));
        }
        if let Some((mode, lrm_state)) = manager.and_then(|m| m.lrm.get(&node)) {
            facts.push(("LRM mode".into(), clean(mode)));
            facts.push(("LRM state".into(), clean(lrm_state)));
        }
        out.push(HaRow {
            cluster: String::new(),
            kind: HaKind::Node,
            name: node,
            state,
            node: None,
            guest: None,
            vmid: None,
            info: info.join(" · "),
            problems,
            standing,
            related: on_it,
            facts,
        });
    }
    out
}
#[cfg(test)]
mod tests;
