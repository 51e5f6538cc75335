//! The files Debian policy expects in every binary package: a machine-readable copyright file and
//! a gzipped changelog (FORMATS.md §1.9: lintian's `no-copyright-file` and `no-changelog`).

use super::Package;
use crate::format::Format;
use crate::manifest::FileKind;

/// Licenses whose full text Debian ships in /usr/share/common-licenses, by SPDX id → file name.
const COMMON_LICENSES: &[(&str, &str)] = &[
    ("Apache-2.0", "Apache-2.0"),
    ("Artistic-1.0", "Artistic"),
    ("CC0-1.0", "CC0-1.0"),
    ("GFDL-1.2", "GFDL-1.2"),
    ("GFDL-1.3", "GFDL-1.3"),
    ("GPL-1.0", "GPL-1"),
    ("GPL-2.0", "GPL-2"),
    ("GPL-3.0", "GPL-3"),
    ("LGPL-2.0", "LGPL-2"),
    ("LGPL-2.1", "LGPL-2.1"),
    ("LGPL-3.0", "LGPL-3"),
    ("MPL-1.1", "MPL-1.1"),
    ("MPL-2.0", "MPL-2.0"),
];

pub(super) fn add_docs(package: &mut Package, license_texts: &[String]) {
    let dir = package.doc_dir();
    let copyright = copyright(package, license_texts);
    let changelog = crate::compress::gzip(changelog(package).as_bytes());
    for (name, bytes) in [("copyright", copyright.into_bytes()), ("changelog.Debian.gz", changelog)] {
        let path = format!("{dir}/{name}");
        package.add_generated(path, FileKind::Doc, bytes);
    }
}

/// SPDX `GPL-3.0-or-later` → DEP-5 `GPL-3+`, `GPL-2.0-only` → `GPL-2`; other ids unchanged.
fn dep5_name(spdx: &str) -> String {
    let (base, plus) = match spdx.strip_suffix("-or-later").or_else(|| spdx.strip_suffix('+')) {
        Some(base) => (base, "+"),
        None => (spdx.strip_suffix("-only").unwrap_or(spdx), ""),
    };
    let base = COMMON_LICENSES.iter().find(|(id, _)| *id == base).map(|(_, deb)| *deb).unwrap_or(base);
    format!("{base}{plus}")
}

fn copyright(package: &Package, license_texts: &[String]) -> String {
    let expression = package.license.clone().unwrap_or_else(|| "UNKNOWN".into());
    let ids: Vec<&str> = expression
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty() && !matches!(*w, "OR" | "AND" | "WITH"))
        .collect();
    let dep5_expression = expression
        .split_whitespace()
        .map(|w| match w {
            "OR" => "or".to_string(),
            "AND" => "and".to_string(),
            id => dep5_name(id.trim_matches(['(', ')'])),
        })
        .collect::<Vec<_>>()
        .join(" ");

    let mut out = String::from("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n");
    out += &format!("Upstream-Name: {}\nUpstream-Contact: {}\n", package.name, package.maintainer);
    if let Some(home) = &package.homepage {
        out += &format!("Source: {home}\n");
    }
    // lintian wants a year in the notice; the build's own date is the best the manifest gives.
    let year = rfc2822(package.mtime).split_whitespace().nth(3).unwrap_or("1970").to_string();
    let notice = package.copyright.clone().unwrap_or_else(|| format!("{year} {}", package.maintainer));
    out += &format!("\nFiles: *\nCopyright: {notice}\nLicense: {dep5_expression}\n");

    let unshipped: Vec<&&str> = ids.iter().filter(|id| common_license_file(id).is_none()).collect();
    for id in &ids {
        out += &format!("\nLicense: {}\n", dep5_name(id));
        let body = if let Some(file) = common_license_file(id) {
            format!(
                "On Debian systems, the complete text of this license can be found in\n/usr/share/common-licenses/{file}."
            )
        } else if unshipped.len() == 1 && !license_texts.is_empty() {
            license_texts.join("\n")
        } else if let Some(text) = license_texts.iter().find(|t| t.contains(*id)) {
            text.clone()
        } else {
            format!("See the {id} license text that ships with {}.", package.name)
        };
        for line in body.trim_end().lines() {
            let line = line.trim_end();
            out += if line.is_empty() { " .\n" } else { " " };
            if !line.is_empty() {
                out += line;
                out += "\n";
            }
        }
    }
    out
}

fn common_license_file(spdx: &str) -> Option<&'static str> {
    let base = spdx
        .strip_suffix("-or-later")
        .or_else(|| spdx.strip_suffix("-only"))
        .or_else(|| spdx.strip_suffix('+'))
        .unwrap_or(spdx);
    COMMON_LICENSES.iter().find(|(id, _)| *id == base).map(|(_, file)| *file)
}

fn changelog(package: &Package) -> String {
    format!(
        "{name} ({version}) unstable; urgency=medium\n\n  * Package {name} {upstream}.\n\n -- {maintainer}  {date}\n",
        name = package.name,
        version = super::version::display(Format::Deb, &package.version),
        upstream = package.upstream_version,
        maintainer = package.maintainer,
        date = rfc2822(package.mtime),
    )
}

/// `Mon, 01 Jan 2024 00:00:00 +0000` for a Unix time. Written out here because the changelog is the
/// only date distpack formats; a date crate for one line is not worth its weight.
pub(crate) fn rfc2822(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[(days.rem_euclid(7)) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_704_067_200), "Mon, 01 Jan 2024 00:00:00 +0000");
        assert_eq!(rfc2822(951_782_400 + 3661), "Tue, 29 Feb 2000 01:01:01 +0000");
    }

    #[test]
    fn maps_spdx_to_dep5_names() {
        assert_eq!(dep5_name("GPL-3.0-or-later"), "GPL-3+");
        assert_eq!(dep5_name("GPL-2.0-only"), "GPL-2");
        assert_eq!(dep5_name("MIT"), "MIT");
    }
}
