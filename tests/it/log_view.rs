//! `l` in the console: a node's journal followed as `tail -f` follows it, a guest's tasks with
//! their logs, a task's log to its end; scrolling pauses, End follows, `/` filters; an offline
//! node and a failing read say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crossterm::event::KeyCode;

use crate::common::console::{Console, code, key, typed};

async fn filter(c: &mut Console, text: &str) {
    c.keys(&[key('/')]).await;
    c.keys(&typed(text)).await;
    c.keys(&[code(KeyCode::Enter)]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l_on_a_node_follows_its_journal() {
    let mut c = Console::start(80, 24).await;
    filter(&mut c, "ms01-02").await;
    c.keys(&[key('l')]).await;
    let screen = c.until("cron.hourly").await;
    assert!(
        screen.contains(" syslog pve-ms01-02  following"),
        "{screen}"
    );
    insta::assert_snapshot!("syslog_at_80x24", screen);

    // A task started on the node shows up at the bottom, as pvedaemon logs it.
    let r = c
        .sim
        .post("/nodes/pve-ms01-02/qemu/104/status/reboot", &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.until("qmreboot:104").await;
    let view = c.model.log_view.as_ref().unwrap();
    assert!(
        view.lines.iter().any(|l| l.contains("pvedaemon[")
            && l.contains("starting task UPID:pve-ms01-02:")
            && l.contains(":qmreboot:104:")),
        "{:?}",
        view.lines
    );

    // Scrolling back pauses; End follows again.
    c.keys(&[code(KeyCode::PageUp)]).await;
    let screen = c.screen();
    assert!(screen.contains("paused — End follows again"), "{screen}");
    assert!(screen.contains(" lines "), "{screen}");
    c.keys(&[code(KeyCode::End)]).await;
    assert!(c.screen().contains("following"), "{}", c.screen());

    // `/` keeps the lines that match; `!word` those that do not.
    c.keys(&[key('/')]).await;
    c.keys(&typed("CRON")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(screen.contains("/CRON: "), "{screen}");
    let body: Vec<&str> = screen
        .lines()
        .skip(1)
        .take(22)
        .map(|l| l.trim_matches('"').trim())
        .collect();
    assert!(
        body.iter()
            .filter(|l| !l.is_empty())
            .all(|l| l.contains("CRON") || l.starts_with("/etc")),
        "{screen}"
    );
    // Esc clears the filter first, as in the panes; then leaves.
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(!c.screen().contains("/CRON"), "{}", c.screen());
    // Pages follow one another with wrapped lines too: the next starts after the last shown.
    c.keys(&[code(KeyCode::Home)]).await;
    let title = c.screen().lines().next().unwrap().to_string();
    let shown_to: usize = title
        .split("lines 1–")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{title}"));
    c.keys(&[code(KeyCode::PageDown)]).await;
    let title = c.screen().lines().next().unwrap().to_string();
    assert!(
        title.contains(&format!("lines {}–", shown_to + 1)),
        "{title} after lines 1–{shown_to}"
    );
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(c.screen().contains("Hosts("), "{}", c.screen());

    c.model.size = (160, 45);
    c.keys(&[key('l')]).await;
    let screen = c.until("qmreboot:104").await;
    insta::assert_snapshot!("syslog_at_160x45", screen);
}

#[tokio::test(flavor = "multi_thread")]
async fn l_on_a_guest_shows_its_tasks_with_their_logs() {
    let mut c = Console::start(100, 30).await;
    let r = c
        .sim
        .post("/nodes/pve-ms01-02/qemu/104/status/reboot", &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.poll().await;
    c.keys(&[key('2')]).await;
    filter(&mut c, "vmid:104").await;
    c.keys(&[key('l')]).await;
    let screen = c.until("qmreboot on pve-ms01-02 by").await;
    assert!(screen.contains(" tasks of 104 "), "{screen}");
    assert!(screen.contains(": running"), "{screen}");
    // It ends: the heading says how, from the cluster's task list.
    c.sim.advance(120.0).await;
    let screen = c.until("qmreboot on pve-ms01-02 by ").await;
    let screen = if screen.contains(": OK") {
        screen
    } else {
        c.until(": OK").await
    };
    assert!(screen.contains("  TASK OK"), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn l_on_a_task_follows_it_to_its_end() {
    let mut c = Console::start(100, 30).await;
    c.keys(&[key('7')]).await;
    c.keys(&[key('l')]).await;
    let screen = c.until("the task ended: OK").await;
    assert!(screen.contains(" task aptupdate on "), "{screen}");
    assert!(screen.contains("TASK OK"), "{screen}");
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(c.screen().contains("Tasks("), "{}", c.screen());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offline_node_and_a_failing_read_say_so() {
    let mut c = Console::faulted(100, 30).await;
    filter(&mut c, "ms01-02").await;
    c.keys(&[key('l')]).await;
    assert!(
        c.screen()
            .contains("logs: node pve-ms01-02 is offline: its journal cannot be read"),
        "{}",
        c.screen()
    );
    filter(&mut c, "").await;
    c.keys(&[code(KeyCode::Esc)]).await;
    filter(&mut c, "ms01-01").await;
    c.sim
        .control("POST", "/faults", &[("spec", "unreachable=pve-ms01-01")])
        .await;
    c.keys(&[key('l')]).await;
    let screen = c.until("read failed: ").await;
    assert!(screen.contains("trying again in 4 s (r now)"), "{screen}");
}
