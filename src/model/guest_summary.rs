//! A guest's configuration as a person reads it: cores and memory, disks, NICs with their bridge
//! and VLAN, devices passed through. Read from the key/value map /config answers.

use crate::pve::propstr::PropString;
use crate::pve::types::GuestConfig;

use super::text::{bytes, clean};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestSummary {
    /// `4 cores (1 socket × 4), host`
    pub cpu: String,
    /// `8.0 GiB (balloon 4.0 GiB)`
    pub memory: String,
    /// `scsi0 local-lvm:vm-101-disk-0, 32G`
    pub disks: Vec<String>,
    pub nics: Vec<Nic>,
    /// `hostpci0 0000:01:00 (pcie)`, `usb0 host=1234:5678`
    pub passthrough: Vec<String>,
    pub ostype: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nic {
    /// `net0`
    pub key: String,
    /// `virtio` (VM), `eth0` (container)
    pub model: String,
    pub bridge: Option<String>,
    pub vlan: Option<String>,
    pub firewall: bool,
    pub ip: Option<String>,
}

impl Nic {
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.key, self.model);
        if let Some(bridge) = &self.bridge {
            text.push_str(&format!(" on {bridge}"));
        }
        if let Some(vlan) = &self.vlan {
            text.push_str(&format!(" VLAN {vlan}"));
        }
        if let Some(ip) = &self.ip {
            text.push_str(&format!(" {ip}"));
        }
        if self.firewall {
            text.push_str(" fw");
        }
        text
    }
}

/// `net0`, `scsi12`: the key's name and whether the rest is a number.
fn indexed<'p>(key: &str, prefixes: &[&'p str]) -> Option<&'p str> {
    prefixes.iter().find_map(|p| {
        let n = key.strip_prefix(p)?;
        (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then_some(*p)
    })
}

const DISK_PREFIXES: &[&str] = &["scsi", "virtio", "sata", "ide", "mp"];
const SINGLE_DISKS: &[&str] = &["efidisk0", "tpmstate0", "rootfs"];

/// Whether a config key names a disk or volume (`scsi0`, `efidisk0`, `rootfs`, `mp1`).
pub fn is_disk_key(key: &str) -> bool {
    SINGLE_DISKS.contains(&key) || indexed(key, DISK_PREFIXES).is_some()
}

impl GuestSummary {
    pub fn of(config: &GuestConfig, container: bool) -> Self {
        let get = |k: &str| config.get(k).map(clean);
        let num = |k: &str| config.get(k).and_then(|v| v.parse::<u64>().ok());
        let cpu = if container {
            match num("cores") {
                Some(n) => format!("{n} cores"),
                None => "all host cores".into(),
            }
        } else {
            let cores = num("cores").unwrap_or(1);
            let sockets = num("sockets").unwrap_or(1);
            let mut text = format!(
                "{} vCPU ({sockets} socket × {cores} cores)",
                cores * sockets
            );
            if let Some(kind) = config.get("cpu") {
                let kind = PropString::parse(kind, "cputype");
                if let Some(t) = kind.get("cputype") {
                    text.push_str(&format!(", {}", clean(t)));
                }
            }
            text
        };
        let mib = |n: u64| bytes(n.saturating_mul(1 << 20));
        let memory = match (num("memory"), num("balloon")) {
            (Some(m), Some(b)) if b > 0 && b != m => format!("{} (balloon min {})", mib(m), mib(b)),
            (Some(m), _) => mib(m),
            (None, _) => "default".into(),
        };
        let mut summary = GuestSummary {
            cpu,
            memory,
            ostype: get("ostype"),
            description: get("description")
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty()),
            ..Default::default()
        };
        for (key, value) in &config.0 {
            let key = key.as_str();
            if SINGLE_DISKS.contains(&key) || indexed(key, DISK_PREFIXES).is_some() {
                let prop = PropString::parse(value, "file");
                // A CD-ROM drive is not storage worth listing.
                if prop.get("media") == Some("cdrom") {
                    continue;
                }
                let mut text = format!("{key} {}", clean(prop.get("file").unwrap_or(value)));
                if let Some(size) = prop.get("size") {
                    text.push_str(&format!(", {}", clean(size)));
                }
                if let Some(path) = prop.get("mp") {
                    text.push_str(&format!(" at {}", clean(path)));
                }
                summary.disks.push(text);
            } else if indexed(key, &["net"]).is_some() {
                summary.nics.push(nic(key, value, container));
            } else if indexed(key, &["hostpci", "usb"]).is_some() {
                let prop = PropString::parse(value, "host");
                let mut text = format!("{key} {}", clean(prop.get("host").unwrap_or(value)));
                if let Some(mapping) = prop.get("mapping") {
                    text = format!("{key} mapping {}", clean(mapping));
                }
                if prop.get("pcie") == Some("1") {
                    text.push_str(" (pcie)");
                }
                if let Some(mdev) = prop.get("mdev") {
                    text.push_str(&format!(" mdev {}", clean(mdev)));
                }
                summary.passthrough.push(text);
            } else if container && key.starts_with("dev") && indexed(key, &["dev"]).is_some() {
                let prop = PropString::parse(value, "path");
                summary.passthrough.push(format!(
                    "{key} {}",
                    clean(prop.get("path").unwrap_or(value))
                ));
            }
        }
        // Numeric order: net2 before net10.
        let order = |s: &str| {
            let digits = s.trim_start_matches(|c: char| !c.is_ascii_digit());
            let n = digits
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<u32>().ok())
                .unwrap_or(0);
            (s[..s.len() - digits.len()].to_string(), n)
        };
        summary.disks.sort_by_key(|d| order(d));
        summary.passthrough.sort_by_key(|d| order(d));
        summary.nics.sort_by_key(|n| order(&n.key));
        summary
    }
}

