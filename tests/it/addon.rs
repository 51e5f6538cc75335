//! Add-on bundles: built from the example, signed with distpack and with the `minisign` CLI,
//! verified by `minisign -V`, `openssl` and `distpack verify`; and one crafted bundle per refusal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sha2::Digest;

use crate::support::*;

const BUNDLE: &str = "healthd-1.4.2-linux-x86_64.tar.gz";

/// The example's bundle, built once with the command from the README into its own directory.
fn example_bundle() -> &'static Path {
    static BUNDLE_PATH: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE_PATH.get_or_init(|| {
        example_deb();
        let out = tempdir().keep();
        let output = run(distpack().args(["build", "-f", "addon", "-m"]).arg(example_manifest()).arg("-o").arg(&out));
        let path = PathBuf::from(text(&output.stdout).trim());
        assert_eq!(path.parent(), Some(out.as_path()));
        path
    })
}

/// The bundle for the host's architecture (x86_64 on the reference machine).
fn host_bundle_name() -> String {
    let arch = host_triple().split('-').next().unwrap().to_string();
    BUNDLE.replace("x86_64", &arch)
}

fn sha256_of(path: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// A copy of the example bundle in a fresh directory with a key pair made by the `minisign` CLI
/// (`-W`: no password), as a release job would have it.
struct Signing {
    dir: tempfile::TempDir,
    key: PathBuf,
    public: PathBuf,
}

impl Signing {
    fn new() -> Signing {
        require_tool("minisign");
        let dir = tempdir();
        let key = dir.path().join("minisign.key");
        let public = dir.path().join("minisign.pub");
        run(Command::new("minisign").args(["-G", "-W", "-p"]).arg(&public).arg("-s").arg(&key));
        Signing { dir, key, public }
    }

    fn bundle(&self) -> PathBuf {
        let path = self.dir.path().join(example_bundle().file_name().unwrap());
        std::fs::copy(example_bundle(), &path).unwrap();
        path
    }

    fn distpack_sign(&self, file: &Path) {
        run(distpack().arg("sign").arg(file).arg("--key").arg(&self.key));
    }

    /// Sign with the minisign CLI and a trusted comment of the test's choosing.
    fn cli_sign(&self, file: &Path, comment: &str) {
        run(Command::new("minisign").arg("-S").arg("-s").arg(&self.key).arg("-m").arg(file).args(["-t", comment]));
    }

    fn verify(&self, bundle: &Path, extra: &[&str]) -> Output {
        distpack().arg("verify").arg(bundle).arg("--pubkey").arg(&self.public).args(extra).output().unwrap()
    }
}

#[test]
fn the_example_bundle_is_flat_with_modes_and_root_owners() {
    require_tool("bsdtar");
    let bundle = example_bundle();
    assert_eq!(bundle.file_name().unwrap().to_string_lossy(), host_bundle_name());
    let listing = text(&run(Command::new("bsdtar").arg("-tvf").arg(bundle)).stdout);
    let names: Vec<&str> = listing.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(names, ["addon.json", "healthd", "healthd.service"], "{listing}");
    for (name, mode) in [("addon.json", "-rw-r--r--"), ("healthd", "-rwxr-xr-x"), ("healthd.service", "-rw-r--r--")] {
        let line = listing_line(&listing, name);
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[0], mode, "{name}: {listing}");
        assert_eq!((fields[2], fields[3]), ("0", "0"), "{name} must be owned by 0:0: {listing}");
        assert_eq!(&fields[5..8], ["Nov", "14", "2023"], "{name}: mtime from SOURCE_DATE_EPOCH: {listing}");
    }

    // addon.json lists every other entry with the size, mode and SHA-256 that `tar` extracts.
    let unpacked = tempdir();
    run(Command::new("tar").arg("-xzf").arg(bundle).arg("-C").arg(unpacked.path()));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(unpacked.path().join("addon.json")).unwrap()).unwrap();
    assert_eq!(index["id"], "healthd");
    assert_eq!(index["version"], "1.4.2");
    assert_eq!(index["os"], "linux");
    assert_eq!(index["metadata"]["supervision"], "systemd");
    let entries = index["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let file = unpacked.path().join(entry["name"].as_str().unwrap());
        let sum = text(&run(Command::new("sha256sum").arg(&file)).stdout);
        assert_eq!(sum.split_whitespace().next(), entry["sha256"].as_str(), "{entry}");
        assert_eq!(entry["size"].as_u64(), Some(std::fs::metadata(&file).unwrap().len()));
    }
    assert_eq!(entries[0]["mode"], "0755");
    assert_eq!(entries[1]["mode"], "0644");
    let unit = std::fs::read(unpacked.path().join("healthd.service")).unwrap();
    assert_eq!(unit, std::fs::read(repo().join("examples/healthd/units/healthd.service")).unwrap());
}

