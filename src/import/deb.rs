//! cargo-deb's `[package.metadata.deb]` (keys as cargo-deb 3 documents them).

use super::relation_list;
use super::{Asset, Base, Crate, Notes, Side, Tool, Value, absolute, glob_files, is_glob, mode_on_disk, parse_mode};

/// Relations cargo-deb and distpack share.
const RELATIONS: [&str; 5] = ["recommends", "suggests", "conflicts", "provides", "replaces"];

/// Where dh_installsystemd (and so cargo-deb) looks for units, and what it installs them as:
/// `(suffix of the package name, unit type)`; a `tmpfile` becomes /usr/lib/tmpfiles.d/NAME.conf.
const UNIT_FILES: [(&str, &str); 12] = [
    ("", "mount"),
    ("", "path"),
    ("@", "path"),
    ("", "service"),
    ("@", "service"),
    ("", "socket"),
    ("@", "socket"),
    ("", "target"),
    ("@", "target"),
    ("", "timer"),
    ("@", "timer"),
    ("", "tmpfile"),
];

/// The longest extended description carried over (Debian's are a few KiB).
const MAX_DESCRIPTION: u64 = 64 * 1024;

/// An `extended-description-file`: a small regular file inside the crate's directory (the
/// manifest it lands in may be published, so `../../etc/shadow` must not be copied into it).
fn description_file(krate: &Crate, relative: &str) -> Result<String, String> {
    let path = krate.dir.join(relative);
    let shown = crate::limits::printable(relative);
    let real = path.canonicalize().map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let root = krate.dir.canonicalize().map_err(|e| format!("cannot resolve the crate directory: {e}"))?;
    if !real.starts_with(&root) {
        return Err(format!("`{shown}` is outside the crate's directory; it is not read"));
    }
    let bytes = crate::limits::read_small(&real, MAX_DESCRIPTION).map_err(|e| format!("cannot use `{shown}`: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("`{shown}` is not UTF-8 text"))
}

pub(super) fn read(krate: &Crate, t: &toml::Table, notes: &mut Notes) -> Side {
    let mut side = Side::default();
    let name = t.get("name").and_then(toml::Value::as_str).unwrap_or(krate.name()).to_string();
    for (key, value) in t {
        match not_carried(key) {
            Some(note) => notes.add(key, note),
            None => carry(krate, t, key, value, &mut side, notes),
        }
    }
    install_files(krate, t, &name, &mut side, notes);
    auto_depends(t, &mut side);
    if let Some(units) = t.get("systemd-units") {
        systemd_units(krate, t, units, &name, &mut side, notes);
    }
    side
}

/// Carry one [package.metadata.deb] key into `side` (the assets, conf-files and units are read
/// after all keys), noting what does not carry over.
fn carry(krate: &Crate, t: &toml::Table, key: &str, value: &toml::Value, side: &mut Side, notes: &mut Notes) {
    let text = value.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    match key {
        "name" | "maintainer" | "section" | "priority" | "copyright" => {
            if let Some(v) = text {
                side.fields.insert(field(key), Value::Str(v));
            }
        }
        "extended-description" => {
            if let Some(v) = text {
                side.fields.insert("description", Value::Str(v));
            }
        }
        "extended-description-file" if !t.contains_key("extended-description") => {
            match value
                .as_str()
                .ok_or_else(|| "it is not a string".to_string())
                .and_then(|p| description_file(krate, p))
            {
                Ok(v) => {
                    side.fields.insert("description", Value::Str(v.trim().to_string()));
                }
                Err(why) => notes.add(key, format!("{why}; set `description` in [package] yourself")),
            }
        }
        "extended-description-file" => {}
        "revision" => match text {
            Some(v) => {
                side.fields.insert("release", Value::Str(v));
            }
            None => notes.add(
                key,
                "an empty revision leaves the Debian revision out; distpack always writes one (`release`, default 1)",
            ),
        },
        "depends" => {
            // `$auto` is settled once the assets are known (auto_depends).
            let list = relation_list(value).unwrap_or_default();
            if !list.is_empty() {
                side.fields.insert("depends", Value::List(list));
            }
        }
        k if RELATIONS.contains(&k) => {
            if let Some(list) = relation_list(value).filter(|l| !l.is_empty()) {
                side.fields.insert(field(k), Value::List(list));
            }
        }
        "license-file" => license_file(krate, value, side, notes),
        "assets" => {}
        "conf-files" => {}
        "systemd-units" => {}
        "maintainer-scripts" => maintainer_scripts(krate, value, notes),
        _ => notes.add(key, "not a key distpack knows from cargo-deb; nothing was carried"),
    }
}

/// cargo-deb's `$auto` (also what no `depends` means) runs dpkg-shlibdeps over the binaries, and
/// so does distpack's `auto-depends`, on by default: `$auto` carries as nothing. A `depends`
/// without `$auto` asks cargo-deb for no computed dependencies: `auto-depends = false`.
fn auto_depends(t: &toml::Table, side: &mut Side) {
    let mut list = match side.fields.remove("depends") {
        Some(Value::List(l)) => l,
        _ => Vec::new(),
    };
    let auto = !t.contains_key("depends") || list.iter().any(|d| d == "$auto");
    list.retain(|d| d != "$auto");
    if !auto {
        side.fields.insert("auto-depends", Value::Bool(false));
    }
    if !list.is_empty() {
        side.fields.insert("depends", Value::List(list));
    }
}

/// Why a cargo-deb key distpack has no counterpart for is not carried, or `None` for other keys.
fn not_carried(key: &str) -> Option<String> {
    Some(match key {
        "pre-depends" | "breaks" | "enhances" => format!(
            "distpack writes no {} field; use depends (or conflicts for breaks) if that is close enough",
            title(key)
        ),
        "triggers-file" => {
            "distpack writes no dpkg triggers; do the work in a post-install hook ([package.scripts])".into()
        }
        "changelog" => "distpack writes its own one-entry changelog.Debian.gz; your changelog is not installed".into(),
        "features" | "default-features" => "distpack runs `cargo build --release` without feature flags: build with \
                                            them yourself and run `distpack build --no-build`"
            .into(),
        "separate-debug-symbols" | "dbgsym" | "compress-debug-symbols" => {
            "distpack packages the binary as cargo built it and writes no debug-symbol files".into()
        }
        "preserve-symlinks" => {
            "distpack installs what a symlinked source points to; declare links as [[files]] kind = \"symlink\"".into()
        }
        "profile" => "distpack builds the release profile; sources under target/PROFILE/ are kept as written (build \
                      them yourself and run `distpack build --no-build`)"
            .into(),
        "merge-assets" | "variants" => {
            "distpack has no variants: make one manifest per variant (`distpack build -m`)".into()
        }
        _ => return None,
    })
}

/// The assets (cargo-deb's automatic ones when none are listed), then the license file read with
/// the keys; each marked a conffile as cargo-deb marks it.
fn install_files(krate: &Crate, t: &toml::Table, name: &str, side: &mut Side, notes: &mut Notes) {
    let conf_files: Vec<String> = t
        .get("conf-files")
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str()).map(absolute).collect())
        .unwrap_or_default();
    let mut files =
        t.get("assets").map(|v| assets(krate, v, name, notes)).unwrap_or_else(|| auto_assets(krate, name, notes));
    // The license file read above goes last, after the assets.
    files.append(&mut side.files);
    side.files = files;
    for file in &mut side.files {
        // cargo-deb makes every file under /etc a conffile, and those conf-files names elsewhere.
        file.config = !file.glob && (file.dest.starts_with("/etc/") || conf_files.contains(&file.dest));
    }
    for path in &conf_files {
        if !side.files.iter().any(|f| &f.dest == path) {
            notes.add("conf-files", format!("`{path}` is not installed by any asset; nothing to mark"));
        }
    }
}

