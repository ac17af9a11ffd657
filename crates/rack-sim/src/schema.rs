//! Request validation from the official API schema, as Proxmox's own JSONSchema code does it:
//! unknown parameters, missing required ones, wrong types, enums, ranges, patterns, formats,
//! and property strings (`net0=virtio,bridge=vmbr0,tag=16`) key by key.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;
use serde_json::Value;

use rack_pve::propstr::PropString;

use super::http::percent_decode;

/// The parameters of every method the simulator serves, cut from the official schema.
const PARAMS: &str = include_str!("../../../assets/pve-api/params.json");

pub struct ApiSchema {
    routes: Vec<Route>,
    patterns: HashMap<String, Regex>,
}

pub struct Route {
    pub method: String,
    pub template: String,
    segments: Vec<Segment>,
    params: Value,
}

enum Segment {
    Literal(String),
    Var(String),
}

pub enum PathMatch<'a> {
    Found(&'a Route, BTreeMap<String, String>),
    NotFound,
}

pub type Errors = BTreeMap<String, String>;

impl ApiSchema {
    pub fn load() -> Self {
        let all: BTreeMap<String, Value> = serde_json::from_str(PARAMS).unwrap_or_default();
        let mut patterns = HashMap::new();
        collect_patterns(
            &Value::Object(all.clone().into_iter().collect()),
            &mut patterns,
        );
        let routes = all
            .into_iter()
            .filter_map(|(key, params)| {
                let (method, template) = key.split_once(' ')?;
                let segments = template
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(var) => Segment::Var(var.to_string()),
                            None => Segment::Literal(s.to_string()),
                        },
                    )
                    .collect();
                Some(Route {
                    method: method.to_string(),
                    template: template.to_string(),
                    segments,
                    params,
                })
            })
            .collect();
        Self { routes, patterns }
    }

    /// Find the route for a method and a path below `/api2/json`, with its path variables
    /// percent-decoded.
    pub fn find(&self, method: &str, path: &str) -> PathMatch<'_> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        'routes: for route in self.routes.iter().filter(|r| r.method == method) {
            if route.segments.len() != parts.len() {
                continue;
            }
            let mut vars = BTreeMap::new();
            for (seg, part) in route.segments.iter().zip(&parts) {
                match seg {
                    Segment::Literal(l) if l == part => {}
                    Segment::Literal(_) => continue 'routes,
                    // Proxmox decodes a path segment as clients encode it (`%3A`, `%40`, `%21`
                    // in a UPID, as Go's url.PathEscape or encodeURIComponent send it).
                    Segment::Var(v) => {
                        vars.insert(v.clone(), percent_decode(part));
                    }
                }
            }
            return PathMatch::Found(route, vars);
        }
        PathMatch::NotFound
    }

    /// Check request parameters (path variables included) against a route's schema.
    pub fn validate(&self, route: &Route, given: &[(String, String)]) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let props = route.params.get("properties").and_then(Value::as_object);
        let empty = serde_json::Map::new();
        let props = props.unwrap_or(&empty);
        let mut seen = std::collections::BTreeSet::new();
        for (key, value) in given {
            seen.insert(key.clone());
            let Some(schema) = lookup(props, key) else {
                errors.insert(
                    key.clone(),
                    "property is not defined in schema and the schema does not allow additional properties".into(),
                );
                continue;
            };
            if let Err(e) = self.check_value(schema, value) {
                errors.insert(key.clone(), e);
            }
        }
        for (key, schema) in props {
            let optional = schema.get("optional").is_some_and(truthy);
            if !optional && !key.contains("[n]") && !seen.contains(key) {
                errors.insert(
                    key.clone(),
                    "property is missing and it is not optional".into(),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_value(&self, schema: &Value, value: &str) -> Result<(), String> {
        let ty = schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string");
        match ty {
            "boolean" => {
                let ok = matches!(
                    value.to_ascii_lowercase().as_str(),
                    "0" | "1" | "true" | "false" | "yes" | "no" | "on" | "off"
                );
                if !ok {
                    return Err(format!("type check ('boolean') failed - got '{value}'"));
                }
            }
            "integer" => {
                let n: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("type check ('integer') failed - got '{value}'"))?;
                check_range(schema, n as f64)?;
            }
            "number" => {
                let n: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("type check ('number') failed - got '{value}'"))?;
                check_range(schema, n)?;
            }
            _ => {
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                    && value.chars().count() as u64 > max
                {
                    return Err(format!("value may only be {max} characters long"));
                }
                if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                    && (value.chars().count() as u64) < min
                {
                    return Err(format!("value must be at least {min} characters long"));
                }
                if let Some(p) = schema.get("pattern").and_then(Value::as_str)
                    && self.patterns.get(p).is_some_and(|re| !re.is_match(value))
                {
                    return Err("value does not match the regex pattern".into());
                }
                match schema.get("format") {
                    Some(Value::String(f)) => check_format(f, value)?,
                    Some(Value::Object(dict)) => self.check_propstring(dict, value)?,
                    _ => {}
                }
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let allowed: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            if !allowed.is_empty() && !allowed.contains(&value) {
                return Err(format!(
                    "value '{value}' does not have a value in the enumeration '{}'",
                    allowed.join(", ")
                ));
            }
        }
        Ok(())
    }

    fn check_propstring(
        &self,
        dict: &serde_json::Map<String, Value>,
        value: &str,
    ) -> Result<(), String> {
        let default_key = dict
            .iter()
            .find(|(_, s)| s.get("default_key").is_some_and(truthy))
            .map(|(k, _)| k.as_str())
            .unwrap_or("");
        let parsed = PropString::parse(value, default_key);
        let mut problems = Vec::new();
        for (key, v) in &parsed.pairs {
            if key.is_empty() {
                problems.push(format!(
                    "value without key, but schema does not define a default key: '{v}'"
                ));
                continue;
            }
            let Some(sub) = dict.get(key) else {
                problems.push(format!("{key}: property is not defined in schema"));
                continue;
            };
            if let Some(target) = sub.get("alias").and_then(Value::as_str) {
                // `virtio=MAC` stands for model=virtio,macaddr=MAC.
                if let Some(s) = dict.get(target)
                    && let Err(e) = self.check_value(s, v)
                {
                    problems.push(format!("{target}: {e}"));
                }
                continue;
            }
            if let Err(e) = self.check_value(sub, v) {
                problems.push(format!("{key}: {e}"));
            }
        }
        for (key, sub) in dict {
            let optional = sub.get("optional").is_some_and(truthy) || sub.get("alias").is_some();
            let via_alias = dict.iter().any(|(k, s)| {
                s.get("keyAlias").and_then(Value::as_str) == Some(key.as_str())
                    && parsed.get(k).is_some()
            });
            if !optional && parsed.get(key).is_none() && !via_alias {
                problems.push(format!("{key}: property is missing and it is not optional"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "invalid format - format error\n{}",
                problems.join("\n")
            ))
        }
    }
}

fn lookup<'a>(props: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(v) = props.get(key) {
        return Some(v);
    }
    // `net[n]` stands for net0, net1, …
    let stem = key.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() < key.len() {
        return props.get(&format!("{stem}[n]"));
    }
    None
}

