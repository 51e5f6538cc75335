//! Acceptance under a real systemd: each scenario boots a throw-away Debian VM (ci/vm/run), installs
//! what distpack built and checks the service's whole life. Runs when DISTPACK_VM=1 (ci/test sets
//! it); the VM needs qemu-system-x86 and a cached image that ci/vm/build-image makes as root.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// The VM scenarios are ignored by default; run with `--ignored`, they need DISTPACK_VM=1 (the
/// image built by ci/vm/build-image) and fail without it.
fn require_vm() {
    assert!(
        std::env::var("DISTPACK_VM").is_ok_and(|v| v == "1"),
        "the VM scenarios need DISTPACK_VM=1 and the image from ci/vm/build-image (ci/test does both)"
    );
}

/// Run one scenario with `inputs` (file name in the guest → local path); returns exit code and output.
fn scenario(name: &str, inputs: &[(&str, &Path)]) -> (i32, String) {
    let input = tempdir();
    for (guest_name, path) in inputs {
        std::fs::copy(path, input.path().join(guest_name)).unwrap();
    }
    let out = Command::new(repo().join("ci/vm/run"))
        .arg(repo().join(format!("ci/vm/scenarios/{name}.sh")))
        .arg(input.path())
        .output()
        .expect("cannot run ci/vm/run");
    let said = text(&out.stdout) + &text(&out.stderr);
    // Shown in the test log whatever happens: it is the guest's own account of the scenario.
    eprintln!("----- scenario {name}\n{said}");
    (out.status.code().unwrap_or(-1), said)
}

fn assert_passed(name: &str, inputs: &[(&str, &Path)]) {
    let (code, said) = scenario(name, inputs);
    assert_eq!(code, 0, "scenario {name} failed:\n{said}");
    assert!(said.contains("scenario passed") && !said.contains("FAIL:"), "{said}");
}

