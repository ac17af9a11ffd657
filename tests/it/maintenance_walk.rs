//! The maintenance walkthrough against the simulated homelab, driven as `rack maintenance enter`
//! drives it: pve-ms01-01 drained, HA maintenance enabled through the command template (the
//! simulator's control interface, as the demo does), rebooted onto its new kernel; a failed
//! migration stops it for retry; a restart takes it up from the file it is kept in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::collections::BTreeMap;
use std::time::Duration;

use rack::actions::walkthrough::{Drive, Outcome, WalkStore, observe};
use rack::actions::{Job, Journal, Limits, Queue, Target};
use rack::clock::Clock;
use rack::maint::walk::{GuestState, Power, Stage, Walk, refusal};
use rack::maint::{Settings, plan};
use rack::pve::Secret;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::common;

const NODE: &str = "pve-ms01-01";

struct Rig {
    sim: common::Sim,
    client: rack::pve::Client,
    /// root@pam with a password: the node shell the upgrade and HA steps may use.
    root: rack::pve::Client,
    queue: Queue,
    jobs: mpsc::Receiver<Job>,
    store: WalkStore,
    env: Vec<(String, Secret)>,
    _dir: common::Scratch,
}

async fn rig() -> Rig {
    let sim = common::start("homelab", 40.0).await;
    let client = common::client_of(&sim.handle);
    let (tx, jobs) = mpsc::channel(1024);
    let targets = BTreeMap::from([(
        "lab".to_string(),
        Target {
            client: client.clone(),
            read_only: false,
            wake: Default::default(),
        },
    )]);
    let limits = Limits {
        poll: Duration::from_millis(200),
        clock: Clock::Sim(sim.handle.clock()),
        ..Limits::default()
    };
    let queue = Queue::new(targets, Journal::disabled(), tx, limits);
    let dir = common::Scratch::new("maint-walk");
    let store = WalkStore::at(dir.join("maintenance-lab.json"));
    let env = vec![(
        "RACK_SIM_TOKEN".to_string(),
        Secret::new(sim.handle.token()),
    )];
    Rig {
        root: common::root_client_of(&sim.handle),
        sim,
        client,
        queue,
        jobs,
        store,
        env,
        _dir: dir,
    }
}

impl Rig {
    /// The walkthrough the CLI would start, with the demo's command template.
    async fn walk(&self) -> Walk {
        let p = self.plan().await;
        assert_eq!(refusal(&p, &|_| false), None, "{p:#?}");
        Walk::new("lab", &p, Some(self.command("enable")), 2)
    }

    async fn plan(&self) -> rack::maint::Plan {
        let (inputs, _) = rack::poll::maintenance_inputs(
            "lab",
            &self.client,
            NODE,
            &Default::default(),
            &[],
            self.sim.handle.now(),
        )
        .await
        .unwrap();
        plan(&inputs, &Settings::default())
    }

    /// The demo's HA command: the simulator's control interface through `rack sim-control`.
    fn command(&self, action: &str) -> String {
        let pin = self
            .sim
            .handle
            .fingerprint
            .as_deref()
            .map_or(String::new(), |fp| format!(" --fingerprint {fp}"));
        format!(
            "'{}' sim-control --url {}{pin} POST /nodes/{NODE}/maintenance action={action}",
            env!("CARGO_BIN_EXE_rack"),
            self.sim.handle.url
        )
    }

    async fn drive(&mut self, walk: &mut Walk) -> (Outcome, Vec<String>) {
        self.drive_with(walk, true).await
    }

    /// Drive with the root shell (`shell`) or without one.
    async fn drive_with(&mut self, walk: &mut Walk, shell: bool) -> (Outcome, Vec<String>) {
        let mut said = Vec::new();
        let mut drive = Drive {
            client: &self.client,
            queue: &self.queue,
            jobs: &mut self.jobs,
            store: &self.store,
            poll: Duration::from_millis(200),
            env: &self.env,
            shell: shell.then_some(&self.root),
            pause: None,
        };
        let outcome = tokio::time::timeout(
            Duration::from_secs(120),
            drive.run(walk, &mut |_, text| said.extend(text.map(str::to_string))),
        )
        .await
        .expect("the walkthrough did not end within 2 minutes");
        (outcome, said)
    }