fn field(key: &str) -> &'static str {
    super::FIELD_ORDER.iter().find(|k| **k == key).copied().unwrap_or("name")
}

fn title(key: &str) -> String {
    key.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `license-file = "LICENSE"` or `["LICENSE", "SKIP"]`: a distpack `license` file, whose text goes
/// into the .deb's copyright file as cargo-deb does it.
fn license_file(krate: &Crate, value: &toml::Value, side: &mut Side, notes: &mut Notes) {
    let (path, skip) = match value {
        toml::Value::String(p) => (p.clone(), 0),
        toml::Value::Array(a) => (
            a.first().and_then(|v| v.as_str()).unwrap_or_default().to_string(),
            a.get(1).and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_integer())).unwrap_or(0),
        ),
        _ => (String::new(), 0),
    };
    if path.is_empty() {
        notes.add("license-file", "expected a path or [path, lines to skip]; nothing was carried");
        return;
    }
    if skip > 0 {
        notes.add(
            "license-file",
            format!("distpack uses the whole file, not skipping its first {skip} lines; trim the file if needed"),
        );
    }
    side.files.push(Asset {
        src: Some(krate.source(&path, Base::Crate)),
        origin: "package.metadata.deb.license-file".into(),
        tool: Tool::Deb,
        ..Asset::default()
    });
}

