//! The `/` filter: words that must all match. `node:pve1 status:running tag:k8s web` keeps rows on
//! pve1 that run, carry the tag k8s and mention "web" somewhere. Case does not matter; a field
//! term matches a substring of that field (`tag:` matches one whole tag).

use super::rows::{HostRow, InstanceRow};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Any(String),
    Field(String, String),
}

/// Field names a filter term may use, for help and completion.
pub const FIELDS: &[&str] = &[
    "name", "vmid", "node", "status", "type", "tag", "pool", "ha", "lock", "cluster",
];

impl Filter {
    pub fn parse(text: &str) -> Self {
        let terms = text
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                match lower.split_once(':') {
                    Some((field, value)) if FIELDS.contains(&field) && !value.is_empty() => {
                        Term::Field(field.to_string(), value.to_string())
                    }
                    _ => Term::Any(lower),
                }
            })
            .collect();
        Self { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches_instance(&self, row: &InstanceRow) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Field(field, want) => {
                let has = |text: &str| contains_folded(text, want);
                match field.as_str() {
                    "name" => has(&row.name),
                    "vmid" => row.vmid.to_string().starts_with(want.as_str()),
                    "node" => has(&row.node),
                    "status" => has(&row.status),
                    "type" => has(row.kind.label()) || has(row.kind.api()),
                    "tag" => row.tags.iter().any(|t| t.to_lowercase() == *want),
                    "pool" => row.pool.as_deref().is_some_and(has),
                    "ha" => row.hastate.as_deref().is_some_and(has),
                    "lock" => row.lock.as_deref().is_some_and(has),
                    "cluster" => has(&row.cluster),
                    _ => false,
                }
            }
            Term::Any(word) => {
                let has = |text: &str| contains_folded(text, word);
                has(&row.name)
                    || (word.bytes().all(|b| b.is_ascii_digit())
                        && row.vmid.to_string().contains(word.as_str()))
                    || has(&row.node)
                    || has(&row.status)
                    || row.tags.iter().any(|t| has(t))
                    || row.pool.as_deref().is_some_and(has)
                    || row.lock.as_deref().is_some_and(has)
            }
        })
    }

    pub fn matches_host(&self, row: &HostRow) -> bool {
        self.terms.iter().all(|term| {
            let (field, want) = match term {
                Term::Field(f, v) => (f.as_str(), v.as_str()),
                Term::Any(v) => ("", v.as_str()),
            };
            let has = |text: &str| contains_folded(text, want);
            match field {
                "node" | "name" => has(&row.node),
                "status" => has(row.status.label()),
                "ha" => row.ha_lrm.as_deref().is_some_and(has),
                "cluster" => has(&row.cluster),
                "" => has(&row.node) || has(row.status.label()) || has(&row.cluster),
                _ => true,
            }
        })
    }
}

/// Whether `text` contains `lower` (already lower case), ignoring case. Filtering runs over every
/// row at each key typed, so the common ASCII case allocates nothing.
fn contains_folded(text: &str, lower: &str) -> bool {
    if !lower.is_ascii() || !text.is_ascii() {
        return text.to_lowercase().contains(lower);
    }
    let (hay, needle) = (text.as_bytes(), lower.as_bytes());
    needle.is_empty()
        || hay.windows(needle.len()).any(|w| {
            w.iter()
                .zip(needle)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rows::GuestKind;

    fn row(vmid: u32, name: &str, node: &str, status: &str, tags: &[&str]) -> InstanceRow {
        InstanceRow {
            cluster: "lab".into(),
            vmid,
            name: name.into(),
            kind: GuestKind::Qemu,
            status: status.into(),
            node: node.into(),
            usage: Default::default(),
            uptime: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            hastate: None,
            lock: None,
            template: false,
            pool: None,
        }
    }

    #[test]
    fn terms_combine() {
        let a = row(
            101,
            "talos-k8s-01",
            "pve-ms01-01",
            "running",
            &["k8s", "talos"],
        );
        let b = row(105, "postgres", "pve-ms01-02", "running", &["db"]);
        let f = Filter::parse("node:ms01-01 status:running tag:k8s");
        assert!(f.matches_instance(&a));
        assert!(!f.matches_instance(&b));
        assert!(Filter::parse("POST").matches_instance(&b));
        assert!(Filter::parse("vmid:10").matches_instance(&b));
        assert!(
            !Filter::parse("tag:k8").matches_instance(&a),
            "tags match whole"
        );
        // An unknown field is just text.
        assert!(!Filter::parse("colour:red").matches_instance(&a));
        assert!(Filter::parse("").matches_instance(&a));
        assert!(Filter::parse("TALOS-K8S").matches_instance(&a));
        assert!(Filter::parse("ä").matches_instance(&row(1, "Änderung", "n", "running", &[])));
    }
}
