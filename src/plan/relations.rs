//! Package relations (`depends`, `conflicts`, …) written once in a neutral syntax and kept typed
//! until a writer renders them in its format's own syntax: `name`, `name (>= 1.2)`, `name >= 1.2`,
//! and `a | b` alternatives.

use serde::Serialize;

/// What a relation says of the named packages. The order is the order writers list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelationKind {
    Depends,
    Recommends,
    Suggests,
    Conflicts,
    Replaces,
    Provides,
    /// apk's `install_if`: every entry must be installed for this package to be pulled in.
    InstallIf,
}

impl RelationKind {
    /// The manifest key (`[package] depends = …`) of a kind a manifest can set.
    pub fn from_key(key: &str) -> Option<RelationKind> {
        Some(match key {
            "depends" => RelationKind::Depends,
            "recommends" => RelationKind::Recommends,
            "suggests" => RelationKind::Suggests,
            "conflicts" => RelationKind::Conflicts,
            "replaces" => RelationKind::Replaces,
            "provides" => RelationKind::Provides,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relation {
    /// Alternatives: any one satisfies the relation.
    pub alternatives: Vec<Atom>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Atom {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Constraint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    pub op: Op,
    /// As written in the manifest, or a version the plan rendered in the package's own format.
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<<" | "<" => Op::Lt,
            "<=" => Op::Le,
            "=" | "==" => Op::Eq,
            ">=" => Op::Ge,
            ">>" | ">" => Op::Gt,
            _ => return None,
        })
    }

    /// `<`, `<=`, `=`, `>=`, `>`: the spelling rpm, pacman and apk share.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

impl Atom {
    pub fn name(name: impl Into<String>) -> Atom {
        Atom { name: name.into(), constraint: None }
    }

    pub fn with(name: impl Into<String>, op: Op, version: impl Into<String>) -> Atom {
        Atom { name: name.into(), constraint: Some(Constraint { op, version: version.into() }) }
    }
}

impl Relation {
    /// A relation on one package.
    pub fn single(atom: Atom) -> Relation {
        Relation { alternatives: vec![atom] }
    }

    /// Whether any alternative names `name`.
    pub fn names(&self, name: &str) -> bool {
        self.alternatives.iter().any(|a| a.name == name)
    }
}

pub fn parse(text: &str) -> Result<Relation, String> {
    let alternatives = text.split('|').map(parse_atom).collect::<Result<Vec<_>, _>>()?;
    Ok(Relation { alternatives })
}

fn parse_atom(text: &str) -> Result<Atom, String> {
    let text = text.trim();
    let name_end = text.find(|c: char| c.is_whitespace() || "(<>=".contains(c)).unwrap_or(text.len());
    let (name, rest) = text.split_at(name_end);
    if name.is_empty() {
        return Err(format!("`{text}` does not start with a package name"));
    }
    let rest = rest.trim();
    let rest = match rest.strip_prefix('(') {
        Some(inner) => inner.strip_suffix(')').ok_or_else(|| format!("`{text}` has an unclosed `(`"))?.trim(),
        None => rest,
    };
    if rest.is_empty() {
        return Ok(Atom::name(name));
    }
    let op_end = rest.find(|c: char| !"<>=".contains(c)).unwrap_or(rest.len());
    let (op, version) = rest.split_at(op_end);
    let op =
        Op::parse(op).ok_or_else(|| format!("`{op}` in `{text}` is not a version operator (use <, <=, =, >=, >)"))?;
    let version = version.trim();
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(format!("`{text}` needs a single version after the operator"));
    }
    Ok(Atom::with(name, op, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_any_spelling_into_one_structure() {
        let expected = Relation::single(Atom::with("libc6", Op::Ge, "2.31"));
        assert_eq!(parse("libc6 (>= 2.31)").unwrap(), expected);
        assert_eq!(parse("libc6>=2.31").unwrap(), expected);
        assert_eq!(parse("libc6 >= 2.31").unwrap(), expected);
        assert_eq!(
            parse("foo << 2 | bar").unwrap(),
            Relation { alternatives: vec![Atom::with("foo", Op::Lt, "2"), Atom::name("bar")] }
        );
        assert!(parse("foo (>= 1").is_err());
        assert!(parse("foo =! 1").is_err());
        assert!(parse(">= 1").is_err());
    }
}
