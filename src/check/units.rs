//! Rules about systemd units (DESIGN.md "Units": each learned from a service that broke).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{Finding, Severity, scan};
use crate::manifest::FileKind;
use crate::plan::base_system;
use crate::plan::services::ServiceUnit;
use crate::plan::system_paths::canonical;
use crate::plan::{Package, PackageFile, Source};
use crate::unit::{ExecLine, UnitFile};

/// Commands every system has, which a unit may run without the package shipping them.
const STANDARD_COMMANDS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "env",
    "true",
    "false",
    "test",
    "echo",
    "printf",
    "cat",
    "sleep",
    "kill",
    "mkdir",
    "rmdir",
    "rm",
    "cp",
    "mv",
    "ln",
    "chmod",
    "chown",
    "chgrp",
    "install",
    "touch",
    "find",
    "sed",
    "grep",
    "tee",
    "systemctl",
    "systemd-tmpfiles",
    "systemd-notify",
    "logger",
    "flock",
    "nice",
    "ionice",
    "setpriv",
    "runuser",
    "ip",
    "sysctl",
    "mount",
    "umount",
    "modprobe",
    "udevadm",
    "su",
    "sudo",
    // Essential or priority-important on Debian, in Fedora's and Arch's base: coreutils,
    // debianutils, dpkg, procps, systemd.
    "sync",
    "mkfifo",
    "id",
    "date",
    "chroot",
    "nohup",
    "run-parts",
    "start-stop-daemon",
    "pkill",
    "pgrep",
    "busctl",
    "journalctl",
    "loginctl",
    "systemd-run",
    "systemd-cat",
];
/// Directories that exist on every system: a unit may name them in ReadWritePaths=.
const STANDARD_DIRS: &[&str] = &[
    "/",
    "/etc",
    "/var",
    "/var/lib",
    "/var/log",
    "/var/cache",
    "/var/tmp",
    "/tmp",
    "/run",
    "/dev",
    "/dev/shm",
    "/proc",
    "/sys",
    "/home",
    "/srv",
    "/opt",
    "/usr",
    "/usr/local",
    "/mnt",
    "/media",
    "/root",
];
const UNIT_SUFFIXES: &[&str] =
    &["service", "socket", "timer", "path", "mount", "automount", "target", "slice", "swap", "device", "scope"];
const SETUID_HELPERS: &[&str] = &["sudo", "su", "doas", "pkexec", "newgrp", "sg"];

struct Ctx<'a> {
    package: &'a Package,
    unit: &'a ServiceUnit,
    file: &'a UnitFile,
    out: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    fn push(&mut self, code: &'static str, severity: Severity, line: usize, message: String, help: &str) {
        self.out.push(Finding {
            code,
            severity,
            file: self.unit.source.clone(),
            line,
            message,
            help: help.to_string(),
        });
    }

    /// The package file at `path`, where merged /usr (Debian 12, Fedora, Arch) makes `/bin/x` and
    /// `/usr/bin/x` one file.
    fn shipped(&self, path: &str) -> Option<&'a PackageFile> {
        let format = self.package.format;
        let wanted = canonical(format, path);
        self.package.files.iter().find(|f| f.path == path).or_else(|| {
            self.package.files.iter().find(|f| f.kind != FileKind::Dir && canonical(format, &f.path) == wanted)
        })
    }

    /// Whether a `Condition*=` in [Unit] makes the unit skip (not fail) when `path` is missing:
    /// ConditionFileIsExecutable=, ConditionPathExists=, ConditionFileNotEmpty= naming it, neither
    /// negated (`!`) nor one of several triggering conditions (`|`).
    fn guarded(&self, path: &str) -> bool {
        let format = self.package.format;
        let wanted = canonical(format, path);
        ["ConditionFileIsExecutable", "ConditionPathExists", "ConditionFileNotEmpty"].iter().any(|key| {
            self.file.list("Unit", key).iter().any(|(value, _)| {
                !value.starts_with(['!', '|']) && canonical(format, value.trim_matches('"')) == wanted
            })
        })
    }

    /// The on-disk source of the binary `ExecStart=` runs, when the package ships it.
    fn main_binary(&self) -> Option<&'a Path> {
        let exec = self.file.exec_lines().into_iter().find(|e| e.key == "ExecStart")?;
        match &self.shipped(&exec.path)?.source {
            Source::File { path } => Some(path),
            _ => None,
        }
    }
}

