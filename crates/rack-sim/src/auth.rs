//! Authentication as Proxmox does it: API tokens in a header, or tickets from
//! `POST /access/ticket` sent as a cookie, with a CSRF token required on writes.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Tickets are valid for two hours, like Proxmox's.
pub const TICKET_LIFETIME: f64 = 7200.0;

pub struct Auth {
    secret: [u8; 32],
    /// `user@realm!tokenid` -> secret.
    pub tokens: BTreeMap<String, String>,
    /// `user@realm` -> password.
    pub passwords: BTreeMap<String, String>,
    /// Principals with only some privileges; everyone else holds all of them.
    pub restricted: BTreeMap<String, super::access::Grants>,
    /// Users with a second factor: a password alone gets them only a partial ticket.
    pub tfa: BTreeMap<String, super::tfa::TfaUser>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `root@pam`, or `root@pam!rack` for a token: what task UPIDs record.
    pub user: String,
    pub via_ticket: bool,
    /// The node whose own listener took the request (`node_ports`): the "local" node.
    pub served_by: Option<String>,
}

impl Auth {
    pub fn new(secret: [u8; 32]) -> Self {
        Self {
            secret,
            tokens: BTreeMap::new(),
            passwords: BTreeMap::new(),
            restricted: BTreeMap::new(),
            tfa: BTreeMap::new(),
        }
    }

    /// Revoke every ticket and CSRF token issued so far, as Proxmox does when it rotates its
    /// auth key; logins after this get tickets that work.
    pub fn rotate_key(&mut self, secret: [u8; 32]) {
        self.secret = secret;
    }

