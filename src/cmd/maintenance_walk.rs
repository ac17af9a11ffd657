//! `rack maintenance enter NODE` and `status`: the walkthrough for scripts and people without
//! panes. The plan is printed first; the walkthrough is kept beside the journal after every
//! change, so running `enter` again continues it (or retries, skips, aborts), and a second rack
//! on the same machine sees it and starts no other on that cluster.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::act::{self, Conn, Keeping};
use super::error::CmdError;
use super::maintenance::read_plan;
use crate::actions::node_shell::root_client;
use crate::actions::walkthrough::{self, Drive, Outcome, WalkStore};
use crate::actions::{Job, Journal, Limits, Queue, Target};
use crate::cli::{MaintenanceEnterArgs, MaintenanceExitArgs, MaintenanceStatusArgs, Output};
use crate::config::ClusterConfig;
use crate::config::maintenance::MaintenanceConfig;
use crate::config::placement::PlacementConfig;
use crate::maint::report;
use crate::maint::walk::{GuestState, Power, Stage, Walk, refusal};
use crate::maint::walk_report::guest_words;

fn one(conns: &[Conn]) -> Result<&Conn, CmdError> {
    match conns {
        [conn] => Ok(conn),
        _ => Err(CmdError::Usage(
            "several clusters are configured: say which with --cluster".into(),
        )),
    }
}

/// A queue for this cluster, and the channel its jobs report on.
fn queue_of(
    conn: &Conn,
    keeping: &Keeping,
    parallel: u32,
) -> Result<(Queue, mpsc::Receiver<Job>), CmdError> {
    // The walkthrough's file is the record of its requests: it decides on resume what to send
    // again, so the action journal (which a later console would re-send from) stays out of it.
    let journal = Journal::disabled();
    let targets = BTreeMap::from([(
        conn.config.name.clone(),
        Target {
            client: conn.client.clone(),
            read_only: conn.config.read_only,
            wake: conn.config.wake.clone(),
        },
    )]);
    let (tx, rx) = mpsc::channel::<Job>(256);
    // The walkthrough's own `parallel` decides how many of the node's guests move at once.
    let limits = Limits {
        clock: keeping.clock.clone(),
        per_node: Limits::default().per_node.max(parallel as usize),
        per_cluster: Limits::default().per_cluster.max(parallel as usize),
        ..Limits::default()
    };
    Ok((Queue::new(targets, journal, tx, limits), rx))
}

/// Keep the walkthrough, then carry it on through a queue of this cluster, saying each step.
async fn drive(
    conn: &Conn,
    keeping: &Keeping,
    store: &WalkStore,
    walk: &mut Walk,
) -> Result<Outcome, CmdError> {
    let _held = store.lock().map_err(CmdError::Usage)?;
    store.save(walk).map_err(CmdError::Failed)?;
    let (queue, mut jobs) = queue_of(conn, keeping, walk.parallel)?;
    let shell = root_client(&conn.config, &conn.client)
        .await
        .unwrap_or_else(|e| {
            eprintln!("warning: no root shell for the upgrade and HA steps: {e}");
            None
        });
    let mut drive = Drive {
        shell: shell.as_ref(),
        client: &conn.client,
        queue: &queue,
        jobs: &mut jobs,
        store,
        poll: Duration::from_secs(2),
        env: &conn.config.command_env,
        pause: None,
    };
    let mut say = |w: &Walk, text: Option<&str>| {
        if let Some(text) = text {
            println!("[{}] {text}", stage_name(w.stage));
        }
    };
    Ok(drive.run(walk, &mut say).await)
}

/// `101,105` as VMIDs; `flag` and `what` say, in an error, where and what was expected.
fn vmids(list: &str, flag: &str, what: &str) -> Result<Vec<u32>, CmdError> {
    list.split(',')
        .map(|v| v.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| CmdError::Usage(format!("{flag} {list}: {what}")))
}

/// The cluster's HA command (else `[maintenance]`'s) for `node`, rendered for `action`.
fn ha_command(
    conn: &Conn,
    maintenance: &MaintenanceConfig,
    node: &str,
    action: &str,
) -> Option<String> {
    conn.config
        .ha_command
        .as_deref()
        .or(maintenance.ha_command.as_deref())
        .map(|t| walkthrough::render(t, node, action, &conn.config.name))
}

/// A kept walkthrough taken up by this process: judged by what the cluster shows now.
async fn resumed(conn: &Conn, mut walk: Walk) -> Result<Walk, CmdError> {
    let seen = walkthrough::observe(&conn.client, &walk.node)
        .await
        .map_err(|e| CmdError::Failed(format!("cluster \"{}\": {e}", conn.config.name)))?;
    walk.resume(&seen);
    Ok(walk)
}

