//! `App`: the one place that feeds the console's `update` and carries out what it asks for. The
//! terminal loop (`run`), the tests and `rack bench` (`run_headless`) all drive the console
//! through it, so what a test sees is what the terminal would show.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinError, JoinSet};

use super::asking::{Asked, Asker, InConsole};
use super::migrating::{migration_check, remote_placed};
use super::walking::{WalkSetup, Walker};
use crate::actions::{JobId, Journal, Limits, Queue, Target, catalog};
use crate::audit;
use crate::clock::Clock;
use crate::config::keymap::Keymap;
use crate::config::{ClusterConfig, Config};
use crate::console::event::Event;
use crate::console::model::{ClusterView, Level, Model};
use crate::console::terminal::TermOrder;
use crate::console::update::{Effect, focus, update};
use crate::maint;
use crate::model::{ClusterSnapshot, Focus};
use crate::poll::{self, Cadence, Due, PollHandle, maintenance_inputs, refresh_once};
use crate::pve::{Client, Secret};

/// What the console needs besides the clusters.
pub struct Settings {
    pub config: Config,
    /// Running on the embedded simulator, not a config: where a config file would be read from.
    pub simulated: Option<String>,
    /// What "now" is: the simulator's clock on the demo, else the wall clock.
    pub clock: Clock,
    /// How often a running task's status and log are read.
    pub task_poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            config: Config::default(),
            simulated: None,
            clock: Clock::Wall,
            task_poll: Limits::default().poll,
        }
    }
}

/// How each cluster is read.
enum Reads {
    /// No pollers (yet): a refresh happens when `run_headless` finds one owed.
    Owed(Vec<Owed>),
    /// Pollers on their own cadence, told about focus changes and refreshes asked for.
    Polling(Vec<Option<PollHandle>>),
}

/// What a cluster's next headless refresh looks at, and whether one is owed.
#[derive(Default)]
struct Owed {
    focus: Focus,
    owed: bool,
}

pub struct App {
    pub model: Model,
    pub(super) clock: Clock,
    poll_interval: Duration,
    guest_addresses_up_to: usize,
    clients: Vec<Option<Client>>,
    pub(super) queue: Queue,
    /// Where jobs and pollers send; `events` is its other end.
    pub(super) sender: mpsc::Sender<Event>,
    pub(super) events: mpsc::Receiver<Event>,
    /// Reads a dialog waits for (a migration check, a form's catalog), each ending in the event
    /// that answers it.
    pub(super) work: JoinSet<Event>,
    reads: Reads,
    /// The jobs of the requests handed to the queue by this console.
    pub(super) submitted: Vec<JobId>,
    /// How often a running task is read (and a walkthrough looks at its cluster).
    pub(super) task_poll: Duration,
    /// What each cluster's maintenance walkthrough is driven with (none: no client).
    pub(super) walk_setups: Vec<Option<WalkSetup>>,
    /// The walkthroughs being carried out, by cluster.
    pub(super) walkers: BTreeMap<usize, Walker>,
    /// Questions from the connections (a login's second factor), and the answers owed.
    pub(super) questions: Option<mpsc::UnboundedReceiver<Asked>>,
    pub(super) asked: BTreeMap<u64, Answering>,
    pub(super) next_question: u64,
    /// Certificates offered for trust already (cluster, fingerprint): asked once each.
    pub(super) offered: std::collections::BTreeSet<(usize, String)>,
    /// The config file pins are written to when the user trusts a certificate.
    pub(super) config_path: Option<std::path::PathBuf>,
    /// Per cluster, its config when terminals log in otherwise (`[clusters.shell]`).
    pub(super) terminal_logins: Vec<Option<ClusterConfig>>,
    /// The connections of the terminal sessions, by session id.
    pub(super) terminal_orders: BTreeMap<u64, mpsc::UnboundedSender<TermOrder>>,
    /// The reader of the open log view, by view id.
    pub(super) log_reader: Option<(u64, AbortHandle)>,
    /// A command to hand the terminal to (`ssh …`), waiting for the terminal loop.
    pub handoff: Option<Vec<String>>,
}

