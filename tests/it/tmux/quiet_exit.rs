//! When the terminal goes away (the tmux server killed, as an SSH session dropping hangs up
//! the terminal), rack ends at once and says nothing on a terminal that is no longer there.

use std::time::{Duration, Instant};

use super::Tmux;
use crate::common;

/// Whether the process has ended (gone, or a zombie waiting for a parent that is gone too).
fn ended(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Err(_) => true,
        Ok(status) => status
            .lines()
            .any(|l| l.starts_with("State:") && (l.contains('Z') || l.contains('X'))),
    }
}

#[test]
fn a_hung_up_terminal_ends_rack_quietly_within_a_second() {
    let scratch = common::Scratch::new("quiet-exit");
    let stderr = scratch.join("stderr");
    let t = Tmux::start_with("quiet", 100, 30, "", &format!("2>{}", stderr.display()));
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    let shell = t.format("#{pane_pid}");
    let children =
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
    let rack = children
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(!rack.is_empty(), "rack's process under {shell}");
    t.run(&["kill-server"]);
    let killed = Instant::now();
    while !ended(&rack) {
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "rack still runs a second after its terminal went away"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert_eq!(said, "", "rack wrote to a terminal that is gone");
}
