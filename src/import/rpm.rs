//! cargo-generate-rpm's `[package.metadata.generate-rpm]` (keys as cargo-generate-rpm 0.16+ documents them).

use super::{Asset, Base, Crate, Notes, Side, Tool, Value, absolute, is_glob, parse_mode};

/// cargo-generate-rpm's relation tables and the distpack key each becomes (`obsoletes` is what
/// distpack's .rpm writes for `replaces`).
const RELATIONS: [(&str, &str); 6] = [
    ("requires", "depends"),
    ("recommends", "recommends"),
    ("suggests", "suggests"),
    ("conflicts", "conflicts"),
    ("provides", "provides"),
    ("obsoletes", "replaces"),
];

/// Scriptlets and the distpack hooks that run at the same points. rpm runs `%pre`/`%post` on
/// install and upgrade alike, so each becomes both hooks; `%preun`/`%postun` also run during an
/// upgrade, where distpack's remove hooks do not.
const SCRIPTS: [(&str, &[&str]); 4] = [
    ("pre_install_script", &["pre-install", "pre-upgrade"]),
    ("post_install_script", &["post-install", "post-upgrade"]),
    ("pre_uninstall_script", &["pre-remove"]),
    ("post_uninstall_script", &["post-remove"]),
];

pub(super) fn read(krate: &Crate, t: &toml::Table, notes: &mut Notes) -> Side {
    let mut side = Side::default();
    for (key, value) in t {
        let text = value.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut set = |field: &'static str| {
            if let Some(v) = &text {
                side.fields.insert(field, Value::Str(v.clone()));
            }
        };
        match key.as_str() {
            "name" => set("name"),
            "version" => set("version"),
            "license" => set("license"),
            // cargo-generate-rpm's summary, else its description, else Cargo's description.
            "summary" => set("summary"),
            "description" if !t.contains_key("summary") => set("summary"),
            "description" => {}
            "url" => set("homepage"),
            "vendor" => set("vendor"),
            "release" => match value {
                toml::Value::Integer(n) if *n >= 0 => {
                    side.fields.insert("release", Value::Int(*n as u64));
                }
                _ => set("release"),
            },
            "epoch" => match value.as_integer() {
                Some(n) if n >= 0 => {
                    side.fields.insert("epoch", Value::Int(n as u64));
                }
                _ => notes.add(key, "expected a number ≥ 0; nothing was carried"),
            },
            "assets" => {}
            k if RELATIONS.iter().any(|(r, _)| *r == k) => relations(key, value, &mut side, notes),
            "supplements" | "enhances" => notes
                .add(key, "distpack writes no weak reverse dependencies (Supplements/Enhances); nothing was carried"),
            "auto-req" => {}
            "require-sh" => {}
            k if SCRIPTS.iter().any(|(s, _)| *s == k) => script(krate, key, value, &mut side, notes),
            k if k.ends_with("_script_flags") || k.ends_with("_script_prog") => notes.add(
                key,
                "distpack runs every hook with /bin/sh inside its own generated scriptlet; flags and interpreters \
                 are not carried",
            ),
            "pre_trans_script" | "post_trans_script" | "pre_untrans_script" | "post_untrans_script" => notes.add(
                key,
                "distpack has no transaction hooks; move the code into a pre-install/post-install hook \
                 ([rpm.scripts]) if it can run per package",
            ),
            "variants" => {
                notes.add(key, "distpack has no variants: make one manifest per variant (`distpack build -m`)")
            }
            _ => notes.add(key, "not a key distpack knows from cargo-generate-rpm; nothing was carried"),
        }
    }
    // Both compute the binaries' shared-library requirements by default; "no" turns both off.
    if t.get("auto-req").and_then(toml::Value::as_str).is_some_and(|v| v == "no" || v == "disabled") {
        side.fields.insert("auto-depends", Value::Bool(false));
    }
    if t.get("require-sh").and_then(toml::Value::as_bool) != Some(false) {
        // cargo-generate-rpm's implicit `Requires: /bin/sh`; distpack's scriptlets need it as well.
        let list = match side.fields.remove("depends") {
            Some(Value::List(mut l)) => {
                l.insert(0, "/bin/sh".into());
                l
            }
            _ => vec!["/bin/sh".into()],
        };
        side.fields.insert("depends", Value::List(list));
    }
    match t.get("assets").and_then(toml::Value::as_array) {
        Some(list) => side.files = assets(krate, list, notes),
        None => notes.add("assets", "missing: cargo-generate-rpm requires it, and no files were read"),
    }
    side
}

/// `[requires] name = "constraint"`: `"*"`/`""` is any version, `">= 1.2, < 3"` two constraints.
fn relations(key: &str, value: &toml::Value, side: &mut Side, notes: &mut Notes) {
    let field = RELATIONS.iter().find(|(r, _)| *r == key).map(|(_, f)| *f).unwrap_or("depends");
    let Some(table) = value.as_table() else {
        notes.add(key, "expected a table of name = \"constraint\"; nothing was carried");
        return;
    };
    let mut list = Vec::new();
    for (name, constraint) in table {
        if name.starts_with('(') {
            notes.add(
                &format!("{key}.\"{name}\""),
                "rich dependencies other than `a | b` cannot be written in distpack's relation syntax",
            );
            continue;
        }
        let constraint = constraint.as_str().unwrap_or("").trim();
        if constraint.is_empty() || constraint == "*" {
            list.push(name.clone());
        } else {
            list.extend(constraint.split(',').map(|c| format!("{name} ({})", c.trim())));
        }
    }
    if !list.is_empty() {
        side.fields.insert(field, Value::List(list));
    }
}

