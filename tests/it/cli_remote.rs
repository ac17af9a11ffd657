//! `rack migrate VMID --to CLUSTER/NODE` between two simulated clusters: the guest goes under
//! the target's next free VMID when its own is taken there, its task is followed on the
//! source, the source is deleted unless `--keep-source`, and the target's token never reaches
//! the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::process::{Command, Output};

use serde_json::Value;

use crate::common;

struct Two {
    dir: common::Scratch,
    config: std::path::PathBuf,
    lab: common::Sim,
    office: common::Sim,
}

async fn two() -> Two {
    let lab = common::start("homelab", 50.0).await;
    let office = common::start("homelab", 50.0).await;
    let dir = common::Scratch::new("remote-migrate");
    let config = dir.join("rack.toml");
    let mut text = String::new();
    for (name, sim, var) in [
        ("lab", &lab, "RACK_TEST_LAB"),
        ("office", &office, "RACK_TEST_OFFICE"),
    ] {
        text.push_str(&format!(
            "[[clusters]]\nname = \"{name}\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret_env = \"{var}\"\nfingerprint = \"{}\"\n",
            sim.handle.url,
            sim.handle.token_id,
            sim.handle.fingerprint.clone().unwrap()
        ));
    }
    std::fs::write(&config, text).unwrap();
    Two {
        dir,
        config,
        lab,
        office,
    }
}

impl Two {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rack"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("RACK_TEST_LAB", &self.lab.handle.token_secret)
            .env("RACK_TEST_OFFICE", &self.office.handle.token_secret)
            .env("RACK_DATA_DIR", self.dir.join("data"))
            .output()
            .unwrap()
    }
}

/// Run `args`; it must fail, saying `words`.
fn refused(t: &Two, args: &[&str], words: &str) {
    let out = t.run(args);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(words), "{}", text(&out));
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_moves_to_the_other_cluster_under_a_free_vmid() {
    let t = two().await;
    // 9000 is on both clusters: without --cluster the guest is looked for everywhere but the
    // target, so on lab.
    // Deleting the source is confirmed by --yes (or avoided by --keep-source).
    refused(
        &t,
        &["migrate", "9000", "--to", "office/pve-ms01-01"],
        "deletes the source once the guest runs there: add --yes to confirm, or --keep-source",
    );
    let out = t.run(&[
        "migrate",
        "9000",
        "--to",
        "office/pve-ms01-01",
        "--yes",
        "--wait",
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // office's next free VMID: its own 9000 is taken.
    let line = "migrate VM 9000 (ubuntu-2404-cloudinit) to office/pve-ms01-01 as VM 100 (disks vm-disks, net vmbr0)";
    assert!(
        said.contains(&format!("{line}: started UPID:pve-ms01-01:")),
        "{said}"
    );
    assert!(said.contains(":qmigrate:9000:"), "{said}");
    assert!(said.contains(": ok after "), "{said}");
    let arrived = t.office.resource("qemu/100").await;
    assert_eq!(arrived["name"], "ubuntu-2404-cloudinit", "{arrived}");
    assert_eq!(arrived["template"], 1, "{arrived}");
    // Deleted on the source: no --keep-source.
    assert_eq!(t.lab.resource("qemu/9000").await, Value::Null);
    // The audit log has the request, the token's secret masked.
    let audit = std::fs::read_to_string(t.dir.join("data/audit.jsonl")).unwrap();
    assert!(audit.contains("remote_migrate"), "{audit}");
    assert!(
        !audit.contains(&t.office.handle.token_secret),
        "the target's secret is in the audit log"
    );
    assert!(
        audit.contains("apitoken=PVEAPIToken=root@pam!rack=***"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_source_keeps_it_and_what_proxmox_refuses_is_refused_first() {
    let t = two().await;
    let out = t.run(&[
        "migrate",
        "9000",
        "--to",
        "office/pve-ms01-01",
        "--target-vmid",
        "7000",
        "--keep-source",
        "--wait",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let kept = t.lab.resource("qemu/9000").await;
    assert_eq!(kept["lock"], "migrate", "{kept}");
    assert_eq!(
        t.office.resource("qemu/7000").await["name"],
        "ubuntu-2404-cloudinit"
    );

    // A taken VMID, an HA guest, an unknown cluster: refused before anything is sent.
    refused(
        &t,
        &[
            "migrate",
            "203",
            "--to",
            "office/pve-ms01-01",
            "--cluster",
            "lab",
        ],
        "cannot remote-migrate CT that is configured for HA",
    );
    refused(
        &t,
        &[
            "migrate",
            "110",
            "--to",
            "office/pve-ms01-01",
            "--cluster",
            "lab",
            "--target-vmid",
            "7000",
        ],
        "Guest with ID '7000' already exists on remote cluster",
    );
    refused(
        &t,
        &["migrate", "110", "--to", "attic/pve1"],
        "no cluster named \"attic\"",
    );
    refused(
        &t,
        &[
            "migrate",
            "101",
            "--to",
            "office/nosuch",
            "--cluster",
            "lab",
        ],
        "the target has no node 'nosuch'; its nodes are pve-ms01-01, pve-ms01-02, pve-aimax-01",
    );
    // Devices of the source's hosts do not travel: not to another cluster's mappings.
    refused(
        &t,
        &[
            "migrate",
            "111",
            "--to",
            "office/pve-ms01-01",
            "--cluster",
            "lab",
        ],
        "can't migrate VM which uses devices of its host to another cluster: usb0: mapping=coral",
    );
}
