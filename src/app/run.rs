//! The console's loop: wait for a key, a snapshot or the clock; drain everything queued; update;
//! draw once (at most about 60 times a second, and not at all when nothing happened). The terminal
//! is put back on every way out, panics included.

use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream,
};
use crossterm::terminal::EnterAlternateScreen;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::process::Command;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::asking::{Asked, Asker};
use super::driver::{App, Settings, connect};
use crate::actions::{Journal, journal};
use crate::config::ClusterConfig;
use crate::config::theme::Theme;
use crate::console::event::Event;
use crate::console::model::Level;
use crate::ui;

const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_secs(1);

/// Puts the terminal back however the console ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        // A terminal that went away (hung up) cannot be restored, and has no one to tell.
        let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
        let _ = ratatui::try_restore();
    }
}

/// How the console loop ended.
enum Ended {
    /// The user quit, or was asked to (SIGTERM): the terminal is put back.
    Quit,
    /// The terminal went away (SIGHUP, a closed tty): there is nothing to put back.
    Gone(String),
}

/// Terminal input, read by a task of its own and handed over through a channel.
///
/// While crossterm's `EventStream` waits for input on its reader thread it wakes only the
/// waker of the poll that started the wait. Polled once with a no-op waker (to drain without
/// waiting) it left each key to wait for the next tick, up to a second; a task that does
/// nothing but await it is always the one woken.
struct TerminalInput {
    events: mpsc::Receiver<std::io::Result<TermEvent>>,
    reader: JoinHandle<()>,
}

impl TerminalInput {
    fn start() -> TerminalInput {
        let (tx, events) = mpsc::channel(256);
        let reader = tokio::spawn(async move {
            let mut stream = EventStream::new();
            while let Some(event) = stream.next().await {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        TerminalInput { events, reader }
    }
}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Run the console until the user quits.
pub async fn console(clusters: Vec<ClusterConfig>, settings: Settings) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, theme_warning) = Theme::load(&settings.config.theme, no_color);
    // The embedded simulator ends with this process, and with it every task it ran: its jobs
    // have nothing to re-attach to, so they stay out of the journal kept for real clusters.
    let path = match settings.simulated {
        Some(_) => None,
        None => journal::default_path(),
    };
    let journal = match path {
        Some(path) => match Journal::open(&path) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("warning: {e}; actions will not survive a restart");
                Journal::disabled()
            }
        },
        None => Journal::disabled(),
    };
    // Before the screen is taken: a secret command that takes a while says what is waited for.
    let commands: Vec<&str> = clusters
        .iter()
        .filter(|c| c.secret_source().is_command())
        .map(|c| c.name.as_str())
        .collect();
    if !commands.is_empty() {
        eprintln!(
            "rack: reading the credentials of {} (secret commands)…",
            commands.join(", ")
        );
    }
    let (asker, questions) = Asker::new();
    let clients = connect(&clusters, Some(&asker));
    let mut app = App::new(settings, &clusters, clients, journal);
    app.questions = Some(questions);
    if let Some(w) = theme_warning {
        app.model.notify(Level::Warn, w);
    }
    app.run(&theme).await
}

impl App {
    /// Drive the console in this terminal until the user quits (or the session is closed).
    pub async fn run(&mut self, theme: &Theme) -> Result<()> {
        let mut terminal = ratatui::init();
        let _restore = Restore;
        match self.console_loop(&mut terminal, theme).await? {
            Ended::Quit => Ok(()),
            Ended::Gone(why) => {
                tracing::warn!(why, "the terminal went away; rack ends");
                // Its drop would show the cursor on a terminal that is gone, and say it failed.
                std::mem::forget(terminal);
                Ok(())
            }
        }
    }

    async fn console_loop(
        &mut self,
        terminal: &mut DefaultTerminal,
        theme: &Theme,
    ) -> Result<Ended> {
        // A paste arrives whole, so a line break in it cannot submit a form or a filter.
        crossterm::execute!(std::io::stdout(), EnableBracketedPaste)
            .wrap_err("cannot turn on bracketed paste")?;
        let size = terminal.size().wrap_err("cannot read the terminal size")?;
        self.push(Event::Resize(size.width, size.height));
        // Jobs taken over from the journal show before the first snapshot comes.
        self.model.refresh_views();
        self.start_polling();
        let mut input = TerminalInput::start();
        // A `kill` or a closed SSH session ends the console the way `q` does, terminal restored.
        let mut term = signal(SignalKind::terminate()).wrap_err("cannot watch for SIGTERM")?;
        let mut hangup = signal(SignalKind::hangup()).wrap_err("cannot watch for SIGHUP")?;
        let mut tick = tokio::time::interval(TICK);
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        loop {
            if dirty {
                let wait = FRAME.saturating_sub(last_draw.elapsed());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                // What arrived while waiting for the frame goes into this one.
                if let Err(e) = self.drain(&mut input) {
                    return Ok(Ended::Gone(format!("cannot read the terminal: {e}")));
                }
                if let Err(e) = terminal.draw(|frame| ui::draw(&self.model, theme, frame)) {
                    return Ok(Ended::Gone(format!("cannot draw: {e}")));
                }
                last_draw = Instant::now();
                dirty = false;
            }
            if self.model.quit {
                return Ok(Ended::Quit);
            }
            let event = tokio::select! {
                e = input.events.recv() => match e {
                    Some(Ok(e)) => terminal_event(e),
                    Some(Err(e)) => return Ok(Ended::Gone(format!("cannot read the terminal: {e}"))),
                    None => return Ok(Ended::Gone("the terminal's input ended".into())),
                },
                Some(e) = self.events.recv() => Some(e),
                Some(done) = self.work.join_next() => self.answered(done),
                Some(asked) = next_question(&mut self.questions) => {
                    self.question(asked);
                    None
                }
                _ = tick.tick() => Some(Event::Tick(self.now())),
                _ = term.recv() => return Ok(Ended::Quit),
                _ = hangup.recv() => return Ok(Ended::Gone("hung up (SIGHUP)".into())),
            };
            if let Some(event) = event {
                self.push(event);
                dirty = true;
            }
            match self.drain(&mut input) {
                Ok(any) => dirty |= any,
                Err(e) => return Ok(Ended::Gone(format!("cannot read the terminal: {e}"))),
            }
            if let Some(argv) = self.handoff.take() {
                input = self.hand_off(terminal, input, argv).await?;
                dirty = true;
            }
        }
    }

