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

/// A stable pid for a daemon of a node (which it kept since boot).
fn pid_of(node: &str, daemon: u32) -> u32 {
    let hash = node.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    1000 + (hash % 900) + daemon * 37
}

/// What the node's daemons log by themselves: their start at boot, and over the last two days
/// (as much as the simulated journal keeps of the routine) the hourly cron run, pveproxy's
/// worker recycling and, in a cluster, pmxcfs's daily check.
fn daemons(
    node: &str,
    booted: f64,
    now: f64,
    clustered: bool,
) -> Vec<(f64, &'static str, u32, String)> {
    let mut out = Vec::new();
    let starts: [(&str, &str); 6] = [
        (
            "pmxcfs",
            "Started pve-cluster.service - The Proxmox VE cluster filesystem.",
        ),
        ("pvedaemon", "Started pvedaemon.service - PVE API Daemon."),
        (
            "pveproxy",
            "Started pveproxy.service - PVE API Proxy Server.",
        ),
        ("pvestatd", "Started pvestatd.service - PVE Status Daemon."),
        (
            "pve-ha-lrm",
            "Started pve-ha-lrm.service - PVE Local HA Resource Manager Daemon.",
        ),
        (
            "pvescheduler",
            "Started pvescheduler.service - Proxmox VE scheduler.",
        ),
    ];
    for (i, (_, text)) in starts.iter().enumerate() {
        out.push((booted + 8.0 + i as f64, "systemd", 1, (*text).to_string()));
    }
    if clustered {
        out.push((
            booted + 9.0,
            "corosync",
            pid_of(node, 3),
            "[QUORUM] This node is within the primary component and will provide service.".into(),
        ));
    }
    let from = booted.max(now - 2.0 * 86_400.0);
    let hour = 3600.0;
    // Debian's hourly cron runs at :17.
    let mut t = (from / hour).floor() * hour + 17.0 * 60.0;
    while t <= now {
        if t >= from {
            out.push((
                t,
                "CRON",
                pid_of(node, 100 + (t / hour) as u32 % 500),
                "(root) CMD (cd / && run-parts --report /etc/cron.hourly)".into(),
            ));
        }
        t += hour;
    }
    // A pveproxy worker retires after its share of requests; here about every 90 minutes.
    let every = 5400.0 + f64::from(pid_of(node, 0) % 1200);
    let mut t = (from / every).floor() * every + every;
    let mut worker = pid_of(node, 7) * 10;
    while t <= now {
        let proxy = pid_of(node, 2);
        out.push((t, "pveproxy", proxy, format!("worker {worker} finished")));
        out.push((t, "pveproxy", proxy, "starting 1 worker(s)".into()));
        worker += 13;
        out.push((t, "pveproxy", proxy, format!("worker {worker} started")));
        t += every;
    }
    if clustered {
        let day = 86_400.0;
        let mut t = (from / day).floor() * day + 2.0 * hour + f64::from(pid_of(node, 1) % 3600);
        while t <= now {
            if t >= from {
                out.push((
                    t,
                    "pmxcfs",
                    pid_of(node, 1),
                    "[dcdb] notice: data verification successful".into(),
                ));
            }
            t += day;
        }
    }
    out
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
    lines.extend(daemons(
        &name,
        node.booted_at,
        w.now,
        w.cluster_name.is_some(),
    ));
    if let Some((down, up)) = node.last_outage
        && w.cluster_name.is_some()
    {
        // What the others' corosync said of it is in their journals; its own shows the rejoin.
        lines.push((
            up + 20.0,
            "corosync",
            pid_of(&name, 3),
            format!(
                "[QUORUM] Members joined again after {:.0} s away; this node is quorate",
                up - down
            ),
        ));
    }
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
