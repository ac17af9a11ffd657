//! `[maintenance]`: how the walkthrough treats stopped guests and templates, how many guests move
//! at once, what a pool below `min_size` does to the plan, and the command that enables HA node
//! maintenance (Proxmox's REST API cannot).

use serde::Deserialize;
use toml::Spanned;

/// Placeholders a command template may use.
pub const PLACEHOLDERS: &[&str] = &["{node}", "{action}", "{cluster}"];

#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceConfig {
    /// Stopped guests migrate offline (else they stay, out of reach while the node is out).
    pub move_stopped: bool,
    /// Templates migrate too (else they stay).
    pub move_templates: bool,
    /// The walkthrough upgrades the node's packages (pveupgrade) before the power step.
    pub upgrade: bool,
    /// Guests moving at once.
    pub parallel: u32,
    /// A Ceph pool left below `min_size` fails the plan (else it only warns).
    pub refuse_below_min_size: bool,
    /// The command that enables or disables HA node maintenance, for clusters that name none.
    pub ha_command: Option<String>,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        Self {
            move_stopped: true,
            move_templates: false,
            upgrade: true,
            parallel: 2,
            refuse_below_min_size: true,
            ha_command: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaintenance {
    move_stopped: Option<bool>,
    move_templates: Option<bool>,
    upgrade: Option<bool>,
    parallel: Option<Spanned<i64>>,
    below_min_size: Option<Spanned<String>>,
    ha_command: Option<Spanned<String>>,
}

/// A command template: not empty, and every `{…}` one of the placeholders.
pub(super) fn template(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("an empty command".into());
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err("a '{' without its '}'".into());
        };
        let name = &rest[open..open + close + 1];
        // `${VAR}` is the shell's: a secret kept in the environment, not in the template.
        let shell = open > 0 && rest[..open].ends_with('$');
        if !shell && !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "{name} is not a placeholder; they are {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(text.to_string())
}

pub(super) fn check(
    raw: Option<&RawMaintenance>,
    at: &super::At,
) -> Result<MaintenanceConfig, super::ConfigError> {
    let mut out = MaintenanceConfig::default();
    let Some(raw) = raw else { return Ok(out) };
    out.move_stopped = raw.move_stopped.unwrap_or(out.move_stopped);
    out.move_templates = raw.move_templates.unwrap_or(out.move_templates);
    out.upgrade = raw.upgrade.unwrap_or(out.upgrade);
    if let Some(p) = &raw.parallel {
        let n = *p.get_ref();
        if !(1..=8).contains(&n) {
            return Err(at(
                p.span().start,
                "maintenance.parallel",
                format!("{n} guests at once is outside 1–8"),
            ));
        }
        out.parallel = n as u32;
    }
    if let Some(v) = &raw.below_min_size {
        out.refuse_below_min_size = match v.get_ref().as_str() {
            "refuse" => true,
            "warn" => false,
            other => {
                return Err(at(
                    v.span().start,
                    "maintenance.below_min_size",
                    format!("\"{other}\" is neither \"refuse\" nor \"warn\""),
                ));
            }
        };
    }
    if let Some(c) = &raw.ha_command {
        out.ha_command = Some(
            template(c.get_ref()).map_err(|e| at(c.span().start, "maintenance.ha_command", e))?,
        );
    }
    Ok(out)
}