#[test]
fn minisign_verifies_what_distpack_signed_and_prints_the_binding() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    signing.distpack_sign(&bundle);
    let output = run(Command::new("minisign").arg("-Vm").arg(&bundle).arg("-p").arg(&signing.public));
    let out = text(&output.stdout);
    let arch = host_triple().split('-').next().unwrap().to_string();
    let expected = format!(
        "Trusted comment: distpack-addon id=healthd version=1.4.2 os=linux arch={arch} sha256={} file={}",
        sha256_of(&bundle),
        host_bundle_name()
    );
    assert!(out.lines().any(|l| l == expected), "expected `{expected}` in:\n{out}");

    let verified = run(distpack().arg("verify").arg(&bundle).arg("--pubkey").arg(&signing.public).args([
        "--id",
        "healthd",
        "--version",
        "1.4.2",
        "--arch",
        &arch,
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(json["binding"]["sha256"], sha256_of(&bundle));
    assert_eq!(json["contents"]["entries"].as_array().unwrap().len(), 2);
}

#[test]
fn keys_from_distpack_keygen_are_0600_and_encrypted_unless_asked() {
    require_tool("minisign");
    let dir = tempdir();
    let key = dir.path().join("release.key");
    // No password and no --unencrypted: refused as a usage error.
    let refused =
        distpack().args(["keygen", "-o"]).arg(&key).env_remove("DISTPACK_MINISIGN_PASSWORD").output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("DISTPACK_MINISIGN_PASSWORD is not set"), "{}", text(&refused.stderr));
    assert!(!key.exists());

    run(distpack().args(["keygen", "-o"]).arg(&key).env("DISTPACK_MINISIGN_PASSWORD", "correct horse"));
    let public = dir.path().join("release.pub");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&public).unwrap().starts_with("untrusted comment: minisign public key"));

    let bundle = dir.path().join(host_bundle_name());
    std::fs::copy(example_bundle(), &bundle).unwrap();
    let sign = |password: Option<&str>| {
        let mut cmd = distpack();
        cmd.arg("sign").arg(&bundle).arg("--key").arg(&key).env_remove("DISTPACK_MINISIGN_PASSWORD");
        if let Some(p) = password {
            cmd.env("DISTPACK_MINISIGN_PASSWORD", p);
        }
        cmd.output().unwrap()
    };
    let no_password = sign(None);
    assert_eq!(no_password.status.code(), Some(2));
    assert!(text(&no_password.stderr).contains("is encrypted and DISTPACK_MINISIGN_PASSWORD is not set"));
    let wrong = sign(Some("wrong"));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("Wrong password"), "{}", text(&wrong.stderr));
    assert!(sign(Some("correct horse")).status.success());
    run(Command::new("minisign").arg("-Vm").arg(&bundle).arg("-p").arg(&public));

    // An existing key is never overwritten.
    let again = distpack().args(["keygen", "--unencrypted", "-o"]).arg(&key).output().unwrap();
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));
}

