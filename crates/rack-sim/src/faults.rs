//! Injected faults: what `--faults SPEC` and `POST /sim/faults` switch on.
//!
//! A spec is `;`-separated items:
//! - `latency=200ms` — every API request waits this long first
//! - `latency:NODE=2s` — requests for `/nodes/NODE/…` wait this long
//! - `errors=0.2` or `errors=0.2:503` — that share of API requests fail with 500 (or the status)
//! - `unreachable=NODE` — requests for `/nodes/NODE/…` fail as when the node cannot be reached
//! - `malformed=0.1` or `malformed=/cluster/resources` — that share of answers, or answers for
//!   paths starting with that prefix, are cut-off JSON
//! - `fail-requests=PATH:N` — the next N requests for paths starting with PATH fail with 500
//!   (a passing fault, deterministic: what a retry should ride out)
//! - `fail-task=TYPE:MESSAGE` — the next task of that type (`qmigrate`, `vzdump`, …) fails with
//!   MESSAGE
//! - `power-off=NODE` — the node is off from the start
//! - `absent=PATH` — paths starting with PATH answer 501 "not implemented", as on a Proxmox VE
//!   release without them (`absent=/cluster/metrics/export`: one older than August 2024)

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub latency: Option<Duration>,
    pub node_latency: BTreeMap<String, Duration>,
    pub error_rate: f64,
    pub error_status: u16,
    pub unreachable: BTreeSet<String>,
    pub malformed_rate: f64,
    pub malformed_paths: Vec<String>,
    /// Path prefix -> how many of its next requests fail.
    pub failing: Vec<(String, u32)>,
    /// Task type -> the error its next task ends with.
    pub fail_next: BTreeMap<String, String>,
    pub power_off: BTreeSet<String>,
    /// Path prefixes the simulated release does not have.
    pub absent: Vec<String>,
}

impl Faults {
    /// Parse a spec and add it to the faults in force.
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), String> {
        for item in spec.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("fault {item:?} is not KEY=VALUE"))?;
            let key = key.trim();
            let value = value.trim();
            match key {
                "latency" => self.latency = Some(parse_duration(value)?),
                _ if key.starts_with("latency:") => {
                    let node = &key["latency:".len()..];
                    self.node_latency
                        .insert(node.to_string(), parse_duration(value)?);
                }
                "errors" => {
                    let (rate, status) = value.split_once(':').unwrap_or((value, "500"));
                    self.error_rate = parse_share(rate)?;
                    self.error_status = status
                        .parse()
                        .ok()
                        .filter(|s| (400..600).contains(s))
                        .ok_or_else(|| format!("error status {status:?} is not 400-599"))?;
                }
                "unreachable" => {
                    self.unreachable.insert(value.to_string());
                }
                "malformed" => {
                    if value.starts_with('/') {
                        self.malformed_paths.push(value.to_string());
                    } else {
                        self.malformed_rate = parse_share(value)?;
                    }
                }
                "fail-requests" => {
                    let (path, count) = value
                        .rsplit_once(':')
                        .and_then(|(p, n)| Some((p, n.trim().parse::<u32>().ok()?)))
                        .filter(|(p, _)| p.starts_with('/'))
                        .ok_or_else(|| format!("fail-requests {value:?} is not PATH:COUNT"))?;
                    self.failing.push((path.to_string(), count));
                }
                "fail-task" => {
                    let (kind, message) = value
                        .split_once(':')
                        .ok_or_else(|| format!("fail-task {value:?} is not TYPE:MESSAGE"))?;
                    self.fail_next
                        .insert(kind.trim().to_string(), message.trim().to_string());
                }
                "power-off" => {
                    self.power_off.insert(value.to_string());
                }
                "absent" if value.starts_with('/') => self.absent.push(value.to_string()),
                other => return Err(format!("unknown fault {other:?}")),
            }
        }
        Ok(())
    }

    /// Whether a request for `path` fails now, as a `fail-requests` fault counts it down.
    pub fn take_failing(&mut self, path: &str) -> bool {
        match self
            .failing
            .iter_mut()
            .find(|(p, n)| *n > 0 && path.starts_with(p.as_str()))
        {
            Some((_, n)) => {
                *n -= 1;
                true
            }
            None => false,
        }
    }

    /// Forget request faults; pending task failures stay until used.
    pub fn clear_request_faults(&mut self) {
        let fail_next = std::mem::take(&mut self.fail_next);
        *self = Faults {
            fail_next,
            ..Faults::default()
        };
    }
}

fn parse_share(text: &str) -> Result<f64, String> {
    let share = match text.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("{text:?} is not a share like 0.2 or 20%"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("{text:?} is not between 0 and 1"))
    }
}

/// `200ms`, `2s`, `1.5s`, `1m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = || format!("{text:?} is not a duration like 200ms, 2s or 1m");
    let (num, mult) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = num.trim().parse().map_err(|_| err())?;
    if !(0.0..=3600.0).contains(&(value * mult)) {
        return Err(err());
    }
    Ok(Duration::from_secs_f64(value * mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let mut f = Faults::default();
        f.apply_spec("latency=200ms; latency:pve2=2s; errors=0.25:503; unreachable=pve3; malformed=/cluster/resources; malformed=10%; fail-task=qmigrate:migration aborted; power-off=pve3")
            .unwrap();
        assert_eq!(f.latency, Some(Duration::from_millis(200)));
        assert_eq!(f.node_latency["pve2"], Duration::from_secs(2));
        assert_eq!((f.error_rate, f.error_status), (0.25, 503));
        assert!(f.unreachable.contains("pve3"));
        assert_eq!(f.malformed_paths, vec!["/cluster/resources"]);
        assert_eq!(f.malformed_rate, 0.1);
        assert_eq!(f.fail_next["qmigrate"], "migration aborted");
        assert!(f.power_off.contains("pve3"));
    }

    #[test]
    fn rejects_bad_specs() {
        let mut f = Faults::default();
        assert!(f.apply_spec("latency=fast").is_err());
        assert!(f.apply_spec("errors=2").is_err());
        assert!(f.apply_spec("bogus=1").is_err());
        assert!(f.apply_spec("fail-task=qmstart").is_err());
    }
}
