//! Every pane sorts by its columns and filters by its fields, the same way: shift and a column's
//! letter sorts (again: reverses), `/` with `field:value` or `!term` filters, and a field the
//! pane does not have is said on the status line rather than hiding every row. Help lists the
//! open pane's keys first and pages at 80×24; the side detail hides and gives its room back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common::console::{Console, code, key, typed};
use crossterm::event::KeyCode;
use rack::action::Action;

/// Type `/text` and Enter.
async fn filter(c: &mut Console, text: &str) {
    c.keys(&[key('/'), ctrl_u()]).await;
    c.keys(&typed(text)).await;
    c.keys(&[code(KeyCode::Enter)]).await;
}

fn ctrl_u() -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL)
}

/// The header line of the open table (the line with the column titles).
fn header(screen: &str, first: &str) -> String {
    screen
        .lines()
        .find(|l| l.trim_start_matches('"').trim_start().starts_with(first))
        .unwrap_or_default()
        .to_string()
}

fn non_increasing(values: &[Option<f64>]) -> bool {
    // Present values largest first, absent ones after them.
    let present: Vec<f64> = values.iter().map_while(|v| *v).collect();
    present.windows(2).all(|w| w[0] >= w[1]) && values[present.len()..].iter().all(Option::is_none)
}

fn ascending(values: &[String]) -> bool {
    values
        .windows(2)
        .all(|w| w[0].to_lowercase() <= w[1].to_lowercase())
}

#[tokio::test]
async fn devices_sort_by_node_and_filter_by_node_and_class() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('3')]).await;
    let before = c.model.devices.visible.len();
    assert!(before > 2);
    c.keys(&[key('O')]).await;
    let nodes: Vec<String> = c
        .model
        .devices
        .visible
        .iter()
        .map(|&i| c.model.devices.rows[i].node.clone())
        .collect();
    assert!(ascending(&nodes), "{nodes:?}");
    assert!(
        header(&c.screen(), "POOL").contains("NODE↑"),
        "{}",
        c.screen()
    );
    c.keys(&[key('O')]).await;
    assert!(header(&c.screen(), "POOL").contains("NODE↓"));

    filter(&mut c, "node:aimax").await;
    let shown = &c.model.devices.visible;
    assert!(!shown.is_empty() && shown.len() < before);
    for &i in shown {
        assert!(c.model.devices.rows[i].node.contains("aimax"));
    }
    filter(&mut c, "!node:aimax").await;
    for &i in &c.model.devices.visible {
        assert!(!c.model.devices.rows[i].node.contains("aimax"));
    }
}

#[tokio::test]
async fn an_unknown_field_is_said_and_hides_nothing() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('3')]).await;
    let before = c.model.devices.visible.len();
    filter(&mut c, "colour:red").await;
    assert_eq!(c.model.devices.visible.len(), before);
    let screen = c.screen();
    assert!(
        screen.contains("Devices has no field \"colour:\" (ignored)"),
        "{screen}"
    );
}

#[tokio::test]
async fn networks_sort_by_guests_and_filter_by_kind() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('4')]).await;
    c.keys(&[key('G')]).await;
    let guests: Vec<Option<f64>> = c
        .model
        .networks
        .visible
        .iter()
        .map(|&i| Some(c.model.networks.rows[i].guests as f64))
        .collect();
    assert!(non_increasing(&guests), "{guests:?}");
    filter(&mut c, "kind:bridge").await;
    assert!(!c.model.networks.visible.is_empty());
    for &i in &c.model.networks.visible {
        assert_eq!(c.model.networks.rows[i].kind, "bridge");
    }
}

#[tokio::test]
async fn ceph_sorts_by_use_and_filters_by_kind_and_state() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('5')]).await;
    c.keys(&[key('D')]).await;
    let used: Vec<Option<f64>> = c
        .model
        .ceph
        .visible
        .iter()
        .map(|&i| c.model.ceph.rows[i].used())
        .collect();
    assert!(non_increasing(&used), "{used:?}");
    filter(&mut c, "kind:osd state:up").await;
    assert!(!c.model.ceph.visible.is_empty());
    for &i in &c.model.ceph.visible {
        let l = &c.model.ceph.rows[i];
        assert_eq!(l.kind(), "osd");
        assert!(l.state().contains("up"));
    }
    filter(&mut c, "!kind:osd").await;
    for &i in &c.model.ceph.visible {
        assert_ne!(c.model.ceph.rows[i].kind(), "osd");
    }
}

