//! `o`: hand the terminal to `ssh` into the selected node (as `[clusters.ssh]`'s `node_user`, at
//! the address corosync knows it by) or guest (as its role's `ssh_user`, its cloud-init user or
//! the cluster's `guest_user`, at the address its agent reported). The app suspends the console
//! while ssh runs and resumes it after.

use std::net::IpAddr;

use crate::action::Pane;
use crate::config::valid_user;
use crate::model::{GuestKind, InstanceRow, text};

use super::super::model::{Level, Model};
use super::super::update::Effect;
use super::node_down;

pub fn ssh(model: &mut Model, effects: &mut Vec<Effect>) {
    match command(model) {
        Ok(argv) => effects.push(Effect::Handoff(argv)),
        Err(why) => model.notify(Level::Error, format!("ssh: {why}")),
    }
}

/// The address ssh goes to for a guest: the first reachable one its agent (or its interfaces)
/// reported; else why there is none, in a few words.
pub fn address_of(model: &Model, guest: &InstanceRow) -> Result<String, String> {
    match model.snapshot().and_then(|s| s.addresses.get(&guest.vmid)) {
        Some(a) => a.primary().ok_or_else(|| a.why_none().unwrap_or_default()),
        None if guest.status != "running" => Err("not running".into()),
        None => Err(match guest.kind {
            GuestKind::Qemu => "not read yet from its guest agent; try again in a moment".into(),
            GuestKind::Lxc => "not read yet from its interfaces; try again in a moment".into(),
        }),
    }
}

/// The command line: the program, the configured options, then `[user@]address`.
pub fn command(model: &Model) -> Result<Vec<String>, String> {
    let cluster = model.cluster().ok_or("no cluster")?;
    let config = &cluster.ssh;
    let (user, address) = match model.pane {
        Pane::Hosts => {
            let host = model.selected_host().ok_or("select a node")?;
            if let Some(why) = node_down(model, &host.node) {
                return Err(why);
            }
            let address = model
                .snapshot()
                .and_then(|s| s.status.get())
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| i.kind == "node" && i.name == host.node)
                        .and_then(|i| i.ip.clone())
                })
                .ok_or_else(|| format!("the cluster has not said {}'s address", host.node))?;
            (Some(config.node_user.clone()), address)
        }
        Pane::Instances => {
            let guest = model.selected_instance().ok_or("select a guest")?;
            let address = address_of(model, guest).map_err(|why| {
                format!("no address known for {} {}: {why}", guest.vmid, guest.name)
            })?;
            let ciuser = model
                .snapshot()
                .and_then(|s| s.guests.get(&guest.vmid))
                .and_then(|d| d.config.get())
                .and_then(|c| c.get("ciuser"))
                .map(str::to_string);
            let role = model.placement.role_of(&guest.tags);
            let user = role
                .and_then(|r| r.ssh_user.clone().or_else(|| r.ciuser.clone()))
                .or(ciuser)
                .or_else(|| config.guest_user.clone());
            (user, address)
        }
        _ => return Err("select a node (Hosts) or a guest (Instances)".into()),
    };
    // What came from the API (a guest's agent says what it likes) is an IP address and a plain
    // user name, or nothing is run: never a host name, a URL or an option.
    let address = text::clean(&address);
    if address.parse::<IpAddr>().is_err() {
        return Err(format!("\"{address}\" is not an IP address"));
    }
    let user = match user.map(|u| text::clean(&u)) {
        Some(u) if !valid_user(&u) => {
            return Err(format!("\"{u}\" is not a user name ssh takes"));
        }
        user => user,
    };
    let mut argv = vec![config.command.clone()];
    argv.extend(config.options.iter().cloned());
    argv.push(match user {
        Some(user) => format!("{user}@{address}"),
        None => address,
    });
    Ok(argv)
}
