use clap::Parser;
use color_eyre::eyre::WrapErr;

fn main() -> color_eyre::Result<std::process::ExitCode> {
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
    // The console and the headless verbs wait on the network almost all the time, so one thread
    // serves them: glibc gives every thread that allocates its own arena, and a large cluster's
    // answers decoded on two workers left two heaps' worth of freed pages behind (measured with
    // `rack bench` at 64 nodes / 10,000 guests: 77.5 MB at peak on two workers, 60.2 MB on one).
    // A simulator serves many clients at once and keeps a worker per core.
    let runtime = if matches!(cli.command, Some(rack::cli::Command::Sim(_))) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build()
    .wrap_err("cannot start the async runtime")?;
    runtime.block_on(rack::run(cli))
}
