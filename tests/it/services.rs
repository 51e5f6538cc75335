//! The service model in .deb packages: scripts per dh_installsystemd policy, users only where a
//! static User= needs one, and installs that succeed with no systemd running.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::*;

const FIXTURES: [&str; 9] = [
    "dynamic-user",
    "static-user",
    "no-install",
    "template",
    "socket",
    "timer",
    "no-units",
    "own-conf",
    "two-services",
];

fn fixture(name: &str) -> Fixture {
    Fixture::copy_of(&format!("services/{name}"))
}

/// The scripts of a built .deb, read back with dpkg-deb -e.
fn scripts(deb: &std::path::Path) -> BTreeMap<String, String> {
    let tmp = tempdir();
    run(Command::new("dpkg-deb").arg("-e").arg(deb).arg(tmp.path()));
    ["preinst", "postinst", "prerm", "postrm"]
        .iter()
        .filter_map(|name| std::fs::read_to_string(tmp.path().join(name)).ok().map(|s| (name.to_string(), s)))
        .collect()
}

#[test]
fn rendered_scripts_match_their_snapshots_and_pass_shellcheck() {
    require_tool("shellcheck");
    for name in FIXTURES {
        let fx = fixture(name);
        let deb = fx.build();
        let scripts = scripts(&deb);
        let mut all = String::new();
        for (script, text) in &scripts {
            all += &format!("===== {script}\n{text}");
            let path = fx.dir.path().join(script);
            std::fs::write(&path, text).unwrap();
            run(Command::new("sh").arg("-n").arg(&path));
            run(Command::new("shellcheck").args(["-s", "sh"]).arg(&path));
        }
        insta::assert_snapshot!(format!("deb_scripts_{}", name.replace('-', "_")), all);
    }
}

fn listing(deb: &std::path::Path) -> String {
    text(&run(Command::new("dpkg-deb").arg("--contents").arg(deb)).stdout)
}

#[test]
fn dynamic_user_service_provisions_nothing() {
    let fx = fixture("dynamic-user");
    let deb = fx.build();
    let all: String = scripts(&deb).values().cloned().collect();
    for forbidden in ["useradd", "adduser", "systemd-sysusers", "groupadd", "chown"] {
        assert!(!all.contains(forbidden), "DynamicUser package calls {forbidden}:\n{all}");
    }
    assert!(!listing(&deb).contains("sysusers.d"), "DynamicUser package ships a sysusers.d file");
    // It is still enabled and started per Debian policy.
    assert!(
        all.contains("deb-systemd-helper enable 'fx-dynd.service'")
            && all.contains("deb-systemd-invoke start 'fx-dynd.service'")
            && all.contains("deb-systemd-invoke restart 'fx-dynd.service'"),
        "{all}"
    );
}

#[test]
fn static_user_service_ships_sysusers_and_provisions_in_postinst() {
    let fx = fixture("static-user");
    let deb = fx.build();
    let tmp = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tmp.path()));
    let sysusers = std::fs::read_to_string(tmp.path().join("usr/lib/sysusers.d/fx-static.conf")).unwrap();
    assert!(
        sysusers.lines().any(|l| l == "u fxsvc - \"fixture service\" /var/lib/fx-svcd /usr/sbin/nologin"),
        "{sysusers}"
    );
    let tmpfiles = std::fs::read_to_string(tmp.path().join("usr/lib/tmpfiles.d/fx-static.conf")).unwrap();
    assert!(tmpfiles.lines().any(|l| l == "d /var/lib/fx-svcd 0750 fxsvc fxsvc -"), "{tmpfiles}");
    let postinst = &scripts(&deb)["postinst"];
    assert!(postinst.contains("systemd-sysusers ${DPKG_ROOT:+--root=\"$DPKG_ROOT\"} 'fx-static.conf'"), "{postinst}");
    assert!(postinst.contains("useradd --system --gid 'fxsvc'"), "fallback without systemd-sysusers:\n{postinst}");
    // Users come before the units are started.
    assert!(postinst.find("systemd-sysusers").unwrap() < postinst.find("deb-systemd-invoke").unwrap());
}

