//! A plan in lines a person reads, each with what it is, so the command line prints them as text
//! and the console colours them.

use super::checks::Verdict;
use super::plan::{How, Plan, minutes};
use crate::model::text::bytes;

/// What a line of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Heading,
    Check(Verdict),
    /// A guest that moves (or stays), and one that cannot.
    Guest,
    Blocked,
    /// Why, under a guest.
    Reason,
    Step,
    Skipped,
    /// The plan's verdict: whether the walkthrough could start.
    Verdict(bool),
    Blank,
}

pub fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Warn => "!",
        Verdict::Fail => "✗",
    }
}

/// How a guest leaves, in words.
pub fn how_words(how: &How) -> &'static str {
    match how {
        How::Live => "live-migrate",
        How::Ha => "migrate via HA",
        How::Restart => "restart-migrate",
        How::Offline => "migrate offline",
        How::Stays => "stays",
        How::Blocked => "CANNOT MOVE",
    }
}

/// The report, line by line.
pub fn lines(plan: &Plan) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    if !plan.unread.is_empty() {
        out.push((
            Kind::Heading,
            "Not read (the plan is made without it)".to_string(),
        ));
        for u in &plan.unread {
            out.push((Kind::Check(Verdict::Warn), format!("  ! {u}")));
        }
        out.push((Kind::Blank, String::new()));
    }
    out.push((Kind::Heading, "Pre-checks".to_string()));
    for c in &plan.checks {
        out.push((
            Kind::Check(c.verdict),
            format!("  {} {:<12} {}", mark(c.verdict), c.what, c.reason),
        ));
    }
    out.push((Kind::Blank, String::new()));
    out.push((Kind::Heading, "Guests".to_string()));
    if plan.moves.is_empty() {
        out.push((Kind::Guest, "  none on the node".to_string()));
    }
    for m in &plan.moves {
        let target = m
            .target
            .as_deref()
            .map_or(String::new(), |t| format!(" to {t}"));
        let took = m
            .estimate
            .map_or(String::new(), |s| format!(", {}", minutes(s)));
        let down = m
            .downtime
            .map_or(String::new(), |s| format!(", down {}", minutes(s)));
        let kind = if m.how == How::Blocked {
            Kind::Blocked
        } else {
            Kind::Guest
        };
        out.push((
            kind,
            format!(
                "  {:>5} {:<16} {}{target}{took}{down}",
                m.vmid,
                m.name,
                how_words(&m.how)
            ),
        ));
        for r in &m.reasons {
            out.push((Kind::Reason, format!("        {r}")));
        }
    }
    out.push((
        Kind::Reason,
        format!(
            "  moves take {} in all at {}/s ({})",
            minutes(plan.estimate),
            bytes(plan.rate as u64),
            plan.rate_from
        ),
    ));
    out.push((Kind::Blank, String::new()));
    out.push((Kind::Heading, "Updates".to_string()));
    match &plan.updates {
        Some(updates) => {
            for (attention, line) in updates.lines() {
                let indented = line.starts_with("    ");
                let kind = match (indented, attention) {
                    (true, _) => Kind::Reason,
                    (false, true) => Kind::Check(Verdict::Warn),
                    (false, false) => Kind::Check(Verdict::Pass),
                };
                let line = if indented {
                    format!("    {line}")
                } else {
                    let v = if attention {
                        Verdict::Warn
                    } else {
                        Verdict::Pass
                    };
                    format!("  {} {line}", mark(v))
                };
                out.push((kind, line));
            }
        }
        None => out.push((
            Kind::Check(Verdict::Warn),
            format!(
                "  {} not read: the node does not answer",
                mark(Verdict::Warn)
            ),
        )),
    }
    out.push((Kind::Blank, String::new()));
    out.push((Kind::Heading, "Steps".to_string()));
    for (i, s) in plan.steps.iter().enumerate() {
        match &s.skipped {
            None => out.push((Kind::Step, format!("  {}. {}", i + 1, s.what))),
            Some(why) => out.push((
                Kind::Skipped,
                format!("  {}. {} — skipped: {why}", i + 1, s.what),
            )),
        }
    }
    out.push((Kind::Blank, String::new()));
    let ready = plan.ready();
    out.push((
        Kind::Verdict(ready),
        if ready {
            "The walkthrough could start.".to_string()
        } else {
            "The walkthrough cannot start: see ✗ and CANNOT MOVE above.".to_string()
        },
    ));
    out
}

/// The report as plain text, under a title.
pub fn text(plan: &Plan) -> String {
    let mut out = format!("Maintenance of {}\n\n", plan.node);
    for (_, line) in lines(plan) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
