//! The poller against the simulator: three requests per steady refresh whatever the size, slower
//! sources on their cadence, and under faults stale data kept and marked, backoff, recovery.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;
use crate::console_reads::OLDER_THAN_EXPORT;

use std::time::Duration;

use rack::model::{ClusterSnapshot, Focus, host_rows, instance_rows};
use rack::poll::{Cadence, Due, next_wait, poll_once, refresh_once};
use rack::pve::Client;
use rack::sim::SimOptions;

fn client(sim: &common::Sim) -> Client {
    common::client_of(&sim.handle)
}

#[tokio::test]
async fn a_steady_refresh_is_three_requests_and_details_follow_focus() {
    let sim = common::start("homelab", 1.0).await;
    let c = client(&sim);
    let now = sim.handle.now();
    let snap = poll_once("lab", &c, now).await;
    assert_eq!(host_rows(&snap).len(), 3);
    assert_eq!(snap.ceph_health.get(), Some(&Some("HEALTH_OK".to_string())));
    assert!(
        host_rows(&snap)
            .iter()
            .all(|h| h.load.is_some() && h.pve_version.is_some())
    );
    let before = c.requests();
    let snap = refresh_once(&c, snap, &Focus::default(), Due::default(), now).await;
    assert_eq!(c.requests() - before, 3);
    // The slow sources keep their data between their turns.
    assert!(snap.ha.get().is_some() && snap.version.get().is_some());
    // Focus on a guest: its config, snapshots, history and backups come along.
    let focus = Focus {
        node: Some("pve-ms01-01".into()),
        guest: Some(("pve-ms01-01".into(), "qemu".into(), 105)),
        task: None,
        pane: rack::model::PaneData::None,
        rows: None,
    };
    let details = Due {
        details: true,
        ..Due::default()
    };
    let snap = refresh_once(&c, snap, &focus, details, now).await;
    let detail = &snap.guests[&105];
    assert_eq!(
        detail.config.get().unwrap().get("name"),
        Some("docker-host-01")
    );
    assert!(!detail.rrd.get().unwrap().is_empty());
    assert!(!detail.backups.get().unwrap().is_empty(), "105 has backups");
    assert!(!snap.nodes["pve-ms01-01"].rrd.get().unwrap().is_empty());
}