/// A project's own sysusers.d and tmpfiles.d files (kind `sysusers`/`tmpfiles`, or any file
/// shipped there) are applied as distpack's generated ones are, not merely shipped.
#[test]
fn own_sysusers_and_tmpfiles_files_are_applied_by_the_scripts() {
    let fx = fixture("own-conf");
    let deb = fx.build();
    let listing = listing(&deb);
    for path in ["usr/lib/sysusers.d/fx-ownconf.conf", "usr/lib/tmpfiles.d/fx-ownconf.conf"] {
        assert!(listing_line(&listing, path).starts_with("-rw-r--r-- root/root "), "{listing}");
    }
    let postinst = &scripts(&deb)["postinst"];
    let sysusers = postinst
        .find("systemd-sysusers ${DPKG_ROOT:+--root=\"$DPKG_ROOT\"} 'fx-ownconf.conf'")
        .unwrap_or_else(|| panic!("{postinst}"));
    let tmpfiles = postinst
        .find("systemd-tmpfiles ${DPKG_ROOT:+--root=\"$DPKG_ROOT\"} --create 'fx-ownconf.conf'")
        .unwrap_or_else(|| panic!("{postinst}"));
    // The user exists before the directory it owns is made.
    assert!(sysusers < tmpfiles, "{postinst}");

    let rpm = crate::scripts::build(&fx, "rpm");
    let scripts = text(&run(Command::new("rpm").args(["-qp", "--scripts"]).arg(&rpm)).stdout);
    let pre = scripts.find("preinstall scriptlet").unwrap();
    let post = scripts.find("postinstall scriptlet").unwrap();
    // %pre carries the file's text (it is not unpacked yet); %post applies the tmpfiles.d file.
    let sysusers = scripts
        .find("systemd-sysusers --replace='/usr/lib/sysusers.d/fx-ownconf.conf' - <<'DISTPACK_SYSUSERS'\nu fxown ")
        .unwrap_or_else(|| panic!("{scripts}"));
    let tmpfiles = scripts.find("systemd-tmpfiles --create 'fx-ownconf.conf'").unwrap_or_else(|| panic!("{scripts}"));
    assert!(pre < sysusers && sysusers < post && post < tmpfiles, "{scripts}");
}

#[test]
fn timer_and_socket_start_the_trigger_not_the_service() {
    let timer = scripts(&fixture("timer").build());
    let postinst = &timer["postinst"];
    assert!(
        postinst.contains("deb-systemd-invoke start 'fx-backup.timer' >"),
        "the oneshot job must not run on install:\n{postinst}"
    );
    // An upgrade restarts the trigger and its service together (dh_installsystemd); the service
    // only if it was running.
    assert!(postinst.contains("deb-systemd-invoke stop 'fx-backup.service' 'fx-backup.timer'"), "{postinst}");
    assert!(
        postinst.contains("if [ \"$_distpack_service\" = active ]; then\n\t\t\t\tsystemctl start 'fx-backup.service'"),
        "{postinst}"
    );
    let socket = scripts(&fixture("socket").build());
    let postinst = &socket["postinst"];
    assert!(postinst.contains("deb-systemd-invoke start 'fx-echod.socket' >"), "{postinst}");
    assert!(postinst.contains("deb-systemd-invoke stop 'fx-echod.service' 'fx-echod.socket'"), "{postinst}");
    // Both are stopped on removal.
    assert!(socket["prerm"].contains("stop 'fx-echod.socket' 'fx-echod.service'"), "{}", socket["prerm"]);
}

