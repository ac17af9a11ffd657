//! `rack sim`: a simulated cluster served from the command line, for other tools or a second rack.

use std::io::Write;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::cli::SimArgs;
use crate::sim::generate::generate;
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
    };
    let handle = Simulator::start(scenario, options).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "url: {}", handle.url)?;
    if let Some(fp) = &handle.fingerprint {
        writeln!(out, "fingerprint: {fp}")?;
    }
    writeln!(out, "token: {}", handle.token())?;
    writeln!(out, "password: {}", handle.password)?;
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
