//! Orderings of rows by a named column. Missing values sort last whichever way round.

use std::cmp::Ordering;

use super::rows::{HostRow, InstanceRow};
use crate::action::SortKey;

/// Present values in the asked direction, absent ones after them.
fn opt<T: PartialOrd>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => directed(a.partial_cmp(&b).unwrap_or(Ordering::Equal), descending),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn text(a: &str, b: &str) -> Ordering {
    // Case-insensitive without allocating: the order people expect of names.
    a.chars()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.chars().map(|c| c.to_ascii_lowercase()))
}

/// Hosts by `key`, then by name.
pub fn compare_hosts(key: SortKey, descending: bool, a: &HostRow, b: &HostRow) -> Ordering {
    let d = descending;
    let by = match key {
        SortKey::Status => directed(a.status.cmp(&b.status), d),
        SortKey::Cpu => opt(a.usage.cpu, b.usage.cpu, d),
        SortKey::Mem => opt(a.usage.mem, b.usage.mem, d),
        SortKey::Disk => opt(a.usage.disk, b.usage.disk, d),
        SortKey::Load => opt(a.load, b.load, d),
        SortKey::Uptime => opt(a.uptime, b.uptime, d),
        SortKey::Guests => directed(a.guests_running.cmp(&b.guests_running), d),
        SortKey::Ha => opt(a.ha_lrm.as_deref(), b.ha_lrm.as_deref(), d),
        SortKey::Version => opt(a.pve_version.as_deref(), b.pve_version.as_deref(), d),
        SortKey::Node | SortKey::Name => directed(text(&a.node, &b.node), d),
        _ => Ordering::Equal,
    };
    by.then_with(|| text(&a.node, &b.node))
}

/// Instances by `key`, then by VMID.
pub fn compare_instances(
    key: SortKey,
    descending: bool,
    a: &InstanceRow,
    b: &InstanceRow,
) -> Ordering {
    let d = descending;
    let by = match key {
        SortKey::Name => directed(text(&a.name, &b.name), d),
        SortKey::Type => directed(a.kind.cmp(&b.kind), d),
        SortKey::Status => directed(text(&a.status, &b.status), d),
        SortKey::Node => directed(text(&a.node, &b.node), d),
        SortKey::Cpu => opt(a.usage.cpu, b.usage.cpu, d),
        SortKey::Mem => opt(a.usage.mem, b.usage.mem, d),
        SortKey::Disk => opt(a.usage.maxdisk, b.usage.maxdisk, d),
        SortKey::Uptime => opt(a.uptime, b.uptime, d),
        SortKey::Tags => opt(a.tags.first(), b.tags.first(), d),
        SortKey::Ha => opt(a.hastate.as_deref(), b.hastate.as_deref(), d),
        SortKey::Lock => opt(a.lock.as_deref(), b.lock.as_deref(), d),
        SortKey::Template => directed(b.template.cmp(&a.template), d),
        SortKey::Pool => opt(a.pool.as_deref(), b.pool.as_deref(), d),
        _ => Ordering::Equal,
    };
    by.then_with(|| a.vmid.cmp(&b.vmid))
}

pub fn directed(order: Ordering, descending: bool) -> Ordering {
    if descending { order.reverse() } else { order }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_stay_last_both_ways() {
        let mut v = [Some(2.0), None, Some(5.0)];
        v.sort_by(|a, b| opt(*a, *b, false));
        assert_eq!(v, [Some(2.0), Some(5.0), None]);
        v.sort_by(|a, b| opt(*a, *b, true));
        assert_eq!(v, [Some(5.0), Some(2.0), None]);
    }
}
