//! The .deb's shared-library dependencies from Debian's own tool, as cargo-deb computes `$auto`:
//! `dpkg-shlibdeps` reads the installed packages' shlibs and symbols files, which know the
//! version each symbol appeared in. It runs while the plan resolves (after cargo built the
//! binaries), in a scratch directory that holds the `debian/control` it insists on.

use std::path::PathBuf;
use std::process::Command;

use super::elfdeps::Binary;
use super::relations::{self, Relation};

const TOOL: &str = "dpkg-shlibdeps";

/// Whether dpkg-shlibdeps can judge these binaries: it is installed, and they are built for this
/// machine (it looks their libraries up among the installed packages; for another architecture
/// the built-in mapping answers instead).
pub fn usable(binaries: &[Binary]) -> bool {
    let host = crate::elf::host_machine();
    !binaries.is_empty() && binaries.iter().all(|b| Some(b.elf.machine.as_str()) == host) && on_path(TOOL).is_some()
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(tool)).find(|p| p.is_file())
}

/// `shlibs:Depends` for the binaries, as relations. The package's own libraries are linked into
/// a search directory under their sonames, so that dpkg-shlibdeps finds them and, as no package
/// owns them, leaves them out (`--ignore-missing-info`).
pub fn run(binaries: &[Binary]) -> Result<Vec<Relation>, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot create a directory for {TOOL}: {e}"))?;
    let dir = scratch.path();
    let own = dir.join("own-libraries");
    std::fs::create_dir_all(dir.join("debian"))
        .and_then(|()| std::fs::create_dir_all(&own))
        .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("debian/control"),
        "Source: distpack-shlibdeps\n\nPackage: distpack-shlibdeps\nArchitecture: any\n",
    )
    .map_err(|e| format!("cannot write {TOOL}'s debian/control: {e}"))?;
    for binary in binaries {
        if let Some(soname) = &binary.elf.soname {
            let source = std::path::absolute(&binary.source).unwrap_or_else(|_| binary.source.clone());
            std::os::unix::fs::symlink(source, own.join(soname)).ok();
        }
    }
    let mut command = Command::new(TOOL);
    // dpkg-shlibdeps reads `-lDIR` as one argument.
    command.args(["-O", "--ignore-missing-info"]).arg(format!("-l{}", own.display())).current_dir(dir);
    for binary in binaries {
        command.arg("-e").arg(std::path::absolute(&binary.source).unwrap_or_else(|_| binary.source.clone()));
    }
    let output = command.output().map_err(|e| format!("cannot run {TOOL}: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let said: Vec<&str> = stderr.lines().filter(|l| !l.contains("should already be installed")).collect();
        return Err(format!("{TOOL} failed ({}): {}", output.status, said.join("; ")));
    }
    parse(&String::from_utf8_lossy(&output.stdout), &files(binaries))
}

fn files(binaries: &[Binary]) -> String {
    binaries.iter().map(|b| b.source.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The relations of the `shlibs:Depends=` line (none when it is missing: nothing is needed).
fn parse(stdout: &str, files: &str) -> Result<Vec<Relation>, String> {
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("shlibs:Depends=")) else { return Ok(Vec::new()) };
    line.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| relations::parse(entry).map_err(|why| format!("{TOOL} said `{entry}` for {files}: {why}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::relations::{Atom, Op};

    #[test]
    fn reads_the_substitution_variable() {
        let out = "shlibs:Depends=libc6 (>= 2.34), zlib1g (>= 1:1.1.4)\n";
        let parsed = parse(out, "x").unwrap();
        assert_eq!(parsed[1], Relation::single(Atom::with("zlib1g", Op::Ge, "1:1.1.4")));
        assert!(parse("", "x").unwrap().is_empty());
    }
}
