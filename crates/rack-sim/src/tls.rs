//! The cluster's certificates as Proxmox installs them: a cluster CA (`pve-root-ca.pem`) and, per
//! node, its own certificate signed by it (`pve-ssl.pem`), each with the node's names and
//! addresses. Dates follow the simulated clock, so a test's answers never depend on today.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rcgen::{BasicConstraints, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Scenario;
use rack_pve::tls::{fingerprint, install_crypto_provider};

const DAY: i64 = 86_400;
/// `pvecm updatecerts` issues node certificates for two years, the CA for ten.
const NODE_CERT_DAYS: i64 = 730;
const CA_DAYS: i64 = 3650;

/// One certificate, with what `certificates/info` reports about it.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub filename: String,
    pub der: Vec<u8>,
    pub pem: String,
    pub fingerprint: String,
    pub subject: String,
    pub issuer: String,
    pub san: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
}

/// A node's certificate and the key the server holds for it.
#[derive(Clone)]
pub struct NodeCert {
    pub info: CertInfo,
    key_der: Vec<u8>,
}

/// The CA and every node's certificate.
#[derive(Clone)]
pub struct ClusterPki {
    pub ca: CertInfo,
    pub nodes: BTreeMap<String, NodeCert>,
}

impl ClusterPki {
    /// Issue the CA and one certificate per node, dated back from `now` (simulated seconds).
    pub fn generate(scenario: &Scenario, now: f64) -> Result<Self, String> {
        install_crypto_provider();
        let now = now.floor() as i64;
        let err = |e: rcgen::Error| e.to_string();
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        // A fresh UUID, as `pvecm create` makes: no two clusters' CAs share a name.
        let ou = super::random_uuid(&mut rand::rng());
        ca.distinguished_name = rcgen::DistinguishedName::new();
        ca.distinguished_name
            .push(DnType::CommonName, "Proxmox Virtual Environment");
        ca.distinguished_name
            .push(DnType::OrganizationalUnitName, ou.clone());
        ca.distinguished_name
            .push(DnType::OrganizationName, "PVE Cluster Manager CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // Made a day before it was first used (`faketime yesterday`), when the cluster was.
        let ca_from = now - 400 * DAY;
        ca.not_before = date(ca_from)?;
        ca.not_after = date(ca_from + CA_DAYS * DAY)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let ca_subject =
            format!("/CN=Proxmox Virtual Environment/OU={ou}/O=PVE Cluster Manager CA");
        let ca_info = CertInfo {
            filename: "pve-root-ca.pem".into(),
            der: ca_cert.der().to_vec(),
            pem: ca_cert.pem(),
            fingerprint: fingerprint(ca_cert.der()),
            subject: ca_subject.clone(),
            issuer: ca_subject.clone(),
            san: Vec::new(),
            not_before: ca_from,
            not_after: ca_from + CA_DAYS * DAY,
        };
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let mut nodes = BTreeMap::new();
        for (i, n) in scenario.nodes.iter().enumerate() {
            // No search domain in the simulated resolv.conf: the name is the node's own, and
            // `gen_pve_ssl_cert` adds no FQDN to the names.
            let fqdn = n.name.clone();
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
            let mut san = Vec::new();
            for entry in [
                "ip:127.0.0.1",
                "ip:::1",
                "dns:localhost",
                &format!("ip:{}", n.ip),
                &format!("dns:{}", n.name),
            ] {
                match entry.split_once(':') {
                    Some(("ip", text)) => {
                        if let Ok(ip) = text.parse::<std::net::IpAddr>() {
                            params.subject_alt_names.push(SanType::IpAddress(ip));
                            san.push(san_ip(ip));
                        }
                    }
                    Some((_, name)) => {
                        let dns = name.to_string().try_into().map_err(err)?;
                        params.subject_alt_names.push(SanType::DnsName(dns));
                        san.push(name.to_string());
                    }
                    None => {}
                }
            }
            // Not rcgen's default name: the subject is exactly what Proxmox writes.
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::OrganizationalUnitName, "PVE Cluster Node");
            params
                .distinguished_name
                .push(DnType::OrganizationName, "Proxmox Virtual Environment");
            params.distinguished_name.push(DnType::CommonName, &fqdn);
            let until = match n.cert_days_left {
                Some(days) => now + (days * DAY as f64) as i64,
                // Issued when the node joined: a few months apart from node to node.
                None => now - (120 + 45 * i as i64) * DAY + NODE_CERT_DAYS * DAY,
            };
            let from = until - NODE_CERT_DAYS * DAY;
            params.not_before = date(from)?;
            params.not_after = date(until)?;
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
            let key = KeyPair::generate().map_err(err)?;
            let cert = params.signed_by(&key, &issuer).map_err(err)?;
            let info = CertInfo {
                filename: "pve-ssl.pem".into(),
                der: cert.der().to_vec(),
                pem: cert.pem(),
                fingerprint: fingerprint(cert.der()),
                subject: format!("/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN={fqdn}"),
                issuer: ca_subject.clone(),
                san,
                not_before: from,
                not_after: until,
            };
            nodes.insert(
                n.name.clone(),
                NodeCert {
                    info,
                    key_der: key.serialize_der(),
                },
            );
        }
        Ok(Self { ca: ca_info, nodes })
    }

    /// The TLS configuration a node's pveproxy serves: its own certificate.
    pub fn server_config(&self, node: &str) -> Result<RustlsConfig, String> {
        let cert = self
            .nodes
            .get(node)
            .ok_or_else(|| format!("no certificate for node {node}"))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(vec![cert.info.der.clone().into()], key)
            .map_err(|e| e.to_string())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(RustlsConfig::from_config(Arc::new(config)))
    }
}

/// An address as pve-common lists it: IPv4 dotted, IPv6 as eight zero-padded groups.
fn san_ip(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|g| format!("{g:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

fn date(unix: i64) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::from_unix_timestamp(unix).map_err(|e| e.to_string())
}
