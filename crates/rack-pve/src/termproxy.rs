//! Proxmox's terminal protocol (termproxy behind `vncwebsocket`), both directions.
//!
//! After the websocket opens, the client sends `USER:TICKET\n` (the user and the `PVEVNC:` ticket
//! `termproxy` answered) and the server replies with the two bytes `OK`, which may share a
//! message with the first output. From then on the client sends, as a byte stream whose message
//! boundaries mean nothing: input as `0:LEN:DATA` (LEN counts bytes), a resize as
//! `1:COLS:ROWS:` and a keep-alive as `2`; the server sends the terminal's raw bytes, always in
//! binary messages, and closes the connection without a close frame when the program ends.

use serde::{Deserialize, Serialize};

use crate::de;
use crate::endpoints::nodes;

/// What a terminal is opened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A node's shell; `upgrade` runs Proxmox's `pveupgrade --shell` in it instead.
    Node { node: String, upgrade: bool },
    /// A VM's serial port (`serial0`…`serial3`).
    Serial {
        node: String,
        vmid: u32,
        port: String,
    },
    /// A container's console.
    Container { node: String, vmid: u32 },
}

impl Target {
    pub fn node(&self) -> &str {
        match self {
            Target::Node { node, .. }
            | Target::Serial { node, .. }
            | Target::Container { node, .. } => node,
        }
    }

    /// The ACL path its privileges and ticket are checked on.
    pub fn acl_path(&self) -> String {
        match self {
            Target::Node { node, .. } => format!("/nodes/{node}"),
            Target::Serial { vmid, .. } | Target::Container { vmid, .. } => format!("/vms/{vmid}"),
        }
    }

    /// Where it is opened (`…/termproxy`) and attached (`…/vncwebsocket`).
    pub fn base(&self) -> String {
        match self {
            Target::Node { node, .. } => nodes::terminal_base(node, None),
            Target::Serial { node, vmid, .. } => nodes::terminal_base(node, Some(("qemu", *vmid))),
            Target::Container { node, vmid } => nodes::terminal_base(node, Some(("lxc", *vmid))),
        }
    }

    /// The parameters of `termproxy`.
    pub fn params(&self) -> Vec<(&'static str, &str)> {
        match self {
            Target::Node { upgrade: true, .. } => vec![("cmd", "upgrade")],
            Target::Serial { port, .. } => vec![("serial", port.as_str())],
            _ => Vec::new(),
        }
    }
}

/// What `POST …/termproxy` answers: the port the terminal listens on and a ticket for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermProxy {
    /// Who the ticket is for (a token's full id when a token asked): the first line's USER.
    pub user: String,
    /// `PVEVNC:…`, bound to the user, the path and the port, valid for about 40 s.
    pub ticket: String,
    #[serde(deserialize_with = "de::port")]
    pub port: u16,
    pub upid: String,
}

/// The server's answer to the login line.
pub const OK: &[u8] = b"OK";

/// The keep-alive a client sends every 30 s (the web UI's interval).
pub const PING: &[u8] = b"2";

/// The first message: who and the ticket.
pub fn login_line(user: &str, ticket: &str) -> String {
    format!("{user}:{ticket}\n")
}

/// Input for the terminal, framed.
pub fn input(data: &[u8]) -> Vec<u8> {
    let mut out = format!("0:{}:", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}

/// A new terminal size, framed.
pub fn resize(cols: u16, rows: u16) -> Vec<u8> {
    format!("1:{cols}:{rows}:").into_bytes()
}

/// One client message, as the server reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Input(Vec<u8>),
    Resize { cols: u16, rows: u16 },
    Ping,
}

/// Reads client frames from a byte stream, however it was cut into messages. Input is passed on
/// as it arrives (a frame's data may come out in several pieces), as termproxy does, so a
/// frame announcing more than is ever sent holds nothing back and costs no memory.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where unread bytes start in `buf`.
    at: usize,
    /// Bytes of the current input frame still to come.
    remaining: usize,
}