/// `assets = [[source, dest, mode], { source, dest, mode }, { dest, link_name }, "$auto"]`.
fn assets(krate: &Crate, value: &toml::Value, name: &str, notes: &mut Notes) -> Vec<Asset> {
    let Some(list) = value.as_array() else {
        notes.add("assets", "is not an array; no assets were read");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let origin = format!("package.metadata.deb.assets[{i}]");
        let (source, dest, mode) = match item {
            toml::Value::String(s) if s == "$auto" => {
                out.extend(auto_assets(krate, name, notes));
                continue;
            }
            toml::Value::Array(a) => {
                (a.first().and_then(|v| v.as_str()), a.get(1).and_then(|v| v.as_str()), a.get(2).and_then(parse_mode))
            }
            toml::Value::Table(t) if t.contains_key("link_name") => {
                let (Some(dest), Some(link)) =
                    (t.get("dest").and_then(|v| v.as_str()), t.get("link_name").and_then(|v| v.as_str()))
                else {
                    notes.add(&format!("assets[{i}]"), "a symlink needs dest and link_name; skipped");
                    continue;
                };
                out.push(Asset { dest: absolute(dest), link: Some(link.to_string()), origin, ..Asset::default() });
                continue;
            }
            toml::Value::Table(t) => {
                if t.contains_key("preserve-symlinks") {
                    notes.add(&format!("assets[{i}].preserve-symlinks"), "distpack installs what a symlink points to");
                }
                (
                    t.get("source").and_then(|v| v.as_str()),
                    t.get("dest").and_then(|v| v.as_str()),
                    t.get("mode").and_then(parse_mode),
                )
            }
            _ => (None, None, None),
        };
        let (Some(source), Some(dest)) = (source, dest) else {
            notes.add(&format!("assets[{i}]"), "expected [source, dest, mode]; skipped");
            continue;
        };
        if source.starts_with("target/") && !source.starts_with("target/release/") {
            notes.add(
                &format!("assets[{i}]"),
                format!("`{source}` is kept as written; distpack builds into target/TRIPLE/release/"),
            );
        }
        out.extend(expand(krate, source, dest, mode, origin, notes));
    }
    out
}

/// One asset, or one per match of a glob that distpack would lay out differently.
fn expand(krate: &Crate, source: &str, dest: &str, mode: Option<u32>, origin: String, notes: &mut Notes) -> Vec<Asset> {
    let src = krate.source(source, Base::Crate);
    let dest = absolute(dest);
    let one = |src: String, dest: String, glob: bool| {
        let mode = mode.or_else(|| if glob { None } else { mode_on_disk(krate, &src) });
        Asset { src: Some(src), dest, glob, mode, origin: origin.clone(), tool: Tool::Deb, ..Asset::default() }
    };
    if !is_glob(source) {
        let dest = if dest.ends_with('/') { format!("{dest}{}", super::file_name(source)) } else { dest };
        if dest.starts_with("/usr/share/doc/") && (dest.ends_with("/NEWS") || dest.ends_with("/changelog")) {
            notes.add(
                &origin["package.metadata.deb.".len()..],
                format!("cargo-deb installs `{dest}` gzipped; distpack installs it as it is"),
            );
        }
        return vec![one(src, dest, false)];
    }
    if source.starts_with('/') {
        notes.add(&origin["package.metadata.deb.".len()..], super::ABSOLUTE_GLOB);
        return Vec::new();
    }
    // With a pattern in the file name, cargo-deb keeps each match's path from the first globbed
    // directory on, which is what a distpack glob keeps (`static/**/*` puts static/img/a.png at
    // DEST/img/a.png). Otherwise it keeps only the file name: the matches are listed.
    let last = src.rsplit('/').next().unwrap_or(&src);
    if is_glob(last) {
        let dir = if dest.ends_with('/') { dest } else { format!("{dest}/") };
        return vec![one(src, dir, true)];
    }
    let matches = glob_files(krate, &src);
    notes.add(
        &origin["package.metadata.deb.".len()..],
        format!(
            "`{source}` has its pattern in a directory, so cargo-deb installs each match under its file name \
             alone, which a distpack glob does not: its {} current matches are listed one by one; run import \
             again when they change",
            matches.len()
        ),
    );
    matches
        .into_iter()
        .map(|m| {
            let target = format!("{}/{}", dest.trim_end_matches('/'), super::file_name(&m));
            one(m, target, false)
        })
        .collect()
}

