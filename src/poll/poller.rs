//! The poller's loop: one task per cluster, woken by its cadence, a refresh asked for or a new
//! focus; it decides what is due, refreshes, counts what it sent and hands the snapshot on.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};

use super::{Cadence, Due, metrics, refresh_once};
use crate::clock::Clock;
use crate::model::{ClusterSnapshot, Focus, PollStats, text};
use crate::pve::Client;

/// The app's handle on a running poller.
#[derive(Clone)]
pub struct PollHandle {
    refresh: Arc<Notify>,
    /// Set by `refresh_now` (ctrl-r, an action ended): the open pane's data is read again
    /// however recent. A new focus wakes the poller without it, so switching panes back and
    /// forth keeps each pane's cadence.
    forced: Arc<AtomicBool>,
    focus: watch::Sender<Focus>,
    /// Set by `refresh_everything`: every source is read at the next refresh.
    everything: Arc<AtomicBool>,
}

impl PollHandle {
    /// Read every source at the next refresh, whatever their cadence (the cluster was out of
    /// reach and is back: a certificate was just trusted).
    pub fn refresh_everything(&self) {
        self.everything.store(true, Ordering::Relaxed);
        self.refresh_now();
    }

    /// Refresh as soon as possible; requests made while one is pending coalesce into it.
    pub fn refresh_now(&self) {
        self.forced.store(true, Ordering::Relaxed);
        self.refresh.notify_one();
    }

    /// Look closely at this node or guest from the next refresh on (and refresh now).
    pub fn focus(&self, focus: Focus) {
        let changed = self.focus.send_if_modified(|f| {
            let changed = *f != focus;
            *f = focus;
            changed
        });
        if changed {
            self.refresh.notify_one();
        }
    }
}

/// What wakes the poller early: a refresh asked for (`forced`), or a new focus.
struct Wake {
    everything: Arc<AtomicBool>,
    refresh: Arc<Notify>,
    forced: Arc<AtomicBool>,
}

/// Start polling `client` as cluster `name`; snapshots go to `events` (each converted into its
/// event type) until it closes.
pub fn spawn<E: From<Box<ClusterSnapshot>> + Send + 'static>(
    name: String,
    client: Client,
    cadence: Cadence,
    clock: Clock,
    events: mpsc::Sender<E>,
) -> PollHandle {
    let refresh = Arc::new(Notify::new());
    let forced = Arc::new(AtomicBool::new(false));
    let (focus_tx, focus_rx) = watch::channel(Focus::default());
    let everything = Arc::new(AtomicBool::new(false));
    let handle = PollHandle {
        refresh: refresh.clone(),
        forced: forced.clone(),
        focus: focus_tx,
        everything: everything.clone(),
    };
    let wake = Wake {
        refresh,
        forced,
        everything,
    };
    tokio::spawn(run(name, client, cadence, clock, events, wake, focus_rx));
    handle
}

