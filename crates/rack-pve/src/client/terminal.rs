//! Terminals over Proxmox's own API: `POST …/termproxy` opens one and answers a port and a
//! ticket, `GET …/vncwebsocket` (authenticated as every request) attaches to it, and the
//! termproxy protocol (`crate::termproxy`) runs over the websocket.
//!
//! The TLS connection is made here with the same verifier as the endpoint's HTTP client, so a
//! terminal trusts exactly what the API calls trust.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{Answer, Client, decode};
use crate::error::Error;
use crate::path::segment;
pub use crate::termproxy::Target;
use crate::termproxy::{self, TermProxy};

/// How long the far end has to accept the connection and answer the login line.
const HANDSHAKE: Duration = Duration::from_secs(10);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = WebSocketStream<Box<dyn Io>>;

/// Sends to an open terminal.
pub struct TerminalWriter {
    sink: SplitSink<Socket, Message>,
}

/// Receives what an open terminal prints.
pub struct TerminalReader {
    stream: SplitStream<Socket>,
    /// Output that came in the same message as `OK`.
    pending: Option<Vec<u8>>,
}

/// An open terminal: its task, and the two halves.
pub struct Terminal {
    pub upid: String,
    pub writer: TerminalWriter,
    pub reader: TerminalReader,
}

impl TerminalWriter {
    pub async fn input(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send(termproxy::input(data)).await
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) -> Result<(), Error> {
        self.send(termproxy::resize(cols, rows)).await
    }

    pub async fn ping(&mut self) -> Result<(), Error> {
        self.send(termproxy::PING.to_vec()).await
    }

    pub async fn close(&mut self) {
        let _ = self.sink.close().await;
    }

    async fn send(&mut self, bytes: Vec<u8>) -> Result<(), Error> {
        // Proxmox's own client sends text messages; termproxy reads bytes either way.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let message = if text.as_bytes() == bytes.as_slice() {
            Message::text(text)
        } else {
            Message::binary(bytes)
        };
        self.sink
            .send(message)
            .await
            .map_err(|e| Error::Terminal(format!("cannot send: {e}")))
    }
}

impl TerminalReader {
    /// The next output; None when the far end closed (the program ended or the node went
    /// away: Proxmox closes without a close frame, so both read the same).
    pub async fn next(&mut self) -> Option<Result<Vec<u8>, Error>> {
        if let Some(first) = self.pending.take() {
            return Some(Ok(first));
        }
        loop {
            match self.stream.next().await? {
                Ok(Message::Binary(b)) => return Some(Ok(b.to_vec())),
                Ok(Message::Text(t)) => return Some(Ok(t.as_bytes().to_vec())),
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(
                    tungstenite::Error::ConnectionClosed
                    | tungstenite::Error::AlreadyClosed
                    | tungstenite::Error::Protocol(
                        tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                    ),
                ) => return None,
                // pveproxy shuts the socket when the program ends, without TLS's close_notify,
                // and with a reset when input it had not read was still waiting: both are the
                // end of the session (a dropped connection reads the same; Proxmox tells them
                // apart no better).
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    return None;
                }
                Err(e) => return Some(Err(Error::Terminal(format!("connection lost: {e}")))),
            }
        }
    }
}

