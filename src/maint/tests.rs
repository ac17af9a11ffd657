//! The plan on made-up clusters: where guests go as capacity fills, what HA rules and devices
//! allow, and what stays.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{How, Inputs, Settings, plan};
use super::updates::Updates;
use crate::maint::Verdict;
use crate::model::HostStatus;
use crate::model::ceph::CephStatus;
use crate::model::ceph_view::{CephData, Osd, Pool};
use crate::model::ha::Votes;
use crate::model::rows::{GuestKind, HostRow, InstanceRow, Usage};
use crate::model::text::size_bytes;
use crate::pve::types::{AptPackage, GuestConfig};
use crate::sched::{HaRuleAsk, Host, HostStorage};

const GIB: u64 = 1 << 30;

fn host_row(node: &str) -> HostRow {
    HostRow {
        cluster: "lab".into(),
        node: node.into(),
        status: HostStatus::Online,
        usage: Usage::default(),
        load: None,
        uptime: None,
        guests_running: 0,
        guests_total: 0,
        ha_lrm: None,
        pve_version: None,
        cert_expires: None,
        cert_days_left: None,
        stale: Vec::new(),
        cluster_stale: false,
    }
}

fn capacity(node: &str, memory_used: u64) -> Host {
    Host {
        name: node.into(),
        online: true,
        maintenance: false,
        threads: 16,
        vcpus: 0,
        cpu_load: 0.1,
        memory_total: 64 * GIB,
        memory_used,
        storages: vec![HostStorage {
            name: "ceph-vm".into(),
            content: ["images", "rootdir"]
                .into_iter()
                .map(String::from)
                .collect(),
            shared: true,
            active: true,
            total: 1000 * GIB,
            used: 100 * GIB,
        }],
        networks: ["vmbr0".to_string()].into_iter().collect(),
        devices: Vec::new(),
        tags: BTreeMap::new(),
    }
}

pub(super) fn guest(vmid: u32, memory_gib: u64, status: &str) -> InstanceRow {
    InstanceRow {
        cluster: "lab".into(),
        vmid,
        name: format!("g{vmid}"),
        kind: GuestKind::Qemu,
        status: status.into(),
        node: "pve1".into(),
        usage: Usage {
            maxmem: Some(memory_gib * GIB),
            maxcpu: Some(2.0),
            ..Usage::default()
        },
        uptime: None,
        tags: Vec::new(),
        hastate: None,
        lock: None,
        template: false,
        pool: None,
        ips: Vec::new(),
        ips_missing: None,
        ips_brief: None,
        cluster_stale: false,
    }
}

