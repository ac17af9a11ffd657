//! With no config file, rack runs on a simulated cluster started in-process, connected to exactly
//! as to a real one: over HTTPS, its certificate pinned, with an API token.

use std::time::Duration;

use crate::config::{AuthConfig, ClusterConfig, DEFAULT_TIMEOUT, NetworkAlias, SecretSource};
use crate::pve::Secret;
use crate::sim::{Scenario, SimHandle, SimOptions, Simulator};

/// The name the embedded cluster goes by.
pub const NAME: &str = "homelab-pve-cluster";

/// Start the homelab scenario on a free loopback port, its clock at `start` (Unix seconds) or
/// now; keep the handle alive while it is used.
pub async fn start(start: Option<f64>) -> Result<(SimHandle, ClusterConfig), String> {
    if let Some(t) = start.filter(|t| !(t.is_finite() && *t >= 0.0)) {
        return Err(format!(
            "--demo-start {t}: give an instant as Unix seconds, e.g. 1773136800"
        ));
    }
    let scenario = Scenario::load("homelab").map_err(|e| e.to_string())?;
    let options = SimOptions {
        start,
        ..SimOptions::default()
    };
    let handle = Simulator::start(scenario, options)
        .await
        .map_err(|e| format!("cannot start the simulated cluster: {e}"))?;
    let mut cluster = connection(&handle, NAME);
    // Proxmox's API cannot enable HA node maintenance; the demo's command asks the simulator's
    // control interface, as `ha-manager crm-command` would ask the CRM.
    if let Ok(exe) = std::env::current_exe() {
        let quoted = format!("'{}'", exe.display().to_string().replace('\'', "'\\''"));
        let pin = handle
            .fingerprint
            .as_deref()
            .map_or(String::new(), |fp| format!(" --fingerprint {fp}"));
        cluster.ha_command = Some(format!(
            "{quoted} sim-control --url {}{pin} POST /nodes/{{node}}/maintenance action={{action}}",
            handle.url
        ));
        cluster.command_env = vec![("RACK_SIM_TOKEN".into(), Secret::new(handle.token()))];
    }
    // The demo cluster's VLANs on its VLAN-aware bridge, by name.
    cluster.networks = [
        ("lan", "vmbr0"),
        ("servers", "vmbr0:16"),
        ("iot", "vmbr0:28"),
    ]
    .into_iter()
    .filter_map(|(n, v)| Some((n.to_string(), NetworkAlias::parse(v).ok()?)))
    .collect();
    Ok((handle, cluster))
}

/// The cluster entry that reaches a running simulator as `name`: its address, its token (held
/// in memory, never written) and its certificate's pinned fingerprint; terminals log in as
/// root@pam with its password, as Proxmox gives a root shell only to that login.
pub fn connection(handle: &SimHandle, name: &str) -> ClusterConfig {
    ClusterConfig {
        timeout: DEFAULT_TIMEOUT.min(Duration::from_secs(10)),
        shell: Some(AuthConfig::Password {
            user: handle.user.clone(),
            password: SecretSource::Inline(Secret::new(handle.password.clone())),
            otp: None,
        }),
        ..ClusterConfig::with_token(
            name,
            &handle.url,
            &handle.token_id,
            &handle.token_secret,
            handle.fingerprint.clone(),
        )
    }
}
