//! The configuration file: clusters to connect to, how to authenticate, poll interval, theme and
//! key overrides. Every error names the file, the line and the key, and says what is expected.

mod auth;

pub mod keymap;
pub mod maintenance;
mod otp;
pub mod pin;
pub mod placement;
pub mod secrets;
mod ssh;
pub mod theme;
pub mod trust;
mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

pub use secrets::{SecretError, SecretSource};
pub use ssh::{SshConfig, valid_user};
pub use trust::TlsConfig;
pub use values::duration_in;
pub(crate) use values::endpoint_url;
use values::{key_at, line_of};

use crate::action::Action;
use crate::audit::Auditor;
use crate::files;
use crate::model::addresses::ADDRESSES_UP_TO;
use crate::model::devices::DeviceOverride;
use crate::model::mac;
pub use crate::model::network_alias::NetworkAlias;
use crate::pve::audit::WriteAudit;
use crate::pve::{ClientOptions, Credentials, Secret};
use crate::sched::DeviceClass;

pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a token_secret_command or password_command may take to print the secret.
pub const DEFAULT_SECRET_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    pub poll_interval: Duration,
    /// Read every running guest's addresses while a cluster runs at most this many (0: only the
    /// selected guest's).
    pub guest_addresses_up_to: usize,
    /// The key that leaves a terminal session for the panes (default ctrl-]).
    pub terminal_escape: Option<keymap::Key>,
    pub theme: String,
    /// Keys over the built-in keymap; entries that name no key or action become warnings.
    pub keys: Vec<(keymap::Key, Action)>,
    pub clusters: Vec<ClusterConfig>,
    /// Placement policy, headroom, instance types and roles (defaults merged with the file's).
    pub placement: placement::PlacementConfig,
    /// How a node's maintenance is planned and carried out.
    pub maintenance: maintenance::MaintenanceConfig,
    /// Accepted but worth saying: inline secrets, plain-HTTP endpoints.
    pub warnings: Vec<String>,
    /// Secret files, and a config file holding a secret, may be readable by others.
    pub allow_shared_secrets: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            guest_addresses_up_to: ADDRESSES_UP_TO,
            terminal_escape: None,
            theme: "default".into(),
            keys: Vec::new(),
            clusters: Vec::new(),
            placement: placement::PlacementConfig::default(),
            maintenance: maintenance::MaintenanceConfig::default(),
            warnings: Vec::new(),
            allow_shared_secrets: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    pub name: String,
    pub endpoints: Vec<String>,
    pub auth: AuthConfig,
    /// How the endpoints' certificates are checked (pins, the cluster CA).
    pub tls: trust::TlsConfig,
    pub read_only: bool,
    pub timeout: Duration,
    pub wake: WakeConfig,
    /// Networks by name: an alias for a bridge with an optional VLAN tag (`iot = "vmbr0:28"`).
    pub networks: BTreeMap<String, NetworkAlias>,
    /// The manual device inventory, merged over what the cluster reports.
    pub devices: Vec<DeviceOverride>,
    /// The command that enables or disables HA node maintenance on this cluster, over
    /// `[maintenance] ha_command`.
    pub ha_command: Option<String>,
    /// Where its writes are recorded before they are sent (none for the demo's cluster).
    pub audit: Option<PathBuf>,
    /// Environment for the commands rack runs for this cluster (the demo hands its
    /// simulator's token to `rack sim-control` so, never on a command line).
    pub command_env: Vec<(String, Secret)>,
    /// The login terminals use (`[clusters.shell]`); None: the cluster's own.
    pub shell: Option<AuthConfig>,
    /// How the ssh key reaches its machines (`[clusters.ssh]`).
    pub ssh: SshConfig,
}

/// How rack wakes a powered-off node when no node of its cluster answers to send the packet.
#[derive(Debug, Clone, PartialEq)]
pub struct WakeConfig {
    /// Where the magic packet goes from this machine (a broadcast address and port).
    pub broadcast: std::net::SocketAddr,
    /// How long to wait for a woken node to come online.
    pub timeout: Duration,
    /// Node -> MAC address, for nodes whose MAC the cluster cannot tell (it is down).
    pub macs: BTreeMap<String, String>,
}

