//! `/nodes/{node}/*` answers.

use serde::{Deserialize, Serialize};

use crate::de;

/// `GET /nodes/{node}/status`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeStatus {
    #[serde(deserialize_with = "de::opt_f64")]
    pub cpu: Option<f64>,
    /// 1, 5 and 15 minutes; Proxmox sends them as strings.
    #[serde(deserialize_with = "de::f64_list")]
    pub loadavg: Vec<f64>,
    pub memory: Usage,
    pub rootfs: Usage,
    pub swap: Usage,
    pub cpuinfo: CpuInfo,
    #[serde(rename = "current-kernel")]
    pub kernel: Kernel,
    #[serde(deserialize_with = "de::opt_string")]
    pub kversion: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub pveversion: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub uptime: Option<u64>,
    #[serde(rename = "boot-info")]
    pub boot_info: BootInfo,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub used: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub free: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuInfo {
    #[serde(deserialize_with = "de::opt_string")]
    pub model: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub cores: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub cpus: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub sockets: Option<u64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub mhz: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Kernel {
    #[serde(deserialize_with = "de::opt_string")]
    pub sysname: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub release: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub version: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub machine: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BootInfo {
    #[serde(deserialize_with = "de::opt_string")]
    pub mode: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub secureboot: Option<bool>,
}

/// One point of `GET /nodes/{node}/rrddata` or of a guest's: the fields both kinds carry that the
/// charts use. Points with no data yet have the fields absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RrdPoint {
    #[serde(deserialize_with = "de::opt_u64")]
    pub time: Option<u64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub cpu: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub maxcpu: Option<f64>,
    /// Nodes: `memused`/`memtotal`; guests: `mem`/`maxmem`.
    #[serde(alias = "memused", deserialize_with = "de::opt_f64")]
    pub mem: Option<f64>,
    #[serde(alias = "memtotal", deserialize_with = "de::opt_f64")]
    pub maxmem: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub netin: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub netout: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub loadavg: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub diskread: Option<f64>,
    #[serde(deserialize_with = "de::opt_f64")]
    pub diskwrite: Option<f64>,
}

/// A package of `GET /nodes/{node}/apt/update` (an upgrade the last refresh found) or of
/// `/apt/versions` (an important package and its installed version). Proxmox spells the keys
/// as apt does.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AptPackage {
    #[serde(deserialize_with = "de::opt_string")]
    pub package: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The version installed; absent for a package an upgrade newly brings in.
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub old_version: Option<String>,
    /// The version an upgrade installs (the candidate), which is the installed one when none is
    /// newer.
    #[serde(deserialize_with = "de::opt_string")]
    pub version: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub origin: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub section: Option<String>,
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub arch: Option<String>,
    /// `/apt/versions` only: `Installed`, `NotInstalled`, …
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_state: Option<String>,
    /// `/apt/versions`, on `proxmox-ve` only: the kernel release the node runs.
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub running_kernel: Option<String>,
    /// `/apt/versions`, on `pve-manager` only: the API server's version.
    #[serde(
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager_version: Option<String>,
}

/// `GET /nodes/{node}/certificates/info`: one certificate file of the node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CertificateInfo {
    #[serde(deserialize_with = "de::opt_string")]
    pub filename: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub fingerprint: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub subject: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub issuer: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub notbefore: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub notafter: Option<u64>,
}

impl CertificateInfo {
    /// The certificate pveproxy serves for the node (its own, or a custom/ACME one), not the
    /// cluster CA's.
    pub fn is_served(&self) -> bool {
        matches!(
            self.filename.as_deref(),
            Some("pve-ssl.pem" | "pveproxy-ssl.pem")
        )
    }
}

/// Of a node's certificates, the one pveproxy serves: a custom one (`pveproxy-ssl.pem`) wins
/// over the cluster-issued `pve-ssl.pem`, as pveproxy chooses.
pub fn served_certificate(certs: &[CertificateInfo]) -> Option<&CertificateInfo> {
    certs
        .iter()
        .find(|c| c.filename.as_deref() == Some("pveproxy-ssl.pem"))
        .or_else(|| {
            certs
                .iter()
                .find(|c| c.filename.as_deref() == Some("pve-ssl.pem"))
        })
}