/// A copy of the example, changed by `edit(dir)`, built as `format` with distpack (and cargo).
fn example_variant(format: &str, edit: impl Fn(&Path), extra_args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    copy_tree(&repo().join("examples/healthd"), dir.path());
    edit(dir.path());
    let out = dir.path().join("dist");
    let mut cmd = distpack();
    cmd.args(["build", "-f", format, "-m"])
        .arg(dir.path().join("packaging/distpack.toml"))
        .arg("-o")
        .arg(&out)
        .args(extra_args);
    let package = PathBuf::from(text(&run(&mut cmd).stdout).trim());
    (dir, package)
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_install_runs_the_service_under_a_dynamic_user() {
    require_vm();
    assert_passed("install", &[("healthd.deb", example_deb())]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_upgrade_keeps_the_edited_conffile_and_restarts_into_v2() {
    require_vm();
    let (_v2_dir, v2) = example_variant(
        "deb",
        |dir| replace_in(&dir.join("Cargo.toml"), "version = \"1.4.2\"", "version = \"1.4.3\""),
        &[],
    );
    assert!(v2.to_string_lossy().contains("1.4.3-1"), "{}", v2.display());
    assert_passed("upgrade", &[("healthd.deb", example_deb()), ("healthd-v2.deb", &v2)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_apt_installs_from_the_published_tree_and_upgrades_when_v2_is_published() {
    require_vm();
    // Both versions carry the [repo] table: the .sources point where the guest unpacks the tree.
    let with_repo = |dir: &Path| {
        let manifest = dir.join("packaging/distpack.toml");
        let text = std::fs::read_to_string(&manifest).unwrap() + "\n[repo]\nurl = \"file:///e2e/repo\"\n";
        std::fs::write(manifest, text).unwrap();
    };
    let (v1_dir, v1) = example_variant("deb", with_repo, &[]);
    let (_v2_dir, v2) = example_variant(
        "deb",
        |dir| {
            with_repo(dir);
            replace_in(&dir.join("Cargo.toml"), "version = \"1.4.2\"", "version = \"1.4.3\"");
        },
        &[],
    );
    assert!(v2.to_string_lossy().ends_with("healthd_1.4.3-1_amd64.deb"), "{}", v2.display());
    let scratch = tempdir();
    let key = scratch.path().join("repo.key");
    run(distpack().args(["keygen", "--pgp", "--unencrypted", "-o"]).arg(&key));
    let tree = scratch.path().join("repo");
    let manifest = v1_dir.path().join("packaging/distpack.toml");
    let publish_and_tar = |deb: &Path, tar: &str| {
        run(distpack()
            .args(["repo", "publish"])
            .arg(&tree)
            .arg(deb)
            .arg("--sign-key")
            .arg(&key)
            .arg("-m")
            .arg(&manifest));
        let tar = scratch.path().join(tar);
        run(Command::new("tar").arg("-C").arg(&tree).arg("-cf").arg(&tar).arg("."));
        tar
    };
    let v1_tree = publish_and_tar(&v1, "v1-tree.tar");
    let sources = std::fs::read_to_string(tree.join("healthd.sources")).unwrap();
    assert!(sources.contains("URIs: file:///e2e/repo/deb") && !sources.contains("trusted"), "{sources}");
    let v2_tree = publish_and_tar(&v2, "v2-tree.tar");
    assert_passed("apt-repo", &[("v1-tree.tar", &v1_tree), ("v2-tree.tar", &v2_tree)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_remove_keeps_the_conffile_and_purge_leaves_nothing() {
    require_vm();
    assert_passed("remove-purge", &[("healthd.deb", example_deb())]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_static_user_variant_is_provisioned_and_purged() {
    require_vm();
    let (_dir, deb) = example_variant("deb", user_variant, &[]);
    assert_passed("static-user", &[("healthd-user.deb", &deb)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_reports_a_broken_unit_with_the_guest_journal() {
    require_vm();
    // distpack check refuses this unit (U002); the harness must catch it too, with the journal.
    let (_dir, deb) = example_variant(
        "deb",
        |dir| {
            replace_in(
                &dir.join("units/healthd.service"),
                "ExecStart=/usr/bin/healthd",
                "ExecStart=/usr/bin/healthd-missing",
            )
        },
        &["--allow-check-errors"],
    );
    let (code, said) = scenario("install", &[("healthd.deb", &deb)]);
    assert_eq!(code, 1, "a broken unit must fail the scenario:\n{said}");
    assert!(said.contains("FAIL: healthd.service is active"), "{said}");
    assert!(
        said.contains("--- journalctl -u healthd.service") && said.contains("--- systemctl status healthd.service"),
        "{said}"
    );
    assert!(said.contains("/usr/bin/healthd-missing"), "the journal names the missing executable:\n{said}");
}

fn user_variant(dir: &Path) {
    replace_in(&dir.join("units/healthd.service"), "DynamicUser=yes", "User=healthd");
    let manifest = dir.join("packaging/distpack.toml");
    let text =
        std::fs::read_to_string(&manifest).unwrap() + "\n[[users]]\nname = \"healthd\"\nhome = \"/var/lib/healthd\"\n";
    std::fs::write(manifest, text).unwrap();
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_rpm_install_enable_upgrade_erase() {
    require_vm();
    let rpm = example_rpm();
    let (_v2_dir, v2) = example_variant(
        "rpm",
        |dir| {
            replace_in(&dir.join("Cargo.toml"), "version = \"1.4.2\"", "version = \"1.4.3\"");
            let config = dir.join("packaging/healthd.toml");
            let text = std::fs::read_to_string(&config).unwrap() + "# v2 default\n";
            std::fs::write(config, text).unwrap();
        },
        &[],
    );
    assert!(v2.to_string_lossy().ends_with("healthd-1.4.3-1.x86_64.rpm"), "{}", v2.display());
    assert_passed("rpm-lifecycle", &[("healthd.rpm", rpm), ("healthd-v2.rpm", &v2)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_rpm_static_user_is_created_by_pre() {
    require_vm();
    let (_dir, rpm) = example_variant("rpm", user_variant, &[]);
    assert_passed("rpm-static-user", &[("healthd-user.rpm", &rpm)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_arch_install_is_not_enabled_and_remove_keeps_a_pacsave() {
    require_vm();
    assert_passed("arch-lifecycle", &[("healthd.pkg.tar.zst", example_arch())]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_socket_follows_its_service_and_upgrade_restarts_both() {
    require_vm();
    use crate::scripts::{build, socket_not_started};
    let named = |fx: &Fixture| replace_in(&fx.manifest(), "name = \"fixture\"", "name = \"kv-echo\"");
    let off = socket_not_started();
    named(&off);
    let off_deb = build(&off, "deb");
    let on = socket_not_started();
    named(&on);
    replace_in(&on.manifest(), "start = false", "start = true");
    let v1 = build(&on, "deb");
    let v1_copy = tempdir();
    let v1_path = v1_copy.path().join("v1.deb");
    std::fs::copy(&v1, &v1_path).unwrap();
    replace_in(&on.manifest(), "version = \"1.0.0\"", "version = \"2.0.0\"");
    replace_in(&on.dir.path().join("bin/kv-echo"), "1.0.0", "2.0.0");
    let v2 = build(&on, "deb");
    assert_passed("socket-group", &[("kv-echo-off.deb", &off_deb), ("kv-echo.deb", &v1_path), ("kv-echo-v2.deb", &v2)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_arch_service_reads_its_0640_config_after_pacman_creates_the_group() {
    require_vm();
    let fx = crate::scripts::arch_group_config();
    let pkg = crate::scripts::build(&fx, "arch");
    assert_passed("arch-owner", &[("kvd.pkg.tar.zst", &pkg)]);
}

#[test]
#[ignore = "boots the acceptance VM: ci/test runs it with DISTPACK_VM=1"]
fn vm_two_services_run_as_their_users_and_purge_leaves_no_unit_enabled() {
    require_vm();
    let fx = Fixture::copy_of("services/two-services");
    let v1 = tempdir();
    let v1_path = v1.path().join("fx-two.deb");
    std::fs::copy(fx.build(), &v1_path).unwrap();
    replace_in(&fx.manifest(), "version = \"1.0.0\"", "version = \"2.0.0\"");
    replace_in(&fx.dir.path().join("bin/fx-daemon"), "#!/bin/sh\n", "#!/bin/sh\n# fx-daemon 2.0.0\n");
    let v2 = fx.build();
    assert_passed("two-services", &[("fx-two.deb", &v1_path), ("fx-two-v2.deb", &v2)]);
}