#[test]
fn templates_are_never_started_and_their_running_instances_follow_upgrades() {
    let template = scripts(&fixture("template").build());
    let all: String = template.values().cloned().collect();
    assert!(!all.contains("deb-systemd-helper") && !all.contains(" start "), "{all}");
    assert_eq!(named(&template["postinst"], "deb-systemd-invoke try-restart"), ["fx-worker@*.service"]);
    assert_eq!(named(&template["prerm"], "deb-systemd-invoke stop"), ["fx-worker@*.service"]);
    let rpm = rpm_scriptlets(&fixture("template"));
    assert_eq!(named(&rpm["postun"], "systemctl try-restart"), ["fx-worker@*.service"]);
    assert_eq!(named(&rpm["preun"], "systemctl stop"), ["fx-worker@*.service"]);
    assert!(!rpm["post"].contains("preset"), "{}", rpm["post"]);

    let helper = scripts(&fixture("no-install").build());
    assert!(!helper["postinst"].contains("deb-systemd-helper enable"), "{}", helper["postinst"]);
    assert!(!helper.contains_key("postrm") || !helper["postrm"].contains("deb-systemd-helper purge"));
}

#[test]
fn a_template_with_a_default_instance_is_enabled_but_not_started() {
    let fx = fixture("template");
    let unit = fx.dir.path().join("units/fx-worker@.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    std::fs::write(
        &unit,
        text.replace("WantedBy=multi-user.target", "WantedBy=multi-user.target\nDefaultInstance=main"),
    )
    .unwrap();
    let deb = fx.build();
    let s = scripts(&deb);
    assert_eq!(named(&s["postinst"], "deb-systemd-helper enable"), ["fx-worker@.service"]);
    assert_eq!(named(&s["postinst"], "deb-systemd-invoke start"), Vec::<String>::new());
    assert_eq!(named(&s["postrm"], "deb-systemd-helper purge"), ["fx-worker@.service"]);
    // deb-systemd-helper reads DefaultInstance=: the default instance is what gets enabled.
    let root = configured(&deb, "fx-template");
    assert_eq!(is_enabled(root.path(), "fx-worker@main.service"), "enabled");
    assert_eq!(is_enabled(root.path(), "fx-worker@other.service"), "disabled");

    let rpm = rpm_scriptlets(&fx);
    assert_eq!(named(&rpm["post"], "systemctl --no-reload preset"), ["fx-worker@.service"]);
    assert_eq!(named(&rpm["preun"], "systemctl --no-reload disable"), ["fx-worker@.service"]);
    assert_eq!(named(&rpm["preun"], "systemctl stop"), ["fx-worker@*.service"]);
    let install = arch_install(&crate::scripts::build(&fx, "arch"));
    assert!(install.contains("    systemctl enable --now fx-worker@main.service\""), "{install}");
}

#[test]
#[ignore = "installs packages on this machine as root: ci/test runs it with DISTPACK_HOST_INSTALL=1"]
fn every_fixture_installs_and_purges_without_a_running_systemd() {
    require_host_install();
    assert!(
        !std::path::Path::new("/run/systemd/system").exists(),
        "this test expects a machine where systemd is not running"
    );
    let _lock = host_dpkg_lock();
    for name in FIXTURES {
        let fx = fixture(name);
        let deb = fx.build();
        let package =
            text(&run(Command::new("dpkg-deb").args(["--field"]).arg(&deb).arg("Package")).stdout).trim().to_string();
        if name == "own-conf" {
            // Purge keeps what tmpfiles made, so an earlier run left it: the install must make it anew.
            let _ = std::fs::remove_dir_all("/var/lib/fx-ownconf");
        }
        run(Command::new("dpkg").arg("-i").arg(&deb));
        if name == "static-user" {
            let passwd = run(Command::new("getent").args(["passwd", "fxsvc"]));
            assert!(text(&passwd.stdout).starts_with("fxsvc:x:"), "{}", text(&passwd.stdout));
            let meta = std::fs::metadata("/var/lib/fx-svcd").expect("tmpfiles created the directory");
            let owner = text(&run(Command::new("stat").args(["-c", "%U:%G %a", "/var/lib/fx-svcd"])).stdout);
            assert!(meta.is_dir() && owner.trim() == "fxsvc:fxsvc 750", "{owner}");
        }
        if name == "own-conf" {
            // The project's own sysusers.d file made the user its own tmpfiles.d file owns with.
            let owner = text(&run(Command::new("stat").args(["-c", "%F %U:%G %a", "/var/lib/fx-ownconf"])).stdout);
            assert_eq!(owner.trim(), "directory fxown:fxown 750");
        }
        run(Command::new("dpkg").arg("-P").arg(&package));
        if name == "static-user" {
            // Purge removes the directory that opts in, and keeps the user and group (Debian
            // policy, Fedora's guidelines: a uid that is reused would own what the old one left).
            assert!(
                Command::new("getent").args(["passwd", "fxsvc"]).status().unwrap().success(),
                "fxsvc removed by purge"
            );
            assert!(
                Command::new("getent").args(["group", "fxsvc"]).status().unwrap().success(),
                "group fxsvc removed by purge"
            );
            assert!(!std::path::Path::new("/var/lib/fx-svcd").exists(), "/var/lib/fx-svcd survives purge");
            assert!(std::path::Path::new("/var/lib/dpkg/status").exists());
        }
    }
}

