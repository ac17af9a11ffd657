//! `rack sim` prints the lines a script reads, then serves until stopped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn rack_sim_prints_url_fingerprint_token_password() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rack"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--password",
            "pw123",
            "--token",
            "root@pam!ci=s3cret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let (url, fp, token, pw, tfa) = (next(), next(), next(), next(), next());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(url.starts_with("url: https://127.0.0.1:"), "{url}");
    let fp = fp.strip_prefix("fingerprint: ").unwrap();
    assert_eq!(fp.len(), 95);
    assert!(
        fp.chars()
            .all(|c| c == ':' || c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(token, "token: root@pam!ci=s3cret");
    assert_eq!(pw, "password: pw123");
    assert!(
        tfa.starts_with("tfa user: ops@pve (same password; TOTP secret "),
        "{tfa}"
    );
}

/// `--node-ports` serves every node on its own port with its own certificate and `--ca-out`
/// writes the cluster CA: a config with `ca_file` reads the cluster, and fails over to the
/// second node when the first stops answering. (The simulator starts at the present here, as
/// the CA's dates are checked against this machine's clock; nothing asserted depends on it.)
#[test]
fn node_ports_and_a_ca_file_fail_over_between_nodes() {
    let dir = crate::common::Scratch::new("node-ports");
    let ca = dir.join("pve-root-ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rack"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "0",
            "--node-ports",
        ])
        .arg("--ca-out")
        .arg(&ca)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut read: Vec<String> = Vec::new();
    while !read.last().is_some_and(|l| l.starts_with("tfa user:")) {
        read.push(lines.next().unwrap().unwrap());
    }
    let nodes: Vec<(String, String)> = read
        .iter()
        .filter_map(|l| l.strip_prefix("node "))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let url = parts.nth(1).unwrap().to_string();
            (url, parts.next().unwrap().to_string())
        })
        .collect();
    assert_eq!(nodes.len(), 3, "{read:?}");
    assert!(
        read.contains(&format!("ca_file: {}", ca.display())),
        "{read:?}"
    );
    let token = read
        .iter()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .to_string();
    let (id, secret) = token.split_once('=').unwrap();
    let config = dir.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\", \"{}\"]\ntoken_id = \"{id}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\nca_file = \"{}\"\n",
            nodes[0].0,
            nodes[1].0,
            ca.display()
        ),
    )
    .unwrap();
    let get = || {
        crate::common::rack(&dir)
            .arg("--config")
            .arg(&config)
            .args(["get", "hosts"])
            .env("RACK_TEST_SECRET", secret)
            .output()
            .unwrap()
    };
    let out = get();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each host says when the certificate it serves runs out.
    let json = crate::common::rack(&dir)
        .arg("--config")
        .arg(&config)
        .args(["get", "hosts", "-o", "json"])
        .env("RACK_TEST_SECRET", secret)
        .output()
        .unwrap();
    let hosts: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(hosts.len(), 3);
    assert!(
        hosts.iter().all(|h| h["cert_expires"].as_u64().is_some()),
        "{hosts:?}"
    );
    let fault = Command::new(env!("CARGO_BIN_EXE_rack"))
        .args([
            "sim-control",
            "--url",
            &nodes[1].0,
            "--fingerprint",
            &nodes[1].1,
        ])
        .args(["POST", "/faults", "spec=unreachable=pve-ms01-01"])
        .env("RACK_SIM_TOKEN", &token)
        .output()
        .unwrap();
    assert!(fault.status.success(), "{fault:?}");
    let out = get();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} did not answer; read through {}",
            nodes[0].0, nodes[1].0
        )),
        "{stderr}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Every argument and flag of every verb says what it does; a verb offers only its own flags.
#[test]
fn every_flag_says_what_it_does() {
    use clap::CommandFactory;
    let cli = rack::cli::Cli::command();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands() {
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("rack {} {id}", sub.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "no description: {missing:?}");
    let delete = cli.find_subcommand("delete-snapshot").unwrap();
    assert!(delete.get_arguments().all(|a| a.get_id() != "start"));
    let get = cli.find_subcommand("get").unwrap();
    let about = get.get_about().unwrap().to_string();
    assert!(
        about.contains("tasks, Ceph, backups, networks or HA"),
        "{about}"
    );
}
