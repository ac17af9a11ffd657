//! The simulator against real Proxmox answers: a corpus (`tests/it/fixtures/real/*.json`) of
//! answers taken from recordings of real clusters in other projects and from Proxmox's own
//! source, each noting where it comes from and which release. For every one, the simulator's
//! answer to the same call (`ask`: the recorded `path` on the simulator's own nodes and guests)
//! must have every field the real one has, with a JSON type the real one uses, and no field the
//! real one lacks — but for what the entry names, each kind with the reason in `notes`:
//! - `optional`: fields Proxmox sends only for some objects (a VM with tags, a bridge with an
//!   MTU set), so either answer may lack them;
//! - `newer`: fields a release after the recorded one added (the simulator answers as the
//!   release `/version` claims);
//! - `dropped`: fields of the recorded release a later one no longer sends;
//! - `retyped`: fields whose JSON type changed after the recorded release (`vmid` became an
//!   integer); the simulator sends the newest;
//! - `fractional`: quantities whose recorded value happened to be whole (`cpu: 0`);
//! - `absent`: places the simulator's scenario has no object for (no `simple` SDN zone);
//! - `unrecorded`: places only the simulator's answer has, which no recording shows yet
//!   (every other such place fails the test).
//!
//! Objects are compared by where they sit: arrays are one place whatever their length, split by
//! an element's `type` where it has one (a host and an OSD in the same `children` differ) unless
//! the entry says `"by_type": false` (a task's `type` names the task, not its shape).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;

/// Each place in an answer, and each field's JSON types there.
type Shape = BTreeMap<String, BTreeMap<String, BTreeSet<&'static str>>>;

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How an entry asks its answers to be read.
struct Reading<'a> {
    /// Places whose keys are names (`blockstat`'s drives, `nics`' taps, Ceph's health checks;
    /// `""` for an answer keyed by names, as `/access/permissions` by path): all their values
    /// are one place, `….*`.
    keyed: Vec<&'a str>,
    by_type: bool,
}

/// For one call: the places real answers show, those the simulator's have, those excused.
type Seen = (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>);

/// Where each object sits, and what it holds.
fn shape(v: &Value, at: &str, how: &Reading, out: &mut Shape) {
    match v {
        Value::Object(map) => {
            let by_name = how.keyed.iter().any(|n| {
                if n.is_empty() {
                    at.is_empty()
                } else {
                    at.ends_with(n)
                }
            });
            if !by_name {
                let fields = out.entry(at.to_string()).or_default();
                for (k, x) in map {
                    fields.entry(k.clone()).or_default().insert(json_type(x));
                }
            }
            for (k, x) in map {
                let place = if by_name {
                    format!("{at}.*")
                } else {
                    format!("{at}.{k}")
                };
                shape(x, &place, how, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                let kind = x
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|_| how.by_type);
                let place = match kind {
                    Some(t) => format!("{at}[type={t}]"),
                    None => format!("{at}[]"),
                };
                shape(x, &place, how, out);
            }
        }
        _ => {}
    }
}

/// Whether the simulator's type fits the real ones: the same, or an integral value where real
/// answers have fractions; null only where real answers have null.
fn fits(sim: &str, real: &BTreeSet<&str>) -> bool {
    real.contains(sim) || (sim == "integer" && real.contains("float"))
}

