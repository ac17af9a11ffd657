//! `rack bench`: the console's costs at scale, measured and printed (never asserted). A simulated
//! cluster runs as a child process (`rack sim --scale`) so that this process's memory is the
//! console's alone: client, snapshots, rows, views and frames.

use super::error::CmdError;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::action::{Action, Pane};
use crate::actions::Journal;
use crate::app::{App, Settings, connect};
use crate::config::theme::Theme;
use crate::config::{AuthConfig, ClusterConfig, SecretSource, TlsConfig};
use crate::console::Event;
use crate::model::Focus;
use crate::poll::Due;
use crate::pve::Secret;
use crate::ui;

/// A `rack sim` child, stopped when dropped.
struct SimChild {
    child: Child,
    url: String,
    fingerprint: Option<String>,
    token: String,
}

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_sim(nodes: usize, guests: usize) -> Result<SimChild, CmdError> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find rack itself: {e}"))?;
    let mut child = Command::new(exe)
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--scale",
            &format!("{nodes}:{guests}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("the simulator has no output to read")?;
    let mut sim = SimChild {
        child,
        url: String::new(),
        fingerprint: None,
        token: String::new(),
    };
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the simulator: {e}"))?;
        if let Some(v) = line.strip_prefix("url: ") {
            sim.url = v.to_string();
        } else if let Some(v) = line.strip_prefix("fingerprint: ") {
            sim.fingerprint = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("token: ") {
            sim.token = v.to_string();
        } else if line.starts_with("password: ") {
            break;
        }
    }
    if sim.url.is_empty() || sim.token.is_empty() {
        return Err("the simulator did not say where it listens".into());
    }
    Ok(sim)
}

/// The cluster entry that reaches the child simulator.
fn connection(sim: &SimChild) -> Result<ClusterConfig, CmdError> {
    let (id, secret) = sim
        .token
        .split_once('=')
        .ok_or("the simulator's token has no secret")?;
    Ok(ClusterConfig {
        name: "bench".into(),
        endpoints: vec![sim.url.clone()],
        auth: AuthConfig::Token {
            id: id.to_string(),
            secret: SecretSource::Inline(Secret::new(secret.to_string())),
        },
        tls: TlsConfig {
            fingerprint: sim.fingerprint.clone(),
            ..TlsConfig::default()
        },
        read_only: true,
        timeout: Duration::from_secs(30),
        wake: Default::default(),
        networks: Default::default(),
        devices: Vec::new(),
        ha_command: None,
        audit: None,
        command_env: Vec::new(),
        shell: None,
        ssh: Default::default(),
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// (current, peak) resident memory of this process in MiB, where /proc tells.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Measure at each scale and return the report.
pub async fn run(scales: &[(usize, usize)], rounds: usize) -> Result<String, CmdError> {
    let mut out = String::new();
    let rounds = rounds.max(3);
    for &(nodes, guests) in scales {
        let sim = spawn_sim(nodes, guests)?;
        let cluster = connection(&sim)?;
        let clients = connect(std::slice::from_ref(&cluster), None);
        let mut app = App::new(
            Settings::default(),
            std::slice::from_ref(&cluster),
            clients,
            Journal::disabled(),
        );
        let client = app.client(0).cloned().ok_or("cannot reach the simulator")?;
        app.model.size = (160, 45);

        // The first refresh fetches everything; after that, the steady ones.
        let before = client.requests();
        app.read(0, &Focus::default(), Due::ALL).await;
        let full = client.requests() - before;
        if let Some(first) = app.model.clusters[0].snapshot.as_deref()
            && first.resources.data.is_none()
        {
            return Err(format!(
                "the simulator did not answer: {}",
                first.errors().join("; ")
            )
            .into());
        }

        let mut steady = Vec::new();
        let mut poll_times = Vec::new();
        for _ in 0..rounds {
            let started = Instant::now();
            let before = client.requests();
            app.read(0, &Focus::default(), Due::default()).await;
            steady.push(client.requests() - before);
            poll_times.push(started.elapsed());
        }

        // Frames of the instances pane, drawn to an off-screen buffer.
        // Keys are pushed without reading what they focus on: the frames measure drawing.
        app.push(Event::Action(Action::Show(Pane::Instances)));
        let theme = Theme::default();
        let mut frames = Vec::new();
        for (w, h) in [(160, 45), (80, 24)] {
            app.model.size = (w, h);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).map_err(|e| e.to_string())?;
            let mut times = Vec::new();
            for i in 0..rounds * 10 {
                // Scroll as a user would, so each frame shows other rows.
                app.push(Event::Key(key(if i % 20 < 10 { 'j' } else { 'k' })));
                let started = Instant::now();
                terminal
                    .draw(|f| ui::draw(&app.model, &theme, f))
                    .map_err(|e| e.to_string())?;
                times.push(started.elapsed());
            }
            frames.push(((w, h), median(times)));
        }

        // Filtering as it is typed: the pane's rows narrowed and sorted again for each key.
        let model = &mut app.model;
        let mut filters = Vec::new();
        for text in ["k8s", "node:pve007 status:running", "tag:web"] {
            let mut times = Vec::new();
            for _ in 0..rounds {
                let started = Instant::now();
                model.instances.set_filter(text);
                model.refresh_views();
                times.push(started.elapsed());
                model.instances.set_filter("");
                model.refresh_views();
            }
            model.instances.set_filter(text);
            model.refresh_views();
            let shown = model.instances.visible.len();
            model.instances.set_filter("");
            model.refresh_views();
            filters.push((text, median(times), shown));
        }
        let (rss, peak) = rss_mib();

        let _ = writeln!(
            out,
            "{nodes} nodes / {guests} guests (simulator in a child process over HTTPS)"
        );
        let _ = writeln!(
            out,
            "  requests per refresh    steady {} · first (everything due) {full}",
            steady.iter().max().copied().unwrap_or(0)
        );
        let _ = writeln!(
            out,
            "  poll to snapshot        median {} over {rounds} refreshes (fetch, decode, rows, views)",
            ms(median(poll_times))
        );
        for ((w, h), t) in frames {
            let _ = writeln!(out, "  render instances {w}×{h}  median {}", ms(t));
        }
        for (text, t, shown) in filters {
            let _ = writeln!(
                out,
                "  filter {:<28} median {} ({shown} rows match)",
                format!("\"{text}\""),
                ms(t)
            );
        }
        let _ = writeln!(
            out,
            "  RSS                     {rss:.1} MiB now, {peak:.1} MiB peak"
        );
    }
    Ok(out)
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}