    fn sign(&self, what: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(what.as_bytes());
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.finalize())
    }

    pub fn ticket(&self, user: &str, now: f64) -> String {
        let stamp = format!("{:08X}", now.floor() as i64);
        let body = format!("PVE:{user}:{stamp}");
        format!("{body}::{}", self.sign(&body))
    }

    /// A `PVEVNC:` ticket for a terminal: bound to the user, the ACL path and the port.
    pub fn vnc_ticket(&self, user: &str, path: &str, port: u16, now: f64) -> String {
        let stamp = format!("{:08X}", now.floor() as i64);
        let sig = self.sign(&format!("PVEVNC:{stamp}:{user}:{path}:{port}"));
        format!("PVEVNC:{stamp}::{sig}")
    }

    /// Whether `ticket` is a terminal ticket for this user, path and port, issued between 40 s
    /// ago and 20 s ahead (Proxmox's window).
    pub fn check_vnc_ticket(
        &self,
        ticket: &str,
        user: &str,
        path: &str,
        port: u16,
        now: f64,
    ) -> bool {
        let Some((stamp, sig)) = ticket
            .strip_prefix("PVEVNC:")
            .and_then(|rest| rest.split_once("::"))
        else {
            return false;
        };
        let Ok(issued) = i64::from_str_radix(stamp, 16) else {
            return false;
        };
        let age = now - issued as f64;
        (-20.0..=40.0).contains(&age)
            && sig == self.sign(&format!("PVEVNC:{stamp}:{user}:{path}:{port}"))
    }

    pub fn csrf(&self, user: &str, now: f64) -> String {
        let stamp = format!("{:08X}", now.floor() as i64);
        format!("{stamp}:{}", self.sign(&format!("csrf:{user}:{stamp}")))
    }

    /// The user a ticket belongs to, if it is genuine and not expired.
    pub fn check_ticket(&self, ticket: &str, now: f64) -> Option<String> {
        let (body, sig) = ticket.split_once("::")?;
        if self.sign(body) != sig {
            return None;
        }
        let mut parts = body.splitn(3, ':');
        let (Some("PVE"), Some(user), Some(stamp)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let issued = i64::from_str_radix(stamp, 16).ok()? as f64;
        let fresh = now - issued < TICKET_LIFETIME;
        fresh.then(|| user.to_string())
    }

    pub fn check_csrf(&self, token: &str, user: &str, now: f64) -> bool {
        let Some((stamp, sig)) = token.split_once(':') else {
            return false;
        };
        let Ok(issued) = i64::from_str_radix(stamp, 16) else {
            return false;
        };
        let issued = issued as f64;
        sig == self.sign(&format!("csrf:{user}:{stamp}")) && now - issued < TICKET_LIFETIME
    }

    /// `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`.
    pub fn check_token_header(&self, header: &str) -> Option<String> {
        let value = header
            .strip_prefix("PVEAPIToken=")
            .or_else(|| header.strip_prefix("PVEAPIToken "))?;
        let (id, secret) = value.split_once('=')?;
        (self.tokens.get(id.trim()).map(String::as_str) == Some(secret.trim()))
            .then(|| id.trim().to_string())
    }

    /// Login with a password, or renew with a still-valid ticket given as the password (no
    /// second factor then: the ticket was had with one). The user, and whether it was a
    /// renewal.
    pub fn login(&self, username: &str, password: &str, now: f64) -> Option<(String, bool)> {
        if let Some(user) = self.check_ticket(password, now) {
            return (user == username).then_some((user, true));
        }
        (self.passwords.get(username).map(String::as_str) == Some(password))
            .then(|| (username.to_string(), false))
    }

    /// The partial ticket of a user who passed the first factor: the challenge, signed with the
    /// user's name besides (so it is good for that user only, and never as a ticket).
    pub fn partial_ticket(&self, user: &str, challenge: &str, now: f64) -> String {
        let stamp = format!("{:08X}", now.floor() as i64);
        let body = format!("PVE:!tfa!{}:{stamp}", challenge.replace(':', "%3A"));
        format!("{body}::{}", self.sign(&format!("{body}{user}")))
    }

    /// Whether `ticket` is a genuine, fresh partial ticket of `user`.
    pub fn check_partial(&self, ticket: &str, user: &str, now: f64) -> bool {
        let Some((body, sig)) = ticket.split_once("::") else {
            return false;
        };
        if !body.starts_with("PVE:!tfa!") || self.sign(&format!("{body}{user}")) != sig {
            return false;
        }
        body.rsplit_once(':')
            .and_then(|(_, stamp)| i64::from_str_radix(stamp, 16).ok())
            .is_some_and(|issued| now - (issued as f64) < TICKET_LIFETIME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        let mut a = Auth::new([7; 32]);
        a.passwords.insert("root@pam".into(), "pw".into());
        a.tokens.insert("root@pam!rack".into(), "s3cret".into());
        a
    }

    #[test]
    fn tickets_expire_and_renew() {
        let a = auth();
        let t = a.ticket("root@pam", 1000.0);
        assert_eq!(
            a.check_ticket(&t, 1000.0 + 7199.0).as_deref(),
            Some("root@pam")
        );
        assert_eq!(a.check_ticket(&t, 1000.0 + 7200.0), None);
        assert_eq!(
            a.login("root@pam", &t, 2000.0),
            Some(("root@pam".to_string(), true))
        );
        assert_eq!(a.login("root@pam", "wrong", 2000.0), None);
    }

    #[test]
    fn forged_tickets_and_csrf_fail() {
        let a = auth();
        let t = a
            .ticket("root@pam", 1000.0)
            .replace("root@pam", "admin@pve");
        assert_eq!(a.check_ticket(&t, 1000.0), None);
        let c = a.csrf("root@pam", 1000.0);
        assert!(a.check_csrf(&c, "root@pam", 1001.0));
        assert!(!a.check_csrf(&c, "other@pve", 1001.0));
    }

    #[test]
    fn token_header() {
        let a = auth();
        assert_eq!(
            a.check_token_header("PVEAPIToken=root@pam!rack=s3cret")
                .as_deref(),
            Some("root@pam!rack")
        );
        assert_eq!(a.check_token_header("PVEAPIToken=root@pam!rack=nope"), None);
        assert_eq!(a.check_token_header("Bearer x"), None);
    }
}
