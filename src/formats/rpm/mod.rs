//! RPM v4 packages (FORMATS.md §2): lead, signature header, main header, compressed cpio payload.
//!
//! Written here rather than with the `rpm` crate because that crate keeps every file's contents
//! and the whole compressed payload in memory; distpack streams. The payload goes through the
//! hashers and the compressor into a temporary file (the main header before it needs the file
//! digests and payload digests from that same pass), then the headers are built and the payload
//! is copied in after them.

mod cpio;
pub(crate) mod header;
pub(crate) mod tags;

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use md5::Digest;
use sha2::Sha256;

use self::header::Header;
use self::tags::*;
use crate::digest::{HashingReader, Sha256Writer};
use crate::error::{Error, IoContext, Result};
use crate::formats::tarball;
use crate::formats::{Keys, Packager};
use crate::manifest::{Compression, FileKind};
use crate::plan::relations::{Atom, Op, Relation, RelationKind};
use crate::plan::{Package, Source};

pub struct Rpm;

impl Packager for Rpm {
    fn write(&self, package: &Package, out: &mut File, scratch: &Path, keys: &Keys) -> Result<()> {
        let mut payload_file = tempfile::tempfile_in(scratch).io("cannot create a temporary file in", scratch)?;
        let payload = write_payload(package, &mut payload_file)?;
        let main = main_header(package, &payload).to_bytes(HEADERIMMUTABLE);

        let mut sig = Header::default();
        sig.string(SIG_SHA1, &hex::encode(sha1_smol_digest(&main)));
        sig.string(SIG_SHA256, &hex::encode(Sha256::digest(&main)));
        sig.int32(SIG_SIZE, &[u32::try_from(main.len() as u64 + payload.compressed_size).map_err(|_| too_large())?]);
        sig.int32(SIG_PAYLOADSIZE, &[u32::try_from(payload.uncompressed_size).map_err(|_| too_large())?]);
        if let Some(signer) = &keys.pgp {
            // The OpenPGP signature covers the main header, which holds the payload digest.
            let tag = match signer.algorithm() {
                crate::sign::pgp::Algorithm::Rsa => SIG_RSA,
                crate::sign::pgp::Algorithm::Dsa => SIG_DSA,
            };
            sig.bin(tag, &signer.sign(&main, package.mtime as u32)?);
        }
        let mut sig_bytes = sig.to_bytes(HEADERSIGNATURES);
        sig_bytes.resize(sig_bytes.len().div_ceil(8) * 8, 0);

        let write_err = |e: io::Error| Error::write("the .rpm")(e);
        let mut w = BufWriter::new(out);
        w.write_all(&lead(package)).map_err(write_err)?;
        w.write_all(&sig_bytes).map_err(write_err)?;
        w.write_all(&main).map_err(write_err)?;
        payload_file.seek(SeekFrom::Start(0)).map_err(write_err)?;
        io::copy(&mut payload_file, &mut w).map_err(write_err)?;
        w.flush().map_err(write_err)?;
        Ok(())
    }
}

fn too_large() -> Error {
    Error::invalid("the package is larger than 4 GiB", "split the payload into several packages")
}

/// SHA-1 of the main header, for the legacy digest rpm -K still checks.
fn sha1_smol_digest(bytes: &[u8]) -> Vec<u8> {
    use sha1::Digest as _;
    sha1::Sha1::digest(bytes).to_vec()
}

/// (epoch, version, release): rpm keeps them in separate tags.
fn evr(package: &Package) -> (Option<u32>, String, String) {
    let v = &package.version;
    (v.epoch, v.upstream.clone(), v.release.clone())
}

