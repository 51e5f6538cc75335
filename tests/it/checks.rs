//! `distpack check`: for every rule, a unit that triggers it (code, line and help asserted) and
//! a corrected unit that does not.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

const SCRIPT: &str = "#!/bin/sh\nexec sleep infinity\n";

struct Case {
    code: &'static str,
    /// The unit that triggers the rule; the finding must point at the line containing `marker`.
    bad: &'static str,
    marker: &'static str,
    /// The same unit, corrected.
    good: &'static str,
    /// Content of /usr/bin/svc in the bad and good packages.
    binary: (&'static str, &'static str),
    help: &'static str,
    /// More manifest for the bad case.
    extra: &'static str,
}

const fn case(
    code: &'static str,
    bad: &'static str,
    marker: &'static str,
    good: &'static str,
    help: &'static str,
) -> Case {
    Case { code, bad, marker, good, binary: (SCRIPT, SCRIPT), help, extra: "" }
}

const CASES: &[Case] = &[
    case(
        "U000",
        "[Service]\nExecStart=/usr/bin/svc\nthis is junk\n",
        "junk",
        "[Service]\nExecStart=/usr/bin/svc\n",
        "Key=value",
    ),
    Case {
        code: "U001",
        bad: "[Service]\nExecStart=/home/app/svc\nProtectHome=yes\n",
        marker: "ProtectHome",
        good: "[Service]\nExecStart=/usr/bin/svc\nProtectHome=yes\n",
        binary: (SCRIPT, SCRIPT),
        help: "ProtectHome=read-only",
        extra: "\n[[files]]\nsrc = \"bin/svc\"\ndest = \"/home/app/svc\"\nkind = \"binary\"\n",
    },
    case(
        "U002",
        "[Service]\nExecStart=/opt/svc/bin/svc --serve\n",
        "ExecStart",
        "[Service]\nExecStart=/usr/bin/svc --serve\n",
        "[[files]]",
    ),
    case(
        "U003",
        "[Service]\nExecStart=/usr/bin/svc\nUser=svcuser\n",
        "User=",
        "[Service]\nExecStart=/usr/bin/svc\nUser=svcuser\nDynamicUser=yes\n",
        "DynamicUser=yes",
    ),
    Case {
        code: "U004",
        bad: "[Service]\nType=notify\nExecStart=/usr/bin/svc\n",
        marker: "Type=",
        good: "[Service]\nType=notify\nExecStart=/usr/bin/svc\n",
        binary: (SCRIPT, "#!/bin/sh\n# uses NOTIFY_SOCKET\nexec sleep infinity\n"),
        help: "Type=exec",
        extra: "",
    },
    case(
        "U005",
        "[Service]\nExecStart=/usr/bin/svc\nReadWritePaths=/var/lib/elsewhere\n",
        "ReadWritePaths",
        "[Service]\nExecStart=/usr/bin/svc\nStateDirectory=elsewhere\nReadWritePaths=/var/lib/elsewhere\n",
        "StateDirectory=",
    ),
    Case {
        code: "U006",
        bad: "[Service]\nExecStart=/usr/bin/svc\nMemoryDenyWriteExecute=yes\n",
        marker: "MemoryDenyWriteExecute",
        good: "[Service]\nExecStart=/usr/bin/svc\nMemoryDenyWriteExecute=yes\n",
        binary: ("#!/bin/sh\n# embeds cranelift\n", SCRIPT),
        help: "remove MemoryDenyWriteExecute",
        extra: "",
    },
    Case {
        code: "U007",
        bad: "[Service]\nExecStart=/usr/bin/svc\nSystemCallFilter=~@privileged @resources\n",
        marker: "SystemCallFilter",
        good: "[Service]\nExecStart=/usr/bin/svc\nSystemCallFilter=~@privileged @resources\n",
        binary: ("#!/bin/sh\n# built on tokio\n", SCRIPT),
        help: "@resources",
        extra: "",
    },
    case(
        "U009",
        "[Service]\nNoNewPrivileges=yes\nExecStart=/usr/bin/sudo -u app /usr/bin/svc\n",
        "ExecStart",
        "[Service]\nNoNewPrivileges=yes\nUser=root\nExecStart=/usr/bin/svc\n",
        "sudo",
    ),
    case(
        "U010",
        "[Service]\nExecStart=/usr/bin/svc\nIPAddressDeny=any\nIPAddressAllow=any\n",
        "IPAddressAllow",
        "[Service]\nExecStart=/usr/bin/svc\nIPAddressDeny=any\nIPAddressAllow=localhost\n",
        "networks to allow",
    ),
    case(
        "U011",
        "[Service]\nExecStartPre=/usr/bin/mkdir -p /srv/svc\nWorkingDirectory=/srv/svc/work\nExecStart=/usr/bin/svc\n",
        "WorkingDirectory",
        "[Service]\nExecStartPre=/usr/bin/mkdir -p /srv/svc\nWorkingDirectory=-/srv/svc/work\nExecStart=/usr/bin/svc\n",
        "WorkingDirectory=-PATH",
    ),
    case(
        "U012",
        "[Service]\nExecStart=/usr/bin/svc\nRestart=always\nRestartSec=5s\n",
        "Restart=",
        "[Unit]\nStartLimitBurst=5\n[Service]\nExecStart=/usr/bin/svc\nRestart=always\nRestartSec=5s\n",
        "StartLimitBurst=5",
    ),
];

