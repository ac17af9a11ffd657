use super::*;
use proptest::prelude::*;

const GIB: u64 = 1 << 30;

fn storage(name: &str, content: &[&str], shared: bool, total: u64, used: u64) -> HostStorage {
    HostStorage {
        name: name.into(),
        content: content.iter().map(|s| s.to_string()).collect(),
        shared,
        active: true,
        total,
        used,
    }
}

fn host(name: &str, memory_used: u64, load: f64) -> Host {
    Host {
        name: name.into(),
        online: true,
        maintenance: false,
        threads: 20,
        vcpus: 16,
        cpu_load: load,
        memory_total: 96 * GIB,
        memory_used,
        storages: vec![
            storage(
                "local-zfs",
                &["images", "rootdir"],
                false,
                400 * GIB,
                100 * GIB,
            ),
            storage(
                "ceph-vm",
                &["images", "rootdir"],
                true,
                3000 * GIB,
                1000 * GIB,
            ),
        ],
        networks: ["vmbr0", "vlan16"].into_iter().map(String::from).collect(),
        devices: Vec::new(),
        tags: BTreeMap::new(),
    }
}

/// Three hosts like the homelab's: the GPU and the Coral are on pve-aimax-01.
fn homelab() -> Vec<Host> {
    let mut aimax = host("pve-aimax-01", 30 * GIB, 0.15);
    aimax.memory_total = 128 * GIB;
    aimax.threads = 32;
    aimax.devices = vec![
        Device {
            pool: "gpu".into(),
            class: DeviceClass::Gpu,
            id: "0000:c5:00.0".into(),
            taken_by: None,
            claimed_by: Vec::new(),
        },
        Device {
            pool: "coral".into(),
            class: DeviceClass::Tpu,
            id: "18d1:9302".into(),
            taken_by: None,
            claimed_by: Vec::new(),
        },
    ];
    aimax.networks.insert("vlan28".into());
    vec![
        aimax,
        host("pve-ms01-01", 28 * GIB, 0.25),
        host("pve-ms01-02", 45 * GIB, 0.2),
    ]
}

fn ask(memory_gib: u64) -> Ask {
    Ask {
        cores: 4,
        memory: memory_gib * GIB,
        disk: 32 * GIB,
        content: "images".into(),
        ..Ask::default()
    }
}

#[test]
fn a_gpu_goes_where_the_gpu_is_and_the_others_say_why_not() {
    let mut want = ask(16);
    want.devices = vec!["gpu".parse().unwrap()];
    let ranking = rank(&homelab(), &want, Policy::Spread, &Headroom::default());
    assert_eq!(ranking[0].node, "pve-aimax-01");
    assert!(ranking[0].feasible);
    assert_eq!(
        ranking[0].devices,
        vec![("gpu".to_string(), "0000:c5:00.0".to_string())]
    );
    for r in &ranking[1..] {
        assert!(!r.feasible);
        assert_eq!(r.reasons, ["no free gpu"], "{r:?}");
    }
    // By pool name as well as by class.
    want.devices = vec!["coral".parse().unwrap()];
    let ranking = rank(&homelab(), &want, Policy::Spread, &Headroom::default());
    assert_eq!(ranking[0].node, "pve-aimax-01");
    assert_eq!(
        ranking[1].reasons,
        ["no free device in pool 'coral'"],
        "{:?}",
        ranking[1]
    );
}

#[test]
fn a_second_gpu_request_is_refused_while_the_only_one_is_taken() {
    let mut hosts = homelab();
    let mut want = ask(8);
    want.devices = vec!["gpu".parse().unwrap()];
    let asks = vec![
        ("VM 300".to_string(), want.clone()),
        ("VM 301".to_string(), want),
    ];
    let results = place_all(&mut hosts, &asks, Policy::Spread, &Headroom::default());
    assert_eq!(results[0].as_ref().unwrap().node, "pve-aimax-01");
    let refused = results[1].as_ref().unwrap_err();
    let aimax = refused.iter().find(|r| r.node == "pve-aimax-01").unwrap();
    assert_eq!(aimax.reasons, ["no free gpu (placed for VM 300)"]);
}

#[test]
fn every_reason_is_given_in_words() {
    let mut hosts = homelab();
    hosts[1].online = false;
    hosts[2].maintenance = true;
    hosts[2].storages[0].used = 395 * GIB;
    let mut want = ask(90);
    want.network = Some("vlan28".into());
    want.storage = Some("local-zfs".into());
    let ranking = rank(&hosts, &want, Policy::Spread, &Headroom::default());
    let by = |n: &str| {
        ranking
            .iter()
            .find(|r| r.node == n)
            .unwrap()
            .reasons
            .clone()
    };
    assert_eq!(by("pve-aimax-01"), ["memory would be 94 % > 85 % headroom"]);
    assert_eq!(
        by("pve-ms01-01"),
        [
            "offline",
            "memory would be 123 % > 85 % headroom",
            "network 'vlan28' not on this node"
        ]
    );
    assert_eq!(
        by("pve-ms01-02"),
        [
            "in maintenance",
            "memory would be 141 % > 85 % headroom",
            "storage 'local-zfs' full",
            "network 'vlan28' not on this node"
        ]
    );
}

