//! Automatic dependencies and ELF checks: a tiny C program linked against zlib, packaged in each
//! format; each distribution's own tool (dpkg-shlibdeps, rpm's elfdeps, apk, lintian) says what it
//! needs, and the package must say the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A program that links libz (and glibc), and a shared library `libdemo.so.1` (file
/// `libdemo.so.1.2.3`) that a second program links, all built with `cc` in `dir`.
fn compile(dir: &Path) {
    require_tool("cc");
    std::fs::write(
        dir.join("zdemo.c"),
        "#include <stdio.h>\n#include <zlib.h>\nint main(void) { puts(zlibVersion()); return 0; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("lib.c"), "int demo(void) { return 1; }\n").unwrap();
    std::fs::write(dir.join("user.c"), "int demo(void);\nint main(void) { return demo(); }\n").unwrap();
    run(Command::new("cc").current_dir(dir).args(["-O2", "-o", "zdemo", "zdemo.c", "-lz"]));
    run(Command::new("cc").current_dir(dir).args([
        "-shared",
        "-fPIC",
        "-Wl,-soname,libdemo.so.1",
        "-o",
        "libdemo.so.1.2.3",
        "lib.c",
    ]));
    run(Command::new("cc").current_dir(dir).args(["-o", "demo-user", "user.c", "-L.", "-l:libdemo.so.1.2.3"]));
}

const MANIFEST: &str = r#"[package]
name = "zdemo"
version = "1.0.0"
summary = "Prints the version of zlib"
maintainer = "Jane Doe <jane@example.org>"
license = "MIT"
homepage = "https://example.org/zdemo"

[[files]]
src = "zdemo"
dest = "/usr/bin/zdemo"
kind = "binary"
"#;

/// The zlib program packaged alone.
fn zdemo(extra: &str) -> Fixture {
    let fx = Fixture::new(&format!("{MANIFEST}{extra}"), &[]);
    compile(fx.dir.path());
    fx
}

fn build(fx: &Fixture, format: &str, path: Option<&Path>) -> PathBuf {
    let mut cmd = distpack();
    cmd.args(["build", "-f", format, "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(fx.dir.path().join(format));
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    PathBuf::from(text(&run(&mut cmd).stdout).trim())
}

/// `shlibs:Depends` as dpkg-shlibdeps computes it for `binary`, run as cargo-deb runs it.
fn dpkg_shlibdeps(binary: &Path) -> String {
    require_tool("dpkg-shlibdeps");
    let scratch = tempdir();
    std::fs::create_dir_all(scratch.path().join("debian")).unwrap();
    std::fs::write(scratch.path().join("debian/control"), "Source: x\n\nPackage: x\nArchitecture: any\n").unwrap();
    let out = run(Command::new("dpkg-shlibdeps")
        .args(["-O", "--ignore-missing-info", "-e"])
        .arg(binary)
        .current_dir(scratch.path()));
    let said = text(&out.stdout);
    said.lines().find_map(|l| l.strip_prefix("shlibs:Depends=")).unwrap_or_else(|| panic!("{said}")).to_string()
}

/// The .deb depends on what dpkg-shlibdeps says the binary needs; without dpkg-shlibdeps, the
/// built-in mapping says the same for glibc and zlib; lintian finds no missing shared-library
/// dependency.
#[test]
fn deb_depends_are_what_dpkg_shlibdeps_computes() {
    let fx = zdemo("");
    let expected = dpkg_shlibdeps(&fx.dir.path().join("zdemo"));
    assert!(expected.starts_with("libc6 (>= 2.") && expected.contains("zlib1g"), "{expected}");
    let deb = build(&fx, "deb", None);
    let depends = text(&run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends")).stdout);
    assert_eq!(depends.trim(), expected);

    // dpkg-shlibdeps hidden from PATH (an empty one: `build --no-build -f deb` runs no tool).
    let empty = tempdir();
    let builtin = build(&fx, "deb", Some(empty.path()));
    let depends = text(&run(Command::new("dpkg-deb").arg("-f").arg(&builtin).arg("Depends")).stdout);
    assert_eq!(depends.trim(), expected, "the built-in mapping");

    require_tool("lintian");
    let report = Command::new("lintian").args(["--no-cfg", "--tag-display-limit", "0"]).arg(&deb).output().unwrap();
    let report = text(&report.stdout) + &text(&report.stderr);
    assert!(!report.contains("missing-dependency-on-libc"), "{report}");
    assert!(!report.lines().any(|l| l.contains("shlib")), "{report}");
}

/// A manifest's own entry for a package wins over the computed one, and `auto-depends = false`
/// leaves only the manifest's.
#[test]
fn the_manifest_entry_wins_and_auto_depends_false_turns_them_off() {
    let fx = zdemo("\n[deb]\ndepends = [\"zlib1g (>= 1:1.2.13)\"]\n");
    let depends = |fx: &Fixture| {
        let deb = build(fx, "deb", None);
        text(&run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends")).stdout).trim().to_string()
    };
    let with_own = depends(&fx);
    assert!(with_own.starts_with("zlib1g (>= 1:1.2.13), libc6 (>= 2."), "{with_own}");
    assert_eq!(with_own.matches("zlib1g").count(), 1, "{with_own}");
    std::fs::write(fx.manifest(), format!("{MANIFEST}\n[deb]\ndepends = [\"zlib1g\"]\nauto-depends = false\n"))
        .unwrap();
    assert_eq!(depends(&fx), "zlib1g");
}

/// rpm's requires for the binary's sonames are exactly what rpmbuild's elfdeps prints.
#[test]
fn rpm_requires_are_what_elfdeps_computes() {
    require_tool("rpm");
    let elfdeps = Path::new("/usr/lib/rpm/elfdeps");
    assert!(elfdeps.exists(), "rpm's elfdeps is not installed; run ci/test");
    let fx = zdemo("");
    let binary = fx.dir.path().join("zdemo");
    let sonames = |said: &str| -> std::collections::BTreeSet<String> {
        said.lines().map(str::trim).filter(|l| l.contains(".so")).map(str::to_string).collect()
    };
    let expected = text(&run(Command::new(elfdeps).arg("--requires").arg(&binary)).stdout);
    let rpm = build(&fx, "rpm", None);
    let requires = text(&run(Command::new("rpm").args(["-qp", "--requires"]).arg(&rpm)).stdout);
    assert_eq!(sonames(&requires), sonames(&expected), "rpm:\n{requires}\nelfdeps:\n{expected}");
    assert!(sonames(&requires).contains("libz.so.1()(64bit)"), "{requires}");
}

/// Arch depends on its own package names; the plan lists each binary's ELF facts.
#[test]
fn arch_depends_on_arch_names_and_the_plan_lists_the_binaries() {
    let fx = zdemo("");
    let plan = run(distpack().args(["plan", "--json", "-f", "arch", "-m"]).arg(fx.manifest()));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let package = &plan["packages"][0];
    let names: Vec<&str> = package["relations"]["depends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["alternatives"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["glibc", "zlib"]);
    let binary = &package["binaries"][0];
    assert_eq!(binary["path"], "/usr/bin/zdemo");
    assert_eq!(binary["machine"], "x86_64");
    assert_eq!(binary["class"], 64);
    assert_eq!(binary["static"], false);
    assert!(binary["needed"].as_array().unwrap().iter().any(|n| n == "libz.so.1"), "{binary}");
    assert!(binary["interpreter"].as_str().unwrap().contains("ld-linux"), "{binary}");
    assert!(binary["min_glibc"].as_str().unwrap().starts_with("2."), "{binary}");
    // readelf's build-id is the plan's.
    let notes = text(&run(Command::new("readelf").arg("-n").arg(fx.dir.path().join("zdemo"))).stdout);
    let build_id = binary["build_id"].as_str().unwrap();
    assert!(notes.contains(&format!("Build ID: {build_id}")), "{build_id}\n{notes}");
}

/// The .apk depends on `so:` names and provides the library it ships, as abuild writes them, and
/// apk's own `index` reads them back. The binaries here link glibc, so the .apk is built past A004
/// (`--allow-check-errors`); what is asserted is the relations, which abuild derives the same way
/// from any ELF file.
#[test]
fn apk_lists_so_dependencies_and_provides_that_apk_reads() {
    let fx = zdemo(
        "\n[[files]]\nsrc = \"demo-user\"\ndest = \"/usr/bin/demo-user\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"libdemo.so.1.2.3\"\ndest = \"/usr/lib/libdemo.so.1.2.3\"\nkind = \"data\"\n",
    );
    let key = fx.dir.path().join("jane-5f1b2c3d.rsa");
    run(Command::new("openssl").args(["genrsa", "-out"]).arg(&key).arg("2048"));
    let keys = fx.dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    run(Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(keys.join("jane-5f1b2c3d.rsa.pub")));
    let out = run(distpack()
        .args(["build", "-f", "apk", "--no-build", "--allow-check-errors", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(fx.dir.path().join("apk"))
        .arg("--apk-key")
        .arg(&key));
    let apk = text(&out.stdout).lines().map(PathBuf::from).find(|p| p.extension().is_some_and(|e| e == "apk")).unwrap();
    let dir = apk.parent().unwrap();
    run(alpine_tool("apk")
        .args(["index", "--allow-untrusted", "-o", "APKINDEX.tar.gz"])
        .arg(apk.file_name().unwrap())
        .current_dir(dir));
    let index = text(&run(Command::new("tar").args(["-xzOf", "APKINDEX.tar.gz", "APKINDEX"]).current_dir(dir)).stdout);
    let field = |key: &str| -> Vec<String> {
        index.lines().find_map(|l| l.strip_prefix(key)).unwrap_or("").split(' ').map(str::to_string).collect()
    };
    let depends = field("D:");
    assert!(depends.contains(&"so:libz.so.1".to_string()), "{index}");
    assert!(depends.contains(&"so:libc.so.6".to_string()), "{index}");
    assert!(!depends.iter().any(|d| d.contains("libdemo")), "the package's own library: {index}");
    assert!(field("p:").contains(&"so:libdemo.so.1=1.2.3".to_string()), "{index}");
}

/// An aarch64 ELF (a copy of the x86_64 one with e_machine rewritten) in an x86_64 package is an
/// error naming the [[files]] line; build refuses it.
#[test]
fn an_elf_for_another_machine_is_refused_with_its_files_line() {
    let fx = zdemo("");
    let binary = fx.dir.path().join("zdemo");
    let mut bytes = std::fs::read(&binary).unwrap();
    bytes[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    std::fs::write(&binary, bytes).unwrap();
    let said = text(&run(Command::new("readelf").arg("-h").arg(&binary)).stdout);
    assert!(said.contains("AArch64"), "{said}");
    let out = distpack()
        .args(["check", "--no-build", "-f", "deb", "--target", "x86_64-unknown-linux-gnu", "-m"])
        .arg(fx.manifest())
        .output()
        .unwrap();
    let printed = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{printed}");
    let line = MANIFEST.lines().position(|l| l == "[[files]]").unwrap() + 1;
    assert!(printed.contains(&format!("error[B001]: {}:{line}:", fx.manifest().display())), "{printed}");
    assert!(printed.contains("/usr/bin/zdemo is an ELF file for aarch64"), "{printed}");
    let refused = distpack()
        .args(["build", "-f", "deb", "--no-build", "--target", "x86_64-unknown-linux-gnu", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(fx.dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused.stderr));
}

/// `min-glibc` older than what the binary needs: a warning; a value that is no glibc version: an
/// error at its line.
#[test]
fn min_glibc_warns_about_a_newer_glibc_and_must_be_a_version() {
    let fx = zdemo("");
    std::fs::write(fx.manifest(), MANIFEST.replace("license = \"MIT\"\n", "license = \"MIT\"\nmin-glibc = \"2.17\"\n"))
        .unwrap();
    let out = run(distpack().args(["check", "--json", "--no-build", "-f", "rpm", "-m"]).arg(fx.manifest()));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let b003: Vec<_> = findings.as_array().unwrap().iter().filter(|f| f["code"] == "B003").collect();
    assert_eq!(b003.len(), 1, "{findings:#}");
    assert!(b003[0]["message"].as_str().unwrap().contains("newer than min-glibc = \"2.17\""), "{findings:#}");

    std::fs::write(fx.manifest(), MANIFEST.replace("license = \"MIT\"\n", "license = \"MIT\"\nmin-glibc = \"2.x\"\n"))
        .unwrap();
    let out = distpack().args(["plan", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    let said = text(&out.stderr);
    assert!(!out.status.success() && said.contains("min-glibc `2.x` is not a glibc version"), "{said}");
    assert!(said.contains("7 | min-glibc"), "{said}");
}

/// A binary linking a library no package on this machine provides (a vendor's own, shipped
/// elsewhere): dpkg-shlibdeps refuses it, so the built-in map gives the dependencies it knows and
/// check names the library it cannot (B004); the build goes on.
#[test]
fn a_library_no_package_provides_is_a_warning_not_a_failed_build() {
    require_tool("dpkg-shlibdeps");
    let fx = zdemo("\n[[files]]\nsrc = \"demo-user\"\ndest = \"/usr/bin/demo-user\"\nkind = \"binary\"\n");
    let deb = build(&fx, "deb", None);
    let depends = text(&run(Command::new("dpkg-deb").args(["-f"]).arg(&deb).arg("Depends")).stdout);
    assert!(depends.contains("libc6 (>= ") && depends.contains("zlib1g"), "{depends}");
    let check =
        distpack().args(["check", "--json", "--no-build", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    let said = text(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{said}{}", text(&check.stderr));
    assert!(said.contains("\"B004\"") && said.contains("libdemo.so.1"), "{said}");
}

/// A binary linked against musl (musl-gcc: interpreter /lib/ld-musl-x86_64.so.1) cannot start on
/// a glibc system: in a .deb it is an error at its line (B002); in an .apk for a musl target it is
/// what Alpine runs.
#[test]
fn a_musl_binary_is_refused_in_a_deb_and_right_in_an_apk() {
    require_tool("musl-gcc");
    let fx = Fixture::new(
        "[package]\nname = \"mdemo\"\nversion = \"1.0.0\"\nsummary = \"Prints hello\"\nmaintainer = \"Jane Doe <jane@example.org>\"\nlicense = \"MIT\"\nhomepage = \"https://example.org/mdemo\"\n\n[apk]\n\n[[files]]\nsrc = \"mdemo\"\ndest = \"/usr/bin/mdemo\"\nkind = \"binary\"\n",
        &[("mdemo.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n")],
    );
    run(Command::new("musl-gcc").current_dir(fx.dir.path()).args(["-O2", "-o", "mdemo", "mdemo.c"]));
    let interp = text(&run(Command::new("readelf").args(["-l"]).arg(fx.dir.path().join("mdemo"))).stdout);
    assert!(interp.contains("ld-musl-x86_64.so.1"), "{interp}");
    let check = |format: &str, target: &str| {
        let out = distpack()
            .args(["check", "--no-build", "-f", format, "--target", target, "-m"])
            .arg(fx.manifest())
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout) + &text(&out.stderr))
    };
    let (code, printed) = check("deb", "x86_64-unknown-linux-gnu");
    assert_eq!(code, Some(4), "{printed}");
    assert!(printed.contains(&format!("error[B002]: {}:", fx.manifest().display())), "{printed}");
    let (code, printed) = check("apk", "x86_64-unknown-linux-musl");
    assert_eq!(code, Some(0), "{printed}");
    assert!(!printed.contains("A004") && !printed.contains("B002"), "{printed}");
    let plan = run(distpack()
        .args(["plan", "--json", "--no-build", "-f", "apk", "--target", "x86_64-unknown-linux-musl", "-m"])
        .arg(fx.manifest()));
    // Debian's musl-gcc links `libc.so` (Alpine's toolchain names it libc.musl-x86_64.so.1), so
    // the plan is asked only for the fact that decides: the interpreter.
    assert!(text(&plan.stdout).contains("/lib/ld-musl-x86_64.so.1"), "{}", text(&plan.stdout));
}
