//! One simulated terminal's far end: a line editor with a prompt, the commands behind it, the
//! full-screen `top`, a VM's serial login and `pveupgrade`. Input is bytes as a terminal sends
//! them; output is bytes with `\r\n` line ends, as a pty gives them.

use super::commands::{self, Host, Outcome};
use super::top;
use crate::SimState;
use crate::scenario::GuestKind;
use crate::world::World;
use rack_pve::termproxy::Target;

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    Prompt,
    /// `top` on the alternate screen; redrawn every few ticks.
    Top {
        ticks: u32,
    },
    /// A VM's serial console asking for a login name, then a password.
    Login,
    Password {
        user: String,
    },
    /// `pveupgrade` asking "Do you want to continue? [Y/n]".
    Confirm,
}

pub struct Session {
    host: Host,
    /// Where `top` and the upgrade look: the node the terminal runs on.
    node: String,
    cols: u16,
    rows: u16,
    line: String,
    mode: Mode,
    /// Inside an escape sequence from the keyboard (arrows and the like are ignored).
    escape: Option<String>,
    closed: bool,
}

/// How many ticks (of the socket's 250 ms) between two `top` frames.
const TOP_EVERY: u32 = 8;

impl Session {
    /// Open the far end: the session and what it prints first. A terminal that cannot run (no
    /// such serial port, a guest not running) prints why and is closed at once.
    pub fn open(far: &Target, user: &str, state: &mut SimState) -> (Self, Vec<u8>) {
        let node = far.node().to_string();
        let mut session = Session {
            host: Host::Node(node.clone()),
            node,
            cols: 80,
            rows: 24,
            line: String::new(),
            mode: Mode::Prompt,
            escape: None,
            closed: false,
        };
        let out = match far {
            // Proxmox runs a command (a root shell, the upgrade) only for root@pam; anyone
            // else, a token included, gets /bin/login.
            Target::Node { .. } if user != "root@pam" => {
                session.mode = Mode::Login;
                format!("\n{}", session.login_prompt(state))
            }
            Target::Node { node, upgrade } => {
                let motd = motd(&state.world, node);
                if *upgrade {
                    format!("{motd}{}", session.upgrade_offer(state))
                } else {
                    format!("{motd}{}", session.prompt(state))
                }
            }
            Target::Serial { vmid, port, .. } => session.open_serial(state, *vmid, port),
            Target::Container { vmid, .. } => session.open_container(state, *vmid),
        };
        (session, crlf(&out))
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn resize(&mut self, cols: u16, rows: u16, state: &SimState) -> Vec<u8> {
        self.cols = cols.max(1);
        self.rows = rows.max(1);
        match self.mode {
            Mode::Top { .. } => top::frame(state, &self.node, self.cols, self.rows).into_bytes(),
            _ => Vec::new(),
        }
    }

    /// Time passing: `top` redraws.
    pub fn tick(&mut self, state: &SimState) -> Vec<u8> {
        if let Mode::Top { ticks } = &mut self.mode {
            *ticks += 1;
            if *ticks % TOP_EVERY == 0 {
                return top::frame(state, &self.node, self.cols, self.rows).into_bytes();
            }
        }
        Vec::new()
    }

    pub fn input(&mut self, data: &[u8], state: &mut SimState) -> Vec<u8> {
        let mut out = String::new();
        for ch in String::from_utf8_lossy(data).chars() {
            if self.closed {
                break;
            }
            if let Some(seq) = &mut self.escape {
                seq.push(ch);
                // ESC x is two characters; a CSI sequence (ESC [ …) ends with a letter or '~'.
                let csi = seq.starts_with('[');
                if !csi || (seq.len() >= 2 && (ch.is_ascii_alphabetic() || ch == '~')) {
                    self.escape = None;
                }
                continue;
            }
            if ch == '\x1b' {
                self.escape = Some(String::new());
                continue;
            }
            out.push_str(&self.key(ch, state));
        }
        crlf(&out)
    }

    fn key(&mut self, ch: char, state: &mut SimState) -> String {
        match self.mode.clone() {
            Mode::Top { .. } => match ch {
                'q' | '\x03' => {
                    self.mode = Mode::Prompt;
                    format!("{}{}", top::LEAVE, self.prompt(state))
                }
                _ => String::new(),
            },
            Mode::Confirm => match ch {
                '\r' | '\n' => {
                    let answer = std::mem::take(&mut self.line);
                    let yes = matches!(answer.trim(), "" | "y" | "Y" | "yes");
                    self.mode = Mode::Prompt;
                    format!("\n{}", self.upgrade_run(state, yes))
                }
                _ => self.edit(ch),
            },
            // login and a shell both end on ctrl-D at an empty line.
            Mode::Login | Mode::Password { .. } if ch == '\x04' && self.line.is_empty() => {
                self.closed = true;
                String::new()
            }
            Mode::Login => match ch {
                '\r' | '\n' => {
                    let user = std::mem::take(&mut self.line);
                    if user.trim().is_empty() {
                        return format!("\n{}", self.login_prompt(state));
                    }
                    self.mode = Mode::Password { user };
                    "\nPassword: ".into()
                }
                _ => self.edit(ch),
            },
            Mode::Password { user } => match ch {
                '\r' | '\n' => {
                    let password = std::mem::take(&mut self.line);
                    if let Host::Node(node) = &self.host {
                        let known = state.auth.passwords.get(&format!("{}@pam", user.trim()));
                        if known != Some(&password) {
                            self.mode = Mode::Login;
                            return format!("\n\nLogin incorrect\n{}", self.login_prompt(state));
                        }
                        let motd = motd(&state.world, node);
                        self.mode = Mode::Prompt;
                        return format!("\n{motd}{}", self.prompt(state));
                    }
                    self.mode = Mode::Prompt;
                    if let Host::Guest { user: who, .. } = &mut self.host {
                        *who = user.trim().to_string();
                    }
                    format!(
                        "\nLinux {} 6.12.48+deb13-amd64 #1 SMP PREEMPT_DYNAMIC x86_64\n\n{}",
                        self.host_name(state),
                        self.prompt(state)
                    )
                }
                '\x7f' | '\x08' => {
                    self.line.pop();
                    String::new()
                }
                c if !c.is_control() => {
                    self.line.push(c);
                    String::new()
                }
                _ => String::new(),
            },
            Mode::Prompt => match ch {
                '\r' | '\n' => {
                    let line = std::mem::take(&mut self.line);
                    format!("\n{}", self.run(&line, state))
                }
                '\x03' => {
                    self.line.clear();
                    format!("^C\n{}", self.prompt(state))
                }
                '\x04' if self.line.is_empty() => {
                    self.closed = true;
                    "logout\n".into()
                }
                '\x0c' => format!("\x1b[H\x1b[2J{}{}", self.prompt(state), self.line),
                _ => self.edit(ch),
            },
        }
    }

    /// readline's few keys: erase, kill the line, kill a word; printable characters echo.
    fn edit(&mut self, ch: char) -> String {
        match ch {
            '\x7f' | '\x08' => match self.line.pop() {
                Some(_) => "\x08 \x08".into(),
                None => String::new(),
            },
            '\x15' => {
                let n = self.line.chars().count();
                self.line.clear();
                "\x08 \x08".repeat(n)
            }
            '\x17' => {
                let trimmed = self.line.trim_end().len();
                let cut = self.line[..trimmed].rfind(' ').map_or(0, |i| i + 1);
                let n = self.line[cut..].chars().count();
                self.line.truncate(cut);
                "\x08 \x08".repeat(n)
            }
            c if !c.is_control() => {
                self.line.push(c);
                c.to_string()
            }
            _ => String::new(),
        }
    }

    fn run(&mut self, line: &str, state: &mut SimState) -> String {
        state.sync();
        match commands::run(line, &self.host, state, (self.cols, self.rows)) {
            Outcome::Print(text) => format!("{text}{}", self.prompt(state)),
            Outcome::Clear => format!("\x1b[H\x1b[2J{}", self.prompt(state)),
            Outcome::Top if matches!(self.host, Host::Node(_)) => {
                self.mode = Mode::Top { ticks: 0 };
                format!(
                    "{}{}",
                    top::ENTER,
                    top::frame(state, &self.node, self.cols, self.rows)
                )
            }
            Outcome::Top => format!("-bash: top: command not found\n{}", self.prompt(state)),
            Outcome::Exit => {
                self.closed = true;
                "logout\n".into()
            }
        }
    }

    /// The shell's prompt: root's on the node, the logged-in user's inside a guest.
    fn prompt(&self, state: &SimState) -> String {
        let (user, host) = match &self.host {
            Host::Node(node) => ("root", node.clone()),
            Host::Guest { user, .. } => (user.as_str(), self.host_name(state)),
        };
        let sign = if user == "root" { '#' } else { '$' };
        format!("{user}@{host}:~{sign} ")
    }

    fn host_name(&self, state: &SimState) -> String {
        match &self.host {
            Host::Node(node) => node.clone(),
            Host::Guest { vmid, .. } => state
                .world
                .guests
                .get(vmid)
                .map_or_else(|| vmid.to_string(), |g| g.name()),
        }
    }

    fn login_prompt(&self, state: &SimState) -> String {
        format!("{} login: ", self.host_name(state))
    }

    fn open_serial(&mut self, state: &mut SimState, vmid: u32, port: &str) -> String {
        let Some(g) = state.world.guests.get(&vmid) else {
            self.closed = true;
            return format!(
                "Configuration file 'nodes/{}/qemu-server/{vmid}.conf' does not exist\n",
                self.node
            );
        };
        match g.config.get(port).map(String::as_str) {
            None => {
                self.closed = true;
                return format!("serial interface '{port}' is not configured\n");
            }
            Some("socket") => {}
            Some(_) => {
                self.closed = true;
                return format!("wrong serial type on interface '{port}'\n");
            }
        }
        if !g.running() {
            self.closed = true;
            return format!("VM {vmid} not running\n");
        }
        let name = g.name();
        let up = state.world.now - g.started_at;
        self.host = Host::Guest {
            vmid,
            user: "root".into(),
        };
        self.mode = Mode::Login;
        let boot = [
            (0.0, "Booting `Debian GNU/Linux'"),
            (0.4, "Loading Linux 6.12.48+deb13-amd64 ..."),
            (0.9, "Loading initial ramdisk ..."),
            (
                2.1,
                "[  OK  ] Reached target local-fs.target - Local File Systems.",
            ),
            (
                2.8,
                "[  OK  ] Started systemd-networkd.service - Network Configuration.",
            ),
            (
                3.5,
                "[  OK  ] Started qemu-guest-agent.service - QEMU Guest Agent.",
            ),
            (
                4.2,
                "[  OK  ] Started ssh.service - OpenBSD Secure Shell server.",
            ),
            (
                4.9,
                "[  OK  ] Reached target multi-user.target - Multi-User System.",
            ),
        ];
        let mut out = format!("starting serial terminal on interface {port}\n");
        for (at, line) in boot {
            if at <= up {
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "\nDebian GNU/Linux 13 {name} ttyS0\n\n{}",
            self.login_prompt(state)
        ));
        out
    }

    fn open_container(&mut self, state: &mut SimState, vmid: u32) -> String {
        let running = state
            .world
            .guests
            .get(&vmid)
            .is_some_and(|g| g.running() && g.kind == GuestKind::Lxc);
        if !running {
            self.closed = true;
            return format!(
                "lxc-console: {vmid}: ../src/lxc/tools/lxc_console.c: main: 129 {vmid} is not running\n"
            );
        }
        self.host = Host::Guest {
            vmid,
            user: "root".into(),
        };
        self.prompt(state)
    }

    /// `pveupgrade --shell`: what `apt-get dist-upgrade` would do, and its question.
    fn upgrade_offer(&mut self, state: &mut SimState) -> String {
        state.sync();
        let Some(n) = state.world.node(&self.node) else {
            return self.prompt(state);
        };
        let updates = state.world.apt_updates(n);
        let mut out = "Starting system upgrade: apt-get dist-upgrade\nReading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\nCalculating upgrade... Done\n".to_string();
        if updates.is_empty() {
            out.push_str("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n\nYour System is up-to-date\n\nstarting shell\n");
            out.push_str(&self.prompt(state));
            return out;
        }
        out.push_str("The following packages will be upgraded:\n");
        let names: Vec<String> = updates.iter().filter_map(|p| p.package.clone()).collect();
        for chunk in names.chunks(4) {
            out.push_str(&format!("  {}\n", chunk.join(" ")));
        }
        out.push_str(&format!(
            "{} upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\nNeed to get {:.1} MB of archives.\nAfter this operation, {} kB of additional disk space will be used.\nDo you want to continue? [Y/n] ",
            names.len(),
            names.len() as f64 * 7.3,
            names.len() * 1_204
        ));
        self.mode = Mode::Confirm;
        out
    }

    fn upgrade_run(&mut self, state: &mut SimState, yes: bool) -> String {
        if !yes {
            return format!("Abort.\n\nstarting shell\n{}", self.prompt(state));
        }
        state.sync();
        let Some(n) = state.world.node(&self.node) else {
            return self.prompt(state);
        };
        let updates = state.world.apt_updates(n);
        let mut out = String::new();
        for (i, p) in updates.iter().enumerate() {
            out.push_str(&format!(
                "Get:{} http://download.proxmox.com/debian/pve trixie/pve-no-subscription amd64 {} amd64 {} [{} kB]\n",
                i + 1,
                p.package.clone().unwrap_or_default(),
                p.version.clone().unwrap_or_default(),
                1_200 + i * 311
            ));
        }
        out.push_str(&format!(
            "Fetched {:.1} MB in 3s ({:.1} MB/s)\n",
            updates.len() as f64 * 7.3,
            updates.len() as f64 * 2.4
        ));
        for p in &updates {
            let name = p.package.clone().unwrap_or_default();
            out.push_str(&format!(
                "Preparing to unpack .../{name}_{}_amd64.deb ...\nUnpacking {name} ({}) over ({}) ...\n",
                p.version.clone().unwrap_or_default(),
                p.version.clone().unwrap_or_default(),
                p.old_version.clone().unwrap_or_default()
            ));
        }
        for p in &updates {
            out.push_str(&format!(
                "Setting up {} ({}) ...\n",
                p.package.clone().unwrap_or_default(),
                p.version.clone().unwrap_or_default()
            ));
        }
        let kernel = updates.iter().any(|p| {
            p.package
                .as_deref()
                .is_some_and(|n| n.starts_with("proxmox-kernel") || n.starts_with("pve-kernel"))
        });
        if kernel {
            out.push_str("Processing triggers for proxmox-kernel-helper ...\nRunning hook script 'zz-proxmox-boot'..\n");
        }
        let node = self.node.clone();
        state.world.install_upgrades(&node);
        out.push_str("\nYour System is up-to-date\n\n");
        if kernel {
            out.push_str("\nSeems you installed a kernel update - Please consider rebooting\nthis node to activate the new kernel.\n\n");
        }
        out.push_str("starting shell\n");
        out.push_str(&self.prompt(state));
        out
    }
}

/// The node's login banner.
fn motd(world: &World, node: &str) -> String {
    let kernel = world
        .node(node)
        .map(|n| n.packages.running_kernel.clone())
        .unwrap_or_default();
    format!(
        "Linux {node} {kernel} #1 SMP PREEMPT_DYNAMIC PMX x86_64\n\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n"
    )
}

/// A pty's line ends.
fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}
