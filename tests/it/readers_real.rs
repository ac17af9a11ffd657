//! rack's readers of the shapes the simulator was brought in line with (Ceph status, monitors
//! and managers, the OSD tree, SDN subnets, backups' volume ids), fed the recorded real answers
//! of `fixtures/real` and the simulator's own: both must read to the same kind of thing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use rack::model::backups::archive_kind;
use rack::model::ceph_view::{parse_mgrs, parse_mons, parse_osd_tree};
use rack::model::networks::parse_subnets;
use rack::model::{GuestKind, ceph};
use rack::pve::types::StorageVolume;
use serde_json::Value;

use crate::common;

fn recorded(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/real")
        .join(format!("{name}.json"));
    let entry: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    entry["answer"].clone()
}

#[test]
fn a_recorded_ceph_status_reads_with_its_monitors_and_checks() {
    let s = ceph::parse(&recorded("cluster_ceph_status__go-proxmox")).unwrap();
    assert_eq!(s.health, "HEALTH_WARN");
    let checks: Vec<&str> = s.checks.iter().map(|c| c.name.as_str()).collect();
    assert!(checks.contains(&"OSD_NEARFULL"), "{checks:?}");
    assert_eq!(s.monitors.len(), 3, "{:?}", s.monitors);
    assert_eq!(s.monitors_in_quorum.len(), 3);
    assert_eq!(s.osds.total, 21);
}

#[test]
fn recorded_monitors_managers_and_osds_read() {
    let mons = parse_mons(&recorded("ceph_mon__community-proxmox")).unwrap();
    assert_eq!(mons.len(), 2);
    assert_eq!(mons[0].host, "srv-proxmox-01");
    assert!(mons.iter().all(|m| m.healthy), "{mons:?}");
    let mgrs = parse_mgrs(&recorded("ceph_mgr__community-proxmox")).unwrap();
    let states: Vec<&str> = mgrs.iter().map(|m| m.state.as_str()).collect();
    assert!(
        states.contains(&"active") && states.contains(&"standby"),
        "{states:?}"
    );
    // String ids, as pve-manager sends them.
    let osds = parse_osd_tree(&recorded("ceph_osd_tree")).unwrap();
    assert!(!osds.is_empty());
    assert!(
        osds.iter().all(|o| o.name == format!("osd.{}", o.id)),
        "{osds:?}"
    );
}

#[test]
fn recorded_subnets_read_with_their_dhcp_ranges() {
    let subnets = parse_subnets("test2", &recorded("sdn_subnets__community-proxmox")).unwrap();
    assert_eq!(subnets[0].cidr, "10.10.0.0/24");
    assert_eq!(subnets[0].dhcp, ["10.10.0.5-10.10.0.50"]);
}

#[test]
fn recorded_pbs_backups_are_known_by_their_volume_ids() {
    let list: Vec<StorageVolume> =
        serde_json::from_value(recorded("storage_content_pbs__community-proxmox")).unwrap();
    assert!(list.iter().all(|v| v.vmid == Some(931)));
    assert!(
        list.iter()
            .all(|v| archive_kind(v) == Some(GuestKind::Qemu))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_s_answers_read_the_same_way() {
    let sim = common::start("homelab", 1.0).await;
    let s = ceph::parse(sim.get("/cluster/ceph/status").await.data()).unwrap();
    assert_eq!(s.monitors.len(), 3);
    let node = "/nodes/pve-ms01-01/ceph";
    let mons = parse_mons(sim.get(&format!("{node}/mon")).await.data()).unwrap();
    assert!(
        mons.iter().all(|m| m.healthy && !m.host.is_empty()),
        "{mons:?}"
    );
    let mgrs = parse_mgrs(sim.get(&format!("{node}/mgr")).await.data()).unwrap();
    assert!(mgrs.iter().any(|m| m.state == "active"), "{mgrs:?}");
    let osds = parse_osd_tree(sim.get(&format!("{node}/osd")).await.data()).unwrap();
    assert!(
        osds.iter().all(|o| o.name == format!("osd.{}", o.id)),
        "{osds:?}"
    );
    let subnets = sim.get("/cluster/sdn/vnets/vlan28/subnets").await;
    let subnets = parse_subnets("vlan28", subnets.data()).unwrap();
    assert_eq!(subnets[0].dhcp, ["10.8.30.100-10.8.30.250"]);
    let pbs = sim
        .get("/nodes/pve-ms01-01/storage/offsite-pbs/content")
        .await;
    let list: Vec<StorageVolume> = serde_json::from_value(pbs.data().clone()).unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|v| archive_kind(v).is_some()), "{list:?}");
}
