//! The simulated Proxmox VE cluster: a real HTTPS server speaking the Proxmox API on loopback,
//! with a world that changes over time. The console's demo and every test run against it.
//!
//! `Simulator::start(scenario, options)` serves it in-process and returns a handle with the URL,
//! the certificate fingerprint and the credentials; `rack sim` serves it from the command line.

mod access;
mod api;
mod auth;
mod backup_runs;
pub use rack_pve::calendar;
mod clock;
mod control;
mod devices;
mod dynamics;
pub mod faults;
mod gate;
pub mod generate;
mod guest_config;
mod ha;
mod history;
mod http;
mod logs;
mod metrics;
mod packages;
mod power;
mod remote;
pub mod scenario;
mod schema;
mod tasks;
mod terminal;
pub mod tfa;
mod tls;
mod usage;
mod vzdump_log;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};

pub use scenario::Scenario;

use auth::Auth;
use clock::Clock;
use world::World;

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Seed for everything random in the world (loads, MACs, generated clusters).
    pub seed: u64,
    /// Simulated seconds per real second; 0 freezes time.
    pub speed: f64,
    /// Simulated time at start (Unix seconds); now when absent. With speed 0 and a seed, every
    /// answer is the same from run to run.
    pub start: Option<f64>,
    /// Serve plain HTTP instead of HTTPS.
    pub http: bool,
    /// `USER@REALM!ID=SECRET`; a random secret for `root@pam!rack` when absent.
    pub token: Option<String>,
    /// root@pam's password; random when absent.
    pub password: Option<String>,
    /// A fault spec (see `faults`) in force from the start.
    pub faults: Option<String>,
    /// Serve each node on its own port with its own certificate, as a real cluster's nodes
    /// are reached (the first node on `listen`, the others on free ports of the same address).
    /// A node that is off or `unreachable` then stops answering on its port.
    pub node_ports: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            speed: 1.0,
            start: None,
            http: false,
            token: None,
            password: None,
            faults: None,
            node_ports: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("token {0:?} is not USER@REALM!ID=SECRET")]
    BadToken(String),
    #[error("fault spec: {0}")]
    Faults(String),
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// Everything behind the one lock: handlers run under it, briefly, and never await.
pub(crate) struct SimState {
    pub world: World,
    pub auth: Auth,
    pub clock: Clock,
    pub rng: rand::rngs::StdRng,
    /// The cluster's certificates; None when serving plain HTTP.
    pub pki: Option<tls::ClusterPki>,
    /// The API writes received (method, path, status), oldest first, at most `WRITES_KEPT`:
    /// what a test holds a client's own record against.
    pub writes: std::collections::VecDeque<(String, String, u16)>,
    /// Terminals opened by `termproxy`, by port.
    pub terminals: terminal::Terminals,
}

/// How many writes `SimState::writes` keeps.
pub const WRITES_KEPT: usize = 10_000;

impl SimState {
    /// Bring the world up to the clock before anyone looks at it.
    pub fn sync(&mut self) {
        let now = self.clock.now();
        self.world.advance_to(now);
    }
}

pub(crate) type Shared = Arc<Mutex<SimState>>;

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    pub url: String,
    pub addr: SocketAddr,
    /// SHA-256 of the certificate `url` serves, `AA:BB:…`; None when serving plain HTTP.
    pub fingerprint: Option<String>,
    /// With `node_ports`, every node's URL and certificate fingerprint, in the scenario's order
    /// (the first is `url`); empty otherwise.
    pub node_urls: Vec<NodeEndpoint>,
    /// The cluster CA's certificate (`pve-root-ca.pem`), PEM; None when serving plain HTTP.
    pub ca_pem: Option<String>,
    /// `root@pam!rack`
    pub token_id: String,
    pub token_secret: String,
    pub user: String,
    pub password: String,
    /// `ops@pve`, who logs in with `password` and a second factor: a TOTP code from
    /// `tfa_secret`, or one of `tfa_recovery`.
    pub tfa_user: String,
    pub tfa_secret: Vec<u8>,
    pub tfa_recovery: Vec<String>,
    servers: Vec<axum_server::Handle<SocketAddr>>,
    ticker: tokio::task::JoinHandle<()>,
    state: Shared,
}

