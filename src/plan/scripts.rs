//! Maintainer scripts rendered from the handlebars templates in `scripts/` (compiled into the
//! binary), with the user's own hooks inserted where each format runs that lifecycle event.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use super::{Package, Resolver, services};
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

pub(super) fn read_hooks(r: &mut Resolver, fields: &Fields) -> Hooks {
    let mut hooks = Hooks::new();
    let Some(scripts) = &fields.scripts else { return hooks };
    for (event, path) in scripts.hooks() {
        let full = r.manifest.root.join(path.get_ref());
        match std::fs::read_to_string(&full) {
            Ok(text) => {
                let body = match text.strip_prefix("#!") {
                    Some(rest) => rest.split_once('\n').map(|(_, b)| b).unwrap_or(""),
                    None => &text,
                };
                hooks.insert(event, Hook { source: path.get_ref().clone(), body: body.trim_end().to_string() });
            }
            Err(e) => r.push(
                path.span(),
                format!("cannot read hook script `{}`: {e}", path.get_ref()),
                "unreadable",
                "fix the path (relative to the project root)",
            ),
        }
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
    /// File name of the sysusers.d / tmpfiles.d configuration, when the package ships one.
    sysusers: Option<String>,
    /// The sysusers.d file's text, for scripts that apply it before the file is unpacked.
    sysusers_text: Option<String>,
    tmpfiles: Option<String>,
    users: Vec<ScriptUser<'a>>,
    groups: &'a [services::SystemGroup],
    chown: Vec<Chown<'a>>,
    units: UnitLists,
    /// apk: `[[directories]]`, created by .post-install (there is no systemd-tmpfiles).
    directories: Vec<ScriptDir<'a>>,
    /// apk: the OpenRC services the package installs.
    openrc: Vec<String>,
    /// Removed on purge: state the services left and `[[directories]]`.
    purge_dirs: Vec<String>,
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
#[derive(Serialize, Default)]
struct UnitLists {
    any: bool,
    /// Some unit has an [Install] section for deb-systemd-helper to act on.
    installable: bool,
    enable: Vec<String>,
    keep_disabled: Vec<String>,
    start_or_restart: String,
    start_only: String,
    try_restart: String,
    stop_before_upgrade: String,
    stop_on_remove: String,
    purge: String,
    /// rpm: enabled through `systemctl preset`, started on first install, try-restarted after upgrades.
    preset: String,
    start_on_install: String,
    restart_after_upgrade: String,
    /// Arch: units whose enabling the install message explains.
    hint: Vec<String>,
}

fn purge_dirs(services: &services::Services) -> Vec<String> {
    let mut dirs: Vec<String> = services.units.iter().flat_map(|u| u.file.persistent_directories()).collect();
    dirs.extend(services.directories.iter().map(|d| d.path.clone()));
    dirs.sort();
    dirs.dedup();
    dirs
}

fn unit_lists(units: &[services::ServiceUnit]) -> UnitLists {
    // Template units act only through instances, which the package cannot know. Triggers
    // (sockets, timers, paths) come first so that stopping them cannot re-activate a service.
    let mut units: Vec<&services::ServiceUnit> = units.iter().filter(|u| !u.template).collect();
    units.sort_by_key(|u| (u.file.activates().is_none(), u.name.clone()));
    let quoted = |pick: &dyn Fn(&services::ServiceUnit) -> bool| {
        units.iter().filter(|u| pick(u)).map(|u| format!("'{}'", u.name)).collect::<Vec<_>>().join(" ")
    };
    // A unit that a socket, timer or path of the package activates is started through it.
    let direct = |u: &services::ServiceUnit| u.activated_by.is_none();
    UnitLists {
        any: !units.is_empty(),
        installable: units.iter().any(|u| u.installable),
        enable: units.iter().filter(|u| u.installable && u.enable).map(|u| u.name.clone()).collect(),
        keep_disabled: units.iter().filter(|u| u.installable && !u.enable).map(|u| u.name.clone()).collect(),
        start_or_restart: quoted(&|u| direct(u) && u.start && u.restart_on_upgrade),
        start_only: quoted(&|u| direct(u) && u.start && !u.restart_on_upgrade),
        try_restart: quoted(&|u| direct(u) && !u.start && u.restart_on_upgrade),
        stop_before_upgrade: quoted(&|u| direct(u) && !u.restart_on_upgrade),
        stop_on_remove: quoted(&|_| true),
        purge: quoted(&|u| u.installable),
        preset: quoted(&|u| u.installable && u.enable),
        start_on_install: quoted(&|u| direct(u) && u.start),
        restart_after_upgrade: quoted(&|u| direct(u) && u.restart_on_upgrade),
        hint: units.iter().filter(|u| u.installable).map(|u| u.name.clone()).collect(),
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

/// Render the scripts `package` needs; a native script with nothing to do is left out.
pub(super) fn render(package: &Package, hooks: &Hooks) -> Result<BTreeMap<String, String>> {
    let mut engine = Handlebars::new();
    engine.set_strict_mode(true);
    engine.register_escape_fn(handlebars::no_escape);
    let services = &package.services;
    let conf = |dir: &str| {
        let path = format!("{dir}/{}.conf", package.name);
        package.files.iter().any(|f| f.path == path).then(|| format!("{}.conf", package.name))
    };
    let chown: Vec<Chown> = package
        .files
        .iter()
        .filter(|f| f.owner != "root" || f.group != "root")
        .map(|f| Chown { path: &f.path, owner: &f.owner, group: &f.group })
        .collect();
    let sysusers = conf("/usr/lib/sysusers.d");
    let tmpfiles = conf("/usr/lib/tmpfiles.d");
    let data = TemplateData {
        name: &package.name,
        hooks: ALL_EVENTS.iter().map(|e| (event_key(*e), hooks.get(e))).collect(),
        provision: sysusers.is_some() || tmpfiles.is_some() || !chown.is_empty(),
        sysusers,
        sysusers_text: services.sysusers_conf(&package.name),
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
            out.insert(name.to_string(), text);
        }
    }
    Ok(out)
}
