//! The add-on bundle: package files picked by `dest` or file name and laid flat, plus entries only
//! the bundle carries. Each entry's `path` is where the agent stages it (the `stage` directory, or
//! the package's own path when none is declared), so `check` can hold units to it.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;
use toml::Spanned;

use super::files::{PLACEHOLDER_HELP, expand, sources};
use super::{PackageFile, Resolver, Source};
use crate::bundle::{INDEX_NAME, valid_entry_name};
use crate::manifest::{AddonExtra, AddonSettings, FileKind};
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
    let (id, os) = identity(r, settings, package_name);
    let mut bundle = Entries { stage: stage(r, settings, &id), files: Vec::new(), names: BTreeMap::new() };
    if settings.entries.is_empty() && settings.extra.is_empty() {
        r.push(0..0, "[addon] lists no entries", "empty bundle", "add entries = [\"/usr/bin/NAME\", \"NAME.service\"]");
    }
    for entry in &settings.entries {
        if let Some(file) = package_entry(r, &files, entry) {
            let name = entry_name(file).to_string();
            bundle.add(r, file.clone(), name, entry.span());
        }
    }
    let vars = [("target", target.triple.as_str()), ("arch", target.rust_arch())];
    for extra in &settings.extra {
        if let Some((file, name, span)) = extra_entry(r, extra.get_ref(), &vars) {
            bundle.add(r, file, name, span);
        }
    }
    let Entries { stage, files: mut out, .. } = bundle;
    out.sort_by(|a, b| entry_name(a).cmp(entry_name(b)));

    let metadata = settings
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null)))
        .collect();
    (Addon { id, os, stage, metadata, raw_signature: settings.raw_signature }, out)
}

/// The add-on's id (the package name by default) and os (`linux` by default); invalid ones are
/// reported.
fn identity(r: &mut Resolver, settings: &AddonSettings, package_name: &str) -> (String, String) {
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
    (id, os)
}

/// The `stage` directory with `{id}` expanded, or `None` when unset or reported invalid.
fn stage(r: &mut Resolver, settings: &AddonSettings, id: &str) -> Option<String> {
    let s = settings.stage.as_ref()?;
    let text = s.get_ref().replace("{id}", id);
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
}

/// The bundle's entries as they are added, each under a unique, flat name.
struct Entries {
    stage: Option<String>,
    files: Vec<PackageFile>,
    /// Entry name → the manifest span that adds it.
    names: BTreeMap<String, Range<usize>>,
}

impl Entries {
    /// Add `file` as the entry `name`, or report why the name cannot be used.
    fn add(&mut self, r: &mut Resolver, mut file: PackageFile, name: String, span: Range<usize>) {
        if let Err(why) = valid_entry_name(&name) {
            r.push(span, why, "invalid entry name", "bundle entries are plain file names");
            return;
        }
        if name == INDEX_NAME {
            r.push(span, format!("`{INDEX_NAME}` is the bundle's own index"), "reserved name", "rename the file");
            return;
        }
        if let Some(first) = self.names.get(&name) {
            let line = super::line_of(&r.manifest.text, first.start);
            r.push(
                span,
                format!("two bundle entries are named `{name}` (the first on line {line})"),
                "duplicate entry",
                "bundles are flat: give one of them another name with an [[addon.extra]] entry",
            );
            return;
        }
        self.names.insert(name.clone(), span);
        // Binaries 0755, everything else 0644, all root's: the agent installs them verbatim.
        file.mode = if file.kind == FileKind::Binary { 0o755 } else { 0o644 };
        file.owner = "root".into();
        file.group = "root".into();
        // Units go where the agent's systemd reads them; the stage holds what they run.
        if let Some(dir) = &self.stage
            && file.kind != FileKind::Unit
        {
            file.path = format!("{dir}/{name}");
        }
        self.files.push(file);
    }
}

/// The one regular package file an `entries` item names by dest or file name, or `None` after
/// reporting that it names none, several, or a directory or symlink.
fn package_entry<'f>(r: &mut Resolver, files: &'f [PackageFile], entry: &Spanned<String>) -> Option<&'f PackageFile> {
    let wanted = entry.get_ref();
    let matches: Vec<&PackageFile> = files
        .iter()
        .filter(|f| if wanted.starts_with('/') { &f.path == wanted } else { f.path.rsplit('/').next() == Some(wanted) })
        .collect();
    match matches.as_slice() {
        [file] if matches!(file.source, Source::File { .. } | Source::Generated { .. }) => return Some(file),
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
            format!("`{wanted}` matches {}", several.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(" and ")),
            "ambiguous",
            "name the file by its full dest",
        ),
    }
    None
}

/// An `[[addon.extra]]` file with its entry name and the span that names it, or `None` after
/// reporting why it cannot be carried.
fn extra_entry(
    r: &mut Resolver,
    extra: &AddonExtra,
    vars: &[(&str, &str)],
) -> Option<(PackageFile, String, Range<usize>)> {
    if matches!(extra.kind, FileKind::Dir | FileKind::Symlink) {
        r.push(
            extra.src.span(),
            "bundles hold regular files only",
            "not a file",
            "use kind = \"binary\", \"unit\", \"config\" or \"data\"",
        );
        return None;
    }
    let src = match expand(extra.src.get_ref(), vars) {
        Ok(src) => src,
        Err(why) => {
            r.push(extra.src.span(), why, "unknown placeholder", PLACEHOLDER_HELP);
            return None;
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
            return None;
        }
        Err((message, help)) => {
            r.push(extra.src.span(), message, "missing file", help);
            return None;
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
    Some((file, name, span))
}

fn kind_word(source: &Source) -> &'static str {
    match source {
        Source::Directory => "directory",
        Source::Symlink { .. } => "symlink",
        Source::File { .. } | Source::Generated { .. } => "file",
    }
}
