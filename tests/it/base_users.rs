//! Users and groups a distribution's base system already has are never provisioned: each
//! format's own base list decides, so `User=www-data` needs nothing on Debian but is created on
//! Fedora, which has no such user.

use std::process::Command;

use distpack::format::Format;
use distpack::plan::base_system;

use crate::support::*;

const MANIFEST: &str = r#"[package]
name = "fx-web"
version = "1.0.0"
summary = "Service under the web user"
maintainer = "Test <test@example.org>"
license = "MIT"

[[files]]
src = "bin/fx-web"
kind = "binary"

[[files]]
src = "units/fx-web.service"
kind = "unit"
"#;

const UNIT: &str = "[Unit]\nDescription=Web fixture\n\n[Service]\nExecStart=/usr/bin/fx-web\nUser=www-data\nGroup=www-data\n\n[Install]\nWantedBy=multi-user.target\n";

fn build(fx: &Fixture, format: &str) -> std::path::PathBuf {
    let out = fx.dir.path().join(format!("dist-{format}"));
    let built =
        run(distpack().args(["build", "-f", format, "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    std::path::PathBuf::from(text(&built.stdout).lines().next().unwrap().trim())
}

#[test]
fn a_debian_base_user_is_not_provisioned_but_created_where_the_base_lacks_it() {
    require_tool("dpkg-deb");
    require_tool("rpm");
    let fx =
        Fixture::new(MANIFEST, &[("bin/fx-web", "#!/bin/sh\nexec sleep infinity\n"), ("units/fx-web.service", UNIT)]);
    std::fs::set_permissions(fx.dir.path().join("bin/fx-web"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();

    let deb = build(&fx, "deb");
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb)).stdout);
    assert!(!listing.contains("sysusers.d"), "Debian has www-data; nothing to provision:\n{listing}");
    let control = tempdir();
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(control.path()));
    let postinst = std::fs::read_to_string(control.path().join("postinst")).unwrap_or_default();
    assert!(!postinst.contains("www-data"), "{postinst}");
    let check = run(distpack().args(["check", "-f", "deb", "--no-build", "-m"]).arg(fx.manifest()));
    assert!(!text(&check.stderr).contains("U003"), "{}", text(&check.stderr));

    let rpm = build(&fx, "rpm");
    let files = text(&run(Command::new("rpm").args(["-qpl"]).arg(&rpm)).stdout);
    assert!(files.contains("/usr/lib/sysusers.d/"), "Fedora's setup has no www-data:\n{files}");
}

/// The Debian list is base-passwd's own: every user and group of its master files (on a Debian
/// machine, where they are installed) counts as present.
#[test]
fn the_debian_list_is_base_passwd() {
    let passwd = std::path::Path::new("/usr/share/base-passwd/passwd.master");
    let group = std::path::Path::new("/usr/share/base-passwd/group.master");
    assert!(passwd.exists() && group.exists(), "base-passwd is essential on Debian; this test runs there");
    for (file, has) in [(passwd, base_system::has_user as fn(Format, &str) -> bool), (group, base_system::has_group)] {
        for line in std::fs::read_to_string(file).unwrap().lines() {
            let name = line.split(':').next().unwrap();
            assert!(has(Format::Deb, name), "{name} of {} is not in distpack's Debian base list", file.display());
        }
    }
}
