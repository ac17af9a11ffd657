//! The maintenance walkthrough in the console, from the keyboard, against the simulated
//! homelab: started from the plan, followed to "ready", the node rebooted, brought back with its
//! guests; paused, taken up again by a restarted rack from the file it is kept in, aborted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::actions::journal::Journal;
use rack::app::{App, Settings, embedded};
use rack::clock::Clock;
use rack::config::theme::Theme;
use rack::console::Event;
use rack::console::dialog::Dialog;
use rack::console::walk::WalkRun;
use rack::maint::walk::Stage;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;

use crate::common;

const NODE: &str = "pve-ms01-01";

/// The console on `sim` as the demo runs it (its HA command asks the simulator's control
/// interface), its journal — and so its walkthrough — kept in `dir`.
fn console(sim: &common::Sim, dir: &common::Scratch) -> App {
    let client = common::client_of(&sim.handle);
    let mut cluster = embedded::connection(&sim.handle, "lab");
    let pin = sim
        .handle
        .fingerprint
        .as_deref()
        .map_or(String::new(), |fp| format!(" --fingerprint {fp}"));
    cluster.ha_command = Some(format!(
        "'{}' sim-control --url {}{pin} POST /nodes/{{node}}/maintenance action={{action}}",
        env!("CARGO_BIN_EXE_rack"),
        sim.handle.url
    ));
    cluster.command_env = vec![(
        "RACK_SIM_TOKEN".into(),
        rack::pve::Secret::new(sim.handle.token()),
    )];
    let settings = Settings {
        clock: Clock::Sim(sim.handle.clock()),
        task_poll: Duration::from_millis(200),
        ..Settings::default()
    };
    let journal = Journal::open(&dir.join("journal.jsonl")).unwrap();
    let mut app = App::new(settings, &[cluster], vec![Ok(client)], journal);
    app.model.size = (120, 40);
    app
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

async fn keys(app: &mut App, keys: &[KeyEvent]) {
    for k in keys {
        app.push(Event::Key(*k));
        app.run_headless().await;
    }
}

async fn command(app: &mut App, text: &str) {
    keys(app, &[key(':')]).await;
    for c in text.chars() {
        keys(app, &[key(c)]).await;
    }
    keys(app, &[code(KeyCode::Enter)]).await;
}

fn screen(app: &App) -> String {
    let (w, h) = app.model.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| rack::ui::draw(&app.model, &Theme::default(), f))
        .unwrap();
    terminal.backend().to_string()
}

/// The box whose top border begins with `top`, cut out of the screen.
fn boxed(screen: &str, top: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let first = lines.iter().position(|l| l.contains(top)).unwrap();
    let column = lines[first][..lines[first].find(top).unwrap()]
        .chars()
        .count();
    let width = lines[first]
        .chars()
        .skip(column)
        .position(|c| c == '┐')
        .unwrap()
        + 1;
    let mut out = Vec::new();
    for line in &lines[first..] {
        let row: String = line.chars().skip(column).take(width).collect();
        let bottom = row.starts_with('└');
        out.push(row);
        if bottom {
            break;
        }
    }
    out.join("\n")
}

fn run(app: &App) -> Option<WalkRun> {
    app.model.clusters[0].walk.as_ref().map(|p| p.run.clone())
}

/// Until the walkthrough's driver stops with `until`; its log when it does not.
async fn wait_for(app: &mut App, until: impl Fn(&WalkRun, Stage) -> bool) {
    let ok = app
        .wait_until(
            |a| {
                a.model.clusters[0]
                    .walk
                    .as_ref()
                    .is_some_and(|p| until(&p.run, p.walk.stage))
            },
            Duration::from_secs(150),
        )
        .await;
    let log: Vec<String> = app.model.clusters[0]
        .walk
        .as_ref()
        .map(|p| p.log.iter().map(|(_, t)| t.clone()).collect())
        .unwrap_or_default();
    assert!(ok, "{:?}: {log:#?}\n{}", run(app), screen(app));
}

async fn guests_on(sim: &common::Sim, node: &str) -> Vec<u64> {
    let r = sim.get("/cluster/resources?type=vm").await;
    let mut on: Vec<u64> = r
        .data()
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["node"] == node)
        .filter_map(|g| g["vmid"].as_u64())
        .collect();
    on.sort();
    on
}

