//! Terminals against the simulator over HTTPS and websockets, through rack's client: a node
//! shell, a container console and a VM's serial port; what is typed is answered, a resize
//! reaches the far end, a dropped connection is reported, and Proxmox's refusals read as its.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::time::Duration;

use rack::pve::client::{Target, Terminal};
use rack::pve::{Client, ClientOptions, Credentials, Error, Secret};

use crate::common;

fn client(sim: &common::Sim, credentials: Credentials) -> Client {
    let mut options = ClientOptions::new(vec![sim.handle.url.clone()], credentials);
    options.trust.pins = sim.handle.fingerprint.clone().into_iter().collect();
    Client::new(options).unwrap()
}

fn root(sim: &common::Sim) -> Client {
    client(
        sim,
        Credentials::Password {
            user: sim.handle.user.clone(),
            password: Secret::new(sim.handle.password.clone()),
        },
    )
}

fn token(sim: &common::Sim) -> Client {
    client(
        sim,
        Credentials::Token {
            id: sim.handle.token_id.clone(),
            secret: Secret::new(sim.handle.token_secret.clone()),
        },
    )
}

fn shell(node: &str, upgrade: bool) -> Target {
    Target::Node {
        node: node.into(),
        upgrade,
    }
}

/// A terminal and the emulator its output is fed into.
struct Screen {
    term: Terminal,
    vt: vt100::Parser,
    closed: bool,
}

impl Screen {
    async fn open(c: &Client, target: Target) -> Self {
        let term = c.open_terminal(&target).await.unwrap();
        Self {
            term,
            vt: vt100::Parser::new(24, 80, 1000),
            closed: false,
        }
    }

    fn text(&self) -> String {
        self.vt.screen().contents()
    }