/// Ask on the terminal; a script says --yes.
fn confirmed(node: &str) -> Result<bool, CmdError> {
    if !std::io::stdin().is_terminal() {
        return Err(CmdError::Usage(
            "not at a terminal: pass --yes to start the walkthrough".into(),
        ));
    }
    print!("Start the maintenance walkthrough of {node}? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub async fn enter(
    clusters: &[ClusterConfig],
    placement: &PlacementConfig,
    maintenance: &MaintenanceConfig,
    keeping: &Keeping,
    args: &MaintenanceEnterArgs,
) -> Result<ExitCode, CmdError> {
    let conns = act::connect(clusters, args.cluster.as_deref())?;
    let conn = one(&conns)?;
    let name = &conn.config.name;
    let store = WalkStore::for_cluster(name, keeping.journal);
    let kept = store.load().map_err(CmdError::Failed)?;
    let mut walk = match kept {
        Some(w) if w.node != args.node => {
            return Err(CmdError::Usage(format!(
                "a maintenance walkthrough of {} is in progress on cluster \"{name}\" ({}): \
                 continue it with `rack maintenance enter {}`, or end it with --abort",
                w.node,
                w.progress(),
                w.node
            )));
        }
        Some(w) => {
            println!(
                "Continuing the walkthrough of {} ({})",
                w.node,
                w.progress()
            );
            let mut w = resumed(conn, w).await?;
            if args.abort {
                return abort(conn, keeping, &store, w).await;
            }
            if args.retry {
                w.retry();
            }
            if args.skip {
                w.skip();
            }
            w
        }
        None => {
            if args.abort || args.retry || args.skip {
                return Err(CmdError::Usage(format!(
                    "no walkthrough is in progress on cluster \"{name}\""
                )));
            }
            let plan = read_plan(conn, &args.node, placement, maintenance, &keeping.clock).await?;
            print!("{}", report::text(&plan));
            let chosen: Option<Vec<u32>> = match args.shutdown_blocked.as_deref() {
                None => Some(Vec::new()),
                Some("all") => None,
                Some(list) => Some(vmids(
                    list,
                    "--shutdown-blocked",
                    "all, or VMIDs such as 110,111",
                )?),
            };
            let shut_down = |vmid: u32| chosen.as_ref().is_none_or(|c| c.contains(&vmid));
            if let Some(why) = refusal(&plan, &shut_down) {
                eprintln!("error: the walkthrough cannot start: {why}");
                return Ok(ExitCode::FAILURE);
            }
            if !args.yes && !confirmed(&args.node)? {
                println!("Nothing was done.");
                return Ok(ExitCode::SUCCESS);
            }
            let command = ha_command(conn, maintenance, &args.node, "enable");
            Walk::new(name, &plan, command, maintenance.parallel)
        }
    };
    if args.reboot {
        walk.power = Some(Power::Reboot);
    } else if args.shutdown {
        walk.power = Some(Power::Shutdown);
    }
    match drive(conn, keeping, &store, &mut walk).await? {
        Outcome::Ready => {
            println!(
                "{} is ready for maintenance: no guest runs there and HA has it in maintenance. \
                 Reboot or shut it down with `rack maintenance enter {} --reboot` (or --shutdown).",
                walk.node, walk.node
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Done => {
            println!("{}: {}", walk.node, walk.done.join("; "));
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Paused => {
            println!("Paused: `rack maintenance enter {}` continues.", walk.node);
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Stopped(why) => {
            eprintln!(
                "error: the walkthrough stopped at {why}\n\
                 run `rack maintenance enter {}` again with --retry, --skip or --abort",
                walk.node
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `rack maintenance exit NODE`: the way back, from the walkthrough kept.
pub async fn exit(
    clusters: &[ClusterConfig],
    maintenance: &MaintenanceConfig,
    keeping: &Keeping,
    args: &MaintenanceExitArgs,
) -> Result<ExitCode, CmdError> {
    let conns = act::connect(clusters, args.cluster.as_deref())?;
    let conn = one(&conns)?;
    let name = &conn.config.name;
    let store = WalkStore::for_cluster(name, keeping.journal);
    let Some(walk) = store.load().map_err(CmdError::Failed)? else {
        return Err(CmdError::Usage(format!(
            "no maintenance walkthrough is kept for cluster \"{name}\": `rack maintenance enter {}` starts one",
            args.node
        )));
    };
    if walk.node != args.node {
        return Err(CmdError::Usage(format!(
            "the walkthrough kept for cluster \"{name}\" is of {}, not {}",
            walk.node, args.node
        )));
    }
    let mut walk = resumed(conn, walk).await?;
    let moving = walk.guests.iter().any(|g| {
        matches!(
            g.state,
            GuestState::Moving | GuestState::Handed | GuestState::ShuttingDown
        )
    });
    if walk.stage < Stage::Wake && moving {
        return Err(CmdError::Usage(format!(
            "guests of {} are still moving: let `rack maintenance enter {}` finish first",
            walk.node, walk.node
        )));
    }
    if walk.stage < Stage::Wake {
        let back: Option<Vec<u32>> = match args.back.as_str() {
            "all" => None,
            "none" => Some(Vec::new()),
            list => Some(vmids(
                list,
                "--back",
                "all, none, or VMIDs such as 101,105",
            )?),
        };
        let command = ha_command(conn, maintenance, &walk.node, "disable");
        walk.begin_exit(back.as_deref(), command);
    } else if args.retry {
        walk.retry();
    }
    match drive(conn, keeping, &store, &mut walk).await? {
        Outcome::Paused => {
            println!("Paused: `rack maintenance exit {}` continues.", walk.node);
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Stopped(why) => {
            eprintln!(
                "error: the way back stopped at {why}\n\
                 run `rack maintenance exit {}` again with --retry",
                walk.node
            );
            Ok(ExitCode::FAILURE)
        }
        _ => {
            println!("{} is back: {}", walk.node, walk.done.join("; "));
            store.clear().map_err(CmdError::Failed)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// End the walkthrough: Ceph gets its `noout` back off when the walkthrough set it; what was
/// done and what was not is said; the walkthrough is forgotten.
async fn abort(
    conn: &Conn,
    keeping: &Keeping,
    store: &WalkStore,
    walk: Walk,
) -> Result<ExitCode, CmdError> {
    let _held = store.lock().map_err(CmdError::Usage)?;
    let (requests, lines) = walkthrough::abort(&walk);
    let mut ok = true;
    if !requests.is_empty() {
        let mut out = std::io::stdout();
        let mut err = std::io::stderr();
        ok = act::submit(
            std::slice::from_ref(conn),
            requests.into_iter().map(|r| (0, r)).collect(),
            true,
            keeping,
            &mut out,
            &mut err,
        )
        .await?;
    }
    println!("Aborted the walkthrough of {}.", walk.node);
    for line in lines {
        println!("  {line}");
    }
    store.clear().map_err(CmdError::Failed)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Noout => "noout",
        Stage::Moves => "moves",
        Stage::HaMaintenance => "ha",
        Stage::Verify => "verify",
        Stage::Upgrade => "upgrade",
        Stage::Ready => "ready",
        Stage::Power => "power",
        Stage::Done => "in maintenance",
        Stage::Wake => "wake",
        Stage::Return => "return",
        Stage::HaDisable => "ha-off",
        Stage::Unset => "noout-off",
        Stage::Clean => "clean",
        Stage::Back => "back",
        Stage::Finished => "finished",
    }
}

/// The walkthrough in progress, as text or JSON; none is no error.
pub fn status(
    clusters: &[ClusterConfig],
    keep: bool,
    args: &MaintenanceStatusArgs,
) -> Result<ExitCode, CmdError> {
    let chosen: Vec<&ClusterConfig> = clusters
        .iter()
        .filter(|c| args.cluster.as_deref().is_none_or(|n| n == c.name))
        .collect();
    if chosen.is_empty() {
        return Err(CmdError::Usage(format!(
            "no cluster \"{}\" in the config",
            args.cluster.as_deref().unwrap_or_default()
        )));
    }
    let mut walks = Vec::new();
    for c in chosen {
        if let Some(w) = WalkStore::for_cluster(&c.name, keep)
            .load()
            .map_err(CmdError::Failed)?
        {
            walks.push(w);
        }
    }
    match args.output {
        Output::Json => {
            let text = serde_json::to_string_pretty(&walks).map_err(|e| e.to_string())?;
            println!("{text}");
        }
        Output::Table if walks.is_empty() => println!("No maintenance walkthrough in progress."),
        Output::Table => {
            for w in &walks {
                println!("{} on cluster \"{}\": {}", w.node, w.cluster, w.progress());
                for g in &w.guests {
                    let to = g
                        .target
                        .as_deref()
                        .map_or(String::new(), |t| format!(" → {t}"));
                    println!(
                        "  {:>5} {:<16} {}{to}: {}",
                        g.vmid,
                        g.name,
                        g.origin,
                        guest_words(&g.state)
                    );
                }
                for d in &w.done {
                    println!("  done: {d}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
