//! A walkthrough in rows a person reads: each step with its mark (done, under way, to come,
//! skipped with why, failed with Proxmox's words), the guests under the moves. The console draws
//! them; `rack maintenance status` prints the guests' words.

use super::report::how_words;
use super::walk::{GuestRun, GuestState, Power, Stage, StepState, Walk};

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Done,
    Now,
    Later,
    Skipped,
    Failed,
}

impl Mark {
    pub fn glyph(self) -> &'static str {
        match self {
            Mark::Done => "✓",
            Mark::Now => "▸",
            Mark::Later => "·",
            Mark::Skipped => "–",
            Mark::Failed => "✗",
        }
    }
}

/// One row: a step (depth 0) or a guest under the moves (depth 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub mark: Mark,
    pub depth: u8,
    pub text: String,
}

/// What has become of a guest, in words.
pub fn guest_words(state: &GuestState) -> String {
    match state {
        GuestState::Waiting => "waiting".into(),
        GuestState::Moving => "moving".into(),
        GuestState::Handed => "moving (HA)".into(),
        GuestState::Moved => "moved".into(),
        GuestState::Failed(e) => format!("FAILED: {e}"),
        GuestState::Skipped => "skipped (stays)".into(),
        GuestState::ShuttingDown => "shutting down".into(),
        GuestState::ShutDown => "shut down".into(),
        GuestState::Stays => "stays".into(),
        GuestState::Returning => "going back".into(),
        GuestState::Returned => "back".into(),
        GuestState::Left => "left where it went".into(),
    }
}

fn guest_mark(state: &GuestState) -> Mark {
    match state {
        GuestState::Waiting => Mark::Later,
        GuestState::Moving
        | GuestState::Handed
        | GuestState::ShuttingDown
        | GuestState::Returning => Mark::Now,
        GuestState::Moved | GuestState::ShutDown | GuestState::Returned => Mark::Done,
        GuestState::Failed(_) => Mark::Failed,
        GuestState::Skipped | GuestState::Stays | GuestState::Left => Mark::Skipped,
    }
}

/// A step's mark: its own state, and whether the walkthrough is at it now.
fn step_mark(state: &StepState, now: bool) -> Mark {
    match state {
        StepState::Done => Mark::Done,
        StepState::Running => Mark::Now,
        StepState::Pending if now => Mark::Now,
        StepState::Pending => Mark::Later,
        StepState::Skipped(_) => Mark::Skipped,
        StepState::Failed(_) => Mark::Failed,
    }
}

/// A step with its state's words after it: why it was skipped, how it failed.
fn step(what: &str, state: &StepState, now: bool) -> Row {
    let text = match state {
        StepState::Skipped(why) => format!("{what} — skipped: {why}"),
        StepState::Failed(e) => format!("{what} — FAILED: {e}"),
        _ => what.to_string(),
    };
    Row {
        mark: step_mark(state, now),
        depth: 0,
        text,
    }
}

/// A wait the walkthrough makes: done once it is past `stage`.
fn wait(what: &str, walk: &Walk, stage: Stage) -> Row {
    let mark = if walk.stage > stage {
        Mark::Done
    } else if walk.stage == stage {
        Mark::Now
    } else {
        Mark::Later
    };
    Row {
        mark,
        depth: 0,
        text: what.to_string(),
    }
}

/// A guest's row: how it leaves and where to (the node it leaves is the walkthrough's), or on
/// the way back where it comes back from.
fn guest_row(g: &GuestRun, back: bool) -> Row {
    if g.state == GuestState::Stays {
        return Row {
            mark: Mark::Skipped,
            depth: 1,
            text: format!("{:>5} {:<16} stays on {}", g.vmid, g.name, g.origin),
        };
    }
    let how = match (&g.target, back) {
        (None, false) => "shut down for the duration".to_string(),
        (None, true) => "started again".to_string(),
        (Some(t), false) => format!("{} → {t}", how_words(&g.how)),
        (Some(t), true) => format!("back from {t}"),
    };
    Row {
        mark: guest_mark(&g.state),
        depth: 1,
        text: format!(
            "{:>5} {:<16} {how}: {}",
            g.vmid,
            g.name,
            guest_words(&g.state)
        ),
    }
}

