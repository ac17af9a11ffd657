//! A write in words, from its method, path and parameters: `start VM 101 on pve1`.

/// The request as a person says it; method and path when it is none rack knows.
pub fn describe(method: &str, path: &str, params: &[(&str, &str)]) -> String {
    let param = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let kind = |k: &str| if k == "lxc" { "CT" } else { "VM" };
    let said = match (method, parts.as_slice()) {
        ("POST", ["nodes", node, k @ ("qemu" | "lxc"), id, "status", verb]) => {
            Some(format!("{verb} {} {id} on {node}", kind(k)))
        }
        ("POST", ["nodes", node, k @ ("qemu" | "lxc"), id, "migrate"]) => Some(format!(
            "migrate {} {id} from {node} to {}",
            kind(k),
            param("target").unwrap_or("?")
        )),
        (
            "POST",
            [
                "cluster",
                "ha",
                "resources",
                sid,
                how @ ("migrate" | "relocate"),
            ],
        ) => Some(format!(
            "{how} HA resource {sid} to {}",
            param("node").unwrap_or("?")
        )),
        ("POST", ["nodes", _, k @ ("qemu" | "lxc"), id, "snapshot"]) => Some(format!(
            "snapshot {} {id} as {}",
            kind(k),
            param("snapname").unwrap_or("?")
        )),
        (
            "POST",
            [
                "nodes",
                _,
                k @ ("qemu" | "lxc"),
                id,
                "snapshot",
                name,
                "rollback",
            ],
        ) => Some(format!("roll {} {id} back to snapshot {name}", kind(k))),
        ("DELETE", ["nodes", _, k @ ("qemu" | "lxc"), id, "snapshot", name]) => {
            Some(format!("delete snapshot {name} of {} {id}", kind(k)))
        }
        ("DELETE", ["nodes", node, k @ ("qemu" | "lxc"), id]) => {
            Some(format!("destroy {} {id} on {node}", kind(k)))
        }
        ("POST", ["nodes", node, k @ ("qemu" | "lxc"), id, "clone"]) => Some(format!(
            "clone {} {id} as {} on {}",
            kind(k),
            param("newid").unwrap_or("?"),
            param("target").unwrap_or(node)
        )),
        ("POST", ["nodes", node, k @ ("qemu" | "lxc")]) => {
            let id = param("vmid").unwrap_or("?");
            Some(
                match param(if *k == "lxc" { "ostemplate" } else { "archive" }) {
                    Some(from) if from.contains("backup") || from.contains("vzdump") => {
                        format!("restore {} {id} on {node} from {from}", kind(k))
                    }
                    _ => format!("create {} {id} on {node}", kind(k)),
                },
            )
        }
        ("POST", ["nodes", node, "vzdump"]) => Some(format!(
            "back up {} on {node}",
            param("vmid").unwrap_or("guests")
        )),
        ("POST", ["nodes", node, "wakeonlan"]) => Some(format!("wake node {node}")),
        ("POST", ["nodes", node, "status"]) => Some(format!(
            "{} node {node}",
            param("command").unwrap_or("power")
        )),
        ("POST", ["nodes", node, "apt", "update"]) => {
            Some(format!("refresh the package lists of {node}"))
        }
        ("DELETE", ["nodes", _, "tasks", upid]) => Some(format!("stop task {upid}")),
        ("PUT", ["cluster", "ceph", "flags"]) => Some(
            params
                .iter()
                .map(|(flag, on)| {
                    let how = if *on == "1" { "set" } else { "unset" };
                    format!("{how} Ceph flag {flag}")
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    };
    said.filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{method} {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_said_in_words() {
        assert_eq!(
            describe("POST", "/nodes/pve1/qemu/101/status/start", &[]),
            "start VM 101 on pve1"
        );
        assert_eq!(
            describe("POST", "/nodes/pve1/lxc/200/migrate", &[("target", "pve2")]),
            "migrate CT 200 from pve1 to pve2"
        );
        assert_eq!(
            describe("PUT", "/cluster/ceph/flags", &[("noout", "1")]),
            "set Ceph flag noout"
        );
        assert_eq!(
            describe("POST", "/nodes/pve1/qemu", &[("vmid", "130")]),
            "create VM 130 on pve1"
        );
        assert_eq!(
            describe("PUT", "/cluster/options", &[]),
            "PUT /cluster/options"
        );
    }
}
