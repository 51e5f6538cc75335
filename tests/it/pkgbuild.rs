//! AUR recipes: `.SRCINFO` byte-identical to `makepkg --printsrcinfo`, a `bin` PKGBUILD that
//! makepkg builds into the same package distpack writes, and `distpack aur` commits.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

const BUILDER: &str = "distpack-builder";

/// Run `sh -c script` in `dir` as an unprivileged user (makepkg refuses root): as root, a
/// dedicated user created on first use, who is given the directory.
fn as_builder(dir: &Path, script: &str) -> std::process::Output {
    require_tool("makepkg");
    let root = text(&run(Command::new("id").arg("-u")).stdout).trim() == "0";
    let mut cmd = if root {
        if !Command::new("id").arg(BUILDER).output().unwrap().status.success() {
            run(Command::new("useradd").args(["--system", "--create-home", BUILDER]));
        }
        run(Command::new("chown").arg("-R").arg(format!("{BUILDER}:")).arg(dir));
        let mut parent = dir.parent();
        while let Some(p) = parent.filter(|p| *p != Path::new("/")) {
            let _ = Command::new("chmod").arg("o+x").arg(p).status();
            parent = p.parent();
        }
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", BUILDER, "--", "sh", "-c", script]);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    };
    cmd.current_dir(dir).env("PKGEXT", ".pkg.tar.zst").env("HOME", dir).output().unwrap()
}

fn build(manifest: &Path, out: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let output = run(distpack().args(["build", "--no-build", "-m"]).arg(manifest).arg("-o").arg(out).args(extra));
    text(&output.stdout).lines().map(PathBuf::from).collect()
}

fn assert_srcinfo_matches_makepkg(recipe: &Path, what: &str) {
    let written = std::fs::read_to_string(recipe.join(".SRCINFO")).unwrap();
    let out = as_builder(recipe, "makepkg --printsrcinfo");
    assert!(out.status.success(), "{what}: makepkg --printsrcinfo failed:\n{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), written, "{what}: .SRCINFO differs from makepkg --printsrcinfo");
}

#[test]
fn example_builds_arch_package_and_recipe_together() {
    example_deb();
    let tmp = tempdir();
    let artifacts = build(&example_manifest(), tmp.path(), &["-f", "arch,pkgbuild"]);
    let names: Vec<String> =
        artifacts.iter().map(|p| p.strip_prefix(tmp.path()).unwrap().display().to_string()).collect();
    assert_eq!(
        names,
        ["healthd-1.4.2-1-x86_64.pkg.tar.zst", "healthd-1.4.2-x86_64.tar.gz", "healthd-pkgbuild/PKGBUILD"]
    );
    let recipe = tmp.path().join("healthd-pkgbuild");
    for file in ["PKGBUILD", ".SRCINFO", "healthd.install"] {
        assert!(recipe.join(file).is_file(), "{file} missing");
    }
    let pkgbuild = std::fs::read_to_string(recipe.join("PKGBUILD")).unwrap();
    assert!(pkgbuild.contains("install -Dm0755 'usr/bin/healthd' \"$pkgdir\"'/usr/bin/healthd'"), "{pkgbuild}");
    assert!(
        pkgbuild.contains("backup=('etc/healthd/healthd.toml')") && pkgbuild.contains("install=healthd.install"),
        "{pkgbuild}"
    );
}

#[test]
fn srcinfo_is_what_makepkg_prints_for_every_fixture_and_both_modes() {
    let mut projects: Vec<(String, Fixture)> =
        ["dynamic-user", "static-user", "no-install", "template", "socket", "timer", "no-units"]
            .iter()
            .map(|n| (n.to_string(), Fixture::copy_of(&format!("services/{n}"))))
            .collect();
    projects.push(("healthd".into(), Fixture::example_copy()));
    example_deb();
    for (name, fx) in &projects {
        let manifest = if name == "healthd" { fx.dir.path().join("packaging/distpack.toml") } else { fx.manifest() };
        let original = std::fs::read_to_string(&manifest).unwrap();
        // The manifest without its own [pkgbuild] table (up to the next table).
        let mut without = String::new();
        let mut skipping = false;
        for line in original.lines() {
            if line.starts_with('[') {
                skipping = line == "[pkgbuild]";
            }
            if !skipping {
                without += line;
                without += "\n";
            }
        }
        for mode in ["bin", "source"] {
            let table = format!(
                "\n[pkgbuild]\nmode = \"{mode}\"\nsource-url = \"https://example.org/dl/{{name}}-{{version}}-{{arch}}.tar.gz\"\n"
            );
            std::fs::write(&manifest, format!("{without}{table}")).unwrap();
            let out = fx.dir.path().join(format!("dist-{mode}"));
            let artifacts = build(&manifest, &out, &["-f", "pkgbuild"]);
            let recipe = artifacts.last().unwrap().parent().unwrap().to_path_buf();
            if mode == "source" {
                let pkgbuild = std::fs::read_to_string(recipe.join("PKGBUILD")).unwrap();
                assert!(
                    pkgbuild.contains("makedepends=('cargo')") && pkgbuild.contains("cargo build --frozen --release"),
                    "{pkgbuild}"
                );
                assert!(
                    pkgbuild.contains("cargo fetch --locked --target \"$(rustc -vV | sed -n 's/host: //p')\""),
                    "{pkgbuild}"
                );
            }
            assert_srcinfo_matches_makepkg(&recipe, &format!("{name} ({mode})"));
        }
    }
}

/// `.PKGINFO` without comments and the fields that differ between builds by design.
fn pkginfo_fields(package: &Path) -> Vec<String> {
    let pkginfo = text(&run(Command::new("bsdtar").arg("-xOf").arg(package).arg(".PKGINFO")).stdout);
    pkginfo
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("builddate") && !l.starts_with("packager"))
        .map(str::to_string)
        .collect()
}

/// (mode, owner, group, name) of every data entry.
fn data_listing(package: &Path) -> Vec<String> {
    let listing = text(&run(Command::new("bsdtar").arg("-tvf").arg(package)).stdout);
    listing
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| !c.last().unwrap().starts_with('.'))
        .map(|c| format!("{} {} {} {}", c[0], c[2], c[3], c.last().unwrap()))
        .collect()
}

