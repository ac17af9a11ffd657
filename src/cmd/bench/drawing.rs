//! What the console costs per frame and per key at scale: the Instances pane drawn to an
//! off-screen buffer while scrolling, and filters applied as they are typed.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::action::{Action, Pane};
use crate::app::App;
use crate::cmd::error::CmdError;
use crate::config::theme::Theme;
use crate::console::Event;
use crate::ui;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Lines of the report: frame and filter medians over `rounds`.
pub fn measure(app: &mut App, rounds: usize, out: &mut String) -> Result<(), CmdError> {
    // Keys are pushed without reading what they focus on: the frames measure drawing.
    app.push(Event::Action(Action::Show(Pane::Instances)));
    let theme = Theme::default();
    for (w, h) in [(160, 45), (80, 24)] {
        app.model.size = (w, h);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).map_err(|e| e.to_string())?;
        let mut times = Vec::new();
        for i in 0..rounds * 10 {
            // Scroll as a user would, so each frame shows other rows.
            let c = if i % 20 < 10 { 'j' } else { 'k' };
            app.push(Event::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
            let started = Instant::now();
            terminal
                .draw(|f| ui::draw(&app.model, &theme, f))
                .map_err(|e| e.to_string())?;
            times.push(started.elapsed());
        }
        let _ = writeln!(
            out,
            "  render instances {w}×{h}  median {}",
            ms(median(times))
        );
    }
    // Filtering as it is typed: the pane's rows narrowed and sorted again for each key.
    let model = &mut app.model;
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
        let _ = writeln!(
            out,
            "  filter {:<28} median {} ({shown} rows match)",
            format!("\"{text}\""),
            ms(median(times))
        );
    }
    Ok(())
}
