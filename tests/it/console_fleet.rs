//! The all-clusters view against three simulators: two clusters (`homelab` and `office`, the
//! same scenario, so their VMIDs and node names repeat) and a standalone laptop. Every pane that
//! lists the fleet names each row's cluster; an action goes to the selected row's cluster; a
//! cluster that cannot be read stays listed as last read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::actions::journal::Journal;
use rack::app::{App, Settings, embedded};
use rack::clock::Clock;
use rack::config::theme::Theme;
use rack::console::Event;
use rack::console::dialog::Dialog;
use rack::sim::SimOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common;
use crate::common::console::START;

const CLUSTERS: [(&str, &str); 3] = [
    ("homelab", "homelab"),
    ("office", "homelab"),
    ("laptop", "laptop"),
];

struct Fleet {
    sims: Vec<common::Sim>,
    app: App,
}

impl Fleet {
    /// The three simulators at `speed` (0: frozen at `START`), one console on them all.
    async fn start(speed: f64, width: u16, height: u16) -> Self {
        let mut sims = Vec::new();
        let mut connections = Vec::new();
        let mut clients = Vec::new();
        for (name, scenario) in CLUSTERS {
            let sim = common::start_with(
                scenario,
                SimOptions {
                    speed,
                    start: Some(START as f64),
                    ..SimOptions::default()
                },
            )
            .await;
            connections.push(embedded::connection(&sim.handle, name));
            clients.push(Ok(common::client_of(&sim.handle)));
            sims.push(sim);
        }
        let settings = Settings {
            clock: Clock::Sim(sims[0].handle.clock()),
            task_poll: Duration::from_millis(200),
            ..Settings::default()
        };
        let mut app = App::new(settings, &connections, clients, Journal::disabled());
        app.model.size = (width, height);
        app.run_headless().await;
        let mut fleet = Self { sims, app };
        fleet.poll().await;
        fleet
    }

    async fn poll(&mut self) {
        self.app.refresh_all();
        self.app.run_headless().await;
    }

    async fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\x1b' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            self.app
                .push(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
        self.app.run_headless().await;
    }

    fn screen(&self) -> String {
        let (w, h) = self.app.model.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| rack::ui::draw(&self.app.model, &Theme::default(), f))
            .unwrap();
        terminal.backend().to_string()
    }

    fn sim(&self, name: &str) -> &common::Sim {
        let i = CLUSTERS.iter().position(|(n, _)| *n == name).unwrap();
        &self.sims[i]
    }

    /// Enter in the migrate dialog, then until the screen shows `what` (the other cluster's
    /// answer comes from a task of its own).
    async fn asked_until(&mut self, what: &str) -> String {
        self.keys("\n").await;
        for _ in 0..100 {
            let shown = self.screen();
            if shown.contains(what) {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.app.run_headless().await;
        }
        panic!("{what:?} never showed:\n{}", self.screen());
    }

    /// The current cluster's name: where an action goes.
    fn current(&self) -> &str {
        &self.app.model.clusters[self.app.model.current].name
    }
}

#[tokio::test]
async fn every_cluster_s_hosts_and_guests_in_one_view() {
    let mut f = Fleet::start(0.0, 140, 30).await;
    f.keys("0").await;
    assert!(f.app.model.all);
    let shown = f.screen();
    insta::assert_snapshot!("fleet_hosts", shown);
    // Two clusters of three nodes and the laptop, each node under its cluster.
    assert!(shown.contains("Hosts · all clusters(7/7)"), "{shown}");
    assert!(shown.contains("all 3 clusters"), "{shown}");
    for name in ["homelab", "office", "laptop"] {
        assert!(shown.contains(name), "{name}: {shown}");
    }

    // The same VMIDs on two clusters are two rows, each kept by its own key.
    f.keys("2").await;
    let per_cluster: Vec<usize> = f
        .app
        .model
        .clusters
        .iter()
        .map(|c| c.instances.len())
        .collect();
    let total: usize = per_cluster.iter().sum();
    assert_eq!(f.app.model.instances.visible.len(), total);
    let shown = f.screen();
    assert!(
        shown.contains(&format!("Instances · all clusters({total}/{total})")),
        "{shown}"
    );

    // `cluster:` narrows to one; the selection there makes it the current cluster.
    f.keys("/lap\n").await;
    let laptop = per_cluster[2];
    assert_eq!(f.app.model.instances.visible.len(), laptop);
    assert_eq!(f.current(), "laptop");
    let shown = f.screen();
    assert!(shown.contains("win11-test"), "{shown}");
    assert!(!shown.contains("talos-k8s-01"), "{shown}");

    // `0` again: back to one cluster's view, the selected row's, the row still selected.
    f.keys("\x1b").await;
    f.keys("/win11\n").await;
    f.keys("0").await;
    assert!(!f.app.model.all);
    assert_eq!(f.current(), "laptop");
    let row = f.app.model.selected_instance().unwrap();
    assert_eq!((row.cluster.as_str(), row.vmid), ("laptop", 101));
    assert!(!f.screen().contains("CLUSTER"));
}

