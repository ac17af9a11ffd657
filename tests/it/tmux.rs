//! End to end, as a person would use it: `rack` started in a real terminal (tmux), keys sent,
//! the screen read back. With no config it runs on its embedded simulated cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::process::{Command, Output};

use crate::common;
use std::time::{Duration, Instant};

mod fleet;
mod handoff;
mod quiet_exit;

/// Where the demo's and the simulators' clocks start (Tuesday 2026-03-10 10:00 UTC): never today.
const EPOCH: u64 = 1_773_136_800;

/// A tmux server of its own, so tests neither see nor disturb anyone else's sessions.
struct Tmux {
    socket: String,
    home: common::Scratch,
}

impl Tmux {
    fn start(name: &str, width: u16, height: u16) -> Tmux {
        Self::start_with(name, width, height, "", "")
    }

    /// `rack` run with `env` (assignments) and `args`, in an empty home: no config unless the
    /// test writes one, so the embedded simulator. The shell line after rack shows its exit
    /// status and that the terminal is usable again; Enter then starts rack once more.
    fn start_with(name: &str, width: u16, height: u16, env: &str, args: &str) -> Tmux {
        let socket = format!("rack-test-{}-{name}", std::process::id());
        let home = common::Scratch::new(&socket);
        let tmux = Tmux { socket, home };
        let rack = env!("CARGO_BIN_EXE_rack");
        let run = format!(
            "env -u RACK_CONFIG HOME={home} XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state RACK_DATA_DIR={home}/data RACK_DEMO_START={start} {env} TERM=xterm-256color {rack} {args}",
            home = tmux.home.display(),
            start = EPOCH,
        );
        let script = format!(
            "{run}; echo \"rack exited $?\"; read again; {run}; echo \"rack exited again $?\"; sleep 600"
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
        self.run(&["send-keys", "-l", "--", text]);
    }

    /// The screen once `pred` holds, or a failure showing the last screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_long(what, 30, pred)
    }

