//! `GET /nodes/{node}/syslog`: the node's journal as pve-common's `dump_journal` pages it —
//! `journalctl -o short`, oldest first, lines numbered from 1, `start` and `limit` (50), the
//! count of all lines as `total`, `since`/`until` (`YYYY-MM-DD[ HH:MM[:SS]]`) and `service`.
//! What the simulated node logs: its boot, and the tasks run on it as pvedaemon logs them.

use serde_json::{Value, json};

use super::Call;
use crate::calendar::civil_from_days;
use crate::http::ApiError;

pub fn paged_route(
    c: &mut Call,
    method: &str,
    path: &str,
) -> Option<Result<(Value, usize), ApiError>> {
    Some(match (method, path) {
        ("GET", "/nodes/{node}/syslog") => syslog(c),
        _ => return None,
    })
}

/// `Nov 21 05:03:20`, as `journalctl -o short` stamps a line (UTC here).
fn stamp(t: f64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.floor() as i64;
    let (_, month, day) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    let name = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{name} {day:02} {:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `2026-03-10`, `2026-03-10 10:00` or `2026-03-10 10:00:30` as Unix seconds (UTC).
fn date_time(text: &str) -> Option<f64> {
    let (date, time) = text.split_once(' ').unwrap_or((text, "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (
        t.next()??,
        t.next().flatten().unwrap_or(0),
        t.next().flatten().unwrap_or(0),
    );
    // Days from the civil date (Howard Hinnant's algorithm, as the calendar uses it inverted).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + min * 60 + sec) as f64)
}

fn syslog(c: &Call) -> Result<(Value, usize), ApiError> {
    let node = c.node()?;
    let name = node.name().to_string();
    let w = c.world();
    let since = c.param("since").and_then(date_time);
    let until = c.param("until").and_then(date_time);
    let service = c.param("service");
    let mut lines: Vec<(f64, &str, u32, String)> = vec![(
        node.booted_at,
        "kernel",
        0,
        format!(
            "Linux version {} (build@proxmox) #1 SMP PREEMPT_DYNAMIC PMX",
            node.packages.running_kernel
        ),
    )];
    for t in w.tasks.iter().filter(|t| t.upid.node == name) {
        lines.push((
            t.start,
            "pvedaemon",
            t.upid.pid,
            format!("<{}> starting task {}", t.upid.user, t.upid),
        ));
        if t.done {
            let status = t.exitstatus.as_deref().unwrap_or("unknown");
            lines.push((
                t.end,
                "pvedaemon",
                t.upid.pid,
                format!("<{}> end task {} {status}", t.upid.user, t.upid),
            ));
        }
    }
    lines.retain(|(at, unit, _, _)| {
        *at <= w.now
            && since.is_none_or(|s| *at >= s)
            && until.is_none_or(|u| *at <= u)
            && service.is_none_or(|s| s == *unit)
    });
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let start = c.int("start").unwrap_or(0).max(0) as usize;
    let limit = match c.int("limit").unwrap_or(0).max(0) as usize {
        0 => 50,
        l => l,
    };
    let total = lines.len();
    let mut page: Vec<Value> = lines
        .into_iter()
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(i, (at, unit, pid, msg))| {
            let who = if pid > 0 {
                format!("{unit}[{pid}]")
            } else {
                unit.to_string()
            };
            json!({ "n": i + 1, "t": format!("{} {name} {who}: {msg}", stamp(at)) })
        })
        .collect();
    // dump_journal answers an empty journal with one line, for ExtJS's sake.
    if total == 0 {
        page.push(json!({ "n": 1, "t": "no content" }));
        return Ok((Value::Array(page), 1));
    }
    Ok((Value::Array(page), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_dates_read_and_print_as_journalctl_does() {
        let t = date_time("2026-03-10 10:00").unwrap();
        assert_eq!(t, 1_773_136_800.0);
        assert_eq!(date_time("2026-03-10").unwrap(), 1_773_100_800.0);
        assert_eq!(stamp(t + 5.0), "Mar 10 10:00:05");
    }
}