    async fn guests_on(&self, node: &str) -> Vec<u64> {
        let r = self.sim.get("/cluster/resources?type=vm").await;
        r.data()
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["node"] == node)
            .filter_map(|g| g["vmid"].as_u64())
            .collect()
    }
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_drains_pve_ms01_01_and_reboots_it_onto_its_new_kernel() {
    let mut r = rig().await;
    let before = count(r.sim.get("/cluster/resources?type=vm").await.data());
    let mut walk = r.walk().await;
    walk.power = Some(Power::Reboot);
    let (outcome, said) = r.drive(&mut walk).await;
    assert_eq!(outcome, Outcome::Done, "{said:#?}");
    // Nothing lost; only the template stays.
    assert_eq!(
        count(r.sim.get("/cluster/resources?type=vm").await.data()),
        before
    );
    assert_eq!(r.guests_on(NODE).await, [9000]);
    // Spread over both other nodes; docker-host-01 where its HA rule prefers (the other MS-01).
    assert!(!r.guests_on("pve-ms01-02").await.is_empty());
    assert!(r.guests_on("pve-aimax-01").await.contains(&101));
    assert!(r.guests_on("pve-ms01-02").await.contains(&105));
    // noout set, HA maintenance seen, and the node back on the kernel its upgrade brought.
    let flags = r.sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), &Value::from(1), "{}", flags.text);
    let ms = r.sim.get("/cluster/ha/status/manager_status").await;
    assert_eq!(
        ms.data()["manager_status"]["node_status"][NODE],
        "maintenance"
    );
    let status = r.sim.get(&format!("/nodes/{NODE}/status")).await;
    assert_eq!(status.data()["current-kernel"]["release"], "6.17.4-1-pve");
    assert!(said.iter().any(|s| s.starts_with("running: ")), "{said:#?}");
    // The upgrade ran in the node's shell before the reboot: that is why the new kernel runs.
    assert!(
        said.iter().any(|s| s
            == "upgraded pve-ms01-01: the system is up to date; a kernel update was installed: the reboot boots it"),
        "{said:#?}"
    );
    assert!(
        r.sim
            .get(&format!("/nodes/{NODE}/apt/update"))
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Kept on disk, with each guest's origin for the way back.
    let kept = r.store.load().unwrap().unwrap();
    assert_eq!(kept.stage, Stage::Done);
    assert!(kept.guests.iter().all(|g| g.origin == NODE));
    assert!(
        kept.guests
            .iter()
            .filter(|g| g.vmid != 9000)
            .all(|g| g.state == GuestState::Moved),
        "{:#?}",
        kept.guests
    );

    // The way back: HA maintenance off by the same command, noout unset, clean PGs, and every
    // guest back where it was.
    let command = r.command("disable");
    walk.begin_exit(None, Some(command));
    let (outcome, said) = r.drive(&mut walk).await;
    assert_eq!(outcome, Outcome::Done, "{said:#?}");
    assert_eq!(walk.stage, Stage::Finished);
    let mut home = r.guests_on(NODE).await;
    home.sort();
    assert_eq!(home, [101, 105, 200, 203, 9000], "{said:#?}");
    let flags = r.sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), &Value::from(0), "{}", flags.text);
    let ms = r.sim.get("/cluster/ha/status/manager_status").await;
    assert_ne!(
        ms.data()["manager_status"]["node_status"][NODE],
        "maintenance"
    );
    let ceph = r.sim.get("/cluster/ceph/status").await;
    assert_eq!(
        ceph.data()["health"]["status"],
        "HEALTH_OK",
        "{}",
        ceph.text
    );
    assert!(
        said.iter().any(|s| s.starts_with("done: migrate VM 101")),
        "{said:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_migration_stops_the_walk_with_proxmox_s_error_and_a_retry_goes_on() {
    let mut r = rig().await;
    let failed = r
        .sim
        .control(
            "POST",
            "/tasks/fail-next",
            &[("type", "qmigrate"), ("error", "migration aborted")],
        )
        .await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    let mut walk = r.walk().await;
    let (outcome, said) = r.drive(&mut walk).await;
    let Outcome::Stopped(why) = outcome else {
        panic!("{outcome:?}: {said:#?}")
    };
    assert!(why.contains("talos-k8s-01: migration aborted"), "{why}");
    assert_eq!(walk.stage, Stage::Moves);
    // The other guests went on; the failed one is still here.
    assert!(r.guests_on(NODE).await.contains(&101));
    walk.retry();
    let (outcome, said) = r.drive(&mut walk).await;
    assert_eq!(outcome, Outcome::Ready, "{said:#?}");
    assert_eq!(r.guests_on(NODE).await, [9000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_takes_the_walk_up_from_its_file() {
    let mut r = rig().await;
    let mut walk = r.walk().await;
    // The first process is stopped while its first moves run: its drive is dropped as soon as
    // the kept file shows a guest moving.
    {
        let mut drive = Drive {
            client: &r.client,
            queue: &r.queue,
            jobs: &mut r.jobs,
            store: &r.store,
            poll: Duration::from_millis(100),
            env: &r.env,
            shell: Some(&r.root),
            pause: None,
        };
        let mut quiet = |_: &Walk, _: Option<&str>| {};
        let store = r.store.clone();
        let moving = async {
            loop {
                let kept = store.load().ok().flatten();
                if kept.is_some_and(|w| w.guests.iter().any(|g| g.state == GuestState::Moving)) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            outcome = drive.run(&mut walk, &mut quiet) => panic!("it ended first: {outcome:?}"),
            _ = tokio::time::timeout(Duration::from_secs(30), moving) => {}
        }
    }
    let kept = r.store.load().unwrap().unwrap();
    assert!(
        kept.guests.iter().any(|g| g.state == GuestState::Moving),
        "{:#?}",
        kept.guests
    );
    drop(walk);
    // A process that stopped sends nothing more, but this test's first queue lives on: let the
    // requests it had taken reach the cluster (each guest moving is locked, or gone) before the
    // second one looks, as they would have before a process ended.
    for _ in 0..200 {
        let seen = observe(&r.client, NODE).await.unwrap();
        let landed = kept
            .guests
            .iter()
            .filter(|g| g.state == GuestState::Moving)
            .all(|g| seen.locked.contains(&g.vmid) || !seen.here.contains(&g.vmid));
        if landed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // A new one loads it, judges what was under way by what the cluster shows, and goes on.
    let mut walk = r.store.load().unwrap().unwrap();
    let seen = observe(&r.client, NODE).await.unwrap();
    walk.resume(&seen);
    let (outcome, said) = r.drive(&mut walk).await;
    assert_eq!(outcome, Outcome::Ready, "{said:#?}");
    assert_eq!(r.guests_on(NODE).await, [9000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_that_would_be_lost_refuses_the_walk() {
    let r = rig().await;
    r.sim
        .control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
        .await;
    let p = r.plan().await;
    let why = refusal(&p, &|_| true).unwrap();
    assert!(why.starts_with("pre-check quorum fails"), "{why}");
}

#[test]
fn a_script_must_say_yes_and_status_says_when_nothing_is_in_progress() {
    let home = common::Scratch::new("maint-enter");
    let out = common::rack(&home)
        .env("RACK_DEMO_START", common::epoch().to_string())
        .args(["--demo", "maintenance", "enter", NODE, "--wait"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pass --yes"), "{stderr}");
    let out = common::rack(&home)
        .args(["--demo", "maintenance", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No maintenance walkthrough in progress.\n"
    );
}

#[test]
fn a_second_process_cannot_drive_the_same_walkthrough() {
    let dir = common::Scratch::new("maint-lock");
    let store = WalkStore::at(dir.join("maintenance-lab.json"));
    let held = store.lock().unwrap();
    assert!(held.is_some());
    let again = WalkStore::at(dir.join("maintenance-lab.json")).lock();
    let why = again.unwrap_err();
    assert!(
        why.starts_with("another rack is carrying out this walkthrough now"),
        "{why}"
    );
    drop(held);
    assert!(store.lock().unwrap().is_some());
}

/// Each guest that cannot move is the user's to choose: shut down for the duration, or the
/// walkthrough does not start.
#[test]
fn guests_that_cannot_move_are_chosen_one_by_one() {
    let home = common::Scratch::new("maint-blocked");
    let out = common::rack(&home)
        .env("RACK_DEMO_START", common::epoch().to_string())
        .args([
            "--demo",
            "maintenance",
            "enter",
            "pve-aimax-01",
            "--shutdown-blocked",
            "110",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: the walkthrough cannot start: 111 (nvr-frigate) cannot move"),
        "{stderr}"
    );
}

/// With no HA command configured, HA node maintenance is asked for in the node's shell, as a
/// person would type it; without a root shell, the upgrade is left to the user, said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_command_template_ha_maintenance_goes_through_the_node_s_shell() {
    let mut r = rig().await;
    let p = r.plan().await;
    let mut walk = Walk::new("lab", &p, None, 2);
    let (outcome, said) = r.drive(&mut walk).await;
    assert_eq!(outcome, Outcome::Ready, "{said:#?}");
    assert!(
        said.iter().any(|s| s
            == "running in pve-ms01-01's shell: ha-manager crm-command node-maintenance enable pve-ms01-01"),
        "{said:#?}"
    );
    let ms = r.sim.get("/cluster/ha/status/manager_status").await;
    assert_eq!(
        ms.data()["manager_status"]["node_status"][NODE],
        "maintenance"
    );

    // Without a root shell: the upgrade is skipped with what to do.
    let mut r = rig().await;
    let mut walk = r.walk().await;
    let (outcome, said) = r.drive_with(&mut walk, false).await;
    assert_eq!(outcome, Outcome::Ready, "{said:#?}");
    assert_eq!(
        walk.upgrade,
        rack::maint::walk::StepState::Skipped(
            "rack has no root@pam login for terminals ([clusters.shell]): run `pveupgrade` on pve-ms01-01 yourself before the reboot".into()
        )
    );
}
