//! What an ELF file says about how it runs: its machine, interpreter, the libraries and symbol
//! versions it needs, its soname and build-id. Read lazily with the `object` crate, in the parts
//! the headers name. The only place that parses ELF.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

/// An ELF file (by its magic number).
pub fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}

/// What an ELF file is built for and how it is linked. None when the file is not ELF or cannot be
/// read; the file is read lazily, in the parts the headers point at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ElfLinking {
    /// The machine in Rust's spelling of target architectures (`x86_64`, `aarch64`, `arm`), or
    /// `e_machine-N` for one distpack does not name.
    pub machine: String,
    /// 32 or 64.
    pub class: u8,
    pub endian: Endian,
    /// PT_INTERP: the dynamic loader the kernel starts it with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// DT_NEEDED: the libraries it needs, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed: Vec<String>,
    /// DT_SONAME: what a shared library provides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// Every symbol version the file needs (SHT_GNU_VERNEED: `libc.so.6`, `GLIBC_2.34`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionNeed>,
    /// The newest glibc the symbol versions ask for (the highest `GLIBC_x.y`): the oldest glibc
    /// the file runs with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_glibc: Option<String>,
    /// Needs no dynamic loader and no library (a static or static-pie executable).
    #[serde(rename = "static")]
    pub is_static: bool,
    /// Has no symbol table (.symtab).
    pub stripped: bool,
    /// The GNU build-id note, in hex (what debuginfod and /usr/lib/debug/.build-id/ look up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Has DWARF: a `.debug_*` (or compressed `.zdebug_*`) section.
    #[serde(skip)]
    pub debug_info: bool,
}

impl ElfLinking {
    /// Whether `objcopy --strip-debug --strip-unneeded` would take anything out.
    pub fn unstripped(&self) -> bool {
        self.debug_info || !self.stripped
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    #[default]
    Little,
    Big,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VersionNeed {
    pub library: String,
    pub version: String,
}

pub fn elf_linking(path: &Path) -> Option<ElfLinking> {
    use object::elf::{FileHeader32, FileHeader64};
    // The magic number first, on the one open: most files of a payload are not ELF, and
    // `ReadCache` would seek to learn each one's size before reading its header.
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    if file.read_exact(&mut magic).is_err() || &magic != b"\x7fELF" {
        return None;
    }
    let cache = object::ReadCache::new(file);
    match object::FileKind::parse(&cache).ok()? {
        object::FileKind::Elf32 => linking::<FileHeader32<object::Endianness>, _>(&cache),
        object::FileKind::Elf64 => linking::<FileHeader64<object::Endianness>, _>(&cache),
        _ => None,
    }
}

fn linking<'data, Elf, R>(data: R) -> Option<ElfLinking>
where
    Elf: object::read::elf::FileHeader<Endian = object::Endianness>,
    R: object::ReadRef<'data>,
{
    use object::Object;
    use object::read::elf::{ElfFile, ProgramHeader, SectionHeader};
    let file = ElfFile::<Elf, R>::parse(data).ok()?;
    let endian = file.endian();
    let header = file.elf_header();
    let interpreter = file
        .elf_program_headers()
        .iter()
        .find_map(|ph| ph.interpreter(endian, data).ok().flatten())
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let mut facts = ElfLinking {
        machine: machine_name(header.e_machine(endian)),
        class: if header.is_class_64() { 64 } else { 32 },
        endian: if header.is_little_endian() { Endian::Little } else { Endian::Big },
        interpreter,
        stripped: !file.elf_section_table().iter().any(|s| s.sh_type(endian) == object::elf::SHT_SYMTAB),
        debug_info: file.sections().any(|s| {
            use object::ObjectSection;
            s.name().is_ok_and(|n| n.starts_with(".debug_") || n.starts_with(".zdebug_"))
        }),
        build_id: file.build_id().ok().flatten().map(hex),
        ..ElfLinking::default()
    };
    // Without a dynamic section a file needs nothing.
    if let Ok(table) = file.elf_dynamic_table() {
        let strings_of = |tag: object::elf::DynamicTag| -> Vec<String> {
            table
                .iter()
                .filter(|d| d.tag == tag)
                .filter_map(|d| table.string(d).ok())
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .collect()
        };
        facts.needed = strings_of(object::elf::DT_NEEDED);
        facts.soname = strings_of(object::elf::DT_SONAME).into_iter().next();
        facts.versions = version_needs::<Elf, R>(&file, data);
    }
    facts.min_glibc = glibc_floor(&facts.versions);
    facts.is_static = facts.interpreter.is_none() && facts.needed.is_empty() && facts.soname.is_none();
    Some(facts)
}

/// The highest `GLIBC_x.y` among the version needs, as `x.y`.
fn glibc_floor(versions: &[VersionNeed]) -> Option<String> {
    versions
        .iter()
        .filter_map(|v| v.version.strip_prefix("GLIBC_"))
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .max_by(|a, b| compare_versions(a, b))
        .map(str::to_string)
}

/// Dotted numeric versions compared part by part (`2.9` < `2.17` < `2.34`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    parts(a).cmp(&parts(b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// e_machine values and the first part of the Rust target triples built for them.
const MACHINES: [(object::elf::Machine, &str, &[&str]); 12] = [
    (object::elf::EM_X86_64, "x86_64", &["x86_64"]),
    (object::elf::EM_386, "x86", &["i386", "i486", "i586", "i686"]),
    (object::elf::EM_AARCH64, "aarch64", &["aarch64", "arm64"]),
    (object::elf::EM_ARM, "arm", &["arm", "armv5te", "armv7", "armv7a", "thumbv7neon", "armhf", "armel"]),
    (object::elf::EM_RISCV, "riscv", &["riscv64gc", "riscv64", "riscv32gc", "riscv32"]),
    (object::elf::EM_PPC64, "powerpc64", &["powerpc64", "powerpc64le", "ppc64", "ppc64le"]),
    (object::elf::EM_PPC, "powerpc", &["powerpc"]),
    (object::elf::EM_S390, "s390x", &["s390x"]),
    (object::elf::EM_MIPS, "mips", &["mips", "mipsel", "mips64", "mips64el"]),
    (object::elf::EM_LOONGARCH, "loongarch64", &["loongarch64"]),
    (object::elf::EM_SPARCV9, "sparc64", &["sparc64"]),
    (object::elf::EM_IA_64, "ia64", &["ia64"]),
];

fn machine_name(machine: object::elf::Machine) -> String {
    MACHINES
        .iter()
        .find(|m| m.0 == machine)
        .map(|m| m.1.to_string())
        .unwrap_or_else(|| format!("e_machine-{}", machine.0))
}

/// The machine (as `ElfLinking::machine` names it) that binaries for a target architecture (the
/// first part of a Rust triple: `x86_64`, `armv7`, `i686`) are built for; None when unknown.
pub fn machine_for_arch(arch: &str) -> Option<&'static str> {
    MACHINES.iter().find(|m| m.2.contains(&arch)).map(|m| m.1)
}

/// The machine of the running distpack (where `dpkg-shlibdeps` can resolve libraries).
pub fn host_machine() -> Option<&'static str> {
    machine_for_arch(std::env::consts::ARCH).or(match std::env::consts::ARCH {
        "x86" => Some("x86"),
        "riscv64" => Some("riscv"),
        _ => None,
    })
}

