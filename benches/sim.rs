//! Simulator at scale: latency of GET /cluster/resources at 64 nodes / 10,000 guests, and the
//! process's memory. Prints figures; asserts nothing. Run with `cargo bench --bench sim`.

// A benchmark that cannot start has nothing to report; stopping with the reason is right here.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use rack::sim::{SimOptions, Simulator, generate::generate};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

fn main() {
    rack::pve::tls::install_crypto_provider();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let before = rss_kib();
        let sim = Simulator::start(
            generate(64, 10_000, 1),
            SimOptions {
                http: true,
                ..SimOptions::default()
            },
        )
        .await
        .expect("simulator");
        let after = rss_kib();
        let client = reqwest::Client::new();
        let url = format!("{}/api2/json/cluster/resources", sim.url);
        let auth = format!("PVEAPIToken={}", sim.token());
        let mut times: Vec<Duration> = Vec::new();
        let mut bytes = 0;
        for i in 0..60 {
            let t = Instant::now();
            let body = client
                .get(&url)
                .header("Authorization", &auth)
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body");
            if i >= 10 {
                times.push(t.elapsed());
                bytes = body.len();
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "GET /cluster/resources, 64 nodes / 10000 guests, {} KiB per answer",
            bytes / 1024
        );
        println!(
            "  median {:.1} ms   p90 {:.1} ms   max {:.1} ms   (goal: median under 20 ms)",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1])
        );
        println!(
            "  simulator memory: {} MiB resident for the world ({} MiB process)",
            after.saturating_sub(before) / 1024,
            rss_kib() / 1024
        );
    });
}
