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
