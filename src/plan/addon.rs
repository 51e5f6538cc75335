//! The add-on bundle: package files picked by `dest` or file name and laid flat, plus entries only
//! the bundle carries. Each entry's `path` is where the agent stages it (the `stage` directory, or
//! the package's own path when none is declared), so `check` can hold units to it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::files::{PLACEHOLDER_HELP, expand, sources};
use super::{PackageFile, Resolver, Source};
use crate::bundle::{INDEX_NAME, valid_entry_name};
use crate::manifest::{AddonSettings, FileKind};
use crate::target::Target;

/// What a bundle carries besides its files.
#[derive(Debug, Clone, Serialize)]
pub struct Addon {
    pub id: String,
    pub os: String,
    /// Where the agent stages binaries and data, when the manifest says.
    pub stage: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub raw_signature: bool,
}

impl Addon {
    pub fn file_name(&self, version: &str, arch: &str) -> String {
        format!("{}-{version}-{}-{arch}.tar.gz", self.id, self.os)
    }
}

/// The entry name of a planned bundle file: the last component of its path.
pub fn entry_name(file: &PackageFile) -> &str {
    file.path.rsplit('/').next().unwrap_or(&file.path)
}

fn valid_token(value: &str, what: &str) -> Result<(), String> {
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("the {what} `{value}` must start with a letter or a digit"));
    }
    match value.chars().find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c))) {
        Some(c) => Err(format!("the {what} `{value}` may contain only letters, digits and . _ + -, not `{c}`")),
        None => Ok(()),
    }
}

