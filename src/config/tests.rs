use super::*;
use crate::action::Action;
use crate::sched::{DeviceClass, Policy};

fn parse_ok(text: &str) -> Config {
    parse(text, Path::new("rack.toml")).unwrap()
}

fn parse_err(text: &str) -> String {
    parse(text, Path::new("rack.toml")).unwrap_err().to_string()
}

const GOOD: &str = r#"
poll_interval = "3s"
theme = "light"

[keys]
"ctrl-r" = "refresh"
"ctrl-q" = "quitt"

[[clusters]]
name = "homelab"
endpoints = ["10.0.0.1", "https://10.0.0.2:8443/"]
token_id = "root@pam!rack"
token_secret_file = "~/.config/rack/homelab.secret"
fingerprint = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"

[[clusters]]
name = "lab"
endpoints = ["http://127.0.0.1:8006"]
user = "root@pam"
password = "inline"
read_only = true
timeout = 5
"#;

#[test]
fn a_full_config_reads() {
    let c = parse_ok(GOOD);
    assert_eq!(c.poll_interval, Duration::from_secs(3));
    assert_eq!(c.theme, "light");
    assert_eq!(c.keys, [("ctrl-r".parse().unwrap(), Action::Refresh)]);
    let home = &c.clusters[0];
    assert_eq!(
        home.endpoints,
        ["https://10.0.0.1:8006", "https://10.0.0.2:8443"]
    );
    assert!(
        matches!(&home.auth, AuthConfig::Token { id, secret: SecretSource::File(_) } if id == "root@pam!rack")
    );
    assert!(
        home.tls
            .fingerprint
            .as_deref()
            .unwrap()
            .starts_with("AA:BB:")
    );
    let lab = &c.clusters[1];
    assert!(lab.read_only);
    assert_eq!(lab.timeout, Duration::from_secs(5));
    // Inline secrets and plain HTTP are accepted with a warning each.
    // …and a binding to no action is reported with its line, not fatal.
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("rack.toml:7: keys.\"ctrl-q\": unknown action \"quitt\"")),
        "{:?}",
        c.warnings
    );
    assert!(c.warnings.iter().any(|w| w.contains("plain HTTP")));
    assert!(c.warnings.iter().any(|w| w.contains("password is written")));
}

#[test]
fn errors_name_file_line_and_key() {
    let e = parse_err("[[clusters]]\nname = \"a\"\nendpoint = [\"x\"]\n");
    assert!(e.starts_with("rack.toml:3: endpoint: unknown field"), "{e}");
    let e = parse_err(
        "[[clusters]]\nname = \"a\"\nendpoints = [\"https://h\"]\ntoken_id = \"root@pam\"\ntoken_secret_env = \"X\"\n",
    );
    assert!(
        e.starts_with("rack.toml:4: token_id: \"root@pam\": expected USER@REALM!TOKENID"),
        "{e}"
    );
    let e = parse_err(
        "[[clusters]]\nname = \"a\"\nendpoints = [\"https://h\"]\ntoken_id = \"root@pam!x\"\ntoken_secret_env = \"X\"\ntoken_secret_file = \"f\"\n",
    );
    assert!(e.contains(":6: token_secret_file: give only one of"), "{e}");
    let e = parse_err(
        "[[clusters]]\nname = \"a\"\nendpoints = [\"ftp://h\"]\nuser = \"root@pam\"\npassword_env = \"P\"\n",
    );
    assert!(
        e.starts_with("rack.toml:3: endpoints: \"ftp://h\": expected https://"),
        "{e}"
    );
    let e = parse_err("poll_interval = \"soon\"\n[[clusters]]\n");
    assert!(
        e.starts_with("rack.toml:1: poll_interval: \"soon\": expected a duration"),
        "{e}"
    );
    // Out of range is an error with file, line and key, never a panic at start.
    let e = parse_err("poll_interval = 1e30\n[[clusters]]\n");
    assert!(
        e.starts_with("rack.toml:1: poll_interval: 1000000000000000000000000000000 s is too long: at most 3600 s"),
        "{e}"
    );
    let e = parse_err("poll_interval = \"5x\"\n[[clusters]]\n");
    assert!(
        e.starts_with(
            "rack.toml:1: poll_interval: unknown unit \"x\" in \"5x\": use ms, s, m or h"
        ),
        "{e}"
    );
    let e = parse_err("poll_interval = \"5h\"\n[[clusters]]\n");
    assert!(e.contains("18000 s is too long: at most 3600 s"), "{e}");
    let e = parse_err("poll_interval = 0.1\n[[clusters]]\n");
    assert!(e.contains("0.1 s is too short: at least 0.5 s"), "{e}");
    for key in ["timeout", "wake_timeout"] {
        for value in ["1e30", "-1", "inf", "\"nan\""] {
            let e = parse_err(&format!(
                "[[clusters]]\nname = \"a\"\nendpoints = [\"h\"]\ntoken_id = \"a@pam!b\"\ntoken_secret_env = \"S\"\n{key} = {value}\n"
            ));
            assert!(
                e.starts_with(&format!("rack.toml:6: {key}: ")),
                "{key} = {value}: {e}"
            );
        }
    }
    let e = parse_err(
        "[[clusters]]\nname = \"a\"\nendpoints = [\"h\"]\nuser = \"root@pam\"\npassword_env = \"P\"\nfingerprint = \"AA\"\n",
    );
    assert!(
        e.starts_with("rack.toml:6: fingerprint: expected a SHA-256"),
        "{e}"
    );
    let e = parse_err("[[clusters]]\nname = \"a\"\nendpoints = [\"h\"]\n");
    assert!(e.contains("token_id: cluster \"a\" needs token_id"), "{e}");
    let e = parse_err("theme = 3\n");
    assert!(e.starts_with("rack.toml:1: theme: "), "{e}");
    let e = parse_err("theme = \"x\"\n");
    assert!(e.contains("clusters: no [[clusters]]"), "{e}");
}

