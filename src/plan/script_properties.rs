//! Property test: for generated manifests (users, groups, directories, hooks and units with odd but
//! valid names), every maintainer script of every format parses with `sh -n` (and Arch's .install,
//! which pacman runs with bash, with `bash -n`), and planning never reports a distpack bug.

use std::fmt::Write as _;
use std::process::Command;

use proptest::prelude::*;

use crate::error::Error;
use crate::format::Format;
use crate::plan::{Context, resolve};
use crate::target::Target;

#[derive(Debug, Clone)]
struct User {
    name: String,
    uid: Option<u32>,
    home: Option<String>,
    groups: Vec<String>,
    description: Option<String>,
}

#[derive(Debug, Clone)]
struct Unit {
    stem: String,
    template: bool,
    trigger: Option<&'static str>,
    user: Option<usize>,
    dynamic: bool,
    state: Option<String>,
    install: bool,
}

#[derive(Debug, Clone)]
struct Case {
    users: Vec<User>,
    groups: Vec<String>,
    dirs: Vec<(String, u32, bool, Option<usize>)>,
    units: Vec<Unit>,
    options: (Option<bool>, Option<bool>, Option<bool>),
    hooks: Vec<(&'static str, &'static str)>,
    shipped_sysusers: bool,
}

fn account() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_-]{0,12}"
}

fn user() -> impl Strategy<Value = User> {
    (
        account(),
        proptest::option::of(100u32..60000),
        proptest::option::of("/var/lib/[a-z0-9_+-][a-z0-9._+-]{0,9}"),
        proptest::collection::vec(account(), 0..3),
        proptest::option::of("[A-Za-z0-9 .,()@-]{0,24}"),
    )
        .prop_map(|(name, uid, home, groups, description)| User { name, uid, home, groups, description })
}