pub fn check(package: &Package) -> Vec<Finding> {
    let mut out = Vec::new();
    for unit in &package.services.units {
        let mut ctx = Ctx { package, unit, file: &unit.file, out: Vec::new() };
        syntax(&mut ctx);
        name_and_mode(&mut ctx);
        protect_home(&mut ctx);
        exec_paths(&mut ctx);
        static_user(&mut ctx);
        dynamic_user_name(&mut ctx);
        notify(&mut ctx);
        read_write_paths(&mut ctx);
        sandbox_vs_binary(&mut ctx);
        no_new_privileges(&mut ctx);
        ip_address_allow(&mut ctx);
        working_directory(&mut ctx);
        restart_limits(&mut ctx);
        deprecated(&mut ctx);
        out.extend(ctx.out);
    }
    out
}

fn syntax(ctx: &mut Ctx) {
    for (line, reason) in ctx.file.syntax_errors.clone() {
        // systemd 252 logs "String is not UTF-8 clean, ignoring assignment", then fails to load
        // the whole unit ("Failed to load configuration: Invalid argument"; systemd-analyze
        // verify shows both). In a comment such bytes are harmless (comments are never read).
        if reason == crate::unit::NOT_UTF8 {
            ctx.push(
                "U000",
                Severity::Error,
                line,
                "this assignment is not valid UTF-8: systemd refuses to load the unit (\"Failed to load configuration: Invalid argument\")".into(),
                "save the unit as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
            );
            continue;
        }
        ctx.push(
            "U000",
            Severity::Warning,
            line,
            format!("systemd ignores this line: {reason}"),
            "write `Key=value` lines inside [Section]s; comments start with # or ;",
        );
    }
}

fn name_and_mode(ctx: &mut Ctx) {
    let suffix = ctx.file.name.rsplit_once('.').map(|(_, s)| s).unwrap_or("");
    if !UNIT_SUFFIXES.contains(&suffix) {
        let message = format!("`{}` does not end in a unit type (.service, .socket, .timer, …)", ctx.file.name);
        ctx.push(
            "U014",
            Severity::Error,
            1,
            message,
            "rename the file (or its dest) to NAME.service, NAME.socket, NAME.timer, …",
        );
    }
    if let Source::File { path } = &ctx
        .package
        .files
        .iter()
        .find(|f| f.path == ctx.unit.path)
        .map(|f| f.source.clone())
        .unwrap_or(Source::Directory)
        && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    {
        ctx.push("U013", Severity::Warning, 1, format!("{} is executable in the source tree", ctx.unit.source), "units are installed 0644 whatever their source mode; `chmod -x` the file so systemd never warns about it elsewhere");
    }
}

fn protect_home(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "ProtectHome").cloned() else { return };
    if !matches!(entry.value.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on" | "tmpfs") {
        return;
    }
    for exec in ctx.file.exec_lines() {
        if ["/home/", "/root/", "/run/user/"].iter().any(|p| exec.path.starts_with(p)) {
            ctx.push(
                "U001",
                Severity::Error,
                entry.line,
                format!("ProtectHome={} hides {} ({}=) from the service: it fails with 203/EXEC", entry.value, exec.path, exec.key),
                "use ProtectHome=read-only (DynamicUser=yes implies it and keeps exec access), or install the binary under /usr/bin",
            );
        }
    }
}

