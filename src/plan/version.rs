//! Upstream versions mapped onto each format's version syntax (FORMATS.md §0.2).
//!
//! A semver pre-release (`1.4.2-rc.1`) must sort before its release, so its `-` becomes `~`,
//! which sorts before everything in dpkg, rpm and pacman alike.

use crate::format::Format;

/// The full version string for `format`, or why the input cannot be expressed in it.
pub fn map(format: Format, upstream: &str, epoch: Option<u32>, release: &str) -> Result<String, String> {
    if upstream.is_empty() {
        return Err("the version is empty".into());
    }
    match format {
        Format::Deb => deb(upstream, epoch, release),
        Format::Rpm => rpm(upstream, epoch, release),
        Format::Arch | Format::Pkgbuild => arch(upstream, epoch, release),
    }
}

fn deb(upstream: &str, epoch: Option<u32>, release: &str) -> Result<String, String> {
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
    Ok(match epoch {
        Some(e) if e > 0 => format!("{e}:{upstream}-{release}"),
        _ => format!("{upstream}-{release}"),
    })
}

/// rpm keeps epoch, version and release in separate tags; the string here is `[E:]V-R`.
fn rpm(upstream: &str, epoch: Option<u32>, release: &str) -> Result<String, String> {
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
    Ok(match epoch {
        Some(e) if e > 0 => format!("{e}:{version}-{release}"),
        _ => format!("{version}-{release}"),
    })
}

/// pacman's vercmp has no `~`: a letter right after the release sorts it earlier (`1.0rc1` <
/// `1.0`), so the pre-release is glued on, with `pre` before a numeric one. pkgrel is `N` or `N.N`.
fn arch(upstream: &str, epoch: Option<u32>, release: &str) -> Result<String, String> {
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
    Ok(match epoch {
        Some(e) if e > 0 => format!("{e}:{version}-{release}"),
        _ => format!("{version}-{release}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
