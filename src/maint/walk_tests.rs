//! The walkthrough's state machine, step by step, as the driver would feed it.

use super::plan::{Settings, plan};
use super::tests::{cluster, guest};
use super::walk::{GuestState, Op, Power, Seen, Stage, StepState, Walk, refusal};
use crate::model::rows::GuestKind;
use crate::pve::types::GuestConfig;

fn walk_of_two(parallel: u32) -> Walk {
    let inputs = cluster(vec![guest(101, 4, "running"), guest(102, 4, "running")]);
    let p = plan(&inputs, &Settings::default());
    assert_eq!(refusal(&p, &|_| false), None);
    let mut w = Walk::new("lab", &p, Some("ha-on {node}".into()), parallel);
    // As in a cluster with HA-managed guests, where the step is not skipped.
    w.ha = StepState::Pending;
    w
}

/// Both guests on the node, running, the node up.
fn both_here() -> Seen {
    Seen {
        here: vec![101, 102],
        running_here: vec![101, 102],
        node_online: true,
        ..Seen::default()
    }
}

fn moves(ops: &[Op]) -> Vec<u32> {
    ops.iter()
        .filter_map(|o| match o {
            Op::Move { vmid, .. } => Some(*vmid),
            _ => None,
        })
        .collect()
}

#[test]
fn a_walk_moves_guests_n_at_a_time_then_asks_ha_and_waits_for_it() {
    let mut w = walk_of_two(1);
    let seen = both_here();
    // No OSDs on the node: noout is skipped; one guest at a time.
    let ops = w.next(&seen);
    assert_eq!(w.stage, Stage::Moves);
    assert_eq!(ops.len(), 1, "{ops:?}");
    let first = ops[0].clone();
    assert!(w.next(&seen).is_empty(), "the next waits for the first");
    w.finished(&first, Ok("moved".into()));
    let ops = w.next(&seen);
    assert_eq!(moves(&ops).len(), 1);
    w.finished(&ops[0], Ok("moved".into()));
    // Both moved: HA node maintenance is asked for, with the command.
    let ops = w.next(&Seen::default());
    assert_eq!(
        ops,
        [Op::HaMaintenance {
            command: Some("ha-on {node}".into())
        }]
    );
    w.finished(&ops[0], Ok(String::new()));
    assert!(w.next(&Seen::default()).is_empty());
    assert_eq!(w.stage, Stage::HaMaintenance, "until HA says maintenance");
    let in_maintenance = Seen {
        ha_state: Some("maintenance".into()),
        node_online: true,
        ..Seen::default()
    };
    // Then the upgrade, in the node's shell.
    assert_eq!(w.next(&in_maintenance), [Op::Upgrade]);
    assert_eq!(w.stage, Stage::Upgrade);
    assert!(w.next(&in_maintenance).is_empty(), "until it ends");
    w.finished(&Op::Upgrade, Ok("the system is up to date".into()));
    assert!(w.next(&in_maintenance).is_empty());
    assert_eq!(w.stage, Stage::Ready);
    assert!(
        w.done
            .iter()
            .any(|d| d.ends_with("upgraded: the system is up to date"))
    );
    // The user chooses a reboot.
    w.power = Some(Power::Reboot);
    let ops = w.next(&in_maintenance);
    assert_eq!(ops, [Op::Power(Power::Reboot)]);
    w.finished(&ops[0], Ok(String::new()));
    w.next(&in_maintenance);
    assert_eq!(w.stage, Stage::Power, "until it has been down and is back");
    w.next(&Seen::default());
    assert_eq!(w.stage, Stage::Power);
    w.next(&in_maintenance);
    assert_eq!(w.stage, Stage::Done);
    assert!(
        w.done.iter().any(|d| d.ends_with("asked to reboot")),
        "{:?}",
        w.done
    );
}

#[test]
fn a_failed_move_stops_the_walk_until_retry_or_skip() {
    let mut w = walk_of_two(2);
    let seen = both_here();
    let ops = w.next(&seen);
    assert_eq!(moves(&ops).len(), 2, "two at a time");
    w.finished(&ops[0], Err("migration aborted".into()));
    w.finished(&ops[1], Ok(String::new()));
    assert!(w.next(&seen).is_empty());
    assert_eq!(w.stage, Stage::Moves);
    let stopped = w.stopped_at().unwrap();
    assert!(stopped.ends_with(": migration aborted"), "{stopped}");
    w.retry();
    let again = w.next(&seen);
    assert_eq!(moves(&again), moves(&ops[..1]));
    w.finished(&again[0], Err("migration aborted".into()));
    w.skip();
    let ops = w.next(&seen);
    assert!(matches!(ops[0], Op::HaMaintenance { .. }), "{ops:?}");
    assert_eq!(w.undone().len(), 2, "{:?}", w.undone());
}

