//! `pve::Client`: the Proxmox VE API over HTTPS. API token or ticket (with CSRF on writes and
//! renewal before expiry), a pinned certificate fingerprint or the system's roots, a timeout per
//! request, and failover across a cluster's endpoints in the order given.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use zeroize::Zeroizing;

mod body;
mod decode;
mod login;
mod terminal;

pub use decode::Page;
use decode::{decode, decode_page};
pub use terminal::{Target, Terminal, TerminalReader, TerminalWriter};

use crate::audit::{Outcome, Write, WriteAudit};
use crate::error::Error;
use crate::tfa::SecondFactor;
use crate::tls;

/// How long a refused login is not tried again.
pub const LOGIN_BACKOFF: Duration = Duration::from_secs(30);

/// Proxmox tickets live two hours; renew well before.
pub const TICKET_RENEW_AFTER: Duration = Duration::from_secs(60 * 60);

/// A secret that never shows itself in `Debug` output or logs, and is overwritten with zeros
/// when the last copy goes.
#[derive(Clone)]
pub struct Secret(Arc<Zeroizing<String>>);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(Arc::new(Zeroizing::new(text.into())))
    }
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub enum Credentials {
    /// `USER@REALM!TOKENID` and its secret.
    Token { id: String, secret: Secret },
    /// `USER@REALM` and a password, exchanged for a ticket.
    Password { user: String, password: Secret },
}

#[derive(Clone)]
pub struct ClientOptions {
    /// Base URLs such as `https://10.0.0.1:8006`, tried in order.
    pub endpoints: Vec<String>,
    pub credentials: Credentials,
    /// How certificates are checked: the system's roots unless pins or a CA are given.
    pub trust: tls::Trust,
    pub timeout: Duration,
    pub ticket_renew_after: Duration,
    /// Told of every write before it is sent and when it is answered.
    pub audit: Option<Arc<dyn WriteAudit>>,
    /// Asked for the second factor when a password login needs one.
    pub second_factor: Option<Arc<dyn SecondFactor>>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("endpoints", &self.endpoints)
            .field("credentials", &self.credentials)
            .field("trust", &self.trust)
            .field("timeout", &self.timeout)
            .field("audit", &self.audit.is_some())
            .field("second_factor", &self.second_factor.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    pub fn new(endpoints: Vec<String>, credentials: Credentials) -> Self {
        Self {
            endpoints,
            credentials,
            trust: tls::Trust::default(),
            timeout: Duration::from_secs(10),
            ticket_renew_after: TICKET_RENEW_AFTER,
            audit: None,
            second_factor: None,
        }
    }
}

/// Cheap to clone; clones share the connection pool, the ticket and the counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// One HTTP client per endpoint: each checks its own endpoint's pin.
    http: Vec<reqwest::Client>,
    /// The same trust per endpoint, for the TLS under a terminal's websocket.
    tls_configs: Vec<Arc<rustls::ClientConfig>>,
    endpoints: Vec<String>,
    /// The fingerprints accepted at every endpoint: pins, and those learned from the cluster.
    trusted: Arc<tls::TrustedSet>,
    /// The endpoint that answered last; requests start there.
    preferred: AtomicUsize,
    credentials: Credentials,
    audit: Option<Arc<dyn WriteAudit>>,
    second_factor: Option<Arc<dyn SecondFactor>>,
    renew_after: Duration,
    session: tokio::sync::Mutex<Option<Session>>,
    /// The last login refused, and when: not tried again within `LOGIN_BACKOFF`.
    refused: std::sync::Mutex<Option<(Instant, Error)>>,
    requests: AtomicU64,
    /// Answer bodies received, as they came over the wire (compressed).
    bytes: AtomicU64,
    failures: AtomicU64,
    /// The latest failures, newest last, with when they happened (at most `RECENT_FAILURES`).
    recent: std::sync::Mutex<std::collections::VecDeque<(Instant, String)>>,
    /// When each failure of the last `COUNTED_FOR` happened: counted, where `recent` keeps
    /// only the latest texts.
    failed_at: std::sync::Mutex<std::collections::VecDeque<Instant>>,
    /// Per endpoint, how its certificate was refused the last time it was (cleared when it
    /// answers): what `rack get` explains in one line.
    tls: std::sync::Mutex<BTreeMap<String, super::tls::TlsFailure>>,
}

