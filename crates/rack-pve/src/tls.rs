//! TLS trust for Proxmox: system roots; or the cluster's own CA (`pve-root-ca.pem`), which
//! signs every node's certificate; or pinned SHA-256 fingerprints, per cluster or per endpoint,
//! plus those learned from the cluster itself over a connection already verified.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
#[cfg(feature = "client")]
use std::time::Duration;
use std::time::SystemTime;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

/// Make sure rustls has its process-wide crypto provider (ring). Safe to call many times.
pub fn install_crypto_provider() {
    // Err only means another provider is already installed, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// SHA-256 of a DER certificate, as Proxmox shows it: `AA:BB:…`, upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Normalise a fingerprint the user typed: case and separators (`:` or none) do not matter.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = (0..32).filter_map(|i| hex.get(i * 2..i * 2 + 2)).collect();
    Some(pairs.join(":"))
}

/// What an endpoint's certificate is checked against. Pinned and learned fingerprints are
/// accepted whatever the certificate's names and dates say (as Proxmox's own fingerprint
/// pinning does); a CA checks the chain, the name and the dates as any TLS client would.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Fingerprints accepted at every endpoint of the cluster.
    pub pins: Vec<String>,
    /// Fingerprints accepted at one endpoint only, by its base URL.
    pub endpoint_pins: BTreeMap<String, String>,
    /// CA certificates (PEM) that sign the nodes' certificates: the cluster's
    /// `pve-root-ca.pem`.
    pub ca_pem: Option<String>,
    /// The time certificates' dates are checked against; the wall clock when None.
    pub clock: Option<CertClock>,
}

impl Trust {
    /// Nothing configured: the system's roots decide.
    pub fn is_system(&self) -> bool {
        self.pins.is_empty() && self.endpoint_pins.is_empty() && self.ca_pem.is_none()
    }
}

/// A source of "now" for certificate dates: a simulated cluster's certificates are dated on
/// its own clock.
#[derive(Clone)]
pub struct CertClock(pub Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl std::fmt::Debug for CertClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CertClock")
    }
}

/// The fingerprints a cluster's endpoints may present: the configured pins and those learned
/// from the cluster over a verified connection. Shared by all endpoints of one client.
#[derive(Debug, Default)]
pub struct TrustedSet(RwLock<BTreeSet<String>>);

impl TrustedSet {
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.0.read().is_ok_and(|s| s.contains(fingerprint))
    }

    /// Add a fingerprint; true when it was not there yet.
    pub fn insert(&self, fingerprint: &str) -> bool {
        match (normalize_fingerprint(fingerprint), self.0.write()) {
            (Some(fp), Ok(mut s)) => s.insert(fp),
            _ => false,
        }
    }

    pub fn all(&self) -> Vec<String> {
        self.0
            .read()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.read().map_or(true, |s| s.is_empty())
    }
}

/// One endpoint's verifier: its own pin, the cluster's trusted set, then the CA if there is
/// one. Signatures are always verified, so the peer must hold the certificate's private key.
/// A refusal carries the certificate it saw, so it can say which one it was.
#[derive(Debug)]
pub struct ClusterVerifier {
    endpoint_pin: Option<String>,
    trusted: Arc<TrustedSet>,
    /// The pin to name in a refusal (the endpoint's, or the cluster's first).
    named_pin: Option<String>,
    ca: Option<Arc<WebPkiServerVerifier>>,
    /// With neither pins nor a CA: the system's roots.
    system: Option<Arc<dyn ServerCertVerifier>>,
    clock: Option<CertClock>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

/// The verifier refused the certificate: which one it was, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{why}")]
pub struct Refused {
    pub seen: String,
    pub pinned: Option<String>,
    pub why: String,
}

impl ClusterVerifier {
    fn refuse(&self, seen: String, why: String) -> rustls::Error {
        rustls::Error::Other(rustls::OtherError(Arc::new(Refused {
            seen,
            pinned: self.named_pin.clone(),
            why,
        })))
    }
}

/// Roots from PEM text: every certificate in it; an error names what is wrong.
pub fn roots_from_pem(pem: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("not a PEM certificate ({e})"))?;
        roots
            .add(cert)
            .map_err(|e| format!("not a usable CA certificate ({e})"))?;
        found += 1;
    }
    if found == 0 {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(roots)
}

