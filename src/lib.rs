//! rack: a keyboard-driven terminal console for Proxmox VE datacenters.
//!
//! - `cli` — the command line: `rack` (console), `rack sim`
//! - `pve` — the Proxmox VE API: task ids, property strings, lenient decoding, TLS pinning
//! - `sim` — the simulated Proxmox cluster the demo and every test run against

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod model;
pub mod pve;
pub mod sim;

use color_eyre::eyre::{Result, WrapErr};

/// Run what the command line asks for.
pub async fn run(cli: cli::Cli) -> Result<()> {
    match cli.command {
        Some(cli::Command::Sim(args)) => cli::run_sim(args).await,
        None => {
            eprintln!(
                "The console is not built yet (see the README's roadmap). Run `rack sim` to serve the simulated cluster."
            );
            Ok(())
        }
    }
    .wrap_err("rack failed")
}
