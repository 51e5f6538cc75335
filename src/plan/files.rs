//! `[[files]]` entries resolved against the project: placeholders expanded, globs matched, default
//! destinations and modes applied per kind, and every path checked.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Component, Path};

use super::tree::{self, Excludes, LinksOut, Node, NodeKind};
use super::{PackageFile, Resolver, Source, system_paths};
use crate::format::Format;
use crate::manifest::{FileEntry, FileKind};
use crate::target::Target;

pub(super) struct ResolvedFiles {
    pub files: Vec<PackageFile>,
    /// Texts of `license` files, for formats that fold them into their own copyright file.
    pub license_texts: Vec<String>,
}

const SPECIAL_BITS: u32 = 0o4000 | 0o2000 | 0o0002;

pub(super) fn resolve(
    r: &mut Resolver,
    fields: &crate::manifest::Fields,
    target: &Target,
    name: &str,
    version: &str,
) -> ResolvedFiles {
    let _ = fields;
    let vars = [("target", target.triple.as_str()), ("arch", target.rust_arch()), ("version", version), ("name", name)];
    let mut out = ResolvedFiles { files: Vec::new(), license_texts: Vec::new() };
    let mut installed = Installed::default();
    for entry in &r.manifest.raw.files {
        let span = entry.span();
        let entry = entry.get_ref();
        if !for_format(entry, r.format) {
            continue;
        }
        let kind = *entry.kind.get_ref();
        if kind == FileKind::Sudoers && !super::sudoers::entry_ok(r, entry) {
            continue;
        }
        let Some(mode) = mode(r, entry, kind) else { continue };
        let Some((owner, group)) = ownership(r, entry) else { continue };
        let Some(dest) = expanded_dest(r, entry, &vars) else { continue };
        let entry = Entry { entry, span, kind, dest };
        let items = match kind {
            FileKind::Dir | FileKind::Symlink => dir_or_symlink(r, entry).into_iter().collect(),
            _ => source_items(r, &entry, &vars, name, &mut out.license_texts),
        };
        let meta = Meta { kind, mode, owner, group };
        out.files.extend(items.into_iter().filter_map(|item| install(r, &meta, item, &mut installed)));
    }
    out
}

/// One `[[files]]` entry being resolved.
struct Entry<'a> {
    entry: &'a FileEntry,
    span: Range<usize>,
    kind: FileKind,
    /// `dest` with its placeholders expanded, and where it is written.
    dest: Option<(String, Range<usize>)>,
}

/// One path an entry installs, before its destination is checked.
struct Item {
    dest: String,
    dest_span: Range<usize>,
    source: Source,
    size: u64,
    /// What a tree's own directories and links are installed with, instead of the entry's.
    meta: Option<Meta>,
}

/// What every path of an entry is installed with.
struct Meta {
    kind: FileKind,
    mode: u32,
    owner: String,
    group: String,
}

impl Meta {
    fn root(kind: FileKind, mode: u32) -> Meta {
        Meta { kind, mode, owner: "root".into(), group: "root".into() }
    }
}

/// The destinations taken so far, so that nothing is installed twice.
#[derive(Default)]
struct Installed {
    /// Destination → the manifest span that installs it.
    paths: HashMap<String, Range<usize>>,
    /// Unit name → where it is installed and the manifest span that installs it.
    units: HashMap<String, (String, Range<usize>)>,
}

/// Whether the entry's `formats` (all when absent) include `format`; `arch` covers the PKGBUILD.
fn for_format(entry: &FileEntry, format: Format) -> bool {
    let wanted = |f: &Format| *f == format || (*f == Format::Arch && format == Format::Pkgbuild);
    entry.formats.as_ref().is_none_or(|formats| formats.iter().any(wanted))
}

/// The entry's owner and group (root when absent), or `None` after reporting an invalid name.
fn ownership(r: &mut Resolver, entry: &FileEntry) -> Option<(String, String)> {
    let invalid = [(&entry.owner, "owner"), (&entry.group, "group")]
        .into_iter()
        .filter_map(|(value, key)| value.as_ref().map(|v| (v, key)))
        .find(|(v, _)| !super::services::valid_account_name(v.get_ref()));
    if let Some((value, key)) = invalid {
        r.push(
            value.span(),
            format!("{key} `{}` is not a valid account name", value.get_ref().escape_default()),
            "invalid name",
            super::services::ACCOUNT_HELP,
        );
        return None;
    }
    let owner = entry.owner.as_ref().map(|o| o.get_ref().clone()).unwrap_or_else(|| "root".into());
    let group = entry.group.as_ref().map(|g| g.get_ref().clone()).unwrap_or_else(|| "root".into());
    Some((owner, group))
}

