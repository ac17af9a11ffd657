//! The integration tests, one binary (the crate is linked once): the client against the
//! simulator over HTTPS, the simulator's behaviour and conformance, the poller, the action queue,
//! the console headless (screens as insta snapshots), the CLI as scripts run it, the layers of the
//! source, and the console end to end in tmux. `common` holds the shared rigs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

mod common;

mod actions;
mod addresses;
mod cli_actions;
mod cli_get;
mod cli_remote;
mod client;
mod console;
mod console_actions;
mod console_clusters;
mod console_fleet;
mod console_logs;
mod console_reads;
mod console_tables;
mod console_walk;
mod console_widths;
mod handoff;
mod layers;
mod log_view;
mod maintenance;
mod maintenance_walk;
mod other_clients;
mod placement;
mod poll;
mod readers_real;
mod schema_errata;
mod security;
mod sim_behaviour;
mod sim_cli;
mod sim_conformance;
mod sim_fidelity;
mod sim_logs;
mod sim_metrics;
mod sim_packages;
mod sim_real_answers;
mod sim_remote;
mod terminals;
mod tls_cluster;
mod tmux;