/// The GNU version requirements (SHT_GNU_VERNEED): each needed library with the versions it must
/// provide. Empty when the file has none or they cannot be read.
fn version_needs<'data, Elf, R>(file: &object::read::elf::ElfFile<'data, Elf, R>, data: R) -> Vec<VersionNeed>
where
    Elf: object::read::elf::FileHeader<Endian = object::Endianness>,
    R: object::ReadRef<'data>,
{
    let endian = file.endian();
    let sections = file.elf_section_table();
    let Ok(Some((mut needs, link))) = sections.gnu_verneed(endian, data) else { return Vec::new() };
    let Ok(strings) = sections.strings(endian, data, link) else { return Vec::new() };
    let mut out = Vec::new();
    while let Ok(Some((need, mut auxes))) = needs.next() {
        let Ok(library) = need.file(endian, strings) else { continue };
        while let Ok(Some(aux)) = auxes.next() {
            if let Ok(version) = aux.name(endian, strings) {
                out.push(VersionNeed {
                    library: String::from_utf8_lossy(library).into_owned(),
                    version: String::from_utf8_lossy(version).into_owned(),
                });
            }
        }
    }
    out
}

impl ElfLinking {
    pub fn is_64(&self) -> bool {
        self.class == 64
    }

    /// What in the linking needs musl (its loader `ld-musl-*`, `libc.musl-*`), which glibc
    /// systems (Debian, Fedora, Arch) do not have.
    pub fn musl(&self) -> Option<String> {
        if let Some(interp) = &self.interpreter
            && interp.rsplit('/').next().is_some_and(|name| name.starts_with("ld-musl-"))
        {
            return Some(format!("its interpreter is {interp}"));
        }
        self.needed.iter().find(|n| n.starts_with("libc.musl-")).map(|n| format!("it needs {n}"))
    }

    /// What in the linking needs glibc (its dynamic loader `ld-linux*`, `libc.so.6` and the other
    /// glibc sonames), which musl systems such as Alpine do not have.
    pub fn glibc(&self) -> Option<String> {
        const GLIBC_SONAMES: [&str; 5] = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"];
        if let Some(interp) = &self.interpreter {
            let name = interp.rsplit('/').next().unwrap_or(interp);
            if name.starts_with("ld-linux") || name == "ld64.so.1" || name == "ld64.so.2" {
                return Some(format!("its interpreter is {interp}"));
            }
        }
        self.needed
            .iter()
            .find(|n| GLIBC_SONAMES.contains(&n.as_str()) || n.starts_with("ld-linux"))
            .map(|n| format!("it needs {n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_running_test_binary() {
        let me = std::env::current_exe().unwrap();
        let facts = elf_linking(&me).unwrap();
        assert_eq!(Some(facts.machine.as_str()), host_machine());
        assert_eq!(facts.class, if cfg!(target_pointer_width = "64") { 64 } else { 32 });
        assert!(!facts.stripped, "a test binary keeps its symbols");
        if cfg!(target_env = "gnu") {
            assert!(facts.needed.iter().any(|n| n == "libc.so.6"), "{facts:?}");
            assert!(facts.min_glibc.is_some() && facts.glibc().is_some() && facts.musl().is_none(), "{facts:?}");
        }
    }

    #[test]
    fn glibc_versions_compare_by_number() {
        let need = |v: &str| VersionNeed { library: "libc.so.6".into(), version: v.into() };
        let versions = [need("GLIBC_2.9"), need("GLIBC_2.17"), need("GLIBC_PRIVATE"), need("GLIBC_2.2.5")];
        assert_eq!(glibc_floor(&versions).as_deref(), Some("2.17"));
        assert_eq!(machine_for_arch("armv7"), Some("arm"));
        assert_eq!(machine_for_arch("i686"), Some("x86"));
    }
}
