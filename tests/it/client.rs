//! `pve::Client` against the simulator over HTTPS: both kinds of auth, renewal, the pinned
//! certificate, endpoint failover and Proxmox's error texts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common;

use std::time::Duration;

use rack::pve::types::{ClusterResource, ClusterStatusItem, NodeStatus, ResourceKind};
use rack::pve::{Client, ClientOptions, Credentials, Error, Secret};

fn token(sim: &common::Sim) -> Credentials {
    Credentials::Token {
        id: sim.handle.token_id.clone(),
        secret: Secret::new(sim.handle.token_secret.clone()),
    }
}

fn password(sim: &common::Sim) -> Credentials {
    Credentials::Password {
        user: sim.handle.user.clone(),
        password: Secret::new(sim.handle.password.clone()),
    }
}

fn client(sim: &common::Sim, credentials: Credentials) -> Client {
    let mut options = ClientOptions::new(vec![sim.handle.url.clone()], credentials);
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    Client::new(options).unwrap()
}

/// A local port with nothing listening: connections to it are refused.
fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("https://127.0.0.1:{port}")
}

#[tokio::test]
async fn token_auth_reads_typed_answers() {
    let sim = common::start("homelab", 1.0).await;
    let c = client(&sim, token(&sim));
    let resources: Vec<ClusterResource> = c.get("/cluster/resources").await.unwrap();
    let vm = resources.iter().find(|r| r.id == "qemu/101").unwrap();
    assert_eq!(vm.kind, ResourceKind::Qemu);
    assert_eq!(vm.vmid, Some(101));
    assert_eq!(vm.template, Some(false));
    let status: Vec<ClusterStatusItem> = c.get("/cluster/status").await.unwrap();
    assert_eq!(status[0].quorate, Some(true));
    let node: NodeStatus = c.get("/nodes/pve-ms01-01/status").await.unwrap();
    assert_eq!(node.loadavg.len(), 3);
    assert!(node.cpuinfo.model.unwrap().contains("i9-13900H"));
}

#[tokio::test]
async fn ticket_auth_logs_in_renews_and_recovers_from_expiry() {
    let sim = common::start("homelab", 1.0).await;
    let mut options = ClientOptions::new(vec![sim.handle.url.clone()], password(&sim));
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    options.ticket_renew_after = Duration::ZERO;
    let c = Client::new(options).unwrap();
    // Every call renews (the ticket as password); reads and a write with CSRF work.
    let _: serde_json::Value = c.get("/version").await.unwrap();
    let upid: String = c
        .post(
            "/nodes/pve-ms01-01/qemu/105/snapshot",
            &[("snapname", "by-ticket")],
        )
        .await
        .unwrap();
    assert!(upid.starts_with("UPID:pve-ms01-01:"), "{upid}");
    // Revoked tickets: the client logs in again with the password.
    let c = client(&sim, password(&sim));
    let _: serde_json::Value = c.get("/version").await.unwrap();
    sim.control("POST", "/tickets/expire", &[]).await;
    let _: serde_json::Value = c.get("/version").await.unwrap();
    // A wrong password says so.
    let wrong = Credentials::Password {
        user: "root@pam".into(),
        password: Secret::new("nope"),
    };
    let err = client(&sim, wrong)
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    assert!(
        !err.to_string().contains("nope"),
        "secrets stay out of messages"
    );
}

#[tokio::test]
async fn a_certificate_that_does_not_match_the_pin_is_refused() {
    let sim = common::start("homelab", 1.0).await;
    let mut options = ClientOptions::new(vec![sim.handle.url.clone()], token(&sim));
    options.trust.pins = Some(["AB"; 32].join(":")).into_iter().collect();
    let err = Client::new(options)
        .unwrap()
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Unreachable { .. }), "{text}");
    assert!(text.contains("does not match the pinned"), "{text}");
    // Without a pin, the self-signed certificate is not trusted by the system roots either.
    let options = ClientOptions::new(vec![sim.handle.url.clone()], token(&sim));
    let err = Client::new(options)
        .unwrap()
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
}

