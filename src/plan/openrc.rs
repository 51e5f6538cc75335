//! Alpine has no systemd: each service unit becomes an OpenRC script in /etc/init.d, units are
//! left out of the package (`distpack check` says which directives did not carry over, A001/A002),
//! and a `DynamicUser=yes` service gets a real system user, since OpenRC cannot allocate one.

use super::services::SystemUser;
use super::{Package, PackageFile, Source};
use crate::manifest::FileKind;
use crate::unit::{UnitFile, UnitKind};

/// [Service] keys the OpenRC script carries over; any other is reported as not translated.
pub const TRANSLATED: &[&str] = &[
    "Type",
    "ExecStart",
    "ExecStartPre",
    "User",
    "Group",
    "DynamicUser",
    "StateDirectory",
    "RuntimeDirectory",
    "CacheDirectory",
    "LogsDirectory",
    "WorkingDirectory",
    "Restart",
    "RestartSec",
    "Environment",
    "PIDFile",
    // `capabilities=` (cap_iab(3) text, which supervise-daemon and start-stop-daemon apply).
    "AmbientCapabilities",
    "CapabilityBoundingSet",
    // `checkpath --mode` in start_pre.
    "StateDirectoryMode",
    "CacheDirectoryMode",
    "LogsDirectoryMode",
    "RuntimeDirectoryMode",
];

/// systemd's `Limit*=` → busybox ash's `ulimit` option (what openrc-run runs `rc_ulimit` with) and
/// the power of two its value is counted in (`-c`/`-f` in 512-byte blocks, `-d -l -m -s -v` in KiB).
/// LimitNICE= (a nice value or a raw limit) and LimitRTTIME= (not in busybox's ulimit) are missing.
const ULIMITS: &[(&str, char, u32)] = &[
    ("LimitCPU", 't', 0),
    ("LimitFSIZE", 'f', 9),
    ("LimitDATA", 'd', 10),
    ("LimitSTACK", 's', 10),
    ("LimitCORE", 'c', 9),
    ("LimitRSS", 'm', 10),
    ("LimitNOFILE", 'n', 0),
    ("LimitAS", 'v', 10),
    ("LimitNPROC", 'u', 0),
    ("LimitMEMLOCK", 'l', 10),
    ("LimitLOCKS", 'x', 0),
    ("LimitSIGPENDING", 'i', 0),
    ("LimitMSGQUEUE", 'q', 0),
    ("LimitRTPRIO", 'r', 0),
];

/// Byte-valued limits, which take systemd's K/M/G/T/P/E suffixes (powers of 1024).
const BYTE_LIMITS: &[&str] =
    &["LimitFSIZE", "LimitDATA", "LimitSTACK", "LimitCORE", "LimitRSS", "LimitAS", "LimitMEMLOCK", "LimitMSGQUEUE"];

/// `ulimit` arguments for one `Limit*=` value, e.g. `-n 65536`; None when it cannot be said in one
/// `ulimit` call (a soft limit different from the hard one, a unit suffix, a time span, …).
fn ulimit(key: &str, value: &str) -> Option<String> {
    let &(_, option, shift) = ULIMITS.iter().find(|(k, _, _)| *k == key)?;
    let value = match value.split_once(':') {
        Some((soft, hard)) if soft == hard => soft,
        Some(_) => return None,
        None => value,
    };
    if value == "infinity" {
        return Some(format!("-{option} unlimited"));
    }
    let (digits, factor) = match value.char_indices().last()? {
        (i, c) if BYTE_LIMITS.contains(&key) && c.is_ascii_alphabetic() => {
            let power = "KMGTPE".find(c.to_ascii_uppercase())? as u32 + 1;
            (&value[..i], 1u128 << (10 * power))
        }
        _ => (value, 1),
    };
    let number: u128 = digits.parse().ok()?;
    Some(format!("-{option} {}", (number * factor) >> shift))
}