/// The plan, Enter, Enter: the walkthrough drains the node, b y reboots it, e Enter brings it
/// back with every guest where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_walks_a_node_into_maintenance_and_back() {
    let sim = common::start("homelab", 40.0).await;
    let dir = common::Scratch::new("console-walk");
    let mut app = console(&sim, &dir);
    app.run_headless().await;
    command(&mut app, &format!("maintenance {NODE}")).await;
    assert!(
        screen(&app).contains("Enter start the walkthrough"),
        "{}",
        screen(&app)
    );
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    // The question's box alone: the plan under it shows ages that run with the clock.
    insta::assert_snapshot!("walk_start_question", boxed(&screen(&app), "┌ Start"));
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    assert!(matches!(app.model.dialog, Some(Dialog::Walk(_))));
    wait_for(&mut app, |r, _| *r == WalkRun::Ready).await;
    let shown = screen(&app);
    for text in [
        "walkthrough · ready for maintenance",
        "✓ set Ceph noout",
        "✓ move the guests (4 of 4 done, 2 at a time)",
        "✓ enable HA node maintenance",
        "b reboot · o shut down · e bring it back",
        "maint pve-ms01-01 ready for maintenance",
    ] {
        assert!(shown.contains(text), "{text}:\n{shown}");
    }
    assert_eq!(guests_on(&sim, NODE).await, [9000]);
    // The walkthrough's moves are in the Tasks pane like every job.
    assert!(
        app.model
            .jobs
            .iter()
            .any(|j| j.request.describe().starts_with("migrate VM 101")),
        "{:#?}",
        app.model
            .jobs
            .iter()
            .map(|j| j.request.describe())
            .collect::<Vec<_>>()
    );
    // Kept beside the journal while it goes.
    assert!(dir.join("maintenance-lab.json").exists());

    keys(&mut app, &[key('b')]).await;
    assert!(
        screen(&app).contains("Reboot pve-ms01-01 now?"),
        "{}",
        screen(&app)
    );
    keys(&mut app, &[key('y')]).await;
    wait_for(&mut app, |r, s| *r == WalkRun::Done && s == Stage::Done).await;
    let status = sim.get(&format!("/nodes/{NODE}/status")).await;
    assert_eq!(status.data()["current-kernel"]["release"], "6.17.4-1-pve");

    keys(&mut app, &[key('e')]).await;
    let shown = screen(&app);
    assert!(shown.contains("Which guests go back to it?"), "{shown}");
    assert!(shown.contains("[x]   101"), "{shown}");
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    wait_for(&mut app, |r, s| *r == WalkRun::Done && s == Stage::Finished).await;
    assert_eq!(guests_on(&sim, NODE).await, [101, 105, 200, 203, 9000]);
    let flags = sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), &Value::from(0), "{}", flags.text);
    assert!(
        screen(&app).contains("walkthrough · back"),
        "{}",
        screen(&app)
    );
    // Finished: nothing kept; closing the view forgets it.
    assert!(!dir.join("maintenance-lab.json").exists());
    keys(&mut app, &[code(KeyCode::Esc)]).await;
    assert!(app.model.clusters[0].walk.is_none());
    assert!(app.model.dialog.is_none());
}

/// p pauses once the moves under way have ended; a restarted rack shows the walkthrough kept,
/// continues it with p, and ctrl-d y aborts it: noout unset, what was done said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_walkthrough_is_taken_up_after_a_restart_and_aborted() {
    let sim = common::start("homelab", 40.0).await;
    let dir = common::Scratch::new("console-walk-restart");
    {
        let mut app = console(&sim, &dir);
        app.run_headless().await;
        command(&mut app, &format!("maintenance {NODE}")).await;
        keys(&mut app, &[code(KeyCode::Enter), code(KeyCode::Enter)]).await;
        keys(&mut app, &[key('p')]).await;
        wait_for(&mut app, |r, _| *r == WalkRun::Paused).await;
        let p = app.model.clusters[0].walk.clone().unwrap();
        assert!(p.walk.stage <= Stage::Moves, "{:?}", p.walk.stage);
        assert!(screen(&app).contains("p continue"), "{}", screen(&app));
        // A second walkthrough on the cluster is refused while this one is kept.
        keys(&mut app, &[code(KeyCode::Esc)]).await;
        command(&mut app, "maintenance pve-ms01-02").await;
        assert!(matches!(app.model.dialog, Some(Dialog::Walk(_))));
        assert!(
            screen(&app).contains("not pve-ms01-02: the walkthrough of pve-ms01-01 is in progress"),
            "{}",
            screen(&app)
        );
    }
    let mut app = console(&sim, &dir);
    app.run_headless().await;
    assert_eq!(run(&app), Some(WalkRun::Kept));
    let shown = screen(&app);
    assert!(
        shown.contains("a maintenance walkthrough of pve-ms01-01 is in progress on this cluster"),
        "{shown}"
    );
    command(&mut app, &format!("maintenance {NODE}")).await;
    assert!(
        screen(&app).contains("kept from an earlier rack"),
        "{}",
        screen(&app)
    );
    keys(&mut app, &[key('p')]).await;
    wait_for(&mut app, |r, _| *r == WalkRun::Ready).await;
    assert_eq!(guests_on(&sim, NODE).await, [9000]);
    keys(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)],
    )
    .await;
    assert!(screen(&app).contains("End the walkthrough of pve-ms01-01 here?"));
    keys(&mut app, &[key('y')]).await;
    assert!(app.settle(Duration::from_secs(60)).await);
    app.run_headless().await;
    let shown = screen(&app);
    assert!(shown.contains("walkthrough · aborted"), "{shown}");
    assert!(shown.contains("done: Ceph noout set"), "{shown}");
    assert!(
        shown.contains("HA node maintenance stays enabled"),
        "{shown}"
    );
    let flags = sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), &Value::from(0), "{}", flags.text);
    assert!(!dir.join("maintenance-lab.json").exists());
}