#[tokio::test]
async fn a_dead_endpoint_fails_over_to_the_next_and_stays_there() {
    let sim = common::start("homelab", 1.0).await;
    let dead = dead_endpoint();
    let mut options = ClientOptions::new(vec![dead.clone(), sim.handle.url.clone()], token(&sim));
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    let c = Client::new(options).unwrap();
    let _: serde_json::Value = c.get("/version").await.unwrap();
    assert_eq!(c.endpoint(), sim.handle.url);
    let before = c.requests();
    let _: serde_json::Value = c.get("/version").await.unwrap();
    assert_eq!(
        c.requests() - before,
        1,
        "the working endpoint is tried first"
    );
    // All endpoints down: the error names each one.
    let mut options = ClientOptions::new(vec![dead.clone(), dead_endpoint()], token(&sim));
    options.timeout = Duration::from_secs(2);
    let err = Client::new(options)
        .unwrap()
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    match &err {
        Error::Unreachable { tried, .. } => assert_eq!(tried.len(), 2, "{err}"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn proxmox_error_texts_come_through() {
    let sim = common::start("homelab", 1.0).await;
    let c = client(&sim, token(&sim));
    let err = c
        .post::<String>("/nodes/pve-ms01-01/qemu/999/status/start", &[])
        .await
        .unwrap_err();
    assert!(
        err.proxmox_text().contains("does not exist"),
        "{}",
        err.proxmox_text()
    );
    let err = c
        .post::<String>(
            "/nodes/pve-ms01-01/qemu/101/snapshot",
            &[("snapname", "1bad")],
        )
        .await
        .unwrap_err();
    match &err {
        Error::Api { status, errors, .. } => {
            assert_eq!(*status, 400);
            assert!(errors.contains_key("snapname"), "{err}");
        }
        other => panic!("{other}"),
    }
    // Malformed JSON is a decode error, not a panic.
    sim.control("POST", "/faults", &[("spec", "malformed=1.0")])
        .await;
    let err = c
        .get::<Vec<ClusterResource>>("/cluster/resources")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

/// Every failure is counted, however many: the texts kept are the latest only, the count is not
/// capped by them (a status line stuck at "64 err" under a storm of 500s).
#[tokio::test]
async fn failures_are_counted_beyond_the_texts_kept() {
    let sim = common::start("homelab", 0.0).await;
    let client = common::client_of(&sim.handle);
    sim.control("POST", "/faults", &[("spec", "errors=1.0")])
        .await;
    for _ in 0..100 {
        let _ = client.get::<serde_json::Value>("/version").await;
    }
    assert_eq!(client.failures_within(Duration::from_secs(300)), 100);
    assert_eq!(client.recent_failures(Duration::from_secs(300)).len(), 64);
}

/// The second factor as an authenticator app gives it: the code of the simulated moment, and
/// how many times it was asked for.
struct Authenticator {
    clock: rack::sim::SimClock,
    secret: Vec<u8>,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    wrong: bool,
}

impl rack::pve::tfa::SecondFactor for Authenticator {
    fn answer(
        &self,
        _user: &str,
        challenge: &rack::pve::tfa::Challenge,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Secret, String>> + Send>> {
        assert!(challenge.totp && challenge.recovery == 10, "{challenge:?}");
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let now = self
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let code = if self.wrong {
            "000000".to_string()
        } else {
            rack::sim::tfa::code_now(&self.secret, now)
        };
        Box::pin(async move { Ok(Secret::new(code)) })
    }
}

/// A user whose realm wants a second factor logs in with it; renewal does not ask again; an
/// expired ticket asks again; a wrong code and no way to ask are said as such.
#[tokio::test]
async fn a_second_factor_login_renews_without_asking_and_asks_again_after_expiry() {
    let sim = common::start("homelab", 0.0).await;
    let ops = || Credentials::Password {
        user: sim.handle.tfa_user.clone(),
        password: Secret::new(sim.handle.password.clone()),
    };
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let with = |wrong: bool| {
        let mut options = ClientOptions::new(vec![sim.handle.url.clone()], ops());
        options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
        options.ticket_renew_after = Duration::ZERO;
        options.second_factor = Some(std::sync::Arc::new(Authenticator {
            clock: sim.handle.clock(),
            secret: sim.handle.tfa_secret.clone(),
            asked: asked.clone(),
            wrong,
        }));
        Client::new(options).unwrap()
    };
    let count = || asked.load(std::sync::atomic::Ordering::SeqCst);

    let c = with(false);
    let _: serde_json::Value = c.get("/version").await.unwrap();
    assert_eq!(count(), 1);
    // Renewed on every call (renew_after zero), with the ticket: no second factor asked.
    for _ in 0..3 {
        let _: serde_json::Value = c.get("/version").await.unwrap();
    }
    let upid: String = c
        .post(
            "/nodes/pve-ms01-01/qemu/105/snapshot",
            &[("snapname", "second-factor")],
        )
        .await
        .unwrap();
    assert!(upid.starts_with("UPID:"), "{upid}");
    assert_eq!(count(), 1);
    // The ticket died (a laptop asleep past its two hours): asked again, with a new code.
    sim.control("POST", "/tickets/expire", &[]).await;
    sim.advance(30.0).await;
    let _: serde_json::Value = c.get("/version").await.unwrap();
    assert_eq!(count(), 2);

    let err = with(true)
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authentication failed: the second factor of \"ops@pve\" was refused: a wrong code, or one already used"
    );
    let mut options = ClientOptions::new(vec![sim.handle.url.clone()], ops());
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    let err = Client::new(options)
        .unwrap()
        .get::<serde_json::Value>("/version")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("needs a second factor (TFA): set otp_command"),
        "{err}"
    );
}

/// Declining the second factor is not asked again by every request waiting on the login: a
/// refused login is not tried again for a while.
#[tokio::test]
async fn a_declined_second_factor_is_not_asked_again_at_once() {
    struct Declines(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl rack::pve::tfa::SecondFactor for Declines {
        fn answer(
            &self,
            _user: &str,
            _challenge: &rack::pve::tfa::Challenge,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Secret, String>> + Send>>
        {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Err("not given (Esc)".to_string()) })
        }
    }
    let sim = common::start("homelab", 0.0).await;
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut options = ClientOptions::new(
        vec![sim.handle.url.clone()],
        Credentials::Password {
            user: sim.handle.tfa_user.clone(),
            password: Secret::new(sim.handle.password.clone()),
        },
    );
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    options.second_factor = Some(std::sync::Arc::new(Declines(asked.clone())));
    let c = Client::new(options).unwrap();
    let (a, b, d) = tokio::join!(
        c.get::<serde_json::Value>("/version"),
        c.get::<serde_json::Value>("/cluster/status"),
        c.get::<serde_json::Value>("/cluster/resources"),
    );
    for r in [a, b, d] {
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("no second factor for \"ops@pve\": not given (Esc)"),
            "{e}"
        );
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
}
