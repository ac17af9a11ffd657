//! Pins written into the config file in place: toml_edit keeps its comments and layout. Used
//! by `rack trust` and by the console when the user trusts a certificate it was shown.

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value, value};

use super::endpoint_url;

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
            // A second cluster of one name would make the file unreadable.
            if name.is_none()
                && clusters
                    .iter()
                    .any(|t| t.get("name").and_then(Item::as_str) == Some(label.as_str()))
            {
                return Err(format!(
                    "a cluster is named \"{label}\" already, without {url}: give --name to add it to a cluster"
                ));
            }
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
