//! Globs over a project's files that never leave it by accident. The `glob` crate's walker
//! follows symbolic links to directories, with no option not to: `units/{a,b,c} -> .` and `**`
//! multiply without end, and `/**/*.service` walks the whole file system. Here `walkdir` walks
//! (it does not descend into a symlinked directory unless asked) from the pattern's literal
//! prefix, only as deep as the pattern reaches, and `glob::Pattern` matches.

use std::path::{Component, Path, PathBuf};

/// Entries a glob may visit before it is refused as far too broad.
pub const MAX_VISITED: usize = 1_000_000;

/// Regular files (or symbolic links to regular files) under `root` that match the glob
/// `pattern` (relative to `root`, or absolute), sorted. A symbolic link to a directory is never
/// followed.
pub fn glob_files(root: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let is_file = |entry: &walkdir::DirEntry| {
        if entry.file_type().is_symlink() {
            std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file())
        } else {
            entry.file_type().is_file()
        }
    };
    Ok(glob_matches(root, pattern)?.into_iter().filter(is_file).map(walkdir::DirEntry::into_path).collect())
}

/// Everything under `root` that matches the glob `pattern` (files, directories, symbolic links
/// and the rest, each as found, links not followed), sorted by path.
pub fn glob_matches(root: &Path, pattern: &str) -> Result<Vec<walkdir::DirEntry>, String> {
    let full = root.join(pattern);
    let full_text = full.to_string_lossy().into_owned();
    let matcher = glob::Pattern::new(&full_text).map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?;
    let options = glob::MatchOptions { require_literal_separator: true, ..glob::MatchOptions::new() };
    // The walk starts at the longest leading run of components without wildcards.
    let mut base = PathBuf::new();
    let mut rest = Vec::new();
    for component in full.components() {
        let text = component.as_os_str().to_string_lossy();
        if rest.is_empty() && !text.contains(['*', '?', '[']) {
            base.push(component);
        } else {
            rest.push(text.into_owned());
        }
    }
    let depth = if rest.iter().any(|c| c.contains("**")) { usize::MAX } else { rest.len() };
    let mut found = Vec::new();
    for (visited, entry) in
        walkdir::WalkDir::new(&base).follow_links(false).min_depth(1).max_depth(depth).into_iter().enumerate()
    {
        if visited >= MAX_VISITED {
            return Err(format!("`{pattern}` visits more than {MAX_VISITED} entries"));
        }
        let Ok(entry) = entry else { continue };
        if matcher.matches_path_with(entry.path(), options) {
            found.push(entry);
        }
    }
    found.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(found)
}

/// Whether `path` (relative to `root`, or absolute) names something outside `root`: absolute,
/// climbing with `..`, or resolving there through a symbolic link.
pub fn outside_root(root: &Path, path: &Path) -> bool {
    if path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir)) {
        return true;
    }
    match (root.join(path).canonicalize(), root.canonicalize()) {
        (Ok(real), Ok(root)) => !real.starts_with(root),
        _ => false,
    }
}
