//! Shared by the integration tests: a simulator started in-process and a client that talks to
//! it over HTTPS with the certificate pinned, as the console does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test
#![allow(dead_code)]

pub mod acting;
pub mod console;

use std::ops::Deref;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rack::sim::{Scenario, SimHandle, SimOptions, Simulator};
use serde_json::Value;

/// A directory of the test's own, removed when the test ends however it ends.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("rack-{tag}-"))
            .tempdir()
            .unwrap();
        Self(dir)
    }
}

impl Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// `rack` as a script runs it, in `home`: no config there unless the test writes one.
pub fn rack(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rack"));
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("RACK_CONFIG");
    cmd
}

pub struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

/// The instant every test's simulator starts at unless the test is about time itself: the
/// `RACK_TEST_EPOCH` the instants check sets, else Tuesday 2026-03-10 10:00 UTC. Never today.
pub fn epoch() -> f64 {
    match std::env::var("RACK_TEST_EPOCH") {
        Ok(v) => v.parse().expect("RACK_TEST_EPOCH is Unix seconds"),
        Err(_) => 1_773_136_800.0,
    }
}

/// Instants where date arithmetic breaks: (what, TZ, Unix seconds).
pub const INSTANTS: [(&str, &str, f64); 4] = [
    // The homelab's monthly off-site job runs `*-*-01 04:00`.
    ("the 1st of a month at 04:30", "UTC", 1_796_099_400.0),
    ("the last day of a month at 23:30", "UTC", 1_796_081_400.0),
    ("29 February at noon", "UTC", 1_835_438_400.0),
    (
        "just after the DST change in Berlin (2026-03-29 03:30 CEST)",
        "Europe/Berlin",
        1_774_747_800.0,
    ),
];