fn exec_paths(ctx: &mut Ctx) {
    for exec in ctx.file.exec_lines() {
        // systemd.service(5) knows the prefixes `@ - : + ! !!`; anything else makes the line
        // invalid, and systemd refuses to start the unit ("Unit configuration has fatal error").
        if exec.prefixes.contains('|') {
            ctx.push(
                "U002",
                Severity::Error,
                exec.line,
                format!(
                    "{}={}{} is neither an absolute path nor a valid prefix: systemd refuses to load the unit",
                    exec.key, exec.prefixes, exec.path
                ),
                "remove the `|`: the prefixes systemd knows are @, -, :, +, ! and !!",
            );
            continue;
        }
        if !needs_no_file(ctx, &exec) {
            missing_exec(ctx, &exec);
        }
    }
}

/// Whether the command `exec` runs is there without the package installing it: a specifier, a
/// file the package ships, a standard command or systemd's own, or a command its unit guards.
fn needs_no_file(ctx: &Ctx, exec: &ExecLine) -> bool {
    // Specifiers (%i, %n…) are resolved per instance at run time: nothing to compare.
    if exec.path.contains('%') {
        return true;
    }
    let candidates: Vec<String> = if exec.path.starts_with('/') {
        vec![exec.path.clone()]
    } else {
        ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .map(|d| format!("{d}/{}", exec.path))
            .collect()
    };
    if candidates.iter().any(|p| ctx.shipped(p).is_some()) {
        return true;
    }
    let base = exec.path.rsplit('/').next().unwrap_or("");
    let dir = exec.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let standard_dir = dir.is_empty() || ["/bin", "/usr/bin", "/sbin", "/usr/sbin"].contains(&dir);
    // systemd.unit(5): a failed Condition*= skips the unit without error, so a command guarded
    // by ConditionFileIsExecutable=/ConditionPathExists= on its own path never runs without it.
    let provided = provider(ctx.package.format, base).is_some_and(|p| depends_on(ctx.package, p));
    (standard_dir && (STANDARD_COMMANDS.contains(&base) || provided))
        || exec.path.starts_with("/usr/lib/systemd/")
        || exec.path.starts_with("/lib/systemd/")
        || ctx.guarded(&exec.path)
}

/// Report a command the package does not install: at the add-on's stage instead, ignored with
/// `-`, or missing.
fn missing_exec(ctx: &mut Ctx, exec: &ExecLine) {
    let base = exec.path.rsplit('/').next().unwrap_or("");
    let staged = ctx.package.addon.as_ref().and_then(|a| a.stage.as_deref()).and_then(|stage| {
        let path = format!("{stage}/{base}");
        ctx.shipped(&path).map(|_| path)
    });
    if let Some(staged) = staged {
        ctx.push(
            "U002",
            Severity::Error,
            exec.line,
            format!("{}={} is not where the agent stages {base}: the add-on puts it at {staged}", exec.key, exec.path),
            "point the unit at the staged path, or change [addon] stage; the agent installs the unit verbatim",
        );
        return;
    }
    // systemd.service(5): with `-` a failing command (203/EXEC included) is recorded and
    // ignored. Only a main process that never runs is worth a word.
    if exec.prefixes.contains('-') {
        if exec.key == "ExecStart" {
            ctx.push(
                "U002",
                Severity::Warning,
                exec.line,
                format!("{}=-{} names a file the package does not install: systemd ignores the failure, and the service does nothing", exec.key, exec.path),
                "fix the path or add a [[files]] entry that installs it there; if another package provides it, depend on that package",
            );
        }
        return;
    }
    let help = match provider(ctx.package.format, base) {
        Some(package) => format!("{base} comes with the {package} package: add it to depends (the unit then finds it there)"),
        None => "fix the path or add a [[files]] entry that installs it there; if another package provides it, add \"U002\" to [check] ignore".into(),
    };
    ctx.push(
        "U002",
        Severity::Error,
        exec.line,
        format!("{}={} names a file the package does not install", exec.key, exec.path),
        &help,
    );
}

