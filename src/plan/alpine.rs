//! What abuild does to every package it builds, done in the plan so that the .apk and `plan --json`
//! agree (`alpinelinux/abuild:abuild.in`): the OpenRC scripts go into a `NAME-openrc` subpackage
//! that apk installs by itself when openrc is installed (`default_openrc`); each command in
//! `/bin`, `/sbin`, `/usr/bin` or `/usr/sbin` is provided as `cmd:NAME=VERSION`
//! (`prepare_command_provides`); a package with `#!/bin/sh` scripts depends on `/bin/sh`.

use std::collections::BTreeMap;

use super::relations::{Atom, Op, Relation, RelationKind};
use super::version::display;
use super::{Package, Source};
use crate::format::Format;

const OPENRC_DIRS: [&str; 2] = ["/etc/init.d/", "/etc/conf.d/"];

/// Move the OpenRC scripts and their conf.d files into `NAME-openrc`, with
/// `install_if = openrc NAME=VERSION`, as abuild's `default_openrc` does. None when there are none.
pub(super) fn split_openrc(package: &mut Package) -> Option<Package> {
    let (moved, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut package.files)
        .into_iter()
        .partition(|f| OPENRC_DIRS.iter().any(|dir| f.path.starts_with(dir)));
    package.files = kept;
    if moved.is_empty() {
        return None;
    }
    let mut sub = package.clone();
    sub.name = format!("{}-openrc", package.name);
    sub.summary = format!("{} (OpenRC init scripts)", package.summary);
    sub.description = sub.summary.clone();
    sub.files = moved;
    // OpenRC scripts are shell: the binaries (and their so: relations) stay in the main package.
    sub.binaries = Vec::new();
    sub.scripts = BTreeMap::new();
    sub.services = Default::default();
    let install_if = vec![
        Relation::single(Atom::name("openrc")),
        Relation::single(Atom::with(&package.name, Op::Eq, display(Format::Apk, &package.version))),
    ];
    sub.relations = BTreeMap::from([(RelationKind::InstallIf, install_if)]);
    sub.origin = Some(package.name.clone());
    Some(sub)
}

/// `provides = cmd:NAME=VERSION` for every command, and `depend = /bin/sh` when the package has
/// scripts run by /bin/sh (not for busybox itself, nor when it already depends on /bin/sh or busybox).
pub(super) fn add_automatic_relations(package: &mut Package) {
    let version = display(Format::Apk, &package.version);
    let mut commands: Vec<String> = package
        .files
        .iter()
        .filter(|f| match &f.source {
            Source::Symlink { .. } => true,
            Source::File { .. } | Source::Generated { .. } => f.mode & 0o111 != 0,
            Source::Directory => false,
        })
        .filter_map(|f| {
            let (dir, name) = f.path.rsplit_once('/')?;
            (["/bin", "/sbin", "/usr/bin", "/usr/sbin"].contains(&dir) && !name.contains('@'))
                .then(|| format!("cmd:{name}"))
        })
        .collect();
    commands.sort();
    commands.dedup();
    // apk refuses a package that provides one name both with and without a version.
    let provides = package.relations.entry(RelationKind::Provides).or_default();
    for command in commands {
        if !provides.iter().any(|p| p.names(&command)) {
            provides.push(Relation::single(Atom::with(command, Op::Eq, &version)));
        }
    }
    if provides.is_empty() {
        package.relations.remove(&RelationKind::Provides);
    }

    let shell_scripts = package.scripts.values().any(|s| s.starts_with("#!/bin/sh"));
    let depends = package.relations.get(&RelationKind::Depends).cloned().unwrap_or_default();
    let has = |name: &str| depends.iter().any(|d| d.names(name));
    if shell_scripts && package.name != "busybox" && !has("busybox") && !has("/bin/sh") {
        package.relations.entry(RelationKind::Depends).or_default().push(Relation::single(Atom::name("/bin/sh")));
    }
}
