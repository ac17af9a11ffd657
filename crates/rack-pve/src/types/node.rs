//! `/nodes/{node}/*` answers.

use serde::Deserialize;

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
