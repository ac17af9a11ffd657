//! The console under test, shared by the console test files (included with `#[path]`): a
//! frozen simulated homelab polled by the real client, events pushed through `update`, screens
//! drawn on ratatui's TestBackend.
#![allow(dead_code)] // each test file uses its own share of these

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::config::keymap::Keymap;
use rack::config::theme::Theme;
use rack::console::model::{ClusterView, Model};
use rack::console::{Effect, Event, update};
use rack::model::{ClusterSnapshot, Focus};
use rack::poll::{Due, refresh_once};
use rack::pve::Client;
use rack::sim::SimOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common;

/// Saturday 2026-11-21 12:00 UTC.
pub const START: u64 = 1_795_262_400;
pub const NAME: &str = "homelab";

pub struct Console {
    pub sim: common::Sim,
    pub client: Client,
    pub model: Model,
    pub at: SystemTime,
}

impl Console {
    pub async fn start(width: u16, height: u16) -> Self {
        Self::start_on("homelab", width, height).await
    }

    /// A console on the built-in `scenario`, frozen at `START`.
    pub async fn start_on(scenario: &str, width: u16, height: u16) -> Self {
        let sim = common::start_with(
            scenario,
            SimOptions {
                speed: 0.0,
                start: Some(START as f64),
                ..SimOptions::default()
            },
        )
        .await;
        let client = common::client_of(&sim.handle);
        let at = UNIX_EPOCH + Duration::from_secs(START);
        let mut model = Model::new(vec![ClusterView::new(NAME, false)], Keymap::default(), at);
        model.size = (width, height);
        let mut console = Self {
            sim,
            client,
            model,
            at,
        };
        console.poll(&Focus::default()).await;
        console
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
        c.sim.advance(seconds).await;
        c.at += Duration::from_secs_f64(seconds);
        c.model.now = c.at;
        // What the open pane reads is read again, as the poller would by now.
        let focus = rack::console::update::focus(&c.model, 0);
        c.poll(&focus).await;
        c
    }

    /// One refresh with everything due, sent to the model as the poller would; then the details
    /// the model asks for, as the loop would.
    pub async fn poll(&mut self, focus: &Focus) {
        let prev = self
            .model
            .clusters
            .first()
            .and_then(|c| c.snapshot.as_deref().cloned())
            .unwrap_or_else(|| ClusterSnapshot::new(NAME));
        let snap = refresh_once(&self.client, prev, focus, Due::ALL, self.at).await;
        let commands = update(&mut self.model, Event::Snapshot(Box::new(snap)));
        for c in commands {
            if let Effect::Focus(0, f) = c {
                Box::pin(self.poll(&f)).await;
            }
        }
    }

    /// Press keys; fetch whatever details the selection then asks for.
    pub async fn keys(&mut self, keys: &[KeyEvent]) {
        let mut focus = None;
        for key in keys {
            for c in update(&mut self.model, Event::Key(*key)) {
                if let Effect::Focus(0, f) = c {
                    focus = Some(f);
                }
            }
        }
        if let Some(f) = focus {
            self.poll(&f).await;
        }
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
