//! rpm's version order (`rpmvercmp` of rpm's `rpmio/rpmvercmp.c`): what dnf uses to pick the
//! newest package, so retention must agree with it.

use std::cmp::Ordering;

/// Compare two version (or release) strings as rpm does: runs of digits numerically, runs of
/// letters by bytes, a digit run newer than a letter run; `~` sorts before everything (even the
/// end of the string), `^` after the end but before anything else; other characters separate.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a.as_bytes(), b.as_bytes());
    let separator = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    loop {
        one = skip(one, separator);
        two = skip(two, separator);
        let (x, y) = (one.first().copied(), two.first().copied());
        if x.is_none() && y.is_none() {
            return Ordering::Equal;
        }
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            (one, two) = (&one[1..], &two[1..]);
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            return match (x, y) {
                (None, _) => Ordering::Less,
                (_, None) => Ordering::Greater,
                (Some(b'^'), Some(b'^')) => {
                    (one, two) = (&one[1..], &two[1..]);
                    continue;
                }
                (Some(b'^'), _) => Ordering::Less,
                _ => Ordering::Greater,
            };
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let kind = |c: &u8| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let (seg1, rest1) = split(one, kind);
        let (seg2, rest2) = split(two, kind);
        if seg2.is_empty() {
            // A number is newer than letters; letters older than a number.
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let order = if numeric { compare_numbers(seg1, seg2) } else { seg1.cmp(seg2) };
        if order != Ordering::Equal {
            return order;
        }
        (one, two) = (rest1, rest2);
    }
    // One ran out: the one with something left is newer.
    if one.is_empty() { Ordering::Less } else { Ordering::Greater }
}

fn skip(s: &[u8], pred: impl Fn(&u8) -> bool) -> &[u8] {
    let n = s.iter().take_while(|c| pred(c)).count();
    &s[n..]
}

fn split(s: &[u8], pred: impl Fn(&u8) -> bool) -> (&[u8], &[u8]) {
    s.split_at(s.iter().take_while(|c| pred(c)).count())
}

/// Digits of any length: leading zeros dropped, then the longer is larger.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let a = skip(a, |c| *c == b'0');
    let b = skip(b, |c| *c == b'0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Epoch, then version, then release (rpm's `rpmVersionCompare`).
