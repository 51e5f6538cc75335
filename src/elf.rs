//! What an ELF file says about how it runs: its interpreter, the libraries and symbol versions it
//! needs, its class and soname. Read lazily with the `object` crate, in the parts the headers name.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// An ELF file (by its magic number).
pub fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}

/// How an ELF file is linked: its program interpreter (PT_INTERP) and the libraries it needs
/// (DT_NEEDED). None when the file is not ELF or cannot be read; the file is read lazily, in the
/// parts the headers point at.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ElfLinking {
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// A 64-bit ELF (rpm marks its sonames `(64bit)`).
    pub is_64: bool,
    /// DT_SONAME: what a shared library provides.
    pub soname: Option<String>,
    /// (library, version) of every symbol version the file needs (`libc.so.6`, `GLIBC_2.34`).
    pub versions: Vec<(String, String)>,
}

pub fn elf_linking(path: &Path) -> Option<ElfLinking> {
    use object::elf::{FileHeader32, FileHeader64};
    let file = File::open(path).ok()?;
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
    use object::read::elf::{ElfFile, ProgramHeader};
    let file = ElfFile::<Elf, R>::parse(data).ok()?;
    let endian = file.endian();
    let interpreter = file
        .elf_program_headers()
        .iter()
        .find_map(|ph| ph.interpreter(endian, data).ok().flatten())
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let is_64 = file.elf_header().is_class_64();
    let Ok(table) = file.elf_dynamic_table() else {
        // No dynamic section: a static executable needs nothing.
        return Some(ElfLinking { interpreter, is_64, ..ElfLinking::default() });
    };
    let strings_of = |tag: object::elf::DynamicTag| -> Vec<String> {
        table
            .iter()
            .filter(|d| d.tag == tag)
            .filter_map(|d| table.string(d).ok())
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .collect()
    };
    let needed = strings_of(object::elf::DT_NEEDED);
    let soname = strings_of(object::elf::DT_SONAME).into_iter().next();
    Some(ElfLinking { interpreter, needed, is_64, soname, versions: version_needs::<Elf, R>(&file, data) })
}

/// The GNU version requirements (SHT_GNU_VERNEED): each needed library with the versions it must
/// provide. Empty when the file has none or they cannot be read.
fn version_needs<'data, Elf, R>(file: &object::read::elf::ElfFile<'data, Elf, R>, data: R) -> Vec<(String, String)>
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
                out.push((
                    String::from_utf8_lossy(library).into_owned(),
                    String::from_utf8_lossy(version).into_owned(),
                ));
            }
        }
    }
    out
}

impl ElfLinking {
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

/// What stripping an ELF file would take out of it, and the build-id that names its debug file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DebugSections {
    /// The GNU build-id note (NT_GNU_BUILD_ID), in lowercase hex.
    pub build_id: Option<String>,
    /// DWARF: a `.debug_*` (or compressed `.zdebug_*`) section.
    pub dwarf: bool,
    /// A `.symtab`: the static symbols `strip --strip-unneeded` removes.
    pub symtab: bool,
}

impl DebugSections {
    /// Whether `objcopy --strip-debug --strip-unneeded` would remove anything.
    pub fn unstripped(&self) -> bool {
        self.dwarf || self.symtab
    }
}

/// The debug sections and build-id of an ELF file; None when it is not ELF or cannot be read.
pub fn debug_sections(path: &Path) -> Option<DebugSections> {
    use object::{Object, ObjectSection};
    let file = File::open(path).ok()?;
    let cache = object::ReadCache::new(file);
    let elf = object::File::parse(&cache).ok()?;
    if !matches!(elf.format(), object::BinaryFormat::Elf) {
        return None;
    }
    let names: Vec<String> = elf.sections().filter_map(|s| s.name().ok().map(str::to_string)).collect();
    Some(DebugSections {
        build_id: elf.build_id().ok().flatten().map(hex_of),
        dwarf: names.iter().any(|n| n.starts_with(".debug_") || n.starts_with(".zdebug_")),
        symtab: names.iter().any(|n| n == ".symtab"),
    })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