/// Every Linux capability, as cap_iab(3) spells them.
const CAPABILITIES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// A `Cap*=` list as systemd reads it: lines accumulate, an empty one resets, a leading `~`
/// inverts the line. Returns (names, inverted); None when a name is not a capability.
fn capability_set(unit: &UnitFile, key: &str) -> Option<Option<(Vec<&'static str>, bool)>> {
    let mut set: Option<(Vec<&'static str>, bool)> = None;
    for entry in service_entries(unit, key) {
        let value = entry.value.trim();
        if value.is_empty() {
            set = None;
            continue;
        }
        let (inverted, list) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let mut names = Vec::new();
        for word in list.split_whitespace() {
            let name = word.to_ascii_lowercase();
            let name = name.strip_prefix("cap_")?;
            names.push(*CAPABILITIES.iter().find(|c| **c == name)?);
        }
        let (current, was_inverted) = set.get_or_insert((Vec::new(), inverted));
        if *was_inverted != inverted {
            return None;
        }
        current.extend(names);
    }
    Some(set)
}

fn service_entries<'a>(unit: &'a UnitFile, key: &'a str) -> impl Iterator<Item = &'a crate::unit::Entry> + 'a {
    unit.sections.iter().filter(|s| s.name == "Service").flat_map(|s| s.entries.iter()).filter(move |e| e.key == key)
}

/// `capabilities=` for AmbientCapabilities= and CapabilityBoundingSet=, in cap_iab(3) text:
/// `^cap` raises an ambient (and inheritable) capability, `!cap` drops one from the bounding set.
/// None when there is nothing to say; Err when a list cannot be translated.
fn capabilities(unit: &UnitFile) -> Result<Option<String>, ()> {
    let mut iab: Vec<String> = Vec::new();
    match capability_set(unit, "AmbientCapabilities").ok_or(())? {
        Some((names, false)) => iab.extend(names.iter().map(|c| format!("^cap_{c}"))),
        Some((names, true)) if names.is_empty() => {}
        Some((_, true)) => return Err(()),
        None => {}
    }
    match capability_set(unit, "CapabilityBoundingSet").ok_or(())? {
        Some((keep, false)) => {
            iab.extend(CAPABILITIES.iter().filter(|c| !keep.contains(c)).map(|c| format!("!cap_{c}")))
        }
        Some((drop, true)) => iab.extend(drop.iter().map(|c| format!("!cap_{c}"))),
        None => {}
    }
    iab.dedup();
    Ok((!iab.is_empty()).then(|| iab.join(",")))
}

pub(super) fn replace_units(package: &mut Package) {
    let units: Vec<_> =
        package.services.units.iter().filter(|u| u.kind == Some(UnitKind::Service) && !u.template).cloned().collect();
    package.files.retain(|f| f.kind != FileKind::Unit);
    for unit in &units {
        let user = unit.user.clone().or_else(|| unit.dynamic_user.then(|| unit.file.stem().to_string()));
        if let Some(name) = &user
            && unit.dynamic_user
            && !package.services.users.iter().any(|u| &u.name == name)
        {
            let home = unit
                .file
                .managed_directories()
                .into_iter()
                .find(|d| d.starts_with("/var/lib/"))
                .unwrap_or_else(|| "/var/empty".into());
            package.services.users.push(SystemUser {
                name: name.clone(),
                uid: None,
                groups: Vec::new(),
                home,
                shell: "/sbin/nologin".into(),
                description: format!("{} service user", package.name),
                declared: false,
            });
        }
        let script = script(&unit.file, user.as_deref());
        let path = format!("/etc/init.d/{}", unit.file.stem());
        package.files.push(PackageFile {
            path,
            kind: FileKind::Data,
            mode: 0o755,
            owner: "root".into(),
            group: "root".into(),
            size: script.len() as u64,
            source: Source::Generated { bytes: script.into_bytes() },
        });
    }
    package.files.sort_by(|a, b| a.path.cmp(&b.path));
}

