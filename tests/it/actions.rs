//! The action queue against the simulator: each action's effect asserted in the simulator's
//! state, failures carrying Proxmox's text, permissions, ordering per guest, Wake-on-LAN by the
//! cluster and from here, and the journal taking over after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use rack::actions::journal::{Journal, Step};
use rack::actions::{GuestRef, Job, JobId, JobState, Limits, Queue, Request, Target};
use rack::config::WakeConfig;
use rack::console::Event;
use rack::model::GuestKind;
use tokio::sync::mpsc;

fn temp_dir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("actions-{tag}"))
}

fn limits() -> Limits {
    Limits {
        poll: Duration::from_millis(200),
        ..Limits::default()
    }
}

struct Rig {
    queue: Queue,
    rx: mpsc::Receiver<Event>,
    /// Every state each job has been seen in.
    seen: BTreeMap<JobId, Vec<Job>>,
}

fn rig(client: rack::pve::Client, journal: Journal, wake: WakeConfig) -> Rig {
    rig_at(client, journal, wake, rack::clock::Clock::Wall)
}

/// A rig whose jobs are stamped by `clock` (the simulator's, to compare with its tasks).
fn rig_at(
    client: rack::pve::Client,
    journal: Journal,
    wake: WakeConfig,
    clock: rack::clock::Clock,
) -> Rig {
    let (tx, rx) = mpsc::channel(1024);
    let targets = BTreeMap::from([(
        "lab".to_string(),
        Target {
            client,
            read_only: false,
            wake,
        },
    )]);
    Rig {
        queue: Queue::new(targets, journal, tx, Limits { clock, ..limits() }),
        rx,
        seen: BTreeMap::new(),
    }
}

impl Rig {
    /// Events until job `id` has ended; its last state.
    async fn end_of(&mut self, id: JobId) -> Job {
        if let Some(j) = self.seen.get(&id).and_then(|v| v.last())
            && j.state.finished()
        {
            return j.clone();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let event = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("the job did not end in time")
                .unwrap();
            if let Event::Job(job) = event {
                let done = job.id == id && job.state.finished();
                self.seen.entry(job.id).or_default().push((*job).clone());
                if done {
                    return *job;
                }
            }
        }
    }
}

