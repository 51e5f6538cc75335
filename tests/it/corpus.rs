//! The precision corpus (issue 19): real unit files from Debian 12 packages, in
//! tests/fixtures/debian-units/ with their licences. Each package's units are wrapped in a manifest
//! as the package ships them — the units, and at every absolute `Exec*=` path the real binary from
//! the extracted package with the libraries it links (a `#!/bin/sh` stand-in when no cached package
//! has it). These services work on bookworm, so `distpack check` must report no error on them; the
//! warnings it reports are kept in a reviewed table.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

fn corpus() -> PathBuf {
    repo().join("tests/fixtures/debian-units")
}

/// The packages extracted by tests/fixtures/debian-units/fetch.sh (absent: stand-ins only);
/// `DISTPACK_DEBIAN_CACHE` names another directory.
fn cache() -> PathBuf {
    std::env::var_os("DISTPACK_DEBIAN_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/debian-units-cache"))
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// `path` inside an extracted package, following symlinks inside that package.
fn inside(root: &Path, path: &str) -> Option<PathBuf> {
    let mut at = root.join(path.trim_start_matches('/'));
    for _ in 0..8 {
        let meta = std::fs::symlink_metadata(&at).ok()?;
        if !meta.file_type().is_symlink() {
            return meta.is_file().then_some(at);
        }
        let target = std::fs::read_link(&at).ok()?;
        at = if target.is_absolute() {
            root.join(target.strip_prefix("/").unwrap())
        } else {
            at.parent().unwrap().join(target)
        };
    }
    None
}

/// The real file at `path` in any cached package, where merged /usr makes /bin/x and /usr/bin/x one;
/// a symlink is followed into whichever package has its target (redis-server → redis-check-rdb).
fn real_file(path: &str) -> Option<PathBuf> {
    let roots: Vec<PathBuf> =
        sorted_dir(&cache()).into_iter().filter(|r| r.file_name().is_some_and(|n| n != "debs")).collect();
    let mut path = path.to_string();
    for _ in 0..8 {
        let mut names = vec![path.clone()];
        for (short, long) in [("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"), ("/lib/", "/usr/lib/")] {
            if let Some(rest) = path.strip_prefix(short) {
                names.push(format!("{long}{rest}"));
            } else if let Some(rest) = path.strip_prefix(long) {
                names.push(format!("{short}{rest}"));
            }
        }
        let found = roots.iter().find_map(|root| {
            names.iter().find_map(|n| {
                let at = root.join(n.trim_start_matches('/'));
                let meta = std::fs::symlink_metadata(&at).ok()?;
                Some(if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&at).ok()?;
                    let parent = Path::new(n).parent().unwrap();
                    Err(if target.is_absolute() { target } else { parent.join(target) })
                } else {
                    Ok(at)
                })
            })
        })?;
        match found {
            Ok(file) => return file.is_file().then_some(file),
            Err(target) => path = target.display().to_string(),
        }
    }
    None
}

/// Every shared library in the cached packages, by file name: (installed path, file).
fn libraries() -> HashMap<String, (String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut HashMap<String, (String, PathBuf)>) {
        for path in sorted_dir(dir) {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if meta.is_dir() {
                walk(root, &path, out);
            } else if name.contains(".so") {
                let installed = format!("/{}", path.strip_prefix(root).unwrap().display());
                if let Some(file) = inside(root, &installed) {
                    out.entry(name).or_insert((installed, file));
                }
            }
        }
    }
    let mut out = HashMap::new();
    for root in sorted_dir(&cache()).iter().filter(|r| r.file_name().is_some_and(|n| n != "debs")) {
        for lib in ["lib", "usr/lib"] {
            walk(root, &root.join(lib), &mut out);
        }
    }
    out
}

fn needed(file: &Path) -> Vec<String> {
    let out = Command::new("readelf").arg("-dW").arg(file).output().expect("readelf");
    text(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1).and_then(|s| s.split(']').next()).map(str::to_string))
        .collect()
}

