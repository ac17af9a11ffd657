use std::time::SystemTime;

use super::*;
use crate::model::Source;

fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap()
}

/// Three nodes, pve3 down; vm:100 and vm:101 (kept apart) both on pve1, ct:200 on pve3.
fn snapshot(rules: &str) -> ClusterSnapshot {
    let now = SystemTime::now();
    let mut s = ClusterSnapshot::new("lab");
    s.status = Source::fresh(
        json(
            r#"[{"type":"cluster","id":"cluster","name":"lab","nodes":3,"quorate":1},
            {"type":"node","id":"node/pve1","name":"pve1","online":1},
            {"type":"node","id":"node/pve2","name":"pve2","online":1},
            {"type":"node","id":"node/pve3","name":"pve3","online":0}]"#,
        ),
        now,
    );
    s.ha = Source::fresh(
        json(
            r#"[{"id":"quorum","type":"quorum","status":"OK","quorate":1},
            {"id":"master","type":"master","node":"pve1","status":"pve1 (active, Fri)"},
            {"id":"lrm:pve1","type":"lrm","node":"pve1","status":"pve1 (active, Fri)"},
            {"id":"lrm:pve2","type":"lrm","node":"pve2","status":"pve2 (idle, Fri)"},
            {"id":"lrm:pve3","type":"lrm","node":"pve3","status":"pve3 (old timestamp - dead?, Fri)"},
            {"id":"service:vm:100","type":"service","sid":"vm:100","node":"pve1","state":"started","crm_state":"started","request_state":"started"},
            {"id":"service:vm:101","type":"service","sid":"vm:101","node":"pve1","state":"started","crm_state":"started","request_state":"started"},
            {"id":"service:ct:200","type":"service","sid":"ct:200","node":"pve3","state":"fence","crm_state":"fence","request_state":"started"}]"#,
        ),
        now,
    );
    s.ha_manager = Source::fresh(
        json(
            r#"{"manager_status":{"master_node":"pve1","node_status":{"pve1":"online","pve2":"online","pve3":"fence"}}}"#,
        ),
        now,
    );
    s.ha_config = Source::fresh(
        HaConfig {
            resources: json(
                r#"[{"sid":"vm:100","state":"started","comment":"db"},{"sid":"vm:101"},{"sid":"ct:200"},{"sid":"vm:300","state":"started"}]"#,
            ),
            rules: Ok(json(rules)),
        },
        now,
    );
    s
}

fn line<'a>(lines: &'a [HaRow], name: &str) -> &'a HaRow {
    lines.iter().find(|l| l.name == name).unwrap()
}

#[test]
fn votes_weigh_nodes_by_corosync_and_count_the_present() {
    let mut s = snapshot("[]");
    assert_eq!(
        votes(&s),
        Some(Votes {
            present: 2,
            expected: 3
        })
    );
    s.corosync = Source::fresh(
        json(r#"[{"name":"pve1","quorum_votes":"2"},{"name":"pve3","quorum_votes":"1"}]"#),
        SystemTime::now(),
    );
    let v = votes(&s).unwrap();
    assert_eq!((v.present, v.expected, v.needed(), v.spare()), (3, 4, 3, 0));
    s.status = Source::fresh(
        json(r#"[{"type":"node","name":"solo","online":1}]"#),
        SystemTime::now(),
    );
    assert_eq!(votes(&s), None, "a standalone node has no votes to count");
}

#[test]
fn lrm_states_read_from_the_status_text_and_the_crm() {
    assert_eq!(
        lrm_label(Some("pve1 (active, Fri Nov 21)"), Some("online")),
        "active"
    );
    assert_eq!(
        lrm_label(Some("pve1 (maintenance mode, Fri)"), None),
        "maintenance"
    );
    assert_eq!(
        lrm_label(Some("pve1 (old timestamp - dead?, Fri)"), None),
        "dead?"
    );
    assert_eq!(
        lrm_label(Some("pve1 (old timestamp - dead?, Fri)"), Some("fence")),
        "fence"
    );
    assert_eq!(
        lrm_label(Some("unable to read lrm status"), None),
        "no status"
    );
    assert_eq!(lrm_label(None, None), "no status");
}

#[test]
fn services_in_trouble_and_broken_rules_come_first() {
    let lines = lines(
        &snapshot(
            r#"[{"rule":"apart","type":"resource-affinity","resources":"vm:100,vm:101","affinity":"negative"},
            {"rule":"only-pve2","type":"node-affinity","resources":"vm:101","nodes":"pve2","strict":1},
            {"rule":"off","type":"resource-affinity","resources":"vm:100,ct:200","affinity":"positive","disable":1}]"#,
        ),
        &[],
    );
    let fenced = line(&lines, "ct:200");
    assert_eq!(fenced.standing, Standing::Trouble);
    assert!(fenced.problems[0].contains("pve3 is lost"), "{fenced:?}");
    let node = line(&lines, "pve3");
    assert_eq!(node.state, "fence");
    assert_eq!(node.related, vec!["ct:200".to_string()]);
    let apart = line(&lines, "apart");
    assert_eq!(
        apart.problems,
        vec!["vm:100 and vm:101 share pve1, which rule apart keeps apart"]
    );
    let strict = line(&lines, "vm:101");
    assert!(
        strict
            .problems
            .iter()
            .any(|p| p.contains("strict rule only-pve2 does not allow")),
        "{strict:?}"
    );
    assert_eq!(
        strict.related,
        vec!["apart".to_string(), "only-pve2".to_string()]
    );
    assert_eq!(
        line(&lines, "off").standing,
        Standing::Off,
        "a disabled rule is not checked"
    );
    let missing = line(&lines, "vm:300");
    assert!(
        missing.problems[0].contains("does not list it"),
        "{missing:?}"
    );
    assert_eq!(
        line(&lines, "vm:100").facts.last().map(|f| f.1.as_str()),
        Some("db")
    );
    let trouble = lines
        .iter()
        .take_while(|l| l.standing == Standing::Trouble)
        .count();
    assert_eq!(trouble, 7, "{lines:#?}");
    assert_eq!(line(&lines, "pve1").info, "CRM master · 2 services");
}

#[test]
fn rules_missing_on_older_clusters_leave_services_listed() {
    let mut s = snapshot("[]");
    if let Some(c) = s.ha_config.get_mut() {
        c.rules = Err("404 Not Found".into());
    }
    let lines = lines(&s, &[]);
    assert!(lines.iter().all(|l| l.kind != HaKind::Rule));
    assert!(line(&lines, "vm:100").related.is_empty());
}
