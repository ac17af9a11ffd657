//! `rack audit`: the audit log read back, filtered, and its chain checked.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::audit::{self, AuditRow};
use crate::cli::{AuditArgs, Output};
use crate::cmd::table;
use crate::pve::calendar::format_datetime;

/// Exit 0 printed (or the chain holds), 1 the chain is broken.
pub fn run(args: &AuditArgs) -> Result<u8, String> {
    let path =
        audit::default_path().ok_or("this system has no data directory for the audit log")?;
    let chain = audit::verify(&path)?;
    if args.verify {
        return match chain {
            Ok(n) => {
                let writes = audit::rows(&audit::read(&path)?.0).len();
                println!(
                    "{}: {n} entries ({writes} writes), the chain holds",
                    path.display()
                );
                Ok(0)
            }
            Err(broken) => {
                println!("{}: broken at {broken}", path.display());
                Ok(1)
            }
        };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    if let Err(broken) = &chain {
        eprintln!(
            "warning: {}: the chain is broken at {broken}: what follows may have been changed",
            path.display()
        );
    }
    let (entries, unreadable) = audit::read(&path)?;
    if unreadable > 0 {
        eprintln!(
            "warning: {}: {unreadable} line(s) could not be read (rack audit --verify says where)",
            path.display()
        );
    }
    let rows: Vec<AuditRow> = audit::rows(&entries)
        .into_iter()
        .filter(|r| args.since.is_none_or(|s| r.time >= now - s))
        .filter(|r| args.cluster.as_ref().is_none_or(|c| *c == r.cluster))
        .collect();
    match args.output {
        Output::Json => {
            let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
            println!("{text}");
        }
        Output::Table => print!("{}", render(&rows)),
    }
    Ok(0)
}

/// TIME, CLUSTER, WHO, REQUEST, RESULT, one write a line (UTC).
pub fn render(rows: &[AuditRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format_datetime(r.time),
                r.cluster.clone(),
                r.identity.clone(),
                r.request.clone(),
                r.said(),
            ]
        })
        .collect();
    table::render(
        &["TIME (UTC)", "CLUSTER", "WHO", "REQUEST", "RESULT"],
        &cells,
    )
}
