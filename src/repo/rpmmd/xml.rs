//! primary.xml, filelists.xml, other.xml and repomd.xml, as createrepo_c writes them
//! (`xml_dump_primary.c`, `xml_dump_filelists.c`, `xml_dump_other.c`, `xml_dump_repomd.c`).

use std::fmt::Write as _;

use super::entry::{Dep, Entry, is_primary};
use crate::repo::Stored;

const COMMON_NS: &str = "http://linux.duke.edu/metadata/common";
const RPM_NS: &str = "http://linux.duke.edu/metadata/rpm";
const FILELISTS_NS: &str = "http://linux.duke.edu/metadata/filelists";
const OTHER_NS: &str = "http://linux.duke.edu/metadata/other";
const REPO_NS: &str = "http://linux.duke.edu/metadata/repo";

/// `text` safe inside an element or a double-quoted attribute. Characters XML 1.0 forbids
/// (control characters a package may carry in its description) are dropped: one of them would
/// make dnf refuse the whole file.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn version(e: &Entry) -> String {
    format!("<version epoch=\"{}\" ver=\"{}\" rel=\"{}\"/>", e.epoch, escape(&e.version), escape(&e.release))
}

pub fn primary(entries: &[(Stored, Entry)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<metadata xmlns=\"{COMMON_NS}\" xmlns:rpm=\"{RPM_NS}\" packages=\"{}\">", entries.len());
    for (stored, e) in entries {
        primary_package(&mut out, stored, e);
    }
    out.push_str("</metadata>\n");
    out
}

fn primary_package(out: &mut String, stored: &Stored, e: &Entry) {
    let x = escape;
    let _ = writeln!(out, "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>", x(&e.name), x(&e.arch));
    let _ = writeln!(out, "  {}\n  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>", version(e), stored.sha256);
    let _ = writeln!(out, "  <summary>{}</summary>\n  <description>{}</description>", x(&e.summary), x(&e.description));
    let _ = writeln!(out, "  <packager>{}</packager>\n  <url>{}</url>", x(&e.packager), x(&e.url));
    // The file's mtime changes with every copy: the build time is the one that means something.
    let _ = writeln!(out, "  <time file=\"{}\" build=\"{}\"/>", e.build_time, e.build_time);
    let _ = writeln!(
        out,
        "  <size package=\"{}\" installed=\"{}\" archive=\"{}\"/>\n  <location href=\"{}\"/>\n  <format>",
        stored.size,
        e.installed_size,
        e.archive_size,
        x(&stored.path)
    );
    for (tag, value) in [
        ("license", &e.license),
        ("vendor", &e.vendor),
        ("group", &e.group),
        ("buildhost", &e.buildhost),
        ("sourcerpm", &e.sourcerpm),
    ] {
        let _ = writeln!(out, "    <rpm:{tag}>{}</rpm:{tag}>", x(value));
    }
    let _ = writeln!(out, "    <rpm:header-range start=\"{}\" end=\"{}\"/>", e.header_start, e.header_end);
    let d = &e.deps;
    for (tag, deps) in [
        ("provides", &d.provides),
        ("requires", &d.requires),
        ("conflicts", &d.conflicts),
        ("obsoletes", &d.obsoletes),
        ("suggests", &d.suggests),
        ("enhances", &d.enhances),
        ("recommends", &d.recommends),
        ("supplements", &d.supplements),
    ] {
        dependencies(out, tag, deps);
    }
    for f in e.files.iter().filter(|f| is_primary(&f.path)) {
        file(out, "    ", &f.kind, &f.path);
    }
    out.push_str("  </format>\n</package>\n");
}

fn dependencies(out: &mut String, tag: &str, deps: &[Dep]) {
    if deps.is_empty() {
        return;
    }
    let _ = writeln!(out, "    <rpm:{tag}>");
    for dep in deps {
        let _ = write!(out, "      <rpm:entry name=\"{}\"", escape(&dep.name));
        if let Some(flags) = &dep.flags {
            let _ = write!(out, " flags=\"{flags}\"");
            for (attr, value) in [("epoch", &dep.epoch), ("ver", &dep.ver), ("rel", &dep.rel)] {
                if let Some(value) = value {
                    let _ = write!(out, " {attr}=\"{}\"", escape(value));
                }
            }
        }
        if tag == "requires" && dep.pre {
            out.push_str(" pre=\"1\"");
        }
        out.push_str("/>\n");
    }
    let _ = writeln!(out, "    </rpm:{tag}>");
}

fn file(out: &mut String, indent: &str, kind: &str, path: &str) {
    if kind.is_empty() {
        let _ = writeln!(out, "{indent}<file>{}</file>", escape(path));
    } else {
        let _ = writeln!(out, "{indent}<file type=\"{kind}\">{}</file>", escape(path));
    }
}

fn package_open(out: &mut String, stored: &Stored, e: &Entry) {
    let _ = writeln!(
        out,
        "<package pkgid=\"{}\" name=\"{}\" arch=\"{}\">\n  {}",
        stored.sha256,
        escape(&e.name),
        escape(&e.arch),
        version(e)
    );
}

pub fn filelists(entries: &[(Stored, Entry)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<filelists xmlns=\"{FILELISTS_NS}\" packages=\"{}\">", entries.len());
    for (stored, e) in entries {
        package_open(&mut out, stored, e);
        for f in &e.files {
            file(&mut out, "  ", &f.kind, &f.path);
        }
        out.push_str("</package>\n");
    }
    out.push_str("</filelists>\n");
    out
}

pub fn other(entries: &[(Stored, Entry)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<otherdata xmlns=\"{OTHER_NS}\" packages=\"{}\">", entries.len());
    for (stored, e) in entries {
        package_open(&mut out, stored, e);
        for c in &e.changelogs {
            let _ = writeln!(
                out,
                "  <changelog author=\"{}\" date=\"{}\">{}</changelog>",
                escape(&c.author),
                c.date,
                escape(&c.text)
            );
        }
        out.push_str("</package>\n");
    }
    out.push_str("</otherdata>\n");
    out
}

/// One `<data>` of repomd.xml: a compressed index and the digests of both its forms.
pub struct Data {
    pub kind: &'static str,
    pub href: String,
    pub sha256: String,
    pub size: u64,
    pub open_sha256: String,
    pub open_size: u64,
}

pub fn repomd(revision: u64, data: &[Data]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<repomd xmlns=\"{REPO_NS}\" xmlns:rpm=\"{RPM_NS}\">\n  <revision>{revision}</revision>");
    for d in data {
        let _ = writeln!(out, "  <data type=\"{}\">", d.kind);
        let _ = writeln!(out, "    <checksum type=\"sha256\">{}</checksum>", d.sha256);
        let _ = writeln!(out, "    <open-checksum type=\"sha256\">{}</open-checksum>", d.open_sha256);
        let _ = writeln!(out, "    <location href=\"{}\"/>", escape(&d.href));
        let _ = writeln!(out, "    <timestamp>{revision}</timestamp>");
        let _ = writeln!(out, "    <size>{}</size>\n    <open-size>{}</open-size>", d.size, d.open_size);
        out.push_str("  </data>\n");
    }
    out.push_str("</repomd>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(escape("a<b>&\"c\"\u{1}\td"), "a&lt;b&gt;&amp;&quot;c&quot;\td");
    }
}
