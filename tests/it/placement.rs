//! Device pools and placement against a simulated cluster at scale: several GPU nodes, GPUs held
//! by running VMs, and the scheduler spreading GPU requests over what is free.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use rack::actions::catalog;
use rack::model::devices::devices;
use rack::model::placement::hosts;
use rack::model::{host_rows, instance_rows};
use rack::sched::{Ask, DeviceClass, Headroom, Policy, place_all, rank};
use rack::sim::{SimOptions, Simulator};

/// 24 nodes, frozen: pve001, pve009 and pve017 have two GPUs each, one of them held.
async fn scale() -> (rack::sim::SimHandle, rack::pve::Client) {
    let scenario = rack::sim::generate::generate(24, 300, 5);
    let options = SimOptions {
        speed: 0.0,
        start: Some(common::epoch()),
        ..SimOptions::default()
    };
    let sim = Simulator::start(scenario, options).await.unwrap();
    let client = common::client_of(&sim);
    (sim, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_pools_at_scale_and_requests_spread_over_free_gpus() {
    let (sim, client) = scale().await;
    let snapshot = rack::poll::poll_once("scale", &client, sim.now()).await;
    let resources = snapshot.resources.get().unwrap();
    let data = catalog::device_data(&client, resources).await;
    assert!(data.problems.is_empty(), "{:?}", data.problems);
    let view = devices(&data);

    assert_eq!(view.pools.len(), 1);
    let gpu = &view.pools[0];
    assert_eq!((gpu.id.as_str(), gpu.class), ("gpu", DeviceClass::Gpu));
    assert_eq!(gpu.devices.len(), 6);
    let nodes: std::collections::BTreeSet<&str> =
        gpu.devices.iter().map(|d| d.node.as_str()).collect();
    assert_eq!(nodes, ["pve001", "pve009", "pve017"].into());
    assert!(gpu.devices.iter().all(|d| d.present));
    assert_eq!(gpu.free(), 3, "one GPU of each node is held");
    for node in &nodes {
        let held = gpu
            .devices
            .iter()
            .filter(|d| d.node == *node && d.holder.is_some())
            .count();
        assert_eq!(held, 1, "{node}");
    }
    assert!(view.unpooled.is_empty(), "{:?}", view.unpooled);

    let catalog = catalog::fetch(&client).await;
    let mut cluster = hosts(
        &host_rows(&snapshot),
        &instance_rows(&snapshot),
        &catalog,
        &view,
        &Vec::new(),
        &Default::default(),
    );
    let one_gpu = Ask {
        cores: 8,
        memory: 32 << 30,
        disk: 100 << 30,
        content: "images".into(),
        devices: vec!["gpu".parse().unwrap()],
        ..Ask::default()
    };
    let ranking = rank(&cluster, &one_gpu, Policy::Spread, &Headroom::default());
    let feasible: Vec<&str> = ranking
        .iter()
        .filter(|r| r.feasible)
        .map(|r| r.node.as_str())
        .collect();
    assert_eq!(feasible.len(), 3, "{ranking:#?}");
    assert!(feasible.iter().all(|n| nodes.contains(n)));

    // Two GPUs on one node: no node has two free; the GPU nodes say who holds the other.
    let two = Ask {
        devices: vec!["gpu:2".parse().unwrap()],
        ..one_gpu.clone()
    };
    let ranking = rank(&cluster, &two, Policy::Spread, &Headroom::default());
    assert!(ranking.iter().all(|r| !r.feasible));
    let pve009 = ranking.iter().find(|r| r.node == "pve009").unwrap();
    assert!(
        pve009.reasons[0].starts_with("no 2 free gpus (held by VM "),
        "{pve009:?}"
    );

    // Four requests: three go to three different GPU nodes, the fourth finds none left.
    let asks: Vec<(String, Ask)> = (0..4)
        .map(|i| (format!("VM {}", 5000 + i), one_gpu.clone()))
        .collect();
    let results = place_all(&mut cluster, &asks, Policy::Spread, &Headroom::default());
    let placed: std::collections::BTreeSet<String> = results[..3]
        .iter()
        .map(|r| r.as_ref().unwrap().node.clone())
        .collect();
    assert_eq!(placed.len(), 3);
    let refused = results[3].as_ref().unwrap_err();
    assert!(refused.iter().all(|r| !r.feasible));
    assert!(
        refused
            .iter()
            .any(|r| r.reasons.iter().any(|x| x.contains("placed for VM 500"))),
        "{refused:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devices_pane_at_scale_lists_every_gpu_node() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rack::actions::journal::Journal;
    use rack::app::{App, Settings, embedded};
    use rack::clock::Clock;
    use rack::console::Event;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let (sim, client) = scale().await;
    let settings = Settings {
        clock: Clock::Sim(sim.clock()),
        ..Settings::default()
    };
    let connection = embedded::connection(&sim, "scale");
    let mut app = App::new(
        settings,
        &[connection],
        vec![Ok(client)],
        Journal::disabled(),
    );
    app.model.size = (160, 45);
    app.push(Event::Key(KeyEvent::new(
        KeyCode::Char('3'),
        KeyModifiers::NONE,
    )));
    app.run_headless().await;
    let model = &app.model;
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    terminal
        .draw(|f| rack::ui::draw(model, &rack::config::theme::Theme::default(), f))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Devices(6/6)"), "{screen}");
    for node in ["pve001", "pve009", "pve017"] {
        let rows: Vec<&str> = screen
            .lines()
            .filter(|l| l.starts_with("\"gpu ") && l.contains(node))
            .collect();
        assert_eq!(rows.len(), 2, "two GPUs on {node}:\n{screen}");
        assert_eq!(
            rows.iter().filter(|l| l.contains("held by VM")).count(),
            1,
            "{screen}"
        );
        assert!(rows.iter().any(|l| l.contains("free")), "{screen}");
    }
}
