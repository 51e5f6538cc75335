//! Upstream versions mapped onto each format's version syntax (FORMATS.md §0.2).
//!
//! A semver pre-release (`1.4.2-rc.1`) must sort before its release, so its `-` becomes `~`,
//! which sorts before everything in dpkg, rpm and pacman alike.

use serde::Serialize;

use crate::format::Format;

/// A package version in one format's syntax, kept in its parts until a writer renders it (each
/// writer has its own small function: `E:U-R` for dpkg and pacman, separate rpm tags, `U-rR`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Version {
    /// Present only when above 0 (no format writes a zero epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// The upstream version mapped onto the format's syntax (`1.4.2~rc.1`, `1.4.2_rc1`).
    pub upstream: String,
    /// Debian revision, rpm release, pkgrel, or apk's N of `-rN`; empty for an add-on bundle.
    pub release: String,
}

impl Version {
    fn new(epoch: Option<u32>, upstream: String, release: &str) -> Version {
        Version { epoch: epoch.filter(|e| *e > 0), upstream, release: release.to_string() }
    }
}

/// The full version as `format`'s tools spell it, wherever the plan itself writes one (file names,
/// the relations and changelog it generates, messages); writers render their own.
pub fn display(format: Format, v: &Version) -> String {
    let epoch = v.epoch.map(|e| format!("{e}:")).unwrap_or_default();
    match format {
        Format::Addon => v.upstream.clone(),
        Format::Apk => format!("{}-r{}", v.upstream, v.release),
        Format::Deb | Format::Rpm | Format::Arch | Format::Pkgbuild => format!("{epoch}{}-{}", v.upstream, v.release),
    }
}

/// The version for `format`, or why the input cannot be expressed in it.
pub fn map(format: Format, upstream: &str, epoch: Option<u32>, release: &str) -> Result<Version, String> {
    if upstream.is_empty() {
        return Err("the version is empty".into());
    }
    match format {
        Format::Deb => deb(upstream, epoch, release),
        Format::Rpm => rpm(upstream, epoch, release),
        Format::Arch | Format::Pkgbuild => arch(upstream, epoch, release),
        Format::Apk => apk(upstream, epoch, release),
        Format::Addon => addon(upstream),
    }
}

/// A bundle carries the upstream version as is: agents compare it to what they were asked to
/// stage, not by a package manager's ordering. It goes into a file name, so it is kept to a safe set.
fn addon(upstream: &str) -> Result<Version, String> {
    match upstream.chars().find(|c| !(c.is_ascii_alphanumeric() || ".+~_-".contains(*c))) {
        Some(bad) => Err(format!("add-on versions may contain only letters, digits and . + ~ _ -, not `{bad}`")),
        None => Ok(Version::new(None, upstream.to_string(), "")),
    }
}

fn deb(upstream: &str, epoch: Option<u32>, release: &str) -> Result<Version, String> {
    let upstream = upstream.replacen('-', "~", 1);
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("deb versions must start with a digit, and `{upstream}` does not"));
    }
    if let Some(bad) = upstream.chars().find(|c| !(c.is_ascii_alphanumeric() || ".+~-".contains(*c))) {
        return Err(format!(
            "deb versions may contain only letters, digits and . + ~ -, and `{upstream}` contains `{bad}`"
        ));
    }
    if release.is_empty() {
        return Err("the release (Debian revision) is empty".into());
    }
    if let Some(bad) = release.chars().find(|c| !(c.is_ascii_alphanumeric() || ".+~".contains(*c))) {
        return Err(format!(
            "a Debian revision may contain only letters, digits and . + ~, and release `{release}` contains `{bad}`"
        ));
    }
    Ok(Version::new(epoch, upstream, release))
}

