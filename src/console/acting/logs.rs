//! `l`: the log of what is selected — a node's journal (Hosts), the tasks that concerned a guest
//! (Instances), a task's own log (Tasks) — checked as Proxmox would before anything is read.

use crate::action::Pane;
use crate::actions::permissions;
use crate::model::HostStatus;
use crate::pve::endpoints::acl;

use super::super::log_view::{self, LogSource};
use super::super::model::{Level, Model};
use super::super::update::Effect;
use super::node_down;

pub fn logs(model: &mut Model, effects: &mut Vec<Effect>) {
    match source(model) {
        Ok(source) => log_view::open(model, model.current, source, effects),
        Err(why) => model.notify(Level::Error, format!("logs: {why}")),
    }
}

fn source(model: &Model) -> Result<LogSource, String> {
    let cluster = model.cluster().ok_or("no cluster")?;
    match model.pane {
        Pane::Hosts => {
            let host = model.selected_host().ok_or("select a node")?;
            if let Some(why) = node_down(model, &host.node) {
                return Err(format!("{why}: its journal cannot be read"));
            }
            let path = acl::node(&host.node);
            if let Some(perms) = model.snapshot().and_then(|s| s.permissions.get())
                && !permissions::holds(perms, "Sys.Syslog", &path)
            {
                return Err(format!("needs Sys.Syslog on {path}"));
            }
            Ok(LogSource::Syslog {
                node: host.node.clone(),
            })
        }
        Pane::Instances => {
            let guest = model.selected_instance().ok_or("select a guest")?;
            // A guest moves: its history is on every node it ran on.
            let nodes = cluster
                .hosts
                .iter()
                .filter(|h| matches!(h.status, HostStatus::Online | HostStatus::Maintenance))
                .map(|h| h.node.clone())
                .collect();
            Ok(LogSource::Guest {
                vmid: guest.vmid,
                name: guest.name.clone(),
                nodes,
            })
        }
        Pane::Tasks => {
            let task = model.tasks.selected_row().ok_or("select a task")?;
            let upid = task
                .upid
                .clone()
                .ok_or("this action has not started a task on the cluster (yet)")?;
            let node = upid.split(':').nth(1).unwrap_or_default().to_string();
            Ok(LogSource::Task {
                node,
                upid,
                what: task.what.clone(),
            })
        }
        _ => Err("in Hosts, Instances or Tasks (:log is the cluster's log)".into()),
    }
}