/// The entry's `dest` with placeholders expanded (`Some(None)` when it has none), or `None` after
/// reporting an unknown placeholder.
fn expanded_dest(r: &mut Resolver, entry: &FileEntry, vars: &[(&str, &str)]) -> Option<Option<(String, Range<usize>)>> {
    let Some(d) = &entry.dest else { return Some(None) };
    match expand(d.get_ref(), vars) {
        Ok(text) => Some(Some((text, d.span()))),
        Err(why) => {
            r.push(d.span(), why, "unknown placeholder", PLACEHOLDER_HELP);
            None
        }
    }
}

/// The one path a `dir` or `symlink` entry installs, or `None` after reporting why it cannot.
fn dir_or_symlink(r: &mut Resolver, e: Entry) -> Option<Item> {
    let Some((dest, dest_span)) = e.dest else {
        r.push(
            e.span,
            format!("a `{}` entry needs a `dest`", e.kind.name()),
            "no dest",
            "add dest = \"/absolute/path\"",
        );
        return None;
    };
    if let Some(src) = &e.entry.src {
        r.push(src.span(), format!("a `{}` entry takes no `src`", e.kind.name()), "not used", "remove src");
        return None;
    }
    let tree_keys = [set(&e.entry.recursive), e.entry.exclude.as_ref().map(|x| x.span()), set(&e.entry.flatten)];
    if let Some(at) = tree_keys.into_iter().flatten().next() {
        let message = format!("a `{}` entry takes no `recursive`, `exclude` or `flatten`", e.kind.name());
        r.push(at, message, "not used", "remove it: these keys shape what a `src` installs");
        return None;
    }
    if e.kind == FileKind::Dir {
        return Some(Item { dest, dest_span, source: Source::Directory, size: 0, meta: None });
    }
    let target = symlink_target(r, e.entry, e.span, &dest)?;
    let size = target.len() as u64;
    Some(Item { dest, dest_span, source: Source::Symlink { target }, size, meta: None })
}

/// Where the symlink at `dest` points, or `None` after reporting a missing or unsafe target.
fn symlink_target(r: &mut Resolver, entry: &FileEntry, span: Range<usize>, dest: &str) -> Option<String> {
    let Some(link) = &entry.target else {
        r.push(
            span,
            "a `symlink` entry needs a `target`",
            "no target",
            "add target = \"/path/it/points/to\" or a relative path",
        );
        return None;
    };
    if link.get_ref().chars().any(char::is_control) || link.get_ref().is_empty() {
        r.push(
            link.span(),
            format!("symlink target `{}` is empty or contains a control character", link.get_ref().escape_default()),
            "invalid target",
            "name the target without control characters",
        );
        return None;
    }
    if escapes_root(dest, link.get_ref()) {
        r.push(
            link.span(),
            format!("symlink target `{}` escapes the package root", link.get_ref()),
            "escapes /",
            "use an absolute target, or a relative one that stays inside the file system",
        );
        return None;
    }
    Some(link.get_ref().clone())
}

