//! Rules about systemd units (DESIGN.md "Units": each learned from a service that broke).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{Finding, Severity, scan};
use crate::plan::services::{SYSTEM_USERS, ServiceUnit};
use crate::plan::{Package, PackageFile, Source};
use crate::unit::UnitFile;

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

    fn shipped(&self, path: &str) -> Option<&'a PackageFile> {
        self.package.files.iter().find(|f| f.path == path)
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
        out.extend(ctx.out);
    }
    out
}

fn syntax(ctx: &mut Ctx) {
    for (line, reason) in ctx.file.syntax_errors.clone() {
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
        let candidates: Vec<String> = if exec.path.starts_with('/') {
            vec![exec.path.clone()]
        } else {
            ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
                .iter()
                .map(|d| format!("{d}/{}", exec.path))
                .collect()
        };
        if candidates.iter().any(|p| ctx.shipped(p).is_some()) {
            continue;
        }
        let base = exec.path.rsplit('/').next().unwrap_or("");
        let dir = exec.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let standard_dir = dir.is_empty() || ["/bin", "/usr/bin", "/sbin", "/usr/sbin"].contains(&dir);
        if (standard_dir && STANDARD_COMMANDS.contains(&base))
            || exec.path.starts_with("/usr/lib/systemd/")
            || exec.path.starts_with("/lib/systemd/")
        {
            continue;
        }
        let staged = ctx.package.addon.as_ref().and_then(|a| a.stage.as_deref()).and_then(|stage| {
            let path = format!("{stage}/{base}");
            ctx.shipped(&path).map(|_| path)
        });
        if let Some(staged) = staged {
            ctx.push(
                "U002",
                Severity::Error,
                exec.line,
                format!(
                    "{}={} is not where the agent stages {base}: the add-on puts it at {staged}",
                    exec.key, exec.path
                ),
                "point the unit at the staged path, or change [addon] stage; the agent installs the unit verbatim",
            );
            continue;
        }
        ctx.push(
            "U002",
            Severity::Error,
            exec.line,
            format!("{}={} names a file the package does not install", exec.key, exec.path),
            "fix the path or add a [[files]] entry that installs it there; if another package provides it, add \"U002\" to [check] ignore",
        );
    }
}

fn static_user(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.static_user().cloned() else { return };
    if SYSTEM_USERS.contains(&entry.value.as_str()) {
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

fn notify(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "Type").cloned() else { return };
    if !entry.value.starts_with("notify") {
        return;
    }
    let Some(binary) = ctx.main_binary() else { return };
    if !scan::contains(binary, &[b"NOTIFY_SOCKET", b"libsystemd.so", b"sd_notify"]).iter().any(|f| *f) {
        ctx.push(
            "U004",
            Severity::Error,
            entry.line,
            format!("Type={} but {} shows no sign of sd_notify (no NOTIFY_SOCKET, no libsystemd): the unit hangs in 'activating'", entry.value, binary.display()),
            "use Type=exec (or simple), or make the service send READY=1",
        );
    }
}

fn read_write_paths(ctx: &mut Ctx) {
    let managed = ctx.file.managed_directories();
    for (raw, line) in ctx.file.list("Service", "ReadWritePaths") {
        if raw.starts_with('-') {
            continue; // optional: systemd skips it when missing
        }
        let path = raw.trim_start_matches('+').trim_end_matches('/').to_string();
        let path = if path.is_empty() { "/".to_string() } else { path };
        let inside = |dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
        let created = STANDARD_DIRS.contains(&path.as_str())
            || managed.iter().any(|d| inside(d))
            || ctx.package.services.directories.iter().any(|d| inside(&d.path))
            || ctx.package.files.iter().any(|f| f.path == path || f.path.starts_with(&format!("{path}/")));
        if !created {
            ctx.push(
                "U005",
                Severity::Error,
                line,
                format!("ReadWritePaths={path} is not created by the package: the service fails with 226/NAMESPACE where it is missing"),
                "create it (StateDirectory=, a [[directories]] entry or a dir file), or write -{path} to make it optional",
            );
        }
    }
}

fn sandbox_vs_binary(ctx: &mut Ctx) {
    let binary = ctx.main_binary().map(Path::to_path_buf);
    let [jemalloc, jit, tokio] = match &binary {
        Some(b) => {
            let found = scan::contains(b, &[b"jemalloc", b"cranelift", b"tokio"]);
            [found[0], found[1], found[2]]
        }
        None => [false; 3],
    };
    if let Some((true, line)) = ctx.file.bool("Service", "MemoryDenyWriteExecute")
        && (jemalloc || jit)
    {
        let what = if jemalloc { "jemalloc" } else { "a JIT" };
        ctx.push(
            "U006",
            Severity::Warning,
            line,
            format!("MemoryDenyWriteExecute=yes with a binary that uses {what}: it may crash on start"),
            "remove MemoryDenyWriteExecute=, or build without it",
        );
    }
    for entry in ["SystemCallFilter"].iter().flat_map(|k| ctx.file.list("Service", k)) {
        let (word, line) = entry;
        if tokio
            && (word.contains("~@privileged")
                || word.contains("~@resources")
                || word == "@privileged"
                || word == "@resources")
        {
            ctx.push(
                "U007",
                Severity::Warning,
                line,
                format!("SystemCallFilter= denies {word} and the binary uses tokio, which calls setrlimit and friends"),
                "allow @resources (remove it from the deny list), or test the service under this filter",
            );
            break;
        }
    }
    if let Some((true, line)) = ctx.file.bool("Service", "PrivateDevices") {
        let caps: Vec<String> = ["AmbientCapabilities", "CapabilityBoundingSet"]
            .iter()
            .flat_map(|k| ctx.file.list("Service", k))
            .map(|(c, _)| c)
            .collect();
        if let Some(cap) =
            caps.iter().find(|c| ["CAP_NET_RAW", "CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"].contains(&c.as_str()))
        {
            ctx.push(
                "U008",
                Severity::Warning,
                line,
                format!(
                    "PrivateDevices=yes in a unit that asks for {cap}: eBPF and raw-socket agents need devices it hides"
                ),
                "remove PrivateDevices= (the raw-socket-agent profile shows a working set)",
            );
        }
    }
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

fn restart_limits(ctx: &mut Ctx) {
    let Some(entry) = ctx.file.get("Service", "Restart").cloned() else { return };
    if !matches!(entry.value.as_str(), "always" | "on-failure" | "on-abnormal" | "on-abort" | "on-watchdog") {
        return;
    }
    let limited = ["StartLimitBurst", "StartLimitIntervalSec"].iter().any(|k| ctx.file.get("Unit", k).is_some())
        || ["StartLimitBurst", "StartLimitInterval"].iter().any(|k| ctx.file.get("Service", k).is_some());
    if !limited {
        ctx.push(
            "U012",
            Severity::Warning,
            entry.line,
            format!("Restart={} with no StartLimitBurst=/StartLimitIntervalSec=: a service that cannot start restarts forever", entry.value),
            "add StartLimitBurst=5 and StartLimitIntervalSec=60 to [Unit]",
        );
    }
}
