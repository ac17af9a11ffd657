//! A configured cluster presents a certificate nothing vouches for, or not the pinned one: the
//! console shows both fingerprints and asks, once per certificate. Never trusted silently; on
//! yes it is trusted at once (the client learns it) and pinned in the config file.

use super::driver::{Answering, App};
use crate::config::pin::pin;
use crate::console::event::Event;
use crate::console::model::Level;
use crate::files;
use crate::pve::tls::TlsFailure;

/// A SHA-256 fingerprint on two lines of 16 bytes, so it is read whole at 80 columns.
pub fn halves(label: &str, fingerprint: &str) -> [String; 2] {
    let cut = fingerprint
        .match_indices(':')
        .nth(15)
        .map_or(fingerprint.len(), |(i, _)| i);
    let (first, second) = fingerprint.split_at(cut);
    [
        format!("{label:<10} {first}"),
        format!("{:<10} {}", "", second.trim_start_matches(':')),
    ]
}

impl App {
    /// Ask about the first certificate of cluster `index` that was refused and not asked
    /// about yet.
    pub(super) fn offer_trust(&mut self, index: usize) {
        let Some(client) = self.client(index).cloned() else {
            return;
        };
        let Some(name) = self.model.clusters.get(index).map(|c| c.name.clone()) else {
            return;
        };
        // One question at a time per cluster: the answer may make the next one moot (trusted,
        // the other nodes' certificates are learned from it).
        let asking = self
            .asked
            .values()
            .any(|a| matches!(a, Answering::Trust { cluster, .. } if *cluster == index));
        if asking {
            return;
        }
        for (endpoint, failure) in client.tls_failures() {
            let Some(seen) = failure.seen().map(str::to_string) else {
                continue;
            };
            // Learned from the cluster since (or trusted at another endpoint): nothing to ask.
            if client.trusted_fingerprints().contains(&seen) {
                continue;
            }
            if !self.offered.insert((index, seen.clone())) {
                continue;
            }
            let mut lines = vec![format!(
                "{endpoint} of cluster \"{name}\" presents a certificate rack does not trust."
            )];
            match &failure {
                TlsFailure::PinMismatch { pinned, .. } => {
                    lines.extend(halves("pinned", pinned));
                    lines.extend(halves("presented", &seen));
                    lines.push(
                        "Not the pinned one: a renewed certificate, or another server in between."
                            .into(),
                    );
                }
                TlsFailure::CaRefused { why, .. } => {
                    lines.extend(halves("presented", &seen));
                    lines.push(format!(
                        "The cluster CA (ca_file) does not vouch for it: {why}."
                    ));
                }
                TlsFailure::Untrusted { .. } => {
                    lines.extend(halves("presented", &seen));
                    lines.push(
                        "Nothing vouches for it (self-signed, as Proxmox's own certificates are)."
                            .into(),
                    );
                }
            }
            lines.push(
                "Compare it with the node's own: web UI, the node > System > Certificates, or `pvenode cert info`."
                    .into(),
            );
            match &self.config_path {
                Some(p) => lines.push(format!(
                    "Trust it? From now on at every endpoint of the cluster, and pinned in {} for this endpoint.",
                    p.display()
                )),
                None => lines.push("Trust it at every endpoint of the cluster, for this session?".into()),
            }
            self.next_question += 1;
            let id = self.next_question;
            self.asked.insert(
                id,
                Answering::Trust {
                    cluster: index,
                    endpoint: endpoint.clone(),
                    fingerprint: seen,
                },
            );
            self.push(Event::Ask {
                id,
                title: "Certificate not trusted".into(),
                lines,
                secret: false,
            });
            return;
        }
    }

    /// The user said yes: the connection trusts it now, and the config file keeps the pin.
    pub(super) fn trust(&mut self, index: usize, endpoint: &str, fingerprint: &str) {
        let Some(client) = self.client(index).cloned() else {
            return;
        };
        client.learn_fingerprint(fingerprint);
        let name = self.model.clusters.get(index).map(|c| c.name.clone());
        let said = match (&self.config_path, &name) {
            (Some(path), Some(name)) => {
                let written = std::fs::read_to_string(path)
                    .map_err(|e| e.to_string())
                    .and_then(|text| pin(&text, endpoint, Some(name), fingerprint))
                    .and_then(|(text, said)| {
                        files::write_private(path, &text)
                            .map(|()| said)
                            .map_err(|e| e.to_string())
                    });
                match written {
                    Ok(said) => (Level::Info, format!("{said} in {}", path.display())),
                    Err(e) => (
                        Level::Warn,
                        format!(
                            "trusted for this session; the pin could not be written to {}: {e}",
                            path.display()
                        ),
                    ),
                }
            }
            _ => (Level::Info, format!("{endpoint}: trusted for this session")),
        };
        self.model.notify(said.0, said.1);
        self.refresh_everything(index);
    }
}