#[test]
fn a_missing_default_file_means_no_config_but_a_named_one_must_exist() {
    let missing = Path::new("/nonexistent/rack/config.toml");
    let e = load(Some(missing)).unwrap_err();
    assert!(
        e.to_string().contains("/nonexistent/rack/config.toml"),
        "{e}"
    );
}

#[test]
fn the_example_config_is_valid() {
    let text = include_str!("../../config.example.toml");
    let c = parse(text, Path::new("config.example.toml")).unwrap();
    assert_eq!(c.clusters.len(), 1);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn an_unreadable_file_is_named_without_a_line() {
    let e = load(Some(Path::new("/nonexistent/rack.toml"))).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/rack.toml: cannot read the file:"),
        "{e}"
    );
}

#[test]
fn wake_settings_read_and_a_bad_mac_is_placed() {
    let base = "[[clusters]]\nname = \"c\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"X\"\n";
    let ok = parse_ok(&format!(
        "{base}wake_broadcast = \"10.0.0.255\"\nwake_timeout = \"5m\"\n[clusters.macs]\npve3 = \"AA-BB-CC-DD-EE-FF\"\n"
    ));
    let wake = &ok.clusters[0].wake;
    assert_eq!(wake.broadcast.to_string(), "10.0.0.255:9");
    assert_eq!(wake.timeout, Duration::from_secs(300));
    assert_eq!(wake.macs["pve3"], "aa:bb:cc:dd:ee:ff");
    let err = parse_err(&format!("{base}[clusters.macs]\npve3 = \"aa:bb\"\n"));
    assert!(
        err.starts_with("rack.toml:7: macs.pve3: \"aa:bb\": expected a MAC address"),
        "{err}"
    );
}

const MINIMAL: &str = r#"
[[clusters]]
name = "lab"
endpoints = ["https://10.0.0.1:8006"]
token_id = "root@pam!rack"
token_secret_env = "RACK_SECRET"
"#;

#[test]
fn placement_types_and_roles_merge_over_the_defaults() {
    let text = format!(
        r#"
[placement]
policy = "pack"
memory_headroom = 0.9
cpu_per_thread = 2.0

[[instance_types]]
name = "large"
cores = 12
memory = "24G"
disk = "150G"

[[instance_types]]
name = "coral-box"
cores = 2
memory = "4 GiB"
disk = "32G"
devices = ["coral"]

[[roles]]
name = "nvr"
type = "coral-box"
tags = ["nvr"]
network = "iot"
spread = true
{MINIMAL}"#
    );
    let c = parse_ok(&text);
    let p = &c.placement;
    assert_eq!(p.policy, Policy::Pack);
    assert_eq!((p.headroom.memory, p.headroom.cpu), (0.9, 2.0));
    assert_eq!(p.kind("large").unwrap().cores, 12, "replaces the default");
    assert_eq!(p.kind("small").unwrap().memory_mib, 4096, "defaults stay");
    assert_eq!(p.kind("coral-box").unwrap().devices, ["coral"]);
    let nvr = p.role("nvr").unwrap();
    assert_eq!(
        (nvr.kind.as_str(), nvr.network.as_deref()),
        ("coral-box", Some("iot"))
    );
    assert!(p.role("k8s-node").is_some());
}

