//! `rack trust URL`: trust on first use, as Proxmox Datacenter Manager and ssh do it. The node's
//! certificate is read in a handshake that sends nothing, shown, and once the user agrees its
//! fingerprint is written into the config file, which keeps its comments and layout.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::cli::TrustArgs;
use crate::config::endpoint_url;
use crate::config::pin::pin;
use crate::files;
use crate::model::text::clean;
use crate::pve::calendar::civil_from_days;
use crate::pve::tls::{fingerprint, normalize_fingerprint, server_chain};

/// What a certificate says about itself, in Proxmox's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub fingerprint: String,
}

/// Read a DER certificate; None when it is not one.
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(b) => ip_text(b),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    // What an unverified server says about itself reaches the terminal cleaned.
    Some(CertSummary {
        subject: clean(&oneline(cert.subject())),
        issuer: clean(&oneline(cert.issuer())),
        names: names.iter().map(|n| clean(n)).collect(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        fingerprint: fingerprint(der),
    })
}

/// `/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=pve1`, as Proxmox shows a name.
fn oneline(name: &x509_parser::x509::X509Name) -> String {
    let registry = x509_parser::objects::oid_registry();
    name.iter_attributes()
        .map(|a| {
            let key = x509_parser::objects::oid2abbrev(a.attr_type(), registry)
                .map(str::to_string)
                .unwrap_or_else(|_| a.attr_type().to_id_string());
            format!("/{key}={}", a.as_str().unwrap_or("?"))
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

fn date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The certificate as the user reads it before deciding.
pub fn describe(url: &str, cert: &CertSummary, now: SystemTime) -> String {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let left = (cert.not_after - now).div_euclid(86_400);
    let validity = if cert.not_after < now {
        "EXPIRED".to_string()
    } else if cert.not_before > now {
        "NOT VALID YET".to_string()
    } else {
        format!("{left} days left")
    };
    let mut out = format!("{url} presents this certificate:\n");
    out += &format!("  subject      {}\n", cert.subject);
    out += &format!("  issuer       {}\n", cert.issuer);
    if !cert.names.is_empty() {
        out += &format!("  names        {}\n", cert.names.join(", "));
    }
    out += &format!(
        "  valid        {} to {} ({validity})\n",
        date(cert.not_before),
        date(cert.not_after)
    );
    out += &format!("  SHA-256      {}\n", cert.fingerprint);
    out
}

/// Run `rack trust`; the exit code: 0 pinned, 1 refused or nothing to pin.
pub async fn run(args: &TrustArgs, config: Option<&Path>) -> Result<u8, String> {
    let url = endpoint_url(&args.url).map_err(|why| format!("{}: {why}", args.url))?;
    if url.starts_with("http://") {
        return Err(format!(
            "{url} is plain HTTP: there is no certificate to trust"
        ));
    }
    let path = config.ok_or("no config file location (give --config)")?;
    let chain = server_chain(&url)
        .await
        .ok_or_else(|| format!("{url}: nothing answers with TLS there"))?;
    let leaf = chain
        .first()
        .ok_or_else(|| format!("{url}: no certificate"))?;
    let cert = summarize(leaf).ok_or_else(|| format!("{url}: the certificate cannot be read"))?;
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", describe(&url, &cert, SystemTime::now()));
    let name = args.name.clone();
    let agreed = match &args.expect {
        Some(expect) => {
            let want = normalize_fingerprint(expect)
                .ok_or_else(|| format!("--expect {expect}: not a SHA-256 fingerprint"))?;
            if want != cert.fingerprint {
                let _ = writeln!(
                    out,
                    "It does not have the expected fingerprint {want}: not trusted."
                );
                return Ok(1);
            }
            true
        }
        None if args.yes => true,
        None => {
            if !std::io::stdin().is_terminal() {
                return Err("stdin is not a terminal: give --yes or --expect SHA256".into());
            }
            let _ = write!(
                out,
                "Compare it with the node's own (web UI: the node > System > Certificates, or `pvenode cert info` on the node).\nTrust it? [y/N] "
            );
            let _ = out.flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
        }
    };
    if !agreed {
        let _ = writeln!(out, "Not trusted; nothing written.");
        return Ok(1);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let (edited, said) = pin(&text, &url, name.as_deref(), &cert.fingerprint)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    files::write_private(path, &edited).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = writeln!(out, "{said} in {}.", path.display());
    Ok(0)
}