/// How many failure texts a client keeps for "what went wrong lately".
const RECENT_FAILURES: usize = 64;
/// How long failures are counted for (the status line counts those of the last 5 minutes).
const COUNTED_FOR: Duration = Duration::from_secs(600);

struct Session {
    ticket: Secret,
    csrf: Secret,
    at: Instant,
}

/// What came back from one endpoint.
struct Answer {
    status: u16,
    reason: Option<String>,
    body: String,
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        tls::install_crypto_provider();
        if options.endpoints.is_empty() {
            return Err(Error::Setup("no endpoints given".into()));
        }
        let endpoints: Vec<String> = options
            .endpoints
            .iter()
            .map(|e| e.trim_end_matches('/').to_string())
            .collect();
        let trusted = Arc::new(tls::TrustedSet::default());
        let mut trust = options.trust.clone();
        trust.endpoint_pins = trust
            .endpoint_pins
            .into_iter()
            .map(|(url, fp)| (url.trim_end_matches('/').to_string(), fp))
            .collect();
        let verifiers =
            tls::cluster_verifiers(&endpoints, &trust, &trusted).map_err(Error::Setup)?;
        let mut http = Vec::new();
        let mut tls_configs = Vec::new();
        for verifier in &verifiers {
            tls_configs.push(terminal::websocket_config(tls::client_config(
                verifier.clone(),
            )));
            let builder = reqwest::Client::builder()
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(5)))
                .user_agent(concat!("rack/", env!("CARGO_PKG_VERSION")))
                .tls_backend_preconfigured(tls::client_config(verifier.clone()));
            http.push(builder.build().map_err(|e| {
                Error::Setup(format!("cannot build the HTTP client: {}", describe(&e)))
            })?);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                tls_configs,
                endpoints,
                trusted,
                preferred: AtomicUsize::new(0),
                credentials: options.credentials,
                audit: options.audit,
                second_factor: options.second_factor,
                renew_after: options.ticket_renew_after,
                session: tokio::sync::Mutex::new(None),
                refused: std::sync::Mutex::new(None),
                requests: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                recent: std::sync::Mutex::new(std::collections::VecDeque::new()),
                tls: std::sync::Mutex::new(BTreeMap::new()),
                failed_at: std::sync::Mutex::new(std::collections::VecDeque::new()),
            }),
        })
    }

    /// `GET /api2/json{path}`; `path` may carry a query string.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.call(Method::GET, path, &[]).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Error> {
        self.call(Method::POST, path, form).await
    }

    pub async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, Error> {
        self.call(Method::PUT, path, form).await
    }

    pub async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        self.call(Method::DELETE, path, query).await
    }

    /// `GET` of a list Proxmox pages (a task's log, a node's journal, a task list): the page and
    /// the count of all items, `total`, which Proxmox sends beside `data`.
    pub async fn get_page<T: DeserializeOwned>(&self, path: &str) -> Result<Page<T>, Error> {
        let result = match self.answer(Method::GET, path, &[]).await {
            Ok(answer) => decode_page("GET", path, answer),
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            self.note_failure(format!("GET {path}: {}", e.proxmox_text()));
        }
        result
    }

    /// Trust a certificate fingerprint the cluster reported for one of its nodes. Only call it
    /// with what came over this client, and only when `all_https` (then every answer it returns
    /// came over a verified connection). True when it was new.
    pub fn learn_fingerprint(&self, fingerprint: &str) -> bool {
        self.inner.trusted.insert(fingerprint)
    }

    /// Tell the audit hook how a task this client's write started ended.
    pub fn task_ended(&self, upid: &str, exit: &str) {
        if let Some(audit) = &self.inner.audit {
            audit.task_ended(upid, exit);
        }
    }

    /// Whether every endpoint is HTTPS: only then did every answer come over a verified
    /// connection.
    pub fn all_https(&self) -> bool {
        self.inner
            .endpoints
            .iter()
            .all(|e| e.starts_with("https://"))
    }

    /// Every fingerprint accepted at all endpoints: the pins and those learned.
    pub fn trusted_fingerprints(&self) -> Vec<String> {
        self.inner.trusted.all()
    }

    /// Requests sent so far (all endpoints, logins included).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Bytes of answer bodies received so far, as sent over the wire (compressed).
    pub fn bytes_received(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }

    /// Requests that got no usable answer.
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// Failures within `window`, newest first: how long ago, and what it was.
    /// The endpoints whose certificate was refused the last time they were tried, and how.
    pub fn tls_failures(&self) -> Vec<(String, tls::TlsFailure)> {
        self.inner
            .tls
            .lock()
            .map(|t| t.iter().map(|(u, f)| (u.clone(), f.clone())).collect())
            .unwrap_or_default()
    }

    pub fn recent_failures(&self, window: Duration) -> Vec<(Duration, String)> {
        let recent = match self.inner.recent.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        recent
            .iter()
            .rev()
            .map(|(at, what)| (at.elapsed(), what.clone()))
            .take_while(|(ago, _)| *ago <= window)
            .collect()
    }

    /// Count a failure the caller judged to be one (after a `probe`).
    pub fn note_failure(&self, what: String) {
        self.inner.failures.fetch_add(1, Ordering::Relaxed);
        let mut recent = match self.inner.recent.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if recent.len() >= RECENT_FAILURES {
            recent.pop_front();
        }
        recent.push_back((Instant::now(), what));
        drop(recent);
        let mut at = match self.inner.failed_at.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        while at.front().is_some_and(|t| t.elapsed() > COUNTED_FOR) {
            at.pop_front();
        }
        at.push_back(Instant::now());
    }

    /// How many requests failed within `window` (up to ten minutes): all of them, however
    /// many, where `recent_failures` keeps the latest texts only.
    pub fn failures_within(&self, window: Duration) -> usize {
        let at = match self.inner.failed_at.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        at.iter()
            .rev()
            .take_while(|t| t.elapsed() <= window)
            .count()
    }

    /// A read whose error may be a fact, not a fault (`/cluster/ceph/status` on a node without
    /// Ceph): not counted as a failure; the caller counts it with `note_failure` when it is one.
    pub async fn probe<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.call_inner(Method::GET, path, &[]).await
    }

    /// The API token it signs in with, when it uses one: a remote migration to this cluster
    /// hands it to the source (`target-endpoint`).
    pub fn api_token(&self) -> Option<(&str, &Secret)> {
        match &self.inner.credentials {
            Credentials::Token { id, secret } => Some((id.as_str(), secret)),
            Credentials::Password { .. } => None,
        }
    }

    /// The endpoint requests go to first now.
    pub fn endpoint(&self) -> &str {
        let i = self.inner.preferred.load(Ordering::Relaxed);
        self.inner
            .endpoints
            .get(i)
            .map(String::as_str)
            .unwrap_or_default()
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, Error> {
        let result = match &self.inner.audit {
            Some(audit) if method != Method::GET && path != "/access/ticket" => {
                self.audited(audit.as_ref(), method.clone(), path, params)
                    .await
            }
            _ => self.call_inner(method.clone(), path, params).await,
        };
        if let Err(e) = &result {
            self.note_failure(format!("{method} {path}: {}", e.proxmox_text()));
        }
        result
    }

    /// A write, recorded before it is sent and completed with its outcome.
    async fn audited<T: DeserializeOwned>(
        &self,
        audit: &dyn WriteAudit,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, Error> {
        let identity = match &self.inner.credentials {
            Credentials::Token { id, .. } => id.as_str(),
            Credentials::Password { user, .. } => user.as_str(),
        };
        let write = Write {
            method: method.as_str(),
            path,
            params,
            endpoint: self.endpoint(),
            identity,
        };
        let id = audit.before(&write).map_err(Error::Audit)?;
        let result = self.call_inner::<Value>(method, path, params).await;
        let endpoint = self.endpoint().to_string();
        match &result {
            Ok(data) => audit.after(
                id,
                &Outcome {
                    endpoint: Some(&endpoint),
                    data: Some(data),
                    status: Some(200),
                    error: None,
                },
            ),
            Err(e) => {
                let mut text = e.proxmox_text();
                // Only an answer from Proxmox has a status; a login refused never sent it.
                let (status, answered) = match e {
                    Error::Api { status, .. } => (Some(*status), true),
                    _ => (None, false),
                };
                if e.may_have_happened() {
                    text.push_str(" (it may have reached the cluster)");
                }
                audit.after(
                    id,
                    &Outcome {
                        endpoint: answered.then_some(endpoint.as_str()),
                        data: None,
                        status,
                        error: Some(&text),
                    },
                );
            }
        }
        let data = result?;
        serde_json::from_value(data).map_err(|e| Error::Decode {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    async fn call_inner<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, Error> {
        let answer = self.answer(method.clone(), path, params).await?;
        decode(method.as_str(), path, answer)
    }

    /// The server's answer, logging in afresh once when the ticket was refused.
    async fn answer(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Answer, Error> {
        let write = method != Method::GET;
        let mut answer = self.send_authorized(&method, path, params, write).await?;
        if answer.status == 401 && matches!(self.inner.credentials, Credentials::Password { .. }) {
            // The ticket expired or was revoked: log in afresh once.
            *self.inner.session.lock().await = None;
            answer = self.send_authorized(&method, path, params, write).await?;
        }
        Ok(answer)
    }

    async fn send_authorized(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        write: bool,
    ) -> Result<Answer, Error> {
        let headers = self.auth_headers(write).await?;
        self.send(method, path, params, &headers).await
    }

    /// Send to the preferred endpoint, then the others in order. A request that may have reached
    /// a server is not sent again elsewhere unless it is a read: a write must not happen twice.
    async fn send(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        headers: &[(&'static str, String)],
    ) -> Result<Answer, Error> {
        let inner = &self.inner;
        let count = inner.endpoints.len();
        let start = inner.preferred.load(Ordering::Relaxed);
        let mut tried = Vec::new();
        let mut sent = false;
        for step in 0..count {
            let i = (start + step) % count;
            let Some(base) = inner.endpoints.get(i) else {
                continue;
            };
            let url = format!("{base}/api2/json{path}");
            let Some(http) = inner.http.get(i) else {
                continue;
            };
            let mut request = http.request(method.clone(), &url);
            request = if *method == Method::GET || *method == Method::DELETE {
                request.query(params)
            } else {
                request.form(params)
            };
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            request = request.header(reqwest::header::ACCEPT_ENCODING, body::ACCEPT_ENCODING);
            inner.requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%method, endpoint = %base, path, "request");
            match request.send().await {
                Ok(response) => {
                    if let Ok(mut tls) = inner.tls.lock() {
                        tls.remove(base.as_str());
                    }
                    let status = response.status().as_u16();
                    let reason = response
                        .extensions()
                        .get::<hyper::ext::ReasonPhrase>()
                        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
                    let encoding = response
                        .headers()
                        .get(reqwest::header::CONTENT_ENCODING)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let read = response.bytes().await.map_err(|e| describe(&e));
                    if let Ok(bytes) = &read {
                        inner.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    }
                    match read.and_then(|bytes| body::text(&bytes, encoding.as_deref())) {
                        Ok(body) => {
                            inner.preferred.store(i, Ordering::Relaxed);
                            return Ok(Answer {
                                status,
                                reason,
                                body,
                            });
                        }
                        Err(e) => {
                            // The server had the request: a write is not repeated elsewhere.
                            sent = true;
                            tried.push((base.clone(), e));
                            if *method != Method::GET {
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    let never_sent = e.is_connect();
                    if let Some(failure) = tls::failure_of(&e)
                        && let Ok(mut tls) = inner.tls.lock()
                    {
                        tls.insert(base.clone(), failure);
                    }
                    tried.push((base.clone(), describe(&e)));
                    if !never_sent {
                        sent = true;
                        if *method != Method::GET {
                            break;
                        }
                    }
                }
            }
            tracing::warn!(endpoint = %base, path, "endpoint failed; trying the next");
        }
        Err(Error::Unreachable { tried, sent })
    }
}

/// A reqwest error with its causes, which hold the useful part (refused, TLS pin mismatch).
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_string());
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}
