//! Maintainer scripts rendered from the handlebars templates in `scripts/` (compiled into the
//! binary), with the user's own hooks inserted where each format runs that lifecycle event.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use super::{Package, Resolver, Source, services, syntax, system_paths};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::manifest::{Event, Fields};

/// A user hook: the file it came from and its body without the shebang line.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Hook {
    source: String,
    body: String,
}

pub(super) type Hooks = BTreeMap<Event, Hook>;

/// A hook is a script, not a payload.
const HOOK_LIMIT: u64 = 1024 * 1024;

pub(super) fn read_hooks(r: &mut Resolver, fields: &Fields) -> Hooks {
    let mut hooks = Hooks::new();
    let Some(scripts) = &fields.scripts else { return hooks };
    for (event, path) in scripts.hooks() {
        let full = r.manifest.root.join(path.get_ref());
        let text = match crate::limits::read_small(&full, HOOK_LIMIT).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                r.push(
                    path.span(),
                    format!("hook script `{}` is not UTF-8 text", path.get_ref()),
                    "not text",
                    "save the script as UTF-8",
                );
                continue;
            }
            Err(e) => {
                r.push(
                    path.span(),
                    format!("cannot read hook script `{}`: {e}", path.get_ref()),
                    "unreadable",
                    "fix the path (relative to the project root)",
                );
                continue;
            }
        };
        let body = match text.strip_prefix("#!") {
            Some(rest) => rest.split_once('\n').map(|(_, b)| b).unwrap_or(""),
            None => &text,
        };
        if let Err(why) = syntax::check(body) {
            r.push(
                path.span(),
                format!("hook script `{}` is not valid POSIX shell ({why})", path.get_ref()),
                "invalid shell",
                "fix the script; it runs with /bin/sh, which is dash on Debian",
            );
            continue;
        }
        // A hook of comments only would leave an empty `( )`, which no shell parses.
        let body = if has_commands(body) { body.trim_end().to_string() } else { ":".to_string() };
        hooks.insert(event, Hook { source: path.get_ref().clone(), body });
    }
    hooks
}

/// Each native script of a format and its template.
fn native_scripts(format: Format) -> &'static [(&'static str, &'static str)] {
    match format {
        Format::Deb => &[
            ("preinst", include_str!("../../scripts/deb/preinst.hbs")),
            ("postinst", include_str!("../../scripts/deb/postinst.hbs")),
            ("prerm", include_str!("../../scripts/deb/prerm.hbs")),
            ("postrm", include_str!("../../scripts/deb/postrm.hbs")),
        ],
        Format::Arch | Format::Pkgbuild => &[("install", include_str!("../../scripts/arch/install.hbs"))],
        Format::Apk => &[
            (".pre-install", include_str!("../../scripts/apk/pre-install.hbs")),
            (".post-install", include_str!("../../scripts/apk/post-install.hbs")),
            (".pre-upgrade", include_str!("../../scripts/apk/pre-upgrade.hbs")),
            (".post-upgrade", include_str!("../../scripts/apk/post-upgrade.hbs")),
            (".pre-deinstall", include_str!("../../scripts/apk/pre-deinstall.hbs")),
            (".post-deinstall", include_str!("../../scripts/apk/post-deinstall.hbs")),
        ],
        // An agent stages the bundle; there is no package manager to run scripts.
        Format::Addon => &[],
        Format::Rpm => &[
            ("pre", include_str!("../../scripts/rpm/pre.hbs")),
            ("post", include_str!("../../scripts/rpm/post.hbs")),
            ("preun", include_str!("../../scripts/rpm/preun.hbs")),
            ("postun", include_str!("../../scripts/rpm/postun.hbs")),
        ],
    }
}

#[derive(Serialize)]
struct TemplateData<'a> {
    name: &'a str,
    hooks: BTreeMap<&'static str, Option<&'a Hook>>,
    /// Anything to do at configure time before the user's hooks: users, ownership, directories.
    provision: bool,
    /// The package's sysusers.d files (generated or its own), each with its text for scripts that
    /// apply it before the file is unpacked.
    sysusers: Vec<ConfFile>,
    /// The users and groups distpack knows, created with useradd where systemd-sysusers is missing.
    fallback: bool,
    /// The package's tmpfiles.d files.
    tmpfiles: Vec<ConfFile>,
    users: Vec<ScriptUser<'a>>,
    groups: &'a [services::SystemGroup],
    chown: Vec<Chown<'a>>,
    units: UnitLists,
    /// apk: `[[directories]]`, created by .post-install (there is no systemd-tmpfiles).
    directories: Vec<ScriptDir<'a>>,
    /// apk: the OpenRC services the package installs.
    openrc: Vec<String>,
    /// Removed on purge: what is provably the package's own (see `purge_dirs`).
    purge_dirs: Vec<String>,
}