pub fn compare_evr(a: (u64, &str, &str), b: (u64, &str, &str)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| rpmvercmp(a.1, b.1)).then_with(|| rpmvercmp(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rpm's own cases (`tests/rpmvercmp.at`, rpm 4.18), caret cases included.
    const CASES: &[(&str, &str, i8)] = &[
        ("1.0", "1.0", 0),
        ("1.0", "2.0", -1),
        ("2.0", "1.0", 1),
        ("2.0.1", "2.0.1", 0),
        ("2.0", "2.0.1", -1),
        ("2.0.1", "2.0", 1),
        ("2.0.1a", "2.0.1a", 0),
        ("2.0.1a", "2.0.1", 1),
        ("2.0.1", "2.0.1a", -1),
        ("5.5p1", "5.5p1", 0),
        ("5.5p1", "5.5p2", -1),
        ("5.5p2", "5.5p1", 1),
        ("5.5p10", "5.5p10", 0),
        ("5.5p1", "5.5p10", -1),
        ("5.5p10", "5.5p1", 1),
        ("10xyz", "10.1xyz", -1),
        ("10.1xyz", "10xyz", 1),
        ("xyz10", "xyz10", 0),
        ("xyz10", "xyz10.1", -1),
        ("xyz10.1", "xyz10", 1),
        ("xyz.4", "xyz.4", 0),
        ("xyz.4", "8", -1),
        ("8", "xyz.4", 1),
        ("xyz.4", "2", -1),
        ("2", "xyz.4", 1),
        ("5.5p2", "5.6p1", -1),
        ("5.6p1", "5.5p2", 1),
        ("5.6p1", "6.5p1", -1),
        ("6.5p1", "5.6p1", 1),
        ("6.0.rc1", "6.0", 1),
        ("6.0", "6.0.rc1", -1),
        ("10b2", "10a1", 1),
        ("10a2", "10b2", -1),
        ("1.0aa", "1.0aa", 0),
        ("1.0a", "1.0aa", -1),
        ("1.0aa", "1.0a", 1),
        ("10.0001", "10.0001", 0),
        ("10.0001", "10.1", 0),
        ("10.1", "10.0001", 0),
        ("10.0001", "10.0039", -1),
        ("10.0039", "10.0001", 1),
        ("4.999.9", "5.0", -1),
        ("5.0", "4.999.9", 1),
        ("20101121", "20101121", 0),
        ("20101121", "20101122", -1),
        ("20101122", "20101121", 1),
        ("2_0", "2_0", 0),
        ("2.0", "2_0", 0),
        ("2_0", "2.0", 0),
        ("a", "a", 0),
        ("a+", "a+", 0),
        ("a+", "a_", 0),
        ("a_", "a+", 0),
        ("+a", "+a", 0),
        ("+a", "_a", 0),
        ("_a", "+a", 0),
        ("+_", "+_", 0),
        ("_+", "+_", 0),
        ("_+", "_+", 0),
        ("+", "_", 0),
        ("_", "+", 0),
        ("1.0~rc1", "1.0~rc1", 0),
        ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc2", -1),
        ("1.0~rc2", "1.0~rc1", 1),
        ("1.0~rc1~git123", "1.0~rc1~git123", 0),
        ("1.0~rc1~git123", "1.0~rc1", -1),
        ("1.0~rc1", "1.0~rc1~git123", 1),
        ("1.0^", "1.0^", 0),
        ("1.0^", "1.0", 1),
        ("1.0", "1.0^", -1),
        ("1.0^git1", "1.0^git1", 0),
        ("1.0^git1", "1.0", 1),
        ("1.0", "1.0^git1", -1),
        ("1.0^git1", "1.0^git2", -1),
        ("1.0^git2", "1.0^git1", 1),
        ("1.0^git1", "1.01", -1),
        ("1.01", "1.0^git1", 1),
        ("1.0^20160101", "1.0^20160101", 0),
        ("1.0^20160101", "1.0.1", -1),
        ("1.0.1", "1.0^20160101", 1),
        ("1.0^20160101^git1", "1.0^20160101^git1", 0),
        ("1.0^20160102", "1.0^20160101^git1", 1),
        ("1.0^20160101^git1", "1.0^20160102", -1),
        ("1.0~rc1^git1", "1.0~rc1^git1", 0),
        ("1.0~rc1^git1", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc1^git1", -1),
        ("1.0^git1~pre", "1.0^git1~pre", 0),
        ("1.0^git1", "1.0^git1~pre", 1),
        ("1.0^git1~pre", "1.0^git1", -1),
        // The oddities rpm's file documents as current behaviour.
        ("1b.fc17", "1b.fc17", 0),
        ("1b.fc17", "1.fc17", -1),
        ("1.fc17", "1b.fc17", 1),
        ("1g.fc17", "1g.fc17", 0),
        ("1g.fc17", "1.fc17", 1),
        ("1.fc17", "1g.fc17", -1),
    ];

    #[test]
    fn rpm_own_cases() {
        for (a, b, want) in CASES {
            let want = want.cmp(&0);
            assert_eq!(rpmvercmp(a, b), want, "rpmvercmp({a}, {b})");
        }
    }

    #[test]
    fn epoch_before_version_before_release() {
        assert_eq!(compare_evr((1, "1.0", "1"), (0, "9.9", "9")), Ordering::Greater);
        assert_eq!(compare_evr((0, "1.0", "2"), (0, "1.0", "10")), Ordering::Less);
        assert_eq!(compare_evr((0, "1.0~rc1", "1"), (0, "1.0", "1")), Ordering::Less);
    }
}