#[test]
fn spread_takes_the_least_loaded_and_pack_the_fullest() {
    let hosts = homelab();
    let want = ask(4);
    let spread = rank(&hosts, &want, Policy::Spread, &Headroom::default());
    assert_eq!(spread[0].node, "pve-aimax-01", "{spread:#?}");
    let pack = rank(&hosts, &want, Policy::Pack, &Headroom::default());
    assert_eq!(pack[0].node, "pve-ms01-02", "{pack:#?}");
}

#[test]
fn a_pin_anti_affinity_and_ha_storage() {
    let mut hosts = homelab();
    let mut want = ask(4);
    want.node = Some("pve-ms01-02".into());
    let r = rank(&hosts, &want, Policy::Spread, &Headroom::default());
    assert_eq!(r[0].node, "pve-ms01-02");
    assert!(r[1..].iter().all(|x| !x.feasible));
    assert_eq!(r[1].reasons, ["not pve-ms01-02, the node asked for"]);

    want.node = None;
    want.shared = true;
    let r = rank(&hosts, &want, Policy::Spread, &Headroom::default());
    assert_eq!(r[0].storage.as_deref(), Some("ceph-vm"));

    want.anti_affinity = vec!["k8s".into()];
    hosts[0].tags.insert("k8s".into(), 2);
    let r = rank(&hosts, &want, Policy::Spread, &Headroom::default());
    assert_ne!(r[0].node, "pve-aimax-01", "{r:#?}");
}

#[test]
fn a_batch_is_spread_over_the_hosts() {
    let mut hosts = homelab();
    let asks: Vec<(String, Ask)> = (0..6).map(|i| (format!("VM {i}"), ask(20))).collect();
    let results = place_all(&mut hosts, &asks, Policy::Spread, &Headroom::default());
    let nodes: BTreeSet<String> = results
        .iter()
        .map(|r| r.as_ref().unwrap().node.clone())
        .collect();
    assert_eq!(nodes.len(), 3, "{results:#?}");
}

#[test]
fn device_asks_parse() {
    assert_eq!(
        "gpu:2".parse::<DeviceAsk>(),
        Ok(DeviceAsk {
            selector: "gpu".into(),
            count: 2
        })
    );
    assert!("gpu:0".parse::<DeviceAsk>().is_err());
    assert!(":2".parse::<DeviceAsk>().is_err());
}

// Property tests: random hosts and asks.

fn arb_host(i: usize) -> impl Strategy<Value = Host> {
    (
        any::<bool>(),
        prop::bool::weighted(0.1),
        1u32..64,
        0u32..200,
        0.0f64..1.0,
        1u64..256,
        0u64..256,
        prop::collection::vec((0u64..1000, 0u64..1000, any::<bool>()), 0..3),
        prop::collection::vec(any::<bool>(), 0..3),
        prop::collection::vec((0usize..3, any::<bool>()), 0..4),
    )
        .prop_map(
            move |(online, maintenance, threads, vcpus, load, total, used, stores, nets, devs)| {
                let pools = ["gpu", "coral", "nic"];
                Host {
                    name: format!("node{i}"),
                    online: online || i == 0,
                    maintenance,
                    threads,
                    vcpus,
                    cpu_load: load,
                    memory_total: total * GIB,
                    memory_used: used.min(total) * GIB,
                    storages: stores
                        .into_iter()
                        .enumerate()
                        .map(|(k, (t, u, shared))| {
                            storage(
                                &format!("s{k}"),
                                &["images"],
                                shared,
                                t * GIB,
                                u.min(t) * GIB,
                            )
                        })
                        .collect(),
                    networks: nets
                        .into_iter()
                        .enumerate()
                        .filter(|(_, on)| *on)
                        .map(|(k, _)| format!("net{k}"))
                        .collect(),
                    devices: devs
                        .into_iter()
                        .enumerate()
                        .map(|(k, (p, taken))| Device {
                            pool: pools[p].into(),
                            class: if p == 1 {
                                DeviceClass::Tpu
                            } else {
                                DeviceClass::Gpu
                            },
                            id: format!("node{i}-dev{k}"),
                            taken_by: taken.then(|| "held by VM 1".to_string()),
                            claimed_by: Vec::new(),
                        })
                        .collect(),
                    tags: BTreeMap::new(),
                }
            },
        )
}

fn arb_hosts() -> impl Strategy<Value = Vec<Host>> {
    (1usize..6)
        .prop_flat_map(|n| (0..n).map(arb_host).collect::<Vec<_>>())
        .prop_map(|mut hosts| {
            // A shared storage is one and the same seen from every host.
            let mut seen: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for h in &mut hosts {
                for s in h.storages.iter_mut().filter(|s| s.shared) {
                    let (t, u) = *seen.entry(s.name.clone()).or_insert((s.total, s.used));
                    s.total = t;
                    s.used = u;
                }
            }
            hosts
        })
}

