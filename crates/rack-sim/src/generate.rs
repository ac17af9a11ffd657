//! Large clusters generated from a seed, for benchmarks: `--scale NODES:GUESTS`.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};

use super::scenario::{
    ClusterDef, GuestDef, GuestKind, HaDef, InterfaceDef, MappingDef, MappingsDef, NodeDef, PciDef,
    Scenario, Size, StorageDef,
};

/// One node in this many has GPUs (the first, the ninth …), two each.
const GPU_EVERY: usize = 8;
const GPU_PATHS: [&str; 2] = ["0000:41:00.0", "0000:c1:00.0"];

fn gpu(path: &str) -> PciDef {
    PciDef {
        id: path.into(),
        class: "0x030200".into(),
        vendor: "0x10de".into(),
        device: "0x26b9".into(),
        vendor_name: Some("NVIDIA Corporation".into()),
        device_name: Some("AD102GL [L40S]".into()),
        subsystem_vendor: Some("0x10de".into()),
        subsystem_device: Some("0x1851".into()),
        iommugroup: if path.starts_with("0000:41") { 40 } else { 90 },
        mdev: false,
    }
}

/// How busy each node is meant to be, a share of its threads, in turn: as in a real cluster
/// most nodes are moderately loaded, a few are busy and a few nearly idle.
const NODE_LOAD: [f64; 10] = [0.35, 0.22, 0.48, 0.06, 0.30, 0.82, 0.41, 0.15, 0.55, 0.27];

/// From this many nodes on, one is in HA maintenance (its guests moved off) and the last one
/// is offline, as a real cluster of that size usually has somewhere.
const REALISTIC_FROM: usize = 4;

/// A cluster of `nodes` nodes and `guests` guests on shared storage; the same seed gives the
/// same cluster.
pub fn generate(nodes: usize, guests: usize, seed: u64) -> Scenario {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let nodes = nodes.max(1);
    let node_defs: Vec<NodeDef> = (0..nodes)
        .map(|i| NodeDef {
            cert_days_left: None,
            name: format!("pve{:03}", i + 1),
            ip: format!("10.10.{}.{}", i / 250, i % 250 + 2),
            cpu_model: "AMD EPYC 9354P 32-Core Processor".into(),
            sockets: 1,
            cores: 32,
            threads: 64,
            memory: Size(512 << 30),
            rootfs: Size(200 << 30),
            mac: Some(format!(
                "52:54:00:{:02x}:{:02x}:{:02x}",
                i >> 16 & 0xff,
                i >> 8 & 0xff,
                i & 0xff
            )),
            online: nodes < REALISTIC_FROM || i + 1 < nodes,
            overhead: 0.02,
            boot_seconds: 120.0,
            pci: if i % GPU_EVERY == 0 {
                GPU_PATHS.iter().map(|p| gpu(p)).collect()
            } else {
                Vec::new()
            },
            usb: Vec::new(),
            interfaces: Vec::new(),
            subscription: Some("p".into()),
            votes: 1,
            kernel_installed: None,
        })
        .collect();
    let in_maintenance = (nodes >= REALISTIC_FROM).then_some(1);
    let guest_defs: Vec<GuestDef> = (0..guests)
        .map(|i| {
            let vmid = 1000 + i as u32;
            let ct = rng.random_bool(0.3);
            let mut at = rng.random_range(0..nodes);
            if Some(at) == in_maintenance {
                at = (at + 1) % nodes;
            }
            let node = node_defs[at].name.clone();
            let cores = [1, 2, 2, 4, 4, 8][rng.random_range(0..6)];
            let memory = [1024, 2048, 4096, 8192][rng.random_range(0..4)];
            let disk = [8, 16, 32, 64][rng.random_range(0..4)];
            let mut config = BTreeMap::new();
            let key = if ct { "hostname" } else { "name" };
            config.insert(
                key.to_string(),
                toml::Value::String(format!("guest-{vmid}")),
            );
            config.insert("cores".into(), toml::Value::Integer(cores));
            config.insert("memory".into(), toml::Value::Integer(memory));
            if ct {
                config.insert(
                    "rootfs".into(),
                    toml::Value::String(format!("ceph-vm:vm-{vmid}-disk-0,size={disk}G")),
                );
                config.insert(
                    "net0".into(),
                    toml::Value::String("name=eth0,bridge=vmbr0,ip=dhcp,type=veth".into()),
                );
            } else {
                config.insert(
                    "scsi0".into(),
                    toml::Value::String(format!("ceph-vm:vm-{vmid}-disk-0,size={disk}G")),
                );
                config.insert(
                    "net0".into(),
                    toml::Value::String("virtio,bridge=vmbr0".into()),
                );
            }
            config.insert(
                "tags".into(),
                toml::Value::String(["web", "db", "k8s", "ci"][i % 4].into()),
            );
            GuestDef {
                vmid,
                kind: if ct { GuestKind::Lxc } else { GuestKind::Qemu },
                node,
                status: if rng.random_bool(0.8) {
                    "running".into()
                } else {
                    "stopped".into()
                },
                pool: None,
                load: rng.random_range(0.02..0.6),
                mem_used: rng.random_range(0.2..0.9),
                config,
                snapshots: Vec::new(),
            }
        })
        .collect();
    let mut guest_defs = guest_defs;
    // One GPU of each GPU node is held by a running VM there, through the mapping.
    let gpu_nodes: Vec<String> = node_defs
        .iter()
        .filter(|n| !n.pci.is_empty())
        .map(|n| n.name.clone())
        .collect();
    let mut holders = gpu_nodes.iter();
    for g in guest_defs
        .iter_mut()
        .filter(|g| g.kind == GuestKind::Qemu && g.status == "running")
    {
        let Some(node) = holders.next() else {
            break;
        };
        g.node = node.clone();
        g.config.insert(
            "hostpci0".into(),
            toml::Value::String("mapping=gpu,pcie=1".into()),
        );
        g.config
            .insert("machine".into(), toml::Value::String("q35".into()));
    }
    spread_load(&node_defs, &mut guest_defs);
    let mappings = MappingsDef {
        pci: if gpu_nodes.is_empty() {
            Vec::new()
        } else {
            vec![MappingDef {
                id: "gpu".into(),
                description: "NVIDIA L40S".into(),
                map: gpu_nodes
                    .iter()
                    .flat_map(|n| {
                        GPU_PATHS
                            .iter()
                            .map(move |p| format!("node={n},path={p},id=10de:26b9"))
                    })
                    .collect(),
                mdev: false,
                live_migration_capable: false,
            }]
        },
        usb: Vec::new(),
    };
    Scenario {
        cluster: Some(ClusterDef {
            name: format!("scale-{nodes}x{guests}"),
        }),
        mappings,
        nodes: node_defs,
        interfaces: vec![InterfaceDef {
            iface: "vmbr0".into(),
            kind: "bridge".into(),
            cidr: None,
            gateway: None,
            bridge_ports: Some("eno1".into()),
            vlan_aware: true,
            bridge_vids: None,
            slaves: None,
            bond_mode: None,
            vlan_id: None,
            vlan_raw_device: None,
            mtu: None,
            comments: None,
            active: true,
            ovs_ports: None,
            ovs_bonds: None,
            ovs_bridge: None,
            ovs_tag: None,
            options: Vec::new(),
        }],
        storage: vec![StorageDef {
            id: "ceph-vm".into(),
            kind: "nfs".into(),
            content: "images,rootdir,backup".into(),
            shared: true,
            size: Some(Size(1 << 50)),
            used: None,
            nodes: None,
            pool: None,
            path: Some("/mnt/pve/ceph-vm".into()),
            server: Some("10.10.255.1".into()),
            export: Some("/export".into()),
            enabled: true,
        }],
        guests: guest_defs,
        ha: HaDef {
            maintenance: in_maintenance
                .map(|i| vec![format!("pve{:03}", i + 1)])
                .unwrap_or_default(),
            ..HaDef::default()
        },
        history: super::scenario::HistoryDef {
            backup_days: 0,
            uptime_days: 30.0,
        },
        ..Scenario::default()
    }
}