/// The absolute paths a unit's `Exec*=` lines run (prefixes and quotes removed, specifiers skipped).
fn exec_paths(unit: &str) -> Vec<String> {
    let mut section = "";
    let mut out = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if section != "[Service]" || !key.trim().starts_with("Exec") {
            continue;
        }
        let value = value.trim().trim_start_matches(['-', '@', '+', '!', ':']);
        let path = value.split_whitespace().next().unwrap_or("").trim_matches(['"', '\'']);
        if path.starts_with('/') && !path.contains('%') {
            out.push(path.to_string());
        }
    }
    out
}

struct Wrapped {
    fixture: Fixture,
    /// Exec paths with the package's real binary, and with a stand-in.
    real: usize,
    stand_ins: usize,
}

/// A manifest for one package: its units, and a file at each Exec path with what it links.
fn wrap(package: &Path, libs: &HashMap<String, (String, PathBuf)>) -> Wrapped {
    // The Debian package declares its own dependencies; the corpus is about its units.
    let mut manifest = format!("{PACKAGE}auto-depends = false\n");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut dests = BTreeSet::new();
    let (mut real, mut stand_ins) = (0, 0);
    let add = |manifest: &mut String,
               files: &mut Vec<(String, Vec<u8>)>,
               dests: &mut BTreeSet<String>,
               dest: &str,
               content: Vec<u8>,
               kind: &str| {
        if dests.insert(dest.to_string()) {
            let src = format!("files/{}", dests.len());
            *manifest += &format!("\n[[files]]\nsrc = \"{src}\"\ndest = \"{dest}\"\nkind = \"{kind}\"\n");
            files.push((src, content));
        }
    };
    for unit in sorted_dir(package).into_iter().filter(|p| p.file_name().unwrap() != "copyright") {
        let name = unit.file_name().unwrap().to_string_lossy().into_owned();
        let content = std::fs::read(&unit).unwrap();
        manifest += &format!("\n[[files]]\nsrc = \"units/{name}\"\nkind = \"unit\"\n");
        files.push((format!("units/{name}"), content.clone()));
        for path in exec_paths(&String::from_utf8_lossy(&content)) {
            if dests.contains(&path) {
                continue;
            }
            match real_file(&path) {
                Some(file) => {
                    real += 1;
                    add(&mut manifest, &mut files, &mut dests, &path, std::fs::read(&file).unwrap(), "binary");
                    // The libraries it links that the cached packages have, and theirs.
                    let mut todo = needed(&file);
                    let mut seen = BTreeSet::new();
                    while let Some(soname) = todo.pop() {
                        if !seen.insert(soname.clone()) {
                            continue;
                        }
                        if let Some((installed, lib)) = libs.get(&soname) {
                            add(&mut manifest, &mut files, &mut dests, installed, std::fs::read(lib).unwrap(), "data");
                            todo.extend(needed(lib));
                        }
                    }
                }
                None => {
                    stand_ins += 1;
                    add(&mut manifest, &mut files, &mut dests, &path, b"#!/bin/sh\nexit 0\n".to_vec(), "binary");
                }
            }
        }
    }
    // The empty directories the package ships under /var (dpkg creates them on install), as
    // recorded from the .deb in shipped-dirs.txt.
    let name = package.file_name().unwrap().to_string_lossy().into_owned();
    let listed = std::fs::read_to_string(corpus().join("shipped-dirs.txt")).unwrap();
    for dest in listed.lines().filter_map(|l| l.strip_prefix(&format!("{name} "))) {
        manifest += &format!("\n[[files]]\ndest = \"{dest}\"\nkind = \"dir\"\n");
    }
    let fixture = Fixture::new(&manifest, &[]);
    for (src, content) in files {
        let path = fixture.dir.path().join(src);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    Wrapped { fixture, real, stand_ins }
}

#[test]
fn debian_units_get_no_error_and_only_reviewed_warnings() {
    require_tool("readelf");
    let libs = libraries();
    let packages: Vec<PathBuf> = sorted_dir(&corpus()).into_iter().filter(|p| p.is_dir()).collect();
    assert!(packages.len() >= 20, "the corpus has {} packages", packages.len());
    let (mut units, mut real, mut stand_ins) = (0, 0, 0);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for package in &packages {
        let name = package.file_name().unwrap().to_string_lossy().into_owned();
        units += sorted_dir(package).iter().filter(|p| p.file_name().unwrap() != "copyright").count();
        let wrapped = wrap(package, &libs);
        real += wrapped.real;
        stand_ins += wrapped.stand_ins;
        let out = distpack()
            .args(["check", "--json", "--no-build", "-f", "deb", "-m"])
            .arg(wrapped.fixture.manifest())
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr:\n{}", text(&out.stderr)));
        for f in json.as_array().unwrap() {
            let unit = f["file"].as_str().unwrap().trim_start_matches("units/");
            let line = format!("{name}/{unit}:{} {}", f["line"], f["code"].as_str().unwrap());
            if f["severity"] == "error" {
                errors.push(format!("{line} {}", f["message"].as_str().unwrap()));
            } else {
                *per_code.entry(f["code"].as_str().unwrap().to_string()).or_default() += 1;
                warnings.push(line);
            }
        }
    }
    assert!(units >= 100, "the corpus has {units} units");
    eprintln!(
        "corpus: {units} units from {} packages; {real} Exec paths with the real binary, {stand_ins} with a stand-in; warnings per code: {per_code:?}",
        packages.len()
    );
    assert!(errors.is_empty(), "units that work on Debian 12 got errors:\n{}", errors.join("\n"));

    // The reviewed warnings depend on which binaries are real: one table per mode.
    let table = if real > 0 { "expected-warnings.txt" } else { "expected-warnings-stand-ins.txt" };
    let expected_path = corpus().join(table);
    let got = warnings.join("\n") + "\n";
    if std::env::var_os("DISTPACK_UPDATE_CORPUS").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        got, expected,
        "the warnings on the corpus changed; review them and rerun with DISTPACK_UPDATE_CORPUS=1 to record {table}"
    );
}

