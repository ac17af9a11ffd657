//! TLS trust for Proxmox: system roots, or a pinned SHA-256 certificate fingerprint for the
//! self-signed certificates most clusters run with.

use std::sync::{Arc, Mutex};
#[cfg(feature = "client")]
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
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

/// Accepts exactly one server certificate: the one whose SHA-256 fingerprint was pinned.
/// Signatures are still verified, so the peer must hold the certificate's private key. Without
/// a pin it only notes the certificate's fingerprint and refuses it, so nothing is sent.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinnedVerifier {
    pub fn new(pin: &str) -> Option<Self> {
        Some(Self {
            pin: Some(normalize_fingerprint(pin)?),
            seen: Arc::default(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        })
    }

    /// A verifier that trusts nothing and keeps the fingerprint it was shown.
    #[cfg(feature = "client")]
    fn observer() -> (Self, Arc<Mutex<Option<String>>>) {
        let seen: Arc<Mutex<Option<String>>> = Arc::default();
        let verifier = Self {
            pin: None,
            seen: seen.clone(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        };
        (verifier, seen)
    }
}

#[cfg(feature = "client")]
/// The SHA-256 fingerprint of the certificate `url` presents, read in a handshake that is then
/// refused (no request is sent over it); None when nothing answers.
pub async fn server_fingerprint(url: &str) -> Option<String> {
    install_crypto_provider();
    let (verifier, seen) = PinnedVerifier::observer();
    let config = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let _ = client.get(url).send().await;
    seen.lock().ok()?.clone()
}

/// Why an endpoint's certificate was refused, as the TLS layer said it (not read from text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// No root vouches for it: a Proxmox node's own, self-signed, when nothing is pinned.
    Untrusted,
    /// A pin is set and the server showed another certificate.
    PinMismatch { pinned: String, seen: String },
}

/// The pinned verifier's refusal, carried through rustls and reqwest as a typed cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("certificate fingerprint {seen} does not match the pinned {pinned}")]
pub struct PinMismatch {
    pub pinned: String,
    pub seen: String,
}

/// The TLS failure among an error's causes, if it is one.
pub fn failure_of(error: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(m) = e.downcast_ref::<PinMismatch>() {
            return Some(TlsFailure::PinMismatch {
                pinned: m.pinned.clone(),
                seen: m.seen.clone(),
            });
        }
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return Some(TlsFailure::Untrusted);
        }
        if let Some(rustls::Error::Other(other)) = e.downcast_ref::<rustls::Error>()
            && let Some(m) = other.0.downcast_ref::<PinMismatch>()
        {
            return Some(TlsFailure::PinMismatch {
                pinned: m.pinned.clone(),
                seen: m.seen.clone(),
            });
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

#[cfg(feature = "client")]
/// A TLS failure in one line a person can act on: for a certificate no root vouches for (a
/// Proxmox node's own, self-signed) its fingerprint and the config line that pins it; for a pin
/// that does not match, both fingerprints.
pub async fn explain_failure(url: &str, failure: &TlsFailure) -> String {
    match failure {
        TlsFailure::PinMismatch { pinned, seen } => format!(
            "{url}: certificate fingerprint {seen} does not match the pinned {pinned}: the server's certificate changed, or this is another server"
        ),
        TlsFailure::Untrusted => match server_fingerprint(url).await {
            Some(fp) => format!(
                "{url}: certificate not trusted (self-signed, as Proxmox's own are); its SHA-256 fingerprint is {fp}: if that is the node's (see its Certificates page), pin it with fingerprint = \"{fp}\" in the cluster's config entry"
            ),
            None => {
                format!("{url}: certificate not trusted, and its fingerprint could not be read")
            }
        },
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(seen.clone());
        }
        match &self.pin {
            Some(pin) if *pin == seen => Ok(ServerCertVerified::assertion()),
            Some(pin) => Err(rustls::Error::Other(rustls::OtherError(Arc::new(
                PinMismatch {
                    pinned: pin.clone(),
                    seen,
                },
            )))),
            None => Err(rustls::Error::General("certificate only observed".into())),
        }
    }

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
}

/// A rustls client configuration that trusts only the pinned certificate.
pub fn pinned_client_config(pin: &str) -> Option<rustls::ClientConfig> {
    install_crypto_provider();
    let verifier = PinnedVerifier::new(pin)?;
    Some(
        rustls::ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
    )
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