fn unit() -> impl Strategy<Value = Unit> {
    (
        "[a-zA-Z0-9_][a-zA-Z0-9_.:-]{0,12}",
        any::<bool>(),
        proptest::option::of(prop_oneof![Just("socket"), Just("timer"), Just("path")]),
        proptest::option::of(0usize..3),
        any::<bool>(),
        proptest::option::of("[a-z0-9_-]{1,8}(/[a-z0-9]{1,4})?"),
        any::<bool>(),
    )
        .prop_map(|(stem, template, trigger, user, dynamic, state, install)| Unit {
            stem,
            template: template && trigger.is_none(),
            trigger,
            user,
            dynamic,
            state,
            install,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let hook = prop_oneof![
        Just(("pre-install", "echo 'pre'")),
        Just(("post-install", "# only a comment")),
        Just(("post-upgrade", "exit 0")),
        Just(("pre-remove", "if true; then :; fi")),
        Just(("post-remove", "")),
        Just(("purge", "rm -f /var/lib/x/cache 2>/dev/null || :")),
    ];
    (
        proptest::collection::vec(user(), 0..3),
        proptest::collection::vec(account(), 0..3),
        proptest::collection::vec(
            (
                "/(var/lib|var/cache|srv|opt|etc)/[a-z0-9_+@-][a-z0-9._+@-]{0,9}(/[a-z0-9]{1,4})?",
                0o700u32..0o1000,
                any::<bool>(),
                proptest::option::of(0usize..3),
            ),
            0..3,
        ),
        proptest::collection::vec(unit(), 0..4),
        (any::<Option<bool>>(), any::<Option<bool>>(), any::<Option<bool>>()),
        proptest::collection::vec(hook, 0..4),
        any::<bool>(),
    )
        .prop_map(|(users, groups, dirs, units, options, hooks, shipped_sysusers)| Case {
            users,
            groups,
            dirs,
            units,
            options,
            hooks,
            shipped_sysusers,
        })
}

/// Write the case as a project; the manifest's path.
fn write_project(case: &Case, dir: &std::path::Path) -> std::path::PathBuf {
    let mut m = String::from(
        "[package]\nname = \"prop\"\nversion = \"1.0.0\"\nsummary = \"Generated\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\n",
    );
    let mut users: Vec<&User> = Vec::new();
    for u in &case.users {
        if users.iter().any(|x| x.name == u.name) {
            continue;
        }
        users.push(u);
    }
    let user_name = |i: usize| users.get(i).map(|u| u.name.clone()).unwrap_or_else(|| "nobody".into());
    if !case.hooks.is_empty() {
        m += "\n[package.scripts]\n";
        let mut seen = Vec::new();
        for (event, body) in &case.hooks {
            if seen.contains(event) {
                continue;
            }
            seen.push(*event);
            std::fs::write(dir.join(format!("{event}.sh")), format!("#!/bin/sh\n{body}\n")).unwrap();
            writeln!(m, "{event} = \"{event}.sh\"").unwrap();
        }
    }
    let (enable, start, restart) = case.options;
    m += "\n[systemd]\n";
    for (key, value) in [("enable", enable), ("start", start), ("restart-on-upgrade", restart)] {
        if let Some(v) = value {
            writeln!(m, "{key} = {v}").unwrap();
        }
    }
    std::fs::create_dir_all(dir.join("units")).unwrap();
    std::fs::write(dir.join("daemon"), "#!/bin/sh\nexec sleep infinity\n").unwrap();
    m += "\n[[files]]\nsrc = \"daemon\"\nkind = \"binary\"\n";
    let mut names = Vec::new();
    for unit in &case.units {
        let at = if unit.template { "@" } else { "" };
        let mut text = String::from("[Unit]\nDescription=generated\n\n[Service]\nExecStart=/usr/bin/daemon\n");
        if let Some(i) = unit.user {
            writeln!(text, "User={}", user_name(i)).unwrap();
        }
        if unit.dynamic {
            text += "DynamicUser=yes\n";
        }
        if let Some(state) = &unit.state {
            writeln!(text, "StateDirectory={state}").unwrap();
        }
        if unit.install {
            text += "\n[Install]\nWantedBy=multi-user.target\n";
        }
        let mut files = vec![(format!("{}{at}.service", unit.stem), text)];
        if let Some(kind) = unit.trigger {
            let section = match kind {
                "socket" => "[Socket]\nListenStream=127.0.0.1:9\n",
                "timer" => "[Timer]\nOnCalendar=daily\n",
                _ => "[Path]\nPathExists=/etc/generated\n",
            };
            files.push((format!("{}.{kind}", unit.stem), format!("{section}\n[Install]\nWantedBy=timers.target\n")));
        }
        for (name, text) in files {
            if names.contains(&name) {
                continue;
            }
            std::fs::write(dir.join("units").join(&name), text).unwrap();
            writeln!(m, "\n[[files]]\nsrc = 'units/{name}'\nkind = \"unit\"").unwrap();
            names.push(name);
        }
    }
    for u in &users {
        write!(m, "\n[[users]]\nname = \"{}\"\n", u.name).unwrap();
        if let Some(uid) = u.uid {
            writeln!(m, "uid = {uid}").unwrap();
        }
        if let Some(home) = &u.home {
            writeln!(m, "home = \"{home}\"").unwrap();
        }
        if let Some(d) = &u.description {
            writeln!(m, "description = \"{d}\"").unwrap();
        }
        let groups: Vec<String> = u.groups.iter().map(|g| format!("\"{g}\"")).collect();
        writeln!(m, "groups = [{}]", groups.join(", ")).unwrap();
    }
    let mut declared = Vec::new();
    for g in &case.groups {
        if declared.contains(g) {
            continue;
        }
        declared.push(g.clone());
        write!(m, "\n[[groups]]\nname = \"{g}\"\n").unwrap();
    }
    let mut paths = Vec::new();
    for (path, mode, purge, owner) in &case.dirs {
        if paths.contains(path) {
            continue;
        }
        paths.push(path.clone());
        write!(m, "\n[[directories]]\npath = \"{path}\"\nmode = 0o{mode:o}\npurge = {purge}\n").unwrap();
        if let Some(i) = owner {
            writeln!(m, "owner = \"{}\"", user_name(*i)).unwrap();
        }
    }
    if case.shipped_sysusers {
        std::fs::write(dir.join("own.sysusers"), "u own - \"shipped by the project\"\n").unwrap();
        m += "\n[[files]]\nsrc = \"own.sysusers\"\ndest = \"/usr/lib/sysusers.d/own.conf\"\nkind = \"data\"\n";
    }
    let path = dir.join("distpack.toml");
    std::fs::write(&path, m).unwrap();
    path
}

fn parses(shell: &str, script: &str) -> Result<(), String> {
    let out = Command::new(shell).arg("-n").arg("-c").arg(script).output().map_err(|e| e.to_string())?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_rendered_script_parses(case in case()) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_project(&case, dir.path());
        let manifest = crate::manifest::load(&path).unwrap();
        let target = Target::host().unwrap();
        let ctx = Context { mtime: 0 };
        for format in [Format::Deb, Format::Rpm, Format::Arch, Format::Apk] {
            match resolve(&manifest, format, &target, &ctx) {
                Ok(package) => {
                    for (name, script) in &package.scripts {
                        let shell = if format == Format::Arch { "bash" } else { "sh" };
                        if let Err(why) = parses(shell, script) {
                            prop_assert!(false, "{format} {name} does not parse ({why}):\n{script}\nmanifest:\n{}", manifest.text);
                        }
                    }
                }
                // Every generated manifest is valid: a refusal is a finding too.
                Err(Error::Manifest(e)) => prop_assert!(false, "{format}: {:?}\nmanifest:\n{}", e.errors.iter().map(|e| &e.message).collect::<Vec<_>>(), manifest.text),
                Err(other) => prop_assert!(false, "{format}: {other}\nmanifest:\n{}", manifest.text),
            }
        }
    }
}
