//! The all-clusters view in a real terminal: two simulated clusters and a standalone node, each
//! a `rack sim` process of its own, one config naming all three.

use super::{SimProcess, Tmux};
use crate::common;

#[test]
fn zero_shows_every_cluster_and_a_stopped_one_stays_listed() {
    let sims = [
        ("homelab", SimProcess::start_on("homelab", "0")),
        ("office", SimProcess::start_on("homelab", "0")),
        ("laptop", SimProcess::start_on("laptop", "0")),
    ];
    let home = common::Scratch::new("fleet");
    let config = home.join("rack.toml");
    let mut text = String::new();
    for (name, sim) in &sims {
        let (token_id, secret) = sim.token.split_once('=').unwrap();
        text.push_str(&format!(
            "[[clusters]]\nname = \"{name}\"\nendpoints = [\"{}\"]\ntoken_id = \"{token_id}\"\ntoken_secret = \"{secret}\"\nfingerprint = \"{}\"\n",
            sim.url, sim.fingerprint
        ));
    }
    std::fs::write(&config, text).unwrap();
    // It holds secrets: rack refuses a config others can read.
    let mut perms = std::fs::metadata(&config).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(&config, perms).unwrap();
    let env = format!("RACK_CONFIG={}", config.display());
    let t = Tmux::start_with("fleet", 120, 30, &env, "");
    t.wait_for("the first cluster", |s| {
        s.contains("pve-ms01-01") && s.contains("● laptop")
    });
    t.keys(&["0"]);
    let screen = t.wait_for("every cluster's hosts", |s| {
        s.contains("Hosts · all clusters(7/7)") && s.contains("pve-laptop")
    });
    assert!(screen.contains("CLUSTER"), "{screen}");
    assert!(screen.contains("all 3 clusters"), "{screen}");

    // The guests of one cluster by `cluster:`, VMIDs that repeat elsewhere kept apart.
    t.keys(&["2", "/"]);
    t.text("cluster:laptop");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the laptop's guests", |s| {
        s.contains("Instances · all clusters(2/") && s.contains("win11-test")
    });
    assert!(!screen.contains("talos-k8s-01"), "{screen}");

    // The office simulator stops: its rows stay, as last read, and the header says so.
    let [_, (_, office), _] = sims;
    drop(office);
    // Each pane keeps its own filter: the Hosts pane has none. (No Esc right before: a
    // terminal reads Esc and a key sent at once as alt and that key.)
    t.keys(&["1"]);
    let screen = t.wait_long("the office marked stale", 60, |s| {
        s.contains("▲ office stale") && s.contains("Hosts · all clusters(7/7)")
    });
    // Each of its rows says so too.
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("▲ office") && l.contains("pve-ms01-01")),
        "{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
}
