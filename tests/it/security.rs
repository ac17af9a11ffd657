//! Trust on a shared jumpbox: `rack trust` pins a certificate into a commented config; files
//! others can read (a secret) or write (the config) are refused as ssh refuses them; what rack
//! creates is its owner's alone, whatever the umask.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output};

use crate::common;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config for the simulator's cluster "lab": its URL, token id and pin, and `secret` (the
/// lines that say where the token's secret is).
fn lab(sim: &common::Sim, secret: &str) -> String {
    format!(
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\n{secret}\nfingerprint = \"{}\"\n",
        sim.handle.url,
        sim.handle.token_id,
        sim.handle.fingerprint.clone().unwrap()
    )
}

/// `rack get hosts` with `config` in `home`, and `env`.
fn get_hosts(home: &std::path::Path, config: &std::path::Path, env: &[(&str, &str)]) -> Output {
    let mut rack = common::rack(home);
    rack.arg("--config").arg(config).args(["get", "hosts"]);
    for (k, v) in env {
        rack.env(k, v);
    }
    rack.output().unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o777
}

/// `rack trust URL --expect FP` shows the certificate and pins it in the existing config,
/// keeping its comments; the cluster then reads. A wrong expectation writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rack_trust_pins_the_certificate_in_a_commented_config() {
    let sim = common::start("homelab", 0.0).await;
    let home = common::Scratch::new("trust");
    let config = home.join("rack.toml");
    let original = format!(
        "# The lab, reached from the jumpbox.\npoll_interval = \"2s\" # fast enough\n\n[[clusters]]\nname = \"lab\" # three nodes\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\n",
        sim.handle.url, sim.handle.token_id
    );
    std::fs::write(&config, &original).unwrap();
    let fp = sim.handle.fingerprint.clone().unwrap();
    let get = || {
        get_hosts(
            &home,
            &config,
            &[("RACK_TEST_SECRET", sim.handle.token_secret.as_str())],
        )
    };
    assert_eq!(get().status.code(), Some(1), "unpinned: refused");

    let wrong = "AA:".repeat(31) + "AA";
    let out = common::rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["trust", &sim.handle.url, "--expect", &wrong])
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("does not have the expected fingerprint"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);

    let out = common::rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["trust", &sim.handle.url, "--expect", &fp.to_lowercase()])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "  subject      /OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=pve-ms01-01\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  issuer       /CN=Proxmox Virtual Environment/OU="),
        "{stdout}"
    );
    assert!(
        stdout.contains("  names        127.0.0.1, ::1, localhost, 10.8.16.10, pve-ms01-01\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  SHA-256      {fp}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Pinned {fp} for cluster \"lab\" in {}",
            config.display()
        )),
        "{stdout}"
    );
    let now = std::fs::read_to_string(&config).unwrap();
    assert_eq!(now, format!("{original}fingerprint = \"{fp}\"\n"));
    assert_eq!(mode(&config), 0o600);
    let out = get();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
}

/// Without a config, `rack trust --name` writes a new one with the cluster, and says what is
/// left to fill in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rack_trust_adds_a_new_cluster() {
    let sim = common::start("laptop", 0.0).await;
    let home = common::Scratch::new("trust-new");
    let config = home.join("cfg/rack.toml");
    let fp = sim.handle.fingerprint.clone().unwrap();
    let out = common::rack(&home)
        .arg("--config")
        .arg(&config)
        .args(["trust", &sim.handle.url, "--name", "laptop", "--yes"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Added cluster \"laptop\""), "{stdout}");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains(&format!(
            "[[clusters]]\nname = \"laptop\"\nendpoints = [\"{}\"]\nfingerprint = \"{fp}\"\n",
            sim.handle.url
        )),
        "{written}"
    );
    assert_eq!(mode(&config), 0o600);
    assert_eq!(mode(&home.join("cfg")), 0o700);
}

