//! The log file as a hash chain: appended under a lock (the console and a script may write at
//! once), read back, and checked line by line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::{Entry, Event};
use crate::files;

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of one line (without its newline), hex.
pub fn digest(line: &[u8]) -> String {
    Sha256::digest(line)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An append-only log file, opened at its first write.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl AuditLog {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            file: Mutex::new(None),
        }
    }

    /// Append `event` as the next link of the chain; its sequence number.
    pub fn append(&self, event: Event, time: f64) -> Result<u64, String> {
        let err = |e: std::io::Error| format!("audit log {}: {e}", self.path.display());
        let mut slot = match self.file.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slot.is_none() {
            *slot = Some(files::append_private(&self.path).map_err(err)?);
        }
        let Some(file) = slot.as_mut() else {
            return Err(format!("audit log {}: not open", self.path.display()));
        };
        // Another rack may append between our reading the last line and writing ours.
        file.lock().map_err(err)?;
        let written = (|| {
            // A line cut off by a crash stays as it is (verify names it); ours starts afresh.
            if ends_cut(&self.path).map_err(err)? {
                file.write_all(b"\n").map_err(err)?;
            }
            let (seq, prev) = match last_line(&self.path).map_err(err)? {
                Some(line) => {
                    let seq = match serde_json::from_slice::<Entry>(&line) {
                        Ok(e) => e.seq,
                        Err(_) => line_count(&self.path).map_err(err)? as u64,
                    };
                    (seq.saturating_add(1), digest(&line))
                }
                None => (1, GENESIS.to_string()),
            };
            let entry = Entry {
                seq,
                time,
                event,
                prev,
            };
            let mut line = serde_json::to_vec(&entry).map_err(|e| e.to_string())?;
            line.push(b'\n');
            file.write_all(&line).map_err(err)?;
            file.sync_data().map_err(err)?;
            Ok(seq)
        })();
        let _ = file.unlock();
        written
    }
}

/// Whether the file ends inside a line (a write cut off).
fn ends_cut(path: &Path) -> std::io::Result<bool> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

fn line_count(path: &Path) -> std::io::Result<usize> {
    Ok(std::fs::read(path)?
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count())
}

/// The file's last complete line, if any.
fn last_line(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    // Lines are short; read back far enough to hold the last one whole, or the file.
    let mut back = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(back);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|b| *b == b'\n') {
            Some(i) => return Ok(Some(body[i + 1..].to_vec())),
            None if start == 0 => {
                return Ok((!body.is_empty()).then(|| body.to_vec()));
            }
            None => back *= 4,
        }
    }
}

/// Every entry of the log, in order, and how many lines could not be read (a write cut off, an
/// edit: `verify` says where); a missing file is an empty log.
pub fn read(path: &Path) -> Result<(Vec<Entry>, usize), String> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut bad = 0;
    let entries = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|line| {
            let entry = serde_json::from_slice(line).ok();
            bad += usize::from(entry.is_none());
            entry
        })
        .collect();
    Ok((entries, bad))
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// 1-based line number.
    pub line: usize,
    pub seq: Option<u64>,
    pub why: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "line {} (entry {seq}): {}", self.line, self.why),
            None => write!(f, "line {}: {}", self.line, self.why),
        }
    }
}

/// Check every link: each line parses, counts on from the one before, and names its digest.
/// The number of entries, or the first break.
pub fn verify(path: &Path) -> Result<Result<usize, Broken>, String> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(0)),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let body = text.strip_suffix(b"\n").unwrap_or(&text);
    if body.is_empty() {
        return Ok(Ok(0));
    }
    let mut prev: Option<(&[u8], u64)> = None;
    let mut count = 0;
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let entry: Entry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(e) => {
                return Ok(Err(Broken {
                    line: number,
                    seq: None,
                    why: format!("not an audit entry ({e}): the line was edited"),
                }));
            }
        };
        let (want_prev, want_seq) = match prev {
            Some((line, seq)) => (digest(line), seq.saturating_add(1)),
            None => (GENESIS.to_string(), entry.seq.max(1)),
        };
        if entry.prev != want_prev {
            let why = if number == 1 {
                "the first line does not start the chain: lines before it were removed".to_string()
            } else {
                format!(
                    "its link to line {} does not match: line {} was edited, or lines between them were removed",
                    number - 1,
                    number - 1
                )
            };
            return Ok(Err(Broken {
                line: number,
                seq: Some(entry.seq),
                why,
            }));
        }
        if entry.seq != want_seq {
            return Ok(Err(Broken {
                line: number,
                seq: Some(entry.seq),
                why: format!("numbered {} where {want_seq} was due", entry.seq),
            }));
        }
        prev = Some((line, entry.seq));
        count += 1;
    }
    Ok(Ok(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sent(n: u32) -> Event {
        Event::Sent {
            cluster: "lab".into(),
            endpoint: "https://10.0.0.1:8006".into(),
            identity: "root@pam!rack".into(),
            request: format!("start VM {n} on pve1"),
            method: "POST".into(),
            path: format!("/nodes/pve1/qemu/{n}/status/start"),
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn the_chain_holds_and_an_edit_or_a_removal_breaks_it_where_it_was() {
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("audit.jsonl");
        let log = AuditLog::new(&path);
        for n in 1..=4 {
            assert_eq!(
                log.append(sent(n), 1000.0 + f64::from(n)).unwrap(),
                u64::from(n)
            );
        }
        assert_eq!(verify(&path).unwrap(), Ok(4));
        assert_eq!(read(&path).unwrap().0.len(), 4);
        let text = std::fs::read_to_string(&path).unwrap();

        let edited = text.replacen("start VM 2 on", "start VM 9 on", 1);
        std::fs::write(&path, &edited).unwrap();
        let broken = verify(&path).unwrap().unwrap_err();
        assert_eq!(broken.line, 3);
        assert_eq!(
            broken.to_string(),
            "line 3 (entry 3): its link to line 2 does not match: line 2 was edited, or lines between them were removed"
        );

        let lines: Vec<&str> = text.lines().collect();
        let removed = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]);
        std::fs::write(&path, removed).unwrap();
        assert_eq!(verify(&path).unwrap().unwrap_err().line, 2);

        // Appending goes on from the last line, whatever came before.
        std::fs::write(&path, &text).unwrap();
        let log = AuditLog::new(&path);
        assert_eq!(log.append(sent(5), 2000.0).unwrap(), 5);
        assert_eq!(verify(&path).unwrap(), Ok(5));

        // A write cut off by a crash: the next starts on a line of its own; the cut line is
        // what verify names, and reading skips it.
        let cut = std::fs::read_to_string(&path).unwrap() + "{\"seq\":6,\"ti";
        std::fs::write(&path, cut).unwrap();
        let log = AuditLog::new(&path);
        assert_eq!(log.append(sent(7), 3000.0).unwrap(), 7);
        assert_eq!(verify(&path).unwrap().unwrap_err().line, 6);
        assert_eq!(read(&path).unwrap().0.len(), 6);
        assert_eq!(read(&path).unwrap().1, 1);
    }
}
