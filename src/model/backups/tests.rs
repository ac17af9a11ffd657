use super::*;
use serde_json::json;

#[test]
fn jobs_parse_with_their_selection_and_retention() {
    let jobs = parse_jobs(&json!([
        { "id": "b", "schedule": "sun 03:00", "storage": "nas", "all": 1, "exclude": "106",
          "prune-backups": { "keep-weekly": 4 }, "next-run": 1795400000, "enabled": 1 },
        { "id": "a", "schedule": "02:00", "storage": "nas", "pool": "production", "enabled": "0" },
        { "id": "c", "schedule": "*-*-01 04:00", "storage": "pbs", "vmid": "104,201" },
        { "schedule": "no id" }
    ]))
    .unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(!jobs[0].enabled);
    assert_eq!(jobs[0].selection.to_string(), "pool production");
    assert_eq!(jobs[1].selection.to_string(), "all but 106");
    assert_eq!(jobs[1].retention, "keep-weekly=4");
    assert_eq!(jobs[1].next_run, Some(1_795_400_000));
    assert_eq!(jobs[2].selection.to_string(), "104,201");
    // Saturday 2026-11-21 12:00 UTC: daily is a day, weekly a week.
    let now = 1_795_262_400;
    assert_eq!(jobs[0].period(now), Some(86_400));
    assert_eq!(jobs[1].period(now), Some(7 * 86_400));
}

#[test]
fn failures_are_read_from_vzdump_logs() {
    let log = vec![
        "INFO: Starting Backup of VM 201 (lxc)".to_string(),
        "ERROR: Backup of VM 202 failed - job failed with err -5 - Input/output error".to_string(),
    ];
    assert_eq!(
        failures_in_log(&log),
        [(
            202,
            "job failed with err -5 - Input/output error".to_string()
        )]
    );
}

#[test]
fn a_storage_trend_says_how_fast_it_fills() {
    let day = 86_400;
    let points: Vec<Value> = (0..8)
        .map(|d| serde_json::json!({"time": d * day, "used": 100 + d * 10, "total": 1000}))
        .chain([serde_json::json!({"time": 9 * day})])
        .collect();
    let t = StorageTrend::of("nas".into(), &points);
    assert_eq!(t.points.len(), 8, "the point without data is left out");
    assert_eq!(t.growth(), Some((70, 7 * day as u64)));
    // 830 bytes free at 10 a day.
    assert_eq!(t.full_in(), Some(83 * day as u64));
    let flat = StorageTrend::of("nas".into(), &points[..1]);
    assert_eq!(flat.full_in(), None);
}

fn volume(volid: &str, vmid: u32, ctime: u64, notes: Option<&str>) -> (String, StorageVolume) {
    let storage = volid.split(':').next().unwrap_or_default().to_string();
    let format = if volid.contains("backup/ct/") {
        "pbs-ct"
    } else {
        "vma.zst"
    };
    let v = StorageVolume {
        volid: volid.into(),
        format: Some(format.into()),
        vmid: Some(vmid),
        ctime: Some(ctime),
        size: Some(1 << 30),
        notes: notes.map(Into::into),
        ..StorageVolume::default()
    };
    (storage, v)
}

#[test]
fn a_destroyed_guest_keeps_a_row_while_its_backups_remain() {
    let jobs = parse_jobs(&json!([
        { "id": "nightly", "schedule": "02:00", "storage": "nas", "all": 1 },
        { "id": "db", "schedule": "03:00", "storage": "pbs", "vmid": "105,201" }
    ]))
    .unwrap();
    let data = BackupData {
        jobs,
        volumes: vec![
            volume(
                "nas:backup/vzdump-qemu-105-2026_11_19-02_00_00.vma.zst",
                105,
                100,
                Some("nextcloud\nsecond line"),
            ),
            volume(
                "nas:backup/vzdump-qemu-105-2026_11_20-02_00_00.vma.zst",
                105,
                200,
                Some("nextcloud"),
            ),
            volume("pbs:backup/ct/310/2026-11-20T02:00:00Z", 310, 150, None),
        ],
        ..BackupData::default()
    };
    let mut rows = backup_rows(&[], &data, 1000);
    assert!(rows.is_empty());
    rows.extend(gone_rows("lab", &[], &data, 1000));
    by_urgency(&mut rows);
    assert_eq!(rows.len(), 2);
    let vm = &rows[0];
    assert_eq!(
        (vm.vmid, vm.name.as_str(), vm.kind),
        (105, "nextcloud", "qemu")
    );
    assert_eq!(
        (vm.state, vm.count, vm.last_backup),
        (BackupState::Gone, 2, Some(200))
    );
    assert_eq!(
        vm.volid.as_deref(),
        Some("nas:backup/vzdump-qemu-105-2026_11_20-02_00_00.vma.zst")
    );
    assert!(vm.covered == Some(false) && vm.warning.is_none());
    // A job listing the VMID still names it; "all" no longer selects it.
    assert_eq!(vm.jobs, ["db"]);
    let ct = &rows[1];
    assert_eq!((ct.vmid, ct.name.as_str(), ct.kind), (310, "", "lxc"));
    assert_eq!(ct.cluster, "lab");
}

#[test]
fn an_archive_says_what_kind_of_guest_it_holds() {
    let kind = |volid: &str, format: &str| {
        archive_kind(&StorageVolume {
            volid: volid.into(),
            format: Some(format.into()),
            ..StorageVolume::default()
        })
    };
    assert_eq!(
        kind(
            "nas:backup/vzdump-lxc-200-2026_11_21-02_03_40.tar.zst",
            "tar.zst"
        ),
        Some(GuestKind::Lxc)
    );
    assert_eq!(
        kind("local:backup/vzdump-qemu-104-2026_11_21.vma.lzo", "vma.lzo"),
        Some(GuestKind::Qemu)
    );
    assert_eq!(
        kind("pbs:backup/vm/104/2026-11-21T02:00:00Z", "pbs-vm"),
        Some(GuestKind::Qemu)
    );
    assert_eq!(
        kind("pbs:backup/ct/200/2026-11-21T02:00:00Z", "pbs-ct"),
        Some(GuestKind::Lxc)
    );
    assert_eq!(kind("nas:backup/something-else.tar", "tar"), None);
}
