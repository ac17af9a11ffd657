//! Files only their owner reads, as ssh insists on for a private key: a secret file, or a
//! config file holding a secret, that others can read is refused (unless
//! `allow_shared_secrets = true`); a config file others can write is refused; what rack
//! itself writes (journal, audit log, log file, config edits) is created 0600 in directories
//! created 0700, whatever the umask.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a file's permissions are refused, with the command that fixes them.
pub fn too_open(path: &Path, secret: bool) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        let who = if mode & 0o002 != 0 {
            "others"
        } else {
            "its group"
        };
        return Some(format!(
            "{} is writable by {who} (mode {mode:04o}): they could change where rack connects, what it trusts and what it runs; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    if secret && mode & 0o077 != 0 {
        return Some(format!(
            "{} holds a secret and is readable by {} (mode {mode:04o}); run `chmod 600 {}` (or set allow_shared_secrets = true)",
            path.display(),
            if mode & 0o007 != 0 {
                "others"
            } else {
                "its group"
            },
            path.display()
        ));
    }
    None
}

/// A directory for rack's own files, created 0700 (with its missing parents).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // `mode` is filtered by the umask; say it again so a umask of 000 or 077 changes nothing.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Open `path` for appending, created 0600 (in a 0700 directory) when it is new.
pub fn append_private(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let existed = path.exists();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    if !existed {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Replace `path` with `text` in one step (a temporary file renamed over it), 0600, so a crash
/// leaves the old file or the new one, never half of one. A symlink is followed to the file it
/// names, which is replaced (the link stays); the temporary file is new, never one that was
/// there.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    private_dir(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let temp = dir.join(format!(".{name}.rack-{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&temp)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_modes_are_refused_with_the_fix() {
        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("token");
        std::fs::write(&file, "x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let said = too_open(&file, true).unwrap();
        assert!(said.contains("readable by others (mode 0644)"), "{said}");
        assert!(
            said.contains(&format!("chmod 600 {}", file.display())),
            "{said}"
        );
        assert_eq!(too_open(&file, false), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(too_open(&file, true).unwrap().contains("by its group"));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(
            too_open(&file, false)
                .unwrap()
                .contains("writable by others (mode 0666)")
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(too_open(&file, true), None);
    }

    #[test]
    fn created_files_are_private_whatever_the_umask() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("a/b");
        let file = dir.join("journal.jsonl");
        // The umask is the process's: this test sets none, the tmux test runs under 000.
        append_private(&file).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let config = scratch.path().join("c/config.toml");
        write_private(&config, "x = 1\n").unwrap();
        assert_eq!(std::fs::metadata(&config).unwrap().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&config).unwrap(), "x = 1\n");
    }
}
