//! A name for a bridge and VLAN (`iot = "vmbr0:28"` in the config), as forms and `--network` offer it.

/// A name for a bridge and VLAN, as the forms and `--network` offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAlias {
    pub bridge: String,
    pub vlan: Option<u16>,
}

impl NetworkAlias {
    /// `vmbr0:28` or `vmbr0`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (bridge, vlan) = match text.split_once(':') {
            Some((b, v)) => (
                b,
                Some(
                    v.parse::<u16>()
                        .ok()
                        .filter(|t| (1..=4094).contains(t))
                        .ok_or_else(|| format!("\"{v}\" is not a VLAN tag 1–4094"))?,
                ),
            ),
            None => (text, None),
        };
        if bridge.is_empty()
            || !bridge
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(format!(
                "\"{text}\": expected a bridge and optional VLAN, such as \"vmbr0:28\""
            ));
        }
        Ok(Self {
            bridge: bridge.to_string(),
            vlan,
        })
    }

    /// "vmbr0 VLAN 28"
    pub fn describe(&self) -> String {
        match self.vlan {
            Some(v) => format!("{} VLAN {v}", self.bridge),
            None => self.bridge.clone(),
        }
    }
}
