//! Package relations (`depends`, `conflicts`, …) written once in a neutral syntax and rendered in
//! each format's own: `name`, `name (>= 1.2)`, `name >= 1.2`, and `a | b` alternatives.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Alternatives: any one satisfies the relation.
    pub alternatives: Vec<Atom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub name: String,
    pub constraint: Option<(Op, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    fn deb(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
        }
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
        return Ok(Atom { name: name.to_string(), constraint: None });
    }
    let op_end = rest.find(|c: char| !"<>=".contains(c)).unwrap_or(rest.len());
    let (op, version) = rest.split_at(op_end);
    let op =
        Op::parse(op).ok_or_else(|| format!("`{op}` in `{text}` is not a version operator (use <, <=, =, >=, >)"))?;
    let version = version.trim();
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(format!("`{text}` needs a single version after the operator"));
    }
    Ok(Atom { name: name.to_string(), constraint: Some((op, version.to_string())) })
}

impl Op {
    fn rpm(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

impl Relation {
    /// `name>=1.2` (no spaces). pacman has no alternatives; the plan refuses relations with several.
    pub fn arch(&self) -> String {
        let a = &self.alternatives[0];
        match &a.constraint {
            Some((op, v)) => format!("{}{}{v}", a.name, op.rpm()),
            None => a.name.clone(),
        }
    }

    /// `name OP version`, or a rich dependency `(a or b)` for alternatives (rpm ≥ 4.12).
    pub fn rpm(&self) -> String {
        let atom = |a: &Atom| match &a.constraint {
            Some((op, v)) => format!("{} {} {v}", a.name, op.rpm()),
            None => a.name.clone(),
        };
        match self.alternatives.as_slice() {
            [one] => atom(one),
            many => format!("({})", many.iter().map(atom).collect::<Vec<_>>().join(" or ")),
        }
    }

    pub fn deb(&self) -> String {
        self.alternatives
            .iter()
            .map(|a| match &a.constraint {
                Some((op, v)) => format!("{} ({} {v})", a.name, op.deb()),
                None => a.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_deb_syntax_from_any_spelling() {
        assert_eq!(parse("libc6 (>= 2.31)").unwrap().deb(), "libc6 (>= 2.31)");
        assert_eq!(parse("libc6>=2.31").unwrap().deb(), "libc6 (>= 2.31)");
        assert_eq!(parse("foo < 2 | bar").unwrap().deb(), "foo (<< 2) | bar");
        assert!(parse("foo (>= 1").is_err());
        assert!(parse("foo =! 1").is_err());
        assert!(parse(">= 1").is_err());
    }
}
