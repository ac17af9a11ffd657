//! Work done on a node through its shell, as a person at the web UI's Shell would: Proxmox's own
//! upgrade (`termproxy` with `cmd=upgrade`: `pveupgrade --shell`, apt-get dist-upgrade answered
//! yes, dpkg's questions answered with their default) and a single command in a root shell (the
//! walkthrough's `ha-manager crm-command` when no command template is configured). Both need a
//! root shell: Proxmox runs them only for root@pam logged in with a password.

use std::time::Duration;

use crate::config::{AuthConfig, ClusterConfig};
use crate::pve::Client;
use crate::pve::client::{Target, Terminal};

/// How long an upgrade may take before rack stops waiting.
const UPGRADE_LIMIT: Duration = Duration::from_secs(2 * 3600);
/// How long a command in the shell may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// The client whose terminals are root shells on a cluster whose own client is `client`: the
/// `[clusters.shell]` login, or the cluster's own login, when it is root@pam with a password
/// (Proxmox gives a root shell to nobody else); None otherwise.
pub async fn root_client(
    config: &ClusterConfig,
    client: &Client,
) -> Result<Option<Client>, String> {
    let login = config.shell.as_ref().unwrap_or(&config.auth);
    if !matches!(login, AuthConfig::Password { user, .. } if user == "root@pam") {
        return Ok(None);
    }
    if config.shell.is_none() {
        return Ok(Some(client.clone()));
    }
    let config = config.clone();
    // Resolving the password may run a command: not on the runtime's threads.
    let options = tokio::task::spawn_blocking(move || config.terminal_options())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("shell login: {e}"))?;
    Client::new(options).map(Some).map_err(|e| e.to_string())
}

/// Run `pveupgrade` on `node`: Ok with its verdict ("Your System is up-to-date", and the
/// kernel hint when one was installed), or Err with what went wrong in its words.
pub async fn upgrade(client: &Client, node: &str) -> Result<String, String> {
    let term = open(client, node, true).await?;
    tokio::time::timeout(UPGRADE_LIMIT, converse_upgrade(term))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "pveupgrade did not end within {} minutes: rack stopped waiting (a question nobody answered?); look at the node",
                UPGRADE_LIMIT.as_secs() / 60
            ))
        })
}

/// The node's shell (`upgrade`: Proxmox's pveupgrade instead), sized for reading its output.
async fn open(client: &Client, node: &str, upgrade: bool) -> Result<Terminal, String> {
    let target = Target::Node {
        node: node.to_string(),
        upgrade,
    };
    let mut term = client
        .open_terminal(&target)
        .await
        .map_err(|e| e.proxmox_text())?;
    let _ = term.writer.resize(200, 50).await;
    Ok(term)
}

async fn converse_upgrade(term: Terminal) -> Result<String, String> {
    let Terminal {
        mut writer,
        mut reader,
        ..
    } = term;
    let mut text = String::new();
    let mut answered = 0usize;
    let mut left = false;
    while let Some(chunk) = reader.next().await {
        let chunk = chunk.map_err(|e| format!("the upgrade's terminal failed: {e}"))?;
        text.push_str(&plain(&chunk));
        if asks_login(&text) && !text.contains("Starting system upgrade") {
            writer.close().await;
            return Err(
                "the terminal login is not root@pam: Proxmox runs pveupgrade only for root@pam with a password ([clusters.shell])".into(),
            );
        }
        // apt's question, and dpkg's about changed config files (keep the node's: the default).
        let asked = text.matches("[Y/n]").count() + text.matches("[default=N] ?").count();
        while answered < asked {
            let reply: &[u8] = if text.matches("[Y/n]").count() > answered {
                b"y\r"
            } else {
                b"\r"
            };
            writer.input(reply).await.map_err(|e| e.to_string())?;
            answered += 1;
        }
        if !left && text.contains("starting shell") {
            left = true;
            writer.input(b"exit\r").await.map_err(|e| e.to_string())?;
        }
    }
    verdict(&text)
}