    fn wait_long(&self, what: &str, seconds: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited {seconds} s for {what}; the screen shows:\n{screen}");
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
fn a_paste_arrives_whole() {
    let t = Tmux::start("paste", 100, 30);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&["2", "/"]);
    // Pasted, a line break is part of the text: it neither closes the filter nor lets the
    // rest run as keys.
    t.run(&["set-buffer", "-b", "clip", "tag:db\nx"]);
    t.run(&["paste-buffer", "-p", "-b", "clip"]);
    let screen = t.wait_for("the pasted filter", |s| {
        s.lines().last().is_some_and(|l| l.starts_with("/tag:db x"))
    });
    assert!(screen.contains("Instances("), "{screen}");
    t.keys(&["Escape", "q"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
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

#[test]
fn create_a_vm_through_the_form() {
    let t = Tmux::start("create", 120, 40);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&["c"]);
    let screen = t.wait_for("the form with the catalog read", |s| {
        s.contains("Create VM") && s.contains("Placement (spread)") && !s.contains("reading nodes")
    });
    // Networks by name: the demo's untagged "lan" first.
    assert!(screen.contains("lan  (vmbr0)"), "{screen}");
    assert!(screen.contains("a name is needed"), "{screen}");
    // It starts from the first role and its instance type.
    assert!(
        screen.contains("small  (2 vCPU · 4.0 GiB · 32 GiB)"),
        "{screen}"
    );
    // Tab to the name; a bad character is refused as typed, with the reason beside it.
    t.keys(&["Tab", "Tab", "Tab"]);
    t.text("tmux_vm");
    t.wait_for("the reason", |s| s.contains("'_' is not allowed"));
    t.keys(&["Enter"]);
    t.wait_for("the refusal", |s| s.contains("not yet: name"));
    t.keys(&["BSpace", "BSpace", "BSpace"]);
    t.text("-vm");
    t.wait_for("the name accepted", |s| {
        s.contains("tmux-vm") && !s.contains("is not allowed")
    });
    // The node is "auto": the ranking is under the fields, and follows the devices asked for.
    t.wait_for("the ranking", |s| {
        s.contains("Placement (spread)") && s.contains("→ pve-")
    });
    for _ in 0..3 {
        t.keys(&["Tab"]);
    }
    t.text("gpu");
    let screen = t.wait_for("the ranking for a GPU", |s| {
        s.contains("→ pve-aimax-01") && s.contains("no free gpu")
    });
    assert!(screen.contains("device 0000:c5:00.0"), "{screen}");
    // Memory with units.
    for _ in 0..2 {
        t.keys(&["Tab"]);
    }
    for _ in 0..6 {
        t.keys(&["BSpace"]);
    }
    t.text("3 GiB");
    t.wait_for("the memory", |s| s.contains("3 GiB"));
    t.keys(&["Enter"]);
    t.wait_long("the VM to be created", 60, |s| {
        s.contains("done: create VM") && s.contains("tmux-vm")
    });
    t.keys(&["2"]);
    t.keys(&["/"]);
    t.text("tmux-vm");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the new VM in the list", |s| {
        s.lines()
            .any(|l| l.contains("tmux-vm") && l.contains("stopped"))
    });
    assert!(
        screen.contains("3.0 GiB") || screen.contains("/3.0"),
        "{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
}

/// Select VM 101 (talos-k8s-01) in the instances pane and migrate it to the first allowed node.
fn start_migration(t: &Tmux) {
    t.keys(&["2"]);
    t.wait_for("the instances", |s| s.contains("talos-k8s-01"));
    t.keys(&["/"]);
    t.text("talos-k8s-01");
    t.keys(&["Enter"]);
    t.wait_for("the filter", |s| !s.contains("talos-k8s-02"));
    t.keys(&["m"]);
    t.wait_for("the migrate dialog with targets", |s| {
        s.contains("Migrate VM 101") && s.contains("▶ pve-")
    });
    t.keys(&["Enter"]);
    t.keys(&["7"]);
}

#[test]
fn migrate_with_progress_visible() {
    let t = Tmux::start("migrate", 140, 40);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    start_migration(&t);
    let screen = t.wait_long("the transfer progress", 60, |s| s.contains("% memory"));
    assert!(screen.contains("rack migrate VM 101"), "{screen}");
    assert!(screen.contains("GiB of"), "transferred of total: {screen}");
    t.wait_long("the migration to end", 90, |s| {
        s.contains("migration finished successfully")
    });
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
}

/// A simulator of its own, in a separate process, so it outlives a restart of rack.
struct SimProcess {
    child: std::process::Child,
    url: String,
    fingerprint: String,
    token: String,
    password: String,
    /// The TOTP secret of its user with a second factor.
    tfa_secret: Vec<u8>,
}

impl SimProcess {
    fn start(speed: &str) -> SimProcess {
        Self::start_on("homelab", speed)
    }

    /// A simulator of the built-in `scenario` (`laptop`: a standalone node).
    fn start_on(scenario: &str, speed: &str) -> SimProcess {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_rack"))
            .args(["sim", "--listen", "127.0.0.1:0", "--speed", speed])
            .args(["--scenario", scenario])
            .args(["--start", &EPOCH.to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut field = |name: &str| {
            let line = lines.next().unwrap().unwrap();
            line.strip_prefix(&format!("{name}: "))
                .unwrap_or_else(|| panic!("expected {name}, got {line}"))
                .to_string()
        };
        let url = field("url");
        let fingerprint = field("fingerprint");
        let token = field("token");
        let password = field("password");
        // Read to the end of what it prints: a closed pipe would end it on its next write.
        let tfa = field("tfa user");
        let secret = tfa
            .split("TOTP secret ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap();
        SimProcess {
            child,
            url,
            fingerprint,
            token,
            password,
            tfa_secret: rack::sim::tfa::from_base32(secret).unwrap(),
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A user whose realm wants a second factor: the console asks for it in a masked field, and
/// the cluster is read once it is given.
#[test]
fn a_second_factor_is_asked_for_in_the_console() {
    let sim = SimProcess::start("0");
    let home = common::Scratch::new("tfa");
    let config = home.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\nuser = \"ops@pve\"\npassword_env = \"RACK_TEST_PASSWORD\"\nfingerprint = \"{}\"\n",
            sim.url, sim.fingerprint
        ),
    )
    .unwrap();
    let env = format!(
        "RACK_CONFIG={} RACK_TEST_PASSWORD={}",
        config.display(),
        sim.password
    );
    let t = Tmux::start_with("tfa", 100, 30, &env, "");
    let screen = t.wait_for("the question", |s| s.contains("Second factor for lab"));
    assert!(
        screen.contains("Proxmox asks for a TOTP code or a recovery key (10 left)."),
        "{screen}"
    );
    let code = rack::sim::tfa::code_now(&sim.tfa_secret, EPOCH as f64);
    t.text(&code);
    let screen = t.wait_for("the code, masked", |s| s.contains("> ••••••"));
    assert!(!screen.contains(&code), "the code is never shown: {screen}");
    t.keys(&["Enter"]);
    t.wait_for("the hosts", |s| {
        s.contains("pve-ms01-01") && s.contains("online") && !s.contains("Second factor")
    });
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
}

#[test]
fn a_migration_is_followed_again_after_rack_restarts() {
    let sim = SimProcess::start("0.5");
    let (token_id, secret) = sim.token.split_once('=').unwrap();
    let socket_home = common::Scratch::new("restart");
    let config = socket_home.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{token_id}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\nfingerprint = \"{}\"\n",
            sim.url, sim.fingerprint
        ),
    )
    .unwrap();
    let env = format!("RACK_CONFIG={} RACK_TEST_SECRET={secret}", config.display());
    let t = Tmux::start_with("restart", 140, 40, &env, "");
    t.wait_for("the hosts", |s| {
        s.contains("pve-ms01-01") && !s.contains("SIMULATED")
    });
    start_migration(&t);
    t.wait_long("the migration under way", 60, |s| s.contains("% memory"));
    // Quit while it runs, and start again.
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
    t.keys(&["Enter"]);
    t.wait_for("rack again", |s| {
        s.contains("pve-ms01-01") && s.contains("Hosts")
    });
    t.keys(&["7"]);
    // The job is listed from the journal first; the note comes when the queue takes it up.
    t.wait_for("the job, picked up again", |s| {
        s.contains("rack migrate VM 101") && s.contains("followed again after rack restarted")
    });
    // The log's last line can show a moment before the job's end is reported: wait for both.
    t.wait_long("the migration to end", 90, |s| {
        s.contains("migration finished successfully")
            && s.contains("done: migrate VM 101 (talos-k8s-01) to pve-aimax-01")
    });
    // The simulator agrees: the guest now runs on the target.
    let out = Command::new(env!("CARGO_BIN_EXE_rack"))
        .args(["get", "instances", "-o", "json"])
        .env("RACK_CONFIG", &config)
        .env("RACK_TEST_SECRET", secret)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vm = list
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["vmid"] == 101)
        .unwrap();
    assert_eq!(vm["node"], "pve-aimax-01", "{vm}");
    t.keys(&["q"]);
    t.wait_for("rack to exit again", |s| s.contains("rack exited again 0"));
}

#[test]
fn the_datacenter_panes_noout_ha_and_a_restore_from_the_keyboard() {
    let t = Tmux::start("datacenter", 120, 40);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&["4"]);
    t.wait_for("the networks", |s| {
        s.contains("vmbr0.48") && s.contains("vnet")
    });
    t.keys(&["6"]);
    t.wait_for("the backup jobs and guests", |s| {
        s.contains("backup-daily-production") && s.contains("no backup job covers it")
    });
    t.keys(&["5"]);
    t.wait_for("Ceph", |s| s.contains("HEALTH_OK") && s.contains("osd.0"));
    t.keys(&["/"]);
    t.text("noout");
    t.keys(&["Enter", "t"]);
    t.wait_for("the confirmation", |s| s.contains("set Ceph flag noout"));
    t.keys(&["y"]);
    t.wait_long("the flag set and Ceph warning of it", 30, |s| {
        s.contains("flags noout") && s.contains("OSDMAP_FLAGS")
    });
    t.keys(&["8"]);
    t.wait_for("HA: votes, the master, services and rules", |s| {
        s.contains("votes 3/3") && s.contains("CRM master") && s.contains("ingress-apart")
    });
    // Restore grafana's newest backup as a new container, from the form.
    t.keys(&["6", "/"]);
    t.text("grafana");
    t.keys(&["Enter", "R"]);
    // Submitted once every field is checked (the next free VMID arrives with the catalog).
    t.wait_for("the restore form, every field checked", |s| {
        s.contains("Restore a backup of CT 200")
            && s.contains("grafana-restored")
            && !s.contains('✗')
            && s.matches('✓').count() >= 5
    });
    t.keys(&["Enter"]);
    t.keys(&["7"]);
    t.wait_long("the restore done", 60, |s| {
        s.contains("done: restore CT 200")
    });
    t.keys(&["q"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
}

/// A node's maintenance plan from the keyboard, as a person walks it: `x` on a node in Hosts,
/// read while it shows, scrolled to its verdict, closed with Esc; nothing happens to the node.
#[test]
fn the_maintenance_plan_from_the_keyboard() {
    let t = Tmux::start("maint", 80, 24);
    t.wait_for("the hosts", |s| {
        s.contains("pve-ms01-01") && s.contains("online")
    });
    // Sorted by name: the second node is pve-ms01-01.
    t.keys(&["j"]);
    t.keys(&["x"]);
    let screen = t.wait_for("the plan", |s| {
        s.contains("Maintenance of pve-ms01-01") && s.contains("Pre-checks")
    });
    assert!(screen.contains("quorum"), "{screen}");
    t.keys(&["PageDown"]);
    t.wait_for("the second page", |s| s.contains("Updates"));
    t.keys(&["PageDown"]);
    let screen = t.wait_for("the updates", |s| s.contains("packages upgradable"));
    assert!(screen.contains("pve-manager 9.1.2 → 9.1.4"), "{screen}");
    t.keys(&["End"]);
    let screen = t.wait_for("the verdict", |s| {
        s.contains("The walkthrough could start.")
    });
    assert!(
        screen.contains("reboot the node (it boots kernel 6.17.4-1-pve)"),
        "{screen}"
    );
    t.keys(&["Escape"]);
    // Waited for whole: a capture may catch the terminal half redrawn, the plan's lower lines
    // still there.
    let screen = t.wait_for("the plan to close, nothing changed", |s| {
        !s.contains("Maintenance of") && !s.contains("maintenance") && !s.contains("Steps")
    });
    assert!(screen.contains("pve-ms01-01"), "{screen}");
}

/// The walkthrough from the keyboard: started from the plan (Enter, Enter), followed to
/// "ready" with each step ticked, closed while it is kept (the header says where it stands),
/// reopened with `x`, and turned around with `e`: every guest goes back.
#[test]
fn the_maintenance_walkthrough_from_the_keyboard() {
    let sim = SimProcess::start("40");
    let (token_id, secret) = sim.token.split_once('=').unwrap();
    let socket_home = common::Scratch::new("walk");
    let config = socket_home.join("rack.toml");
    let rack = env!("CARGO_BIN_EXE_rack");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{url}\"]\ntoken_id = \"{token_id}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\nfingerprint = \"{fp}\"\nha_command = \"'{rack}' sim-control --url {url} --fingerprint {fp} POST /nodes/{{node}}/maintenance action={{action}}\"\n",
            url = sim.url,
            fp = sim.fingerprint
        ),
    )
    .unwrap();
    let env = format!(
        "RACK_CONFIG={} RACK_TEST_SECRET={secret} RACK_SIM_TOKEN={}",
        config.display(),
        sim.token
    );
    let t = Tmux::start_with("walk", 100, 30, &env, "");
    t.wait_for("the hosts", |s| {
        s.contains("pve-ms01-01") && s.contains("online")
    });
    t.keys(&["j", "x"]);
    t.wait_for("the plan", |s| {
        s.contains("Pre-checks") && s.contains("Enter start the walkthrough")
    });
    t.keys(&["Enter"]);
    t.wait_for("the question", |s| {
        s.contains("Start the maintenance walkthrough of pve-ms01-01?")
    });
    t.keys(&["Enter"]);
    t.wait_for("the walkthrough", |s| {
        s.contains("Maintenance of pve-ms01-01 · walkthrough")
    });
    let screen = t.wait_long("ready for maintenance", 120, |s| {
        s.contains("walkthrough · ready for maintenance")
    });
    for text in [
        "✓ set Ceph noout",
        "✓ move the guests (4 of 4 done, 2 at a time)",
        "✓ enable HA node maintenance",
        "b reboot · o shut down · e bring it back",
    ] {
        assert!(screen.contains(text), "{text}:\n{screen}");
    }
    // Closed, it is still there: the header says so, and x shows it again.
    t.keys(&["Escape"]);
    t.wait_for("the panes, the walkthrough in the status line", |s| {
        !s.contains("· walkthrough") && s.contains("maint pve-ms01-01 ready for maintenance")
    });
    t.keys(&["x"]);
    t.wait_for("the walkthrough again", |s| s.contains("· walkthrough"));
    t.keys(&["e"]);
    let screen = t.wait_for("the way back's choice", |s| {
        s.contains("Which guests go back to it?")
    });
    assert!(screen.contains("[x]   101 talos-k8s-01"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_long("the way back", 120, |s| s.contains("walkthrough · back"));
    assert!(screen.contains("✓ unset Ceph noout"), "{screen}");
    t.keys(&["Escape"]);
    // Over, it is forgotten when its view closes (waited for: a capture can catch the terminal
    // half redrawn).
    t.wait_for("the walkthrough to be forgotten", |s| {
        !s.contains("· walkthrough") && !s.contains("maint pve-ms01-01")
    });
    t.keys(&["q"]);
    t.wait_for("rack to exit", |s| s.contains("rack exited 0"));
}

/// A node shell from the Hosts pane, as a person uses it: `hostname`, the full-screen `top`, the
/// escape key back to the panes, and `:term 1` back to the same session, `top` still running.
#[test]
fn a_node_shell_from_the_hosts_pane() {
    let t = Tmux::start("shell", 100, 30);
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&[":"]);
    t.text("shell pve-ms01-01");
    t.keys(&["Enter"]);
    t.wait_for("the prompt", |s| s.contains("root@pve-ms01-01:~# "));
    t.text("hostname");
    t.keys(&["Enter"]);
    t.wait_for("the node's name", |s| {
        s.contains("root@pve-ms01-01:~# hostname\npve-ms01-01\n")
    });
    t.text("top");
    t.keys(&["Enter"]);
    t.wait_for("top", |s| {
        s.contains("load average") && s.contains("COMMAND")
    });
    t.keys(&["C-]"]);
    let panes = t.wait_for("the panes", |s| {
        s.contains("Hosts(") && !s.contains("COMMAND")
    });
    assert!(panes.contains("pve-aimax-01"), "{panes}");
    t.keys(&[":"]);
    t.text("term 1");
    t.keys(&["Enter"]);
    t.wait_for("the same session, top still on", |s| {
        s.contains("shell pve-ms01-01") && s.contains("COMMAND")
    });
    t.keys(&["q"]);
    t.wait_for("the prompt again", |s| {
        !s.contains("COMMAND") && s.contains("root@pve-ms01-01:~# ")
    });
    t.keys(&["C-]"]);
    t.wait_for("the panes", |s| s.contains("Hosts("));
    t.keys(&["q"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
}
