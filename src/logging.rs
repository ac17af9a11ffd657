//! Where tracing goes: stderr for the headless verbs, a file for the console (whose screen stderr
//! would scribble over). `RACK_LOG` sets the filter (`warn` unless given).

use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::files;

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("RACK_LOG").unwrap_or_else(|_| EnvFilter::new("warn"))
}

/// The console's log file: `RACK_LOG_FILE`, or `rack.log` in the platform state directory
/// (`~/.local/state/rack/` on Linux).
pub fn file_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RACK_LOG_FILE") {
        return Some(PathBuf::from(path));
    }
    let dirs = directories::ProjectDirs::from("", "", "rack")?;
    let dir = dirs.state_dir().unwrap_or(dirs.data_local_dir());
    Some(dir.join("rack.log"))
}

/// Log to stderr, only when `RACK_LOG` asks for it: a script reads what went wrong as one
/// `error:` line each, not as a log.
pub fn to_stderr_if_asked() {
    if std::env::var_os("RACK_LOG").is_some() {
        to_stderr();
    }
}

/// Log to stderr.
pub fn to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter())
        .try_init();
}

/// Log to the console's file; without one, not at all. Returns the file used.
pub fn to_file() -> Option<PathBuf> {
    let path = file_path()?;
    let file = files::append_private(&path).ok()?;
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter())
        .try_init()
        .ok()?;
    Some(path)
}
