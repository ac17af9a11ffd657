use super::*;
use serde_json::Value;
use serde_json::json;

fn node(name: &str, ifaces: Value) -> NodeNet {
    NodeNet {
        node: name.into(),
        ifaces: parse_ifaces(&ifaces),
    }
}

fn attach(vmid: u32, node: &str, bridge: &str) -> Attachment {
    Attachment {
        vmid,
        name: format!("g{vmid}"),
        node: node.into(),
        key: "net0".into(),
        bridge: bridge.into(),
        vlan: None,
    }
}

#[test]
fn a_bridge_missing_on_a_node_and_an_mtu_mismatch_are_flagged() {
    let full = json!([
        { "iface": "vmbr0", "type": "bridge", "active": 1, "bridge_ports": "bond0", "mtu": 9000 },
        { "iface": "vmbr1", "type": "bridge", "active": 1 },
        { "iface": "vmbr0.48", "type": "vlan", "active": 1, "vlan-id": 48, "mtu": 9000, "cidr": "10.8.48.11/24" }
    ]);
    let lacking = json!([
        { "iface": "vmbr0", "type": "bridge", "active": 1, "mtu": "9000" },
        { "iface": "vmbr0.48", "type": "vlan", "active": 1, "vlan-id": "48", "cidr": "10.8.48.12/24" }
    ]);
    let data = NetworkData {
        nodes: vec![node("pve1", full), node("pve2", lacking)],
        attachments: Some(vec![
            attach(100, "pve1", "vmbr1"),
            attach(101, "pve2", "vmbr7"),
        ]),
        ..NetworkData::default()
    };
    let rows = lines("lab", &data);
    let by = |n: &str| rows.iter().find(|l| l.name == n).unwrap();
    assert_eq!(
        by("vmbr1").problems,
        ["missing on pve2; its 1 guest NIC(s) cannot migrate there"]
    );
    assert_eq!(
        by("vmbr0.48").problems,
        ["MTU differs: 1500 on pve2; 9000 on pve1"]
    );
    assert_eq!(by("vmbr0.48").mtu_text(), "1500/9000");
    assert!(by("vmbr0").problems.is_empty());
    assert!(by("vmbr7").problems[0].contains("no node has it"));
    assert!(!rows[0].problems.is_empty(), "problems first");
    assert!(rows.last().unwrap().problems.is_empty());
}

#[test]
fn vnets_carry_their_subnets_and_zone_reach() {
    let zones = parse_zones(
        &json!([{ "zone": "lab", "type": "vlan", "bridge": "vmbr0", "nodes": "pve1" }]),
    )
    .unwrap();
    let vnets =
        parse_vnets(&json!([{ "vnet": "iot", "zone": "lab", "tag": 28, "alias": "IoT" }])).unwrap();
    let subnets = parse_subnets(
        "iot",
        &json!([{ "cidr": "10.8.28.0/24", "gateway": "10.8.28.1",
                  "dhcp-range": [{ "start-address": "10.8.28.100", "end-address": "10.8.28.200" }] }]),
    )
    .unwrap();
    let data = NetworkData {
        nodes: vec![
            node(
                "pve1",
                json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]),
            ),
            node(
                "pve2",
                json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]),
            ),
        ],
        zones,
        vnets,
        subnets,
        attachments: Some(vec![attach(100, "pve2", "iot")]),
        ..NetworkData::default()
    };
    let rows = lines("lab", &data);
    let iot = rows.iter().find(|l| l.name == "iot").unwrap();
    assert_eq!(
        iot.info,
        "zone lab · tag 28 · IoT · 10.8.28.0/24 gw 10.8.28.1 dhcp 10.8.28.100-10.8.28.200"
    );
    assert_eq!(iot.guests, 1);
    assert_eq!(
        iot.problems,
        ["guests on nodes its zone does not reach: 100 g100 on pve2"]
    );
}