/// The package that installs a well-known system tool a unit may run, per distribution: the
/// service works when the package depends on it (lvm2 depends on dmsetup for blkdeactivate).
fn provider(format: crate::format::Format, command: &str) -> Option<&'static str> {
    use crate::format::Format;
    let device_mapper = if format == Format::Deb { "dmsetup" } else { "device-mapper" };
    Some(match command {
        "blkdeactivate" | "dmsetup" => device_mapper,
        "lvm" | "vgchange" | "lvchange" | "pvscan" => "lvm2",
        "mdadm" => "mdadm",
        "cryptsetup" => "cryptsetup",
        "nft" => "nftables",
        "iptables" | "ip6tables" | "iptables-restore" | "ip6tables-restore" => "iptables",
        "ss" | "tc" | "bridge" if format == Format::Rpm => "iproute",
        "ss" | "tc" | "bridge" => "iproute2",
        "openssl" => "openssl",
        "curl" => "curl",
        _ => return None,
    })
}

/// Whether the package's `Depends` names `package` (in any alternative).
fn depends_on(package: &Package, name: &str) -> bool {
    package
        .relations
        .get(&crate::plan::relations::RelationKind::Depends)
        .into_iter()
        .flatten()
        .any(|r| r.alternatives.iter().any(|a| a.name == name))
}

fn static_user(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.static_user().cloned() else { return };
    if base_system::has_user(ctx.package.format, &entry.value) || entry.value.contains('%') {
        return;
    }
    let declared = ctx.package.services.users.iter().any(|u| u.name == entry.value && u.declared);
    if !declared {
        ctx.push(
            "U003",
            Severity::Warning,
            entry.line,
            format!("User={} is not declared in [[users]]; distpack provisions it as a system user", entry.value),
            "declare it ([[users]] name = \"...\") to choose its home, shell and groups, or use DynamicUser=yes and no user is needed",
        );
    }
}

/// systemd.exec(5): with DynamicUser=yes, User= only names the dynamic user, and if a user of that
/// name already exists on the system, systemd runs the service as that static user instead.
fn dynamic_user_name(ctx: &mut Ctx) {
    if !ctx.file.is_true("Service", "DynamicUser") {
        return;
    }
    let Some(entry) = ctx.file.get("Service", "User").filter(|e| !e.value.is_empty()).cloned() else { return };
    ctx.push(
        "U015",
        Severity::Warning,
        entry.line,
        format!("User={} with DynamicUser=yes: where a user {} exists, systemd runs the service as that static user, not a dynamic one", entry.value, entry.value),
        "remove User= to get a fresh dynamic user (named after the unit), or drop DynamicUser=yes and declare the user in [[users]]",
    );
}

/// What sends READY=1 for a `Type=notify` service (systemd.service(5)): the main process, through
/// sd_notify(3) (libsystemd) or its own code writing to `$NOTIFY_SOCKET`.
const NOTIFY_SIGNS: [&[u8]; 3] = [b"NOTIFY_SOCKET", b"libsystemd.so", b"sd_notify"];
/// Libraries of the C and C++ runtime, which never send READY=1.
const RUNTIME_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libc.musl-x86_64.so.1",
];

/// Whether the file, or a library it links (DT_NEEDED, followed through the package's own
/// libraries), shows a sign of sd_notify: `Some(true)` yes, `Some(false)` provably not, `None`
/// when it links a library that is not in the package and not part of the C runtime.
fn notify_evidence(ctx: &Ctx, path: &Path, depth: usize) -> Option<bool> {
    if scan::contains(path, &NOTIFY_SIGNS).iter().any(|f| *f) {
        return Some(true);
    }
    let Some(linking) = scan::elf_linking(path) else { return Some(false) };
    let mut unknown = false;
    for needed in &linking.needed {
        if needed.starts_with("libsystemd.so") {
            return Some(true);
        }
        if RUNTIME_LIBRARIES.contains(&needed.as_str()) || needed.starts_with("ld-linux") {
            continue;
        }
        let library = ctx.package.files.iter().find_map(|f| match &f.source {
            Source::File { path } if f.path.rsplit('/').next() == Some(needed.as_str()) => Some(path.as_path()),
            _ => None,
        });
        match library {
            Some(library) if depth < 4 => match notify_evidence(ctx, library, depth + 1) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            },
            _ => unknown = true,
        }
    }
    if unknown { None } else { Some(false) }
}