#[tokio::test]
async fn the_picker_offers_all_clusters_and_a_cluster_name_leaves_them() {
    let mut f = Fleet::start(0.0, 120, 24).await;
    f.keys(":cluster\n").await;
    assert!(matches!(f.app.model.dialog, Some(Dialog::Clusters(_))));
    let shown = f.screen();
    assert!(shown.contains("all clusters  3 clusters"), "{shown}");
    // Up from the first row wraps to the last: all clusters.
    f.keys("k\n").await;
    assert!(f.app.model.all);
    assert!(f.screen().contains("Hosts · all clusters(7/7)"));
    f.keys(":cluster off\n").await;
    assert!(!f.app.model.all);
    assert_eq!(f.current(), "office");
    assert!(f.screen().contains("Hosts(3/3)"), "{}", f.screen());
    f.keys(":all\n").await;
    assert!(f.app.model.all);
}

#[tokio::test]
async fn an_action_goes_to_the_cluster_of_the_selected_row() {
    let mut f = Fleet::start(20.0, 140, 30).await;
    f.keys("02/ai-training cluster:office\n").await;
    let row = f.app.model.selected_instance().unwrap().clone();
    assert_eq!((row.cluster.as_str(), row.vmid), ("office", 110));
    assert_eq!(row.status, "stopped");
    assert_eq!(f.current(), "office");

    f.keys("ps").await;
    let shown = f.screen();
    assert!(shown.contains("ai-training-01"), "{shown}");
    // The same VMID is on two clusters: the confirmation says which.
    assert!(shown.contains(" office · "), "{shown}");
    f.keys("y").await;
    assert!(
        f.app.settle(Duration::from_secs(60)).await,
        "the start never ended"
    );
    let office = f.sim("office").resource("qemu/110").await;
    assert_eq!(office["status"], "running", "{office}");
    // The same VMID on the other cluster was not touched.
    let homelab = f.sim("homelab").resource("qemu/110").await;
    assert_eq!(homelab["status"], "stopped", "{homelab}");
    let job = f.app.model.jobs.last().unwrap();
    assert_eq!(job.cluster, "office");
}