#[test]
fn build_signs_bundles_and_sha256sums_with_the_configured_key() {
    let signing = Signing::new();
    let out = signing.dir.path().join("dist");
    let output = run(distpack()
        .args(["build", "-f", "addon,deb", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(&out)
        .env("DISTPACK_MINISIGN_KEY", &signing.key));
    let bundle = out.join(host_bundle_name());
    assert!(text(&output.stdout).lines().any(|l| Path::new(l) == bundle), "{}", text(&output.stdout));
    run(Command::new("minisign").arg("-Vm").arg(&bundle).arg("-p").arg(&signing.public));
    assert!(signing.verify(&bundle, &[]).status.success());

    // SHA256SUMS covers every artifact, `sha256sum -c` accepts it, and its signature verifies.
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 2, "{sums}");
    assert!(sums.lines().any(|l| l.ends_with(&format!("  {}", host_bundle_name()))), "{sums}");
    assert!(sums.lines().any(|l| l.ends_with(".deb")), "{sums}");
    run(Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(&out));
    let checked = run(Command::new("minisign").arg("-Vm").arg(out.join("SHA256SUMS")).arg("-p").arg(&signing.public));
    assert!(
        text(&checked.stdout)
            .contains(&format!("distpack file=SHA256SUMS sha256={}", sha256_of(&out.join("SHA256SUMS"))))
    );
}

#[test]
fn the_raw_ed25519_signature_verifies_with_openssl() {
    require_tool("openssl");
    let signing = Signing::new();
    let bundle = signing.bundle();
    run(distpack().arg("sign").arg("--raw").arg(&bundle).arg("--key").arg(&signing.key));
    let hex_sig = std::fs::read_to_string(format!("{}.sig", bundle.display())).unwrap();
    let signature = hex::decode(hex_sig.trim()).unwrap();
    assert_eq!(signature.len(), 64);
    let sig_file = signing.dir.path().join("sig.bin");
    std::fs::write(&sig_file, &signature).unwrap();

    // The minisign public key's last 32 bytes are the Ed25519 key; openssl reads them as SPKI DER.
    let public = std::fs::read_to_string(&signing.public).unwrap();
    let mut base64 = Command::new("base64");
    base64.arg("-d").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = base64.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), public.lines().nth(1).unwrap().as_bytes()).unwrap();
    let raw = child.wait_with_output().unwrap().stdout;
    assert_eq!(raw.len(), 42, "Ed + key id + 32-byte key");
    let mut der = hex::decode("302a300506032b6570032100").unwrap();
    der.extend_from_slice(&raw[10..]);
    let der_file = signing.dir.path().join("ed25519.der");
    std::fs::write(&der_file, der).unwrap();
    let pem = signing.dir.path().join("ed25519.pem");
    run(Command::new("openssl").args(["pkey", "-pubin", "-inform", "DER", "-in"]).arg(&der_file).arg("-out").arg(&pem));
    let openssl = |file: &Path| {
        Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&pem)
            .arg("-rawin")
            .arg("-in")
            .arg(file)
            .arg("-sigfile")
            .arg(&sig_file)
            .output()
            .unwrap()
    };
    let good = openssl(&bundle);
    assert!(good.status.success() && text(&good.stdout).contains("Signature Verified Successfully"));
    let mut bytes = std::fs::read(&bundle).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let flipped = signing.dir.path().join("flipped.tar.gz");
    std::fs::write(&flipped, bytes).unwrap();
    assert!(!openssl(&flipped).status.success());
}

#[test]
fn bundles_are_reproducible() {
    example_bundle();
    let build = || {
        let out = tempdir().keep();
        run(distpack().args(["build", "-f", "addon", "--no-build", "-m"]).arg(example_manifest()).arg("-o").arg(&out));
        std::fs::read(out.join(host_bundle_name())).unwrap()
    };
    assert!(build() == build());
    assert!(build() == std::fs::read(example_bundle()).unwrap());
}

#[test]
fn a_staging_directory_holds_units_to_it() {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let text_manifest = std::fs::read_to_string(&manifest).unwrap();
    let staged = text_manifest.replace("[addon]\n", "[addon]\nstage = \"/var/lib/agent/addons/{id}\"\n");
    assert_ne!(staged, text_manifest);
    std::fs::write(&manifest, staged).unwrap();
    let check = distpack().args(["check", "-f", "addon", "-m"]).arg(&manifest).output().unwrap();
    assert_eq!(check.status.code(), Some(4), "{}", text(&check.stderr));
    let err = text(&check.stderr);
    assert!(
        err.contains("error[U002]: units/healthd.service:10: ExecStart=/usr/bin/healthd is not where the agent stages healthd: the add-on puts it at /var/lib/agent/addons/healthd/healthd"),
        "{err}"
    );

    let unit = fx.dir.path().join("units/healthd.service");
    let text_unit = std::fs::read_to_string(&unit).unwrap();
    std::fs::write(
        &unit,
        text_unit.replace("ExecStart=/usr/bin/healthd", "ExecStart=/var/lib/agent/addons/healthd/healthd"),
    )
    .unwrap();
    let check = distpack().args(["check", "-f", "addon", "-m"]).arg(&manifest).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn inspect_shows_the_index_and_entries() {
    let output = run(distpack().arg("inspect").arg("--json").arg(example_bundle()));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "addon");
    let files = json["files"].as_array().unwrap();
    let listed: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["mode"].as_str().unwrap(), f["owner"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("healthd", "0755", "0"), ("healthd.service", "0644", "0")]);
    let fields = json["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f[0] == "id" && f[1] == "healthd"), "{fields:?}");
}

