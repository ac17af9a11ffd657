//! The console's maintenance walkthroughs: one driver task per cluster (`actions::walkthrough`'s
//! `Drive` on a queue of its own, as the command line runs it), taking orders from keys and
//! reporting back as events. Its jobs show in the Tasks pane like every job; the walkthrough is
//! kept beside the journal after every change, so a restart or the command line takes it up.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::driver::App;
use crate::actions::node_shell::root_client;
use crate::actions::walkthrough::{self, Drive, Outcome, WalkStore};
use crate::actions::{Job, Journal, Limits, Queue, Target};
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::console::event::Event;
use crate::console::model::Level;
use crate::console::walk::{WalkOrder, WalkPanel, WalkRun};
use crate::maint::walk::{Stage, Walk};
use crate::pve::{Client, Secret};

/// What a cluster's walkthrough driver is given.
pub(super) struct WalkSetup {
    pub client: Client,
    pub target: Target,
    pub env: Vec<(String, Secret)>,
    /// The cluster's config, for the root shell the upgrade and HA steps may use.
    pub config: ClusterConfig,
}

/// A driver carrying a walkthrough on: the switch that pauses it.
pub(super) struct Walker {
    pause: watch::Sender<bool>,
}

impl App {
    /// Where cluster `index`'s walkthrough is kept: beside the journal (none on the demo).
    pub(super) fn walk_store(&self, index: usize) -> WalkStore {
        let name = self
            .model
            .clusters
            .get(index)
            .map_or("", |c| c.name.as_str());
        WalkStore::beside(self.queue.journal_path(), name)
    }

    /// Walkthroughs kept by an earlier rack (or the command line), shown as they stopped.
    pub(super) fn load_kept_walks(&mut self) {
        for i in 0..self.model.clusters.len() {
            match self.walk_store(i).load() {
                Ok(Some(walk)) => {
                    let text = format!(
                        "{}: x on {} shows it, p there continues it",
                        walk.summary(),
                        walk.node
                    );
                    self.model.notify(Level::Warn, text);
                    self.model.clusters[i].walk = Some(WalkPanel::new(walk, WalkRun::Kept));
                }
                Ok(None) => {}
                Err(e) => self.model.notify(
                    Level::Error,
                    format!("the maintenance walkthrough kept could not be read: {e}"),
                ),
            }
        }
    }

    /// Carry out a key's order for cluster `index`'s walkthrough.
    pub(super) fn walk_order(&mut self, index: usize, order: WalkOrder) {
        match order {
            WalkOrder::Pause => {
                if let Some(w) = self.walkers.get(&index) {
                    let _ = w.pause.send(true);
                }
            }
            WalkOrder::Abort => self.abort_walk(index),
            order => self.drive_walk(index, order),
        }
    }

    /// A driver ended (its report is on its way to `update`): the cluster may have another.
    pub(super) fn walk_ended(&mut self, index: usize) {
        self.walkers.remove(&index);
    }

    /// Why an order cannot be carried out, told as its driver would have ended.
    fn refuse_walk(&mut self, index: usize, why: String) {
        self.push(Event::WalkEnded {
            cluster: index,
            walk: None,
            outcome: Err(why),
        });
    }

    /// End the walkthrough as kept (the file is the truth, under its lock, so a walkthrough
    /// another rack drives now is not ended under it): `noout` off again through the queue when
    /// it set it, what was done and what was not said, the file removed.
    fn abort_walk(&mut self, index: usize) {
        let store = self.walk_store(index);
        let held = match store.lock() {
            Ok(held) => held,
            Err(e) => return self.push(aborted(index, Err(e))),
        };
        let shown = self.model.clusters.get(index).and_then(|c| c.walk.as_ref());
        let walk = match (store.path(), store.load()) {
            (_, Err(e)) => return self.push(aborted(index, Err(e))),
            (_, Ok(Some(kept))) => kept,
            (None, Ok(None)) => match shown {
                Some(p) => p.walk.clone(),
                None => return,
            },
            (Some(_), Ok(None)) => {
                let why = "it is no longer kept: it ended elsewhere".to_string();
                return self.push(aborted(index, Err(why)));
            }
        };
        let (requests, lines) = walkthrough::abort(&walk);
        for request in requests {
            match self.queue.submit(&walk.cluster, request) {
                Ok(id) => self.submitted.push(id),
                Err(e) => self.model.notify(Level::Error, e.to_string()),
            }
        }
        let result = store.clear().map(|()| lines);
        drop(held);
        self.push(aborted(index, result));
    }