/// Package `unit` as svc.service (or `unit_name`) with /usr/bin/svc and return the findings.
fn findings(unit_name: &str, unit: &str, binary: &str, extra: &str, unit_mode: u32) -> Vec<Value> {
    let manifest = format!(
        "{PACKAGE}\n[[files]]\nsrc = \"bin/svc\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"units/{unit_name}\"\nkind = \"unit\"\n{extra}"
    );
    let unit_path = format!("units/{unit_name}");
    let fixture = Fixture::new(&manifest, &[("bin/svc", binary), (unit_path.as_str(), unit)]);
    std::fs::set_permissions(fixture.dir.path().join(&unit_path), std::fs::Permissions::from_mode(unit_mode)).unwrap();
    let out = distpack().args(["check", "--json", "-m"]).arg(fixture.manifest()).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let list = json.as_array().unwrap().clone();
    let has_error = list.iter().any(|f| f["severity"] == "error");
    assert_eq!(out.status.code(), Some(if has_error { 4 } else { 0 }), "exit code follows the severities: {list:#?}");
    list
}

fn codes(list: &[Value]) -> Vec<String> {
    list.iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_unit_rule_triggers_and_clears() {
    for case in CASES {
        let bad = findings("svc.service", case.bad, case.binary.0, case.extra, 0o644);
        let finding = bad
            .iter()
            .find(|f| f["code"] == case.code)
            .unwrap_or_else(|| panic!("{} not reported for\n{}\n{bad:#?}", case.code, case.bad));
        let line = case.bad.lines().position(|l| l.contains(case.marker)).unwrap() + 1;
        assert_eq!(finding["line"], line, "{}: wrong line: {finding:#}", case.code);
        assert_eq!(finding["file"], "units/svc.service", "{}", case.code);
        assert!(
            finding["help"].as_str().unwrap().contains(case.help),
            "{}: help should mention `{}`: {finding:#}",
            case.code,
            case.help
        );
        let good = findings("svc.service", case.good, case.binary.1, "", 0o644);
        // Each bad unit shows its own problem: no finding that is an error besides the one tested.
        let others: Vec<&Value> = bad.iter().filter(|f| f["code"] != case.code && f["severity"] == "error").collect();
        assert!(others.is_empty(), "{}: unexpected errors {others:#?}", case.code);
        assert!(
            !codes(&good).contains(&case.code.to_string()),
            "{} still reported for the corrected unit\n{}\n{good:#?}",
            case.code,
            case.good
        );
    }
}

#[test]
fn unit_mode_and_name_rules() {
    let unit = "[Service]\nExecStart=/usr/bin/svc\n";
    let executable = findings("svc.service", unit, SCRIPT, "", 0o755);
    let f = executable.iter().find(|f| f["code"] == "U013").expect("U013 for an executable unit");
    assert_eq!(f["severity"], "warning");
    assert!(f["help"].as_str().unwrap().contains("chmod -x"));
    assert!(!codes(&findings("svc.service", unit, SCRIPT, "", 0o644)).contains(&"U013".to_string()));

    let misnamed = findings("svc.conf", unit, SCRIPT, "", 0o644);
    let f = misnamed.iter().find(|f| f["code"] == "U014").expect("U014 for a unit without a unit suffix");
    assert_eq!((f["severity"].as_str(), f["line"].as_u64()), (Some("error"), Some(1)));
    assert!(f["help"].as_str().unwrap().contains("NAME.service"));
}

#[test]
fn manifest_rules_and_ignore() {
    let unit = "[Service]\nExecStart=/usr/bin/svc\n";
    let config = "\n[[files]]\nsrc = \"bin/svc\"\ndest = \"/usr/share/fixture/svc.conf\"\nkind = \"config\"\n";
    let list = findings("svc.service", unit, SCRIPT, config, 0o644);
    let f = list.iter().find(|f| f["code"] == "M001").expect("M001 for a config file outside /etc");
    assert!(f["file"].as_str().unwrap().ends_with("distpack.toml") && f["help"].as_str().unwrap().contains("/etc"));
    let list = findings("svc.service", unit, "not an executable\n", "", 0o644);
    assert!(codes(&list).contains(&"M002".to_string()), "M002 for a binary that is neither ELF nor #!: {list:#?}");
    assert!(!codes(&findings("svc.service", unit, SCRIPT, "", 0o644)).contains(&"M002".to_string()));

    let ignored = findings(
        "svc.service",
        "[Service]\nExecStart=/opt/other/bin/tool\n",
        SCRIPT,
        "\n[check]\nignore = [\"U002\"]\n",
        0o644,
    );
    assert!(ignored.is_empty(), "{ignored:#?}");
}

#[test]
fn build_refuses_check_errors_unless_allowed() {
    let manifest = format!(
        "{PACKAGE}\n[[files]]\nsrc = \"bin/svc\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"units/svc.service\"\nkind = \"unit\"\n"
    );
    let fixture = Fixture::new(
        &manifest,
        &[("bin/svc", SCRIPT), ("units/svc.service", "[Service]\nExecStart=/opt/missing/svc\n")],
    );
    let out_dir = fixture.dir.path().join("dist");
    let out = distpack()
        .args(["build", "--no-build", "-m"])
        .arg(fixture.manifest())
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("error[U002]: units/svc.service:2:"), "{err}");
    assert!(
        !out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(),
        "nothing is written when checks fail"
    );
    let out = distpack()
        .args(["build", "--no-build", "--allow-check-errors", "-m"])
        .arg(fixture.manifest())
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let artifacts = text(&out.stdout);
    assert!(
        artifacts.lines().any(|l| l.ends_with(".deb")) && artifacts.lines().any(|l| l.ends_with(".rpm")),
        "{artifacts}"
    );
}

