//! `distpack aur`: put the recipe into an AUR git checkout and commit it (and push with `--push`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, IoContext, Result};

/// Files of a recipe directory that belong in the AUR repository (release tarballs do not).
fn recipe_files(recipe_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(recipe_dir)
        .io("cannot read", recipe_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn git(repo: &Path, args: &[&str]) -> Result<String> {
    let out = crate::error::run_captured(
        Command::new("git").arg("-C").arg(repo).args(args),
        format!("git {}", args.join(" ")),
        "install git".into(),
        "check the repository and your git configuration".into(),
    )?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `makepkg --printsrcinfo` in `dir`, when makepkg can run here (it refuses to run as root).
fn makepkg_srcinfo(dir: &Path) -> Option<String> {
    let root =
        Command::new("id").arg("-u").output().ok().is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        return None;
    }
    let out = Command::new("makepkg").arg("--printsrcinfo").current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Copy the recipe from `recipe_dir` into `repo` (a git checkout, created when the directory is
/// empty or missing), commit it as `version`, and push when asked. Returns the commit id.
pub fn publish(
    recipe_dir: &Path,
    repo: &Path,
    version: &str,
    identity: &str,
    push: bool,
    log: &dyn Fn(&str),
) -> Result<String> {
    let files = recipe_files(recipe_dir)?;
    if let Some(expected) = makepkg_srcinfo(recipe_dir) {
        let written =
            std::fs::read_to_string(recipe_dir.join(".SRCINFO")).io("cannot read", &recipe_dir.join(".SRCINFO"))?;
        if expected != written {
            return Err(Error::invalid(
                "the generated .SRCINFO differs from `makepkg --printsrcinfo`; nothing was committed",
                "this is a bug in distpack; please report it with the manifest",
            ));
        }
    } else {
        log("makepkg cannot run here (missing, or running as root): .SRCINFO not cross-checked");
    }
    std::fs::create_dir_all(repo).io("cannot create", repo)?;
    if !repo.join(".git").exists() {
        let empty = std::fs::read_dir(repo).io("cannot read", repo)?.next().is_none();
        if !empty {
            return Err(Error::invalid(
                format!("{} is neither an empty directory nor a git checkout", repo.display()),
                "clone the AUR repository there (git clone ssh://aur@aur.archlinux.org/NAME.git), or pass an empty directory",
            ));
        }
        git(repo, &["init", "-q", "-b", "master"])?;
    }
    let mut names = Vec::new();
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        std::fs::copy(file, repo.join(&name)).io("cannot copy into", repo)?;
        names.push(name);
    }
    let mut add = vec!["add", "--"];
    add.extend(names.iter().map(String::as_str));
    git(repo, &add)?;
    // A CI job may have no git identity; the package's maintainer stands in then.
    let has_identity = git(repo, &["config", "user.email"]).is_ok();
    let (name, email) = identity
        .split_once('<')
        .map(|(n, e)| (n.trim().to_string(), e.trim_end_matches('>').trim().to_string()))
        .unwrap_or((identity.to_string(), String::new()));
    let message = format!("Update to {version}");
    let mut commit: Vec<String> = Vec::new();
    if !has_identity {
        commit.extend(["-c".into(), format!("user.name={name}"), "-c".into(), format!("user.email={email}")]);
    }
    commit.extend(["commit".into(), "-q".into(), "-m".into(), message]);
    let commit_args: Vec<&str> = commit.iter().map(String::as_str).collect();
    git(repo, &commit_args)?;
    let id = git(repo, &["rev-parse", "HEAD"])?.trim().to_string();
    log(&format!("committed {} in {}", names.join(", "), repo.display()));
    if push {
        git(repo, &["push", "-q", "origin", "HEAD"])?;
        log("pushed");
    }
    Ok(id)
}
