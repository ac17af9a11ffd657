//! The second factor of a login: what the partial ticket asks for, and the answer in the form
//! Proxmox takes it (`totp:123456`, `recovery:1a2b-3c4d-5e6f-7a8b`).

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::client::Secret;

/// What a user may answer a challenge with, read from the partial ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub totp: bool,
    /// Recovery keys not used yet.
    pub recovery: usize,
    /// Other kinds offered (webauthn, u2f, yubico), which rack cannot answer.
    pub other: Vec<String>,
}

impl Challenge {
    /// From `PVE:!tfa!{challenge}:STAMP::SIGNATURE` (`:` in the JSON escaped as `%3A`).
    pub fn of_ticket(ticket: &str) -> Self {
        let json = ticket
            .strip_prefix("PVE:!tfa!")
            .and_then(|rest| rest.split_once("::").map(|(body, _)| body))
            .and_then(|body| body.rsplit_once(':').map(|(json, _)| json))
            .map(|json| json.replace("%3A", ":").replace("%3a", ":"))
            .unwrap_or_default();
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&json) else {
            return Self::default();
        };
        let mut out = Self::default();
        for (kind, value) in map {
            match kind.as_str() {
                "totp" => out.totp = value.as_bool().unwrap_or(false),
                "recovery" => out.recovery = value.as_array().map_or(0, Vec::len),
                _ if !value.is_null() && value != Value::Bool(false) => out.other.push(kind),
                _ => {}
            }
        }
        out
    }

    /// What to ask for, in words: "a TOTP code or a recovery key (9 left)".
    pub fn ask(&self) -> String {
        let mut kinds = Vec::new();
        if self.totp {
            kinds.push("a TOTP code".to_string());
        }
        if self.recovery > 0 {
            kinds.push(format!("a recovery key ({} left)", self.recovery));
        }
        if kinds.is_empty() {
            return format!(
                "a second factor rack cannot give ({})",
                self.other.join(", ")
            );
        }
        kinds.join(" or ")
    }
}

/// An answer as typed or printed (`123456`, a recovery key, or already `totp:…`) in the form
/// Proxmox takes.
pub fn response(text: &str) -> String {
    // Authenticator apps show "123 456": the spaces are not part of the code.
    let text: String = text.split_whitespace().collect();
    let text = text.as_str();
    let known = ["totp:", "recovery:", "yubico:", "webauthn:", "u2f:"];
    if known.iter().any(|k| text.starts_with(k)) {
        text.to_string()
    } else if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        format!("totp:{text}")
    } else {
        format!("recovery:{}", text.to_ascii_lowercase())
    }
}

/// Asks a person (or runs a command) for a login's second factor.
pub trait SecondFactor: Send + Sync {
    /// `user`'s answer to `challenge`; an error says why there is none (cancelled, the
    /// command failed).
    fn answer(
        &self,
        user: &str,
        challenge: &Challenge,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'static>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_read_from_the_partial_ticket() {
        let t = "PVE:!tfa!{\"totp\"%3Atrue,\"recovery\"%3A[0,1,2,3,4,5,6,7,8,9]}:6734A1B2::c2lnbmF0dXJl";
        let c = Challenge::of_ticket(t);
        assert_eq!(
            c,
            Challenge {
                totp: true,
                recovery: 10,
                other: vec![]
            }
        );
        assert_eq!(c.ask(), "a TOTP code or a recovery key (10 left)");
        assert_eq!(Challenge::of_ticket("garbage"), Challenge::default());
    }

    #[test]
    fn answers_get_their_prefix() {
        assert_eq!(response(" 123456 "), "totp:123456");
        assert_eq!(response("123 456"), "totp:123456");
        assert_eq!(
            response("1A2B-3c4d-5e6f-7a8b"),
            "recovery:1a2b-3c4d-5e6f-7a8b"
        );
        assert_eq!(response("totp:000111"), "totp:000111");
    }
}
