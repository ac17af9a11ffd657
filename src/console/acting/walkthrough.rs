//! The maintenance walkthrough from the keyboard: started from its plan (the guests that cannot
//! move chosen one by one, then confirmed), shown while it goes, paused and continued, a failure
//! retried or skipped, aborted, the node rebooted or shut down when ready, and turned around with
//! the guests to bring back. What the driver reports comes in through `walked` and `walk_ended`.

use crate::actions::walkthrough::{self, Outcome};
use crate::maint::walk::{Power, Stage, Walk, refusal};
use crate::maint::walk_report::{self, returnable};
use crate::maint::{How, Plan};

use super::*;
use crate::console::walk::{
    Asking, Checklist, StartChoice, WalkOrder, WalkPanel, WalkRun, WalkView,
};

/// The cluster's HA maintenance command for `node`, rendered for `action`; none configured:
/// the user runs it, as the walkthrough says.
fn ha_command(model: &Model, cluster: usize, node: &str, action: &str) -> Option<String> {
    let c = model.clusters.get(cluster)?;
    c.ha_command
        .as_deref()
        .or(model.maintenance.ha_command.as_deref())
        .map(|t| walkthrough::render(t, node, action, &c.name))
}

/// Open the walkthrough's view of the current cluster.
pub fn show(model: &mut Model, cluster: usize) {
    model.dialog = Some(Dialog::Walk(WalkView {
        cluster,
        scroll: 0,
        asking: None,
    }));
}

/// Enter on the plan: ask what the walkthrough needs to know before it starts, or say why it
/// cannot.
pub(super) fn begin(model: &mut Model, v: &mut MaintenanceView) {
    let Some(Ok(plan)) = &v.plan else {
        model.notify(Level::Warn, "not yet: the plan is still being made");
        return;
    };
    let Some(c) = model.clusters.get(v.cluster) else {
        return;
    };
    if c.read_only {
        let text = format!(
            "cluster \"{}\" is read-only: rack does not change it",
            c.name
        );
        model.notify(Level::Error, text);
        return;
    }
    if let Some(p) = c.walk.as_ref().filter(|p| !p.over()) {
        let text = format!(
            "{}: one at a time (x on {} shows it)",
            p.walk.summary(),
            p.walk.node
        );
        model.notify(Level::Error, text);
        return;
    }
    if let Some(text) = &v.in_progress {
        let text = format!("{text}: one at a time (rack maintenance status)");
        model.notify(Level::Error, text);
        return;
    }
    // Shutting every blocked guest down answers all but a failed pre-check.
    if let Some(why) = refusal(plan, &|_| true) {
        let text = format!("the walkthrough cannot start: {why}");
        model.notify(Level::Error, text);
        return;
    }
    let blocked = plan
        .moves
        .iter()
        .filter(|m| m.how == How::Blocked && m.running)
        .map(|m| (m.vmid, m.name.clone(), false))
        .collect();
    v.start = Some(StartChoice {
        blocked: Checklist::new(blocked),
    });
}

/// Keys while the start is asked: space chooses a guest to shut down, Enter (or y) starts,
/// Esc (or n) goes back to the plan.
pub(super) fn start_key(
    model: &mut Model,
    key: KeyEvent,
    mut v: MaintenanceView,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    let Some(choice) = v.start.as_mut() else {
        return Some(Dialog::Maintenance(v));
    };
    if choice.blocked.key(key.code) {
        return Some(Dialog::Maintenance(v));
    }
    match key.code {
        KeyCode::Esc | KeyCode::Char('n' | 'N') => v.start = None,
        KeyCode::Enter | KeyCode::Char('y' | 'Y') => {
            let Some(Ok(plan)) = &v.plan else {
                return Some(Dialog::Maintenance(v));
            };
            let chosen = |vmid: u32| choice.blocked.is_chosen(vmid);
            if let Some(why) = refusal(plan, &chosen) {
                model.notify(Level::Error, format!("not started: {why}"));
                return Some(Dialog::Maintenance(v));
            }
            let plan: Plan = (**plan).clone();
            return start(model, v.cluster, &plan, effects).or(Some(Dialog::Maintenance(v)));
        }
        _ => {}
    }
    Some(Dialog::Maintenance(v))
}