/// A sysusers.d or tmpfiles.d file the package installs.
#[derive(Serialize)]
struct ConfFile {
    /// The file name, as systemd-sysusers and systemd-tmpfiles take it.
    name: String,
    path: String,
    text: String,
}

#[derive(Serialize)]
struct ScriptUser<'a> {
    name: &'a str,
    uid: Option<u32>,
    home: &'a str,
    shell: &'a str,
    /// Safe inside single quotes.
    description: String,
    groups: &'a [String],
}

#[derive(Serialize)]
struct ScriptDir<'a> {
    path: &'a str,
    mode: String,
    owner: &'a str,
    group: &'a str,
}

#[derive(Serialize)]
struct Chown<'a> {
    path: &'a str,
    owner: &'a str,
    group: &'a str,
}

/// Unit names for each systemd action, each list already shell-quoted and space-separated.
/// Triggers (sockets, timers, paths) come before the units they activate.
#[derive(Serialize, Default)]
struct UnitLists {
    any: bool,
    /// Some unit has an [Install] section for deb-systemd-helper to act on.
    installable: bool,
    enable: Vec<String>,
    keep_disabled: Vec<String>,
    /// Started on first install: units started directly (an activated service starts through its
    /// trigger).
    start_on_install: String,
    /// Units outside an activation group, restarted after an upgrade.
    restart_after_upgrade: String,
    /// Units left out of `restart_after_upgrade` because a unit they require restarts in it
    /// (systemd restarts them through that one); started after it in case they were stopped.
    start_after_restart: String,
    /// Units outside an activation group, restarted after an upgrade only where running.
    try_restart_after_upgrade: String,
    /// rpm: units outside an activation group, try-restarted after an upgrade.
    restart_standalone: String,
    /// Activation groups restarted after an upgrade (see `Group`).
    groups: Vec<Group>,
    /// Stopped before an upgrade and started again after it (no restart on upgrade).
    stop_before_upgrade: String,
    start_after_upgrade: String,
    stop_on_remove: String,
    /// Patterns matching the running instances of the package's templates, stopped on removal.
    stop_instances_on_remove: String,
    /// rpm: templates enabled through `DefaultInstance=`, disabled on removal (`disable --now`
    /// cannot stop a template itself).
    disable_templates_on_remove: String,
    purge: String,
    /// rpm: enabled through `systemctl preset` on first install.
    preset: String,
    /// Arch: units whose enabling the install message explains.
    hint: Vec<String>,
}

/// A service of the package and the triggers of the package that activate it, restarted together
/// after an upgrade. systemd refuses to start a socket while its service runs ("Socket service …
/// already active, refusing"), even within one `restart` call, so the scripts stop both, start
/// the triggers, and start the service again only if it was running.
#[derive(Serialize)]
struct Group {
    service: String,
    triggers: String,
    /// Start the triggers whatever their state (the package starts them); otherwise only those
    /// that were active (try-restart).
    start_triggers: bool,
}

/// What purge removes: the State/Cache/Logs directories of the package's units that systemd
/// accepts (`UnitFile::persistent_directories`), and `[[directories]]` with `purge = true`; each
/// below a directory of the package's own, never a system path.
fn purge_dirs(services: &services::Services) -> Vec<String> {
    let mut dirs: Vec<String> = services.units.iter().flat_map(|u| u.file.persistent_directories()).collect();
    dirs.extend(services.directories.iter().filter(|d| d.purge).map(|d| d.path.clone()));
    dirs.retain(|d| system_paths::purge_refusal(d).is_none() && system_paths::script_path_problem(d).is_none());
    dirs.sort();
    dirs.dedup();
    dirs
}