fn truthy(v: &Value) -> bool {
    rack_pve::de::bool_of(v).unwrap_or(false)
}

fn check_range(schema: &Value, n: f64) -> Result<(), String> {
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
        && n < min
    {
        return Err(format!("value must have a minimum value of {min}"));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
        && n > max
    {
        return Err(format!("value must have a maximum value of {max}"));
    }
    Ok(())
}

/// The named formats whose rules matter to a client; others are accepted as Proxmox strings.
fn check_format(format: &str, value: &str) -> Result<(), String> {
    let label = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?";
    let ok = match format {
        "pve-node" => matches(&format!("^{label}$"), value),
        "pve-vmid" => value
            .parse::<u64>()
            .is_ok_and(|v| (100..=999_999_999).contains(&v)),
        "pve-vmid-list" => value
            .split([',', ' ', ';'])
            .filter(|s| !s.is_empty())
            .all(|v| {
                v.parse::<u64>()
                    .is_ok_and(|v| (100..=999_999_999).contains(&v))
            }),
        "pve-storage-id" => matches(r"(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$", value),
        "pve-configid" | "pve-poolid" => matches(r"(?i)^[a-z][a-z0-9_\-]+$", value),
        "dns-name" => matches(&format!(r"^{label}(?:\.{label})*$"), value),
        "mac-addr" => matches(r"(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$", value),
        "ipv4" => value.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => value.parse::<std::net::Ipv6Addr>().is_ok(),
        "CIDR" => value.split_once('/').is_some_and(|(ip, len)| {
            ip.parse::<std::net::IpAddr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 128)
        }),
        "pve-tag-list" => value
            .split([';', ',', ' '])
            .filter(|s| !s.is_empty())
            .all(|t| matches(r"(?i)^[a-z0-9_][a-z0-9_\-+.]*$", t)),
        "urlencoded" => !value
            .split('%')
            .skip(1)
            .any(|chunk| chunk.len() < 2 || !chunk[..2].chars().all(|c| c.is_ascii_hexdigit())),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid format - value does not look like a valid {format}"
        ))
    }
}