impl Default for WakeConfig {
    fn default() -> Self {
        Self {
            broadcast: std::net::SocketAddr::from(([255, 255, 255, 255], 9)),
            timeout: Duration::from_secs(600),
            macs: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthConfig {
    Token {
        id: String,
        secret: SecretSource,
    },
    Password {
        user: String,
        password: SecretSource,
        /// A command that prints the second factor (a TOTP code), for a realm that wants one.
        otp: Option<SecretSource>,
    },
}

impl ClusterConfig {
    /// A cluster reached at one endpoint with an API token held in memory, its certificate
    /// pinned by `fingerprint`: how rack reaches a simulator it started (the demo, the bench).
    pub fn with_token(
        name: &str,
        endpoint: &str,
        token_id: &str,
        secret: &str,
        fingerprint: Option<String>,
    ) -> Self {
        ClusterConfig {
            name: name.into(),
            endpoints: vec![endpoint.to_string()],
            auth: AuthConfig::Token {
                id: token_id.to_string(),
                secret: SecretSource::Inline(Secret::new(secret.to_string())),
            },
            tls: TlsConfig {
                fingerprint,
                ..TlsConfig::default()
            },
            read_only: false,
            timeout: DEFAULT_TIMEOUT,
            wake: WakeConfig::default(),
            networks: BTreeMap::new(),
            devices: Vec::new(),
            ha_command: None,
            audit: None,
            command_env: Vec::new(),
            shell: None,
            ssh: SshConfig::default(),
        }
    }

    /// Where its secret comes from.
    pub fn secret_source(&self) -> &SecretSource {
        match &self.auth {
            AuthConfig::Token { secret, .. } => secret,
            AuthConfig::Password { password, .. } => password,
        }
    }

    /// Whether a secret is written in the config file itself (its login's or its shell's).
    pub fn holds_a_secret(&self) -> bool {
        let shell = match &self.shell {
            Some(AuthConfig::Password { password, .. }) => Some(password),
            _ => None,
        };
        std::iter::once(self.secret_source())
            .chain(shell)
            .any(|s| matches!(s, SecretSource::Inline(_)))
    }

    pub fn client_options(&self) -> Result<ClientOptions, SecretError> {
        self.options_with(&self.auth)
    }

    /// Client options for terminals: the `[clusters.shell]` login, when there is one.
    pub fn terminal_options(&self) -> Result<ClientOptions, SecretError> {
        self.options_with(self.shell.as_ref().unwrap_or(&self.auth))
    }

    fn options_with(&self, auth: &AuthConfig) -> Result<ClientOptions, SecretError> {
        let credentials = match auth {
            AuthConfig::Token { id, secret } => Credentials::Token {
                id: id.clone(),
                secret: secret.resolve()?,
            },
            AuthConfig::Password { user, password, .. } => Credentials::Password {
                user: user.clone(),
                password: password.resolve()?,
            },
        };
        let mut options = ClientOptions::new(self.endpoints.clone(), credentials);
        options.trust = self.tls.trust();
        if let AuthConfig::Password {
            otp: Some(source), ..
        } = auth
        {
            options.second_factor = Some(Arc::new(otp::OtpCommand(source.clone())));
        }
        options.audit = self
            .audit
            .as_deref()
            .map(|path| Arc::new(Auditor::new(path, &self.name)) as Arc<dyn WriteAudit>);
        options.timeout = self.timeout;
        Ok(options)
    }
}

/// A config error: where, which key, and what is wrong. Line 0 and key "-" mean the file as a
/// whole (it cannot be read), and are left out of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub key: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    poll_interval: Option<Spanned<toml::Value>>,
    guest_addresses_up_to: Option<Spanned<i64>>,
    terminal_escape: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    clusters: Vec<Spanned<RawCluster>>,
    placement: Option<placement::RawPlacement>,
    #[serde(default)]
    instance_types: Vec<placement::RawType>,
    #[serde(default)]
    roles: Vec<placement::RawRole>,
    maintenance: Option<maintenance::RawMaintenance>,
    /// Accept secret files (and a config holding a secret) that others may read.
    #[serde(default)]
    allow_shared_secrets: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    name: Option<Spanned<String>>,
    endpoints: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    token_id: Option<Spanned<String>>,
    token_secret: Option<Spanned<String>>,
    token_secret_file: Option<Spanned<String>>,
    token_secret_env: Option<Spanned<String>>,
    token_secret_command: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_command: Option<Spanned<String>>,
    otp_command: Option<Spanned<String>>,
    secret_command_timeout: Option<Spanned<toml::Value>>,
    fingerprint: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    #[serde(default)]
    read_only: bool,
    timeout: Option<Spanned<toml::Value>>,
    wake_broadcast: Option<Spanned<String>>,
    wake_timeout: Option<Spanned<toml::Value>>,
    #[serde(default)]
    macs: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    networks: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    devices: Vec<Spanned<RawDevice>>,
    ha_command: Option<Spanned<String>>,
    shell: Option<Spanned<auth::RawShell>>,
    ssh: Option<ssh::RawSsh>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    pool: Option<String>,
    node: Option<String>,
    path: Option<String>,
    class: Option<Spanned<String>>,
    name: Option<String>,
    #[serde(default)]
    hide: bool,
}

impl ConfigError {
    fn describe(&self) -> String {
        let file = self.file.display();
        match (self.line, self.key.as_str()) {
            (0, "-") => format!("{file}: {}", self.message),
            (line, key) => format!("{file}:{line}: {key}: {}", self.message),
        }
    }
}

/// Where to look when neither `--config` nor `RACK_CONFIG` names a file.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rack").map(|d| d.config_dir().join("config.toml"))
}

/// Read the config: an explicit file must exist; the default one may be absent (`Ok(None)`:
/// run on the embedded simulator).
pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let config = parse(&text, &path)?;
            let inline = config.clusters.iter().any(|c| c.holds_a_secret());
            if let Some(why) = files::too_open(&path, inline && !config.allow_shared_secrets) {
                return Err(ConfigError {
                    file: path,
                    line: 0,
                    key: "-".into(),
                    message: why,
                });
            }
            Ok(Some(config))
        }
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError {
            file: path,
            line: 0,
            key: "-".into(),
            message: format!("cannot read the file: {e}"),
        }),
    }
}

