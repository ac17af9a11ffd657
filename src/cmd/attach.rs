//! `rack shell NODE` and `rack console VMID`: this terminal attached to a terminal on the cluster
//! (Proxmox's termproxy over its websocket), in raw mode, until the escape key or the far end
//! closes. Standard input that is not a terminal is typed in whole, then ctrl-D, so a
//! here-document runs as a script would in a shell; the output is the terminal's transcript.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tokio::io::AsyncReadExt;

use super::act::{self, Conn};
use super::error::CmdError;
use crate::cli::{AttachOptions, ConsoleArgs, ShellArgs};
use crate::config::ClusterConfig;
use crate::model::GuestKind;
use crate::pve::Client;
use crate::pve::client::{Target, Terminal, TerminalReader, TerminalWriter};

/// The byte a `ctrl-X` escape key sends.
pub fn escape_byte(spec: &str) -> Option<u8> {
    let lower = spec.trim().to_ascii_lowercase();
    let key = lower
        .strip_prefix("ctrl-")
        .or_else(|| lower.strip_prefix('^'))?;
    let mut chars = key.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    match c {
        'a'..='z' => Some(c as u8 - b'a' + 1),
        '@' | '[' | '\\' | ']' | '^' | '_' => Some(c as u8 & 0x1f),
        _ => None,
    }
}

pub async fn shell(clusters: &[ClusterConfig], args: &ShellArgs) -> Result<ExitCode, CmdError> {
    let conns = connect(clusters, &args.attach)?;
    let (i, status) = act::find_node(&conns, &args.node).await?;
    if status.as_ref().is_some_and(|s| s.online == Some(false)) {
        return Err(format!("{} is offline: no shell to attach to", args.node).into());
    }
    let target = Target::Node {
        node: args.node.clone(),
        upgrade: args.upgrade,
    };
    attach(&conns[i], &target, &args.attach, &args.node).await
}

pub async fn console(clusters: &[ClusterConfig], args: &ConsoleArgs) -> Result<ExitCode, CmdError> {
    let conns = connect(clusters, &args.attach)?;
    let (i, guest, resource) = act::find_guest(&conns, args.vmid).await?;
    if resource.status.as_deref() != Some("running") {
        return Err(format!(
            "{} is not running: its console has nothing to show",
            guest.label()
        )
        .into());
    }
    let target = match guest.kind {
        GuestKind::Lxc => Target::Container {
            node: guest.node.clone(),
            vmid: guest.vmid,
        },
        GuestKind::Qemu => {
            if !matches!(
                args.serial.as_str(),
                "serial0" | "serial1" | "serial2" | "serial3"
            ) {
                return Err(CmdError::Usage(format!(
                    "--serial {}: a VM's serial ports are serial0 to serial3",
                    args.serial
                )));
            }
            Target::Serial {
                node: guest.node.clone(),
                vmid: guest.vmid,
                port: args.serial.clone(),
            }
        }
    };
    attach(&conns[i], &target, &args.attach, &guest.label()).await
}

fn connect(clusters: &[ClusterConfig], opts: &AttachOptions) -> Result<Vec<Conn>, CmdError> {
    if escape_byte(&opts.escape).is_none() {
        return Err(CmdError::Usage(format!(
            "--escape {}: give a control key, as ctrl-] or ctrl-a",
            opts.escape
        )));
    }
    act::connect(clusters, opts.cluster.as_deref())
}

async fn attach(
    conn: &Conn,
    target: &Target,
    opts: &AttachOptions,
    what: &str,
) -> Result<ExitCode, CmdError> {
    let escape = escape_byte(&opts.escape).unwrap_or(0x1d);
    // Terminals log in as [clusters.shell] says, when it says.
    let client = match &conn.config.shell {
        None => conn.client.clone(),
        Some(_) => {
            let name = &conn.config.name;
            let options = conn
                .config
                .terminal_options()
                .map_err(|e| format!("cluster \"{name}\": shell: {e}"))?;
            Client::new(options).map_err(|e| format!("cluster \"{name}\": {e}"))?
        }
    };
    let term = client.open_terminal(target).await.map_err(|e| {
        CmdError::Failed(format!(
            "cannot open a terminal on {what}: {}",
            e.proxmox_text()
        ))
    })?;
    if std::io::stdin().is_terminal() {
        interactive(term, escape, what, &opts.escape).await
    } else {
        scripted(term).await
    }
}