/// termproxy reads at most this many digits for a number.
const MAX_DIGITS: usize = 20;

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        // Drop what was read, once per push: reading stays linear however the stream is cut.
        self.buf.drain(..self.at.min(self.buf.len()));
        self.at = 0;
        self.buf.extend_from_slice(bytes);
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.at..).unwrap_or_default()
    }

    /// The next frame; None until more bytes arrive. Bytes that start no frame are skipped one
    /// at a time, as termproxy does.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if self.remaining > 0 {
                let rest = self.rest();
                if rest.is_empty() {
                    return None;
                }
                let n = self.remaining.min(rest.len());
                let data = rest[..n].to_vec();
                self.at += n;
                self.remaining -= n;
                return Some(Frame::Input(data));
            }
            let first = *self.rest().first()?;
            let fields = match first {
                b'0' => 1,
                b'1' => 2,
                b'2' => {
                    self.at += 1;
                    return Some(Frame::Ping);
                }
                _ => {
                    self.at += 1;
                    continue;
                }
            };
            let header = self.header(fields)?;
            let Ok((len, numbers)) = header else {
                self.at += 1;
                continue;
            };
            self.at += len;
            match (first, numbers.as_slice()) {
                (b'0', [n]) => {
                    self.remaining = usize::try_from(*n).unwrap_or(usize::MAX);
                }
                (b'1', [cols, rows]) => {
                    if let (Ok(cols), Ok(rows)) = (u16::try_from(*cols), u16::try_from(*rows)) {
                        return Some(Frame::Resize { cols, rows });
                    }
                }
                _ => {}
            }
        }
    }

    /// `T:` then `count` numbers each ended by `:`: how many bytes that takes and the numbers.
    /// None when more bytes are needed; Err when it is not such a header.
    fn header(&self, count: usize) -> Option<Result<(usize, Vec<u64>), ()>> {
        let rest = self.rest();
        if rest.len() < 2 {
            return None;
        }
        if rest[1] != b':' {
            return Some(Err(()));
        }
        let mut at = 2;
        let mut numbers = Vec::new();
        for _ in 0..count {
            let field = &rest[at..];
            match field.iter().position(|b| *b == b':') {
                Some(end) => {
                    let digits = &field[..end];
                    let number = (!digits.is_empty() && digits.len() <= MAX_DIGITS)
                        .then(|| std::str::from_utf8(digits).ok()?.parse::<u64>().ok())
                        .flatten();
                    let Some(number) = number else {
                        return Some(Err(()));
                    };
                    numbers.push(number);
                    at += end + 1;
                }
                None if field.len() > MAX_DIGITS || !field.iter().all(u8::is_ascii_digit) => {
                    return Some(Err(()));
                }
                None => return None,
            }
        }
        Some(Ok((at, numbers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames, consecutive input joined (input may come out in pieces).
    fn all(d: &mut Decoder) -> Vec<Frame> {
        let mut out: Vec<Frame> = Vec::new();
        while let Some(frame) = d.next_frame() {
            match (out.last_mut(), frame) {
                (Some(Frame::Input(a)), Frame::Input(b)) => a.extend(b),
                (_, frame) => out.push(frame),
            }
        }
        out
    }

    fn joined(frames: Vec<Frame>) -> Vec<Frame> {
        let mut out: Vec<Frame> = Vec::new();
        for frame in frames {
            match (out.last_mut(), frame) {
                (Some(Frame::Input(a)), Frame::Input(b)) => a.extend(b),
                (_, frame) => out.push(frame),
            }
        }
        out
    }

    #[test]
    fn a_huge_length_holds_nothing_back() {
        let mut d = Decoder::default();
        d.push(b"0:18446744073709551615:abc");
        assert_eq!(all(&mut d), vec![Frame::Input(b"abc".to_vec())]);
        let mut d = Decoder::default();
        d.push(b"0:99999999999999999999999:x1:80:24:");
        assert_eq!(all(&mut d), vec![Frame::Resize { cols: 80, rows: 24 }]);
    }

    #[test]
    fn frames_split_anywhere_read_the_same() {
        let mut stream = input("héllo\n".as_bytes());
        stream.extend(resize(132, 43));
        stream.extend_from_slice(PING);
        stream.extend(input(b"0:1:"));
        let whole = {
            let mut d = Decoder::default();
            d.push(&stream);
            all(&mut d)
        };
        assert_eq!(
            whole,
            vec![
                Frame::Input("héllo\n".as_bytes().to_vec()),
                Frame::Resize {
                    cols: 132,
                    rows: 43
                },
                Frame::Ping,
                Frame::Input(b"0:1:".to_vec()),
            ]
        );
        for cut in 1..stream.len() {
            let mut d = Decoder::default();
            d.push(&stream[..cut]);
            let mut got = all(&mut d);
            d.push(&stream[cut..]);
            got.extend(all(&mut d));
            assert_eq!(joined(got), whole, "cut at {cut}");
        }
    }

    #[test]
    fn garbage_is_skipped() {
        let mut d = Decoder::default();
        d.push(b"x0:z1:80:24:");
        assert_eq!(all(&mut d), vec![Frame::Resize { cols: 80, rows: 24 }]);
    }

    #[test]
    fn the_answer_reads_from_strings_and_numbers() {
        let a: TermProxy = serde_json::from_str(
            r#"{"user":"root@pam","ticket":"PVEVNC:1::x","port":"5900","upid":"UPID:x"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.port, 5900);
    }
}