    /// Give the terminal to `argv` (ssh) until it exits — the screen, the cursor and the keys
    /// its own — while the console keeps taking in what its connections send; then take the
    /// terminal back and say how the command ended.
    async fn hand_off(
        &mut self,
        terminal: &mut DefaultTerminal,
        input: TerminalInput,
        argv: Vec<String>,
    ) -> Result<TerminalInput> {
        // The key reader stops first, and is waited for (its terminal reader goes with it): it
        // must not take the keys meant for ssh.
        let mut input = input;
        input.reader.abort();
        let _ = (&mut input.reader).await;
        drop(input);
        let mut stdout = std::io::stdout();
        let _ = crossterm::execute!(stdout, DisableBracketedPaste, Show);
        ratatui::restore();
        let shown = argv.join(" ");
        println!("rack: {shown} — rack comes back when it ends");
        let outcome = match argv.split_first() {
            None => Err("nothing to run".to_string()),
            Some((program, args)) => match Command::new(program).args(args).spawn() {
                Err(e) => Err(format!("cannot run {program}: {e}")),
                Ok(mut child) => {
                    // A ctrl-c before ssh takes the terminal is ssh's, not the end of rack.
                    let mut interrupt = signal(SignalKind::interrupt()).ok();
                    loop {
                        tokio::select! {
                            status = child.wait() => break status.map_err(|e| e.to_string()),
                            Some(e) = self.events.recv() => self.push(e),
                            Some(done) = self.work.join_next() => {
                                if let Some(e) = self.answered(done) {
                                    self.push(e);
                                }
                            }
                            Some(()) = next_signal(&mut interrupt) => {}
                        }
                    }
                }
            },
        };
        crossterm::terminal::enable_raw_mode().wrap_err("cannot take the terminal back")?;
        crossterm::execute!(stdout, EnterAlternateScreen, EnableBracketedPaste)
            .wrap_err("cannot take the terminal back")?;
        terminal.clear().wrap_err("cannot draw")?;
        let (level, text) = match outcome {
            Ok(status) if status.success() => (Level::Info, format!("{shown} ended")),
            Ok(status) => match status.code() {
                Some(code) => (
                    Level::Warn,
                    format!("{shown} ended with exit status {code}"),
                ),
                None => (Level::Warn, format!("{shown} was ended by a signal")),
            },
            Err(why) => (Level::Error, format!("ssh: {why}")),
        };
        self.model.notify(level, text);
        // The window may have changed while ssh had it.
        let size = terminal.size().wrap_err("cannot read the terminal size")?;
        self.push(Event::Resize(size.width, size.height));
        Ok(TerminalInput::start())
    }

    /// Push whatever is already queued, without waiting; true when anything was.
    fn drain(&mut self, input: &mut TerminalInput) -> Result<bool> {
        let mut any = false;
        while let Ok(event) = self.events.try_recv() {
            self.push(event);
            any = true;
        }
        while let Some(done) = self.work.try_join_next() {
            if let Some(event) = self.answered(done) {
                self.push(event);
            }
            any = true;
        }
        while let Ok(e) = input.events.try_recv() {
            if let Some(event) = terminal_event(e.wrap_err("cannot read the terminal")?) {
                self.push(event);
                any = true;
            }
        }
        Ok(any)
    }
}

/// The next signal, or never when it could not be watched.
async fn next_signal(watch: &mut Option<Signal>) -> Option<()> {
    match watch {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// The next question, or never when there is no one to ask.
async fn next_question(questions: &mut Option<mpsc::UnboundedReceiver<Asked>>) -> Option<Asked> {
    match questions {
        Some(q) => q.recv().await,
        None => std::future::pending().await,
    }
}

fn terminal_event(e: TermEvent) -> Option<Event> {
    match e {
        TermEvent::Key(k) => Some(Event::Key(k)),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        _ => None,
    }
}
