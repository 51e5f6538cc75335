//! No function in `src/` is over 80 lines unless a comment says why (issue 17): a `fn` whose body
//! (the lines between its opening and closing brace) is longer than [`MAX_BODY_LINES`] must be
//! preceded, in its doc comment or a comment right above it, by a line containing `long:` and a
//! reason, e.g. `// long: one match arm per format; splitting it would scatter the table`.
//!
//! The scan is a small tokenizer, not a parser: it skips comments (nested block comments too),
//! strings (byte, C and raw strings, `r#"…"#`), and char literals (telling them from lifetimes),
//! then matches braces from each `fn NAME` to the end of its body.

use std::path::Path;

use crate::support::repo;

/// The longest body a function may have without a `long:` reason.
const MAX_BODY_LINES: usize = 80;

/// Long functions in files that are being rewritten elsewhere; each entry is `path::fn`. Being
/// split in issue 17: delete an entry when its function is split (the test fails on entries that
/// no longer name a long function, so the list only shrinks).
const ALLOWED: &[&str] = &[
    // Being split in issue 17.
    "src/bundle/read.rs::read_tar",
    "src/bundle/verify.rs::verify",
    "src/ci.rs::context",
    "src/formats/addon.rs::write",
    "src/inspect/rpm.rs::inspect",
    "src/plan/openrc.rs::script",
    "src/plan/script_properties.rs::write_project",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Punct(char),
}

/// The tokens of `src` that matter for finding functions, each with its 1-based line.
fn tokens(src: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Advance over `chars[from..to]`, counting newlines.
    let skip = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to.min(chars.len())].iter().filter(|&&c| c == '\n').count();
        to
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..].iter().position(|&c| c == '\n').map_or(chars.len(), |p| i + p);
            i = skip(i, end, &mut line);
        } else if c == '/' && next == Some('*') {
            let end = block_comment_end(&chars, i);
            i = skip(i, end, &mut line);
        } else if c == '"' {
            let end = string_end(&chars, i + 1);
            i = skip(i, end, &mut line);
        } else if c == '\'' {
            i = skip(i, quote_end(&chars, i), &mut line);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            let at = chars.get(i).copied();
            if matches!(ident.as_str(), "r" | "br" | "cr") && raw_string_start(&chars, i) {
                let end = raw_string_end(&chars, i);
                i = skip(i, end, &mut line);
            } else if matches!(ident.as_str(), "b" | "c") && at == Some('"') {
                let end = string_end(&chars, i + 1);
                i = skip(i, end, &mut line);
            } else if ident == "b" && at == Some('\'') {
                i = skip(i, quote_end(&chars, i), &mut line);
            } else {
                out.push((Token::Ident(ident), line));
            }
        } else {
            if c == '\n' {
                line += 1;
            } else if "{}()[];".contains(c) {
                out.push((Token::Punct(c), line));
            }
            i += 1;
        }
    }
    out
}

/// The index just past the block comment opening at `start` (block comments nest in Rust).
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// The index just past the closing `"` of a string whose contents start at `i`.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// At `i` (just past an `r`), `#`s then `"`: a raw string rather than a raw identifier `r#name`.
fn raw_string_start(chars: &[char], mut i: usize) -> bool {
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    chars.get(i) == Some(&'"')
}

/// The index just past the raw string whose `#`s (or `"`) start at `i`.
fn raw_string_end(chars: &[char], mut i: usize) -> usize {
    let mut hashes = 0;
    while chars[i] == '#' {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    chars.len()
}

/// The index after the `'` at `i`: past a char literal (`'x'`, `'\n'`, `'\u{7f}'`), or just past
/// the quote of a lifetime or label (`'a`).
fn quote_end(chars: &[char], i: usize) -> usize {
    match chars.get(i + 1) {
        Some('\\') => {
            let mut j = i + 3;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            j + 1
        }
        Some(_) if chars.get(i + 2) == Some(&'\'') => i + 3,
        _ => i + 1,
    }
}

/// A function found in a source file.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// The line of the `fn` keyword.
    line: usize,
    /// Lines strictly between the body's opening and closing brace.
    body_lines: usize,
}