#[test]
fn misspelled_keys_values_and_codes_get_a_suggestion() {
    for (table, said) in [
        ("[deb]\nnmae = \"x\"\n", "did you mean `name`?"),
        ("[[files]]\nsrc = \"a\"\nkind = \"binry\"\n", "did you mean `binary`?"),
        ("[check]\nignore = [\"U02\"]\n", "did you mean `U002`?"),
        ("[check]\nignore = [\"U999\"]\n", "`U999` is not a check code"),
    ] {
        let fx = Fixture::new(&format!("{PACKAGE}{table}"), &[("a", "")]);
        let out = distpack().args(["plan", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{table}");
        assert!(text(&out.stderr).contains(said), "{table}: {}", text(&out.stderr));
    }
}

#[test]
fn user_with_dynamic_user_is_reported() {
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"kv.service\"\nkind = \"unit\"\n"),
        &[("kv.service", "[Service]\nExecStart=/bin/true\nDynamicUser=yes\nUser=kv\n")],
    );
    let out = distpack().args(["check", "--json", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let u015: Vec<_> = findings.as_array().unwrap().iter().filter(|f| f["code"] == "U015").collect();
    assert_eq!(u015.len(), 1, "{findings}");
    assert_eq!(u015[0]["line"], 4);
}

/// Every code `check` can report is documented in docs/manifest.md's table, and the table
/// documents nothing else.
#[test]
fn the_documented_check_codes_are_the_codes() {
    let docs = std::fs::read_to_string(repo().join("docs/manifest.md")).unwrap();
    let documented: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split_once(" |").map(|(code, _)| code))
        .filter(|c| c.len() == 4 && c[1..].chars().all(|d| d.is_ascii_digit()) && "UMABH".contains(&c[..1]))
        .collect();
    assert_eq!(documented, distpack::check::CODES);
    // And every code in the source is in the list.
    let mut used = Vec::new();
    for dir in ["src/check", "src/plan"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            for piece in source.split('"').skip(1).step_by(2) {
                if piece.len() == 4 && "UMAB".contains(&piece[..1]) && piece[1..].chars().all(|d| d.is_ascii_digit()) {
                    used.push(piece.to_string());
                }
            }
        }
    }
    for code in used {
        assert!(distpack::check::CODES.contains(&code.as_str()), "{code} is reported but not in check::CODES");
    }
}

