//! Keys and pastes: choosing, toggling, typing, and the type or role that fills the sizes.

use super::*;
use crate::config::placement::{Preset, Role, Sizes};
use crate::console::line_edit;

impl CreateForm {
    pub(super) fn step_choice(&mut self, field: FieldId, delta: isize) {
        if field == FieldId::Kind {
            let kind = match self.kind {
                FormKind::Vm => FormKind::Ct,
                FormKind::Ct => FormKind::Vm,
                FormKind::Clone { .. } | FormKind::Restore { .. } => return,
            };
            self.kind = kind;
            self.set_defaults_keeping_typed();
            return;
        }
        let options = self.options(field);
        if options.is_empty() {
            return;
        }
        let at = options
            .iter()
            .position(|o| o.value == self.choice(field))
            .map(|i| i as isize)
            .unwrap_or(if delta > 0 { -1 } else { 0 });
        let next = (at + delta).rem_euclid(options.len() as isize) as usize;
        if let Some(o) = options.get(next) {
            self.choices.insert(field, o.value.clone());
            match field {
                FieldId::Type => self.apply_type(&o.value),
                FieldId::Role => self.apply_role(&o.value),
                _ => {}
            }
        }
    }

    /// Take an instance type's sizes and devices.
    pub(super) fn apply_type(&mut self, name: &str) {
        if let Ok(p) = self.basis.placement.preset(None, Some(name), self.base()) {
            self.take_sizes(&p);
        }
    }

    /// Take a role: its type, devices, network and cloud-init user; its tags go on the guest.
    pub(super) fn apply_role(&mut self, name: &str) {
        let Ok(p) = self.basis.placement.preset(Some(name), None, self.base()) else {
            return;
        };
        self.take_sizes(&p);
        if let Some(net) = &p.network
            && self
                .options(FieldId::Network)
                .iter()
                .any(|o| &o.value == net)
        {
            self.choices.insert(FieldId::Network, net.clone());
        }
        if let Some(user) = &p.ciuser {
            self.texts.insert(FieldId::CiUser, area(user));
        }
    }

    /// The type, sizes and devices of a preset.
    fn take_sizes(&mut self, p: &Preset) {
        if let Some(kind) = &p.kind {
            self.choices.insert(FieldId::Type, kind.clone());
        }
        let sizes = p.sizes;
        self.texts
            .insert(FieldId::Cores, area(&sizes.cores.to_string()));
        self.texts
            .insert(FieldId::Memory, area(&format!("{}M", sizes.memory_mib)));
        self.texts
            .insert(FieldId::Disk, area(&format!("{}G", sizes.disk_gib)));
        self.texts
            .insert(FieldId::Devices, area(&p.devices.join(", ")));
    }

    /// What a guest of this kind starts from without an instance type.
    pub(super) fn base(&self) -> Sizes {
        match self.kind {
            FormKind::Ct => Sizes::CT,
            _ => Sizes::VM,
        }
    }

    /// The chosen role, if any.
    pub fn role(&self) -> Option<&Role> {
        self.basis.placement.role(self.choice(FieldId::Role))
    }

    /// Start from the config's first role and its type (VMs), once the basis is known.
    pub fn start_from_role(&mut self) {
        self.take_first_role();
        self.rerank();
    }

    pub(super) fn take_first_role(&mut self) {
        if self.kind != FormKind::Vm {
            self.choices.insert(FieldId::Type, CUSTOM.into());
            if let Some(r) = self.basis.placement.roles.first() {
                self.choices.insert(FieldId::Role, r.name.clone());
            }
            return;
        }
        match self.basis.placement.roles.first().map(|r| r.name.clone()) {
            Some(name) => {
                self.choices.insert(FieldId::Role, name.clone());
                self.apply_role(&name);
            }
            None => {
                self.choices.insert(FieldId::Type, CUSTOM.into());
            }
        }
    }

    /// Switching between VM and container: sizes go back to the kind's defaults unless typed.
    pub(super) fn set_defaults_keeping_typed(&mut self) {
        let keep: BTreeMap<FieldId, String> = [FieldId::Name, FieldId::Vmid]
            .into_iter()
            .map(|f| (f, self.text(f)))
            .collect();
        self.set_defaults();
        for (f, text) in keep {
            self.texts.insert(f, area(&text));
        }
        // A VM takes its role's type again; a container starts from its own sizes.
        match self.kind {
            FormKind::Vm => {
                let role = self.choice(FieldId::Role).to_string();
                self.apply_role(&role);
            }
            _ => {
                self.choices.insert(FieldId::Type, CUSTOM.into());
                self.texts.insert(FieldId::Devices, area(""));
            }
        }
        self.choices.remove(&FieldId::Storage);
        self.fill_choices();
    }

    /// Pasted text goes into the focused text field.
    pub fn paste(&mut self, text: &str) {
        let field = self.focused();
        if matches!(field.input(), Input::Text | Input::Secret) {
            if field == FieldId::Vmid {
                self.vmid_typed = true;
            }
            self.texts
                .entry(field)
                .or_insert_with(|| area(""))
                .insert_str(text.trim());
            self.edited = true;
        }
        self.rerank();
    }

    /// A key for the form. `Some(request)` when the user submitted a valid form; an `Err` says
    /// why a submit was refused (the focus moves to the field).
    pub fn key(&mut self, key: KeyEvent) -> Option<Result<Request, String>> {
        let out = self.apply_key(key);
        self.rerank();
        out
    }

    pub(super) fn apply_key(&mut self, key: KeyEvent) -> Option<Result<Request, String>> {
        let fields = self.fields();
        let field = self.focused();
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % fields.len().max(1),
            KeyCode::BackTab | KeyCode::Up => {
                self.focus = (self.focus + fields.len().max(1) - 1) % fields.len().max(1)
            }
            KeyCode::Enter => {
                return Some(self.request().map_err(|(f, why)| {
                    if let Some(i) = fields.iter().position(|x| *x == f) {
                        self.focus = i;
                    }
                    format!("{}: {why}", f.label(&self.kind))
                }));
            }
            KeyCode::Left | KeyCode::Right if field.input() == Input::Choice => {
                let delta = if key.code == KeyCode::Left { -1 } else { 1 };
                self.step_choice(field, delta);
                self.edited = true;
                if field == FieldId::Node {
                    self.node_chosen = true;
                    self.fill_choices();
                }
                if field == FieldId::Archive {
                    self.place_restore();
                    self.fill_choices();
                }
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if field.input() == Input::Toggle =>
            {
                let linked_allowed = matches!(self.kind, FormKind::Clone { template: true, .. });
                if field != FieldId::Full || linked_allowed {
                    let v = self.toggle(field);
                    self.toggles.insert(field, !v);
                    self.edited = true;
                }
            }
            _ if matches!(field.input(), Input::Text | Input::Secret) => {
                if field == FieldId::Vmid {
                    self.vmid_typed = true;
                }
                if matches!(
                    field,
                    FieldId::Cores | FieldId::Memory | FieldId::Disk | FieldId::Devices
                ) {
                    self.choices.insert(FieldId::Type, CUSTOM.into());
                }
                let area = self.texts.entry(field).or_insert_with(|| area(""));
                self.edited |= line_edit::edit(area, key);
            }
            _ => {}
        }
        None
    }
}
