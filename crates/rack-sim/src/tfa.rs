//! Second factors as Proxmox VE 8/9 check them at `POST /access/ticket`: a user with TOTP (RFC
//! 6238: SHA-1, 6 digits, 30 s steps, one step of drift either way, a code used once) and ten
//! one-time recovery keys (`1a2b-3c4d-5e6f-7a8b`). The first step answers with a partial
//! `PVE:!tfa!{challenge}:…` ticket signed with the user name; the second sends it back as
//! `tfa-challenge` with `totp:CODE` or `recovery:KEY` as the password.

use std::collections::BTreeSet;

use ring::hmac;

/// TOTP's step.
pub const PERIOD: u64 = 30;

/// One user's second factors.
#[derive(Debug, Clone)]
pub struct TfaUser {
    pub secret: Vec<u8>,
    pub recovery: Vec<String>,
    /// Recovery keys used, by index.
    pub used_recovery: BTreeSet<usize>,
    /// TOTP steps already accepted: a code works once.
    pub used_steps: BTreeSet<u64>,
}

impl TfaUser {
    pub fn new(secret: Vec<u8>, recovery: Vec<String>) -> Self {
        Self {
            secret,
            recovery,
            used_recovery: BTreeSet::new(),
            used_steps: BTreeSet::new(),
        }
    }

    /// The challenge's JSON, as proxmox-tfa serializes it: which factors the user may answer
    /// with (the indices of recovery keys not used yet).
    pub fn challenge(&self) -> String {
        let left: Vec<String> = (0..self.recovery.len())
            .filter(|i| !self.used_recovery.contains(i))
            .map(|i| i.to_string())
            .collect();
        format!("{{\"totp\":true,\"recovery\":[{}]}}", left.join(","))
    }

    /// Check a response (`totp:123456`, `recovery:…`) at `now`; a code or key counts once.
    pub fn answer(&mut self, response: &str, now: f64) -> bool {
        if let Some(code) = response.strip_prefix("totp:") {
            let step = (now.max(0.0) as u64) / PERIOD;
            for s in [step.saturating_sub(1), step, step + 1] {
                if !self.used_steps.contains(&s) && code_at(&self.secret, s) == code.trim() {
                    self.used_steps.insert(s);
                    return true;
                }
            }
            return false;
        }
        if let Some(key) = response.strip_prefix("recovery:") {
            let key = key.trim().to_ascii_lowercase();
            if let Some(i) = self.recovery.iter().position(|k| *k == key)
                && !self.used_recovery.contains(&i)
            {
                self.used_recovery.insert(i);
                return true;
            }
        }
        false
    }
}

/// The 6-digit code for TOTP step `step`.
pub fn code_at(secret: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let part = mac.get(offset..offset + 4).unwrap_or(&[0, 0, 0, 0]);
    let binary = (u32::from(part[0] & 0x7f) << 24)
        | (u32::from(part[1]) << 16)
        | (u32::from(part[2]) << 8)
        | u32::from(part[3]);
    format!("{:06}", binary % 1_000_000)
}

/// The code an authenticator shows at `now` (Unix seconds).
pub fn code_now(secret: &[u8], now: f64) -> String {
    code_at(secret, (now.max(0.0) as u64) / PERIOD)
}

/// RFC 4648 base32 without padding, as authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// RFC 4648 base32 read back (case and padding do not matter); None when it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim().trim_end_matches('=').chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's test vector for SHA-1 (8 digits there; the last 6 are ours).
    #[test]
    fn totp_matches_the_rfc() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59 / 30), "287082");
        assert_eq!(code_at(secret, 1111111109 / 30), "081804");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
    }

    #[test]
    fn a_code_works_once_and_drift_is_allowed() {
        let mut u = TfaUser::new(
            b"12345678901234567890".to_vec(),
            vec!["1a2b-3c4d-5e6f-7a8b".into()],
        );
        let code = code_now(&u.secret, 1000.0);
        assert!(u.answer(&format!("totp:{code}"), 1010.0));
        assert!(!u.answer(&format!("totp:{code}"), 1010.0), "reused");
        let next = code_now(&u.secret, 1030.0);
        assert!(u.answer(&format!("totp:{next}"), 1005.0), "one step early");
        assert!(u.answer("recovery:1A2B-3C4D-5E6F-7A8B", 0.0));
        assert!(!u.answer("recovery:1a2b-3c4d-5e6f-7a8b", 0.0), "used");
        assert_eq!(u.challenge(), "{\"totp\":true,\"recovery\":[]}");
    }
}
