//! End to end, as a person would use it: `rack` started in a real terminal (tmux), keys sent,
//! the screen read back. With no config it runs on its embedded simulated cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of its own, so tests neither see nor disturb anyone else's sessions.
struct Tmux {
    socket: String,
    home: PathBuf,
}

impl Tmux {
    fn start(name: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("rack-test-{}-{name}", std::process::id());
        let home = std::env::temp_dir().join(&socket);
        std::fs::create_dir_all(&home).unwrap();
        let tmux = Tmux { socket, home };
        let rack = env!("CARGO_BIN_EXE_rack");
        // An empty home: no config file, so the embedded simulator; the shell line after rack
        // shows its exit status and that the terminal is usable again.
        let script = format!(
            "env -u RACK_CONFIG HOME={home} XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state TERM=xterm-256color {rack}; echo \"rack exited $?\"; sleep 600",
            home = tmux.home.display()
        );
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            &script,
        ]);
        assert!(out.status.success(), "tmux: {out:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (.ci/run installs it)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", k]);
        }
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
    }

    /// The screen once `pred` holds, or a failure showing the last screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited 30 s for {what}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

#[test]
fn start_find_filter_help_quit() {
    let t = Tmux::start("walk", 100, 30);
    let screen = t.wait_for("the hosts", |s| {
        s.contains("pve-ms01-01") && s.contains("online")
    });
    assert!(screen.contains("SIMULATED"), "{screen}");
    assert_eq!(
        t.format("#{alternate_on}"),
        "1",
        "rack draws on the alternate screen"
    );

    t.keys(&["2"]);
    t.wait_for("the instances", |s| s.contains("talos-k8s-01"));
    t.keys(&["/"]);
    t.text("tag:db");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the filter to apply", |s| {
        s.contains("</tag:db>") && !s.contains("talos-k8s-01")
    });
    assert!(screen.contains("postgres-01"), "{screen}");

    t.keys(&["?"]);
    t.wait_for("help", |s| s.contains("Keys") && s.contains("quit rack"));
    t.keys(&["Escape"]);
    t.wait_for("help to close", |s| !s.contains("quit rack"));

    t.keys(&["q"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
    // The terminal is back: main screen, cursor shown, nothing of rack's left on it.
    assert_eq!(t.format("#{alternate_on}"), "0");
    assert_eq!(t.format("#{cursor_flag}"), "1");
    assert!(!screen.contains("pve-ms01-01"), "{screen}");
}

#[test]
fn resize_and_command_line() {
    let t = Tmux::start("resize", 80, 24);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&[":"]);
    t.text("ct");
    t.keys(&["Enter"]);
    t.wait_for("the containers", |s| {
        s.contains("Containers(") && s.contains("grafana")
    });
    t.run(&["resize-window", "-x", "160", "-y", "45"]);
    // At 160 columns the detail of the selected container sits beside the table.
    t.wait_for("the wide layout", |s| {
        s.lines()
            .any(|l| l.contains("grafana") && l.contains("CT 200"))
            || s.contains("CT 200 grafana")
    });
    t.keys(&["C-c"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
    assert_eq!(t.format("#{alternate_on}"), "0");
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tmux::start("term", 80, 24);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    let pid = t.format("#{pane_pid}");
    // The pane runs sh, whose child is rack.
    let out = Command::new("pkill")
        .args(["-TERM", "-P", &pid, "-x", "rack"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
    assert_eq!(t.format("#{alternate_on}"), "0");
}
