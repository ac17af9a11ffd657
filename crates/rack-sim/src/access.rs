//! Privileges in the simulation. root@pam and its tokens hold every privilege everywhere; tokens
//! made through `POST /sim/tokens` hold only what they were given, so tests and demos can see
//! Proxmox's "Permission check failed" and rack's disabled actions. Reads are not checked.

use std::collections::BTreeMap;

use super::http::ApiError;

/// Every privilege Proxmox VE 9 knows (root holds them all).
pub const ALL: &[&str] = &[
    "Datastore.Allocate",
    "Datastore.AllocateSpace",
    "Datastore.AllocateTemplate",
    "Datastore.Audit",
    "Group.Allocate",
    "Mapping.Audit",
    "Mapping.Modify",
    "Mapping.Use",
    "Permissions.Modify",
    "Pool.Allocate",
    "Pool.Audit",
    "Realm.Allocate",
    "Realm.AllocateUser",
    "SDN.Allocate",
    "SDN.Audit",
    "SDN.Use",
    "Sys.AccessNetwork",
    "Sys.Audit",
    "Sys.Console",
    "Sys.Incoming",
    "Sys.Modify",
    "Sys.PowerMgmt",
    "Sys.Syslog",
    "User.Modify",
    "VM.Allocate",
    "VM.Audit",
    "VM.Backup",
    "VM.Clone",
    "VM.Config.CDROM",
    "VM.Config.CPU",
    "VM.Config.Cloudinit",
    "VM.Config.Disk",
    "VM.Config.HWType",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.Console",
    "VM.GuestAgent.Audit",
    "VM.GuestAgent.FileRead",
    "VM.GuestAgent.FileSystemMgmt",
    "VM.GuestAgent.FileWrite",
    "VM.GuestAgent.Unrestricted",
    "VM.Migrate",
    "VM.PowerMgmt",
    "VM.Replicate",
    "VM.Snapshot",
    "VM.Snapshot.Rollback",
];

/// Path -> privileges, for one restricted principal. A privilege on a path holds on every path
/// below it (ACLs here always propagate).
pub type Grants = BTreeMap<String, Vec<String>>;

/// `"/=VM.Audit,Sys.Audit;/vms/101=VM.PowerMgmt"` into grants.
pub fn parse_grants(spec: &str) -> Result<Grants, String> {
    let mut grants = Grants::new();
    for item in spec.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (path, privs) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not PATH=PRIV,PRIV"))?;
        let path = path.trim();
        if !path.starts_with('/') {
            return Err(format!("path {path:?} does not start with '/'"));
        }
        let mut list = Vec::new();
        for p in privs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !ALL.contains(&p) {
                return Err(format!("{p:?} is not a privilege"));
            }
            list.push(p.to_string());
        }
        grants.entry(path.to_string()).or_default().extend(list);
    }
    Ok(grants)
}

/// Whether `grants` hold `privilege` on `path` (or on a path above it).
pub fn holds(grants: &Grants, privilege: &str, path: &str) -> bool {
    grants.iter().any(|(p, privs)| {
        let above = p == "/" || path == p || path.starts_with(&format!("{p}/"));
        above && privs.iter().any(|x| x == privilege)
    })
}

/// What a write needs, as Proxmox checks it: (privilege, path) pairs, all required. Reads are
/// filtered by what the caller may see instead, except the few Proxmox protects outright.
pub fn required(key: &str, vars: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    let var = |name: &str| vars.get(name).map(String::as_str).unwrap_or("");
    let vm = || format!("/vms/{}", var("vmid"));
    let (method, path) = key.split_once(' ').unwrap_or(("", key));
    if method == "GET" {
        // Listing upgrades may refresh apt's cache: Proxmox asks Sys.Modify for it.
        if path == "/nodes/{node}/apt/update" {
            return vec![("Sys.Modify", format!("/nodes/{}", var("node")))];
        }
        // The metrics export is checked outright (`check => ['perm', '/', ['Sys.Audit']]`).
        if path == "/cluster/metrics/export" {
            return vec![("Sys.Audit", "/".into())];
        }
        return Vec::new();
    }
    let guest = path
        .strip_prefix("/nodes/{node}/qemu")
        .or_else(|| path.strip_prefix("/nodes/{node}/lxc"));
    match (method, guest) {
        ("POST", Some("")) => vec![("VM.Allocate", vm())],
        ("DELETE", Some("/{vmid}")) => vec![("VM.Allocate", vm())],
        ("POST", Some("/{vmid}/clone")) => vec![("VM.Clone", vm())],
        ("POST", Some("/{vmid}/migrate")) => vec![("VM.Migrate", vm())],
        ("POST", Some("/{vmid}/remote_migrate")) => vec![("VM.Migrate", vm())],
        // The incoming side: a guest to create, and incoming migration allowed at all.
        ("POST", Some("/{vmid}/mtunnel")) => {
            vec![("VM.Allocate", vm()), ("Sys.Incoming", "/".into())]
        }
        ("POST", Some("/{vmid}/snapshot")) => vec![("VM.Snapshot", vm())],
        ("DELETE", Some("/{vmid}/snapshot/{snapname}")) => vec![("VM.Snapshot", vm())],
        ("POST", Some("/{vmid}/snapshot/{snapname}/rollback")) => {
            vec![("VM.Snapshot.Rollback", vm())]
        }
        ("POST", Some(p)) if p.starts_with("/{vmid}/status/") => vec![("VM.PowerMgmt", vm())],
        ("POST", Some("/{vmid}/termproxy")) => vec![("VM.Console", vm())],
        ("POST" | "PUT", Some("/{vmid}/config")) => vec![("VM.Config.Options", vm())],
        _ => match (method, path) {
            ("POST", "/nodes/{node}/termproxy") => {
                vec![("Sys.Console", format!("/nodes/{}", var("node")))]
            }
            ("POST", "/nodes/{node}/wakeonlan") => {
                vec![("Sys.PowerMgmt", format!("/nodes/{}", var("node")))]
            }
            ("POST", "/nodes/{node}/apt/update") => {
                vec![("Sys.Modify", format!("/nodes/{}", var("node")))]
            }
            ("POST", "/nodes/{node}/status") => {
                vec![("Sys.PowerMgmt", format!("/nodes/{}", var("node")))]
            }
            ("POST", "/nodes/{node}/vzdump") => vec![("VM.Backup", "/vms".to_string())],
            ("POST", p) if p.starts_with("/cluster/ha/") => vec![("Sys.Console", "/".into())],
            ("PUT", p) if p.starts_with("/cluster/ceph/") => vec![("Sys.Modify", "/".into())],
            _ => Vec::new(),
        },
    }
}

/// Proxmox's answer when a privilege is missing.
pub fn check(grants: &Grants, needs: &[(&str, String)]) -> Result<(), ApiError> {
    for (privilege, path) in needs {
        if !holds(grants, privilege, path) {
            return Err(ApiError::new(
                403,
                format!("Permission check failed ({path}, {privilege})"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_propagate_down_and_not_sideways() {
        let g = parse_grants("/=VM.Audit;/vms/101=VM.PowerMgmt").unwrap();
        assert!(holds(&g, "VM.Audit", "/vms/101"));
        assert!(holds(&g, "VM.PowerMgmt", "/vms/101"));
        assert!(!holds(&g, "VM.PowerMgmt", "/vms/1010"));
        assert!(!holds(&g, "VM.Migrate", "/vms/101"));
        assert!(parse_grants("/=VM.Fly").is_err());
    }
}
