//! The simulated clusters `rack bench` measures against: each a `rack sim --scale` child process,
//! so that this process's memory and CPU are the console's alone, and the simulator's CPU can be
//! read apart.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::cmd::error::CmdError;
use crate::config::ClusterConfig;

/// A `rack sim` child, stopped when dropped.
pub struct SimChild {
    child: Child,
    url: String,
    fingerprint: Option<String>,
    token: String,
}

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SimChild {
    pub fn spawn(nodes: usize, guests: usize, seed: u64) -> Result<SimChild, CmdError> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find rack itself: {e}"))?;
        let mut child = Command::new(exe)
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--scale",
                &format!("{nodes}:{guests}"),
                "--seed",
                &seed.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the simulator has no output to read")?;
        let mut sim = SimChild {
            child,
            url: String::new(),
            fingerprint: None,
            token: String::new(),
        };
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.map_err(|e| format!("reading the simulator: {e}"))?;
            if let Some(v) = line.strip_prefix("url: ") {
                sim.url = v.to_string();
            } else if let Some(v) = line.strip_prefix("fingerprint: ") {
                sim.fingerprint = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("token: ") {
                sim.token = v.to_string();
            } else if line.starts_with("password: ") {
                break;
            }
        }
        // The rest of what it prints is read and dropped: a closed pipe would end it.
        std::thread::spawn(move || lines.for_each(drop));
        if sim.url.is_empty() || sim.token.is_empty() {
            return Err("the simulator did not say where it listens".into());
        }
        Ok(sim)
    }

    /// The cluster entry that reaches it, read-only.
    pub fn connection(&self, name: &str) -> Result<ClusterConfig, CmdError> {
        let (id, secret) = self
            .token
            .split_once('=')
            .ok_or("the simulator's token has no secret")?;
        Ok(ClusterConfig {
            read_only: true,
            timeout: Duration::from_secs(30),
            ..ClusterConfig::with_token(name, &self.url, id, secret, self.fingerprint.clone())
        })
    }

    /// CPU time the simulator has used so far.
    pub fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

/// CPU time (user and system, all threads) of the process whose `stat` file this is.
pub fn cpu_of(stat: &str) -> Duration {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    // The command name may hold spaces; the fields after it are counted from its ')'.
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are the 14th and 15th fields; the state (3rd) is the first after ')'.
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / clock_ticks() as f64)
}

/// Clock ticks a second, as `getconf CLK_TCK` says (100 on Linux where it cannot be asked).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|t| t.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// (current, peak) resident memory of this process in bytes, where /proc tells.
pub fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
