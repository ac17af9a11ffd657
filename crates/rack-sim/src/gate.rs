//! A node's listener answers only while the node does: a node that is off, or cut off by the
//! `unreachable=NODE` fault, drops new connections before the TLS handshake and closes open
//! ones at their next request, as a dead host would.

use std::future::{Ready, ready};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Shared;

#[derive(Clone)]
pub struct Gate {
    state: Shared,
    /// The node this listener stands for; None: a listener that stands for every node.
    node: Option<String>,
}

impl Gate {
    pub fn new(state: Shared, node: Option<String>) -> Self {
        Self { state, node }
    }

    /// Whether the node answers. Never waits: while a request holds the state, it does.
    fn open(&self) -> bool {
        let Some(node) = &self.node else {
            return true;
        };
        let Ok(s) = self.state.try_lock() else {
            return true;
        };
        !s.world.faults.unreachable.contains(node)
            && s.world.nodes.iter().any(|n| n.name() == node && n.online())
    }
}

impl<I, S> Accept<I, S> for Gate {
    type Stream = Gated<I>;
    type Service = S;
    type Future = Ready<io::Result<(Gated<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        if self.open() {
            ready(Ok((
                Gated {
                    inner: stream,
                    gate: self.clone(),
                },
                service,
            )))
        } else {
            ready(Err(down()))
        }
    }
}

fn down() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "node down")
}

/// A connection that fails once its node goes down.
pub struct Gated<I> {
    inner: I,
    gate: Gate,
}

impl<I: AsyncRead + Unpin> AsyncRead for Gated<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.gate.open() {
            return Poll::Ready(Err(down()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Gated<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
