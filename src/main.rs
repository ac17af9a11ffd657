use clap::Parser;

#[tokio::main]
async fn main() -> color_eyre::Result<std::process::ExitCode> {
    color_eyre::install()?;
    rack::pve::tls::install_crypto_provider();
    // Logs go to stderr; stdout carries only what a command prints for scripts.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RACK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    rack::run(rack::cli::Cli::parse()).await
}
