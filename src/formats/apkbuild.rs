//! The aports recipe beside the .apk: an APKBUILD, the install scripts and one `NAME.initd` per
//! OpenRC service, in `bin` mode (install from a release tarball per architecture) or `source`
//! mode (build with cargo). The tests hand it to abuild itself (`abuild validate`, `verify`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha512};

use crate::error::{Error, IoContext, Result};
use crate::formats::tarball;
use crate::manifest::{PkgbuildMode, PkgbuildSettings};
use crate::plan::openrc::dq;
use crate::plan::relations::RelationKind;
use crate::plan::{Package, PackageFile, Source};

const INITD: &str = "/etc/init.d/";

/// `pkgver` and `pkgrel` of an apk version (`1.4.2_rc1-r0`).
fn split(package: &Package) -> (String, String) {
    (package.version.upstream.clone(), package.version.release.clone())
}

/// The release tarball of a `bin` recipe: the files as installed under one directory named like
/// the tarball (abuild unpacks every architecture's tarball into the same $srcdir), without the
/// OpenRC scripts (the recipe ships those itself, so the -openrc subpackage can take them).
pub fn tarball_name(package: &Package) -> String {
    format!("{}.tar.gz", tarball_dir(&package.name, &split(package).0, &package.arch))
}

fn tarball_dir(name: &str, pkgver: &str, arch: &str) -> String {
    format!("{name}-{pkgver}-alpine-{arch}")
}

pub fn write_tarball(package: &Package, out_dir: &Path) -> Result<(PathBuf, String)> {
    let path = crate::output::write_atomically(out_dir, &tarball_name(package), |out: &mut File| {
        let io_err = |e: io::Error| {
            Error::invalid(format!("cannot write the release tarball: {e}"), "check free space in the output directory")
        };
        let gz = flate2::GzBuilder::new().mtime(0).write(BufWriter::new(out), flate2::Compression::best());
        let mut builder = tar::Builder::new(gz);
        let top = format!("/{}", tarball_dir(&package.name, &split(package).0, &package.arch));
        let top_dir = PackageFile {
            path: top.clone(),
            kind: crate::manifest::FileKind::Dir,
            mode: 0o755,
            owner: "root".into(),
            group: "root".into(),
            size: 0,
            source: Source::Directory,
        };
        tarball::append(&mut builder, &top_dir, package.mtime, false, false)?;
        for file in package.files.iter().filter(|f| !f.path.starts_with(INITD)) {
            let inside = PackageFile { path: format!("{top}{}", file.path), ..file.clone() };
            tarball::append(&mut builder, &inside, package.mtime, false, false)?;
        }
        builder.into_inner().and_then(|gz| gz.finish()).and_then(|mut w| w.flush()).map_err(io_err)
    })?;
    let bytes = std::fs::read(&path).io("cannot read", &path)?;
    Ok((path, hex::encode(Sha512::digest(&bytes))))
}

fn local_name(path: &str) -> String {
    match path.strip_prefix(INITD) {
        Some(service) => format!("{service}.initd"),
        None => path.trim_start_matches('/').replace('/', "_"),
    }
}

/// The files of a package and of its subpackages (the -openrc one), sorted by path: the recipe's
/// `package()` installs them all and abuild splits them again.
fn all_files(package: &Package) -> Vec<&PackageFile> {
    let mut by_path = std::collections::BTreeMap::new();
    for file in package.files.iter().chain(package.subpackages.iter().flat_map(|s| &s.files)) {
        by_path.entry(file.path.as_str()).or_insert(file);
    }
    by_path.into_values().collect()
}