/// The paths an entry with a `src` installs: the file it names, every file a glob matches, or a
/// whole directory tree. License texts are collected into `license_texts` on the way.
fn source_items(
    r: &mut Resolver,
    e: &Entry,
    vars: &[(&str, &str)],
    name: &str,
    license_texts: &mut Vec<String>,
) -> Vec<Item> {
    let Some(src) = &e.entry.src else {
        r.push(
            e.span.clone(),
            format!("this `{}` entry has no `src`", e.kind.name()),
            "missing src",
            "add src = \"path/relative/to/the/project\"",
        );
        return Vec::new();
    };
    let pattern = match expand(src.get_ref(), vars) {
        Ok(p) => p,
        Err(why) => {
            r.push(src.span(), why, "unknown placeholder", PLACEHOLDER_HELP);
            return Vec::new();
        }
    };
    let Some((shape, excludes)) = shape(r, e, &pattern) else { return Vec::new() };
    let nodes = match read_nodes(&r.manifest.root, e.entry, &pattern, shape, &excludes) {
        Ok(nodes) => nodes,
        Err((why, help)) => {
            r.push(src.span(), why, "here", help);
            return Vec::new();
        }
    };
    let mut items = Vec::new();
    for node in nodes {
        // A glob or a tree keeps each path below its root (`web/**/*` puts web/js/app.js at
        // DEST/js/app.js), as cargo-deb does: trees stay trees.
        let below = (shape != Shape::One).then_some(node.rel.as_str());
        let (source, meta) = match node.kind {
            NodeKind::File { path, size } => {
                let file = SourceFile { path, size, below, src_span: src.span() };
                items.extend(file_item(r, e, name, file, license_texts));
                continue;
            }
            NodeKind::EmptyDir => (Source::Directory, Meta::root(FileKind::Dir, 0o755)),
            NodeKind::Link { target } => (Source::Symlink { target }, Meta::root(FileKind::Symlink, 0o777)),
        };
        let Some((dest, dest_span)) = &e.dest else { continue };
        let size = match &source {
            Source::Symlink { target } => target.len() as u64,
            _ => 0,
        };
        let dest = below_dest(dest, &node.rel);
        items.push(Item { dest, dest_span: dest_span.clone(), source, size, meta: Some(meta) });
    }
    items
}

/// One regular file an entry installs, before its destination is decided.
struct SourceFile<'a> {
    path: std::path::PathBuf,
    size: u64,
    /// Its path below the glob's prefix or the tree's root; `None` for a single file.
    below: Option<&'a str>,
    src_span: Range<usize>,
}

/// What one source file installs: itself, a gzipped man page, or nothing for a license the
/// format folds into its own copyright file (its text is collected all the same).
fn file_item(r: &mut Resolver, e: &Entry, name: &str, f: SourceFile, license_texts: &mut Vec<String>) -> Option<Item> {
    let file_name = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some((dest, dest_span)) = source_dest(e, r.format, name, &file_name, f.below, f.src_span.clone()) else {
        if let Some(text) = read_source(r, f.src_span, &f.path) {
            license_texts.push(String::from_utf8_lossy(&text).into_owned());
        }
        return None;
    };
    if e.kind == FileKind::License
        && let Ok(text) = std::fs::read_to_string(&f.path)
    {
        license_texts.push(text);
    }
    if e.kind == FileKind::Man && !file_name.ends_with(".gz") {
        let bytes = crate::compress::gzip(&read_source(r, f.src_span, &f.path)?);
        let dest = if dest.ends_with(".gz") { dest } else { format!("{dest}.gz") };
        let size = bytes.len() as u64;
        return Some(Item { dest, dest_span, source: Source::Generated { bytes }, size, meta: None });
    }
    Some(Item { dest, dest_span, source: Source::File { path: f.path }, size: f.size, meta: None })
}

/// How an entry's `src` is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One file.
    One,
    /// A glob's matches, each straight into `dest` (or the kind's directory without a `dest`).
    Flat,
    /// A glob's matches, each keeping its path below the glob's fixed prefix.
    GlobTree,
    /// A directory with everything in it (`recursive = true`).
    Tree,
}

/// The span of a boolean key set to true.
fn set(flag: &Option<toml::Spanned<bool>>) -> Option<Range<usize>> {
    flag.as_ref().filter(|f| *f.get_ref()).map(toml::Spanned::span)
}

