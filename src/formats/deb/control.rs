//! The `control` file (deb822, FORMATS.md §1.4).

use crate::plan::Package;
use crate::plan::relations::{Op, Relation, RelationKind};
use crate::plan::version::Version;

/// Relation fields in the order dpkg-gencontrol writes them.
const RELATION_FIELDS: [(RelationKind, &str); 6] = [
    (RelationKind::Depends, "Depends"),
    (RelationKind::Recommends, "Recommends"),
    (RelationKind::Suggests, "Suggests"),
    (RelationKind::Conflicts, "Conflicts"),
    (RelationKind::Replaces, "Replaces"),
    (RelationKind::Provides, "Provides"),
];

/// `[epoch:]upstream-revision`.
pub fn version(v: &Version) -> String {
    match v.epoch {
        Some(e) => format!("{e}:{}-{}", v.upstream, v.release),
        None => format!("{}-{}", v.upstream, v.release),
    }
}

/// `name (>= 1.2) | other`.
fn relation(r: &Relation) -> String {
    let op = |op: Op| match op {
        Op::Lt => "<<",
        Op::Le => "<=",
        Op::Eq => "=",
        Op::Ge => ">=",
        Op::Gt => ">>",
    };
    let atoms: Vec<String> = r
        .alternatives
        .iter()
        .map(|a| match &a.constraint {
            Some(c) => format!("{} ({} {})", a.name, op(c.op), c.version),
            None => a.name.clone(),
        })
        .collect();
    atoms.join(" | ")
}

pub fn render(package: &Package, installed_size_kib: u64) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    };
    field("Package", &package.name);
    field("Version", &version(&package.version));
    if package.debug_of.is_some() {
        // dh_gencontrol's mark on the dbgsym packages it makes; archives keep them apart.
        field("Auto-Built-Package", "debug-symbols");
    }
    field("Architecture", &package.arch);
    field("Maintainer", &package.maintainer);
    field("Installed-Size", &installed_size_kib.to_string());
    for (key, name) in RELATION_FIELDS {
        if let Some(list) = package.relations.get(&key) {
            field(name, &list.iter().map(relation).collect::<Vec<_>>().join(", "));
        }
    }
    field("Section", &package.section);
    field("Priority", &package.priority);
    if let Some(home) = &package.homepage {
        field("Homepage", home);
    }
    let synopsis = package.summary.lines().next().unwrap_or("").trim();
    let extended = extended_description(&package.description);
    match extended.is_empty() {
        true => field("Description", synopsis),
        false => field("Description", &format!("{synopsis}\n{extended}")),
    }
    if let Some(debug) = &package.debug_of {
        field("Build-Ids", &debug.build_ids.join(" "));
    }
    out
}

/// The extended description: paragraphs re-wrapped to 79 columns and indented by one space, blank
/// lines as ` .`, and lines that start with white space kept verbatim (lists, code).
fn extended_description(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, lines: &mut Vec<String>| {
        if paragraph.is_empty() {
            return;
        }
        let mut line = String::new();
        for word in paragraph.iter().flat_map(|l| l.split_whitespace()) {
            if !line.is_empty() && line.len() + 1 + word.len() > 78 {
                lines.push(format!(" {line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(format!(" {line}"));
        paragraph.clear();
    };
    for raw in text.trim().lines() {
        if raw.trim().is_empty() {
            flush(&mut paragraph, &mut lines);
            lines.push(" .".into());
        } else if raw.starts_with([' ', '\t']) {
            flush(&mut paragraph, &mut lines);
            lines.push(format!(" {}", raw.trim_end()));
        } else {
            paragraph.push(raw);
        }
    }
    flush(&mut paragraph, &mut lines);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::extended_description;

    #[test]
    fn wraps_and_marks_paragraphs() {
        let text = "First paragraph that is long enough to need wrapping because it goes on and on past the limit.\n\nSecond.\n  verbatim line";
        let out = extended_description(text);
        assert!(out.lines().all(|l| l.starts_with(' ') && l.len() <= 80), "{out}");
        assert!(out.contains("\n .\n Second.\n   verbatim line"), "{out}");
    }
}