fn unit_lists(all: &[services::ServiceUnit]) -> UnitLists {
    // A template acts only through its instances: the running ones are restarted and stopped by
    // pattern (`systemctl try-restart 'x@*.service'`, as Fedora's scriptlets do for templates);
    // `enable` reaches one through `DefaultInstance=` (`installable`). Slices are left to systemd.
    let units: Vec<&services::ServiceUnit> = all.iter().filter(|u| !u.template && u.managed).collect();
    let instances = |pick: &dyn Fn(&services::ServiceUnit) -> bool| {
        let patterns = all.iter().filter(|u| u.template && pick(u));
        patterns.map(|u| format!("'{}'", u.name.replacen("@.", "@*.", 1))).collect::<Vec<_>>().join(" ")
    };
    let activated = |u: &services::ServiceUnit| u.activated_by.is_some();
    // In a group: an activated service of the package, or one of its triggers.
    let grouped = |u: &services::ServiceUnit| {
        activated(u)
            || u.file.activates().is_some_and(|s| units.iter().any(|x| x.name == s && x.activated_by.is_some()))
    };
    let mut ordered: Vec<&services::ServiceUnit> = units.clone();
    ordered.sort_by_key(|u| (u.file.activates().is_none(), u.name.clone()));
    let mut installable: Vec<&services::ServiceUnit> = all.iter().filter(|u| u.installable).collect();
    installable.sort_by_key(|u| (u.file.activates().is_none(), u.name.clone()));
    let quote =
        |list: &[&services::ServiceUnit]| list.iter().map(|u| format!("'{}'", u.name)).collect::<Vec<_>>().join(" ");
    let quoted = |pick: &dyn Fn(&services::ServiceUnit) -> bool| {
        quote(&ordered.iter().copied().filter(|u| pick(u)).collect::<Vec<_>>())
    };
    let with = |names: String, patterns: String| {
        [names, patterns].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    };
    let direct = |u: &services::ServiceUnit| !activated(u);
    // A required service restarts when the unit that requires it does.
    let restarts = |u: &services::ServiceUnit| {
        u.start || u.required_by.as_ref().is_some_and(|r| all.iter().any(|x| &x.name == r && x.start))
    };
    let upgraded = |u: &services::ServiceUnit| !grouped(u) && u.restart_on_upgrade;
    // Restarting a required unit restarts the running units that require it (Requires=
    // propagates a restart as try-restart). Naming those too would restart them a second time
    // whenever their own job finished before the propagated one was queued, so they are left out.
    let through_required = |u: &services::ServiceUnit| {
        upgraded(u) && units.iter().any(|x| upgraded(x) && x.required_by.as_deref() == Some(u.name.as_str()))
    };
    let groups = activation_groups(&ordered, &units);
    UnitLists {
        any: !all.is_empty(),
        installable: !installable.is_empty(),
        enable: installable.iter().filter(|u| u.enable).map(|u| u.name.clone()).collect(),
        keep_disabled: installable.iter().filter(|u| !u.enable).map(|u| u.name.clone()).collect(),
        start_on_install: quoted(&|u| direct(u) && u.start),
        restart_after_upgrade: quoted(&|u| upgraded(u) && restarts(u) && !through_required(u)),
        start_after_restart: quoted(&|u| through_required(u) && u.start),
        try_restart_after_upgrade: with(
            quoted(&|u| upgraded(u) && !restarts(u) && !through_required(u)),
            instances(&|u| u.restart_on_upgrade),
        ),
        restart_standalone: with(
            quoted(&|u| upgraded(u) && !through_required(u)),
            instances(&|u| u.restart_on_upgrade),
        ),
        groups,
        stop_before_upgrade: quoted(&|u| !u.restart_on_upgrade),
        start_after_upgrade: quoted(&|u| direct(u) && u.start && !u.restart_on_upgrade),
        stop_on_remove: quoted(&|_| true),
        stop_instances_on_remove: instances(&|_| true),
        disable_templates_on_remove: quote(&installable.iter().copied().filter(|u| u.template).collect::<Vec<_>>()),
        purge: quote(&installable),
        preset: quote(&installable.iter().copied().filter(|u| u.enable).collect::<Vec<_>>()),
        hint: installable.iter().map(|u| instance_name(u)).collect(),
    }
}

/// The activated services among `ordered` that restart on upgrade, each with the triggers of
/// `units` that activate it.
fn activation_groups(ordered: &[&services::ServiceUnit], units: &[&services::ServiceUnit]) -> Vec<Group> {
    let quote =
        |list: &[&services::ServiceUnit]| list.iter().map(|u| format!("'{}'", u.name)).collect::<Vec<_>>().join(" ");
    ordered
        .iter()
        .filter(|u| u.activated_by.is_some() && u.restart_on_upgrade)
        .map(|service| {
            let triggers: Vec<&services::ServiceUnit> = units
                .iter()
                .copied()
                .filter(|t| t.file.activates().as_deref() == Some(service.name.as_str()))
                .collect();
            Group {
                service: format!("'{}'", service.name),
                triggers: quote(&triggers),
                start_triggers: triggers.iter().any(|t| t.start),
            }
        })
        .collect()
}

/// The unit `enable` acts on: a template's `DefaultInstance=` instance, else the unit itself.
fn instance_name(u: &services::ServiceUnit) -> String {
    match &u.default_instance {
        Some(instance) => u.name.replacen("@.", &format!("@{instance}."), 1),
        None => u.name.clone(),
    }
}

fn event_key(event: Event) -> &'static str {
    match event {
        Event::PreInstall => "pre_install",
        Event::PostInstall => "post_install",
        Event::PreUpgrade => "pre_upgrade",
        Event::PostUpgrade => "post_upgrade",
        Event::PreRemove => "pre_remove",
        Event::PostRemove => "post_remove",
        Event::Purge => "purge",
    }
}