#[test]
fn per_unit_options_change_the_scripts() {
    let fx = fixture("dynamic-user");
    let manifest = fx.manifest();
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text += "\n[systemd]\nenable = false\n\n[systemd.units.\"fx-dynd.service\"]\nstart = false\n";
    std::fs::write(&manifest, &text).unwrap();
    let s = scripts(&fx.build());
    let postinst = &s["postinst"];
    assert!(!postinst.contains("deb-systemd-helper enable"), "enable = false:\n{postinst}");
    assert!(postinst.contains("deb-systemd-helper update-state 'fx-dynd.service'"), "{postinst}");
    assert!(
        postinst.contains("try-restart 'fx-dynd.service'") && !postinst.contains("deb-systemd-invoke start"),
        "start = false keeps try-restart on upgrade:\n{postinst}"
    );

    std::fs::write(&manifest, text.replace("start = false", "restart-on-upgrade = false")).unwrap();
    let s = scripts(&fx.build());
    assert!(
        s["preinst"].contains("[ \"$1\" = upgrade ]")
            && s["preinst"].contains("deb-systemd-invoke stop 'fx-dynd.service'"),
        "{}",
        s["preinst"]
    );
    assert!(s["postinst"].contains("deb-systemd-invoke start 'fx-dynd.service'"), "{}", s["postinst"]);

    std::fs::write(&manifest, text.replace("fx-dynd.service\"]", "nope.service\"]")).unwrap();
    let out = distpack().args(["plan", "-m"]).arg(&manifest).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(crate::support::text(&out.stderr).contains("names a unit the package does not install"));
}

/// The rpm scriptlets distpack plans for a fixture: scriptlet name → body.
fn rpm_scriptlets(fx: &Fixture) -> BTreeMap<String, String> {
    let out = run(distpack().args(["plan", "--json", "-f", "rpm", "-m"]).arg(fx.manifest()));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = plan["packages"].clone();
    plan[0]["scripts"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

#[test]
fn rpm_scriptlets_match_their_snapshots_and_pass_shellcheck() {
    require_tool("shellcheck");
    for name in FIXTURES {
        let fx = fixture(name);
        let scriptlets = rpm_scriptlets(&fx);
        let mut all = String::new();
        for (scriptlet, text) in &scriptlets {
            all += &format!("===== %{scriptlet}\n{text}");
            let path = fx.dir.path().join(format!("rpm-{scriptlet}"));
            std::fs::write(&path, text).unwrap();
            run(Command::new("sh").arg("-n").arg(&path));
            run(Command::new("shellcheck").args(["-s", "sh"]).arg(&path));
        }
        insta::assert_snapshot!(format!("rpm_scriptlets_{}", name.replace('-', "_")), all);
    }
}

#[test]
fn rpm_static_user_is_created_in_pre_from_the_sysusers_text() {
    let scriptlets = rpm_scriptlets(&fixture("static-user"));
    let pre = &scriptlets["pre"];
    assert!(pre.contains("systemd-sysusers --replace='/usr/lib/sysusers.d/fx-static.conf' -"), "{pre}");
    assert!(pre.contains("u fxsvc - \"fixture service\" /var/lib/fx-svcd /usr/sbin/nologin"), "{pre}");
    assert!(pre.contains("useradd --system --gid 'fxsvc'"), "fallback without systemd-sysusers:\n{pre}");
    let dynamic = rpm_scriptlets(&fixture("dynamic-user"));
    assert!(!dynamic.values().any(|s| s.contains("sysusers") || s.contains("useradd")), "{dynamic:?}");
}

#[test]
fn own_tmpfiles_file_outside_tmpfiles_d_is_refused() {
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"fx.conf\"\ndest = \"/etc/tmpfiles.d/fx.conf\"\nkind = \"tmpfiles\"\n"),
        &[("fx.conf", "d /var/lib/fx 0755 root root -\n")],
    );
    let out = fx.plan();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("distpack.toml:10:") && said.contains("applied from /usr/lib/tmpfiles.d/*.conf only"),
        "{said}"
    );
    assert!(said.contains("dest = \"/usr/lib/tmpfiles.d/NAME.conf\""), "{said}");
}

