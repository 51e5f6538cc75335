//! `distpack import`: turn cargo-deb's `[package.metadata.deb]` and cargo-generate-rpm's
//! `[package.metadata.generate-rpm]` into a distpack manifest, and say what could not be carried.
//!
//! Each tool's table is read into a [`Side`] (distpack keys, files, hooks, unit options); the two
//! sides are then merged: what they agree on goes into `[package]` and `[[files]]` once, what
//! differs into `[deb]`/`[rpm]`, and every loss or change becomes a [`Note`] that is printed on
//! stderr and kept as a comment at the top of the manifest.

mod deb;
mod layout;
mod render;
mod rpm;
mod units;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::manifest::FileKind;

const DEB_TABLE: &str = "package.metadata.deb";
const RPM_TABLE: &str = "package.metadata.generate-rpm";

/// Something that was not carried over, or not as the tool did it: the key it came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub key: String,
    pub message: String,
}

/// The result of an import: the manifest's text and what it leaves out.
#[derive(Debug)]
pub struct Conversion {
    pub manifest: String,
    pub notes: Vec<Note>,
    /// The crate the manifest is for: the one member with metadata when a workspace root was named.
    pub crate_dir: PathBuf,
}

/// A value of a `[package]`-style key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Int(u64),
    Bool(bool),
    List(Vec<String>),
}

/// The keys of `[package]`, in the order they are written.
const FIELD_ORDER: [&str; 20] = [
    "name",
    "version",
    "release",
    "epoch",
    "summary",
    "description",
    "license",
    "homepage",
    "maintainer",
    "copyright",
    "vendor",
    "section",
    "priority",
    "depends",
    "recommends",
    "suggests",
    "conflicts",
    "provides",
    "replaces",
    "auto-depends",
];

/// Relations name distribution packages: they never apply to the other format.
const RELATION_KEYS: [&str; 6] = ["depends", "recommends", "suggests", "conflicts", "provides", "replaces"];

/// Keys only one of the tools can set, that mean the same in every format: a value from one tool
/// goes into `[package]` rather than into that tool's format table.
const SHARED_KEYS: [&str; 4] = ["maintainer", "description", "section", "priority"];

/// One tool's metadata in distpack's terms.
#[derive(Debug, Default)]
struct Side {
    fields: BTreeMap<&'static str, Value>,
    files: Vec<Asset>,
    /// `[FORMAT.scripts]` key → hook file.
    scripts: BTreeMap<&'static str, String>,
    /// `[systemd.units."NAME"]` options that differ from the defaults.
    units: BTreeMap<String, Vec<(&'static str, bool)>>,
    /// Units the tool enables and starts itself (cargo-deb's `systemd-units`).
    managed_units: Vec<String>,
}

/// One file, directory or symlink as a tool installs it.
#[derive(Debug, Clone, Default)]
struct Asset {
    /// Source path relative to the crate, already rewritten for distpack (`target/{target}/release`).
    src: Option<String>,
    /// Absolute destination; a directory (ending in `/`) for a glob.
    dest: String,
    /// `src` is a glob whose matches go into `dest` under their file names.
    glob: bool,
    mode: Option<u32>,
    owner: Option<String>,
    group: Option<String>,
    /// A conffile (deb) or `%config` (rpm).
    config: bool,
    /// `%doc` (rpm).
    doc: bool,
    dir: bool,
    /// Symlink target.
    link: Option<String>,
    /// The key it came from, for notes (`package.metadata.deb.assets[2]`).
    origin: String,
    /// Which tool it came from.
    tool: Tool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Tool {
    #[default]
    Deb,
    Rpm,
}

impl Tool {
    /// The distpack format of the tool's package.
    fn format(self) -> &'static str {
        match self {
            Tool::Deb => "deb",
            Tool::Rpm => "rpm",
        }
    }
}

/// What the converters need to know about the crate besides their own table.
struct Crate<'a> {
    dir: &'a Path,
    /// Cargo's `[package]` table.
    package: &'a toml::Table,
    /// The whole Cargo.toml, for `[[bin]]` targets.
    root: &'a toml::Table,
    layout: layout::Layout,
}

