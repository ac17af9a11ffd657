//! Per-node reads and writes: status and power, config, version, rrddata, wake-on-LAN, tasks,
//! storage and its content, vzdump (network interfaces, PCI and USB are `node_hardware`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Call, Reply, b, node_hardware as hardware};
use crate::http::ApiError;
use crate::tasks::Work;
use crate::world::{Power, id_list};

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/nodes/{node}/status") => node_status(c),
        ("POST", "/nodes/{node}/status") => node_power(c),
        ("GET", "/nodes/{node}/config") => node_config(c),
        ("GET", "/nodes/{node}/version") => c
            .node()
            .map(|_| super::cluster::software_version(c.world())),
        ("GET", "/nodes/{node}/rrddata") => c.node().map(|n| {
            json!(
                c.world()
                    .node_rrd(n, c.param("timeframe").unwrap_or("hour"))
            )
        }),
        ("POST", "/nodes/{node}/wakeonlan") => wakeonlan(c),
        ("GET", "/nodes/{node}/apt/update") => c.node().map(|n| json!(c.world().apt_updates(n))),
        ("POST", "/nodes/{node}/apt/update") => apt_refresh(c),
        ("GET", "/nodes/{node}/apt/versions") => c.node().map(|n| json!(c.world().apt_versions(n))),
        ("GET", "/nodes/{node}/tasks/{upid}/status") => task_status(c),
        ("GET", "/nodes/{node}/subscription") => subscription(c),
        // No storage replication jobs are modelled: the node has none to report.
        ("GET", "/nodes/{node}/replication") => c.node().map(|_| json!([])),
        ("DELETE", "/nodes/{node}/tasks/{upid}") => stop_task(c),
        ("GET", "/nodes/{node}/storage") => storage(c),
        ("GET", "/nodes/{node}/storage/{storage}/content") => content(c),
        ("GET", "/nodes/{node}/storage/{storage}/rrddata") => storage_rrd(c),
        ("GET", "/nodes/{node}/network") => hardware::network(c),
        ("GET", "/nodes/{node}/hardware/pci") => hardware::pci(c),
        ("GET", "/nodes/{node}/hardware/usb") => hardware::usb(c),
        ("POST", "/nodes/{node}/vzdump") => vzdump(c),
        ("GET", "/nodes/{node}/vzdump/extractconfig") => super::archive::extract_config(c),
        _ => return None,
    })
}

fn node_status(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let w = c.world();
    let now = w.now;
    let total = n.mem_total();
    let used = w.node_mem_used(n, now);
    let root = n.def.rootfs.0;
    let root_used = root / 100 * 7;
    let load = w.node_load(n, now);
    let sw = &w.software;
    let kernel = &n.packages.running_kernel;
    let uptime = (now - n.booted_at) as i64;
    Ok(json!({
        "cpu": w.node_cpu(n, now),
        "wait": 0.003,
        "idle": 0,
        "loadavg": load.iter().map(|l| format!("{l:.2}")).collect::<Vec<_>>(),
        "memory": { "total": total, "used": used, "free": total - used, "available": total - used },
        "swap": { "total": 8u64 << 30, "used": 0, "free": 8u64 << 30 },
        "rootfs": { "total": root, "used": root_used, "free": root - root_used, "avail": root - root_used },
        "cpuinfo": {
            "model": n.def.cpu_model, "sockets": n.def.sockets, "cores": n.def.cores,
            "cpus": n.def.threads, "mhz": "4800.000", "hvm": "1", "user_hz": 100,
            "flags": CPU_FLAGS,
        },
        "current-kernel": {
            "sysname": "Linux", "release": kernel, "machine": "x86_64",
            "version": format!("#1 SMP PREEMPT_DYNAMIC PMX {} (2025-11-05T10:12Z)", kernel.trim_end_matches("-pve")),
        },
        "kversion": format!("Linux {kernel} #1 SMP PREEMPT_DYNAMIC PMX"),
        "boot-info": { "mode": "efi", "secureboot": 0 },
        "pveversion": format!("pve-manager/{}/{}", sw.pve_version, sw.repoid),
        "uptime": uptime,
        "ksm": { "shared": 0 },
    }))
}

fn node_power(c: &mut Call) -> Result<Value, ApiError> {
    let name = c.node()?.name().to_string();
    let reboot = c.param("command") == Some("reboot");
    c.world_mut().shutdown_node(&name, reboot);
    Ok(Value::Null)
}

