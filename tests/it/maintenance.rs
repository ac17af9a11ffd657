//! A node's maintenance plan against the simulated homelab: `rack maintenance plan` as a script
//! runs it.

use serde_json::Value;

use crate::common;

fn plan(node: &str) -> (Option<i32>, Value, String) {
    let home = common::Scratch::new("maint");
    let out = common::rack(&home)
        .env("RACK_DEMO_START", common::epoch().to_string())
        .args(["--demo", "maintenance", "plan", node, "-o", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), json, stderr)
}

fn moves(plan: &Value) -> &Vec<Value> {
    plan["moves"].as_array().unwrap()
}

fn of(plan: &Value, vmid: u64) -> &Value {
    moves(plan).iter().find(|m| m["vmid"] == vmid).unwrap()
}

#[test]
fn draining_a_node_spreads_its_guests_and_keeps_ha_preferences() {
    let (code, plan, stderr) = plan("pve-ms01-01");
    assert_eq!(code, Some(0), "{plan:#}\n{stderr}");
    assert_eq!(plan["ready"], true);
    assert_eq!(plan["node"], "pve-ms01-01");
    // Quorum holds without it, with no vote to spare on three nodes.
    let quorum = &plan["checks"][0];
    assert_eq!(quorum["what"], "quorum");
    assert_eq!(quorum["verdict"], "warn", "{quorum}");
    assert!(
        quorum["reason"]
            .as_str()
            .unwrap()
            .contains("2 of 3 votes present without it, 2 needed")
    );
    // Its OSDs go down: the pools run degraded, not below min_size.
    let pools = plan["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "ceph pools")
        .unwrap();
    assert_eq!(pools["verdict"], "warn", "{pools}");
    // Every guest but the template leaves, and none to the node itself.
    for m in moves(&plan) {
        assert_ne!(m["target"], "pve-ms01-01", "{m}");
    }
    assert_eq!(of(&plan, 9000)["how"], "stays");
    assert_eq!(of(&plan, 101)["how"], "live");
    assert_eq!(of(&plan, 200)["how"], "restart");
    assert!(of(&plan, 200)["downtime"].as_u64().unwrap() > 0);
    // 105 is an HA resource its rule prefers on the MS-01s: HA moves it to the other one.
    assert_eq!(of(&plan, 105)["how"], "ha");
    assert_eq!(of(&plan, 105)["target"], "pve-ms01-02", "{plan:#}");
    let steps: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["what"].as_str().unwrap())
        .collect();
    assert_eq!(steps[0], "set Ceph noout");
    assert!(
        steps.iter().any(|s| s.starts_with("move 4 guests")),
        "{steps:?}"
    );
}

#[test]
fn a_guest_whose_devices_have_no_twin_elsewhere_blocks_the_plan() {
    let (code, plan, _) = plan("pve-aimax-01");
    assert_eq!(code, Some(1), "{plan:#}");
    assert_eq!(plan["ready"], false);
    let frigate = of(&plan, 111);
    assert_eq!(frigate["how"], "blocked");
    assert!(
        frigate["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no free device in pool 'coral'"),
        "{frigate}"
    );
    assert_eq!(of(&plan, 103)["how"], "live");
}

#[test]
fn an_unknown_node_is_a_usage_error() {
    let home = common::Scratch::new("maint-unknown");
    let out = common::rack(&home)
        .args(["--demo", "maintenance", "plan", "pve-nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no node \"pve-nope\"; the nodes are"),
        "{stderr}"
    );
}

/// In the console: `x` on a node in Hosts opens its plan over the panes; it scrolls, and Esc
/// closes it. Nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_a_node_s_plan_and_scrolls_it() {
    use crate::common::console::{Console, code, key};
    use crossterm::event::KeyCode;
    let mut c = Console::start(80, 24).await;
    // Hosts list by name: pve-aimax-01, pve-ms01-01, pve-ms01-02.
    c.keys(&[key('j'), key('x')]).await;
    let screen = c.screen();
    assert!(screen.contains("Maintenance of pve-ms01-01"), "{screen}");
    assert!(screen.contains("! quorum"), "{screen}");
    assert!(
        screen.contains("101 talos-k8s-01     live-migrate to"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    c.keys(&[code(KeyCode::PageDown), code(KeyCode::PageDown)])
        .await;
    let screen = c.screen();
    assert!(screen.contains("The walkthrough could start."), "{screen}");
    assert!(screen.contains("9000"), "{screen}");
    c.keys(&[code(KeyCode::Esc)]).await;
    assert!(c.model.dialog.is_none());
    assert_eq!(c.submitted(), 0);
    // By name from the command line, on a node whose GPU guest cannot go anywhere.
    c.keys(&[key(':')]).await;
    c.keys(&crate::common::console::typed("maintenance pve-aimax-01"))
        .await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(
        screen.contains("111 nvr-frigate      CANNOT MOVE"),
        "{screen}"
    );
}

/// After a live migration, the plan's estimates use the rate the cluster's own migration logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_use_the_rate_this_cluster_s_migrations_logged() {
    let sim = common::start("homelab", 20.0).await;
    let client = common::client_of(&sim.handle);
    let r = sim
        .post(
            "/nodes/pve-aimax-01/qemu/103/migrate",
            &[("target", "pve-ms01-02"), ("online", "1")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    sim.wait_task(r.data().as_str().unwrap()).await;
    let (inputs, _) = rack::poll::maintenance_inputs(
        "lab",
        &client,
        "pve-ms01-02",
        &Default::default(),
        &[],
        sim.handle.now(),
    )
    .await
    .unwrap();
    let rate = inputs.rate.expect("a rate read from the migration's log");
    // The simulator's migrations log 1.1 GiB/s.
    assert!(
        (rate - 1.1 * 1024.0 * 1024.0 * 1024.0).abs() < 1e6,
        "{rate}"
    );
    let plan = rack::maint::plan(&inputs, &rack::maint::Settings::default());
    assert_eq!(plan.rate_from, "this cluster's recent migrations");
    // 103 (16 GiB) is back on the node to drain: at 1.1 GiB/s it takes 15 s, not 164.
    let m = plan.moves.iter().find(|m| m.vmid == 103).unwrap();
    assert_eq!(m.estimate, Some(15), "{m:?}");
}