/// Where a tool looks for a relative source: cargo-deb in the crate's directory; cargo-generate-rpm
/// first where it runs (the workspace root, with `-p`, as its README has it), then the crate's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    Crate,
    WorkspaceFirst,
}

impl Crate<'_> {
    fn name(&self) -> &str {
        self.package.get("name").and_then(toml::Value::as_str).unwrap_or("")
    }

    /// A tool's source path as a distpack `src`, relative to the crate (the manifest's project
    /// root): `target/release/X` is in cargo's target directory, built for `{target}`; an
    /// existing file (or a glob's directory) is named by its real path, so that `docs/x` through
    /// a symlinked `docs -> ../docs` and `../docs/x` are one file, and `..` shows what is outside.
    fn source(&self, src: &str, base: Base) -> String {
        let src = src.trim_start_matches("./");
        if let Some(rest) = src.strip_prefix("target/") {
            let target = layout::relative(&self.layout.dir, &self.layout.target_dir);
            return match rest.strip_prefix("release/") {
                Some(bin) => format!("{target}/{{target}}/release/{bin}"),
                None => format!("{target}/{rest}"),
            };
        }
        // A glob: its literal directories are resolved, the pattern kept.
        let (fixed, pattern) = match src.find(['*', '?', '[']) {
            Some(at) => src[..at].rsplit_once('/').map(|(d, _)| (d, &src[d.len()..])).unwrap_or(("", src)),
            None => (src, ""),
        };
        if fixed.is_empty() {
            return src.to_string();
        }
        let bases = match base {
            Base::Crate => vec![self.dir.to_path_buf()],
            Base::WorkspaceFirst => vec![self.layout.workspace.clone(), self.dir.to_path_buf()],
        };
        match bases.iter().find_map(|b| b.join(fixed).canonicalize().ok()) {
            Some(real) => format!("{}{pattern}", layout::relative(&self.layout.dir, &real)),
            None => src.to_string(),
        }
    }

    /// Whether a `src` names something outside the crate's directory (as [`Crate::source`] writes it).
    fn outside(src: &str) -> bool {
        src.starts_with('/') || src.split('/').any(|c| c == "..")
    }
}

/// Collects notes for one table: `note("triggers-file", "…")` names `package.metadata.deb.triggers-file`.
struct Notes<'a> {
    table: &'a str,
    out: &'a mut Vec<Note>,
}

impl Notes<'_> {
    fn add(&mut self, key: &str, message: impl Into<String>) {
        let key = if key.is_empty() { self.table.to_string() } else { format!("{}.{key}", self.table) };
        self.out.push(Note { key, message: message.into() });
    }
}

/// Command-line options of `distpack import`.
pub struct Options {
    pub cargo_toml: PathBuf,
    pub output: PathBuf,
    pub force: bool,
    pub stdout: bool,
}

/// Run `distpack import`: write the manifest (or print it) and report the notes on stderr.
pub fn run(options: &Options) -> Result<()> {
    let conversion = convert(&options.cargo_toml)?;
    // Imported at a workspace root, the manifest belongs in the member it was imported from.
    let cargo_dir = options.cargo_toml.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let output = match options.output == Path::new(crate::manifest::DEFAULT_PATH) && conversion.crate_dir != cargo_dir {
        true => conversion.crate_dir.join(crate::manifest::DEFAULT_PATH),
        false => options.output.clone(),
    };
    if !options.stdout && output.exists() && !options.force {
        return Err(Error::invalid(
            format!("{} already exists", output.display()),
            "keep it, pass --force to overwrite it, or --stdout to print the imported manifest",
        ));
    }
    let written = if options.stdout {
        print!("{}", conversion.manifest);
        None
    } else {
        let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = output
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::usage(format!("{} is not a file name", output.display()), "pass -o DIR/NAME.toml"))?;
        let path = crate::output::write_atomically(dir, name, |f| {
            use std::io::Write;
            f.write_all(conversion.manifest.as_bytes()).io("cannot write", &output)
        })?;
        Some(path)
    };
    let source = options.cargo_toml.display();
    if conversion.notes.is_empty() {
        eprintln!("distpack: everything in {source} was carried over");
    } else {
        eprintln!("distpack: not carried over from {source} ({}):", conversion.notes.len());
        for note in &conversion.notes {
            eprintln!("  - {}: {}", note.key, note.message);
        }
    }
    if let Some(path) = written {
        eprintln!("distpack: wrote {}; check it with `distpack check -m {0}`", path.display());
        println!("{}", path.display());
    }
    Ok(())
}