/// Whether the entry names `field` at `place` under `kind` (`optional`, `newer`, …); a place
/// named without its `type` (`[]`) covers the elements of every type.
fn named(entry: &Value, kind: &str, place: &str, field: &str) -> bool {
    let mut untyped = String::new();
    let mut rest = place;
    while let Some(at) = rest.find("[type=") {
        untyped.push_str(&rest[..at]);
        untyped.push_str("[]");
        rest = rest[at..].split_once(']').map_or("", |(_, r)| r);
    }
    untyped.push_str(rest);
    [place, untyped.as_str()].iter().any(|p| {
        entry[kind][*p]
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f == field))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_as_recorded_real_clusters_do() {
    let sim = common::start("homelab", 1.0).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/real");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    assert!(
        !entries.is_empty(),
        "no recorded answers in {}",
        dir.display()
    );
    let mut problems = Vec::new();
    // By call: the places real answers show, the places the simulator's answers have, and
    // those an entry says it has no recording of.
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for path in &entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let entry: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for key in ["origin", "version", "method", "path", "answer"] {
            assert!(entry.get(key).is_some(), "{name}: no {key}");
        }
        assert_eq!(entry["method"], "GET", "{name}: only reads are compared");
        let excuses = [
            "optional",
            "newer",
            "dropped",
            "retyped",
            "fractional",
            "absent",
        ];
        if excuses.iter().any(|k| {
            entry
                .get(*k)
                .is_some_and(|v| v.as_object().is_none_or(|o| !o.is_empty()))
        }) {
            assert!(
                entry["notes"].as_str().is_some_and(|n| !n.is_empty()),
                "{name}: excuses differences without saying why in `notes`"
            );
        }
        // The recorded call, or the same call on the simulator's own nodes and guests; `{upid}`
        // is the node's newest finished task.
        let mut ask = entry
            .get("ask")
            .unwrap_or(&entry["path"])
            .as_str()
            .unwrap()
            .to_string();
        if ask.contains("{upid}") {
            let node = ask.split('/').nth(2).unwrap().to_string();
            let tasks = sim.get(&format!("/nodes/{node}/tasks?limit=1")).await;
            let upid = tasks.data()[0]["upid"].as_str().unwrap().to_string();
            ask = ask.replace("{upid}", &upid);
        }
        if ask.contains("{backup}") {
            let node = ask.split('/').nth(2).unwrap().to_string();
            let list = format!("/nodes/{node}/storage/nas-backup/content?content=backup");
            let volid = sim.get(&list).await.data()[0]["volid"]
                .as_str()
                .unwrap()
                .to_string();
            ask = ask.replace("{backup}", &volid);
        }
        let reply = sim.get(&ask).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text);
        let how = Reading {
            keyed: [".blockstat", ".nics"]
                .into_iter()
                .chain(
                    entry["keyed"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str),
                )
                .collect(),
            by_type: entry["by_type"].as_bool().unwrap_or(true),
        };
        let (real_type, sim_type) = (json_type(&entry["answer"]), json_type(reply.data()));
        if !fits(sim_type, &BTreeSet::from([real_type])) {
            problems.push(format!(
                "{name}: the answer is {sim_type}, real answers send {real_type}"
            ));
        }
        let (mut real, mut ours) = (Shape::new(), Shape::new());
        shape(&entry["answer"], "", &how, &mut real);
        shape(reply.data(), "", &how, &mut ours);
        let call = ask.split('?').next().unwrap_or_default().to_string();
        let by_call = seen.entry(call).or_default();
        by_call.0.extend(real.keys().cloned());
        by_call.1.extend(ours.keys().cloned());
        by_call.2.extend(
            entry["unrecorded"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string)),
        );
        // An object under a field the entry excuses is excused with it.
        for kind in ["optional", "newer"] {
            for (place, fields) in entry[kind].as_object().into_iter().flatten() {
                for f in fields
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    by_call.2.insert(format!("{place}.{f}"));
                }
            }
        }
        let optional = |place: &str, field: &str| named(&entry, "optional", place, field);
        for (place, fields) in &real {
            let Some(sim_fields) = ours.get(place) else {
                let absent = entry["absent"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|p| p == place.as_str()));
                if !absent {
                    problems.push(format!("{name}: the simulator has nothing at `{place}`"));
                }
                continue;
            };
            for (field, types) in fields {
                match sim_fields.get(field) {
                    None if optional(place, field) || named(&entry, "dropped", place, field) => {}
                    None => problems.push(format!("{name}: `{place}` lacks `{field}`")),
                    Some(sim_types) => {
                        let retyped = named(&entry, "retyped", place, field);
                        let fraction = named(&entry, "fractional", place, field);
                        for t in sim_types.iter().filter(|t| {
                            !(fits(t, types) || retyped || (fraction && **t == "float"))
                        }) {
                            problems.push(format!(
                                "{name}: `{place}.{field}` is {t}, real answers send {types:?}"
                            ));
                        }
                    }
                }
            }
            for field in sim_fields.keys() {
                let newer = named(&entry, "newer", place, field);
                if !fields.contains_key(field) && !optional(place, field) && !newer {
                    problems.push(format!(
                        "{name}: `{place}` has `{field}`, which Proxmox does not send"
                    ));
                }
            }
        }
    }
    // A kind of object only the simulator sends is compared with nothing: name it.
    for (call, (real, ours, unrecorded)) in &seen {
        for place in ours.difference(real) {
            let under_reported = ours
                .difference(real)
                .any(|p| p != place && place.starts_with(p.as_str()));
            if !under_reported && !unrecorded.contains(place) {
                problems.push(format!(
                    "{call}: no real answer shows `{place}`, which the simulator sends"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
