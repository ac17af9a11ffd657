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
    // Five upgrades wait from the refresh seven hours ago, a new kernel among them: the reboot
    // after the upgrade boots it.
    let updates = &plan["updates"];
    assert_eq!(
        updates["upgrades"].as_array().unwrap().len(),
        5,
        "{updates}"
    );
    assert_eq!(updates["upgrades"][2]["package"], "pve-manager");
    assert_eq!(updates["upgrades"][2]["from"], "9.1.2");
    assert_eq!(updates["upgrades"][2]["to"], "9.1.4");
    // The demo's clock runs from its start: give the read a minute or two.
    let age = updates["refreshed_ago"].as_u64().unwrap();
    assert!((7 * 3600 - 60..=7 * 3600 + 120).contains(&age), "{age}");
    assert_eq!(updates["running_kernel"], "6.17.2-1-pve");
    assert_eq!(updates["reboot_due"], false);
    assert_eq!(updates["next_kernel"], "6.17.4-1-pve");
    assert!(
        steps.contains(&"upgrade the node: 5 packages (pveupgrade)"),
        "{steps:?}"
    );
    assert_eq!(
        steps.last(),
        Some(&"reboot the node (it boots kernel 6.17.4-1-pve) or shut it down")
    );
}

#[test]
fn a_node_running_an_older_kernel_than_it_has_is_due_a_reboot() {
    let (_, plan, _) = plan("pve-aimax-01");
    let updates = &plan["updates"];
    assert_eq!(updates["running_kernel"], "6.17.2-1-pve", "{updates}");
    assert_eq!(updates["newest_kernel"], "6.17.4-1-pve");
    assert_eq!(updates["reboot_due"], true);
    // It has the kernel; the rest of the upgrade still waits.
    assert_eq!(
        updates["upgrades"].as_array().unwrap().len(),
        3,
        "{updates}"
    );
    let home = common::Scratch::new("maint-text");
    let out = common::rack(&home)
        .env("RACK_DEMO_START", common::epoch().to_string())
        .args(["--demo", "maintenance", "plan", "pve-aimax-01"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("! reboot due: runs kernel 6.17.2-1-pve, 6.17.4-1-pve is installed"),
        "{text}"
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
    c.keys(&[code(KeyCode::PageDown)]).await;
    let screen = c.screen();
    assert!(screen.contains("9000"), "{screen}");
    assert!(
        screen.contains("! 5 packages upgradable (package lists refreshed 6h 59m ago)"),
        "{screen}"
    );
    c.keys(&[code(KeyCode::End)]).await;
    let screen = c.screen();
    assert!(screen.contains("The walkthrough could start."), "{screen}");
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

/// `--refresh` runs apt-get update on the node through the queue first (its progress on stderr,
/// stdout stays the plan), so the plan's list is minutes old, not hours.
#[test]
fn a_plan_can_refresh_the_package_lists_first() {
    let home = common::Scratch::new("maint-refresh");
    let out = common::rack(&home)
        .env("RACK_DEMO_START", common::epoch().to_string())
        .args([
            "--demo",
            "maintenance",
            "plan",
            "pve-ms01-01",
            "--refresh",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let plan: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(
        stderr.contains("refresh the package lists of pve-ms01-01"),
        "{stderr}"
    );
    let age = plan["updates"]["refreshed_ago"].as_u64().unwrap();
    assert!(age < 120, "{age}: {stderr}");
}

/// In the console, r on the plan refreshes the node's package lists and reads the plan again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_on_the_plan_refreshes_the_package_lists() {
    use crate::common::acting::{Console, code, key};
    use crossterm::event::KeyCode;
    use rack::console::dialog::Dialog;
    let mut c = Console::start(false).await;
    c.keys(&[key(':')]).await;
    for ch in "maintenance pve-ms01-01".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    let before = match &c.model.dialog {
        Some(Dialog::Maintenance(v)) => v.plan.clone(),
        _ => None,
    };
    let before = before.unwrap().unwrap();
    let age = before.updates.as_ref().unwrap().refreshed_ago.unwrap();
    assert!(age > 6 * 3600, "{age}");
    c.keys(&[key('r')]).await;
    assert!(
        c.screen().contains("refreshing the package lists…"),
        "{}",
        c.screen()
    );
    c.settle().await;
    let Some(Dialog::Maintenance(v)) = &c.model.dialog else {
        panic!("the plan closed")
    };
    assert!(!v.refreshing);
    let plan = v.plan.clone().unwrap().unwrap();
    let age = plan.updates.as_ref().unwrap().refreshed_ago.unwrap();
    assert!(age < 300, "{age}");
    assert!(c.screen().contains("r refresh packages"), "{}", c.screen());
}

/// A walkthrough kept for the cluster (by the command line, or another rack) is said at the top
/// of the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_says_when_a_walkthrough_is_in_progress() {
    use crate::common::acting::{Console, code, key};
    use crossterm::event::KeyCode;
    use rack::console::Event;
    use rack::console::dialog::Dialog;
    let mut c = Console::start(false).await;
    c.keys(&[key(':')]).await;
    for ch in "maintenance pve-ms01-01".chars() {
        c.keys(&[key(ch)]).await;
    }
    c.keys(&[code(KeyCode::Enter)]).await;
    let Some(Dialog::Maintenance(v)) = &c.model.dialog else {
        panic!("no plan")
    };
    let plan = v.plan.clone().unwrap().unwrap();
    let walk = rack::maint::walk::Walk::new("lab", &plan, None, 2);
    c.event(Event::MaintenancePlan {
        cluster: 0,
        node: "pve-ms01-01".into(),
        plan: Ok(plan),
        in_progress: Some(walk.summary()),
    })
    .await;
    let screen = c.screen();
    assert!(
        screen.contains(
            "! a maintenance walkthrough of pve-ms01-01 is in progress on this cluster (0 of 4 guests moved): rack maintenance status"
        ),
        "{screen}"
    );
}
