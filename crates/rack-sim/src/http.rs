//! The HTTP face of the simulator: `/api2/json/…` as Proxmox answers it (auth, CSRF, parameter
//! validation, `{"data": …}` bodies, errors in the status line), `/sim/…` for control, and the
//! faults that sit in front of both.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::LazyLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri, header};
use axum::routing::any;
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::Rng;
use serde_json::{Value, json};

use super::Shared;
use super::api::Reply;
use super::auth::Identity;
use super::schema::{ApiSchema, PathMatch};

static SCHEMA: LazyLock<ApiSchema> = LazyLock::new(ApiSchema::load);

#[derive(Clone)]
struct AppState {
    shared: Shared,
    /// The node whose own listener this is (`node_ports`); None for one that stands for all.
    served_by: Option<String>,
}

pub fn router(shared: Shared, served_by: Option<String>) -> Router {
    Router::new()
        .route("/api2/json/nodes/{node}/vncwebsocket", any(websocket))
        .route(
            "/api2/json/nodes/{node}/qemu/{vmid}/vncwebsocket",
            any(websocket),
        )
        .route(
            "/api2/json/nodes/{node}/lxc/{vmid}/vncwebsocket",
            any(websocket),
        )
        .fallback(handle)
        .with_state(AppState { shared, served_by })
}

/// A terminal's websocket; without an upgrade the path is an ordinary method (it answers the
/// port when the ticket is good, as Proxmox's does).
async fn websocket(
    State(app): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    match ws {
        Ok(ws) if method == Method::GET => {
            match super::terminal::upgrade(&app.shared, ws, &method, &uri, &headers) {
                Ok(response) => response,
                Err(e) => respond(Err(e), false, false),
            }
        }
        _ => handle(State(app), method, uri, headers, body).await,
    }
}

/// An error as Proxmox reports it: the status, a message (sent as the HTTP reason phrase and
/// in the body), and for parameter errors the per-parameter `errors` map.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: Option<BTreeMap<String, String>>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: None,
        }
    }

    /// A runtime failure (HTTP 500), the most common Proxmox error.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    pub fn param(name: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: "Parameter verification failed.".into(),
            errors: Some(BTreeMap::from([(name.to_string(), message.into())])),
        }
    }
}

/// Parameters from the query string and, for writes, the form or JSON body.
pub(crate) fn request_params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_pairs(q.as_bytes()))
        .unwrap_or_default();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s,
                    Value::Bool(b) => u8::from(b).to_string(),
                    Value::Array(items) => {
                        for item in items {
                            params.push((
                                k.clone(),
                                item.as_str()
                                    .map(String::from)
                                    .unwrap_or_else(|| item.to_string()),
                            ));
                        }
                        continue;
                    }
                    other => other.to_string(),
                };
                params.push((k, text));
            }
        }
    } else if !body.is_empty() {
        params.extend(form_pairs(body));
    }
    params
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

/// `%XX` decoded (a `+` stays a plus, as in a path); a `%` not followed by two hex digits stays
/// as it is, and bytes that do not make UTF-8 are replaced.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parameter's value: the last one given, as Proxmox takes it.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Who is asking: an API token, or a ticket cookie (with CSRF checked on writes).
pub(super) fn authenticate(
    shared: &super::SimState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Identity, ApiError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return shared
            .auth
            .check_token_header(auth)
            .map(|user| Identity {
                user,
                via_ticket: false,
                served_by: None,
            })
            .ok_or_else(|| ApiError::new(401, "authentication failure"));
    }
    let now = shared.clock.now();
    let Some(ticket) = cookie(headers, "PVEAuthCookie") else {
        return Err(ApiError::new(401, "No ticket"));
    };
    let user = shared
        .auth
        .check_ticket(&ticket, now)
        .ok_or_else(|| ApiError::new(401, "authentication failure"))?;
    if *method != Method::GET {
        let csrf = headers
            .get("CSRFPreventionToken")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !shared.auth.check_csrf(csrf, &user, now) {
            return Err(ApiError::new(
                401,
                "Permission check failed (invalid csrf token)",
            ));
        }
    }
    Ok(Identity {
        user,
        via_ticket: true,
        served_by: None,
    })
}