fn guest(node: &str, kind: GuestKind, vmid: u32) -> GuestRef {
    GuestRef {
        node: node.into(),
        kind,
        vmid,
        name: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_migration_moves_the_guest_and_shows_its_progress() {
    let sim = common::start("homelab", 20.0).await;
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    let id = r
        .queue
        .submit(
            "lab",
            Request::Migrate {
                guest: guest("pve-ms01-01", GuestKind::Qemu, 101),
                target: "pve-ms01-02".into(),
                online: true,
                with_local_disks: false,
                ha: false,
            },
        )
        .unwrap();
    let job = r.end_of(id).await;
    assert_eq!(job.state, JobState::Succeeded("OK".into()), "{:?}", job.log);
    assert!(job.upid.as_deref().unwrap().contains(":qmigrate:101:"));
    let phases: Vec<String> = r.seen[&id]
        .iter()
        .filter_map(|j| j.progress.as_ref().map(|p| p.phase.clone()))
        .collect();
    assert!(phases.iter().any(|p| p == "memory"), "{phases:?}");
    assert!(
        job.log
            .iter()
            .any(|l| l.contains("migration finished successfully")),
        "{:?}",
        job.log
    );
    assert_eq!(sim.resource("qemu/101").await["node"], "pve-ms01-02");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_guest_migrates_through_the_ha_manager_and_is_followed_to_the_move() {
    let sim = common::start("homelab", 20.0).await;
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    for (vmid, ha) in [(105, true), (104, false)] {
        let id = r
            .queue
            .submit(
                "lab",
                Request::Migrate {
                    guest: guest(
                        if vmid == 105 {
                            "pve-ms01-01"
                        } else {
                            "pve-ms01-02"
                        },
                        GuestKind::Qemu,
                        vmid,
                    ),
                    target: "pve-aimax-01".into(),
                    online: true,
                    with_local_disks: false,
                    ha,
                },
            )
            .unwrap();
        let job = r.end_of(id).await;
        assert_eq!(
            job.state,
            JobState::Succeeded("OK".into()),
            "{vmid}: {:?}",
            job.log
        );
        assert!(
            job.upid.as_deref().unwrap().contains(":qmigrate:"),
            "{:?}",
            job.upid
        );
        assert_eq!(
            sim.resource(&format!("qemu/{vmid}")).await["node"],
            "pve-aimax-01"
        );
    }
}

/// An HA migration the HA rules forbid fails at once with ha-manager's words: Proxmox VE 9
/// answers 200 naming what blocks it, and the CRM drops the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_migration_into_negative_affinity_fails_with_the_reason() {
    let sim = common::start("homelab", 20.0).await;
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    let id = r
        .queue
        .submit(
            "lab",
            Request::Migrate {
                guest: guest("pve-ms01-02", GuestKind::Qemu, 104),
                target: "pve-ms01-01".into(),
                online: true,
                with_local_disks: false,
                ha: true,
            },
        )
        .unwrap();
    let job = r.end_of(id).await;
    assert_eq!(
        job.state,
        JobState::Failed(
            "cannot migrate resource 'vm:104' to node 'pve-ms01-01': resource 'ct:203' on target node 'pve-ms01-01' in negative affinity with resource 'vm:104'".into()
        )
    );
    assert_eq!(sim.resource("qemu/104").await["node"], "pve-ms01-02");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_on_one_guest_run_in_order_and_take_effect() {
    let sim = common::start("homelab", 20.0).await;
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    let vm = guest("pve-ms01-01", GuestKind::Qemu, 101);
    let snap = |name: &str| Request::Snapshot {
        guest: vm.clone(),
        name: name.into(),
        description: "before the test".into(),
        vmstate: false,
    };
    // Submitted back to back: each waits for the one before (the guest is locked meanwhile,
    // so running them together would fail).
    let ids = [
        r.queue.submit("lab", snap("first")).unwrap(),
        r.queue.submit("lab", snap("second")).unwrap(),
        r.queue
            .submit(
                "lab",
                Request::DeleteSnapshot {
                    guest: vm.clone(),
                    name: "first".into(),
                },
            )
            .unwrap(),
        r.queue
            .submit(
                "lab",
                Request::Rollback {
                    guest: vm.clone(),
                    name: "second".into(),
                    start: true,
                },
            )
            .unwrap(),
    ];
    for id in ids {
        let job = r.end_of(id).await;
        assert!(
            matches!(job.state, JobState::Succeeded(_)),
            "{}: {:?}",
            job.request.describe(),
            job.state
        );
    }
    let snaps = sim.get("/nodes/pve-ms01-01/qemu/101/snapshot").await;
    let names: Vec<&str> = snaps
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"second") && !names.contains(&"first"),
        "{names:?}"
    );

    // Power: a container shut down, then started again.
    let ct = guest("pve-ms01-01", GuestKind::Lxc, 200);
    let down = r
        .queue
        .submit(
            "lab",
            Request::Shutdown {
                guest: ct.clone(),
                timeout: Some(30),
                force: true,
            },
        )
        .unwrap();
    assert!(matches!(r.end_of(down).await.state, JobState::Succeeded(_)));
    assert_eq!(sim.resource("lxc/200").await["status"], "stopped");
    let up = r.queue.submit("lab", Request::Start { guest: ct }).unwrap();
    assert!(matches!(r.end_of(up).await.state, JobState::Succeeded(_)));
    assert_eq!(sim.resource("lxc/200").await["status"], "running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_carry_proxmox_s_own_text() {
    let sim = common::start("homelab", 20.0).await;
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    // The task fails.
    let fail = sim
        .control(
            "POST",
            "/tasks/fail-next",
            &[("type", "qmigrate"), ("error", "migration problems")],
        )
        .await;
    assert_eq!(fail.status, 200, "{}", fail.text);
    let id = r
        .queue
        .submit(
            "lab",
            Request::Migrate {
                guest: guest("pve-ms01-02", GuestKind::Qemu, 102),
                target: "pve-ms01-01".into(),
                online: true,
                with_local_disks: false,
                ha: false,
            },
        )
        .unwrap();
    let job = r.end_of(id).await;
    assert_eq!(job.state, JobState::Failed("migration problems".into()));
    assert_eq!(sim.resource("qemu/102").await["node"], "pve-ms01-02");
    // Its gauge shows where it stopped, not a full bar.
    let p = job.progress.as_ref().expect("the transfer had begun");
    assert!(p.fraction < 1.0, "{p:?}");

    // The API refuses: a snapshot name Proxmox does not accept.
    let id = r
        .queue
        .submit(
            "lab",
            Request::Snapshot {
                guest: guest("pve-ms01-01", GuestKind::Qemu, 101),
                name: "9-lives".into(),
                description: String::new(),
                vmstate: false,
            },
        )
        .unwrap();
    let job = r.end_of(id).await;
    let JobState::Failed(text) = &job.state else {
        panic!("{:?}", job.state)
    };
    assert!(text.contains("snapname"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_privilege_is_named_before_and_refused_by_proxmox() {
    let sim = common::start("homelab", 20.0).await;
    let made = sim
        .control(
            "POST",
            "/tokens",
            &[
                ("id", "ops@pve!rack"),
                ("secret", "s3cret"),
                ("privs", "/=VM.Audit,Sys.Audit;/vms/101=VM.PowerMgmt"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.text);
    let mut options = rack::pve::ClientOptions::new(
        vec![sim.handle.url.clone()],
        rack::pve::Credentials::Token {
            id: "ops@pve!rack".into(),
            secret: rack::pve::Secret::new("s3cret"),
        },
    );
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    let client = rack::pve::Client::new(options).unwrap();
    let perms: rack::pve::types::Permissions = client.get("/access/permissions").await.unwrap();
    let migrate = Request::Migrate {
        guest: guest("pve-ms01-01", GuestKind::Qemu, 101),
        target: "pve-ms01-02".into(),
        online: true,
        with_local_disks: false,
        ha: false,
    };
    assert_eq!(
        rack::actions::permissions::check(&perms, &migrate),
        Err("needs VM.Migrate on /vms/101".into())
    );
    let start = Request::Reboot {
        guest: guest("pve-ms01-01", GuestKind::Qemu, 101),
    };
    assert_eq!(rack::actions::permissions::check(&perms, &start), Ok(()));

    let mut r = rig(client, Journal::disabled(), WakeConfig::default());
    let id = r.queue.submit("lab", migrate).unwrap();
    assert_eq!(
        r.end_of(id).await.state,
        JobState::Failed("Permission check failed (/vms/101, VM.Migrate)".into())
    );
    assert_eq!(sim.resource("qemu/101").await["node"], "pve-ms01-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_on_lan_brings_a_node_back_and_is_followed_until_online() {
    let sim = common::start("homelab", 20.0).await;
    let off = sim
        .control("POST", "/nodes/pve-aimax-01/power", &[("state", "off")])
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let mut r = rig(
        common::client_of(&sim.handle),
        Journal::disabled(),
        WakeConfig::default(),
    );
    let id = r
        .queue
        .submit(
            "lab",
            Request::Wake {
                node: "pve-aimax-01".into(),
                mac: None,
            },
        )
        .unwrap();
    let job = r.end_of(id).await;
    let JobState::Succeeded(text) = &job.state else {
        panic!("{:?}", job.state)
    };
    assert!(text.starts_with("pve-aimax-01 is online after"), "{text}");
    assert!(
        r.seen[&id].iter().any(|j| j
            .note
            .as_deref()
            .is_some_and(|n| n.contains("waiting for pve-aimax-01"))),
        "the wait is shown"
    );
    let state = sim.control("GET", "/state", &[]).await;
    let node = state.data()["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == "pve-aimax-01")
        .cloned()
        .unwrap();
    assert_eq!(node["online"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_node_answers_the_magic_packet_goes_from_here() {
    let listener = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut options = rack::pve::ClientOptions::new(
        vec![format!("https://127.0.0.1:{dead}")],
        rack::pve::Credentials::Token {
            id: "root@pam!rack".into(),
            secret: rack::pve::Secret::new("x"),
        },
    );
    options.timeout = Duration::from_secs(1);
    let client = rack::pve::Client::new(options).unwrap();
    let wake = WakeConfig {
        broadcast: listener.local_addr().unwrap(),
        timeout: Duration::from_secs(2),
        macs: BTreeMap::from([("pve-ms01-02".to_string(), "58:47:ca:7a:10:02".to_string())]),
    };
    let mut r = rig(client, Journal::disabled(), wake);
    let id = r
        .queue
        .submit(
            "lab",
            Request::Wake {
                node: "pve-ms01-02".into(),
                mac: None,
            },
        )
        .unwrap();
    let mut packet = [0u8; 200];
    let (n, _) = tokio::time::timeout(Duration::from_secs(10), listener.recv_from(&mut packet))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 102);
    assert_eq!(&packet[..6], &[0xFF; 6]);
    assert_eq!(&packet[6..12], &[0x58, 0x47, 0xca, 0x7a, 0x10, 0x02]);
    // The cluster stays unreachable: the wait ends with the timeout, said in words.
    let job = r.end_of(id).await;
    let JobState::Failed(text) = &job.state else {
        panic!("{:?}", job.state)
    };
    assert!(text.contains("did not come online within"), "{text}");
    assert!(
        r.seen[&id].iter().any(|j| j
            .note
            .as_deref()
            .is_some_and(|n| n.contains("UDP to 127.0.0.1"))),
        "says the packet went from here"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_running_tasks_are_followed_and_uncertain_calls_flagged() {
    let sim = common::start("homelab", 10.0).await;
    let dir = temp_dir("restart");
    let path = dir.join("journal.jsonl");

    // The first rack: starts a migration and is gone before it ends.
    let id = {
        let mut first = rig_at(
            common::client_of(&sim.handle),
            Journal::open(&path).unwrap(),
            WakeConfig::default(),
            rack::clock::Clock::Sim(sim.handle.clock()),
        );
        let id = first
            .queue
            .submit(
                "lab",
                Request::Migrate {
                    guest: guest("pve-ms01-02", GuestKind::Qemu, 102),
                    target: "pve-ms01-01".into(),
                    online: true,
                    with_local_disks: false,
                    ha: false,
                },
            )
            .unwrap();
        loop {
            if let Some(Event::Job(job)) = first.rx.recv().await
                && job.upid.is_some()
            {
                break;
            }
        }
        id
    };
    // Its process is taken as dead: rewrite the journal's owner to a pid that cannot exist,
    // and add a job whose call went out without an answer being recorded.
    let text = std::fs::read_to_string(&path).unwrap();
    let mine = format!("\"owner\":{}", std::process::id());
    let mut text = text.replace(&mine, "\"owner\":4000000000");
    let uncertain = Request::Start {
        guest: guest("pve-aimax-01", GuestKind::Qemu, 110),
    };
    for step in [
        Step::Submitted {
            cluster: "lab".into(),
            request: uncertain,
            owner: 4_000_000_000,
        },
        Step::Calling,
    ] {
        let line = rack::actions::journal::Line {
            id: 7,
            at: 1.0,
            step,
        };
        text.push_str(&serde_json::to_string(&line).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    // rack stays away for ten simulated minutes: the migration ends meanwhile.
    sim.advance(600.0).await;
    let away_until = sim.handle.now();

    let mut second = rig_at(
        common::client_of(&sim.handle),
        Journal::open(&path).unwrap(),
        WakeConfig::default(),
        rack::clock::Clock::Sim(sim.handle.clock()),
    );
    second.queue.recover().unwrap();
    let job = second.end_of(id).await;
    assert!(job.recovered);
    assert_eq!(job.state, JobState::Succeeded("OK".into()));
    // It shows how long it really ran, not the time until rack came back.
    let back = away_until
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let (started, ended) = (job.started.unwrap(), job.ended.unwrap());
    assert!(ended < back - 300.0, "ended {ended}, rack back at {back}");
    assert!(ended - started < 300.0, "ran {} s", ended - started);
    assert_eq!(sim.resource("qemu/102").await["node"], "pve-ms01-01");
    let unknown = second.end_of(7).await;
    let JobState::Unknown(why) = &unknown.state else {
        panic!("{:?}", unknown.state)
    };
    assert!(why.starts_with("unknown — check"), "{why}");

    // A third start finds nothing left to do: both ended in the journal.
    let (records, _) = Journal::open(&path).unwrap().read().unwrap();
    assert!(records.iter().all(|r| r.finished()), "{records:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_cluster_refuses_every_action() {
    let sim = common::start("homelab", 1.0).await;
    let (tx, _rx) = mpsc::channel::<Event>(16);
    let targets = BTreeMap::from([(
        "lab".to_string(),
        Target {
            client: common::client_of(&sim.handle),
            read_only: true,
            wake: WakeConfig::default(),
        },
    )]);
    let queue = Queue::new(targets, Journal::disabled(), tx, limits());
    let err = queue
        .submit(
            "lab",
            Request::Start {
                guest: guest("pve-ms01-01", GuestKind::Qemu, 110),
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cluster \"lab\" is read-only: rack does not change it"
    );
}

/// Whether a VM can start with its mapped devices depends on its node alone: the check before
/// a start reads that node's hardware and the configs of the VMs there, not every VM's.
#[tokio::test]
async fn a_start_checks_the_devices_of_its_own_node_only() {
    let sim = common::start("homelab", 0.0).await;
    let client = common::client_of(&sim.handle);
    let resources = sim.get("/cluster/resources?type=vm").await;
    let vms = resources.data().as_array().unwrap();
    let here = vms
        .iter()
        .filter(|v| v["type"] == "qemu" && v["node"] == "pve-aimax-01")
        .count();
    assert!(here < vms.iter().filter(|v| v["type"] == "qemu").count());
    let before = client.requests();
    let start = Request::Start {
        guest: guest("pve-aimax-01", GuestKind::Qemu, 110),
    };
    let started = rack::actions::calls::start(&client, &start).await;
    assert!(started.is_ok(), "{started:?}");
    // Its config, the resources, two mapping lists, the node's PCI and USB lists, the configs
    // of the VMs on its node, and the start itself.
    assert_eq!(
        client.requests() - before,
        (1 + 1 + 2 + 2 + here + 1) as u64
    );
}

/// A check before sending that cannot be made refuses the action; nothing was sent, so the job
/// is failed, never "unknown — check".
#[tokio::test]
async fn a_start_whose_devices_cannot_be_checked_is_refused_not_unknown() {
    let sim = common::start("homelab", 0.0).await;
    let client = common::client_of(&sim.handle);
    sim.control(
        "POST",
        "/faults",
        &[("spec", "malformed=/nodes/pve-aimax-01/qemu/110/config")],
    )
    .await;
    let start = Request::Start {
        guest: guest("pve-aimax-01", GuestKind::Qemu, 110),
    };
    let err = rack::actions::calls::start(&client, &start)
        .await
        .unwrap_err();
    assert!(!err.may_have_happened(), "{err}");
    assert!(
        err.to_string().contains("its devices could not be checked"),
        "{err}"
    );
}
