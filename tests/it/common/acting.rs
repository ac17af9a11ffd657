//! The console acting under test, shared by the console action test files (included with
//! `#[path]`): the update loop's commands carried out against a running simulator with the real
//! queue, and what the screen then shows.
#![allow(dead_code)] // each test file uses its own share of these

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rack::actions::journal::Journal;
use rack::actions::{Limits, Queue, Target};
use rack::config::WakeConfig;
use rack::config::keymap::Keymap;
use rack::config::theme::Theme;
use rack::console::dialog::Dialog;
use rack::console::model::{ClusterView, Model};
use rack::console::{Effect, Event, update};
use rack::model::{ClusterSnapshot, Focus};
use rack::poll::{Due, refresh_once};
use rack::pve::Client;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::common;

pub struct Console {
    pub sim: common::Sim,
    pub client: Client,
    pub model: Model,
    pub queue: Queue,
    pub rx: mpsc::Receiver<Event>,
    pub focus: Focus,
    /// Requests submitted so far.
    pub submitted: usize,
}

impl Console {
    pub async fn start(read_only: bool) -> Self {
        let sim = common::start("homelab", 20.0).await;
        let client = common::client_of(&sim.handle);
        let (tx, rx) = mpsc::channel(1024);
        let targets = BTreeMap::from([(
            "lab".to_string(),
            Target {
                client: client.clone(),
                read_only,
                wake: WakeConfig::default(),
            },
        )]);
        let limits = Limits {
            poll: Duration::from_millis(200),
            ..Limits::default()
        };
        let queue = Queue::new(targets, Journal::disabled(), tx, limits);
        let mut model = Model::new(
            vec![ClusterView::new("lab", read_only)],
            Keymap::default(),
            sim.handle.now(),
        );
        model.size = (140, 40);
        let mut c = Self {
            sim,
            client,
            model,
            queue,
            rx,
            focus: Focus::default(),
            submitted: 0,
        };
        c.poll().await;
        c
    }

    pub async fn poll(&mut self) {
        let prev = self.model.clusters[0]
            .snapshot
            .as_deref()
            .cloned()
            .unwrap_or_else(|| ClusterSnapshot::new("lab"));
        let now = self.sim.handle.now();
        let snap = refresh_once(&self.client, prev, &self.focus, Due::ALL, now).await;
        let commands = update(&mut self.model, Event::Snapshot(Box::new(snap)));
        Box::pin(self.run(commands)).await;
    }

    /// Carry out commands as the loop does.
    pub async fn run(&mut self, commands: Vec<Effect>) {
        for c in commands {
            match c {
                Effect::Submit(_, requests) => {
                    for r in requests {
                        self.queue.submit("lab", r).unwrap();
                        self.submitted += 1;
                    }
                }
                Effect::CheckMigration(_, guest) => {
                    let event = rack::app::run::migration_check(&self.client, &guest).await;
                    let more = update(&mut self.model, event);
                    Box::pin(self.run(more)).await;
                }
                Effect::Focus(_, f) => {
                    if f != self.focus {
                        self.focus = f;
                        Box::pin(self.poll()).await;
                    }
                }
                Effect::ReadCatalog(i, archives) => {
                    let catalog =
                        rack::actions::catalog::fetch_with_archives(&self.client, &archives);
                    let catalog = Box::new(catalog.await);
                    let more = update(
                        &mut self.model,
                        Event::Catalog {
                            cluster: i,
                            catalog,
                        },
                    );
                    Box::pin(self.run(more)).await;
                }
                Effect::Refresh(_) => {}
            }
        }
    }

    pub async fn keys(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            let commands = update(&mut self.model, Event::Key(*k));
            self.run(commands).await;
        }
    }

    /// Feed job events to the model until none is running; poll after each one ends.
    pub async fn settle(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let busy = self.model.jobs.iter().any(|j| !j.state.finished());
            if !busy && self.model.jobs.len() >= self.submitted {
                self.poll().await;
                return;
            }
            let event = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("jobs did not settle")
                .unwrap();
            let commands = update(&mut self.model, event);
            self.run(commands).await;
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

    /// Select the instance with this VMID.
    pub async fn select(&mut self, vmid: u32) {
        self.keys(&[key('2')]).await;
        let c = &self.model.clusters[0];
        let pos = self
            .model
            .instances
            .visible
            .iter()
            .position(|&i| c.instances[i].vmid == vmid)
            .unwrap();
        self.model.instances.selected = pos;
        // As the loop would on a new selection: its details are fetched.
        self.focus = rack::console::update::focus(&self.model, 0);
        self.poll().await;
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