/// A scriptlet given as a file becomes the hooks that run at the same points.
fn script(krate: &Crate, key: &str, value: &toml::Value, side: &mut Side, notes: &mut Notes) {
    let Some(text) = value.as_str() else { return };
    let hooks = SCRIPTS.iter().find(|(s, _)| *s == key).map(|(_, h)| *h).unwrap_or(&[]);
    // cargo-generate-rpm reads a file when the text names one (from where it runs, else from
    // the crate), and takes the text as the script otherwise.
    let path = krate.source(text.trim(), Base::WorkspaceFirst);
    let is_file = !text.contains('\n') && krate.dir.join(&path).is_file();
    if !is_file {
        // The project root is the crate's directory: a hook path is relative to it.
        let file = format!("packaging/rpm-{}.sh", hooks.first().copied().unwrap_or("hook"));
        let lines: Vec<String> = hooks.iter().map(|h| format!("{h} = \"{file}\"")).collect();
        notes.add(
            key,
            format!(
                "an inline script is not carried (distpack hooks are files): save it as {} and write in \
                 [rpm.scripts]: {}",
                krate.dir.join(&file).display(),
                lines.join(" and ")
            ),
        );
        return;
    }
    for hook in hooks {
        side.scripts.insert(hook, path.clone());
    }
    let when = match key {
        "pre_uninstall_script" | "post_uninstall_script" => {
            "it now runs on erase only, not during an upgrade as rpm's %preun/%postun do"
        }
        _ => "it runs for install and upgrade as before, inside distpack's scriptlet (as /bin/sh, $1 as rpm passes it)",
    };
    notes.add(key, format!("carried as [rpm.scripts] {}: {when}", hooks.join(" and ")));
}

/// `assets = [{ source, dest, mode, config, doc, user, group, caps, dir }]`.
fn assets(krate: &Crate, list: &[toml::Value], notes: &mut Notes) -> Vec<Asset> {
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let origin = format!("package.metadata.generate-rpm.assets[{i}]");
        let Some(t) = item.as_table() else {
            notes.add(&format!("assets[{i}]"), "expected { source, dest, … }; skipped");
            continue;
        };
        let get = |k: &str| t.get(k).and_then(toml::Value::as_str);
        let Some(dest) = get("dest") else {
            notes.add(&format!("assets[{i}]"), "has no dest; skipped");
            continue;
        };
        let dir = t.get("dir").and_then(toml::Value::as_bool) == Some(true);
        // cargo-generate-rpm's defaults when `mode` is absent.
        let mode = t.get("mode").and_then(parse_mode).or(Some(if dir { 0o775 } else { 0o664 }));
        let config = match t.get("config") {
            Some(toml::Value::Boolean(b)) => *b,
            Some(toml::Value::String(_) | toml::Value::Array(_)) => true,
            _ => false,
        };
        if matches!(t.get("config"), Some(toml::Value::String(s)) if s == "missingok")
            || matches!(t.get("config"), Some(toml::Value::Array(a)) if a.iter().any(|v| v.as_str() == Some("missingok")))
        {
            notes.add(&format!("assets[{i}].config"), "distpack marks config files %config(noreplace), not missingok");
        }
        if t.contains_key("caps") {
            notes.add(
                &format!("assets[{i}].caps"),
                "distpack sets no file capabilities; grant them in the unit (AmbientCapabilities=) instead",
            );
        }
        let base = Asset {
            mode,
            owner: get("user").map(str::to_string),
            group: get("group").map(str::to_string),
            config,
            doc: t.get("doc").and_then(toml::Value::as_bool) == Some(true),
            origin: origin.clone(),
            tool: Tool::Rpm,
            ..Asset::default()
        };
        if dir {
            out.push(Asset { dest: absolute(dest).trim_end_matches('/').to_string(), dir: true, ..base });
            continue;
        }
        let Some(source) = get("source") else {
            notes.add(&format!("assets[{i}]"), "has no source; skipped");
            continue;
        };
        let dest = absolute(dest);
        let src = krate.source(source, Base::WorkspaceFirst);
        if !is_glob(source) {
            let dest = if dest.ends_with('/') { format!("{dest}{}", super::file_name(source)) } else { dest };
            out.push(Asset { src: Some(src), dest, ..base });
        } else if source.starts_with('/') {
            notes.add(&format!("assets[{i}]"), super::ABSOLUTE_GLOB);
        } else {
            // cargo-generate-rpm keeps each match's path below the directory before the first `*`,
            // as a distpack glob does.
            let dest = if dest.ends_with('/') { dest } else { format!("{dest}/") };
            out.push(Asset { src: Some(src), dest, glob: true, ..base });
        }
    }
    out
}
