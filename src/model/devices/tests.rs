use super::*;
use crate::sched::DeviceAsk;

fn mapping(id: &str, map: &[&str]) -> Mapping {
    Mapping {
        id: id.into(),
        description: Some(format!("{id} pool")),
        map: map.iter().map(|s| s.to_string()).collect(),
        ..Mapping::default()
    }
}

fn gpu(id: &str) -> PciDevice {
    PciDevice {
        id: id.into(),
        class: "0x030000".into(),
        vendor: "0x10de".into(),
        device: "0x2484".into(),
        device_name: Some("GA104 [GeForce RTX 3070]".into()),
        ..PciDevice::default()
    }
}

fn data() -> DeviceData {
    let mut d = DeviceData {
        pci_mappings: vec![mapping(
            "gpu",
            &[
                "node=pve1,path=0000:01:00.0,id=10de:2484,iommugroup=12",
                "node=pve2,path=0000:01:00.0,id=10de:2484",
            ],
        )],
        usb_mappings: vec![mapping("coral", &["node=pve1,id=18d1:9302"])],
        ..DeviceData::default()
    };
    d.pci.insert("pve1".into(), vec![gpu("0000:01:00.0")]);
    d.pci.insert(
        "pve2".into(),
        vec![
            gpu("0000:01:00.0"),
            gpu("0000:02:00.0"),
            gpu("0000:02:00.1"),
        ],
    );
    d.usb.insert(
        "pve1".into(),
        vec![UsbDevice {
            vendid: Some("0x18d1".into()),
            prodid: Some("0x9302".into()),
            product: Some("Coral".into()),
            ..UsbDevice::default()
        }],
    );
    d.guests = vec![
        GuestDevices {
            vmid: 105,
            name: "frigate".into(),
            node: "pve1".into(),
            running: true,
            entries: vec![
                ("hostpci0".into(), "mapping=gpu,pcie=1".into()),
                ("usb0".into(), "mapping=coral".into()),
            ],
        },
        GuestDevices {
            vmid: 110,
            name: "llm".into(),
            node: "pve2".into(),
            running: false,
            entries: vec![("hostpci0".into(), "mapping=gpu".into())],
        },
        GuestDevices {
            vmid: 120,
            name: "raw".into(),
            node: "pve2".into(),
            running: true,
            entries: vec![("hostpci0".into(), "02:00.0".into())],
        },
    ];
    d
}

#[test]
fn pools_show_holders_claims_and_what_is_free() {
    let v = devices(&data());
    let gpu = v.pools.iter().find(|p| p.id == "gpu").unwrap();
    assert_eq!(gpu.class, DeviceClass::Gpu);
    assert_eq!(gpu.devices.len(), 2);
    assert_eq!(
        gpu.devices[0].holder.as_ref().map(|h| h.label()),
        Some("VM 105 (frigate)".into())
    );
    assert_eq!(gpu.devices[0].iommu_group, Some(12));
    assert!(gpu.devices[1].holder.is_none());
    assert_eq!(gpu.free(), 1);
    assert_eq!(gpu.claims.len(), 1, "the stopped llm VM claims a GPU");
    let coral = v.pools.iter().find(|p| p.id == "coral").unwrap();
    assert_eq!(coral.class, DeviceClass::Tpu);
    assert_eq!(coral.free(), 0);
}

#[test]
fn asks_name_known_pools_and_need_every_holder_read() {
    let mut d = data();
    let v = devices(&d);
    let ask = |s: &str| vec![s.parse::<DeviceAsk>().unwrap()];
    assert_eq!(check_asks(&v, &d, &ask("gpu")), Ok(()));
    assert_eq!(
        check_asks(&v, &d, &ask("tpu")),
        Ok(()),
        "a class names pools too"
    );
    assert_eq!(
        check_asks(&v, &d, &ask("nvidia")),
        Err("no pool or class 'nvidia' (have: coral, gpu)".into())
    );
    d.unknown_holders.push("config of VM 111: 500".into());
    assert_eq!(
        check_asks(&v, &d, &ask("gpu")),
        Err("cannot tell which devices are free: config of VM 111: 500 (try again once it can be read)".into())
    );
    assert_eq!(
        check_asks(&v, &d, &[]),
        Ok(()),
        "no devices asked, nothing to know"
    );
}