async fn handle(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let gzip = accepts_gzip(&headers);
    if let Some(rest) = path.strip_prefix("/sim") {
        let params = request_params(&uri, &headers, &body);
        return respond(
            super::control::handle(&app.shared, &method, rest, &headers, &params).map(Reply::Value),
            false,
            gzip,
        );
    }
    let Some(api_path) = path.strip_prefix("/api2/json") else {
        return respond(
            Err(ApiError::new(
                501,
                format!("Method '{method} {path}' not implemented"),
            )),
            false,
            gzip,
        );
    };
    let api_path = if api_path.is_empty() { "/" } else { api_path };
    let node = api_path
        .strip_prefix("/nodes/")
        .and_then(|r| r.split('/').next())
        .filter(|n| !n.is_empty())
        .map(str::to_string);

    // Faults first, as a network or a sick node would show them.
    let (delay, failure, malformed) = {
        let Ok(mut s) = app.shared.lock() else {
            return respond(Err(ApiError::fail("simulator state poisoned")), false, gzip);
        };
        let f = s.world.faults.clone();
        let mut delay = f.latency.unwrap_or_default();
        if let Some(d) = node.as_ref().and_then(|n| f.node_latency.get(n)) {
            delay += *d;
        }
        let failure = if f.absent.iter().any(|p| api_path.starts_with(p.as_str())) {
            Some(ApiError::new(
                501,
                format!("Method '{method} /api2/json{api_path}' not implemented"),
            ))
        } else if node.as_ref().is_some_and(|n| f.unreachable.contains(n)) {
            Some(ApiError::new(595, "No route to host"))
        } else if s.world.faults.take_failing(api_path) {
            Some(ApiError::new(500, "simulated failure"))
        } else if f.error_rate > 0.0 && s.rng.random_bool(f.error_rate) {
            Some(ApiError::new(f.error_status, "simulated failure"))
        } else {
            None
        };
        let malformed = f
            .malformed_paths
            .iter()
            .any(|p| api_path.starts_with(p.as_str()))
            || (f.malformed_rate > 0.0 && s.rng.random_bool(f.malformed_rate));
        (delay, failure, malformed)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(err) = failure {
        note_write(&app.shared, &method, api_path, err.status);
        return respond(Err(err), false, gzip);
    }

    let PathMatch::Found(route, vars) = SCHEMA.find(method.as_str(), api_path) else {
        return respond(
            Err(ApiError::new(
                501,
                format!("Method '{method} /api2/json{api_path}' not implemented"),
            )),
            false,
            gzip,
        );
    };
    let params = request_params(&uri, &headers, &body);
    let key = format!("{} {}", route.method, route.template);
    let result = (|| {
        let Ok(mut s) = app.shared.lock() else {
            return Err(ApiError::fail("simulator state poisoned"));
        };
        s.sync();
        let mut identity = if key == "POST /access/ticket" {
            Identity {
                user: String::new(),
                via_ticket: false,
                served_by: None,
            }
        } else {
            authenticate(&s, &method, &headers)?
        };
        identity.served_by = app.served_by.clone();
        let mut all: Vec<(String, String)> = vars.clone().into_iter().collect();
        all.extend(params.iter().cloned());
        SCHEMA.validate(route, &all).map_err(|errors| ApiError {
            status: 400,
            message: "Parameter verification failed.".into(),
            errors: Some(errors),
        })?;
        super::api::dispatch(&mut s, &key, &identity, vars, params)
    })();
    let result = match result {
        Ok(Reply::Remote(plan)) => super::remote::begin(&app.shared, *plan)
            .await
            .map(Reply::Value),
        other => other,
    };
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status,
    };
    note_write(&app.shared, &method, api_path, status);
    respond(result, malformed, gzip)
}

/// Keep a write in the list `GET /sim/writes` gives (logins are not writes).
fn note_write(shared: &Shared, method: &Method, path: &str, status: u16) {
    if *method == Method::GET || (*method == Method::POST && path == "/access/ticket") {
        return;
    }
    if let Ok(mut s) = shared.lock() {
        if s.writes.len() >= super::WRITES_KEPT {
            s.writes.pop_front();
        }
        s.writes
            .push_back((method.to_string(), path.to_string(), status));
    }
}

/// Whether the client takes gzip: pveproxy then compresses any answer over 1 KiB.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("gzip"))
}

/// pveproxy's threshold: smaller answers go as they are.
const COMPRESS_ABOVE: usize = 1024;

fn gzipped(text: &str) -> Option<Vec<u8>> {
    // pveproxy gzips at zlib's default level; the fastest gives the same answer a little
    // larger at a fraction of the simulator's CPU (a large cluster's resources every 10 s).
    let mut encoder = GzEncoder::new(Vec::with_capacity(text.len() / 8), Compression::fast());
    encoder.write_all(text.as_bytes()).ok()?;
    encoder.finish().ok()
}

fn respond(result: Result<Reply, ApiError>, malformed: bool, gzip: bool) -> Response<Body> {
    let (status, reason, mut text) = match result {
        Ok(Reply::Value(data)) => {
            // Moved, not copied: a large answer is megabytes.
            let mut body = serde_json::Map::new();
            body.insert("data".into(), data);
            (StatusCode::OK, None, Value::Object(body).to_string())
        }
        Ok(Reply::Json(data)) => (StatusCode::OK, None, format!("{{\"data\":{data}}}")),
        // Carried on by `handle` before it answers.
        Ok(Reply::Remote(_)) => (StatusCode::OK, None, "{\"data\":null}".to_string()),
        Ok(Reply::Paged(data, total)) => (
            StatusCode::OK,
            None,
            json!({ "data": data, "total": total }).to_string(),
        ),
        Err(e) => {
            let mut body = json!({ "data": null, "message": format!("{}\n", e.message) });
            if let Some(errors) = &e.errors {
                body["errors"] = json!(errors);
            }
            let status =
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Some(e.message), body.to_string())
        }
    };
    if malformed {
        // Cut the document in the middle, as a dropped connection or a broken proxy would.
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(header::CACHE_CONTROL, "max-age=0");
    let compressed = (gzip && text.len() > COMPRESS_ABOVE)
        .then(|| gzipped(&text))
        .flatten();
    let built = match compressed {
        Some(bytes) => builder
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(bytes)),
        None => builder.body(Body::from(text)),
    };
    let mut response = built.unwrap_or_else(|_| Response::new(Body::empty()));
    if let Some(reason) = reason {
        // Proxmox puts the error text in the status line; keep it to one printable line.
        let line: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .filter(char::is_ascii)
            .collect();
        if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(line.into_bytes()) {
            response.extensions_mut().insert(phrase);
        }
    }
    response
}
