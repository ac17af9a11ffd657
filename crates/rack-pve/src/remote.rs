//! What a remote migration (`POST …/remote_migrate`) is told, in Proxmox's own formats: the
//! `proxmox-remote` target endpoint (pve-common `JSONSchema.pm`) and the `storage-pair-list` /
//! `bridge-pair-list` maps (`parse_idmap`). Built by the client from a target cluster's config
//! entry; read by the simulator as pve-common reads them, with its error texts.

use std::collections::BTreeMap;
use std::fmt;

use crate::propstr::PropString;

/// The port a `proxmox-remote` without one means (the callers' default, not the schema's).
pub const DEFAULT_PORT: u16 = 8006;

/// `host=…,apitoken=PVEAPIToken=user@realm!id=secret[,fingerprint=…][,port=…]`.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteEndpoint {
    pub host: String,
    pub port: u16,
    /// `PVEAPIToken=user@realm!id=SECRET`, whole: the tunnel sends it as the Authorization
    /// header as it is.
    pub apitoken: String,
    /// SHA-256 of the certificate `host` serves, `AA:BB:…`.
    pub fingerprint: Option<String>,
}

/// Never the token's secret: an endpoint may be logged.
impl fmt::Debug for RemoteEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteEndpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("apitoken", &"<hidden>")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl RemoteEndpoint {
    /// The endpoint for an API token `user@realm!id` and its secret.
    pub fn with_token(host: &str, port: u16, token_id: &str, secret: &str) -> Self {
        Self {
            host: host.to_string(),
            port,
            apitoken: format!("PVEAPIToken={token_id}={secret}"),
            fingerprint: None,
        }
    }

    /// The parameter's text, as `qm remote-migrate` takes it.
    pub fn to_param(&self) -> String {
        let mut out = format!("host={},apitoken={}", self.host, self.apitoken);
        if let Some(fp) = &self.fingerprint {
            out.push_str(&format!(",fingerprint={fp}"));
        }
        if self.port != DEFAULT_PORT {
            out.push_str(&format!(",port={}", self.port));
        }
        out
    }

    /// Read a `proxmox-remote` as pve-common does: every key named, `host` and `apitoken`
    /// required, the fingerprint 32 hex pairs.
    pub fn parse(text: &str) -> Result<Self, String> {
        let props = PropString::parse(text, "");
        if let Some((k, _)) = props.pairs.iter().find(|(k, _)| k.is_empty()) {
            return Err(format!(
                "value without key, but schema does not define a default key{k}"
            ));
        }
        for (k, _) in &props.pairs {
            if !matches!(k.as_str(), "host" | "apitoken" | "fingerprint" | "port") {
                return Err(format!("invalid format - property '{k}' not allowed"));
            }
        }
        let required = |key: &str| {
            props
                .get(key)
                .map(str::to_string)
                .ok_or_else(|| format!("invalid format - property '{key}' is missing"))
        };
        let host = required("host")?;
        let apitoken = required("apitoken")?;
        let port = match props.get("port") {
            None => DEFAULT_PORT,
            Some(p) => p.parse().map_err(|_| {
                format!("invalid format - port: type check ('integer') failed - got '{p}'")
            })?,
        };
        let fingerprint = match props.get("fingerprint") {
            None => None,
            Some(fp) if is_fingerprint(fp) => Some(fp.to_ascii_uppercase()),
            Some(fp) => {
                return Err(format!(
                    "invalid format - fingerprint: value does not match the regex pattern ('{fp}')"
                ));
            }
        };
        Ok(Self {
            host,
            port,
            apitoken,
            fingerprint,
        })
    }

    /// The token's id and secret, when `apitoken` is `PVEAPIToken=ID=SECRET`.
    pub fn token(&self) -> Option<(&str, &str)> {
        self.apitoken
            .strip_prefix("PVEAPIToken=")
            .unwrap_or(&self.apitoken)
            .split_once('=')
    }
}

