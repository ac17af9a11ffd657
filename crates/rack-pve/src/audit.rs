//! The hook every write goes through: told before a write is sent (and able to stop it) and
//! after it is answered. The client calls it; what it keeps, and where, is its user's affair.

use serde_json::Value;

/// A write about to be sent.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// As sent; an auditor masks what is secret before it keeps them.
    pub params: &'a [(&'a str, &'a str)],
    /// Where it goes first (a failover may send it elsewhere; the outcome says where).
    pub endpoint: &'a str,
    /// The token id or user it is sent as.
    pub identity: &'a str,
}

/// How a write ended.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<'a> {
    /// The endpoint that answered, if one did.
    pub endpoint: Option<&'a str>,
    /// The answer's `data` (a UPID for a task), when it succeeded.
    pub data: Option<&'a Value>,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Proxmox's error text, when it failed.
    pub error: Option<&'a str>,
}

/// Sees every write a client sends.
pub trait WriteAudit: Send + Sync {
    /// Called before the write is sent; an error stops it (a write that cannot be recorded is
    /// not made). Returns what `after` is called with.
    fn before(&self, write: &Write<'_>) -> Result<u64, String>;
    fn after(&self, id: u64, outcome: &Outcome<'_>);
    /// The task a write started (`upid`) ended with Proxmox's exit status (`OK`, the error),
    /// as whoever followed it saw.
    fn task_ended(&self, _upid: &str, _exit: &str) {}
}