/// A value inside double quotes in sh.
pub(crate) fn dq(value: &str) -> String {
    let mut out = String::from('"');
    for c in value.chars() {
        if matches!(c, '"' | '$' | '`' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The OpenRC script for one service unit.
pub fn script(unit: &UnitFile, user: Option<&str>) -> String {
    let get = |key: &str| unit.get("Service", key).map(|e| e.value.clone());
    let mut out = format!(
        "#!/sbin/openrc-run\n# OpenRC service for {}, generated by distpack from {}.\n\n",
        unit.stem(),
        unit.name
    );
    if let Some(description) = unit.get("Unit", "Description") {
        out += &format!("description={}\n", dq(&description.value));
    }
    let exec = unit.exec_lines();
    let start = exec.iter().find(|e| e.key == "ExecStart");
    let kind = get("Type").unwrap_or_else(|| "simple".into());
    let group = unit.static_group().map(|g| g.value.clone()).or_else(|| user.map(str::to_string));
    match kind.as_str() {
        "oneshot" => {}
        "forking" => {
            if let Some(pidfile) = get("PIDFile") {
                out += &format!("pidfile={}\n", dq(&pidfile));
            }
        }
        _ => out += "supervisor=supervise-daemon\n",
    }
    if let Some(start) = start.filter(|_| kind != "oneshot") {
        out += &format!("command={}\n", dq(&start.path));
        if !start.args.is_empty() {
            out += &format!("command_args={}\n", dq(&start.args.join(" ")));
        }
    }
    if let Some(user) = user {
        out +=
            &format!("command_user={}\n", dq(&format!("{user}:{}", group.clone().unwrap_or_else(|| user.to_string()))));
    }
    if let Some(dir) = get("WorkingDirectory") {
        out += &format!("directory={}\n", dq(dir.trim_start_matches('-')));
    }
    let restarts = get("Restart").is_some_and(|r| r != "no");
    if restarts && kind != "oneshot" {
        if let Some(delay) = get("RestartSec") {
            out += &format!("respawn_delay={}\n", dq(delay.trim_end_matches('s')));
        }
        if let Some(burst) = unit.get("Unit", "StartLimitBurst") {
            out += &format!("respawn_max={}\n", dq(&burst.value));
        }
        if let Some(period) = unit.get("Unit", "StartLimitIntervalSec") {
            out += &format!("respawn_period={}\n", dq(period.value.trim_end_matches('s')));
        }
    }
    if let Ok(Some(iab)) = capabilities(unit) {
        out += &format!("capabilities={}\n", dq(&iab));
    }
    let limits: Vec<String> = ULIMITS
        .iter()
        .filter_map(|(key, _, _)| unit.get("Service", key).and_then(|e| ulimit(key, e.value.trim())))
        .collect();
    if !limits.is_empty() {
        out += &format!("rc_ulimit={}\n", dq(&limits.join(" ")));
    }
    for (assignment, _) in unit.list("Service", "Environment") {
        if let Some((k, v)) = assignment.trim_matches('"').split_once('=') {
            out += &format!("export {k}={}\n", dq(v));
        }
    }
    let network =
        ["After", "Wants", "Requires"].iter().flat_map(|k| unit.list("Unit", k)).any(|(t, _)| t.starts_with("network"));
    if network {
        out += "\ndepend() {\n\tneed net\n}\n";
    }

    // Directories systemd would create, and ExecStartPre= commands, before the daemon starts.
    let owner = user.map(|u| format!("{u}:{}", group.clone().unwrap_or_else(|| u.to_string())));
    let mut pre = Vec::new();
    for (key, root) in [
        ("StateDirectory", "/var/lib"),
        ("CacheDirectory", "/var/cache"),
        ("LogsDirectory", "/var/log"),
        ("RuntimeDirectory", "/run"),
    ] {
        // systemd's default mode is 0755; `XDirectoryMode=` sets another.
        let mode = unit.get("Service", &format!("{key}Mode")).map(|e| e.value.trim().to_string());
        let mode =
            mode.filter(|m| u32::from_str_radix(m, 8).is_ok_and(|m| m <= 0o7777)).unwrap_or_else(|| "0755".into());
        let mode = format!("{:04o}", u32::from_str_radix(&mode, 8).unwrap_or(0o755));
        for (dir, _) in unit.list("Service", key) {
            let dir = format!("{root}/{}", dir.split(':').next().unwrap_or(&dir));
            let owner_arg = owner.as_ref().map(|o| format!(" --owner {o}")).unwrap_or_default();
            pre.push(format!("checkpath --directory{owner_arg} --mode {mode} {}", dq(&dir)));
        }
    }
    for e in exec.iter().filter(|e| e.key == "ExecStartPre") {
        let command = std::iter::once(e.path.as_str())
            .chain(e.args.iter().map(String::as_str))
            .map(dq)
            .collect::<Vec<_>>()
            .join(" ");
        pre.push(if e.prefixes.contains('-') { format!("{command} || true") } else { command });
    }
    if !pre.is_empty() {
        out += &format!("\nstart_pre() {{\n{}}}\n", pre.iter().map(|l| format!("\t{l}\n")).collect::<String>());
    }
    if kind == "oneshot" {
        let commands: Vec<String> = exec
            .iter()
            .filter(|e| e.key == "ExecStart")
            .map(|e| {
                std::iter::once(e.path.as_str())
                    .chain(e.args.iter().map(String::as_str))
                    .map(dq)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out += &format!(
            "\nstart() {{\n\tebegin \"Running {}\"\n{}\teend $?\n}}\n",
            unit.stem(),
            commands.iter().map(|c| format!("\t{c}\n")).collect::<String>()
        );
    }
    out
}

/// The [Service] directives of `unit` that the OpenRC script does not carry over.
pub fn untranslated(unit: &UnitFile) -> Vec<(String, usize)> {
    let capabilities_translated = capabilities(unit).is_ok();
    unit.sections
        .iter()
        .filter(|s| s.name == "Service")
        .flat_map(|s| s.entries.iter())
        .filter(|e| {
            let key = e.key.as_str();
            if key == "AmbientCapabilities" || key == "CapabilityBoundingSet" {
                return !capabilities_translated;
            }
            if key.starts_with("Limit") {
                // Only the last assignment counts, as for systemd.
                let last = unit.get("Service", key).map(|l| l.value.trim().to_string()).unwrap_or_default();
                return ulimit(key, &last).is_none();
            }
            !TRANSLATED.contains(&key)
        })
        .map(|e| (e.key.clone(), e.line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_become_busybox_ulimit_arguments() {
        assert_eq!(ulimit("LimitNOFILE", "65536").as_deref(), Some("-n 65536"));
        assert_eq!(ulimit("LimitNOFILE", "4096:4096").as_deref(), Some("-n 4096"));
        assert_eq!(ulimit("LimitNOFILE", "1024:4096"), None, "one ulimit call sets soft and hard alike");
        assert_eq!(ulimit("LimitCORE", "infinity").as_deref(), Some("-c unlimited"));
        assert_eq!(ulimit("LimitMEMLOCK", "64M").as_deref(), Some("-l 65536"), "KiB");
        assert_eq!(ulimit("LimitFSIZE", "1K").as_deref(), Some("-f 2"), "512-byte blocks");
        assert_eq!(ulimit("LimitNOFILE", "64K"), None, "a count takes no suffix");
        assert_eq!(ulimit("LimitCPU", "1h"), None);
        assert_eq!(ulimit("LimitRTTIME", "100"), None);
    }

    #[test]
    fn capabilities_become_cap_iab_text() {
        let unit = |body: &str| UnitFile::parse("a.service", &format!("[Service]\nExecStart=/bin/a\n{body}"));
        assert_eq!(capabilities(&unit("")), Ok(None));
        assert_eq!(
            capabilities(&unit("AmbientCapabilities=CAP_NET_BIND_SERVICE cap_net_raw\n")),
            Ok(Some("^cap_net_bind_service,^cap_net_raw".into()))
        );
        assert_eq!(
            capabilities(&unit("CapabilityBoundingSet=~CAP_SYS_ADMIN\nCapabilityBoundingSet=~CAP_SYS_PTRACE\n")),
            Ok(Some("!cap_sys_admin,!cap_sys_ptrace".into()))
        );
        assert_eq!(capabilities(&unit("CapabilityBoundingSet=CAP_NOT_A_CAP\n")), Err(()));
        let untranslated =
            untranslated(&unit("CapabilityBoundingSet=CAP_NOT_A_CAP\nLimitNOFILE=4096\nStateDirectoryMode=0750\n"));
        assert_eq!(untranslated.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["CapabilityBoundingSet"]);
    }
}