/// Scale the running guests' loads so that each node is as busy as `NODE_LOAD` says: drawn
/// alone, 150 guests on a 64-thread node would ask for more than it has.
fn spread_load(nodes: &[NodeDef], guests: &mut [GuestDef]) {
    for (i, node) in nodes.iter().enumerate() {
        let target = NODE_LOAD[i % NODE_LOAD.len()] * f64::from(node.threads);
        let cores = |g: &GuestDef| {
            g.config
                .get("cores")
                .and_then(toml::Value::as_integer)
                .unwrap_or(1) as f64
        };
        let on_node = |g: &&mut GuestDef| g.node == node.name && g.status == "running";
        let busy: f64 = guests
            .iter_mut()
            .filter(on_node)
            .map(|g| cores(g) * g.load)
            .sum();
        if busy <= 0.0 {
            continue;
        }
        let factor = target / busy;
        for g in guests.iter_mut().filter(on_node) {
            g.load = (g.load * factor).clamp(0.005, 0.95);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_cluster() {
        let a = generate(4, 50, 7);
        let b = generate(4, 50, 7);
        assert_eq!(a.guests.len(), 50);
        assert_eq!(
            a.guests.iter().map(|g| g.node.clone()).collect::<Vec<_>>(),
            b.guests.iter().map(|g| g.node.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn load_is_spread_and_one_node_is_in_maintenance_and_one_offline() {
        let s = generate(16, 2000, 7);
        let busy = |name: &str| -> f64 {
            s.guests
                .iter()
                .filter(|g| g.node == name && g.status == "running")
                .map(|g| {
                    g.load
                        * g.config
                            .get("cores")
                            .and_then(toml::Value::as_integer)
                            .unwrap_or(1) as f64
                })
                .sum::<f64>()
                / 64.0
        };
        let shares: Vec<f64> = s.nodes.iter().map(|n| busy(&n.name)).collect();
        assert!(shares.iter().all(|&b| b < 0.9), "{shares:?}");
        assert!(shares.iter().any(|&b| b < 0.1) && shares.iter().any(|&b| b > 0.7));
        assert_eq!(s.ha.maintenance, ["pve002"]);
        assert!(s.guests.iter().all(|g| g.node != "pve002"));
        assert_eq!(
            s.nodes
                .iter()
                .filter(|n| !n.online)
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>(),
            ["pve016"]
        );
    }
}
