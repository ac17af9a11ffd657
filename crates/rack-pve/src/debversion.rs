//! Debian package versions as dpkg orders them (`[epoch:]upstream[-revision]`): what tells which
//! of two installed kernels is newer, for the client and the simulator alike.

use std::cmp::Ordering;

/// Compare two Debian versions as `dpkg --compare-versions` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

/// Epoch, upstream version, Debian revision.
fn split(v: &str) -> (u64, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), rest),
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's order of a non-digit character: `~` before the end, letters before other signs.
fn weight(c: Option<char>) -> i32 {
    match c {
        Some('~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

/// Alternating runs of non-digits (compared by `weight`) and digits (compared as numbers).
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    while !a.is_empty() || !b.is_empty() {
        let na = a.find(|c: char| c.is_ascii_digit()).unwrap_or(a.len());
        let nb = b.find(|c: char| c.is_ascii_digit()).unwrap_or(b.len());
        let (ta, tb) = (&a[..na], &b[..nb]);
        let mut ca = ta.chars();
        let mut cb = tb.chars();
        loop {
            let (x, y) = (ca.next(), cb.next());
            if x.is_none() && y.is_none() {
                break;
            }
            let order = weight(x).cmp(&weight(y));
            if order != Ordering::Equal {
                return order;
            }
        }
        a = &a[na..];
        b = &b[nb..];
        let da = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
        let db = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
        let order = number(&a[..da]).cmp(&number(&b[..db]));
        if order != Ordering::Equal {
            return order;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

/// A digit run as a number; runs too long for u128 compare by length, then text.
fn number(digits: &str) -> (usize, u128, &str) {
    let trimmed = digits.trim_start_matches('0');
    match trimmed.parse::<u128>() {
        Ok(n) => (0, n, ""),
        Err(_) if trimmed.is_empty() => (0, 0, ""),
        Err(_) => (trimmed.len(), u128::MAX, trimmed),
    }
}

/// The kernel release a Proxmox kernel package installs, from its name:
/// `proxmox-kernel-6.17.2-1-pve-signed` and `pve-kernel-5.15.108-1-pve` → `6.17.2-1-pve`,
/// `5.15.108-1-pve`. The series meta packages (`proxmox-kernel-6.17`) and the helper install
/// no kernel of their own: `None`.
pub fn kernel_release(package: &str) -> Option<&str> {
    let rest = package
        .strip_prefix("proxmox-kernel-")
        .or_else(|| package.strip_prefix("pve-kernel-"))?;
    let release = rest.strip_suffix("-signed").unwrap_or(rest);
    let starts_with_digit = release.chars().next().is_some_and(|c| c.is_ascii_digit());
    (starts_with_digit && release.ends_with("-pve") && release.contains('-')).then_some(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_dpkg_does() {
        use Ordering::*;
        for (a, b, want) in [
            ("6.17.4-1", "6.17.2-1", Greater),
            ("6.17.10-1", "6.17.9-3", Greater),
            ("9.1.2", "9.1.2", Equal),
            ("10.1.2-4", "10.1.2-5", Less),
            ("1.0~rc1", "1.0", Less),
            ("1:0.1", "2.0", Greater),
            ("2.3.4-pve1", "2.3.4-pve2", Less),
            ("19.2.3-pve2", "19.2.3-pve10", Less),
            ("1.0a", "1.0+", Less),
            ("00012", "12", Equal),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn kernel_packages_name_their_release() {
        assert_eq!(
            kernel_release("proxmox-kernel-6.17.2-1-pve-signed"),
            Some("6.17.2-1-pve")
        );
        assert_eq!(
            kernel_release("pve-kernel-5.15.108-1-pve"),
            Some("5.15.108-1-pve")
        );
        assert_eq!(kernel_release("proxmox-kernel-6.17"), None);
        assert_eq!(kernel_release("proxmox-kernel-helper"), None);
        assert_eq!(kernel_release("pve-manager"), None);
    }
}
