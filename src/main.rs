use clap::Parser;

#[tokio::main]
async fn main() -> color_eyre::Result<std::process::ExitCode> {
    color_eyre::install()?;
    rack::pve::tls::install_crypto_provider();
    let cli = rack::cli::Cli::parse();
    // The console owns the screen, so its logs go to a file; stdout carries only what a headless
    // command prints for scripts, and stderr its errors, one line each (a log only with RACK_LOG,
    // to the file RACK_LOG_FILE names when it names one).
    if cli.command.is_none() || std::env::var_os("RACK_LOG_FILE").is_some() {
        rack::logging::to_file();
    } else {
        rack::logging::to_stderr_if_asked();
    }
    rack::run(cli).await
}
