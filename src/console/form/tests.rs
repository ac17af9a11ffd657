use super::*;
use crate::actions::catalog::{NodeCatalog, StorageInfo};
use crate::config::NetworkAlias;
use crate::model::GuestKind;
use crossterm::event::KeyModifiers;

fn catalog() -> Catalog {
    let mut c = Catalog {
        next_id: Some(105),
        ..Default::default()
    };
    let storage = |name: &str, content: &[&str], free: u64| StorageInfo {
        name: name.into(),
        content: content.iter().map(|s| s.to_string()).collect(),
        shared: false,
        free: Some(free),
        total: Some(free * 2),
        active: true,
    };
    c.nodes.insert(
        "pve1".into(),
        NodeCatalog {
            online: true,
            cores: Some(8),
            memory: Some(32 << 30),
            bridges: vec!["vmbr0".into()],
            storages: vec![
                storage("local", &["iso", "vztmpl"], 50 << 30),
                storage("local-zfs", &["images", "rootdir"], 100 << 30),
            ],
            isos: vec!["local:iso/debian-13.iso".into()],
            templates: vec!["local:vztmpl/debian-13.tar.zst".into()],
        },
    );
    c.nodes.insert(
        "pve2".into(),
        NodeCatalog {
            online: true,
            cores: Some(4),
            memory: Some(16 << 30),
            bridges: vec!["vmbr1".into()],
            storages: vec![storage("tank", &["images"], 10 << 30)],
            ..Default::default()
        },
    );
    c
}

fn form(kind: FormKind) -> CreateForm {
    let nodes = vec![
        NodeOption {
            name: "pve1".into(),
            online: true,
        },
        NodeOption {
            name: "pve2".into(),
            online: true,
        },
    ];
    let taken = [(100, "web01".to_string())].into();
    let mut f = CreateForm::new(0, kind, nodes, Some("pve1".into()), taken);
    f.set_catalog(Ok(catalog()));
    f
}

fn press(f: &mut CreateForm, code: KeyCode) -> Option<Result<Request, String>> {
    f.key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_into(f: &mut CreateForm, field: FieldId, text: &str) {
    f.focus = f.fields().iter().position(|x| *x == field).unwrap();
    // Clear what is there.
    for _ in 0..40 {
        press(f, KeyCode::Backspace);
        press(f, KeyCode::Delete);
    }
    for c in text.chars() {
        press(f, KeyCode::Char(c));
    }
}

#[test]
fn a_vm_form_says_why_as_the_user_types() {
    let mut f = form(FormKind::Vm);
    assert_eq!(f.text(FieldId::Vmid), "105", "the next free VMID");
    assert_eq!(f.choice(FieldId::Storage), "local-zfs");
    assert_eq!(f.choice(FieldId::Network), "vmbr0");
    assert_eq!(
        f.problem(FieldId::Name).as_deref(),
        Some("a name is needed")
    );
    type_into(&mut f, FieldId::Name, "web_02");
    assert!(
        f.problem(FieldId::Name)
            .unwrap()
            .contains("'_' is not allowed")
    );
    type_into(&mut f, FieldId::Name, "web02");
    assert_eq!(f.problem(FieldId::Name), None);
    type_into(&mut f, FieldId::Vmid, "100");
    assert_eq!(
        f.problem(FieldId::Vmid).as_deref(),
        Some("VMID 100 is taken by web01")
    );
    type_into(&mut f, FieldId::Vmid, "42");
    assert!(f.problem(FieldId::Vmid).unwrap().contains("outside"));
    type_into(&mut f, FieldId::Vmid, "120");
    type_into(&mut f, FieldId::Memory, "4 GiB");
    assert_eq!(f.problem(FieldId::Memory), None);
    type_into(&mut f, FieldId::Memory, "64G");
    assert_eq!(
        f.problem(FieldId::Memory).as_deref(),
        Some("pve1 has 32.0 GiB in all")
    );
    type_into(&mut f, FieldId::Memory, "4096M");
    type_into(&mut f, FieldId::Disk, "500G");
    assert_eq!(
        f.problem(FieldId::Disk).as_deref(),
        Some("local-zfs has 100 GiB free")
    );
    type_into(&mut f, FieldId::Disk, "20G");
    type_into(&mut f, FieldId::Gateway, "10.0.0.1");
    assert_eq!(
        f.problem(FieldId::Gateway).as_deref(),
        Some("only with a static IP")
    );
    type_into(&mut f, FieldId::Ip, "10.0.0.5/24");
    assert_eq!(f.problems(), vec![]);

    // Moving to a node without that storage or bridge says so, and refuses the submit.
    f.focus = f.fields().iter().position(|x| *x == FieldId::Node).unwrap();
    press(&mut f, KeyCode::Right);
    assert_eq!(f.choice(FieldId::Node), "pve2");
    let problems = f.problems();
    assert!(
        problems.contains(&(
            FieldId::Storage,
            "\"local-zfs\" is not on pve2 or holds no disk images".into()
        )),
        "{problems:?}"
    );
    assert!(problems.contains(&(FieldId::Network, "\"vmbr0\" is not on pve2".into())));
    let refused = press(&mut f, KeyCode::Enter).unwrap().unwrap_err();
    assert!(refused.starts_with("storage:"), "{refused}");
    assert_eq!(f.focused(), FieldId::Storage);
    press(&mut f, KeyCode::Right);
    f.focus = f
        .fields()
        .iter()
        .position(|x| *x == FieldId::Network)
        .unwrap();
    press(&mut f, KeyCode::Right);
    type_into(&mut f, FieldId::Memory, "2G");
    type_into(&mut f, FieldId::Disk, "8G");
    let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("the form is valid: {:?}", f.problems());
    };
    assert_eq!(
        (
            spec.node.as_str(),
            spec.vmid,
            spec.memory_mib,
            spec.disk_gib
        ),
        ("pve2", 120, 2048, 8)
    );
    assert_eq!(
        (spec.storage.as_str(), spec.bridge.as_str()),
        ("tank", "vmbr1")
    );
    assert_eq!(spec.ip.as_deref(), Some("10.0.0.5/24"));
}