#[tokio::test]
async fn backups_sort_by_size_and_filter_by_vmid() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('6')]).await;
    c.keys(&[key('D')]).await;
    let sizes: Vec<Option<f64>> = c
        .model
        .backups
        .visible
        .iter()
        .map(|&i| c.model.backups.rows[i].size.map(|s| s as f64))
        .collect();
    assert!(non_increasing(&sizes), "{sizes:?}");
    filter(&mut c, "vmid:10").await;
    assert!(!c.model.backups.visible.is_empty());
    for &i in &c.model.backups.visible {
        assert!(c.model.backups.rows[i].vmid.to_string().starts_with("10"));
    }
}

#[tokio::test]
async fn ha_sorts_by_node_and_filters_by_node() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('8')]).await;
    c.keys(&[key('O')]).await;
    let nodes: Vec<String> = c
        .model
        .ha
        .visible
        .iter()
        .filter_map(|&i| c.model.ha.rows[i].node.clone())
        .collect();
    assert!(ascending(&nodes), "{nodes:?}");
    filter(&mut c, "node:ms01-01").await;
    assert!(!c.model.ha.visible.is_empty());
    for &i in &c.model.ha.visible {
        let l = &c.model.ha.rows[i];
        let node = l.node.as_deref().unwrap_or(&l.name);
        assert!(node.contains("ms01-01"), "{l:?}");
    }
}

#[tokio::test]
async fn tasks_sort_by_duration_and_filter_by_node() {
    let mut c = Console::start(160, 45).await;
    for (path, form) in [
        (
            "/nodes/pve-ms01-01/qemu/101/snapshot",
            vec![("snapname", "before")],
        ),
        (
            "/nodes/pve-ms01-02/qemu/106/snapshot",
            vec![("snapname", "before")],
        ),
        (
            "/nodes/pve-ms01-01/qemu/9000/clone",
            vec![("newid", "9100")],
        ),
    ] {
        let r = c.sim.post(path, &form).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    c.later(600.0).await;
    c.keys(&[key('7')]).await;
    c.poll().await;
    assert!(c.model.tasks.rows.len() >= 3, "{:?}", c.model.tasks.rows);
    c.keys(&[key('K')]).await;
    let took: Vec<Option<f64>> = c
        .model
        .tasks
        .visible
        .iter()
        .map(|&i| c.model.tasks.rows[i].took.map(|t| t as f64))
        .collect();
    assert!(non_increasing(&took), "{took:?}");
    assert!(
        header(&c.screen(), "STATE").contains("TOOK↓"),
        "{}",
        c.screen()
    );
    filter(&mut c, "node:ms01-02").await;
    assert!(!c.model.tasks.visible.is_empty());
    for &i in &c.model.tasks.visible {
        assert_eq!(c.model.tasks.rows[i].node, "pve-ms01-02");
    }
    filter(&mut c, "vmid:101").await;
    assert!(!c.model.tasks.visible.is_empty());
    for &i in &c.model.tasks.visible {
        assert_eq!(c.model.tasks.rows[i].vmid, Some(101));
    }
}

#[tokio::test]
async fn hosts_and_instances_filter_with_negation() {
    let mut c = Console::start(160, 45).await;
    filter(&mut c, "!status:online").await;
    for &i in &c.model.hosts.visible {
        assert_ne!(c.model.clusters[0].hosts[i].status.label(), "online");
    }
    c.keys(&[key('2')]).await;
    filter(&mut c, "!status:running").await;
    let names = c.visible_names();
    assert!(!names.is_empty());
    for &i in &c.model.instances.visible {
        assert_ne!(c.model.clusters[0].instances[i].status, "running");
    }
}

#[tokio::test]
async fn help_lists_the_pane_first_and_pages_at_80x24() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('7'), key('?')]).await;
    let first = c.screen();
    assert!(first.contains("Tasks pane"), "{first}");
    assert!(first.contains("stop the selected running task"), "{first}");
    assert!(first.contains("page 1 of"), "{first}");
    insta::assert_snapshot!(first);
    // Every page, in order, with each description whole once its wrapped lines are joined.
    let mut text = String::new();
    let mut pages = 1;
    loop {
        let screen = c.screen();
        for line in screen.lines() {
            let line = line.trim_matches('"');
            let Some(inner) = line.strip_prefix('│') else {
                continue;
            };
            let inner = inner.trim_end_matches('│');
            text.push_str(inner.get(12..).unwrap_or_default().trim());
            text.push(' ');
        }
        if !screen.contains(&format!("page {pages} of {pages}")) {
            c.keys(&[code(KeyCode::PageDown)]).await;
            pages += 1;
            assert!(pages < 10, "the pages never end");
        } else {
            break;
        }
    }
    assert!(pages > 1);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for action in Action::all() {
        // Sorting and filtering are described with the pane's own columns and fields; a pane
        // opened only by name is on the command line's entry (`:audit`).
        if matches!(action, Action::Sort(_) | Action::Filter)
            || matches!(action, Action::Show(p) if p.number() == 0)
        {
            continue;
        }
        let described = action.describe();
        let words = described.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(&words) || action == Action::Stop,
            "{words:?} missing or cut in\n{text}"
        );
    }
    assert!(text.contains("sort by took (again: reverse)"), "{text}");
    // Paging back, and out.
    c.keys(&[code(KeyCode::Home)]).await;
    assert!(c.screen().contains("page 1 of"));
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(!c.model.help);
}