/// The unit names (single-quoted words) on the lines of `script` that begin with `command`, in order.
fn named(script: &str, command: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix(command)?.strip_prefix(' '))
        .flat_map(|rest| {
            rest.split_whitespace().filter_map(|w| w.strip_prefix('\'')?.strip_suffix('\'')).map(str::to_string)
        })
        .collect()
}

/// The root a .deb is unpacked into, after its postinst ran there with DPKG_ROOT (what dpkg
/// --root does): deb-systemd-helper enables units inside it; no systemd runs, so nothing starts.
fn configured(deb: &std::path::Path, package: &str) -> tempfile::TempDir {
    require_tool("deb-systemd-helper");
    let root = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    let control = tempdir();
    run(Command::new("dpkg-deb").arg("-e").arg(deb).arg(control.path()));
    maintainer_script(root.path(), package, &control.path().join("postinst"), "configure");
    std::fs::copy(control.path().join("postrm"), root.path().join("postrm")).unwrap();
    root
}

fn maintainer_script(root: &std::path::Path, package: &str, script: &std::path::Path, action: &str) {
    assert!(!std::path::Path::new("/run/systemd/system").exists(), "this test expects no running systemd");
    run(Command::new("sh")
        .arg(script)
        .arg(action)
        .env("DPKG_ROOT", root)
        .env("DPKG_MAINTSCRIPT_PACKAGE", package)
        .env("DPKG_MAINTSCRIPT_NAME", script.file_name().unwrap()));
}

/// What `systemctl is-enabled` says of a unit inside `root`.
fn is_enabled(root: &std::path::Path, unit: &str) -> String {
    let out = Command::new("systemctl").arg(format!("--root={}", root.display())).args(["is-enabled", unit]).output();
    text(&out.expect("cannot run systemctl").stdout).trim().to_string()
}

/// Arch's .INSTALL of a package, as pacman reads it.
fn arch_install(pkg: &std::path::Path) -> String {
    text(&run(Command::new("bsdtar").arg("-xOf").arg(pkg).arg(".INSTALL")).stdout)
}

/// `rpm -qp --scripts` of a package: scriptlet (`post`, `preun`…) → body.
fn rpm_scripts(rpm: &std::path::Path) -> BTreeMap<String, String> {
    require_tool("rpm");
    let said = text(&run(Command::new("rpm").args(["-qp", "--scripts"]).arg(rpm)).stdout);
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in said.lines() {
        if let Some(name) = line.strip_suffix(" scriptlet (using /bin/sh):") {
            let short = name.replace("postinstall", "post").replace("preinstall", "pre");
            let short = short.replace("postuninstall", "postun").replace("preuninstall", "preun");
            current = Some(short);
            continue;
        }
        if let Some(name) = &current {
            let body: &mut String = out.entry(name.clone()).or_default();
            *body += line;
            *body += "\n";
        }
    }
    out
}

