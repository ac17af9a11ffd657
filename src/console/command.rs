//! The `:` command line: panes by name (with a filter), clusters, terminals, maintenance, help,
//! errors, quit.

use super::acting;
use super::cluster_pick::{ClusterPicker, find};
use super::dialog::Dialog;
use super::fleet;
use super::model::{Level, Model};
use super::update::{Effect, refresh, set_filter, show, switch_cluster};
use crate::action::Pane;
use crate::model::GuestKind;
use crate::model::text::duration;

/// `:hosts`, `:vm node:pve1`, `:cluster lab`, `:q` …
pub fn run(model: &mut Model, line: &str, effects: &mut Vec<Effect>) {
    let line = line.trim().trim_start_matches(':');
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    let pane_kind = match word {
        "hosts" | "host" | "nodes" | "node" => Some((Pane::Hosts, None)),
        "instances" | "instance" | "guests" | "i" => Some((Pane::Instances, None)),
        "vm" | "vms" | "qemu" => Some((Pane::Instances, Some(GuestKind::Qemu))),
        "ct" | "cts" | "lxc" => Some((Pane::Instances, Some(GuestKind::Lxc))),
        "devices" | "dev" => Some((Pane::Devices, None)),
        "networks" | "net" => Some((Pane::Networks, None)),
        "ceph" => Some((Pane::Ceph, None)),
        "backups" | "backup" => Some((Pane::Backups, None)),
        "tasks" | "task" => Some((Pane::Tasks, None)),
        "ha" => Some((Pane::Ha, None)),
        "audit" => Some((Pane::Audit, None)),
        "log" | "events" => Some((Pane::Log, None)),
        _ => None,
    };
    if let Some((pane, kind)) = pane_kind {
        show(model, pane, kind);
        if !rest.is_empty() {
            set_filter(model, rest);
        }
    } else {
        match word {
            "" => {}
            "q" | "q!" | "quit" | "exit" => model.quit = true,
            "help" => {
                model.help = true;
                model.help_page = 0;
            }
            "refresh" => refresh(model, effects),
            "all" => fleet::enter(model),
            "maintenance" | "maint" => {
                acting::maintenance(model, Some(rest).filter(|r| !r.is_empty()), effects)
            }
            "errors" | "err" => errors_notice(model),
            "shell" | "console" | "terms" | "term" => {
                acting::terminal_command(model, word, rest, effects)
            }
            "cluster" | "ctx" => {
                if rest.is_empty() {
                    model.dialog = Some(Dialog::Clusters(ClusterPicker::new(model)));
                    return;
                }
                let names: Vec<&str> = model.clusters.iter().map(|c| c.name.as_str()).collect();
                match find(&names, rest) {
                    Ok(index) => switch_cluster(model, index),
                    Err(why) => model.notify(Level::Error, why),
                }
            }
            other => model.notify(
                Level::Error,
                format!(
                    "unknown command \":{other}\"; try :hosts :instances :vm :ct :devices :networks :ceph :backups :tasks :ha :shell :console :terms :cluster NAME :all :errors :q"
                ),
            ),
        }
    }
}

/// `:errors`: what failed lately on each cluster, newest first.
fn errors_notice(model: &mut Model) {
    let mut parts = Vec::new();
    for c in &model.clusters {
        let Some(snap) = c.snapshot.as_deref() else {
            continue;
        };
        let stats = &snap.stats;
        if stats.recent_errors.is_empty() {
            continue;
        }
        let latest: Vec<String> = stats
            .recent_errors
            .iter()
            .take(3)
            .map(|(ago, what)| format!("{} ago {what}", duration(*ago)))
            .collect();
        parts.push(format!(
            "{}: {} in 5 min — {}",
            c.name,
            stats.errors,
            latest.join(" · ")
        ));
    }
    if parts.is_empty() {
        model.notify(Level::Info, "no errors in the last 5 minutes");
    } else {
        model.notify(Level::Warn, parts.join("; "));
    }
}
