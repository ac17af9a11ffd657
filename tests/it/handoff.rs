//! The ssh key (`o`): the command the console hands the terminal to — who logs in (a role's
//! `ssh_user`, the guest's cloud-init user, `[clusters.ssh]`), at which address (the agent's, or
//! the node's as corosync knows it), with the configured program and options — and what it says
//! when there is no address to go to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crossterm::event::KeyCode;

use rack::config::SshConfig;

use crate::common::console::{Console, code, key, typed};

async fn select(c: &mut Console, pane: char, filter: &str) {
    c.keys(&[key(pane)]).await;
    c.keys(&[key('/')]).await;
    c.keys(&typed(filter)).await;
    c.keys(&[code(KeyCode::Enter)]).await;
}

fn argv(words: &[&str]) -> Option<Vec<String>> {
    Some(words.iter().map(|w| w.to_string()).collect())
}

#[tokio::test]
async fn o_hands_the_terminal_to_ssh_with_the_right_user_and_address() {
    let mut c = Console::start(100, 30).await;
    // A guest whose agent reported its address; no user configured: ssh's own default.
    select(&mut c, '2', "vmid:104").await;
    c.keys(&[key('o')]).await;
    assert_eq!(c.handoff.take(), argv(&["ssh", "10.8.28.40"]));

    // The cluster's program, options and guest user; a role's ssh_user wins for its guests.
    c.model.clusters[0].ssh = SshConfig {
        command: "/usr/bin/ssh".into(),
        options: vec!["-J".into(), "jump.example".into()],
        node_user: "admin".into(),
        guest_user: Some("ops".into()),
    };
    c.keys(&[key('o')]).await;
    assert_eq!(
        c.handoff.take(),
        argv(&["/usr/bin/ssh", "-J", "jump.example", "ops@10.8.28.40"])
    );
    let db = c
        .model
        .placement
        .roles
        .iter_mut()
        .find(|r| r.name == "docker-host")
        .unwrap();
    db.tags = vec!["db".into()];
    db.ssh_user = Some("postgres".into());
    c.keys(&[key('o')]).await;
    assert_eq!(
        c.handoff.take(),
        argv(&["/usr/bin/ssh", "-J", "jump.example", "postgres@10.8.28.40"])
    );

    // A node: at the address corosync has for it, as node_user.
    c.keys(&[code(KeyCode::Esc)]).await;
    select(&mut c, '1', "ms01-01").await;
    c.keys(&[key('o')]).await;
    let sent = c.handoff.take().unwrap();
    let ip = c
        .model
        .snapshot()
        .unwrap()
        .status
        .get()
        .unwrap()
        .iter()
        .find(|i| i.name == "pve-ms01-01")
        .and_then(|i| i.ip.clone())
        .unwrap();
    assert_eq!(sent.last().unwrap(), &format!("admin@{ip}"));
}

#[tokio::test]
async fn without_an_address_o_says_why() {
    let mut c = Console::start(100, 30).await;
    select(&mut c, '2', "vmid:106").await;
    c.keys(&[key('o')]).await;
    assert_eq!(c.handoff, None);
    assert!(
        c.screen()
            .contains("ssh: no address known for 106 media-server: no guest agent configured"),
        "{}",
        c.screen()
    );
    // The detail's key line crosses it out with the reason (shown as the row's keys).
    let keys = rack::console::acting::guest_keys(&c.model, c.model.selected_instance().unwrap());
    let ssh = keys
        .iter()
        .find(|(a, _)| *a == rack::action::Action::Ssh)
        .unwrap();
    assert_eq!(ssh.1, Err("no guest agent configured".to_string()));
    c.keys(&[code(KeyCode::Esc)]).await;
    select(&mut c, '2', "vmid:110").await;
    c.keys(&[key('o')]).await;
    assert!(
        c.screen().contains("ssh: 110 ai-training-01 is stopped")
            || c.screen()
                .contains("ssh: no address known for 110 ai-training-01: not running"),
        "{}",
        c.screen()
    );
}
