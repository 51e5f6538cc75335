//! Directory trees in `[[files]]`: the directory a `recursive = true` entry names, or what a glob
//! matches below its fixed prefix, read as files, empty directories and symbolic links, with the
//! entry's `exclude` globs left out. A tree is installed as it is on disk, so a link inside it
//! stays a link; no symbolic link to a directory is ever followed.

use std::path::{Path, PathBuf};

use crate::walk::MAX_VISITED;

/// One path of a tree, relative to the tree's root (`""` for the root itself).
pub(super) struct Node {
    pub rel: String,
    pub kind: NodeKind,
}

pub(super) enum NodeKind {
    File {
        path: PathBuf,
        size: u64,
    },
    /// A directory with nothing in it on disk. A directory with contents needs no entry of its
    /// own: the plan adds every parent directory.
    EmptyDir,
    /// A symbolic link whose target stays inside the tree, kept as written.
    Link {
        target: String,
    },
}

/// What a tree does with a symbolic link that leads out of it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum LinksOut {
    /// A recursive entry copies a directory as it is: a link out of it would point into the
    /// installed system's own files, so it is refused.
    Refuse,
    /// A glob names files, and a link it matches has always meant the file it points to.
    Follow,
}

/// A (message, help) pair, reported at the entry's `src`.
pub(super) type Problem = (String, String);

/// How a tree is read.
pub(super) struct Walk<'a> {
    /// The project root, which sources stay inside unless `allow_outside`.
    pub project: &'a Path,
    /// The tree's root: the recursive directory, or the glob's fixed prefix.
    pub tree: &'a Path,
    /// The `src` as written (placeholders expanded), for messages.
    pub pattern: &'a str,
    pub excludes: &'a Excludes,
    pub links_out: LinksOut,
    pub allow_outside: bool,
    /// The tree's root resolves inside the project. The walk follows no link, so then every
    /// entry it reaches that is not a link is inside too: only links need resolving, not each of
    /// tens of thousands of files (a canonicalize is a readlink per path component).
    pub root_inside: bool,
}

const OPTIONS: glob::MatchOptions =
    glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: false };

/// An entry's `exclude` globs.
#[derive(Default)]
pub(super) struct Excludes(Vec<glob::Pattern>);

impl Excludes {
    /// The globs compiled, or the index of the first invalid one and why.
    pub fn new<'t>(patterns: impl IntoIterator<Item = &'t str>) -> Result<Excludes, (usize, String)> {
        let compiled: Result<Vec<_>, _> = patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                glob::Pattern::new(p.trim_matches('/')).map_err(|e| (i, format!("`{p}` is not a valid glob: {e}")))
            })
            .collect();
        compiled.map(Excludes)
    }

    /// Whether `rel` or a directory above it matches: leaving out a directory leaves out all in it.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut path = rel;
        while !path.is_empty() {
            if self.0.iter().any(|p| p.matches_with(path, OPTIONS)) {
                return true;
            }
            path = path.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
        false
    }
}

/// Everything in the directory `w.tree`, in sorted order, its subdirectories walked without
/// following links. Excluded directories are not entered.
pub(super) fn walk_dir(w: &Walk) -> Result<Vec<Node>, Problem> {
    let walker = walkdir::WalkDir::new(w.tree).follow_links(false).sort_by_file_name().into_iter();
    let mut nodes = Vec::new();
    for (visited, entry) in walker.filter_entry(|e| !w.excludes.excludes(&rel_of(w.tree, e.path()))).enumerate() {
        if visited >= MAX_VISITED {
            return Err((
                format!("`{}` holds more than {MAX_VISITED} entries", w.pattern),
                "name a smaller directory, or leave parts out with exclude = [\"dir\"]".into(),
            ));
        }
        let entry =
            entry.map_err(|e| (format!("cannot read `{}`: {e}", w.pattern), "make the tree readable".into()))?;
        let rel = rel_of(w.tree, entry.path());
        if let Some(kind) = node_kind(w, &rel, entry.path(), entry.file_type())? {
            nodes.push(Node { rel, kind });
        }
    }
    Ok(nodes)
}

/// What the glob `w.pattern` matches below its fixed prefix `w.tree`, excludes left out. A link
/// to something else the glob installs stays a link; any other link is followed to its file, as
/// a glob always did, so a link into a part the glob leaves out does not dangle.
pub(super) fn glob_tree(w: &Walk) -> Result<Vec<Node>, Problem> {
    let matches = crate::walk::glob_matches(w.project, w.pattern)
        .map_err(|why| (why, "fix the pattern; * ? [...] and ** are supported".to_string()))?;
    let mut found = Vec::new();
    for entry in matches {
        let rel = rel_of(w.tree, entry.path());
        if w.excludes.excludes(&rel) {
            continue;
        }
        if let Some(kind) = node_kind(w, &rel, entry.path(), entry.file_type())? {
            found.push((entry.into_path(), Node { rel, kind }));
        }
    }
    let installed: std::collections::BTreeSet<String> = found.iter().map(|(_, n)| n.rel.clone()).collect();
    let mut nodes = Vec::new();
    for (path, node) in found {
        let kind = match &node.kind {
            NodeKind::Link { target } if !installs(&installed, &resolve(&node.rel, target)) => follow(w, &path)?,
            _ => Some(node.kind),
        };
        nodes.extend(kind.map(|kind| Node { rel: node.rel, kind }));
    }
    Ok(nodes)
}

