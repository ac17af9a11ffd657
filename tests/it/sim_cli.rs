//! `rack sim` prints exactly the four lines a script reads, then serves until stopped.
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
    let (url, fp, token, pw) = (next(), next(), next(), next());
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