fn node_config(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let mut out = json!({ "digest": format!("{:040x}", n.def.name.len() * 7919) });
    if let Some(mac) = &n.def.mac {
        out["wakeonlan"] = json!(mac);
    }
    if let Some(p) = c.param("property") {
        let mut only = serde_json::Map::new();
        if let Some(v) = out.get(p) {
            only.insert(p.to_string(), v.clone());
        }
        return Ok(Value::Object(only));
    }
    Ok(out)
}

/// `apt-get update` as a task, like the daily refresh.
fn apt_refresh(c: &mut Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let user = c.user();
    let work = Work::AptUpdate { node: node.clone() };
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}

/// The node answering the request sends the packet; the sleeping node is the path's `{node}`.
fn wakeonlan(c: &mut Call) -> Result<Value, ApiError> {
    let target = c.var("node").to_string();
    let w = c.world();
    let node = w
        .node(&target)
        .ok_or_else(|| ApiError::fail(format!("no such node '{target}'")))?;
    let mac = node.def.mac.clone().ok_or_else(|| {
        ApiError::fail(format!(
            "No wake on LAN MAC address defined for '{target}'!"
        ))
    })?;
    if w.local_node().is_some_and(|l| l.name() == target) {
        return Err(ApiError::param("node", "node is the local node"));
    }
    if node.power == Power::Off {
        c.world_mut().power_on(&target);
    }
    Ok(json!(mac))
}

/// The node's subscription as pve-manager reports it: the key's details with the server id
/// and sockets, or "notfound" without a key.
fn subscription(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let url = "https://www.proxmox.com/en/proxmox-virtual-environment/pricing";
    // The server id is a hash of the node's MAC in Proxmox; any stable 32 hex digits do.
    let serverid: String = Sha256::digest(n.name().as_bytes())
        .iter()
        .take(16)
        .map(|x| format!("{x:02X}"))
        .collect();
    let level = n.def.subscription.clone().unwrap_or_default();
    if level.is_empty() {
        return Ok(json!({
            "status": "notfound", "message": "There is no subscription key",
            "serverid": serverid, "url": url,
        }));
    }
    let product = match level.as_str() {
        "b" => "Basic",
        "s" => "Standard",
        "p" => "Premium",
        _ => "Community",
    };
    let sockets = n.def.sockets.max(1);
    Ok(json!({
        "status": "active",
        "key": format!("pve{sockets}{level}-{}", &serverid[..10].to_lowercase()),
        "level": level,
        "productname": format!("Proxmox VE {product} Subscription {sockets} CPU/year"),
        "regdate": "2025-06-02 00:00:00", "nextduedate": "2026-06-02",
        "checktime": (c.world().now as i64) - 3_600,
        "serverid": serverid, "sockets": sockets, "url": url,
    }))
}

/// The answers Proxmox pages, with the count of all that match beside `data` (`total`).
pub fn paged_route(c: &mut Call, method: &str, path: &str) -> Option<Result<Reply, ApiError>> {
    let paged = match (method, path) {
        ("GET", "/nodes/{node}/tasks") => tasks(c),
        ("GET", "/nodes/{node}/tasks/{upid}/log") => task_log(c),
        _ => return None,
    };
    Some(paged.map(|(data, total)| Reply::Paged(data, total)))
}

fn tasks(c: &Call) -> Result<(Value, usize), ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    let source = c.param("source").unwrap_or("archive");
    let start = c.int("start").unwrap_or(0).max(0) as usize;
    let limit = c.int("limit").unwrap_or(50).max(0) as usize;
    let typefilter = c.param("typefilter");
    let userfilter = c.param("userfilter");
    let vmid = c.param("vmid");
    let since = c.int("since");
    let until = c.int("until");
    let errors = c.flag("errors");
    let matching: Vec<_> = w
        .tasks
        .iter()
        .rev()
        .filter(|t| t.upid.node == node)
        .filter(|t| match source {
            "active" => t.running(),
            "all" => true,
            _ => t.done,
        })
        .filter(|t| typefilter.is_none_or(|f| t.upid.kind == f))
        .filter(|t| userfilter.is_none_or(|f| t.upid.user.contains(f)))
        .filter(|t| vmid.is_none_or(|v| t.upid.id == v))
        .filter(|t| since.is_none_or(|s| t.upid.starttime >= s))
        .filter(|t| until.is_none_or(|u| t.upid.starttime <= u))
        .filter(|t| !errors || t.exitstatus.as_deref().is_some_and(|s| s != "OK"))
        .collect();
    let list: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| super::cluster::task_item(t))
        .collect();
    Ok((Value::Array(list), matching.len()))
}

