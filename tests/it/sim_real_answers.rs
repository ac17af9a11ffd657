//! The simulator against real Proxmox answers: a corpus (`tests/it/fixtures/real/*.json`) of
//! answers' shapes taken from recordings of real clusters in other projects and from Proxmox's
//! own source, each noting where it comes from and which release. For every one, the
//! simulator's answer to the same call must have every field the real one has, with a JSON type
//! the real one uses, and no field the real one lacks (but those the entry lists as optional:
//! fields Proxmox sends only for some objects).
//!
//! Objects are compared by where they sit: arrays are one place whatever their length, split by
//! an element's `type` where it has one (a host and an OSD in the same `children` differ).
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

/// Where each object sits, and what it holds. Maps keyed by names (`blockstat`'s drives,
/// `nics`' taps) are one place too.
fn shape(v: &Value, at: &str, out: &mut Shape) {
    match v {
        Value::Object(map) => {
            let by_name = ["blockstat", "nics"]
                .iter()
                .any(|n| at.ends_with(&format!(".{n}")));
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
                shape(x, &place, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                let kind = x.get("type").and_then(Value::as_str);
                let place = match kind {
                    Some(t) => format!("{at}[type={t}]"),
                    None => format!("{at}[]"),
                };
                shape(x, &place, out);
            }
        }
        _ => {}
    }
}

/// Whether the simulator's type fits the real ones: the same, or an integral value where real
/// answers have fractions; null only where real answers have null.
fn fits(sim: &str, real: &BTreeSet<&str>) -> bool {
    real.contains(sim) || (sim == "integer" && real.contains("float")) || real.contains("null")
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
    for path in &entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let entry: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for key in ["origin", "version", "method", "path", "answer"] {
            assert!(entry.get(key).is_some(), "{name}: no {key}");
        }
        assert_eq!(entry["method"], "GET", "{name}: only reads are compared");
        let reply = sim.get(entry["path"].as_str().unwrap()).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text);
        let (mut real, mut ours) = (Shape::new(), Shape::new());
        shape(&entry["answer"], "", &mut real);
        shape(reply.data(), "", &mut ours);
        let optional = |place: &str, field: &str| {
            entry["optional"][place]
                .as_array()
                .is_some_and(|l| l.iter().any(|f| f == field))
        };
        for (place, fields) in &real {
            let Some(sim_fields) = ours.get(place) else {
                problems.push(format!("{name}: the simulator has nothing at `{place}`"));
                continue;
            };
            for (field, types) in fields {
                match sim_fields.get(field) {
                    None => problems.push(format!("{name}: `{place}` lacks `{field}`")),
                    Some(sim_types) => {
                        for t in sim_types.iter().filter(|t| !fits(t, types)) {
                            problems.push(format!(
                                "{name}: `{place}.{field}` is {t}, real answers send {types:?}"
                            ));
                        }
                    }
                }
            }
            for field in sim_fields.keys() {
                if !fields.contains_key(field) && !optional(place, field) {
                    problems.push(format!(
                        "{name}: `{place}` has `{field}`, which Proxmox does not send"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
