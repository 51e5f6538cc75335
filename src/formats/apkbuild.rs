//! The aports recipe beside the .apk: an APKBUILD, the install scripts and one `NAME.initd` per
//! OpenRC service, in `bin` mode (install from a release tarball per architecture) or `source`
//! mode (build with cargo). The tests hand it to abuild itself (`abuild validate`, `verify`).

use std::fs::File;
use std::io::{BufWriter, Write};

use sha2::{Digest, Sha512};

use crate::error::{Error, IoContext, Result};
use crate::formats::tarball;
use crate::plan::openrc::dq;
use crate::plan::recipe::{INITD, Recipe, RecipeSource, all_files};
use crate::plan::relations::RelationKind;
use crate::plan::{Package, PackageFile, Source};

/// The release tarball of a `bin` recipe: the files as installed under one directory `top` named
/// like the tarball (abuild unpacks every architecture's tarball into the same $srcdir), without
/// the OpenRC scripts (the recipe ships those itself, so the -openrc subpackage can take them).
pub fn write_tarball(package: &Package, top: &str, out: &mut File) -> Result<()> {
    let io_err = |e: std::io::Error| Error::write("the release tarball")(e);
    let gz = flate2::GzBuilder::new().mtime(0).write(BufWriter::new(out), flate2::Compression::best());
    let mut builder = tar::Builder::new(gz);
    let top = format!("/{top}");
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
}

/// The recipe's files (APKBUILD first, then install scripts and local sources), name → bytes.
/// `sha512s` are the release tarballs' digests, one per download of a bin recipe.
pub fn render(recipe: &Recipe, packages: &[&Package], sha512s: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
    let package = packages
        .first()
        .ok_or_else(|| Error::invalid("no package to write an APKBUILD for", "pass at least one --target"))?;
    let all = all_files(package);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut sums: Vec<(String, String)> = Vec::new();
    for (name, path) in &recipe.local_files {
        // An OpenRC script is generated, or the project's own file in its place.
        let bytes = match all.iter().find(|f| &f.path == path).map(|f| &f.source) {
            Some(Source::Generated { bytes }) => bytes.clone(),
            Some(Source::File { path }) => std::fs::read(path).io("cannot read", path)?,
            _ => continue,
        };
        sums.push((hex::encode(Sha512::digest(&bytes)), name.clone()));
        files.push((name.clone(), bytes));
    }
    for (file, script) in &recipe.scripts {
        if let Some(text) = package.scripts.get(script) {
            files.push((file.clone(), text.clone().into_bytes()));
        }
    }
    let mut out = header(recipe, packages, package);
    let locals: String = recipe.local_files.iter().map(|(name, _)| format!("\n\t{name}")).collect();
    match &recipe.source {
        RecipeSource::Source { archive, url, checksum, dir, .. } => {
            out += &format!("source={}\n", dq(&format!("{archive}::{url}{locals}\n\t")));
            out += &format!("builddir={}\n", dq(&format!("$srcdir/{dir}")).replace("\\$srcdir", "$srcdir"));
            out += "\nprepare() {\n\tdefault_prepare\n\tcargo fetch --locked --target=\"$CTARGET\"\n}\n\nbuild() {\n\tcargo build --frozen --release\n}\n\ncheck() {\n\tcargo test --frozen\n}\n";
            if let Some(sum) = checksum {
                sums.insert(0, (sum.clone(), archive.clone()));
            }
        }
        RecipeSource::Bin { downloads } => {
            // Every architecture's tarball is a source with its checksum, as aports list per-arch
            // downloads: abuild checks that source= and sha512sums= name the same files. Each
            // unpacks into its own directory; the build uses $CARCH's.
            let mut source = String::new();
            let mut tarball_sums = Vec::new();
            for (download, sum) in downloads.iter().zip(sha512s) {
                let name = download.tarball.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                source += &format!("\n\t{name}::{}", download.url);
                tarball_sums.push((sum.clone(), name));
            }
            out += &format!("source={}\n", dq(&format!("{source}{locals}\n\t")));
            // A noarch package has one tarball, whatever machine builds it.
            let arch = if packages.iter().all(|p| p.arch == "noarch") { "noarch" } else { "$CARCH" };
            out += &format!("builddir=\"$srcdir/$pkgname-$pkgver-alpine-{arch}\"\n");
            sums.splice(0..0, tarball_sums);
        }
    }
    out += &package_function(recipe, &all);
    out += "\nsha512sums=\"\n";
    for (sum, name) in &sums {
        out += &format!("{sum}  {name}\n");
    }
    out += "\"\n";
    files.insert(0, (recipe.main_file().to_string(), out.into_bytes()));
    Ok(files)
}

