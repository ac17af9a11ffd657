//! Reading a scenario: a built-in one by name or a TOML file, its errors naming the line, and
//! the checks a scenario must pass before the simulator runs it.

use std::path::Path;

use super::*;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("no built-in scenario named {0:?} (built in: homelab, laptop) and no such file")]
    Unknown(String),
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario {path}: {message}")]
    Parse { path: String, message: String },
    #[error("scenario {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Scenario {
    /// A built-in scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Self, ScenarioError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text, &format!("<built-in {name_or_path}>"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ScenarioError::Unknown(name_or_path.to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: name_or_path.to_string(),
            source,
        })?;
        Self::parse(&text, name_or_path)
    }

    /// The default demo: the three-node homelab cluster.
    pub fn homelab() -> Self {
        // The built-in file is checked by a unit test, so this cannot fail at run time.
        Self::load("homelab").unwrap_or_default()
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            path: path.to_string(),
            message: describe_toml_error(text, &e),
        })?;
        scenario.check().map_err(|message| ScenarioError::Invalid {
            path: path.to_string(),
            message,
        })?;
        Ok(scenario)
    }

    fn check(&self) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a scenario needs at least one [[nodes]] entry".into());
        }
        let node_names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for guest in &self.guests {
            if !seen.insert(guest.vmid) {
                return Err(format!("guest {} is defined twice", guest.vmid));
            }
            if !node_names.contains(&guest.node.as_str()) {
                return Err(format!(
                    "guest {} is on node {:?}, which is not in [[nodes]]",
                    guest.vmid, guest.node
                ));
            }
            if !(100..=999_999_999).contains(&guest.vmid) {
                return Err(format!(
                    "guest vmid {} is outside 100-999999999",
                    guest.vmid
                ));
            }
        }
        if self.cluster.is_none() && self.nodes.len() > 1 {
            return Err("several nodes need a [cluster] section".into());
        }
        Ok(())
    }
}

/// A TOML error with its line and column, for a person to find.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].lines().count().max(1);
            format!("line {line}: {}", err.message())
        }
        None => err.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_size;

    #[test]
    fn builtin_scenarios_parse() {
        for (name, _) in BUILTIN {
            Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("4096M"), Some(4 << 30));
        assert_eq!(parse_size("4 GiB"), Some(4 << 30));
        assert_eq!(parse_size("1.5T"), Some(3 << 39));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("4X"), None);
    }

    #[test]
    fn errors_name_the_line() {
        let err = Scenario::parse("[[nodes]]\nname = 1\n", "x.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x.toml") && text.contains("line 2"), "{text}");
    }
}