/// How the entry's `src` (expanded to `pattern`) is read, and what its `exclude` leaves out; `None`
/// after reporting keys that do not fit together.
fn shape(r: &mut Resolver, e: &Entry, pattern: &str) -> Option<(Shape, Excludes)> {
    let is_glob = pattern.contains(['*', '?', '[']);
    let (recursive, flatten) = (set(&e.entry.recursive), set(&e.entry.flatten));
    let exclude = e.entry.exclude.as_ref();
    let problem: Option<(Range<usize>, String, &str)> = match (&recursive, &flatten) {
        (Some(at), _) if is_glob => Some((
            at.clone(),
            format!("`recursive` takes a directory, but `{pattern}` is a glob"),
            "remove recursive = true: a glob already keeps the tree below its fixed prefix",
        )),
        (Some(_), _) if e.dest.is_none() => Some((
            e.span.clone(),
            "a recursive entry needs a `dest`".into(),
            "add dest = \"/usr/share/NAME/\": the directory the tree is installed into",
        )),
        (_, Some(at)) if !is_glob => {
            Some((at.clone(), "`flatten` applies to a glob `src`".into(), "remove flatten = true, or make src a glob"))
        }
        _ => match exclude {
            Some(ex) if !is_glob && recursive.is_none() => Some((
                ex.span(),
                format!("`exclude` applies to a glob or a recursive `src`, and `{pattern}` is neither"),
                "remove exclude, or make src a glob or a directory with recursive = true",
            )),
            _ => None,
        },
    };
    if let Some((at, message, help)) = problem {
        r.push(at, message, "here", help);
        return None;
    }
    let patterns = exclude.map(|ex| ex.get_ref().as_slice()).unwrap_or_default();
    let excludes = match Excludes::new(patterns.iter().map(|p| p.get_ref().as_str())) {
        Ok(excludes) => excludes,
        Err((i, why)) => {
            r.push(
                patterns[i].span(),
                why,
                "invalid glob",
                "write a glob such as \"*.map\", \"js/vendor\" or \"**/*.tmp\"",
            );
            return None;
        }
    };
    let shape = match () {
        _ if recursive.is_some() => Shape::Tree,
        _ if !is_glob => Shape::One,
        _ if flatten.is_some() || e.dest.is_none() => Shape::Flat,
        _ => Shape::GlobTree,
    };
    Some((shape, excludes))
}

/// What an entry of `shape` reads from the project at `root`: one file, a glob's matches, or a
/// directory tree, each path named relative to the tree's root (a file's own name when flat).
fn read_nodes(
    root: &Path,
    entry: &FileEntry,
    pattern: &str,
    shape: Shape,
    excludes: &Excludes,
) -> Result<Vec<Node>, tree::Problem> {
    let allow_outside = entry.allow_outside_root;
    checked_src(root, pattern, allow_outside)?;
    let full = root.join(pattern);
    if shape == Shape::One && full.is_dir() {
        return Err((
            format!("`{pattern}` is a directory"),
            "add recursive = true to install it with everything in it, or name one file".into(),
        ));
    }
    if matches!(shape, Shape::One | Shape::Flat) {
        let files = sources(root, pattern, allow_outside)?.into_iter();
        let prefix = root.join(glob_prefix(pattern));
        let nodes = files.filter(|(path, _)| !excludes.excludes(&tree::rel_of(&prefix, path))).map(|(path, size)| {
            let rel = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Node { rel, kind: NodeKind::File { path, size } }
        });
        return nonempty(nodes.collect(), pattern);
    }
    let prefix = if shape == Shape::Tree { full.clone() } else { root.join(glob_prefix(pattern)) };
    let links_out = if shape == Shape::Tree { LinksOut::Refuse } else { LinksOut::Follow };
    let root_inside = !crate::walk::outside_root(root, prefix.strip_prefix(root).unwrap_or(&prefix));
    let walk = tree::Walk { project: root, tree: &prefix, pattern, excludes, links_out, allow_outside, root_inside };
    if shape == Shape::GlobTree {
        return nonempty(tree::glob_tree(&walk)?, pattern);
    }
    match std::fs::metadata(&full) {
        Ok(meta) if meta.is_dir() => nonempty(tree::walk_dir(&walk)?, pattern),
        Ok(_) => Err((format!("`{pattern}` is not a directory"), "remove recursive = true to install one file".into())),
        Err(_) => Err((
            format!("`{pattern}` does not exist (looked for {})", full.display()),
            "fix the path (it is relative to the project root), or make the directory first".into(),
        )),
    }
}

/// `nodes`, or an error when the entry installs nothing: it matched nothing, or all it matched
/// was excluded.
fn nonempty(nodes: Vec<Node>, pattern: &str) -> Result<Vec<Node>, tree::Problem> {
    if nodes.is_empty() {
        return Err((
            format!("`{pattern}` installs nothing: it matches no file, or `exclude` leaves out all it matches"),
            "fix the pattern or the exclude globs, or build the files first".into(),
        ));
    }
    Ok(nodes)
}

