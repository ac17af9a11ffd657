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

/// Reads client frames from a byte stream, however it was cut into messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame; None until more bytes arrive. Bytes that start no frame are
    /// skipped one at a time, as termproxy does.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let first = *self.buf.first()?;
            match first {
                b'0' => match self.fields(1)? {
                    Ok((mut header, fields)) => {
                        let Some(len) = fields.first().and_then(|f| parse_num::<usize>(f)) else {
                            self.buf.remove(0);
                            continue;
                        };
                        header += len;
                        if self.buf.len() < header {
                            return None;
                        }
                        let data = self.buf[header - len..header].to_vec();
                        self.buf.drain(..header);
                        return Some(Frame::Input(data));
                    }
                    Err(()) => {
                        self.buf.remove(0);
                    }
                },
                b'1' => match self.fields(2)? {
                    Ok((header, fields)) => {
                        let cols = fields.first().and_then(|f| parse_num::<u16>(f));
                        let rows = fields.get(1).and_then(|f| parse_num::<u16>(f));
                        self.buf.drain(..header);
                        if let (Some(cols), Some(rows)) = (cols, rows) {
                            return Some(Frame::Resize { cols, rows });
                        }
                    }
                    Err(()) => {
                        self.buf.remove(0);
                    }
                },
                b'2' => {
                    self.buf.remove(0);
                    return Some(Frame::Ping);
                }
                _ => {
                    self.buf.remove(0);
                }
            }
        }
    }

    /// `T:` then `count` fields each ended by `:`: how many bytes that takes and the fields.
    /// None when more bytes are needed; Err when it is not such a header.
    fn fields(&self, count: usize) -> Option<Result<Header, ()>> {
        if self.buf.len() < 2 {
            return None;
        }
        if self.buf[1] != b':' {
            return Some(Err(()));
        }
        let mut at = 2;
        let mut fields = Vec::new();
        for _ in 0..count {
            let rest = &self.buf[at..];
            match rest.iter().position(|b| *b == b':') {
                Some(end) => {
                    let field = &rest[..end];
                    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
                        return Some(Err(()));
                    }
                    fields.push(field.to_vec());
                    at += end + 1;
                }
                None if rest.len() > 10 || !rest.iter().all(u8::is_ascii_digit) => {
                    return Some(Err(()));
                }
                None => return None,
            }
        }
        Some(Ok((at, fields)))
    }
}

/// A frame's header: how many bytes it takes, and its numeric fields.
type Header = (usize, Vec<Vec<u8>>);

fn parse_num<T: std::str::FromStr>(digits: &[u8]) -> Option<T> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(d: &mut Decoder) -> Vec<Frame> {
        std::iter::from_fn(|| d.next_frame()).collect()
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
            assert_eq!(got, whole, "cut at {cut}");
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
