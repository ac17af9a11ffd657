//! `rack sim`: a simulated cluster served from the command line, for other tools or a second rack.

use std::io::Write;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::cli::{SimArgs, SimControlArgs};
use crate::pve::tls::pinned_client_config;
use crate::sim::generate::generate;
use crate::sim::tfa::base32;
use crate::sim::{Scenario, SimOptions, Simulator};

/// `rack sim`: serve a simulated cluster until a signal, printing how to reach it.
pub async fn run(args: SimArgs) -> Result<()> {
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        return Err(eyre!("--speed {} must be a number ≥ 0", args.speed));
    }
    let scenario = match args.scale {
        Some((nodes, guests)) => generate(nodes, guests, args.seed),
        None => Scenario::load(&args.scenario)?,
    };
    let options = SimOptions {
        listen: args.listen,
        seed: args.seed,
        speed: args.speed,
        start: args.start,
        http: args.http,
        token: args.token,
        password: args.password,
        faults: args.faults,
        node_ports: args.node_ports,
    };
    let handle = Simulator::start(scenario, options).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "url: {}", handle.url)?;
    if let Some(fp) = &handle.fingerprint {
        writeln!(out, "fingerprint: {fp}")?;
    }
    for node in &handle.node_urls {
        write!(out, "node {}: {}", node.node, node.url)?;
        if let Some(fp) = &node.fingerprint {
            write!(out, " {fp}")?;
        }
        writeln!(out)?;
    }
    if let (Some(path), Some(pem)) = (&args.ca_out, &handle.ca_pem) {
        std::fs::write(path, pem).wrap_err_with(|| format!("writing {}", path.display()))?;
        writeln!(out, "ca_file: {}", path.display())?;
    }
    writeln!(out, "token: {}", handle.token())?;
    writeln!(out, "password: {}", handle.password)?;
    writeln!(
        out,
        "tfa user: {} (same password; TOTP secret {}, otpauth://totp/rack-sim:{}?secret={}&period=30&digits=6&algorithm=SHA1)",
        handle.tfa_user,
        base32(&handle.tfa_secret),
        handle.tfa_user,
        base32(&handle.tfa_secret)
    )?;
    out.flush()?;
    drop(out);
    shutdown_signal().await.wrap_err("waiting for a signal")?;
    tracing::info!("shutting down");
    handle.shutdown();
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// `rack sim-control`: one call to a simulator's control interface; its answer on stdout.
pub async fn control(args: &SimControlArgs) -> Result<()> {
    let token = std::env::var("RACK_SIM_TOKEN").map_err(|_| {
        eyre!("RACK_SIM_TOKEN is not set (USER@REALM!ID=SECRET, as `rack sim` printed it)")
    })?;
    let mut form = Vec::new();
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| eyre!("{p:?} is not KEY=VALUE"))?;
        form.push((k.to_string(), v.to_string()));
    }
    let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30));
    if let Some(fp) = &args.fingerprint {
        let tls = pinned_client_config(fp)
            .ok_or_else(|| eyre!("--fingerprint {fp}: not a SHA-256 fingerprint"))?;
        builder = builder.use_preconfigured_tls(tls);
    }
    let http = builder.build()?;
    let method = reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| eyre!("{} is not an HTTP method", args.method))?;
    let url = format!("{}/sim{}", args.url.trim_end_matches('/'), args.path);
    let request = http
        .request(method.clone(), &url)
        .header("Authorization", format!("PVEAPIToken={token}"));
    let request = if method == reqwest::Method::GET || method == reqwest::Method::DELETE {
        request.query(&form)
    } else {
        request.form(&form)
    };
    let response = request.send().await.wrap_err_with(|| url.clone())?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(eyre!("{url}: {status}: {}", body.trim()));
    }
    println!("{}", body.trim());
    Ok(())
}
