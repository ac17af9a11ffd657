//! How a cluster's certificates are trusted: `fingerprint` (one pin for the cluster),
//! endpoints written as `{ url = "…", fingerprint = "…" }` (a pin for one node), and
//! `ca_file` (the cluster's `pve-root-ca.pem`, which signs every node's certificate).

use super::*;
use crate::pve::tls::{self, Trust, normalize_fingerprint};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TlsConfig {
    /// Accepted at every endpoint.
    pub fingerprint: Option<String>,
    /// Endpoint URL -> the fingerprint accepted there.
    pub endpoint_fingerprints: BTreeMap<String, String>,
    /// The CA file and its PEM text, read when the config was.
    pub ca_file: Option<PathBuf>,
    pub ca_pem: Option<String>,
}

impl TlsConfig {
    pub fn trust(&self) -> Trust {
        Trust {
            pins: self.fingerprint.iter().cloned().collect(),
            endpoint_pins: self.endpoint_fingerprints.clone(),
            ca_pem: self.ca_pem.clone(),
            clock: None,
        }
    }
}

pub(super) fn check_endpoints(
    c: &RawCluster,
    endpoints: &[Spanned<toml::Value>],
    label: &str,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<(Vec<String>, TlsConfig), ConfigError> {
    let mut tls = TlsConfig::default();
    let mut urls = Vec::new();
    for e in endpoints {
        let offset = e.span().start;
        let (text, pin) = match e.get_ref() {
            toml::Value::String(url) => (url.clone(), None),
            toml::Value::Table(t) => {
                if let Some(other) = t
                    .keys()
                    .find(|k| !matches!(k.as_str(), "url" | "fingerprint"))
                {
                    return Err(at(
                        offset,
                        "endpoints",
                        format!(
                            "unknown key \"{other}\": an endpoint table has url and fingerprint"
                        ),
                    ));
                }
                let Some(toml::Value::String(url)) = t.get("url") else {
                    return Err(at(
                        offset,
                        "endpoints",
                        "an endpoint table needs url = \"https://HOST:8006\"".into(),
                    ));
                };
                let pin = match t.get("fingerprint") {
                    Some(toml::Value::String(f)) => {
                        Some(fingerprint(f, offset, "endpoints.fingerprint", at)?)
                    }
                    Some(_) => {
                        return Err(at(
                            offset,
                            "endpoints.fingerprint",
                            "expected a string".into(),
                        ));
                    }
                    None => None,
                };
                (url.clone(), pin)
            }
            _ => {
                return Err(at(
                    offset,
                    "endpoints",
                    "expected a URL string, or { url = \"…\", fingerprint = \"…\" }".into(),
                ));
            }
        };
        let url = endpoint_url(&text)
            .map_err(|why| at(offset, "endpoints", format!("\"{text}\": {why}")))?;
        if url.starts_with("http://") {
            warnings.push(format!(
                "cluster \"{label}\": {url} is plain HTTP: credentials cross the network unencrypted (use it for testing only)"
            ));
        }
        if let Some(pin) = pin {
            tls.endpoint_fingerprints.insert(url.clone(), pin);
        }
        urls.push(url);
    }
    if let Some(f) = &c.fingerprint {
        tls.fingerprint = Some(fingerprint(f.get_ref(), f.span().start, "fingerprint", at)?);
    }
    if let Some(f) = &c.ca_file {
        let path = secrets::expand_home(Path::new(f.get_ref()));
        // Whoever may change the CA may stand in for every node.
        if let Some(why) = files::too_open(&path, false) {
            return Err(at(f.span().start, "ca_file", why));
        }
        let pem = std::fs::read_to_string(&path).map_err(|e| {
            at(
                f.span().start,
                "ca_file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        tls::roots_from_pem(&pem).map_err(|why| {
            at(
                f.span().start,
                "ca_file",
                format!("{}: {why}", path.display()),
            )
        })?;
        tls.ca_file = Some(path);
        tls.ca_pem = Some(pem);
    }
    Ok((urls, tls))
}

fn fingerprint(text: &str, offset: usize, key: &str, at: &At) -> Result<String, ConfigError> {
    normalize_fingerprint(text).ok_or_else(|| {
        at(
            offset,
            key,
            "expected a SHA-256 fingerprint: 32 hex bytes, such as \"AA:BB:…\" from the node's certificate".into(),
        )
    })
}