fn matches(re: &str, value: &str) -> bool {
    Regex::new(re).is_ok_and(|r| r.is_match(value))
}

/// Compile every `pattern` in the schema once: Perl's `(?^:…)` becomes `(?:…)`, anchored as
/// Proxmox anchors them.
fn collect_patterns(v: &Value, out: &mut HashMap<String, Regex>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(p)) = map.get("pattern") {
                let rust = p.replace("(?^i:", "(?i:").replace("(?^:", "(?:");
                if let Ok(re) = Regex::new(&format!("^(?:{rust})$")) {
                    out.insert(p.clone(), re);
                }
            }
            for child in map.values() {
                collect_patterns(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_patterns(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, path: &str, params: &[(&str, &str)]) -> Result<(), Errors> {
        let schema = ApiSchema::load();
        let PathMatch::Found(route, vars) = schema.find(method, path) else {
            panic!("no route for {method} {path}");
        };
        let mut given: Vec<(String, String)> = vars.into_iter().collect();
        given.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        schema.validate(route, &given)
    }

    #[test]
    fn accepts_a_good_create() {
        check(
            "POST",
            "/nodes/pve1/qemu",
            &[
                ("vmid", "120"),
                ("name", "web-01"),
                ("net0", "virtio,bridge=vmbr0,tag=28"),
                ("memory", "4096"),
                ("scsi0", "vm-disks:32"),
            ],
        )
        .unwrap();
    }

    #[test]
    fn reports_each_bad_parameter() {
        let errors = check(
            "POST",
            "/nodes/pve1/qemu",
            &[
                ("vmid", "12"),
                ("bogus", "1"),
                ("net0", "virtio,bridge=vmbr0,tag=5000"),
                ("onboot", "maybe"),
            ],
        )
        .unwrap_err();
        assert_eq!(errors["vmid"], "value must have a minimum value of 100");
        assert!(errors["bogus"].starts_with("property is not defined"));
        assert!(
            errors["net0"].contains("tag: value must have a maximum value of 4094"),
            "{errors:?}"
        );
        assert_eq!(
            errors["onboot"],
            "type check ('boolean') failed - got 'maybe'"
        );
    }

    #[test]
    fn requires_required_parameters_and_checks_enums() {
        let errors = check("POST", "/nodes/pve1/status", &[]).unwrap_err();
        assert_eq!(
            errors["command"],
            "property is missing and it is not optional"
        );
        let errors = check("POST", "/nodes/pve1/status", &[("command", "explode")]).unwrap_err();
        assert!(errors["command"].contains("enumeration"));
    }

    #[test]
    fn unknown_paths_do_not_match() {
        assert!(matches!(
            ApiSchema::load().find("GET", "/nodes/a/nothing"),
            PathMatch::NotFound
        ));
    }
}
