//! Alpine packages, apk v2 (FORMATS.md §4): three gzip members that together read as one tar —
//! the signature, the control part (`.PKGINFO` and scripts) and the data — where the first two
//! are "cut" (no end-of-archive blocks) and every file carries a PAX `APK-TOOLS.checksum.SHA1`.
//!
//! The SHA-1 of each file goes in the PAX header before it, so files are hashed in a first pass;
//! the data member then streams through the compressor into a temporary file while its SHA-256
//! (`datahash`, needed by the control member that precedes it) is computed.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::digest::Sha256Writer;
use crate::error::{Error, IoContext, Result};
use crate::formats::arch::relations;
use crate::formats::tarball;
use crate::formats::{Keys, Packager};
use crate::plan::relations::RelationKind;
use crate::plan::version::Version;
use crate::plan::{Package, Source};

pub struct Apk;

/// `pkgver-rN`.
pub fn version(v: &Version) -> String {
    format!("{}-r{}", v.upstream, v.release)
}

impl Packager for Apk {
    /// Where abuild puts it in a repository: `ARCH/NAME-VER-rREL.apk`. The name alone carries no
    /// architecture, so each target's package goes in its own directory.
    /// Digests are hashed in a first pass, then the files are archived.
    fn reads(&self) -> u64 {
        2
    }