#[test]
fn a_vm_starts_only_where_its_mapping_has_a_free_device() {
    let v = devices(&data());
    let gpu = v.pools.iter().find(|p| p.id == "gpu").unwrap();
    let held = gpu.devices[0].node.clone();
    let free = gpu.devices[1].node.clone();
    let entries = vec![("hostpci0".to_string(), "gpu".to_string())];
    assert_eq!(start_blocker(&v, 999, &free, &entries), None);
    assert_eq!(
        start_blocker(&v, 999, &held, &entries),
        Some(format!(
            "hostpci0: every device of mapping 'gpu' on {held} is in use by VM 105 (frigate)"
        ))
    );
    // Its own holder may start it again.
    assert_eq!(start_blocker(&v, 105, &held, &entries), None);
    assert_eq!(
        start_blocker(&v, 999, "elsewhere", &entries),
        Some("hostpci0: mapping 'gpu' has no entry for node 'elsewhere'".into())
    );
    let coral = vec![("usb0".to_string(), "coral".to_string())];
    let coral_node = v.pools.iter().find(|p| p.id == "coral").unwrap().devices[0]
        .node
        .clone();
    let why = start_blocker(&v, 999, &coral_node, &coral).unwrap();
    assert!(
        why.starts_with("usb0: every device of mapping 'coral' on"),
        "{why}"
    );
    assert_eq!(
        mapped_entries(
            [
                ("hostpci0".to_string(), "mapping=gpu,pcie=1".to_string()),
                ("usb1".to_string(), "host=1a6e:089a".to_string()),
                ("net0".to_string(), "virtio,bridge=vmbr0".to_string()),
            ]
            .iter()
            .map(|(k, v)| (k, v))
        ),
        entries
    );
}

#[test]
fn unpooled_gpus_are_listed_once_with_their_holder() {
    let v = devices(&data());
    assert_eq!(v.unpooled.len(), 1, "{:?}", v.unpooled);
    let u = &v.unpooled[0];
    assert_eq!((u.node.as_str(), u.path.as_str()), ("pve2", "0000:02:00.0"));
    assert_eq!(u.holder.as_ref().map(|h| h.vmid), Some(120));
    assert_eq!(u.class, DeviceClass::Gpu);
}

#[test]
fn a_device_whose_holder_cannot_be_read_is_not_shown_free() {
    let t0 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_773_136_800);
    let good = data();
    // VM 105 (holding pve1's GPU and the Coral) cannot be read this time.
    let mut bad = data();
    bad.guests.retain(|g| g.vmid != 105);
    bad.partial.failed(config_part(105), "HTTP 500");
    bad.config_nodes.insert(105, "pve1".into());
    bad.unknown_holders
        .push("config of VM 105: HTTP 500".into());
    // Never read before: the devices it may hold are unknown, not free.
    let state = |d: &DeviceData| {
        lines::lines(&devices(d))
            .into_iter()
            .find(|l| l.pool.as_deref() == Some("coral"))
            .unwrap()
            .state()
    };
    assert_eq!(state(&bad), "unknown: config of VM 105 not read");
    // Read before: the last good read says who holds it, and its age is kept.
    bad.keep_last_good(&good, t0);
    assert_eq!(state(&bad), "held by VM 105 (frigate)");
    assert_eq!(
        bad.partial.get(&config_part(105)).unwrap().read_at,
        Some(t0)
    );
    // Placement does not trust the older read.
    assert!(!bad.unknown_holders.is_empty());
}

#[test]
fn a_device_on_a_hardware_list_or_mapping_never_read_is_unknown() {
    // pve1's PCI list was never read: its GPU is not "not found on the node".
    let gpu_on_pve1 = |holder_read: bool| {
        let mut d = data();
        d.pci.remove("pve1");
        if !holder_read {
            d.guests.retain(|g| g.vmid != 105);
        }
        d.partial.failed("PCI hardware of pve1", "HTTP 500");
        lines::lines(&devices(&d))
            .into_iter()
            .find(|l| l.pool.as_deref() == Some("gpu") && l.node == "pve1")
            .unwrap()
            .state()
    };
    assert_eq!(
        gpu_on_pve1(true),
        "held by VM 105 (frigate)",
        "its holder is known"
    );
    assert_eq!(gpu_on_pve1(false), "unknown: PCI hardware of pve1 not read");
    // The USB mappings were never read: the Coral is not "free, no mapping".
    let mut d = data();
    d.usb_mappings.clear();
    d.partial.failed("USB mappings", "HTTP 500");
    let rows = lines::lines(&devices(&d));
    let coral = rows.iter().find(|l| l.bus == Bus::Usb).unwrap();
    assert_eq!(coral.state(), "unknown: USB mappings not read");
}