/// The variables before `source=`; abuild's own template leaves empty ones out too.
fn header(recipe: &Recipe, packages: &[&Package], package: &Package) -> String {
    let source_mode = matches!(recipe.source, RecipeSource::Source { .. });
    // What abuild adds by itself (`cmd:` provides, the /bin/sh dependency of scripts) is left to it.
    let rel = |kind: RelationKind| -> Vec<String> {
        let values = package.relations.get(&kind).into_iter().flatten();
        let own = values.filter(|r| !r.alternatives.iter().any(|a| a.name.starts_with("cmd:") || a.name == "/bin/sh"));
        own.map(crate::formats::arch::relation).collect()
    };
    let mut depends = rel(RelationKind::Depends);
    depends.extend(rel(RelationKind::Conflicts).iter().map(|c| format!("!{c}")));
    let install: Vec<String> = recipe.scripts.iter().map(|(file, _)| file.clone()).collect();
    let users: Vec<String> = package.services.users.iter().map(|u| u.name.clone()).collect();
    let has_initd = recipe.local_files.iter().any(|(_, path)| path.starts_with(INITD));
    let mut out = format!(
        "# Maintainer: {}\n# Generated by distpack {}; change the distpack manifest rather than this file.\n",
        package.maintainer,
        env!("CARGO_PKG_VERSION")
    );
    let vars = [
        ("pkgname", package.name.clone()),
        ("pkgver", package.version.upstream.clone()),
        ("pkgrel", package.version.release.clone()),
        ("pkgdesc", package.summary.split_whitespace().collect::<Vec<_>>().join(" ")),
        ("url", package.homepage.clone().unwrap_or_default()),
        ("arch", packages.iter().map(|p| p.arch.clone()).collect::<Vec<_>>().join(" ")),
        ("license", package.license.clone().unwrap_or_default()),
        ("depends", depends.join(" ")),
        ("makedepends", if source_mode { "cargo".into() } else { String::new() }),
        ("provides", rel(RelationKind::Provides).join(" ")),
        ("replaces", rel(RelationKind::Replaces).join(" ")),
        ("install", install.join(" ")),
        ("pkgusers", users.join(" ")),
        ("pkggroups", users.join(" ")),
        ("subpackages", if has_initd { format!("{}-openrc", package.name) } else { String::new() }),
        ("options", if source_mode { "net".into() } else { "!check !strip".into() }),
    ];
    for (key, value) in vars.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!("{key}={}\n", dq(value)));
    }
    out
}

/// `package()`: install every file with its mode, from the unpacked tarball or source tree, or
/// from the recipe's local files.
fn package_function(recipe: &Recipe, all: &[&PackageFile]) -> String {
    let local_of = |path: &str| recipe.local_files.iter().find(|(_, p)| p == path).map(|(n, _)| n.clone());
    let mut out = "\npackage() {\n".to_string();
    let from_dir = "$builddir";
    for file in all {
        let dest = format!("\"$pkgdir\"{}", dq(&file.path));
        let from = if let Some(name) = local_of(&file.path) {
            format!("\"$srcdir\"/{}", dq(&name))
        } else {
            match (&file.source, &recipe.source) {
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
                (Source::File { .. }, RecipeSource::Source { paths, .. }) => {
                    let inside = paths.get(&file.path).map(String::as_str).unwrap_or_default();
                    format!("\"{from_dir}\"/{}", dq(inside))
                }
                _ => format!("\"{from_dir}\"{}", dq(&file.path)),
            }
        };
        out += &format!("\tinstall -Dm{:04o} {from} {dest}\n", file.mode);
    }
    out += "}\n";
    out
}
