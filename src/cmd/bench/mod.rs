//! `rack bench`: what the console costs the clusters it watches and the machine it runs on,
//! measured and printed (never asserted) against the goals: requests and bytes a minute, memory
//! at peak, the first full frame, CPU while idle, and the simulator's CPU serving it. The
//! console runs as it does on a terminal — its pollers on their own cadence — against simulated
//! clusters in child processes, drawing a frame each second as its tick does.

mod child;
mod drawing;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::error::CmdError;
use crate::actions::Journal;
use crate::app::{App, Settings, connect};
use crate::cli::BenchSetup;
use crate::config::theme::Theme;
use crate::ui;
use child::{SimChild, cpu_of, rss};

/// Polling before the steady minute is measured: the start-up reads (the metrics export's
/// history, certificates, versions) are over by then.
const WARM_UP: Duration = Duration::from_secs(20);
/// The console's tick: it draws at least this often.
const TICK: Duration = Duration::from_secs(1);

const MIB: f64 = 1024.0 * 1024.0;

/// What one setup measured.
struct Figures {
    requests_per_minute: f64,
    bytes_per_minute_per_10k: f64,
    rss_peak: u64,
    first_frame: Duration,
    cpu: f64,
    sim_cpu: f64,
}

pub async fn run(setups: &[BenchSetup], seconds: u64, rounds: usize) -> Result<String, CmdError> {
    let mut out = String::new();
    let window = Duration::from_secs(seconds.max(10));
    for setup in setups {
        let figures = measure(*setup, window, rounds.max(3), &mut out).await?;
        table(*setup, window, &figures, &mut out);
    }
    Ok(out)
}

fn title(s: BenchSetup) -> String {
    if s.clusters == 1 {
        format!("{} nodes / {} guests, one cluster", s.nodes, s.guests)
    } else {
        format!(
            "a fleet of {} clusters of {} nodes / {} guests",
            s.clusters, s.nodes, s.guests
        )
    }
}

async fn measure(
    setup: BenchSetup,
    window: Duration,
    rounds: usize,
    out: &mut String,
) -> Result<Figures, CmdError> {
    // Each setup's peak is its own: Linux resets the high-water mark on "5".
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let sims = (0..setup.clusters)
        .map(|i| SimChild::spawn(setup.nodes, setup.guests, i as u64 + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let configs = sims
        .iter()
        .enumerate()
        .map(|(i, s)| s.connection(&format!("bench-{}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let clients = connect(&configs, None);
    let mut app = App::new(Settings::default(), &configs, clients, Journal::disabled());
    app.model.size = (160, 45);
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).map_err(|e| e.to_string())?;
    let mut draw = |app: &App| {
        terminal
            .draw(|f| ui::draw(&app.model, &theme, f))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };

    let started = Instant::now();
    app.start_polling();
    let arrived = |app: &App| {
        app.model.clusters.iter().all(|c| {
            c.snapshot
                .as_ref()
                .is_some_and(|s| s.resources.data.is_some())
        })
    };
    if !app.wait_until(arrived, Duration::from_secs(120)).await {
        return Err("the simulated clusters did not answer within two minutes".into());
    }
    draw(&app)?;
    let first_frame = started.elapsed();

    while started.elapsed() < WARM_UP {
        app.wait_until(|_| false, TICK).await;
        draw(&app)?;
    }
    let count = |app: &App| -> Vec<(u64, u64)> {
        (0..setup.clusters)
            .map(|i| {
                app.client(i)
                    .map_or((0, 0), |c| (c.requests(), c.bytes_received()))
            })
            .collect()
    };
    let sims_cpu = || sims.iter().map(SimChild::cpu).sum::<Duration>();
    let own_cpu = || cpu_of("/proc/self/stat");
    let (before, cpu_before, sim_before, from) =
        (count(&app), own_cpu(), sims_cpu(), Instant::now());
    // How late a tick came: what a key pressed then waits, the one thread being busy
    // decoding a large answer or rebuilding rows from it.
    let mut late = Duration::ZERO;
    while from.elapsed() < window {
        let tick = Instant::now();
        app.wait_until(|_| false, TICK).await;
        late = late.max(tick.elapsed().saturating_sub(TICK));
        draw(&app)?;
    }
    let took = from.elapsed().as_secs_f64();
    let after = count(&app);
    let minutes = took / 60.0;
    let requests_per_minute = before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.0.saturating_sub(b.0) as f64 / minutes)
        .fold(0.0, f64::max);
    let bytes: u64 = before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.1.saturating_sub(b.1))
        .sum();
    let guests = (setup.clusters * setup.guests).max(1) as f64;
    let figures = Figures {
        requests_per_minute,
        bytes_per_minute_per_10k: bytes as f64 / minutes / (guests / 10_000.0),
        rss_peak: rss().1,
        first_frame,
        cpu: (own_cpu().saturating_sub(cpu_before)).as_secs_f64() / took,
        sim_cpu: (sims_cpu().saturating_sub(sim_before)).as_secs_f64() / took,
    };
    let _ = writeln!(out, "{}", title(setup));
    let _ = writeln!(out, "  longest a tick came late  {}", drawing::ms(late));
    drawing::measure(&mut app, rounds, out)?;
    Ok(figures)
}

/// The goals table of one setup: goal, figure, and whether it is met.
fn table(setup: BenchSetup, window: Duration, f: &Figures, out: &mut String) {
    let heading = format!(
        "goals ({} s measured after {} s)",
        window.as_secs(),
        WARM_UP.as_secs()
    );
    let _ = writeln!(out, "  {heading:<40} {:<10} measured", "goal");
    let rows: [(&str, &str, String, bool); 6] = [
        (
            if setup.clusters == 1 {
                "requests per minute"
            } else {
                "requests per minute, busiest cluster"
            },
            "≤ 100",
            format!("{:.0}", f.requests_per_minute),
            f.requests_per_minute <= 100.0,
        ),
        (
            "bytes per minute per 10,000 guests",
            "≤ 20 MiB",
            format!("{:.1} MiB (as sent)", f.bytes_per_minute_per_10k / MIB),
            f.bytes_per_minute_per_10k <= 20.0 * MIB,
        ),
        (
            "RSS at peak",
            "≤ 64 MB",
            format!("{:.1} MB", f.rss_peak as f64 / 1e6),
            f.rss_peak <= 64_000_000,
        ),
        (
            "first full frame",
            "≤ 300 ms",
            drawing::ms(f.first_frame),
            f.first_frame <= Duration::from_millis(300),
        ),
        (
            "idle CPU",
            "≤ 1 %",
            format!("{:.2} % of a core", f.cpu * 100.0),
            f.cpu <= 0.01,
        ),
        (
            "simulator CPU serving rack",
            "< 3 %",
            format!("{:.2} % of a core", f.sim_cpu * 100.0),
            f.sim_cpu < 0.03,
        ),
    ];
    for (what, goal, measured, met) in rows {
        let mark = if met { "met" } else { "MISSED" };
        let _ = writeln!(out, "  {what:<40} {goal:<10} {measured}  {mark}");
    }
    let _ = writeln!(out);
}
