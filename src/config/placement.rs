//! Placement settings: the policy and headroom limits, instance types (sizes, like cloud
//! flavours) and roles (a type plus tags, network, devices and cloud-init user). rack ships a
//! default set; entries in the config with the same name replace a default, others add to it.

use serde::Deserialize;
use toml::Spanned;

use crate::model::validate;
use crate::sched::{DeviceAsk, Headroom, Policy};

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub devices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    /// The instance type it starts from.
    pub kind: String,
    pub tags: Vec<String>,
    pub network: Option<String>,
    pub devices: Vec<String>,
    pub ciuser: Option<String>,
    /// Who the ssh key logs in as on guests of this role (else its `ciuser`).
    pub ssh_user: Option<String>,
    /// Keep guests of this role (by its tags) on different nodes.
    pub spread: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacementConfig {
    pub policy: Policy,
    pub headroom: Headroom,
    pub types: Vec<InstanceType>,
    pub roles: Vec<Role>,
}

impl Default for PlacementConfig {
    fn default() -> Self {
        let t = |name: &str, cores, memory_gib: u64, disk_gib, devices: &[&str]| InstanceType {
            name: name.into(),
            cores,
            memory_mib: memory_gib << 10,
            disk_gib,
            devices: devices.iter().map(|d| d.to_string()).collect(),
        };
        let r = |name: &str, kind: &str, tags: &[&str], devices: &[&str], spread| Role {
            name: name.into(),
            kind: kind.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            network: None,
            devices: devices.iter().map(|d| d.to_string()).collect(),
            ciuser: None,
            ssh_user: None,
            spread,
        };
        Self {
            policy: Policy::Spread,
            headroom: Headroom::default(),
            types: vec![
                t("small", 2, 4, 32, &[]),
                t("medium", 4, 8, 64, &[]),
                t("large", 8, 16, 100, &[]),
                t("xlarge", 16, 32, 200, &[]),
                t("gpu-medium", 8, 32, 200, &["gpu"]),
            ],
            roles: vec![
                r("none", "small", &[], &[], false),
                r("k8s-node", "large", &["k8s"], &[], true),
                r("docker-host", "medium", &["docker"], &[], false),
                r("gpu-worker", "gpu-medium", &["gpu"], &[], false),
            ],
        }
    }
}

impl PlacementConfig {
    pub fn kind(&self, name: &str) -> Option<&InstanceType> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The role a guest with these tags has: the first whose tags it all carries (a role
    /// without tags claims no guest).
    pub fn role_of(&self, tags: &[String]) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| !r.tags.is_empty() && r.tags.iter().all(|t| tags.contains(t)))
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// What a new guest starts from: the role's (by name) over its instance type's — or the
    /// type named instead — over `base`. The one place the create form and `rack create`
    /// apply roles and types.
    pub fn preset(
        &self,
        role: Option<&str>,
        kind: Option<&str>,
        base: Sizes,
    ) -> Result<Preset, PresetError> {
        let role = match role {
            Some(name) => Some(self.role(name).ok_or_else(|| PresetError::NoRole {
                name: name.into(),
                known: self.roles.iter().map(|r| r.name.clone()).collect(),
            })?),
            None => None,
        };
        let kind = match kind.or(role.map(|r| r.kind.as_str())) {
            Some(name) => Some(self.kind(name).ok_or_else(|| PresetError::NoType {
                name: name.into(),
                known: self.types.iter().map(|t| t.name.clone()).collect(),
            })?),
            None => None,
        };
        let tags = role.map(|r| r.tags.clone()).unwrap_or_default();
        Ok(Preset {
            kind: kind.map(|k| k.name.clone()),
            sizes: kind.map_or(base, |k| Sizes {
                cores: k.cores,
                memory_mib: k.memory_mib,
                disk_gib: k.disk_gib,
            }),
            devices: role
                .map(|r| r.devices.clone())
                .filter(|d| !d.is_empty())
                .or_else(|| kind.map(|k| k.devices.clone()))
                .unwrap_or_default(),
            anti_affinity: if role.is_some_and(|r| r.spread) {
                tags.clone()
            } else {
                Vec::new()
            },
            tags,
            network: role.and_then(|r| r.network.clone()),
            ciuser: role.and_then(|r| r.ciuser.clone()),
        })
    }
}

/// The sizes of a new guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

impl Sizes {
    /// A VM's without an instance type.
    pub const VM: Sizes = Sizes {
        cores: 2,
        memory_mib: 2048,
        disk_gib: 32,
    };
    /// A container's without an instance type.
    pub const CT: Sizes = Sizes {
        cores: 1,
        memory_mib: 512,
        disk_gib: 8,
    };
}