fn find_task<'a>(c: &'a Call) -> Result<&'a crate::tasks::Task, ApiError> {
    let upid = c.var("upid");
    let parsed: rack_pve::Upid = upid
        .parse()
        .map_err(|_| ApiError::param("upid", "unable to parse worker upid"))?;
    if parsed.node != c.var("node") {
        return Err(ApiError::param("upid", "upid does not belong to this node"));
    }
    c.world()
        .task(upid)
        .ok_or_else(|| ApiError::fail(format!("no such task '{upid}'")))
}

fn task_status(c: &Call) -> Result<Value, ApiError> {
    c.node()?;
    let t = find_task(c)?;
    let mut item = super::cluster::task_item(t);
    item["status"] = json!(if t.running() { "running" } else { "stopped" });
    if let Some(exit) = &t.exitstatus {
        item["exitstatus"] = json!(exit);
    }
    if let Some(obj) = item.as_object_mut() {
        obj.remove("endtime");
    }
    Ok(item)
}

fn task_log(c: &Call) -> Result<(Value, usize), ApiError> {
    c.node()?;
    let t = find_task(c)?;
    let now = c.world().now;
    let start = c.int("start").unwrap_or(0).max(0) as usize;
    // As pve-common's dump_logfile: a limit of 0 reads to the end.
    let limit = match c.int("limit").unwrap_or(50).max(0) as usize {
        0 => usize::MAX,
        n => n,
    };
    let total = t.visible_lines(now).count();
    let lines: Vec<Value> = t
        .visible_lines(now)
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(i, line)| json!({ "n": i + 1, "t": line }))
        .collect();
    if total == 0 {
        return Ok((json!([{ "n": 1, "t": "no content" }]), 1));
    }
    Ok((Value::Array(lines), total))
}

fn stop_task(c: &mut Call) -> Result<Value, ApiError> {
    c.node()?;
    let upid = find_task(c)?.text.clone();
    let w = c.world_mut();
    let now = w.now;
    let Some(i) = w.tasks.iter().rposition(|t| t.text == upid) else {
        return Ok(Value::Null);
    };
    if w.tasks[i].running() {
        let work = w.tasks[i].work.clone();
        let task = &mut w.tasks[i];
        task.done = true;
        task.end = now;
        task.lines.retain(|(t, _)| *t <= now);
        task.lines.push((now, "received interrupt".into()));
        task.lines
            .push((now, "TASK ERROR: interrupted by signal".into()));
        task.exitstatus = Some("interrupted by signal".into());
        for id in work.vmid().into_iter() {
            if let Some(g) = w.guests.get_mut(&id) {
                g.config.remove("lock");
            }
        }
        if let Work::Vzdump { vmids, .. } = work {
            for id in vmids {
                if let Some(g) = w.guests.get_mut(&id) {
                    g.config.remove("lock");
                }
            }
        }
    }
    Ok(Value::Null)
}

fn storage(c: &Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    let usage = w.usage();
    let content = c.param("content");
    let only = c.param("storage");
    let enabled = c.flag("enabled");
    let list = w
        .storages
        .iter()
        .filter(|s| w.storage_on(&s.id, &node).is_some())
        .filter(|s| only.is_none_or(|o| o == s.id))
        .filter(|s| !enabled || s.enabled)
        .filter(|s| {
            content.is_none_or(|want| {
                want.split(',')
                    .all(|c| s.content.split(',').any(|x| x == c))
            })
        })
        .map(|s| {
            let total = usage.storage_total(s, &node);
            let used = usage.storage_used(s, &node);
            json!({
                "storage": s.id, "type": s.kind, "content": s.content,
                "active": b(s.enabled), "enabled": b(s.enabled), "shared": b(s.shared),
                "total": total, "used": used, "avail": total.saturating_sub(used),
                "used_fraction": if total > 0 { used as f64 / total as f64 } else { 0.0 },
            })
        })
        .collect();
    Ok(Value::Array(list))
}

/// A storage's use over time: today's, less what was written since each point (the volumes
/// are all the history the simulator keeps; what retention pruned is not counted back).
fn storage_rrd(c: &Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    let id = c.var("storage");
    let storage = w
        .storage_on(id, &node)
        .ok_or_else(|| ApiError::fail(format!("storage '{id}' does not exist")))?;
    let usage = w.usage();
    let total = usage.storage_total(storage, &node);
    let used = usage.storage_used(storage, &node);
    let here: Vec<(f64, u64)> = w
        .volumes_on(storage, &node)
        .map(|v| (v.ctime, v.size))
        .collect();
    let points = w
        .rrd_times(c.param("timeframe").unwrap_or("hour"))
        .into_iter()
        .map(|t| {
            let since: u64 = here.iter().filter(|(ct, _)| *ct > t).map(|(_, s)| s).sum();
            json!({ "time": t as i64, "used": used.saturating_sub(since), "total": total })
        })
        .collect();
    Ok(Value::Array(points))
}