#[test]
fn nothing_is_concluded_from_a_read_that_failed() {
    let bridge = json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]);
    let mut partial = Partial::default();
    partial.failed("SDN zones", "HTTP 500");
    partial.failed(ifaces_part("pve3"), "HTTP 500");
    partial.failed(config_part(111), "timeout");
    let data = NetworkData {
        nodes: vec![
            node("pve1", bridge.clone()),
            node("pve2", bridge.clone()),
            NodeNet {
                node: "pve3".into(),
                ifaces: Err("HTTP 500".into()),
            },
        ],
        vnets: parse_vnets(&json!([{ "vnet": "iot", "zone": "lab", "tag": 28 }])).unwrap(),
        attachments: Some(vec![
            attach(100, "pve1", "vmbr0"),
            Attachment {
                key: "net1".into(),
                ..attach(100, "pve1", "vmbr0")
            },
            attach(101, "pve3", "vmbr9"),
        ]),
        partial,
        ..NetworkData::default()
    };
    let rows = lines("lab", &data);
    let by = |n: &str| rows.iter().find(|l| l.name == n).unwrap();
    // The zone list failed: the vnet's zone is unknown, not missing.
    assert!(by("iot").problems.is_empty(), "{:?}", by("iot").problems);
    assert!(by("iot").stale.contains(&"SDN zones".to_string()));
    // pve3 did not answer: vmbr0 is on 2 of 3 nodes as far as known, missing on none.
    let vmbr0 = by("vmbr0");
    assert!(vmbr0.problems.is_empty());
    assert_eq!(nodes_text(vmbr0), "2/3?");
    // One guest with two NICs is one guest; VM 111's config is unknown, so it is a lower bound.
    assert_eq!(guests_text(vmbr0), "≥1");
    // vmbr9 may be on pve3: not concluded missing everywhere.
    assert!(by("vmbr9").problems.is_empty());
}

#[test]
fn a_failed_part_keeps_its_last_good_read() {
    let t0 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_773_136_800);
    let good = NetworkData {
        nodes: vec![node(
            "pve1",
            json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]),
        )],
        zones: parse_zones(&json!([{ "zone": "lab", "type": "simple" }])).unwrap(),
        attachments: Some(vec![attach(100, "pve1", "vmbr0")]),
        ..NetworkData::default()
    };
    let mut partial = Partial::default();
    partial.failed(ifaces_part("pve1"), "HTTP 500");
    partial.failed("SDN zones", "HTTP 500");
    partial.failed(config_part(100), "HTTP 500");
    let mut bad = NetworkData {
        nodes: vec![NodeNet {
            node: "pve1".into(),
            ifaces: Err("HTTP 500".into()),
        }],
        attachments: Some(Vec::new()),
        partial,
        ..NetworkData::default()
    };
    bad.keep_last_good(&good, t0);
    assert_eq!(bad.nodes, good.nodes);
    assert_eq!(bad.zones, good.zones);
    assert_eq!(bad.attachments, good.attachments);
    assert_eq!(bad.partial.get("SDN zones").unwrap().read_at, Some(t0));
    let rows = lines("lab", &bad);
    assert_eq!(rows.iter().find(|l| l.name == "vmbr0").unwrap().guests, 1);
}

#[test]
fn open_vswitch_bridges_ports_and_tagged_ports_read_as_bridges_nics_and_vlans() {
    // As pve-common's Network::Interfaces describes an OVS setup: strings for tags and MTUs.
    let ovs = json!([
        { "iface": "vmbr1", "type": "OVSBridge", "ovs_type": "OVSBridge",
          "ovs_ports": "bond1 lab0", "active": 1, "mtu": "9000" },
        { "iface": "bond1", "type": "OVSBond", "ovs_type": "OVSBond", "ovs_bridge": "vmbr1",
          "ovs_bonds": "eno1 eno2", "bond_mode": "balance-slb", "active": 1 },
        { "iface": "eno1", "type": "OVSPort", "ovs_type": "OVSPort", "ovs_bridge": "vmbr1",
          "exists": 1, "active": 1 },
        { "iface": "lab0", "type": "OVSIntPort", "ovs_type": "OVSIntPort", "ovs_bridge": "vmbr1",
          "ovs_tag": "60", "cidr": "10.8.60.11/24", "active": 1 }
    ]);
    let ifaces = parse_ifaces(&ovs).unwrap();
    let by = |n: &str| ifaces.iter().find(|i| i.iface == n).unwrap();
    assert_eq!(by("vmbr1").ports.as_deref(), Some("bond1 lab0"));
    assert_eq!(by("vmbr1").mtu, Some(9000));
    assert_eq!(by("bond1").ports.as_deref(), Some("eno1 eno2"));
    assert_eq!(by("lab0").vlan_id, Some(60));
    let data = NetworkData {
        nodes: vec![node("pve1", ovs)],
        attachments: Some(vec![attach(100, "pve1", "vmbr1")]),
        ..NetworkData::default()
    };
    let rows = lines("lab", &data);
    let kind = |n: &str| rows.iter().find(|l| l.name == n).unwrap().kind.clone();
    assert_eq!(kind("vmbr1"), "bridge");
    assert_eq!(kind("bond1"), "bond");
    assert_eq!(kind("eno1"), "nic");
    assert_eq!(kind("lab0"), "vlan");
    assert!(rows.iter().all(|l| l.problems.is_empty()), "{rows:?}");
}