/// A token file others can read is refused with the file, its mode and the fix, as ssh
/// refuses a private key; `allow_shared_secrets = true` accepts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_file_others_can_read_is_refused() {
    let sim = common::start("homelab", 0.0).await;
    let home = common::Scratch::new("shared-secret");
    let secret = home.join("lab.token");
    std::fs::write(&secret, &sim.handle.token_secret).unwrap();
    std::fs::set_permissions(&secret, PermissionsExt::from_mode(0o644)).unwrap();
    let config = home.join("rack.toml");
    let body = lab(
        &sim,
        &format!("token_secret_file = \"{}\"", secret.display()),
    );
    std::fs::write(&config, &body).unwrap();
    let get = || get_hosts(&home, &config, &[]);
    let out = get();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}:5: token_secret_file: {} holds a secret and is readable by others (mode 0644); run `chmod 600 {}` (or set allow_shared_secrets = true)",
            config.display(),
            secret.display(),
            secret.display()
        )
    );
    std::fs::write(&config, format!("allow_shared_secrets = true\n{body}")).unwrap();
    assert_eq!(get().status.code(), Some(0));
    std::fs::write(&config, &body).unwrap();
    std::fs::set_permissions(&secret, PermissionsExt::from_mode(0o600)).unwrap();
    assert_eq!(get().status.code(), Some(0));
}

/// A config file anyone may write is refused whatever it holds; one holding a secret must be
/// its owner's to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_others_can_write_or_read_with_a_secret_is_refused() {
    let sim = common::start("homelab", 0.0).await;
    let home = common::Scratch::new("shared-config");
    let config = home.join("rack.toml");
    let secret = format!("token_secret = \"{}\"", sim.handle.token_secret);
    std::fs::write(&config, lab(&sim, &secret)).unwrap();
    let get = || get_hosts(&home, &config, &[]);
    std::fs::set_permissions(&config, PermissionsExt::from_mode(0o666)).unwrap();
    let out = get();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}: {} is writable by others (mode 0666): they could change where rack connects, what it trusts and what it runs; run `chmod 600 {}`",
            config.display(),
            config.display(),
            config.display()
        )
    );
    std::fs::set_permissions(&config, PermissionsExt::from_mode(0o640)).unwrap();
    let (_, stderr) = text(&get());
    assert!(
        stderr.contains("holds a secret and is readable by its group (mode 0640)"),
        "{stderr}"
    );
    std::fs::set_permissions(&config, PermissionsExt::from_mode(0o600)).unwrap();
    assert_eq!(get().status.code(), Some(0));
}

/// Under umask 000 the journal, its directory and the log file are still their owner's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_rack_creates_are_private_under_umask_000() {
    let sim = common::start("homelab", 20.0).await;
    let home = common::Scratch::new("umask");
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        lab(&sim, "token_secret_env = \"RACK_TEST_SECRET\""),
    )
    .unwrap();
    let data = home.join("data/rack");
    let log = home.join("state/rack/rack.log");
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_rack"))
        .arg("--config")
        .arg(&config)
        .args(["snapshot", "101", "before-umask", "--wait"])
        .env("RACK_TEST_SECRET", &sim.handle.token_secret)
        .env("RACK_DATA_DIR", &data)
        .env("RACK_LOG_FILE", &log)
        .env("RACK_LOG", "info")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("journal.jsonl")), 0o600);
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
}