fn config(entries: &[(&str, &str)]) -> GuestConfig {
    GuestConfig(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// pve1 to drain, pve2 and pve3 to take its guests.
pub(super) fn cluster(guests: Vec<InstanceRow>) -> Inputs {
    let disk = config(&[
        ("scsi0", "ceph-vm:vm-1-disk-0,size=32G"),
        ("net0", "virtio,bridge=vmbr0"),
    ]);
    Inputs {
        node: "pve1".into(),
        hosts: ["pve1", "pve2", "pve3"].into_iter().map(host_row).collect(),
        votes: Some(Votes {
            present: 3,
            expected: 3,
        }),
        node_votes: 1,
        capacity: vec![
            capacity("pve1", 40 * GIB),
            capacity("pve2", 20 * GIB),
            capacity("pve3", 24 * GIB),
        ],
        configs: guests.iter().map(|g| (g.vmid, disk.clone())).collect(),
        instances: guests,
        shared: BTreeSet::from(["ceph-vm".to_string()]),
        ..Inputs::default()
    }
}

#[test]
fn guests_spread_as_each_one_placed_takes_its_room() {
    let inputs = cluster(vec![guest(101, 16, "running"), guest(102, 16, "running")]);
    let p = plan(&inputs, &Settings::default());
    let targets: Vec<_> = p.moves.iter().map(|m| m.target.clone()).collect();
    // pve2 has more room for the first; with it taken, pve3 for the second.
    assert_eq!(
        targets,
        [Some("pve2".to_string()), Some("pve3".to_string())],
        "{p:#?}"
    );
    assert!(p.moves.iter().all(|m| m.how == How::Live));
    // 16 GiB of memory each at 100 MiB/s: about 164 s.
    assert_eq!(p.moves[0].estimate, Some(164));
    assert!(p.ready());
}

#[test]
fn a_strict_rule_whose_nodes_are_gone_blocks_and_a_preferred_node_wins() {
    let mut inputs = cluster(vec![guest(101, 4, "running"), guest(102, 4, "running")]);
    for g in &mut inputs.instances {
        g.hastate = Some("started".into());
    }
    inputs.ha_rules.insert(
        101,
        HaRuleAsk {
            rule: "only-pve1".into(),
            nodes: BTreeMap::from([("pve1".to_string(), 1)]),
            strict: true,
            ..HaRuleAsk::default()
        },
    );
    // pve3 is fuller, but the rule prefers it over pve2.
    inputs.ha_rules.insert(
        102,
        HaRuleAsk {
            rule: "prefers-pve3".into(),
            nodes: BTreeMap::from([
                ("pve1".to_string(), 3),
                ("pve3".to_string(), 2),
                ("pve2".to_string(), 1),
            ]),
            ..HaRuleAsk::default()
        },
    );
    let p = plan(&inputs, &Settings::default());
    let m101 = p.moves.iter().find(|m| m.vmid == 101).unwrap();
    assert_eq!(m101.how, How::Blocked);
    assert!(m101.reasons[0].contains("'only-pve1' (strict)"), "{m101:?}");
    let m102 = p.moves.iter().find(|m| m.vmid == 102).unwrap();
    assert_eq!(
        (m102.how.clone(), m102.target.as_deref()),
        (How::Ha, Some("pve3"))
    );
    assert!(!p.ready());
}

#[test]
fn templates_stay_local_devices_block_and_local_disks_are_counted() {
    let mut template = guest(9000, 2, "stopped");
    template.template = true;
    let mut inputs = cluster(vec![
        template,
        guest(110, 8, "running"),
        guest(120, 4, "stopped"),
    ]);
    inputs.configs.insert(
        110,
        config(&[
            ("hostpci0", "0000:01:00,pcie=1"),
            ("scsi0", "ceph-vm:x,size=8G"),
        ]),
    );
    inputs.configs.insert(
        120,
        config(&[("scsi0", "local-zfs:vm-120-disk-0,size=50G")]),
    );
    for h in &mut inputs.capacity {
        h.storages.push(HostStorage {
            name: "local-zfs".into(),
            content: ["images".to_string()].into_iter().collect(),
            shared: false,
            active: true,
            total: 400 * GIB,
            used: 0,
        });
    }
    let p = plan(&inputs, &Settings::default());
    let of = |vmid| p.moves.iter().find(|m| m.vmid == vmid).unwrap();
    assert_eq!(of(9000).how, How::Stays);
    assert_eq!(of(110).how, How::Blocked);
    assert!(
        of(110).reasons[0].contains("hostpci0: 0000:01:00"),
        "{:?}",
        of(110)
    );
    // A stopped guest moves offline; its 50 GiB local disk is copied: 512 s at 100 MiB/s.
    assert_eq!(of(120).how, How::Offline);
    assert_eq!(of(120).estimate, Some(512));
    assert!(
        of(120)
            .reasons
            .iter()
            .any(|r| r.contains("local disk 50.0 GiB on local-zfs"))
    );
}

#[test]
fn a_migration_log_tells_its_rate() {
    use super::plan::logged_rate;
    let line = "2026-11-21 12:00:44 average migration speed: 1.1 GiB/s - downtime 42 ms";
    assert_eq!(logged_rate(line), Some(1.1 * GIB as f64));
    assert_eq!(
        logged_rate("average migration speed: 640.0 MiB/s - downtime 9 ms"),
        Some(640.0 * 1024.0 * 1024.0)
    );
    assert_eq!(logged_rate("migration status: completed"), None);
}

#[test]
fn sizes_read_as_proxmox_writes_them() {
    assert_eq!(size_bytes("32G"), Some((32u64 << 30) as f64));
    assert_eq!(size_bytes("512M"), Some((512u64 << 20) as f64));
    assert_eq!(size_bytes("1T"), Some((1u64 << 40) as f64));
    assert_eq!(size_bytes("4"), Some(4.0));
    assert_eq!(size_bytes("1.1 GiB"), Some(1.1 * GIB as f64));
    assert_eq!(size_bytes("x"), None);
}

fn apt(package: &str, old: Option<&str>, version: &str) -> AptPackage {
    AptPackage {
        package: Some(package.into()),
        old_version: old.map(str::to_string),
        version: Some(version.into()),
        ..AptPackage::default()
    }
}

#[test]
fn a_newer_installed_kernel_than_the_running_one_makes_a_reboot_due() {
    let versions = [
        apt("proxmox-ve", Some("9.1.0"), "9.1.0"),
        apt("proxmox-kernel-6.17", Some("6.17.10-1"), "6.17.10-1"),
        apt(
            "proxmox-kernel-6.17.9-2-pve-signed",
            Some("6.17.9-2"),
            "6.17.9-2",
        ),
        apt(
            "proxmox-kernel-6.17.10-1-pve-signed",
            Some("6.17.10-1"),
            "6.17.10-1",
        ),
        apt("proxmox-kernel-helper", Some("9.0.4"), "9.0.4"),
    ];
    let u = Updates::read(Ok(vec![]), &versions, Some("6.17.9-2-pve".into()), Some(60));
    // By version, not by text: 6.17.10 is newer than 6.17.9.
    assert_eq!(u.newest_kernel.as_deref(), Some("6.17.10-1-pve"));
    assert!(u.reboot_due);
    assert_eq!(u.next_kernel.as_deref(), Some("6.17.10-1-pve"));
    let up_to_date = Updates::read(Ok(vec![]), &versions, Some("6.17.10-1-pve".into()), None);
    assert!(!up_to_date.reboot_due);
    assert_eq!(up_to_date.next_kernel, None);
    // No refresh on record is said, and asks for one.
    let lines: Vec<String> = up_to_date.lines().into_iter().map(|(_, l)| l).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("no refresh of the package lists is on record"))
    );
}