#[test]
fn a_role_brings_its_type_and_tags_and_typing_a_size_makes_it_custom() {
    let mut f = form(FormKind::Vm);
    f.start_from_role();
    assert_eq!(
        (f.choice(FieldId::Role), f.choice(FieldId::Type)),
        ("none", "small")
    );
    assert_eq!(f.text(FieldId::Memory), "4096M");
    f.focus = f.fields().iter().position(|x| *x == FieldId::Role).unwrap();
    press(&mut f, KeyCode::Right);
    assert_eq!(f.choice(FieldId::Role), "k8s-node");
    assert_eq!(f.choice(FieldId::Type), "large");
    assert_eq!(
        (f.text(FieldId::Cores), f.text(FieldId::Memory)),
        ("8".into(), "16384M".into())
    );
    type_into(&mut f, FieldId::Name, "k8s-04");
    type_into(&mut f, FieldId::Cores, "6");
    assert_eq!(f.choice(FieldId::Type), CUSTOM);
    let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("valid: {:?}", f.problems());
    };
    assert_eq!((spec.cores, spec.memory_mib), (6, 16384));
    assert_eq!(spec.tags, ["k8s"]);
}

#[test]
fn a_network_alias_is_offered_by_name_and_sent_as_bridge_and_vlan() {
    let mut f = form(FormKind::Vm);
    f.basis
        .aliases
        .insert("iot".into(), NetworkAlias::parse("vmbr0:28").unwrap());
    let options = f.options(FieldId::Network);
    assert_eq!(options[0].value, "iot");
    assert_eq!(options[0].note, "vmbr0 VLAN 28");
    f.choices.insert(FieldId::Network, "iot".into());
    type_into(&mut f, FieldId::Name, "cam-01");
    let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("valid: {:?}", f.problems());
    };
    assert_eq!((spec.bridge.as_str(), spec.vlan), ("vmbr0", Some(28)));
}