/// The path `rel` below the directory `dest` (`dest` itself for the tree's root).
fn below_dest(dest: &str, rel: &str) -> String {
    let dir = dest.trim_end_matches('/');
    if rel.is_empty() { dir.to_string() } else { format!("{dir}/{rel}") }
}

/// Where a source file named `file_name` goes: below `dest` (keeping the path `below` a glob's
/// fixed prefix), into `dest/` or at `dest`; without a `dest`, into the kind's default directory.
/// `None` for a license the format folds into its own copyright file.
fn source_dest(
    e: &Entry,
    format: Format,
    name: &str,
    file_name: &str,
    below: Option<&str>,
    src_span: Range<usize>,
) -> Option<(String, Range<usize>)> {
    Some(match (&e.dest, below) {
        (Some((d, s)), Some(below)) => (below_dest(d, below), s.clone()),
        (Some((d, s)), None) if d.ends_with('/') => (format!("{}/{file_name}", d.trim_end_matches('/')), s.clone()),
        (Some((d, s)), None) => (d.clone(), s.clone()),
        (None, _) => (format!("{}/{file_name}", default_dir(format, e.kind, name, file_name)?), src_span),
    })
}

/// The file `item` installs, or `None` after reporting why its destination cannot be used.
fn install(r: &mut Resolver, meta: &Meta, item: Item, installed: &mut Installed) -> Option<PackageFile> {
    let meta = item.meta.as_ref().unwrap_or(meta);
    let dest = system_paths::canonical(r.format, &item.dest);
    let problem = dest_problem(r, meta, (&dest, &item.dest_span), installed)
        .or_else(|| if meta.kind == FileKind::Unit { unit_problem(r, &dest, installed) } else { None })
        .or_else(|| super::services::shipped_conf_problem(meta.kind, &dest))
        .or_else(|| if meta.kind == FileKind::Sudoers { super::sudoers::problem(&dest, &item.source) } else { None });
    if let Some((message, label, help)) = problem {
        r.push(item.dest_span, message, label, help);
        return None;
    }
    if meta.kind == FileKind::Unit {
        installed.units.insert(file_name_of(&dest).to_string(), (dest.clone(), item.dest_span.clone()));
    }
    installed.paths.insert(dest.clone(), item.dest_span);
    Some(PackageFile {
        path: dest,
        kind: meta.kind,
        mode: meta.mode,
        owner: meta.owner.clone(),
        group: meta.group.clone(),
        size: item.size,
        source: item.source,
    })
}

/// A problem as (message, label, help).
type Problem = (String, &'static str, String);

/// Why no file may be installed at `dest`: an invalid path, one installed already, a base-system
/// directory, or a path the install scripts cannot chown safely.
fn dest_problem(
    r: &Resolver,
    meta: &Meta,
    (dest, at): (&str, &Range<usize>),
    installed: &Installed,
) -> Option<Problem> {
    if let Err(why) = check_dest(dest) {
        return Some((why, "invalid destination", "use an absolute path such as /usr/bin/NAME, without `..`".into()));
    }
    if let Some(first) = installed.paths.get(dest) {
        if first == at {
            return Some((
                format!("`{dest}` is installed twice: two paths this entry installs land there"),
                "same destination",
                "leave one out with exclude = [\"…\"], or keep the tree: a dest directory without flatten = true"
                    .into(),
            ));
        }
        let line = line_of(&r.manifest.text, first.start);
        return Some((
            format!("`{dest}` is installed twice"),
            "second time here",
            format!("the first entry for it is on line {line}; remove one of them"),
        ));
    }
    if meta.kind == FileKind::Dir && system_paths::is_base_dir(dest) {
        return Some((
            format!("`{dest}` belongs to the base system; a package must not own it"),
            "system directory",
            "name a directory of the package's own, such as /var/lib/NAME; parents are added as needed".into(),
        ));
    }
    if meta.owner != "root" || meta.group != "root" {
        let why = system_paths::script_path_problem(dest)?;
        return Some((
            format!("{why}; files with an owner other than root are chowned by the install scripts"),
            "unsafe path",
            "use a plain path of letters, digits and - _ . / + @ , : = ~".into(),
        ));
    }
    None
}

/// Why a unit cannot be installed at `dest`: a name systemd refuses, or one installed already.
fn unit_problem(r: &Resolver, dest: &str, installed: &Installed) -> Option<Problem> {
    let unit = file_name_of(dest);
    if let Some(c) = unit.chars().find(|c| !(c.is_ascii_alphanumeric() || ":-_.@\\".contains(*c))) {
        return Some((
            format!("`{}` is not a valid unit name: systemd does not allow {c:?}", unit.escape_default()),
            "invalid unit name",
            "unit names use letters, digits and : - _ . @ \\ only (systemd.unit(5))".into(),
        ));
    }
    let (other, first) = installed.units.get(unit)?;
    let line = line_of(&r.manifest.text, first.start);
    Some((
        format!("unit `{unit}` is installed twice: at {other} (line {line}) and at {dest}"),
        "same unit name",
        "systemd loads only one of them; remove one of the entries".into(),
    ))
}

/// A small source file read whole (license texts, man pages to compress), or an error at `span`.
fn read_source(r: &mut Resolver, span: Range<usize>, path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            r.push(span, format!("cannot read {}: {e}", path.display()), "unreadable", "make the file readable");
            None
        }
    }
}

