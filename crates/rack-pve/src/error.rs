//! What can go wrong talking to Proxmox, with the text a person needs to act on it.

use std::collections::BTreeMap;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// No endpoint answered; each one tried with why it failed. `sent` when the request may
    /// have reached a server before the answer was lost (a timeout rather than a refused
    /// connection): a write may then have happened.
    #[error("no endpoint answered: {}", tried.iter().map(|(url, why)| format!("{url}: {why}")).collect::<Vec<_>>().join("; "))]
    Unreachable {
        tried: Vec<(String, String)>,
        sent: bool,
    },
    /// Proxmox answered with an error: its status and its own text.
    #[error("{method} {path}: {status} {message}{}", format_errors(errors))]
    Api {
        method: String,
        path: String,
        status: u16,
        message: String,
        errors: BTreeMap<String, String>,
    },
    /// Credentials refused (401), or a login that did not give a ticket.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The answer was not what the API promises.
    #[error("{path}: unreadable answer: {message}")]
    Decode { path: String, message: String },
    /// The client could not be built (a bad pin, a bad URL).
    #[error("{0}")]
    Setup(String),
    /// Not sent: what the cluster enforces would refuse it (a device held, no device there).
    #[error("{0}")]
    Refused(String),
    /// A terminal could not be attached, or its connection failed.
    #[error("terminal: {0}")]
    Terminal(String),
    /// Not sent: the write could not be recorded in the audit log first.
    #[error("not sent: {0}")]
    Audit(String),
}

fn format_errors(errors: &BTreeMap<String, String>) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let list: Vec<String> = errors
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.trim()))
        .collect();
    format!(" ({})", list.join(", "))
}

impl Error {
    /// Proxmox's own words for an API error, else the whole message.
    pub fn proxmox_text(&self) -> String {
        match self {
            Error::Api {
                message, errors, ..
            } => format!("{message}{}", format_errors(errors)),
            other => other.to_string(),
        }
    }

    /// Whether a write that failed so may nevertheless have been carried out.
    pub fn may_have_happened(&self) -> bool {
        match self {
            Error::Unreachable { sent, .. } => *sent,
            Error::Decode { .. } => true,
            Error::Api { status, .. } => *status >= 500 && self.is_gateway(),
            Error::Auth(_) | Error::Setup(_) | Error::Refused(_) | Error::Audit(_) => false,
            Error::Terminal(_) => false,
        }
    }

    /// A proxy's timeout (Proxmox's pveproxy answers 595/596 when the target node does not).
    fn is_gateway(&self) -> bool {
        matches!(
            self,
            Error::Api {
                status: 504 | 596,
                ..
            }
        )
    }

    /// Whether trying again later may help (the cluster or the network), as opposed to a request
    /// that is wrong and will stay wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } | Error::Decode { .. } => true,
            Error::Api { status, .. } => *status >= 500,
            Error::Terminal(_) => true,
            Error::Auth(_) | Error::Setup(_) | Error::Refused(_) | Error::Audit(_) => false,
        }
    }
}