/// Check a package of `units` (name, text) and `files` (installed path, content; binaries 0755),
/// for Debian: the findings as (code, severity, file, line) plus the whole list.
fn check_package(units: &[(&str, &[u8])], files: &[(&str, &[u8])]) -> Vec<Value> {
    // The binaries may link libraries no installed package ships, which dpkg-shlibdeps refuses:
    // these checks are about units, not dependencies.
    let mut manifest = format!("{PACKAGE}auto-depends = false\n");
    let fixture = Fixture::new("", &[]);
    for (i, (dest, content)) in files.iter().enumerate() {
        manifest += &format!("\n[[files]]\nsrc = \"files/{i}\"\ndest = \"{dest}\"\nkind = \"binary\"\n");
        std::fs::create_dir_all(fixture.dir.path().join("files")).unwrap();
        std::fs::write(fixture.dir.path().join(format!("files/{i}")), content).unwrap();
    }
    for (name, content) in units {
        manifest += &format!("\n[[files]]\nsrc = \"units/{name}\"\nkind = \"unit\"\n");
        std::fs::create_dir_all(fixture.dir.path().join("units")).unwrap();
        std::fs::write(fixture.dir.path().join(format!("units/{name}")), content).unwrap();
    }
    std::fs::write(fixture.manifest(), manifest).unwrap();
    let out =
        distpack().args(["check", "--json", "--no-build", "-f", "deb", "-m"]).arg(fixture.manifest()).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    json.as_array().unwrap().clone()
}