#[test]
fn an_ha_move_is_done_when_the_guest_has_left() {
    let mut w = walk_of_two(2);
    for g in &mut w.guests {
        g.how = super::How::Ha;
    }
    let here = both_here();
    let ops = w.next(&here);
    assert!(ops.iter().all(|o| matches!(o, Op::Move { ha: true, .. })));
    for op in &ops {
        w.finished(op, Ok(String::new()));
    }
    assert!(w.guests.iter().all(|g| g.state == GuestState::Handed));
    assert!(w.next(&here).is_empty());
    let gone = Seen {
        node_online: true,
        ..Seen::default()
    };
    // Paused, it starts nothing, but still sees that HA has moved them.
    let mut paused = w.clone();
    paused.paused = true;
    assert!(paused.next(&gone).is_empty());
    assert!(paused.guests.iter().all(|g| g.state == GuestState::Moved));
    assert_eq!(paused.stage, Stage::Moves);
    let ops = w.next(&gone);
    assert!(w.guests.iter().all(|g| g.state == GuestState::Moved));
    assert!(matches!(ops[0], Op::HaMaintenance { .. }));
}

#[test]
fn blocked_guests_refuse_the_walk_unless_shut_down() {
    let mut inputs = cluster(vec![guest(101, 4, "running")]);
    inputs.configs.insert(
        101,
        GuestConfig(
            [("hostpci0".to_string(), "0000:01:00.0".to_string())]
                .into_iter()
                .collect(),
        ),
    );
    let p = plan(&inputs, &Settings::default());
    let why = refusal(&p, &|_| false).unwrap();
    assert!(why.contains("101 (g101) cannot move"), "{why}");
    assert_eq!(refusal(&p, &|vmid| vmid == 101), None);
    assert!(refusal(&p, &|vmid| vmid == 102).is_some());
    let mut w = Walk::new("lab", &p, None, 2);
    let ops = w.next(&Seen::default());
    assert_eq!(
        ops,
        [Op::ShutDown {
            vmid: 101,
            kind: GuestKind::Qemu
        }]
    );
}

#[test]
fn a_restart_never_sends_an_ha_move_or_a_reboot_twice() {
    let mut w = walk_of_two(2);
    for g in &mut w.guests {
        g.how = super::How::Ha;
    }
    let here = Seen {
        here: vec![101, 102],
        running_here: vec![101, 102],
        located: [(101, "pve1".to_string()), (102, "pve1".to_string())].into(),
        running: vec![101, 102],
        node_online: true,
        ..Seen::default()
    };
    let ops = w.next(&here);
    assert_eq!(moves(&ops).len(), 2);
    // The process dies with both HA requests out, not yet started by HA (no lock).
    w.resume(&here);
    assert!(w.guests.iter().all(|g| g.state == GuestState::Handed));
    assert!(w.next(&here).is_empty(), "nothing is sent again");
    // A reboot asked for, and the node still up on the next run: not sent again.
    w.stage = Stage::Power;
    w.power = Some(Power::Reboot);
    w.power_state = StepState::Running;
    w.resume(&here);
    assert!(
        w.stopped_at()
            .unwrap()
            .starts_with("power: rack stopped while asking")
    );
}

#[test]
fn a_skipped_guest_left_running_does_not_hold_up_the_verify() {
    let mut w = walk_of_two(2);
    let here = both_here();
    let ops = w.next(&here);
    w.finished(&ops[0], Err("migration aborted".into()));
    w.finished(&ops[1], Ok(String::new()));
    w.skip();
    let ops = w.next(&here);
    w.finished(&ops[0], Ok(String::new()));
    let in_maintenance = Seen {
        here: vec![101],
        running_here: vec![101],
        ha_state: Some("maintenance".into()),
        node_online: true,
        ..Seen::default()
    };
    assert_eq!(w.next(&in_maintenance), [Op::Upgrade]);
    // A failed upgrade stops the walk; s leaves it to the user; r tries it again.
    w.finished(&Op::Upgrade, Err("apt-get: Could not get lock".into()));
    assert!(w.skippable());
    assert_eq!(
        w.stopped_at().as_deref(),
        Some("upgrade: apt-get: Could not get lock")
    );
    w.retry();
    assert_eq!(w.next(&in_maintenance), [Op::Upgrade]);
    // No root shell: skipped, with what to do instead.
    w.skip_upgrade("rack has no root@pam login");
    w.next(&in_maintenance);
    assert_eq!(w.stage, Stage::Ready);
}