/// Parse and check a config file's text; `path` is for messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let at = |offset: usize, key: &str, message: String| ConfigError {
        file: path.to_path_buf(),
        line: line_of(text, offset),
        key: key.to_string(),
        message,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        at(
            offset,
            &key_at(text, offset),
            e.message().trim().to_string(),
        )
    })?;
    let mut config = Config {
        path: Some(path.to_path_buf()),
        allow_shared_secrets: raw.allow_shared_secrets,
        ..Config::default()
    };
    for (key, action) in &raw.keys {
        let checked = key
            .get_ref()
            .parse::<keymap::Key>()
            .and_then(|k| Ok((k, action.get_ref().parse::<Action>()?)));
        match checked {
            Ok(binding) => config.keys.push(binding),
            // A typo in a key binding should not keep the console from starting.
            Err(why) => config.warnings.push(format!(
                "{}:{}: keys.\"{}\": {why} (press ? in the console for the action names); ignored",
                path.display(),
                line_of(text, action.span().start),
                key.get_ref()
            )),
        }
    }
    if let Some(v) = &raw.poll_interval {
        config.poll_interval = duration_in(
            v.get_ref(),
            Duration::from_millis(500),
            Duration::from_secs(3600),
            "such as 2 or \"2s\" or \"1500ms\"",
        )
        .map_err(|why| at(v.span().start, "poll_interval", why))?;
    }
    if let Some(v) = &raw.guest_addresses_up_to {
        config.guest_addresses_up_to = usize::try_from(*v.get_ref())
            .ok()
            .filter(|n| *n <= 100_000)
            .ok_or_else(|| {
                at(
                    v.span().start,
                    "guest_addresses_up_to",
                    format!("{}: expected a count from 0 to 100000", v.get_ref()),
                )
            })?;
    }
    if let Some(v) = &raw.terminal_escape {
        let key: keymap::Key = v
            .get_ref()
            .parse()
            .map_err(|e: String| at(v.span().start, "terminal_escape", e))?;
        config.terminal_escape = Some(key);
    }
    if let Some(theme) = raw.theme {
        config.theme = theme.into_inner();
    }
    config.placement =
        placement::check(raw.placement.as_ref(), &raw.instance_types, &raw.roles, &at)?;
    config.maintenance = maintenance::check(raw.maintenance.as_ref(), &at)?;
    if raw.clusters.is_empty() {
        return Err(at(
            0,
            "clusters",
            "no [[clusters]] table: add one per Proxmox cluster (see config.example.toml)".into(),
        ));
    }
    for cluster in &raw.clusters {
        let checked = check_cluster(cluster, raw.allow_shared_secrets, &at, &mut config.warnings)?;
        if config.clusters.iter().any(|c| c.name == checked.name) {
            let offset = cluster
                .get_ref()
                .name
                .as_ref()
                .map_or(0, |n| n.span().start);
            return Err(at(
                offset,
                "name",
                format!("\"{}\" is used by two clusters", checked.name),
            ));
        }
        config.clusters.push(checked);
    }
    Ok(config)
}

type At<'a> = dyn Fn(usize, &str, String) -> ConfigError + 'a;