fn arb_ask() -> impl Strategy<Value = Ask> {
    (
        1u32..16,
        1u64..64,
        1u64..200,
        prop::option::of(0usize..3),
        prop::option::of(0usize..3),
        any::<bool>(),
        prop::collection::vec(
            prop::sample::select(vec!["gpu", "coral", "tpu", "nic"]),
            0..3,
        ),
    )
        .prop_map(|(cores, mem, disk, storage, net, shared, devs)| Ask {
            cores,
            memory: mem * GIB,
            disk: disk * GIB,
            storage: storage.map(|k| format!("s{k}")),
            content: "images".into(),
            shared,
            network: net.map(|k| format!("net{k}")),
            devices: devs
                .into_iter()
                .map(|d| DeviceAsk {
                    selector: d.into(),
                    count: 1,
                })
                .collect(),
            node: None,
            anti_affinity: Vec::new(),
            ha_rule: None,
        })
}

/// The hard constraints, checked independently of `judge`.
fn violates(host: &Host, ask: &Ask, r: &Ranked, headroom: &Headroom) -> Option<String> {
    if !host.online || host.maintenance {
        return Some("placed on an offline or maintenance host".into());
    }
    let mem = (host.memory_used + ask.memory) as f64 / host.memory_total as f64;
    if mem > headroom.memory {
        return Some(format!("memory {mem}"));
    }
    if (host.vcpus + ask.cores) as f64 / host.threads as f64 > headroom.cpu {
        return Some("vCPUs over".into());
    }
    if let Some(net) = &ask.network
        && !host.networks.contains(net)
    {
        return Some("network missing".into());
    }
    let Some(s) = r
        .storage
        .as_ref()
        .and_then(|n| host.storages.iter().find(|s| &s.name == n))
    else {
        return Some("no storage".into());
    };
    if (s.used + ask.disk) as f64 / s.total as f64 > headroom.storage || (ask.shared && !s.shared) {
        return Some("storage over or not shared".into());
    }
    if let Some(want) = &ask.storage
        && *want != s.name
    {
        return Some("other storage than asked".into());
    }
    let ids: BTreeSet<&String> = r.devices.iter().map(|(_, id)| id).collect();
    if ids.len() != r.devices.len() {
        return Some("a device picked twice".into());
    }
    for (_, id) in &r.devices {
        match host.devices.iter().find(|d| &d.id == id) {
            Some(d) if d.taken_by.is_none() => {}
            _ => return Some(format!("device {id} not free here")),
        }
    }
    if r.devices.len() != ask.devices.len() {
        return Some("devices missing".into());
    }
    None
}

proptest! {
    #[test]
    fn no_placement_breaks_a_hard_constraint(hosts in arb_hosts(), ask in arb_ask(), pack in any::<bool>()) {
        let policy = if pack { Policy::Pack } else { Policy::Spread };
        let headroom = Headroom::default();
        let ranking = rank(&hosts, &ask, policy, &headroom);
        prop_assert_eq!(ranking.len(), hosts.len());
        for r in ranking.iter().filter(|r| r.feasible) {
            let host = hosts.iter().find(|h| h.name == r.node).unwrap();
            prop_assert_eq!(violates(host, &ask, r, &headroom), None, "{:?}", r);
        }
        for r in ranking.iter().filter(|r| !r.feasible) {
            prop_assert!(!r.reasons.is_empty(), "an excluded host says why");
        }
    }

    #[test]
    fn the_chosen_node_is_never_worse_than_another_feasible_one(hosts in arb_hosts(), ask in arb_ask(), pack in any::<bool>()) {
        let policy = if pack { Policy::Pack } else { Policy::Spread };
        let ranking = rank(&hosts, &ask, policy, &Headroom::default());
        if let Some(best) = ranking.first().filter(|r| r.feasible) {
            for other in ranking.iter().filter(|r| r.feasible) {
                prop_assert!(best.score >= other.score, "{:?} before {:?}", best, other);
            }
        }
    }

    #[test]
    fn a_batch_never_overfills_a_host(mut hosts in arb_hosts(), asks in prop::collection::vec(arb_ask(), 1..8)) {
        let headroom = Headroom::default();
        let named: Vec<(String, Ask)> = asks.into_iter().enumerate().map(|(i, a)| (format!("VM {i}"), a)).collect();
        let before = hosts.clone();
        let results = place_all(&mut hosts, &named, Policy::Spread, &headroom);
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for ((_, ask), result) in named.iter().zip(&results) {
            if let Ok(r) = result {
                for (_, id) in &r.devices {
                    prop_assert!(taken.insert(id.clone()), "device {} given twice", id);
                }
                let _ = ask;
            }
        }
        for (h, b) in hosts.iter().zip(&before) {
            if h.memory_used != b.memory_used {
                prop_assert!(h.memory_used as f64 / h.memory_total as f64 <= headroom.memory + 1e-9);
            }
            for (s, sb) in h.storages.iter().zip(&b.storages) {
                if s.used != sb.used {
                    prop_assert!(s.used as f64 / s.total as f64 <= headroom.storage + 1e-9);
                }
            }
        }
    }
}