#[test]
fn the_way_back_moves_home_what_left_and_leaves_what_is_home_already() {
    let mut w = walk_of_two(2);
    let ops = w.next(&both_here());
    for op in &ops {
        w.finished(op, Ok(String::new()));
    }
    for g in &mut w.guests {
        g.target = Some("pve2".into());
    }
    w.stage = Stage::Done;
    w.begin_exit(None, None);
    let seen = Seen {
        node_online: true,
        quorate: true,
        // 101 came home already (a move back that ended unseen); 102 is still away.
        located: [(101, "pve1".to_string()), (102, "pve2".to_string())].into(),
        running: vec![101, 102],
        ha_state: Some("online".into()),
        ..Seen::default()
    };
    let ops = w.next(&seen);
    let back: Vec<u32> = ops
        .iter()
        .filter_map(|o| match o {
            Op::MoveBack { vmid, from, .. } if from == "pve2" => Some(*vmid),
            _ => None,
        })
        .collect();
    assert_eq!(back, [102], "{ops:?}");
    assert_eq!(w.guests[0].state, GuestState::Returned);
}

#[test]
fn a_wait_says_what_it_waits_for_and_the_command_to_run() {
    let mut w = walk_of_two(2);
    w.ha_command = None;
    w.stage = Stage::HaMaintenance;
    assert_eq!(
        w.waiting_for(&Seen::default()).as_deref(),
        Some(
            "waiting until HA shows pve1 in maintenance (run: ha-manager crm-command node-maintenance enable pve1)"
        )
    );
    w.stage = Stage::Moves;
    assert_eq!(w.waiting_for(&Seen::default()), None, "nothing watched");
}

#[test]
fn its_rows_mark_each_step_and_guest_as_it_goes() {
    use super::walk_report::{Mark, returnable, rows};
    let mut w = walk_of_two(1);
    let seen = both_here();
    let ops = w.next(&seen);
    let marks: Vec<(Mark, String)> = rows(&w).into_iter().map(|r| (r.mark, r.text)).collect();
    // noout skipped (no OSDs) with why; the moves under way; the first guest moving.
    assert_eq!(marks[0].0, Mark::Skipped, "{marks:#?}");
    assert!(
        marks[0].1.starts_with("set Ceph noout — skipped: "),
        "{marks:#?}"
    );
    assert_eq!(
        marks[1],
        (
            Mark::Now,
            "move the guests (0 of 2 done, 1 at a time)".into()
        )
    );
    assert_eq!(marks[2].0, Mark::Now);
    assert!(marks[2].1.ends_with(": moving"), "{marks:#?}");
    assert_eq!(marks[3].0, Mark::Later);
    // A failure marks the guest and the moves failed, with Proxmox's words.
    w.finished(&ops[0], Err("migration aborted".into()));
    let rows = rows(&w);
    assert_eq!(rows[1].mark, Mark::Failed);
    assert!(
        rows[2].text.ends_with(": FAILED: migration aborted"),
        "{rows:#?}"
    );
    assert!(returnable(&w).is_empty());
}

#[test]
fn its_rows_show_the_way_back_once_it_began() {
    use super::walk_report::{Mark, rows};
    let mut w = walk_of_two(2);
    let seen = both_here();
    for op in w.next(&seen) {
        w.finished(&op, Ok(String::new()));
    }
    w.begin_exit(Some(&[101]), None);
    let rows = rows(&w);
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    assert!(texts.contains(&"wake the node"), "{texts:#?}");
    assert!(
        texts.contains(&"bring the chosen guests back"),
        "{texts:#?}"
    );
    // The guest chosen goes back from where it went; the other is left there.
    let back = rows.iter().find(|r| r.text.contains("101")).unwrap();
    assert_eq!(back.mark, Mark::Later);
    assert!(back.text.ends_with(": waiting"), "{rows:#?}");
    let left = rows.iter().find(|r| r.text.contains("102")).unwrap();
    assert_eq!(left.mark, Mark::Skipped);
    assert!(left.text.ends_with(": left where it went"), "{rows:#?}");
}