/// The handshake's signature checks, the same for every verifier here: the peer must hold the
/// certificate's private key, whatever decided to accept the certificate.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// Verifiers for each endpoint, sharing one trusted set: fingerprints pinned or learned first,
/// then the cluster CA if there is one, else (with no pin) the system's roots.
pub fn cluster_verifiers(
    endpoints: &[String],
    trust: &Trust,
    trusted: &Arc<TrustedSet>,
) -> Result<Vec<Arc<ClusterVerifier>>, String> {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let system = if trust.is_system() {
        Some(system_verifier(&provider)?)
    } else {
        None
    };
    let ca = match &trust.ca_pem {
        Some(pem) => Some(
            WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots_from_pem(pem)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| format!("cannot use the CA: {e}"))?,
        ),
        None => None,
    };
    for pin in &trust.pins {
        let fp = normalize_fingerprint(pin).ok_or_else(|| not_a_fingerprint(pin))?;
        trusted.insert(&fp);
    }
    endpoints
        .iter()
        .map(|url| {
            let endpoint_pin = match trust.endpoint_pins.get(url) {
                Some(p) => Some(normalize_fingerprint(p).ok_or_else(|| not_a_fingerprint(p))?),
                None => None,
            };
            let named_pin = endpoint_pin
                .clone()
                .or_else(|| trust.pins.first().and_then(|p| normalize_fingerprint(p)));
            Ok(Arc::new(ClusterVerifier {
                endpoint_pin,
                trusted: trusted.clone(),
                named_pin,
                ca: ca.clone(),
                system: system.clone(),
                clock: trust.clock.clone(),
                provider: provider.clone(),
            }))
        })
        .collect::<Result<Vec<_>, String>>()
}

#[cfg(feature = "client")]
fn system_verifier(
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    rustls_platform_verifier::Verifier::new(provider.clone())
        .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
        .map_err(|e| format!("cannot read the system's certificate roots: {e}"))
}

/// Without the client there is no system store to ask: nothing unpinned is trusted.
#[cfg(not(feature = "client"))]
fn system_verifier(
    _provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    Err("no system roots without the client feature".into())
}

fn not_a_fingerprint(text: &str) -> String {
    format!("fingerprint \"{text}\" is not a SHA-256 fingerprint (64 hex digits, colons optional)")
}

/// A rustls client configuration that uses `verifier`.
pub fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> rustls::ClientConfig {
    install_crypto_provider();
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// A verifier that trusts nothing and keeps the certificates it was shown (leaf first).
#[derive(Debug)]
pub struct Observer {
    pub chain: Arc<Mutex<Vec<Vec<u8>>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl Observer {
    pub fn new() -> Self {
        Self {
            chain: Arc::default(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }
}

impl Default for Observer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "client")]
/// The certificates `url` presents (leaf first), read in a handshake that is then refused:
/// no request is sent over it. None when nothing answers with TLS.
pub async fn server_chain(url: &str) -> Option<Vec<Vec<u8>>> {
    install_crypto_provider();
    let observer = Arc::new(Observer::new());
    let chain = observer.chain.clone();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(observer))
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let _ = client.get(url).send().await;
    let chain = chain.lock().ok()?.clone();
    (!chain.is_empty()).then_some(chain)
}

#[cfg(feature = "client")]
/// The SHA-256 fingerprint of the certificate `url` presents (see `server_chain`).
pub async fn server_fingerprint(url: &str) -> Option<String> {
    server_chain(url)
        .await
        .and_then(|c| c.first().map(|der| fingerprint(der)))
}

/// Why an endpoint's certificate was refused, as the TLS layer said it (not read from text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// No root vouches for it: a Proxmox node's own, self-signed, when nothing is pinned; with
    /// its fingerprint when the verifier saw it.
    Untrusted { seen: Option<String> },
    /// A pin is set and the server showed another certificate.
    PinMismatch { pinned: String, seen: String },
    /// The configured CA does not vouch for it (another CA, expired, not for this name).
    CaRefused { seen: String, why: String },
}

impl TlsFailure {
    /// The fingerprint the server showed, when the refusal knows it.
    pub fn seen(&self) -> Option<&str> {
        match self {
            TlsFailure::Untrusted { seen } => seen.as_deref(),
            TlsFailure::PinMismatch { seen, .. } | TlsFailure::CaRefused { seen, .. } => Some(seen),
        }
    }
}

