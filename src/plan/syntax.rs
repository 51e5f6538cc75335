//! `sh -n` for every maintainer script distpack renders: they run as root on users' machines, so a
//! script the shell cannot parse must never reach a package. dash is the strictest POSIX shell on
//! hand (Debian's /bin/sh) and is used when installed; otherwise the system's `sh`.

use std::io::Write;
use std::process::{Command, Stdio};

/// Parse `script` without running it; the shell's message when it does not parse.
pub fn check(script: &str) -> Result<(), String> {
    let shell = if which("dash") { "dash" } else { "sh" };
    let mut child = Command::new(shell)
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shell} -n`: {e}"))?;
    // The script is small; the shell reads all of it before it exits, so writing cannot block.
    let written = child.stdin.take().map(|mut stdin| stdin.write_all(script.as_bytes()));
    let output = child.wait_with_output().map_err(|e| format!("`{shell} -n` failed: {e}"))?;
    if let Some(Err(e)) = written {
        return Err(format!("cannot pass the script to `{shell} -n`: {e}"));
    }
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{shell} -n: {}", String::from_utf8_lossy(&output.stderr).trim()))
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_empty_branch() {
        assert!(check("if true; then\n\techo ok\nelse\nfi\n").unwrap_err().contains("-n"));
        assert!(check("if true; then\n\techo ok\nfi\n").is_ok());
    }
}