#[tokio::test]
async fn a_cluster_that_cannot_be_read_stays_listed_as_last_read() {
    let mut f = Fleet::start(0.0, 140, 30).await;
    f.keys("0").await;
    let r = f
        .sim("office")
        .control("POST", "/faults", &[("spec", "errors=1:503")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    f.poll().await;
    let shown = f.screen();
    // Its rows are still there, marked; the header names it.
    assert!(shown.contains("Hosts · all clusters(7/7)"), "{shown}");
    assert!(shown.contains("▲ office"), "{shown}");
    assert!(shown.contains("▲ office stale"), "{shown}");
    assert!(shown.contains("nodes 7/7 (3 as last read)"), "{shown}");
    let stale = f
        .app
        .model
        .fleet
        .hosts
        .iter()
        .filter(|h| h.cluster_stale)
        .count();
    assert_eq!(stale, 3);
}

#[tokio::test]
async fn tasks_devices_backups_and_ha_list_every_cluster() {
    let mut f = Fleet::start(0.0, 160, 40).await;
    f.keys("0").await;
    for (pane, title) in [
        ('3', "Devices · all clusters"),
        ('6', "Backups · all clusters"),
        ('7', "Tasks · all clusters"),
        ('8', "HA · all clusters"),
    ] {
        f.keys(&pane.to_string()).await;
        f.poll().await;
        let shown = f.screen();
        assert!(shown.contains(title), "{shown}");
        assert!(shown.contains("CLUSTER"), "{shown}");
        for name in ["homelab", "office"] {
            assert!(shown.contains(name), "{title} without {name}: {shown}");
        }
        f.keys("/cluster:office\n").await;
        assert_eq!(f.current(), "office", "{title}");
        let shown = f.screen();
        assert!(!shown.contains("│homelab"), "{shown}");
        f.keys("\x1b").await;
    }
    // A pane that shows one cluster at a time names it.
    f.keys("5").await;
    assert!(f.screen().contains("Ceph · "), "{}", f.screen());
}

#[tokio::test]
async fn the_migrate_dialog_moves_a_guest_to_another_cluster() {
    let mut f = Fleet::start(20.0, 140, 40).await;
    f.keys("2/ubuntu cluster:homelab\n").await;
    let row = f.app.model.selected_instance().unwrap().clone();
    assert_eq!((row.cluster.as_str(), row.vmid), ("homelab", 9000));
    f.keys("m").await;
    let shown = f.screen();
    assert!(shown.contains("to another cluster:"), "{shown}");
    assert!(shown.contains("office/pve-ms01-01"), "{shown}");
    assert!(shown.contains("laptop/pve-laptop"), "{shown}");
    // The cluster's own nodes come first, and the first one it may go to is chosen.
    assert!(shown.contains("▶ pve-"), "{shown}");
    for _ in 0..12 {
        if f.screen().contains("▶ office/pve-ms01-01") {
            break;
        }
        f.keys("j").await;
    }
    // First Enter: the office says where the guest would go; its 9000 is taken.
    f.asked_until("as VM 100").await;
    // Moving away forgets the answer; coming back asks again.
    f.keys("kj").await;
    assert!(
        f.screen().contains("Enter: ask it for a VMID"),
        "{}",
        f.screen()
    );
    let shown = f.asked_until("as VM 100").await;
    // `o` chooses nothing here: a stopped guest goes offline, a running one as it must.
    f.keys("o").await;
    assert!(f.screen().contains("mode offline (the guest is stopped)"));
    assert!(
        shown.contains("as VM 100 · disks vm-disks · net vmbr0"),
        "{shown}"
    );
    assert!(
        shown.contains("the source deleted once it runs there"),
        "{shown}"
    );
    // s keeps the source; the second Enter sends.
    f.keys("s").await;
    assert!(
        f.screen().contains("kept, stopped and locked"),
        "{}",
        f.screen()
    );
    f.keys("\n").await;
    assert!(f.app.model.dialog.is_none());
    assert!(
        f.app.settle(Duration::from_secs(60)).await,
        "the migration never ended"
    );
    let job = f.app.model.jobs.last().unwrap();
    assert!(job.state.finished(), "{:?}", job.state);
    assert_eq!(job.cluster, "homelab");
    let arrived = f.sim("office").resource("qemu/100").await;
    assert_eq!(arrived["name"], "ubuntu-2404-cloudinit", "{arrived}");
    let kept = f.sim("homelab").resource("qemu/9000").await;
    assert_eq!(kept["lock"], "migrate", "{kept}");
}

#[tokio::test]
async fn marks_belong_to_their_cluster_and_are_said_elsewhere() {
    let mut f = Fleet::start(0.0, 140, 30).await;
    f.keys("02/cluster:homelab\n ").await;
    assert!(f.screen().contains("[1 marked]"), "{}", f.screen());
    f.keys("\x1b/cluster:office\n").await;
    assert_eq!(f.current(), "office");
    let shown = f.screen();
    assert!(shown.contains("[1 marked on homelab]"), "{shown}");
    // Back to one cluster's view: the other cluster's marks go.
    f.keys("0").await;
    assert!(f.app.model.marked.is_empty());
}

#[tokio::test]
async fn the_header_names_what_is_wrong_where() {
    let mut f = Fleet::start(0.0, 160, 30).await;
    let office = f.sim("office");
    let r = office
        .control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    office.advance(300.0).await;
    f.poll().await;
    f.keys("0").await;
    let shown = f.screen();
    let header = shown.lines().next().unwrap_or_default();
    assert!(header.contains("nodes 6/7"), "{header}");
    assert!(
        header.contains("▲ office 1 node down, ceph WARN"),
        "{header}"
    );
    assert!(!header.contains("homelab"), "{header}");
}