/// Whether `rel`, or something below it, is among the `installed` paths.
fn installs(installed: &std::collections::BTreeSet<String>, rel: &str) -> bool {
    let below = format!("{rel}/");
    installed.contains(rel) || installed.range(below.clone()..).next().is_some_and(|p| p.starts_with(&below))
}

/// The path, relative to the tree's root, that a link at `rel` to the relative `target` names
/// (a target that stays inside the tree).
fn resolve(rel: &str, target: &str) -> String {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// `path` relative to `tree`, with `/` between components.
pub(super) fn rel_of(tree: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(tree).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// What the tree installs for the path `rel`: a file, an empty directory, a link, or nothing (a
/// directory with contents, a link a glob follows to no file).
fn node_kind(w: &Walk, rel: &str, path: &Path, file_type: std::fs::FileType) -> Result<Option<NodeKind>, Problem> {
    if file_type.is_dir() {
        let empty = std::fs::read_dir(path).map(|mut d| d.next().is_none()).unwrap_or(false);
        return Ok(empty.then_some(NodeKind::EmptyDir));
    }
    if file_type.is_symlink() {
        return link(w, rel, path);
    }
    if file_type.is_file() {
        return file(w, path, false).map(Some);
    }
    Err((
        format!(
            "`{}` in `{}` is not a regular file, directory or symbolic link (a device, FIFO or socket)",
            rel, w.pattern
        ),
        format!("remove it, or leave it out with exclude = [\"{rel}\"]"),
    ))
}

/// A regular file of the tree (or a file a glob's link leads to), checked to be in the project.
fn file(w: &Walk, path: &Path, through_link: bool) -> Result<NodeKind, Problem> {
    let unknown = through_link || !w.root_inside;
    if !w.allow_outside && unknown && crate::walk::outside_root(w.project, path.strip_prefix(w.project).unwrap_or(path))
    {
        return Err((
            format!("`{}` matches {}, which resolves outside the project root", w.pattern, path.display()),
            "keep sources inside the project, or set allow-outside-root = true on this entry".into(),
        ));
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(NodeKind::File { path: path.to_path_buf(), size })
}

/// A symbolic link of the tree: kept when its target stays inside the tree, otherwise refused or
/// followed to a file as `w.links_out` says.
fn link(w: &Walk, rel: &str, path: &Path) -> Result<Option<NodeKind>, Problem> {
    let target = std::fs::read_link(path)
        .map_err(|e| (format!("cannot read the link {}: {e}", path.display()), "make it readable".into()))?;
    let Some(target) = target.to_str().filter(|t| !t.chars().any(char::is_control)) else {
        return Err((
            format!(
                "the link `{}` in `{}` has a target that is not UTF-8 or holds a control character",
                rel, w.pattern
            ),
            format!("rename its target, or leave it out with exclude = [\"{rel}\"]"),
        ));
    };
    if !leaves_tree(rel, target) {
        return Ok(Some(NodeKind::Link { target: target.to_string() }));
    }
    match w.links_out {
        LinksOut::Refuse => Err((
            format!(
                "`{}/{rel}` is a symbolic link to `{target}`, which leads out of the tree",
                w.pattern.trim_end_matches('/')
            ),
            format!(
                "point it inside the tree with a relative target, leave it out with exclude = [\"{rel}\"], or install the link with its own kind = \"symlink\" entry"
            ),
        )),
        LinksOut::Follow => follow(w, path),
    }
}

/// The file a glob's link leads to; nothing for a link to a directory (never followed) or to
/// nothing at all.
fn follow(w: &Walk, path: &Path) -> Result<Option<NodeKind>, Problem> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => file(w, path, true).map(Some),
        _ => Ok(None),
    }
}

/// Whether the link at `rel` (relative to the tree's root) points out of the tree: an absolute
/// target, or one whose `..` climb above the root.
fn leaves_tree(rel: &str, target: &str) -> bool {
    target.starts_with('/') || super::files::escapes_root(&format!("/{rel}"), target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluding_a_directory_excludes_what_is_in_it() {
        let ex = Excludes::new(["js/vendor", "**/*.map"]).unwrap();
        assert!(ex.excludes("js/vendor"));
        assert!(ex.excludes("js/vendor/lib.js"));
        assert!(ex.excludes("app.js.map"));
        assert!(ex.excludes("js/app.js.map"));
        assert!(!ex.excludes("js/app.js"));
        assert!(!ex.excludes("vendor/lib.js"), "a path with a slash is anchored at the root");
        assert!(!ex.excludes(""));
        assert_eq!(Excludes::new(["ok", "[bad"]).err().map(|(i, _)| i), Some(1));
    }

    #[test]
    fn links_may_not_climb_out_of_the_tree() {
        assert!(!leaves_tree("latest", "js/app.js"));
        assert!(!leaves_tree("js/vendor/cur", "../app.js"));
        assert!(leaves_tree("bad", "../../etc/passwd"));
        assert!(leaves_tree("js/up", "../../x"));
        assert!(leaves_tree("abs", "/etc/passwd"));
    }

    #[test]
    fn a_link_names_a_path_of_the_tree() {
        assert_eq!(resolve("latest", "js/app.js"), "js/app.js");
        assert_eq!(resolve("js/vendor/cur", "../app.js"), "js/app.js");
        assert_eq!(resolve("a/b", "./c/../d"), "a/d");
        let installed = ["js/app.js".to_string(), "jsx".to_string()].into_iter().collect();
        assert!(installs(&installed, "js/app.js"));
        assert!(installs(&installed, "js"), "a link to a directory the glob fills");
        assert!(!installs(&installed, "j"));
        assert!(!installs(&installed, "css"));
    }
}