/// rpm keeps epoch, version and release in separate tags; the string here is `[E:]V-R`.
fn rpm(upstream: &str, epoch: Option<u32>, release: &str) -> Result<Version, String> {
    // `-` separates version from release, so the rest of a semver pre-release keeps only `_`.
    let version = upstream.replacen('-', "~", 1).replace('-', "_");
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._+~^".contains(c);
    if let Some(bad) = version.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "rpm versions may contain only letters, digits and . _ + ~ ^, and `{version}` contains `{bad}`"
        ));
    }
    if release.is_empty() {
        return Err("the release is empty".into());
    }
    if let Some(bad) = release.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "an rpm release may contain only letters, digits and . _ + ~ ^, and release `{release}` contains `{bad}`"
        ));
    }
    Ok(Version::new(epoch, version, release))
}

/// pacman's vercmp has no `~`: a letter right after the release sorts it earlier (`1.0rc1` <
/// `1.0`), so the pre-release is glued on, with `pre` before a numeric one. pkgrel is `N` or `N.N`.
fn arch(upstream: &str, epoch: Option<u32>, release: &str) -> Result<Version, String> {
    let version = match upstream.split_once('-') {
        Some((base, pre)) if pre.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("{base}pre{}", pre.replace('-', "_"))
        }
        Some((base, pre)) => format!("{base}{}", pre.replace('-', "_")),
        None => upstream.to_string(),
    };
    if let Some(bad) = version.chars().find(|c| !(c.is_ascii_alphanumeric() || "._+@".contains(*c))) {
        return Err(format!("pkgver may contain only letters, digits and . _ + @, and `{version}` contains `{bad}`"));
    }
    if version.starts_with(['.', '_', '+', '@']) {
        return Err(format!("pkgver `{version}` must start with a letter or a digit"));
    }
    let mut parts = release.split('.');
    let numeric = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !numeric(parts.next()) || parts.clone().count() > 1 || (parts.clone().count() == 1 && !numeric(parts.next())) {
        return Err(format!("pkgrel must be a number such as 1 or 1.1, and release is `{release}`"));
    }
    Ok(Version::new(epoch, version, release))
}

/// Alpine: `number{.number}{letter}{_suffix{number}}-rN`; a semver pre-release must be one of
/// apk's suffixes (`1.4.2-rc.1` → `1.4.2_rc1`). pkgrel counts from 0: release 1 is `-r0`.
fn apk(upstream: &str, epoch: Option<u32>, release: &str) -> Result<Version, String> {
    if epoch.is_some_and(|e| e > 0) {
        return Err("apk versions have no epoch".into());
    }
    let (base, pre) = upstream.split_once('-').map(|(b, p)| (b, Some(p))).unwrap_or((upstream, None));
    // A version already in apk's own syntax keeps its suffixes: `1.12.0_pre0`, `2.1_rc1_p2`.
    let (base, own_suffixes) = base.split_once('_').map(|(b, s)| (b, Some(s))).unwrap_or((base, None));
    if let Some(suffixes) = own_suffixes {
        for suffix in suffixes.split('_') {
            let word = suffix.trim_end_matches(|c: char| c.is_ascii_digit());
            if !APK_SUFFIXES.contains(&word) {
                return Err(format!(
                    "`_{suffix}` is not one of apk's suffixes (alpha, beta, pre, rc, cvs, svn, git, hg, p)"
                ));
            }
        }
    }
    if !base.split('.').all(|part| {
        !part.is_empty()
            && part.trim_end_matches(|c: char| c.is_ascii_lowercase()).chars().all(|c| c.is_ascii_digit())
            && part.starts_with(|c: char| c.is_ascii_digit())
    }) {
        return Err(format!(
            "apk versions are dot-separated numbers (an optional letter may follow the last), and `{base}` is not"
        ));
    }
    let suffix = match pre {
        None => String::new(),
        Some(pre) => {
            let word: String = pre.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            let number: String = pre[word.len()..].chars().filter(|c| c.is_ascii_digit()).collect();
            if !APK_SUFFIXES.contains(&word.as_str()) {
                return Err(format!("the pre-release `{pre}` is not one of apk's suffixes (alpha, beta, pre, rc, …)"));
            }
            format!("_{word}{number}")
        }
    };
    let rel: u32 =
        release.parse().map_err(|_| format!("the apk release must be a number, and release is `{release}`"))?;
    let own = own_suffixes.map(|s| format!("_{s}")).unwrap_or_default();
    Ok(Version::new(None, format!("{base}{own}{suffix}"), &rel.saturating_sub(1).to_string()))
}