fn notify(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "Type").cloned() else { return };
    if !entry.value.starts_with("notify") {
        return;
    }
    let Some(exec) = ctx.file.exec_lines().into_iter().find(|e| e.key == "ExecStart") else { return };
    let shell = ["sh", "bash", "dash"].contains(&exec.path.rsplit('/').next().unwrap_or(""));
    // `sh -c "exec /usr/bin/x …"`: look at the program the shell runs, when the package ships it.
    let target = if shell {
        exec.args
            .iter()
            .map(|a| a.trim_matches(['"', '\'', ';']))
            .find(|a| a.starts_with('/') && ctx.shipped(a).is_some())
    } else {
        Some(exec.path.as_str())
    };
    let Some(target) = target else {
        ctx.push(
            "U004",
            Severity::Warning,
            entry.line,
            format!("Type={} with a shell command line: distpack cannot tell whether what it runs sends READY=1; if it does not, the unit hangs in 'activating'", entry.value),
            "make sure the program the shell execs calls sd_notify, or use Type=exec",
        );
        return;
    };
    let Some(file) = ctx.shipped(target) else { return };
    let Source::File { path: binary } = &file.source else { return };
    let installed = file.path.clone();
    let script = !scan::is_elf(binary);
    match notify_evidence(ctx, binary, 0) {
        Some(true) => {}
        Some(false) if !script => ctx.push(
            "U004",
            Severity::Error,
            entry.line,
            format!("Type={} but {installed} shows no sign of sd_notify (no NOTIFY_SOCKET, no libsystemd, in it or the libraries it links): the unit hangs in 'activating'", entry.value),
            "use Type=exec (or simple), or make the service send READY=1 (sd_notify, or write to $NOTIFY_SOCKET)",
        ),
        // A script (or `sh -c "exec …"`) hands over to another program, which may notify:
        // systemd accepts READY=1 from the process `exec` turns it into.
        _ => ctx.push(
            "U004",
            Severity::Warning,
            entry.line,
            format!("Type={} and distpack cannot tell whether {installed} sends READY=1 (a script, or a library outside the package): if it does not, the unit hangs in 'activating'", entry.value),
            "make sure the program the unit ends up running calls sd_notify, or use Type=exec",
        ),
    }
}

/// Directories a running systemd system always has besides [`STANDARD_DIRS`]: systemd's own
/// runtime state and the FHS trees every base system ships.
const SYSTEMD_DIRS: &[&str] = &["/run/systemd", "/run/lock", "/var/spool", "/var/mail", "/var/local", "/var/opt"];