/// Run each named test of this test binary again at each of `INSTANTS`, in a process of its
/// own (its simulator's clock and the time zone are per process), and fail naming the
/// instants where one failed.
pub fn at_instants(module: &str, tests: &[&str]) {
    // Test names in this binary are paths below its crate: `sim_behaviour::scheduled_…`.
    let module = module.split_once("::").map_or("", |(_, m)| m);
    if std::env::var_os("RACK_TEST_EPOCH").is_some() {
        return; // already one of the re-runs
    }
    let exe = std::env::current_exe().unwrap();
    let mut failed = Vec::new();
    for (what, tz, epoch) in INSTANTS {
        for test in tests {
            let name = format!("{module}::{test}");
            let out = std::process::Command::new(&exe)
                .args(["--exact", &name, "--test-threads", "1"])
                .env("RACK_TEST_EPOCH", epoch.to_string())
                .env("TZ", tz)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || !stdout.contains("1 passed") {
                failed.push(format!(
                    "{test} at {what}:\n{stdout}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// A simulator of `scenario` at `speed`, its clock starting at `epoch()`.
pub async fn start(scenario: &str, speed: f64) -> Sim {
    start_with(
        scenario,
        SimOptions {
            speed,
            ..SimOptions::default()
        },
    )
    .await
}

/// A simulator with `options`; its clock starts at `epoch()` unless they say when.
pub async fn start_with(scenario: &str, mut options: SimOptions) -> Sim {
    options.start = options.start.or(Some(epoch()));
    rack::pve::tls::install_crypto_provider();
    let handle = Simulator::start(Scenario::load(scenario).unwrap(), options)
        .await
        .unwrap();
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(20));
    if let Some(fp) = &handle.fingerprint {
        builder = builder.use_preconfigured_tls(rack::pve::tls::pinned_client_config(fp).unwrap());
    }
    Sim {
        handle,
        http: builder.build().unwrap(),
    }
}

/// A response: HTTP status, the status line's reason, and the JSON body (Null if not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api2/json{path}", self.handle.url)
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header(
            "Authorization",
            format!("PVEAPIToken={}", self.handle.token()),
        )
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.auth(self.http.get(self.url(path)))).await
    }

    pub async fn write(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self.http.request(m.clone(), self.url(path));
        let req = if m == reqwest::Method::DELETE {
            req.query(form)
        } else {
            req.form(form)
        };
        self.send(self.auth(req)).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.write("POST", path, form).await
    }

    pub async fn control(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self
            .http
            .request(m, format!("{}/sim{path}", self.handle.url))
            .form(form);
        self.send(self.auth(req)).await
    }

    /// Jump simulated time ahead.
    pub async fn advance(&self, seconds: f64) {
        let r = self
            .control(
                "POST",
                "/clock/advance",
                &[("seconds", &seconds.to_string())],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// Follow a task to its end (jumping the clock) and return its status object.
    pub async fn wait_task(&self, upid: &str) -> Value {
        let node = upid.split(':').nth(1).unwrap();
        for _ in 0..200 {
            let r = self
                .get(&format!("/nodes/{node}/tasks/{upid}/status"))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            if r.data()["status"] == "stopped" {
                return r.data().clone();
            }
            self.advance(5.0).await;
        }
        panic!("task {upid} did not end");
    }

    pub async fn task_log(&self, upid: &str) -> Vec<String> {
        let node = upid.split(':').nth(1).unwrap();
        let r = self
            .get(&format!("/nodes/{node}/tasks/{upid}/log?limit=1000"))
            .await;
        r.data()
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["t"].as_str().unwrap().to_string())
            .collect()
    }

    /// Its `target-endpoint`, as a remote migration to it is told (`qm remote-migrate`).
    pub fn remote_endpoint(&self) -> String {
        let h = &self.handle;
        let host = h.addr.ip().to_string();
        let mut e = rack::pve::remote::RemoteEndpoint::with_token(
            &host,
            h.addr.port(),
            &h.token_id,
            &h.token_secret,
        );
        e.fingerprint = h.fingerprint.clone();
        e.to_param()
    }

    pub async fn resource(&self, id: &str) -> Value {
        let r = self.get("/cluster/resources").await;
        r.data()
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// `client_of`, with its writes recorded in the audit log at `path` as cluster `cluster`.
pub fn client_audited(handle: &SimHandle, path: &Path, cluster: &str) -> rack::pve::Client {
    let mut options = options_of(handle);
    options.audit = Some(std::sync::Arc::new(rack::audit::Auditor::new(
        path, cluster,
    )));
    rack::pve::Client::new(options).unwrap()
}

/// A client of `handle` as the console makes one: token auth, certificate pinned.
pub fn client_of(handle: &SimHandle) -> rack::pve::Client {
    rack::pve::Client::new(options_of(handle)).unwrap()
}

/// A client logged in as root@pam with the simulator's password: its terminals are root shells.
pub fn root_client_of(handle: &SimHandle) -> rack::pve::Client {
    use rack::pve::{Credentials, Secret};
    let mut options = options_of(handle);
    options.credentials = Credentials::Password {
        user: handle.user.clone(),
        password: Secret::new(handle.password.clone()),
    };
    rack::pve::Client::new(options).unwrap()
}

fn options_of(handle: &SimHandle) -> rack::pve::ClientOptions {
    use rack::pve::{ClientOptions, Credentials, Secret};
    let mut options = ClientOptions::new(
        vec![handle.url.clone()],
        Credentials::Token {
            id: handle.token_id.clone(),
            secret: Secret::new(handle.token_secret.clone()),
        },
    );
    options.trust.pins = handle.fingerprint.clone().into_iter().collect();
    options.timeout = Duration::from_secs(5);
    options
}

/// Every write the simulator received was recorded in the audit log at `path` first, with its
/// outcome, as cluster `cluster`; and the log's chain holds. (Writes sent side by side may
/// arrive in another order than they were recorded.)
pub async fn assert_audited(sim: &Sim, path: &Path, cluster: &str) {
    {
        assert_eq!(
            rack::audit::verify(path)
                .unwrap()
                .map_err(|b| b.to_string()),
            Ok(rack::audit::read(path).unwrap().0.len())
        );
        let mut rows = rack::audit::rows(&rack::audit::read(path).unwrap().0);
        rows.sort_by_key(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.result.as_deref() != Some("ok"),
            )
        });
        let received = sim.control("GET", "/writes", &[]).await;
        let mut received = received.data().as_array().unwrap().clone();
        received.sort_by_key(|w| {
            (
                w["method"].as_str().unwrap().to_string(),
                w["path"].as_str().unwrap().to_string(),
                w["status"] != 200,
            )
        });
        let ours: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect();
        let theirs: Vec<(String, String)> = received
            .iter()
            .map(|w| {
                (
                    w["method"].as_str().unwrap().to_string(),
                    w["path"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "every write, in the audit log");
        for (row, write) in rows.iter().zip(&received) {
            let status = write["status"].as_u64().unwrap();
            let result = row.result.as_deref().unwrap_or_default();
            if status == 200 {
                assert_eq!(result, "ok", "{row:?}");
            } else {
                assert!(result.starts_with("failed: "), "{row:?}");
            }
            assert_eq!(row.identity, sim.handle.token_id);
            assert_eq!(row.cluster, cluster);
            assert!(
                !row.request.starts_with(&row.method),
                "said in words: {row:?}"
            );
            if row.path.contains("/status/") && status == 200 {
                assert!(
                    row.upid.as_deref().is_some_and(|u| u.starts_with("UPID:")),
                    "{row:?}"
                );
            }
        }
    }
}
