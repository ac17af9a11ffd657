//! The simulated `top`: a full-screen program (alternate screen, cursor moves, reverse video) that
//! redraws every few seconds from the node's load and its running guests, as htop-like tools do.

use super::commands::{clock_of, span};
use crate::SimState;
use crate::scenario::GuestKind;

pub const ENTER: &str = "\x1b[?1049h\x1b[?25l";
pub const LEAVE: &str = "\x1b[?25h\x1b[?1049l";

/// One frame for a `cols`×`rows` terminal.
pub fn frame(state: &SimState, node: &str, cols: u16, rows: u16) -> String {
    let w = &state.world;
    let Some(n) = w.node(node) else {
        return String::new();
    };
    let now = w.now;
    let load = w.node_load(n, now);
    let cpu = w.node_cpu(n, now) * 100.0;
    let total = n.mem_total() as f64 / 1_048_576.0;
    let used = w.node_mem_used(n, now) as f64 / 1_048_576.0;
    let guests: Vec<_> = w
        .guests
        .values()
        .filter(|g| g.node == node && g.running())
        .collect();
    let mut lines = vec![
        format!(
            "top - {} up {},  1 user,  load average: {:.2}, {:.2}, {:.2}",
            clock_of(now),
            span(now - n.booted_at),
            load[0],
            load[1],
            load[2]
        ),
        format!(
            "Tasks: {} total,   1 running, {} sleeping,   0 stopped,   0 zombie",
            380 + guests.len(),
            379 + guests.len()
        ),
        format!(
            "%Cpu(s): {:4.1} us,  1.0 sy,  0.0 ni, {:4.1} id,  0.1 wa,  0.0 hi,  0.1 si,  0.0 st",
            (cpu - 1.2).max(0.0),
            (100.0 - cpu).max(0.0)
        ),
        format!(
            "MiB Mem : {total:8.1} total, {:8.1} free, {used:8.1} used, {:8.1} buff/cache",
            (total - used) * 0.6,
            (total - used) * 0.4
        ),
        format!(
            "MiB Swap: {:8.1} total, {:8.1} free, {:8.1} used. {:8.1} avail Mem",
            8192.0,
            8192.0,
            0.0,
            total - used
        ),
        String::new(),
    ];
    let header = format!(
        "{:>7} {:<9}{:>3} {:>3} {:>7} {:>6} {:>6} S {:>5} {:>5} {:>9} COMMAND",
        "PID", "USER", "PR", "NI", "VIRT", "RES", "SHR", "%CPU", "%MEM", "TIME+"
    );
    let mut procs: Vec<(u64, String, f64, f64, f64, String)> = guests
        .iter()
        .map(|g| {
            let pid = 1_000 + u64::from(g.vmid) * 13 % 90_000;
            let mem = w.guest_mem(g, now) as f64 / 1_048_576.0;
            let cpu = w.guest_cpu(g, now) * 100.0 * f64::from(g.cores().max(1));
            let cmd = match g.kind {
                GuestKind::Qemu => format!("kvm -id {} -name {}", g.vmid, g.name()),
                GuestKind::Lxc => format!("lxc-start -F -n {}", g.vmid),
            };
            (pid, "root".to_string(), cpu, mem, now - g.started_at, cmd)
        })
        .collect();
    for (pid, cmd, cpu) in [
        (1_412u64, "pvestatd", 0.7),
        (1_433, "pvedaemon worker", 0.3),
        (1_448, "pveproxy worker", 0.3),
        (1_203, "corosync", 0.7),
        (1_187, "pmxcfs", 0.3),
        (1, "systemd", 0.0),
    ] {
        procs.push((
            pid,
            "root".into(),
            cpu,
            120.0,
            now - n.booted_at,
            cmd.into(),
        ));
    }
    procs.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut out = String::from("\x1b[H\x1b[2J");
    let width = usize::from(cols.max(20));
    for (i, line) in lines.drain(..).enumerate() {
        out.push_str(&format!("\x1b[{};1H{}", i + 1, cut(&line, width)));
    }
    out.push_str(&format!(
        "\x1b[7;1H\x1b[7m{:<width$}\x1b[0m",
        cut(&header, width)
    ));
    let room = usize::from(rows).saturating_sub(7);
    for (i, (pid, user, cpu, mem, secs, cmd)) in procs.iter().take(room).enumerate() {
        let time = cpu_time(secs * cpu / 100.0);
        let line = format!(
            "{pid:>7} {user:<9}{:>3} {:>3} {:>6.1}g {:>5.1}g {:>6} S {cpu:>5.1} {:>5.1} {time:>9} {cmd}",
            20,
            0,
            mem / 1024.0 * 1.1,
            mem / 1024.0,
            "6912",
            mem / total * 100.0
        );
        out.push_str(&format!("\x1b[{};1H{}", i + 8, cut(&line, width)));
    }
    out
}

/// top's TIME+: minutes:seconds.hundredths, the hundredths dropped once the minutes grow.
fn cpu_time(seconds: f64) -> String {
    let hundredths = (seconds.max(0.0) * 100.0) as u64;
    let (m, s, h) = (hundredths / 6000, hundredths / 100 % 60, hundredths % 100);
    if m >= 1000 {
        format!("{m}:{s:02}")
    } else {
        format!("{m}:{s:02}.{h:02}")
    }
}

fn cut(line: &str, width: usize) -> String {
    line.chars().take(width).collect()
}