// ---- refusals: each crafts a bad bundle and, where the attack needs it, a valid signature ----

/// One tar entry of a crafted bundle.
struct Entry {
    name: &'static [u8],
    kind: tar::EntryType,
    mode: u32,
    data: Vec<u8>,
    link: Option<&'static str>,
}

fn file(name: &'static str, mode: u32, data: &str) -> Entry {
    Entry { name: name.as_bytes(), kind: tar::EntryType::Regular, mode, data: data.as_bytes().to_vec(), link: None }
}

fn good_entries() -> Vec<Entry> {
    vec![
        file("agentd", 0o755, "#!/bin/sh\necho agent\n"),
        file("agentd.service", 0o644, "[Service]\nExecStart=/opt/agentd\n"),
    ]
}

/// The index that honestly describes `entries`.
fn index_of(entries: &[Entry], version: &str) -> serde_json::Value {
    let listed: Vec<serde_json::Value> = entries
        .iter()
        .filter(|e| e.kind == tar::EntryType::Regular)
        .map(|e| {
            serde_json::json!({
                "name": String::from_utf8_lossy(e.name),
                "size": e.data.len(),
                "mode": format!("{:04o}", e.mode),
                "sha256": hex::encode(sha2::Sha256::digest(&e.data)),
            })
        })
        .collect();
    serde_json::json!({
        "format": "distpack-addon/1", "id": "agentd", "version": version, "os": "linux", "arch": "x86_64",
        "entries": listed,
    })
}

/// Write entries (names written raw, so hostile names survive) plus `addon.json`, gzipped.
fn write_bundle(path: &Path, entries: &[Entry], index: Option<&serde_json::Value>) {
    let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut append = |name: &[u8], kind: tar::EntryType, mode: u32, data: &[u8], link: Option<&str>| {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        if let Some(link) = link {
            header.set_link_name(link).unwrap();
        }
        if kind == tar::EntryType::Char {
            header.set_device_major(1).unwrap();
            header.set_device_minor(3).unwrap();
        }
        header.set_cksum();
        builder.append(&header, data).unwrap();
    };
    if let Some(index) = index {
        append(b"addon.json", tar::EntryType::Regular, 0o644, index.to_string().as_bytes(), None);
    }
    for e in entries {
        append(e.name, e.kind, e.mode, &e.data, e.link);
    }
    builder.into_inner().unwrap().finish().unwrap();
}

/// The trusted comment `distpack sign` would write for this file, as an attacker with the key
/// (or a compromised build) would: the signature is valid, so only the content checks stand.
fn honest_comment(path: &Path, version: &str) -> String {
    format!(
        "distpack-addon id=agentd version={version} os=linux arch=x86_64 sha256={} file=agentd-{version}-linux-x86_64.tar.gz",
        sha256_of(path)
    )
}

const CRAFTED: &str = "agentd-1.0.0-linux-x86_64.tar.gz";

/// Build a crafted bundle, sign it validly, verify it, and return (exit code, stderr).
fn verify_crafted(entries: Vec<Entry>, index: Option<serde_json::Value>, extra: &[&str]) -> (Option<i32>, String) {
    let signing = Signing::new();
    let bundle = signing.dir.path().join(CRAFTED);
    write_bundle(&bundle, &entries, index.as_ref());
    signing.cli_sign(&bundle, &honest_comment(&bundle, "1.0.0"));
    let output = signing.verify(&bundle, extra);
    (output.status.code(), text(&output.stderr))
}

