//! The console under test, shared by the console test files: the real `App` on a frozen
//! simulated homelab, driven headless (each event pushed, then everything it asks for read),
//! screens drawn on ratatui's TestBackend.
#![allow(dead_code)] // each test file uses its own share of these

use std::ops::{Deref, DerefMut};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::actions::journal::Journal;
use rack::app::{App, Settings, embedded};
use rack::clock::Clock;
use rack::config::theme::Theme;
use rack::console::Event;
use rack::pve::Client;
use rack::sim::SimOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common;

/// Saturday 2026-11-21 12:00 UTC.
pub const START: u64 = 1_795_262_400;
pub const NAME: &str = "homelab";

/// The console's `App`, driven headless; `c.model` and `c.push(…)` reach it.
pub struct Console {
    pub sim: common::Sim,
    /// A client of its own on the same simulator, for what a test asks the cluster directly.
    pub client: Client,
    pub app: App,
    /// The simulator's clock, as the console reads it.
    pub at: SystemTime,
    /// Where the console's writes are recorded (`audit.jsonl` in it).
    pub scratch: common::Scratch,
}

impl Deref for Console {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl DerefMut for Console {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

impl Console {
    pub async fn start(width: u16, height: u16) -> Self {
        Self::start_on("homelab", width, height).await
    }

    /// A console on the built-in `scenario`, frozen at `START`.
    pub async fn start_on(scenario: &str, width: u16, height: u16) -> Self {
        Self::start_faulty(scenario, width, height, None).await
    }

    /// A console on `scenario` with the simulator's `faults` in force from the start (`absent=`
    /// for an older Proxmox VE).
    pub async fn start_faulty(
        scenario: &str,
        width: u16,
        height: u16,
        faults: Option<&str>,
    ) -> Self {
        let sim = common::start_with(
            scenario,
            SimOptions {
                speed: 0.0,
                start: Some(START as f64),
                faults: faults.map(str::to_string),
                ..SimOptions::default()
            },
        )
        .await;
        let scratch = common::Scratch::new("console");
        let audit = scratch.join("audit.jsonl");
        let client = common::client_audited(&sim.handle, &audit, NAME);
        let settings = Settings {
            clock: Clock::Sim(sim.handle.clock()),
            ..Settings::default()
        };
        let mut app = App::new(
            settings,
            &[embedded::connection(&sim.handle, NAME)],
            vec![Ok(client.clone())],
            Journal::disabled(),
        );
        app.model.size = (width, height);
        app.model.audit_path = Some(audit);
        app.run_headless().await;
        let at = UNIX_EPOCH + Duration::from_secs(START);
        Self {
            sim,
            client,
            app,
            at,
            scratch,
        }
    }

    /// The homelab with faults: pve-ms01-02 lost power five minutes ago (its OSDs down, Ceph
    /// degraded, its HA guests recovered elsewhere), and 202's weekly backups failing.
    pub async fn faulted(width: u16, height: u16) -> Self {
        Self::host_down_for(width, height, 300.0).await
    }

    /// The homelab with pve-ms01-02 powered off `seconds` ago.
    pub async fn host_down_for(width: u16, height: u16, seconds: f64) -> Self {
        let mut c = Self::start(width, height).await;
        let r = c
            .sim
            .control("POST", "/nodes/pve-ms01-02/power", &[("state", "off")])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        c.later(seconds).await;
        c
    }

    /// The simulated world `seconds` on; the console's clock ticks and what it shows is read
    /// again, as the poller would by now.
    pub async fn later(&mut self, seconds: f64) {
        self.sim.advance(seconds).await;
        self.at = self.app.now();
        self.app.tick();
        self.poll().await;
    }

    /// One refresh with everything due, and then the details the model asks for, as the
    /// poller would.
    pub async fn poll(&mut self) {
        self.app.refresh_all();
        self.app.run_headless().await;
    }

    /// Run until the screen shows `what` (terminal output and log lines arrive as events from
    /// tasks of their own), for up to ten seconds.
    pub async fn until(&mut self, what: &str) -> String {
        for _ in 0..200 {
            self.app.run_headless().await;
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{what:?} never showed:\n{}", self.screen());
    }

    /// Press keys; fetch whatever details the selection then asks for.
    pub async fn keys(&mut self, keys: &[KeyEvent]) {
        for key in keys {
            self.app.push(Event::Key(*key));
        }
        self.app.run_headless().await;
    }

    /// Every write the simulator received from this console is in its audit log, with its
    /// outcome.
    pub async fn audited(&self) {
        common::assert_audited(&self.sim, &self.scratch.join("audit.jsonl"), NAME).await;
    }

    pub fn screen(&self) -> String {
        let (w, h) = self.model.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| rack::ui::draw(&self.model, &Theme::default(), f))
            .unwrap();
        terminal.backend().to_string()
    }

    pub fn visible_names(&self) -> Vec<String> {
        let c = &self.model.clusters[0];
        self.model
            .instances
            .visible
            .iter()
            .map(|&i| c.instances[i].name.clone())
            .collect()
    }
}

pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn typed(text: &str) -> Vec<KeyEvent> {
    text.chars().map(key).collect()
}
