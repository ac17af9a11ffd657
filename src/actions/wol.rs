//! Wake-on-LAN from this machine: the magic packet (six 0xFF bytes, then the MAC sixteen times)
//! as one UDP datagram to a broadcast address. Used when no node of the cluster answers to send
//! it for us.

use std::net::SocketAddr;

pub use crate::model::mac::{format_mac, parse_mac};

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