/// The (code, severity, line) of each finding with `code`.
fn with_code(list: &[Value], code: &str) -> Vec<(String, usize)> {
    list.iter()
        .filter(|f| f["code"] == code)
        .map(|f| (f["severity"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap() as usize))
        .collect()
}

const SH: &[u8] = b"#!/bin/sh\nexec sleep infinity\n";

#[test]
fn u002_exec_lines_that_cannot_break_the_unit_are_not_errors() {
    // named-resolvconf.service (bind9) and mdadm: a Condition*= on the path skips the unit, no failure.
    let guarded = b"[Unit]\nConditionFileIsExecutable=/sbin/resolvconf\n[Service]\nExecStart=/bin/sh -c 'echo nameserver 127.0.0.1 | /sbin/resolvconf -a lo.named'\nExecStop=/sbin/resolvconf -d lo.named\n";
    let exists = b"[Unit]\nConditionPathExists=/usr/sbin/mdmon\n[Service]\nExecStart=/usr/sbin/mdmon --foreground %I\n";
    // `-`: systemd records the failure (203/EXEC too) and goes on.
    let optional = b"[Service]\nExecStartPre=-/usr/sbin/other-tool --prepare\nExecStart=/usr/bin/demo\n";
    // Standard tools of every Debian, Fedora and Arch system.
    let standard = b"[Service]\nExecStartPre=/bin/sync\nExecStartPre=/bin/run-parts /etc/demo.d\nExecStartPre=/sbin/start-stop-daemon --version\nExecStartPre=/usr/bin/busctl status\nExecStartPre=/usr/bin/mkfifo /run/demo/fifo\nExecStart=/usr/bin/demo\nExecStop=/usr/bin/pkill demo\n";
    // Merged /usr: /bin/demo is /usr/bin/demo on Debian 12; systemd unquotes the executable.
    let merged = b"[Service]\nExecStartPre=/bin/demo --check\nExecStart=\"/usr/bin/demo\" --serve\n";
    let list = check_package(
        &[
            ("named-resolvconf.service", guarded),
            ("mdmon@.service", exists),
            ("optional.service", optional),
            ("standard.service", standard),
            ("merged.service", merged),
        ],
        &[("/usr/bin/demo", SH)],
    );
    assert_eq!(with_code(&list, "U002"), [], "{list:#?}");
}

#[test]
fn u002_still_catches_what_breaks_the_unit() {
    // A Condition*= on another path, a negated one and a `!`-less Assert guard nothing.
    let other_guard = b"[Unit]\nConditionPathExists=/etc/demo.conf\n[Service]\nExecStart=/usr/sbin/missing\n";
    // `-` on the main command: the service "starts" and does nothing; a warning says so.
    let optional_main = b"[Service]\nExecStart=-/usr/sbin/missing\n";
    // `|` is no prefix systemd knows: "Neither a valid executable name nor an absolute path",
    // and the unit does not load (systemd-analyze verify: "fatal error").
    let pipe = b"[Service]\nExecStart=|/usr/bin/demo\n";
    // blkdeactivate is dmsetup's (lvm2 depends on it): a package using it must ship it or depend on dmsetup.
    let blk = b"[Service]\nExecStop=/sbin/blkdeactivate -u -l wholevg\nExecStart=/usr/bin/demo\n";
    let list = check_package(
        &[
            ("guard.service", other_guard),
            ("main.service", optional_main),
            ("pipe.service", pipe),
            ("blk.service", blk),
        ],
        &[("/usr/bin/demo", SH)],
    );
    let u002: Vec<(String, String, usize)> = list
        .iter()
        .filter(|f| f["code"] == "U002")
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(
        u002,
        [
            ("units/blk.service".to_string(), "error".to_string(), 2),
            ("units/guard.service".to_string(), "error".to_string(), 4),
            ("units/main.service".to_string(), "warning".to_string(), 2),
            ("units/pipe.service".to_string(), "error".to_string(), 2),
        ],
        "{list:#?}"
    );
    let pipe = list.iter().find(|f| f["file"] == "units/pipe.service").unwrap();
    assert!(pipe["help"].as_str().unwrap().contains("remove the `|`"), "{pipe:#}");
}

/// An ELF binary that links only libc and has no sign of sd_notify: the host's /usr/bin/true.
fn plain_elf() -> Vec<u8> {
    std::fs::read("/usr/bin/true").unwrap()
}

/// With `cc`: a daemon that links `libdemo-util.so.0` (DT_NEEDED) and has no sign of sd_notify of
/// its own, and that library, which has one — as smbd and libsamba-util.
fn daemon_and_library() -> (Vec<u8>, Vec<u8>) {
    require_tool("cc");
    let dir = tempdir();
    let p = dir.path();
    std::fs::write(
        p.join("lib.c"),
        "const char *socket_env = \"NOTIFY_SOCKET\";\nint ready(void) { return socket_env[0]; }\n",
    )
    .unwrap();
    std::fs::write(p.join("main.c"), "int ready(void);\nint main(void) { return ready(); }\n").unwrap();
    run(Command::new("cc").current_dir(p).args([
        "-shared",
        "-fPIC",
        "-Wl,-soname,libdemo-util.so.0",
        "-o",
        "libdemo-util.so.0",
        "lib.c",
    ]));
    run(Command::new("cc").current_dir(p).args(["-o", "daemon", "main.c", "-L.", "-l:libdemo-util.so.0"]));
    (std::fs::read(p.join("daemon")).unwrap(), std::fs::read(p.join("libdemo-util.so.0")).unwrap())
}

#[test]
fn u004_follows_linked_libraries_and_shell_wrappers() {
    let notify: &[u8] = b"[Service]\nType=notify\nExecStart=/usr/sbin/smbd --foreground\n";
    // A plain ELF that links only the C library: provably no sd_notify, an error naming the
    // installed path.
    let list = check_package(&[("smbd.service", notify)], &[("/usr/sbin/smbd", &plain_elf())]);
    assert_eq!(with_code(&list, "U004"), [("error".to_string(), 2)], "{list:#?}");
    assert!(list[0]["message"].as_str().unwrap().contains("/usr/sbin/smbd"), "{list:#?}");

    // The sign is in a library it links, shipped by the package (samba's libsamba-util).
    let (daemon, library) = daemon_and_library();
    let list = check_package(
        &[("smbd.service", notify)],
        &[("/usr/sbin/smbd", &daemon), ("/usr/lib/x86_64-linux-gnu/samba/libdemo-util.so.0", &library)],
    );
    assert_eq!(with_code(&list, "U004"), [], "{list:#?}");
    // The library comes from another package: distpack cannot tell, so a warning.
    let list = check_package(&[("smbd.service", notify)], &[("/usr/sbin/smbd", &daemon)]);
    assert_eq!(with_code(&list, "U004"), [("warning".to_string(), 2)], "{list:#?}");

    // sh -c "exec …": the program the shell execs decides.
    let wrapper: &[u8] = b"[Service]\nType=notify\nExecStart=/bin/sh -c \"exec /usr/sbin/smbd --foreground\"\n";
    let list = check_package(&[("smbd.service", wrapper)], &[("/usr/sbin/smbd", b"#!/bin/sh\n# NOTIFY_SOCKET\n")]);
    assert_eq!(with_code(&list, "U004"), [], "{list:#?}");
    // A shell line whose program is not in the package: a warning, never an error.
    let unknown: &[u8] = b"[Service]\nType=notify\nExecStart=/bin/sh -c \"exec other-daemon\"\n";
    let list = check_package(&[("other.service", unknown)], &[]);
    assert_eq!(with_code(&list, "U004"), [("warning".to_string(), 2)], "{list:#?}");
    // A script may run systemd-notify or exec a program that notifies: a warning.
    let script: &[u8] = b"[Service]\nType=notify\nExecStart=/usr/bin/demo\n";
    let list = check_package(&[("demo.service", script)], &[("/usr/bin/demo", SH)]);
    assert_eq!(with_code(&list, "U004"), [("warning".to_string(), 2)], "{list:#?}");
}

#[test]
fn u005_paths_that_exist_when_the_service_starts_are_not_errors() {
    // libvirtd-style: a sibling unit's RuntimeDirectory=, /var/run/X for RuntimeDirectory=X, the
    // kernel's /proc and /sys, systemd's /run/systemd, a `-` path systemd skips when missing.
    let main: &[u8] = b"[Service]\nExecStart=/usr/bin/demo\nRuntimeDirectory=demo\nReadWritePaths=/var/run/demo /proc/sys/net /sys/fs/cgroup /run/systemd/journal -/srv/maybe\nReadWritePaths=/var/lib/demo-helper /var/spool\n";
    let helper: &[u8] = b"[Service]\nExecStart=/usr/bin/demo --helper\nStateDirectory=demo-helper\n";
    let list = check_package(&[("demo.service", main), ("demo-helper.service", helper)], &[("/usr/bin/demo", SH)]);
    assert_eq!(with_code(&list, "U005"), [], "{list:#?}");
    // A path nothing creates is still an error (226/NAMESPACE).
    let missing: &[u8] = b"[Service]\nExecStart=/usr/bin/demo\nReadWritePaths=/var/lib/elsewhere\n";
    let list = check_package(&[("demo.service", missing)], &[("/usr/bin/demo", SH)]);
    assert_eq!(with_code(&list, "U005"), [("error".to_string(), 3)], "{list:#?}");
}

#[test]
fn u006_u007_u008_follow_systemd_exec() {
    // systemd.exec(5) names JITs, executable stacks and trampolines; redis ships
    // MemoryDenyWriteExecute=yes with jemalloc and runs.
    let mdwe: &[u8] = b"[Service]\nExecStart=/usr/bin/demo\nMemoryDenyWriteExecute=yes\n";
    let jemalloc: &[u8] = b"#!/bin/sh\n# links libjemalloc.so.2\n";
    assert_eq!(with_code(&check_package(&[("d.service", mdwe)], &[("/usr/bin/demo", jemalloc)]), "U006"), []);
    let jit: &[u8] = b"#!/bin/sh\n# embeds cranelift\n";
    assert_eq!(
        with_code(&check_package(&[("d.service", mdwe)], &[("/usr/bin/demo", jit)]), "U006"),
        [("warning".to_string(), 3)]
    );

    // setrlimit is in @resources, and @system-service includes @resources; @privileged has no
    // setrlimit (`systemd-analyze syscall-filter @privileged`).
    let tokio: &[u8] = b"#!/bin/sh\n# built on tokio\n";
    let u007 = |filter: &str| {
        let unit = format!("[Service]\nExecStart=/usr/bin/demo\n{filter}");
        with_code(&check_package(&[("d.service", unit.as_bytes())], &[("/usr/bin/demo", tokio)]), "U007")
    };
    assert_eq!(u007("SystemCallFilter=@system-service @resources\n"), [], "an allow list that names @resources");
    assert_eq!(u007("SystemCallFilter=@system-service\n"), [], "@system-service includes @resources");
    assert_eq!(u007("SystemCallFilter=~@privileged\n"), [], "@privileged does not hold setrlimit");
    assert_eq!(u007("SystemCallFilter=~@privileged @resources\n"), [("warning".to_string(), 3)]);
    assert_eq!(u007("SystemCallFilter=@basic-io @network-io\n"), [("warning".to_string(), 3)], "allow list without it");
    assert_eq!(u007("SystemCallFilter=~@resources\nSystemCallFilter=setrlimit @resources\n"), [], "allowed again");

    // Raw sockets and CAP_SYS_ADMIN need no device nodes: U008 is retired.
    let caps: &[u8] =
        b"[Service]\nExecStart=/usr/bin/demo\nAmbientCapabilities=CAP_NET_RAW CAP_SYS_ADMIN\nPrivateDevices=yes\n";
    assert_eq!(with_code(&check_package(&[("d.service", caps)], &[("/usr/bin/demo", SH)]), "U008"), []);
}

#[test]
fn u012_only_where_the_default_start_limit_never_stops_the_loop() {
    // DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5, RestartSec= default 100ms.
    let u012 = |service: &str, unit_section: &str| {
        let unit = format!("[Unit]\n{unit_section}[Service]\nExecStart=/usr/bin/demo\nRestart=on-failure\n{service}");
        with_code(&check_package(&[("d.service", unit.as_bytes())], &[("/usr/bin/demo", SH)]), "U012")
    };
    assert_eq!(u012("", ""), [], "RestartSec unset: 100ms, stopped after 5 starts");
    assert_eq!(u012("RestartSec=2\n", ""), [], "4 × 2s fit in 10s");
    assert_eq!(u012("RestartSec=500ms\n", ""), []);
    assert_eq!(u012("RestartSec=5s\n", "StartLimitInterval=60\n"), [], "legacy StartLimitInterval= in [Unit]");
    assert_eq!(u012("RestartSec=5s\n", "StartLimitIntervalSec=60\n"), []);
    assert_eq!(u012("RestartSec=5s\n", ""), [("warning".to_string(), 4)]);
    assert_eq!(u012("RestartSec=1min 30s\n", ""), [("warning".to_string(), 4)]);
}

/// `distpack plan --json` for a package of `units`, and its exit code and stderr.
fn plan(units: &[(&str, &[u8])]) -> (Option<i32>, Value, String) {
    let mut manifest = PACKAGE.to_string();
    let fixture = Fixture::new("", &[]);
    std::fs::create_dir_all(fixture.dir.path().join("units")).unwrap();
    for (name, content) in units {
        manifest += &format!("\n[[files]]\nsrc = \"units/{name}\"\nkind = \"unit\"\n");
        std::fs::write(fixture.dir.path().join(format!("units/{name}")), content).unwrap();
    }
    std::fs::write(fixture.manifest(), manifest).unwrap();
    let out = distpack().args(["plan", "--json", "-f", "deb", "-m"]).arg(fixture.manifest()).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, text(&out.stderr))
}

