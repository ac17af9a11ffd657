//! The layers of `../shared/ARCHITECTURE.md`, checked on the source: no import cycle between the
//! top-level modules of `rack`, and the pure layers stay pure. A review cannot see a cycle
//! forming one import at a time; this test does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Which top-level module each `crate::` path in `src/` reaches, by the module it is written in.
fn module_graph() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeSet::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name != "lib" && name != "main" {
            modules.insert(name);
        }
    }
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for file in rust_files(&src) {
        let (relative, top) = place(&src, &file);
        if !modules.contains(&top) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for target in reached(code) {
                if target != top && modules.contains(&target) {
                    graph
                        .entry(top.clone())
                        .or_default()
                        .entry(target)
                        .or_default()
                        .push(format!("src/{relative}:{}", number + 1));
                }
            }
        }
    }
    graph
}

/// A file's path below `src/`, and the top-level module it belongs to.
fn place(src: &Path, file: &Path) -> (String, String) {
    let relative = file
        .strip_prefix(src)
        .unwrap()
        .to_string_lossy()
        .to_string();
    let top = relative
        .split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string();
    (relative, top)
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The first segments after `crate::` on a line: `crate::model::x` gives `model`, and
/// `use crate::{config, model::y}` gives both.
fn reached(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out
}

/// A cycle through `from`, as the modules it passes, if there is one.
fn cycle(
    graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    let here = path.last()?.clone();
    for next in graph.get(&here).map(|e| e.keys()).into_iter().flatten() {
        if let Some(at) = path.iter().position(|m| m == next) {
            let mut found = path[at..].to_vec();
            found.push(next.clone());
            return Some(found);
        }
        if done.contains(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(found) = cycle(graph, path, done) {
            return Some(found);
        }
        path.pop();
    }
    done.insert(here);
    None
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        if let Some(found) = cycle(&graph, &mut vec![start.clone()], &mut done) {
            let evidence: Vec<String> = found
                .windows(2)
                .map(|w| format!("{} -> {}: {}", w[0], w[1], graph[&w[0]][&w[1]].join(", ")))
                .collect();
            panic!(
                "import cycle {}:\n{}",
                found.join(" -> "),
                evidence.join("\n")
            );
        }
    }
}

#[test]
fn the_lower_layers_do_not_reach_up() {
    let graph = module_graph();
    // Who may not be named by whom (ARCHITECTURE.md, "Layers").
    let forbidden: &[(&str, &[&str])] = &[
        (
            "action",
            &[
                "model", "config", "console", "app", "ui", "poll", "actions", "maint", "cmd",
            ],
        ),
        (
            "sched",
            &[
                "model", "config", "console", "app", "ui", "poll", "actions", "maint", "cmd",
            ],
        ),
        (
            "model",
            &[
                "config", "console", "app", "ui", "poll", "actions", "maint", "cmd", "clock",
            ],
        ),
        (
            "config",
            &["console", "app", "ui", "poll", "actions", "maint", "cmd"],
        ),
        // The maintenance plan is pure: it knows no I/O and nothing above it.
        (
            "maint",
            &["console", "app", "ui", "poll", "actions", "cmd", "clock"],
        ),
        ("poll", &["console", "app", "ui", "cmd"]),
        ("actions", &["console", "app", "ui", "poll", "cmd"]),
        ("console", &["app", "ui", "cmd"]),
        ("ui", &["app", "cmd", "poll"]),
    ];
    let mut wrong = Vec::new();
    for (module, above) in forbidden {
        for target in *above {
            if let Some(at) = graph.get(*module).and_then(|e| e.get(*target)) {
                wrong.push(format!("{module} -> {target}: {}", at.join(", ")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_grouped_and_inline_paths() {
    assert_eq!(
        reached("use crate::{config, model::x};"),
        ["config", "model"]
    );
    assert_eq!(reached("let x = crate::poll::spawn(a);"), ["poll"]);
    assert!(reached("pub(crate) fn f()").is_empty());
    assert!(reached("use rack_crate::x;").is_empty());
}

#[test]
fn cross_module_imports_are_at_the_top_of_the_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut inline = Vec::new();
    for file in rust_files(&src) {
        let (relative, top) = place(&src, &file);
        if top == "lib" || top == "main" {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            // Test modules sit at the end of a file and may reach across freely.
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if code.starts_with("use ") || code.starts_with("pub use ") || code.starts_with("//") {
                continue;
            }
            let code = code.split("//").next().unwrap_or_default();
            if reached(code).iter().any(|m| *m != top) {
                inline.push(format!("src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        inline.is_empty(),
        "paths into other modules written inside the code, not imported at the top:\n{}",
        inline.join("\n")
    );
}

#[test]
fn api_paths_are_written_only_in_rack_pve() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let raw = [
        "\"/nodes",
        "\"/cluster",
        "\"/access",
        "\"/version",
        "\"/vms/",
        "\"/storage/",
    ];
    let mut found = Vec::new();
    for file in rust_files(&src) {
        let (relative, _) = place(&src, &file);
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if raw.iter().any(|r| line.contains(r)) {
                found.push(format!("src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "API paths spelled out instead of named in rack_pve::endpoints:\n{}",
        found.join("\n")
    );
}

/// The dependencies a manifest names (its `[dependencies]` table only).
fn dependencies(manifest: &str) -> String {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(manifest)).unwrap();
    let start = text.find("[dependencies]").unwrap();
    let rest = &text[start + "[dependencies]".len()..];
    rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
}

#[test]
fn the_simulator_and_the_api_crates_stay_apart_from_the_console() {
    let sim = dependencies("crates/rack-sim/Cargo.toml");
    for banned in ["ratatui", "crossterm", "reqwest"] {
        assert!(
            !sim.contains(banned),
            "rack-sim depends on {banned}:\n{sim}"
        );
    }
    // rack-pve's HTTP client (reqwest) is its default feature: the simulator takes the types only.
    let pve_line = sim
        .lines()
        .find(|l| l.starts_with("rack-pve"))
        .unwrap_or_default();
    assert!(pve_line.contains("default-features = false"), "{pve_line}");
    let pve = dependencies("crates/rack-pve/Cargo.toml");
    for banned in ["axum", "ratatui", "crossterm", "rack-sim", "rcgen"] {
        assert!(
            !pve.contains(banned),
            "rack-pve depends on {banned}:\n{pve}"
        );
    }
}
