//! TLS as real clusters have it: every node serves its own certificate, signed by the
//! cluster's CA. Failover between nodes under one `ca_file`, and under one pin plus the
//! fingerprints learned from the cluster; the CA's refusals; certificates that expire soon.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::sync::Arc;
use std::time::Duration;

use crate::common;

use rack::pve::tls::{CertClock, TlsFailure, Trust};
use rack::pve::types::Version;
use rack::pve::{Client, ClientOptions, Credentials, Error, Secret};
use rack::sim::{Scenario, SimHandle, SimOptions, Simulator};

/// Homelab with every node on its own port; pve-aimax-01's certificate runs out in 12 days.
async fn cluster() -> SimHandle {
    let mut scenario = Scenario::load("homelab").unwrap();
    scenario.nodes[2].cert_days_left = Some(12.5);
    let options = SimOptions {
        speed: 0.0,
        start: Some(common::epoch()),
        node_ports: true,
        ..SimOptions::default()
    };
    Simulator::start(scenario, options).await.unwrap()
}

fn options(sim: &SimHandle, endpoints: &[usize]) -> ClientOptions {
    let credentials = Credentials::Token {
        id: sim.token_id.clone(),
        secret: Secret::new(sim.token_secret.clone()),
    };
    let urls = endpoints
        .iter()
        .map(|i| sim.node_urls[*i].url.clone())
        .collect();
    let mut options = ClientOptions::new(urls, credentials);
    options.timeout = Duration::from_secs(5);
    options
}

/// The simulated cluster's certificates are dated on its clock: check them against it.
fn sim_clock(sim: &SimHandle) -> CertClock {
    let clock = sim.clock();
    CertClock(Arc::new(move || clock.now()))
}