/// Between Proxmox's own 10 s cycles only the probe is read; a task that starts or ends, or a
/// node that changes, has `/cluster/resources` read at once.
#[tokio::test]
async fn a_probe_reads_resources_only_when_something_changed() {
    let sim = common::start("homelab", 0.0).await;
    let c = client(&sim);
    let now = sim.handle.now();
    let snap = poll_once("lab", &c, now).await;
    let probe = Due {
        probe_only: true,
        ..Due::default()
    };
    let before = c.requests();
    let snap = refresh_once(&c, snap, &Focus::default(), probe, now).await;
    assert_eq!(c.requests() - before, 2, "status and tasks only");
    let r = sim
        .post("/nodes/pve-ms01-02/qemu/104/status/reboot", &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = c.requests();
    let snap = refresh_once(&c, snap, &Focus::default(), probe, now).await;
    assert_eq!(c.requests() - before, 3, "a task started: resources too");
    let before = c.requests();
    let snap = refresh_once(&c, snap, &Focus::default(), probe, now).await;
    assert_eq!(c.requests() - before, 2);
    // A node that goes away changes the status: resources are read.
    sim.control("POST", "/faults", &[("spec", "unreachable=pve-aimax-01")])
        .await;
    sim.advance(60.0).await;
    let before = c.requests();
    let snap = refresh_once(&c, snap, &Focus::default(), probe, now).await;
    assert!(c.requests() - before >= 3);
    assert!(snap.resources.get().is_some());
}

/// A generated cluster of 8 nodes and `guests` guests, its client, and a first steady read.
async fn generated(
    guests: usize,
) -> (
    rack::sim::SimHandle,
    Client,
    ClusterSnapshot,
    std::time::SystemTime,
) {
    let scenario = rack::sim::generate::generate(8, guests, 3);
    let options = rack::sim::SimOptions {
        start: Some(common::epoch()),
        ..rack::sim::SimOptions::default()
    };
    let handle = rack::sim::Simulator::start(scenario, options)
        .await
        .unwrap();
    let c = common::client_of(&handle);
    let now = handle.now();
    let snap = refresh_once(
        &c,
        ClusterSnapshot::new("big"),
        &Focus::default(),
        Due::default(),
        now,
    )
    .await;
    (handle, c, snap, now)
}

/// A node's status (its load, kernel, version) is read only while its row is on screen; a row
/// scrolled into view is read at once.
#[tokio::test]
async fn node_status_is_read_for_the_rows_on_screen_only() {
    let (_sim, c, snap, now) = generated(40).await;
    let names: Vec<String> = host_rows(&snap).iter().map(|h| h.node.clone()).collect();
    let on_screen = |n: usize| Focus {
        rows: Some(names[..n].to_vec()),
        ..Focus::default()
    };
    let nodes = Due {
        nodes: true,
        ..Due::default()
    };
    let before = c.requests();
    let snap = refresh_once(&c, snap, &on_screen(2), nodes, now).await;
    assert_eq!(c.requests() - before, 3 + 2, "two rows on screen");
    // Scrolled: the new rows are read at once, the others wait for their turn.
    let before = c.requests();
    let snap = refresh_once(&c, snap, &on_screen(5), Due::default(), now).await;
    assert_eq!(c.requests() - before, 3 + 3);
    let hosts = host_rows(&snap);
    assert!(hosts[..5].iter().all(|h| h.load.is_some()));
    assert!(hosts[5..].iter().all(|h| h.load.is_none()));
}

#[tokio::test]
async fn requests_per_refresh_do_not_grow_with_the_guest_count() {
    let (_sim, c, snap, _) = generated(600).await;
    assert_eq!(c.requests(), 3);
    assert_eq!(instance_rows(&snap).len(), 600);
}

#[tokio::test]
async fn failures_keep_stale_data_back_off_and_recover() {
    let sim = common::start("homelab", 1.0).await;
    let c = client(&sim);
    let cadence = Cadence::new(Duration::from_secs(2));
    let snap = poll_once("lab", &c, sim.handle.now()).await;
    let now = snap.resources.fetched_at.unwrap();
    assert!(snap.errors().is_empty(), "{:?}", snap.errors());
    let guests = instance_rows(&snap).len();
    assert_eq!(
        next_wait(&cadence, &snap, Duration::from_millis(100)),
        Duration::from_millis(2200)
    );

    sim.control("POST", "/faults", &[("spec", "errors=1.0:503")])
        .await;
    let later = now + Duration::from_secs(10);
    let snap = refresh_once(&c, snap, &Focus::default(), Due::ALL, later).await;
    assert!(snap.resources.is_stale());
    assert!(
        snap.resources.error.as_deref().unwrap().contains("503"),
        "{:?}",
        snap.resources.error
    );
    assert_eq!(
        instance_rows(&snap).len(),
        guests,
        "last good data is still shown"
    );
    assert_eq!(snap.data_age(later), Some(Duration::from_secs(10)));
    let first = next_wait(&cadence, &snap, Duration::ZERO);
    let snap = refresh_once(&c, snap, &Focus::default(), Due::ALL, later).await;
    let second = next_wait(&cadence, &snap, Duration::ZERO);
    assert!(
        second > first && first > Duration::from_secs(2),
        "{first:?} {second:?}"
    );

    sim.control("DELETE", "/faults", &[]).await;
    let snap = refresh_once(&c, snap, &Focus::default(), Due::ALL, later).await;
    assert!(!snap.resources.is_stale() && snap.errors().is_empty());
    assert_eq!(snap.resources.failures, 0);

    // Malformed answers are errors on that source, not a crash.
    sim.control(
        "POST",
        "/faults",
        &[("spec", "malformed=/cluster/resources")],
    )
    .await;
    let snap = refresh_once(&c, snap, &Focus::default(), Due::default(), later).await;
    assert!(
        snap.resources
            .error
            .as_deref()
            .unwrap()
            .contains("unreadable")
    );
    assert!(!snap.status.is_stale());
}

/// Switching panes back and forth keeps each pane's own cadence: the Devices and Networks data
/// (a request per guest config) are read once, not at every switch; ctrl-r reads them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_panes_does_not_re_read_their_data() {
    use rack::console::Event;
    use rack::model::PaneData;
    let sim = common::start("homelab", 1.0).await;
    let c = client(&sim);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let handle = rack::poll::spawn(
        "lab".into(),
        c.clone(),
        Cadence::new(Duration::from_secs(60)),
        rack::clock::Clock::Sim(sim.handle.clock()),
        tx,
    );
    let mut next = async || loop {
        if let Some(Event::Snapshot(s)) = rx.recv().await {
            return s;
        }
    };
    // The first snapshot carries the steady reads alone (the hosts and guests show at once);
    // the rest follows in the next.
    let first = next().await;
    assert!(first.resources.get().is_some() && first.version.get().is_none());
    assert!(next().await.version.get().is_some());
    let pane = |p| Focus {
        pane: p,
        ..Focus::default()
    };
    // Each pane's first read.
    handle.focus(pane(PaneData::Devices));
    assert!(next().await.devices.get().is_some());
    handle.focus(pane(PaneData::Networks));
    assert!(next().await.networks.get().is_some());
    let mut costs = Vec::new();
    for i in 0..8 {
        let p = if i % 2 == 0 {
            PaneData::Devices
        } else {
            PaneData::Networks
        };
        handle.focus(pane(p));
        costs.push(next().await.stats.last_requests);
    }
    // A steady refresh is three requests; HA or Ceph may fall due on the way.
    assert!(costs.iter().all(|&n| n <= 6), "{costs:?}");
    // Asked for, the open pane's data is read again at once.
    // (A refresh a focus change already asked for may come first.)
    handle.refresh_now();
    let mut read = Vec::new();
    for _ in 0..3 {
        read.push(next().await.stats.last_requests);
        if read.last().is_some_and(|&n| n > 6) {
            break;
        }
    }
    assert!(read.iter().any(|&n| n > 6), "{read:?}");
}

