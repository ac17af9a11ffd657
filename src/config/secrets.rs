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
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretSource::File(path) => {
                let path = expand_home(path);
                let text = std::fs::read_to_string(&path).map_err(|e| SecretError::File {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
                non_empty(text.trim_end_matches(['\n', '\r']), || {
                    SecretError::EmptyFile(path.clone())
                })
            }
            SecretSource::Env(name) => {
                let value = std::env::var(name).map_err(|_| SecretError::EnvUnset(name.clone()))?;
                non_empty(value.trim_end_matches(['\n', '\r']), || {
                    SecretError::EnvEmpty(name.clone())
                })
            }
            SecretSource::Command { command, timeout } => {
                let output = run_within(command, *timeout)?;
                if !output.status.success() {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let first = stderr.lines().next().unwrap_or_default();
                    return Err(SecretError::CommandFailed {
                        command: command.clone(),
                        status: output.status.to_string(),
                        first_line: first.to_string(),
                    });
                }
                let stdout = String::from_utf8_lossy(&output.stdout);
                non_empty(stdout.trim_end_matches(['\n', '\r']), || {
                    SecretError::CommandSilent(command.clone())
                })
            }
            SecretSource::Inline(secret) => Ok(secret.clone()),
        }
    }
}

/// Why a secret could not be read: where it was to come from, never what it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read secret file {}: {why}", path.display())]
    File { path: PathBuf, why: String },
    #[error("secret file {} is empty", .0.display())]
    EmptyFile(PathBuf),
    #[error("environment variable {0} is not set")]
    EnvUnset(String),
    #[error("environment variable {0} is empty")]
    EnvEmpty(String),
    #[error("cannot run secret command \"{command}\": {why}")]
    CommandStart { command: String, why: String },
    #[error("secret command \"{command}\": {why}")]
    CommandWait { command: String, why: String },
    #[error(
        "secret command \"{command}\" did not finish within {seconds} s (secret_command_timeout)"
    )]
    CommandTimeout { command: String, seconds: f64 },
    #[error("secret command \"{command}\" failed ({status}): {first_line}")]
    CommandFailed {
        command: String,
        status: String,
        first_line: String,
    },
    #[error("secret command \"{0}\" printed nothing")]
    CommandSilent(String),
}

/// Run `command` with `sh -c`, killed once `timeout` has passed.
fn run_within(command: &str, timeout: Duration) -> Result<std::process::Output, SecretError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SecretError::CommandStart {
            command: command.to_string(),
            why: e.to_string(),
        })?;
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
                return Err(SecretError::CommandTimeout {
                    command: command.to_string(),
                    seconds: timeout.as_secs_f64(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(SecretError::CommandWait {
                    command: command.to_string(),
                    why: e.to_string(),
                });
            }
        }
    };
    Ok(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn non_empty(text: &str, empty: impl FnOnce() -> SecretError) -> Result<Secret, SecretError> {
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
        let missing = SecretSource::File(dir.join("nope"))
            .resolve()
            .unwrap_err()
            .to_string();
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
        .unwrap_err()
        .to_string();
        assert_eq!(
            hung,
            "secret command \"sleep 30\" did not finish within 0.2 s (secret_command_timeout)"
        );
        let failed = SecretSource::Command {
            command: "echo oops >&2; exit 3".into(),
            timeout: Duration::from_secs(10),
        }
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(failed.contains("oops"), "{failed}");
        let unset = SecretSource::Env("RACK_TEST_SURELY_UNSET".into())
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(unset.contains("RACK_TEST_SURELY_UNSET"));
    }
}