#[test]
fn u003_users_every_system_has_and_template_users_are_not_provisioned() {
    let units: &[(&str, &[u8])] = &[
        ("mailer.service", b"[Service]\nExecStart=/bin/true\nUser=mail\n"),
        ("pg_dump@.service", b"[Service]\nExecStart=/bin/true\nUser=%i\n"),
        ("own.service", b"[Service]\nExecStart=/bin/true\nUser=own\n"),
    ];
    let (code, json, stderr) = plan(units);
    assert_eq!(code, Some(0), "User=%i in a template is accepted: {stderr}");
    let mut users = Vec::new();
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(list)) = map.get("users") {
                    out.extend(list.iter().filter_map(|u| u["name"].as_str()).map(str::to_string));
                }
                map.values().for_each(|v| collect(v, out));
            }
            Value::Array(list) => list.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    collect(&json, &mut users);
    users.dedup();
    assert_eq!(users, ["own"], "only the package's own user is provisioned: {json:#}");
    let list = check_package(units, &[]);
    assert_eq!(with_code(&list, "U003"), [("warning".to_string(), 3)], "{list:#?}");
    assert_eq!(list.iter().find(|f| f["code"] == "U003").unwrap()["file"], "units/own.service");
}

#[test]
fn unit_errors_name_the_unit_file_and_line_and_the_text_is_read_as_systemd_reads_it() {
    // An invalid User= is an error about the unit's line, not distpack.toml:1:1.
    let (code, _, stderr) = plan(&[("bad.service", b"[Unit]\nDescription=x\n[Service]\nUser=Bad.Name\n")]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("bad.service:4:"), "the error points at the unit line: {stderr}");
    assert!(!stderr.contains("distpack.toml:1:1"), "{stderr}");

    // Bytes that are not UTF-8 in an assignment: systemd 252 logs "String is not UTF-8 clean,
    // ignoring assignment" and then refuses the unit ("Failed to load configuration: Invalid
    // argument"), so an error at that line of the unit; in a comment they are harmless.
    let latin1: &[u8] = b"# Caf\xe9\n[Unit]\nDescription=Caf\xe9\n[Service]\nExecStart=/usr/bin/demo\n";
    let list = check_package(&[("latin1.service", latin1)], &[("/usr/bin/demo", SH)]);
    assert_eq!(with_code(&list, "U000"), [("error".to_string(), 3)], "{list:#?}");
    assert_eq!(list[0]["file"], "units/latin1.service");
    assert_eq!(with_code(&list, "U002"), [], "ExecStart= after the bad line is read: {list:#?}");

    // A UTF-8 byte order mark is skipped, as systemd does: no U000, and [Service] is seen.
    let bom: &[u8] = b"\xef\xbb\xbf[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/demo\nRestart=always\n";
    let list = check_package(&[("bom.service", bom)], &[("/usr/bin/demo", SH)]);
    assert_eq!(list, Vec::<Value>::new(), "a BOM changes nothing");
}