/// What pveupgrade's last words mean.
fn verdict(text: &str) -> Result<String, String> {
    if text.contains("Your package database is out of date") {
        return Err(
            "the node's package lists are out of date: refresh them (apt update) first".into(),
        );
    }
    if let Some(line) = text.lines().find(|l| l.starts_with("E: ")) {
        return Err(format!("apt-get: {}", line.trim_start_matches("E: ")));
    }
    if text.contains("\nAbort.") {
        return Err("apt-get dist-upgrade was aborted".into());
    }
    if let Some(line) = text
        .lines()
        .find(|l| l.starts_with("System not fully up to date"))
    {
        return Err(line.trim().to_string());
    }
    if !text.contains("Your System is up-to-date") {
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!(
            "pveupgrade ended before it said the system is up to date: {last}"
        ));
    }
    let mut said = "the system is up to date".to_string();
    if text.contains("Seems you installed a kernel update") {
        said.push_str("; a kernel update was installed: the reboot boots it");
    }
    Ok(said)
}

/// Run one command in a root shell on `node`: Ok with what it printed (its exit status is not
/// told: the caller checks what the command was to change).
pub async fn run(client: &Client, node: &str, command: &str) -> Result<String, String> {
    let term = open(client, node, false).await?;
    tokio::time::timeout(COMMAND_LIMIT, converse_command(term, command))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "`{command}` did not end within {} s",
                COMMAND_LIMIT.as_secs()
            ))
        })
}

/// `/bin/login`'s prompt at the end (not a "Last login: …" line above a root shell).
fn asks_login(text: &str) -> bool {
    text.trim_end().ends_with("login:")
}

fn at_prompt(text: &str) -> bool {
    text.ends_with("# ") || text.ends_with("$ ")
}

/// Wait for the prompt, type the command, wait for the prompt again, leave.
async fn converse_command(term: Terminal, command: &str) -> Result<String, String> {
    let Terminal {
        mut writer,
        mut reader,
        ..
    } = term;
    let mut text = String::new();
    let mut sent_at: Option<usize> = None;
    while let Some(chunk) = reader.next().await {
        let chunk = chunk.map_err(|e| format!("the node's shell failed: {e}"))?;
        text.push_str(&plain(&chunk));
        match sent_at {
            None if asks_login(&text) => {
                writer.close().await;
                return Err(
                    "the terminal login is not root@pam: Proxmox gives a root shell only to root@pam with a password ([clusters.shell])".into(),
                );
            }
            None if at_prompt(&text) => {
                sent_at = Some(text.len());
                let line = format!("{command}\r");
                writer
                    .input(line.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Some(at) if at_prompt(&text) && text[at..].contains('\n') => {
                // Between the echo of the line and the new prompt: what it printed.
                let after = &text[at..];
                let mut lines: Vec<&str> = after.lines().skip(1).collect();
                lines.pop();
                let _ = writer.input(b"exit\r").await;
                writer.close().await;
                return Ok(lines.join("\n").trim().to_string());
            }
            _ => {}
        }
    }
    Err(format!("the shell closed before `{command}` ended"))
}

/// Terminal output as plain text: escape sequences and carriage returns dropped.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI: ESC [ … final byte in @–~; others: ESC and one more.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pveupgrade_s_last_words_are_read() {
        let done = "Starting system upgrade: apt-get dist-upgrade\n...\nYour System is up-to-date\n\n\nSeems you installed a kernel update - Please consider rebooting\nstarting shell\n";
        assert_eq!(
            verdict(done),
            Ok(
                "the system is up to date; a kernel update was installed: the reboot boots it"
                    .into()
            )
        );
        assert!(verdict("\nYour package database is out of date. Please update that first.\n\nstarting shell\n")
            .unwrap_err()
            .contains("out of date"));
        assert_eq!(
            verdict("E: Could not get lock /var/lib/dpkg/lock-frontend\n"),
            Err("apt-get: Could not get lock /var/lib/dpkg/lock-frontend".into())
        );
        assert!(verdict("System not fully up to date (found 2 new packages)\n").is_err());
    }

    #[test]
    fn a_login_prompt_is_told_from_a_last_login_line() {
        assert!(asks_login("\npve1 login: "));
        assert!(!asks_login(
            "Last login: Tue Mar 10 09:00:01 CET 2026 from 10.0.0.9 on pts/0\nroot@pve1:~# "
        ));
    }

    #[test]
    fn escape_sequences_and_carriage_returns_go() {
        assert_eq!(plain(b"\x1b[1;32mok\x1b[0m\r\n"), "ok\n");
    }
}