/// apk-tools' version suffixes, in its order (apk_version.c).
const APK_SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];

#[cfg(test)]
mod tests {
    use super::*;

    /// `[E:]U-R` (apk's `-rR` comes out as `-R`), to read the tests at a glance.
    fn map(format: Format, upstream: &str, epoch: Option<u32>, release: &str) -> Result<String, String> {
        super::map(format, upstream, epoch, release).map(|v| match v.epoch {
            Some(e) => format!("{e}:{}-{}", v.upstream, v.release),
            None => format!("{}-{}", v.upstream, v.release),
        })
    }

    #[test]
    fn deb_versions() {
        assert_eq!(map(Format::Deb, "1.4.2", None, "1").unwrap(), "1.4.2-1");
        assert_eq!(map(Format::Deb, "1.4.2-rc.1", Some(2), "1").unwrap(), "2:1.4.2~rc.1-1");
        assert_eq!(map(Format::Deb, "1.0.0+build.5", Some(0), "3").unwrap(), "1.0.0+build.5-3");
        assert!(map(Format::Deb, "v1.0", None, "1").unwrap_err().contains("start with a digit"));
        assert!(map(Format::Deb, "1.0_beta", None, "1").unwrap_err().contains("`_`"));
        assert!(map(Format::Deb, "1.0", None, "1-2").unwrap_err().contains("revision"));
    }

    #[test]
    fn apk_versions() {
        assert_eq!(map(Format::Apk, "1.4.2", None, "1").unwrap(), "1.4.2-0");
        assert_eq!(map(Format::Apk, "1.4.2-rc.1", None, "3").unwrap(), "1.4.2_rc1-2");
        assert!(map(Format::Apk, "1.4.2-nightly", None, "1").unwrap_err().contains("suffixes"));
        assert_eq!(map(Format::Apk, "1.12.0_pre0", None, "1").unwrap(), "1.12.0_pre0-0");
        assert_eq!(map(Format::Apk, "2.1_rc1_p2", None, "2").unwrap(), "2.1_rc1_p2-1");
        assert!(map(Format::Apk, "1.0_nope", None, "1").unwrap_err().contains("suffixes"));
        assert!(map(Format::Apk, "1.4", Some(1), "1").unwrap_err().contains("epoch"));
    }

    #[test]
    fn arch_versions() {
        assert_eq!(map(Format::Arch, "1.4.2", None, "1").unwrap(), "1.4.2-1");
        assert_eq!(map(Format::Arch, "1.4.2-rc.1", Some(1), "2").unwrap(), "1:1.4.2rc.1-2");
        assert_eq!(map(Format::Arch, "1.4.2-1", None, "1").unwrap(), "1.4.2pre1-1");
        assert!(map(Format::Arch, "1.0", None, "1a").unwrap_err().contains("pkgrel"));
        assert!(map(Format::Arch, "1.0", None, "1.2.3").unwrap_err().contains("pkgrel"));
    }

    #[test]
    fn rpm_versions() {
        assert_eq!(map(Format::Rpm, "1.4.2", None, "1").unwrap(), "1.4.2-1");
        assert_eq!(map(Format::Rpm, "1.4.2-rc.1", Some(2), "1").unwrap(), "2:1.4.2~rc.1-1");
        assert_eq!(map(Format::Rpm, "1.0.0-beta-2", None, "1").unwrap(), "1.0.0~beta_2-1");
        assert!(map(Format::Rpm, "1.0:2", None, "1").unwrap_err().contains("`:`"));
    }
}
