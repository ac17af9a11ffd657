//! The ssh key end to end: rack gives the terminal to `ssh` (here a stand-in on `PATH` that
//! prints its arguments and waits for a line), the stand-in has the keys, and rack comes back
//! when it exits, saying how it ended.

use super::Tmux;
use crate::common;

#[test]
fn o_suspends_rack_for_ssh_and_resumes_after() {
    let bin = common::Scratch::new("fake-ssh");
    let script = bin.join("ssh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"fake-ssh got: $*\"\nprintf 'remote$ '\nread line\necho \"typed: $line\"\nexit 3\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let env = format!("PATH={}:$PATH", bin.display());
    let t = Tmux::start_with("ssh", 100, 30, &env, "");
    t.wait_for("the hosts", |s| s.contains("pve-ms01-01"));
    t.keys(&["2"]);
    t.wait_for("101's address", |s| s.contains("10.8.16.207"));
    t.keys(&["o"]);
    let screen = t.wait_for("ssh", |s| s.contains("remote$"));
    assert!(
        screen.contains("rack: ssh 10.8.16.207 — rack comes back when it ends"),
        "{screen}"
    );
    assert!(screen.contains("fake-ssh got: 10.8.16.207"), "{screen}");
    assert!(!screen.contains("Instances("), "{screen}");
    t.text("uptime");
    t.keys(&["Enter"]);
    let screen = t.wait_for("rack again, saying how ssh ended", |s| {
        s.contains("ssh 10.8.16.207 ended with exit status 3")
    });
    assert!(screen.contains("Instances("), "{screen}");
    assert!(!screen.contains("fake-ssh got"), "{screen}");
    // The keys are rack's again.
    t.keys(&["1"]);
    t.wait_for("the hosts", |s| s.contains("Hosts("));
    t.keys(&["q"]);
    let screen = t.wait_for("rack to exit", |s| s.contains("rack exited"));
    assert!(screen.contains("rack exited 0"), "{screen}");
}
