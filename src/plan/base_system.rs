//! Users and groups every installation of a distribution already has, so a package never
//! provisions them (and never removes them). The lists are each base system's own, not one
//! list for all: `www-data` is in Debian's base-passwd but not in Fedora's `setup`, and `sys`
//! is a Debian user that Fedora and Arch do not have. A name missing here is provisioned, which
//! is harmless; a name wrongly here would leave a unit without its user, so each list keeps
//! only what the base package certainly creates.

use crate::format::Format;

/// Debian's base-passwd (`/usr/share/base-passwd/passwd.master`).
const DEBIAN_USERS: &[&str] = &[
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
    "backup", "list", "irc", "_apt", "nobody",
];
/// base-passwd's `group.master`, and `systemd-journal`, which systemd itself creates.
const DEBIAN_GROUPS: &[&str] = &[
    "root",
    "daemon",
    "bin",
    "sys",
    "adm",
    "tty",
    "disk",
    "lp",
    "mail",
    "news",
    "uucp",
    "man",
    "proxy",
    "kmem",
    "dialout",
    "fax",
    "voice",
    "cdrom",
    "floppy",
    "tape",
    "sudo",
    "audio",
    "dip",
    "www-data",
    "backup",
    "operator",
    "list",
    "irc",
    "src",
    "shadow",
    "utmp",
    "video",
    "sasl",
    "plugdev",
    "staff",
    "games",
    "users",
    "nogroup",
    "systemd-journal",
];
/// Fedora's and RHEL's `setup` package.
const FEDORA_USERS: &[&str] =
    &["root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "operator", "games", "ftp", "nobody"];
const FEDORA_GROUPS: &[&str] = &[
    "root",
    "bin",
    "daemon",
    "sys",
    "adm",
    "tty",
    "disk",
    "lp",
    "mem",
    "kmem",
    "wheel",
    "cdrom",
    "mail",
    "man",
    "dialout",
    "floppy",
    "games",
    "tape",
    "video",
    "ftp",
    "lock",
    "audio",
    "users",
    "nobody",
    "utmp",
    "input",
    "kvm",
    "render",
    "systemd-journal",
];
/// Arch's `filesystem` package.
const ARCH_USERS: &[&str] = &["root", "bin", "daemon", "mail", "ftp", "http", "nobody"];
const ARCH_GROUPS: &[&str] = &[
    "root",
    "bin",
    "daemon",
    "sys",
    "mem",
    "ftp",
    "mail",
    "log",
    "smmsp",
    "proc",
    "games",
    "lock",
    "network",
    "floppy",
    "scanner",
    "power",
    "adm",
    "wheel",
    "utmp",
    "audio",
    "disk",
    "input",
    "kmem",
    "kvm",
    "lp",
    "optical",
    "render",
    "storage",
    "tty",
    "uucp",
    "video",
    "users",
    "http",
    "nobody",
    "systemd-journal",
];
/// Alpine's `alpine-baselayout`, the names in both its older and its 3.4+ passwd and group.
const ALPINE_USERS: &[&str] = &[
    "root", "bin", "daemon", "lp", "sync", "shutdown", "halt", "mail", "news", "uucp", "cron", "ftp", "sshd", "games",
    "ntp", "guest", "nobody",
];
const ALPINE_GROUPS: &[&str] = &[
    "root", "bin", "daemon", "sys", "adm", "tty", "disk", "lp", "kmem", "wheel", "floppy", "mail", "news", "uucp",
    "cron", "audio", "cdrom", "dialout", "ftp", "sshd", "input", "tape", "video", "netdev", "kvm", "games", "shadow",
    "users", "utmp", "nogroup",
];
/// What every one of them has: for add-on bundles, which can be staged on any of them.
const COMMON_USERS: &[&str] = &["root", "bin", "daemon", "mail", "nobody"];
const COMMON_GROUPS: &[&str] =
    &["root", "bin", "daemon", "sys", "adm", "tty", "disk", "lp", "kmem", "mail", "audio", "video", "games", "users"];

/// Whether the base system of `format`'s distribution has the user `name`.
pub fn has_user(format: Format, name: &str) -> bool {
    let users = match format {
        Format::Deb => DEBIAN_USERS,
        Format::Rpm => FEDORA_USERS,
        Format::Arch | Format::Pkgbuild => ARCH_USERS,
        Format::Apk => ALPINE_USERS,
        Format::Addon => COMMON_USERS,
    };
    users.contains(&name)
}

/// Whether the base system of `format`'s distribution has the group `name`.
pub fn has_group(format: Format, name: &str) -> bool {
    let groups = match format {
        Format::Deb => DEBIAN_GROUPS,
        Format::Rpm => FEDORA_GROUPS,
        Format::Arch | Format::Pkgbuild => ARCH_GROUPS,
        Format::Apk => ALPINE_GROUPS,
        Format::Addon => COMMON_GROUPS,
    };
    groups.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_in_every_base_system() {
        for format in Format::ALL {
            for user in COMMON_USERS {
                assert!(has_user(format, user), "{user} for {format}");
            }
            for group in COMMON_GROUPS {
                assert!(has_group(format, group), "{group} for {format}");
            }
        }
    }
}
