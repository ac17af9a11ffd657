//! The console's logs: `:audit` (the writes rack sent, from its audit log) and `:log` (the
//! cluster log), on the frozen simulated cluster, compared with insta snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crossterm::event::KeyCode;

use crate::common::console::{Console, START, code, key, typed};

/// `:audit` lists the writes from the audit log, newest first; the detail shows one as sent
/// (secrets masked) and how it ended.
#[tokio::test]
async fn the_audit_view_lists_writes_newest_first() {
    use rack::audit::{AuditLog, Event as Audited};
    let mut c = Console::start(80, 24).await;
    let log = AuditLog::new(&c.scratch.join("audit.jsonl"));
    let sent = |request: &str, path: &str, params: &[(&str, &str)]| Audited::Sent {
        cluster: "homelab".into(),
        endpoint: "https://10.8.16.10:8006".into(),
        identity: "root@pam!rack".into(),
        request: request.into(),
        method: "POST".into(),
        path: path.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let at = START as f64;
    let one = log
        .append(
            sent(
                "start VM 101 on pve-ms01-01",
                "/nodes/pve-ms01-01/qemu/101/status/start",
                &[],
            ),
            at - 3600.0,
        )
        .unwrap();
    log.append(
        Audited::Answered {
            of: one,
            endpoint: Some("https://10.8.16.10:8006".into()),
            status: Some(200),
            upid: Some(
                "UPID:pve-ms01-01:0000A1B2:00C0FFEE:69AFB000:qmstart:101:root@pam!rack:".into(),
            ),
            result: "ok".into(),
        },
        at - 3599.0,
    )
    .unwrap();
    let two = log
        .append(
            sent(
                "create VM 130 on pve-aimax-01",
                "/nodes/pve-aimax-01/qemu",
                &[("vmid", "130"), ("cipassword", "***")],
            ),
            at - 120.0,
        )
        .unwrap();
    log.append(
        Audited::Answered {
            of: two,
            endpoint: Some("https://10.8.16.10:8006".into()),
            status: Some(500),
            upid: None,
            result: "failed: unable to create VM 130 - no space left".into(),
        },
        at - 119.0,
    )
    .unwrap();
    c.keys(&[key(':')]).await;
    c.keys(&typed("audit")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    insta::assert_snapshot!("audit_at_80x24", c.screen());
    c.model.size = (160, 45);
    insta::assert_snapshot!("audit_at_160x45_with_a_failed_write_in_detail", c.screen());
}

/// `:log` shows the cluster log newest first: the tasks the cluster ran, as pvedaemon logged
/// them; the filter takes its fields (`node:`, `level:`).
#[tokio::test]
async fn the_cluster_log_at_80x24_and_160x45() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key(':')]).await;
    c.keys(&typed("log")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    c.poll().await;
    let screen = c.screen();
    assert!(screen.contains(" Log("), "{screen}");
    assert!(screen.contains("end task UPID:"), "{screen}");
    insta::assert_snapshot!("log_at_80x24", screen);
    c.model.size = (160, 45);
    c.keys(&[key('/')]).await;
    c.keys(&typed("node:pve-aimax-01")).await;
    c.keys(&[code(KeyCode::Enter)]).await;
    let screen = c.screen();
    assert!(!screen.contains("UPID:pve-ms01"), "{screen}");
    insta::assert_snapshot!("log_at_160x45_filtered_by_node", screen);
}
