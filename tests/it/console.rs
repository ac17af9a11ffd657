//! The console without a terminal: a frozen simulated cluster polled by the real client, events
//! pushed through `update`, screens drawn on ratatui's TestBackend and compared with insta
//! snapshots. The simulator's clock is stopped at a fixed time, so every run sees the same cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::{Duration, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::action::{Action, Pane, SortKey};
use rack::config::keymap::Keymap;
use rack::config::theme::Theme;
use rack::console::model::{ClusterView, Input, Model};
use rack::console::{Effect, Event, update};
use rack::model::{ClusterSnapshot, GuestKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common::console::{Console, START, code, key, typed};

#[tokio::test]
async fn hosts_at_80x24() {
    let c = Console::start(80, 24).await;
    insta::assert_snapshot!(c.screen());
}

#[tokio::test]
async fn hosts_at_160x45_with_the_detail_beside() {
    let c = Console::start(160, 45).await;
    let screen = c.screen();
    assert!(
        screen.contains("Model"),
        "node details are fetched for the selection"
    );
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn instances_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('2')]).await;
    insta::assert_snapshot!(c.screen());
}

#[tokio::test]
async fn instances_at_160x45_with_config_snapshots_and_backup() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('2'), key('j')]).await;
    let screen = c.screen();
    assert!(screen.contains("NICs"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn help_lists_every_bound_action() {
    let mut c = Console::start(100, 30).await;
    c.keys(&[key('?')]).await;
    let screen = c.screen();
    for text in ["quit rack", "sort by cpu", "show Instances", "ctrl-r"] {
        assert!(screen.contains(text), "{text} missing from\n{screen}");
    }
    insta::assert_snapshot!(screen);
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(!c.model.help);
}

#[tokio::test]
async fn the_filter_narrows_as_it_is_typed_and_esc_clears_it() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('2'), key('/')]).await;
    assert!(matches!(c.model.input, Input::Filter(_)));
    c.keys(&typed("tag:k8s")).await;
    let names = c.visible_names();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.contains("k8s")), "{names:?}");
    c.keys(&[code(KeyCode::Enter)]).await;
    assert!(matches!(c.model.input, Input::None));
    assert!(c.screen().contains("</tag:k8s>"));
    // Field terms combine.
    c.keys(&[key('/'), code(KeyCode::Backspace)]).await;
    c.keys(&typed("s status:stopped")).await;
    assert!(c.visible_names().is_empty() || c.model.instances.visible.len() < names.len());
    c.keys(&[code(KeyCode::Esc)]).await;
    let all = c.model.clusters[0].instances.len();
    assert_eq!(c.model.instances.visible.len(), all);
}

#[tokio::test]
async fn sort_keys_sort_and_reverse() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('2'), key('C')]).await;
    assert_eq!(c.model.instances.sort, Some(SortKey::Cpu));
    assert!(c.model.instances.descending, "numbers sort largest first");
    let cpu = |c: &Console| -> Vec<f64> {
        let rows = &c.model.clusters[0].instances;
        c.model
            .instances
            .visible
            .iter()
            .filter_map(|&i| rows[i].usage.cpu)
            .collect()
    };
    let v = cpu(&c);
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "{v:?}");
    assert!(c.screen().contains("CPU↓"));
    c.keys(&[key('C')]).await;
    let v = cpu(&c);
    assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
    // A column the pane does not have is refused with a word, not ignored.
    c.keys(&[key('1'), key('V')]).await;
    assert!(c.screen().contains("Hosts cannot be sorted by vmid"));
}

