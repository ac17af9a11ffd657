//! The `/` filter, one language for every pane: words that must all match. `node:pve1
//! status:running tag:k8s web` keeps rows on pve1 that run, carry the tag k8s and mention "web"
//! somewhere; `!term` keeps the rows the term does not match. Case does not matter; a field term
//! matches a substring of that field (`tag:` matches one whole tag, `vmid:` a prefix). Each pane's
//! rows name the fields they answer to (`Row::FIELDS`); a field a pane does not know is reported
//! by the console and matches every row, so a typo never hides everything.

use super::rows::{HostRow, InstanceRow};
use super::table::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    negated: bool,
    /// `Some(field)` for `field:value`.
    field: Option<String>,
    /// Lower case.
    want: String,
}

impl Filter {
    pub fn parse(text: &str) -> Self {
        let terms = text
            .split_whitespace()
            .filter_map(|word| {
                let lower = word.to_lowercase();
                let (negated, lower) = match lower.strip_prefix('!') {
                    Some(rest) => (true, rest.to_string()),
                    None => (false, lower),
                };
                if lower.is_empty() {
                    return None;
                }
                // A field is a word of letters: `vmbr0:28` or `02:00` stay text. `node:` with no
                // value yet (being typed) keeps every row.
                let term = match lower.split_once(':') {
                    Some((field, value))
                        if !field.is_empty() && field.chars().all(|c| c.is_ascii_alphabetic()) =>
                    {
                        Term {
                            negated,
                            field: Some(field.to_string()),
                            want: value.to_string(),
                        }
                    }
                    _ => Term {
                        negated,
                        field: None,
                        want: lower,
                    },
                };
                Some(term)
            })
            .collect();
        Self { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// This filter for rows of `R`: a term on a field they lack is text when some row has that
    /// text (`vm:104` in the HA pane is a service's name), and is otherwise dropped and named,
    /// so the console can say so rather than show nothing.
    pub fn resolve<R: Row>(&self, rows: &[R]) -> (Filter, Vec<String>) {
        let mut unknown: Vec<String> = Vec::new();
        let mut terms = Vec::new();
        for term in &self.terms {
            match term.field.as_deref() {
                Some(field) if !R::FIELDS.contains(&field) => {
                    let word = format!("{field}:{}", term.want);
                    if rows.iter().any(|r| r.text_matches(&word)) {
                        terms.push(Term {
                            negated: term.negated,
                            field: None,
                            want: word,
                        });
                    } else if !unknown.iter().any(|f| f == field) {
                        unknown.push(field.to_string());
                    }
                }
                _ => terms.push(term.clone()),
            }
        }
        (Filter { terms }, unknown)
    }

    /// Whether `row` passes every term (a term on an unknown field passes).
    pub fn matches<R: Row>(&self, row: &R) -> bool {
        self.terms.iter().all(|term| {
            let hit = match term.field.as_deref() {
                Some(_) if term.want.is_empty() => return true,
                Some(field) if R::FIELDS.contains(&field) => row.field_matches(field, &term.want),
                Some(_) => return true,
                None => row.text_matches(&term.want),
            };
            hit != term.negated
        })
    }

    pub fn matches_instance(&self, row: &InstanceRow) -> bool {
        self.matches(row)
    }

    pub fn matches_host(&self, row: &HostRow) -> bool {
        self.matches(row)
    }
}

/// Whether `text` contains `lower` (already lower case), ignoring case. Filtering runs over every
/// row at each key typed, so the common ASCII case allocates nothing.
pub fn contains_folded(text: &str, lower: &str) -> bool {
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
            ips: Vec::new(),
            ips_missing: None,
            ips_brief: None,
            cluster_stale: false,
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
        // An unknown field is said (by the console) and matches every row rather than none.
        assert!(Filter::parse("colour:red").matches_instance(&a));
        assert_eq!(
            Filter::parse("colour:red")
                .resolve(std::slice::from_ref(&a))
                .1,
            ["colour"]
        );
        // Unless a row has it as text: then it is text.
        let odd = row(7, "colour:red", "n", "running", &[]);
        let (resolved, unknown) = Filter::parse("colour:red").resolve(&[a.clone(), odd.clone()]);
        assert!(unknown.is_empty());
        assert!(resolved.matches_instance(&odd) && !resolved.matches_instance(&a));
        assert!(!Filter::parse("!talos").matches_instance(&a));
        assert!(Filter::parse("!status:stopped").matches_instance(&a));
        assert!(!Filter::parse("!tag:k8s node:ms01").matches_instance(&a));
        assert!(Filter::parse("").matches_instance(&a));
        assert!(Filter::parse("TALOS-K8S").matches_instance(&a));
        assert!(Filter::parse("ä").matches_instance(&row(1, "Änderung", "n", "running", &[])));
    }
}