#[test]
fn a_kernel_the_upgrade_brings_is_the_one_booted_next() {
    let versions = [apt(
        "proxmox-kernel-6.17.2-1-pve-signed",
        Some("6.17.2-1"),
        "6.17.2-1",
    )];
    let upgrades = vec![
        apt("pve-manager", Some("9.1.2"), "9.1.4"),
        apt("proxmox-kernel-6.17.4-1-pve-signed", None, "6.17.4-1"),
    ];
    let u = Updates::read(
        Ok(upgrades),
        &versions,
        Some("6.17.2-1-pve".into()),
        Some(3600),
    );
    assert!(!u.reboot_due);
    assert_eq!(u.next_kernel.as_deref(), Some("6.17.4-1-pve"));
    let lines: Vec<String> = u.lines().into_iter().map(|(_, l)| l).collect();
    assert!(lines.contains(&"    proxmox-kernel-6.17.4-1-pve-signed new → 6.17.4-1".to_string()));
    assert!(
        lines.contains(&"2 packages upgradable (package lists refreshed 1h 00m ago)".to_string())
    );
}

#[test]
fn an_upgrade_list_that_cannot_be_read_says_why() {
    let u = Updates::read(
        Err("Permission check failed (listing upgrades needs Sys.Modify)".into()),
        &[],
        Some("6.17.2-1-pve".into()),
        Some(60),
    );
    let p = plan(
        &Inputs {
            updates: Some(u),
            ..cluster(vec![])
        },
        &Settings::default(),
    );
    let text = crate::maint::report::text(&p);
    assert!(
        text.contains(
            "! upgrades not read: Permission check failed (listing upgrades needs Sys.Modify)"
        ),
        "{text}"
    );
    let upgrade = p
        .steps
        .iter()
        .find(|s| s.what.starts_with("upgrade"))
        .unwrap();
    assert_eq!(upgrade.what, "upgrade the node (pveupgrade)");
    assert_eq!(upgrade.skipped, None);
}

#[test]
fn settings_keep_stopped_guests_and_let_a_pool_below_min_size_warn() {
    let inputs = cluster(vec![guest(101, 4, "stopped")]);
    let keep = Settings {
        move_stopped: false,
        ..Settings::default()
    };
    let p = plan(&inputs, &keep);
    assert_eq!(p.moves[0].how, How::Stays);
    assert!(p.moves[0].reasons[0].starts_with("stopped: it stays"));
    let p = plan(&inputs, &Settings::default());
    assert_eq!(p.moves[0].how, How::Offline);
}

/// Two hosts with OSDs, pools of size 2 and min_size 2: without pve1's OSDs one replica is left.
fn two_osd_hosts() -> Inputs {
    let osd = |id: i64, host: &str| Osd {
        id,
        name: format!("osd.{id}"),
        host: host.into(),
        up: true,
        r#in: true,
        ..Osd::default()
    };
    Inputs {
        ceph: Some(CephData {
            status: Some(CephStatus {
                health: "HEALTH_OK".into(),
                ..CephStatus::default()
            }),
            osds: vec![osd(0, "pve1"), osd(1, "pve2")],
            pools: vec![Pool {
                name: "vm-disks".into(),
                size: Some(2),
                min_size: Some(2),
                ..Pool::default()
            }],
            ..CephData::default()
        }),
        ..cluster(vec![])
    }
}

#[test]
fn a_pool_left_below_min_size_refuses_unless_the_settings_say_warn() {
    let inputs = two_osd_hosts();
    let pools = |p: &crate::maint::Plan| {
        p.checks
            .iter()
            .find(|c| c.what == "ceph pools")
            .cloned()
            .unwrap()
    };
    let refused = plan(&inputs, &Settings::default());
    assert_eq!(pools(&refused).verdict, Verdict::Fail);
    assert!(
        pools(&refused)
            .reason
            .contains("vm-disks (1 of min_size 2)")
    );
    assert!(!refused.ready());
    let warned = plan(
        &inputs,
        &Settings {
            refuse_below_min_size: false,
            ..Settings::default()
        },
    );
    assert_eq!(pools(&warned).verdict, Verdict::Warn);
    assert!(
        pools(&warned)
            .reason
            .ends_with("(settings: below_min_size = \"warn\")")
    );
    assert!(warned.ready());
}
