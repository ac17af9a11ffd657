//! Where a secret comes from: a file, an environment variable, a command, or (with a warning) the
//! config file itself. Resolved when a cluster is connected, never printed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::pve::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    /// A shell command that prints the secret, and how long it may take (a hung password
    /// manager must not leave the console blank or a script waiting for ever).
    Command {
        command: String,
        timeout: Duration,
    },
    Inline(Secret),
}

impl SecretSource {
    /// Whether reading it runs a command (which may take a while).
    pub fn is_command(&self) -> bool {
        matches!(self, SecretSource::Command { .. })
    }

    /// Read the secret. The error says where from, never what.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            SecretSource::File(path) => {
                let path = expand_home(path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
                non_empty(text.trim_end_matches(['\n', '\r']), || {
                    format!("secret file {} is empty", path.display())
                })
            }
            SecretSource::Env(name) => {
                let value = std::env::var(name)
                    .map_err(|_| format!("environment variable {name} is not set"))?;
                non_empty(value.trim_end_matches(['\n', '\r']), || {
                    format!("environment variable {name} is empty")
                })
            }
            SecretSource::Command { command, timeout } => {
                let output = run_within(command, *timeout)?;
                if !output.status.success() {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let first = stderr.lines().next().unwrap_or_default();
                    return Err(format!(
                        "secret command \"{command}\" failed ({}): {first}",
                        output.status
                    ));
                }
                let stdout = String::from_utf8_lossy(&output.stdout);
                non_empty(stdout.trim_end_matches(['\n', '\r']), || {
                    format!("secret command \"{command}\" printed nothing")
                })
            }
            SecretSource::Inline(secret) => Ok(secret.clone()),
        }
    }
}

/// Run `command` with `sh -c`, killed once `timeout` has passed.
fn run_within(command: &str, timeout: Duration) -> Result<std::process::Output, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run secret command \"{command}\": {e}"))?;
    // Read both pipes while it runs, so a chatty command cannot fill one and stall.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "secret command \"{command}\" did not finish within {} s (secret_command_timeout)",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("secret command \"{command}\": {e}")),
        }
    };
    Ok(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn non_empty(text: &str, empty: impl FnOnce() -> String) -> Result<Secret, String> {
    if text.is_empty() {
        Err(empty())
    } else {
        Ok(Secret::new(text))
    }
}

/// `~/x` is relative to the home directory, as a user writing a config expects.
pub fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), directories::BaseDirs::new()) {
        (Ok(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_resolve_and_fail_with_where() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let file = dir.join("s");
        std::fs::write(&file, "abc\n").unwrap();
        assert_eq!(
            SecretSource::File(file.clone()).resolve().unwrap().expose(),
            "abc"
        );
        let missing = SecretSource::File(dir.join("nope")).resolve().unwrap_err();
        assert!(missing.contains("nope"), "{missing}");
        assert_eq!(
            SecretSource::Command {
                command: "echo xyz".into(),
                timeout: Duration::from_secs(10)
            }
            .resolve()
            .unwrap()
            .expose(),
            "xyz"
        );
        let hung = SecretSource::Command {
            command: "sleep 30".into(),
            timeout: Duration::from_millis(200),
        }
        .resolve()
        .unwrap_err();
        assert_eq!(
            hung,
            "secret command \"sleep 30\" did not finish within 0.2 s (secret_command_timeout)"
        );
        let failed = SecretSource::Command {
            command: "echo oops >&2; exit 3".into(),
            timeout: Duration::from_secs(10),
        }
        .resolve()
        .unwrap_err();
        assert!(failed.contains("oops"), "{failed}");
        let unset = SecretSource::Env("RACK_TEST_SURELY_UNSET".into())
            .resolve()
            .unwrap_err();
        assert!(unset.contains("RACK_TEST_SURELY_UNSET"));
    }
}
