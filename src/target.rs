//! Rust target triples and the architecture name each format uses for them (FORMATS.md §0.1).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::format::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cpu {
    X86_64,
    Aarch64,
    Armv7,
    I686,
    Riscv64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub triple: String,
    pub cpu: Cpu,
}

impl Target {
    pub fn parse(triple: &str) -> Result<Target> {
        let arch = triple.split('-').next().unwrap_or("");
        let cpu = match arch {
            "x86_64" => Cpu::X86_64,
            "aarch64" => Cpu::Aarch64,
            "armv7" if triple.ends_with("hf") => Cpu::Armv7,
            "i686" | "i586" => Cpu::I686,
            "riscv64gc" | "riscv64" => Cpu::Riscv64,
            _ => {
                return Err(Error::invalid(
                    format!("unsupported target `{triple}`"),
                    "use one of x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf, i686-unknown-linux-gnu, riscv64gc-unknown-linux-gnu (or their -musl forms)",
                ));
            }
        };
        if !triple.contains("linux") {
            return Err(Error::invalid(
                format!("target `{triple}` is not a Linux target"),
                "distpack builds Linux packages; pass a *-linux-gnu or *-linux-musl triple",
            ));
        }
        Ok(Target { triple: triple.to_string(), cpu })
    }

    /// The machine's own target, from `rustc -vV`, else from the architecture distpack was built for.
    pub fn host() -> Result<Target> {
        let from_rustc = std::process::Command::new("rustc")
            .arg("-vV")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("host: ").map(str::to_string)));
        let triple = from_rustc.unwrap_or_else(|| format!("{}-unknown-linux-gnu", std::env::consts::ARCH));
        Target::parse(&triple)
    }

    /// The CPU part as Rust names it, for the `{arch}` placeholder in `src` paths.
    pub fn rust_arch(&self) -> &str {
        self.triple.split('-').next().unwrap_or(&self.triple)
    }

    /// The architecture name `format` uses for this target.
    pub fn arch_for(&self, format: Format) -> &'static str {
        match (format, self.cpu) {
            (Format::Deb, Cpu::X86_64) => "amd64",
            (Format::Deb, Cpu::Aarch64) => "arm64",
            (Format::Deb, Cpu::Armv7) => "armhf",
            (Format::Deb, Cpu::I686) => "i386",
            (Format::Deb, Cpu::Riscv64) => "riscv64",
            (Format::Rpm, Cpu::X86_64) => "x86_64",
            (Format::Rpm, Cpu::Aarch64) => "aarch64",
            (Format::Rpm, Cpu::Armv7) => "armv7hl",
            (Format::Rpm, Cpu::I686) => "i686",
            (Format::Rpm, Cpu::Riscv64) => "riscv64",
            (Format::Arch | Format::Pkgbuild, Cpu::X86_64) => "x86_64",
            (Format::Arch | Format::Pkgbuild, Cpu::Aarch64) => "aarch64",
            (Format::Arch | Format::Pkgbuild, Cpu::Armv7) => "armv7h",
            (Format::Arch | Format::Pkgbuild, Cpu::I686) => "i686",
            (Format::Arch | Format::Pkgbuild, Cpu::Riscv64) => "riscv64",
            (Format::Apk, Cpu::X86_64) => "x86_64",
            (Format::Apk, Cpu::Aarch64) => "aarch64",
            (Format::Apk, Cpu::Armv7) => "armv7",
            (Format::Apk, Cpu::I686) => "x86",
            (Format::Apk, Cpu::Riscv64) => "riscv64",
            // Add-on bundles use the names agents see in `uname -m`.
            (Format::Addon, Cpu::X86_64) => "x86_64",
            (Format::Addon, Cpu::Aarch64) => "aarch64",
            (Format::Addon, Cpu::Armv7) => "armv7",
            (Format::Addon, Cpu::I686) => "i686",
            (Format::Addon, Cpu::Riscv64) => "riscv64",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_triples_to_debian_names() {
        let cases = [
            ("x86_64-unknown-linux-gnu", "amd64"),
            ("aarch64-unknown-linux-musl", "arm64"),
            ("armv7-unknown-linux-gnueabihf", "armhf"),
            ("i686-unknown-linux-gnu", "i386"),
            ("riscv64gc-unknown-linux-gnu", "riscv64"),
        ];
        for (triple, deb) in cases {
            assert_eq!(Target::parse(triple).unwrap().arch_for(Format::Deb), deb, "{triple}");
        }
    }

    #[test]
    fn refuses_unknown_and_non_linux_targets() {
        assert!(Target::parse("sparc64-unknown-linux-gnu").is_err());
        assert!(Target::parse("x86_64-pc-windows-msvc").is_err());
    }
}
