//! Where the official schema and Proxmox's code disagree, what the conformance test holds the
//! simulator to: the code's answer.

use serde_json::{Value, json};

/// Where the schema says other than Proxmox's code does, the schema as the code answers.
pub fn errata(key: &str, returns: &Value) -> Value {
    let mut r = returns.clone();
    match key {
        // The index sets `errors`, and only when asked with check-node; the schema declares a
        // required `error` (pve-manager API2/Cluster/Mapping/USB.pm).
        "GET /cluster/mapping/usb" => {
            r["items"]["properties"]["error"]["optional"] = json!(1);
        }
        // `-d $dir ? 1 : 0`, declared a string in 9.1 and a boolean since; `host` is declared
        // a boolean, but Proxmox sends the monitor's node name (from ceph.conf), as it does for
        // managers, whose schema says string.
        "GET /nodes/{node}/ceph/mon" => {
            let props = &mut r["items"]["properties"];
            props["direxists"]["type"] = json!("boolean");
            props["host"]["type"] = json!("string");
            props["host"]["optional"] = json!(0);
        }
        // jobs.cfg's property string parsed: the keep-* values stay the strings read.
        "GET /cluster/backup" => {
            let keep = &mut r["items"]["properties"]["prune-backups"]["properties"];
            if let Some(props) = keep.as_object_mut() {
                for p in props.values_mut() {
                    p["type"] = json!("string");
                }
            }
        }
        // Ceph's daemon metadata is a map of strings; the schema declares these integers.
        "GET /cluster/ceph/metadata" => retype(&mut r, &["mem_total_kb", "mem_swap_kb"], "string"),
        _ => {}
    }
    r
}

/// Declare `fields` of type `to` wherever the schema has them.
fn retype(schema: &mut Value, fields: &[&str], to: &str) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for f in fields {
                    if let Some(p) = props.get_mut(*f) {
                        p["type"] = json!(to);
                    }
                }
            }
            for v in map.values_mut() {
                retype(v, fields, to);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retype(v, fields, to)),
        _ => {}
    }
}

/// Fields an endpoint sends as text where its schema says number.
pub fn sent_as_text(key: &str) -> Option<&'static [&'static str]> {
    const PRESSURE: &[&str] = &[
        "pressurecpusome",
        "pressurecpufull",
        "pressureiosome",
        "pressureiofull",
        "pressurememorysome",
        "pressurememoryfull",
    ];
    match key {
        "GET /nodes/{node}/network" => Some(&["vlan-id", "mtu", "ovs_tag"]),
        "GET /nodes/{node}/lxc" | "GET /nodes/{node}/lxc/{vmid}/status/current" => Some(PRESSURE),
        _ => None,
    }
}
