//! The all-clusters view (`:all`, `0`): the hosts, guests, tasks, devices, backups and HA of
//! every configured cluster in one table each, every row naming its cluster. Actions go to the
//! selected row's cluster: the model's current cluster follows the selection, so every action
//! (and every dialog, which holds it while open) reaches the cluster the row came from.

use unicode_width::UnicodeWidthStr;

use super::model::{ClusterView, Model};
use crate::action::Pane;
use crate::model::{HostRow, InstanceRow};

/// A host row's key: (cluster, node).
pub type HostKey = (String, String);
/// A guest row's key: (cluster, VMID).
pub type GuestKey = (String, u32);
/// What is selected in the Hosts and Instances tables.
pub type Selection = (Option<HostKey>, Option<GuestKey>);

/// Every cluster's Hosts and Instances rows, in the order the clusters are configured.
#[derive(Debug, Default)]
pub struct Fleet {
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    /// Which clusters' last read failed when the rows were gathered.
    stale: Vec<bool>,
}

impl Fleet {
    /// Gather the clusters' rows again; the guests' only when `guests` (some cluster's changed)
    /// or a cluster became reachable or unreachable since.
    pub fn gather(&mut self, clusters: &[ClusterView], guests: bool) {
        let stale: Vec<bool> = clusters.iter().map(ClusterView::stale).collect();
        let guests = guests || stale != self.stale || self.instances.is_empty();
        self.hosts = gathered(clusters, &stale, |c| &c.hosts, |r, s| r.cluster_stale = s);
        if guests {
            self.instances = gathered(
                clusters,
                &stale,
                |c| &c.instances,
                |r, s| r.cluster_stale = s,
            );
        }
        self.stale = stale;
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// Every cluster's rows of one kind, in order, each marked with whether its cluster is stale.
fn gathered<R: Clone>(
    clusters: &[ClusterView],
    stale: &[bool],
    rows: impl Fn(&ClusterView) -> &Vec<R>,
    mark: impl Fn(&mut R, bool),
) -> Vec<R> {
    let mut out = Vec::with_capacity(clusters.iter().map(|c| rows(c).len()).sum());
    for (c, &stale) in clusters.iter().zip(stale) {
        out.extend(rows(c).iter().cloned().map(|mut r| {
            mark(&mut r, stale);
            r
        }));
    }
    out
}

impl Model {
    /// The CLUSTER column's width in the all view (None outside it): the longest name and a
    /// stale one's `▲ ` (kept whether or not one is stale, so that the columns do not shift when
    /// a cluster stops answering), no narrower than its title and no wider than 16 — at 80
    /// columns every cell it does not need is one the others may have.
    pub fn cluster_column(&self) -> Option<u16> {
        if !self.all {
            return None;
        }
        let widest = self.clusters.iter().map(|c| c.name.width()).max();
        let widest = u16::try_from(widest.unwrap_or(0)).unwrap_or(u16::MAX);
        Some(widest.saturating_add(2).clamp(7, 16))
    }
}

/// Show every cluster at once, the same rows selected.
pub fn enter(model: &mut Model) {
    if model.all {
        return;
    }
    let keep = model.selection();
    model.all = true;
    model.detail = false;
    model.refresh_views_keeping(keep);
    follow_selection(model);
}

/// Back to one cluster's view: `index`, or (None) the selected row's.
pub fn leave(model: &mut Model, index: Option<usize>) {
    if !model.all {
        return;
    }
    follow_selection(model);
    let keep = model.selection();
    model.all = false;
    model.fleet.clear();
    if let Some(i) = index {
        model.current = i;
    }
    // Marks on other clusters would act unseen: they go.
    if let Some(name) = model.cluster().map(|c| c.name.clone()) {
        model.marked.retain(|(c, _)| *c == name);
    }
    model.refresh_views_keeping(keep);
}

/// In the all view, make the selected row's cluster the current one (its actions, details and
/// terminals go there). Not while a dialog is open: it was opened for the cluster it shows.
pub fn follow_selection(model: &mut Model) {
    if !model.all || model.dialog.is_some() {
        return;
    }
    let cluster = match model.pane {
        Pane::Hosts => model.host_at_cursor().map(|r| r.cluster.clone()),
        Pane::Instances => model.instance_at_cursor().map(|r| r.cluster.clone()),
        Pane::Tasks => model.tasks.selected_row().map(|r| r.cluster.clone()),
        Pane::Devices => model.devices.selected_row().map(|r| r.cluster.clone()),
        Pane::Backups => model.backups.selected_row().map(|r| r.cluster.clone()),
        Pane::Ha => model.ha.selected_row().map(|r| r.cluster.clone()),
        Pane::Networks | Pane::Ceph | Pane::Audit | Pane::Log => None,
    };
    if let Some(i) = cluster.and_then(|n| model.clusters.iter().position(|c| c.name == n)) {
        model.current = i;
    }
}

/// Whether the pane lists every cluster's rows in the all view; the others (networks, Ceph,
/// the cluster log) show the selected row's cluster, named in their title.
pub fn pane_spans_fleet(pane: Pane) -> bool {
    matches!(
        pane,
        Pane::Hosts | Pane::Instances | Pane::Tasks | Pane::Devices | Pane::Backups | Pane::Ha
    )
}

/// The clusters in trouble, each with its trouble in a few words, for the header: what
/// `:cluster`'s picker counts as trouble, and Ceph or HA in a bad state.
pub fn troubled(model: &Model) -> Vec<(String, String)> {
    model
        .clusters
        .iter()
        .filter_map(|c| {
            let (state, trouble) = super::cluster_pick::state(c);
            let mut words = Vec::new();
            if trouble {
                words.push(trouble_words(c, &state));
            }
            if c.snapshot.is_some() {
                words.extend(service_trouble(c));
            }
            (!words.is_empty()).then(|| (c.name.clone(), words.join(", ")))
        })
        .collect()
}

/// Ceph not healthy, HA services in fence, recovery or error.
fn service_trouble(c: &ClusterView) -> Vec<String> {
    let s = &c.summary;
    let mut out = Vec::new();
    match s.ceph.as_deref() {
        Some("HEALTH_ERR") => out.push("ceph ERR".to_string()),
        Some("HEALTH_WARN") => out.push("ceph WARN".to_string()),
        _ => {}
    }
    if s.ha.troubled > 0 {
        let what = s.ha.trouble.as_deref().unwrap_or("in trouble");
        out.push(format!("HA {} {what}", s.ha.troubled));
    }
    out
}

/// What is wrong with a troubled cluster, shortest first: unreachable, no quorum, nodes down.
fn trouble_words(c: &ClusterView, state: &str) -> String {
    let Some(snap) = c.snapshot.as_deref() else {
        return state.to_string();
    };
    if snap.resources.error.is_some() {
        return if snap.resources.data.is_some() {
            "stale".into()
        } else {
            "unreachable".into()
        };
    }
    let s = &c.summary;
    if s.quorate == Some(false) {
        return "no quorum".into();
    }
    let down = s.nodes_total.saturating_sub(s.nodes_online);
    if down > 0 {
        return format!("{down} node{} down", if down == 1 { "" } else { "s" });
    }
    state.to_string()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::config::keymap::Keymap;

    fn model(names: &[&str]) -> Model {
        let clusters = names.iter().map(|n| ClusterView::new(*n, false)).collect();
        Model::new(clusters, Keymap::with(&[]), SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn the_cluster_column_fits_the_longest_name_and_a_stale_mark() {
        let mut m = model(&["lab", "laptop"]);
        assert_eq!(m.cluster_column(), None, "only in the all view");
        m.all = true;
        // "▲ laptop" is 8 cells.
        assert_eq!(m.cluster_column(), Some(8));
        let mut m = model(&["a", "b"]);
        m.all = true;
        assert_eq!(m.cluster_column(), Some(7), "never narrower than CLUSTER");
        let mut m = model(&["a-very-long-cluster-name", "b"]);
        m.all = true;
        assert_eq!(m.cluster_column(), Some(16), "a longer name is cut with …");
    }
}