/// Read `cargo_toml` and convert its packaging metadata. A workspace root without the tables
/// stands for its one member that has them.
pub fn convert(cargo_toml: &Path) -> Result<Conversion> {
    if !cargo_toml.exists() {
        return Err(Error::usage(
            format!("{} does not exist", cargo_toml.display()),
            "run distpack import in the crate's directory, or pass --cargo-toml PATH",
        ));
    }
    let text = crate::limits::read_text(cargo_toml, crate::limits::MAX_MANIFEST)?;
    let root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::invalid(
            format!("{} is not valid TOML: {}", cargo_toml.display(), e.message()),
            "fix Cargo.toml; `cargo metadata` shows the same problem",
        )
    })?;
    let empty = toml::Table::new();
    let package = root.get("package").and_then(toml::Value::as_table).unwrap_or(&empty);
    let metadata = package.get("metadata").and_then(toml::Value::as_table);
    let table = |name: &str| metadata.and_then(|m| m.get(name));
    let (deb_table, rpm_table) = (table("deb"), table("generate-rpm"));
    let dir = cargo_toml.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if deb_table.is_none() && rpm_table.is_none() {
        return convert_member(cargo_toml, dir, &root);
    }
    let krate = Crate { dir, package, root: &root, layout: layout::layout(cargo_toml, dir) };
    let mut notes = Vec::new();
    if let Some(why) = &krate.layout.note {
        notes.push(Note { key: "target directory".into(), message: why.clone() });
    }
    let mut read = |value: Option<&toml::Value>, table: &str, convert: fn(&Crate, &toml::Table, &mut Notes) -> Side| {
        let value = value?;
        let mut n = Notes { table, out: &mut notes };
        match value.as_table() {
            Some(t) => Some(convert(&krate, t, &mut n)),
            None => {
                n.add("", "is not a table; nothing read from it");
                None
            }
        }
    };
    let deb = read(deb_table, DEB_TABLE, deb::read);
    let rpm = read(rpm_table, RPM_TABLE, rpm::read);
    let merged = merge(deb, rpm, &krate, &mut notes);
    let manifest =
        render::manifest(&merged, &notes, &cargo_toml.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    Ok(Conversion { manifest, notes, crate_dir: dir.to_path_buf() })
}

/// A Cargo.toml without either table: a workspace root's one member that has them is imported
/// instead; with several, each is named with the command that imports it.
fn convert_member(cargo_toml: &Path, dir: &Path, root: &toml::Table) -> Result<Conversion> {
    let neither = format!("{} has neither [{DEB_TABLE}] nor [{RPM_TABLE}]", cargo_toml.display());
    let members = match root.get("workspace").and_then(toml::Value::as_table) {
        Some(workspace) => layout::members_with_metadata(dir, workspace),
        None => Vec::new(),
    };
    let command = |member: &str| {
        let at = dir.join(member);
        format!("distpack import --cargo-toml {0}/Cargo.toml -o {0}/{1}", at.display(), crate::manifest::DEFAULT_PATH)
    };
    match members.as_slice() {
        [] => Err(Error::usage(
            neither,
            "distpack import reads cargo-deb's [package.metadata.deb] and cargo-generate-rpm's \
             [package.metadata.generate-rpm]; without them, start from `distpack init`",
        )),
        [member] => {
            let mut conversion = convert(&dir.join(member).join("Cargo.toml"))?;
            let message = format!(
                "the workspace's only member with packaging metadata is `{member}`: its manifest is written \
                 there (src paths are relative to the member's directory)"
            );
            conversion.notes.insert(0, Note { key: cargo_toml.display().to_string(), message });
            Ok(conversion)
        }
        several => Err(Error::usage(
            format!("{neither}; workspace members that have them: {}", several.join(", ")),
            format!(
                "import each member into its own manifest:\n{}",
                several.iter().map(|m| format!("  {}", command(m))).collect::<Vec<_>>().join("\n")
            ),
        )),
    }
}