/// Every `fn NAME … { … }` in `src` (functions without a body, in traits, are skipped).
fn functions(src: &str) -> Vec<Function> {
    let toks = tokens(src);
    let mut found = Vec::new();
    for (k, (tok, line)) in toks.iter().enumerate() {
        let (Token::Ident(kw), Some((Token::Ident(name), _))) = (tok, toks.get(k + 1)) else { continue };
        if kw != "fn" {
            continue;
        }
        if let Some((open, close)) = body(&toks, k + 2) {
            found.push(Function { name: name.clone(), line: *line, body_lines: close.saturating_sub(open + 1) });
        }
    }
    found
}

/// From the token after a function's name: the lines of its body's braces, or `None` for a
/// declaration ending in `;`.
fn body(toks: &[(Token, usize)], from: usize) -> Option<(usize, usize)> {
    let mut parens = 0i32;
    let mut k = from;
    let open = loop {
        match toks.get(k)? {
            (Token::Punct('(' | '['), _) => parens += 1,
            (Token::Punct(')' | ']'), _) => parens -= 1,
            (Token::Punct(';'), _) if parens == 0 => return None,
            (Token::Punct('{'), line) if parens == 0 => break *line,
            _ => {}
        }
        k += 1;
    };
    let mut depth = 0;
    for (tok, line) in &toks[k..] {
        match tok {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some((open, *line));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the comments and attributes right above line `line` (1-based) give a `long:` reason.
fn has_long_reason(lines: &[&str], line: usize) -> bool {
    lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("//") || l.starts_with('#') || l.starts_with("/*") || l.starts_with('*'))
        .any(|l| l.split_once("long:").is_some_and(|(_, reason)| reason.trim().len() >= 10))
}

/// Every `.rs` file under `dir`, as paths relative to the repository, sorted.
fn rust_files(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(repo()).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn no_function_in_src_is_over_80_lines_without_a_reason() {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let mut too_long = Vec::new();
    let mut allowed_and_long = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(repo().join(file)).unwrap();
        let lines: Vec<&str> = src.lines().collect();
        for f in functions(&src) {
            if f.body_lines <= MAX_BODY_LINES || has_long_reason(&lines, f.line) {
                continue;
            }
            let key = format!("{file}::{}", f.name);
            if ALLOWED.contains(&key.as_str()) {
                allowed_and_long.push(key);
            } else {
                too_long.push(format!("{file}:{}: fn {} has {} lines", f.line, f.name, f.body_lines));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "functions over {MAX_BODY_LINES} lines; split them, or state why not in a comment right above \
         containing `long: <reason>`:\n{}",
        too_long.join("\n")
    );
    let stale: Vec<_> = ALLOWED.iter().filter(|a| !allowed_and_long.iter().any(|l| l == *a)).collect();
    assert!(stale.is_empty(), "ALLOWED names functions that are no longer long; delete these entries: {stale:?}");
}

#[test]
fn the_scan_skips_strings_chars_and_comments() {
    let src = r####"
fn one() {
    let a = "}}} \" {";
    let b = r#"}"# ;
    let c = r##"}"#}"##;
    let d = br"}";
    let e = '}';
    let f = '\'';
    let g = b'{';
    let h = '\u{7d}';
    // }
    /* } /* nested } */ } */
    let i: &'static str = "x";
    'outer: loop { break 'outer; }
    let r#fn = 1;
}
trait T { fn declared(&self); }
fn two<'a>(x: &'a [u8; 2]) -> impl Fn(u8) -> u8 where u8: Copy {
    |y| y
}
"####;
    let found = functions(src);
    let summary: Vec<_> = found.iter().map(|f| (f.name.as_str(), f.line, f.body_lines)).collect();
    assert_eq!(summary, [("one", 2, 13), ("two", 18, 1)]);
}

#[test]
fn a_long_reason_is_a_comment_right_above() {
    let lines = [
        "// long: one arm per format; splitting it would scatter the table",
        "#[allow(clippy::too_many_lines)]",
        "pub fn table() {",
        "/// long:",
        "fn no_reason() {",
        "// long: a reason that is not right above",
        "",
        "fn detached() {",
    ];
    assert!(has_long_reason(&lines, 3));
    assert!(!has_long_reason(&lines, 5));
    assert!(!has_long_reason(&lines, 8));
}
