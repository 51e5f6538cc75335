//! Shared helpers: running distpack, building the example once, and fixtures in temporary dirs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example_manifest() -> PathBuf {
    repo().join("examples/healthd/packaging/distpack.toml")
}

pub fn distpack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_distpack"));
    cmd.env("NO_COLOR", "1").env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

/// Run and require success, showing the command's stderr when it fails.
pub fn run(cmd: &mut Command) -> Output {
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A tool the tests need: fail loudly, naming the fix, when it is missing.
pub fn require_tool(name: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "`{name}` is not installed; run ci/test, which installs what the tests need");
}

/// The example's .deb, built once (including `cargo build` of the example) and shared by tests
/// that only read it.
pub fn example_deb() -> &'static Path {
    static DEB: OnceLock<PathBuf> = OnceLock::new();
    DEB.get_or_init(|| {
        let out = tempdir().keep();
        let output = run(distpack().args(["build", "-f", "deb", "-m"]).arg(example_manifest()).arg("-o").arg(&out));
        let path = PathBuf::from(text(&output.stdout).trim());
        assert!(
            path.starts_with(&out) && path.extension().is_some_and(|e| e == "deb"),
            "unexpected artifact path {path:?}"
        );
        path
    })
}

/// The example's .rpm, built once (and cargo build of the example when it has not run yet).
pub fn example_rpm() -> &'static Path {
    static RPM: OnceLock<PathBuf> = OnceLock::new();
    RPM.get_or_init(|| {
        example_deb();
        let out = tempdir().keep();
        let output = run(distpack().args(["build", "-f", "rpm", "-m"]).arg(example_manifest()).arg("-o").arg(&out));
        PathBuf::from(text(&output.stdout).trim())
    })
}

/// The example's .pkg.tar.zst, built once.
pub fn example_arch() -> &'static Path {
    static PKG: OnceLock<PathBuf> = OnceLock::new();
    PKG.get_or_init(|| {
        example_deb();
        let out = tempdir().keep();
        let output = run(distpack()
            .args(["build", "-f", "arch", "--no-build", "-m"])
            .arg(example_manifest())
            .arg("-o")
            .arg(&out));
        PathBuf::from(text(&output.stdout).trim())
    })
}

/// Build the example again into a new directory, without running cargo (the binary exists once
/// `example_deb` has run).
pub fn rebuild_example(extra: &[(&str, &str)]) -> PathBuf {
    example_deb();
    let out = tempdir().keep();
    let mut cmd = distpack();
    cmd.args(["build", "-f", "deb", "--no-build", "-m"]).arg(example_manifest()).arg("-o").arg(&out);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    PathBuf::from(text(&run(&mut cmd).stdout).trim())
}

/// The line of a tool's listing that ends with ` NAME` (a path in `bsdtar -tv`, `rpm -qplv`, …).
pub fn listing_line(listing: &str, name: &str) -> String {
    listing
        .lines()
        .find(|l| l.ends_with(&format!(" {name}")))
        .unwrap_or_else(|| panic!("{name} not in\n{listing}"))
        .to_string()
}

/// `inspect --json` of `artifact`, after asserting that its files (path, mode, owner, size) are
/// exactly those `plan --json -f FORMAT` lists for the example.
pub fn inspect_matching_plan(format: &str, artifact: &Path) -> serde_json::Value {
    let plan: serde_json::Value = serde_json::from_slice(
        &run(distpack().args(["plan", "--json", "-f", format, "-m"]).arg(example_manifest())).stdout,
    )
    .unwrap();
    let plan = plan["packages"].clone();
    let inspected: serde_json::Value =
        serde_json::from_slice(&run(distpack().args(["inspect", "--json"]).arg(artifact)).stdout).unwrap();
    let key = |f: &serde_json::Value| (f["path"].clone(), f["mode"].clone(), f["owner"].clone(), f["size"].clone());
    let planned: Vec<_> = plan[0]["files"].as_array().unwrap().iter().map(key).collect();
    let read_back: Vec<_> = inspected["files"].as_array().unwrap().iter().map(key).collect();
    assert_eq!(planned, read_back, "{format}: inspect does not read back the planned files");
    inspected
}