/// The 96-byte lead: informational for rpm 4, but checked for magic and signature type.
fn lead(package: &Package) -> Vec<u8> {
    let mut lead = vec![0u8; 96];
    lead[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    lead[4] = 3; // major
    let archnum: u16 = match package.arch.as_str() {
        "x86_64" | "i686" => 1,
        "armv7hl" => 12,
        "aarch64" => 19,
        "riscv64" => 22,
        _ => 0,
    };
    lead[8..10].copy_from_slice(&archnum.to_be_bytes());
    let (_, version, release) = evr(package);
    let name = format!("{}-{version}-{release}", package.name);
    let n = name.len().min(65);
    lead[10..10 + n].copy_from_slice(&name.as_bytes()[..n]);
    lead[76..78].copy_from_slice(&1u16.to_be_bytes()); // Linux
    lead[78..80].copy_from_slice(&5u16.to_be_bytes()); // header-style signature
    lead
}

/// What the main header needs from the payload pass.
struct Payload {
    /// Per file, in plan order: SHA-256 hex for regular files, "" otherwise.
    digests: Vec<String>,
    compressed_sha256: String,
    uncompressed_sha256: String,
    compressed_size: u64,
    uncompressed_size: u64,
}

fn file_mode(kind_bits: u32, mode: u32) -> u32 {
    kind_bits | (mode & 0o7777)
}

fn st_mode(source: &Source, mode: u32) -> u32 {
    match source {
        Source::Directory => file_mode(0o040000, mode),
        Source::Symlink { .. } => file_mode(0o120000, 0o777),
        Source::File { .. } | Source::Generated { .. } => file_mode(0o100000, mode),
    }
}

fn write_payload(package: &Package, out: &mut File) -> Result<Payload> {
    let io_err = |e: io::Error| Error::write("the rpm payload")(e);
    let compressed = Sha256Writer::new(BufWriter::with_capacity(1 << 20, out));
    let encoder = tarball::encoder(package, compressed).map_err(io_err)?;
    let uncompressed = Sha256Writer::new(encoder);
    let mut cpio = cpio::Writer::new(uncompressed);
    let mut digests = Vec::with_capacity(package.files.len());
    let mtime = package.mtime as u32;
    for (i, file) in package.files.iter().enumerate() {
        let name = format!(".{}", file.path);
        let entry =
            |size| cpio::Entry { name: &name, ino: i as u32 + 1, mode: st_mode(&file.source, file.mode), mtime, size };
        match &file.source {
            Source::Directory => {
                cpio.header(&entry(0)).map_err(io_err)?;
                digests.push(String::new());
            }
            Source::Symlink { target } => {
                cpio.header(&entry(target.len() as u64)).map_err(io_err)?;
                cpio.write_all(target.as_bytes()).map_err(io_err)?;
                cpio.end_entry().map_err(io_err)?;
                digests.push(String::new());
            }
            Source::Generated { bytes } => {
                cpio.header(&entry(bytes.len() as u64)).map_err(io_err)?;
                cpio.write_all(bytes).map_err(io_err)?;
                cpio.end_entry().map_err(io_err)?;
                digests.push(hex::encode(Sha256::digest(bytes)));
            }
            Source::File { path } => {
                let f = File::open(path).io("cannot open", path)?;
                cpio.header(&entry(file.size)).map_err(io_err)?;
                let mut reader = HashingReader::new(f.take(file.size), false, true);
                let copied = io::copy(&mut reader, &mut cpio).map_err(io_err)?;
                if copied != file.size {
                    return Err(Error::invalid(
                        format!("{} changed size while the package was being built", path.display()),
                        "do not modify inputs during a build; run it again",
                    ));
                }
                cpio.end_entry().map_err(io_err)?;
                digests.push(reader.finish().sha256.unwrap_or_default());
            }
        }
    }
    let (uncompressed, _) = cpio.finish().map_err(io_err)?;
    let (encoder, uncompressed_sha256, uncompressed_size) = uncompressed.finish();
    let mut compressed = encoder.finish().map_err(io_err)?;
    compressed.flush().map_err(io_err)?;
    let (_, compressed_sha256, compressed_size) = compressed.finish();
    Ok(Payload { digests, compressed_sha256, compressed_size, uncompressed_sha256, uncompressed_size })
}

/// Dependencies as rpm stores them: parallel name, flags and version arrays.
#[derive(Default)]
struct Deps {
    names: Vec<String>,
    flags: Vec<u32>,
    versions: Vec<String>,
}

impl Deps {
    fn push(&mut self, name: &str, flags: u32, version: &str) {
        self.names.push(name.to_string());
        self.flags.push(flags);
        self.versions.push(version.to_string());
    }

    /// One relation: `name` with its sense flags and version, or, for alternatives, a rich
    /// dependency `(a >= 1 or b)` (rpm >= 4.12) in the name with no flags. True when rich.
    fn push_relation(&mut self, relation: &Relation) -> bool {
        match relation.alternatives.as_slice() {
            [one] => {
                let (flags, version) = match &one.constraint {
                    Some(c) => (sense(c.op), c.version.as_str()),
                    None => (0, ""),
                };
                self.push(&one.name, flags, version);
                false
            }
            many => {
                let atom = |a: &Atom| match &a.constraint {
                    Some(c) => format!("{} {} {}", a.name, c.op.symbol(), c.version),
                    None => a.name.clone(),
                };
                self.push(&format!("({})", many.iter().map(atom).collect::<Vec<_>>().join(" or ")), 0, "");
                true
            }
        }
    }

    fn write(&self, h: &mut Header, name_tag: u32, flags_tag: u32, version_tag: u32) {
        if self.names.is_empty() {
            return;
        }
        h.strings(name_tag, &self.names);
        h.int32(flags_tag, &self.flags);
        h.strings(version_tag, &self.versions);
    }
}

/// The RPMSENSE flags of a version comparison.
fn sense(op: Op) -> u32 {
    match op {
        Op::Lt => DEP_LESS,
        Op::Le => DEP_LESS | DEP_EQUAL,
        Op::Eq => DEP_EQUAL,
        Op::Ge => DEP_GREATER | DEP_EQUAL,
        Op::Gt => DEP_GREATER,
    }
}

fn main_header(package: &Package, payload: &Payload) -> Header {
    let mut h = Header::default();
    identity(&mut h, package);
    let mut requires = scriptlets(&mut h, package);
    file_list(&mut h, package, payload);
    dependencies(&mut h, package, &mut requires);
    payload_tags(&mut h, package, payload);
    h
}

/// `[E:]V-R`, as provides and the changelog write it.
fn full_evr(package: &Package) -> String {
    let (epoch, version, release) = evr(package);
    match epoch {
        Some(e) => format!("{e}:{version}-{release}"),
        None => format!("{version}-{release}"),
    }
}

/// Name, version and the descriptive tags.
fn identity(h: &mut Header, package: &Package) {
    let (epoch, version, release) = evr(package);
    h.strings(HEADERI18NTABLE, &["C".to_string()]);
    h.string(NAME, &package.name);
    h.string(VERSION, &version);
    h.string(RELEASE, &release);
    if let Some(e) = epoch {
        h.int32(EPOCH, &[e]);
    }
    h.i18n(SUMMARY, package.summary.lines().next().unwrap_or(""));
    h.i18n(DESCRIPTION, &wrap(package.description.trim(), 79));
    h.int32(BUILDTIME, &[package.mtime as u32]);
    h.string(BUILDHOST, "distpack");
    let total: u64 = package.files.iter().filter(|f| !matches!(f.source, Source::Directory)).map(|f| f.size).sum();
    h.int32(SIZE, &[total.min(u32::MAX as u64) as u32]);
    if let Some(vendor) = &package.vendor {
        h.string(VENDOR, vendor);
    }
    h.string(LICENSE, package.license.as_deref().unwrap_or_default());
    h.string(PACKAGER, &package.maintainer);
    h.i18n(GROUP, &package.section);
    if let Some(url) = &package.homepage {
        h.string(URL, url);
    }
    h.string(OS, "linux");
    h.string(ARCH, &package.arch);
    // A debuginfo package comes from its package's source rpm, as rpmbuild's do.
    let source = package.debug_of.as_ref().map_or(&package.name, |d| &d.package);
    h.string(SOURCERPM, &format!("{source}-{version}-{release}.src.rpm"));
    h.string(RPMVERSION, "4.18.0");
    h.int32(CHANGELOGTIME, &[package.mtime as u32]);
    h.strings(CHANGELOGNAME, &[format!("{} - {version}-{release}", package.maintainer)]);
    h.strings(CHANGELOGTEXT, &[format!("- Package {} {}", package.name, package.upstream_version)]);
}

/// Scriptlets, each run by /bin/sh, each needing /bin/sh before it runs: the requires they add.
fn scriptlets(h: &mut Header, package: &Package) -> Deps {
    let mut requires = Deps::default();
    for (name, tag, prog_tag, flag) in [
        ("pre", PREIN, PREINPROG, DEP_SCRIPT_PRE),
        ("post", POSTIN, POSTINPROG, DEP_SCRIPT_POST),
        ("preun", PREUN, PREUNPROG, DEP_SCRIPT_PREUN),
        ("postun", POSTUN, POSTUNPROG, DEP_SCRIPT_POSTUN),
    ] {
        if let Some(body) = package.scripts.get(name) {
            h.string(tag, body);
            h.string(prog_tag, "/bin/sh");
            requires.push("/bin/sh", DEP_INTERP | flag, "");
        }
    }
    requires
}

/// The file list, sorted by path as the plan keeps it, in rpm's parallel arrays.
fn file_list(h: &mut Header, package: &Package, payload: &Payload) {
    let files = &package.files;
    if files.is_empty() {
        return;
    }
    let mut dirnames: Vec<String> = Vec::new();
    let mut dirindexes = Vec::new();
    let mut basenames = Vec::new();
    for f in files {
        let (dir, base) = f.path.rsplit_once('/').unwrap_or(("", &f.path));
        let dir = format!("{dir}/");
        let index = match dirnames.iter().position(|d| *d == dir) {
            Some(i) => i,
            None => {
                dirnames.push(dir);
                dirnames.len() - 1
            }
        };
        dirindexes.push(index as u32);
        basenames.push(base.to_string());
    }
    let each = |f: &dyn Fn(&crate::plan::PackageFile) -> String| files.iter().map(f).collect::<Vec<_>>();
    h.int32(
        FILESIZES,
        &files
            .iter()
            .map(|f| if matches!(f.source, Source::Directory) { 0 } else { f.size as u32 })
            .collect::<Vec<_>>(),
    );
    h.int16(FILEMODES, &files.iter().map(|f| st_mode(&f.source, f.mode) as u16).collect::<Vec<_>>());
    h.int16(FILERDEVS, &vec![0; files.len()]);
    h.int32(FILEMTIMES, &vec![package.mtime as u32; files.len()]);
    h.strings(FILEDIGESTS, &payload.digests);
    h.strings(
        FILELINKTOS,
        &each(&|f| match &f.source {
            Source::Symlink { target } => target.clone(),
            _ => String::new(),
        }),
    );
    let flags = |kind: FileKind| match kind {
        _ if kind.is_conffile() => FILE_CONFIG | FILE_NOREPLACE,
        FileKind::Doc | FileKind::Man => FILE_DOC,
        FileKind::License => FILE_LICENSE,
        _ => 0,
    };
    h.int32(FILEFLAGS, &files.iter().map(|f| flags(f.kind)).collect::<Vec<_>>());
    h.strings(FILEUSERNAME, &each(&|f| f.owner.clone()));
    h.strings(FILEGROUPNAME, &each(&|f| f.group.clone()));
    h.int32(FILEVERIFYFLAGS, &vec![u32::MAX; files.len()]);
    h.int32(FILEDEVICES, &vec![1; files.len()]);
    h.int32(FILEINODES, &(1..=files.len() as u32).collect::<Vec<_>>());
    h.strings(FILELANGS, &vec![String::new(); files.len()]);
    h.int32(DIRINDEXES, &dirindexes);
    h.strings(BASENAMES, &basenames);
    h.strings(DIRNAMES, &dirnames);
}

/// Provides, requires (with the rpmlib features the package uses), and the other relations.
fn dependencies(h: &mut Header, package: &Package, requires: &mut Deps) {
    let full_evr = full_evr(package);
    let mut provides = Deps::default();
    provides.push(&package.name, DEP_EQUAL, &full_evr);
    if let Some(isa) = match package.arch.as_str() {
        "x86_64" => Some("x86-64"),
        "aarch64" => Some("aarch-64"),
        _ => None,
    } {
        provides.push(&format!("{}({isa})", package.name), DEP_EQUAL, &full_evr);
    }
    if package.files.iter().any(|f| f.kind.is_conffile()) {
        provides.push(&format!("config({})", package.name), DEP_CONFIG | DEP_EQUAL, &full_evr);
        requires.push(&format!("config({})", package.name), DEP_CONFIG | DEP_EQUAL, &full_evr);
    }
    let mut rich = false;
    let mut list = |kind: RelationKind, deps: &mut Deps| {
        for relation in package.relations.get(&kind).into_iter().flatten() {
            rich |= deps.push_relation(relation);
        }
    };
    list(RelationKind::Provides, &mut provides);
    list(RelationKind::Depends, requires);
    let mut others: Vec<(u32, u32, u32, Deps)> = Vec::new();
    for (kind, tags) in [
        (RelationKind::Conflicts, (CONFLICTNAME, CONFLICTFLAGS, CONFLICTVERSION)),
        (RelationKind::Replaces, (OBSOLETENAME, OBSOLETEFLAGS, OBSOLETEVERSION)),
        (RelationKind::Recommends, (RECOMMENDNAME, RECOMMENDFLAGS, RECOMMENDVERSION)),
        (RelationKind::Suggests, (SUGGESTNAME, SUGGESTFLAGS, SUGGESTVERSION)),
    ] {
        let mut deps = Deps::default();
        list(kind, &mut deps);
        others.push((tags.0, tags.1, tags.2, deps));
    }
    let rpmlib = DEP_RPMLIB | DEP_LESS | DEP_EQUAL;
    requires.push("rpmlib(CompressedFileNames)", rpmlib, "3.0.4-1");
    requires.push("rpmlib(FileDigests)", rpmlib, "4.6.0-1");
    requires.push("rpmlib(PayloadFilesHavePrefix)", rpmlib, "4.0-1");
    match package.compression {
        Compression::Zstd => requires.push("rpmlib(PayloadIsZstd)", rpmlib, "5.4.18-1"),
        Compression::Xz => requires.push("rpmlib(PayloadIsXz)", rpmlib, "5.2-1"),
        Compression::Gzip | Compression::None => {}
    }
    if rich {
        requires.push("rpmlib(RichDependencies)", rpmlib, "4.12.0-1");
    }
    provides.write(h, PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION);
    requires.write(h, REQUIRENAME, REQUIREFLAGS, REQUIREVERSION);
    for (name, flags, version, deps) in &others {
        deps.write(h, *name, *flags, *version);
    }
}

/// How the payload is stored and its digests.
fn payload_tags(h: &mut Header, package: &Package, payload: &Payload) {
    h.string(PAYLOADFORMAT, "cpio");
    let compressor = match package.compression {
        Compression::Zstd => "zstd",
        Compression::Xz => "xz",
        // The plan refuses `none` for rpm.
        Compression::Gzip | Compression::None => "gzip",
    };
    h.string(PAYLOADCOMPRESSOR, compressor);
    h.string(PAYLOADFLAGS, &package.compression_level.to_string());
    h.int32(FILEDIGESTALGO, &[8]);
    h.string(ENCODING, "utf-8");
    h.strings(PAYLOADDIGEST, std::slice::from_ref(&payload.compressed_sha256));
    h.int32(PAYLOADDIGESTALGO, &[8]);
    h.strings(PAYLOADDIGESTALT, std::slice::from_ref(&payload.uncompressed_sha256));
}

/// `text` with every line longer than `width` broken at spaces, as rpmlint asks
/// (description-line-too-long); lines with no space to break at, such as URLs, stay whole.
fn wrap(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + 1 + word.len() > width {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}

#[cfg(test)]
mod wrap_tests {
    #[test]
    fn long_lines_break_at_spaces() {
        let long = "word ".repeat(30);
        let wrapped = super::wrap(long.trim(), 79);
        assert!(wrapped.lines().all(|l| l.len() <= 79), "{wrapped}");
        assert_eq!(wrapped.split_whitespace().count(), 30);
        assert_eq!(super::wrap("a\n\nb", 79), "a\n\nb");
        let url = "https://example.org/".to_string() + &"x".repeat(90);
        assert_eq!(super::wrap(&url, 79), url);
    }
}
