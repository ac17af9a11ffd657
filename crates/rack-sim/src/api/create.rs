//! Creating, cloning and destroying guests, and turning `STORAGE:SIZE` disk requests into
//! volumes the way Proxmox allocates them.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Call;
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::tasks::Work;
use crate::world::{Guest, HaResource, is_disk_key};
use rack_pve::propstr::{PropString, format_disk_size};

use super::archive::restored_config;

/// Parameters of create that are not config keys.
const NOT_CONFIG: &[&str] = &[
    "node",
    "vmid",
    "start",
    "storage",
    "pool",
    "archive",
    "unique",
    "force",
    "ha-managed",
    "live-restore",
    "import-working-storage",
    "password",
    "ssh-public-keys",
    "restore",
    "ignore-unpack-errors",
    "bwlimit",
];

/// A MAC in Proxmox's own range (BC:24:11), fixed by the world's seed and the guest.
fn mac_for(seed: u64, vmid: u32, index: usize) -> String {
    let x = seed ^ (u64::from(vmid) << 8) ^ index as u64;
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "BC:24:11:{:02X}:{:02X}:{:02X}",
        (x >> 40) as u8,
        (x >> 48) as u8,
        (x >> 56) as u8
    )
}

/// Rewrite new-disk requests (`local-zfs:32`, `vm-disks:0,import-from=…`, `vm-disks:cloudinit`)
/// into named volumes with sizes, checking the storage exists on the node and takes that content.
pub fn expand_new_disks(
    c: &Call,
    vmid: u32,
    params: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, ApiError> {
    let w = c.world();
    let node = c.var("node").to_string();
    let kind = if c.vars.contains_key("vmid") {
        w.guests
            .get(&vmid)
            .map(|g| g.kind)
            .unwrap_or(GuestKind::Qemu)
    } else if c.param("ostemplate").is_some() {
        GuestKind::Lxc
    } else {
        GuestKind::Qemu
    };
    let mut used: Vec<String> = w.volumes.iter().map(|v| v.volid.clone()).collect();
    if let Some(g) = w.guests.get(&vmid) {
        used.extend(g.disks().into_iter().map(|d| d.volid));
    }
    let mut out = Vec::new();
    for (key, value) in params {
        if !is_disk_key(kind, &key) {
            out.push((key, value));
            continue;
        }
        let default_key = if kind == GuestKind::Lxc {
            "volume"
        } else {
            "file"
        };
        let mut p = PropString::parse(&value, default_key);
        let Some(vol) = p.get(default_key).map(str::to_string) else {
            out.push((key, value));
            continue;
        };
        let Some((storage, rest)) = vol.split_once(':') else {
            out.push((key, value));
            continue;
        };
        let store = w
            .storage_on(storage, &node)
            .ok_or_else(|| ApiError::param(&key, format!("storage '{storage}' does not exist")))?;
        if p.get("media") == Some("cdrom") || rest.starts_with("iso/") {
            if rest != "cloudinit" && !w.volumes.iter().any(|v| v.volid == vol) {
                return Err(ApiError::fail(format!("volume '{vol}' does not exist")));
            }
            if rest != "cloudinit" {
                out.push((key, value));
                continue;
            }
        }
        let needed = if kind == GuestKind::Lxc {
            "rootdir"
        } else {
            "images"
        };
        if !store.content.split(',').any(|c| c == needed) {
            let what = if kind == GuestKind::Lxc {
                "container directories"
            } else {
                "vm images"
            };
            return Err(ApiError::param(
                &key,
                format!("storage '{storage}' does not support {what}"),
            ));
        }
        if rest == "cloudinit" {
            p.set(default_key, format!("{storage}:vm-{vmid}-cloudinit"));
            p.set("media", "cdrom");
            out.push((key, p.to_string_with_default(default_key)));
            continue;
        }
        let size_gib: Option<f64> = rest.parse().ok();
        let Some(size_gib) = size_gib else {
            out.push((key, value));
            continue;
        };
        let size = if let Some(src) = p.get("import-from") {
            w.volumes
                .iter()
                .find(|v| v.volid == src)
                .map(|v| v.size)
                .ok_or_else(|| ApiError::fail(format!("volume '{src}' does not exist")))?
        } else {
            (size_gib * (1u64 << 30) as f64) as u64
        };
        let mut n = 0;
        let name = loop {
            let candidate = format!("{storage}:vm-{vmid}-disk-{n}");
            if !used.contains(&candidate) {
                break candidate;
            }
            n += 1;
        };
        used.push(name.clone());
        p.pairs.retain(|(k, _)| k != "import-from");
        p.set(default_key, name);
        p.set("size", format_disk_size(size.max(1 << 20)));
        out.push((key, p.to_string_with_default(default_key)));
    }
    Ok(out)
}

pub fn create_guest(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let vmid = c.int("vmid").unwrap_or(0) as u32;
    if let Some(existing) = c.world().guests.get(&vmid) {
        return Err(ApiError::fail(format!(
            "unable to create {} {vmid} - {} {vmid} already exists on node '{}'",
            kind.label(),
            existing.kind.label(),
            existing.node
        )));
    }
    let restore = match kind {
        GuestKind::Qemu => c.param("archive").map(str::to_string),
        GuestKind::Lxc => c
            .flag("restore")
            .then(|| c.param("ostemplate").unwrap_or("").to_string()),
    };
    let pool = c.param("pool").map(str::to_string);
    if let Some(p) = &pool
        && !c.world().pools.iter().any(|x| &x.id == p)
    {
        return Err(ApiError::fail(format!("pool '{p}' does not exist")));
    }
    let mut params: Vec<(String, String)> = c
        .params
        .iter()
        .filter(|(k, _)| !NOT_CONFIG.contains(&k.as_str()))
        .cloned()
        .collect();
    if let Some(archive) = &restore {
        params.retain(|(k, _)| k != "ostemplate");
        params = restored_config(c, kind, archive, &node, params)?;
    } else if kind == GuestKind::Lxc {
        let template = c.param("ostemplate").unwrap_or("").to_string();
        if !c.world().volumes.iter().any(|v| {
            v.volid == template && (v.node.is_none() || v.node.as_deref() == Some(node.as_str()))
        }) {
            return Err(ApiError::fail(format!(
                "volume '{template}' does not exist"
            )));
        }
        params.retain(|(k, _)| k != "ostemplate");
        if !params.iter().any(|(k, _)| k == "rootfs") {
            let storage = c.param("storage").unwrap_or("local");
            params.push(("rootfs".into(), format!("{storage}:4")));
        }
        if !params.iter().any(|(k, _)| k == "unprivileged") {
            params.push(("unprivileged".into(), "1".into()));
        }
        let os = [
            "debian",
            "ubuntu",
            "alpine",
            "fedora",
            "centos",
            "archlinux",
        ]
        .into_iter()
        .find(|os| template.contains(os))
        .unwrap_or("unmanaged");
        params.push(("ostype".into(), os.into()));
        params.push(("arch".into(), "amd64".into()));
    }
    let params = expand_new_disks(c, vmid, params)?;
    let seed = c.world().seed;
    let mut config: BTreeMap<String, String> = BTreeMap::new();
    for (i, (k, v)) in params.into_iter().enumerate() {
        let v = if k.starts_with("net") {
            with_mac(kind, &v, seed, vmid, i)
        } else {
            v
        };
        config.insert(k, v);
    }
    let now = c.world().now;
    if kind == GuestKind::Qemu {
        // What qemu-server adds to a new VM: its SMBIOS UUID, a VM generation ID, and when and
        // with which QEMU it was made.
        let uuid = |salt: u64| {
            let h = Sha256::digest(format!("{seed}:{vmid}:{salt}").as_bytes());
            let hex: String = h.iter().take(16).map(|x| format!("{x:02x}")).collect();
            format!(
                "{}-{}-4{}-a{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[13..16],
                &hex[17..20],
                &hex[20..32]
            )
        };
        config
            .entry("smbios1".into())
            .or_insert_with(|| format!("uuid={}", uuid(1)));
        config.entry("vmgenid".into()).or_insert_with(|| uuid(2));
        config
            .entry("meta".into())
            .or_insert_with(|| format!("creation-qemu=10.0.2,ctime={}", now as i64));
    }
    let guest = Guest {
        pool,
        ..Guest::new_stopped(vmid, kind, node.clone(), config.into(), now)
    };
    let ha = c.flag("ha-managed");
    let start = c.flag("start");
    let user = c.user();
    let w = c.world_mut();
    if ha {
        let sid = guest.sid();
        w.ha.resources.insert(
            sid.clone(),
            HaResource {
                sid,
                state: "started".into(),
                max_restart: 1,
                max_relocate: 1,
                failback: true,
                comment: None,
            },
        );
    }
    w.guests.insert(vmid, guest);
    Ok(json!(w.start_work(
        &node,
        &user,
        Work::Create {
            vmid,
            start,
            restore
        }
    )))
}

/// A NIC's settings without its MAC, so that a new one is given.
pub(super) fn without_mac(kind: GuestKind, value: &str) -> String {
    match kind {
        GuestKind::Qemu => {
            let p = PropString::parse(value, "model");
            p.pairs
                .iter()
                .map(|(k, v)| {
                    let is_model = v.contains(':')
                        && !v.contains('=')
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !matches!(k.as_str(), "bridge" | "tag" | "firewall");
                    if is_model {
                        format!("model={k}")
                    } else if k == "model" {
                        format!("model={v}")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .filter(|pair| !pair.starts_with("macaddr="))
                .collect::<Vec<_>>()
                .join(",")
        }
        GuestKind::Lxc => {
            let mut p = PropString::parse(value, "name");
            p.pairs.retain(|(k, _)| k != "hwaddr");
            p.pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

/// Give a NIC a MAC if the request left it out, as Proxmox does.
fn with_mac(kind: GuestKind, value: &str, seed: u64, vmid: u32, index: usize) -> String {
    match kind {
        GuestKind::Qemu => {
            let p = PropString::parse(value, "model");
            if p.get("macaddr").is_some()
                || p.pairs.iter().any(|(k, v)| {
                    k != "model"
                        && v.contains(':')
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                }) && p.get("model").is_none()
            {
                return value.to_string();
            }
            match p.get("model") {
                Some(model) => {
                    let mut rest: Vec<String> = p
                        .pairs
                        .iter()
                        .filter(|(k, _)| k != "model")
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    rest.insert(0, format!("{model}={}", mac_for(seed, vmid, index)));
                    rest.join(",")
                }
                None => value.to_string(),
            }
        }
        GuestKind::Lxc => {
            let mut p = PropString::parse(value, "name");
            if p.get("hwaddr").is_none() {
                p.set("hwaddr", mac_for(seed, vmid, index));
            }
            if p.get("type").is_none() {
                p.set("type", "veth");
            }
            p.pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

pub fn clone_guest(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let source = c.guest(kind)?.clone();
    let newid = c.int("newid").unwrap_or(0) as u32;
    if c.world().guests.contains_key(&newid) {
        return Err(ApiError::fail(format!(
            "unable to create {} {newid}: config file already exists",
            kind.label()
        )));
    }
    if let Some(lock) = source.lock() {
        return Err(ApiError::fail(format!(
            "{} {} is locked ({lock})",
            kind.label(),
            source.vmid
        )));
    }
    let target = c.param("target").unwrap_or(&source.node).to_string();
    let w = c.world();
    if !w.node(&target).is_some_and(|n| n.online()) {
        return Err(ApiError::param(
            "target",
            format!("node '{target}' is not online"),
        ));
    }
    let full = c
        .param("full")
        .map(|_| c.flag("full"))
        .unwrap_or(!source.template());
    if !full && !source.template() {
        return Err(ApiError::param(
            "full",
            "linked clone feature is only available for templates",
        ));
    }
    let storage = c.param("storage").map(str::to_string);
    if let Some(s) = &storage
        && w.storage_on(s, &target).is_none()
    {
        return Err(ApiError::fail(format!(
            "storage '{s}' is not available on node '{target}'"
        )));
    }
    let mut config = source.config.clone();
    config.remove("template");
    config.remove("lock");
    let mut n = 0;
    for (key, value) in config.map_mut().iter_mut() {
        if !is_disk_key(kind, key) {
            continue;
        }
        let default_key = if kind == GuestKind::Lxc {
            "volume"
        } else {
            "file"
        };
        let mut p = PropString::parse(value, default_key);
        let Some(vol) = p.get(default_key).map(str::to_string) else {
            continue;
        };
        if p.get("media") == Some("cdrom") && !vol.ends_with("cloudinit") {
            continue;
        }
        let Some((src_storage, name)) = vol.split_once(':') else {
            continue;
        };
        let dst = storage.clone().unwrap_or_else(|| src_storage.to_string());
        let store = w.storage(&dst);
        if target != source.node && store.is_some_and(|s| !s.shared) {
            return Err(ApiError::fail(format!(
                "Can't clone to non-shared storage '{dst}'"
            )));
        }
        let new = if vol.ends_with("cloudinit") {
            format!("{dst}:vm-{newid}-cloudinit")
        } else if full {
            let v = format!("{dst}:vm-{newid}-disk-{n}");
            n += 1;
            v
        } else {
            let v = format!("{src_storage}:{name}/vm-{newid}-disk-{n}");
            n += 1;
            v
        };
        p.set(default_key, new);
        *value = p.to_string_with_default(default_key);
    }
    let name_key = if kind == GuestKind::Lxc {
        "hostname"
    } else {
        "name"
    };
    let name = c
        .param(name_key)
        .map(str::to_string)
        .unwrap_or_else(|| format!("Copy-of-VM-{}", source.name()));
    config.insert(name_key.into(), name);
    if let Some(d) = c.param("description") {
        config.insert("description".into(), d.to_string());
    }
    let seed = w.seed;
    let keys: Vec<String> = config
        .keys()
        .filter(|k| k.starts_with("net"))
        .cloned()
        .collect();
    for (i, k) in keys.iter().enumerate() {
        if let Some(v) = config.get(k) {
            let stripped = strip_mac(kind, v);
            config.insert(k.clone(), with_mac(kind, &stripped, seed, newid, i));
        }
    }
    let now = w.now;
    let pool = c.param("pool").map(str::to_string).or(source.pool.clone());
    let guest = Guest {
        pool,
        load: source.load,
        mem_used: source.mem_used,
        ..Guest::new_stopped(newid, kind, target, config, now)
    };
    let user = c.user();
    let node = source.node.clone();
    let w = c.world_mut();
    w.guests.insert(newid, guest);
    Ok(json!(w.start_work(
        &node,
        &user,
        Work::Clone {
            source: source.vmid,
            newid
        }
    )))
}

fn strip_mac(kind: GuestKind, value: &str) -> String {
    match kind {
        GuestKind::Qemu => {
            let p = PropString::parse(value, "model");
            const MODELS: &[&str] = &[
                "virtio",
                "e1000",
                "e1000e",
                "vmxnet3",
                "rtl8139",
                "e1000-82540em",
                "e1000-82544gc",
                "e1000-82545em",
                "i82551",
                "i82557b",
                "i82559er",
                "ne2k_isa",
                "ne2k_pci",
                "pcnet",
            ];
            p.pairs
                .iter()
                .filter(|(k, _)| k != "macaddr")
                .map(|(k, v)| {
                    if MODELS.contains(&k.as_str()) {
                        format!("model={k}")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
                .replacen("model=", "", 1)
        }
        GuestKind::Lxc => {
            let p = PropString::parse(value, "name");
            p.pairs
                .iter()
                .filter(|(k, _)| k != "hwaddr")
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

pub fn destroy_guest(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let vmid = g.vmid;
    if g.running() {
        return Err(ApiError::fail(format!(
            "{} {vmid} is running - destroy failed",
            kind.label()
        )));
    }
    if let Some(lock) = g.lock()
        && !c.flag("skiplock")
    {
        return Err(ApiError::fail(format!(
            "{} {vmid} is locked ({lock})",
            kind.label()
        )));
    }
    if c.world().is_ha(g) && !c.flag("purge") {
        return Err(ApiError::fail(format!(
            "unable to remove {} {vmid} - used in HA resources and purge parameter not set.",
            kind.label()
        )));
    }
    if g.template() {
        let base = format!("base-{vmid}-");
        let child = c.world().guests.values().find(|o| {
            o.disks()
                .iter()
                .any(|d| d.volid.contains(&base) && o.vmid != vmid)
        });
        if let Some(child) = child {
            return Err(ApiError::fail(format!(
                "base volume of VM {vmid} is still in use by linked clone {}",
                child.vmid
            )));
        }
    }
    let node = g.node.clone();
    let user = c.user();
    let purge = c.flag("purge");
    Ok(json!(c.world_mut().start_work(
        &node,
        &user,
        Work::Destroy { vmid, purge }
    )))
}