#[test]
fn u016_settings_systemd_warns_are_deprecated() {
    // systemd-analyze verify (252) warns on each of these lines; so does check.
    let unit: &[u8] = b"[Service]\nExecStart=/usr/bin/demo\nMemoryLimit=1G\nStandardOutput=syslog\nKillMode=none\n";
    let list = check_package(&[("old.service", unit)], &[("/usr/bin/demo", SH)]);
    assert_eq!(
        with_code(&list, "U016"),
        [("warning".to_string(), 3), ("warning".to_string(), 4), ("warning".to_string(), 5)],
        "{list:#?}"
    );
    let modern: &[u8] = b"[Service]\nExecStart=/usr/bin/demo\nMemoryMax=1G\nKillMode=mixed\n";
    assert_eq!(with_code(&check_package(&[("new.service", modern)], &[("/usr/bin/demo", SH)]), "U016"), []);
}

/// `[check] hardening = true` reports exactly the four settings `systemd-analyze security` marks ✗
/// for the unit, on units from bare to hardened; without it, none.
#[test]
fn hardening_findings_are_what_systemd_analyze_security_marks() {
    require_tool("systemd-analyze");
    let keys = [
        ("H001", "User=/DynamicUser="),
        ("H002", "NoNewPrivileges="),
        ("H003", "ProtectSystem="),
        ("H004", "PrivateTmp="),
    ];
    let units = [
        "[Service]\nExecStart=/usr/bin/svc\n",
        "[Service]\nExecStart=/usr/bin/svc\nUser=nobody\nProtectSystem=full\nPrivateTmp=yes\n",
        "[Service]\nExecStart=/usr/bin/svc\nUser=svc\nNoNewPrivileges=yes\nProtectSystem=strict\n",
        "[Service]\nExecStart=/usr/bin/svc\nDynamicUser=yes\n",
    ];
    let binary = "#!/bin/sh\nexec sleep infinity\n";
    for unit in units {
        let found = codes(&findings("svc.service", unit, binary, "\n[check]\nhardening = true\n", 0o644));
        let dir = tempdir();
        let path = dir.path().join("svc.service");
        std::fs::write(&path, unit).unwrap();
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(&path)
            .output()
            .unwrap();
        let table = text(&out.stdout);
        for (code, key) in keys {
            let marked = table.lines().any(|l| l.starts_with("✗") && l.contains(&format!(" {key} ")));
            assert_eq!(found.iter().any(|c| c == code), marked, "{code} ({key}) for\n{unit}\n{table}");
        }
        let plain = codes(&findings("svc.service", unit, binary, "", 0o644));
        assert!(!plain.iter().any(|c| c.starts_with('H')), "{plain:?}");
    }
}