/// Whether a rendered script does anything beyond its boilerplate; one that does not is left out.
fn has_commands(script: &str) -> bool {
    script.lines().map(str::trim).any(|l| !(l.is_empty() || l.starts_with('#') || l == "set -e" || l == "exit 0"))
}

const ALL_EVENTS: [Event; 7] = [
    Event::PreInstall,
    Event::PostInstall,
    Event::PreUpgrade,
    Event::PostUpgrade,
    Event::PreRemove,
    Event::PostRemove,
    Event::Purge,
];

/// Render the scripts `package` needs; a native script with nothing to do is left out. Every
/// script is checked with `sh -n` before it goes into a package.
pub(super) fn render(package: &Package, hooks: &Hooks) -> Result<BTreeMap<String, String>> {
    let mut engine = Handlebars::new();
    engine.set_strict_mode(true);
    engine.register_escape_fn(handlebars::no_escape);
    let services = &package.services;
    let chown: Vec<Chown> = package
        .files
        .iter()
        .filter(|f| f.owner != "root" || f.group != "root")
        .map(|f| Chown { path: &f.path, owner: &f.owner, group: &f.group })
        .collect();
    let sysusers = conf_files(package, services::SYSUSERS_DIR)?;
    let tmpfiles = conf_files(package, services::TMPFILES_DIR)?;
    let data = TemplateData {
        name: &package.name,
        hooks: ALL_EVENTS.iter().map(|e| (event_key(*e), hooks.get(e))).collect(),
        provision: !sysusers.is_empty() || !tmpfiles.is_empty() || !chown.is_empty(),
        fallback: !services.users.is_empty() || !services.groups.is_empty(),
        sysusers,
        tmpfiles,
        users: services
            .users
            .iter()
            .map(|u| ScriptUser {
                name: &u.name,
                uid: u.uid,
                home: &u.home,
                shell: &u.shell,
                description: u.description.replace('\'', ""),
                groups: &u.groups,
            })
            .collect(),
        groups: &services.groups,
        chown,
        units: unit_lists(&services.units),
        purge_dirs: purge_dirs(services),
        directories: services
            .directories
            .iter()
            .map(|d| ScriptDir { path: &d.path, mode: format!("{:04o}", d.mode), owner: &d.owner, group: &d.group })
            .collect(),
        openrc: package.files.iter().filter_map(|f| f.path.strip_prefix("/etc/init.d/").map(str::to_string)).collect(),
    };
    let mut out = BTreeMap::new();
    for (name, template) in native_scripts(package.format) {
        let text = engine.render_template(template, &data).map_err(|e| {
            Error::invalid(
                format!("cannot render the {name} template: {e}"),
                "this is a bug in distpack; please report it with the manifest",
            )
        })?;
        if has_commands(&text) {
            syntax::check(&text).map_err(|why| {
                Error::invalid(
                    format!("the {name} script distpack rendered for {} is not valid shell: {why}", package.format),
                    "this is a bug in distpack, and no package was written; please report it with the manifest",
                )
            })?;
            out.insert(name.to_string(), text);
        }
    }
    Ok(out)
}

/// The `.conf` files the package installs in `dir` (sysusers.d, tmpfiles.d), with their text.
fn conf_files(package: &Package, dir: &str) -> Result<Vec<ConfFile>> {
    // A sysusers.d file is a few lines; anything larger is not one.
    const LIMIT: u64 = 64 * 1024;
    let mut out = Vec::new();
    for file in &package.files {
        let name = file.path.strip_prefix(dir).and_then(|n| n.strip_prefix('/'));
        let Some(name) = name.filter(|n| !n.contains('/') && n.ends_with(".conf")) else {
            continue;
        };
        let bytes = match &file.source {
            Source::Generated { bytes } => bytes.clone(),
            Source::File { path } => crate::limits::read_small(path, LIMIT)?,
            Source::Directory | Source::Symlink { .. } => continue,
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::invalid(format!("{} is not UTF-8 text", file.path), "sysusers.d and tmpfiles.d files are text")
        })?;
        if text.lines().any(|l| l.trim() == HEREDOC_END) {
            return Err(Error::invalid(
                format!("{} contains the line {HEREDOC_END}", file.path),
                "remove that line; the install scripts use it to embed the file",
            ));
        }
        let text = if text.ends_with('\n') || text.is_empty() { text } else { format!("{text}\n") };
        out.push(ConfFile { name: name.to_string(), path: file.path.clone(), text });
    }
    Ok(out)
}

/// Ends the here-document that carries a sysusers.d file into rpm's %pre.
const HEREDOC_END: &str = "DISTPACK_SYSUSERS";
