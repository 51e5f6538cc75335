//! The service model: the package's systemd units parsed once, what each distro's policy does with
//! them (enable, start, restart on upgrade), and the static users, groups and directories they
//! need — provisioned through sysusers.d and tmpfiles.d files the package ships.
//!
//! `DynamicUser=yes` units get no user, no sysusers.d line and no chown: systemd allocates the user
//! and creates and owns their State/Cache/Logs directories itself.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use super::{PackageFile, Resolver, Source, system_paths};
use crate::format::Format;
use crate::manifest::{FileKind, LoadedManifest};
use crate::unit::{UnitFile, UnitKind};

#[derive(Debug, Clone, Serialize)]
pub struct ServiceUnit {
    pub name: String,
    /// Where the package installs it.
    pub path: String,
    /// The unit file in the project, as the manifest names it (for messages).
    pub source: String,
    pub kind: Option<UnitKind>,
    pub template: bool,
    /// A template's `DefaultInstance=`: the instance `systemctl enable` enables.
    pub default_instance: Option<String>,
    /// Has an [Install] section that `systemctl enable` acts on (a template only with
    /// `DefaultInstance=`: without one, enabling it needs an instance name).
    pub installable: bool,
    /// Started by another unit of the package (a .socket, .timer or .path), not directly.
    pub activated_by: Option<String>,
    /// A unit of the package that `Requires=` or `BindsTo=` this service, and so starts it.
    pub required_by: Option<String>,
    /// The package starts, stops and restarts it. Not a slice: systemd realizes a slice for the
    /// units placed in it, and stopping or restarting it would stop them.
    pub managed: bool,
    /// What the format's policy and the manifest say, after `unit_policy`.
    pub enable: bool,
    pub start: bool,
    pub restart_on_upgrade: bool,
    pub dynamic_user: bool,
    pub user: Option<String>,
    #[serde(skip)]
    pub file: Arc<UnitFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemUser {
    pub name: String,
    pub uid: Option<u32>,
    pub groups: Vec<String>,
    pub home: String,
    pub shell: String,
    pub description: String,
    /// Declared in `[[users]]` (false: found in a unit's `User=` only).
    pub declared: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemGroup {
    pub name: String,
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TmpfilesDir {
    pub path: String,
    #[serde(serialize_with = "super::octal")]
    pub mode: u32,
    pub owner: String,
    pub group: String,
    /// Removed on purge (`purge = true`, checked to be the package's own).
    pub purge: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Services {
    pub units: Vec<ServiceUnit>,
    pub users: Vec<SystemUser>,
    pub groups: Vec<SystemGroup>,
    pub directories: Vec<TmpfilesDir>,
}

/// Each format's default policy: (enable, start, restart on upgrade).
fn policy(format: Format) -> (bool, bool, bool) {
    match format {
        // dh_installsystemd: enabled, started, restarted after upgrades.
        Format::Deb => (true, true, true),
        // Fedora: units are enabled only through presets, never started by the package, and
        // try-restarted after an upgrade (%systemd_post, %systemd_postun_with_restart).
        Format::Rpm => (true, false, true),
        // Arch: the administrator enables units; the package only tells how.
        Format::Arch | Format::Pkgbuild => (false, false, false),
        // Alpine: OpenRC services are added with `rc-update` by the administrator.
        Format::Apk => (false, false, false),
        // The agent that stages an add-on decides when it runs.
        Format::Addon => (false, false, false),
    }
}

/// Where the install scripts find the package's sysusers.d and tmpfiles.d files, its own
/// (`kind = "sysusers"`/`"tmpfiles"`, or any file shipped there) and those distpack generates.
pub(super) const SYSUSERS_DIR: &str = "/usr/lib/sysusers.d";
pub(super) const TMPFILES_DIR: &str = "/usr/lib/tmpfiles.d";

/// The directory a file of `kind` is applied from, for the kinds the install scripts apply.
pub(super) fn conf_dir(kind: FileKind) -> Option<&'static str> {
    match kind {
        FileKind::Sysusers => Some(SYSUSERS_DIR),
        FileKind::Tmpfiles => Some(TMPFILES_DIR),
        _ => None,
    }
}

/// Why a `sysusers` or `tmpfiles` file at `dest` would not be applied: the scripts, systemd and
/// pacman's hooks read `DIR/*.conf` only. As (message, label, help).
pub(super) fn shipped_conf_problem(kind: FileKind, dest: &str) -> Option<(String, &'static str, String)> {
    let dir = conf_dir(kind)?;
    let name = dest.strip_prefix(dir).and_then(|n| n.strip_prefix('/'));
    if name.is_some_and(|n| !n.contains('/') && n.len() > ".conf".len() && n.ends_with(".conf")) {
        return None;
    }
    Some((
        format!("a `{}` file is applied from {dir}/*.conf only, not `{dest}`", kind.name()),
        "not applied",
        format!("remove dest, or set dest = \"{dir}/NAME.conf\""),
    ))
}

pub(super) fn resolve(r: &mut Resolver, files: &[PackageFile], name: &str) -> Services {
    let units = read_units(r, files);
    check_unit_settings(r, &units);
    let mut services = Services { units: service_units(r, units), ..Services::default() };
    services.users = declared_users(r, name);
    unit_users(r, name, &mut services);
    services.groups = groups(r, &services);
    let manifest: &LoadedManifest = r.manifest;
    for declared in &manifest.raw.directories {
        if let Some(dir) = directory(r, declared.get_ref()) {
            services.directories.push(dir);
        }
    }
    services
}

/// A unit the package installs: (where it is installed, its path in the project, the parsed file).
type InstalledUnit = (String, String, UnitFile);

/// The unit files among `files`, parsed; an unreadable one is reported and skipped.
fn read_units(r: &mut Resolver, files: &[PackageFile]) -> Vec<InstalledUnit> {
    let mut units = Vec::new();
    for file in files.iter().filter(|f| f.kind == FileKind::Unit) {
        let Source::File { path } = &file.source else { continue };
        let unit_name = file.path.rsplit('/').next().unwrap_or(&file.path).to_string();
        let parsed = match UnitFile::read(path, &unit_name) {
            Ok(u) => u,
            Err(e) => {
                r.push(
                    0..0,
                    format!("cannot read unit {}: {e}", path.display()),
                    "unreadable unit",
                    "make the unit file readable",
                );
                continue;
            }
        };
        let source = path.strip_prefix(&r.manifest.root).unwrap_or(path).display().to_string();
        units.push((file.path.clone(), source, parsed));
    }
    units
}

/// Every `[systemd.units."NAME"]` table names a unit the package installs.
fn check_unit_settings(r: &mut Resolver, units: &[InstalledUnit]) {
    let manifest: &LoadedManifest = r.manifest;
    for (unit, span) in manifest.raw.systemd.units.iter().map(|(k, v)| (k, v.span())) {
        if !units.iter().any(|(_, _, u)| &u.name == unit) {
            r.push(
                span,
                format!("[systemd.units.\"{unit}\"] names a unit the package does not install"),
                "unknown unit",
                "use the file name of a `unit` entry, e.g. \"NAME.service\"",
            );
        }
    }
}

/// Each unit with what the format's policy and the manifest's `[systemd.units]` do with it.
fn service_units(r: &Resolver, units: Vec<InstalledUnit>) -> Vec<ServiceUnit> {
    let (enable, start, restart) = policy(r.format);
    let mut services = Vec::new();
    for (path, source, file) in units.iter().cloned() {
        let options = unit_options(&r.manifest.raw.systemd, &file, &units);
        let default_instance = file
            .get("Install", "DefaultInstance")
            .map(|e| e.value.clone())
            .filter(|v| file.is_template() && !v.is_empty());
        let mut unit = ServiceUnit {
            name: file.name.clone(),
            path,
            source,
            kind: file.kind(),
            template: file.is_template(),
            installable: file.is_installable() && (!file.is_template() || default_instance.is_some()),
            default_instance,
            activated_by: units
                .iter()
                .find(|(_, _, t)| t.activates().is_some_and(|a| names(&a, &file.name)))
                .map(|(_, _, t)| t.name.clone()),
            required_by: required_by(&file, &units),
            managed: file.kind() != Some(UnitKind::Slice),
            enable: options.enable.unwrap_or(enable),
            start: options.start.unwrap_or(start),
            restart_on_upgrade: options.restart_on_upgrade.unwrap_or(restart),
            dynamic_user: file.is_true("Service", "DynamicUser"),
            user: file.static_user().map(|e| e.value.clone()),
            file: Arc::new(file),
        };
        unit_policy(&mut unit);
        services.push(unit);
    }
    services
}

/// What no option changes: a template runs only as instances, which the package cannot name, so
/// it is never started (its running instances are restarted and stopped by pattern); a slice is
/// never enabled, started or restarted; a service that a trigger of the package activates, or
/// that another unit of the package requires, starts through that unit, not on its own.
fn unit_policy(unit: &mut ServiceUnit) {
    if !unit.installable {
        unit.enable = false;
    }
    if !unit.managed {
        unit.enable = false;
        unit.restart_on_upgrade = false;
    }
    if unit.template || !unit.managed || unit.activated_by.is_some() || unit.required_by.is_some() {
        unit.start = false;
    }
}

/// Whether a reference to a unit (`Unit=`, `Requires=`) names `unit`: itself, or for a template
/// one of its instances (`x@a.service` names `x@.service`).
fn names(reference: &str, unit: &str) -> bool {
    if reference == unit {
        return true;
    }
    let (Some((prefix, suffix)), Some((r_prefix, r_rest))) = (unit.split_once("@."), reference.split_once('@')) else {
        return false;
    };
    r_prefix == prefix && r_rest.strip_suffix(suffix).is_some_and(|i| i.ends_with('.') && i.len() > 1)
}

/// The first other unit of the package that `Requires=` or `BindsTo=` this service. Only services:
/// a socket that its own service requires is still started, since it is what listens.
fn required_by(file: &UnitFile, units: &[InstalledUnit]) -> Option<String> {
    if file.kind() != Some(UnitKind::Service) {
        return None;
    }
    units.iter().map(|(_, _, u)| u).find_map(|u| {
        let requires = ["Requires", "BindsTo"].iter().flat_map(|key| u.list("Unit", key));
        (u.name != file.name && requires.into_iter().any(|(r, _)| names(&r, &file.name))).then(|| u.name.clone())
    })
}

/// The `[[users]]` of the manifest; invalid, unsafe and duplicate ones are reported and skipped.
fn declared_users(r: &mut Resolver, name: &str) -> Vec<SystemUser> {
    let manifest: &LoadedManifest = r.manifest;
    let mut users: Vec<SystemUser> = Vec::new();
    for declared in &manifest.raw.users {
        let u = declared.get_ref();
        if !valid_account_name(&u.name) {
            r.push(declared.span(), format!("`{}` is not a valid user name", u.name), "invalid name", ACCOUNT_HELP);
            continue;
        }
        if !u.system {
            r.push(
                declared.span(),
                format!("user `{}` is not a system user", u.name),
                "system = false",
                "packages provision system users only; remove `system = false`",
            );
        }
        if let Some(why) = user_problem(u) {
            r.push(
                declared.span(),
                format!("user `{}`: {why}", u.name),
                "unsafe value",
                "use plain absolute paths and names",
            );
            continue;
        }
        if users.iter().any(|x| x.name == u.name) {
            r.push(
                declared.span(),
                format!("user `{}` is declared twice", u.name),
                "duplicate",
                "remove one of the [[users]] entries",
            );
            continue;
        }
        users.push(SystemUser {
            name: u.name.clone(),
            uid: u.uid,
            groups: u.groups.clone(),
            home: u.home.clone().unwrap_or_else(|| "/nonexistent".into()),
            shell: u.shell.clone().unwrap_or_else(|| "/usr/sbin/nologin".into()),
            description: u.description.clone().unwrap_or_else(|| format!("{name} service user")),
            declared: true,
        });
    }
    users
}

/// Adds to `services.users` each unit's `User=` the manifest forgot (check warns, U003), unless the
/// system has it already; an invalid name is reported at the unit's line.
fn unit_users(r: &mut Resolver, name: &str, services: &mut Services) {
    // Specifiers (`User=%i` in a template) name a user per instance, chosen by the administrator:
    // nothing to provision.
    let wanted: BTreeSet<String> =
        services.units.iter().filter_map(|u| u.user.clone()).filter(|u| !u.contains('%')).collect();
    for user in wanted {
        if !valid_account_name(&user) {
            let (source, text, line) = services
                .units
                .iter()
                .find(|u| u.user.as_deref() == Some(user.as_str()))
                .and_then(|u| Some((u.source.clone(), u.file.text.clone(), u.file.static_user()?.line)))
                .unwrap_or_default();
            r.push_in(
                &source,
                &text,
                line,
                format!("a unit runs as `User={user}`, which is not a valid user name"),
                "invalid User=",
                ACCOUNT_HELP,
            );
            continue;
        }
        if !super::base_system::has_user(r.format, &user) && !services.users.iter().any(|u| u.name == user) {
            services.users.push(SystemUser {
                name: user,
                uid: None,
                groups: Vec::new(),
                home: "/nonexistent".into(),
                shell: "/usr/sbin/nologin".into(),
                description: format!("{name} service user"),
                declared: false,
            });
        }
    }
}

/// The `[[groups]]` of the manifest, then the units' `Group=` and the users' supplementary groups
/// that neither the system nor a user of the same name provides.
fn groups(r: &mut Resolver, services: &Services) -> Vec<SystemGroup> {
    let manifest: &LoadedManifest = r.manifest;
    let mut groups = Vec::new();
    for declared in &manifest.raw.groups {
        let g = declared.get_ref();
        if !valid_account_name(&g.name) {
            r.push(declared.span(), format!("`{}` is not a valid group name", g.name), "invalid name", ACCOUNT_HELP);
            continue;
        }
        groups.push(SystemGroup { name: g.name.clone(), gid: g.gid });
    }
    let unit_groups: BTreeSet<String> =
        services.units.iter().filter_map(|u| u.file.static_group().map(|e| e.value.clone())).collect();
    let supplementary: BTreeSet<String> = services.users.iter().flat_map(|u| u.groups.clone()).collect();
    for group in unit_groups.into_iter().chain(supplementary) {
        let own_group = services.users.iter().any(|u| u.name == group);
        if !own_group && !super::base_system::has_group(r.format, &group) && !groups.iter().any(|g| g.name == group) {
            groups.push(SystemGroup { name: group, gid: None });
        }
    }
    groups
}

/// Each unit's enable/start/restart settings. A socket, timer or path unit and the service it
/// activates are one group: without a `[systemd.units]` table of its own, the trigger follows the
/// service's, so `start = false` on `x.service` also keeps `x.socket` from listening.
fn unit_options(
    systemd: &crate::manifest::Systemd,
    file: &UnitFile,
    units: &[InstalledUnit],
) -> crate::manifest::UnitOptions {
    let activated = file.activates().and_then(|target| units.iter().find(|(_, _, u)| names(&target, &u.name)));
    let governing = match activated {
        Some((_, _, service)) if !systemd.units.contains_key(&file.name) => &service.name,
        _ => &file.name,
    };
    systemd.options_for(governing)
}

/// A `[[directories]]` entry, validated: its path and names go into tmpfiles.d lines and scripts,
/// and purge removes it only when it asks and is provably the package's own.
fn directory(r: &mut Resolver, d: &crate::manifest::Directory) -> Option<TmpfilesDir> {
    let path = d.path.get_ref().clone();
    let refusal = system_paths::script_path_problem(&path)
        .map(|why| (why, "use a plain absolute path such as /var/lib/NAME"))
        .or_else(|| {
            system_paths::is_base_dir(&path).then(|| {
                (
                    format!("`{path}` belongs to the base system"),
                    "name a directory of the package's own, such as /var/lib/NAME",
                )
            })
        })
        .or_else(|| {
            d.purge.then(|| system_paths::purge_refusal(&path)).flatten().map(|why| {
                (
                    format!("{why}, so purge must not remove it"),
                    "use a directory of the package's own, such as /var/lib/NAME, or remove `purge = true`",
                )
            })
        });
    if let Some((why, help)) = refusal {
        r.push(d.path.span(), format!("[[directories]] {why}"), "refused", help);
        return None;
    }
    let owner = d.owner.clone().unwrap_or_else(|| "root".into());
    let group = d.group.clone().unwrap_or_else(|| owner.clone());
    if let Some(bad) = [&owner, &group].into_iter().find(|n| !valid_account_name(n)) {
        r.push(
            d.path.span(),
            format!("[[directories]] owner or group `{}` is not a valid account name", bad.escape_default()),
            "invalid name",
            ACCOUNT_HELP,
        );
        return None;
    }
    let mode = d.mode.as_ref().map(|m| *m.get_ref()).unwrap_or(0o755);
    Some(TmpfilesDir { path, mode, owner, group, purge: d.purge })
}

/// Why a declared user's home, shell, groups or description cannot go into useradd, adduser and
/// sysusers.d lines, if they cannot.
fn user_problem(u: &crate::manifest::User) -> Option<String> {
    for (key, value) in [("home", &u.home), ("shell", &u.shell)] {
        if let Some(why) = value.as_deref().and_then(system_paths::script_path_problem) {
            return Some(format!("{key}: {why}"));
        }
    }
    if let Some(group) = u.groups.iter().find(|g| !valid_account_name(g)) {
        return Some(format!("group `{}` is not a valid group name ({ACCOUNT_HELP})", group.escape_default()));
    }
    let description = u.description.as_deref().unwrap_or("");
    if let Some(c) = description.chars().find(|c| c.is_control() || "'\"\\:".contains(*c)) {
        return Some(format!("the description contains {c:?}, which passwd entries and scripts cannot hold"));
    }
    None
}

pub(crate) const ACCOUNT_HELP: &str =
    "use lowercase letters, digits, `_` and `-`, starting with a letter or `_`, at most 31 characters";

/// The portable subset of user and group names (what useradd and systemd-sysusers both accept).
pub(crate) fn valid_account_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 31
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

impl Services {
    /// `/usr/lib/sysusers.d/NAME.conf` for the static users and groups, if there are any.
    pub fn sysusers_conf(&self, package: &str) -> Option<String> {
        if self.users.is_empty() && self.groups.is_empty() {
            return None;
        }
        let mut out = format!("# System users and groups of {package} (sysusers.d(5)).\n");
        for g in &self.groups {
            out += &format!("g {} {}\n", g.name, g.gid.map(|n| n.to_string()).unwrap_or_else(|| "-".into()));
        }
        for u in &self.users {
            let id = u.uid.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            out += &format!("u {} {id} \"{}\" {} {}\n", u.name, u.description.replace('"', "'"), u.home, u.shell);
            for g in &u.groups {
                out += &format!("m {} {g}\n", u.name);
            }
        }
        Some(out)
    }

    /// `/usr/lib/tmpfiles.d/NAME.conf` for `[[directories]]` and files whose owner must be set
    /// after install (`owned`), if there are any.
    pub fn tmpfiles_conf(&self, package: &str, owned: &[&PackageFile]) -> Option<String> {
        if self.directories.is_empty() && owned.is_empty() {
            return None;
        }
        let mut out = format!("# Directories and ownership of {package} (tmpfiles.d(5)).\n");
        for d in &self.directories {
            out += &format!("d {} {:04o} {} {} -\n", d.path, d.mode, d.owner, d.group);
        }
        for f in owned {
            out += &format!("z {} {:04o} {} {} -\n", f.path, f.mode, f.owner, f.group);
        }
        Some(out)
    }
}