pub(super) const PLACEHOLDER_HELP: &str = "the placeholders are {target}, {arch}, {version} and {name}";

/// The mode of an entry: explicit (written in octal, special bits only when allowed) or by kind.
fn mode(r: &mut Resolver, entry: &FileEntry, kind: FileKind) -> Option<u32> {
    let Some(m) = &entry.mode else { return Some(default_mode(kind)) };
    let written = r.manifest.text.get(m.span()).unwrap_or("");
    let value = *m.get_ref();
    if !written.starts_with("0o") {
        r.push(
            m.span(),
            format!("mode `{written}` is not written in octal"),
            "decimal number",
            format!("write modes as TOML octal integers, e.g. mode = 0o{written}"),
        );
        return None;
    }
    if value > 0o7777 {
        r.push(
            m.span(),
            format!("mode {written} has bits beyond 0o7777"),
            "invalid mode",
            "use permission bits only, e.g. 0o644",
        );
        return None;
    }
    if value & SPECIAL_BITS != 0 && !entry.allow_special_modes {
        r.push(
            m.span(),
            format!("mode {written} sets setuid, setgid or world-writable bits"),
            "special bits",
            "if this is intended, add allow-special-modes = true to this entry",
        );
        return None;
    }
    if kind == FileKind::Unit && value & 0o111 != 0 {
        r.push(
            m.span(),
            format!("systemd units must not be executable, but mode is {written}"),
            "executable unit",
            "remove the mode: units are installed 0644",
        );
        return None;
    }
    Some(value)
}

/// The directory a file of `kind` goes to when the entry has no `dest`. `None` for a license the
/// format folds into its own copyright file.
fn default_dir(format: Format, kind: FileKind, name: &str, file_name: &str) -> Option<String> {
    Some(match (format, kind) {
        (_, FileKind::Binary) => "/usr/bin".into(),
        (_, FileKind::Unit) => "/usr/lib/systemd/system".into(),
        (_, FileKind::Config) => format!("/etc/{name}"),
        (_, FileKind::Sudoers) => super::sudoers::DIR.into(),
        (_, kind @ (FileKind::Tmpfiles | FileKind::Sysusers)) => super::services::conf_dir(kind)?.into(),
        (_, FileKind::Doc) => format!("/usr/share/doc/{name}"),
        (_, FileKind::Man) => format!("/usr/share/man/man{}", man_section(file_name)),
        (Format::Deb, FileKind::License) => return None,
        (Format::Rpm | Format::Arch | Format::Pkgbuild | Format::Apk | Format::Addon, FileKind::License) => {
            format!("/usr/share/licenses/{name}")
        }
        (_, FileKind::Data | FileKind::Dir | FileKind::Symlink) => format!("/usr/share/{name}"),
    })
}

/// The manual section a page belongs to, from its name: `healthd.8` → `8`, `foo.3ssl` → `3`.
fn man_section(file_name: &str) -> String {
    let name = file_name.strip_suffix(".gz").unwrap_or(file_name);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("1");
    ext.chars().next().filter(char::is_ascii_digit).map(String::from).unwrap_or_else(|| "1".into())
}