pub(super) fn resolve(
    r: &mut Resolver,
    settings: &AddonSettings,
    package_name: &str,
    files: Vec<PackageFile>,
    target: &Target,
) -> (Addon, Vec<PackageFile>) {
    let id = settings.id.as_ref().map(|i| i.get_ref().clone()).unwrap_or_else(|| package_name.to_string());
    if let Err(why) = valid_token(&id, "add-on id") {
        let span = settings.id.as_ref().map(|i| i.span()).unwrap_or(0..0);
        r.push(span, why, "invalid id", "set [addon] id = \"name\"");
    }
    let os = settings.os.as_ref().map(|o| o.get_ref().clone()).unwrap_or_else(|| "linux".into());
    if let Err(why) = valid_token(&os, "os") {
        let span = settings.os.as_ref().map(|o| o.span()).unwrap_or(0..0);
        r.push(span, why, "invalid os", "leave os unset for `linux`");
    }
    let stage = settings.stage.as_ref().and_then(|s| {
        let text = s.get_ref().replace("{id}", &id);
        let text = text.trim_end_matches('/').to_string();
        if !text.starts_with('/') || text.split('/').any(|c| c == "..") || text.contains('{') {
            r.push(
                s.span(),
                format!("stage `{}` must be an absolute directory without `..`", s.get_ref()),
                "invalid stage",
                "write e.g. stage = \"/var/lib/agent/addons/{id}\" ({id} is the only placeholder)",
            );
            return None;
        }
        Some(text)
    });
    let staged = |name: &str, kind: FileKind, path: String| match (&stage, kind) {
        // Units go where the agent's systemd reads them; the stage holds what they run.
        (Some(dir), kind) if kind != FileKind::Unit => format!("{dir}/{name}"),
        _ => path,
    };

    let mut out: Vec<PackageFile> = Vec::new();
    let mut names: BTreeMap<String, std::ops::Range<usize>> = BTreeMap::new();
    let mut add = |r: &mut Resolver, mut file: PackageFile, name: String, span: std::ops::Range<usize>| {
        if let Err(why) = valid_entry_name(&name) {
            r.push(span, why, "invalid entry name", "bundle entries are plain file names");
            return;
        }
        if name == INDEX_NAME {
            r.push(span, format!("`{INDEX_NAME}` is the bundle's own index"), "reserved name", "rename the file");
            return;
        }
        if let Some(first) = names.get(&name) {
            let line = super::line_of(&r.manifest.text, first.start);
            r.push(
                span,
                format!("two bundle entries are named `{name}` (the first on line {line})"),
                "duplicate entry",
                "bundles are flat: give one of them another name with an [[addon.extra]] entry",
            );
            return;
        }
        names.insert(name.clone(), span);
        // Binaries 0755, everything else 0644, all root's: the agent installs them verbatim.
        file.mode = if file.kind == FileKind::Binary { 0o755 } else { 0o644 };
        file.owner = "root".into();
        file.group = "root".into();
        file.path = staged(&name, file.kind, file.path.clone());
        out.push(file);
    };

    if settings.entries.is_empty() && settings.extra.is_empty() {
        r.push(0..0, "[addon] lists no entries", "empty bundle", "add entries = [\"/usr/bin/NAME\", \"NAME.service\"]");
    }
    for entry in &settings.entries {
        let wanted = entry.get_ref();
        let matches: Vec<&PackageFile> = files
            .iter()
            .filter(
                |f| if wanted.starts_with('/') { &f.path == wanted } else { f.path.rsplit('/').next() == Some(wanted) },
            )
            .collect();
        match matches.as_slice() {
            [file] if matches!(file.source, Source::File { .. } | Source::Generated { .. }) => {
                let name = entry_name(file).to_string();
                add(r, (*file).clone(), name, entry.span());
            }
            [file] => r.push(
                entry.span(),
                format!("{} is a {}; bundles hold regular files only", file.path, kind_word(&file.source)),
                "not a file",
                "name a file the package installs",
            ),
            [] => {
                let known: Vec<&str> = files
                    .iter()
                    .filter(|f| matches!(f.source, Source::File { .. } | Source::Generated { .. }))
                    .map(|f| f.path.as_str())
                    .collect();
                r.push(
                    entry.span(),
                    format!("no package file has the dest or file name `{wanted}`"),
                    "no such file",
                    format!("name one of: {}", known.join(", ")),
                )
            }
            several => r.push(
                entry.span(),
                format!(
                    "`{wanted}` matches {}",
                    several.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(" and ")
                ),
                "ambiguous",
                "name the file by its full dest",
            ),
        }
    }

    let vars = [("target", target.triple.as_str()), ("arch", target.rust_arch())];
    for extra in &settings.extra {
        let extra = extra.get_ref();
        if matches!(extra.kind, FileKind::Dir | FileKind::Symlink) {
            r.push(
                extra.src.span(),
                "bundles hold regular files only",
                "not a file",
                "use kind = \"binary\", \"unit\", \"config\" or \"data\"",
            );
            continue;
        }
        let src = match expand(extra.src.get_ref(), &vars) {
            Ok(src) => src,
            Err(why) => {
                r.push(extra.src.span(), why, "unknown placeholder", PLACEHOLDER_HELP);
                continue;
            }
        };
        let (path, size) = match sources(&r.manifest.root, &src, false) {
            Ok(found) if found.len() == 1 && !src.contains(['*', '?', '[']) => found[0].clone(),
            Ok(_) => {
                r.push(
                    extra.src.span(),
                    "an [[addon.extra]] src names one file",
                    "glob",
                    "name the file without wildcards",
                );
                continue;
            }
            Err((message, help)) => {
                r.push(extra.src.span(), message, "missing file", help);
                continue;
            }
        };
        let (name, span) = match &extra.name {
            Some(n) => (n.get_ref().clone(), n.span()),
            None => (path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), extra.src.span()),
        };
        let file = PackageFile {
            path: format!("/{name}"),
            kind: extra.kind,
            mode: 0,
            owner: String::new(),
            group: String::new(),
            size,
            source: Source::File { path },
        };
        add(r, file, name, span);
    }
    out.sort_by(|a, b| entry_name(a).cmp(entry_name(b)));

    let metadata = settings
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null)))
        .collect();
    (Addon { id, os, stage, metadata, raw_signature: settings.raw_signature }, out)
}

fn kind_word(source: &Source) -> &'static str {
    match source {
        Source::Directory => "directory",
        Source::Symlink { .. } => "symlink",
        Source::File { .. } | Source::Generated { .. } => "file",
    }
}