pub fn host_triple() -> String {
    text(&run(Command::new("rustc").arg("-vV")).stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("distpack-test-").tempdir().expect("temporary directory")
}

/// A project in a temporary directory: a manifest plus the files it names.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new(manifest: &str, files: &[(&str, &str)]) -> Fixture {
        let dir = tempdir();
        std::fs::write(dir.path().join("distpack.toml"), manifest).unwrap();
        for (name, content) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Fixture { dir }
    }

    /// A copy of `tests/fixtures/NAME` in a temporary directory (so no Cargo.toml above it is inherited).
    pub fn copy_of(name: &str) -> Fixture {
        let dir = tempdir();
        copy_tree(&repo().join("tests/fixtures").join(name), dir.path());
        Fixture { dir }
    }

    /// A copy of the example project with its built binary (the copy leaves out target/).
    pub fn example_copy() -> Fixture {
        example_deb();
        let fx = Fixture::copy_of("../../examples/healthd");
        let bin = format!("target/{}/release/healthd", host_triple());
        std::fs::create_dir_all(fx.dir.path().join(&bin).parent().unwrap()).unwrap();
        std::fs::copy(repo().join("examples/healthd").join(&bin), fx.dir.path().join(&bin)).unwrap();
        fx
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.path().join("distpack.toml")
    }

    pub fn plan(&self) -> Output {
        distpack().args(["plan", "--json", "-f", "deb", "-m"]).arg(self.manifest()).output().unwrap()
    }

    pub fn build(&self) -> PathBuf {
        let out = self.dir.path().join("dist");
        let output =
            run(distpack().args(["build", "-f", "deb", "--no-build", "-m"]).arg(self.manifest()).arg("-o").arg(&out));
        PathBuf::from(text(&output.stdout).trim())
    }
}

/// Copy a directory tree, leaving out build output (`target/`).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_name() == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The metadata every fixture manifest starts with.
pub const PACKAGE: &str = r#"[package]
name = "fixture"
version = "1.0.0"
summary = "A test fixture"
maintainer = "Test <test@example.org>"
license = "MIT"
"#;

/// Serialises tests that install packages on this machine: dpkg takes one lock at a time.
pub fn host_dpkg_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Tests that install packages on this machine are ignored by default; run with `--ignored`, they
/// need root and DISTPACK_HOST_INSTALL=1 (ci/test sets it) and fail without them.
pub fn require_host_install() {
    let asked = std::env::var("DISTPACK_HOST_INSTALL").is_ok_and(|v| v == "1");
    let root = Command::new("id").arg("-u").output().map(|o| text(&o.stdout).trim() == "0").unwrap_or(false);
    assert!(
        asked && root,
        "this test runs dpkg -i on this machine: it needs root and DISTPACK_HOST_INSTALL=1 (ci/test)"
    );
}

/// The bin directory of Alpine's own tools (`apk`, `busybox`, `abuild`, …), which
/// `ci/alpine-tools/build-alpine-tools` builds from the sources beside it. `ci/test` builds them
/// (cached) and exports the directory as DISTPACK_ALPINE_TOOLS; without it, the script's default
/// cache directory. Missing tools are a failure, never a skip.
pub fn alpine_tools() -> PathBuf {
    let dir = std::env::var_os("DISTPACK_ALPINE_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
        cache.join("alpine-tools/2.14.6-3.14.1-1.36.1/bin")
    });
    for tool in ["apk", "busybox", "abuild"] {
        assert!(
            dir.join(tool).is_file(),
            "Alpine's `{tool}` is not in {}: run ci/test, which builds apk-tools, busybox and abuild with \
             ci/alpine-tools/build-alpine-tools and exports DISTPACK_ALPINE_TOOLS (or run that script and set \
             DISTPACK_ALPINE_TOOLS to the bin directory under the directory it prints)",
            dir.display()
        );
    }
    dir
}

/// One of Alpine's tools (`apk`, `abuild`, …), from `alpine_tools()`.
pub fn alpine_tool(name: &str) -> Command {
    Command::new(alpine_tools().join(name))
}

/// A stand-in for a cross build: a copy of the host's ELF `from` at `to`, its e_machine rewritten
/// for the target's architecture (`aarch64-unknown-linux-gnu`), so that distpack's machine check
/// (B001) sees the binary it expects. Packaging never executes it.
pub fn cross_stand_in(from: &Path, to: &Path, target: &str) {
    const MACHINES: [(&str, u16); 2] = [("x86_64", 62), ("aarch64", 183)];
    let arch = target.split('-').next().unwrap_or(target);
    let machine = MACHINES.iter().find(|m| m.0 == arch).unwrap_or_else(|| panic!("no e_machine for {target}")).1;
    let mut bytes = std::fs::read(from).unwrap();
    assert_eq!(&bytes[..6], b"\x7fELF\x02\x01", "{}: a little-endian 64-bit ELF", from.display());
    bytes[18..20].copy_from_slice(&machine.to_le_bytes());
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(to, bytes).unwrap();
    let mode = std::fs::metadata(from).unwrap().permissions();
    std::fs::set_permissions(to, mode).unwrap();
}

/// The single file with `extension` in `dir`.
pub fn only(dir: &Path, extension: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    assert_eq!(found.len(), 1, "one .{extension} in {}: {found:?}", dir.display());
    found[0].clone()
}
