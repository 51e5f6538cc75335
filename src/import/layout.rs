//! Where a crate's files are, as the tools see them: the workspace root (cargo-generate-rpm, run
//! with `-p` from there, looks for sources there first) and cargo's target directory (both tools
//! read `target/release/X` from it, which in a workspace is not the member's own `target/`).

use std::path::{Component, Path, PathBuf};

/// A crate's workspace and target directory, both canonical.
pub(super) struct Layout {
    /// The crate's own directory, canonical.
    pub dir: PathBuf,
    pub workspace: PathBuf,
    pub target_dir: PathBuf,
    /// Why cargo was not asked, or did not answer.
    pub note: Option<String>,
}

/// Ask cargo (`cargo metadata --no-deps`), which knows `[workspace]`, `CARGO_TARGET_DIR` and
/// `.cargo/config.toml`; a checkout cargo cannot load (members missing) falls back to the nearest
/// `[workspace]` above and `target/` in it.
pub(super) fn layout(cargo_toml: &Path, dir: &Path) -> Layout {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match cargo_metadata(cargo_toml) {
        Ok(meta) => {
            let path = |key: &str| meta.get(key).and_then(|v| v.as_str()).map(PathBuf::from);
            let workspace = path("workspace_root").unwrap_or_else(|| dir.clone());
            let target_dir = path("target_directory").unwrap_or_else(|| workspace.join("target"));
            Layout { dir, workspace, target_dir, note: None }
        }
        Err(why) => {
            let workspace = workspace_above(&dir).unwrap_or_else(|| dir.clone());
            let from_env = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"].iter().find_map(std::env::var_os);
            let target_dir = from_env.map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
            let note = format!(
                "`cargo metadata` did not answer ({why}); binaries are taken from `{}`, the target directory \
                 cargo uses by default for the workspace",
                relative(&dir, &target_dir)
            );
            Layout { dir, workspace, target_dir, note: Some(note) }
        }
    }
}

fn cargo_metadata(cargo_toml: &Path) -> Result<serde_json::Value, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(cargo_toml)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").trim();
        return Err(crate::limits::printable(first.strip_prefix("error: ").unwrap_or(first)).to_string());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("unreadable output: {e}"))
}

/// The nearest directory at or above `dir` whose Cargo.toml has a `[workspace]` table.
pub(super) fn workspace_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| has_workspace(&d.join("Cargo.toml"))).map(Path::to_path_buf)
}

fn has_workspace(cargo_toml: &Path) -> bool {
    let Ok(text) = crate::limits::read_text(cargo_toml, crate::limits::MAX_MANIFEST) else { return false };
    text.parse::<toml::Table>().is_ok_and(|t| t.contains_key("workspace"))
}

/// `to` as a path relative to `from` (both absolute and canonical), `..` where it climbs out; the
/// absolute path when they share nothing but `/`.
pub(super) fn relative(from: &Path, to: &Path) -> String {
    let (a, b): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common <= 1 {
        return to.to_string_lossy().into_owned();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// Workspace members (directories, relative to `root`) whose Cargo.toml has cargo-deb's or
/// cargo-generate-rpm's table, sorted.
pub(super) fn members_with_metadata(root: &Path, workspace: &toml::Table) -> Vec<String> {
    let list = |key: &str| -> Vec<String> {
        workspace
            .get(key)
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let excluded = list("exclude");
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut found = Vec::new();
    for pattern in list("members") {
        let Ok(paths) = glob::glob(&root.join(&pattern).to_string_lossy()) else { continue };
        for dir in paths.flatten().filter(|p| p.is_dir()) {
            let Ok(relative) = dir.strip_prefix(&root) else { continue };
            let relative = relative.to_string_lossy().into_owned();
            if !excluded.contains(&relative) && !found.contains(&relative) && has_metadata(&dir.join("Cargo.toml")) {
                found.push(relative);
            }
        }
    }
    found.sort();
    found
}

fn has_metadata(cargo_toml: &Path) -> bool {
    let Ok(text) = crate::limits::read_text(cargo_toml, crate::limits::MAX_MANIFEST) else { return false };
    let Ok(table) = text.parse::<toml::Table>() else { return false };
    let metadata = table.get("package").and_then(|p| p.get("metadata"));
    metadata.is_some_and(|m| m.get("deb").is_some() || m.get("generate-rpm").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_with_dot_dot() {
        assert_eq!(relative(Path::new("/w/src/main"), Path::new("/w/target")), "../../target");
        assert_eq!(relative(Path::new("/w/a"), Path::new("/w/a/target")), "target");
        assert_eq!(relative(Path::new("/w/a"), Path::new("/elsewhere/t")), "/elsewhere/t");
    }
}