fn start(
    model: &mut Model,
    cluster: usize,
    plan: &Plan,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    let command = ha_command(model, cluster, &plan.node, "enable");
    let parallel = model.maintenance.parallel;
    let now = model.now;
    let name = model.clusters.get(cluster)?.name.clone();
    let walk = Walk::new(&name, plan, command, parallel);
    // What the credentials may not do is said now, not at the guest it stops at.
    let refused: Vec<String> = walkthrough::requests_ahead(&walk)
        .iter()
        .filter_map(|r| {
            permitted(model, r)
                .err()
                .map(|e| format!("{}: {e}", r.describe()))
        })
        .collect();
    if !refused.is_empty() {
        let text = format!("not started: {}", refused.join("; "));
        model.notify(Level::Error, text);
        return None;
    }
    let c = model.clusters.get_mut(cluster)?;
    let mut panel = WalkPanel::new(walk.clone(), WalkRun::Running);
    panel.say(now, format!("walkthrough of {} started", plan.node));
    panel.fresh = true;
    c.walk = Some(panel);
    effects.push(Effect::Walk(cluster, WalkOrder::Start(Box::new(walk))));
    Some(Dialog::Walk(WalkView {
        cluster,
        scroll: 0,
        asking: None,
    }))
}

/// Give the driver an order that carries the walkthrough on.
fn carry_on(model: &mut Model, cluster: usize, order: WalkOrder, effects: &mut Vec<Effect>) {
    let now = model.now;
    if let Some(p) = model
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.walk.as_mut())
    {
        let said = match &order {
            WalkOrder::Continue { retry: true, .. } => "retrying what failed",
            WalkOrder::Continue { skip: true, .. } => "skipping the failed guest: it stays",
            WalkOrder::Power(Power::Reboot) => "rebooting the node",
            WalkOrder::Power(Power::Shutdown) => "shutting the node down",
            WalkOrder::Exit { .. } => "on the way back",
            _ => "continuing",
        };
        p.say(now, said.to_string());
        p.run = WalkRun::Running;
        p.abort_after_pause = false;
    }
    effects.push(Effect::Walk(cluster, order));
}

/// End the walkthrough: leave the cluster consistent, say what was done and what was not, and
/// forget it. One being carried out is paused first.
fn abort(model: &mut Model, cluster: usize, effects: &mut Vec<Effect>) {
    let Some(p) = model
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.walk.as_mut())
    else {
        return;
    };
    if p.driven() {
        p.abort_after_pause = true;
        if p.run == WalkRun::Running {
            p.run = WalkRun::Pausing;
            effects.push(Effect::Walk(cluster, WalkOrder::Pause));
        }
        let text = "aborting once what is under way has ended";
        model.notify(Level::Info, text);
        return;
    }
    p.run = WalkRun::Aborting;
    p.abort_after_pause = false;
    effects.push(Effect::Walk(cluster, WalkOrder::Abort));
}

/// The walkthrough was ended (what was done and what was not), or why it was not.
pub fn walk_aborted(model: &mut Model, cluster: usize, lines: Result<Vec<String>, String>) {
    let Some(p) = model
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.walk.as_mut())
    else {
        return;
    };
    let node = clean(&p.walk.node);
    let (level, text) = match lines {
        Ok(lines) => {
            p.run = WalkRun::Aborted(lines);
            (
                Level::Info,
                format!("aborted the maintenance walkthrough of {node}"),
            )
        }
        Err(why) => {
            p.run = WalkRun::Kept;
            (
                Level::Error,
                format!("the walkthrough of {node} was not aborted: {}", clean(&why)),
            )
        }
    };
    model.notify(level, text);
}