async fn run<E: From<Box<ClusterSnapshot>> + Send + 'static>(
    name: String,
    client: Client,
    cadence: Cadence,
    clock: Clock,
    events: mpsc::Sender<E>,
    wake: Wake,
    focus: watch::Receiver<Focus>,
) {
    let mut snapshot = ClusterSnapshot::new(name);
    let mut last: [Option<Instant>; 9] = [None; 9];
    let mut details_of: Option<(Focus, Instant)> = None;
    // Requests made so far, sampled after each refresh, from before the first one.
    let mut counts: VecDeque<(Instant, u64)> =
        VecDeque::from([(Instant::now(), client.requests())]);
    loop {
        // Taken as the refresh begins: one asked for while another ran is not lost.
        let asked = wake.forced.swap(false, Ordering::Relaxed);
        if wake.everything.swap(false, Ordering::Relaxed) {
            last = [None; 9];
        }
        let started = Instant::now();
        let due_of = |i: usize, every: Duration| last[i].is_none_or(|t| t.elapsed() >= every);
        let due = Due {
            ha: due_of(0, cadence.ha),
            ceph: due_of(1, cadence.ceph),
            // With the export giving the load, a node's status is read for its version only.
            nodes: due_of(2, node_status_every(&cadence, &snapshot)),
            version: due_of(3, cadence.version),
            // Until a node's certificates have been read once (a refused certificate kept the
            // first read from the cluster), at every refresh: the learned ones are needed then.
            certs: due_of(4, cadence.certs) || snapshot.certs.values().all(|c| c.data.is_none()),
            details: false,
            pane: asked,
            addresses: due_of(5, cadence.addresses).then_some(cadence.addresses_up_to),
            // Asked for (an action ended, ctrl-r): read at once, whatever the probe says.
            probe_only: !asked && !due_of(6, cadence.resources),
            metrics: due_of(7, metrics::every(cadence.metrics, &snapshot)),
            steady_done: false,
            // Just under two intervals: every other refresh.
            probe_without_status: !asked && !due_of(8, cadence.interval * 3 / 2),
        };
        let requests_before = client.requests();
        let focused = focus.borrow().clone();
        let details = asked
            || details_of
                .as_ref()
                .is_none_or(|(f, t)| !f.same_details(&focused) || t.elapsed() >= cadence.details);
        let due = Due { details, ..due };
        let resources_before = snapshot.resources.answer_id();
        // Until the cluster's resources have been read, they go out alone first: the first
        // frame shows the hosts and guests, and the rest fills in after.
        let due = if snapshot.resources.data.is_none() {
            let steady = Focus::default();
            snapshot = refresh_once(&client, snapshot, &steady, Due::default(), clock.now()).await;
            let read = snapshot.resources.data.is_some();
            if read
                && events
                    .send(E::from(Box::new(snapshot.clone())))
                    .await
                    .is_err()
            {
                return;
            }
            Due {
                steady_done: true,
                ..due
            }
        } else {
            due
        };
        snapshot = refresh_once(&client, snapshot, &focused, due, clock.now()).await;
        if details {
            details_of = Some((focused, started));
        }
        let swept = due.addresses.is_some();
        let resources_read = !due.probe_only || snapshot.resources.answer_id() != resources_before;
        for (i, is_due) in [
            due.ha,
            due.ceph,
            due.nodes,
            due.version,
            due.certs,
            swept,
            resources_read,
            due.metrics,
            !due.probe_only || !due.probe_without_status,
        ]
        .into_iter()
        .enumerate()
        {
            if is_due {
                last[i] = Some(started);
            }
        }
        let took = started.elapsed();
        let steady = snapshot.stats.steady;
        counts.push_back((Instant::now(), client.requests()));
        // Keep the newest sample that is a minute old, as the start of the window.
        while counts
            .get(1)
            .is_some_and(|(t, _)| t.elapsed() >= Duration::from_secs(60))
        {
            counts.pop_front();
        }
        let recent = client.recent_failures(ERROR_WINDOW);
        snapshot.stats = PollStats {
            requests_per_minute: per_minute(&counts),
            errors: client.failures_within(ERROR_WINDOW) as u64,
            recent_errors: recent
                .into_iter()
                .take(10)
                .map(|(ago, what)| (ago.as_secs(), text::clean(&what)))
                .collect(),
            last_duration: took,
            steady,
            last_requests: client.requests() - requests_before,
            endpoint: client.endpoint().to_string(),
        };
        if events
            .send(E::from(Box::new(snapshot.clone())))
            .await
            .is_err()
        {
            return;
        }
        let wait = next_wait(&cadence, &snapshot, steady);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.refresh.notified() => {}
        }
    }
}

/// How often the rows' node status is read: for the load, or, where the metrics export gives
/// it, for the version alone (the selected node's comes with its details).
fn node_status_every(cadence: &Cadence, snap: &ClusterSnapshot) -> Duration {
    match snap.metrics.get() {
        Some(m) if m.available => cadence.version * 3,
        _ => cadence.nodes,
    }
}

/// Errors count for this long: a fault that has passed stops being counted.
pub const ERROR_WINDOW: Duration = Duration::from_secs(300);

/// Requests in the last minute, or since polling began when that is less than a minute ago: a
/// count of what was sent, never a rate extrapolated from a moment (30 requests in the first
/// 20 ms are 30, not 90,000 a minute).
fn per_minute(counts: &VecDeque<(Instant, u64)>) -> f64 {
    match (counts.front(), counts.back()) {
        (Some((_, n0)), Some((_, n1))) => n1.saturating_sub(*n0) as f64,
        _ => 0.0,
    }
}

/// The web UI's rhythm (interval + 2 × how long the last steady reads took: a slow cluster is
/// asked less often, a slow pane read does not count), and while the cluster does not answer,
/// doubling waits up to a limit.
pub fn next_wait(cadence: &Cadence, snapshot: &ClusterSnapshot, took: Duration) -> Duration {
    let failures = snapshot.resources.failures;
    if failures == 0 {
        return cadence.interval + took * 2;
    }
    let factor = 2u32.saturating_pow(failures.min(16));
    (cadence.interval.saturating_mul(factor)).min(cadence.max_backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_per_minute_are_counted_never_extrapolated() {
        let start = Instant::now();
        // 30 requests in the first few milliseconds are 30, not 90,000 a minute.
        let counts = VecDeque::from([(start, 0), (start + Duration::from_millis(20), 30)]);
        assert_eq!(per_minute(&counts), 30.0);
        let counts = VecDeque::from([(start, 0)]);
        assert_eq!(per_minute(&counts), 0.0);
    }
}