#[tokio::test]
async fn the_side_detail_hides_and_gives_the_table_its_columns() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('2')]).await;
    let with = c.screen();
    let head_with = header(&with, "VMID");
    assert!(head_with.contains('│'), "detail beside: {with}");
    c.keys(&[key('v')]).await;
    let without = c.screen();
    let head_without = header(&without, "VMID");
    assert!(!head_without.contains('│'), "{without}");
    let table_part = |h: &str| {
        h.split('│')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .count()
    };
    assert!(
        table_part(&head_without) > table_part(&head_with),
        "more columns without the detail:\n{head_with}\n{head_without}"
    );
    insta::assert_snapshot!(without);
    c.keys(&[key('v')]).await;
    assert_eq!(c.screen(), with);
}

#[tokio::test]
async fn fields_read_the_same_in_every_pane_and_a_bare_field_keeps_every_row() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('2')]).await;
    let all = c.model.instances.visible.len();
    // `state:` is `status:` here, as `state:` is in the panes that say STATE.
    filter(&mut c, "state:stopped").await;
    let stopped = c.model.instances.visible.len();
    assert!(stopped > 0 && stopped < all);
    assert!(!c.screen().contains("has no field"));
    // A field still being typed hides nothing.
    filter(&mut c, "node:").await;
    assert_eq!(c.model.instances.visible.len(), all);
    // HA: a node's row answers to `node:` by its name.
    c.keys(&[key('8')]).await;
    filter(&mut c, "node:aimax").await;
    let names: Vec<&str> = c
        .model
        .ha
        .visible
        .iter()
        .map(|&i| c.model.ha.rows[i].name.as_str())
        .collect();
    assert!(names.contains(&"pve-aimax-01"), "{names:?}");
}

#[tokio::test]
async fn a_sort_key_without_a_column_says_which_keys_sort_and_a_hidden_sort_is_named() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('3'), key('C')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("Devices cannot be sorted by cpu (C); its columns sort with POOL P"),
        "{screen}"
    );
    // Hosts: a node's name is its NODE column, so `N` sorts by it as `O` does.
    c.keys(&[key('1'), key('N')]).await;
    assert!(
        header(&c.screen(), "NODE").contains("NODE↓")
            || header(&c.screen(), "NODE").contains("NODE↑"),
        "{}",
        c.screen()
    );
    // At 80 columns the HA column of Hosts is left out: the title says what the rows are
    // sorted by.
    c.keys(&[key('1'), key('H')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("by HA↓") || screen.contains("by HA↑"),
        "{screen}"
    );
}