/// A move that fails stops the walkthrough at that guest with Proxmox's words; r sends it again
/// and the walkthrough goes on to "ready".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_move_stops_the_walkthrough_and_r_retries_it() {
    let sim = common::start("homelab", 40.0).await;
    let failed = sim
        .control(
            "POST",
            "/tasks/fail-next",
            &[("type", "qmigrate"), ("error", "migration aborted")],
        )
        .await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    let dir = common::Scratch::new("console-walk-fail");
    let mut app = console(&sim, &dir);
    app.run_headless().await;
    command(&mut app, &format!("maintenance {NODE}")).await;
    keys(&mut app, &[code(KeyCode::Enter), code(KeyCode::Enter)]).await;
    wait_for(&mut app, |r, _| matches!(r, WalkRun::Stopped(_))).await;
    let shown = screen(&app);
    for text in [
        "walkthrough · STOPPED",
        "✗ stopped at 101 talos-k8s-01: migration aborted",
        "FAILED: migration aborted",
        "r retry · s skip what failed · e bring it back · ctrl-d abort",
    ] {
        assert!(shown.contains(text), "{text}:\n{shown}");
    }
    assert!(guests_on(&sim, NODE).await.contains(&101));
    keys(&mut app, &[key('r')]).await;
    wait_for(&mut app, |r, _| *r == WalkRun::Ready).await;
    assert_eq!(guests_on(&sim, NODE).await, [9000]);
}

/// Guests that cannot move are chosen one by one before the start: left unchosen, the
/// walkthrough does not start and says which; chosen, they are shut down for the duration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_that_cannot_move_are_chosen_before_the_start() {
    let sim = common::start("homelab", 40.0).await;
    let dir = common::Scratch::new("console-walk-blocked");
    let mut app = console(&sim, &dir);
    app.run_headless().await;
    command(&mut app, "maintenance pve-aimax-01").await;
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    let shown = screen(&app);
    assert!(shown.contains("These cannot move."), "{shown}");
    insta::assert_snapshot!("walk_start_blocked", boxed(&shown, "┌ Start"));
    assert!(shown.contains("[ ]   111 nvr-frigate"), "{shown}");
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    let shown = screen(&app);
    assert!(
        shown.contains("not started:") && shown.contains("111 (nvr-frigate)"),
        "{shown}"
    );
    assert!(app.model.clusters[0].walk.is_none());
    let Some(Dialog::Maintenance(v)) = &app.model.dialog else {
        panic!("the plan closed")
    };
    let blocked = v.start.as_ref().unwrap().blocked.len();
    for _ in 0..blocked {
        keys(&mut app, &[key(' '), key('j')]).await;
    }
    keys(&mut app, &[code(KeyCode::Enter)]).await;
    assert!(matches!(app.model.dialog, Some(Dialog::Walk(_))));
    let p = app.model.clusters[0].walk.clone().unwrap();
    assert!(
        p.walk
            .guests
            .iter()
            .any(|g| g.vmid == 111 && g.how == rack::maint::How::Blocked),
        "{:#?}",
        p.walk.guests
    );
    assert!(
        screen(&app).contains("111 nvr-frigate      shut down for the duration"),
        "{}",
        screen(&app)
    );
    // Aborted while it runs: it pauses first, then ends.
    keys(
        &mut app,
        &[
            KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
            key('y'),
        ],
    )
    .await;
    wait_for(&mut app, |r, _| matches!(r, WalkRun::Aborted(_))).await;
    assert!(app.settle(Duration::from_secs(60)).await);
    let flags = sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), &Value::from(0), "{}", flags.text);
}

/// What the credentials may not do is said before anything starts, not at the guest it would
/// stop at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_privilege_refuses_the_start() {
    let sim = common::start("homelab", 40.0).await;
    let dir = common::Scratch::new("console-walk-perms");
    let mut app = console(&sim, &dir);
    app.run_headless().await;
    // Permissions as a token that may look and power guests, but not migrate them.
    let mut snap = app.model.clusters[0].snapshot.as_deref().cloned().unwrap();
    snap.permissions.data = Some(std::sync::Arc::new(
        serde_json::from_str(
            r#"{"/": {"VM.Audit": 1, "Sys.Audit": 1, "Sys.Modify": 1, "VM.PowerMgmt": 1}}"#,
        )
        .unwrap(),
    ));
    app.push(Event::Snapshot(Box::new(snap)));
    command(&mut app, &format!("maintenance {NODE}")).await;
    keys(&mut app, &[code(KeyCode::Enter), code(KeyCode::Enter)]).await;
    let shown = screen(&app);
    assert!(
        shown.contains("not started: migrate VM 101 (talos-k8s-01) to pve-aimax-01"),
        "{shown}"
    );
    assert!(shown.contains("needs VM.Migrate on /vms/101"), "{shown}");
    assert!(app.model.clusters[0].walk.is_none());
    assert!(matches!(app.model.dialog, Some(Dialog::Maintenance(_))));
}
