//! `:cluster NAME` by its exact name, a prefix, or letters in order (`:cluster lap` → laptop,
//! `:cluster hl` → homelab), and `:cluster` alone: a picker listing every cluster with its
//! state and then "all clusters" (the all view), ↑/↓ and Enter to switch.

use super::model::{ClusterView, Model};

/// The cluster `typed` names: exactly, else by a prefix only one has, else by its letters in
/// order in only one name (case aside). Err says why none, naming the candidates.
pub fn find(names: &[&str], typed: &str) -> Result<usize, String> {
    let want = typed.to_lowercase();
    if let Some(i) = names.iter().position(|n| *n == typed) {
        return Ok(i);
    }
    let by = |matches: &dyn Fn(&str) -> bool| -> Vec<usize> {
        names
            .iter()
            .enumerate()
            .filter(|(_, n)| matches(&n.to_lowercase()))
            .map(|(i, _)| i)
            .collect()
    };
    for found in [
        by(&|n: &str| n.starts_with(&want)),
        by(&|n: &str| in_order(n, &want)),
    ] {
        match found.as_slice() {
            [one] => return Ok(*one),
            [] => continue,
            many => {
                let which: Vec<&str> = many.iter().map(|&i| names[i]).collect();
                return Err(format!(
                    "\"{typed}\" matches {}: say more",
                    which.join(" and ")
                ));
            }
        }
    }
    Err(format!(
        "no cluster matches \"{typed}\"; the clusters are {}",
        names.join(", ")
    ))
}

/// Whether the letters of `want` appear in `name` in order.
fn in_order(name: &str, want: &str) -> bool {
    let mut rest = name.chars();
    want.chars().all(|w| rest.any(|c| c == w))
}

/// The picker `:cluster` opens: the clusters, then (at `clusters.len()`) all of them.
#[derive(Debug, Clone)]
pub struct ClusterPicker {
    pub selected: usize,
}

impl ClusterPicker {
    pub fn new(model: &Model) -> Self {
        Self {
            selected: if model.all {
                model.clusters.len()
            } else {
                model.current
            },
        }
    }

    /// Its rows: every cluster and the all view.
    pub fn rows(model: &Model) -> usize {
        model.clusters.len() + 1
    }
}

/// The fleet in a few words, for the picker's last row: `3 clusters, 1 in trouble`.
pub fn fleet_state(model: &Model) -> (String, bool) {
    let n = model.clusters.len();
    let troubled = super::fleet::troubled(model).len();
    let mut text = format!("{n} cluster{}", if n == 1 { "" } else { "s" });
    if troubled > 0 {
        text.push_str(&format!(", {troubled} in trouble"));
    }
    (text, troubled > 0)
}

/// A cluster's state in a few words: unreachable and why, connecting, or its counts.
pub fn state(c: &ClusterView) -> (String, bool) {
    let Some(snap) = c.snapshot.as_deref() else {
        return ("connecting…".into(), false);
    };
    let resources = &snap.resources;
    if resources.data.is_none() {
        let why = resources.error.as_deref().unwrap_or("not read yet");
        return (format!("cannot be read: {why}"), true);
    }
    let s = &c.summary;
    let mut words = Vec::new();
    match s.quorate {
        Some(false) => words.push("NO QUORUM".to_string()),
        Some(true) if s.votes.is_some() => words.push("quorate".into()),
        _ => {}
    }
    words.push(format!("nodes {}/{}", s.nodes_online, s.nodes_total));
    words.push(format!("guests {}/{}", s.guests_running, s.guests_total));
    let mut trouble = s.quorate == Some(false) || s.nodes_online < s.nodes_total;
    if let Some(e) = &resources.error {
        words.push(format!("stale: {e}"));
        trouble = true;
    }
    if c.read_only {
        words.push("read-only".into());
    }
    (words.join("  "), trouble)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_is_found_by_name_prefix_or_letters_in_order() {
        let names = ["homelab", "laptop", "lab-east"];
        assert_eq!(find(&names, "laptop"), Ok(1));
        assert_eq!(find(&names, "lap"), Ok(1));
        assert_eq!(find(&names, "hl"), Ok(0));
        assert_eq!(find(&names, "LAB-"), Ok(2));
        assert_eq!(
            find(&names, "la"),
            Err("\"la\" matches laptop and lab-east: say more".into())
        );
        assert!(
            find(&names, "zz")
                .unwrap_err()
                .starts_with("no cluster matches")
        );
    }
}
