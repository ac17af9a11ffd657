//! `GET …/vncwebsocket` with an upgrade: the ticket checked as pveproxy checks it, then the
//! termproxy protocol over the websocket, in front of a `Session`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, Response, Uri};
use rack_pve::termproxy::{Decoder, Frame, OK};

use super::session::Session;
use rack_pve::termproxy::Target;

use super::close;
use crate::Shared;
use crate::http::{ApiError, authenticate, param, request_params};

/// How often the far end looks at the world (for `top`, and a node that went away).
const TICK: Duration = Duration::from_millis(250);

/// The longest `USER:TICKET` line read before giving up.
const LOGIN_LINE_MAX: usize = 4096;

/// Check the request and switch to the websocket; or the error Proxmox answers.
pub fn upgrade(
    shared: &Shared,
    ws: WebSocketUpgrade,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let port = {
        let Ok(mut s) = shared.lock() else {
            return Err(ApiError::fail("simulator state poisoned"));
        };
        s.sync();
        let path = uri.path().strip_prefix("/api2/json").unwrap_or(uri.path());
        let node = path
            .strip_prefix("/nodes/")
            .and_then(|r| r.split('/').next())
            .unwrap_or_default()
            .to_string();
        if s.world.faults.unreachable.contains(&node) {
            return Err(ApiError::new(595, "No route to host"));
        }
        let who = authenticate(&s, method, headers)?;
        let params = request_params(uri, headers, &[]);
        let port: u16 = param(&params, "port")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| ApiError::param("port", "property is missing and it is not optional"))?;
        let ticket = param(&params, "vncticket").unwrap_or_default().to_string();
        let denied = || ApiError::new(401, "permission denied - invalid PVEVNC ticket");
        let opened = s.terminals.by_port.get(&port).cloned();
        let acl = match opened.as_ref().map(|o| &o.far) {
            Some(far) => far.acl_path(),
            None => acl_of(path),
        };
        let now = s.clock.now();
        if !s.auth.check_vnc_ticket(&ticket, &who.user, &acl, port, now) {
            return Err(denied());
        }
        let Some(opened) = opened.filter(|o| !o.attached && o.ticket == ticket) else {
            return Err(ApiError::fail(format!(
                "connect to localhost:{port} failed: Connection refused"
            )));
        };
        if opened.far.node() != node {
            return Err(denied());
        }
        if let Some(o) = s.terminals.by_port.get_mut(&port) {
            o.attached = true;
        }
        port
    };
    let failed = shared.clone();
    let shared = shared.clone();
    Ok(ws
        .protocols(["binary"])
        .on_failed_upgrade(move |_| {
            if let Ok(mut s) = failed.lock() {
                close(&mut s, port);
            }
        })
        .on_upgrade(move |socket| run(shared, port, socket)))
}

/// The ACL path of a `vncwebsocket` path.
fn acl_of(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", "nodes", _, "qemu" | "lxc", vmid, ..] => format!("/vms/{vmid}"),
        ["", "nodes", node, ..] => format!("/nodes/{node}"),
        _ => path.to_string(),
    }
}

async fn run(shared: Shared, port: u16, socket: WebSocket) {
    serve(&shared, port, socket).await;
    if let Ok(mut s) = shared.lock() {
        close(&mut s, port);
    }
    // Dropping the socket closes the connection without a close frame, as pveproxy does.
}

async fn serve(shared: &Shared, port: u16, mut socket: WebSocket) {
    // USER:TICKET\n first, within 10 s in all, and short (termproxy's buffer is 4 KiB).
    let mut first = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let newline = loop {
        if first.len() > LOGIN_LINE_MAX {
            return;
        }
        let next = tokio::time::timeout_at(deadline, socket.recv()).await;
        match next {
            Ok(Some(Ok(Message::Text(t)))) => first.extend_from_slice(t.as_bytes()),
            Ok(Some(Ok(Message::Binary(b)))) => first.extend_from_slice(&b),
            Ok(Some(Ok(_))) => continue,
            _ => return,
        }
        if let Some(at) = first.iter().position(|b| *b == b'\n') {
            break at;
        }
    };
    let line = String::from_utf8_lossy(&first[..newline]).into_owned();
    let rest = first[newline + 1..].to_vec();
    let (session, opening) = {
        let Ok(mut s) = shared.lock() else { return };
        let Some(opened) = s.terminals.by_port.get(&port).cloned() else {
            return;
        };
        match line.split_once(':') {
            Some((user, ticket)) if user == opened.user && ticket == opened.ticket => {}
            // termproxy prints its error and exits: the connection just closes.
            _ => return,
        }
        s.sync();
        Session::open(&opened.far, &opened.user, &mut s)
    };
    let mut session = session;
    let mut hello = OK.to_vec();
    hello.extend_from_slice(&opening);
    if socket.send(Message::Binary(hello.into())).await.is_err() {
        return;
    }
    let mut decoder = Decoder::default();
    decoder.push(&rest);
    let mut tick = tokio::time::interval(TICK);
    loop {
        let out = {
            let Ok(mut s) = shared.lock() else { return };
            let mut out = Vec::new();
            while let Some(frame) = decoder.next_frame() {
                match frame {
                    Frame::Input(data) => out.extend(session.input(&data, &mut s)),
                    Frame::Resize { cols, rows } => out.extend(session.resize(cols, rows, &s)),
                    Frame::Ping => {}
                }
            }
            out
        };
        if !out.is_empty() && socket.send(Message::Binary(out.into())).await.is_err() {
            return;
        }
        if session.closed() {
            return;
        }
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(t))) => decoder.push(t.as_bytes()),
                Some(Ok(Message::Binary(b))) => decoder.push(&b),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = tick.tick() => {
                let out = {
                    let Ok(mut s) = shared.lock() else { return };
                    s.sync();
                    if gone(&s, port) {
                        return;
                    }
                    session.tick(&s)
                };
                if !out.is_empty() && socket.send(Message::Binary(out.into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Whether the terminal's connection is lost: its node went down or away, its task was
/// stopped, or the simulator was told to cut it.
fn gone(s: &crate::SimState, port: u16) -> bool {
    let Some(opened) = s.terminals.by_port.get(&port) else {
        return true;
    };
    let node = opened.far.node();
    let down = !s.world.node(node).is_some_and(|n| n.online())
        || s.world.faults.unreachable.iter().any(|n| n == node);
    let stopped = s.world.task(&opened.upid).is_none_or(|t| !t.running());
    let guest_gone = match &opened.far {
        Target::Node { .. } => false,
        Target::Serial { vmid, .. } | Target::Container { vmid, .. } => {
            !s.world.guests.get(vmid).is_some_and(|g| g.running())
        }
    };
    down || stopped || guest_gone || s.terminals.cut.contains(&port)
}