impl SimHandle {
    /// `root@pam!rack=SECRET`, as `rack sim` prints it.
    pub fn token(&self) -> String {
        format!("{}={}", self.token_id, self.token_secret)
    }

    /// The TOTP code `tfa_user`'s authenticator shows now, on the simulated clock.
    pub fn totp_now(&self) -> String {
        let now = self
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        tfa::code_now(&self.tfa_secret, now)
    }

    /// The simulated present: what a client of this world should take as "now" (a test's
    /// console, or the demo's, shows ages against it, not against the wall clock).
    pub fn now(&self) -> std::time::SystemTime {
        self.clock().now()
    }

    /// A reader of the simulated clock that outlives borrows of the handle.
    pub fn clock(&self) -> SimClock {
        SimClock(self.state.clone())
    }

    /// Stop serving; requests under way get a moment to finish.
    pub fn shutdown(&self) {
        for server in &self.servers {
            server.graceful_shutdown(Some(Duration::from_secs(2)));
        }
        self.ticker.abort();
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The simulated user with a second factor.
pub const TFA_USER: &str = "ops@pve";

/// One node's own listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEndpoint {
    pub node: String,
    pub url: String,
    pub fingerprint: Option<String>,
}

/// The simulated world's clock, read from outside (see `SimHandle::clock`).
#[derive(Clone)]
pub struct SimClock(Shared);

impl SimClock {
    pub fn now(&self) -> std::time::SystemTime {
        let secs = match self.0.lock() {
            Ok(s) => s.clock.now(),
            Err(poisoned) => poisoned.into_inner().clock.now(),
        };
        std::time::UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0))
    }
}

pub struct Simulator;

impl Simulator {
    /// Build the world from `scenario` and serve it. Must be called inside a tokio runtime.
    pub async fn start(scenario: Scenario, options: SimOptions) -> Result<SimHandle, SimError> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        let mut auth = Auth::new(secret);
        let (token_id, token_secret) = match &options.token {
            Some(t) => {
                let (id, s) = t
                    .split_once('=')
                    .filter(|(id, s)| id.contains('@') && id.contains('!') && !s.is_empty())
                    .ok_or_else(|| SimError::BadToken(t.clone()))?;
                (id.to_string(), s.to_string())
            }
            None => ("root@pam!rack".to_string(), random_uuid(&mut rand::rng())),
        };
        let user = token_id.split('!').next().unwrap_or("root@pam").to_string();
        let password = options
            .password
            .clone()
            .unwrap_or_else(|| random_word(&mut rand::rng(), 20));
        auth.tokens.insert(token_id.clone(), token_secret.clone());
        auth.passwords.insert(user.clone(), password.clone());
        // A user whose realm wants a second factor: TOTP, or one of ten recovery keys. Drawn
        // apart from the world's numbers, which stay what they were for a seed.
        let mut tfa_rng = rand::rngs::StdRng::seed_from_u64(options.seed.wrapping_add(0x7fa));
        let tfa_secret: Vec<u8> = (0..20).map(|_| tfa_rng.random()).collect();
        let tfa_recovery: Vec<String> = (0..10)
            .map(|_| {
                let b: [u8; 8] = tfa_rng.random();
                format!(
                    "{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}",
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
                )
            })
            .collect();
        auth.passwords.insert(TFA_USER.into(), password.clone());
        auth.tfa.insert(
            TFA_USER.into(),
            tfa::TfaUser::new(tfa_secret.clone(), tfa_recovery.clone()),
        );
        if user != "root@pam" {
            auth.passwords.insert("root@pam".into(), password.clone());
        }

        let clock = match options.start {
            Some(epoch) => Clock::starting_at(epoch, options.speed),
            None => Clock::new(options.speed),
        };
        let mut world = World::from_scenario(&scenario, rng.random(), clock.now());
        if let Some(spec) = &options.faults {
            world.faults.apply_spec(spec).map_err(SimError::Faults)?;
            for node in world.faults.power_off.clone() {
                if let Some(n) = world.node_mut(&node) {
                    n.def.online = false;
                }
                world.power_off(&node);
            }
        }
        let pki = if options.http {
            None
        } else {
            Some(tls::ClusterPki::generate(&scenario, clock.now()).map_err(SimError::Tls)?)
        };
        let state: Shared = Arc::new(Mutex::new(SimState {
            world,
            auth,
            clock,
            rng,
            pki: pki.clone(),
            writes: std::collections::VecDeque::new(),
            terminals: terminal::Terminals::default(),
        }));