fn assert_contents_refused(result: (Option<i32>, String), message: &str) {
    let (code, stderr) = result;
    assert_eq!(code, Some(6), "expected the contents to be refused (exit 6): {stderr}");
    assert!(stderr.contains(message), "expected `{message}` in:\n{stderr}");
}

fn assert_signature_refused(output: &Output, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "expected the signature to be refused (exit 5): {stderr}");
    assert!(stderr.contains(message), "expected `{message}` in:\n{stderr}");
}

#[test]
fn a_crafted_good_bundle_passes() {
    let entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    let (code, stderr) =
        verify_crafted(entries, Some(index), &["--id", "agentd", "--version", "1.0.0", "--arch", "x86_64"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn refuses_a_missing_signature() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    assert_signature_refused(&signing.verify(&bundle, &[]), "has no signature");
}

#[test]
fn refuses_a_bad_signature() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    signing.distpack_sign(&bundle);
    let mut bytes = std::fs::read(&bundle).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&bundle, bytes).unwrap();
    assert_signature_refused(&signing.verify(&bundle, &[]), "signature of");
    assert_signature_refused(&signing.verify(&bundle, &[]), "is invalid");
}

#[test]
fn refuses_a_signature_by_another_key() {
    let signing = Signing::new();
    let other = Signing::new();
    let bundle = signing.bundle();
    other.distpack_sign(&bundle);
    assert_signature_refused(&signing.verify(&bundle, &[]), "is invalid");
}

#[test]
fn refuses_a_trusted_comment_that_binds_nothing() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    signing.cli_sign(&bundle, "timestamp:1700000000");
    assert_signature_refused(&signing.verify(&bundle, &[]), "is not a distpack add-on binding");
}

#[test]
fn refuses_a_trusted_comment_for_another_tarball() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    let arch = host_triple().split('-').next().unwrap().to_string();
    let comment = format!(
        "distpack-addon id=healthd version=1.4.2 os=linux arch={arch} sha256={} file={}",
        "0".repeat(64),
        host_bundle_name()
    );
    signing.cli_sign(&bundle, &comment);
    assert_signature_refused(&signing.verify(&bundle, &[]), "but its signature binds 0000");
}

#[test]
fn refuses_a_bundle_for_another_id_version_or_arch_than_expected() {
    let signing = Signing::new();
    let bundle = signing.bundle();
    signing.distpack_sign(&bundle);
    assert_signature_refused(&signing.verify(&bundle, &["--id", "otherd"]), "is signed for id healthd, not otherd");
    assert_signature_refused(
        &signing.verify(&bundle, &["--version", "2.0.0"]),
        "is signed for version 1.4.2, not 2.0.0",
    );
    assert_signature_refused(&signing.verify(&bundle, &["--arch", "riscv64"]), "not riscv64");
}

#[test]
fn refuses_an_x86_64_bundle_renamed_to_aarch64() {
    let signing = Signing::new();
    let entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    let signed = signing.dir.path().join(CRAFTED);
    write_bundle(&signed, &entries, Some(&index));
    signing.distpack_sign(&signed);
    assert!(signing.verify(&signed, &[]).status.success());
    let renamed = signing.dir.path().join("agentd-1.0.0-linux-aarch64.tar.gz");
    std::fs::rename(&signed, &renamed).unwrap();
    std::fs::rename(format!("{}.minisig", signed.display()), format!("{}.minisig", renamed.display())).unwrap();
    assert_signature_refused(&signing.verify(&renamed, &[]), "is signed as agentd-1.0.0-linux-x86_64.tar.gz");
    assert_signature_refused(&signing.verify(&renamed, &[]), "arch x86_64): the file was renamed");
}

