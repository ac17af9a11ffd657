//! The simulator's metrics export as pve-manager answers it, its gzip answers as pveproxy sends
//! them, and the poller reading a cluster's load and charts from the export in one request.

use std::collections::BTreeMap;
use std::io::Read as _;

use serde_json::Value;

use crate::common;
use crate::console_reads::OLDER_THAN_EXPORT;
use rack::model::{Focus, PaneData, host_rows};
use rack::poll::{Due, refresh_once};
use rack::sim::SimOptions;

/// The Hosts pane open, no row's node status wanted: what the charts and LOAD read alone.
fn hosts_pane() -> Focus {
    Focus {
        pane: PaneData::Hosts,
        rows: Some(Vec::new()),
        ..Focus::default()
    }
}

/// The steady reads and the metrics export.
fn steady_and_metrics() -> Due {
    Due {
        metrics: true,
        ..Due::default()
    }
}

fn entries(reply: &common::Reply) -> Vec<Value> {
    reply.data()["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_export_keeps_half_an_hour_of_generations_sorted_by_time() {
    let sim = common::start("homelab", 0.0).await;
    let all = entries(&sim.get("/cluster/metrics/export?history=1").await);
    let times: Vec<i64> = all
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "sorted by time");
    let distinct: std::collections::BTreeSet<i64> = times.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        181,
        "the newest 181 generations, 10 s apart"
    );
    assert!(distinct.iter().all(|t| t % 10 == 0));
    // Every entry as PullMetric writes it: numbers as numbers, gauge or derive.
    for e in &all {
        assert!(e["value"].is_number() && e["timestamp"].is_i64(), "{e}");
        assert!(
            matches!(e["type"].as_str(), Some("gauge" | "derive")),
            "{e}"
        );
    }
    let node: Vec<&str> = all
        .iter()
        .filter(|e| e["id"] == "node/pve-ms01-01" && e["timestamp"] == times[0])
        .filter_map(|e| e["metric"].as_str())
        .collect();
    assert_eq!(
        node,
        [
            "uptime",
            "net_in",
            "net_out",
            "cpu_avg1",
            "cpu_avg5",
            "cpu_avg15",
            "cpu_max",
            "cpu_current",
            "cpu_iowait",
            "mem_total",
            "mem_used",
            "swap_total",
            "swap_used",
            "disk_total",
            "disk_used"
        ]
    );
    // A running guest's byte counters only grow.
    let counter: Vec<f64> = all
        .iter()
        .filter(|e| e["id"] == "qemu/101" && e["metric"] == "net_in")
        .map(|e| e["value"].as_f64().unwrap())
        .collect();
    assert_eq!(counter.len(), 181);
    assert!(counter.windows(2).all(|w| w[0] < w[1]), "{counter:?}");

    // Without history, the newest generation; with start-time, only what came after it.
    let newest = *distinct.last().unwrap();
    let latest = entries(&sim.get("/cluster/metrics/export").await);
    assert!(latest.iter().all(|e| e["timestamp"] == newest));
    let after = entries(
        &sim.get(&format!(
            "/cluster/metrics/export?history=1&start-time={}",
            newest - 30
        ))
        .await,
    );
    let after: std::collections::BTreeSet<i64> = after
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        after.into_iter().collect::<Vec<_>>(),
        [newest - 20, newest - 10, newest]
    );

    // The load the export gives is the node's status's.
    let status = sim.get("/nodes/pve-ms01-01/status").await;
    let load = latest
        .iter()
        .find(|e| e["id"] == "node/pve-ms01-01" && e["metric"] == "cpu_avg1")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert_eq!(status.data()["loadavg"][0], format!("{load:.2}"));

    // node-list narrows it, and an unknown node is refused as pve-manager refuses it.
    let one = entries(
        &sim.get("/cluster/metrics/export?node-list=pve-aimax-01")
            .await,
    );
    assert!(one.iter().all(|e| {
        let id = e["id"].as_str().unwrap();
        !id.starts_with("node/") || id == "node/pve-aimax-01"
    }));
    let refused = sim.get("/cluster/metrics/export?node-list=pve-nope").await;
    assert_eq!(refused.status, 500);
    assert!(
        refused
            .text
            .contains("Requested node-list contains unknown nodes - pve-nope"),
        "{}",
        refused.text
    );
}

#[tokio::test]
async fn answers_over_a_kibibyte_are_gzipped_for_a_client_that_asks() {
    let sim = common::start("homelab", 0.0).await;
    let asked = |path: &str| {
        sim.http
            .get(sim.url(path))
            .header(
                "Authorization",
                format!("PVEAPIToken={}", sim.handle.token()),
            )
            .header("Accept-Encoding", "gzip")
    };
    let res = asked("/cluster/resources").send().await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let zipped = res.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_string(&mut text)
        .unwrap();
    let plain = sim.get("/cluster/resources").await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), plain.body);
    assert!(
        zipped.len() * 3 < text.len(),
        "{} of {}",
        zipped.len(),
        text.len()
    );
    // A small answer goes as it is.
    let res = asked("/version").send().await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());

    // rack's client asks for it, and counts what came over the wire.
    let client = common::client_of(&sim.handle);
    let before = client.bytes_received();
    let _: Value = client.get("/cluster/resources").await.unwrap();
    let received = client.bytes_received() - before;
    assert_eq!(received, zipped.len() as u64);
}