/// The manifest to write, in distpack's terms.
#[derive(Debug, Default)]
struct Merged {
    package: BTreeMap<&'static str, Value>,
    deb: BTreeMap<&'static str, Value>,
    rpm: BTreeMap<&'static str, Value>,
    deb_scripts: BTreeMap<&'static str, String>,
    rpm_scripts: BTreeMap<&'static str, String>,
    units: BTreeMap<String, Vec<(&'static str, bool)>>,
    /// `[[directories]]`: path, owner, group.
    directories: Vec<(String, Option<String>, Option<String>)>,
    files: Vec<FileOut>,
    /// Which tables were read, for the header.
    sources: Vec<&'static str>,
}

/// One `[[files]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileOut {
    src: Option<String>,
    dest: Option<String>,
    kind: FileKind,
    mode: Option<u32>,
    owner: Option<String>,
    group: Option<String>,
    target: Option<String>,
    allow_special_modes: bool,
    /// `src` is outside the crate's directory (a workspace's files are).
    allow_outside_root: bool,
    /// The one format that gets the entry, when only one of the tools shipped it.
    only: Option<&'static str>,
    /// The key it came from, for notes.
    origin: String,
}

fn merge(deb: Option<Side>, rpm: Option<Side>, krate: &Crate, notes: &mut Vec<Note>) -> Merged {
    let mut out = Merged::default();
    if deb.is_some() {
        out.sources.push(DEB_TABLE);
    }
    if rpm.is_some() {
        out.sources.push(RPM_TABLE);
    }
    let (mut deb, mut rpm) = (deb.unwrap_or_default(), rpm.unwrap_or_default());
    let both = out.sources.len() == 2;
    let mut presets = units::take_presets(&mut deb.files, krate, notes);
    presets.extend(units::take_presets(&mut rpm.files, krate, notes));
    for key in FIELD_ORDER {
        let relation = RELATION_KEYS.contains(&key);
        match (deb.fields.get(key), rpm.fields.get(key)) {
            (Some(d), Some(r)) if d == r => {
                out.package.insert(key, d.clone());
            }
            (Some(d), Some(r)) => {
                out.deb.insert(key, d.clone());
                out.rpm.insert(key, r.clone());
            }
            (Some(d), None) if relation || (both && !SHARED_KEYS.contains(&key)) => {
                out.deb.insert(key, d.clone());
            }
            (None, Some(r)) if relation || (both && !SHARED_KEYS.contains(&key)) => {
                out.rpm.insert(key, r.clone());
            }
            (Some(v), None) | (None, Some(v)) => {
                out.package.insert(key, v.clone());
            }
            (None, None) => {}
        }
    }
    out.deb_scripts = deb.scripts;
    out.rpm_scripts = rpm.scripts;
    out.units = deb.units;
    // distpack's .rpm puts a license under the rpm's own name.
    let rpm_name = match out.rpm.get("name").or(out.package.get("name")) {
        Some(Value::Str(name)) => name.clone(),
        _ => krate.name().to_string(),
    };
    out.files = merge_files(deb.files, rpm.files, both, &rpm_name, notes);
    units::apply(&mut out, &deb.managed_units, &presets, notes);
    units::state_directories(&mut out, krate, notes);
    out
}