#[test]
fn a_container_needs_a_template_and_a_password_or_key() {
    let mut f = form(FormKind::Vm);
    f.focus = 0;
    press(&mut f, KeyCode::Right);
    assert_eq!(f.kind, FormKind::Ct);
    assert_eq!(f.text(FieldId::Memory), "512M");
    type_into(&mut f, FieldId::Name, "dns01");
    assert_eq!(
        f.problem(FieldId::Password).as_deref(),
        Some("give a root password or an SSH key")
    );
    type_into(&mut f, FieldId::Password, "abc");
    assert_eq!(
        f.problem(FieldId::Password).as_deref(),
        Some("at least 5 characters")
    );
    type_into(&mut f, FieldId::Password, "s3cret-pass");
    assert_eq!(f.problems(), vec![]);
    let Some(Ok(Request::CreateCt(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("valid");
    };
    assert_eq!(spec.template, "local:vztmpl/debian-13.tar.zst");
    assert!(spec.unprivileged);
    assert_eq!(spec.ip.as_deref(), Some("dhcp"));
    assert_eq!(
        spec.password.as_ref().map(|p| p.expose().to_string()),
        Some("s3cret-pass".into())
    );
}

#[test]
fn a_linked_clone_only_of_a_template() {
    let source = GuestRef {
        node: "pve1".into(),
        kind: GuestKind::Qemu,
        vmid: 100,
        name: "web01".into(),
    };
    let mut f = form(FormKind::Clone {
        source: source.clone(),
        template: false,
    });
    assert_eq!(f.text(FieldId::Name), "web01-clone");
    assert!(f.toggle(FieldId::Full));
    f.focus = f.fields().iter().position(|x| *x == FieldId::Full).unwrap();
    press(&mut f, KeyCode::Char(' '));
    assert!(f.toggle(FieldId::Full), "not a template: a full copy");
    let Some(Ok(Request::Clone(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("valid: {:?}", f.problems());
    };
    assert_eq!((spec.newid, spec.target.as_deref()), (105, None));
    assert!(spec.full);
    assert_eq!(spec.storage, None, "same as the source");
}

#[test]
fn a_restore_needs_a_node_that_reaches_the_archive() {
    let mut c = catalog();
    if let Some(n) = c.nodes.get_mut("pve1") {
        n.storages.push(StorageInfo {
            name: "nas".into(),
            content: ["backup".to_string()].into(),
            shared: true,
            free: Some(1 << 40),
            total: Some(2 << 40),
            active: true,
        });
    }
    let source = GuestRef {
        node: "pve1".into(),
        kind: GuestKind::Qemu,
        vmid: 100,
        name: "web01".into(),
    };
    let backups = vec![
        Choice::new(
            "nas:backup/vzdump-qemu-100-new.vma.zst",
            "2026-11-21 02:00 · 1h ago",
        ),
        Choice::new(
            "nas:backup/vzdump-qemu-100-old.vma.zst",
            "2026-11-14 02:00 · 7d ago",
        ),
    ];
    let mut f = form(FormKind::Restore {
        source,
        backups,
        gone: false,
    });
    f.set_catalog(Ok(c));
    assert_eq!(
        f.choice(FieldId::Archive),
        "nas:backup/vzdump-qemu-100-new.vma.zst"
    );
    assert_eq!(f.text(FieldId::Name), "web01-restored");
    assert!(f.toggle(FieldId::Unique), "new MACs by default");
    // The original's VMID is taken; the next free one was filled in.
    assert_eq!(f.text(FieldId::Vmid), "105");
    type_into(&mut f, FieldId::Vmid, "100");
    assert_eq!(
        f.problem(FieldId::Vmid).as_deref(),
        Some("VMID 100 is taken by web01")
    );
    type_into(&mut f, FieldId::Vmid, "105");
    // pve2 has no view of the NAS.
    f.focus = f.fields().iter().position(|x| *x == FieldId::Node).unwrap();
    press(&mut f, KeyCode::Right);
    assert_eq!(f.choice(FieldId::Node), "pve2");
    assert_eq!(
        f.problem(FieldId::Node).as_deref(),
        Some("nas (where the backup is) is not on pve2")
    );
    press(&mut f, KeyCode::Left);
    f.focus = 0;
    press(&mut f, KeyCode::Right);
    let Some(Ok(Request::Restore(spec))) = press(&mut f, KeyCode::Enter) else {
        panic!("no request: {:?}", f.problems())
    };
    assert_eq!(spec.archive, "nas:backup/vzdump-qemu-100-old.vma.zst");
    assert_eq!((spec.node.as_str(), spec.vmid), ("pve1", 105));
    assert_eq!(spec.storage, None, "where the backup's disks were");
    assert!(spec.unique && !spec.start);
}

#[test]
fn a_next_free_vmid_that_could_not_be_read_asks_for_one() {
    let nodes = vec![NodeOption {
        name: "pve1".into(),
        online: true,
    }];
    let mut f = CreateForm::new(0, FormKind::Vm, nodes, Some("pve1".into()), BTreeMap::new());
    f.set_catalog(Ok(Catalog {
        next_id: None,
        ..catalog()
    }));
    assert_eq!(
        f.problem(FieldId::Vmid).as_deref(),
        Some("the next free VMID could not be read: type one")
    );
    type_into(&mut f, FieldId::Vmid, "123");
    assert_eq!(f.problem(FieldId::Vmid), None);
}