/// The LOAD column and the cluster charts come from the export in one request; per-node rrddata
/// is read only on a cluster without it.
#[tokio::test]
async fn load_and_charts_come_from_the_export_or_from_each_node_without_it() {
    let hosts = hosts_pane();
    let steady_and_metrics = steady_and_metrics();
    for (faults, node_reads) in [(None, 0), (Some(OLDER_THAN_EXPORT), 3)] {
        let sim = common::start_with(
            "homelab",
            SimOptions {
                speed: 0.0,
                faults: faults.map(str::to_string),
                ..SimOptions::default()
            },
        )
        .await;
        let c = common::client_of(&sim.handle);
        let now = sim.handle.now();
        let snap = rack::model::ClusterSnapshot::new("lab");
        let before = c.requests();
        let snap = refresh_once(&c, snap, &hosts, steady_and_metrics, now).await;
        // Three steady reads and the export: the charts wait until it is known whether the
        // cluster has one, so nothing is read twice.
        assert_eq!(c.requests() - before, 4);
        let before = c.requests();
        let snap = refresh_once(&c, snap, &hosts, Due::default(), now).await;
        assert_eq!(c.requests() - before, 3 + node_reads, "{faults:?}");
        let history = snap.cluster_rrd.get().unwrap();
        assert_eq!(history.nodes.len(), 3);
        if faults.is_none() {
            assert!(snap.metrics.get().unwrap().available);
            // Half an hour of 10 s generations, a point a minute.
            assert_eq!(history.points.len(), 31);
            // The LOAD column is the export's newest load of each node.
            let loads: BTreeMap<String, Option<f64>> = host_rows(&snap)
                .into_iter()
                .map(|r| (r.node, r.load))
                .collect();
            let export = entries(&sim.get("/cluster/metrics/export").await);
            let said: BTreeMap<String, Option<f64>> = export
                .iter()
                .filter(|e| e["metric"] == "cpu_avg1")
                .map(|e| {
                    let node = e["id"].as_str().unwrap().trim_start_matches("node/");
                    (node.to_string(), e["value"].as_f64())
                })
                .collect();
            assert_eq!(loads, said);
            // A minute later, the next read asks only for what came since: six generations
            // (and the one before the slowest node's newest, read again and skipped).
            sim.advance(60.0).await;
            let newest = snap.metrics.get().unwrap().newest.unwrap();
            let before = c.requests();
            let snap = refresh_once(&c, snap, &hosts, steady_and_metrics, now).await;
            assert_eq!(c.requests() - before, 4);
            let m = snap.metrics.get().unwrap();
            assert_eq!(m.newest, Some(newest + 60));
            assert_eq!(snap.cluster_rrd.get().unwrap().points.len(), 32);
        } else {
            assert!(!snap.metrics.get().unwrap().available);
            assert!(
                snap.metrics.error.is_none(),
                "a fact about the cluster, not an error"
            );
        }
    }
}

/// Above 50 guests the export's history is not read (each generation carries every guest): the
/// newest generation, and the hour before from each online node's rrddata, read at once and
/// once only.
#[tokio::test]
async fn a_large_cluster_s_hour_comes_from_rrddata_once() {
    let scenario = rack::sim::generate::generate(8, 400, 3);
    let options = SimOptions {
        start: Some(common::epoch()),
        speed: 0.0,
        ..SimOptions::default()
    };
    let handle = rack::sim::Simulator::start(scenario, options)
        .await
        .unwrap();
    let c = common::client_of(&handle);
    let now = handle.now();
    let hosts = hosts_pane();
    let with_metrics = steady_and_metrics();
    let snap = refresh_once(
        &c,
        rack::model::ClusterSnapshot::new("big"),
        &hosts,
        with_metrics,
        now,
    )
    .await;
    let m = snap.metrics.get().unwrap();
    assert!(m.available && !m.seeded);
    // Seven nodes online (the last is off): seven rrddata reads beside the three steady ones.
    let before = c.requests();
    let snap = refresh_once(&c, snap, &hosts, Due::default(), now).await;
    assert_eq!(c.requests() - before, 3 + 7);
    assert!(snap.metrics.get().unwrap().seeded);
    let history = snap.cluster_rrd.get().unwrap();
    assert!(history.points.len() >= 60, "{}", history.points.len());
    let before = c.requests();
    let snap = refresh_once(&c, snap, &hosts, Due::default(), now).await;
    assert_eq!(c.requests() - before, 3, "read once");
    assert!(snap.cluster_rrd.get().unwrap().points.len() >= 60);
}
