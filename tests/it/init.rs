//! `distpack init` scaffolds a manifest and a unit that build a clean package.

use std::process::Command;

use crate::support::*;

#[test]
fn init_scaffolds_a_project_that_checks_clean() {
    for profile in ["network-service", "package-manager", "raw-socket-agent"] {
        let project = Fixture::new(
            "",
            &[(
                "Cargo.toml",
                "[package]\nname = \"demo-agent\"\nversion = \"0.3.0\"\ndescription = \"Demo agent\"\nauthors = [\"Dev <dev@example.org>\"]\nlicense = \"MIT\"\n",
            )],
        );
        let dir = project.dir.path();
        let out = run(distpack().args(["init", "--profile", profile, "--dir"]).arg(dir));
        let written = text(&out.stdout);
        assert!(
            written.contains("units/demo-agent.service") && written.contains("packaging/distpack.toml"),
            "{written}"
        );
        let unit = std::fs::read_to_string(dir.join("units/demo-agent.service")).unwrap();
        assert!(
            unit.contains("ExecStart=/usr/bin/demo-agent") && !unit.contains("example-service"),
            "{profile}:\n{unit}"
        );

        // Stand in for `cargo build`: the binary the manifest names.
        let bin = dir.join(format!("target/{}/release/demo-agent", host_triple()));
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, "#!/bin/sh\nexec sleep infinity\n").unwrap();
        let manifest = dir.join("packaging/distpack.toml");
        let check = distpack().args(["check", "--json", "--no-build", "-m"]).arg(&manifest).output().unwrap();
        assert_eq!(text(&check.stdout).trim(), "[]", "{profile}: {}", text(&check.stderr));
        let deb = text(
            &run(distpack()
                .args(["build", "-f", "deb", "--no-build", "-m"])
                .arg(&manifest)
                .arg("-o")
                .arg(dir.join("dist")))
            .stdout,
        );
        let listing = text(&run(Command::new("dpkg-deb").arg("--contents").arg(deb.trim())).stdout);
        assert!(listing.contains(" usr/lib/systemd/system/demo-agent.service"), "{listing}");

        // A second init keeps what is there.
        let again = distpack().args(["init", "--profile", profile, "--dir"]).arg(dir).output().unwrap();
        assert_eq!(again.status.code(), Some(1));
        assert!(text(&again.stderr).contains("already exists") && text(&again.stderr).contains("--force"));
    }
}

#[test]
fn init_names_the_profiles_when_one_is_unknown() {
    let project = Fixture::new("", &[("Cargo.toml", "[package]\nname = \"x\"\nversion = \"0.1.0\"\n")]);
    let out = distpack().args(["init", "--profile", "web", "--dir"]).arg(project.dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("network-service, package-manager, raw-socket-agent"), "{}", text(&out.stderr));
}

/// `cargo new x && cd x && distpack init && distpack check && distpack build`, with no hand edit:
/// the maintainer comes from git's configuration, the summary from the crate's name, and `check`
/// builds the binary as `build` does.
#[test]
fn a_new_cargo_project_is_packaged_after_init_with_no_hand_edit() {
    let home = tempdir();
    let gitconfig = home.path().join("gitconfig");
    std::fs::write(&gitconfig, "[user]\n\tname = Dev Eloper\n\temail = dev@example.org\n").unwrap();
    let in_dir = |dir: &std::path::Path, program: &str, args: &[&str]| {
        let mut cmd = if program == "distpack" { distpack() } else { Command::new(program) };
        cmd.args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", &gitconfig)
            .env("CARGO_TARGET_DIR", dir.join("elsewhere"));
        cmd
    };
    run(&mut in_dir(home.path(), "cargo", &["new", "--quiet", "--vcs", "none", "newsvc"]));
    let project = home.path().join("newsvc");
    let init = run(&mut in_dir(&project, "distpack", &["init"]));
    assert!(text(&init.stderr).contains("next, `distpack check`"), "{}", text(&init.stderr));
    let check = run(&mut in_dir(&project, "distpack", &["check"]));
    assert!(text(&check.stderr).contains("0 error(s)"), "{}", text(&check.stderr));
    let built = run(&mut in_dir(&project, "distpack", &["build", "-f", "deb"]));
    let deb = project.join(text(&built.stdout).trim());
    let info = text(&run(Command::new("dpkg-deb").arg("--info").arg(&deb)).stdout);
    assert!(info.contains("Maintainer: Dev Eloper <dev@example.org>") && info.contains("newsvc service"), "{info}");
    let listing = text(&run(Command::new("dpkg-deb").arg("--contents").arg(&deb)).stdout);
    assert!(listing.contains(" usr/bin/newsvc\n") && listing.contains("newsvc.service"), "{listing}");

    // Without a name for the maintainer anywhere, init leaves the line for check to ask about.
    let other = tempdir();
    run(&mut in_dir(other.path(), "cargo", &["new", "--quiet", "--vcs", "none", "anon"]));
    let anon = other.path().join("anon");
    let mut init = in_dir(&anon, "distpack", &["init"]);
    init.env("GIT_CONFIG_GLOBAL", "/dev/null").env_remove("DEBFULLNAME").env_remove("DEBEMAIL").env_remove("EMAIL");
    run(&mut init);
    let check =
        in_dir(&anon, "distpack", &["check", "--no-build"]).env("GIT_CONFIG_GLOBAL", "/dev/null").output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    assert!(text(&check.stderr).contains("no `maintainer`"), "{}", text(&check.stderr));
}

/// Like cargo with Cargo.toml, every command finds packaging/distpack.toml from a subdirectory.
#[test]
fn commands_find_the_manifest_from_a_subdirectory() {
    // Without a Cargo.toml above it, paths are relative to the manifest's directory.
    let fx = Fixture::new("", &[("src/lib.rs", ""), ("packaging/notes.txt", "notes\n")]);
    std::fs::create_dir_all(fx.dir.path().join("packaging")).unwrap();
    std::fs::write(
        fx.dir.path().join("packaging/distpack.toml"),
        format!("{PACKAGE}\n[[files]]\nsrc = \"notes.txt\"\nkind = \"data\"\n"),
    )
    .unwrap();
    let out = run(distpack().args(["plan", "-f", "deb"]).current_dir(fx.dir.path().join("src")));
    let said = text(&out.stdout);
    let deb = said.lines().find(|l| l.starts_with("deb fixture 1.0.0-1 ")).unwrap_or_else(|| panic!("{said}"));
    assert!(deb.ends_with("files, 0 scripts) -> fixture_1.0.0-1_all.deb"), "{said}");
}

/// At a workspace root, init names the members it could package.
#[test]
fn init_at_a_workspace_root_names_the_members_with_binaries() {
    let fx = Fixture::new("", &[("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n")]);
    run(Command::new("cargo")
        .args(["new", "--quiet", "--vcs", "none", "crates/ntp-daemon"])
        .current_dir(fx.dir.path()));
    run(Command::new("cargo")
        .args(["new", "--quiet", "--vcs", "none", "--lib", "crates/ntp-proto"])
        .current_dir(fx.dir.path()));
    let out = distpack().arg("init").current_dir(fx.dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(
        said.contains("this is a workspace") && said.contains("crates/ntp-daemon") && !said.contains("ntp-proto"),
        "{said}"
    );
}