#[test]
fn placement_errors_name_the_line_and_key() {
    let e = parse_err(&format!("[placement]\nmemory_headroom = 85\n{MINIMAL}"));
    assert_eq!(
        e,
        "rack.toml:2: placement.memory_headroom: 85 is not a fraction between 0.05 and 1 (0.85 is 85 %)"
    );
    let e = parse_err(&format!(
        "[[roles]]\nname = \"x\"\ntype = \"huge\"\n{MINIMAL}"
    ));
    assert!(
        e.starts_with("rack.toml:3: roles.type: no instance type \"huge\""),
        "{e}"
    );
    let e = parse_err(&format!(
        "[[instance_types]]\nname = \"x\"\ncores = 2\nmemory = \"lots\"\ndisk = \"8G\"\n{MINIMAL}"
    ));
    assert!(e.starts_with("rack.toml:4: instance_types.memory:"), "{e}");
}

#[test]
fn network_aliases_name_a_bridge_and_vlan() {
    let c = parse_ok(&format!(
        "{MINIMAL}\n[clusters.networks]\niot = \"vmbr0:28\"\nlan = \"vmbr1\"\n"
    ));
    let n = &c.clusters[0].networks;
    assert_eq!(
        n["iot"],
        NetworkAlias {
            bridge: "vmbr0".into(),
            vlan: Some(28)
        }
    );
    assert_eq!(n["lan"].describe(), "vmbr1");
    let e = parse_err(&format!(
        "{MINIMAL}\n[clusters.networks]\niot = \"vmbr0:5000\"\n"
    ));
    assert!(
        e.ends_with("networks.iot: \"5000\" is not a VLAN tag 1–4094"),
        "{e}"
    );
}

#[test]
fn the_device_inventory_reads_and_says_what_is_wrong() {
    let c = parse_ok(&format!(
        "{MINIMAL}\n[[clusters.devices]]\npool = \"gpu\"\nname = \"RTX 3070\"\n\n[[clusters.devices]]\nnode = \"pve1\"\npath = \"1a6e:089a\"\nclass = \"tpu\"\n"
    ));
    let d = &c.clusters[0].devices;
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].class, Some(DeviceClass::Tpu));
    let e = parse_err(&format!(
        "{MINIMAL}\n[[clusters.devices]]\npool = \"gpu\"\nclass = \"fpga\"\n"
    ));
    assert!(
        e.ends_with("devices.class: \"fpga\": expected gpu, tpu, usb or other"),
        "{e}"
    );
    let e = parse_err(&format!("{MINIMAL}\n[[clusters.devices]]\nname = \"x\"\n"));
    assert!(e.contains("devices: name a pool"), "{e}");
}

#[test]
fn a_role_gives_its_type_and_its_own_devices_network_and_tags() {
    use super::placement::{PlacementConfig, PresetError, Sizes};
    let p = PlacementConfig::default();
    let worker = p.preset(Some("gpu-worker"), None, Sizes::VM).unwrap();
    assert_eq!(worker.kind.as_deref(), Some("gpu-medium"));
    assert_eq!((worker.sizes.cores, worker.sizes.memory_mib), (8, 32 << 10));
    assert_eq!(
        worker.devices,
        ["gpu"],
        "the type's devices when the role has none"
    );
    assert_eq!(worker.tags, ["gpu"]);
    let k8s = p.preset(Some("k8s-node"), None, Sizes::VM).unwrap();
    assert_eq!(
        k8s.anti_affinity,
        ["k8s"],
        "a spread role keeps apart by its tags"
    );
    // A type named beside the role wins over the role's own.
    let small = p
        .preset(Some("k8s-node"), Some("small"), Sizes::VM)
        .unwrap();
    assert_eq!(small.sizes.cores, 2);
    assert_eq!(small.tags, ["k8s"]);
    // No type: the base sizes.
    let ct = p.preset(None, None, Sizes::CT).unwrap();
    assert_eq!(ct.sizes, Sizes::CT);
    let err = p.preset(Some("nope"), None, Sizes::VM).unwrap_err();
    assert!(matches!(err, PresetError::NoRole { .. }));
    assert!(
        err.to_string().contains("the roles are none, k8s-node"),
        "{err}"
    );
}