impl Client {
    /// Open a terminal on `target` and attach to it.
    pub async fn open_terminal(&self, target: &Target) -> Result<Terminal, Error> {
        let base = target.base();
        let proxy: TermProxy = self
            .post(&format!("{base}/termproxy"), &target.params())
            .await?;
        let path = format!(
            "{base}/vncwebsocket?port={}&vncticket={}",
            proxy.port,
            segment(&proxy.ticket)
        );
        let mut socket = self.websocket(&path).await?;
        let login = termproxy::login_line(&proxy.user, &proxy.ticket);
        socket
            .send(Message::text(login))
            .await
            .map_err(|e| Error::Terminal(format!("cannot send the login: {e}")))?;
        let first = tokio::time::timeout(HANDSHAKE, async {
            loop {
                match socket.next().await {
                    Some(Ok(Message::Binary(b))) => return Ok(b.to_vec()),
                    Some(Ok(Message::Text(t))) => return Ok(t.as_bytes().to_vec()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Err(e)) => return Err(Error::Terminal(format!("login refused: {e}"))),
                    Some(Ok(Message::Close(_))) | None => {
                        return Err(Error::Terminal(
                            "login refused: the connection closed".into(),
                        ));
                    }
                }
            }
        })
        .await
        .map_err(|_| Error::Terminal("no answer to the login within 10 s".into()))??;
        let Some(rest) = first.strip_prefix(termproxy::OK) else {
            return Err(Error::Terminal(format!(
                "login refused: {}",
                String::from_utf8_lossy(&first).trim()
            )));
        };
        let (sink, stream) = socket.split();
        Ok(Terminal {
            upid: proxy.upid,
            writer: TerminalWriter { sink },
            reader: TerminalReader {
                stream,
                pending: (!rest.is_empty()).then(|| rest.to_vec()),
            },
        })
    }

    /// A websocket to `/api2/json{path}` on the preferred endpoint, authenticated.
    async fn websocket(&self, path: &str) -> Result<Socket, Error> {
        let i = self.inner.preferred.load(Ordering::Relaxed);
        let base = self.inner.endpoints.get(i).cloned().unwrap_or_default();
        let url = Url::parse(&format!("{base}/api2/json{path}"))
            .map_err(|e| Error::Setup(format!("{base}: {e}")))?;
        // An IPv6 literal without its brackets, for the connection and the certificate check.
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(8006);
        let unreachable = |why: String| Error::Unreachable {
            tried: vec![(base.clone(), why)],
            sent: false,
        };
        let tcp = tokio::time::timeout(HANDSHAKE, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| unreachable("timed out".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let (stream, scheme): (Box<dyn Io>, &str) = match url.scheme() {
            "https" => {
                let config = self
                    .inner
                    .tls_configs
                    .get(i)
                    .cloned()
                    .ok_or_else(|| Error::Setup("no TLS configuration".into()))?;
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| Error::Setup(format!("{host}: {e}")))?;
                let connect = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
                let tls = tokio::time::timeout(HANDSHAKE, connect)
                    .await
                    .map_err(|_| unreachable("TLS handshake timed out".into()))?
                    .map_err(|e| unreachable(e.to_string()))?;
                (Box::new(tls), "wss")
            }
            _ => (Box::new(tcp), "ws"),
        };
        let mut ws_url = url.clone();
        let _ = ws_url.set_scheme(scheme);
        let mut request = ws_url
            .as_str()
            .into_client_request()
            .map_err(|e| Error::Setup(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("binary"));
        for (name, value) in self.auth_headers(false).await? {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| Error::Setup(format!("{name} cannot be sent as a header")))?;
            headers.insert(name, value);
        }
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let handshake = tokio_tungstenite::client_async(request, stream);
        match tokio::time::timeout(HANDSHAKE, handshake).await {
            Err(_) => Err(unreachable(
                "the websocket was not accepted within 10 s".into(),
            )),
            Ok(Ok((socket, _))) => Ok(socket),
            // Refused before the upgrade: Proxmox's error, read as every answer's.
            Ok(Err(tungstenite::Error::Http(response))) => {
                let body = response.body().as_deref().unwrap_or_default();
                let answer = Answer {
                    status: response.status().as_u16(),
                    reason: None,
                    body: String::from_utf8_lossy(body).into_owned(),
                };
                let path = path.split('?').next().unwrap_or(path);
                decode::<serde_json::Value>("GET", path, answer)
                    .and(Err(Error::Terminal("the websocket was refused".into())))
            }
            Ok(Err(e)) => Err(unreachable(e.to_string())),
        }
    }
}

/// The client's TLS configurations, one per endpoint, for websockets: HTTP/1.1 only.
pub(super) fn websocket_config(config: rustls::ClientConfig) -> Arc<rustls::ClientConfig> {
    let mut config = config;
    config.alpn_protocols.clear();
    Arc::new(config)
}