fn check_cluster(
    spanned: &Spanned<RawCluster>,
    allow_shared: bool,
    at: &At,
    warnings: &mut Vec<String>,
) -> Result<ClusterConfig, ConfigError> {
    let table = spanned.span().start;
    let c = spanned.get_ref();
    let name = c
        .name
        .as_ref()
        .ok_or_else(|| at(table, "name", "each [[clusters]] needs a name".into()))?;
    let label = name.get_ref().clone();
    if label.trim().is_empty() {
        return Err(at(name.span().start, "name", "must not be empty".into()));
    }
    let endpoints = c.endpoints.as_ref().ok_or_else(|| {
        at(
            table,
            "endpoints",
            format!("cluster \"{label}\" needs endpoints = [\"https://HOST:8006\", …]"),
        )
    })?;
    if endpoints.get_ref().is_empty() {
        return Err(at(
            endpoints.span().start,
            "endpoints",
            "expected at least one URL".into(),
        ));
    }
    let (urls, tls) = trust::check_endpoints(c, endpoints.get_ref(), &label, at, warnings)?;
    let auth = auth::check_auth(c, table, &label, allow_shared, at, warnings)?;
    let shell = auth::check_shell(c, &label, allow_shared, at, warnings)?;
    let ssh = ssh::check_ssh(c, at)?;
    let timeout = match &c.timeout {
        Some(t) => duration_in(
            t.get_ref(),
            Duration::from_millis(100),
            Duration::from_secs(600),
            "such as 10 or \"10s\"",
        )
        .map_err(|why| at(t.span().start, "timeout", why))?,
        None => DEFAULT_TIMEOUT,
    };
    let wake = check_wake(c, at)?;
    let mut networks = BTreeMap::new();
    for (name, value) in &c.networks {
        let alias = NetworkAlias::parse(value.get_ref()).map_err(|e| {
            at(
                value.span().start,
                &format!("networks.{}", name.get_ref()),
                e,
            )
        })?;
        networks.insert(name.get_ref().clone(), alias);
    }
    let mut devices = Vec::new();
    for d in &c.devices {
        let raw = d.get_ref();
        let one = raw.node.is_some() && raw.path.is_some();
        if !one && raw.pool.is_none() {
            return Err(at(
                d.span().start,
                "devices",
                "name a pool (pool = \"gpu\"), or one device by node and path (node = \"pve1\", path = \"0000:01:00.0\" or a USB id)".into(),
            ));
        }
        let class = match &raw.class {
            Some(c) => Some(
                DeviceClass::ALL
                    .into_iter()
                    .find(|k| k.name() == c.get_ref())
                    .ok_or_else(|| {
                        at(
                            c.span().start,
                            "devices.class",
                            format!("\"{}\": expected gpu, tpu, usb or other", c.get_ref()),
                        )
                    })?,
            ),
            None => None,
        };
        devices.push(DeviceOverride {
            pool: raw.pool.clone(),
            node: raw.node.clone(),
            path: raw.path.clone(),
            class,
            name: raw.name.clone(),
            hide: raw.hide,
        });
    }
    let ha_command = match &c.ha_command {
        Some(t) => Some(
            maintenance::template(t.get_ref()).map_err(|e| at(t.span().start, "ha_command", e))?,
        ),
        None => None,
    };
    Ok(ClusterConfig {
        name: label,
        endpoints: urls,
        auth,
        tls,
        read_only: c.read_only,
        timeout,
        wake,
        networks,
        devices,
        ha_command,
        audit: None,
        command_env: Vec::new(),
        shell,
        ssh,
    })
}

fn check_wake(c: &RawCluster, at: &At) -> Result<WakeConfig, ConfigError> {
    let mut wake = WakeConfig::default();
    if let Some(b) = &c.wake_broadcast {
        let text = b.get_ref();
        let with_port = if text.contains(':') {
            text.clone()
        } else {
            format!("{text}:9")
        };
        wake.broadcast = with_port.parse().map_err(|_| {
            at(
                b.span().start,
                "wake_broadcast",
                format!("\"{text}\": expected an IPv4 address with optional port, such as \"192.168.1.255\" or \"192.168.1.255:9\""),
            )
        })?;
    }
    if let Some(t) = &c.wake_timeout {
        wake.timeout = duration_in(
            t.get_ref(),
            Duration::from_secs(1),
            Duration::from_secs(24 * 3600),
            "such as 600 or \"10m\"",
        )
        .map_err(|why| at(t.span().start, "wake_timeout", why))?;
    }
    for (node, mac) in &c.macs {
        let normal = mac::parse_mac(mac.get_ref()).ok_or_else(|| {
            at(
                mac.span().start,
                &format!("macs.{}", node.get_ref()),
                format!(
                    "\"{}\": expected a MAC address such as \"aa:bb:cc:dd:ee:ff\"",
                    mac.get_ref()
                ),
            )
        })?;
        wake.macs
            .insert(node.get_ref().clone(), mac::format_mac(&normal));
    }
    Ok(wake)
}

#[cfg(test)]
mod tests;