/// `([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}`.
fn is_fingerprint(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 32
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A storage or bridge map: `src:dst` pairs, a bare id for everything else, or `1` for the same
/// id on both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdMap {
    pub entries: BTreeMap<String, String>,
    pub default: Option<String>,
    pub identity: bool,
}

impl IdMap {
    /// Read as pve-common's `parse_idmap`: entries split on `,`, `;` or white space.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut map = IdMap::default();
        for entry in text
            .split([',', ';', ' ', '\t', '\n'])
            .filter(|e| !e.is_empty())
        {
            if entry == "1" {
                map.identity = true;
            } else if let Some((source, target)) = entry.split_once(':') {
                for id in [source, target] {
                    check_id(entry, id)?;
                }
                if map.entries.contains_key(source) {
                    return Err(format!("duplicate mapping for source '{source}'"));
                }
                map.entries.insert(source.to_string(), target.to_string());
            } else {
                check_id(entry, entry)?;
                if map.default.is_some() {
                    return Err("default target ID can only be provided once".into());
                }
                map.default = Some(entry.to_string());
            }
        }
        if map.identity && (map.default.is_some() || !map.entries.is_empty()) {
            return Err("identity mapping cannot be combined with other mappings".into());
        }
        Ok(map)
    }

    /// Where `source` goes: its own entry, else the default, else the same id.
    pub fn map<'a>(&'a self, source: &'a str) -> &'a str {
        self.entries
            .get(source)
            .or(self.default.as_ref())
            .map_or(source, String::as_str)
    }
}

/// A storage or bridge id: a letter, then letters, digits, `-`, `_` and `.`.
fn check_id(entry: &str, id: &str) -> Result<(), String> {
    let mut chars = id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "entry '{entry}' contains invalid ID - invalid format - {id}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

    #[test]
    fn an_endpoint_reads_back_as_it_was_written() {
        let mut e = RemoteEndpoint::with_token("10.0.0.5", 8006, "root@pam!rack", "s3cr3t");
        e.fingerprint = Some(FP.into());
        let text = e.to_param();
        assert_eq!(
            text,
            format!("host=10.0.0.5,apitoken=PVEAPIToken=root@pam!rack=s3cr3t,fingerprint={FP}")
        );
        assert_eq!(RemoteEndpoint::parse(&text), Ok(e.clone()));
        assert_eq!(e.token(), Some(("root@pam!rack", "s3cr3t")));
        assert!(!format!("{e:?}").contains("s3cr3t"));
        let other_port = RemoteEndpoint::with_token("h", 443, "a@pve!b", "c");
        assert!(other_port.to_param().ends_with(",port=443"));
    }

    #[test]
    fn an_endpoint_is_refused_as_pve_common_refuses_it() {
        assert_eq!(
            RemoteEndpoint::parse("host=h").unwrap_err(),
            "invalid format - property 'apitoken' is missing"
        );
        assert!(
            RemoteEndpoint::parse("host=h,apitoken=x,fingerprint=zz")
                .unwrap_err()
                .contains("does not match the regex pattern")
        );
        assert!(
            RemoteEndpoint::parse("host=h,apitoken=x,user=y")
                .unwrap_err()
                .contains("property 'user' not allowed")
        );
    }

    #[test]
    fn maps_follow_parse_idmap() {
        let m = IdMap::parse("local-lvm:ceph, nfs").unwrap();
        assert_eq!(m.map("local-lvm"), "ceph");
        assert_eq!(m.map("zfs"), "nfs");
        let same = IdMap::parse("1").unwrap();
        assert!(same.identity);
        assert_eq!(same.map("vmbr0"), "vmbr0");
        assert_eq!(
            IdMap::parse("1,vmbr1").unwrap_err(),
            "identity mapping cannot be combined with other mappings"
        );
        assert_eq!(
            IdMap::parse("a,b").unwrap_err(),
            "default target ID can only be provided once"
        );
        assert_eq!(
            IdMap::parse("a:b,a:c").unwrap_err(),
            "duplicate mapping for source 'a'"
        );
        assert!(IdMap::parse("9x:b").unwrap_err().contains("invalid ID"));
    }
}
