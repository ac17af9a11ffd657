//! An answer's body as it came over the wire: counted, and gunzipped when Proxmox compressed it
//! (pveproxy gzips any answer over 1 KiB for a client that accepts it, which cuts a large
//! cluster's `/cluster/resources` to about a tenth).

use std::io::Read as _;

use flate2::read::GzDecoder;

/// What this client accepts; sent with every request.
pub const ACCEPT_ENCODING: &str = "gzip";

/// No answer of the API is anywhere near this; a body that inflates past it is refused rather
/// than allowed to fill the memory.
const MAX_INFLATED: u64 = 1 << 30;
/// Room taken at once for an answer before it is inflated.
const MAX_RESERVED: u64 = 64 << 20;

/// The body as text, from its bytes and its `Content-Encoding`.
pub fn text(bytes: &[u8], encoding: Option<&str>) -> Result<String, String> {
    let raw = match encoding.map(str::trim) {
        None | Some("" | "identity") => bytes.to_vec(),
        Some(e) if e.eq_ignore_ascii_case("gzip") => {
            // gzip's trailer gives the inflated size (modulo 4 GiB): room for that, as far as
            // a real answer of this many bytes could inflate to.
            let size = bytes
                .last_chunk::<4>()
                .map_or(0, |t| u64::from(u32::from_le_bytes(*t)))
                .min((bytes.len() as u64).saturating_mul(64))
                .min(MAX_RESERVED);
            let mut out = Vec::with_capacity(size as usize);
            GzDecoder::new(bytes)
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("a gzip answer that does not inflate: {e}"))?;
            if out.len() as u64 > MAX_INFLATED {
                return Err(format!(
                    "an answer that inflates past {} MiB",
                    MAX_INFLATED >> 20
                ));
            }
            out
        }
        Some(other) => return Err(format!("an answer in an encoding not asked for: {other}")),
    };
    Ok(match String::from_utf8(raw) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    #[test]
    fn a_gzip_answer_is_inflated_and_a_plain_one_kept() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(br#"{"data":[1,2,3]}"#)
            .unwrap_or_default();
        let zipped = encoder.finish().unwrap_or_default();
        assert_eq!(
            text(&zipped, Some("gzip")).as_deref(),
            Ok(r#"{"data":[1,2,3]}"#)
        );
        assert_eq!(text(b"{}", None).as_deref(), Ok("{}"));
        assert!(text(b"not gzip", Some("gzip")).is_err());
        assert!(text(b"{}", Some("br")).is_err());
    }
}