/// What `$auto` (and no `assets` at all) means to cargo-deb: every binary target in /usr/bin, 0755,
/// and the readme in /usr/share/doc/NAME/.
fn auto_assets(krate: &Crate, name: &str, notes: &mut Notes) -> Vec<Asset> {
    let origin = "package.metadata.deb.assets".to_string();
    let mut bins: Vec<String> = krate
        .root
        .get("bin")
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(|b| b.get("name").and_then(|n| n.as_str()).map(str::to_string)).collect())
        .unwrap_or_default();
    let autobins = krate.package.get("autobins").and_then(toml::Value::as_bool) != Some(false);
    if autobins && krate.dir.join("src/main.rs").is_file() && !bins.iter().any(|b| b == krate.name()) {
        bins.push(krate.name().to_string());
    }
    if autobins && let Ok(entries) = std::fs::read_dir(krate.dir.join("src/bin")) {
        let mut extra: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(str::to_string))
            .filter(|n| !bins.contains(n))
            .collect();
        extra.sort();
        bins.extend(extra);
    }
    let mut out: Vec<Asset> = bins
        .iter()
        .map(|b| Asset {
            src: Some(format!("target/{{target}}/release/{b}")),
            dest: format!("/usr/bin/{b}"),
            mode: Some(0o755),
            origin: origin.clone(),
            ..Asset::default()
        })
        .collect();
    let readme = match krate.package.get("readme") {
        Some(toml::Value::String(r)) => Some(r.clone()),
        Some(toml::Value::Boolean(false)) => None,
        _ => ["README.md", "README.txt", "README"].iter().find(|r| krate.dir.join(r).is_file()).map(|r| r.to_string()),
    };
    if let Some(readme) = readme {
        out.push(Asset {
            dest: format!("/usr/share/doc/{name}/{}", super::file_name(&readme)),
            src: Some(readme),
            mode: Some(0o644),
            origin: origin.clone(),
            ..Asset::default()
        });
    }
    let message = if out.is_empty() {
        "`$auto` found no binary target (src/main.rs, src/bin/*.rs, [[bin]]) and no readme, so no files were \
         imported; add [[files]] entries yourself"
            .to_string()
    } else {
        format!(
            "`$auto` was expanded to what cargo-deb would install today ({}); list new binaries yourself",
            out.iter().map(|a| a.dest.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    notes.add("assets", message);
    out
}

/// The maintainer scripts cargo-deb installs verbatim: dpkg's own arguments, `#DEBHELPER#`.
/// distpack writes its own, so each is reported with the hooks that would run its code as it is.
fn maintainer_scripts(krate: &Crate, value: &toml::Value, notes: &mut Notes) {
    let Some(dir) = value.as_str() else { return };
    let hooks: [(&str, &[&str]); 7] = [
        ("preinst", &["pre-install", "pre-upgrade"]),
        ("postinst", &["post-install", "post-upgrade"]),
        ("prerm", &["pre-remove"]),
        ("postrm", &["post-remove", "purge"]),
        ("config", &[]),
        ("templates", &[]),
        ("triggers", &[]),
    ];
    for (script, events) in hooks {
        let written = format!("{}/{script}", dir.trim_end_matches('/'));
        if !krate.dir.join(&written).is_file() {
            continue;
        }
        let path = krate.source(&written, Base::Crate);
        let message = if events.is_empty() {
            format!("`{path}` is not carried: distpack writes no debconf or trigger files")
        } else {
            let lines: Vec<String> = events.iter().map(|e| format!("{e} = \"{path}\"")).collect();
            format!(
                "`{path}` is not carried: distpack writes {script} itself (units, users from sysusers.d, \
                 directories); to run this script's code as it is, with dpkg's arguments, write in [deb.scripts]: \
                 {}; better, keep only what distpack does not do",
                lines.join(" and ")
            )
        };
        notes.add("maintainer-scripts", message);
    }
}

/// `systemd-units = { … }` or a list of them: the unit files dh_installsystemd would find, as
/// `unit` files, and their options in `[systemd.units."NAME"]`.
fn systemd_units(krate: &Crate, t: &toml::Table, value: &toml::Value, name: &str, side: &mut Side, notes: &mut Notes) {
    let configs: Vec<&toml::Table> = match value {
        toml::Value::Table(c) => vec![c],
        toml::Value::Array(a) => a.iter().filter_map(toml::Value::as_table).collect(),
        _ => Vec::new(),
    };
    let default_dir = t.get("maintainer-scripts").and_then(toml::Value::as_str).unwrap_or("systemd");
    for config in configs {
        let dir = config.get("unit-scripts").and_then(toml::Value::as_str).unwrap_or(default_dir);
        let unit_name = config.get("unit-name").and_then(toml::Value::as_str);
        let mut options = Vec::new();
        for (key, value) in config {
            match (key.as_str(), value.as_bool()) {
                ("enable", Some(false)) => options.push(("enable", false)),
                ("start", Some(false)) => options.push(("start", false)),
                ("restart-after-upgrade", Some(false)) => options.push(("restart-on-upgrade", false)),
                ("stop-on-upgrade", Some(false)) => notes.add(
                    "systemd-units.stop-on-upgrade",
                    "distpack always stops or restarts a unit on upgrade (restart-on-upgrade in [systemd])",
                ),
                ("enable" | "start" | "restart-after-upgrade" | "stop-on-upgrade", _) => {}
                ("unit-scripts" | "unit-name", _) => {}
                _ => notes.add(&format!("systemd-units.{key}"), "not a systemd-units option distpack knows"),
            }
        }
        let mut found = false;
        for (suffix, unit_type) in UNIT_FILES {
            let package = format!("{name}{suffix}");
            let Some(src) = unit_file(krate, dir, name, &package, unit_type, unit_name) else { continue };
            found = true;
            let extension = if unit_type == "tmpfile" { "conf" } else { unit_type };
            let installed = format!("{}{suffix}.{extension}", unit_name.unwrap_or(name));
            // The install scripts apply a tmpfiles.d file the package ships.
            if unit_type == "tmpfile" {
                side.files.push(Asset {
                    src: Some(krate.source(&src, Base::Crate)),
                    dest: format!("/usr/lib/tmpfiles.d/{installed}"),
                    mode: Some(0o644),
                    origin: "package.metadata.deb.systemd-units".into(),
                    ..Asset::default()
                });
                continue;
            }
            if !options.is_empty() {
                side.units.insert(installed.clone(), options.clone());
            }
            side.managed_units.push(installed.clone());
            side.files.push(Asset {
                src: Some(krate.source(&src, Base::Crate)),
                dest: format!("/usr/lib/systemd/system/{installed}"),
                mode: Some(0o644),
                origin: "package.metadata.deb.systemd-units".into(),
                ..Asset::default()
            });
        }
        if !found {
            notes.add("systemd-units", format!("no unit for `{name}` in `{dir}/`; nothing was carried"));
        }
    }
}

/// The file dh_installsystemd takes for one unit type: `DIR/PACKAGE[.UNIT].TYPE`, or for the main
/// package also `DIR/[UNIT.]TYPE`.
fn unit_file(
    krate: &Crate,
    dir: &str,
    main: &str,
    package: &str,
    unit_type: &str,
    unit_name: Option<&str>,
) -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(unit) = unit_name {
        candidates.push(format!("{package}.{unit}.{unit_type}"));
        if package == main {
            candidates.push(format!("{unit}.{unit_type}"));
        }
    }
    candidates.push(format!("{package}.{unit_type}"));
    if package == main {
        candidates.push(unit_type.to_string());
    }
    let dir = dir.trim_end_matches('/');
    candidates.into_iter().map(|c| format!("{dir}/{c}")).find(|p| krate.dir.join(p).is_file())
}
