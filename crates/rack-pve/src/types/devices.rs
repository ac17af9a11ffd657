//! Resource mappings (`/cluster/mapping/pci|usb`) and node hardware (`/nodes/{node}/hardware/pci|usb`).

use serde::{Deserialize, Serialize};

use crate::de;

/// A cluster resource mapping: a named pool of devices, one or more per node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mapping {
    pub id: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// Property strings: `node=pve1,path=0000:01:00.0,id=10de:2484,iommugroup=12`.
    pub map: Vec<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub mdev: Option<bool>,
    #[serde(rename = "live-migration-capable", deserialize_with = "de::opt_bool")]
    pub live_migration_capable: Option<bool>,
}

/// A PCI device of a node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PciDevice {
    /// `0000:01:00.0`
    pub id: String,
    /// `0x030000`
    pub class: String,
    pub vendor: String,
    pub device: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub vendor_name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub device_name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub subsystem_vendor: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub subsystem_device: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub iommugroup: Option<u64>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub mdev: Option<bool>,
}

/// A USB device of a node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UsbDevice {
    /// `0x18d1`
    #[serde(deserialize_with = "de::opt_string")]
    pub vendid: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub prodid: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub manufacturer: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub product: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub usbpath: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub class: Option<u64>,
}

impl UsbDevice {
    /// `18d1:9302`
    pub fn id(&self) -> String {
        let hex = |s: &Option<String>| {
            s.as_deref()
                .unwrap_or_default()
                .trim_start_matches("0x")
                .to_ascii_lowercase()
        };
        format!("{}:{}", hex(&self.vendid), hex(&self.prodid))
    }
}