/// One `[[files]]` list from both tools' assets: the union, matched by destination; every
/// difference the single list cannot express is noted.
fn merge_files(deb: Vec<Asset>, rpm: Vec<Asset>, both: bool, rpm_name: &str, notes: &mut Vec<Note>) -> Vec<FileOut> {
    let key =
        |a: &Asset| if a.glob { format!("{}\0{}", a.src.as_deref().unwrap_or(""), a.dest) } else { a.dest.clone() };
    let mut rpm: Vec<Option<Asset>> = rpm.into_iter().map(Some).collect();
    let mut merged = Vec::new();
    let mut one_sided = Vec::new();
    for d in deb {
        let k = key(&d);
        // cargo-deb's license-file has no destination: it matches the rpm asset that installs it
        // where distpack's .rpm puts a `license` file, /usr/share/licenses/NAME/FILE.
        let matches = |r: &Asset| match d.dest.is_empty() {
            true => r.src == d.src && r.dest == license_dest(rpm_name, d.src.as_deref().unwrap_or("")),
            false => key(r) == k,
        };
        let found = rpm.iter_mut().find(|r| r.as_ref().is_some_and(matches)).and_then(Option::take);
        match found {
            Some(_) if d.dest.is_empty() => merged.push(d),
            Some(r) => merged.push(combine(d, r, notes)),
            None if d.dest.is_empty() && both => {
                let dest = license_dest(rpm_name, d.src.as_deref().unwrap_or(""));
                notes.push(Note {
                    key: d.origin.clone(),
                    message: format!(
                        "distpack's .rpm also installs it, as {dest} (%license); cargo-generate-rpm's does not"
                    ),
                });
                merged.push(d);
            }
            None => {
                one_sided.push(merged.len());
                merged.push(d);
            }
        }
    }
    for r in rpm.into_iter().flatten() {
        one_sided.push(merged.len());
        merged.push(r);
    }
    merged
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let entry = file_entry(a, notes);
            // A file only one tool ships stays in that format's package.
            match both && one_sided.contains(&i) {
                true => FileOut { only: Some(a.tool.format()), ..entry },
                false => entry,
            }
        })
        .collect()
}

/// Where distpack's .rpm installs a `license` file without `dest`.
fn license_dest(name: &str, src: &str) -> String {
    format!("/usr/share/licenses/{name}/{}", file_name(src))
}

/// The asset both tools install at the same path: cargo-deb's source and mode win where they
/// differ (the difference is noted), cargo-generate-rpm adds owner and group.
fn combine(d: Asset, r: Asset, notes: &mut Vec<Note>) -> Asset {
    let mut note = |message: String| notes.push(Note { key: r.origin.clone(), message });
    if d.src != r.src {
        note(format!(
            "`{}` comes from `{}` in cargo-deb and `{}` here; distpack installs one source: `{0}` from `{1}`",
            d.dest,
            d.src.as_deref().unwrap_or("-"),
            r.src.as_deref().unwrap_or("-")
        ));
    }
    let mode = match (d.mode, r.mode) {
        (Some(dm), Some(rm)) if dm != rm => {
            note(format!(
                "`{}` is {dm:04o} in cargo-deb and {rm:04o} here; distpack has one mode per file: {dm:04o}",
                d.dest
            ));
            Some(dm)
        }
        (dm, rm) => dm.or(rm),
    };
    if r.owner.as_deref().is_some_and(|o| o != "root") || r.group.as_deref().is_some_and(|g| g != "root") {
        note(format!(
            "`{}` is owned by {}:{} here and by root:root in cargo-deb's .deb; distpack uses {0}'s owner for both",
            d.dest,
            r.owner.as_deref().unwrap_or("root"),
            r.group.as_deref().unwrap_or("root"),
        ));
    }
    if d.config != r.config {
        let (yes, no) = if d.config {
            ("a conffile in cargo-deb", "not config = true here")
        } else {
            ("config here", "not a conffile in cargo-deb")
        };
        note(format!("`{}` is {yes} but {no}; distpack marks it configuration in every format", d.dest));
    }
    Asset { mode, owner: r.owner, group: r.group, config: d.config || r.config, doc: d.doc || r.doc, ..d }
}

