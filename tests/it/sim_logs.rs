//! The simulator's logs as Proxmox serves them: the cluster log (pmxcfs) and a node's
//! journal (`dump_journal`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

/// The cluster log, as pmxcfs keeps it and pve-manager returns it: newest first, `max` of them,
/// each with its `id` (`uid:node`); a task's start and end as pvedaemon logs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_log_says_when_tasks_start_and_end() {
    let sim = common::start("homelab", 0.0).await;
    let r = sim
        .post(
            "/nodes/pve-ms01-01/qemu/101/snapshot",
            &[("snapname", "logged")],
        )
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    sim.wait_task(&upid).await;
    let log = sim.get("/cluster/log?max=5").await;
    let entries = log.data().as_array().unwrap();
    assert_eq!(entries.len(), 5);
    let times: Vec<i64> = entries
        .iter()
        .map(|e| e["time"].as_i64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    let end = &entries[0];
    assert_eq!(end["msg"], format!("end task {upid} OK"));
    assert_eq!(end["pri"], 6);
    assert_eq!(end["tag"], "pvedaemon");
    assert_eq!(end["node"], "pve-ms01-01");
    assert_eq!(end["user"], "root@pam!rack");
    assert_eq!(end["id"], format!("{}:pve-ms01-01", end["uid"]));
    assert!(
        entries
            .iter()
            .any(|e| e["msg"] == format!("starting task {upid}")),
        "{entries:?}"
    );
    let all = sim.get("/cluster/log").await;
    assert_eq!(all.data().as_array().unwrap().len(), 50, "pmxcfs's default");
    // rack's reader takes it typed.
    let client = common::client_of(&sim.handle);
    let typed: Vec<rack::pve::types::ClusterLogEntry> = client
        .get(&rack::pve::endpoints::cluster::log(5))
        .await
        .unwrap();
    assert_eq!(typed.len(), 5);
    assert_eq!(
        typed[0].msg.as_deref(),
        Some(format!("end task {upid} OK").as_str())
    );
    assert_eq!(typed[0].pri, Some(6));
}

/// A node's syslog as `dump_journal` pages it: oldest first, lines numbered from 1, `total`
/// beside the page, `start`/`limit`, `since` and `service`; the tasks run there as pvedaemon
/// logs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_s_syslog_pages_like_journalctl() {
    let sim = common::start("homelab", 0.0).await;
    let r = sim
        .post(
            "/nodes/pve-ms01-01/qemu/101/snapshot",
            &[("snapname", "journal")],
        )
        .await;
    let upid = r.data().as_str().unwrap().to_string();
    sim.wait_task(&upid).await;
    let first = sim.get("/nodes/pve-ms01-01/syslog").await;
    let total = first.body["total"].as_u64().unwrap() as usize;
    let lines = first.data().as_array().unwrap();
    assert_eq!(lines.len(), 50.min(total));
    let numbers: Vec<u64> = lines.iter().map(|l| l["n"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=lines.len() as u64).collect::<Vec<_>>());
    assert!(
        lines[0]["t"]
            .as_str()
            .unwrap()
            .contains(" pve-ms01-01 pvedaemon["),
        "{}",
        lines[0]
    );
    let tail = sim
        .get(&format!(
            "/nodes/pve-ms01-01/syslog?start={}&limit=5",
            total - 2
        ))
        .await;
    let tail = tail.data().as_array().unwrap();
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[1]["n"], total);
    let last = tail[1]["t"].as_str().unwrap();
    assert!(
        last.ends_with(&format!(
            "pvedaemon[{}]: <root@pam!rack> end task {upid} OK",
            {
                let pid = upid.split(':').nth(2).unwrap();
                u32::from_str_radix(pid, 16).unwrap()
            }
        )),
        "{last}"
    );
    let kernel = sim.get("/nodes/pve-ms01-01/syslog?service=kernel").await;
    assert_eq!(kernel.body["total"], 1);
    assert!(
        kernel.data()[0]["t"]
            .as_str()
            .unwrap()
            .contains(" pve-ms01-01 kernel: Linux version "),
        "{}",
        kernel.data()[0]
    );
    let none = sim.get("/nodes/pve-ms01-01/syslog?since=2099-01-01").await;
    assert_eq!(none.data()[0]["t"], "no content");
}
