//! docs/manifest.md and the manifest's serde types agree: every key a table accepts is documented,
//! and every key the docs' tables list is accepted.

use crate::support::*;

/// The tables of a manifest, each as the TOML that opens it.
const TABLES: [&str; 18] = [
    "[package]",
    "[package.scripts]",
    "[deb]",
    "[rpm]",
    "[arch]",
    "[apk]",
    "[pkgbuild]",
    "[apkbuild]",
    "[[files]]",
    "[systemd]",
    "[systemd.units.\"x.service\"]",
    "[[users]]",
    "[[groups]]",
    "[[directories]]",
    "[check]",
    "[ci]",
    "[build]",
    "[repo]",
];

/// The keys `table` accepts, from serde's own "unknown field …, expected one of …" message.
fn accepted(table: &str) -> Vec<String> {
    let opener = if table == "[package]" { String::new() } else { "[package]\nname = \"x\"\n".to_string() };
    let fx = Fixture::new(&format!("{opener}{table}\nzz-probe = 1\n"), &[]);
    let out = distpack().args(["plan", "-m"]).arg(fx.manifest()).output().unwrap();
    let said = text(&out.stderr);
    let list = said
        .split_once("unknown field `zz-probe`, expected one of ")
        .or_else(|| said.split_once("unknown field `zz-probe`, expected "))
        .unwrap_or_else(|| panic!("{table}: no list of keys in:\n{said}"))
        .1;
    let list = list.lines().next().unwrap();
    list.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn every_accepted_key_is_documented_and_every_documented_key_is_accepted() {
    let docs = std::fs::read_to_string(repo().join("docs/manifest.md")).unwrap();
    let mut all = Vec::new();
    let mut undocumented = Vec::new();
    for table in TABLES {
        for key in accepted(table) {
            let documented = docs.contains(&format!("`{key}`"))
                || docs.contains(&format!("\n{key} ="))
                || docs.contains(&format!("| `{key}` |"));
            if !documented {
                undocumented.push(format!("{table} {key}"));
            }
            all.push(key);
        }
    }
    // [addon] and [[addon.extra]] need a whole table to parse; their keys are checked by name.
    all.extend(
        ["id", "entries", "extra", "stage", "raw-signature", "metadata", "src", "name", "kind"].map(String::from),
    );
    assert_eq!(undocumented, Vec::<String>::new(), "keys the manifest accepts but docs/manifest.md does not mention");
    // Every key in a `| \`key\` | type | …` row of the docs is one some table accepts.
    let mut in_key_table = false;
    let mut unknown = Vec::new();
    for line in docs.lines() {
        if !line.starts_with('|') {
            in_key_table = false;
        } else if line.to_lowercase().starts_with("| key |") {
            in_key_table = true;
        } else if in_key_table && let Some((keys, _)) = line.strip_prefix("| `").and_then(|l| l.split_once("` |")) {
            // A row may name several keys: `depends`, `recommends`, ….
            unknown.extend(keys.split("`, `").filter(|key| !all.iter().any(|a| a == key)));
        }
    }
    assert_eq!(unknown, Vec::<&str>::new(), "docs/manifest.md documents keys no table accepts");
}