/// A directory only a maintainer-script hook creates is out of check's sight: U005 says so as a
/// warning instead of refusing the build; a path no script names stays an error.
#[test]
fn u005_is_a_warning_for_a_path_a_hook_names() {
    let unit = "[Service]\nExecStart=/usr/bin/svc\nReadWritePaths=/var/lib/hooked /var/lib/hooked-not\n";
    let manifest = format!(
        "{PACKAGE}auto-depends = false\n\n[package.scripts]\npost-install = \"hooks/post-install.sh\"\n\n[[files]]\nsrc = \"bin/svc\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"units/svc.service\"\nkind = \"unit\"\n"
    );
    let fixture = Fixture::new(
        &manifest,
        &[
            ("bin/svc", "#!/bin/sh\nexec sleep infinity\n"),
            ("units/svc.service", unit),
            ("hooks/post-install.sh", "mkdir -p /var/lib/hooked\n"),
        ],
    );
    let out =
        distpack().args(["check", "--json", "--no-build", "-f", "deb", "-m"]).arg(fixture.manifest()).output().unwrap();
    let list: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().clone();
    let u005: Vec<(String, String)> = list
        .iter()
        .filter(|f| f["code"] == "U005")
        .map(|f| (f["severity"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(u005.len(), 2, "{list:#?}");
    assert!(
        u005.iter()
            .any(|(s, m)| s == "warning" && m.contains("/var/lib/hooked is created only by a maintainer script")),
        "{u005:?}"
    );
    assert!(u005.iter().any(|(s, m)| s == "error" && m.contains("/var/lib/hooked-not is not created")), "{u005:?}");
}

/// A well-known tool from another package is there when the package depends on that package
/// (lvm2 depends on dmsetup for blkdeactivate, as Debian ships it); without the dependency the
/// error says which package to depend on.
#[test]
fn u002_accepts_a_tool_from_a_package_it_depends_on() {
    let unit = "[Service]\nExecStart=/usr/bin/svc\nExecStop=/sbin/blkdeactivate -u -l wholevg\n";
    let u002 = |depends: &str| -> Vec<Value> {
        let manifest = format!(
            "{PACKAGE}auto-depends = false\n{depends}\n[[files]]\nsrc = \"bin/svc\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"units/svc.service\"\nkind = \"unit\"\n"
        );
        let fx =
            Fixture::new(&manifest, &[("bin/svc", "#!/bin/sh\nexec sleep infinity\n"), ("units/svc.service", unit)]);
        let out =
            distpack().args(["check", "--json", "--no-build", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
        let list: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().clone();
        list.into_iter().filter(|f| f["code"] == "U002").collect()
    };
    let missing = u002("");
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert!(missing[0]["help"].as_str().unwrap().contains("dmsetup"), "{missing:#?}");
    assert_eq!(u002("depends = [\"dmsetup\"]\n"), Vec::<Value>::new());
}