/// Replace `{target}`, `{arch}`, `{version}` and `{name}`; any other `{…}` is an error.
pub(super) fn expand(text: &str, vars: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').ok_or_else(|| format!("`{text}` has an unclosed `{{`"))? + open;
        let key = &rest[open + 1..close];
        let value = vars
            .iter()
            .find(|(k, _)| *k == key)
            .ok_or_else(|| format!("unknown placeholder `{{{key}}}` in `{text}`"))?
            .1;
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The directories of a glob before its first component with a wildcard: `web/**/*.js` → `web`.
fn glob_prefix(pattern: &str) -> String {
    let components: Vec<&str> = pattern.split('/').collect();
    let fixed = components.iter().take_while(|c| !c.contains(['*', '?', '['])).count();
    // The last component names files, never a directory to keep.
    components[..fixed.min(components.len().saturating_sub(1))].join("/")
}

/// The files a `src` names: one existing file, or every file a glob matches (sorted). Sources
/// stay inside the project `root` (globs included) unless `allow_outside` is set, and a glob
/// never follows a symbolic link to a directory.
pub(super) fn sources(
    root: &Path,
    pattern: &str,
    allow_outside: bool,
) -> Result<Vec<(std::path::PathBuf, u64)>, (String, String)> {
    checked_src(root, pattern, allow_outside)?;
    let full = root.join(pattern);
    if pattern.contains(['*', '?', '[']) {
        let matches = crate::walk::glob_files(root, pattern)
            .map_err(|why| (why, "fix the pattern; * ? [...] and ** are supported".to_string()))?;
        let mut found = Vec::new();
        for path in matches {
            if !allow_outside && crate::walk::outside_root(root, path.strip_prefix(root).unwrap_or(&path)) {
                return Err((
                    format!("`{pattern}` matches {}, which resolves outside the project root", path.display()),
                    OUTSIDE_HELP.into(),
                ));
            }
            if let Ok(meta) = std::fs::metadata(&path) {
                found.push((path, meta.len()));
            }
        }
        if found.is_empty() {
            return Err((
                format!("`{pattern}` matches no file (looked in {})", root.display()),
                "fix the pattern, or build the files first".into(),
            ));
        }
        return Ok(found);
    }
    match std::fs::metadata(&full) {
        Ok(meta) if meta.is_file() => Ok(vec![(full, meta.len())]),
        Ok(meta) if meta.is_dir() => Err((format!("`{pattern}` is a directory"), "name a file, or use a glob such as dir/* with a directory dest".into())),
        Ok(_) => Err((
            format!("`{pattern}` is not a regular file (a device, FIFO or socket)"),
            "name a regular file; packages hold files, and reading a device or FIFO never ends".into(),
        )),
        Err(_) => Err((
            format!("`{pattern}` does not exist (looked for {})", full.display()),
            "fix the path (it is relative to the project root), or build it first: `distpack build` runs cargo build unless --no-build".into(),
        )),
    }
}

const OUTSIDE_HELP: &str = "keep sources inside the project, or set allow-outside-root = true on this entry";

/// Refuse a `src` with a control character, or one outside the project `root` unless allowed.
fn checked_src(root: &Path, pattern: &str, allow_outside: bool) -> Result<(), (String, String)> {
    if pattern.chars().any(char::is_control) {
        return Err((
            format!("`{}` contains a control character", pattern.escape_default()),
            "name the file without control characters".into(),
        ));
    }
    if !allow_outside && crate::walk::outside_root(root, Path::new(pattern)) {
        return Err((format!("`{pattern}` is outside the project root ({})", root.display()), OUTSIDE_HELP.into()));
    }
    Ok(())
}

fn file_name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Linux's PATH_MAX: no package manager installs a longer path.
const MAX_DEST: usize = 4096;

fn check_dest(dest: &str) -> Result<(), String> {
    if !dest.starts_with('/') {
        return Err(format!("destination `{dest}` is not an absolute path"));
    }
    if dest.chars().any(char::is_control) {
        return Err(format!("destination `{}` contains a control character", dest.escape_default()));
    }
    if dest.len() > MAX_DEST {
        return Err(format!(
            "destination `{}…` is longer than {MAX_DEST} bytes",
            &dest[..dest.floor_char_boundary(64)]
        ));
    }
    if Path::new(dest).components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("destination `{dest}` contains `..`"));
    }
    if dest == "/" || dest.ends_with('/') {
        return Err(format!("destination `{dest}` names a directory, not a file"));
    }
    Ok(())
}