/// A pane's read made of many requests keeps, for each part that fails, its last good read —
/// marked with when that was — instead of drawing what came back as the whole: the Ceph OSDs,
/// a node's interfaces, a node's hour in the cluster's chart.
#[tokio::test]
async fn a_failed_part_of_a_pane_read_keeps_its_last_good_data() {
    use rack::model::PaneData;
    // Without the metrics export, the cluster chart is read node by node.
    let sim = common::start_with(
        "homelab",
        SimOptions {
            speed: 0.0,
            faults: Some(OLDER_THAN_EXPORT.into()),
            ..SimOptions::default()
        },
    )
    .await;
    let c = client(&sim);
    let now = sim.handle.now();
    let mut snap = poll_once("lab", &c, now).await;
    for pane in [PaneData::Ceph, PaneData::Networks, PaneData::Hosts] {
        let focus = Focus {
            pane,
            ..Focus::default()
        };
        snap = refresh_once(&c, snap, &focus, Due::ALL, now).await;
    }
    let osds = snap.ceph.get().unwrap().osds.clone();
    assert!(!osds.is_empty());
    let threads = snap
        .cluster_rrd
        .get()
        .unwrap()
        .points
        .last()
        .unwrap()
        .maxcpu;

    let spec = "malformed=/nodes/pve-ms01-01/ceph/osd;malformed=/nodes/pve-ms01-02/ceph/osd;\
                malformed=/nodes/pve-aimax-01/ceph/osd;malformed=/nodes/pve-aimax-01/network;\
                malformed=/nodes/pve-aimax-01/rrddata";
    sim.control("POST", "/faults", &[("spec", spec)]).await;
    let later = now + Duration::from_secs(40);
    for pane in [PaneData::Ceph, PaneData::Networks, PaneData::Hosts] {
        let focus = Focus {
            pane,
            ..Focus::default()
        };
        snap = refresh_once(&c, snap, &focus, Due::ALL, later).await;
    }
    let ceph = snap.ceph.get().unwrap();
    assert_eq!(ceph.osds, osds, "the OSD rows stay");
    assert_eq!(
        ceph.partial.get("OSD tree").unwrap().read_at,
        Some(now),
        "marked with when they were read"
    );
    let networks = snap.networks.get().unwrap();
    let aimax = networks
        .nodes
        .iter()
        .find(|n| n.node == "pve-aimax-01")
        .unwrap();
    assert!(aimax.ifaces.is_ok(), "its interfaces as last read");
    let lines = rack::model::networks::lines("lab", networks);
    let vmbr0 = lines.iter().find(|l| l.name == "vmbr0").unwrap();
    assert_eq!(rack::model::networks::nodes_text(vmbr0), "3/3");
    let history = snap.cluster_rrd.get().unwrap();
    assert_eq!(
        history.points.last().unwrap().maxcpu,
        threads,
        "all nodes summed"
    );
    assert!(history.partial.get("history of pve-aimax-01").is_some());
}

/// Right after a migration the selection still names the guest's old node: its details are
/// read where the resources just read put it, not counted as errors from the old one.
#[tokio::test]
async fn a_guest_just_migrated_is_read_on_its_new_node() {
    let sim = common::start("homelab", 0.0).await;
    let c = client(&sim);
    let now = sim.handle.now();
    let snap = poll_once("lab", &c, now).await;
    let focus = Focus {
        // 105 runs on pve-ms01-01; the selection still says pve-ms01-02.
        guest: Some(("pve-ms01-02".into(), "qemu".into(), 105)),
        ..Focus::default()
    };
    let due = Due {
        details: true,
        ..Due::default()
    };
    let snap = refresh_once(&c, snap, &focus, due, now).await;
    let detail = &snap.guests[&105];
    assert!(detail.config.error.is_none(), "{:?}", detail.config.error);
    assert!(detail.config.get().is_some());
    assert!(c.recent_failures(Duration::from_secs(300)).is_empty());
}
