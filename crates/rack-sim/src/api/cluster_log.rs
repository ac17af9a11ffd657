//! `GET /cluster/log`: the cluster log as pmxcfs keeps it, newest first. What the simulated
//! cluster logs there are its tasks, as pvedaemon's workers log them: "starting task UPID" when
//! one starts and "end task UPID STATUS" when it ends (an error at priority 3).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Call;
use crate::http::ApiError;

/// pmxcfs's default when `max` is not given.
const DEFAULT_MAX: usize = 50;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/cluster/log") => Ok(log(c)),
        _ => return None,
    })
}

fn log(c: &Call) -> Value {
    let w = c.world();
    let now = w.now;
    let max = c
        .int("max")
        .and_then(|m| usize::try_from(m).ok())
        .filter(|m| *m > 0)
        .unwrap_or(DEFAULT_MAX);
    let mut entries: Vec<(f64, u8, String, &crate::tasks::Task)> = Vec::new();
    for t in &w.tasks {
        if t.start <= now {
            entries.push((t.start, 6, format!("starting task {}", t.upid), t));
        }
        if t.done && t.end <= now {
            let status = t.exitstatus.as_deref().unwrap_or("unknown");
            let ok = status == "OK" || status.starts_with("WARNINGS");
            entries.push((
                t.end,
                if ok { 6 } else { 3 },
                format!("end task {} {status}", t.upid),
                t,
            ));
        }
    }
    entries.sort_by(|a, b| b.0.total_cmp(&a.0));
    Value::Array(
        entries
            .into_iter()
            .take(max)
            .map(|(time, pri, msg, t)| {
                // pmxcfs numbers entries itself; a digest of what is logged keeps the number
                // the same from one read to the next.
                let digest = Sha256::digest(format!("{time}{msg}").as_bytes());
                let uid = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
                json!({
                    "uid": uid, "time": time.floor() as i64, "pri": pri, "tag": "pvedaemon",
                    "pid": t.upid.pid, "node": t.upid.node, "user": t.upid.user, "msg": msg,
                    "id": format!("{uid}:{}", t.upid.node),
                })
            })
            .collect(),
    )
}