/// The `[[files]]` entry for an asset: its kind inferred from where it goes.
fn file_entry(a: &Asset, notes: &mut Vec<Note>) -> FileOut {
    let mut note = |message: String| notes.push(Note { key: a.origin.clone(), message });
    let dest = a.dest.clone();
    let base = FileOut {
        src: a.src.clone(),
        dest: Some(dest.clone()).filter(|d| !d.is_empty()),
        kind: FileKind::Data,
        mode: None,
        owner: a.owner.clone().filter(|o| o != "root"),
        group: a.group.clone().filter(|g| g != "root"),
        target: None,
        allow_special_modes: false,
        allow_outside_root: a.src.as_deref().is_some_and(Crate::outside),
        only: None,
        origin: a.origin.clone(),
    };
    if let Some(target) = &a.link {
        return FileOut { kind: FileKind::Symlink, target: Some(target.clone()), ..base };
    }
    if a.dir {
        return FileOut { kind: FileKind::Dir, mode: a.mode.filter(|m| *m != 0o755), ..base };
    }
    // cargo-deb's license-file: no destination, folded into the .deb's copyright file.
    if dest.is_empty() {
        return FileOut { kind: FileKind::License, ..base };
    }
    let kind = kind_of(a, &dest);
    let under = |dir: &str| dest.starts_with(dir);
    if kind == FileKind::Data && under("/etc/") {
        note(format!(
            "`{dest}` is under /etc but not marked as configuration, so it is imported as `data`: upgrades \
             overwrite local edits; make it kind = \"config\" if administrators edit it"
        ));
    }
    if kind == FileKind::Man && !dest.ends_with(".gz") && !a.glob {
        note(format!(
            "distpack gzips manual pages (as cargo-deb does, cargo-generate-rpm does not): `{dest}` is installed \
             as `{dest}.gz` in every package"
        ));
    }
    let mut mode = a.mode;
    if kind == FileKind::Unit && mode.is_some_and(|m| m & 0o111 != 0) {
        note(format!("`{dest}` has executable bits; systemd units are installed 0644"));
        mode = None;
    }
    let special = mode.is_some_and(|m| m & 0o6002 != 0);
    // Omit what distpack does by default, so the manifest says only what is particular.
    let default_dest = match kind {
        FileKind::Binary => Some("/usr/bin/"),
        FileKind::Unit => Some("/usr/lib/systemd/system/"),
        _ => None,
    };
    let src_name = a.src.as_deref().map(file_name).unwrap_or("");
    let dest = match default_dest {
        Some(dir) if !a.glob && dest == format!("{dir}{src_name}") => None,
        _ => base.dest.clone(),
    };
    FileOut {
        kind,
        dest,
        mode: mode.filter(|m| *m != crate::plan::default_mode(kind)),
        allow_special_modes: special,
        ..base
    }
}

/// The kind of an asset, from where it goes.
fn kind_of(a: &Asset, dest: &str) -> FileKind {
    let file = if a.glob { String::new() } else { file_name(dest).to_string() };
    let executable = a.mode.is_some_and(|m| m & 0o111 != 0);
    let under = |dir: &str| dest.starts_with(dir);
    if ["/usr/lib/systemd/system/", "/lib/systemd/system/", "/etc/systemd/system/"].iter().any(|d| under(d))
        && [".service", ".socket", ".timer", ".path", ".mount", ".target"].iter().any(|e| file.ends_with(e))
    {
        FileKind::Unit
    } else if a.config {
        FileKind::Config
    } else if ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"].iter().any(|d| under(d)) || executable {
        FileKind::Binary
    } else if under("/usr/share/man/") {
        FileKind::Man
    } else if under("/usr/share/licenses/") {
        FileKind::License
    } else if under("/usr/share/doc/") || a.doc {
        FileKind::Doc
    } else {
        FileKind::Data
    }
}

fn file_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// An absolute destination from a tool's (possibly relative) one; `/` stays on a directory.
fn absolute(dest: &str) -> String {
    format!("/{}", dest.trim_start_matches("./").trim_start_matches('/'))
}

/// A mode written as an octal string (`"755"`, `"0644"`), as both tools take it.
fn parse_mode(value: &toml::Value) -> Option<u32> {
    match value {
        toml::Value::String(s) => u32::from_str_radix(s.trim(), 8).ok().filter(|m| *m <= 0o7777),
        toml::Value::Integer(n) => u32::try_from(*n).ok().filter(|m| *m <= 0o7777),
        _ => None,
    }
}

/// Why an absolute glob is not carried: it searches the build machine's whole file system, and
/// what it finds there is not the project's.
const ABSOLUTE_GLOB: &str = "is a glob over the whole file system, not carried: a package installs the project's files; \
     copy what it should install into the project and name it relative to the crate";