/// The files of an .apk's control and data segments (concatenated gzip streams of tar archives
/// without end blocks, so `tar -i` reads them all): name → text.
fn apk_members(apk: &std::path::Path) -> BTreeMap<String, String> {
    let dir = tempdir();
    let out = Command::new("tar").arg("-xzif").arg(apk).arg("-C").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "tar: {}", text(&out.stderr));
    walkdir::WalkDir::new(dir.path())
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir.path()).unwrap().display().to_string();
            (name, std::fs::read_to_string(e.path()).unwrap_or_default())
        })
        .collect()
}

const TWO_UNITS: [&str; 5] =
    ["fx-daemon.service", "fx-helper.service", "fx-cleanup@.service", "fx-cleanup.timer", "fx.slice"];

#[test]
fn two_services_deb_enables_and_starts_the_daemon_and_the_timer_only() {
    let fx = fixture("two-services");
    let deb = fx.build();
    let s = scripts(&deb);
    let postinst = &s["postinst"];
    assert_eq!(named(postinst, "deb-systemd-helper enable"), ["fx-cleanup.timer", "fx-daemon.service"]);
    // The helper starts through the daemon that requires it, the template's instance through the
    // timer; the slice is realized by the units placed in it.
    // After an upgrade, restarting the helper restarts the daemon that requires it (naming the
    // daemon too could restart it twice); the daemon is then started in case it was stopped.
    assert_eq!(
        named(postinst, "deb-systemd-invoke start"),
        ["fx-daemon.service", "fx-cleanup.timer", "fx-daemon.service"]
    );
    assert_eq!(named(postinst, "deb-systemd-invoke restart"), ["fx-cleanup.timer", "fx-helper.service"]);
    assert_eq!(named(postinst, "deb-systemd-invoke try-restart"), ["fx-cleanup@*.service"]);
    assert_eq!(
        named(&s["prerm"], "deb-systemd-invoke stop"),
        ["fx-cleanup.timer", "fx-daemon.service", "fx-helper.service", "fx-cleanup@*.service"]
    );
    assert_eq!(named(&s["postrm"], "deb-systemd-helper purge"), ["fx-cleanup.timer", "fx-daemon.service"]);
    assert!(!s.values().any(|t| t.contains("fx.slice")), "the slice is in no script: {s:?}");

    // The real postinst, run into a root: systemctl sees exactly the daemon and the timer enabled.
    let root = configured(&deb, "fx-two");
    let states: Vec<(&str, String)> = TWO_UNITS.iter().map(|u| (*u, is_enabled(root.path(), u))).collect();
    assert_eq!(
        states,
        [
            ("fx-daemon.service", "enabled".to_string()),
            ("fx-helper.service", "static".to_string()),
            ("fx-cleanup@.service", "static".to_string()),
            ("fx-cleanup.timer", "enabled".to_string()),
            ("fx.slice", "static".to_string()),
        ]
    );
    maintainer_script(root.path(), "fx-two", &root.path().join("postrm"), "purge");
    for unit in ["fx-daemon.service", "fx-cleanup.timer"] {
        assert_eq!(is_enabled(root.path(), unit), "disabled", "{unit} after purge");
    }
}