/// What an answer to a question is owed to.
pub(super) enum Answering {
    /// A connection waiting for it (a second factor).
    Reply(oneshot::Sender<Option<Secret>>),
    /// A certificate to trust at this cluster's endpoint on yes.
    Trust {
        cluster: usize,
        endpoint: String,
        fingerprint: String,
    },
}

/// Each cluster's client, or why it cannot be built. Secrets that come from commands are
/// resolved side by side: a slow password manager costs its own timeout once, not once per
/// cluster. With an `asker`, a login that needs a second factor (and has no `otp_command`)
/// asks for it in the console.
pub fn connect(clusters: &[ClusterConfig], asker: Option<&Asker>) -> Vec<Result<Client, String>> {
    std::thread::scope(|scope| {
        let running: Vec<_> = clusters
            .iter()
            .map(|c| {
                scope.spawn(|| {
                    c.client_options()
                        .map(|mut o| {
                            if let Some(asker) = asker.filter(|_| o.second_factor.is_none()) {
                                o.second_factor = Some(Arc::new(InConsole {
                                    cluster: c.name.clone(),
                                    asker: asker.clone(),
                                }));
                            }
                            o
                        })
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
    })
}

impl App {
    /// The console on `clusters` with their `clients` (from `connect`), its queue on `journal`
    /// with the work of an earlier rack taken over and its recent history shown. A cluster
    /// whose client could not be built is shown with why. Nothing is read until `run` or
    /// `run_headless`.
    pub fn new(
        settings: Settings,
        clusters: &[ClusterConfig],
        clients: Vec<Result<Client, String>>,
        journal: Journal,
    ) -> App {
        let config = settings.config;
        let mut model = Model::new(
            clusters
                .iter()
                .map(|c| {
                    let mut view = ClusterView::new(c.name.clone(), c.read_only);
                    view.ha_command = c.ha_command.clone();
                    view.ssh = c.ssh.clone();
                    view.networks = c.networks.clone();
                    view.device_overrides = c.devices.clone();
                    view.endpoints = c.endpoints.clone();
                    view
                })
                .collect(),
            Keymap::with(&config.keys),
            settings.clock.now(),
        );
        model.simulated = settings.simulated;
        if let Some(key) = config.terminal_escape {
            model.terminals.escape = key;
        }
        model.audit_path = clusters.iter().find_map(|c| c.audit.clone());
        model.placement = config.placement.clone();
        model.maintenance = config.maintenance.clone();
        for warning in &config.warnings {
            model.notify(Level::Warn, warning.clone());
        }
        let (sender, events) = mpsc::channel(1024);
        let mut targets = BTreeMap::new();
        let mut kept = Vec::new();
        let mut walk_setups = Vec::new();
        for (c, client) in clusters.iter().zip(clients) {
            match client {
                Ok(client) => {
                    let target = Target {
                        client: client.clone(),
                        read_only: c.read_only,
                        wake: c.wake.clone(),
                    };
                    targets.insert(c.name.clone(), target.clone());
                    walk_setups.push(Some(WalkSetup {
                        client: client.clone(),
                        target,
                        env: c.command_env.clone(),
                        config: c.clone(),
                    }));
                    kept.push(Some(client));
                }
                Err(e) => {
                    model.notify(Level::Error, format!("cluster \"{}\": {e}", c.name));
                    kept.push(None);
                    walk_setups.push(None);
                }
            }
        }
        let limits = Limits {
            clock: settings.clock.clone(),
            poll: settings.task_poll,
            ..Limits::default()
        };
        let queue = Queue::new(targets, journal, sender.clone(), limits);
        match queue.recover() {
            Ok(history) => model.jobs = history.into_iter().rev().collect(),
            Err(e) => model.notify(Level::Error, e.to_string()),
        }
        let owed = kept
            .iter()
            .map(|c| Owed {
                focus: Focus::default(),
                owed: c.is_some(),
            })
            .collect();
        let mut app = App {
            model,
            clock: settings.clock,
            poll_interval: config.poll_interval,
            guest_addresses_up_to: config.guest_addresses_up_to,
            clients: kept,
            queue,
            sender,
            events,
            work: JoinSet::new(),
            reads: Reads::Owed(owed),
            submitted: Vec::new(),
            task_poll: settings.task_poll,
            walk_setups,
            walkers: BTreeMap::new(),
            questions: None,
            asked: BTreeMap::new(),
            next_question: 0,
            offered: std::collections::BTreeSet::new(),
            config_path: config.path.clone(),
            terminal_logins: clusters
                .iter()
                .map(|c| c.shell.is_some().then(|| c.clone()))
                .collect(),
            terminal_orders: BTreeMap::new(),
            log_reader: None,
            handoff: None,
        };
        app.load_kept_walks();
        app
    }

    /// What "now" is for this console.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Cluster `index`'s client, when it could be built.
    pub fn client(&self, index: usize) -> Option<&Client> {
        self.clients.get(index).and_then(Option::as_ref)
    }

    /// Requests handed to the queue so far.
    pub fn submitted(&self) -> usize {
        self.submitted.len()
    }

    /// Start a poller per cluster on the configured cadence, looking at what the console
    /// focuses on; from now on refreshes are theirs.
    pub fn start_polling(&mut self) {
        let cadence = Cadence {
            addresses_up_to: self.guest_addresses_up_to,
            ..Cadence::new(self.poll_interval)
        };
        let polls = self
            .clients
            .iter()
            .enumerate()
            .map(|(i, client)| {
                let client = client.as_ref()?;
                let handle = poll::spawn(
                    self.model.clusters[i].name.clone(),
                    client.clone(),
                    cadence.clone(),
                    self.clock.clone(),
                    self.sender.clone(),
                );
                handle.focus(focus(&self.model, i));
                Some(handle)
            })
            .collect();
        self.reads = Reads::Polling(polls);
    }

    /// One event through `update`, and what it asks for carried out: pollers told, requests
    /// queued, checks started (their answers come back as events).
    pub fn push(&mut self, event: Event) {
        if let Event::WalkEnded { cluster, .. } = &event {
            self.walk_ended(*cluster);
        }
        let refused = match &event {
            Event::Snapshot(s) => self.model.clusters.iter().position(|c| c.name == s.cluster),
            _ => None,
        };
        for effect in update(&mut self.model, event) {
            self.carry_out(effect);
        }
        if let Some(index) = refused {
            self.offer_trust(index);
        }
    }

    /// The clock's time, as the terminal's tick brings it.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        self.push(Event::Tick(now));
    }

    fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::Refresh(i) => match &mut self.reads {
                Reads::Polling(polls) => {
                    if let Some(Some(p)) = polls.get(i) {
                        p.refresh_now();
                    }
                }
                Reads::Owed(owed) => {
                    if let Some(o) = owed.get_mut(i) {
                        o.owed = self.clients.get(i).is_some_and(Option::is_some);
                    }
                }
            },
            Effect::Focus(i, f) => match &mut self.reads {
                Reads::Polling(polls) => {
                    if let Some(Some(p)) = polls.get(i) {
                        p.focus(f);
                    }
                }
                Reads::Owed(owed) => {
                    if let Some(o) = owed.get_mut(i)
                        && o.focus != f
                    {
                        o.focus = f;
                        o.owed = self.clients.get(i).is_some_and(Option::is_some);
                    }
                }
            },
            Effect::Submit(i, requests) => {
                let Some(name) = self.model.clusters.get(i).map(|c| c.name.clone()) else {
                    return;
                };
                for request in requests {
                    match self.queue.submit(&name, request) {
                        Ok(id) => self.submitted.push(id),
                        Err(e) => self.model.notify(Level::Error, e.to_string()),
                    }
                }
            }
            Effect::CheckMigration(i, guest) => {
                if let Some(client) = self.client(i).cloned() {
                    self.work
                        .spawn(async move { migration_check(&client, i, &guest).await });
                }
            }
            Effect::PlaceRemote {
                cluster,
                guest,
                to,
                node,
            } => {
                let clients = (self.client(cluster).cloned(), self.client(to).cloned());
                self.work
                    .spawn(async move { remote_placed(clients, cluster, guest, to, node).await });
            }
            Effect::PlanMaintenance(i, node) => {
                let (Some(client), Some(view)) =
                    (self.client(i).cloned(), self.model.clusters.get(i))
                else {
                    return;
                };
                let (name, aliases) = (view.name.clone(), view.networks.clone());
                let overrides = view.device_overrides.clone();
                let settings = maint::Settings::of(&self.model.placement, &self.model.maintenance);
                let now = self.clock.now();
                // The demo keeps no walkthrough; a real cluster's is kept beside the journal.
                let store = self.walk_store(i);
                self.work.spawn(async move {
                    let in_progress = store.load().ok().flatten().map(|w| w.summary());
                    let read =
                        maintenance_inputs(&name, &client, &node, &aliases, &overrides, now).await;
                    let plan = match read {
                        Ok((inputs, _)) => Ok(Box::new(maint::plan(&inputs, &settings))),
                        Err(e) => Err(e.to_string()),
                    };
                    Event::MaintenancePlan {
                        cluster: i,
                        node,
                        plan,
                        in_progress,
                    }
                });
            }
            Effect::Walk(i, order) => self.walk_order(i, order),
            Effect::Answer(id, answer) => match self.asked.remove(&id) {
                Some(Answering::Reply(reply)) => {
                    let _ = reply.send(answer);
                }
                Some(Answering::Trust {
                    cluster,
                    endpoint,
                    fingerprint,
                }) if answer.is_some() => self.trust(cluster, &endpoint, &fingerprint),
                Some(Answering::Trust { .. }) | None => {}
            },
            Effect::Terminal(id, order) => self.terminal_order(id, order),
            Effect::Log(id, order) => self.log_order(id, order),
            // The terminal loop carries it out (a headless console only keeps it).
            Effect::Handoff(argv) => self.handoff = Some(argv),
            Effect::ReadAudit => {
                let path = self.model.audit_path.clone();
                self.work.spawn(async move {
                    let read = match path {
                        Some(path) => tokio::task::spawn_blocking(move || {
                            audit::read(&path).map(|(entries, _)| audit::rows(&entries))
                        })
                        .await
                        .unwrap_or_else(|e| Err(e.to_string())),
                        None => Ok(Vec::new()),
                    };
                    Event::Audit(read)
                });
            }
            Effect::ReadCatalog(i, archives) => {
                if let Some(client) = self.client(i).cloned() {
                    self.work.spawn(async move {
                        let catalog = catalog::fetch_with_archives(&client, &archives).await;
                        Event::Catalog {
                            cluster: i,
                            catalog: Box::new(catalog),
                        }
                    });
                }
            }
        }
    }

    /// A connection's question, shown in the console; its answer is owed under a new id.
    pub fn question(&mut self, asked: Asked) {
        self.next_question += 1;
        let id = self.next_question;
        self.asked.insert(id, Answering::Reply(asked.reply));
        self.push(Event::Ask {
            id,
            title: asked.title,
            lines: asked.lines,
            secret: asked.secret,
        });
    }

    /// The event a finished check answers with; a check that could not finish is said.
    pub(super) fn answered(&mut self, done: Result<Event, JoinError>) -> Option<Event> {
        match done {
            Ok(event) => Some(event),
            Err(e) => {
                let what = if e.is_panic() {
                    "failed"
                } else {
                    "was cancelled"
                };
                self.model
                    .notify(Level::Error, format!("a check the dialog waits for {what}"));
                None
            }
        }
    }

    /// Read cluster `index` now (what `due` names, and what the console focuses on), and push
    /// the snapshot.
    pub async fn refresh(&mut self, index: usize, due: Due) {
        let focus = match &mut self.reads {
            Reads::Owed(owed) => owed.get_mut(index).map(|o| {
                o.owed = false;
                o.focus.clone()
            }),
            Reads::Polling(_) => None,
        }
        .unwrap_or_else(|| focus(&self.model, index));
        self.read(index, &focus, due).await;
    }

    /// Read cluster `index` now looking at `focus`, and push the snapshot. A cluster without a
    /// client has nothing to read (why is on screen since it started).
    pub async fn read(&mut self, index: usize, focus: &Focus, due: Due) {
        let Some(client) = self.client(index).cloned() else {
            return;
        };
        let Some(view) = self.model.clusters.get(index) else {
            return;
        };
        let prev = view
            .snapshot
            .as_deref()
            .cloned()
            .unwrap_or_else(|| ClusterSnapshot::new(view.name.clone()));
        let snapshot = refresh_once(&client, prev, focus, due, self.clock.now()).await;
        self.push(Event::Snapshot(Box::new(snapshot)));
    }

    /// Ask for a refresh of every cluster, as ctrl-r would.
    /// Read every source of cluster `index` again now, whatever their cadence.
    pub(super) fn refresh_everything(&mut self, index: usize) {
        match &self.reads {
            Reads::Polling(polls) => {
                if let Some(Some(p)) = polls.get(index) {
                    p.refresh_everything();
                }
            }
            // Without pollers a refresh reads everything anyway.
            Reads::Owed(_) => self.carry_out(Effect::Refresh(index)),
        }
    }

    pub fn refresh_all(&mut self) {
        for i in 0..self.model.clusters.len() {
            self.carry_out(Effect::Refresh(i));
        }
    }

    /// Carry out everything asked for until nothing is left: events already sent, the checks
    /// dialogs wait for, and (without pollers) every refresh owed, read in full. Jobs still
    /// running go on; `wait_until` waits for them.
    pub async fn run_headless(&mut self) {
        loop {
            while let Ok(event) = self.events.try_recv() {
                self.push(event);
            }
            if let Some(done) = self.work.join_next().await {
                if let Some(event) = self.answered(done) {
                    self.push(event);
                }
                continue;
            }
            let owed = match &self.reads {
                Reads::Owed(owed) => owed.iter().position(|o| o.owed),
                Reads::Polling(_) => None,
            };
            match owed {
                Some(i) => {
                    // As the poller reads: the address sweep with the configured limit.
                    let due = Due {
                        addresses: Some(self.guest_addresses_up_to),
                        ..Due::ALL
                    };
                    self.refresh(i, due).await
                }
                None => return,
            }
        }
    }

    /// Push events as they come (jobs moving on, pollers' snapshots), carrying out what each
    /// asks for, until `done` holds; false when `timeout` passed first.
    pub async fn wait_until(
        &mut self,
        mut done: impl FnMut(&App) -> bool,
        timeout: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.run_headless().await;
            if done(self) {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.push(event),
                Ok(None) | Err(_) => return false,
            }
        }
    }

    /// Wait until the job of every request this console submitted has ended, then read again
    /// what they changed.
    pub async fn settle(&mut self, timeout: Duration) -> bool {
        let settled = self
            .wait_until(
                |app| {
                    app.submitted
                        .iter()
                        .all(|id| app.model.job(*id).is_some_and(|j| j.state.finished()))
                },
                timeout,
            )
            .await;
        self.refresh_all();
        self.run_headless().await;
        settled
    }
}