/// The lines of a unit that systemd itself ignores or warns about as it loads it, as
/// `systemd-analyze verify` prints them (`PATH:LINE: …`). A template is verified as an instance.
fn systemd_lines(unit: &Path, scratch: &Path) -> BTreeSet<usize> {
    let name = unit.file_name().unwrap().to_string_lossy().into_owned();
    let path = match name.split_once("@.") {
        Some((prefix, suffix)) => {
            let instance = scratch.join(format!("{prefix}@i.{suffix}"));
            std::fs::copy(unit, &instance).unwrap();
            instance
        }
        None => unit.to_path_buf(),
    };
    let out = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&path).output().unwrap();
    let prefix = format!("{}:", path.display());
    (text(&out.stdout) + &text(&out.stderr))
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix)?.split(':').next()?.parse().ok())
        .collect()
}

/// systemd and `check` agree, unit by unit, on which lines systemd ignores or warns about while
/// loading the unit (check's U000 and U016); the rest of what verify says (missing binaries,
/// missing dependencies) is about the machine running it, not the unit.
#[test]
fn systemd_analyze_verify_and_check_name_the_same_unit_lines() {
    require_tool("systemd-analyze");
    let libs = libraries();
    let scratch = tempdir();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for package in sorted_dir(&corpus()).into_iter().filter(|p| p.is_dir()) {
        let name = package.file_name().unwrap().to_string_lossy().into_owned();
        let wrapped = wrap(&package, &libs);
        let out = distpack()
            .args(["check", "--json", "--no-build", "-f", "deb", "-m"])
            .arg(wrapped.fixture.manifest())
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut by_check: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for f in json.as_array().unwrap().iter().filter(|f| matches!(f["code"].as_str(), Some("U000" | "U016"))) {
            let unit = f["file"].as_str().unwrap().trim_start_matches("units/").to_string();
            by_check.entry(unit).or_default().insert(f["line"].as_u64().unwrap() as usize);
        }
        for unit in sorted_dir(&package).into_iter().filter(|p| p.file_name().unwrap() != "copyright") {
            let file = unit.file_name().unwrap().to_string_lossy().into_owned();
            let systemd = systemd_lines(&unit, scratch.path());
            let check = by_check.remove(&file).unwrap_or_default();
            compared += 1;
            if systemd != check {
                disagreements.push(format!("{name}/{file}: systemd-analyze {systemd:?}, check {check:?}"));
            }
        }
    }
    assert!(compared >= 100, "compared {compared} units");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