/// A call to the simulator's control interface through a node that is still up.
async fn control(sim: &SimHandle, via: usize, method: &str, path: &str, form: &[(&str, &str)]) {
    let node = &sim.node_urls[via];
    let tls = rack::pve::tls::pinned_client_config(node.fingerprint.as_deref().unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = http
        .request(method, format!("{}/sim{path}", node.url))
        .form(form)
        .header("Authorization", format!("PVEAPIToken={}", sim.token()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

async fn fault(sim: &SimHandle, via: usize, spec: Option<&str>) {
    match spec {
        Some(spec) => control(sim, via, "POST", "/faults", &[("spec", spec)]).await,
        None => control(sim, via, "DELETE", "/faults", &[]).await,
    }
}

async fn version(client: &Client) -> Result<Version, Error> {
    client.get("/version").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_serves_its_own_certificate_signed_by_the_cluster_ca() {
    let sim = cluster().await;
    assert_eq!(sim.node_urls.len(), 3);
    let prints: Vec<_> = sim
        .node_urls
        .iter()
        .map(|n| n.fingerprint.clone().unwrap())
        .collect();
    assert!(prints[0] != prints[1] && prints[1] != prints[2]);
    for (i, node) in sim.node_urls.iter().enumerate() {
        let seen = rack::pve::tls::server_fingerprint(&node.url).await;
        assert_eq!(seen.as_deref(), Some(prints[i].as_str()), "{}", node.node);
    }
    let mut o = options(&sim, &[0]);
    o.trust.ca_pem = sim.ca_pem.clone();
    o.trust.clock = Some(sim_clock(&sim));
    let client = Client::new(o).unwrap();
    let certs: Vec<rack::pve::types::CertificateInfo> = client
        .get("/nodes/pve-ms01-02/certificates/info")
        .await
        .unwrap();
    let names: Vec<_> = certs.iter().map(|c| c.filename.clone().unwrap()).collect();
    assert_eq!(names, ["pve-root-ca.pem", "pve-ssl.pem"]);
    assert_eq!(certs[1].fingerprint.as_deref(), Some(prints[1].as_str()));
    assert_eq!(
        certs[1].subject.as_deref(),
        Some("/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=pve-ms01-02")
    );
    assert_eq!(certs[1].issuer, certs[0].subject);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ca_file_trusts_every_node_and_failover_works() {
    let sim = cluster().await;
    let mut o = options(&sim, &[0, 1]);
    o.trust.ca_pem = sim.ca_pem.clone();
    o.trust.clock = Some(sim_clock(&sim));
    let client = Client::new(o).unwrap();
    version(&client).await.unwrap();
    assert_eq!(client.endpoint(), sim.node_urls[0].url);
    fault(&sim, 1, Some("unreachable=pve-ms01-01")).await;
    version(&client).await.unwrap();
    assert_eq!(client.endpoint(), sim.node_urls[1].url);
    let status: Vec<rack::pve::types::ClusterStatusItem> =
        client.get("/cluster/status").await.unwrap();
    let local = status.iter().find(|s| s.local == Some(true)).unwrap();
    assert_eq!(local.name, "pve-ms01-02");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clusters_ca_is_refused_with_the_reason() {
    let sim = cluster().await;
    let other = cluster().await;
    let mut o = options(&sim, &[0]);
    o.trust.ca_pem = other.ca_pem.clone();
    o.trust.clock = Some(sim_clock(&sim));
    let client = Client::new(o).unwrap();
    assert!(version(&client).await.is_err());
    let failures = client.tls_failures();
    let (_, failure) = failures.first().unwrap();
    match failure {
        TlsFailure::CaRefused { seen, why } => {
            assert_eq!(Some(seen), sim.node_urls[0].fingerprint.as_ref());
            assert_eq!(why, "signed by another CA");
        }
        other => panic!("{other:?}"),
    }
}

/// One pin, and the rest learned: before the cluster has named its nodes' certificates, the
/// second node is refused (both fingerprints said); once the poller has read them, failing
/// over to it works without a single unverified request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pin_and_the_learned_fingerprints_trust_the_whole_cluster() {
    let sim = cluster().await;
    let mut o = options(&sim, &[0, 1]);
    o.trust = Trust {
        pins: sim.node_urls[0].fingerprint.clone().into_iter().collect(),
        ..Trust::default()
    };
    let client = Client::new(o.clone()).unwrap();
    fault(&sim, 1, Some("unreachable=pve-ms01-01")).await;
    let err = version(&client).await.unwrap_err();
    let failures = client.tls_failures();
    let second = failures
        .iter()
        .find(|(url, _)| *url == sim.node_urls[1].url)
        .map(|(_, f)| f.clone());
    assert_eq!(
        second,
        Some(TlsFailure::PinMismatch {
            pinned: sim.node_urls[0].fingerprint.clone().unwrap(),
            seen: sim.node_urls[1].fingerprint.clone().unwrap(),
        }),
        "{err}"
    );

    fault(&sim, 1, None).await;
    let client = Client::new(o).unwrap();
    let snapshot = rack::poll::poll_once("homelab", &client, sim.now()).await;
    assert_eq!(snapshot.certs.len(), 3);
    let mut learned = client.trusted_fingerprints();
    learned.sort();
    let mut all: Vec<_> = sim
        .node_urls
        .iter()
        .map(|n| n.fingerprint.clone().unwrap())
        .collect();
    all.sort();
    assert_eq!(learned, all);
    fault(&sim, 1, Some("unreachable=pve-ms01-01")).await;
    version(&client).await.unwrap();
    assert_eq!(client.endpoint(), sim.node_urls[1].url);
}

/// A node that is off does not answer on its port: the client moves on to the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_is_off_stops_answering_on_its_port() {
    let sim = cluster().await;
    let mut o = options(&sim, &[1, 0]);
    o.trust.ca_pem = sim.ca_pem.clone();
    o.trust.clock = Some(sim_clock(&sim));
    let client = Client::new(o).unwrap();
    version(&client).await.unwrap();
    assert_eq!(client.endpoint(), sim.node_urls[1].url);
    control(
        &sim,
        0,
        "POST",
        "/nodes/pve-ms01-02/power",
        &[("state", "off")],
    )
    .await;
    assert_eq!(
        rack::pve::tls::server_fingerprint(&sim.node_urls[1].url).await,
        None,
        "pve-ms01-02 still answers"
    );
    version(&client).await.unwrap();
    assert_eq!(client.endpoint(), sim.node_urls[0].url);
}

/// A certificate that runs out within 30 days is flagged on its host row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_expires_soon_is_flagged_on_its_host() {
    let sim = cluster().await;
    let mut o = options(&sim, &[0]);
    o.trust.pins = sim.node_urls[0].fingerprint.clone().into_iter().collect();
    let client = Client::new(o).unwrap();
    let snapshot = rack::poll::poll_once("homelab", &client, sim.now()).await;
    let rows = rack::model::host_rows(&snapshot);
    let flags: Vec<_> = rows
        .iter()
        .map(|r| (r.node.as_str(), r.cert_flag()))
        .collect();
    assert_eq!(
        flags,
        [
            ("pve-ms01-01", None),
            ("pve-ms01-02", None),
            ("pve-aimax-01", Some("cert 12d".to_string())),
        ]
    );
    let now = sim
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(rows[2].cert_expires, Some(now + 12 * 86_400 + 43_200));
}