/// Keys in the walkthrough's view.
pub(super) fn walk_key(
    model: &mut Model,
    key: KeyEvent,
    mut v: WalkView,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    let cluster = v.cluster;
    let p = model.clusters.get(cluster).and_then(|c| c.walk.clone())?;
    if let Some(asking) = v.asking.take() {
        v.asking = asking_key(model, key, cluster, asking, &p, effects);
        return Some(Dialog::Walk(v));
    }
    let page = usize::from(model.size.1.saturating_sub(6)).max(1);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let walk = &p.walk;
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            if p.over()
                && let Some(c) = model.clusters.get_mut(cluster)
            {
                c.walk = None;
            }
            return None;
        }
        KeyCode::Down | KeyCode::Char('j') => v.scroll += 1,
        KeyCode::Up | KeyCode::Char('k') => v.scroll = v.scroll.saturating_sub(1),
        KeyCode::PageDown => v.scroll += page,
        KeyCode::PageUp => v.scroll = v.scroll.saturating_sub(page),
        KeyCode::Home => v.scroll = 0,
        KeyCode::End => v.scroll = usize::MAX,
        KeyCode::Char('d') if ctrl && !p.over() => v.asking = Some(Asking::Abort),
        KeyCode::Char('p') | KeyCode::Char(' ') => match &p.run {
            WalkRun::Running => {
                if let Some(p) = model.clusters[cluster].walk.as_mut() {
                    p.run = WalkRun::Pausing;
                    p.say(model.now, "pausing: nothing new starts".into());
                }
                effects.push(Effect::Walk(cluster, WalkOrder::Pause));
            }
            WalkRun::Paused | WalkRun::Kept if walk.stopped_at().is_none() => {
                let order = WalkOrder::Continue {
                    retry: false,
                    skip: false,
                };
                carry_on(model, cluster, order, effects);
            }
            WalkRun::Pausing => {
                model.notify(Level::Info, "pausing: waiting for what is under way to end")
            }
            _ if walk.stopped_at().is_some() => model.notify(
                Level::Warn,
                "stopped at a failure: r retries it, s skips the guest, ctrl-d aborts",
            ),
            _ => model.notify(Level::Info, "nothing runs now"),
        },
        // r tries what failed again; s leaves the guest whose move failed where it is.
        KeyCode::Char(c @ ('r' | 's')) => {
            let retry = c == 'r';
            let failed = if retry {
                walk.stopped_at().is_some()
            } else {
                walk.skippable()
            };
            if p.driven() || !failed {
                let text = if retry {
                    "nothing failed to retry"
                } else {
                    "nothing failed that can be skipped"
                };
                model.notify(Level::Info, text);
            } else {
                let order = WalkOrder::Continue {
                    retry,
                    skip: !retry,
                };
                carry_on(model, cluster, order, effects);
            }
        }
        KeyCode::Char(c @ ('b' | 'o')) => {
            let power = if c == 'b' {
                Power::Reboot
            } else {
                Power::Shutdown
            };
            if p.driven() || !matches!(walk.stage, Stage::Verify | Stage::Upgrade | Stage::Ready) {
                let text = format!("{} is not ready for maintenance yet", walk.node);
                model.notify(Level::Warn, text);
            } else if walk.stopped_at().is_some() {
                let text = "stopped at a failure: r retries it, s skips the guest, ctrl-d aborts";
                model.notify(Level::Warn, text);
            } else {
                let request = Request::NodePower {
                    node: walk.node.clone(),
                    reboot: power == Power::Reboot,
                };
                match permitted(model, &request) {
                    Ok(()) => v.asking = Some(Asking::Power(power)),
                    Err(why) => model.notify(
                        Level::Error,
                        format!("{}: not permitted: {why}", request.describe()),
                    ),
                }
            }
        }
        KeyCode::Char('e') => match p.exit_refused() {
            Some(why) => model.notify(Level::Warn, why),
            None => {
                let guests = returnable(walk)
                    .into_iter()
                    .map(|g| (g.vmid, g.name.clone(), true))
                    .collect();
                v.asking = Some(Asking::Back(Checklist::new(guests)));
            }
        },
        _ => {}
    }
    // Not past the view's last line (drawing keeps its last page in sight).
    let last = walk_report::rows(walk).len() + p.log.len() + 8;
    v.scroll = v.scroll.min(last);
    Some(Dialog::Walk(v))
}

