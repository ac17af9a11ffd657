//! A self-signed certificate made at start, like the one a fresh Proxmox node has.

use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Scenario;
use rack_pve::tls::{fingerprint, install_crypto_provider};

pub fn server_config(scenario: &Scenario) -> Result<(RustlsConfig, String), String> {
    install_crypto_provider();
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    names.extend(scenario.nodes.iter().map(|n| n.name.clone()));
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "PVE Cluster Node");
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        scenario
            .nodes
            .first()
            .map(|n| format!("{}.local", n.name))
            .unwrap_or_else(|| "pve.local".into()),
    );
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let der = cert.der().clone();
    let print = fingerprint(der.as_ref());
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![der], key_der)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((RustlsConfig::from_config(Arc::new(config)), print))
}
