//! What the console shows when part of a pane's read fails: the last good data, marked with its
//! age in the pane's title and the status line, and nothing concluded from an absence that was
//! a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::Duration;

use crate::common::console::{Console, code, key, typed};
use crossterm::event::KeyCode;
use rack::console::Event;

/// Fail requests for paths starting with each prefix, from now on.
async fn fail(c: &Console, prefixes: &[&str]) {
    let spec: Vec<String> = prefixes.iter().map(|p| format!("malformed={p}")).collect();
    let r = c
        .sim
        .control("POST", "/faults", &[("spec", &spec.join(";"))])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A Proxmox VE from before the metrics export (pve-manager of August 2024).
pub const OLDER_THAN_EXPORT: &str = "absent=/cluster/metrics/export";

/// Move the console's clock on and poll what the open pane reads, as the poller would.
async fn later(c: &mut Console, seconds: u64) {
    c.later(seconds as f64).await;
}

#[tokio::test]
async fn ceph_osds_that_cannot_be_read_again_stay_marked_with_their_age() {
    let mut c = Console::start(120, 30).await;
    c.keys(&[key('5')]).await;
    assert!(c.screen().contains("osd.0"));
    fail(
        &c,
        &[
            "/nodes/pve-ms01-01/ceph/osd",
            "/nodes/pve-ms01-02/ceph/osd",
            "/nodes/pve-aimax-01/ceph/osd",
        ],
    )
    .await;
    later(&mut c, 40).await;
    let screen = c.screen();
    assert!(screen.contains("osd.0"), "the rows stay: {screen}");
    assert!(
        screen.contains("▲ not current: OSD tree 40s old"),
        "{screen}"
    );
    assert!(
        screen.contains("stale: ceph: OSD tree (see the pane)"),
        "the status line says it too: {screen}"
    );
}

#[tokio::test]
async fn a_device_whose_holder_was_never_read_is_unknown_not_free() {
    let mut c = Console::start(160, 45).await;
    fail(&c, &["/nodes/pve-aimax-01/qemu/111/config"]).await;
    c.keys(&[key('3')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("unknown: config of VM 111 not read"),
        "{screen}"
    );
    assert!(screen.contains("config of VM 111 unknown"), "{screen}");
}

#[tokio::test]
async fn networks_conclude_nothing_from_a_failed_read() {
    let mut c = Console::start(160, 45).await;
    fail(&c, &["/cluster/sdn/zones", "/nodes/pve-aimax-01/network"]).await;
    c.keys(&[key('4')]).await;
    let screen = c.screen();
    assert!(!screen.contains("does not exist"), "{screen}");
    assert!(!screen.contains("missing on pve-aimax-01"), "{screen}");
    assert!(screen.contains("2/3?"), "{screen}");
    assert!(screen.contains("SDN zones unknown"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn the_cluster_chart_keeps_a_node_it_could_not_read_again() {
    // A cluster without the metrics export: the chart is summed from every node's rrddata.
    let mut c = Console::start_faulty("homelab", 160, 45, Some(OLDER_THAN_EXPORT)).await;
    fail(&c, &["/nodes/pve-aimax-01/rrddata"]).await;
    later(&mut c, 90).await;
    let screen = c.screen();
    // Read before: its last good hour is still summed, and its age said.
    assert!(screen.contains("72 threads"), "{screen}");
    assert!(screen.contains("▲ pve-aimax-01 1m old"), "{screen}");
}

/// Secret commands run side by side when the console starts: the first cluster's command
/// waits for the second's to have run, so run one after the other the first would fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_commands_of_several_clusters_run_side_by_side() {
    let dir = crate::common::Scratch::new("secrets");
    let mark = dir.join("second-ran");
    let text = format!(
        "[[clusters]]\nname = \"first\"\nendpoints = [\"https://127.0.0.1:9\"]\n\
         token_id = \"root@pam!x\"\n\
         token_secret_command = \"for i in $(seq 100); do [ -f {m} ] && echo a && exit 0; sleep 0.1; done; exit 1\"\n\
         secret_command_timeout = \"30s\"\n\
         [[clusters]]\nname = \"second\"\nendpoints = [\"https://127.0.0.1:9\"]\n\
         token_id = \"root@pam!x\"\ntoken_secret_command = \"touch {m}; echo b\"\n",
        m = mark.display()
    );
    let config = rack::config::parse(&text, &dir.join("rack.toml")).unwrap();
    let clusters = config.clusters.clone();
    let settings = rack::app::Settings {
        config,
        ..rack::app::Settings::default()
    };
    let clients = rack::app::connect(&clusters, None);
    let app = rack::app::App::new(
        settings,
        &clusters,
        clients,
        rack::actions::journal::Journal::disabled(),
    );
    let errors: Vec<_> = app.model.notices.iter().map(|n| n.text.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!((0..clusters.len()).all(|i| app.client(i).is_some()));
}

/// A guest on a node that is off says why its details cannot be read and which keys cannot
/// work; the node's own detail says it is offline instead of "loading…".
#[tokio::test]
async fn a_dead_node_looks_dead_and_its_guests_say_why() {
    let mut c = Console::faulted(160, 45).await;
    c.keys(&[key('2'), key('/')]).await;
    c.keys(&typed("media-server")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("config: node pve-ms01-02 is offline: not readable"),
        "{screen}"
    );
    assert!(!screen.contains("loading…"), "{screen}");
    assert!(screen.contains("✗ start"), "{screen}");
    assert!(screen.contains("node pve-ms01-02 is offline"), "{screen}");
    c.keys(&[key('p'), key('s')]).await;
    assert!(c.model.dialog.is_none(), "nothing to confirm");
    assert!(
        c.screen()
            .contains("start VM 106 (media-server): node pve-ms01-02 is offline"),
        "{}",
        c.screen()
    );
    c.keys(&[key('m')]).await;
    assert!(c.model.dialog.is_none());
    c.keys(&[key('1'), key('/')]).await;
    c.keys(&typed("ms01-02")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(screen.contains("offline for"), "{screen}");
    assert!(screen.contains("its status and charts cannot"), "{screen}");
    assert!(!screen.contains("loading…"), "{screen}");
    assert!(!screen.contains("no data yet"), "{screen}");
    // Nothing is asked of the node that is off, so nothing fails for it.
    c.keys(&[key('3'), key('4')]).await;
    let failed = c.client.recent_failures(Duration::from_secs(3600));
    assert!(
        failed
            .iter()
            .all(|(_, what)| !what.contains("/nodes/pve-ms01-02/")),
        "{failed:?}"
    );
}

/// Ceph that cannot be read again keeps its last state in the header, marked stale, never a
/// green OK that may be old.
#[tokio::test]
async fn the_header_marks_ceph_stale_when_it_cannot_be_read() {
    let mut c = Console::start(120, 30).await;
    assert!(c.screen().contains("ceph OK "), "{}", c.screen());
    let mut snap = c.model.clusters[0].snapshot.as_deref().cloned().unwrap();
    snap.ceph_health
        .update(Err("GET /cluster/ceph/status: 500".into()), c.at);
    c.push(Event::Snapshot(Box::new(snap)));
    let screen = c.screen();
    assert!(screen.contains("ceph OK? (stale)"), "{screen}");
}

/// A cluster whose client could not be built is shown with why, and driving the console
/// headless does not wait on it: a refresh asked of it is nothing to do.
#[tokio::test]
async fn a_cluster_without_a_client_is_said_and_never_waited_on() {
    let sim = crate::common::start("homelab", 0.0).await;
    let cluster = rack::app::embedded::connection(&sim.handle, "broken");
    let mut app = rack::app::App::new(
        rack::app::Settings::default(),
        &[cluster],
        vec![Err("secret command \"pass show pve\" failed".into())],
        rack::actions::journal::Journal::disabled(),
    );
    let said: Vec<_> = app.model.notices.iter().map(|n| n.text.clone()).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("cluster \"broken\"") && t.contains("pass show pve")),
        "{said:?}"
    );
    app.refresh_all();
    app.push(Event::Key(key('2')));
    let done = tokio::time::timeout(Duration::from_secs(10), app.run_headless()).await;
    assert!(done.is_ok(), "run_headless returned");
}

/// A cluster used over plain HTTP says so in the status line for as long as it is, not only
/// in a notice that goes with the next key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_stays_said_in_the_status_line() {
    let sim = crate::common::start_with(
        "homelab",
        rack::sim::SimOptions {
            speed: 0.0,
            http: true,
            ..rack::sim::SimOptions::default()
        },
    )
    .await;
    let dir = crate::common::Scratch::new("plain-http");
    let text = format!(
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret = \"{}\"\n",
        sim.handle.url, sim.handle.token_id, sim.handle.token_secret
    );
    let mut app = app_on(&text, &dir.join("rack.toml"), &sim, (100, 24)).await;
    let screen = draw;
    let first = screen(&app);
    assert!(first.contains("is plain HTTP"), "the notice: {first}");
    let last = first.lines().last().unwrap().to_string();
    assert!(last.contains("● lab PLAIN HTTP"), "{last}");
    // A key clears the notices; the status line keeps saying it.
    app.push(rack::console::Event::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('j'),
    )));
    let after = screen(&app);
    assert!(!after.contains("is plain HTTP"), "{after}");
    assert!(
        after.lines().last().unwrap().contains("PLAIN HTTP"),
        "{after}"
    );
}

/// A configured cluster whose certificate nothing vouches for: the console shows its
/// fingerprint and asks; on yes it reads the cluster at once and pins the certificate in the
/// config file. A pin that does not match shows both fingerprints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_certificate_is_shown_and_trusted_only_when_the_user_says_so() {
    let sim = crate::common::start("homelab", 0.0).await;
    let fp = sim.handle.fingerprint.clone().unwrap();
    let dir = crate::common::Scratch::new("trust-console");
    let path = dir.join("rack.toml");
    for (pin, shows) in [
        (String::new(), "Nothing vouches for it"),
        (
            format!("fingerprint = \"{}\"\n", "AB:".repeat(31) + "AB"),
            "Not the pinned one",
        ),
    ] {
        let text = format!(
            "# my lab\n[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret = \"{}\"\n{pin}",
            sim.handle.url, sim.handle.token_id, sim.handle.token_secret
        );
        std::fs::write(&path, &text).unwrap();
        let mut app = app_on(&text, &path, &sim, (120, 30)).await;
        let screen = draw(&app);
        assert!(screen.contains("Certificate not trusted"), "{screen}");
        let (first, second) = fp.split_at(47);
        assert!(screen.contains(&format!("presented  {first}")), "{screen}");
        assert!(
            screen.contains(&format!("           {}", &second[1..])),
            "{screen}"
        );
        assert!(screen.contains(shows), "{screen}");
        assert!(
            app.model.clusters[0]
                .snapshot
                .as_ref()
                .unwrap()
                .resources
                .data
                .is_none()
        );
        app.push(Event::Key(key('y')));
        app.run_headless().await;
        let screen = draw(&app);
        assert!(!screen.contains("Certificate not trusted"), "{screen}");
        assert!(screen.contains("pve-ms01-01"), "read at once: {screen}");
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with("# my lab\n"), "{written}");
        assert!(
            written.contains(&format!("fingerprint = \"{fp}\"")),
            "{written}"
        );
    }
}

/// The console on the config `text` (read as if from `path`), its clusters read once.
async fn app_on(
    text: &str,
    path: &std::path::Path,
    sim: &crate::common::Sim,
    size: (u16, u16),
) -> rack::app::App {
    let config = rack::config::parse(text, path).unwrap();
    let clusters = config.clusters.clone();
    let settings = rack::app::Settings {
        config,
        clock: rack::clock::Clock::Sim(sim.handle.clock()),
        ..rack::app::Settings::default()
    };
    let clients = rack::app::connect(&clusters, None);
    let mut app = rack::app::App::new(
        settings,
        &clusters,
        clients,
        rack::actions::journal::Journal::disabled(),
    );
    app.model.size = size;
    app.run_headless().await;
    app
}

fn draw(app: &rack::app::App) -> String {
    let (w, h) = app.model.size;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| rack::ui::draw(&app.model, &rack::config::theme::Theme::default(), f))
        .unwrap();
    terminal.backend().to_string()
}
