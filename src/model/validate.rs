//! Checks of what a user types into a form or on the command line, each with the reason in
//! words when it fails. Pure; the forms run them on every key.

/// Memory in MiB: "4G", "4096M", "4 GiB", "512MiB"; a bare number is MiB.
pub fn memory_mib(text: &str) -> Result<u64, String> {
    let mib = size_in(text, Unit::Mib)?;
    if mib < 16 {
        return Err(format!("\"{}\" is less than 16 MiB", text.trim()));
    }
    Ok(mib)
}

/// Disk size in GiB: "32G", "32 GiB", "1T"; a bare number is GiB. Whole GiB only.
pub fn disk_gib(text: &str) -> Result<u64, String> {
    let mib = size_in(text, Unit::Gib)?;
    if mib == 0 || mib % 1024 != 0 {
        return Err(format!("\"{}\" is not a whole number of GiB", text.trim()));
    }
    Ok(mib / 1024)
}

#[derive(Clone, Copy)]
enum Unit {
    Mib,
    Gib,
}

/// A size into MiB, with `bare` the unit of a number without one.
fn size_in(text: &str, bare: Unit) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a size is needed, such as 4G or 4096M".into());
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("\"{t}\" is not a size such as 4G, 4096M or 4 GiB"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" => match bare {
            Unit::Mib => 1.0,
            Unit::Gib => 1024.0,
        },
        "m" | "mb" | "mib" => 1.0,
        "g" | "gb" | "gib" => 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit \"{other}\": use M, G or T (MiB, GiB, TiB)"
            ));
        }
    };
    let mib = n * scale;
    if !mib.is_finite() || mib.fract() != 0.0 || mib > 1e12 {
        return Err(format!("\"{t}\" is not a whole number of MiB"));
    }
    Ok(mib as u64)
}

/// vCPU cores: a whole number, 1 or more (Proxmox's limit is 8192).
pub fn cores(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=8192).contains(&n) => Ok(n),
        _ => Err("a whole number of cores, 1 or more".into()),
    }
}

/// A VLAN tag: 1–4094.
pub fn vlan(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(t) if (1..=4094).contains(&t) => Ok(t),
        _ => Err("a VLAN tag is 1–4094".into()),
    }
}

/// A VMID Proxmox accepts: 100 to 999999999.
pub fn vmid(text: &str) -> Result<u32, String> {
    let id: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{}\" is not a number", text.trim()))?;
    if !(100..=999_999_999).contains(&id) {
        return Err(format!("{id} is outside 100–999999999"));
    }
    Ok(id)
}

/// A guest name: a DNS name (letters, digits, hyphens; dots between labels; no label starting
/// or ending with a hyphen), as Proxmox requires.
pub fn dns_name(text: &str) -> Result<(), String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a name is needed".into());
    }
    if t.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    for label in t.split('.') {
        if label.is_empty() {
            return Err("empty label between dots".into());
        }
        if label.len() > 63 {
            return Err(format!("label \"{label}\" is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "'{c}' is not allowed: letters, digits and '-' only"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("\"{label}\" starts or ends with '-'"));
        }
    }
    Ok(())
}

/// A snapshot name as Proxmox's `pve-configid` format: a letter first, then letters, digits,
/// '-' and '_', at most 40 characters; not "current" (that name means the live state).
pub fn snapshot_name(text: &str) -> Result<(), String> {
    let t = text.trim();
    let Some(first) = t.chars().next() else {
        return Err("a name is needed".into());
    };
    if !first.is_ascii_alphabetic() {
        return Err("must start with a letter".into());
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "'{c}' is not allowed: letters, digits, '-' and '_' only"
        ));
    }
    if t.len() > 40 {
        return Err("longer than 40 characters".into());
    }
    if t == "current" {
        return Err("\"current\" is reserved for the live state".into());
    }
    Ok(())
}

/// An IPv4 address with prefix ("10.0.0.5/24"), or "dhcp".
pub fn ip_config(text: &str) -> Result<(), String> {
    let t = text.trim();
    if t == "dhcp" {
        return Ok(());
    }
    let (addr, prefix) = t
        .split_once('/')
        .ok_or_else(|| "an address with prefix such as 10.0.0.5/24, or dhcp".to_string())?;
    addr.parse::<std::net::Ipv4Addr>()
        .map_err(|_| format!("\"{addr}\" is not an IPv4 address"))?;
    match prefix.parse::<u8>() {
        Ok(p) if (1..=32).contains(&p) => Ok(()),
        _ => Err(format!("\"/{prefix}\" is not a prefix length 1–32")),
    }
}

pub fn ipv4(text: &str) -> Result<(), String> {
    text.trim()
        .parse::<std::net::Ipv4Addr>()
        .map(|_| ())
        .map_err(|_| format!("\"{}\" is not an IPv4 address", text.trim()))
}

/// An OpenSSH public key line: type, base64 body, optional comment.
pub fn ssh_key(text: &str) -> Result<(), String> {
    let mut parts = text.split_whitespace();
    let kind = parts.next().unwrap_or_default();
    let known = kind.starts_with("ssh-") || kind.starts_with("ecdsa-") || kind.starts_with("sk-");
    if !known {
        return Err("not an OpenSSH public key (ssh-ed25519 AAAA… comment)".into());
    }
    match parts.next() {
        Some(body) if body.starts_with("AAAA") => Ok(()),
        _ => Err("the key's base64 body is missing".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_in_the_units_people_type() {
        for (text, mib) in [
            ("4G", 4096),
            ("4096M", 4096),
            ("4 GiB", 4096),
            ("4096", 4096),
            ("1.5G", 1536),
            ("512MiB", 512),
        ] {
            assert_eq!(memory_mib(text), Ok(mib), "{text}");
        }
        assert!(memory_mib("4X").unwrap_err().contains("unknown unit"));
        assert!(memory_mib("").is_err());
        assert!(memory_mib("8").is_err(), "below 16 MiB");
    }

    #[test]
    fn disks_in_whole_gib() {
        assert_eq!(disk_gib("32G"), Ok(32));
        assert_eq!(disk_gib("32"), Ok(32));
        assert_eq!(disk_gib("1T"), Ok(1024));
        assert_eq!(disk_gib("32 GiB"), Ok(32));
        assert!(disk_gib("500M").is_err());
    }

    #[test]
    fn names() {
        assert!(dns_name("web-01.lab").is_ok());
        assert!(dns_name("web_01").unwrap_err().contains("'_'"));
        assert!(dns_name("-web").is_err());
        assert!(snapshot_name("before-upgrade_2").is_ok());
        assert!(snapshot_name("2026").unwrap_err().contains("letter"));
        assert!(snapshot_name("current").is_err());
        assert!(snapshot_name("a b").is_err());
        assert_eq!(vmid("99").unwrap_err(), "99 is outside 100–999999999");
        assert!(ip_config("10.0.0.5/24").is_ok());
        assert!(ip_config("dhcp").is_ok());
        assert!(ip_config("10.0.0.5").is_err());
        assert!(ssh_key("ssh-ed25519 AAAAC3Nza me@host").is_ok());
        assert!(ssh_key("hello").is_err());
    }
}