#[test]
fn refuses_a_v1_bundle_presented_as_v2() {
    let signing = Signing::new();
    let entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    let v1 = signing.dir.path().join(CRAFTED);
    write_bundle(&v1, &entries, Some(&index));
    signing.distpack_sign(&v1);
    // Asked for v2 and served v1 under its own name …
    assert_signature_refused(&signing.verify(&v1, &["--version", "2.0.0"]), "is signed for version 1.0.0, not 2.0.0");
    // … or under v2's name.
    let v2 = signing.dir.path().join("agentd-2.0.0-linux-x86_64.tar.gz");
    std::fs::copy(&v1, &v2).unwrap();
    std::fs::copy(format!("{}.minisig", v1.display()), format!("{}.minisig", v2.display())).unwrap();
    assert_signature_refused(&signing.verify(&v2, &[]), "version 1.0.0");
    assert_signature_refused(&signing.verify(&v2, &[]), "the file was renamed");
}

#[test]
fn refuses_an_index_that_disagrees_with_the_signature() {
    let entries = good_entries();
    let mut index = index_of(&entries, "1.0.0");
    index["arch"] = "aarch64".into();
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "addon.json says arch aarch64, but the signature binds x86_64",
    );
}

#[test]
fn refuses_an_entry_missing_from_the_index() {
    let mut entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    entries.push(file("backdoor", 0o755, "#!/bin/sh\n"));
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `backdoor` is not listed in addon.json");
}

#[test]
fn refuses_an_entry_listed_but_absent() {
    let mut entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    entries.pop();
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "`agentd.service` is listed in addon.json but missing from the bundle",
    );
}

#[test]
fn refuses_a_digest_mismatch() {
    let mut entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    entries[0].data = b"#!/bin/sh\necho evils\n".to_vec();
    assert_eq!(entries[0].data.len(), b"#!/bin/sh\necho agent\n".len());
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `agentd` has SHA-256");
}

#[test]
fn refuses_a_size_mismatch() {
    let entries = good_entries();
    let mut index = index_of(&entries, "1.0.0");
    index["entries"][1]["size"] = 1.into();
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "entry `agentd.service` is 32 bytes, but addon.json says 1",
    );
}

#[test]
fn refuses_a_name_with_a_slash() {
    let mut entries = good_entries();
    entries.push(file("sub/agentd", 0o755, "x"));
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "`sub/agentd` contains a path separator");
}

#[test]
fn refuses_a_name_with_dot_dot() {
    let mut entries = good_entries();
    entries.push(file("../agentd", 0o755, "x"));
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `../agentd` contains `..`");
}

#[test]
fn refuses_an_absolute_name() {
    let mut entries = good_entries();
    entries.push(file("/etc/cron.d/agentd", 0o644, "x"));
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "entry `/etc/cron.d/agentd` has an absolute name",
    );
}

#[test]
fn refuses_a_symbolic_link() {
    let mut entries = good_entries();
    entries.push(Entry {
        name: b"shadow",
        kind: tar::EntryType::Symlink,
        mode: 0o777,
        data: vec![],
        link: Some("/etc/shadow"),
    });
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `shadow` is a symbolic link");
}

#[test]
fn refuses_a_hard_link() {
    let mut entries = good_entries();
    entries.push(Entry { name: b"again", kind: tar::EntryType::Link, mode: 0o644, data: vec![], link: Some("agentd") });
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `again` is a hard link");
}

#[test]
fn refuses_a_device() {
    let mut entries = good_entries();
    entries.push(Entry { name: b"null", kind: tar::EntryType::Char, mode: 0o666 & !0o002, data: vec![], link: None });
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `null` is a character device");
}

#[test]
fn refuses_a_setuid_entry() {
    let mut entries = good_entries();
    entries[0].mode = 0o4755;
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "entry `agentd` has the setuid or setgid bit (mode 4755)",
    );
}

#[test]
fn refuses_a_setgid_entry() {
    let mut entries = good_entries();
    entries[0].mode = 0o2755;
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(
        verify_crafted(entries, Some(index), &[]),
        "entry `agentd` has the setuid or setgid bit (mode 2755)",
    );
}

#[test]
fn refuses_a_duplicate_name() {
    let mut entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    entries.push(file("agentd", 0o755, "#!/bin/sh\necho agent\n"));
    assert_contents_refused(verify_crafted(entries, Some(index), &[]), "entry `agentd` appears twice");
}

#[test]
fn refuses_an_entry_over_the_size_limit() {
    let entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(
        verify_crafted(entries, Some(index), &["--max-entry-size", "30"]),
        "entry `agentd.service` is 32 bytes, over the per-entry limit of 30 bytes",
    );
}

