//! Proxmox property strings: `virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=16` — comma-separated
//! `key=value` pairs, where one value may stand without its key (the format's default key).

/// Parsed pairs in their original order. A bare value is stored under `default_key`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropString {
    pub pairs: Vec<(String, String)>,
}

impl PropString {
    pub fn parse(text: &str, default_key: &str) -> Self {
        let pairs = split_top_level(text)
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .map(|part| match part.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.to_string()),
                None => (default_key.to_string(), part.to_string()),
            })
            .collect();
        Self { pairs }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((key.to_string(), value)),
        }
    }

    /// Write back, the default key first and bare, as Proxmox does.
    pub fn to_string_with_default(&self, default_key: &str) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.get(default_key) {
            parts.push(v.to_string());
        }
        for (k, v) in &self.pairs {
            if k != default_key {
                parts.push(format!("{k}={v}"));
            }
        }
        parts.join(",")
    }
}

/// Split on commas, except inside double quotes (used by e.g. `description="a,b"`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The size Proxmox writes in disk strings (`size=100G`, `3584M`, `1T`, plain bytes), in bytes.
pub fn parse_disk_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, mult) = match t.chars().last()? {
        'K' | 'k' => (&t[..t.len() - 1], 1u64 << 10),
        'M' | 'm' => (&t[..t.len() - 1], 1 << 20),
        'G' | 'g' => (&t[..t.len() - 1], 1 << 30),
        'T' | 't' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let value: f64 = num.parse().ok()?;
    (value >= 0.0).then(|| (value * mult as f64).round() as u64)
}

/// The shortest exact way Proxmox writes a size: `100G`, `3584M`, `512K`, or bytes.
pub fn format_disk_size(bytes: u64) -> String {
    for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_default_key_and_pairs() {
        let p = PropString::parse("virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=16", "model");
        assert_eq!(p.get("virtio"), Some("BC:24:11:00:00:01"));
        assert_eq!(p.get("bridge"), Some("vmbr0"));
        let d = PropString::parse("vm-disks:vm-101-disk-0,size=100G", "file");
        assert_eq!(d.get("file"), Some("vm-disks:vm-101-disk-0"));
        assert_eq!(
            d.to_string_with_default("file"),
            "vm-disks:vm-101-disk-0,size=100G"
        );
    }

    #[test]
    fn quoted_commas_stay() {
        let p = PropString::parse("a=1,description=\"x,y\"", "a");
        assert_eq!(p.get("description"), Some("\"x,y\""));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_disk_size("100G"), Some(100 << 30));
        assert_eq!(parse_disk_size("3584M"), Some(3584 << 20));
        assert_eq!(parse_disk_size("12"), Some(12));
        assert_eq!(format_disk_size(100 << 30), "100G");
        assert_eq!(format_disk_size(3584 << 20), "3584M");
        assert_eq!(format_disk_size(1 << 40), "1T");
    }
}