/// Glob characters: a source with one is a pattern.
fn is_glob(src: &str) -> bool {
    src.contains(['*', '?', '['])
}

/// Matches of a glob (a `src` relative to the crate, as [`Crate::source`] writes it), sorted,
/// files only, never through a symlinked directory (crate::walk).
fn glob_files(krate: &Crate, pattern: &str) -> Vec<String> {
    let Ok(paths) = crate::walk::glob_files(krate.dir, pattern) else { return Vec::new() };
    let mut out: Vec<String> = paths
        .into_iter()
        .filter_map(|p| p.strip_prefix(krate.dir).ok().map(|r| r.to_string_lossy().into_owned()))
        .collect();
    out.sort();
    out
}

/// The permission bits of a file in the crate, as cargo-deb reads them when an asset has no mode.
fn mode_on_disk(krate: &Crate, src: &str) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(krate.dir.join(src)).ok().filter(|m| m.is_file()).map(|m| m.permissions().mode() & 0o7777)
}

/// A relation list from a string (`"a, b (>= 1)"`) or an array, as cargo-deb takes them.
fn relation_list(value: &toml::Value) -> Option<Vec<String>> {
    let items: Vec<String> = match value {
        toml::Value::String(s) => s.split(',').map(str::to_string).collect(),
        toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => return None,
    };
    Some(items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_relations_parse_as_the_tools_write_them() {
        assert_eq!(parse_mode(&toml::Value::String("755".into())), Some(0o755));
        assert_eq!(parse_mode(&toml::Value::String("0640".into())), Some(0o640));
        assert_eq!(parse_mode(&toml::Value::String("9".into())), None);
        assert_eq!(
            relation_list(&toml::Value::String("libc6 (>= 2.31), adduser".into())),
            Some(vec!["libc6 (>= 2.31)".to_string(), "adduser".to_string()])
        );
    }

    #[test]
    fn the_fixtures_manifest_is_one_distpack_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/hello/Cargo.toml");
        let conversion = convert(&path).unwrap();
        let manifest: crate::manifest::Manifest = toml::from_str(&conversion.manifest).unwrap();
        assert_eq!(manifest.files.len(), 8, "{}", conversion.manifest);
        assert!(manifest.deb.is_some_and(|d| d.depends.is_some()) && manifest.rpm.is_some_and(|r| r.depends.is_some()));
    }

    #[test]
    fn globs_over_directories_stay_globs_that_keep_the_tools_layout() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["assets/a/x.png", "assets/b/y.png"] {
            std::fs::create_dir_all(dir.path().join(file).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(file), "png").unwrap();
        }
        let cargo_toml = dir.path().join("Cargo.toml");
        std::fs::write(
            &cargo_toml,
            r#"[package]
name = "demo"
version = "1.0.0"

[package.metadata.deb]
assets = [["assets/*/*.png", "usr/share/demo/", "644"], ["assets/*/x.png", "usr/share/flat/", "644"]]

[package.metadata.generate-rpm]
assets = [{ source = "assets/*/*.png", dest = "/usr/share/demo/", mode = "644" }]
"#,
        )
        .unwrap();
        let conversion = convert(&cargo_toml).unwrap();
        // Both tools keep a/x.png below the first globbed directory, as a distpack glob does.
        let entry = "[[files]]\nsrc = \"assets/*/*.png\"\ndest = \"/usr/share/demo/\"\nkind = \"data\"\n\n";
        assert!(conversion.manifest.contains(entry), "{}", conversion.manifest);
        // A pattern only in a directory: cargo-deb keeps the file name alone; listed.
        let listed = "src = \"assets/a/x.png\"\ndest = \"/usr/share/flat/x.png\"\nkind = \"data\"\n";
        assert!(conversion.manifest.contains(listed), "{}", conversion.manifest);
        let notes: Vec<_> = conversion.notes.iter().filter(|n| n.message.contains("listed one by one")).collect();
        assert_eq!(notes.len(), 1, "{:?}", conversion.notes);
    }
}
