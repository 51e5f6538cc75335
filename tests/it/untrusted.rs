//! Untrusted input: every reproducer of the fuzzing campaign (issue 15) as a scenario. Each one
//! runs distpack under a 1 GB address-space cap and a 20 s timeout, as an agent would run `verify`
//! on a download or a person `inspect` on a package they did not build, and asserts a clean error
//! with the documented exit code: no panic (101), no abort, no hang, no exhausted memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

/// The address-space cap (bytes) and the time limit every reproducer runs under.
pub const MEMORY_CAP: &str = "1000000000";
pub const TIME_LIMIT: &str = "20";

/// The binary under test: this build's, or `DISTPACK_UNDER_TEST` (to show that the reproducers
/// fail on a distpack without the fixes).
fn binary() -> std::ffi::OsString {
    std::env::var_os("DISTPACK_UNDER_TEST").unwrap_or_else(|| env!("CARGO_BIN_EXE_distpack").into())
}

/// `distpack ARGS` under `timeout 20 prlimit --as=1000000000`.
pub fn capped(args: &[&std::ffi::OsStr]) -> Command {
    require_tool("prlimit");
    require_tool("timeout");
    let mut cmd = Command::new("timeout");
    cmd.args(["-s", "KILL", TIME_LIMIT, "prlimit", &format!("--as={MEMORY_CAP}"), "--"])
        .arg(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(|a| a.into()).collect()
}

/// Run under the caps; the run must end by itself with `code` and print `message` on stderr.
fn refused(mut cmd: Command, code: i32, message: &str) -> Output {
    let output = cmd.output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{cmd:?}: expected exit {code} with `{message}`, got {}\nstderr:\n{stderr}",
        output.status
    );
    assert!(stderr.contains(message), "{cmd:?}: stderr lacks `{message}`:\n{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("malformed input"), "a panic was reached:\n{stderr}");
    output
}

fn inspect(path: &Path, extra: &[&str]) -> Command {
    let mut args = os(&["inspect"]);
    args.push(path.into());
    args.extend(os(extra));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    capped(&refs)
}

// ---------------------------------------------------------------------------------------------
// Crafting archives byte by byte (the point is to write what no packager would).

/// An ar archive whose members have exactly these raw 16-byte name fields.
pub fn ar(members: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        out.extend_from_slice(&ar_header(name, &data.len().to_string()));
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

/// A 60-byte ar member header with a raw name and size field.
pub fn ar_header(name: &[u8], size: &str) -> Vec<u8> {
    let mut h = format!("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", "", "0", "0", "0", "100644", size).into_bytes();
    h[..16].fill(b' ');
    h[..name.len()].copy_from_slice(name);
    h
}

/// A ustar header block (valid checksum) of `kind` claiming `size` bytes.
pub fn tar_header(name: &[u8], kind: u8, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[257..265].copy_from_slice(b"ustar\x0000");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// `data` padded to whole 512-byte blocks.
pub fn blocks(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.resize(data.len().div_ceil(512) * 512, 0);
    out
}

/// A gzipped control.tar with a minimal control file.
pub fn control_tar_gz() -> Vec<u8> {
    let control = b"Package: evil\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: x\n";
    let mut tar = tar_header(b"./control", b'0', control.len() as u64);
    tar.extend(blocks(control));
    tar.extend([0u8; 1024]);
    gzip(&tar)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A zstd stream of `prefix` followed by `zeros` zero bytes, made of repeated frames so that
/// gigabytes cost only a few kilobytes and milliseconds (zstd decoders read concatenated frames).
pub fn zstd_with_zeros(prefix: &[u8], zeros: u64) -> Vec<u8> {
    const CHUNK: u64 = 64 << 20;
    let mut out = zstd::bulk::compress(prefix, 1).unwrap();
    let frame = zstd::bulk::compress(&vec![0u8; CHUNK as usize], 1).unwrap();
    for _ in 0..zeros / CHUNK {
        out.extend_from_slice(&frame);
    }
    out.extend(zstd::bulk::compress(&vec![0u8; (zeros % CHUNK) as usize], 1).unwrap());
    out
}

/// A .deb with a valid control member and `data` as `data.tar.zst`.
pub fn deb_with_data_zst(data: Vec<u8>) -> Vec<u8> {
    ar(&[(b"debian-binary", b"2.0\n"), (b"control.tar.gz", &control_tar_gz()), (b"data.tar.zst", &data)])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn mkfifo(path: &Path) {
    run(Command::new("mkfifo").arg(path));
}

// ---------------------------------------------------------------------------------------------
// inspect: the ar layer of a .deb

#[test]
fn a_deb_member_named_slash_5_without_a_name_table_is_refused_not_a_panic() {
    let dir = tempdir();
    let deb = write(dir.path(), "evil.deb", &ar(&[(b"debian-binary", b"2.0\n"), (b"/5", b"xx")]));
    refused(inspect(&deb, &[]), 1, "member name `/5` is a long-name reference, which .deb files do not use");
}

#[test]
fn an_ar_name_table_claiming_ten_gigabytes_in_a_tiny_file_is_refused_before_allocating() {
    let dir = tempdir();
    let mut bytes = b"!<arch>\n".to_vec();
    bytes.extend(ar_header(b"//", "9999999999"));
    bytes.extend(vec![b'x'; 64]);
    assert!(bytes.len() <= 132);
    let deb = write(dir.path(), "table.deb", &bytes);
    refused(inspect(&deb, &[]), 1, "member name `//` is a long-name reference");

    let mut bytes = b"!<arch>\n".to_vec();
    bytes.extend(ar_header(b"debian-binary", "4"));
    bytes.extend(b"2.0\n");
    bytes.extend(ar_header(b"control.tar.gz", "9999999999"));
    let deb = write(dir.path(), "size.deb", &bytes);
    refused(inspect(&deb, &[]), 1, "member `control.tar.gz` claims 9999999999 bytes, but only 0 are left in the file");
}

#[test]
fn a_bsd_long_member_name_claiming_ten_gigabytes_is_refused_before_allocating() {
    let dir = tempdir();
    let mut bytes = b"!<arch>\n".to_vec();
    bytes.extend(ar_header(b"#1/9999999999", "9999999999"));
    let deb = write(dir.path(), "bsd.deb", &bytes);
    refused(inspect(&deb, &[]), 1, "member name `#1/9999999999` is a long-name reference");
}

// ---------------------------------------------------------------------------------------------
// inspect: tar extension headers and sizes

#[test]
fn a_deb_with_a_three_gigabyte_gnu_long_name_is_refused_at_its_header() {
    let dir = tempdir();
    let data = zstd_with_zeros(&tar_header(b"././@LongLink", b'L', 3_000_000_000), 3_000_000_000);
    let deb = write(dir.path(), "longname.deb", &deb_with_data_zst(data));
    assert!(std::fs::metadata(&deb).unwrap().len() < 1_000_000, "the reproducer is a small file");
    refused(inspect(&deb, &[]), 1, "a GNU long name of 3000000000 bytes is over the 4096-byte limit");
}

#[test]
fn an_arch_package_with_a_huge_pax_record_set_is_refused_at_its_header() {
    let dir = tempdir();
    let data = zstd_with_zeros(&tar_header(b"PaxHeaders/x", b'x', 2_000_000_000), 2_000_000_000);
    let pkg = write(dir.path(), "evil-1-1-x86_64.pkg.tar.zst", &data);
    refused(inspect(&pkg, &[]), 1, "a PAX extended header of 2000000000 bytes is over the 4096-byte limit");
}

#[test]
fn forty_thousand_long_names_stop_at_the_listing_limit_instead_of_filling_memory() {
    let dir = tempdir();
    let mut tar = Vec::new();
    let name = vec![b'n'; 4000];
    for i in 0..40_000u32 {
        let mut long = name.clone();
        long.extend(i.to_string().bytes());
        long.truncate(4000);
        tar.extend(tar_header(b"././@LongLink", b'L', long.len() as u64));
        tar.extend(blocks(&long));
        tar.extend(tar_header(b"x", b'0', 0));
    }
    let deb = write(dir.path(), "names.deb", &deb_with_data_zst(zstd::bulk::compress(&tar, 1).unwrap()));
    refused(inspect(&deb, &[]), 1, "lists more than 134217728 bytes of names");
}

#[test]
fn a_pax_size_record_moves_the_next_header_exactly_as_the_tar_reader_sees_it() {
    // The guard must follow the same framing as the tar crate: here a PAX `size` record makes the
    // next entry 1024 bytes long (its header says 0), and the long name hidden after it is found.
    let dir = tempdir();
    let record = b"13 size=1024\n";
    let mut tar = tar_header(b"PaxHeaders/f", b'x', record.len() as u64);
    tar.extend(blocks(record));
    tar.extend(tar_header(b"f", b'0', 0));
    tar.extend(vec![0u8; 1024]);
    tar.extend(tar_header(b"././@LongLink", b'L', 1 << 32));
    let deb = write(dir.path(), "pax.deb", &deb_with_data_zst(zstd::bulk::compress(&tar, 1).unwrap()));
    refused(inspect(&deb, &[]), 1, "a GNU long name of 4294967296 bytes is over the 4096-byte limit");
}

// ---------------------------------------------------------------------------------------------
// inspect: decompression caps for every compressed format

#[test]
fn a_deb_that_decompresses_past_the_cap_stops_there() {
    let dir = tempdir();
    let data = zstd_with_zeros(&tar_header(b"./big", b'0', 1 << 30), 1 << 30);
    let deb = write(dir.path(), "bomb.deb", &deb_with_data_zst(data));
    refused(
        inspect(&deb, &["--max-unpacked-size", "100000000"]),
        1,
        "data.tar decompresses to more than 100000000 bytes (the limit)",
    );
    // The same limit from the environment.
    let mut cmd = inspect(&deb, &[]);
    cmd.env("DISTPACK_MAX_UNPACKED_SIZE", "50000000");
    refused(cmd, 1, "decompresses to more than 50000000 bytes");
}

#[test]
fn an_arch_package_and_an_apk_that_decompress_past_the_cap_stop_there() {
    let dir = tempdir();
    let data = zstd_with_zeros(&tar_header(b"big", b'0', 1 << 30), 1 << 30);
    let pkg = write(dir.path(), "bomb-1-1-x86_64.pkg.tar.zst", &data);
    refused(inspect(&pkg, &["--max-unpacked-size", "100000000"]), 1, "decompresses to more than 100000000 bytes");

    // An .apk is gzip members read as one stream: eight members of 128 MiB of zeros.
    let mut apk = gzip(&tar_header(b"big", b'0', 1 << 30));
    let member = gzip(&vec![0u8; 128 << 20]);
    for _ in 0..8 {
        apk.extend_from_slice(&member);
    }
    let apk = write(dir.path(), "bomb-1.0-r0.apk", &apk);
    refused(inspect(&apk, &["--max-unpacked-size", "100000000"]), 1, "decompresses to more than 100000000 bytes");
}

#[test]
fn a_gzip_tarball_that_is_not_readable_is_called_unreadable_not_a_tarball_without_addon_json() {
    let dir = tempdir();
    let mut bytes = gzip(&tar_header(b"././@LongLink", b'L', 3_000_000_000));
    bytes.truncate(bytes.len() - 4);
    let tarball = write(dir.path(), "thing-1.0-linux-x86_64.tar.gz", &bytes);
    refused(inspect(&tarball, &[]), 1, "a GNU long name of 3000000000 bytes is over the 4096-byte limit");
}

// ---------------------------------------------------------------------------------------------
// inspect: rpm headers

/// An rpm header structure: (tag, type, count, data) entries, offsets laid out in order.
fn rpm_header(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, kind, count, bytes) in entries {
        while *kind == 4 && data.len() % 4 != 0 {
            data.push(0);
        }
        for v in [*tag, *kind, data.len() as u32, *count] {
            index.extend(v.to_be_bytes());
        }
        data.extend(bytes);
    }
    let mut out = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    out.extend((entries.len() as u32).to_be_bytes());
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(index);
    out.extend(data);
    out
}

#[test]
fn an_rpm_whose_paths_share_a_megabyte_directory_name_is_refused_not_materialised() {
    let dir = tempdir();
    let files = 2000u32;
    let mut dirname = vec![b'/'];
    dirname.extend(vec![b'd'; 500_000]);
    dirname.extend(b"/\0");
    let basenames: Vec<u8> = (0..files).flat_map(|_| *b"f\0").collect();
    let indexes: Vec<u8> = (0..files).flat_map(|_| 0u32.to_be_bytes()).collect();
    let mut rpm = vec![0u8; 96];
    rpm[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    rpm.extend(rpm_header(&[]));
    rpm.extend(rpm_header(&[
        (1000, 6, 1, b"evil\0".to_vec()),
        (1116, 4, files, indexes),
        (1117, 8, files, basenames),
        (1118, 8, 1, dirname),
    ]));
    let path = write(dir.path(), "evil.rpm", &rpm);
    assert!(rpm.len() < 1_100_000);
    refused(inspect(&path, &[]), 1, "file 0 has a path of 500003 bytes, over 4096");
}

// ---------------------------------------------------------------------------------------------
// inspect: special files and what reaches the terminal

#[test]
fn inspect_of_a_fifo_or_a_device_is_refused_without_blocking() {
    let dir = tempdir();
    let fifo = dir.path().join("waiting.deb");
    mkfifo(&fifo);
    refused(inspect(&fifo, &[]), 1, "is not a regular file");
    refused(inspect(Path::new("/dev/zero"), &[]), 1, "/dev/zero is not a regular file");
}

#[test]
fn inspect_prints_escape_sequences_from_entry_names_escaped() {
    let dir = tempdir();
    let mut tar = tar_header(b"./usr/bin/\x1b]0;owned\x07\x1b[2Jx", b'0', 0);
    tar.extend([0u8; 1024]);
    let deb = write(dir.path(), "escape.deb", &deb_with_data_zst(zstd::bulk::compress(&tar, 1).unwrap()));
    let output = capped(&[std::ffi::OsStr::new("inspect"), deb.as_os_str()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!output.stdout.contains(&0x1b) && !output.stdout.contains(&0x07), "raw control bytes reach the terminal");
    assert!(text(&output.stdout).contains(r"/usr/bin/\u{1b}]0;owned\u{7}\u{1b}[2Jx"), "{}", text(&output.stdout));

    // A malformed version field is shown escaped in the error too.
    let deb = write(dir.path(), "version.deb", &ar(&[(b"debian-binary", b"\x1b[31m9\n")]));
    let output = refused(inspect(&deb, &[]), 1, r"unsupported format version `\u{1b}[31m9");
    assert!(!output.stderr.contains(&0x1b));
}

// ---------------------------------------------------------------------------------------------
// verify: signatures and keys

/// A key pair made by distpack and a signed file, in a temporary directory.
struct Signed {
    dir: tempfile::TempDir,
    public: PathBuf,
    file: PathBuf,
}

impl Signed {
    fn new() -> Signed {
        let dir = tempdir();
        let key = dir.path().join("k.key");
        run(distpack().args(["keygen", "--minisign", "--unencrypted", "-o"]).arg(&key).current_dir(dir.path()));
        let file = write(dir.path(), "thing.bin", &[0u8; 1024]);
        run(distpack().arg("sign").arg(&file).arg("--key").arg(&key));
        Signed { public: dir.path().join("k.pub"), file, dir }
    }

    fn signature(&self) -> PathBuf {
        PathBuf::from(format!("{}.minisig", self.file.display()))
    }

    fn verify(&self, extra: &[&std::ffi::OsStr]) -> Command {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["verify".as_ref(), self.file.as_os_str(), "--pubkey".as_ref(), self.public.as_os_str()];
        args.extend(extra);
        capped(&args)
    }
}

#[test]
fn a_minisig_whose_last_line_is_empty_or_cut_short_is_refused_not_a_panic() {
    let signed = Signed::new();
    assert!(signed.public.exists(), "keygen writes k.pub beside k.key in {:?}", signed.dir.path());
    let text = std::fs::read_to_string(signed.signature()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");

    // The last line empty: a download cut right after the trusted comment.
    std::fs::write(signed.signature(), format!("{}\n{}\n{}\n\n", lines[0], lines[1], lines[2])).unwrap();
    refused(
        signed.verify(&[]),
        5,
        "is not a minisign signature: its last line is not a 64-byte base64 global signature",
    );

    // The last line cut in the middle.
    let cut = &lines[3][..lines[3].len() / 2 / 4 * 4];
    std::fs::write(signed.signature(), format!("{}\n{}\n{}\n{cut}\n", lines[0], lines[1], lines[2])).unwrap();
    refused(signed.verify(&[]), 5, "its last line is not a 64-byte base64 global signature");

    // Only the first line.
    std::fs::write(signed.signature(), format!("{}\n", lines[0])).unwrap();
    refused(signed.verify(&[]), 5, "it has 1 lines, not 4");
}

#[test]
fn a_signature_that_is_a_fifo_or_a_device_is_refused_without_blocking() {
    let signed = Signed::new();
    std::fs::remove_file(signed.signature()).unwrap();
    mkfifo(&signed.signature());
    refused(signed.verify(&[]), 5, "is not a regular file");
    refused(signed.verify(&["--signature".as_ref(), "/dev/zero".as_ref()]), 5, "/dev/zero is not a regular file");
}

#[test]
fn a_bundle_that_is_a_fifo_is_refused_without_blocking() {
    let signed = Signed::new();
    std::fs::remove_file(&signed.file).unwrap();
    mkfifo(&signed.file);
    refused(signed.verify(&[]), 1, "is not a regular file");
}

#[test]
fn a_public_key_file_that_is_not_utf8_is_a_usage_error() {
    let signed = Signed::new();
    std::fs::write(&signed.public, b"untrusted comment: x\n\xff\xfe\x00RW\n").unwrap();
    refused(signed.verify(&[]), 2, "is not a minisign public key");
    std::fs::remove_file(&signed.public).unwrap();
    mkfifo(&signed.public);
    refused(signed.verify(&[]), 2, "is not a regular file");
}

// ---------------------------------------------------------------------------------------------
// The manifest side: files distpack reads while planning and importing

#[test]
fn a_hook_that_is_dev_zero_or_a_fifo_is_refused_with_its_line() {
    let fx = Fixture::new(&format!("{PACKAGE}\n[package.scripts]\npost-install = \"hook.sh\"\n"), &[]);
    std::os::unix::fs::symlink("/dev/zero", fx.dir.path().join("hook.sh")).unwrap();
    let manifest = fx.manifest();
    let args = [std::ffi::OsStr::new("plan"), "-f".as_ref(), "deb".as_ref(), "-m".as_ref(), manifest.as_os_str()];
    refused(capped(&args), 3, "hook.sh is not a regular file");
    std::fs::remove_file(fx.dir.path().join("hook.sh")).unwrap();
    mkfifo(&fx.dir.path().join("hook.sh"));
    let output = refused(capped(&args), 3, "hook.sh is not a regular file");
    assert!(text(&output.stderr).contains("distpack.toml:"), "{}", text(&output.stderr));
}

#[test]
fn a_src_that_is_a_device_or_a_fifo_is_called_not_a_regular_file() {
    // A link to /dev/zero leads out of the project; allowed out, it is still not a regular file.
    let fx = Fixture::new(&data_entry("zero", "/usr/share/fixture/zero", ""), &[]);
    std::os::unix::fs::symlink("/dev/zero", fx.dir.path().join("zero")).unwrap();
    refused(capped_os(&plan_args(&fx.manifest())), 3, "`zero` is outside the project root");
    let fx = Fixture::new(&data_entry("zero", "/usr/share/fixture/zero", "allow-outside-root = true\n"), &[]);
    std::os::unix::fs::symlink("/dev/zero", fx.dir.path().join("zero")).unwrap();
    refused(capped_os(&plan_args(&fx.manifest())), 3, "`zero` is not a regular file (a device, FIFO or socket)");
    let fx = Fixture::new(&data_entry("fifo", "/usr/share/fixture/fifo", ""), &[]);
    mkfifo(&fx.dir.path().join("fifo"));
    refused(capped_os(&plan_args(&fx.manifest())), 3, "`fifo` is not a regular file (a device, FIFO or socket)");
}

#[test]
fn import_reads_no_extended_description_from_a_device_a_fifo_or_outside_the_crate() {
    let dir = tempdir();
    let project = dir.path().join("demo");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(dir.path().join("secret"), "root:$6$hash:19000:0:99999:7:::\n").unwrap();
    mkfifo(&project.join("fifo"));
    for (file, why) in [
        ("/dev/zero", "is outside the crate's directory"),
        ("../secret", "is outside the crate's directory"),
        ("fifo", "is not a regular file"),
    ] {
        std::fs::write(
            project.join("Cargo.toml"),
            format!(
                "[package]\nname = \"demo\"\nversion = \"1.0.0\"\ndescription = \"Demo\"\nlicense = \"MIT\"\n\
                 authors = [\"Dev <dev@example.org>\"]\n\n[workspace]\n\n\
                 [package.metadata.deb]\nextended-description-file = \"{file}\"\n"
            ),
        )
        .unwrap();
        let mut cmd = capped(&["import".as_ref(), "--stdout".as_ref()]);
        cmd.current_dir(&project);
        let output = refused(cmd, 0, why);
        assert!(!text(&output.stdout).contains("$6$hash"), "the secret was copied into the manifest");
        assert!(text(&output.stderr).contains("set `description` in [package] yourself"));
    }
}

#[test]
fn a_dest_with_a_nul_or_twenty_five_thousand_components_is_refused_with_its_line() {
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"a\"\ndest = \"/usr/share/a\\u0000b\"\nkind = \"data\"\n"),
        &[("a", "a\n")],
    );
    let manifest = fx.manifest();
    for command in ["check", "plan"] {
        let args = [command.as_ref(), "-f".as_ref(), "rpm".as_ref(), "-m".as_ref(), manifest.as_os_str()];
        let output = refused(capped(&args), 3, r"destination `/usr/share/a\u{0}b` contains a control character");
        assert!(text(&output.stderr).contains("distpack.toml:"), "{}", text(&output.stderr));
    }

    let deep = "/a".repeat(25_000);
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"a\"\ndest = \"{deep}\"\nkind = \"data\"\n"),
        &[("a", "a\n")],
    );
    let manifest = fx.manifest();
    for command in ["check", "plan"] {
        let args = [command.as_ref(), "-f".as_ref(), "deb".as_ref(), "-m".as_ref(), manifest.as_os_str()];
        refused(capped(&args), 3, "is longer than 4096 bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// Manifest sources stay inside the project

fn plan_args(manifest: &Path) -> Vec<std::ffi::OsString> {
    let mut args = os(&["plan", "--json", "-f", "deb", "-m"]);
    args.push(manifest.into());
    args
}

fn capped_os(args: &[std::ffi::OsString]) -> Command {
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    capped(&refs)
}

fn data_entry(src: &str, dest: &str, extra: &str) -> String {
    format!("{PACKAGE}\n[[files]]\nsrc = \"{src}\"\ndest = \"{dest}\"\nkind = \"data\"\n{extra}")
}

#[test]
fn a_src_outside_the_project_is_refused_with_its_line_unless_allowed() {
    for src in ["/etc/passwd", "../../../../../../etc/passwd", "passwd-link", "/**/passwd"] {
        let fx = Fixture::new(&data_entry(src, "/usr/share/fixture/", ""), &[]);
        std::os::unix::fs::symlink("/etc/passwd", fx.dir.path().join("passwd-link")).unwrap();
        let output = refused(capped_os(&plan_args(&fx.manifest())), 3, "is outside the project root");
        assert!(text(&output.stderr).contains("distpack.toml:"), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("allow-outside-root = true"), "{}", text(&output.stderr));
    }

    // A glob whose match leads out through a symbolic link.
    let fx = Fixture::new(&data_entry("share/*", "/usr/share/fixture/", ""), &[("share/ok", "ok\n")]);
    std::os::unix::fs::symlink("/etc/passwd", fx.dir.path().join("share/passwd")).unwrap();
    refused(capped_os(&plan_args(&fx.manifest())), 3, "which resolves outside the project root");

    // Allowed explicitly, per entry.
    let outside = tempdir();
    std::fs::write(outside.path().join("shared.txt"), "shared\n").unwrap();
    let src = outside.path().join("shared.txt").display().to_string();
    let fx = Fixture::new(&data_entry(&src, "/usr/share/fixture/shared.txt", "allow-outside-root = true\n"), &[]);
    let output = capped_os(&plan_args(&fx.manifest())).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("/usr/share/fixture/shared.txt"));
}

#[test]
fn globs_do_not_follow_symlinked_directories() {
    // Three links back to their own directory: following them, `**` would never end.
    let fx = Fixture::new(
        &data_entry("units/**/*.service", "/usr/share/fixture/", ""),
        &[("units/real.service", "[Service]\n"), ("units/sub/deep.service", "[Service]\n")],
    );
    for link in ["a", "b", "c"] {
        std::os::unix::fs::symlink(".", fx.dir.path().join("units").join(link)).unwrap();
    }
    let output = capped_os(&plan_args(&fx.manifest())).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let plan = plan["packages"].clone();
    let mut files: Vec<&str> = plan[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["source"]["type"] != "directory")
        .filter(|f| f["path"].as_str().unwrap().starts_with("/usr/share/fixture/"))
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    files.sort();
    // The glob keeps the tree below `units/`, and the links add nothing.
    assert_eq!(files, ["/usr/share/fixture/real.service", "/usr/share/fixture/sub/deep.service"]);
}

#[test]
fn a_src_with_a_control_character_is_refused_with_its_line() {
    let fx = Fixture::new(&data_entry("a\\u0001b", "/usr/share/fixture/a", ""), &[("a\u{1}b", "x\n")]);
    let output = refused(capped_os(&plan_args(&fx.manifest())), 3, r"`a\u{1}b` contains a control character");
    assert!(text(&output.stderr).contains("distpack.toml:"), "{}", text(&output.stderr));
}

#[test]
fn import_globs_neither_leave_the_crate_nor_follow_symlinked_directories() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("units")).unwrap();
    std::fs::write(dir.path().join("units/demo.service"), "[Service]\n").unwrap();
    for link in ["a", "b", "c"] {
        std::os::unix::fs::symlink(".", dir.path().join("units").join(link)).unwrap();
    }
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"1.0.0\"\ndescription = \"Demo\"\nlicense = \"MIT\"\n\
         authors = [\"Dev <dev@example.org>\"]\n\n[workspace]\n\n[package.metadata.deb]\nassets = [\n\
         [\"/**/*.service\", \"lib/systemd/system/\", \"644\"],\n\
         [\"units/**/*.service\", \"usr/share/demo/\", \"644\"],\n]\n",
    )
    .unwrap();
    let mut cmd = capped(&["import".as_ref(), "--stdout".as_ref()]);
    cmd.current_dir(dir.path());
    let output = cmd.output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!stdout.contains("/etc/") && !stdout.contains("/lib/systemd/system/"), "{stdout}");
    assert!(!stdout.contains("src = \"/"), "an absolute glob is not carried:\n{stdout}");
    assert!(stdout.contains("is a glob over the whole file system, not carried"), "{stdout}");
    // The glob stays a glob, which at build time walks without following units/{a,b,c} -> .
    assert_eq!(stdout.matches("src = \"units/**/*.service\"").count(), 1, "{stdout}");
    std::fs::write(dir.path().join("distpack.toml"), &stdout).unwrap();
    let plan =
        run(distpack().args(["plan", "--json", "-f", "deb", "--no-build", "-m"]).arg(dir.path().join("distpack.toml")));
    let planned = text(&plan.stdout);
    assert_eq!(planned.matches("\"/usr/share/demo/demo.service\"").count(), 1, "{planned}");
    assert!(!planned.contains("/usr/share/demo/a/"), "{planned}");
}

// ---------------------------------------------------------------------------------------------
// Builds clean up after themselves

/// Hidden temporary files (`.NAME.XXXX.tmp`) left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A project with one incompressible 256 MiB file: compressing it takes long enough to interrupt.
fn slow_project() -> Fixture {
    let fx = Fixture::new(&data_entry("big.bin", "/usr/share/fixture/big.bin", ""), &[]);
    let mut random = std::fs::File::open("/dev/urandom").unwrap();
    let mut big = std::fs::File::create(fx.dir.path().join("big.bin")).unwrap();
    std::io::copy(&mut std::io::Read::take(&mut random, 256 << 20), &mut big).unwrap();
    fx
}

fn interrupted_build_leaves_no_temporary_file(signal: &str, code: i32) {
    let fx = slow_project();
    let out = fx.dir.path().join("dist");
    let mut child = distpack()
        .args(["build", "--no-build", "-f", "deb,rpm", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while temporaries(&out).is_empty() {
        assert!(started.elapsed().as_secs() < 60, "no temporary file appeared in {}", out.display());
        assert!(child.try_wait().unwrap().is_none(), "the build ended before it could be interrupted");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run(Command::new("kill").args(["-s", signal]).arg(child.id().to_string()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "distpack exits as {signal} would have it: {status}");
    assert_eq!(temporaries(&out), Vec::<String>::new(), "temporary files left after {signal}");
}

#[test]
fn an_interrupted_build_removes_its_temporary_files() {
    interrupted_build_leaves_no_temporary_file("INT", 130);
}

#[test]
fn a_terminated_build_removes_its_temporary_files() {
    interrupted_build_leaves_no_temporary_file("TERM", 143);
}

#[test]
fn a_failed_multi_format_build_lists_exactly_its_complete_artifacts_in_sha256sums() {
    let fx = Fixture::new(&data_entry("a", "/usr/share/fixture/a", ""), &[("a", "a\n")]);
    // Where the .deb would go there is a directory: that format fails, the .rpm does not.
    let first = fx.dir.path().join("first");
    let deb = PathBuf::from(
        text(
            &run(distpack().args(["build", "--no-build", "-f", "deb", "-m"]).arg(fx.manifest()).arg("-o").arg(&first))
                .stdout,
        )
        .trim(),
    );
    let out = fx.dir.path().join("dist");
    std::fs::create_dir_all(out.join(deb.file_name().unwrap()).join("occupied")).unwrap();
    let output = distpack()
        .args(["build", "--no-build", "-f", "deb,rpm", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("cannot rename into place"), "{}", text(&output.stderr));
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).expect("SHA256SUMS is written for what was built");
    let listed: Vec<&str> = sums.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(listed.len(), 1, "{sums}");
    assert!(listed[0].ends_with(".rpm"), "{sums}");
    run(Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(&out));
    assert_eq!(temporaries(&out), Vec::<String>::new());
}

#[test]
fn error_reports_escape_control_characters_from_the_manifest() {
    // TOML forbids raw control characters: the parse error quotes the line, escaped.
    let fx = Fixture::new(&format!("{PACKAGE}\n# \u{1b}]0;owned\u{7} comment\n"), &[]);
    let output = distpack().args(["check", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(!output.stderr.contains(&0x1b) && !output.stderr.contains(&0x07), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(r"\u{1b}"), "{}", text(&output.stderr));
}

#[test]
fn a_write_over_the_file_size_limit_is_not_reported_as_a_full_disk() {
    require_tool("prlimit");
    let fx = Fixture::new(&data_entry("big.bin", "/usr/share/fixture/big.bin", ""), &[]);
    let mut random = std::fs::File::open("/dev/urandom").unwrap();
    let mut big = std::fs::File::create(fx.dir.path().join("big.bin")).unwrap();
    std::io::copy(&mut std::io::Read::take(&mut random, 1 << 20), &mut big).unwrap();
    let out = fx.dir.path().join("dist");
    // With SIGXFSZ ignored, as a supervisor may leave it, a write past RLIMIT_FSIZE fails with EFBIG.
    let output = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=100000 -- \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_distpack"))
        .args(["build", "--no-build", "-f", "deb", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the file is over a size limit"), "{stderr}");
    assert!(!stderr.contains("check free space"), "{stderr}");
    assert_eq!(temporaries(&out), Vec::<String>::new());
}

#[test]
fn a_symlink_target_with_a_control_character_is_refused_with_its_line() {
    let fx = Fixture::new(
        &format!(
            "{PACKAGE}\n[[files]]\nkind = \"symlink\"\ndest = \"/usr/bin/fx\"\ntarget = \"/usr/lib/\\u001b[2Jfx\"\n"
        ),
        &[],
    );
    let output = refused(capped_os(&plan_args(&fx.manifest())), 3, r"symlink target `/usr/lib/\u{1b}[2Jfx`");
    assert!(text(&output.stderr).contains("distpack.toml:"), "{}", text(&output.stderr));
}

#[test]
fn a_manifest_or_cargo_toml_that_is_a_device_or_a_fifo_is_refused_without_blocking() {
    let dir = tempdir();
    let fifo = dir.path().join("distpack.toml");
    mkfifo(&fifo);
    for manifest in [Path::new("/dev/zero"), fifo.as_path()] {
        for command in ["check", "plan"] {
            refused(capped(&[command.as_ref(), "-m".as_ref(), manifest.as_os_str()]), 1, "is not a regular file");
        }
    }
    refused(
        capped(&["import".as_ref(), "--stdout".as_ref(), "--cargo-toml".as_ref(), "/dev/zero".as_ref()]),
        1,
        "/dev/zero is not a regular file",
    );
}