/// The TLS failure among an error's causes, if it is one.
pub fn failure_of(error: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(classify(r));
        }
        if let Some(rustls::Error::Other(other)) = e.downcast_ref::<rustls::Error>()
            && let Some(r) = other.0.downcast_ref::<Refused>()
        {
            return Some(classify(r));
        }
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return Some(TlsFailure::Untrusted { seen: None });
        }
        // An I/O error's `source` skips the error it wraps (here rustls's): look inside it.
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(found) = failure_of(inner)
        {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

fn classify(r: &Refused) -> TlsFailure {
    match (&r.pinned, r.why.starts_with(CA_REFUSED)) {
        (_, true) => TlsFailure::CaRefused {
            seen: r.seen.clone(),
            why: r.why.trim_start_matches(CA_REFUSED).to_string(),
        },
        (Some(pinned), false) => TlsFailure::PinMismatch {
            pinned: pinned.clone(),
            seen: r.seen.clone(),
        },
        (None, false) => TlsFailure::Untrusted {
            seen: Some(r.seen.clone()),
        },
    }
}

const CA_REFUSED: &str = "not vouched for by the cluster CA: ";

#[cfg(feature = "client")]
/// A TLS failure in one line a person can act on: for a certificate no root vouches for (a
/// Proxmox node's own, self-signed) its fingerprint and the two ways to trust it; for a pin
/// that does not match, both fingerprints.
pub async fn explain_failure(url: &str, failure: &TlsFailure) -> String {
    match failure {
        TlsFailure::PinMismatch { pinned, seen } => format!(
            "{url}: certificate fingerprint {seen} does not match the pinned {pinned}: the server's certificate changed, or this is another server (if the change is expected: rack trust {url})"
        ),
        TlsFailure::CaRefused { seen, why } => format!(
            "{url}: certificate {seen} is not vouched for by the cluster CA (ca_file): {why}"
        ),
        TlsFailure::Untrusted { seen } => {
            let fp = match seen {
                Some(fp) => Some(fp.clone()),
                None => server_fingerprint(url).await,
            };
            match fp {
                Some(fp) => format!(
                    "{url}: certificate not trusted (self-signed, as Proxmox's own are); its SHA-256 fingerprint is {fp}: if that is the node's (see its Certificates page), run `rack trust {url}` or pin it with fingerprint = \"{fp}\" in the cluster's config entry"
                ),
                None => {
                    format!("{url}: certificate not trusted, and its fingerprint could not be read")
                }
            }
        }
    }
}

impl ServerCertVerifier for ClusterVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        if self.endpoint_pin.as_deref() == Some(seen.as_str()) || self.trusted.contains(&seen) {
            return Ok(ServerCertVerified::assertion());
        }
        if let Some(ca) = &self.ca {
            let now = match &self.clock {
                Some(clock) => (clock.0)()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(UnixTime::since_unix_epoch)
                    .unwrap_or(now),
                None => now,
            };
            return ca
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|e| self.refuse(seen, format!("{CA_REFUSED}{}", ca_words(&e))));
        }
        if let Some(system) = &self.system {
            return system
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|e| self.refuse(seen, format!("certificate not trusted: {e}")));
        }
        let why = match &self.named_pin {
            Some(pin) => format!("certificate fingerprint {seen} does not match the pinned {pin}"),
            None => format!("certificate {seen} is not trusted"),
        };
        Err(self.refuse(seen, why))
    }

    signature_checks!();
}

/// A CA refusal in words: which check failed.
fn ca_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "signed by another CA".into(),
            C::Expired | C::ExpiredContext { .. } => "expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "not issued for this address (connect by a name or IP the certificate lists)".into()
            }
            C::BadSignature => "signed by another CA of the same name".into(),
            other => format!("{other:?}"),
        },
        other => other.to_string(),
    }
}

impl ServerCertVerifier for Observer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
        }
        Err(rustls::Error::General("certificate only observed".into()))
    }

    signature_checks!();
}

/// A rustls client configuration that trusts only the pinned certificate (for `rack
/// sim-control` and tests).
pub fn pinned_client_config(pin: &str) -> Option<rustls::ClientConfig> {
    let trusted = Arc::new(TrustedSet::default());
    let trust = Trust {
        pins: vec![pin.to_string()],
        ..Trust::default()
    };
    let verifiers = cluster_verifiers(&[String::new()], &trust, &trusted).ok()?;
    let verifier = verifiers.into_iter().next()?;
    Some(client_config(verifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_normalise() {
        let colon = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
        let bare = colon.replace(':', "");
        let want = colon.to_ascii_uppercase();
        assert_eq!(normalize_fingerprint(colon).as_deref(), Some(want.as_str()));
        assert_eq!(normalize_fingerprint(&bare).as_deref(), Some(want.as_str()));
        assert_eq!(normalize_fingerprint("AA:BB"), None);
        assert_eq!(normalize_fingerprint(&"zz".repeat(32)), None);
    }

    #[test]
    fn fingerprint_is_colon_separated_upper_hex() {
        let fp = fingerprint(b"hello");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.starts_with("2C:F2:4D:BA"));
    }
}