    /// Read output until the screen shows `what` (or fail after 10 s).
    async fn until(&mut self, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.text().contains(what) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.term.reader.next()).await {
                Ok(Some(Ok(bytes))) => self.vt.process(&bytes),
                Ok(None) => {
                    self.closed = true;
                    break;
                }
                Ok(Some(Err(e))) => panic!("{e}"),
                Err(_) => break,
            }
        }
        assert!(
            self.text().contains(what),
            "{what:?} not on the screen:\n{}",
            self.text()
        );
    }

    /// Read until the far end closes.
    async fn until_closed(&mut self) {
        let deadline = Duration::from_secs(10);
        loop {
            match tokio::time::timeout(deadline, self.term.reader.next()).await {
                Ok(Some(Ok(bytes))) => self.vt.process(&bytes),
                Ok(None) | Ok(Some(Err(_))) => break,
                Err(_) => panic!("still open:\n{}", self.text()),
            }
        }
        self.closed = true;
    }

    async fn type_line(&mut self, line: &str) {
        self.term
            .writer
            .input(format!("{line}\r").as_bytes())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_node_shell_answers_from_the_world_and_follows_resizes() {
    let sim = common::start("homelab", 0.0).await;
    let c = root(&sim);
    let node = shell("pve-ms01-01", false);
    let mut s = Screen::open(&c, node).await;
    s.until("root@pve-ms01-01:~# ").await;
    s.type_line("hostname").await;
    s.until("\npve-ms01-01\n").await;
    s.type_line("qm list").await;
    s.until("talos-k8s-01").await;
    s.until("docker-host-01").await;
    // The far end sees the new size.
    s.term.writer.resize(132, 43).await.unwrap();
    s.vt.screen_mut().set_size(43, 132);
    s.type_line("stty size").await;
    s.until("43 132").await;
    s.type_line("frobnicate").await;
    s.until("-bash: frobnicate: command not found").await;
    // The shell's task runs while it is open and ends with it.
    let upid = s.term.upid.clone();
    assert!(upid.contains(":vncshell::root@pam:"), "{upid}");
    let path = format!(
        "/nodes/pve-ms01-01/tasks/{}/status",
        rack::pve::path::segment(&upid)
    );
    assert_eq!(sim.get(&path).await.data()["status"], "running");
    s.type_line("exit").await;
    s.until_closed().await;
    let mut ended = false;
    for _ in 0..50 {
        if sim.get(&path).await.data()["status"] == "stopped" {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "the vncshell task still runs");
}

#[tokio::test]
async fn top_takes_the_alternate_screen_and_gives_it_back() {
    let sim = common::start("homelab", 0.0).await;
    let c = root(&sim);
    let node = shell("pve-ms01-01", false);
    let mut s = Screen::open(&c, node).await;
    s.until("root@pve-ms01-01:~# ").await;
    s.type_line("top").await;
    s.until("load average").await;
    s.until("COMMAND").await;
    s.until("kvm -id ").await;
    assert!(s.vt.screen().alternate_screen());
    s.term.writer.input(b"q").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while s.vt.screen().alternate_screen() && tokio::time::Instant::now() < deadline {
        if let Ok(Some(Ok(b))) =
            tokio::time::timeout(Duration::from_secs(1), s.term.reader.next()).await
        {
            s.vt.process(&b);
        }
    }
    assert!(!s.vt.screen().alternate_screen());
    assert!(s.text().contains("root@pve-ms01-01:~# "), "{}", s.text());
}

#[tokio::test]
async fn a_container_console_is_a_shell_inside_it() {
    let sim = common::start("homelab", 0.0).await;
    let c = token(&sim);
    let ct = Target::Container {
        node: "pve-ms01-01".into(),
        vmid: 200,
    };
    let mut s = Screen::open(&c, ct).await;
    s.until(":~# ").await;
    s.type_line("ip -br a").await;
    s.until("eth0").await;
    s.until("10.8.28.50/22").await;
}

#[tokio::test]
async fn a_vm_serial_console_shows_a_login_and_a_missing_port_says_how() {
    let sim = common::start("homelab", 0.0).await;
    let c = token(&sim);
    let serial = Target::Serial {
        node: "pve-ms01-02".into(),
        vmid: 104,
        port: "serial0".into(),
    };
    let mut s = Screen::open(&c, serial).await;
    s.until("starting serial terminal on interface serial0")
        .await;
    s.until("postgres-01 login: ").await;
    s.type_line("root").await;
    s.until("Password: ").await;
    s.type_line("secret").await;
    s.until("root@postgres-01:~# ").await;
    // VM 101 has no serial port: qm terminal says so inside the terminal, then it closes.
    let none = Target::Serial {
        node: "pve-ms01-01".into(),
        vmid: 101,
        port: "serial0".into(),
    };
    let mut s = Screen::open(&c, none).await;
    s.until_closed().await;
    assert!(
        s.text()
            .contains("serial interface 'serial0' is not configured"),
        "{}",
        s.text()
    );
}

#[tokio::test]
async fn a_token_gets_a_login_prompt_as_on_proxmox() {
    let sim = common::start("homelab", 0.0).await;
    let c = token(&sim);
    let node = shell("pve-ms01-02", false);
    let mut s = Screen::open(&c, node).await;
    s.until("pve-ms01-02 login: ").await;
    s.type_line("root").await;
    s.until("Password: ").await;
    s.type_line("wrong").await;
    s.until("Login incorrect").await;
    s.type_line("root").await;
    s.until("Password: ").await;
    s.type_line(&sim.handle.password).await;
    s.until("root@pve-ms01-02:~# ").await;
}

#[tokio::test]
async fn a_dropped_connection_ends_the_reader() {
    let sim = common::start("homelab", 0.0).await;
    let c = root(&sim);
    let node = shell("pve-aimax-01", false);
    let mut s = Screen::open(&c, node).await;
    s.until("root@pve-aimax-01:~# ").await;
    sim.control("POST", "/faults", &[("spec", "unreachable=pve-aimax-01")])
        .await;
    s.until_closed().await;
    assert!(s.closed);
}

#[tokio::test]
async fn upgrade_runs_pveupgrade_and_leaves_nothing_pending() {
    let sim = common::start("homelab", 0.0).await;
    let c = root(&sim);
    let before = sim.get("/nodes/pve-ms01-01/apt/update").await;
    let pending = before.data().as_array().unwrap().len();
    assert!(pending > 0, "the scenario offers upgrades");
    let node = shell("pve-ms01-01", true);
    let mut s = Screen::open(&c, node).await;
    s.until("Starting system upgrade: apt-get dist-upgrade")
        .await;
    s.until("Do you want to continue? [Y/n] ").await;
    s.type_line("Y").await;
    s.until("Your System is up-to-date").await;
    s.until("starting shell").await;
    let after = sim.get("/nodes/pve-ms01-01/apt/update").await;
    assert_eq!(after.data().as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_wrong_ticket_is_refused_as_proxmox_refuses_it() {
    let sim = common::start("homelab", 0.0).await;
    let opened = sim.post("/nodes/pve-ms01-01/termproxy", &[]).await;
    let port = opened.data()["port"].as_u64().unwrap();
    assert!((5900..6000).contains(&port));
    assert!(
        opened.data()["ticket"]
            .as_str()
            .unwrap()
            .starts_with("PVEVNC:")
    );
    let bad = sim
        .get(&format!(
            "/nodes/pve-ms01-01/vncwebsocket?port={port}&vncticket=PVEVNC:00000000::nope"
        ))
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.body["message"],
        "permission denied - invalid PVEVNC ticket\n"
    );
    // Opening a shell needs Sys.Console on the node.
    sim.control(
        "POST",
        "/tokens",
        &[
            ("id", "viewer@pve!ro"),
            ("secret", "s3cret"),
            ("privs", "/=VM.Audit,Sys.Audit"),
        ],
    )
    .await;
    let c = client(
        &sim,
        Credentials::Token {
            id: "viewer@pve!ro".into(),
            secret: Secret::new("s3cret"),
        },
    );
    let refused = c.open_terminal(&shell("pve-ms01-01", false)).await;
    match refused {
        Err(Error::Api {
            status: 403,
            message,
            ..
        }) => {
            assert!(message.contains("Sys.Console"), "{message}")
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened without Sys.Console"),
    }
}

/// `rack shell NODE` from a script: a here-document typed into the node's shell, its transcript
/// on stdout; the cluster reads with a token, terminals log in as [clusters.shell] root@pam
/// and get the root shell.
#[tokio::test(flavor = "multi_thread")]
async fn rack_shell_runs_a_here_document() {
    let sim = common::start("homelab", 0.0).await;
    let dir = common::Scratch::new("shell-heredoc");
    let config = dir.join("rack.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{}\"]\ntoken_id = \"{}\"\ntoken_secret_env = \"RACK_TEST_SECRET\"\nfingerprint = \"{}\"\n[clusters.shell]\nuser = \"root@pam\"\npassword_env = \"RACK_TEST_PASSWORD\"\n",
            sim.handle.url,
            sim.handle.token_id,
            sim.handle.fingerprint.clone().unwrap()
        ),
    )
    .unwrap();
    let run = |args: &[&str], input: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rack"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("RACK_TEST_PASSWORD", &sim.handle.password)
            .env("RACK_TEST_SECRET", &sim.handle.token_secret)
            .env("RACK_DATA_DIR", dir.join("data"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["shell", "pve-ms01-01"], "hostname\npct list\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("root@pve-ms01-01:~# hostname\npve-ms01-01\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("VMID       Status     Lock         Name"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("logout"), "{stdout}");
    assert!(!stdout.contains('\r'), "{stdout:?}");
    // A container's console the same way; a node that is not there says so.
    let out = run(&["console", "200"], "hostname\nexit\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(":~# hostname\n"));
    let out = run(&["shell", "pve-nope"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pve-nope"));
}

/// In the console: `:shell` opens the node's shell full screen, the escape key goes back to the
/// panes with the session kept, `:term 1` returns, a stopped guest has no console, and a node
/// that goes away closes the session with the reason and `r` to reconnect.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_keeps_a_shell_behind_the_escape_key() {
    use crate::common::console::{Console, code, key, typed};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut c = Console::start(100, 30).await;
    let command = async |c: &mut Console, text: &str| {
        c.keys(&[key(':')]).await;
        c.keys(&typed(text)).await;
        c.keys(&[code(KeyCode::Enter)]).await;
    };
    command(&mut c, "shell pve-ms01-01").await;
    let screen = c.until("root@pve-ms01-01:~# ").await;
    assert!(
        screen.contains("shell pve-ms01-01  ctrl-] back to the panes"),
        "{screen}"
    );
    c.keys(&typed("hostname")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    c.until("\"pve-ms01-01  ").await;
    let escape = KeyEvent::new(KeyCode::Char(']'), KeyModifiers::CONTROL);
    c.keys(&[escape]).await;
    assert!(c.screen().contains("Hosts("), "{}", c.screen());
    command(&mut c, "console 110").await;
    assert!(
        c.screen()
            .contains("console: 110 ai-training-01 is stopped"),
        "{}",
        c.screen()
    );
    // A VM without a serial port says how to add one (its config is read once selected).
    command(&mut c, "vm").await;
    command(&mut c, "console 101").await;
    assert!(
        c.screen()
            .contains("console: VM 101 has no serial port: add one with"),
        "{}",
        c.screen()
    );
    command(&mut c, "term 1").await;
    assert!(
        c.screen().contains("root@pve-ms01-01:~# hostname"),
        "{}",
        c.screen()
    );
    c.sim
        .control("POST", "/faults", &[("spec", "unreachable=pve-ms01-01")])
        .await;
    c.until("closed: the connection closed (the shell ended, or its node went away) — r")
        .await;
}
