//! What a backup archive carries: the guest configuration a restore writes (and
//! `vzdump/extractconfig` shows), with new disks, MACs and the settings given.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Call;
use super::create::without_mac;
use crate::guest_config::GuestConfig;
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::world::{Volume, is_disk_key};
use rack_pve::propstr::PropString;

/// The configuration in a backup archive: the one rack's simulated vzdump stored with it, or for
/// an archive it did not write (a scenario's), a small guest with one disk of the archive's order.
fn archive_config(volume: &Volume, kind: GuestKind, storage: Option<&str>) -> GuestConfig {
    volume.config.clone().unwrap_or_else(|| {
        // An archive rack did not write: a small guest with one disk of the archive's order.
        let disk_gib = (volume.size >> 30).max(1) * 4;
        let target = storage.unwrap_or("local");
        let pairs = match kind {
            GuestKind::Qemu => [
                (
                    "name",
                    volume.notes.clone().unwrap_or_else(|| "restored".into()),
                ),
                ("scsi0", format!("{target}:vm-0-disk-0,size={disk_gib}G")),
            ],
            GuestKind::Lxc => [
                (
                    "hostname",
                    volume.notes.clone().unwrap_or_else(|| "restored".into()),
                ),
                ("rootfs", format!("{target}:vm-0-disk-0,size={disk_gib}G")),
            ],
        };
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>()
            .into()
    })
}

/// `GET /nodes/{node}/vzdump/extractconfig?volume=VOLID`: the archive's configuration as the
/// text of its config file, as Proxmox answers it.
pub fn extract_config(c: &Call) -> Result<Value, ApiError> {
    let volid = c
        .param("volume")
        .ok_or_else(|| ApiError::param("volume", "property is missing and it is not optional"))?;
    let node = c.var("node");
    let volume = c
        .world()
        .volumes
        .iter()
        .find(|v| {
            v.volid == volid && v.content == "backup" && v.node.as_deref().is_none_or(|n| n == node)
        })
        .ok_or_else(|| ApiError::fail(format!("volume '{volid}' does not exist")))?;
    let kind = if volume.format.starts_with("tar") || volume.format == "pbs-ct" {
        GuestKind::Lxc
    } else {
        GuestKind::Qemu
    };
    let config = archive_config(volume, kind, None);
    let mut text = String::new();
    for (key, value) in &config {
        text.push_str(&format!("{key}: {value}\n"));
    }
    Ok(json!(text))
}

/// The configuration a restore writes: the archive's, each disk a new volume of its size on the
/// storage asked for (or where it was), new MACs when `unique`, and the settings given with the
/// request (a new name, say) over the archive's.
pub(super) fn restored_config(
    c: &Call,
    kind: GuestKind,
    archive: &str,
    node: &str,
    overrides: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, ApiError> {
    let w = c.world();
    let volume = w
        .volumes
        .iter()
        .find(|v| {
            v.volid == archive
                && v.content == "backup"
                && v.node.as_deref().is_none_or(|n| n == node)
        })
        .ok_or_else(|| ApiError::fail(format!("volume '{archive}' does not exist")))?;
    let is_ct = volume.format.starts_with("tar") || volume.format == "pbs-ct";
    if is_ct != (kind == GuestKind::Lxc) {
        return Err(ApiError::fail(format!(
            "archive '{archive}' is a {} backup",
            if is_ct { "container" } else { "VM" }
        )));
    }
    let storage = c.param("storage");
    if let Some(s) = storage
        && w.storage_on(s, node).is_none()
    {
        return Err(ApiError::param(
            "storage",
            format!("storage '{s}' does not exist"),
        ));
    }
    let config = archive_config(volume, kind, storage);
    let sizes: BTreeMap<String, u64> = config
        .disks(kind)
        .into_iter()
        .map(|d| (d.key, d.size))
        .collect();
    let unique = c.flag("unique");
    let default_key = if kind == GuestKind::Lxc {
        "volume"
    } else {
        "file"
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in &config {
        if key.starts_with("unused") || key == "lock" {
            continue;
        }
        let mut p = PropString::parse(value, default_key);
        let volume = p.get(default_key).unwrap_or_default().to_string();
        if let Some((storage, _)) = volume
            .split_once(':')
            .filter(|(_, v)| v.ends_with("-cloudinit"))
        {
            // The cloud-init drive belongs to the new VMID; it is made anew.
            let target = c.param("storage").unwrap_or(storage);
            p.set(default_key, format!("{target}:cloudinit"));
            out.push((key.clone(), p.to_string_with_default(default_key)));
            continue;
        }
        let disk = is_disk_key(kind, key) && p.get("media") != Some("cdrom");
        if let (true, Some(size)) = (disk, sizes.get(key)) {
            let from = p
                .get(default_key)
                .and_then(|v| v.split_once(':'))
                .map(|(s, _)| s.to_string())
                .unwrap_or_default();
            let target = storage.map(str::to_string).unwrap_or(from);
            p.set(
                default_key,
                format!("{target}:{}", *size as f64 / (1u64 << 30) as f64),
            );
            p.pairs.retain(|(k, _)| k != "size");
            out.push((key.clone(), p.to_string_with_default(default_key)));
        } else if unique && key.starts_with("net") {
            out.push((key.clone(), without_mac(kind, value)));
        } else {
            out.push((key.clone(), value.clone()));
        }
    }
    for (key, value) in overrides {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}
