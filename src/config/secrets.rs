//! Where a secret comes from: a file, an environment variable, a command, or (with a warning) the
//! config file itself. Resolved when a cluster is connected, never printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pve::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    Command(String),
    Inline(Secret),
}

impl SecretSource {
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
            SecretSource::Command(command) => {
                let output = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .output()
                    .map_err(|e| format!("cannot run secret command \"{command}\": {e}"))?;
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
        let dir = std::env::temp_dir().join(format!("rack-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s");
        std::fs::write(&file, "abc\n").unwrap();
        assert_eq!(
            SecretSource::File(file.clone()).resolve().unwrap().expose(),
            "abc"
        );
        let missing = SecretSource::File(dir.join("nope")).resolve().unwrap_err();
        assert!(missing.contains("nope"), "{missing}");
        assert_eq!(
            SecretSource::Command("echo xyz".into())
                .resolve()
                .unwrap()
                .expose(),
            "xyz"
        );
        let failed = SecretSource::Command("echo oops >&2; exit 3".into())
            .resolve()
            .unwrap_err();
        assert!(failed.contains("oops"), "{failed}");
        let unset = SecretSource::Env("RACK_TEST_SURELY_UNSET".into())
            .resolve()
            .unwrap_err();
        assert!(unset.contains("RACK_TEST_SURELY_UNSET"));
    }
}