    fn write(&self, package: &Package, out: &mut File, scratch: &Path, keys: &Keys) -> Result<()> {
        let io_err = |e: io::Error| Error::write("the .apk")(e);
        let sha1s = file_sha1s(package)?;

        // Data member: streamed to a temporary file, hashed as it is written.
        let mut data_file = tempfile::tempfile_in(scratch).io("cannot create a temporary file in", scratch)?;
        let datahash = {
            let hashing = Sha256Writer::new(BufWriter::with_capacity(1 << 20, &mut data_file));
            let mut builder = tar::Builder::new(gzip(hashing));
            for (file, sha1) in package.files.iter().zip(&sha1s) {
                if let Some(sha1) = sha1 {
                    append_checksum(&mut builder, &file.path, sha1, package.mtime).map_err(io_err)?;
                }
                tarball::append(&mut builder, file, package.mtime, false, false)?;
            }
            let mut hashing = builder.into_inner().and_then(|gz| gz.finish()).map_err(io_err)?;
            hashing.flush().map_err(io_err)?;
            hashing.finish().1
        };

        // Control member: .PKGINFO first, then the scripts; cut, then gzipped.
        let mut control = Vec::new();
        cut_entry(&mut control, ".PKGINFO", 0o644, pkginfo(package, &datahash).as_bytes(), package.mtime);
        for (name, text) in &package.scripts {
            cut_entry(&mut control, name, 0o755, text.as_bytes(), package.mtime);
        }
        let control = gzip_bytes(&control)?;

        let mut w = BufWriter::new(out);
        match &keys.apk {
            Some(signer) => w.write_all(&signature_member(signer, &control, package.mtime)?).map_err(io_err)?,
            None if keys.allow_unsigned_apk => {}
            None => {
                return Err(Error::invalid(
                    "an .apk must be signed: pass --apk-key KEY",
                    "make a key with `distpack keygen --rsa NAME` (or openssl genrsa); --allow-unsigned-apk builds one that apk only installs with --allow-untrusted",
                ));
            }
        }
        w.write_all(&control).map_err(io_err)?;
        data_file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        io::copy(&mut data_file, &mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
        Ok(())
    }
}

/// The PAX extended header that precedes a file: its one record is `APK-TOOLS.checksum.SHA1`.
///
/// It must have a name. apk 2.14's tar parser takes any header whose name starts with NUL for the
/// end of the archive, then reads the PAX payload as the next header and refuses the package
/// ("package file format error"). abuild's GNU tar names them `DIR/PaxHeaders/FILE`
/// (`--pax-option=exthdr.name=%d/PaxHeaders/%f`); so does this.
fn append_checksum<W: Write>(builder: &mut tar::Builder<W>, path: &str, sha1: &str, mtime: u64) -> io::Result<()> {
    let key = "APK-TOOLS.checksum.SHA1";
    let record = pax_record(key, sha1);
    let mut h = tar::Header::new_ustar();
    let rel = path.trim_start_matches('/');
    let (dir, base) = rel.rsplit_once('/').unwrap_or((".", rel));
    let name = format!("{dir}/PaxHeaders/{base}");
    // GNU tar cuts an over-long name to the 100 bytes of the field; apk only needs it non-empty.
    let field = &mut h.as_old_mut().name;
    let mut len = name.len().min(field.len());
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    field[..len].copy_from_slice(&name.as_bytes()[..len]);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_size(record.len() as u64);
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_cksum();
    builder.append(&h, record.as_bytes())
}

/// One PAX record, `"<len> <key>=<value>\n"`, where `len` counts the whole record, itself included.
fn pax_record(key: &str, value: &str) -> String {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

/// The gzip member that signs `data` (the gzip stream after it), as abuild-sign writes it for
/// packages and APKINDEX alike: a cut tar of `.SIGN.RSA.KEYNAME.rsa.pub` holding the signature.
pub fn signature_member(signer: &crate::sign::rsa::ApkSigner, data: &[u8], mtime: u64) -> Result<Vec<u8>> {
    let mut sig = Vec::new();
    cut_entry(&mut sig, &format!(".SIGN.RSA.{}", signer.key_name), 0o644, &signer.sign(data), mtime);
    gzip_bytes(&sig)
}

/// `gzip -n -9`, as abuild compresses each member.
fn gzip<W: Write>(inner: W) -> flate2::write::GzEncoder<W> {
    flate2::GzBuilder::new().mtime(0).write(inner, flate2::Compression::best())
}

pub fn gzip_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut gz = gzip(Vec::new());
    gz.write_all(bytes).and_then(|_| gz.finish()).map_err(Error::write("a gzip stream in memory"))
}

/// One tar entry, header and padded data, with no end-of-archive blocks after it ("cut").
fn cut_entry(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8], mtime: u64) {
    let mut h = tar::Header::new_ustar();
    let _ = h.set_path(name);
    h.set_mode(mode);
    h.set_size(data.len() as u64);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// SHA-1 hex of each regular file's content and of each symlink's target; `None` for directories.
fn file_sha1s(package: &Package) -> Result<Vec<Option<String>>> {
    let mut out = Vec::with_capacity(package.files.len());
    for file in &package.files {
        out.push(match &file.source {
            Source::File { path } => crate::digest::of_file(path, false, true, false).io("cannot read", path)?.sha1,
            Source::Generated { bytes } => Some(hex::encode(Sha1::digest(bytes))),
            Source::Symlink { target } => Some(hex::encode(Sha1::digest(target.as_bytes()))),
            Source::Directory => None,
        });
    }
    Ok(out)
}

fn pkginfo(package: &Package, datahash: &str) -> String {
    let mut out = format!("# Generated by distpack {}\n", env!("CARGO_PKG_VERSION"));
    let mut line = |key: &str, value: &str| out.push_str(&format!("{key} = {value}\n"));
    line("pkgname", &package.name);
    line("pkgver", &version(&package.version));
    line("pkgdesc", &package.summary.split_whitespace().collect::<Vec<_>>().join(" "));
    if let Some(url) = &package.homepage {
        line("url", url);
    }
    line("builddate", &package.mtime.to_string());
    line("packager", &package.maintainer);
    // apk skips extraction and scripts of a package whose size is 0.
    let size: u64 = package.files.iter().filter(|f| !matches!(f.source, Source::Directory)).map(|f| f.size).sum();
    line("size", &size.max(1).to_string());
    line("arch", &package.arch);
    line("origin", package.origin.as_deref().unwrap_or(&package.name));
    line("maintainer", &package.maintainer);
    if let Some(license) = &package.license {
        line("license", license);
    }
    for value in relations(package, RelationKind::Replaces) {
        line("replaces", &value);
    }
    for value in relations(package, RelationKind::Depends) {
        line("depend", &value);
    }
    for value in relations(package, RelationKind::Conflicts) {
        line("depend", &format!("!{value}"));
    }
    // The plan adds what abuild detects: `cmd:` provides, the /bin/sh dependency of scripts and
    // a subpackage's install_if.
    for value in relations(package, RelationKind::Provides) {
        line("provides", &value);
    }
    let install_if = relations(package, RelationKind::InstallIf);
    if !install_if.is_empty() {
        line("install_if", &install_if.join(" "));
    }
    line("datahash", datahash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_count_their_own_length() {
        for value_len in 0..120 {
            let record = pax_record("k", &"v".repeat(value_len));
            let (len, _) = record.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), record.len(), "{record:?}");
        }
        let sha1 = "0".repeat(40);
        assert_eq!(pax_record("APK-TOOLS.checksum.SHA1", &sha1), format!("68 APK-TOOLS.checksum.SHA1={sha1}\n"));
    }

    #[test]
    fn pax_headers_are_named_like_gnu_tar_names_them() {
        let mut builder = tar::Builder::new(Vec::new());
        append_checksum(&mut builder, "/usr/bin/healthd", &"0".repeat(40), 0).unwrap();
        append_checksum(&mut builder, "/top", &"0".repeat(40), 0).unwrap();
        append_checksum(&mut builder, &format!("/{}", "d/".repeat(60) + "file"), &"0".repeat(40), 0).unwrap();
        let bytes = builder.into_inner().unwrap();
        let name = |at: usize| String::from_utf8_lossy(&bytes[at..at + 100]).trim_end_matches('\0').to_string();
        assert_eq!(name(0), "usr/bin/PaxHeaders/healthd");
        assert_eq!(name(1024), "./PaxHeaders/top");
        assert_eq!(name(2048).len(), 100, "cut to the field");
        assert_eq!(bytes[156], b'x');
    }
}