fn nic(key: &str, value: &str, container: bool) -> Nic {
    if container {
        let prop = PropString::parse(value, "name");
        Nic {
            key: key.to_string(),
            model: clean(prop.get("name").unwrap_or("eth?")),
            bridge: prop.get("bridge").map(clean),
            vlan: prop.get("tag").map(clean),
            firewall: prop.get("firewall") == Some("1"),
            ip: prop.get("ip").map(clean),
        }
    } else {
        // `virtio=BC:24:11:…,bridge=vmbr0,tag=16`: the model is the key that carries the MAC.
        let model = value
            .split(',')
            .next()
            .and_then(|first| first.split_once('='))
            .map_or("?", |(m, _)| m);
        let prop = PropString::parse(value, "model");
        Nic {
            key: key.to_string(),
            model: clean(model),
            bridge: prop.get("bridge").map(clean),
            vlan: prop.get("tag").map(clean),
            firewall: prop.get("firewall") == Some("1"),
            ip: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(pairs: &[(&str, &str)]) -> GuestConfig {
        GuestConfig(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn a_vm_reads_as_a_person_would_say_it() {
        let c = config(&[
            ("cores", "4"),
            ("sockets", "2"),
            ("cpu", "host"),
            ("memory", "8192"),
            ("balloon", "4096"),
            ("scsi0", "local-lvm:vm-101-disk-0,iothread=1,size=32G"),
            ("ide2", "none,media=cdrom"),
            ("net10", "virtio=BC:24:11:00:00:02,bridge=vmbr1"),
            (
                "net0",
                "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=16,firewall=1",
            ),
            ("hostpci0", "0000:01:00,pcie=1"),
            ("hostpci1", "mapping=rtx4090,pcie=1"),
        ]);
        let s = GuestSummary::of(&c, false);
        assert_eq!(s.cpu, "8 vCPU (2 socket × 4 cores), host");
        assert_eq!(s.memory, "8.0 GiB (balloon min 4.0 GiB)");
        assert_eq!(s.disks, ["scsi0 local-lvm:vm-101-disk-0, 32G"]);
        assert_eq!(
            s.nics.iter().map(Nic::describe).collect::<Vec<_>>(),
            ["net0 virtio on vmbr0 VLAN 16 fw", "net10 virtio on vmbr1"]
        );
        assert_eq!(
            s.passthrough,
            [
                "hostpci0 0000:01:00 (pcie)",
                "hostpci1 mapping rtx4090 (pcie)"
            ]
        );
    }

    #[test]
    fn a_container_reads_too() {
        let c = config(&[
            ("cores", "2"),
            ("memory", "1024"),
            ("rootfs", "local-lvm:subvol-200-disk-0,size=8G"),
            ("mp0", "tank:subvol-200-disk-1,mp=/data,size=100G"),
            ("net0", "name=eth0,bridge=vmbr0,ip=dhcp,tag=30"),
            ("dev0", "/dev/dri/renderD128,gid=104"),
        ]);
        let s = GuestSummary::of(&c, true);
        assert_eq!(s.cpu, "2 cores");
        assert_eq!(s.memory, "1.0 GiB");
        assert_eq!(
            s.disks,
            [
                "mp0 tank:subvol-200-disk-1, 100G at /data",
                "rootfs local-lvm:subvol-200-disk-0, 8G"
            ]
        );
        assert_eq!(s.nics[0].describe(), "net0 eth0 on vmbr0 VLAN 30 dhcp");
        assert_eq!(s.passthrough, ["dev0 /dev/dri/renderD128"]);
    }
}