fn read_write_paths(ctx: &mut Ctx) {
    let format = ctx.package.format;
    // systemd creates every *Directory= of the package's units before their services start.
    let managed: Vec<String> = ctx.package.services.units.iter().flat_map(|u| u.file.managed_directories()).collect();
    for (raw, line) in ctx.file.list("Service", "ReadWritePaths") {
        if raw.starts_with('-') {
            continue; // optional: systemd skips it when missing
        }
        let path = raw.trim_start_matches('+').trim_end_matches('/').to_string();
        let path = if path.is_empty() { "/".to_string() } else { path };
        // Specifiers are resolved at run time; /proc and /sys are the kernel's.
        if path.contains('%') || path.starts_with("/proc/") || path.starts_with("/sys/") {
            continue;
        }
        let path = canonical(format, &path);
        let inside = |dir: &str| {
            let dir = canonical(format, dir);
            path == dir || path.starts_with(&format!("{dir}/"))
        };
        let created = STANDARD_DIRS.contains(&path.as_str())
            || SYSTEMD_DIRS.iter().any(|d| inside(d))
            || crate::plan::system_paths::is_base_dir(&path)
            || managed.iter().any(|d| inside(d))
            || ctx.package.services.directories.iter().any(|d| inside(&d.path))
            || ctx.package.files.iter().any(|f| {
                let f = canonical(format, &f.path);
                f == path || f.starts_with(&format!("{path}/"))
            });
        // A hook may create it (`mkdir -p /var/lib/x` in post-install): check cannot run shell,
        // so a path the package's scripts name is a warning, not a false error.
        let in_script = ctx.package.scripts.values().any(|text| mentions(text, &path));
        if !created {
            let (severity, message) = match in_script {
                true => (
                    Severity::Warning,
                    format!(
                        "ReadWritePaths={path} is created only by a maintainer script, which check cannot follow: the service fails with 226/NAMESPACE if it does not"
                    ),
                ),
                false => (
                    Severity::Error,
                    format!(
                        "ReadWritePaths={path} is not created by the package: the service fails with 226/NAMESPACE where it is missing"
                    ),
                ),
            };
            ctx.push(
                "U005",
                severity,
                line,
                message,
                "create it (StateDirectory=, a [[directories]] entry or a dir file), or write -{path} to make it optional",
            );
        }
    }
}

/// Whether `text` names `path` as a whole path (not as the start of a longer one).
fn mentions(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        let next = text[at + path.len()..].chars().next();
        !matches!(next, Some(c) if c.is_ascii_alphanumeric() || "-_.".contains(c))
    })
}

/// Whether `SystemCallFilter=` (systemd.exec(5)) denies setrlimit(2), which sits in @resources
/// (`systemd-analyze syscall-filter @resources`; not in @privileged). The first assignment decides
/// the mode: `~` starts a deny list, anything else an allow list; later assignments of the other
/// kind take names out again; an empty assignment resets.
fn denies_setrlimit(file: &UnitFile) -> Option<usize> {
    let mut allow: Option<bool> = None;
    let mut names: Vec<String> = Vec::new();
    let mut line = 0;
    for (value, at) in file.entries_of("Service", "SystemCallFilter") {
        if value.is_empty() {
            allow = None;
            names.clear();
            continue;
        }
        let (deny, list) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value.as_str()),
        };
        let words = list.split_whitespace().map(|w| w.split(':').next().unwrap_or(w).to_string());
        let mode = *allow.get_or_insert(!deny);
        if mode != deny {
            names.extend(words);
        } else {
            let words: Vec<String> = words.collect();
            names.retain(|n| !words.contains(n));
        }
        line = at;
    }
    let covers = |n: &String| ["@resources", "setrlimit", "@system-service", "@known"].contains(&n.as_str());
    match allow? {
        true => (!names.iter().any(covers)).then_some(line),
        false => names.iter().any(|n| ["@resources", "setrlimit"].contains(&n.as_str())).then_some(line),
    }
}

fn sandbox_vs_binary(ctx: &mut Ctx) {
    let binary = ctx.main_binary().map(Path::to_path_buf);
    // systemd.exec(5): MemoryDenyWriteExecute= breaks "programs which generate program code
    // dynamically at runtime, including JIT execution engines, executable stacks, and code
    // trampolines". Allocators such as jemalloc do not (redis ships with it on Debian).
    let [jit, tokio] = match &binary {
        Some(b) => {
            let found = scan::contains(b, &[b"cranelift", b"tokio"]);
            [found[0], found[1]]
        }
        None => [false; 2],
    };
    if let Some((true, line)) = ctx.file.bool("Service", "MemoryDenyWriteExecute")
        && jit
    {
        ctx.push(
            "U006",
            Severity::Warning,
            line,
            "MemoryDenyWriteExecute=yes with a binary that embeds a JIT (cranelift): it is killed when it maps code it generated".into(),
            "remove MemoryDenyWriteExecute=, or build without the JIT",
        );
    }
    if tokio && let Some(line) = denies_setrlimit(ctx.file) {
        ctx.push(
            "U007",
            Severity::Warning,
            line,
            "SystemCallFilter= denies setrlimit (@resources) and the binary uses tokio, which may call it".into(),
            "allow @resources (add it to the allow list, or remove it from the deny list), or test the service under this filter",
        );
    }
    // U008 (PrivateDevices=yes with CAP_NET_RAW/CAP_BPF/…) is retired: raw sockets, bpf(2) and
    // CAP_SYS_ADMIN need no device nodes; PrivateDevices= hides only physical devices in /dev.
}

