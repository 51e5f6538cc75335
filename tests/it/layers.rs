//! The layering rule of src/lib.rs, kept: every `crate::` path in `src/` (in `use` lines, grouped or
//! not, over several lines or one, and inline in code) is an edge between top-level modules; the
//! graph must have no cycle and every edge must go down the layers listed in src/lib.rs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where one top-level module names another: the file and line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: String,
    line: usize,
}

/// (from, to) → the first place `from` names `to`.
type Edges = BTreeMap<(String, String), Site>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of the library under `dir` (src/main.rs and src/bin/ are other crates).
fn library_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let relative = path.strip_prefix(src()).unwrap().to_path_buf();
        if relative == Path::new("main.rs") || relative == Path::new("bin") {
            continue;
        }
        if path.is_dir() {
            library_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules, as `src/lib.rs` declares them.
fn top_level_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|rest| rest.trim_end_matches(';').trim().to_string())
        .collect()
}

/// `text` with comments blanked out (newlines kept, so lines still count). String literals stay:
/// `#[serde(serialize_with = "crate::x::f")]` is a real use of `crate::x`.
fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !is_ident(chars.get(i.wrapping_sub(1))) {
            // A raw string r"…" or r#"…"#: copied through to its closing quote and hashes.
            let start = i;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            j += 1;
            while j < chars.len() && !(chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#'))) {
                j += 1;
            }
            let end = (j + 1 + hashes).min(chars.len());
            out.extend(&chars[start..end]);
            i = end;
        } else if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(chars[i]);
                    i += 1;
                }
                out.push(chars[i]);
                i += 1;
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else if c == '\'' {
            // A char literal ('"', '\'', '/') is copied whole; a lifetime is just a quote.
            let literal_end = match (next, chars.get(i + 2), chars.get(i + 3)) {
                (Some('\\'), _, _) => (i + 2..chars.len()).find(|&k| chars[k] == '\'').map(|k| k + 1),
                (Some(_), Some('\''), _) => Some(i + 3),
                _ => None,
            };
            let end = literal_end.unwrap_or(i + 1);
            out.extend(&chars[i..end]);
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
}

fn ident_at(chars: &[char], mut i: usize) -> Option<String> {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    let start = i;
    while is_ident(chars.get(i)) {
        i += 1;
    }
    (i > start).then(|| chars[start..i].iter().collect())
}

/// The first segment of every `crate::` path in `code` (comments stripped), with its line:
/// `crate::a::b` gives `a`; `crate::{a, b::c, d::{e, f}}` gives `a`, `b` and `d`.
fn crate_paths(code: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let line_of = |i: usize| chars[..i].iter().filter(|c| **c == '\n').count() + 1;
    let pattern: Vec<char> = "crate".chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + pattern.len() <= chars.len() {
        if chars[i..i + pattern.len()] != pattern[..] || is_ident(i.checked_sub(1).and_then(|p| chars.get(p))) {
            i += 1;
            continue;
        }
        let mut j = i + pattern.len();
        let skip_space = |j: &mut usize| {
            while chars.get(*j).is_some_and(|c| c.is_whitespace()) {
                *j += 1;
            }
        };
        skip_space(&mut j);
        if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
            i += 1;
            continue;
        }
        j += 2;
        skip_space(&mut j);
        if chars.get(j) == Some(&'{') {
            // A group: the first segment of each item at depth one.
            let mut depth = 0;
            let mut item_start = true;
            while j < chars.len() {
                match chars[j] {
                    '{' => {
                        depth += 1;
                        item_start = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 1 => {
                        if let Some(name) = ident_at(&chars, j) {
                            found.push((name.clone(), line_of(j)));
                            j += name.chars().count();
                            item_start = false;
                            continue;
                        }
                        item_start = false;
                    }
                    _ => {}
                }
                j += 1;
            }
        } else if let Some(name) = ident_at(&chars, j) {
            found.push((name, line_of(j)));
        }
        i = j.max(i + 1);
    }
    found.retain(|(name, _)| name != "self" && name != "super");
    found
}

/// The top-level module a file belongs to: `plan` for src/plan/files.rs, `cli` for src/cli.rs.
fn top_level_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib").then_some(name)
}

fn edges() -> Edges {
    let modules = top_level_modules();
    let mut files = Vec::new();
    library_files(&src(), &mut files);
    let mut edges = Edges::new();
    for file in files {
        let Some(from) = top_level_of(&file) else { continue };
        let code = strip_comments(&std::fs::read_to_string(&file).unwrap());
        let shown = file.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap().display().to_string();
        for (to, line) in crate_paths(&code) {
            assert!(modules.contains(&to), "{shown}:{line}: `crate::{to}` is not a top-level module of src/lib.rs");
            if to != from {
                edges.entry((from.clone(), to)).or_insert(Site { file: shown.clone(), line });
            }
        }
    }
    edges
}

