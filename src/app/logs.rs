//! The reader behind the log view: one task, reading what is new every couple of seconds (as
//! the web UI's log panels do) until the view closes or the task it follows ends; a failed read
//! is said and tried again with a growing wait.

use std::time::Duration;

use tokio::sync::mpsc;

use super::driver::App;
use crate::console::event::Event;
use crate::console::log_view::{LogEvent, LogOrder, LogSource};
use crate::poll::LogReader;

/// How often a followed log is read.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// The longest wait between reads that fail.
const MAX_RETRY: u64 = 60;

impl App {
    pub(super) fn log_order(&mut self, id: u64, order: LogOrder) {
        let LogOrder::Open { cluster, source } = order else {
            if let Some((open, reader)) = self.log_reader.take() {
                if open == id {
                    reader.abort();
                } else {
                    self.log_reader = Some((open, reader));
                }
            }
            return;
        };
        if let Some((_, reader)) = self.log_reader.take() {
            reader.abort();
        }
        let events = self.sender.clone();
        let Some(client) = self.client(cluster).cloned() else {
            let what = LogEvent::Failed {
                why: "this cluster has no connection".into(),
                retry: 0,
            };
            let _ = events.try_send(Event::Log { id, what });
            return;
        };
        let mut reader = match source {
            LogSource::Syslog { node } => LogReader::syslog(node, self.clock.now()),
            LogSource::Task { node, upid, .. } => LogReader::task(node, upid),
            LogSource::Guest { vmid, nodes, .. } => LogReader::guest(vmid, nodes),
        };
        let task = tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let wait = match reader.step(&client).await {
                    Ok(step) => {
                        failures = 0;
                        if step.changed && !say(&events, id, LogEvent::Lines(reader.lines())).await
                        {
                            return;
                        }
                        if let Some(how) = step.ended {
                            say(&events, id, LogEvent::Ended(how)).await;
                            return;
                        }
                        FOLLOW_EVERY
                    }
                    Err(why) => {
                        failures += 1;
                        let retry = (2u64 << failures.min(5)).min(MAX_RETRY);
                        if !say(&events, id, LogEvent::Failed { why, retry }).await {
                            return;
                        }
                        Duration::from_secs(retry)
                    }
                };
                tokio::time::sleep(wait).await;
            }
        });
        self.log_reader = Some((id, task.abort_handle()));
    }
}

/// Tell the view; false when the console has gone.
async fn say(events: &mpsc::Sender<Event>, id: u64, what: LogEvent) -> bool {
    events.send(Event::Log { id, what }).await.is_ok()
}