#[tokio::test]
async fn the_command_line_switches_panes_and_clusters() {
    let mut c = Console::start(80, 24).await;
    let run = |text: &str| {
        let mut keys = vec![key(':')];
        keys.extend(typed(text));
        keys.push(code(KeyCode::Enter));
        keys
    };
    c.keys(&run("vm")).await;
    assert_eq!(c.model.pane, Pane::Instances);
    assert_eq!(c.model.kind, Some(GuestKind::Qemu));
    let rows = &c.model.clusters[0].instances;
    assert!(
        c.model
            .instances
            .visible
            .iter()
            .all(|&i| rows[i].kind == GuestKind::Qemu)
    );
    c.keys(&run("ct")).await;
    assert!(c.screen().contains("Containers("));
    c.keys(&run("hosts")).await;
    assert_eq!(c.model.pane, Pane::Hosts);
    c.keys(&run("tasks")).await;
    assert_eq!(c.model.pane, Pane::Tasks);
    c.keys(&run("cluster nowhere")).await;
    assert!(c.screen().contains("no cluster matches \"nowhere\""));
    c.keys(&run("frobnicate")).await;
    assert!(c.screen().contains("unknown command \":frobnicate\""));
    c.keys(&run("q")).await;
    assert!(c.model.quit);
}

#[tokio::test]
async fn moving_the_selection_asks_for_its_details_and_keeps_in_bounds() {
    let mut c = Console::start(80, 24).await;
    let commands = update(&mut c.model, Event::Key(key('2')));
    let Some(Effect::Focus(0, focus)) = commands.last() else {
        panic!("{commands:?}");
    };
    let (node, kind, vmid) = focus.guest.clone().unwrap();
    assert_eq!((kind.as_str(), vmid), ("qemu", 101));
    assert!(!node.is_empty());
    c.keys(&[code(KeyCode::End)]).await;
    let last = c.model.instances.visible.len() - 1;
    assert_eq!(c.model.instances.selected, last);
    c.keys(&[key('j'), code(KeyCode::PageDown)]).await;
    assert_eq!(c.model.instances.selected, last);
    c.keys(&[code(KeyCode::Home), key('k')]).await;
    assert_eq!(c.model.instances.selected, 0);
    // Nothing changes: no new focus.
    assert!(update(&mut c.model, Event::Key(key('k'))).is_empty());
}

#[tokio::test]
async fn the_selection_follows_its_row_through_a_refresh() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('2'), key('j'), key('j')]).await;
    let vmid = c.model.selected_instance().unwrap().vmid;
    // The next poll lists guests in another order (and one fewer).
    let mut snap = c.model.clusters[0].snapshot.as_deref().cloned().unwrap();
    let resources = snap.resources.get_mut().unwrap();
    resources.reverse();
    resources.retain(|r| r.vmid != Some(101));
    c.push(Event::Snapshot(Box::new(snap)));
    assert_eq!(c.model.selected_instance().unwrap().vmid, vmid);
}

#[tokio::test]
async fn escape_sequences_from_the_api_never_reach_the_terminal() {
    let mut c = Console::start(120, 30).await;
    c.keys(&[key('2')]).await;
    let mut snap = c.model.clusters[0].snapshot.as_deref().cloned().unwrap();
    for r in snap.resources.get_mut().unwrap() {
        if r.vmid == Some(101) {
            r.name = Some("evil\x1b]0;owned\x07\x1b[2J".into());
            r.tags = Some("\x1b[31mred".into());
        }
    }
    c.push(Event::Snapshot(Box::new(snap)));
    let screen = c.screen();
    assert!(!screen.contains('\x1b') && !screen.contains('\x07'));
    assert!(screen.contains("evil]0;owned[2J"), "{screen}");
}

#[tokio::test]
async fn keymap_overrides_rebind_and_show_in_help() {
    let mut c = Console::start(100, 30).await;
    c.model.keymap = Keymap::with(&[
        ("f1".parse().unwrap(), Action::Help),
        ("q".parse().unwrap(), Action::Refresh),
    ]);
    let commands = update(&mut c.model, Event::Key(key('q')));
    assert_eq!(commands, [Effect::Refresh(0)]);
    assert!(!c.model.quit);
    c.keys(&[code(KeyCode::F(1))]).await;
    assert!(c.model.help);
    assert!(c.screen().contains("f1"));
}

