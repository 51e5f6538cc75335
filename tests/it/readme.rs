//! What the README tells a user to type, run verbatim from a clean copy of the repository.

use std::path::Path;
use std::process::Command;

use crate::support::*;

/// The `sh` block under a README heading, and the paragraph after it.
fn section(heading: &str) -> (Vec<String>, String) {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let body = readme.split_once(&format!("\n## {heading}\n")).unwrap_or_else(|| panic!("no ## {heading}")).1;
    let block = body.split_once("```sh\n").unwrap().1;
    let (code, after) = block.split_once("\n```\n").unwrap();
    let commands =
        code.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect();
    let paragraph = after.trim_start().split("\n\n").next().unwrap().to_string();
    (commands, paragraph)
}

/// The files git tracks, copied as a fresh clone would have them (no target/, no dist/).
fn clean_copy(to: &Path) {
    let files = text(&run(Command::new("git").arg("-C").arg(repo()).args(["ls-files", "-z"])).stdout);
    for file in files.split('\0').filter(|f| !f.is_empty()) {
        let from = repo().join(file);
        if !from.is_file() {
            continue;
        }
        let dest = to.join(file);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap();
    }
}

#[test]
fn the_two_commands_run_verbatim_from_a_clean_copy() {
    let (commands, promised) = section("Two commands");
    assert_eq!(commands.last().map(String::as_str), Some("ci/test"), "the second command is the test command");
    // ci/test is what CI runs (.ci/run calls it); running it from inside the suite would recurse.
    let ci_run = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(ci_run.lines().any(|l| l.trim() == "exec ci/test"), "{ci_run}");
    let copy = tempdir();
    clean_copy(copy.path());
    for command in &commands[..commands.len() - 1] {
        // Typed as written; only cargo's build cache is shared with this checkout so the
        // dependencies are not compiled again.
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(copy.path())
            .env("CARGO_TARGET_DIR", repo().join("target/readme"))
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap();
        assert!(out.status.success(), "`{command}` failed:\n{}{}", text(&out.stdout), text(&out.stderr));
    }
    let paths: Vec<&str> = promised.split('`').skip(1).step_by(2).filter(|s| s.starts_with("dist/")).collect();
    assert!(paths.len() >= 6, "the README names what the first command writes:\n{promised}");
    for path in paths {
        assert!(copy.path().join(path).exists(), "the README promises {path}, which is not there:\n{promised}");
    }
}

/// "Publish a repository": its commands, typed as written in a clean copy with distpack on PATH,
/// make a tree that apt, dnf and pacman can add (each format's own tests drive those clients).
#[test]
fn the_publish_commands_run_verbatim_from_a_clean_copy() {
    let (commands, _) = section("Publish a repository");
    assert!(commands.iter().any(|c| c.starts_with("distpack repo publish ")), "{commands:?}");
    let copy = tempdir();
    clean_copy(copy.path());
    let bin = Path::new(env!("CARGO_BIN_EXE_distpack")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for command in &commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(copy.path())
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", repo().join("target/readme-publish"))
            .env_remove("DISTPACK_PGP_PASSPHRASE")
            .output()
            .unwrap();
        assert!(out.status.success(), "`{command}` failed:\n{}{}", text(&out.stdout), text(&out.stderr));
    }
    let public = copy.path().join("public");
    for snippet in ["healthd.sources", "healthd.repo", "pacman.conf", "healthd.asc", "healthd.gpg"] {
        assert!(public.join(snippet).is_file(), "the tree's top has {snippet}");
    }
    for index in ["deb/dists/stable/InRelease", "rpm/repodata/repomd.xml", "arch/x86_64/healthd.db"] {
        assert!(public.join(index).exists(), "the tree has {index}");
    }
}
