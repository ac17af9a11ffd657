//! The console's loop: wait for a key, a snapshot or the clock; drain everything queued; update;
//! draw once (at most about 60 times a second, and not at all when nothing happened). The terminal
//! is put back on every way out, panics included.

use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream,
};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::actions::{self, GuestRef, Journal, Limits, Queue, Target, catalog, journal, precheck};
use crate::clock::Clock;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::config::{ClusterConfig, Config};
use crate::console::event::Event;
use crate::console::model::{ClusterView, Level, Model};
use crate::console::update::{Effect, focus, update};
use crate::poll::{self, Cadence, PollHandle};
use crate::pve::Client;
use crate::ui;
use std::collections::BTreeMap;

/// What the console needs besides the clusters.
pub struct Settings {
    pub config: Config,
    /// Running on the embedded simulator, not a config: where a config file would be read from.
    pub simulated: Option<String>,
    /// What "now" is: the simulator's clock on the demo, else the wall clock.
    pub clock: Clock,
}

const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_secs(1);

/// Puts the terminal back however the console ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Terminal input, read by a task of its own and handed over through a channel.
///
/// While crossterm's `EventStream` waits for input on its reader thread it wakes only the
/// waker of the poll that started the wait. Polled once with a no-op waker (to drain without
/// waiting) it left each key to wait for the next tick, up to a second; a task that does
/// nothing but await it is always the one woken.
struct TerminalInput {
    events: mpsc::Receiver<std::io::Result<TermEvent>>,
    reader: JoinHandle<()>,
}

impl TerminalInput {
    fn start() -> TerminalInput {
        let (tx, events) = mpsc::channel(256);
        let reader = tokio::spawn(async move {
            let mut stream = EventStream::new();
            while let Some(event) = stream.next().await {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        TerminalInput { events, reader }
    }
}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// What the loop drives besides the model: the pollers, the clients (for checks the dialogs
/// ask for) and the action queue.
pub struct Handles {
    pub polls: Vec<Option<PollHandle>>,
    pub clients: Vec<Option<Client>>,
    pub queue: Queue,
    pub events: mpsc::Sender<Event>,
}

/// The model and pollers for `clusters`; a cluster whose client cannot be built is shown with why.
pub fn start(
    clusters: &[ClusterConfig],
    settings: &Settings,
    events: &mpsc::Sender<Event>,
) -> (Model, Vec<Option<PollHandle>>) {
    let (model, handles) = start_with_journal(clusters, settings, events, Journal::disabled());
    (model, handles.polls)
}

/// Everything the console runs: model, pollers, clients, and the queue on `journal`, with the
/// work of an earlier rack taken over and its recent history shown.
pub fn start_with_journal(
    clusters: &[ClusterConfig],
    settings: &Settings,
    events: &mpsc::Sender<Event>,
    journal: Journal,
) -> (Model, Handles) {
    let keymap = Keymap::with(&settings.config.keys);
    let mut model = Model::new(
        clusters
            .iter()
            .map(|c| {
                let mut view = ClusterView::new(c.name.clone(), c.read_only);
                view.networks = c.networks.clone();
                view.device_overrides = c.devices.clone();
                view.endpoints = c.endpoints.clone();
                view
            })
            .collect(),
        keymap,
        settings.clock.now(),
    );
    model.simulated = settings.simulated.clone();
    model.placement = settings.config.placement.clone();
    for warning in &settings.config.warnings {
        model.notify(Level::Warn, warning.clone());
    }
    let cadence = Cadence::new(settings.config.poll_interval);
    let mut polls = Vec::new();
    let mut clients = Vec::new();
    let mut targets = BTreeMap::new();
    // Secrets that come from commands are resolved side by side: a slow password manager costs
    // its own timeout once, not once per cluster.
    let resolved: Vec<Result<Client, String>> = std::thread::scope(|scope| {
        let running: Vec<_> = clusters
            .iter()
            .map(|c| {
                scope.spawn(|| {
                    c.client_options()
                        .map_err(|e| e.to_string())
                        .and_then(|o| Client::new(o).map_err(|e| e.to_string()))
                })
            })
            .collect();
        running
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("reading its credentials failed".into()))
            })
            .collect()
    });
    for (c, client) in clusters.iter().zip(resolved) {
        match client {
            Ok(client) => {
                polls.push(Some(poll::spawn(
                    c.name.clone(),
                    client.clone(),
                    cadence.clone(),
                    settings.clock.clone(),
                    events.clone(),
                )));
                targets.insert(
                    c.name.clone(),
                    Target {
                        client: client.clone(),
                        read_only: c.read_only,
                        wake: c.wake.clone(),
                    },
                );
                clients.push(Some(client));
            }
            Err(e) => {
                model.notify(Level::Error, format!("cluster \"{}\": {e}", c.name));
                polls.push(None);
                clients.push(None);
            }
        }
    }
    let limits = Limits {
        clock: settings.clock.clone(),
        ..Limits::default()
    };
    let queue = Queue::new(targets, journal, events.clone(), limits);
    match queue.recover() {
        Ok(history) => {
            model.jobs = history.into_iter().rev().collect();
        }
        Err(e) => model.notify(Level::Error, e.to_string()),
    }
    let handles = Handles {
        polls,
        clients,
        queue,
        events: events.clone(),
    };
    (model, handles)
}

