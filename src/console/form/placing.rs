//! Where the form's guest goes: the device pools it sees, the ranking of the nodes for what it
//! asks (when the node is "auto"), and a VM restore placed where its mapped devices are.

use super::*;

impl CreateForm {
    /// The device pools as the catalog read them, with the config's own inventory applied.
    pub(super) fn device_view(&self) -> Option<Devices> {
        let catalog = self.catalog()?;
        Some(devices::devices_with(
            &catalog.devices,
            &self.basis.device_overrides,
        ))
    }

    /// The mapped devices the chosen backup's config names, once read (a VM restore's).
    pub(super) fn archive_devices(&self) -> Option<&[(String, String)]> {
        let read = self
            .catalog()?
            .archives
            .get(self.choice(FieldId::Archive))?;
        read.as_ref().ok().map(Vec::as_slice)
    }

    /// A VM restore whose backup maps devices goes where they are, as create places it: its
    /// own node when it could start there, else the first node reaching the backup where it
    /// could — unless the user picked the node.
    pub(super) fn place_restore(&mut self) {
        let FormKind::Restore { source, .. } = &self.kind else {
            return;
        };
        let (Some(entries), Some(catalog)) = (self.archive_devices(), self.catalog()) else {
            return;
        };
        if self.node_chosen || entries.is_empty() {
            return;
        }
        let storage = self
            .choice(FieldId::Archive)
            .split(':')
            .next()
            .unwrap_or("");
        let candidates: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.online)
            .filter(|n| {
                catalog
                    .storages(&n.name, "backup")
                    .iter()
                    .any(|s| s.name == storage)
            })
            .map(|n| n.name.clone())
            .collect();
        let Some(view) = self.device_view() else {
            return;
        };
        let vmid = validate::vmid(&self.text(FieldId::Vmid)).unwrap_or(0);
        let preferred = Some(source.node.as_str()).filter(|n| !n.is_empty());
        if let Ok(node) = devices::device_node(&view, vmid, &candidates, preferred, entries) {
            self.choices.insert(FieldId::Node, node);
        }
    }

    /// The devices field as asks: `gpu`, `coral, gpu:2`. Each must name a pool or a class of one.
    pub fn device_asks(&self) -> Result<Vec<DeviceAsk>, String> {
        let text = self.text(FieldId::Devices);
        let view = self.device_view();
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(part.parse::<DeviceAsk>()?);
        }
        if let (Some(view), Some(c)) = (&view, self.catalog()) {
            devices::check_asks(view, &c.devices, &out)?;
        }
        Ok(out)
    }

    /// Every node ranked for what the form asks, when the node is "auto" and the catalog is in.
    pub fn ranking(&self) -> Option<&[Ranked]> {
        self.ranked.as_deref()
    }

    /// Rank again after a change of the form, its catalog or its basis.
    pub fn rerank(&mut self) {
        self.ranked = self.compute_ranking();
    }

    fn compute_ranking(&self) -> Option<Vec<Ranked>> {
        use crate::sched::Ask;
        if !self.auto() || !matches!(self.kind, FormKind::Vm | FormKind::Ct) {
            return None;
        }
        let catalog = self.catalog()?;
        let view = self.device_view()?;
        let hosts = placement::hosts(
            &self.basis.hosts,
            &self.basis.instances,
            catalog,
            &view,
            &self.basis.reserved,
            &self.basis.aliases,
        );
        let memory = validate::memory_mib(&self.text(FieldId::Memory)).unwrap_or(0);
        let disk = validate::disk_gib(&self.text(FieldId::Disk)).unwrap_or(0);
        let ask = Ask {
            cores: self.text(FieldId::Cores).parse().unwrap_or(1),
            memory: memory << 20,
            disk: disk << 30,
            storage: Some(self.choice(FieldId::Storage).to_string()).filter(|s| !s.is_empty()),
            content: self.storage_content().into(),
            shared: false,
            network: Some(self.choice(FieldId::Network).to_string()).filter(|s| !s.is_empty()),
            devices: self.device_asks().unwrap_or_default(),
            node: None,
            anti_affinity: self
                .role()
                .filter(|r| r.spread)
                .map(|r| r.tags.clone())
                .unwrap_or_default(),
            ha_rule: None,
        };
        Some(sched::rank(
            &hosts,
            &ask,
            self.basis.placement.policy,
            &self.basis.placement.headroom,
        ))
    }
}