fn no_new_privileges(ctx: &mut Ctx) {
    let nnp = ctx.file.bool("Service", "NoNewPrivileges").filter(|(b, _)| *b).map(|(_, l)| ("NoNewPrivileges=yes", l));
    let suid =
        ctx.file.bool("Service", "RestrictSUIDSGID").filter(|(b, _)| *b).map(|(_, l)| ("RestrictSUIDSGID=yes", l));
    let dynamic = ctx
        .file
        .bool("Service", "DynamicUser")
        .filter(|(b, _)| *b)
        .map(|(_, l)| ("DynamicUser=yes (which implies NoNewPrivileges=yes)", l));
    let Some((setting, _)) = nnp.or(suid).or(dynamic) else { return };
    for exec in ctx.file.exec_lines() {
        let base = exec.path.rsplit('/').next().unwrap_or("");
        let runs_helper = SETUID_HELPERS.contains(&base)
            || exec
                .args
                .iter()
                .any(|a| SETUID_HELPERS.contains(&a.trim_matches(['"', '\'']).rsplit('/').next().unwrap_or("")));
        let setuid_file = ctx.shipped(&exec.path).is_some_and(|f| f.mode & 0o6000 != 0);
        if runs_helper || setuid_file {
            ctx.push(
                "U009",
                Severity::Error,
                exec.line,
                format!("{}={} needs setuid privileges, which {setting} takes away", exec.key, exec.path),
                "run the command as the right user with User= or a `+` prefix instead of sudo/setuid helpers",
            );
        }
    }
}

fn ip_address_allow(ctx: &mut Ctx) {
    let allow = ctx.file.list("Service", "IPAddressAllow");
    let deny = ctx.file.list("Service", "IPAddressDeny");
    if let Some((_, line)) = allow.iter().find(|(a, _)| a == "any")
        && !deny.is_empty()
    {
        ctx.push(
            "U010",
            Severity::Warning,
            *line,
            "IPAddressAllow=any overrides every IPAddressDeny= entry: the deny list is ignored".into(),
            "list only the networks to allow (e.g. localhost 10.0.0.0/8), or drop the deny list",
        );
    }
}

fn working_directory(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "WorkingDirectory").cloned() else { return };
    if entry.value.starts_with('-') || entry.value.starts_with('~') {
        return;
    }
    let dir = entry.value.trim_end_matches('/');
    for exec in ctx.file.exec_lines().into_iter().filter(|e| e.key == "ExecStartPre") {
        let mkdir =
            exec.path.ends_with("/mkdir") || exec.path == "mkdir" || exec.args.iter().any(|a| a.ends_with("mkdir"));
        let creates = exec
            .args
            .iter()
            .map(|a| a.trim_matches(['"', '\'', ';']).trim_end_matches('/'))
            .any(|a| a.starts_with('/') && (dir == a || dir.starts_with(&format!("{a}/"))));
        if mkdir && creates {
            ctx.push(
                "U011",
                Severity::Error,
                entry.line,
                format!("WorkingDirectory={} is created by ExecStartPre= (line {}), but systemd enters it before ExecStartPre= runs: 200/CHDIR on a fresh system", entry.value, exec.line),
                "let systemd create it with StateDirectory=/RuntimeDirectory=, ship it in the package, or write WorkingDirectory=-PATH",
            );
        }
    }
}