/// Run the console until the user quits.
pub async fn console(clusters: Vec<ClusterConfig>, settings: Settings) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, theme_warning) = Theme::load(&settings.config.theme, no_color);
    let (tx, mut rx) = mpsc::channel(256);
    // The embedded simulator ends with this process, and with it every task it ran: its jobs
    // have nothing to re-attach to, so they stay out of the journal kept for real clusters.
    let path = match settings.simulated {
        Some(_) => None,
        None => journal::default_path(),
    };
    let journal = match path {
        Some(path) => match Journal::open(&path) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("warning: {e}; actions will not survive a restart");
                Journal::disabled()
            }
        },
        None => Journal::disabled(),
    };
    // Before the screen is taken: a secret command that takes a while says what is waited for.
    let commands: Vec<&str> = clusters
        .iter()
        .filter(|c| c.secret_source().is_command())
        .map(|c| c.name.as_str())
        .collect();
    if !commands.is_empty() {
        eprintln!(
            "rack: reading the credentials of {} (secret commands)…",
            commands.join(", ")
        );
    }
    let (mut model, handles) = start_with_journal(&clusters, &settings, &tx, journal);
    if let Some(w) = theme_warning {
        model.notify(Level::Warn, w);
    }

    let mut terminal = ratatui::init();
    let _restore = Restore;
    // A paste arrives whole, so a line break in it cannot submit a form or a filter.
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)
        .wrap_err("cannot turn on bracketed paste")?;
    let size = terminal.size().wrap_err("cannot read the terminal size")?;
    model.size = (size.width, size.height);
    model.refresh_views();
    let mut input = TerminalInput::start();
    // A `kill` or a closed SSH session ends the console the way `q` does, terminal restored.
    let mut term = signal(SignalKind::terminate()).wrap_err("cannot watch for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).wrap_err("cannot watch for SIGHUP")?;
    let mut tick = tokio::time::interval(TICK);
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;

    for (i, poll) in handles.polls.iter().enumerate() {
        if let Some(p) = poll {
            p.focus(focus(&model, i));
        }
    }
    loop {
        if dirty {
            let wait = FRAME.saturating_sub(last_draw.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            // What arrived while waiting for the frame goes into this one.
            drain(&mut model, &mut rx, &mut input, &handles)?;
            terminal
                .draw(|frame| ui::draw(&model, &theme, frame))
                .wrap_err("cannot draw")?;
            last_draw = Instant::now();
            dirty = false;
        }
        if model.quit {
            return Ok(());
        }
        let event = tokio::select! {
            Some(e) = input.events.recv() => terminal_event(e.wrap_err("cannot read the terminal")?),
            Some(e) = rx.recv() => Some(e),
            _ = tick.tick() => Some(Event::Tick(settings.clock.now())),
            _ = term.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        };
        if let Some(event) = event {
            apply(&mut model, event, &handles);
            dirty = true;
        }
        dirty |= drain(&mut model, &mut rx, &mut input, &handles)?;
    }
}

/// Apply whatever is already queued, without waiting; true when anything was.
fn drain(
    model: &mut Model,
    rx: &mut mpsc::Receiver<Event>,
    input: &mut TerminalInput,
    handles: &Handles,
) -> Result<bool> {
    let mut any = false;
    while let Ok(event) = rx.try_recv() {
        apply(model, event, handles);
        any = true;
    }
    while let Ok(e) = input.events.try_recv() {
        if let Some(event) = terminal_event(e.wrap_err("cannot read the terminal")?) {
            apply(model, event, handles);
            any = true;
        }
    }
    Ok(any)
}

fn terminal_event(e: TermEvent) -> Option<Event> {
    match e {
        TermEvent::Key(k) => Some(Event::Key(k)),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        _ => None,
    }
}

pub fn apply(model: &mut Model, event: Event, handles: &Handles) {
    for effect in update(model, event) {
        match effect {
            Effect::Refresh(i) => {
                if let Some(Some(p)) = handles.polls.get(i) {
                    p.refresh_now();
                }
            }
            Effect::Focus(i, focus) => {
                if let Some(Some(p)) = handles.polls.get(i) {
                    p.focus(focus);
                }
            }
            Effect::Submit(i, requests) => {
                let Some(name) = model.clusters.get(i).map(|c| c.name.clone()) else {
                    continue;
                };
                for request in requests {
                    if let Err(e) = handles.queue.submit(&name, request) {
                        model.notify(Level::Error, e.to_string());
                    }
                }
            }
            Effect::CheckMigration(i, guest) => {
                let Some(Some(client)) = handles.clients.get(i).cloned() else {
                    continue;
                };
                let events = handles.events.clone();
                tokio::spawn(async move {
                    let event = migration_check(&client, &guest).await;
                    let _ = events.send(event).await;
                });
            }
            Effect::ReadCatalog(i, archives) => {
                let Some(Some(client)) = handles.clients.get(i).cloned() else {
                    continue;
                };
                let events = handles.events.clone();
                tokio::spawn(async move {
                    let catalog = catalog::fetch_with_archives(&client, &archives);
                    let catalog = Box::new(catalog.await);
                    let _ = events
                        .send(Event::Catalog {
                            cluster: i,
                            catalog,
                        })
                        .await;
                });
            }
        }
    }
}

/// Ask Proxmox where `guest` may migrate, as the migrate dialog shows it.
pub async fn migration_check(client: &Client, guest: &GuestRef) -> Event {
    let answer = client
        .get::<serde_json::Value>(&format!("{}/migrate", guest.path()))
        .await;
    let result = match answer {
        Ok(a) => {
            let rules = actions::precheck_rules(client, &a).await;
            Ok(precheck::targets_named(
                &a,
                &guest.node,
                &guest.sid(),
                &rules,
            ))
        }
        Err(e) => Err(e.proxmox_text()),
    };
    Event::MigrationCheck {
        vmid: guest.vmid,
        result,
    }
}