/// A question over the view, answered: what stays asked, if anything.
fn asking_key(
    model: &mut Model,
    key: KeyEvent,
    cluster: usize,
    asking: Asking,
    p: &WalkPanel,
    effects: &mut Vec<Effect>,
) -> Option<Asking> {
    let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
    match asking {
        Asking::Abort => {
            if yes {
                abort(model, cluster, effects);
            }
            None
        }
        Asking::Power(power) => {
            if yes {
                carry_on(model, cluster, WalkOrder::Power(power), effects);
            }
            None
        }
        Asking::Back(mut list) => {
            if list.key(key.code) {
                return Some(Asking::Back(list));
            }
            match key.code {
                KeyCode::Esc => return None,
                KeyCode::Char('a') => {
                    let all = list.all_chosen();
                    for g in &mut list.rows {
                        g.2 = !all;
                    }
                }
                KeyCode::Enter => {
                    let back = (!list.all_chosen()).then(|| list.chosen());
                    let command = ha_command(model, cluster, &p.walk.node, "disable");
                    carry_on(model, cluster, WalkOrder::Exit { back, command }, effects);
                    return None;
                }
                _ => {}
            }
            Some(Asking::Back(list))
        }
    }
}

/// The driver reported a change, and maybe said something.
pub fn walked(model: &mut Model, cluster: usize, walk: Walk, said: Option<String>) {
    let now = model.now;
    if let Some(p) = model
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.walk.as_mut())
    {
        p.walk = walk;
        p.fresh = false;
        if let Some(text) = said {
            p.say(now, text);
        }
    }
}

/// The driver stopped: why, and what the user may do next.
pub fn walk_ended(
    model: &mut Model,
    cluster: usize,
    walk: Option<Box<Walk>>,
    outcome: Result<Outcome, String>,
    effects: &mut Vec<Effect>,
) {
    let now = model.now;
    let Some(c) = model.clusters.get_mut(cluster) else {
        return;
    };
    let Some(p) = c.walk.as_mut() else {
        return;
    };
    if let Some(walk) = walk {
        p.walk = *walk;
    }
    let node = p.walk.node.clone();
    let (level, text) = match outcome {
        Err(why) => {
            let why = clean(&why);
            // Never taken up (another rack holds it, or keeps another): nothing of it is ours.
            if p.fresh {
                c.walk = None;
            } else {
                p.run = WalkRun::Kept;
                p.say(now, format!("not carried on: {why}"));
                if p.abort_after_pause {
                    abort(model, cluster, effects);
                    return;
                }
            }
            model.notify(Level::Error, format!("maintenance walkthrough: {why}"));
            return;
        }
        Ok(Outcome::Paused) => {
            p.run = WalkRun::Paused;
            p.say(now, "paused".into());
            (Level::Info, format!("the walkthrough of {node} is paused"))
        }
        Ok(Outcome::Stopped(why)) => {
            p.say(now, format!("stopped at {why}"));
            p.run = WalkRun::Stopped(why.clone());
            (
                Level::Error,
                format!("the walkthrough stopped at {why}: r retries, s skips, ctrl-d aborts"),
            )
        }
        Ok(Outcome::Ready) => {
            p.run = WalkRun::Ready;
            p.say(now, format!("{node} is ready for maintenance"));
            (
                Level::Info,
                format!(
                    "{node} is ready for maintenance: b reboots it, o shuts it down, e brings it back"
                ),
            )
        }
        Ok(Outcome::Done) if p.walk.stage == Stage::Finished => {
            p.run = WalkRun::Done;
            p.say(now, format!("{node} is back"));
            (
                Level::Info,
                format!("{node} is back: {}", p.walk.done.join("; ")),
            )
        }
        Ok(Outcome::Done) => {
            p.run = WalkRun::Done;
            p.say(now, format!("{node} is in maintenance"));
            (
                Level::Info,
                format!("{node} is in maintenance: e in the walkthrough brings it back"),
            )
        }
    };
    if p.abort_after_pause {
        abort(model, cluster, effects);
        return;
    }
    model.notify(level, text);
}
