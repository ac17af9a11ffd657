//! Text from the API on its way to a terminal: control characters and escape sequences removed,
//! so a guest named "\x1b]0;pwned\x07" cannot retitle or repaint anyone's terminal.

/// Drop C0/C1 control characters (ESC starts every escape sequence; with it gone the rest is inert
/// text) and turn tabs and newlines into spaces.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            // Bidirectional overrides can make text read differently from what it is.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// As [`clean`], for optional text.
pub fn clean_opt(text: Option<&str>) -> String {
    text.map(clean).unwrap_or_default()
}

/// `1.5 GiB`, `512 MiB`, `0.98 GiB`: binary units, as Proxmox shows sizes, in at most three
/// digits and four characters before the unit (1006 MiB is `0.98 GiB`), so a size fits its
/// column whatever its magnitude.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 999.5 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ if value >= 99.95 => format!("{value:.0} {}", UNITS[unit]),
        _ if value >= 0.995 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.2} {}", UNITS[unit]),
    }
}

/// `29.2/128 GiB`: used of total, the unit said once when both share it; one side alone when the
/// other is unknown.
pub fn used_of(used: Option<u64>, total: Option<u64>) -> String {
    match (used, total) {
        (Some(u), Some(t)) if t > 0 => {
            let total = bytes(t);
            let unit = total.rsplit(' ').next().unwrap_or("");
            let used = bytes(u);
            match used.strip_suffix(&format!(" {unit}")) {
                Some(number) => format!("{number}/{total}"),
                None => format!("{used}/{total}"),
            }
        }
        (Some(u), _) => bytes(u),
        (None, Some(t)) => format!("–/{}", bytes(t)),
        (None, None) => "–".into(),
    }
}

/// A size as Proxmox writes it in configs and logs — `32G`, `512M`, `1.1 GiB`, `4.0 KB`, `100`
/// (bytes) — in bytes.
pub fn size_bytes(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" | "BYTES" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * scale).filter(|b| b.is_finite())
}

/// `3d 4h`, `5h 02m`, `12m`, as uptime reads best at a glance.
pub fn duration(seconds: u64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_defused() {
        assert_eq!(clean("web\x1b]0;pwned\x07-01"), "web]0;pwned-01");
        assert_eq!(clean("a\x1b[2Jb\r\nc\u{9b}d"), "a[2Jb  cd");
        assert_eq!(clean("evil\u{202e}txt.exe"), "eviltxt.exe");
        assert_eq!(clean("grafana"), "grafana");
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes(96 << 30), "96.0 GiB");
        assert_eq!(bytes(200 << 30), "200 GiB");
        assert_eq!(duration(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(duration(5 * 3600 + 120), "5h 02m");
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(12 * 86_400), "12d 0h");
        assert_eq!(duration(12 * 3600), "12h 00m");
        assert_eq!(duration(3 * 86_400 + 2 * 3600 + 59 * 60), "3d 2h");
    }

    #[test]
    fn a_size_never_needs_four_digits() {
        assert_eq!(bytes(1006 << 20), "0.98 GiB");
        assert_eq!(bytes(804 << 20), "804 MiB");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1000), "0.98 KiB");
        assert_eq!(bytes(1023 << 30), "1.0 TiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
        for shift in 0..64 {
            for n in [
                1u64 << shift,
                (1u64 << shift) - 1,
                (1u64 << shift) / 1000 * 999,
            ] {
                let text = bytes(n);
                let number = text.split(' ').next().unwrap_or("");
                assert!(number.len() <= 4, "{n}: {text}");
            }
        }
    }
}