fn content(c: &Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    let id = c.var("storage");
    let storage = w
        .storage_on(id, &node)
        .ok_or_else(|| ApiError::fail(format!("storage '{id}' does not exist")))?;
    let kind = c.param("content");
    let vmid = c.int("vmid").map(|v| v as u32);
    let list = w
        .volumes_on(storage, &node)
        .filter(|v| kind.is_none_or(|k| v.content == k))
        .filter(|v| vmid.is_none_or(|id| v.vmid == Some(id)))
        .map(|v| {
            let mut item = json!({
                "volid": v.volid, "format": v.format, "size": v.size, "ctime": v.ctime as i64,
                "content": v.content,
            });
            if let Some(vmid) = v.vmid {
                item["vmid"] = json!(vmid);
            }
            if let Some(notes) = &v.notes {
                item["notes"] = json!(notes);
            }
            if v.content == "backup" {
                // Said only of a protected backup, as Proxmox does.
                if v.protected {
                    item["protected"] = json!(1);
                }
                item["subtype"] = json!(if v.format.contains("ct") || v.format.starts_with("tar") { "lxc" } else { "qemu" });
            }
            if let Some(ok) = v.verified {
                item["verification"] = json!({
                    "state": if ok { "ok" } else { "failed" },
                    "upid": format!("UPID:pbs:0000C0DE:0001F00D:{:08X}:verificationjob:offsite\\x3av\\x2ddaily:root@pam:", (v.ctime + 3600.0) as i64),
                });
            }
            if v.content == "images" && v.volid.contains("/vm-") {
                item["parent"] = json!(v.volid.split('/').next().unwrap_or(""));
            }
            item
        })
        .collect();
    Ok(Value::Array(list))
}

/// /proc/cpuinfo's flags of an x86-64 host with virtualisation (the list the web UI's CPU
/// type hints read).
const CPU_FLAGS: &str = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat \
    pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm \
    constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf pni pclmulqdq monitor \
    ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm \
    cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt \
    tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate \
    ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a \
    avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw \
    avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total \
    cqm_mbm_local avx512_bf16 clzero irperf xsaveerptr rdpru wbnoinvd cppc arat npt lbrv \
    svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold \
    avic v_vmsave_vmload vgif x2avic v_spec_ctrl vnmi avx512vbmi umip pku ospke avx512_vbmi2 \
    gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid bus_lock_detect \
    movdiri movdir64b overflow_recov succor smca fsrm avx512_vp2intersect flush_l1d";

fn vzdump(c: &mut Call) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    let storage = c.param("storage").unwrap_or("local").to_string();
    let store = w
        .storage_on(&storage, &node)
        .ok_or_else(|| ApiError::fail(format!("storage '{storage}' does not exist")))?;
    if !store.content.split(',').any(|c| c == "backup") {
        return Err(ApiError::fail(format!(
            "storage '{storage}' does not support backups"
        )));
    }
    let excluded = id_list(c.param("exclude"));
    let mut vmids: Vec<u32> = if c.flag("all") {
        w.guests
            .values()
            .filter(|g| g.node == node && !g.template() && !excluded.contains(&g.vmid))
            .map(|g| g.vmid)
            .collect()
    } else if let Some(pool) = c.param("pool") {
        w.guests
            .values()
            .filter(|g| g.node == node && g.pool.as_deref() == Some(pool))
            .map(|g| g.vmid)
            .collect()
    } else {
        id_list(c.param("vmid")).into_iter().collect()
    };
    vmids.sort_unstable();
    if vmids.is_empty() {
        return Err(ApiError::param(
            "vmid",
            "property is missing and it is not optional",
        ));
    }
    for id in &vmids {
        match w.guests.get(id) {
            None => return Err(ApiError::fail(format!("Unable to find VM {id}"))),
            Some(g) if g.node != node => {
                return Err(ApiError::fail(format!(
                    "guest {id} is not on node '{node}' - use the node it runs on"
                )));
            }
            Some(g) if g.lock().is_some() => {
                return Err(ApiError::fail(format!(
                    "VM {id} is locked ({})",
                    g.lock().unwrap_or_default()
                )));
            }
            _ => {}
        }
    }
    let work = Work::Vzdump {
        vmids,
        storage,
        mode: c.param("mode").unwrap_or("snapshot").to_string(),
        compress: c.param("compress").unwrap_or("zstd").to_string(),
        failing: Vec::new(),
    };
    let user = c.user();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}
