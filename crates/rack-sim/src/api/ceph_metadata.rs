//! `GET /cluster/ceph/metadata`: Ceph's own metadata of each daemon (a map of strings, so its
//! numbers are strings too), with what Proxmox adds from the node (`service` and `direxists`,
//! JSON booleans), and each node's Ceph version.

use serde_json::{Map, Value, json};

use super::ceph_dumps::{BUILD, RELEASE, daemon_ip, long_version};
use crate::scenario::OsdDef;
use crate::world::{Ceph, World};

/// Add `pairs` to a daemon's metadata, every value a string as Ceph keeps them.
fn put<'a>(d: &mut Map<String, Value>, pairs: impl IntoIterator<Item = (&'a str, String)>) {
    for (k, v) in pairs {
        d.insert(k.into(), json!(v));
    }
}

pub(super) fn metadata(w: &World, ceph: &Ceph) -> Value {
    let version = long_version(ceph);
    let ip = |name: &str| daemon_ip(w, name);
    // What every daemon reports of the host it runs on.
    let host = |name: &str| {
        let node = w.node(name);
        let kernel = node
            .map(|n| n.packages.running_kernel.clone())
            .unwrap_or_default();
        let mut d = Map::new();
        put(
            &mut d,
            [
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
                    format!(
                        "#1 SMP PREEMPT_DYNAMIC PMX {}",
                        kernel.trim_end_matches("-pve")
                    ),
                ),
                ("kernel_version", kernel),
                ("os", "Linux".into()),
                (
                    "mem_total_kb",
                    node.map(|n| n.mem_total() / 1024).unwrap_or(0).to_string(),
                ),
                ("mem_swap_kb", "8388604".into()),
            ],
        );
        d
    };
    // A monitor or manager runs as a systemd unit on its node, which Proxmox adds.
    let on_node = |mut d: Map<String, Value>| {
        d.insert("service".into(), json!(true));
        d.insert("direxists".into(), json!(true));
        Value::Object(d)
    };
    let mons: Map<String, Value> = ceph
        .mons
        .iter()
        .map(|m| {
            let mut d = host(m);
            put(
                &mut d,
                [
                    ("name", m.clone()),
                    ("addrs", format!("[v2:{0}:3300/0,v1:{0}:6789/0]", ip(m))),
                    (
                        "compression_algorithms",
                        "none, snappy, zlib, zstd, lz4".into(),
                    ),
                    ("devices", "nvme0n1".into()),
                    (
                        "device_ids",
                        "nvme0n1=Samsung_SSD_990_PRO_1TB_S73VNJ0W100".into(),
                    ),
                    ("device_paths", "nvme0n1=pci-0000:01:00.0-nvme-1".into()),
                ],
            );
            (format!("{m}@{m}"), on_node(d))
        })
        .collect();
    let mgrs: Map<String, Value> = ceph
        .mgrs
        .iter()
        .map(|m| {
            let mut d = host(m);
            put(
                &mut d,
                [
                    ("name", m.clone()),
                    ("addr", ip(m)),
                    ("addrs", format!("{}:0/{}", ip(m), 1_234_567 + m.len())),
                ],
            );
            (format!("{m}@{m}"), on_node(d))
        })
        .collect();
    let osds: Vec<Value> = ceph
        .osds
        .iter()
        .map(|o| osd(o, &ip(&o.host), host(&o.host), &version))
        .collect();
    let parts: Vec<&str> = ceph.version.split('.').collect();
    let nodes: Map<String, Value> = w
        .nodes
        .iter()
        .map(|n| {
            let v =
                json!({ "version": { "str": ceph.version, "parts": parts }, "buildcommit": BUILD });
            (n.name().to_string(), v)
        })
        .collect();
    json!({ "mon": mons, "mgr": mgrs, "mds": {}, "osd": osds, "node": nodes })
}

/// An OSD's metadata: its host's, its addresses, and BlueStore's view of its device.
fn osd(o: &OsdDef, a: &str, mut d: Map<String, Value>, version: &str) -> Value {
    let n = o.id + 1;
    let spinning = o.class == "hdd";
    let bit = |b: bool| String::from(if b { "1" } else { "0" });
    let dev = if spinning {
        format!("sd{}", char::from(b'a' + (n % 26) as u8))
    } else {
        format!("nvme{n}n1")
    };
    d.insert("id".into(), json!(o.id));
    put(
        &mut d,
        [
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
            ("bluestore_bdev_devices", dev.clone()),
            ("bluestore_bdev_driver", "KernelDevice".into()),
            ("bluestore_bdev_partition_path", format!("/dev/dm-{}", o.id)),
            ("bluestore_bdev_rotational", bit(spinning)),
            ("bluestore_bdev_size", o.size.0.to_string()),
            ("bluestore_bdev_support_discard", bit(!spinning)),
            (
                "bluestore_bdev_type",
                if spinning { "hdd" } else { "ssd" }.into(),
            ),
            ("ceph_version_when_created", version.to_string()),
            ("created_at", "2025-06-02T17:52:08.412907Z".into()),
            ("default_device_class", o.class.clone()),
            ("devices", dev.clone()),
            (
                "device_ids",
                format!("{dev}=Samsung_SSD_990_PRO_2TB_S7DNNJ0X{:06}", 100 + n),
            ),
            (
                "device_paths",
                format!("{dev}=pci-0000:{n:02x}:00.0-nvme-1"),
            ),
            ("journal_rotational", bit(spinning)),
            ("rotational", bit(spinning)),
        ],
    );
    Value::Object(d)
}
