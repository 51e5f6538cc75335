//! Directory trees in `[[files]]`: a `recursive = true` directory and a `web/**/*` glob install
//! the same tree (empty directory and symbolic link included) in the .deb, the .rpm and the Arch
//! package, read back with dpkg-deb, rpm and bsdtar; `exclude` and `flatten`; links that leave the
//! tree are refused with their line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

/// Three levels of web assets; `tree()` adds the empty directory and the link.
const WEB: &[(&str, &str)] =
    &[("web/index.html", "<p>top</p>\n"), ("web/js/app.js", "app()\n"), ("web/js/vendor/lib.js", "lib()\n")];

/// The tree every format must install below /usr/share/webby, as `path mode [-> target]`.
const EXPECTED: [&str; 8] = [
    " drwxr-xr-x",
    "empty drwxr-xr-x",
    "index.html -rw-r--r--",
    "js drwxr-xr-x",
    "js/app.js -rw-r--r--",
    "js/vendor drwxr-xr-x",
    "js/vendor/lib.js -rw-r--r--",
    "latest lrwxrwxrwx -> js/app.js",
];

fn entry(keys: &str) -> String {
    format!("{PACKAGE}\n[[files]]\n{keys}dest = \"/usr/share/webby/\"\nkind = \"data\"\n")
}

/// A project holding `web/` with an empty directory and a link to a file inside the tree, plus `extra` files.
fn tree(manifest: &str, extra: &[(&str, &str)]) -> Fixture {
    let files: Vec<(&str, &str)> = WEB.iter().chain(extra).copied().collect();
    let fx = Fixture::new(manifest, &files);
    std::fs::create_dir(fx.dir.path().join("web/empty")).unwrap();
    std::os::unix::fs::symlink("js/app.js", fx.dir.path().join("web/latest")).unwrap();
    fx
}

/// Build `formats`, returning the packages' paths.
fn build(fx: &Fixture, formats: &str) -> Vec<PathBuf> {
    let out = fx.dir.path().join("dist");
    let built =
        run(distpack().args(["build", "-f", formats, "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    text(&built.stdout).lines().map(PathBuf::from).collect()
}

fn find<'a>(packages: &'a [PathBuf], suffix: &str) -> &'a Path {
    packages
        .iter()
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {packages:?}"))
}

/// The lines of a tool's long listing below /usr/share/webby, each as `path mode [-> target]`,
/// sorted; dpkg-deb, rpm and bsdtar all print the mode first and the path (and link) last.
fn webby(listing: &str) -> Vec<String> {
    let mut found: Vec<String> = listing
        .lines()
        .filter_map(|line| {
            let (line, link) = match line.split_once(" -> ") {
                Some((line, target)) => (line, format!(" -> {target}")),
                None => (line, String::new()),
            };
            let path = line.split_whitespace().last()?.trim_start_matches("./").trim_start_matches('/');
            let rel = path.trim_end_matches('/').strip_prefix("usr/share/webby")?;
            let mode = line.split_whitespace().next()?;
            Some(format!("{} {mode}{link}", rel.trim_start_matches('/')))
        })
        .collect();
    found.sort();
    found
}

fn listings(packages: &[PathBuf]) -> [(&'static str, Vec<String>); 3] {
    let out = |cmd: &mut Command| text(&run(cmd).stdout);
    [
        ("dpkg-deb -c", webby(&out(Command::new("dpkg-deb").arg("-c").arg(find(packages, ".deb"))))),
        ("rpm -qplv", webby(&out(Command::new("rpm").arg("-qplv").arg(find(packages, ".rpm"))))),
        ("bsdtar -tvf", webby(&out(Command::new("bsdtar").arg("-tvf").arg(find(packages, ".pkg.tar.zst"))))),
    ]
}

#[test]
fn a_recursive_directory_and_a_glob_install_the_same_tree_in_deb_rpm_and_arch() {
    for tool in ["dpkg-deb", "rpm", "bsdtar"] {
        require_tool(tool);
    }
    for keys in ["src = \"web\"\nrecursive = true\n", "src = \"web/**/*\"\n"] {
        let fx = tree(&entry(keys), &[]);
        let packages = build(&fx, "deb,rpm,arch");
        for (tool, listing) in listings(&packages) {
            assert_eq!(listing, EXPECTED, "{tool} of the package built from\n{keys}");
        }
    }
}

/// lintian reports the empty directory as `package-contains-empty-directory`, an info tag: Debian
/// policy allows empty directories, and a tree that has one is meant to install it.
#[test]
fn lintian_finds_no_error_in_a_tree() {
    require_tool("lintian");
    let fx = tree(&entry("src = \"web\"\nrecursive = true\n"), &[]);
    let deb = build(&fx, "deb");
    let out = Command::new("lintian").args(["--info", "--display-level", ">=pedantic"]).arg(&deb[0]).output().unwrap();
    let report = text(&out.stdout);
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{report}{}", text(&out.stderr));
    let about_tree: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("usr/share/webby") && !l.starts_with("I:") && !l.starts_with("P:"))
        .collect();
    assert!(about_tree.is_empty(), "lintian warns about the tree:\n{report}");
    assert!(report.contains("I: fixture: package-contains-empty-directory [usr/share/webby/empty/]"), "{report}");
}

#[test]
fn exclude_leaves_out_what_it_names_below_the_tree_root_or_glob_prefix() {
    let map = [("web/js/app.js.map", "{}\n"), ("web/top.map", "{}\n")];
    for keys in ["src = \"web\"\nrecursive = true\n", "src = \"web/**/*\"\n"] {
        let fx = tree(&entry(&format!("{keys}exclude = [\"js/vendor\", \"**/*.map\", \"empty\"]\n")), &map);
        let deb = build(&fx, "deb");
        let listing = webby(&text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb[0])).stdout));
        let kept: Vec<&str> =
            EXPECTED.iter().copied().filter(|l| !l.starts_with("js/vendor") && !l.starts_with("empty")).collect();
        assert_eq!(listing, kept, "{keys}");
    }
}

