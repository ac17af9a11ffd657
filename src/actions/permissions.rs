//! What the token or user may do, from one `GET /access/permissions`: a request is allowed when
//! every privilege it needs is held on its ACL path or on a path above it. Pure.

use crate::pve::types::Permissions;

use super::request::Request;

/// Ok, or what is missing, in the words the UI shows: "needs VM.Migrate on /vms/101".
pub fn check(perms: &Permissions, request: &Request) -> Result<(), String> {
    let missing: Vec<String> = request
        .needs()
        .into_iter()
        .filter(|(privilege, path)| !holds(perms, privilege, path))
        .map(|(privilege, path)| format!("{privilege} on {path}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("needs {}", missing.join(" and ")))
    }
}

/// The most specific listed path at or above `path` decides, as Proxmox's ACL propagation does
/// for the common case of propagating ACLs.
pub fn holds(perms: &Permissions, privilege: &str, path: &str) -> bool {
    let mut best: Option<(&str, &Vec<String>)> = None;
    for (p, privs) in &perms.0 {
        let above = p == "/" || p == path || path.starts_with(&format!("{p}/"));
        if above && best.is_none_or(|(b, _)| p.len() > b.len()) {
            best = Some((p, privs));
        }
    }
    best.is_some_and(|(_, privs)| privs.iter().any(|x| x == privilege))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::request::GuestRef;
    use crate::model::GuestKind;

    #[test]
    fn names_the_missing_privilege_and_path() {
        let perms: Permissions = serde_json::from_str(
            r#"{"/": {"VM.Audit": 1, "Sys.Audit": 1}, "/vms/101": {"VM.PowerMgmt": 0}}"#,
        )
        .unwrap();
        let guest = GuestRef {
            node: "pve1".into(),
            kind: GuestKind::Qemu,
            vmid: 101,
            name: String::new(),
        };
        assert_eq!(
            check(
                &perms,
                &Request::Start {
                    guest: guest.clone()
                }
            ),
            Ok(())
        );
        let migrate = Request::Migrate {
            guest,
            target: "pve2".into(),
            online: true,
            with_local_disks: false,
            ha: false,
        };
        assert_eq!(
            check(&perms, &migrate),
            Err("needs VM.Migrate on /vms/101".into())
        );
    }
}
