//! `rack trust URL`: trust on first use, as Proxmox Datacenter Manager and ssh do it. The node's
//! certificate is read in a handshake that sends nothing, shown, and once the user agrees its
//! fingerprint is written into the config file, which keeps its comments and layout.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value, value};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::cli::TrustArgs;
use crate::config::endpoint_url;
use crate::files;
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
    let names = cert
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
    Some(CertSummary {
        subject: oneline(cert.subject()),
        issuer: oneline(cert.issuer()),
        names,
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

/// Write `fingerprint` for `url` into the config text: on the cluster named `name` or holding
/// that endpoint (its `fingerprint` when it has one endpoint, else on that endpoint), or in a
/// new `[[clusters]]` entry. Returns the new text and what was done, in words.
pub fn pin(
    text: &str,
    url: &str,
    name: Option<&str>,
    fingerprint: &str,
) -> Result<(String, String), String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not TOML: {e}"))?;
    if doc.get("clusters").is_none() {
        doc.insert("clusters", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let clusters = doc
        .get_mut("clusters")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or("clusters is not a list of [[clusters]] tables")?;
    let holds = |t: &Table| endpoints_of(t).iter().any(|e| e == url);
    let found = clusters.iter_mut().find(|t| match name {
        Some(n) => t.get("name").and_then(Item::as_str) == Some(n),
        None => holds(t),
    });
    let said = match found {
        Some(table) => {
            let label = table
                .get("name")
                .and_then(Item::as_str)
                .unwrap_or("?")
                .to_string();
            let endpoints = endpoints_of(table);
            let listed = endpoints.iter().any(|e| e == url);
            if listed && endpoints.len() == 1 {
                table.insert("fingerprint", value(fingerprint));
                format!("Pinned {fingerprint} for cluster \"{label}\"")
            } else {
                pin_endpoint(table, url, fingerprint, listed)?;
                if listed {
                    format!("Pinned {fingerprint} for {url} of cluster \"{label}\"")
                } else {
                    format!("Added {url} with fingerprint {fingerprint} to cluster \"{label}\"")
                }
            }
        }
        None => {
            let label = name.map(str::to_string).unwrap_or_else(|| host_of(url));
            let mut table = Table::new();
            table.insert("name", value(label.clone()));
            let mut list = Array::new();
            list.push(url);
            table.insert("endpoints", value(list));
            table.insert("fingerprint", value(fingerprint));
            table.insert("token_id", value("root@pam!rack"));
            table.insert(
                "token_secret_file",
                value(format!("~/.config/rack/{label}.token")),
            );
            if let Some(mut key) = table.key_mut("token_id") {
                key.leaf_decor_mut().set_prefix(
                    "# Set the API token and the file holding its secret (chmod 600):\n",
                );
            }
            clusters.push(table);
            format!(
                "Added cluster \"{label}\" with fingerprint {fingerprint}; set its token_id and token_secret_file"
            )
        }
    };
    Ok((doc.to_string(), said))
}

fn endpoints_of(table: &Table) -> Vec<String> {
    table
        .get("endpoints")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.value().clone()),
                    Value::InlineTable(t) => {
                        t.get("url").and_then(|u| u.as_str()).map(str::to_string)
                    }
                    _ => None,
                })
                .filter_map(|e| endpoint_url(&e).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Make `url`'s entry in `endpoints` an inline table with its fingerprint (added when absent).
fn pin_endpoint(
    table: &mut Table,
    url: &str,
    fingerprint: &str,
    listed: bool,
) -> Result<(), String> {
    let list = table
        .get_mut("endpoints")
        .and_then(Item::as_array_mut)
        .ok_or("the cluster's endpoints are not a list")?;
    let mut entry = InlineTable::new();
    entry.insert("url", url.into());
    entry.insert("fingerprint", fingerprint.into());
    if !listed {
        list.push(entry);
        return Ok(());
    }
    for item in list.iter_mut() {
        let this = match item {
            Value::String(s) => endpoint_url(s.value()).ok(),
            Value::InlineTable(t) => t
                .get("url")
                .and_then(|u| u.as_str())
                .and_then(|u| endpoint_url(u).ok()),
            _ => None,
        };
        if this.as_deref() == Some(url) {
            let original = match item {
                Value::String(s) => s.value().clone(),
                Value::InlineTable(t) => t
                    .get("url")
                    .and_then(|u| u.as_str())
                    .unwrap_or(url)
                    .to_string(),
                _ => url.to_string(),
            };
            let decor = item.decor().clone();
            let mut pinned = InlineTable::new();
            pinned.insert("url", original.into());
            pinned.insert("fingerprint", fingerprint.into());
            *item = Value::InlineTable(pinned);
            *item.decor_mut() = decor;
        }
    }
    Ok(())
}

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.rsplit_once(':'))
        .map(|(host, _)| host.trim_matches(['[', ']']).to_string())
        .unwrap_or_else(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

    #[test]
    fn a_single_endpoint_cluster_gets_its_fingerprint_and_keeps_its_comments() {
        let text = "# my clusters\npoll_interval = 2\n\n[[clusters]]\nname = \"home\" # the lab\nendpoints = [\"https://10.0.0.1:8006\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_file = \"~/.config/rack/home.token\"\n";
        let (out, said) = pin(text, "https://10.0.0.1:8006", None, FP).unwrap();
        assert!(
            out.starts_with("# my clusters\npoll_interval = 2\n"),
            "{out}"
        );
        assert!(out.contains("name = \"home\" # the lab\n"), "{out}");
        assert!(out.contains(&format!("fingerprint = \"{FP}\"")), "{out}");
        assert_eq!(said, format!("Pinned {FP} for cluster \"home\""));
    }

    #[test]
    fn a_second_endpoint_gets_its_own_pin() {
        let text = "[[clusters]]\nname = \"prod\"\nendpoints = [\n  \"https://10.0.0.1:8006\", # first\n  \"10.0.0.2\",\n]\nfingerprint = \"11:22\"\n";
        let (out, _) = pin(text, "https://10.0.0.2:8006", Some("prod"), FP).unwrap();
        assert!(out.contains("\"https://10.0.0.1:8006\", # first"), "{out}");
        assert!(
            out.contains(&format!("{{ url = \"10.0.0.2\", fingerprint = \"{FP}\" }}")),
            "{out}"
        );
        assert!(out.contains("fingerprint = \"11:22\""), "{out}");
    }

    #[test]
    fn a_new_cluster_is_added_at_the_end() {
        let text = "# keep me\n[[clusters]]\nname = \"a\"\nendpoints = [\"https://a:8006\"]\n";
        let (out, said) = pin(text, "https://10.1.1.1:8006", None, FP).unwrap();
        assert!(
            out.starts_with("# keep me\n[[clusters]]\nname = \"a\""),
            "{out}"
        );
        assert!(
            out.contains(
                "[[clusters]]\nname = \"10.1.1.1\"\nendpoints = [\"https://10.1.1.1:8006\"]\n"
            ),
            "{out}"
        );
        assert!(said.starts_with("Added cluster \"10.1.1.1\""), "{said}");
    }
}