#[test]
fn maintenance_settings_read_and_errors_are_placed() {
    let c = parse_ok(&format!(
        "[maintenance]\nmove_stopped = false\nparallel = 3\nbelow_min_size = \"warn\"\n\
         ha_command = \"ssh root@{{node}} ha-manager crm-command node-maintenance {{action}} {{node}}\"\n{MINIMAL}"
    ));
    assert!(!c.maintenance.move_stopped);
    assert!(!c.maintenance.move_templates);
    assert_eq!(c.maintenance.parallel, 3);
    assert!(!c.maintenance.refuse_below_min_size);
    assert_eq!(
        c.maintenance.ha_command.as_deref(),
        Some("ssh root@{node} ha-manager crm-command node-maintenance {action} {node}")
    );
    let e = parse_err(&format!("[maintenance]\nparallel = 0\n{MINIMAL}"));
    assert_eq!(
        e,
        "rack.toml:2: maintenance.parallel: 0 guests at once is outside 1–8"
    );
    let e = parse_err(&format!(
        "[maintenance]\n\nbelow_min_size = \"ignore\"\n{MINIMAL}"
    ));
    assert_eq!(
        e,
        "rack.toml:3: maintenance.below_min_size: \"ignore\" is neither \"refuse\" nor \"warn\""
    );
    // The shell's own ${VAR} is no placeholder: a secret can stay in the environment.
    let c = parse_ok(&format!(
        "{MINIMAL}ha_command = \"curl -H \\\"Authorization: ${{TOKEN}}\\\" https://x/{{node}}\"\n"
    ));
    assert!(
        c.clusters[0]
            .ha_command
            .as_deref()
            .unwrap()
            .contains("${TOKEN}")
    );
    let e = parse_err(&format!(
        "{MINIMAL}ha_command = \"ssh root@{{host}} true\"\n"
    ));
    assert!(
        e.contains("ha_command: {host} is not a placeholder; they are {node}, {action}, {cluster}"),
        "{e}"
    );
}

#[test]
fn a_shell_login_is_read_and_its_mistakes_are_named() {
    let c = parse_ok(
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"T\"\n[clusters.shell]\nuser = \"root@pam\"\npassword_env = \"PW\"\n",
    );
    assert!(matches!(
        &c.clusters[0].shell,
        Some(AuthConfig::Password { user, password: SecretSource::Env(e), otp: None })
            if user == "root@pam" && e == "PW"
    ));
    assert!(parse_ok(GOOD).clusters[0].shell.is_none());
    let no_password = parse_err(
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"T\"\n[clusters.shell]\nuser = \"root@pam\"\n",
    );
    assert_eq!(
        no_password,
        "rack.toml:7: shell.password_file: expected one of shell.password_file, shell.password_env or shell.password_command"
    );
    let no_realm = parse_err(
        "[[clusters]]\nname = \"lab\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"T\"\n[clusters.shell]\nuser = \"root\"\npassword_env = \"PW\"\n",
    );
    assert_eq!(
        no_realm,
        "rack.toml:7: shell.user: \"root\": expected USER@REALM, such as \"root@pam\""
    );
}

#[test]
fn the_terminal_escape_key_is_read() {
    let cluster = "[[clusters]]\nname = \"lab\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"T\"\n";
    let c = parse_ok(&format!(
        "terminal_escape = \"ctrl-a\"\nguest_addresses_up_to = 0\n{cluster}"
    ));
    assert_eq!(c.terminal_escape, Some("ctrl-a".parse().unwrap()));
    assert_eq!(c.guest_addresses_up_to, 0);
    assert!(
        parse_err("terminal_escape = \"ctrl-\"\n").starts_with("rack.toml:1: terminal_escape: ")
    );
    assert!(
        parse_err(&format!("guest_addresses_up_to = -1\n{cluster}"))
            .starts_with("rack.toml:1: guest_addresses_up_to: -1: expected a count")
    );
}

#[test]
fn the_ssh_handoff_is_read_and_its_mistakes_are_named() {
    let cluster = "[[clusters]]\nname = \"lab\"\nendpoints = [\"10.0.0.1\"]\ntoken_id = \"root@pam!rack\"\ntoken_secret_env = \"T\"\n";
    let c = parse_ok(&format!(
        "{cluster}[clusters.ssh]\ncommand = \"/usr/bin/ssh\"\noptions = [\"-J\", \"jump\"]\nnode_user = \"admin\"\nguest_user = \"ops\"\n[[roles]]\nname = \"db\"\ntype = \"small\"\ntags = [\"db\"]\nssh_user = \"postgres\"\n"
    ));
    let ssh = &c.clusters[0].ssh;
    assert_eq!(ssh.command, "/usr/bin/ssh");
    assert_eq!(ssh.options, ["-J", "jump"]);
    assert_eq!(ssh.node_user, "admin");
    assert_eq!(ssh.guest_user.as_deref(), Some("ops"));
    let role = c.placement.role_of(&["db".into(), "production".into()]);
    assert_eq!(role.and_then(|r| r.ssh_user.as_deref()), Some("postgres"));
    // No table: ssh from PATH, root on nodes, ssh's own default on guests.
    assert_eq!(parse_ok(GOOD).clusters[0].ssh, SshConfig::default());
    assert_eq!(
        parse_err(&format!(
            "{cluster}[clusters.ssh]\nguest_user = \"-oProxyCommand=x\"\n"
        )),
        "rack.toml:7: ssh.guest_user: \"-oProxyCommand=x\" is not a user name ssh takes (letters, digits, . _ -)"
    );
    let unknown = parse_err(&format!("{cluster}[clusters.ssh]\nuser = \"x\"\n"));
    assert!(unknown.contains("unknown field `user`"), "{unknown}");
}
