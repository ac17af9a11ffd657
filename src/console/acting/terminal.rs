//! `:shell`, `:console`, `:terms`: what terminal to open, checked as Proxmox would (the node up,
//! the guest running, `Sys.Console` on the node or `VM.Console` on the guest) before anything is
//! sent.

use crate::actions::permissions;
use crate::model::GuestKind;
use crate::pve::client::Target;
use crate::pve::endpoints::acl;

use super::super::model::{Level, Model};
use super::super::terminal;
use super::super::update::Effect;
use super::{no_serial_port, node_down};

/// `:shell [NODE]` (the selected host's), `:console [VMID]` (the selected guest's; a VM's
/// serial0), `:terms`, `:term N`.
pub fn terminal_command(model: &mut Model, word: &str, rest: &str, effects: &mut Vec<Effect>) {
    let opened = match word {
        "shell" => shell(model, rest),
        "console" => console(model, rest),
        _ => {
            terminal::list(model, rest);
            return;
        }
    };
    match opened {
        Ok((target, title)) => terminal::open(model, model.current, target, title, effects),
        Err(why) => model.notify(Level::Error, why),
    }
}

fn shell(model: &Model, rest: &str) -> Result<(Target, String), String> {
    let node = match rest {
        "" => model
            .selected_host()
            .map(|h| h.node.clone())
            .ok_or("shell: name a node (:shell NODE) or select one in Hosts")?,
        name => name.to_string(),
    };
    let cluster = model.cluster().ok_or("shell: no cluster")?;
    if !cluster.hosts.iter().any(|h| h.node == node) {
        return Err(format!(
            "shell: no node named \"{node}\" in {}",
            cluster.name
        ));
    }
    if let Some(why) = node_down(model, &node) {
        return Err(format!("shell: {why}"));
    }
    may(model, "Sys.Console", &acl::node(&node))?;
    let title = format!("shell {node}");
    Ok((
        Target::Node {
            node,
            upgrade: false,
        },
        title,
    ))
}

fn console(model: &Model, rest: &str) -> Result<(Target, String), String> {
    let cluster = model.cluster().ok_or("console: no cluster")?;
    let guest = match rest {
        "" => model
            .selected_instance()
            .ok_or("console: name a guest (:console VMID) or select one in Instances")?,
        vmid => {
            let vmid: u32 = vmid
                .parse()
                .map_err(|_| format!("console: \"{vmid}\" is not a VMID"))?;
            cluster
                .instances
                .iter()
                .find(|i| i.vmid == vmid)
                .ok_or_else(|| format!("console: no guest {vmid} in {}", cluster.name))?
        }
    };
    if guest.status != "running" {
        return Err(format!(
            "console: {} {} is {}: its console has nothing to show",
            guest.vmid, guest.name, guest.status
        ));
    }
    if let Some(why) = node_down(model, &guest.node) {
        return Err(format!("console: {why}"));
    }
    may(model, "VM.Console", &acl::vm(guest.vmid))?;
    // A VM's console here is its serial port: without one there is nothing to attach to.
    if no_serial_port(model, guest) {
        return Err(format!(
            "console: VM {} has no serial port: add one with `qm set {} --serial0 socket` (and a getty on ttyS0 in the guest), then restart it",
            guest.vmid, guest.vmid
        ));
    }
    let title = format!("console {} {}", guest.vmid, guest.name);
    let (node, vmid) = (guest.node.clone(), guest.vmid);
    let target = match guest.kind {
        GuestKind::Lxc => Target::Container { node, vmid },
        GuestKind::Qemu => Target::Serial {
            node,
            vmid,
            port: "serial0".into(),
        },
    };
    Ok((target, title))
}

/// Ok, or the privilege the credentials lack (as far as `/access/permissions` said).
fn may(model: &Model, privilege: &str, path: &str) -> Result<(), String> {
    match model.snapshot().and_then(|s| s.permissions.get()) {
        Some(perms) if !permissions::holds(perms, privilege, path) => {
            Err(format!("needs {privilege} on {path}"))
        }
        _ => Ok(()),
    }
}