    /// Start a driver on the walkthrough the order names (a new one, or the one kept).
    fn drive_walk(&mut self, index: usize, order: WalkOrder) {
        let Some(setup) = self.walk_setups.get(index).and_then(Option::as_ref) else {
            let why = "the cluster cannot be reached: nothing was sent".to_string();
            return self.refuse_walk(index, why);
        };
        if self.walkers.contains_key(&index) {
            let text = "the walkthrough is being carried out already";
            self.model.notify(Level::Warn, text);
            return;
        }
        let Some(shown) = self
            .model
            .clusters
            .get(index)
            .and_then(|c| c.walk.as_ref())
            .map(|p| p.walk.clone())
        else {
            return;
        };
        let (pause, paused) = watch::channel(false);
        self.walkers.insert(index, Walker { pause });
        let store = self.walk_store(index);
        let events = self.sender.clone();
        let (client, target, env, config) = (
            setup.client.clone(),
            setup.target.clone(),
            setup.env.clone(),
            setup.config.clone(),
        );
        let name = shown.cluster.clone();
        let (clock, poll) = (self.clock.clone(), self.task_poll);
        let driver = tokio::spawn(async move {
            let held = store.lock()?;
            let mut walk = take_up(&client, &store, order, shown).await?;
            let (queue, mut jobs) = walk_queue(&name, target, walk.parallel, clock, poll, &events);
            let shell = root_client(&config, &client).await.unwrap_or_else(|e| {
                tracing::warn!(cluster = %name, "no root shell for the walkthrough: {e}");
                None
            });
            let mut drive = Drive {
                client: &client,
                queue: &queue,
                jobs: &mut jobs,
                store: &store,
                poll,
                env: &env,
                shell: shell.as_ref(),
                pause: Some(paused),
            };
            let reports = events.clone();
            let mut say = |w: &Walk, text: Option<&str>| {
                // Full: the next report carries the whole walkthrough again.
                let _ = reports.try_send(Event::Walked {
                    cluster: index,
                    walk: Box::new(w.clone()),
                    said: text.map(str::to_string),
                });
            };
            let outcome = drive.run(&mut walk, &mut say).await;
            if outcome == Outcome::Done
                && walk.stage == Stage::Finished
                && let Err(e) = store.clear()
            {
                say(
                    &walk,
                    Some(&format!("the finished walkthrough stays kept: {e}")),
                );
            }
            // Released before the console hears of the end, so what it asks next may take it.
            drop(held);
            Ok::<_, String>((walk, outcome))
        });
        // However the driver ends — refused, finished, or failed — the console hears of it.
        let events = self.sender.clone();
        tokio::spawn(async move {
            let (walk, outcome) = match driver.await {
                Ok(Ok((walk, outcome))) => (Some(Box::new(walk)), Ok(outcome)),
                Ok(Err(why)) => (None, Err(why)),
                Err(e) => (None, Err(format!("the walkthrough's driver failed: {e}"))),
            };
            let _ = events
                .send(Event::WalkEnded {
                    cluster: index,
                    walk,
                    outcome,
                })
                .await;
        });
    }
}

fn aborted(cluster: usize, lines: Result<Vec<String>, String>) -> Event {
    Event::WalkAborted { cluster, lines }
}

/// The walkthrough an order carries on, judged by what the cluster shows now: a new one (when
/// none is kept by another rack), or the one kept (the file is the truth when there is one; the
/// console's copy on the demo), with what the user asked applied.
async fn take_up(
    client: &Client,
    store: &WalkStore,
    order: WalkOrder,
    shown: Walk,
) -> Result<Walk, String> {
    let kept = store.load()?;
    if let WalkOrder::Start(walk) = order {
        if let Some(other) = kept {
            return Err(other.summary());
        }
        store.save(&walk)?;
        return Ok(*walk);
    }
    // Where it is kept, the file is the truth: another rack may have carried it on, ended it,
    // or begun another.
    let mut walk = match (store.path(), kept) {
        (_, Some(k)) if k.node == shown.node => k,
        (_, Some(other)) => return Err(other.summary()),
        (Some(_), None) => return Err("it is no longer kept: it ended elsewhere".into()),
        (None, None) => shown,
    };
    let seen = walkthrough::observe(client, &walk.node)
        .await
        .map_err(|e| format!("cluster \"{}\": {e}", walk.cluster))?;
    walk.resume(&seen);
    match order {
        WalkOrder::Continue { retry, skip } => {
            if retry {
                walk.retry();
            }
            if skip {
                walk.skip();
            }
        }
        WalkOrder::Power(power) => walk.power = Some(power),
        WalkOrder::Exit { back, command } if walk.stage < Stage::Wake => {
            walk.begin_exit(back.as_deref(), command)
        }
        _ => {}
    }
    walk.paused = false;
    store.save(&walk)?;
    Ok(walk)
}

/// A queue of the walkthrough's own (its requests stay out of the action journal: its file
/// decides on resume), as many moves at once as it asks; each job goes to the console too, so
/// the Tasks pane shows it.
fn walk_queue(
    name: &str,
    target: Target,
    parallel: u32,
    clock: Clock,
    poll: Duration,
    events: &mpsc::Sender<Event>,
) -> (Queue, mpsc::Receiver<Job>) {
    let (tx, mut from_queue) = mpsc::channel::<Job>(256);
    let (to_drive, jobs) = mpsc::channel::<Job>(256);
    let console = events.clone();
    tokio::spawn(async move {
        while let Some(job) = from_queue.recv().await {
            let _ = console.send(Event::Job(Box::new(job.clone()))).await;
            let _ = to_drive.send(job).await;
        }
    });
    let limits = Limits {
        clock,
        poll,
        per_node: Limits::default().per_node.max(parallel as usize),
        per_cluster: Limits::default().per_cluster.max(parallel as usize),
        ..Limits::default()
    };
    let targets = BTreeMap::from([(name.to_string(), target)]);
    (Queue::new(targets, Journal::disabled(), tx, limits), jobs)
}
