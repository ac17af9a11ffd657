//! Proxmox task ids: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`.

use std::fmt;
use std::str::FromStr;

/// A parsed task id. The node in it is where the task's status and log are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    pub node: String,
    pub pid: u32,
    pub pstart: u64,
    pub starttime: i64,
    pub kind: String,
    pub id: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed UPID {0:?}")]
pub struct UpidError(pub String);

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pid is 8 hex digits, pstart 8 or more, starttime 8: exactly as pve-common's
        // PVE::Tools::upid_encode writes them.
        write!(
            f,
            "UPID:{}:{:08X}:{:08X}:{:08X}:{}:{}:{}:",
            self.node, self.pid, self.pstart, self.starttime, self.kind, self.id, self.user
        )
    }
}

impl FromStr for Upid {
    type Err = UpidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UpidError(s.to_string());
        let rest = s.strip_prefix("UPID:").ok_or_else(err)?;
        let rest = rest.strip_suffix(':').ok_or_else(err)?;
        // The user may itself contain no ':' but the id may be empty; split exactly 7 ways.
        let parts: Vec<&str> = rest.splitn(7, ':').collect();
        let [node, pid, pstart, start, kind, id, user] = parts.as_slice() else {
            return Err(err());
        };
        if node.is_empty() || kind.is_empty() || user.is_empty() {
            return Err(err());
        }
        Ok(Upid {
            node: (*node).to_string(),
            pid: u32::from_str_radix(pid, 16).map_err(|_| err())?,
            pstart: u64::from_str_radix(pstart, 16).map_err(|_| err())?,
            starttime: i64::from_str_radix(start, 16).map_err(|_| err())?,
            kind: (*kind).to_string(),
            id: (*id).to_string(),
            user: (*user).to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_real_upid() {
        let text = "UPID:pve1:0008380E:0131F1BF:6A84EA54:qmstart:101:root@pam:";
        let upid: Upid = text.parse().unwrap();
        assert_eq!(upid.node, "pve1");
        assert_eq!(upid.kind, "qmstart");
        assert_eq!(upid.id, "101");
        assert_eq!(upid.starttime, 0x6A84EA54);
        assert_eq!(upid.to_string(), text);
    }

    #[test]
    fn accepts_token_users_and_empty_ids() {
        let upid: Upid = "UPID:n:00000001:00000002:00000003:vzdump::root@pam!rack:"
            .parse()
            .unwrap();
        assert_eq!(upid.id, "");
        assert_eq!(upid.user, "root@pam!rack");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "UPID:", "UPID:a:xx:yy:zz:e:f:g:", "PID:n:1:2:3:t:i:u:"] {
            assert!(bad.parse::<Upid>().is_err(), "{bad}");
        }
    }
}