#[test]
fn refuses_a_total_over_the_size_limit() {
    let entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    assert_contents_refused(
        verify_crafted(entries, Some(index), &["--max-total-size", "40"]),
        "the entries add up to more than the limit of 40 bytes (at `agentd.service`)",
    );
}

#[test]
fn refuses_a_bundle_that_is_not_gzip() {
    let signing = Signing::new();
    let bundle = signing.dir.path().join(CRAFTED);
    let tar_only = signing.dir.path().join("plain.tar");
    run(Command::new("tar").arg("-cf").arg(&tar_only).arg("-C").arg(repo()).arg("README.md"));
    std::fs::copy(&tar_only, &bundle).unwrap();
    signing.cli_sign(&bundle, &honest_comment(&bundle, "1.0.0"));
    let output = signing.verify(&bundle, &[]);
    assert_contents_refused((output.status.code(), text(&output.stderr)), "the bundle is not a gzip file");
}

#[test]
fn refuses_a_gzip_that_is_not_a_tar() {
    let signing = Signing::new();
    let bundle = signing.dir.path().join(CRAFTED);
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&bundle).unwrap(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &b"this is not a tar archive\n".repeat(40)).unwrap();
    gz.finish().unwrap();
    signing.cli_sign(&bundle, &honest_comment(&bundle, "1.0.0"));
    let output = signing.verify(&bundle, &[]);
    assert_contents_refused((output.status.code(), text(&output.stderr)), "the bundle is not a tar archive");
}

#[test]
fn refuses_a_bundle_without_an_index() {
    let entries = good_entries();
    assert_contents_refused(verify_crafted(entries, None, &[]), "the bundle has no addon.json");
}

#[test]
fn an_unreadable_public_key_is_a_usage_error() {
    let output = distpack().arg("verify").arg(example_bundle()).args(["--pubkey", "not-a-key"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("is neither a file nor a minisign public key"));
}

#[test]
fn extra_entries_are_added_and_unknown_entries_name_the_manifest_line() {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let extra = original.replace(
        "[addon.metadata]",
        "[[addon.extra]]\nsrc = \"packaging/healthd.toml\"\nname = \"defaults.toml\"\n\n[addon.metadata]",
    );
    std::fs::write(&manifest, &extra).unwrap();
    let out = fx.dir.path().join("dist");
    run(distpack().args(["build", "-f", "addon", "--no-build", "-m"]).arg(&manifest).arg("-o").arg(&out));
    let listing = text(&run(Command::new("tar").arg("-tvzf").arg(out.join(host_bundle_name()))).stdout);
    assert!(listing_line(&listing, "defaults.toml").starts_with("-rw-r--r-- 0/0"), "{listing}");

    let broken = original.replace("\"healthd.service\"]", "\"healthd.socket\"]");
    assert_ne!(broken, original);
    std::fs::write(&manifest, broken).unwrap();
    let output = distpack().args(["build", "-f", "addon", "--no-build", "-m"]).arg(&manifest).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains("no package file has the dest or file name `healthd.socket`"), "{err}");
    assert!(err.contains("distpack.toml:"), "the error names the manifest line: {err}");
    assert!(err.contains("/usr/lib/systemd/system/healthd.service"), "the help lists what exists: {err}");
}

#[test]
fn inspect_tells_a_plain_tarball_from_a_damaged_bundle() {
    example_deb();
    let out = tempdir();
    run(distpack()
        .args(["build", "-f", "pkgbuild", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(out.path()));
    let arch = host_triple().split('-').next().unwrap().to_string();
    let tarball = out.path().join(format!("healthd-1.4.2-{arch}.tar.gz"));
    let output = distpack().arg("inspect").arg(&tarball).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("is a tarball without addon.json, not an add-on bundle"));

    let signing = Signing::new();
    let bundle = signing.dir.path().join(CRAFTED);
    let mut entries = good_entries();
    let index = index_of(&entries, "1.0.0");
    entries.push(file("backdoor", 0o755, "x"));
    write_bundle(&bundle, &entries, Some(&index));
    let output = distpack().arg("inspect").arg(&bundle).output().unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("entry `backdoor` is not listed in addon.json"));
}