/// The recipe's files: (name, bytes, mode). `tarballs` are (arch, file name, sha512) per target.
pub fn render(
    settings: &PkgbuildSettings,
    root: &Path,
    packages: &[&Package],
    tarballs: &[(String, String, String)],
) -> Result<Vec<(String, Vec<u8>)>> {
    let package = packages
        .first()
        .ok_or_else(|| Error::invalid("no package to write an APKBUILD for", "pass at least one --target"))?;
    let (pkgver, pkgrel) = split(package);
    let source_mode = settings.mode == PkgbuildMode::Source;
    // What abuild adds by itself (`cmd:` provides, the /bin/sh dependency of scripts) is left to it.
    let rel = |kind: RelationKind| -> Vec<String> {
        let values = package.relations.get(&kind).into_iter().flatten();
        let own = values.filter(|r| !r.alternatives.iter().any(|a| a.name.starts_with("cmd:") || a.name == "/bin/sh"));
        own.map(crate::formats::arch::relation).collect()
    };
    let all = all_files(package);
    let mut depends = rel(RelationKind::Depends);
    depends.extend(rel(RelationKind::Conflicts).iter().map(|c| format!("!{c}")));

    // Local sources: OpenRC scripts always; in source mode also the files distpack generates.
    let local: Vec<&PackageFile> = all
        .iter()
        .copied()
        .filter(|f| f.path.starts_with(INITD) || (source_mode && matches!(f.source, Source::Generated { .. })))
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut sums: Vec<(String, String)> = Vec::new();
    for f in &local {
        if let Source::Generated { bytes } = &f.source {
            sums.push((hex::encode(Sha512::digest(bytes)), local_name(&f.path)));
            files.push((local_name(&f.path), bytes.clone()));
        }
    }
    let install: Vec<String> = package.scripts.keys().map(|k| format!("{}{k}", package.name)).collect();
    for (name, text) in &package.scripts {
        files.push((format!("{}{name}", package.name), text.clone().into_bytes()));
    }

    let mut out = format!(
        "# Maintainer: {}\n# Generated by distpack {}; change the distpack manifest rather than this file.\n",
        package.maintainer,
        env!("CARGO_PKG_VERSION")
    );
    // abuild's own template leaves empty variables out too.
    let mut var = |key: &str, value: &str| {
        if !value.is_empty() {
            out.push_str(&format!("{key}={}\n", dq(value)))
        }
    };
    var("pkgname", &package.name);
    var("pkgver", &pkgver);
    var("pkgrel", &pkgrel);
    var("pkgdesc", &package.summary.split_whitespace().collect::<Vec<_>>().join(" "));
    var("url", package.homepage.as_deref().unwrap_or(""));
    var("arch", &packages.iter().map(|p| p.arch.clone()).collect::<Vec<_>>().join(" "));
    var("license", package.license.as_deref().unwrap_or(""));
    var("depends", &depends.join(" "));
    var("makedepends", if source_mode { "cargo" } else { "" });
    var("provides", &rel(RelationKind::Provides).join(" "));
    var("replaces", &rel(RelationKind::Replaces).join(" "));
    var("install", &install.join(" "));
    let users: Vec<String> = package.services.users.iter().map(|u| u.name.clone()).collect();
    var("pkgusers", &users.join(" "));
    var("pkggroups", &users.join(" "));
    var(
        "subpackages",
        &if local.iter().any(|f| f.path.starts_with(INITD)) {
            format!("{}-openrc", package.name)
        } else {
            String::new()
        },
    );
    var("options", if source_mode { "net" } else { "!check !strip" });

    let locals: String = local.iter().map(|f| format!("\n\t{}", local_name(&f.path))).collect();
    if source_mode {
        let url = settings
            .source_url
            .get_ref()
            .replace("{version}", &pkgver)
            .replace("{upstream}", &package.upstream_version)
            .replace("{name}", &package.name);
        out += &format!("source={}\n", dq(&format!("{}-{pkgver}.tar.gz::{url}{locals}\n\t", package.name)));
        let dir = settings
            .source_dir
            .clone()
            .unwrap_or_else(|| "{name}-{version}".into())
            .replace("{name}", &package.name)
            .replace("{version}", &pkgver);
        out += &format!("builddir={}\n", dq(&format!("$srcdir/{dir}")).replace("\\$srcdir", "$srcdir"));
        out += "\nprepare() {\n\tdefault_prepare\n\tcargo fetch --locked --target=\"$CTARGET\"\n}\n\nbuild() {\n\tcargo build --frozen --release\n}\n\ncheck() {\n\tcargo test --frozen\n}\n";
        if let Some(sum) = &settings.sha512 {
            sums.insert(0, (sum.clone(), format!("{}-{pkgver}.tar.gz", package.name)));
        }
    } else {
        // Every architecture's tarball is a source with its checksum, as aports list per-arch
        // downloads: abuild checks that source= and sha512sums= name the same files. Each unpacks
        // into its own directory; the build uses $CARCH's.
        let mut source = String::new();
        for (arch, name, _) in tarballs {
            let url = settings
                .source_url
                .get_ref()
                .replace("{version}", &pkgver)
                .replace("{upstream}", &package.upstream_version)
                .replace("{name}", &package.name)
                .replace("{arch}", arch);
            source += &format!("\n\t{name}::{url}");
        }
        out += &format!("source={}\n", dq(&format!("{source}{locals}\n\t")));
        out += "builddir=\"$srcdir/$pkgname-$pkgver-alpine-$CARCH\"\n";
        for (_, name, sum) in tarballs.iter().rev() {
            sums.insert(0, (sum.clone(), name.clone()));
        }
    }

    out += "\npackage() {\n";
    let from_dir = "$builddir";
    for file in &all {
        let dest = format!("\"$pkgdir\"{}", dq(&file.path));
        let from = if file.path.starts_with(INITD) || (source_mode && matches!(file.source, Source::Generated { .. })) {
            format!("\"$srcdir\"/{}", dq(&local_name(&file.path)))
        } else {
            match (&file.source, source_mode) {
                (Source::Directory, _) => {
                    let parent_of_others = all.iter().any(|f| f.path.starts_with(&format!("{}/", file.path)));
                    if !(parent_of_others && file.mode == 0o755) {
                        out += &format!("\tinstall -dm{:04o} {dest}\n", file.mode);
                    }
                    continue;
                }
                (Source::Symlink { target }, _) => {
                    out += &format!("\tmkdir -p \"$(dirname {dest})\"\n\tln -s {} {dest}\n", dq(target));
                    continue;
                }
                (Source::File { path }, true) => {
                    let relative = path
                        .strip_prefix(root)
                        .unwrap_or(path)
                        .to_string_lossy()
                        .replace(&format!("target/{}/", package.target), "target/");
                    format!("\"{from_dir}\"/{}", dq(&relative))
                }
                _ => format!("\"{from_dir}\"{}", dq(&file.path)),
            }
        };
        out += &format!("\tinstall -Dm{:04o} {from} {dest}\n", file.mode);
    }
    out += "}\n\nsha512sums=\"\n";
    for (sum, name) in &sums {
        out += &format!("{sum}  {name}\n");
    }
    out += "\"\n";
    files.insert(0, ("APKBUILD".to_string(), out.into_bytes()));
    Ok(files)
}

/// Write the recipe's files into `dir`.
pub fn write(files: &[(String, Vec<u8>)], dir: &Path) -> Result<PathBuf> {
    crate::output::write_files(dir, files)?;
    Ok(dir.to_path_buf())
}