/// A systemd time span (systemd.time(7)) in seconds: `5`, `5s`, `500ms`, `1min 30s`, `2h`.
/// `None` for `infinity` or anything else it cannot read.
fn timespan_seconds(value: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = value.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "" | "s" | "sec" | "second" | "seconds" => 1.0,
            "ms" | "msec" => 1e-3,
            "us" | "usec" | "µs" => 1e-6,
            "ns" | "nsec" => 1e-9,
            "m" | "min" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            "w" | "week" | "weeks" => 604800.0,
            _ => return None,
        };
        total += number * factor;
        rest = rest[unit_len..].trim_start();
    }
    Some(total)
}

/// systemd.unit(5): StartLimitIntervalSec= defaults to DefaultStartLimitIntervalSec=10s and
/// StartLimitBurst= to DefaultStartLimitBurst=5; systemd.service(5): RestartSec= defaults to
/// 100ms. A unit that keeps failing is stopped once it starts 5 times within 10 s, which happens
/// whenever 4 restart delays fit in 10 s: RestartSec= under 2.5 s. Only a longer delay without
/// limits of the unit's own restarts forever.
fn restart_limits(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "Restart").cloned() else { return };
    if !matches!(entry.value.as_str(), "always" | "on-failure" | "on-abnormal" | "on-abort" | "on-watchdog") {
        return;
    }
    // StartLimitInterval= is the old name (still read in [Unit] and [Service]).
    let keys = ["StartLimitBurst", "StartLimitIntervalSec", "StartLimitInterval"];
    let limited = ["Unit", "Service"].iter().any(|section| keys.iter().any(|k| ctx.file.get(section, k).is_some()));
    if limited {
        return;
    }
    let delay = ctx.file.get("Service", "RestartSec").map(|e| timespan_seconds(&e.value).unwrap_or(f64::INFINITY));
    let Some(delay) = delay.filter(|d| *d >= 2.5) else { return };
    ctx.push(
        "U012",
        Severity::Warning,
        entry.line,
        format!("Restart={} with RestartSec={delay}s and no StartLimitBurst=/StartLimitIntervalSec=: the default limit (5 starts in 10s) is never reached, so a service that cannot start restarts forever", entry.value),
        "add StartLimitBurst=5 and StartLimitIntervalSec= longer than 5 × RestartSec to [Unit]",
    );
}

/// Settings systemd 252 itself warns about when it loads the unit (`systemd-analyze verify` prints
/// the same): KillMode=none (systemd.kill(5): deprecated), MemoryLimit= (systemd.resource-control(5):
/// replaced by MemoryMax=), StandardOutput=/StandardError=syslog (systemd.exec(5): obsolete, read as
/// journal).
fn deprecated(ctx: &mut Ctx) {
    if let Some(e) = ctx.file.get("Service", "KillMode").filter(|e| e.value == "none").cloned() {
        ctx.push(
            "U016",
            Severity::Warning,
            e.line,
            "KillMode=none: systemd warns that it is unsafe and deprecated (processes outlive the service, and support will be removed)".into(),
            "use KillMode=mixed or control-group (the default)",
        );
    }
    for section in ["Service", "Slice", "Scope"] {
        if let Some(e) = ctx.file.get(section, "MemoryLimit").cloned() {
            ctx.push(
                "U016",
                Severity::Warning,
                e.line,
                "MemoryLimit= is deprecated: systemd warns and will drop it".into(),
                "write MemoryMax= (same value) instead",
            );
        }
    }
    for key in ["StandardOutput", "StandardError"] {
        if let Some(e) = ctx.file.get("Service", key).filter(|e| e.value.starts_with("syslog")).cloned() {
            ctx.push(
                "U016",
                Severity::Warning,
                e.line,
                format!("{key}={} is obsolete: systemd reads it as journal (and warns)", e.value),
                "remove the line (journal is the default; the journal forwards to syslog where one runs)",
            );
        }
    }
}
