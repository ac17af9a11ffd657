//! The form's fields: what each is called for what the form makes, how it is edited, and which
//! fields each kind of form has, in order.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldId {
    Kind,
    Type,
    Role,
    Name,
    Vmid,
    Node,
    Devices,
    Template,
    Cores,
    Memory,
    Disk,
    Storage,
    Network,
    Vlan,
    Boot,
    CiUser,
    SshKey,
    Password,
    Ip,
    Gateway,
    Unprivileged,
    Full,
    Start,
    Archive,
    Unique,
}

/// How a field takes input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    /// Typed, shown as dots.
    Secret,
    /// One of a list, changed with ←/→.
    Choice,
    /// Yes or no, changed with space or ←/→.
    Toggle,
}

impl FieldId {
    pub fn label(self, kind: &FormKind) -> &'static str {
        match self {
            FieldId::Kind => "make a",
            FieldId::Type => "instance type",
            FieldId::Role => "role",
            FieldId::Name if *kind == FormKind::Ct => "hostname",
            FieldId::Name if matches!(kind, FormKind::Restore { .. }) => "new name",
            FieldId::Name => "name",
            FieldId::Vmid => "VMID",
            FieldId::Node if matches!(kind, FormKind::Clone { .. }) => "target node",
            FieldId::Node => "node",
            FieldId::Devices => "devices",
            FieldId::Template => "template",
            FieldId::Cores => "cores",
            FieldId::Memory => "memory",
            FieldId::Disk => "disk",
            FieldId::Storage => "storage",
            FieldId::Network => "network",
            FieldId::Vlan => "VLAN tag",
            FieldId::Boot => "boot ISO",
            FieldId::CiUser => "cloud-init user",
            FieldId::SshKey => "SSH key",
            FieldId::Password => "root password",
            FieldId::Ip => "IP",
            FieldId::Gateway => "gateway",
            FieldId::Unprivileged => "unprivileged",
            FieldId::Full => "full clone",
            FieldId::Start => "start after",
            FieldId::Archive => "backup",
            FieldId::Unique => "new MACs",
        }
    }

    pub fn input(self) -> Input {
        match self {
            FieldId::Kind
            | FieldId::Type
            | FieldId::Role
            | FieldId::Node
            | FieldId::Template
            | FieldId::Storage
            | FieldId::Network
            | FieldId::Boot
            | FieldId::Archive => Input::Choice,
            FieldId::Unprivileged | FieldId::Full | FieldId::Start | FieldId::Unique => {
                Input::Toggle
            }
            FieldId::Password => Input::Secret,
            _ => Input::Text,
        }
    }
}

/// A choice's value and what to say beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub note: String,
    /// What the field shows instead of the value (a long volume id, say); the note then
    /// follows the check mark.
    pub label: Option<String>,
}

impl Choice {
    pub fn new(value: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            note: note.into(),
            label: None,
        }
    }

    pub fn labelled(
        value: impl Into<String>,
        label: impl Into<String>,
        note: impl Into<String>,
    ) -> Self {
        Self {
            label: Some(label.into()),
            ..Self::new(value, note)
        }
    }
}

/// A node as the form offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOption {
    pub name: String,
    pub online: bool,
}

impl CreateForm {
    /// The fields, in order, for what the form makes.
    pub fn fields(&self) -> Vec<FieldId> {
        use FieldId as F;
        match self.kind {
            FormKind::Vm => vec![
                F::Kind,
                F::Role,
                F::Type,
                F::Name,
                F::Vmid,
                F::Node,
                F::Devices,
                F::Cores,
                F::Memory,
                F::Disk,
                F::Storage,
                F::Network,
                F::Vlan,
                F::Boot,
                F::CiUser,
                F::SshKey,
                F::Ip,
                F::Gateway,
                F::Start,
            ],
            FormKind::Ct => vec![
                F::Kind,
                F::Role,
                F::Type,
                F::Name,
                F::Vmid,
                F::Node,
                F::Template,
                F::Cores,
                F::Memory,
                F::Disk,
                F::Storage,
                F::Network,
                F::Vlan,
                F::Password,
                F::SshKey,
                F::Ip,
                F::Gateway,
                F::Unprivileged,
                F::Start,
            ],
            FormKind::Clone { .. } => vec![F::Name, F::Vmid, F::Node, F::Full, F::Storage],
            FormKind::Restore { .. } => vec![
                F::Archive,
                F::Name,
                F::Vmid,
                F::Node,
                F::Storage,
                F::Unique,
                F::Start,
            ],
        }
    }
}
