//! Guests' addresses: read from the guest agent (VMs) and from inside containers, shown in the
//! Instances table and the detail, filtered with `ip:`, and in `rack get instances -o json`; a
//! VM without an agent, or whose agent is not up yet, says so instead of counting an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crossterm::event::KeyCode;
use serde_json::Value;

use crate::common;
use crate::common::console::{Console, code, key, typed};

/// Failed requests the poller counted.
fn errors(c: &Console) -> u64 {
    c.model.clusters[0]
        .snapshot
        .as_ref()
        .map_or(0, |s| s.stats.errors)
}

#[tokio::test]
async fn the_table_the_detail_and_the_filter_show_guests_addresses() {
    let mut c = Console::start(160, 45).await;
    c.keys(&[key('2'), key('v')]).await;
    let screen = c.screen();
    let line = |vmid: &str| {
        screen
            .lines()
            .find(|l| l.trim_start_matches('"').trim_start().starts_with(vmid))
            .unwrap_or_default()
            .to_string()
    };
    assert!(screen.contains(" IP "), "{screen}");
    assert!(line("104 postgres-01").contains("10.8.28.40"), "{screen}");
    assert!(line("200 grafana").contains("10.8.28.50"), "{screen}");
    // media-server has no agent option: a fact, said dimly, not an error.
    assert!(line("106 media-server").contains("no agent"), "{screen}");
    assert_eq!(errors(&c), 0);
    // ip: matches any address by prefix.
    c.keys(&[key('/')]).await;
    c.keys(&typed("ip:10.8.28.4")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    assert_eq!(c.visible_names(), ["postgres-01"]);
    // The detail lists every interface with its MAC.
    c.keys(&[key('v')]).await;
    let screen = c.screen();
    assert!(
        screen.contains("Address ens18 bc:24:11:3a:04:01 10.8.28.40/22"),
        "{screen}"
    );
}

#[tokio::test]
async fn a_vm_just_started_says_its_agent_is_not_up_until_it_is() {
    let mut c = Console::start(160, 45).await;
    // talos-k8s-01 has the agent (and no HA to start it again): stopped, then started.
    for (step, takes) in [("stop", 30.0), ("start", 6.0)] {
        let r = c
            .sim
            .post(&format!("/nodes/pve-ms01-01/qemu/101/status/{step}"), &[])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        c.later(takes).await;
    }
    c.keys(&[key('2'), key('v')]).await;
    let row = |c: &Console| {
        c.model.clusters[0]
            .instances
            .iter()
            .find(|r| r.vmid == 101)
            .cloned()
            .unwrap()
    };
    let r = row(&c);
    assert_eq!(r.status, "running");
    assert!(r.ips.is_empty());
    assert_eq!(r.ips_missing.as_deref(), Some("guest agent not running"));
    assert_eq!(errors(&c), 0);
    c.later(30.0).await;
    assert!(!row(&c).ips.is_empty(), "{:?}", row(&c));
}

#[test]
fn rack_get_instances_carries_the_addresses() {
    let home = common::Scratch::new("get-ips");
    let out = common::rack(&home)
        .args(["get", "instances", "-o", "json", "--demo"])
        .env("RACK_DEMO_START", common::epoch().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let of = |vmid: u32| rows.iter().find(|r| r["vmid"] == vmid).unwrap().clone();
    assert_eq!(of(104)["ips"], serde_json::json!(["10.8.28.40"]));
    assert_eq!(of(202)["ips"], serde_json::json!(["10.8.28.52"]));
    assert_eq!(of(106)["ips"], serde_json::json!([]));
    assert_eq!(of(106)["ips_missing"], "no guest agent configured");
    // A stopped guest has no addresses and nothing to explain.
    assert_eq!(of(110)["ips"], serde_json::json!([]));
    assert!(of(110).get("ips_missing").is_none());
}
