//! What is known of a guest's network addresses: read from its guest agent (a VM) or from inside
//! it (a container), or why nothing can be known ("agent not running" is a fact, not an error).

use crate::pve::types::GuestInterface;

use super::text::clean;

/// Every running guest's addresses are read while a cluster runs at most this many guests (one
/// request each, every 5 minutes); above it, only the selected guest's.
pub const ADDRESSES_UP_TO: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub enum Addresses {
    /// Its interfaces, as the guest reports them.
    Known(Vec<GuestInterface>),
    /// A VM without the `agent` option.
    NoAgent,
    /// The agent is configured but does not answer (booting, not installed, stopped).
    AgentNotRunning,
    /// A guest that is not running has no addresses.
    NotRunning,
    /// The read failed: Proxmox's words.
    Unreadable(String),
}

impl Addresses {
    /// What an agent read that failed says: Proxmox's texts for the facts, else an error.
    pub fn from_error(text: &str) -> Self {
        if text.contains("No QEMU guest agent configured") {
            Addresses::NoAgent
        } else if text.contains("QEMU guest agent is not running") {
            Addresses::AgentNotRunning
        } else if text.contains("is not running") {
            Addresses::NotRunning
        } else {
            Addresses::Unreadable(clean(text))
        }
    }

    /// Every address worth reaching the guest at (no loopback, no link-local), IPv4 first.
    pub fn reachable(&self) -> Vec<String> {
        let Addresses::Known(ifaces) = self else {
            return Vec::new();
        };
        let all = ifaces.iter().flat_map(|i| i.addresses.iter());
        let (v4, v6): (Vec<_>, Vec<_>) = all.filter(|a| a.is_reachable()).partition(|a| a.is_v4());
        v4.into_iter()
            .chain(v6)
            .filter_map(|a| a.address.as_deref().map(clean))
            .collect()
    }

    /// The address the table shows: the first IPv4, or IPv6 when there is none.
    pub fn primary(&self) -> Option<String> {
        self.reachable().into_iter().next()
    }

    /// The same in a table cell's few letters.
    pub fn brief(&self) -> Option<&'static str> {
        match self {
            Addresses::Known(_) if self.reachable().is_empty() => Some("none"),
            Addresses::Known(_) => None,
            Addresses::NoAgent => Some("no agent"),
            Addresses::AgentNotRunning => Some("agent off"),
            Addresses::NotRunning => Some("stopped"),
            Addresses::Unreadable(_) => Some("unreadable"),
        }
    }

    /// Why there is no address to show, in words.
    pub fn why_none(&self) -> Option<String> {
        match self {
            Addresses::Known(_) if self.reachable().is_empty() => Some("no address".into()),
            Addresses::Known(_) => None,
            Addresses::NoAgent => Some("no guest agent configured".into()),
            Addresses::AgentNotRunning => Some("guest agent not running".into()),
            Addresses::NotRunning => Some("not running".into()),
            Addresses::Unreadable(e) => Some(format!("unreadable: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pve::types::IpAddress;

    fn ip(a: &str, family: &str) -> IpAddress {
        IpAddress {
            address: Some(a.into()),
            family: Some(family.into()),
            prefix: Some(24),
        }
    }

    #[test]
    fn the_first_reachable_ipv4_is_primary_else_ipv6() {
        let lo = GuestInterface {
            name: Some("lo".into()),
            mac: None,
            hwaddr: None,
            addresses: vec![ip("127.0.0.1", "ipv4"), ip("::1", "ipv6")],
        };
        let eth = GuestInterface {
            name: Some("eth0".into()),
            mac: None,
            hwaddr: None,
            addresses: vec![
                ip("fe80::1", "ipv6"),
                ip("2001:db8::5", "ipv6"),
                ip("10.8.28.5", "inet"),
            ],
        };
        let a = Addresses::Known(vec![lo.clone(), eth]);
        assert_eq!(a.primary().as_deref(), Some("10.8.28.5"));
        assert_eq!(a.reachable(), ["10.8.28.5", "2001:db8::5"]);
        let v6 = Addresses::Known(vec![GuestInterface {
            addresses: vec![ip("2001:db8::7", "ipv6")],
            ..lo.clone()
        }]);
        assert_eq!(v6.primary().as_deref(), Some("2001:db8::7"));
        assert_eq!(
            Addresses::Known(vec![lo]).why_none().as_deref(),
            Some("no address")
        );
        assert_eq!(
            Addresses::from_error("QEMU guest agent is not running"),
            Addresses::AgentNotRunning
        );
        assert_eq!(
            Addresses::from_error("No QEMU guest agent configured"),
            Addresses::NoAgent
        );
    }
}
