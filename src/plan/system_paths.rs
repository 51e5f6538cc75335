//! Paths that belong to the base system, not to a package: which directories the base filesystem
//! package owns, how the merged-/usr aliases map, which paths purge may remove, and which paths are
//! safe to put into a maintainer script.

use crate::format::Format;

/// Directories that the base filesystem packages own (Debian's base-files, Fedora's filesystem,
/// Arch's filesystem, Alpine's alpine-baselayout) or that many packages share. A package that
/// claims one conflicts with them (rpm, pacman) or, on purge, would delete the whole system's.
const BASE_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/etc/default",
    "/etc/init.d",
    "/etc/logrotate.d",
    "/etc/sudoers.d",
    "/etc/systemd",
    "/etc/systemd/system",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/run/lock",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/games",
    "/usr/include",
    "/usr/lib",
    "/usr/lib/systemd",
    "/usr/lib/systemd/system",
    "/usr/lib/systemd/user",
    "/usr/lib/sysusers.d",
    "/usr/lib/tmpfiles.d",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/etc",
    "/usr/local/include",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/local/share",
    "/usr/local/src",
    "/usr/sbin",
    "/usr/share",
    "/usr/share/applications",
    "/usr/share/bash-completion",
    "/usr/share/bash-completion/completions",
    "/usr/share/doc",
    "/usr/share/fish",
    "/usr/share/fish/vendor_completions.d",
    "/usr/share/info",
    "/usr/share/licenses",
    "/usr/share/man",
    "/usr/share/zsh",
    "/usr/share/zsh/site-functions",
    "/usr/share/zsh/vendor-completions",
    "/usr/src",
    "/var",
    "/var/backups",
    "/var/cache",
    "/var/cache/private",
    "/var/lib",
    "/var/lib/private",
    "/var/local",
    "/var/lock",
    "/var/log",
    "/var/log/private",
    "/var/mail",
    "/var/opt",
    "/var/run",
    "/var/spool",
    "/var/tmp",
    "/var/www",
];

/// Whether the base system owns `path` (a normalized absolute path).
pub fn is_base_dir(path: &str) -> bool {
    BASE_DIRS.contains(&path) || path.strip_prefix("/usr/share/man/man").is_some_and(|s| !s.contains('/'))
}

/// Trees where purge never deletes: the package manager's own files, the kernel's, people's homes
/// and scratch space that other programs share.
const NEVER_PURGED: &[&str] =
    &["/usr", "/boot", "/dev", "/proc", "/sys", "/home", "/root", "/tmp", "/var/tmp", "/run/user", "/media", "/mnt"];

/// Why purge may not remove `path`, if it may not: a base directory, a tree purge never touches,
/// or too shallow to be one package's own (`/var/NAME` is shared ground; `/var/lib/NAME` is not).
pub fn purge_refusal(path: &str) -> Option<String> {
    if is_base_dir(path) {
        return Some(format!("`{path}` belongs to the base system"));
    }
    if let Some(tree) = NEVER_PURGED.iter().find(|t| path.starts_with(&format!("{t}/"))) {
        return Some(format!("`{path}` is under {tree}, which purge never touches"));
    }
    let depth = path.split('/').filter(|c| !c.is_empty()).count();
    let minimum = if path.starts_with("/var/") { 3 } else { 2 };
    (depth < minimum).then(|| format!("`{path}` is not below a directory of the package's own (e.g. /var/lib/NAME)"))
}

/// Why `path` cannot be put into a maintainer script or a sysusers.d/tmpfiles.d line, if it cannot:
/// it must be absolute and normalized, and printable ASCII without quotes, `\`, `$`, `` ` ``, `%`
/// (tmpfiles.d specifiers) or glob characters.
pub fn script_path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("`{path}` is not an absolute path"));
    }
    if path != "/" && path[1..].split('/').any(|c| matches!(c, "" | "." | "..")) {
        return Some(format!("`{path}` is not normalized (empty, `.` or `..` components, or a trailing `/`)"));
    }
    if let Some(c) = path.chars().find(|c| !c.is_ascii_graphic() || "'\"\\`$%*?[]".contains(*c)) {
        return Some(format!("`{}` contains {}", path.escape_default(), describe(c)));
    }
    None
}

fn describe(c: char) -> String {
    if c.is_ascii_graphic() { format!("`{c}`") } else { format!("the character {:?}", c) }
}

/// The path on a merged-/usr system for a destination given under an alias (`/lib/systemd/system/x`
/// → `/usr/lib/systemd/system/x`): rpm and pacman refuse a package that owns `/lib` or `/bin`,
/// which the filesystem package owns as symlinks. Alpine keeps the top-level directories real.
pub fn canonical(format: Format, path: &str) -> String {
    if format == Format::Apk {
        return path.to_string();
    }
    let arch = matches!(format, Format::Arch | Format::Pkgbuild);
    let aliases: &[(&str, &str)] = if arch {
        &[
            ("/bin/", "/usr/bin/"),
            ("/sbin/", "/usr/bin/"),
            ("/usr/sbin/", "/usr/bin/"),
            ("/lib/", "/usr/lib/"),
            ("/lib64/", "/usr/lib/"),
            ("/usr/lib64/", "/usr/lib/"),
            ("/var/run/", "/run/"),
            ("/var/lock/", "/run/lock/"),
        ]
    } else {
        &[
            ("/bin/", "/usr/bin/"),
            ("/sbin/", "/usr/sbin/"),
            ("/lib/", "/usr/lib/"),
            ("/lib64/", "/usr/lib64/"),
            ("/var/run/", "/run/"),
            ("/var/lock/", "/run/lock/"),
        ]
    };
    for (alias, real) in aliases {
        if let Some(rest) = path.strip_prefix(alias) {
            return format!("{real}{rest}");
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_never_reaches_the_system() {
        for path in ["/", "/var/lib", "/etc", "/usr", "/var", "/srv", "/opt", "/var/foo", "/usr/share/x", "/home/a"] {
            assert!(purge_refusal(path).is_some(), "{path}");
        }
        for path in ["/var/lib/kv", "/var/cache/kv/db", "/srv/kv", "/opt/kv", "/etc/kv"] {
            assert_eq!(purge_refusal(path), None, "{path}");
        }
    }

    #[test]
    fn script_paths_are_plain() {
        assert_eq!(script_path_problem("/var/lib/kv"), None);
        for bad in ["var/lib", "/var//lib", "/var/lib/", "/a/../b", "/it's", "/a b", "/a\nb", "/$HOME", "/%h", "/*"] {
            assert!(script_path_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn aliases_map_to_usr() {
        assert_eq!(canonical(Format::Rpm, "/lib/systemd/system/x.service"), "/usr/lib/systemd/system/x.service");
        assert_eq!(canonical(Format::Arch, "/usr/sbin/x"), "/usr/bin/x");
        assert_eq!(canonical(Format::Deb, "/sbin/x"), "/usr/sbin/x");
        assert_eq!(canonical(Format::Apk, "/sbin/x"), "/sbin/x");
        assert_eq!(canonical(Format::Deb, "/library/x"), "/library/x");
    }
}