#[tokio::test]
async fn a_cluster_that_does_not_answer_says_so() {
    let mut model = Model::new(
        vec![ClusterView::new("gone", false)],
        Keymap::default(),
        UNIX_EPOCH + Duration::from_secs(START),
    );
    let mut snap = ClusterSnapshot::new("gone");
    snap.resources.update(
        Err("GET /cluster/resources: cannot connect to https://10.9.9.9:8006\x1b[2J".into()),
        UNIX_EPOCH + Duration::from_secs(START),
    );
    update(&mut model, Event::Snapshot(Box::new(snap)));
    let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
    terminal
        .draw(|f| rack::ui::draw(&model, &Theme::default(), f))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("gone unreachable"), "{screen}");
    assert!(!screen.contains('\x1b'), "server text is cleaned: {screen}");
    assert!(screen.contains("has not answered yet"), "{screen}");
}

#[tokio::test]
async fn devices_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('3')]).await;
    let screen = c.screen();
    assert!(screen.contains("held by VM 111"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn devices_at_160x45_pools_claims_and_unpooled() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('3')]).await;
    let screen = c.screen();
    assert!(screen.contains("free · claimed by VM 110"), "{screen}");
    // The GPU pool is free but the stopped ai-training-01 is configured with it.
    c.keys(&[key('j')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("claims  VM 110 (ai-training-01) (stopped"),
        "{screen}"
    );
    // The iGPU of pve-ms01-01 is in no mapping; its detail says how to pool it.
    c.keys(&[key('j')]).await;
    let screen = c.screen();
    assert!(screen.contains("free, no mapping"), "{screen}");
    assert!(
        screen.contains("pvesh create /cluster/mapping/pci --id NAME --map"),
        "{screen}"
    );
    assert!(
        screen.contains("node=pve-ms01-01,path=0000:00:02.0,id=8086:a7a0"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ceph_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('5')]).await;
    let screen = c.screen();
    assert!(screen.contains("HEALTH_OK"), "{screen}");
    assert!(screen.contains("3/3 in quorum"), "{screen}");
    assert!(screen.contains("osd.0"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ceph_at_160x45_daemons_osds_pools_flags() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('5')]).await;
    let screen = c.screen();
    for text in [
        "mon",
        "mgr",
        "active",
        "osd.5",
        "pool",
        "autoscale on",
        "noout",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ceph_with_a_host_down_at_80x24() {
    let mut c = Console::faulted(80, 24).await;
    c.keys(&[key('5')]).await;
    let screen = c.screen();
    assert!(screen.contains("HEALTH_WARN"), "{screen}");
    assert!(screen.contains("OSD_HOST_DOWN"), "{screen}");
    assert!(screen.contains("degraded"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ceph_with_a_host_down_at_160x45_says_what_is_down() {
    let mut c = Console::faulted(160, 45).await;
    c.keys(&[key('5')]).await;
    let screen = c.screen();
    assert!(screen.contains("2/3 in quorum"), "{screen}");
    assert!(
        screen.contains("down, in"),
        "OSDs down but not yet out: {screen}"
    );
    insta::assert_snapshot!(screen);
    // The filter finds the check; its detail names the host.
    c.keys(&[key('/')]).await;
    c.keys(&typed("host_down")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("host pve-ms01-02 (root=default) (2 osds) is down"),
        "{screen}"
    );
}

#[tokio::test]
async fn ceph_not_configured_says_so() {
    let mut c = Console::start_on("laptop", 80, 24).await;
    c.keys(&[key('5')]).await;
    let (screen, client) = (c.screen(), &c.client);
    assert!(screen.contains("Ceph not configured"), "{screen}");
    assert!(!screen.contains("could not be read"), "{screen}");
    // No Ceph, no corosync on a standalone node: facts, not errors.
    let failed = client.recent_failures(Duration::from_secs(300));
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(client.failures(), 0);
}

#[tokio::test]
async fn backups_at_80x24_problems_first() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('6')]).await;
    let screen = c.screen();
    assert!(screen.contains("backup-daily-production"), "{screen}");
    assert!(screen.contains("no backup job covers it"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn backups_at_160x45_jobs_storages_and_a_guest_s_backups() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('6')]).await;
    let screen = c.screen();
    for text in [
        "02:00",
        "next in 14h",
        "pool production",
        "all but 106",
        "nas-backup",
        "offsite-pbs",
        "last run failed 6d 8h ago",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    insta::assert_snapshot!(screen);
    // 104 is backed up daily and monthly off-site, verified on PBS.
    c.keys(&[key('/')]).await;
    c.keys(&typed("104")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("jobs    backup-daily-production"),
        "{screen}"
    );
    assert!(screen.contains("verified"), "{screen}");
    assert!(screen.contains("B back up now"), "{screen}");
}

#[tokio::test]
async fn backups_with_a_host_down_at_80x24() {
    let mut c = Console::faulted(80, 24).await;
    c.keys(&[key('6')]).await;
    insta::assert_snapshot!(c.screen());
}

#[tokio::test]
async fn backups_with_a_host_down_at_160x45() {
    let mut c = Console::faulted(160, 45).await;
    c.keys(&[key('6')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("never backed up") || screen.contains("no backup job"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn networks_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('4')]).await;
    let screen = c.screen();
    assert!(screen.contains("vmbr0"), "{screen}");
    assert!(screen.contains("3/3"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn networks_at_160x45_per_node_and_guests_attached() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('4')]).await;
    let screen = c.screen();
    for text in ["bridge", "vlan", "bond", "vnet", "zone", "9000"] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    insta::assert_snapshot!(screen);
    // The first bridge's detail: each node's state and the guests on it.
    c.keys(&[key('/')]).await;
    c.keys(&typed("vmbr0 ")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(screen.contains("pve-ms01-01   up mtu 9000"), "{screen}");
    assert!(screen.contains("postgres-01"), "{screen}");
}

#[tokio::test]
async fn networks_with_a_host_down_at_80x24() {
    let mut c = Console::faulted(80, 24).await;
    c.keys(&[key('4')]).await;
    insta::assert_snapshot!(c.screen());
}

#[tokio::test]
async fn networks_with_a_host_down_at_160x45() {
    let mut c = Console::faulted(160, 45).await;
    c.keys(&[key('4')]).await;
    let screen = c.screen();
    assert!(screen.contains("offline: unknown"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ha_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('8')]).await;
    let screen = c.screen();
    assert!(screen.contains("votes 3/3, quorum needs 2"), "{screen}");
    assert!(screen.contains("4 started"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ha_at_160x45_nodes_services_and_rules() {
    let mut c = Console::start(160, 45).await;
    c.keys(&typed(":ha")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    for text in [
        "CRM master pve-ms01-01",
        "production-prefers-ms01",
        "keeps apart",
        "postgres-01",
        "active",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    insta::assert_snapshot!(screen);
    // A service's detail: its limits and the rules that bind it.
    c.keys(&[key('/')]).await;
    c.keys(&typed("vm:104")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(screen.contains("max restart  2"), "{screen}");
    assert!(screen.contains("rules that bind it"), "{screen}");
    assert!(screen.contains("ingress-apart-from-db"), "{screen}");
}

#[tokio::test]
async fn ha_while_a_host_is_being_fenced() {
    let mut c = Console::host_down_for(160, 45, 60.0).await;
    c.keys(&[key('8')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("2/3, quorum needs 2 (none to spare)"),
        "{screen}"
    );
    assert!(screen.contains("▲ pve-ms01-02"), "{screen}");
    assert!(screen.contains("dead?"), "{screen}");
    assert!(
        screen.contains("fence"),
        "services wait for fencing: {screen}"
    );
    assert!(
        screen.contains("HA 4 svc, "),
        "the header counts them: {screen}"
    );
    insta::assert_snapshot!(screen);
    // The Instances pane says what the HA manager says, not the dead node's last report.
    let cluster = &c.model.clusters[0];
    let on_dead: Vec<_> = cluster
        .instances
        .iter()
        .filter(|i| i.node == "pve-ms01-02" && i.hastate.is_some())
        .collect();
    assert!(!on_dead.is_empty());
    for i in on_dead {
        assert_eq!(i.hastate.as_deref(), Some("fence"), "{}", i.vmid);
    }
}

#[tokio::test]
async fn ha_with_a_host_down_at_80x24() {
    let mut c = Console::faulted(80, 24).await;
    c.keys(&[key('8')]).await;
    let screen = c.screen();
    assert!(screen.contains("votes 2/3"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn ha_with_a_host_down_at_160x45_services_recovered() {
    let mut c = Console::faulted(160, 45).await;
    c.keys(&[key('8')]).await;
    let screen = c.screen();
    assert!(screen.contains("▲ pve-ms01-02"), "{screen}");
    assert!(!screen.contains("0 services · fence"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn hosts_with_a_host_down_at_80x24_show_the_votes_left() {
    let c = Console::faulted(80, 24).await;
    let screen = c.screen();
    assert!(screen.contains("votes 2/3 (needs 2)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn hosts_with_a_host_down_at_160x45_show_each_lrm() {
    let c = Console::faulted(160, 45).await;
    let screen = c.screen();
    assert!(screen.contains("HA"), "{screen}");
    assert!(screen.contains("dead?"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// ctrl-c always does something visible: it cancels a form (asking first once it was edited),
/// leaves the filter, and quits from the panes; text fields edit as readline does.
#[tokio::test]
async fn ctrl_c_and_esc_never_leave_an_edited_form_silently_and_fields_edit_like_readline() {
    use rack::console::dialog::Dialog;
    use rack::console::form::FieldId;
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let form = |c: &Console| match &c.model.dialog {
        Some(Dialog::Form(f)) => Some((f.text(FieldId::Name).to_string(), f.discarding)),
        _ => None,
    };
    let mut c = Console::start(120, 40).await;
    // Not edited: ctrl-c closes it at once.
    c.keys(&[key('c')]).await;
    assert!(form(&c).is_some());
    c.keys(&[ctrl('c')]).await;
    assert!(form(&c).is_none() && !c.model.quit);
    // Edited: the name field takes readline's keys.
    c.keys(&[key('c')]).await;
    for _ in 0..30 {
        match &c.model.dialog {
            Some(Dialog::Form(f)) if f.focused() != FieldId::Name => {}
            _ => break,
        }
        c.keys(&[code(KeyCode::Tab)]).await;
    }
    let name = form(&c).unwrap().0;
    let field_keys: Vec<KeyEvent> = "web-01 prod".chars().map(key).collect();
    c.keys(&field_keys).await;
    assert_eq!(form(&c).unwrap().0, format!("{name}web-01 prod"));
    c.keys(&[ctrl('w')]).await;
    assert_eq!(
        form(&c).unwrap().0,
        format!("{name}web-01"),
        "ctrl-w deletes a word"
    );
    c.keys(&[ctrl('u')]).await;
    assert_eq!(
        form(&c).unwrap().0,
        "",
        "ctrl-u deletes to the start of the line"
    );
    c.keys(&[key('x')]).await;
    // ctrl-c asks, and any other key goes back to the form as it was.
    c.keys(&[ctrl('c')]).await;
    assert_eq!(form(&c), Some(("x".into(), true)));
    assert!(
        c.screen().contains("Discard your changes?"),
        "{}",
        c.screen()
    );
    c.keys(&[key('n')]).await;
    assert_eq!(form(&c), Some(("x".into(), false)));
    // Esc asks too; ctrl-c a second time discards.
    c.keys(&[code(KeyCode::Esc)]).await;
    assert_eq!(form(&c), Some(("x".into(), true)));
    c.keys(&[ctrl('c')]).await;
    assert!(form(&c).is_none() && !c.model.quit);
    // In the filter ctrl-c leaves it (cleared); from the panes it quits.
    c.keys(&[key('/'), key('z'), ctrl('c')]).await;
    assert!(matches!(c.model.input, Input::None) && !c.model.quit);
    c.keys(&[ctrl('c')]).await;
    assert!(c.model.quit);
}

/// `/` after a filter set from the command line starts a new word: `tag:k8s vmid:101`, not
/// `tag:k8svmid:101`.
#[tokio::test]
async fn a_filter_reopened_goes_on_with_a_new_word() {
    let mut c = Console::start(80, 24).await;
    c.keys(&typed(":vm tag:k8s")).await;
    c.keys(&[code(KeyCode::Enter), key('/')]).await;
    c.keys(&typed("vmid:101")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    assert_eq!(c.model.instances.filter_text, "tag:k8s vmid:101");
    assert_eq!(c.visible_names(), ["talos-k8s-01"]);
}
