//! How far a task has got, read from its log as Proxmox writes it: storage and memory transfer
//! of migrations, vzdump's percentages, clone copies, restores. Pure; the tasks pane draws it as a gauge.

use super::text::size_bytes;

/// The last progress line of a log, understood.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// 0.0 to 1.0.
    pub fraction: f64,
    /// "12.0 GiB of 32.0 GiB".
    pub amount: Option<String>,
    /// What is being moved: "disk scsi0", "memory", "backup", "copy".
    pub phase: String,
}

/// Progress from the log's lines, the latest that says anything.
pub fn of_log<'a>(lines: impl DoubleEndedIterator<Item = &'a str>) -> Option<Progress> {
    lines.rev().find_map(of_line)
}

fn of_line(line: &str) -> Option<Progress> {
    // Migration and clone lines start with a timestamp ("2026-11-21 10:00:01 …"); drop it.
    let text = strip_stamp(line);
    if let Some(rest) = text.strip_prefix("migration active, transferred ") {
        // "migration active, transferred 2.0 GiB of 8.0 GiB VM-state, 1.1 GiB/s"
        let (done, total) = of_pair(rest.split(" VM-state").next()?)?;
        return Some(Progress {
            fraction: ratio(done.1, total.1),
            amount: Some(format!("{} of {}", done.0, total.0)),
            phase: "memory".into(),
        });
    }
    if text.starts_with("migration status: completed") {
        return Some(Progress {
            fraction: 1.0,
            amount: None,
            phase: "memory".into(),
        });
    }
    if let Some(info) = text.strip_prefix("INFO:") {
        // vzdump: "INFO:  42% (13.4 GiB of 32.0 GiB) in 10s, read: …"
        let info = info.trim_start();
        let (pct, rest) = info.split_once('%')?;
        let pct: f64 = pct.trim().parse().ok()?;
        let amount = rest
            .trim_start()
            .strip_prefix('(')
            .and_then(|r| r.split_once(')'))
            .map(|(a, _)| a.to_string());
        return Some(Progress {
            fraction: (pct / 100.0).clamp(0.0, 1.0),
            amount,
            phase: "backup".into(),
        });
    }
    // qmrestore / vzrestore: "progress 42% (read 13421772800 bytes, duration 10 sec)".
    if let Some(rest) = text.strip_prefix("progress ") {
        let (pct, rest) = rest.split_once('%')?;
        let pct: f64 = pct.trim().parse().ok()?;
        let read = rest
            .trim_start()
            .strip_prefix("(read ")
            .and_then(|r| r.split_once(' '))
            .and_then(|(n, _)| n.parse::<u64>().ok());
        return Some(Progress {
            fraction: (pct / 100.0).clamp(0.0, 1.0),
            amount: read.map(|n| format!("{} read", super::text::bytes(n))),
            phase: "restore".into(),
        });
    }
    // "drive-scsi0: transferred 1.0 GiB of 32.0 GiB (3.13%) in 4s", "scsi0: transferred …",
    // clone: "transferred 3.2 GiB of 32.0 GiB (10.00%)".
    let (head, rest) = match text.find("transferred ") {
        Some(0) => ("", &text["transferred ".len()..]),
        Some(i) => (text[..i].trim_end().trim_end_matches(':'), &text[i + 12..]),
        None => return None,
    };
    let amount_text = rest.split(" (").next()?;
    let pct = rest
        .split_once('(')
        .and_then(|(_, r)| r.split_once('%'))
        .and_then(|(p, _)| p.trim().parse::<f64>().ok());
    let pair = of_pair(amount_text);
    let fraction = match (pct, &pair) {
        (Some(p), _) => p / 100.0,
        (None, Some((done, total))) => ratio(done.1, total.1),
        (None, None) => return None,
    };
    let disk = head.trim_start_matches("drive-");
    Some(Progress {
        fraction: fraction.clamp(0.0, 1.0),
        amount: pair.map(|(d, t)| format!("{} of {}", d.0, t.0)),
        phase: if disk.is_empty() {
            "copy".into()
        } else {
            format!("disk {disk}")
        },
    })
}

fn strip_stamp(line: &str) -> &str {
    let b = line.as_bytes();
    let stamped = b.len() > 20
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b' ')
        && b.get(13) == Some(&b':')
        && b.get(19) == Some(&b' ');
    if stamped { &line[20..] } else { line }
}

/// "2.0 GiB of 8.0 GiB" into its two sizes (text and bytes).
fn of_pair(text: &str) -> Option<((String, f64), (String, f64))> {
    let (a, b) = text.split_once(" of ")?;
    let (a, b) = (a.trim(), b.trim());
    Some((
        (a.to_string(), size_bytes(a)?),
        (b.to_string(), size_bytes(b)?),
    ))
}

fn ratio(done: f64, total: f64) -> f64 {
    if total > 0.0 {
        (done / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_disk_then_memory() {
        let log = [
            "2026-11-21 10:00:00 starting migration of VM 101 to node 'pve2' (10.0.0.2)",
            "2026-11-21 10:00:04 scsi0: transferred 6.4 GiB of 32.0 GiB (20.00%) in 4s",
        ];
        let p = of_log(log.iter().copied()).unwrap();
        assert_eq!(p.phase, "disk scsi0");
        assert!((p.fraction - 0.2).abs() < 1e-9);
        assert_eq!(p.amount.as_deref(), Some("6.4 GiB of 32.0 GiB"));
        let log = [
            log[1],
            "2026-11-21 10:00:09 migration active, transferred 2.0 GiB of 8.0 GiB VM-state, 1.1 GiB/s",
        ];
        let p = of_log(log.iter().copied()).unwrap();
        assert_eq!(p.phase, "memory");
        assert!((p.fraction - 0.25).abs() < 1e-9);
    }

    #[test]
    fn vzdump_and_clone() {
        let p =
            of_line("INFO:  42% (13.4 GiB of 32.0 GiB) in 10s, read: 1.3 GiB/s, write: 1.0 GiB/s")
                .unwrap();
        assert_eq!(p.phase, "backup");
        assert!((p.fraction - 0.42).abs() < 1e-9);
        assert_eq!(p.amount.as_deref(), Some("13.4 GiB of 32.0 GiB"));
        let p = of_line("transferred 3.2 GiB of 32.0 GiB (10.00%)").unwrap();
        assert_eq!(p.phase, "copy");
        assert!(of_line("INFO: starting new backup job").is_none());
        let p = of_line("progress 25% (read 1073741824 bytes, duration 3 sec)").unwrap();
        assert_eq!(p.phase, "restore");
        assert!((p.fraction - 0.25).abs() < 1e-9);
        assert_eq!(p.amount.as_deref(), Some("1.0 GiB read"));
        assert!(of_line("TASK OK").is_none());
    }
}
