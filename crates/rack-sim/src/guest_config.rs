//! A guest's configuration: the key/value map Proxmox keeps in `qemu-server/VMID.conf`, with the
//! sizes derived from it cached until the next change. /cluster/resources reads those sizes for
//! every guest on every poll, and parsing the property strings each time dominated its cost.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::OnceLock;

use rack_pve::propstr::{PropString, parse_disk_size};

use super::scenario::GuestKind;

#[derive(Debug, Clone, Default)]
pub struct GuestConfig {
    map: BTreeMap<String, String>,
    sizes: OnceLock<Sizes>,
}

/// What the resource list reports from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// vCPUs: cores × sockets, a count (Proxmox sends it as an integer).
    pub cores: u32,
    pub maxmem: u64,
    pub maxdisk: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    pub key: String,
    pub volid: String,
    pub size: u64,
    pub cdrom: bool,
}

/// Reads go straight to the map; writes go through `insert`/`remove`, which drop the cache.
impl Deref for GuestConfig {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<'a> IntoIterator for &'a GuestConfig {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl From<BTreeMap<String, String>> for GuestConfig {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self {
            map,
            sizes: OnceLock::new(),
        }
    }
}

impl GuestConfig {
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        self.sizes = OnceLock::new();
        self.map.insert(key, value)
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.sizes = OnceLock::new();
        self.map.remove(key)
    }

    /// For edits in place; the cached sizes are dropped since anything may change.
    pub fn map_mut(&mut self) -> &mut BTreeMap<String, String> {
        self.sizes = OnceLock::new();
        &mut self.map
    }

    pub fn map(&self) -> &BTreeMap<String, String> {
        &self.map
    }

    pub fn sizes(&self, kind: GuestKind) -> Sizes {
        *self.sizes.get_or_init(|| Sizes {
            cores: (self.number("cores") * self.number("sockets")).clamp(0.0, f64::from(u32::MAX))
                as u32,
            maxmem: self.memory_mib() << 20,
            maxdisk: boot_disk_size(kind, &self.disks(kind)),
        })
    }

    fn number(&self, key: &str) -> f64 {
        self.map
            .get(key)
            .and_then(|c| c.parse().ok())
            .unwrap_or(1.0)
    }

    fn memory_mib(&self) -> u64 {
        self.map
            .get("memory")
            .map(|m| PropString::parse(m, "current"))
            .and_then(|p| p.get("current").and_then(|v| v.parse().ok()))
            .unwrap_or(512)
    }

    pub fn disks(&self, kind: GuestKind) -> Vec<Disk> {
        let default_key = match kind {
            GuestKind::Lxc => "volume",
            GuestKind::Qemu => "file",
        };
        self.map
            .iter()
            .filter(|(k, _)| is_disk_key(kind, k))
            .filter_map(|(k, v)| {
                let p = PropString::parse(v, default_key);
                let volid = p.get("file").or(p.get("volume"))?.to_string();
                if volid == "none" {
                    return None;
                }
                Some(Disk {
                    key: k.clone(),
                    volid,
                    size: p.get("size").and_then(parse_disk_size).unwrap_or(0),
                    cdrom: p.get("media") == Some("cdrom"),
                })
            })
            .collect()
    }
}

/// The boot disk's size: what /cluster/resources calls `maxdisk`.
fn boot_disk_size(kind: GuestKind, disks: &[Disk]) -> u64 {
    let boot = match kind {
        GuestKind::Lxc => disks.iter().find(|d| d.key == "rootfs"),
        GuestKind::Qemu => ["scsi0", "virtio0", "sata0", "ide0"]
            .iter()
            .find_map(|k| disks.iter().find(|d| d.key == *k && !d.cdrom)),
    };
    boot.or(disks.iter().find(|d| !d.cdrom))
        .map(|d| d.size)
        .unwrap_or(0)
}

/// Config keys that hold a disk, by guest type.
pub fn is_disk_key(kind: GuestKind, key: &str) -> bool {
    let indexed = |prefix: &str| {
        key.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    match kind {
        GuestKind::Qemu => {
            ["scsi", "virtio", "sata", "ide", "unused"]
                .iter()
                .any(|p| indexed(p))
                || key == "efidisk0"
                || key == "tpmstate0"
        }
        GuestKind::Lxc => key == "rootfs" || indexed("mp") || indexed("unused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_changes() {
        let mut config = GuestConfig::from(BTreeMap::from([
            ("cores".to_string(), "4".to_string()),
            ("memory".to_string(), "2048".to_string()),
            (
                "scsi0".to_string(),
                "vm-disks:vm-100-disk-0,size=32G".to_string(),
            ),
            (
                "ide2".to_string(),
                "local:iso/x.iso,media=cdrom,size=1G".to_string(),
            ),
        ]));
        let sizes = config.sizes(GuestKind::Qemu);
        assert_eq!(sizes.cores, 4);
        assert_eq!(sizes.maxmem, 2048 << 20);
        assert_eq!(sizes.maxdisk, 32 << 30);
        config.insert("sockets".into(), "2".into());
        config.insert("scsi0".into(), "vm-disks:vm-100-disk-0,size=40G".into());
        let sizes = config.sizes(GuestKind::Qemu);
        assert_eq!(sizes.cores, 8);
        assert_eq!(sizes.maxdisk, 40 << 30);
    }
}