/// Whether a relative symlink target climbs above `/` from the link's directory.
pub(super) fn escapes_root(link: &str, target: &str) -> bool {
    if target.starts_with('/') {
        return false;
    }
    let mut depth = Path::new(link)
        .parent()
        .map(|p| p.components().filter(|c| matches!(c, Component::Normal(_))).count())
        .unwrap_or(0) as i64;
    for c in Path::new(target).components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Add every missing parent directory (0755 root:root) and sort so parents precede contents.
/// With `own_system_dirs` false, the base system's directories are left out (rpm creates missing
/// parents itself and records which package owns each directory, so an rpm must not claim them).
pub(super) fn add_parent_dirs(files: &mut Vec<PackageFile>, own_system_dirs: bool) {
    let mut by_path: BTreeMap<String, PackageFile> = files.drain(..).map(|f| (f.path.clone(), f)).collect();
    // Each parent is visited once: a walk up stops at a directory an earlier walk went through,
    // so many files under one deep directory cost its depth once, not once per file.
    let mut visited = std::collections::BTreeSet::new();
    let mut parents = Vec::new();
    for path in by_path.keys() {
        for ancestor in Path::new(path).ancestors().skip(1) {
            let ancestor = ancestor.to_string_lossy().into_owned();
            if ancestor == "/" || !visited.insert(ancestor.clone()) {
                break;
            }
            if own_system_dirs || !super::system_paths::is_base_dir(&ancestor) {
                parents.push(ancestor);
            }
        }
    }
    for parent in parents {
        by_path.entry(parent.clone()).or_insert_with(|| PackageFile {
            path: parent,
            kind: FileKind::Dir,
            mode: 0o755,
            owner: "root".into(),
            group: "root".into(),
            size: 0,
            source: Source::Directory,
        });
    }
    files.extend(by_path.into_values());
}

/// The mode of a file whose entry sets none: executables and directories 0755, the rest 0644.
pub fn default_mode(kind: FileKind) -> u32 {
    match kind {
        FileKind::Binary | FileKind::Dir => 0o755,
        FileKind::Symlink => 0o777,
        FileKind::Sudoers => super::sudoers::MODE,
        FileKind::Unit
        | FileKind::Config
        | FileKind::Doc
        | FileKind::Man
        | FileKind::License
        | FileKind::Data
        | FileKind::Tmpfiles
        | FileKind::Sysusers => 0o644,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_placeholders_only() {
        let vars = [("target", "x86_64-unknown-linux-gnu"), ("name", "foo")];
        assert_eq!(
            expand("target/{target}/release/{name}", &vars).unwrap(),
            "target/x86_64-unknown-linux-gnu/release/foo"
        );
        assert!(expand("{nope}", &vars).unwrap_err().contains("unknown placeholder"));
        assert!(expand("{target", &vars).is_err());
    }

    #[test]
    fn globs_keep_the_path_below_their_fixed_prefix() {
        assert_eq!(glob_prefix("web/**/*"), "web");
        assert_eq!(glob_prefix("units/*.service"), "units");
        assert_eq!(glob_prefix("a/b/c?.txt"), "a/b");
        assert_eq!(glob_prefix("*.md"), "");
        assert_eq!(glob_prefix("target/*/release/x"), "target");
    }

    #[test]
    fn relative_symlinks_stay_inside() {
        assert!(!escapes_root("/usr/bin/foo", "../lib/foo/foo"));
        assert!(escapes_root("/usr/bin/foo", "../../../etc/shadow"));
        assert!(!escapes_root("/usr/bin/foo", "/etc/shadow"));
    }

    #[test]
    fn destinations_must_be_absolute_without_dotdot() {
        assert!(check_dest("/usr/bin/x").is_ok());
        assert!(check_dest("usr/bin/x").is_err());
        assert!(check_dest("/usr/../etc/x").is_err());
    }
}
