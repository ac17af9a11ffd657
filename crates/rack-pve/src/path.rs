//! Values placed in API paths. A UPID's colons, a token user's `!` and `@` travel as they are (as
//! Proxmox's own clients send them); every other byte outside the unreserved set is
//! percent-encoded, so a name with a space or a slash stays one segment.

/// `text` as one path segment.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.:@!~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_upid_stays_readable_and_anything_else_is_one_segment() {
        let upid = "UPID:pve1:0000ABCD:0001:65F0:qmstart:101:root@pam!rack:";
        assert_eq!(segment(upid), upid);
        assert_eq!(segment("local:backup/vm 1"), "local:backup%2Fvm%201");
        assert_eq!(segment("é"), "%C3%A9");
    }
}