/// How many guests have left (or gone past leaving, on the way back), of those that leave.
pub fn moved(walk: &Walk) -> (usize, usize) {
    let leaving = walk.guests.iter().filter(|g| g.state != GuestState::Stays);
    let gone = leaving
        .clone()
        .filter(|g| {
            matches!(
                g.state,
                GuestState::Moved
                    | GuestState::ShutDown
                    | GuestState::Returning
                    | GuestState::Returned
                    | GuestState::Left
            )
        })
        .count();
    (gone, leaving.count())
}

/// The walkthrough, step by step: the way in, then (once begun) the way back.
pub fn rows(walk: &Walk) -> Vec<Row> {
    let mut out = vec![step(
        "set Ceph noout",
        &walk.noout,
        walk.stage == Stage::Noout,
    )];
    let (gone, leaving) = moved(walk);
    let moves = format!(
        "move the guests ({gone} of {leaving} done, {} at a time)",
        walk.parallel
    );
    let mut moves = wait(&moves, walk, Stage::Moves);
    if walk
        .guests
        .iter()
        .any(|g| guest_mark(&g.state) == Mark::Failed)
    {
        moves.mark = Mark::Failed;
    }
    out.push(moves);
    let back = walk.stage >= Stage::Wake;
    if !back {
        out.extend(walk.guests.iter().map(|g| guest_row(g, false)));
    }
    out.push(step(
        "enable HA node maintenance",
        &walk.ha,
        walk.stage == Stage::HaMaintenance,
    ));
    out.push(wait(
        "verify: no guest runs on the node, HA has it in maintenance",
        walk,
        Stage::Verify,
    ));
    out.push(step(
        "upgrade the node (pveupgrade in its shell)",
        &walk.upgrade,
        walk.stage == Stage::Upgrade,
    ));
    out.push(wait("ready for maintenance", walk, Stage::Ready));
    let power = match walk.power {
        Some(Power::Reboot) => "reboot the node, and wait until it is back",
        Some(Power::Shutdown) => "shut the node down, and wait until it is off",
        None => "reboot or shut down the node (your choice, when ready)",
    };
    let mut power = step(power, &walk.power_state, false);
    if walk.power.is_none() && walk.stage > Stage::Ready {
        power.mark = Mark::Skipped;
    } else if walk.power_state == StepState::Done && walk.stage == Stage::Power {
        // Asked for; the walkthrough waits for the node to go down (and come back).
        power.mark = Mark::Now;
    }
    out.push(power);
    if !back {
        return out;
    }
    let exit = &walk.exit;
    let pending = StepState::Pending;
    out.push(step(
        "wake the node",
        exit.wake.as_ref().unwrap_or(&pending),
        walk.stage == Stage::Wake,
    ));
    out.push(wait(
        "wait until the node is online, in quorum, with its OSDs up",
        walk,
        Stage::Return,
    ));
    out.push(step(
        "disable HA node maintenance",
        exit.ha_off.as_ref().unwrap_or(&pending),
        walk.stage == Stage::HaDisable,
    ));
    out.push(step(
        "unset Ceph noout",
        exit.noout_off.as_ref().unwrap_or(&pending),
        walk.stage == Stage::Unset,
    ));
    out.push(wait(
        "wait until every placement group is active+clean",
        walk,
        Stage::Clean,
    ));
    out.push(wait("bring the chosen guests back", walk, Stage::Back));
    out.extend(
        walk.guests
            .iter()
            .filter(|g| g.state != GuestState::Stays)
            .map(|g| guest_row(g, true)),
    );
    out
}

/// The guests that left the node (moved, or shut down), for the way back's choice.
pub fn returnable(walk: &Walk) -> Vec<&GuestRun> {
    walk.guests
        .iter()
        .filter(|g| matches!(g.state, GuestState::Moved | GuestState::ShutDown))
        .collect()
}
