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

/// `1.5 GiB`, `512 MiB`: binary units, as Proxmox shows sizes.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ if value >= 100.0 => format!("{value:.0} {}", UNITS[unit]),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
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
    }
}
