//! `[clusters.ssh]`: how the SSH handoff key reaches a node or a guest — the program, its
//! options, and who logs in (a role's `ssh_user`, or the guest's cloud-init user, come first for
//! a guest).

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSsh {
    command: Option<Spanned<String>>,
    #[serde(default)]
    options: Vec<String>,
    node_user: Option<Spanned<String>>,
    guest_user: Option<Spanned<String>>,
}

/// How to ssh into a cluster's machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfig {
    /// The program run (`ssh` from `PATH` unless named).
    pub command: String,
    /// Arguments given before the destination (`-J jump`, `-o …`).
    pub options: Vec<String>,
    /// Who logs in to a node.
    pub node_user: String,
    /// Who logs in to a guest that has no role's `ssh_user` nor a cloud-init user; None: ssh's
    /// own default (your local user, or `~/.ssh/config`).
    pub guest_user: Option<String>,
}

impl Default for SshConfig {
    fn default() -> Self {
        Self {
            command: "ssh".into(),
            options: Vec::new(),
            node_user: "root".into(),
            guest_user: None,
        }
    }
}

/// A user name ssh takes: no spaces, no `@`, no shell characters, nothing that reads as an
/// option.
pub fn valid_user(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn user_name(text: &Spanned<String>, key: &str, at: &At) -> Result<String, ConfigError> {
    let name = text.get_ref().trim();
    if valid_user(name) {
        Ok(name.to_string())
    } else {
        Err(at(
            text.span().start,
            key,
            format!("\"{name}\" is not a user name ssh takes (letters, digits, . _ -)"),
        ))
    }
}

pub(super) fn check_ssh(c: &RawCluster, at: &At) -> Result<SshConfig, ConfigError> {
    let Some(raw) = &c.ssh else {
        return Ok(SshConfig::default());
    };
    let mut ssh = SshConfig::default();
    if let Some(command) = &raw.command {
        let text = command.get_ref().trim();
        if text.is_empty() {
            return Err(at(
                command.span().start,
                "ssh.command",
                "expected a program, such as \"ssh\" or \"/usr/bin/ssh\"".into(),
            ));
        }
        ssh.command = text.to_string();
    }
    ssh.options = raw.options.clone();
    if let Some(u) = &raw.node_user {
        ssh.node_user = user_name(u, "ssh.node_user", at)?;
    }
    if let Some(u) = &raw.guest_user {
        ssh.guest_user = Some(user_name(u, "ssh.guest_user", at)?);
    }
    Ok(ssh)
}