#[test]
fn two_services_rpm_arch_and_apk_follow_their_distributions() {
    let fx = fixture("two-services");
    let rpm = rpm_scripts(&crate::scripts::build(&fx, "rpm"));
    // Fedora: presets decide, nothing starts; an upgrade try-restarts what runs.
    assert_eq!(named(&rpm["post"], "systemctl --no-reload preset"), ["fx-cleanup.timer", "fx-daemon.service"]);
    assert!(!rpm["post"].contains("systemctl start"), "{}", rpm["post"]);
    assert_eq!(
        named(&rpm["postun"], "systemctl try-restart"),
        ["fx-cleanup.timer", "fx-helper.service", "fx-cleanup@*.service"]
    );
    assert_eq!(
        named(&rpm["preun"], "systemctl --no-reload disable --now"),
        ["fx-cleanup.timer", "fx-daemon.service", "fx-helper.service"]
    );
    assert_eq!(named(&rpm["preun"], "systemctl stop"), ["fx-cleanup@*.service"]);
    assert!(!rpm.values().any(|t| t.contains("fx.slice")), "{rpm:?}");

    // Arch: nothing is enabled or started; the message names what the administrator may enable.
    let install = arch_install(&crate::scripts::build(&fx, "arch"));
    let hinted: Vec<&str> = install
        .lines()
        .filter_map(|l| l.trim().strip_prefix("echo \"    systemctl enable --now ")?.strip_suffix('"'))
        .collect();
    assert_eq!(hinted, ["fx-cleanup.timer", "fx-daemon.service"], "{install}");
    assert!(!install.lines().any(|l| l.trim_start().starts_with("systemctl")), "{install}");

    // Alpine: OpenRC services for the two daemons, none added to a runlevel; the helper runs as root.
    let out = fx.dir.path().join("dist-apk");
    let built = run(distpack()
        .args(["build", "-f", "apk", "--no-build", "--allow-unsigned-apk", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out));
    let apks: Vec<String> = text(&built.stdout).lines().map(str::to_string).collect();
    let members: BTreeMap<String, String> = apks.iter().flat_map(|a| apk_members(std::path::Path::new(a))).collect();
    let scripts: String =
        members.iter().filter(|(n, _)| n.starts_with(".") && *n != ".PKGINFO").map(|(_, t)| t.as_str()).collect();
    assert!(
        !scripts.contains("rc-update") && !scripts.contains("systemctl") && !scripts.contains("rc-service"),
        "{scripts}"
    );
    let services: Vec<&str> = members.keys().filter_map(|n| n.strip_prefix("etc/init.d/")).collect();
    assert_eq!(services, ["fx-daemon", "fx-helper"]);
    assert!(members["etc/init.d/fx-daemon"].contains("command_user=\"fx-daemon:fx-daemon\""));
    assert!(!members["etc/init.d/fx-helper"].contains("command_user"), "{}", members["etc/init.d/fx-helper"]);
}

#[test]
fn the_helper_follows_its_own_options_but_never_starts_on_its_own() {
    let fx = fixture("two-services");
    let manifest = fx.manifest();
    let text = std::fs::read_to_string(&manifest).unwrap()
        + "\n[systemd.units.\"fx-helper.service\"]\nstart = true\nrestart-on-upgrade = false\n";
    std::fs::write(&manifest, text).unwrap();
    let s = scripts(&fx.build());
    assert_eq!(named(&s["preinst"], "deb-systemd-invoke stop"), ["fx-helper.service"], "{}", s["preinst"]);
    let postinst = &s["postinst"];
    // Still started only through the daemon, also after the upgrade (the daemon's restart does it).
    assert_eq!(named(postinst, "deb-systemd-invoke start"), ["fx-cleanup.timer", "fx-daemon.service"]);
    assert_eq!(named(postinst, "deb-systemd-invoke try-restart"), ["fx-cleanup@*.service"]);
}

#[test]
fn two_services_units_pass_systemd_analyze_verify() {
    require_tool("systemd-analyze");
    let fx = fixture("two-services");
    let deb = fx.build();
    // The host's units (for multi-user.target and friends), then the package's over them.
    let root = tempdir();
    std::fs::create_dir_all(root.path().join("usr/lib/systemd")).unwrap();
    run(Command::new("cp").arg("-a").arg("/usr/lib/systemd/system").arg(root.path().join("usr/lib/systemd")));
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(root.path()));
    let units = TWO_UNITS.map(|u| u.replace("@.", "@cache."));
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.path().display()))
        .args(&units)
        .output()
        .expect("cannot run systemd-analyze");
    let said = text(&out.stdout) + &text(&out.stderr);
    // verify exits 0 even after "Unknown key", so anything it prints counts as a failure.
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify {units:?}: {}\n{said}", out.status);
}
