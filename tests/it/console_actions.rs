//! Acting from the console, as a user would with keys: the update loop's commands carried out
//! against a running simulator with the real queue, and what the screen then shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::console::Event;
use rack::console::dialog::Dialog;

use crate::common::acting::{Console, code, field, key, newest_backup, type_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_from_the_dialog_shows_progress_and_moves_the_guest() {
    let mut c = Console::start(false).await;
    c.select(106).await;
    c.keys(&[key('m')]).await;
    let screen = c.screen();
    // media-server has a raw PCI device: Proxmox says no node will do, and why.
    assert!(screen.contains("local resources hostpci0"), "{screen}");
    c.keys(&[code(KeyCode::Esc)]).await;

    // postgres-01 is kept apart from traefik by an HA rule: the rule and traefik are named on
    // traefik's node, which cannot be chosen.
    c.select(104).await;
    c.keys(&[key('m')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("✗ HA rule ingress-apart-from-db: ct:203 runs there"),
        "{screen}"
    );
    let Some(Dialog::Migrate(d)) = &c.model.dialog else {
        panic!("no migrate dialog")
    };
    assert_eq!(d.target(), Some("pve-aimax-01"));
    c.keys(&[code(KeyCode::Esc)]).await;

    c.select(101).await;
    c.keys(&[key('m')]).await;
    let Some(Dialog::Migrate(d)) = &c.model.dialog else {
        panic!("no migrate dialog")
    };
    assert_eq!(d.target(), Some("pve-aimax-01"));
    c.keys(&[key('j')]).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none());
    // Watch it run in the tasks pane.
    c.keys(&[key('7')]).await;
    let mut saw_gauge = false;
    while c.model.jobs.iter().any(|j| !j.state.finished()) || c.model.jobs.is_empty() {
        c.next_event().await;
        saw_gauge |= c.screen().contains("% memory");
    }
    assert!(saw_gauge, "the progress gauge showed the memory transfer");
    c.settle().await;
    let screen = c.screen();
    assert!(screen.contains("rack migrate VM 101"), "{screen}");
    assert!(
        screen.contains("migration finished successfully"),
        "the log is shown:\n{screen}"
    );
    assert_eq!(c.sim.resource("qemu/101").await["node"], "pve-ms01-02");
    c.audited().await;
    // `:audit` lists it, as sent and as answered.
    c.keys(&[key(':')]).await;
    type_text(&mut c, "audit").await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("migrate VM 101 from pve-ms01-01 to pve-ms01-02"),
        "{screen}"
    );
    assert!(screen.contains(" Audit(1/1)"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_guests_shut_down_together_after_confirmation() {
    let mut c = Console::start(false).await;
    c.select(200).await;
    c.keys(&[key(' ')]).await;
    c.select(201).await;
    c.keys(&[key(' ')]).await;
    assert_eq!(c.model.marked.len(), 2);
    c.keys(&[key('p'), key('d')]).await;
    let screen = c.screen();
    assert!(screen.contains("shut down CT 200 (grafana)"), "{screen}");
    assert!(screen.contains("shut down CT 201 (prometheus)"), "{screen}");
    assert!(screen.contains("(timeout 180s)"), "{screen}");
    // The timeout is the user's to set, and whether to stop hard after it.
    c.keys(&[key('+'), key('f')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("shut down CT 200 (grafana) (timeout 210s, then stop hard)"),
        "{screen}"
    );
    c.keys(&[key('f')]).await;
    c.keys(&[key('y')]).await;
    assert!(c.model.marked.is_empty());
    c.settle().await;
    for id in ["lxc/200", "lxc/201"] {
        let r = c.sim.resource(id).await;
        // 201 is an HA resource: its request goes to the HA manager, which stops it.
        assert!(r["status"] == "stopped" || r["hastate"] == "stopped", "{r}");
    }
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_needs_the_guest_s_name_typed_and_failures_stay_until_seen() {
    let mut c = Console::start(false).await;
    c.select(104).await;
    c.keys(&[key('n')]).await;
    let screen = c.screen();
    assert!(screen.contains("pre-upgrade-17"), "{screen}");
    assert!(screen.contains("you are here"), "{screen}");
    // New snapshot: a bad name is refused as typed.
    c.keys(&[key('c'), key('9')]).await;
    assert!(c.screen().contains("must start with a letter"));
    c.keys(&[code(KeyCode::Backspace)]).await;
    for ch in "fresh".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    c.settle().await;
    let snaps = c.sim.get("/nodes/pve-ms01-02/qemu/104/snapshot").await;
    assert!(
        snaps
            .data()
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "fresh")
    );

    // Roll back to the first snapshot: Enter alone does nothing, the name must be typed.
    c.keys(&[key('n')]).await;
    c.keys(&[key('r')]).await;
    assert!(
        c.screen().contains("Type \"postgres-01\""),
        "{}",
        c.screen()
    );
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_some(), "not confirmed without the name");
    c.sim
        .control(
            "POST",
            "/tasks/fail-next",
            &[
                ("type", "qmrollback"),
                ("error", "rollback failed: disk busy"),
            ],
        )
        .await;
    for ch in "postgres-01".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none());
    c.settle().await;
    let screen = c.screen();
    assert!(screen.contains("rollback failed: disk busy"), "{screen}");
    // It stays through other keys until Esc.
    c.keys(&[key('j')]).await;
    assert!(c.screen().contains("rollback failed: disk busy"));
    // Its hint, 7, opens the Tasks pane on the failed task, not on an older one.
    let failed = c
        .model
        .jobs
        .iter()
        .find(|j| matches!(j.state, rack::actions::JobState::Failed(_)))
        .map(|j| j.id);
    // (The Tasks pane was left on its oldest row earlier.)
    c.model.tasks.selected = c.model.tasks.visible.len().saturating_sub(1);
    c.keys(&[key('7')]).await;
    let selected = c.model.tasks.selected_row().unwrap();
    assert_eq!(selected.job, failed, "{selected:?}");
    assert!(!c.screen().contains("✗ roll"), "seen where it is listed");
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_cluster_and_a_missing_privilege_refuse_before_sending() {
    let mut c = Console::start(true).await;
    c.select(101).await;
    c.keys(&[key('p')]).await;
    assert!(c.model.dialog.is_none());
    assert!(c.screen().contains("is read-only"), "{}", c.screen());

    let mut c = Console::start(false).await;
    c.select(101).await;
    // Permissions as a restricted token would see them.
    let snap = c.model.clusters[0].snapshot.as_deref().cloned().unwrap();
    let mut snap = snap;
    snap.permissions.data = Some(std::sync::Arc::new(
        serde_json::from_str(r#"{"/": {"VM.Audit": 1}}"#).unwrap(),
    ));
    c.push(Event::Snapshot(Box::new(snap)));
    // The detail shows what the keys would do, and which ones the token may not use, and why.
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("start, shutdown, stop, reboot: needs VM.PowerMgmt on /vms/101"),
        "{screen}"
    );
    assert!(
        screen.contains("migrate: needs VM.Migrate on /vms/101"),
        "{screen}"
    );
    c.keys(&[code(KeyCode::Esc)]).await;
    c.keys(&[key('p'), key('r')]).await;
    assert!(c.model.dialog.is_none());
    assert!(
        c.screen()
            .contains("not permitted: needs VM.PowerMgmt on /vms/101"),
        "{}",
        c.screen()
    );
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_created_from_the_form_has_what_was_asked_for() {
    let mut c = Console::start(false).await;
    c.keys(&[key('1')]).await;
    c.keys(&[key('c')]).await;
    let screen = c.screen();
    assert!(screen.contains("Create VM"), "{screen}");
    assert!(screen.contains("a name is needed"), "{screen}");
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    let vmid = f.text(rack::console::form::FieldId::Vmid);
    assert!(!vmid.is_empty(), "the VMID comes from /cluster/nextid");

    field(&mut c, "name").await;
    type_text(&mut c, "build_01").await;
    assert!(c.screen().contains("'_' is not allowed"), "{}", c.screen());
    c.keys(&[
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
    ])
    .await;
    type_text(&mut c, "-01").await;
    field(&mut c, "VMID").await;
    for _ in 0..12 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    type_text(&mut c, "101").await;
    assert!(
        c.screen().contains("VMID 101 is taken by"),
        "{}",
        c.screen()
    );
    c.keys(&[code(KeyCode::Backspace)]).await;
    type_text(&mut c, "7").await;
    // Nothing is sent while a field is wrong.
    field(&mut c, "memory").await;
    for _ in 0..5 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    type_text(&mut c, "3 lots").await;
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_some());
    assert!(c.screen().contains("not yet: memory:"), "{}", c.screen());
    for _ in 0..6 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    type_text(&mut c, "3 GiB").await;
    field(&mut c, "cores").await;
    c.keys(&[code(KeyCode::Backspace)]).await;
    type_text(&mut c, "3").await;
    field(&mut c, "disk").await;
    for _ in 0..5 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    type_text(&mut c, "12G").await;
    // Node "auto": the ranking shows under the fields and follows what is asked.
    let screen = c.screen();
    assert!(screen.contains("Placement (spread)"), "{screen}");
    assert!(screen.contains("  → "), "{screen}");
    field(&mut c, "devices").await;
    type_text(&mut c, "tpu2").await;
    assert!(
        c.screen()
            .contains("no pool or class 'tpu2' (have: coral, gpu)"),
        "{}",
        c.screen()
    );
    for _ in 0..4 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    type_text(&mut c, "gpu").await;
    let screen = c.screen();
    assert!(screen.contains("→ pve-aimax-01"), "{screen}");
    assert!(
        screen.contains("no free gpu"),
        "the others say why: {screen}"
    );
    field(&mut c, "IP").await;
    type_text(&mut c, "10.0.0.50/24").await;
    field(&mut c, "gateway").await;
    type_text(&mut c, "10.0.0.1").await;
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    assert_eq!(f.problems(), vec![], "every field is acceptable");
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none(), "{}", c.screen());
    c.settle().await;
    let r = c.sim.resource("qemu/107").await;
    assert_eq!(r["name"], "build-01", "{r}");
    assert_eq!(r["maxmem"], 3u64 << 30, "{r}");
    assert_eq!(r["maxcpu"], 3.0, "{r}");
    assert_eq!(r["maxdisk"], 12u64 << 30, "{r}");
    assert_eq!(r["node"], "pve-aimax-01", "placed where the GPU is: {r}");
    let config = c.sim.get("/nodes/pve-aimax-01/qemu/107/config").await;
    assert_eq!(config.data()["ipconfig0"], "ip=10.0.0.50/24,gw=10.0.0.1");
    assert_eq!(config.data()["hostpci0"], "mapping=gpu,pcie=1");
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_from_the_form_lands_on_the_chosen_node() {
    let mut c = Console::start(false).await;
    c.select(101).await;
    c.keys(&[key('y')]).await;
    let screen = c.screen();
    assert!(screen.contains("Clone VM 101"), "{screen}");
    field(&mut c, "target node").await;
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    let newid: u32 = f.text(rack::console::form::FieldId::Vmid).parse().unwrap();
    let from = f.choice(rack::console::form::FieldId::Node).to_string();
    c.keys(&[code(KeyCode::Right)]).await;
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    let to = f.choice(rack::console::form::FieldId::Node).to_string();
    assert_ne!(from, to);
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none(), "{}", c.screen());
    c.settle().await;
    let r = c.sim.resource(&format!("qemu/{newid}")).await;
    assert_eq!(r["node"], to.as_str(), "{r}");
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noout_is_set_and_unset_from_the_ceph_pane() {
    let mut c = Console::start(false).await;
    c.keys(&[key('5'), key('/')]).await;
    for ch in "noout".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(screen.contains("t set it"), "{screen}");
    c.keys(&[key('t')]).await;
    let screen = c.screen();
    assert!(screen.contains("set Ceph flag noout"), "{screen}");
    c.keys(&[key('y')]).await;
    c.settle().await;
    let flags = c.sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), 1, "{}", flags.text);
    let screen = c.screen();
    assert!(
        screen.contains("flags noout"),
        "the summary says so: {screen}"
    );
    assert!(
        screen.contains("OSDMAP_FLAGS"),
        "Ceph warns of it: {screen}"
    );
    // The flag row is now among the set ones; unset it the same way.
    c.keys(&[key('t'), key('y')]).await;
    c.settle().await;
    let flags = c.sim.get("/cluster/ceph/flags/noout").await;
    assert_eq!(flags.data(), 0, "{}", flags.text);
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_up_now_with_the_job_s_settings_and_see_it_listed() {
    let mut c = Console::start(false).await;
    c.keys(&[key('6'), key('/')]).await;
    for ch in "grafana".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    let before = c.model.backups.selected_row().unwrap().clone();
    assert_eq!(before.vmid, 200);
    c.keys(&[key('B')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("back up CT 200 (grafana) to nas-backup now (snapshot mode, as job"),
        "{screen}"
    );
    // The line wraps; the keys to answer still show.
    assert!(screen.contains("Enter or y: do it"), "{screen}");
    c.keys(&[key('y')]).await;
    c.settle().await;
    let job = c.model.jobs.last().unwrap();
    assert!(
        matches!(job.state, rack::actions::JobState::Succeeded(_)),
        "{:?}",
        job.state
    );
    // The progress came from vzdump's log; the new backup is the newest now.
    assert!(job.log.iter().any(|l| l.contains("INFO:")), "{:?}", job.log);
    let after = c.model.backups.selected_row().unwrap();
    assert_eq!(after.vmid, 200);
    // (The job's retention may prune an old one as the new one lands.)
    assert!(after.last_backup > before.last_backup, "{after:?}");
    assert!(
        after.age_text().ends_with('s') || after.age_text().ends_with('m'),
        "{after:?}"
    );
    let screen = c.screen();
    assert!(screen.contains("done: back up CT 200"), "{screen}");
    c.audited().await;
}

/// What depends on the date (which backup is newest, when jobs ran and run next) holds at
/// the instants where date arithmetic breaks.
#[test]
fn date_sensitive_tests_pass_at_chosen_instants() {
    common::at_instants(
        module_path!(),
        &[
            "a_backup_restored_from_the_form_is_a_new_guest_with_new_macs",
            "back_up_now_with_the_job_s_settings_and_see_it_listed",
            "a_guest_destroyed_from_the_keyboard_is_brought_back_from_its_backup",
            "a_gpu_vm_s_restore_form_goes_where_its_gpu_is",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restored_from_the_form_is_a_new_guest_with_new_macs() {
    let mut c = Console::start(false).await;
    c.keys(&[key('6'), key('/')]).await;
    for ch in "postgres".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    assert_eq!(c.model.backups.selected_row().unwrap().vmid, 104);
    c.keys(&[key('R')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("Restore a backup of VM 104 (postgres-01)"),
        "{screen}"
    );
    assert!(screen.contains("postgres-01-restored"), "{screen}");
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    // The newest backup, whichever storage holds it (on the 1st of a month, after 04:00, the
    // monthly off-site job's PBS snapshot).
    let archive = f.choice(rack::console::form::FieldId::Archive).to_string();
    assert_eq!(archive, newest_backup(&c.sim, "pve-ms01-02", 104).await);
    // A VMID in use is refused beside the field, as in the create form.
    field(&mut c, "VMID").await;
    for _ in 0..8 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    for ch in "105".chars() {
        c.keys(&[key(ch)]).await;
    }
    let screen = c.screen();
    assert!(
        screen.contains("VMID 105 is taken by docker-host-01"),
        "{screen}"
    );
    for _ in 0..3 {
        c.keys(&[code(KeyCode::Backspace)]).await;
    }
    for ch in "1104".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none(), "{}", c.screen());
    c.settle().await;
    let job = c.model.jobs.last().unwrap();
    assert!(
        matches!(job.state, rack::actions::JobState::Succeeded(_)),
        "{:?}",
        job.state
    );
    assert!(
        job.log.iter().any(|l| l.contains("restore vma archive")),
        "{:?}",
        job.log
    );
    let restored = c.sim.get("/nodes/pve-ms01-02/qemu/1104/config").await;
    let original = c.sim.get("/nodes/pve-ms01-02/qemu/104/config").await;
    let (new, old) = (restored.data(), original.data());
    assert_eq!(new["name"], "postgres-01-restored", "{new}");
    assert_eq!(new["memory"], old["memory"], "{new}");
    assert_ne!(new["net0"], old["net0"], "a new MAC: {new}");
    assert!(
        new["scsi0"]
            .as_str()
            .is_some_and(|d| d.contains("vm-1104-disk-")),
        "{new}"
    );
    c.audited().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_destroyed_from_the_keyboard_is_brought_back_from_its_backup() {
    let mut c = Console::start(false).await;
    let path = "/nodes/pve-ms01-01/lxc/200";
    let before = c.sim.get(&format!("{path}/config")).await.data().clone();
    let ctrl = |ch| KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL);
    c.select(200).await;
    // A running guest is not destroyed.
    c.keys(&[ctrl('d')]).await;
    assert!(
        c.screen()
            .contains("CT 200 (grafana) is running: stop it first"),
        "{}",
        c.screen()
    );
    c.keys(&[ctrl('k'), code(KeyCode::Enter)]).await;
    c.settle().await;
    // Destroyed only once its name is typed.
    c.keys(&[ctrl('d')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("destroy CT 200 (grafana) and its disks"),
        "{screen}"
    );
    assert!(screen.contains("Type \"grafana\""), "{screen}");
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_some(), "not confirmed without the name");
    type_text(&mut c, "grafana").await;
    c.keys(&[code(KeyCode::Enter)]).await;
    c.settle().await;
    let gone = c.sim.get(&format!("{path}/config")).await;
    assert_ne!(gone.status, 200, "{}", gone.text);
    assert!(c.model.clusters[0].instances.iter().all(|i| i.vmid != 200));
    c.keys(&[key('6'), key('/')]).await;
    type_text(&mut c, "grafana").await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let row = c.model.backups.selected_row().unwrap();
    assert_eq!((row.vmid, row.kind), (200, "lxc"));
    let screen = c.screen();
    assert!(screen.contains("guest gone"), "{screen}");
    assert!(
        screen.contains("the guest is gone (destroyed); its backups remain"),
        "{screen}"
    );
    // Nothing to back up any more.
    c.keys(&[key('B')]).await;
    assert!(
        c.screen()
            .contains("200 is gone: there is nothing to back up")
    );
    c.keys(&[key('R')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("Restore a backup of CT 200 (grafana) (gone)"),
        "{screen}"
    );
    let Some(Dialog::Form(f)) = &c.model.dialog else {
        panic!("no form")
    };
    use rack::console::form::FieldId;
    // Its own VMID, its own name, its own MACs.
    assert_eq!(f.text(FieldId::Vmid), "200");
    assert_eq!(f.text(FieldId::Name), "grafana");
    assert!(!f.toggle(FieldId::Unique));
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_none(), "{}", c.screen());
    c.settle().await;
    let job = c.model.jobs.last().unwrap();
    assert!(
        matches!(job.state, rack::actions::JobState::Succeeded(_)),
        "{:?}",
        job.state
    );
    let node = &job.request.node();
    let after = c.sim.get(&format!("/nodes/{node}/lxc/200/config")).await;
    let after = after.data();
    assert_eq!(after["hostname"], "grafana", "{after}");
    assert_eq!(after["net0"], before["net0"], "the same MAC: {after}");
    // It is a guest again, and its backups are its own once more.
    let row = c.model.backups.selected_row().unwrap();
    assert_ne!(row.state, rack::model::backups::BackupState::Gone);
    c.audited().await;
}

/// The restore form places a VM whose backup maps a GPU where the mapping has a device, and
/// refuses a node where it has none, naming the mapping, before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gpu_vm_s_restore_form_goes_where_its_gpu_is() {
    use rack::console::form::FieldId;
    let mut c = Console::start(false).await;
    let r = c
        .sim
        .write("DELETE", "/nodes/pve-aimax-01/qemu/110", &[])
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    c.sim.wait_task(&upid).await;
    // The test's own write is not the console's: only the console's are held to its log.
    c.sim.control("DELETE", "/writes", &[]).await;
    c.poll().await;
    c.keys(&[key('6'), key('/')]).await;
    type_text(&mut c, "ai-training").await;
    c.keys(&[code(KeyCode::Enter)]).await;
    assert_eq!(c.model.backups.selected_row().unwrap().vmid, 110);
    c.keys(&[key('R')]).await;
    let node = |c: &Console| match &c.model.dialog {
        Some(Dialog::Form(f)) => f.choice(FieldId::Node).to_string(),
        _ => panic!("no form"),
    };
    assert_eq!(node(&c), "pve-aimax-01", "{}", c.screen());
    // Another node: refused beside the field.
    field(&mut c, "node").await;
    while node(&c) != "pve-ms01-01" {
        c.keys(&[code(KeyCode::Right)]).await;
    }
    let screen = c.screen();
    assert!(
        screen.contains("mapping 'gpu' has no entry for node 'pve-ms01-01'"),
        "{screen}"
    );
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(c.model.dialog.is_some(), "not sent");
    assert_eq!(c.submitted(), 0);
    c.audited().await;
}
