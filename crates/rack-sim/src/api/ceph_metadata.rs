//! `GET /cluster/ceph/metadata`: Ceph's own metadata of each daemon (a map of strings, so its
//! numbers are strings too), with what Proxmox adds from the node (`service` and `direxists`,
//! JSON booleans), and each node's Ceph version.

use serde_json::{Map, Value, json};

use crate::world::{Ceph, World};

const BUILD: &str = "c92aebb279828e9c3c1f5d24613efca272649e62";
const RELEASE: &str = "squid";

pub(super) fn metadata(w: &World, ceph: &Ceph) -> Value {
    let version = format!("ceph version {} ({BUILD}) {RELEASE} (stable)", ceph.version);
    // What every daemon reports of the host it runs on.
    let host = |name: &str| {
        let node = w.node(name);
        let kernel = "6.17.2-1-pve";
        let mut d = Map::new();
        for (k, v) in [
            ("hostname", name.to_string()),
            ("arch", "x86_64".into()),
            ("ceph_release", RELEASE.into()),
            ("ceph_version", version.clone()),
            ("ceph_version_short", ceph.version.clone()),
            (
                "cpu",
                node.map(|n| n.def.cpu_model.clone()).unwrap_or_default(),
            ),
            ("distro", "debian".into()),
            ("distro_description", "Debian GNU/Linux 13 (trixie)".into()),
            ("distro_version", "13".into()),
            (
                "kernel_description",
                "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-11-05T10:12Z)".into(),
            ),
            ("kernel_version", kernel.into()),
            ("os", "Linux".into()),
            (
                "mem_total_kb",
                node.map(|n| n.mem_total() / 1024).unwrap_or(0).to_string(),
            ),
            ("mem_swap_kb", "8388604".into()),
        ] {
            d.insert(k.into(), json!(v));
        }
        d
    };
    let ip = |name: &str| w.node(name).map(|n| n.def.ip.clone()).unwrap_or_default();
    let on_node = |mut d: Map<String, Value>| {
        d.insert("service".into(), json!(true));
        d.insert("direxists".into(), json!(true));
        d
    };
    let disk = |i: u32| format!("nvme{i}n1=Samsung_SSD_990_PRO_2TB_S7DNNJ0X{:06}", 100 + i);
    let mons: Map<String, Value> = ceph
        .mons
        .iter()
        .map(|m| {
            let mut d = host(m);
            d.insert("name".into(), json!(m));
            d.insert(
                "addrs".into(),
                json!(format!("[v2:{0}:3300/0,v1:{0}:6789/0]", ip(m))),
            );
            d.insert(
                "compression_algorithms".into(),
                json!("none, snappy, zlib, zstd, lz4"),
            );
            d.insert("devices".into(), json!("nvme0n1"));
            d.insert("device_ids".into(), json!(disk(0)));
            d.insert(
                "device_paths".into(),
                json!("nvme0n1=pci-0000:01:00.0-nvme-1"),
            );
            (format!("{m}@{m}"), Value::Object(on_node(d)))
        })
        .collect();
    let mgrs: Map<String, Value> = ceph
        .mgrs
        .iter()
        .map(|m| {
            let mut d = host(m);
            d.insert("name".into(), json!(m));
            d.insert("addr".into(), json!(ip(m)));
            d.insert(
                "addrs".into(),
                json!(format!("{}:0/{}", ip(m), 1_234_567 + m.len())),
            );
            (format!("{m}@{m}"), Value::Object(on_node(d)))
        })
        .collect();
    let osds: Vec<Value> = ceph
        .osds
        .iter()
        .map(|o| {
            let a = ip(&o.host);
            let n = o.id + 1;
            let mut d = host(&o.host);
            d.insert("id".into(), json!(o.id));
            for (k, v) in [
                (
                    "front_addr",
                    format!("[v2:{a}:6800/{n}001,v1:{a}:6801/{n}001]"),
                ),
                (
                    "back_addr",
                    format!("[v2:{a}:6802/{n}001,v1:{a}:6803/{n}001]"),
                ),
                (
                    "hb_front_addr",
                    format!("[v2:{a}:6804/{n}001,v1:{a}:6805/{n}001]"),
                ),
                (
                    "hb_back_addr",
                    format!("[v2:{a}:6806/{n}001,v1:{a}:6807/{n}001]"),
                ),
                ("front_iface", "vmbr0.48".into()),
                ("back_iface", "vmbr0.48".into()),
                ("osd_data", format!("/var/lib/ceph/osd/ceph-{}", o.id)),
                ("osd_objectstore", "bluestore".into()),
                ("bluefs", "1".into()),
                ("bluefs_dedicated_db", "0".into()),
                ("bluefs_dedicated_wal", "0".into()),
                ("bluefs_single_shared_device", "1".into()),
                ("bluestore_bdev_access_mode", "blk".into()),
                ("bluestore_bdev_block_size", "4096".into()),
                ("bluestore_bdev_dev_node", format!("/dev/dm-{}", o.id)),
                ("bluestore_bdev_devices", format!("nvme{n}n1")),
                ("bluestore_bdev_driver", "KernelDevice".into()),
                ("bluestore_bdev_partition_path", format!("/dev/dm-{}", o.id)),
                ("bluestore_bdev_rotational", "0".into()),
                ("bluestore_bdev_size", o.size.0.to_string()),
                ("bluestore_bdev_support_discard", "1".into()),
                ("bluestore_bdev_type", "ssd".into()),
                ("ceph_version_when_created", version.clone()),
                ("created_at", "2025-06-02T17:52:08.412907Z".into()),
                ("default_device_class", "ssd".into()),
                ("devices", format!("nvme{n}n1")),
                ("device_ids", disk(n)),
                (
                    "device_paths",
                    format!("nvme{n}n1=pci-0000:0{n}:00.0-nvme-1"),
                ),
                ("journal_rotational", "0".into()),
                ("rotational", "0".into()),
            ] {
                d.insert(k.into(), json!(v));
            }
            Value::Object(d)
        })
        .collect();
    let nodes: Map<String, Value> = w
        .nodes
        .iter()
        .map(|n| {
            let parts: Vec<&str> = ceph.version.split('.').collect();
            (
                n.name().to_string(),
                json!({ "version": { "str": ceph.version, "parts": parts }, "buildcommit": BUILD }),
            )
        })
        .collect();
    json!({ "mon": mons, "mgr": mgrs, "mds": {}, "osd": osds, "node": nodes })
}
