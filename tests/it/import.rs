//! `distpack import` against the tools it imports from: the fixture's Cargo.toml is packaged by
//! cargo-deb and cargo-generate-rpm, and by distpack from the imported manifest, and dpkg-deb and
//! rpm must list the same files, modes and owners, conffiles and relations.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Regular files of a .deb as `MODE OWNER/GROUP /PATH`, from `dpkg-deb -c`.
fn deb_files(deb: &Path) -> BTreeSet<String> {
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(deb)).stdout);
    listing
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // cargo-deb records owners by number only, distpack by name as well; dpkg installs both as root.
            let owner = if f[1] == "0/0" { "root/root" } else { f[1] };
            format!("{} {owner} /{}", f[0], f[5].trim_start_matches("./"))
        })
        .collect()
}

/// Regular files of an .rpm as `MODE OWNER/GROUP /PATH`, from `rpm -qplv`.
fn rpm_files(rpm: &Path) -> BTreeSet<String> {
    let listing = text(&run(Command::new("rpm").arg("-qplv").arg(rpm)).stdout);
    listing
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}/{} {}", f[0], f[2], f[3], f[8])
        })
        .collect()
}

fn lines(output: &[u8]) -> BTreeSet<String> {
    text(output).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// `--field` values of a .deb.
fn deb_field(deb: &Path, field: &str) -> String {
    text(&run(Command::new("dpkg-deb").arg("--field").arg(deb).arg(field)).stdout).trim().to_string()
}

/// Remove `line` from `set`, failing when it is not there: each deliberate difference is expected.
fn take(set: &mut BTreeSet<String>, line: &str) {
    assert!(set.remove(line), "expected `{line}` in\n{set:#?}");
}

#[test]
fn imported_manifest_packages_what_cargo_deb_and_cargo_generate_rpm_package() {
    for tool in ["dpkg-deb", "rpm", "cargo-deb", "cargo-generate-rpm"] {
        require_tool(tool);
    }
    let fx = Fixture::copy_of("import/hello");
    let dir = fx.dir.path();
    let host = host_triple();
    let cargo = |args: &[&str]| {
        let mut cmd = Command::new("cargo");
        cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", dir.join("target"));
        run(&mut cmd)
    };
    // One build for the host triple serves all three: both tools map target/release/ to
    // target/TRIPLE/release/ with --target, as distpack's target/{target}/release/ does.
    cargo(&["build", "--release", "--quiet", "--target", &host]);
    let tools_out = dir.join("tools-out");
    cargo(&["deb", "--no-build", "--target", &host, "-o", tools_out.to_str().unwrap()]);
    cargo(&["generate-rpm", "--target", &host, "-o", tools_out.to_str().unwrap()]);

    let import = run(distpack().arg("import").current_dir(dir));
    assert!(dir.join("packaging/distpack.toml").is_file());
    assert_eq!(text(&import.stdout).trim(), "packaging/distpack.toml");
    run(distpack().args(["build", "-f", "deb,rpm", "--no-build", "-o", "dist"]).current_dir(dir));

    let (tool_deb, tool_rpm) = (only(&tools_out, "deb"), only(&tools_out, "rpm"));
    let (our_deb, our_rpm) = (only(&dir.join("dist"), "deb"), only(&dir.join("dist"), "rpm"));

    let expected = deb_files(&tool_deb);
    let mut ours = deb_files(&our_deb);
    // Debian policy: distpack's .deb always has a changelog; cargo-deb writes one only from `changelog`.
    take(&mut ours, "-rw-r--r-- root/root /usr/share/doc/hello/changelog.Debian.gz");
    assert_eq!(ours, expected, ".deb files (mode, owner, path): distpack vs cargo-deb");
    assert!(expected.len() >= 9, "the comparison covers the fixture's files: {expected:#?}");
    for field in ["Package", "Version", "Section", "Priority", "Maintainer"] {
        assert_eq!(deb_field(&our_deb, field), deb_field(&tool_deb, field), "Debian field {field}");
    }
    // cargo-deb sorts the relations it writes; distpack keeps the manifest's order.
    let depends = |deb: &Path| deb_field(deb, "Depends").split(", ").map(str::to_string).collect::<BTreeSet<_>>();
    assert_eq!(depends(&our_deb), depends(&tool_deb), "Depends");
    let conffiles = |deb: &Path| lines(&run(Command::new("dpkg-deb").arg("-I").arg(deb).arg("conffiles")).stdout);
    assert_eq!(conffiles(&our_deb), conffiles(&tool_deb));

    let mut expected = rpm_files(&tool_rpm);
    let ours = rpm_files(&our_rpm);
    // distpack gzips manual pages in every format (as cargo-deb does); cargo-generate-rpm does not.
    // (distpack's .rpm also owns its directories; only regular files are compared.)
    take(&mut expected, "-rw-r--r-- root/root /usr/share/man/man1/hello.1");
    expected.insert("-rw-r--r-- root/root /usr/share/man/man1/hello.1.gz".into());
    assert_eq!(ours, expected, ".rpm files (mode, owner, path): distpack vs cargo-generate-rpm");
    let query = |rpm: &Path, args: &[&str]| lines(&run(Command::new("rpm").arg("-qp").args(args).arg(rpm)).stdout);
    assert_eq!(query(&our_rpm, &["-c"]), query(&tool_rpm, &["-c"]), "rpm config files");
    let requires = |rpm: &Path| -> BTreeSet<String> {
        query(rpm, &["-R"]).into_iter().filter(|r| !r.starts_with("rpmlib(")).collect()
    };
    assert_eq!(requires(&our_rpm), requires(&tool_rpm), "rpm Requires (rpmlib features aside)");
    let nevr = ["--qf", "%{NAME} %{VERSION} %{RELEASE}"];
    assert_eq!(query(&our_rpm, &nevr), query(&tool_rpm, &nevr));
}

/// A Cargo.toml in a temporary directory with `metadata` after a minimal [package].
fn cargo_project(metadata: &str) -> tempfile::TempDir {
    let dir = tempdir();
    let cargo_toml = format!(
        "[package]\nname = \"demo\"\nversion = \"1.0.0\"\ndescription = \"Demo\"\nlicense = \"MIT\"\n\
         authors = [\"Dev <dev@example.org>\"]\n\n[workspace]\n\n{metadata}"
    );
    std::fs::write(dir.path().join("Cargo.toml"), cargo_toml).unwrap();
    for (path, content) in [("demo.conf", "x = 1\n"), ("demo.1", ".TH DEMO 1\n"), ("extra.txt", "extra\n")] {
        std::fs::write(dir.path().join(path), content).unwrap();
    }
    dir
}

#[test]
fn import_names_every_key_it_cannot_carry_over() {
    let project = cargo_project(
        r#"[package.metadata.deb]
depends = "$auto, libssl3"
pre-depends = "dpkg (>= 1.19)"
triggers-file = "debian/triggers"
changelog = "CHANGELOG.Debian"
assets = [
    ["target/release/demo", "usr/bin/", "755"],
    ["demo.conf", "etc/demo/demo.conf", "644"],
    ["extra.txt", "usr/share/demo/extra.txt", "644"],
]

[package.metadata.generate-rpm]
post_install_script = "echo installed"
assets = [
    { source = "target/release/demo", dest = "/usr/bin/demo", mode = "755", caps = "cap_net_raw=ep" },
    { source = "demo.conf", dest = "/etc/demo/demo.conf", mode = "600" },
]
"#,
    );
    let out = run(distpack().args(["import", "--stdout"]).current_dir(project.path()));
    let (manifest, report) = (text(&out.stdout), text(&out.stderr));
    for (key, why) in [
        ("package.metadata.deb.pre-depends", "Pre-Depends"),
        ("package.metadata.deb.triggers-file", "triggers"),
        ("package.metadata.deb.changelog", "changelog.Debian.gz"),
        ("package.metadata.generate-rpm.post_install_script", "inline script"),
        ("package.metadata.generate-rpm.assets[0].caps", "capabilities"),
        // The same file with two modes.
        ("package.metadata.generate-rpm.assets[1]", "0644 in cargo-deb and 0600 here"),
        ("package.metadata.generate-rpm.assets[1]", "a conffile in cargo-deb but not config = true here"),
    ] {
        let line = report.lines().find(|l| l.contains(&format!("- {key}: ")) && l.contains(why));
        assert!(line.is_some(), "stderr names `{key}` ({why}):\n{report}");
        assert!(manifest.contains(&format!("# - {key}: ")), "the manifest's header names `{key}`:\n{manifest}");
    }
    assert!(manifest.starts_with("# generated by distpack import from Cargo.toml\n"), "{manifest}");
    // A file only cargo-deb installs stays in the .deb alone.
    assert!(
        manifest.contains(
            "src = \"extra.txt\"\ndest = \"/usr/share/demo/extra.txt\"\nkind = \"data\"\nformats = [\"deb\"]\n"
        ),
        "{manifest}"
    );
    // What is carried: libssl3 ($auto is distpack's own automatic dependencies, on by default, and
    // needs no note), the binary with distpack's target path, one config entry.
    assert!(manifest.contains("[deb]\ndepends = [\"libssl3\"]\n"), "{manifest}");
    assert!(!report.contains("package.metadata.deb.depends"), "{report}");
    assert!(manifest.contains("src = \"target/{target}/release/demo\"\nkind = \"binary\"\n"), "{manifest}");
    assert!(
        manifest.contains("src = \"demo.conf\"\ndest = \"/etc/demo/demo.conf\"\nkind = \"config\"\n"),
        "{manifest}"
    );
    let parsed: toml::Table = manifest.parse().expect("the manifest is TOML");
    assert_eq!(parsed["files"].as_array().unwrap().len(), 3, "{manifest}");
}

#[test]
fn import_keeps_an_existing_manifest_unless_forced() {
    let project = cargo_project("[package.metadata.deb]\nassets = [[\"demo.1\", \"usr/share/man/man1/\", \"644\"]]\n");
    let manifest = project.path().join("packaging/distpack.toml");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::write(&manifest, "# mine\n").unwrap();
    let out = distpack().arg("import").current_dir(project.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("already exists") && text(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "# mine\n");

    run(distpack().args(["import", "--force"]).current_dir(project.path()));
    let written = std::fs::read_to_string(&manifest).unwrap();
    assert!(written.contains("src = \"demo.1\"\ndest = \"/usr/share/man/man1/demo.1\"\nkind = \"man\"\n"), "{written}");
    // No temporary file is left beside it.
    let names: Vec<_> =
        std::fs::read_dir(manifest.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["distpack.toml"]);
}

#[test]
fn import_without_packaging_metadata_is_a_usage_error() {
    let project = cargo_project("");
    let out = distpack().arg("import").current_dir(project.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Cargo.toml has neither [package.metadata.deb] nor [package.metadata.generate-rpm]"),
        "{stderr}"
    );
    assert!(!project.path().join("packaging").exists());

    let out = distpack().args(["import", "--cargo-toml", "nowhere/Cargo.toml"]).current_dir(project.path()).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nowhere/Cargo.toml does not exist"), "{}", text(&out.stderr));
}

/// A workspace at `dir`: a root Cargo.toml with `members`, and each member with `metadata`.
fn workspace(dir: &Path, members: &[&str], metadata: &str) {
    let list = members.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ");
    std::fs::write(dir.join("Cargo.toml"), format!("[workspace]\nmembers = [{list}]\nresolver = \"2\"\n")).unwrap();
    for member in members {
        std::fs::create_dir_all(dir.join(member).join("src")).unwrap();
        std::fs::write(dir.join(member).join("src/main.rs"), "fn main() {}\n").unwrap();
        let name = member.rsplit('/').next().unwrap();
        std::fs::write(
            dir.join(member).join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n{metadata}"),
        )
        .unwrap();
    }
}

#[test]
fn import_at_a_workspace_root_names_the_members_to_import() {
    let dir = tempdir();
    workspace(dir.path(), &["crates/a", "crates/b"], "[package.metadata.deb]\nassets = [\"$auto\"]\n");
    let out = distpack().arg("import").current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("workspace members that have them: crates/a, crates/b"), "{stderr}");
    assert!(
        stderr.contains("distpack import --cargo-toml ./crates/a/Cargo.toml -o ./crates/a/packaging/distpack.toml")
    );
}

#[test]
fn binaries_are_taken_from_the_target_directory_cargo_names() {
    let dir = tempdir();
    workspace(
        dir.path(),
        &["app"],
        "[package.metadata.deb]\nassets = [[\"target/release/app\", \"usr/bin/\", \"755\"]]\n",
    );
    // cargo's target directory is where .cargo/config.toml says, not the member's target/.
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(dir.path().join(".cargo/config.toml"), "[build]\ntarget-dir = \"out\"\n").unwrap();
    let out = run(distpack().args(["import", "--stdout"]).current_dir(dir.path().join("app")));
    let manifest = text(&out.stdout);
    assert!(
        manifest.contains("src = \"../out/{target}/release/app\"\nkind = \"binary\"\nallow-outside-root = true\n"),
        "{manifest}\n{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("cargo metadata"), "cargo answered: {}", text(&out.stderr));
}