/// What a role and an instance type give a new guest.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// The instance type taken, if any.
    pub kind: Option<String>,
    pub sizes: Sizes,
    /// Devices by class or pool (`gpu`, `coral:2`).
    pub devices: Vec<String>,
    /// The role's tags, put on the guest.
    pub tags: Vec<String>,
    /// Keep away from guests with these tags (a role that spreads).
    pub anti_affinity: Vec<String>,
    pub network: Option<String>,
    pub ciuser: Option<String>,
}

/// A role or type the config does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("--role: no role \"{name}\"; the roles are {}", known.join(", "))]
    NoRole { name: String, known: Vec<String> },
    #[error("--type: no instance type \"{name}\"; the types are {}", known.join(", "))]
    NoType { name: String, known: Vec<String> },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlacement {
    policy: Option<Spanned<String>>,
    memory_headroom: Option<Spanned<f64>>,
    cpu_per_thread: Option<Spanned<f64>>,
    storage_headroom: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawType {
    name: Spanned<String>,
    cores: Spanned<u32>,
    memory: Spanned<String>,
    disk: Spanned<String>,
    #[serde(default)]
    devices: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    network: Option<String>,
    #[serde(default)]
    devices: Vec<Spanned<String>>,
    ciuser: Option<String>,
    ssh_user: Option<String>,
    #[serde(default)]
    spread: bool,
}

/// `at(offset, key, message)` makes the error that names the file and line.
pub(super) fn check(
    raw: Option<&RawPlacement>,
    types: &[RawType],
    roles: &[RawRole],
    at: &super::At,
) -> Result<PlacementConfig, super::ConfigError> {
    let mut out = PlacementConfig::default();
    if let Some(p) = raw {
        if let Some(policy) = &p.policy {
            out.policy = policy
                .get_ref()
                .parse()
                .map_err(|e: String| at(policy.span().start, "placement.policy", e))?;
        }
        let fraction = |v: &Option<Spanned<f64>>, key: &str, into: &mut f64| {
            if let Some(v) = v {
                let x = *v.get_ref();
                if !(0.05..=1.0).contains(&x) {
                    return Err(at(
                        v.span().start,
                        key,
                        format!("{x} is not a fraction between 0.05 and 1 (0.85 is 85 %)"),
                    ));
                }
                *into = x;
            }
            Ok(())
        };
        fraction(
            &p.memory_headroom,
            "placement.memory_headroom",
            &mut out.headroom.memory,
        )?;
        fraction(
            &p.storage_headroom,
            "placement.storage_headroom",
            &mut out.headroom.storage,
        )?;
        if let Some(v) = &p.cpu_per_thread {
            let x = *v.get_ref();
            if !(0.1..=64.0).contains(&x) {
                return Err(at(
                    v.span().start,
                    "placement.cpu_per_thread",
                    format!("{x} vCPUs per thread is outside 0.1–64"),
                ));
            }
            out.headroom.cpu = x;
        }
    }
    let devices = |list: &[Spanned<String>], key: &str| {
        list.iter()
            .map(|d| {
                d.get_ref()
                    .parse::<DeviceAsk>()
                    .map(|_| d.get_ref().clone())
                    .map_err(|e| at(d.span().start, key, e))
            })
            .collect::<Result<Vec<String>, _>>()
    };
    for t in types {
        let name = t.name.get_ref().clone();
        let memory_mib = validate::memory_mib(t.memory.get_ref())
            .map_err(|e| at(t.memory.span().start, "instance_types.memory", e))?;
        let disk_gib = validate::disk_gib(t.disk.get_ref())
            .map_err(|e| at(t.disk.span().start, "instance_types.disk", e))?;
        if *t.cores.get_ref() == 0 {
            return Err(at(
                t.cores.span().start,
                "instance_types.cores",
                "at least 1".into(),
            ));
        }
        let kind = InstanceType {
            name: name.clone(),
            cores: *t.cores.get_ref(),
            memory_mib,
            disk_gib,
            devices: devices(&t.devices, "instance_types.devices")?,
        };
        match out.types.iter_mut().find(|x| x.name == name) {
            Some(slot) => *slot = kind,
            None => out.types.push(kind),
        }
    }
    for r in roles {
        let name = r.name.get_ref().clone();
        if out.kind(r.kind.get_ref()).is_none() {
            let known: Vec<&str> = out.types.iter().map(|t| t.name.as_str()).collect();
            return Err(at(
                r.kind.span().start,
                "roles.type",
                format!(
                    "no instance type \"{}\"; the types are {}",
                    r.kind.get_ref(),
                    known.join(", ")
                ),
            ));
        }
        let role = Role {
            name: name.clone(),
            kind: r.kind.get_ref().clone(),
            tags: r.tags.clone(),
            network: r.network.clone(),
            devices: devices(&r.devices, "roles.devices")?,
            ciuser: r.ciuser.clone(),
            ssh_user: r.ssh_user.clone(),
            spread: r.spread,
        };
        match out.roles.iter_mut().find(|x| x.name == name) {
            Some(slot) => *slot = role,
            None => out.roles.push(role),
        }
    }
    Ok(out)
}
