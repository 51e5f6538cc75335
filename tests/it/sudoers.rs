//! sudo drop-ins (`kind = "sudoers"`): where sudo reads them, in the shape it accepts, kept as the
//! administrator's conffiles, and never packaged when visudo cannot parse them.

use std::process::Command;

use crate::scripts::build;
use crate::support::*;

/// A service's restart rule, as a project ships it.
const RULE: &str = "nobody ALL=(root) NOPASSWD: /usr/bin/systemctl restart fixture.service\n";

fn project(entry: &str, files: &[(&str, &str)]) -> Fixture {
    Fixture::new(&format!("{PACKAGE}\n{entry}"), files)
}

/// `plan` refuses the manifest (exit 3); its stderr.
fn refused(fx: &Fixture) -> String {
    let out = distpack().args(["plan", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "expected a manifest error:\n{said}");
    said
}

#[test]
fn a_sudoers_file_lands_0440_root_in_sudoers_d_as_a_conffile_in_deb_rpm_and_arch() {
    require_tool("visudo");
    require_tool("lintian");
    let fx = project(
        "[[files]]\nsrc = \"packaging/fixture-restart\"\nkind = \"sudoers\"\n",
        &[("packaging/fixture-restart", RULE)],
    );
    let path = "/etc/sudoers.d/fixture-restart";

    let deb = build(&fx, "deb");
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb)).stdout);
    assert!(listing_line(&listing, "etc/sudoers.d/fixture-restart").starts_with("-r--r----- root/root "), "{listing}");
    let conffiles = text(&run(Command::new("dpkg-deb").arg("-I").arg(&deb).arg("conffiles")).stdout);
    assert!(conffiles.lines().any(|l| l == path), "not a conffile:\n{conffiles}");
    // lintian checks the mode itself (bad-perm-for-file-in-etc-sudoers.d).
    let lintian = text(&Command::new("lintian").arg(&deb).output().unwrap().stdout);
    assert!(!lintian.contains("sudoers"), "{lintian}");

    let rpm = build(&fx, "rpm");
    let listing = text(&run(Command::new("rpm").args(["-qplv"]).arg(&rpm)).stdout);
    let line = listing.lines().find(|l| l.ends_with(path)).unwrap_or_else(|| panic!("{path} not in:\n{listing}"));
    assert!(line.starts_with("-r--r-----") && line.contains(" root     root "), "{line}");
    let configs = text(&run(Command::new("rpm").args(["-qp", "--configfiles"]).arg(&rpm)).stdout);
    assert!(configs.lines().any(|l| l == path), "not %config:\n{configs}");

    let arch = build(&fx, "arch");
    let listing = text(&run(Command::new("bsdtar").arg("-tvf").arg(&arch)).stdout);
    let line = listing
        .lines()
        .find(|l| l.ends_with(" etc/sudoers.d/fixture-restart"))
        .unwrap_or_else(|| panic!("not in:\n{listing}"));
    assert!(line.starts_with("-r--r-----  0 root   root "), "{line}");
    // The directory as Arch's sudo package makes it, so pacman sees no permission difference.
    assert!(listing.lines().any(|l| l.starts_with("drwxr-x---") && l.ends_with(" etc/sudoers.d/")), "{listing}");
    let pkginfo = text(&run(Command::new("bsdtar").arg("-xOf").arg(&arch).arg(".PKGINFO")).stdout);
    assert!(pkginfo.lines().any(|l| l == "backup = etc/sudoers.d/fixture-restart"), "{pkginfo}");
}

#[test]
fn a_sudoers_file_visudo_rejects_is_refused_at_its_manifest_line() {
    require_tool("visudo");
    let broken = "nobody ALL=(ALL) NOPASSWD ALL\n";
    let fx = project(
        "[[files]]\nsrc = \"packaging/fixture-restart\"\nkind = \"sudoers\"\n",
        &[("packaging/fixture-restart", broken)],
    );
    // visudo itself refuses it: the missing colon after NOPASSWD.
    let visudo =
        Command::new("visudo").arg("-cf").arg(fx.dir.path().join("packaging/fixture-restart")).output().unwrap();
    assert!(!visudo.status.success(), "visudo accepted {broken:?}");
    let said = refused(&fx);
    // `src` is on line 9: the seven lines of PACKAGE, a blank line, then [[files]].
    assert!(said.contains("distpack.toml:9:"), "{said}");
    assert!(said.contains("visudo refuses this sudoers file") && said.contains("syntax error"), "{said}");
}

#[test]
fn a_sudoers_name_sudo_would_skip_is_refused_with_a_name_it_reads() {
    let fx = project(
        "[[files]]\nsrc = \"packaging/restart\"\ndest = \"/etc/sudoers.d/fixture.conf\"\nkind = \"sudoers\"\n",
        &[("packaging/restart", RULE)],
    );
    let said = refused(&fx);
    assert!(said.contains("distpack.toml:10:"), "{said}");
    assert!(said.contains("sudo skips `fixture.conf`"), "{said}");
    assert!(said.contains("set dest = \"/etc/sudoers.d/fixture\""), "{said}");
    // Without a dest the source's own name is the one that counts.
    let fx = project("[[files]]\nsrc = \"packaging/restart~\"\nkind = \"sudoers\"\n", &[("packaging/restart~", RULE)]);
    assert!(refused(&fx).contains("sudo skips `restart~`"));
}

#[test]
fn a_sudoers_file_with_another_mode_or_owner_is_refused() {
    let fx = project(
        "[[files]]\nsrc = \"packaging/restart\"\nkind = \"sudoers\"\nmode = 0o644\ngroup = \"adm\"\n",
        &[("packaging/restart", RULE)],
    );
    let said = refused(&fx);
    assert!(
        said.contains("distpack.toml:11:") && said.contains("a sudoers file is installed 0440, not 0644"),
        "{said}"
    );
    assert!(said.contains("distpack.toml:12:") && said.contains("owned by root, not group `adm`"), "{said}");
}

#[test]
#[ignore = "installs packages on this machine as root: ci/test runs it with DISTPACK_HOST_INSTALL=1"]
fn an_installed_sudoers_file_is_one_sudo_reads() {
    require_host_install();
    require_tool("visudo");
    require_tool("sudo");
    let _lock = host_dpkg_lock();
    let fx = Fixture::new(
        "[package]\nname = \"fx-sudoers\"\nversion = \"1.0.0\"\nsummary = \"sudo rule\"\nmaintainer = \"Test <test@example.org>\"\n\
         license = \"MIT\"\n\n[[files]]\nsrc = \"packaging/fx-sudoers\"\nkind = \"sudoers\"\n",
        &[("packaging/fx-sudoers", "nobody ALL=(root) NOPASSWD: /usr/bin/true fx-sudoers\n")],
    );
    let deb = build(&fx, "deb");
    run(Command::new("dpkg").arg("-i").arg(&deb));
    // visudo -c checks the installed configuration, drop-ins' owner and mode included.
    let check = text(&run(Command::new("visudo").arg("-c")).stdout);
    let rules = text(&run(Command::new("sudo").args(["-l", "-U", "nobody"])).stdout);
    run(Command::new("dpkg").args(["-P", "fx-sudoers"]));
    assert!(check.contains("/etc/sudoers.d/fx-sudoers: parsed OK"), "{check}");
    assert!(rules.contains("(root) NOPASSWD: /usr/bin/true fx-sudoers"), "{rules}");
    assert!(!std::path::Path::new("/etc/sudoers.d/fx-sudoers").exists(), "purge keeps the drop-in");
}
