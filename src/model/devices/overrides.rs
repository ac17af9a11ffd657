//! The config's manual device inventory laid over what the nodes report.

use super::*;

/// An entry of the config's manual inventory, merged over what was discovered: it changes a
/// pool's class or description, renames or hides one device, or adds one the node lists but rack
/// would not (a USB accelerator it does not know, say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceOverride {
    /// A pool as a whole …
    pub pool: Option<String>,
    /// … or one device: its node and its PCI path or USB id.
    pub node: Option<String>,
    pub path: Option<String>,
    pub class: Option<DeviceClass>,
    pub name: Option<String>,
    pub hide: bool,
}

/// The pools of picked devices `(pool, device)`, split by bus: (PCI, USB). The bus decides the
/// config key a device is attached with (`hostpciN` or `usbN`).
pub fn pools_by_bus(picked: &[(String, String)], data: &DeviceData) -> (Vec<String>, Vec<String>) {
    picked
        .iter()
        .map(|(pool, _)| pool.clone())
        .partition(|pool| !data.usb_mappings.iter().any(|m| &m.id == pool))
}

/// Pools and unpooled devices, with the config's inventory merged over them.
pub fn devices_with(data: &DeviceData, overrides: &[DeviceOverride]) -> Devices {
    let mut view = devices(data);
    for o in overrides {
        match (&o.node, &o.path) {
            (Some(node), Some(path)) => device_override(&mut view, data, o, node, path),
            _ => {
                let Some(pool) = &o.pool else { continue };
                if o.hide {
                    view.pools.retain(|p| &p.id != pool);
                    continue;
                }
                if let Some(p) = view.pools.iter_mut().find(|p| &p.id == pool) {
                    if let Some(c) = o.class {
                        p.class = c;
                    }
                    if let Some(n) = &o.name {
                        p.description = n.clone();
                    }
                }
            }
        }
    }
    view
}

fn device_override(
    view: &mut Devices,
    data: &DeviceData,
    o: &DeviceOverride,
    node: &str,
    path: &str,
) {
    let matches = |n: &str, p: &str, id: &str| n == node && (p == path || id == path);
    let mut found = false;
    for pool in &mut view.pools {
        if o.hide {
            let before = pool.devices.len();
            pool.devices.retain(|d| !matches(&d.node, &d.path, &d.id));
            found |= pool.devices.len() != before;
            continue;
        }
        for d in pool
            .devices
            .iter_mut()
            .filter(|d| matches(&d.node, &d.path, &d.id))
        {
            found = true;
            if let Some(n) = &o.name {
                d.name = Some(n.clone());
            }
        }
    }
    if o.hide {
        view.unpooled.retain(|u| !matches(&u.node, &u.path, &u.id));
        return;
    }
    for u in view
        .unpooled
        .iter_mut()
        .filter(|u| matches(&u.node, &u.path, &u.id))
    {
        found = true;
        if let Some(c) = o.class {
            u.class = c;
        }
        if let Some(n) = &o.name {
            u.name = n.clone();
        }
    }
    if found {
        return;
    }
    // Not shown yet: what the node lists, or else what the config says.
    let pci = data
        .pci
        .get(node)
        .and_then(|l| l.iter().find(|d| d.id == full_pci(path)));
    let usb = data
        .usb
        .get(node)
        .and_then(|l| l.iter().find(|d| d.id() == path.to_ascii_lowercase()));
    let (bus, path, id, hw_name, class) = match (pci, usb) {
        (Some(d), _) => (
            Bus::Pci,
            d.id.clone(),
            hex_id(&d.vendor, &d.device),
            Some(pci_name(d)),
            pci_class(&d.class),
        ),
        (None, Some(d)) => (
            Bus::Usb,
            d.id(),
            d.id(),
            Some(usb_name(d)),
            usb_class(&d.id()),
        ),
        (None, None) => (
            if path.contains('.') {
                Bus::Pci
            } else {
                Bus::Usb
            },
            path.to_string(),
            String::new(),
            None,
            DeviceClass::Other,
        ),
    };
    view.unpooled.push(Unpooled {
        node: node.to_string(),
        bus,
        path: clean(&path),
        id: clean(&id),
        class: o.class.unwrap_or(class),
        name: o
            .name
            .clone()
            .or(hw_name)
            .unwrap_or_else(|| "(in the config; the node does not list it)".into()),
        mdev: false,
        holder: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_renames_hides_reclassifies_and_adds() {
        let mut data = DeviceData::default();
        data.pci.insert(
            "pve1".into(),
            vec![PciDevice {
                id: "0000:01:00.0".into(),
                class: "0x030000".into(),
                vendor: "0x10de".into(),
                device: "0x2484".into(),
                ..PciDevice::default()
            }],
        );
        data.usb.insert(
            "pve1".into(),
            vec![UsbDevice {
                vendid: Some("0x1234".into()),
                prodid: Some("0x5678".into()),
                product: Some("Hailo-8".into()),
                ..UsbDevice::default()
            }],
        );
        data.pci_mappings = vec![Mapping {
            id: "gpu".into(),
            map: vec!["node=pve1,path=0000:01:00.0,id=10de:2484".into()],
            ..Mapping::default()
        }];
        let overrides = vec![
            DeviceOverride {
                pool: Some("gpu".into()),
                name: Some("RTX 3070 pool".into()),
                ..Default::default()
            },
            DeviceOverride {
                node: Some("pve1".into()),
                path: Some("0000:01:00.0".into()),
                name: Some("RTX 3070".into()),
                ..Default::default()
            },
            DeviceOverride {
                node: Some("pve1".into()),
                path: Some("1234:5678".into()),
                class: Some(DeviceClass::Tpu),
                ..Default::default()
            },
        ];
        let v = devices_with(&data, &overrides);
        assert_eq!(v.pools[0].description, "RTX 3070 pool");
        assert_eq!(v.pools[0].devices[0].name.as_deref(), Some("RTX 3070"));
        assert_eq!(v.unpooled.len(), 1, "the USB accelerator is added");
        assert_eq!(
            (v.unpooled[0].class, v.unpooled[0].name.as_str()),
            (DeviceClass::Tpu, "Hailo-8")
        );
        let hide = vec![DeviceOverride {
            node: Some("pve1".into()),
            path: Some("0000:01:00.0".into()),
            hide: true,
            ..Default::default()
        }];
        assert!(devices_with(&data, &hide).pools[0].devices.is_empty());
    }
}