        let names: Vec<String> = scenario.nodes.iter().map(|n| n.name.clone()).collect();
        let first = names.first().cloned().unwrap_or_default();
        let mut servers = Vec::new();
        let mut node_urls = Vec::new();
        let listeners: Vec<(String, SocketAddr)> = if options.node_ports {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let mut addr = options.listen;
                    if i > 0 {
                        addr.set_port(0);
                    }
                    (n.clone(), addr)
                })
                .collect()
        } else {
            vec![(first.clone(), options.listen)]
        };
        for (node, listen) in listeners {
            let gate = options.node_ports.then(|| node.clone());
            let served = serve(listen, &state, pki.as_ref(), &node, gate).await?;
            node_urls.push(NodeEndpoint {
                node,
                url: served.url,
                fingerprint: served.fingerprint,
            });
            servers.push(served.handle);
        }
        let Some(main) = node_urls.first().cloned() else {
            return Err(SimError::Tls("the scenario has no nodes".into()));
        };
        let addr = main
            .url
            .rsplit_once("//")
            .and_then(|(_, a)| a.parse().ok())
            .unwrap_or(options.listen);
        let (url, fingerprint) = (main.url.clone(), main.fingerprint.clone());
        if !options.node_ports {
            node_urls.clear();
        }

        // Dynamics also move on between requests, so the log and memory reflect the present.
        let ticker_state = state.clone();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                if let Ok(mut s) = ticker_state.lock() {
                    s.sync();
                }
            }
        });

        tracing::info!(%url, "simulator listening");
        Ok(SimHandle {
            url,
            addr,
            fingerprint,
            node_urls,
            ca_pem: pki.map(|p| p.ca.pem),
            token_id,
            token_secret,
            user,
            password,
            tfa_user: TFA_USER.into(),
            tfa_secret,
            tfa_recovery,
            servers,
            ticker,
            state,
        })
    }
}

struct Served {
    url: String,
    fingerprint: Option<String>,
    handle: axum_server::Handle<SocketAddr>,
}

/// Listen on `listen` and serve the API there: over TLS with `node`'s certificate when there
/// is a PKI, and, with a `gate`, only while that node is up and reachable.
async fn serve(
    listen: SocketAddr,
    state: &Shared,
    pki: Option<&tls::ClusterPki>,
    node: &str,
    gate: Option<String>,
) -> Result<Served, SimError> {
    let listener = std::net::TcpListener::bind(listen).map_err(|source| SimError::Listen {
        addr: listen,
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| SimError::Listen {
        addr: listen,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| SimError::Listen { addr, source })?;
    let handle = axum_server::Handle::new();
    let app = http::router(state.clone(), gate.clone());
    let gate = gate::Gate::new(state.clone(), gate);
    let Some(pki) = pki else {
        let server = axum_server::from_tcp(listener)
            .map_err(|source| SimError::Listen { addr, source })?
            .acceptor(gate)
            .handle(handle.clone());
        tokio::spawn(async move {
            if let Err(e) = server.serve(app.into_make_service()).await {
                tracing::error!("simulator server stopped: {e}");
            }
        });
        return Ok(Served {
            url: format!("http://{addr}"),
            fingerprint: None,
            handle,
        });
    };
    let config = pki.server_config(node).map_err(SimError::Tls)?;
    let fingerprint = pki.nodes.get(node).map(|c| c.info.fingerprint.clone());
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(gate);
    let server = axum_server::from_tcp(listener)
        .map_err(|source| SimError::Listen { addr, source })?
        .acceptor(acceptor)
        .handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::error!("simulator server stopped: {e}");
        }
    });
    Ok(Served {
        url: format!("https://{addr}"),
        fingerprint,
        handle,
    })
}

fn random_uuid(rng: &mut impl Rng) -> String {
    let b: [u8; 16] = rng.random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn random_word(rng: &mut impl Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