#[test]
fn makepkg_builds_the_bin_recipe_into_the_same_package() {
    example_deb();
    let tmp = tempdir();
    let artifacts = build(&example_manifest(), tmp.path(), &["-f", "arch,pkgbuild"]);
    let ours = &artifacts[0];
    let recipe = tmp.path().join("healthd-pkgbuild");
    // makepkg uses a source that is already in the recipe's directory instead of downloading it.
    std::fs::copy(&artifacts[1], recipe.join(artifacts[1].file_name().unwrap())).unwrap();
    let out = as_builder(&recipe, "makepkg -f --nodeps");
    assert!(out.status.success(), "makepkg failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    let theirs = recipe.join("healthd-1.4.2-1-x86_64.pkg.tar.zst");
    assert_eq!(data_listing(&theirs), data_listing(ours));
    assert_eq!(pkginfo_fields(&theirs), pkginfo_fields(ours));
    let install = |p: &Path| text(&run(Command::new("bsdtar").arg("-xOf").arg(p).arg(".INSTALL")).stdout);
    assert_eq!(install(&theirs), install(ours));
}

#[test]
fn aur_commits_exactly_the_recipe_into_a_new_repository() {
    example_deb();
    let tmp = tempdir();
    let repo_dir = tmp.path().join("aur");
    let out = run(distpack().args(["aur", "--no-build", "-m"]).arg(example_manifest()).arg("--repo").arg(&repo_dir));
    let commit = text(&out.stdout).trim().to_string();
    let git = |args: &[&str]| text(&run(Command::new("git").arg("-C").arg(&repo_dir).args(args)).stdout);
    assert_eq!(git(&["rev-parse", "HEAD"]).trim(), commit);
    let files = git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.lines().collect::<Vec<_>>(), [".SRCINFO", "PKGBUILD", "healthd.install"]);
    assert_eq!(git(&["log", "-1", "--format=%s"]).trim(), "Update to 1.4.2-1");
    assert_srcinfo_matches_makepkg(&repo_dir, "aur checkout");
    // A directory that is neither empty nor a checkout is refused.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    let refused = distpack()
        .args(["aur", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("--repo")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("neither an empty directory nor a git checkout"),
        "{}",
        text(&refused.stderr)
    );
}

/// `{upstream}` is the version as the project tags it; `{version}` is pkgver, which makepkg
/// allows no `-` in.
#[test]
fn source_url_names_the_tag_with_upstream() {
    let fx = Fixture::new(
        "[package]\nname = \"tagged\"\nversion = \"2.0.0-alpha.1\"\nsummary = \"s\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\n\n[pkgbuild]\nsource-url = \"https://example.org/v{upstream}/{name}-{version}-{arch}.tar.gz\"\n\n[[files]]\nsrc = \"notes.txt\"\nkind = \"doc\"\n",
        &[("notes.txt", "n\n")],
    );
    let out = fx.dir.path().join("dist");
    run(distpack().args(["build", "-f", "pkgbuild", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    let srcinfo = std::fs::read_to_string(out.join("tagged-pkgbuild/.SRCINFO")).unwrap();
    assert!(srcinfo.contains("https://example.org/v2.0.0-alpha.1/tagged-2.0.0alpha.1-x86_64.tar.gz"), "{srcinfo}");
}

/// Without [pkgbuild], a project whose homepage is its GitHub repository gets the bin recipe that
/// downloads from the `v{upstream}` release the generated CI publishes; makepkg reads it as
/// distpack wrote it. Without such a homepage, `-f pkgbuild` says what to add.
#[test]
fn a_forge_homepage_is_the_default_source_of_the_recipe() {
    let package = "[package]\nname = \"forged\"\nversion = \"2.0.0-rc.1\"\nsummary = \"s\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\n";
    let files = "\n[[files]]\nsrc = \"notes.txt\"\nkind = \"doc\"\n";
    let fx = Fixture::new(
        &format!("{package}homepage = \"https://github.com/example/forged\"\n{files}"),
        &[("notes.txt", "n\n")],
    );
    let out = fx.dir.path().join("dist");
    let artifacts = build(&fx.manifest(), &out, &["-f", "pkgbuild"]);
    let recipe = artifacts.last().unwrap().parent().unwrap().to_path_buf();
    let srcinfo = std::fs::read_to_string(recipe.join(".SRCINFO")).unwrap();
    assert!(
        srcinfo
            .contains("https://github.com/example/forged/releases/download/v2.0.0-rc.1/forged-2.0.0rc.1-x86_64.tar.gz"),
        "{srcinfo}"
    );
    assert!(out.join("forged-2.0.0rc.1-x86_64.tar.gz").is_file());
    assert_srcinfo_matches_makepkg(&recipe, "forge default");

    std::fs::write(fx.manifest(), format!("{package}homepage = \"https://example.org/forged\"\n{files}")).unwrap();
    let refused = distpack().args(["build", "-f", "pkgbuild", "--no-build", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("needs a [pkgbuild] table, or a homepage"), "{stderr}");
    assert!(stderr.contains("source-url"), "{stderr}");
}
