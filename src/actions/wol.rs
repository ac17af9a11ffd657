//! Wake-on-LAN from this machine: the magic packet (six 0xFF bytes, then the MAC sixteen times)
//! as one UDP datagram to a broadcast address. Used when no node of the cluster answers to send
//! it for us.

use std::net::SocketAddr;

/// `aa:bb:cc:dd:ee:ff`, `AA-BB-…` or `aabb.ccdd.eeff` into its six bytes.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, byte) in mac.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(mac)
}

pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn magic_packet(mac: &[u8; 6]) -> Vec<u8> {
    let mut packet = vec![0xFF; 6];
    for _ in 0..16 {
        packet.extend_from_slice(mac);
    }
    packet
}

/// Send the magic packet for `mac` to `to`.
pub async fn send(mac: &[u8; 6], to: SocketAddr) -> std::io::Result<()> {
    let bind = if to.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = tokio::net::UdpSocket::bind(bind).await?;
    socket.set_broadcast(true)?;
    socket.send_to(&magic_packet(mac), to).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_in_any_common_spelling() {
        let mac = [0xaa, 0xbb, 0xcc, 0x01, 0x02, 0x03];
        for text in ["aa:bb:cc:01:02:03", "AA-BB-CC-01-02-03", "aabb.cc01.0203"] {
            assert_eq!(parse_mac(text), Some(mac), "{text}");
        }
        assert_eq!(format_mac(&mac), "aa:bb:cc:01:02:03");
        assert_eq!(parse_mac("aa:bb:cc"), None);
        assert_eq!(parse_mac("zz:bb:cc:01:02:03"), None);
        let p = magic_packet(&mac);
        assert_eq!(p.len(), 102);
        assert_eq!(&p[..6], &[0xFF; 6]);
        assert_eq!(&p[96..], &mac);
    }
}