#[test]
fn flatten_puts_every_match_straight_into_dest_and_refuses_two_of_a_name() {
    let fx = tree(&entry("src = \"web/**/*\"\nflatten = true\n"), &[]);
    let deb = build(&fx, "deb");
    let listing = webby(&text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb[0])).stdout));
    // Flat, a link is followed to its file, as globs always did.
    assert_eq!(
        listing,
        [" drwxr-xr-x", "app.js -rw-r--r--", "index.html -rw-r--r--", "latest -rw-r--r--", "lib.js -rw-r--r--"]
    );

    let manifest = entry("src = \"web/**/*.html\"\nflatten = true\n");
    let fx = tree(&manifest, &[("web/js/index.html", "<p>js</p>\n")]);
    let err = refused(&fx, "`/usr/share/webby/index.html` is installed twice");
    assert!(err.contains(&format!("distpack.toml:{}:", line(&manifest, "dest ="))), "{err}");
}

#[test]
fn a_glob_keeps_a_link_to_what_it_installs_and_follows_any_other() {
    let fx = tree(&entry("src = \"web/**/*\"\nexclude = [\"js\"]\n"), &[]);
    let deb = build(&fx, "deb");
    let listing = webby(&text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb[0])).stdout));
    // js/ is left out, so `latest -> js/app.js` would dangle: it installs app.js's content.
    assert_eq!(listing, [" drwxr-xr-x", "empty drwxr-xr-x", "index.html -rw-r--r--", "latest -rw-r--r--"]);
    let content = run(Command::new("dpkg-deb").arg("--fsys-tarfile").arg(&deb[0]));
    assert!(text(&content.stdout).contains("app()\n"), "latest holds app.js");
}

/// The 1-based line of the manifest that starts with `start`.
fn line(manifest: &str, start: &str) -> usize {
    manifest.lines().position(|l| l.starts_with(start)).expect("line in manifest") + 1
}

/// `distpack plan` of `fx` fails with a manifest error (exit 3) that says `what`; its stderr.
fn refused(fx: &Fixture, what: &str) -> String {
    let out: Output = fx.plan();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(what), "expected `{what}` in:\n{err}");
    err
}

#[test]
fn a_link_out_of_a_recursive_tree_is_refused_with_its_line_unless_excluded() {
    let manifest = entry("src = \"web\"\nrecursive = true\n");
    for target in ["../../etc/passwd", "/etc/passwd"] {
        let fx = tree(&manifest, &[]);
        std::os::unix::fs::symlink(target, fx.dir.path().join("web/bad")).unwrap();
        let err = refused(&fx, &format!("`web/bad` is a symbolic link to `{target}`, which leads out of the tree"));
        assert!(err.contains(&format!("distpack.toml:{}:", line(&manifest, "src ="))), "{err}");
        assert!(err.contains("exclude = [\"bad\"]"), "{err}");
    }
    let fx = tree(&entry("src = \"web\"\nrecursive = true\nexclude = [\"bad\"]\n"), &[]);
    std::os::unix::fs::symlink("../../etc/passwd", fx.dir.path().join("web/bad")).unwrap();
    let out = fx.plan();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn tree_keys_that_do_not_fit_the_src_are_refused_with_their_line() {
    // Each case: the keys, the line the error points at, what it says and the help it gives.
    let cases = [
        ("src = \"web\"\n", "src", "`web` is a directory", "add recursive = true"),
        (
            "src = \"web/**/*\"\nrecursive = true\n",
            "recursive",
            "`recursive` takes a directory",
            "remove recursive = true",
        ),
        (
            "src = \"web/index.html\"\nrecursive = true\n",
            "src",
            "`web/index.html` is not a directory",
            "remove recursive",
        ),
        ("src = \"web/index.html\"\nflatten = true\n", "flatten", "`flatten` applies to a glob", "remove flatten"),
        (
            "src = \"web/index.html\"\nexclude = [\"x\"]\n",
            "exclude",
            "`exclude` applies to a glob or a recursive",
            "remove exclude",
        ),
        (
            "src = \"web\"\nrecursive = true\nexclude = [\"[x\"]\n",
            "exclude",
            "`[x` is not a valid glob",
            "write a glob",
        ),
        ("src = \"web\"\nrecursive = true\nexclude = [\"*\"]\n", "src", "installs nothing", "exclude globs"),
    ];
    let manifest = format!("{PACKAGE}\n[[files]]\nsrc = \"web\"\nkind = \"data\"\nrecursive = true\n");
    let err = refused(&tree(&manifest, &[]), "a recursive entry needs a `dest`");
    assert!(err.contains(&format!("distpack.toml:{}:", line(&manifest, "[[files]]"))), "{err}");
    let manifest = format!("{PACKAGE}\n[[files]]\ndest = \"/var/lib/fixture\"\nkind = \"dir\"\nrecursive = true\n");
    let err = refused(&tree(&manifest, &[]), "a `dir` entry takes no `recursive`, `exclude` or `flatten`");
    assert!(err.contains(&format!("distpack.toml:{}:", line(&manifest, "recursive"))), "{err}");
    for (keys, key, what, help) in cases {
        let manifest = entry(keys);
        let err = refused(&tree(&manifest, &[]), what);
        assert!(err.contains(&format!("distpack.toml:{}:", line(&manifest, key))), "{keys}: {err}");
        assert!(err.contains(help), "{keys}: {err}");
    }
}