/// A cycle in the graph, as the modules along it (the first repeated at the end), if there is one.
fn find_cycle(edges: &Edges) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    // 0 unseen, 1 on the current path, 2 done.
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(node, 1);
        path.push(node);
        for &to in next.get(node).into_iter().flatten() {
            match state.get(to).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|n| *n == to).unwrap();
                    let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(to.to_string());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(to, next, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node, 2);
        None
    }
    let mut state = BTreeMap::new();
    let nodes: Vec<&str> = next.keys().copied().collect();
    for node in nodes {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let mut path = Vec::new();
            if let Some(cycle) = visit(node, &next, &mut state, &mut path) {
                return Some(cycle);
            }
        }
    }
    None
}

fn describe_cycle(cycle: &[String], edges: &Edges) -> String {
    let mut text = format!("module cycle: {}\n", cycle.join(" -> "));
    for pair in cycle.windows(2) {
        let site = &edges[&(pair[0].clone(), pair[1].clone())];
        text += &format!("  {} -> {}: {}:{}\n", pair[0], pair[1], site.file, site.line);
    }
    text
}

/// The layer of each module, from the numbered list in src/lib.rs's `# Layers`.
fn layers() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("//! ") else { continue };
        let Some((number, rest)) = item.split_once(". ") else { continue };
        let Ok(number) = number.parse::<usize>() else { continue };
        let names = rest.split(':').next().unwrap();
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            assert!(layers.insert(name.to_string(), number).is_none(), "src/lib.rs lists `{name}` in two layers");
        }
    }
    layers
}

#[test]
fn top_level_modules_form_no_cycle() {
    let edges = edges();
    assert!(edges.len() > 20, "the parser found only {} edges: {edges:?}", edges.len());
    if let Some(cycle) = find_cycle(&edges) {
        panic!("{}", describe_cycle(&cycle, &edges));
    }
}

#[test]
fn imports_go_down_the_layers_of_lib_rs() {
    let layers = layers();
    let modules = top_level_modules();
    let listed: BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(listed, modules, "src/lib.rs's `# Layers` must list every top-level module once");
    let mut wrong = Vec::new();
    for ((from, to), site) in &edges() {
        if layers[to] >= layers[from] {
            wrong.push(format!(
                "  {from} (layer {}) imports {to} (layer {}): {}:{}",
                layers[from], layers[to], site.file, site.line
            ));
        }
    }
    assert!(wrong.is_empty(), "imports against the layers of src/lib.rs:\n{}", wrong.join("\n"));
}

#[test]
fn the_manifest_the_plan_and_format_do_not_know_the_writers() {
    let mut files = Vec::new();
    library_files(&src(), &mut files);
    let mut offenders = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src()).unwrap();
        let guarded = relative == Path::new("format.rs")
            || relative.starts_with("plan")
            || relative.starts_with("manifest")
            || relative == Path::new("plan.rs")
            || relative == Path::new("manifest.rs");
        if !guarded {
            continue;
        }
        let code = strip_comments(&std::fs::read_to_string(&file).unwrap());
        for (to, line) in crate_paths(&code) {
            if to == "formats" {
                offenders.push(format!("src/{}:{line}", relative.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "crate::formats named where the writers must be unknown: {offenders:?}");
    let format = strip_comments(&std::fs::read_to_string(src().join("format.rs")).unwrap());
    assert_eq!(crate_paths(&format), vec![], "src/format.rs is a leaf: it imports nothing of the crate");
}

#[test]
fn the_parser_reads_groups_inline_paths_and_skips_comments() {
    let code = "use crate::a::X;\n\
                pub(crate) use crate::{b, c::{D, E}, self as f,\n    g::H};\n\
                // use crate::commented;\n\
                /* crate::blocked::x */\n\
                fn f() { let s = \"// not a comment\"; crate::inline::go(); $crate::macro_path; }\n\
                #[serde(serialize_with = \"crate::quoted::f\")]\n\
                let c = '\"'; crate :: spaced::x; let lifetime: &'a str = r#\"crate::raw\"#;\n";
    let found = crate_paths(&strip_comments(code));
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "g", "inline", "quoted", "spaced", "raw"]);
    let lines: Vec<usize> = found.iter().map(|(_, l)| *l).collect();
    assert_eq!(lines, [1, 2, 2, 3, 6, 7, 8, 8]);

    let mut edges = Edges::new();
    for (from, to) in [("x", "y"), ("y", "z"), ("z", "x"), ("x", "w")] {
        edges.insert((from.into(), to.into()), Site { file: format!("src/{from}.rs"), line: 1 });
    }
    let cycle = find_cycle(&edges).unwrap();
    assert_eq!(cycle, ["x", "y", "z", "x"]);
    assert!(describe_cycle(&cycle, &edges).contains("z -> x: src/z.rs:1"));
}
