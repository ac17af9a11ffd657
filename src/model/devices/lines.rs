//! The devices pane's rows.

use serde::Serialize;

use super::*;

/// One row of the devices pane: a pool's device on a node, or an unpooled GPU/accelerator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRow {
    /// The cluster it is in (`rack get` prints it from its own field).
    #[serde(skip)]
    pub cluster: String,
    /// `None` for hardware in no mapping.
    pub pool: Option<String>,
    pub class: DeviceClass,
    pub bus: Bus,
    pub node: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub iommu_group: Option<u64>,
    /// Subsystem `vendor:device`, as the mapping pins it.
    pub subsystem: Option<String>,
    pub mdev: bool,
    pub live_migration: bool,
    pub present: bool,
    pub holder: Option<Holder>,
    /// Stopped guests configured with the pool (pool rows only).
    pub claims: Vec<Holder>,
    pub description: String,
    /// What could not be read that would say whether it is there, pooled or held (the first
    /// such read, for the state): nothing is concluded from its absence.
    pub unknown: Option<String>,
}

impl DeviceRow {
    /// What it can do besides pass through: `mdev`, `live` (migration).
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.mdev {
            flags.push("mdev");
        }
        if self.live_migration {
            flags.push("live");
        }
        flags
    }

    /// "free", "held by VM 105 (frigate)", "missing on pve1", "unpooled".
    pub fn state(&self) -> String {
        match (&self.holder, self.present, &self.pool) {
            (Some(h), _, _) => format!("held by {}", h.label()),
            (None, _, _) if self.unknown.is_some() => format!(
                "unknown: {} not read",
                self.unknown.as_deref().unwrap_or_default()
            ),
            (None, false, Some(_)) => "not found on the node".into(),
            (None, _, None) => "free, no mapping".into(),
            (None, true, Some(_)) if !self.claims.is_empty() => {
                let names: Vec<String> = self.claims.iter().map(|c| c.label()).collect();
                format!("free · claimed by {}", names.join(", "))
            }
            (None, true, Some(_)) => "free".into(),
        }
    }

    /// What a filter matches against.
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.pool.as_deref().unwrap_or("unpooled"),
            self.class,
            self.node,
            self.name,
            self.path,
            self.id,
            self.state()
        )
    }
}

/// The pane's rows: each pool's devices (pools by name), then the unpooled hardware.
pub fn lines(view: &Devices) -> Vec<DeviceRow> {
    let mut out = Vec::new();
    for p in &view.pools {
        for d in &p.devices {
            out.push(DeviceRow {
                cluster: String::new(),
                pool: Some(p.id.clone()),
                class: p.class,
                bus: p.bus,
                node: d.node.clone(),
                name: d.name.clone().unwrap_or_else(|| d.id.clone()),
                path: d.path.clone(),
                id: d.id.clone(),
                iommu_group: d.iommu_group,
                subsystem: d.subsystem.clone(),
                mdev: p.mdev || d.mdev,
                live_migration: p.live_migration,
                present: d.present,
                holder: d.holder.clone(),
                claims: p.claims.clone(),
                description: p.description.clone(),
                unknown: view.unknown.get(&(p.bus, d.node.clone())).and_then(|u| {
                    // Not listed by a hardware list that failed: its presence is unknown.
                    let hardware = u.hardware.clone().filter(|_| !d.present);
                    hardware.or_else(|| u.holders.first().cloned())
                }),
            });
        }
    }
    for u in &view.unpooled {
        out.push(DeviceRow {
            cluster: String::new(),
            pool: None,
            class: u.class,
            bus: u.bus,
            node: u.node.clone(),
            name: u.name.clone(),
            path: u.path.clone(),
            id: u.id.clone(),
            iommu_group: None,
            subsystem: None,
            mdev: u.mdev,
            live_migration: false,
            present: true,
            holder: u.holder.clone(),
            claims: Vec::new(),
            description: String::new(),
            // In a mapping that could not be read, or held by a VM whose config could not be.
            unknown: view.unknown.get(&(u.bus, u.node.clone())).and_then(|k| {
                k.mappings.clone().or_else(|| {
                    u.holder
                        .is_none()
                        .then(|| k.holders.first().cloned())
                        .flatten()
                })
            }),
        });
    }
    out
}
