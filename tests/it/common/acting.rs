//! The console acting under test, shared by the console action test files: the real `App`
//! with its queue on a running simulator, driven headless, and what the screen then shows.
#![allow(dead_code)] // each test file uses its own share of these

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::actions::journal::Journal;
use rack::app::{App, Settings, embedded};
use rack::clock::Clock;
use rack::config::theme::Theme;
use rack::console::Event;
use rack::console::dialog::Dialog;
use rack::pve::Client;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common;

/// The console's `App` on a running simulator with the real queue; `c.model` and `c.push(…)`
/// reach it.
pub struct Console {
    pub sim: common::Sim,
    /// A client of its own on the same simulator, for what a test asks the cluster directly.
    pub client: Client,
    pub app: App,
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
    pub async fn start(read_only: bool) -> Self {
        let sim = common::start("homelab", 20.0).await;
        let scratch = common::Scratch::new("acting");
        let audit = scratch.join("audit.jsonl");
        let client = common::client_audited(&sim.handle, &audit, "lab");
        let mut cluster = embedded::connection(&sim.handle, "lab");
        cluster.read_only = read_only;
        let settings = Settings {
            clock: Clock::Sim(sim.handle.clock()),
            task_poll: Duration::from_millis(200),
            ..Settings::default()
        };
        let mut app = App::new(
            settings,
            &[cluster],
            vec![Ok(client.clone())],
            Journal::disabled(),
        );
        app.model.size = (140, 40);
        app.model.audit_path = Some(audit);
        app.run_headless().await;
        Self {
            sim,
            client,
            app,
            scratch,
        }
    }

    /// Every write the simulator received from this console is in its audit log, with its
    /// outcome.
    pub async fn audited(&self) {
        common::assert_audited(&self.sim, &self.scratch.join("audit.jsonl"), "lab").await;
    }

    /// Read the cluster again, and the details the model then asks for.
    pub async fn poll(&mut self) {
        self.app.refresh_all();
        self.app.run_headless().await;
    }

    /// Push one event and carry out what it asks for.
    pub async fn event(&mut self, event: Event) {
        self.app.push(event);
        self.app.run_headless().await;
    }

    pub async fn keys(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            self.event(Event::Key(*k)).await;
        }
    }

    /// Until every job submitted has ended; then read again what they changed.
    pub async fn settle(&mut self) {
        assert!(
            self.app.settle(Duration::from_secs(60)).await,
            "jobs did not settle"
        );
    }

    /// Until the next event (a job moving on, most often) has been pushed.
    pub async fn next_event(&mut self) {
        let mut seen = false;
        let pushed = self
            .app
            .wait_until(
                |_| std::mem::replace(&mut seen, true),
                Duration::from_secs(60),
            )
            .await;
        assert!(pushed, "no event came");
    }

    pub fn screen(&self) -> String {
        let (w, h) = self.model.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| rack::ui::draw(&self.model, &Theme::default(), f))
            .unwrap();
        terminal.backend().to_string()
    }

    /// Select the instance with this VMID.
    pub async fn select(&mut self, vmid: u32) {
        self.keys(&[key('2'), code(KeyCode::Home)]).await;
        let c = &self.model.clusters[0];
        let pos = self
            .model
            .instances
            .visible
            .iter()
            .position(|&i| c.instances[i].vmid == vmid)
            .unwrap();
        // Moved to as a user would; its details are read once, for where the keys end.
        for _ in 0..pos {
            self.app.push(Event::Key(key('j')));
        }
        self.app.run_headless().await;
    }
}

pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Type text into the focused field of a form.
pub async fn type_text(c: &mut Console, text: &str) {
    for ch in text.chars() {
        c.keys(&[key(ch)]).await;
    }
}

/// Move the form's focus to the field labelled `label`.
pub async fn field(c: &mut Console, label: &str) {
    for _ in 0..30 {
        let Some(Dialog::Form(f)) = &c.model.dialog else {
            panic!("no form open")
        };
        if f.focused().label(&f.kind) == label {
            return;
        }
        c.keys(&[code(KeyCode::Tab)]).await;
    }
    panic!("no field {label}");
}

/// The volume id of the newest backup of `vmid` that `node` can reach, as the API lists them.
pub async fn newest_backup(sim: &common::Sim, node: &str, vmid: u32) -> String {
    let storages = sim
        .get(&format!("/nodes/{node}/storage?content=backup"))
        .await;
    let mut newest: Option<(u64, String)> = None;
    for s in storages.data().as_array().unwrap() {
        let storage = s["storage"].as_str().unwrap();
        let content = sim
            .get(&format!(
                "/nodes/{node}/storage/{storage}/content?content=backup&vmid={vmid}"
            ))
            .await;
        for v in content.data().as_array().unwrap() {
            let item = (
                v["ctime"].as_u64().unwrap(),
                v["volid"].as_str().unwrap().to_string(),
            );
            if newest.as_ref().is_none_or(|n| item.0 > n.0) {
                newest = Some(item);
            }
        }
    }
    newest.unwrap().1
}