/// A person at a terminal: raw mode, sizes followed, the escape key leaves.
async fn interactive(
    term: Terminal,
    escape: u8,
    what: &str,
    escape_name: &str,
) -> Result<ExitCode, CmdError> {
    let Terminal {
        mut writer,
        mut reader,
        ..
    } = term;
    eprint!("rack: attached to {what}; {escape_name} leaves\r\n");
    if let Ok((cols, rows)) = crossterm::terminal::size() {
        let _ = writer.resize(cols, rows).await;
    }
    let mut winch = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .map_err(|e| format!("cannot follow resizes: {e}"))?;
    let keys = stdin_reader();
    let raw = RawMode::on()?;
    let outcome = pump(&mut writer, &mut reader, keys, &mut winch, escape).await;
    drop(raw);
    // A far end that stopped reading must not keep rack here.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer.close()).await;
    match outcome {
        Ok(how) => {
            eprintln!("\r\nrack: {what}: {how}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(format!("{what}: {e}").into()),
    }
}

/// Raw mode for as long as it lives: restored on every way out, a panic included.
struct RawMode;

impl RawMode {
    fn on() -> Result<Self, CmdError> {
        crossterm::terminal::enable_raw_mode().map_err(|e| format!("raw mode: {e}"))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Keys from standard input, read on a thread of their own: a read in progress when the session
/// ends cannot be cancelled, and must not keep the process from exiting.
fn stdin_reader() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            match std::io::Read::read(&mut stdin, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Keys to the far end, its output to the screen, until the escape key or the end.
async fn pump(
    writer: &mut TerminalWriter,
    reader: &mut TerminalReader,
    mut keys: tokio::sync::mpsc::Receiver<Vec<u8>>,
    winch: &mut tokio::signal::unix::Signal,
    escape: u8,
) -> Result<&'static str, String> {
    let mut stdout = std::io::stdout();
    let mut ping = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        tokio::select! {
            out = reader.next() => match out {
                Some(Ok(bytes)) => {
                    let _ = stdout.write_all(&bytes);
                    let _ = stdout.flush();
                }
                Some(Err(e)) => return Err(e.to_string()),
                None => return Ok("the session ended"),
            },
            typed = keys.recv() => match typed {
                None => return Ok("input closed"),
                Some(typed) => {
                    if let Some(at) = typed.iter().position(|b| *b == escape) {
                        if at > 0 {
                            let _ = writer.input(&typed[..at]).await;
                        }
                        return Ok("left with the escape key");
                    }
                    writer.input(&typed).await.map_err(|e| e.to_string())?;
                }
            },
            _ = winch.recv() => {
                if let Ok((cols, rows)) = crossterm::terminal::size() {
                    let _ = writer.resize(cols, rows).await;
                }
            }
            _ = ping.tick() => {
                let _ = writer.ping().await;
            }
        }
    }
}

/// A script: its input typed in, then ctrl-D; the transcript printed with plain line ends.
async fn scripted(term: Terminal) -> Result<ExitCode, CmdError> {
    let Terminal {
        mut writer,
        mut reader,
        ..
    } = term;
    let mut input = Vec::new();
    tokio::io::stdin()
        .read_to_end(&mut input)
        .await
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    // A pty takes Return as \r; each line is one command.
    let typed: Vec<u8> = input
        .iter()
        .map(|b| if *b == b'\n' { b'\r' } else { *b })
        .collect();
    // The script may end the shell itself (exit) before all of it is sent: what follows is
    // not wanted then, and the transcript below says how far it went.
    if writer.input(&typed).await.is_ok() {
        let _ = writer.input(b"\x04").await;
    }
    let mut stdout = std::io::stdout();
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(30), reader.next()).await;
        match next {
            Ok(Some(Ok(bytes))) => {
                let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
                let _ = stdout.write_all(text.as_bytes());
            }
            Ok(Some(Err(e))) => return Err(e.to_string().into()),
            Ok(None) => break,
            Err(_) => {
                return Err(
                    "the shell did not end within 30 s of its input (end the script with exit)"
                        .into(),
                );
            }
        }
    }
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::escape_byte;

    #[test]
    fn escape_keys_read_as_their_control_bytes() {
        assert_eq!(escape_byte("ctrl-]"), Some(0x1d));
        assert_eq!(escape_byte("Ctrl-A"), Some(0x01));
        assert_eq!(escape_byte("^]"), Some(0x1d));
        assert_eq!(escape_byte("ctrl-1"), None);
        assert_eq!(escape_byte("q"), None);
    }
}