/// `rack audit` lists the writes with their outcome; `--verify` holds the chain, and fails
/// naming the first entry after a line was edited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rack_audit_lists_writes_and_verify_finds_an_edited_line() {
    let sim = common::start("homelab", 20.0).await;
    let home = common::Scratch::new("audit");
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        lab(&sim, "token_secret_env = \"RACK_TEST_SECRET\""),
    )
    .unwrap();
    let data = home.join("data");
    let run = |args: &[&str]| {
        common::rack(&home)
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("RACK_TEST_SECRET", &sim.handle.token_secret)
            .env("RACK_DATA_DIR", &data)
            .output()
            .unwrap()
    };
    let out = run(&["snapshot", "101", "audited", "--wait"]);
    assert!(out.status.success(), "{:?}", text(&out));
    // Started already: Proxmox refuses, and the refusal is recorded too.
    let out = run(&["start", "101", "--wait"]);
    assert!(!out.status.success());
    // Accepted, but its task fails: the task's end is the result.
    sim.control(
        "POST",
        "/tasks/fail-next",
        &[
            ("type", "qmsnapshot"),
            ("error", "snapshot feature is not available"),
        ],
    )
    .await;
    let out = run(&["snapshot", "102", "second", "--wait"]);
    assert!(!out.status.success());

    let out = run(&["audit", "-o", "json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0]["request"], "snapshot VM 101 as audited");
    assert_eq!(rows[0]["method"], "POST");
    assert_eq!(rows[0]["path"], "/nodes/pve-ms01-01/qemu/101/snapshot");
    assert_eq!(rows[0]["params"]["snapname"], "audited");
    assert_eq!(rows[0]["result"], "ok");
    assert_eq!(rows[0]["task"], "OK");
    assert_eq!(rows[2]["result"], "ok", "accepted: {rows:?}");
    assert_eq!(rows[2]["task"], "snapshot feature is not available");
    assert_eq!(rows[0]["identity"], sim.handle.token_id.as_str());
    assert_eq!(rows[0]["endpoint"], sim.handle.url.as_str());
    assert!(
        rows[0]["upid"]
            .as_str()
            .unwrap()
            .starts_with("UPID:pve-ms01-01:")
    );
    assert_eq!(rows[1]["request"], "start VM 101 on pve-ms01-01");
    assert!(
        rows[1]["result"].as_str().unwrap().starts_with("failed: "),
        "{rows:?}"
    );

    let (table, _) = text(&run(&["audit", "--cluster", "lab", "--since", "1h"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("TIME (UTC)"), "{table}");
    assert!(
        lines[0].contains("CLUSTER") && lines[0].ends_with("RESULT"),
        "{table}"
    );
    assert!(
        lines[1].contains("snapshot VM 101 as audited") && lines[1].ends_with("ok"),
        "{table}"
    );
    assert!(
        lines[3].ends_with("task failed: snapshot feature is not available"),
        "{table}"
    );
    assert_eq!(lines.len(), 4, "{table}");
    let (none, _) = text(&run(&["audit", "--cluster", "other"]));
    assert_eq!(none.lines().count(), 1, "{none}");

    let out = run(&["audit", "--verify"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with(": 8 entries (3 writes), the chain holds\n"),
        "{stdout}"
    );
    let log = data.join("audit.jsonl");
    assert_eq!(mode(&log), 0o600);
    let edited = std::fs::read_to_string(&log).unwrap().replacen(
        "\"snapname\":\"audited\"",
        "\"snapname\":\"harmless\"",
        1,
    );
    std::fs::write(&log, edited).unwrap();
    let out = run(&["audit", "--verify"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.ends_with(": broken at line 2 (entry 2): its link to line 1 does not match: line 1 was edited, or lines between them were removed\n"),
        "{stdout}"
    );
}

/// A script logs in as a user with a second factor through `otp_command`; without one it is
/// told how to give it; `otp_command` beside an API token is a config error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_gives_the_second_factor_with_otp_command() {
    let sim = common::start("homelab", 0.0).await;
    let home = common::Scratch::new("otp");
    let config = home.join("rack.toml");
    let write = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\nuser = \"{}\"\npassword_env = \"RACK_TEST_PASSWORD\"\nfingerprint = \"{}\"\n{extra}",
                sim.handle.url,
                sim.handle.tfa_user,
                sim.handle.fingerprint.clone().unwrap()
            ),
        )
        .unwrap();
    };
    let get = || {
        get_hosts(
            &home,
            &config,
            &[
                ("RACK_TEST_PASSWORD", sim.handle.password.as_str()),
                ("RACK_TEST_OTP", sim.handle.totp_now().as_ref()),
            ],
        )
    };
    write("");
    let out = get();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("user \"ops@pve\" needs a second factor (TFA): set otp_command"),
        "{stderr}"
    );
    write("otp_command = \"printf '%s' \\\"$RACK_TEST_OTP\\\"\"\n");
    let out = get();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("pve-ms01-01"), "{stdout}");
    // The same code twice is refused, as Proxmox refuses a TOTP code used once.
    let out = get();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a wrong code, or one already used"),
        "{stderr}"
    );

    std::fs::write(
        &config,
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"https://h\"]\ntoken_id = \"root@pam!x\"\ntoken_secret_env = \"X\"\notp_command = \"true\"\n",
    )
    .unwrap();
    let (_, stderr) = text(&get());
    assert!(
        stderr.contains(":6: otp_command: is for a user login"),
        "{stderr}"
    );
}
