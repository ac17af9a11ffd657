//! The connections behind the console's terminal sessions: one task each, opening the terminal
//! with the cluster's client (or its `[clusters.shell]` login), passing keys and sizes in and
//! output back as events, and saying how it ended.

use std::time::Duration;

use tokio::sync::mpsc;

use super::driver::App;
use crate::config::ClusterConfig;
use crate::console::event::Event;
use crate::console::terminal::{TermEvent, TermOrder};
use crate::pve::Client;
use crate::pve::client::{Target, Terminal};

/// The web UI's keep-alive interval.
const PING_EVERY: Duration = Duration::from_secs(30);

impl App {
    pub(super) fn terminal_order(&mut self, id: u64, order: TermOrder) {
        let TermOrder::Open {
            cluster,
            target,
            cols,
            rows,
        } = order
        else {
            if let Some(tx) = self.terminal_orders.get(&id) {
                let _ = tx.send(order);
            }
            return;
        };
        let client = self.client(cluster).cloned();
        let shell = self.terminal_logins.get(cluster).cloned().flatten();
        let (tx, rx) = mpsc::unbounded_channel();
        // A reconnect replaces the old connection, which ends with its sender.
        self.terminal_orders.insert(id, tx);
        let events = self.sender.clone();
        tokio::spawn(async move {
            let say = |what| {
                let events = events.clone();
                async move {
                    let _ = events.send(Event::Terminal { id, what }).await;
                }
            };
            let term = match connect(client, shell, &target).await {
                Ok(term) => term,
                Err(why) => {
                    say(TermEvent::Closed(Some(format!("cannot open: {why}")))).await;
                    return;
                }
            };
            say(TermEvent::Opened).await;
            let ended = serve(term, rx, (cols, rows), &events, id).await;
            say(TermEvent::Closed(ended)).await;
        });
    }
}

/// The terminal opened with the right login.
async fn connect(
    client: Option<Client>,
    shell: Option<ClusterConfig>,
    target: &Target,
) -> Result<Terminal, String> {
    let client = match (shell, client) {
        (Some(config), _) => {
            // Resolving a secret may run a command: not on the runtime's threads.
            let options = tokio::task::spawn_blocking(move || config.terminal_options())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("shell login: {e}"))?;
            Client::new(options).map_err(|e| e.to_string())?
        }
        (None, Some(client)) => client,
        (None, None) => return Err("this cluster has no connection".into()),
    };
    client
        .open_terminal(target)
        .await
        .map_err(|e| e.proxmox_text())
}

/// Pass keys and sizes in and output out until either side ends; None when the far end closed.
async fn serve(
    term: Terminal,
    mut orders: mpsc::UnboundedReceiver<TermOrder>,
    (cols, rows): (u16, u16),
    events: &mpsc::Sender<Event>,
    id: u64,
) -> Option<String> {
    let Terminal {
        mut writer,
        mut reader,
        ..
    } = term;
    let _ = writer.resize(cols, rows).await;
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            out = reader.next() => match out {
                Some(Ok(bytes)) => {
                    let what = TermEvent::Output(bytes);
                    if events.send(Event::Terminal { id, what }).await.is_err() {
                        return None;
                    }
                }
                Some(Err(e)) => return Some(format!("connection lost: {e}")),
                None => return None,
            },
            order = orders.recv() => match order {
                Some(TermOrder::Input(bytes)) => {
                    if let Err(e) = writer.input(&bytes).await {
                        return Some(format!("connection lost: {e}"));
                    }
                }
                Some(TermOrder::Resize(c, r)) => {
                    let _ = writer.resize(c, r).await;
                }
                Some(TermOrder::Close) | None => {
                    writer.close().await;
                    return Some("closed".into());
                }
                Some(TermOrder::Open { .. }) => {}
            },
            _ = ping.tick() => {
                let _ = writer.ping().await;
            }
        }
    }
}
