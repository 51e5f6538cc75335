//! Mutation fuzzing on stable Rust: real seed files (the example's packages in every format,
//! compressed and not, a signed bundle and its signature, the manifest, a unit, an importable
//! Cargo.toml) are mutated with a deterministic PRNG and fed to the `distpack` binary under the
//! same caps as tests/it/untrusted.rs (1 GB of address space, 20 s). Every run must end by itself
//! with an exit code from the README's table: no panic (101, or a caught one's "malformed
//! input"), no abort or other signal, no timeout.
//!
//! `cargo test` runs `DISTPACK_FUZZ_RUNS` inputs (5,040 by default: 360 per surface, about four minutes
//! on two cores) with a fixed `DISTPACK_FUZZ_SEED`; `ci/fuzz` runs 100,000 with a new seed and prints
//! the table of outcomes per surface. Inputs that fail are kept in `target/fuzz-failures/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::*;
use crate::untrusted::{MEMORY_CAP, TIME_LIMIT};

/// Exit codes the README documents.
const DOCUMENTED: [i32; 7] = [0, 1, 2, 3, 4, 5, 6];

/// One kind of untrusted input and the command that reads it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Surface {
    InspectDeb,
    InspectDebPlain,
    InspectRpm,
    InspectArch,
    InspectArchPlain,
    InspectApk,
    InspectBundle,
    VerifyBundle,
    VerifySignature,
    VerifyResigned,
    CheckManifest,
    PlanManifest,
    CheckUnit,
    Import,
}

const SURFACES: [Surface; 14] = [
    Surface::InspectDeb,
    Surface::InspectDebPlain,
    Surface::InspectRpm,
    Surface::InspectArch,
    Surface::InspectArchPlain,
    Surface::InspectApk,
    Surface::InspectBundle,
    Surface::VerifyBundle,
    Surface::VerifySignature,
    Surface::VerifyResigned,
    Surface::CheckManifest,
    Surface::PlanManifest,
    Surface::CheckUnit,
    Surface::Import,
];

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Surface::InspectDeb => "inspect .deb (xz)",
            Surface::InspectDebPlain => "inspect .deb (plain tar)",
            Surface::InspectRpm => "inspect .rpm",
            Surface::InspectArch => "inspect .pkg.tar.zst",
            Surface::InspectArchPlain => "inspect .pkg.tar",
            Surface::InspectApk => "inspect .apk (signed)",
            Surface::InspectBundle => "inspect bundle",
            Surface::VerifyBundle => "verify (bundle mutated)",
            Surface::VerifySignature => "verify (.minisig mutated)",
            Surface::VerifyResigned => "verify (mutated, re-signed)",
            Surface::CheckManifest => "check (manifest)",
            Surface::PlanManifest => "plan (manifest)",
            Surface::CheckUnit => "check (unit)",
            Surface::Import => "import (Cargo.toml)",
        }
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            Surface::VerifySignature
                | Surface::CheckManifest
                | Surface::PlanManifest
                | Surface::CheckUnit
                | Surface::Import
        )
    }
}

/// The seed files, built once with distpack itself.
struct Seeds {
    files: BTreeMap<Surface, (Vec<u8>, String)>,
    /// The example project (binary included), copied per worker for check/plan/import.
    project: PathBuf,
    import_project: PathBuf,
    bundle_name: String,
    signature: Vec<u8>,
    public_key: String,
    keys: minisign::KeyPair,
}

fn built(output: &std::process::Output) -> Vec<PathBuf> {
    text(&output.stdout).lines().map(PathBuf::from).collect()
}

fn seeds() -> Seeds {
    let fx = Fixture::example_copy();
    let root = fx.dir.keep();
    let manifest = root.join("packaging/distpack.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let mut files = BTreeMap::new();
    let read = |p: &Path| std::fs::read(p).unwrap();

    files.insert(Surface::InspectDeb, (read(example_deb()), "seed.deb".to_string()));
    files.insert(Surface::InspectRpm, (read(example_rpm()), "seed.rpm".to_string()));
    files.insert(Surface::InspectArch, (read(example_arch()), "seed-1-1-x86_64.pkg.tar.zst".to_string()));

    // Uncompressed members: mutations then land on tar headers, not on a compressed stream.
    let plain = original
        .replace("[deb]\n", "[deb]\ncompression = \"none\"\n")
        .replace("[arch]\n", "[arch]\ncompression = \"none\"\n");
    std::fs::write(&manifest, plain).unwrap();
    let out = root.join("plain");
    for path in
        built(&run(distpack().args(["build", "--no-build", "-f", "deb,arch", "-m"]).arg(&manifest).arg("-o").arg(&out)))
    {
        let name = path.to_string_lossy();
        if name.ends_with(".deb") {
            files.insert(Surface::InspectDebPlain, (read(&path), "seed.deb".to_string()));
        } else if name.contains(".pkg.tar") {
            assert!(name.ends_with(".pkg.tar"), "an uncompressed Arch package: {name}");
            files.insert(Surface::InspectArchPlain, (read(&path), "seed-1-1-x86_64.pkg.tar".to_string()));
        }
    }
    std::fs::write(&manifest, &original).unwrap();

    // A signed .apk and a signed bundle.
    run(distpack().args(["keygen", "--rsa", "fuzz"]).current_dir(&root));
    let apk = built(&run(distpack()
        .args(["build", "--no-build", "-f", "apk", "--allow-check-errors", "--apk-key"])
        .arg(root.join("fuzz.rsa"))
        .arg("-m")
        .arg(&manifest)
        .arg("-o")
        .arg(root.join("apk"))));
    files.insert(Surface::InspectApk, (read(&apk[0]), "seed-1.0-r0.apk".to_string()));

    let bundle = built(&run(distpack()
        .args(["build", "--no-build", "-f", "addon", "-m"])
        .arg(&manifest)
        .arg("-o")
        .arg(root.join("addon"))))
    .remove(0);
    let bundle_name = bundle.file_name().unwrap().to_string_lossy().into_owned();
    let keys = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let signature = sign(&keys, &read(&bundle), &bundle_name);
    for surface in [Surface::InspectBundle, Surface::VerifyBundle, Surface::VerifyResigned] {
        files.insert(surface, (read(&bundle), bundle_name.clone()));
    }
    files.insert(Surface::VerifySignature, (signature.clone(), format!("{bundle_name}.minisig")));

    files.insert(Surface::CheckManifest, (original.clone().into_bytes(), "packaging/distpack.toml".to_string()));
    files.insert(Surface::PlanManifest, (original.into_bytes(), "packaging/distpack.toml".to_string()));
    files.insert(Surface::CheckUnit, (read(&root.join("units/healthd.service")), "units/healthd.service".to_string()));

    let import = Fixture::copy_of("import/hello").dir.keep();
    files.insert(Surface::Import, (read(&import.join("Cargo.toml")), "Cargo.toml".to_string()));
    let public_key = keys.pk.to_box().unwrap().into_string();
    Seeds { files, project: root, import_project: import, bundle_name, signature, public_key, keys }
}

/// A minisign signature of `bytes` whose trusted comment binds them as distpack's signer does.
fn sign(keys: &minisign::KeyPair, bytes: &[u8], name: &str) -> Vec<u8> {
    use sha2::Digest;
    let stem = name.trim_end_matches(".tar.gz");
    let mut parts = stem.rsplitn(4, '-');
    let (arch, os, version, id) = (parts.next(), parts.next(), parts.next(), parts.next());
    let binding = distpack::bundle::Binding {
        id: id.unwrap_or_default().to_string(),
        version: version.unwrap_or_default().to_string(),
        os: os.unwrap_or_default().to_string(),
        arch: arch.unwrap_or_default().to_string(),
        sha256: hex::encode(sha2::Sha256::digest(bytes)),
    };
    minisign::sign(Some(&keys.pk), &keys.sk, bytes, Some(&binding.trusted_comment()), Some("fuzz"))
        .unwrap()
        .into_string()
        .into_bytes()
}

/// Tokens that reach parsers' edge cases when spliced into text.
const TOKENS: [&str; 16] = [
    "\"../../../../etc/passwd\"",
    "\"/dev/zero\"",
    "\"/**/*\"",
    "\"\\u0000\"",
    "\"\\u001b[2J\"",
    "[[files]]\nsrc = \"*\"\ndest = \"/x/\"\nkind = \"data\"\n",
    "{",
    "}",
    "=",
    "\n",
    "\"",
    "9999999999999999999",
    "-1",
    "0o7777",
    "ExecStart=",
    "[Service]\n",
];

/// Large or odd numbers to put where digits were (sizes, counts, modes).
const NUMBERS: [&str; 7] = ["9999999999", "077777777777", "18446744073709551615", "4294967295", "0", "-1", "1e308"];

/// Values put into a quoted string of a text seed (paths, placeholders, lengths).
const VALUES: [&str; 9] =
    ["../../../../etc/passwd", "/dev/zero", "**/*", "units/**", "\\u0000", "{target}", "{bogus}", "/", "."];

/// Mutate `seed` with a few random edits; about half land in the first 4 KiB (headers). Text
/// seeds get fewer edits, and line- and value-level ones, so that most still parse.
fn mutate(seed: &[u8], rng: &mut StdRng, text: bool) -> Vec<u8> {
    let mut data = seed.to_vec();
    if text && rng.gen_bool(0.6) {
        let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        let at = rng.gen_range(0..lines.len());
        match rng.gen_range(0..4) {
            0 => {
                lines.remove(at);
            }
            1 => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            2 => {
                // The first quoted value on or after the line gets a hostile one.
                let Some((i, q)) = lines[at..]
                    .iter()
                    .enumerate()
                    .find_map(|(i, l)| l.iter().position(|b| *b == b'"').map(|q| (i + at, q)))
                else {
                    return data;
                };
                let end = lines[i][q + 1..].iter().position(|b| *b == b'"').map_or(lines[i].len(), |e| e + q + 1);
                let value = if rng.gen_bool(0.2) {
                    "a".repeat(5000)
                } else {
                    VALUES[rng.gen_range(0..VALUES.len())].to_string()
                };
                lines[i].splice(q + 1..end, value.into_bytes());
            }
            _ => {
                let token = TOKENS[rng.gen_range(0..TOKENS.len())].as_bytes().to_vec();
                lines.insert(at, token);
            }
        }
        return lines.join(&b'\n');
    }
    let edits = if text { 1 } else { rng.gen_range(1..=4) };
    for _ in 0..edits {
        if data.is_empty() {
            data.push(b'x');
        }
        let len = data.len();
        let pos = if rng.gen_bool(0.5) { rng.gen_range(0..len.min(4096)) } else { rng.gen_range(0..len) };
        match rng.gen_range(0..if text { 8 } else { 7 }) {
            0 => data[pos] ^= 1 << rng.gen_range(0..8),
            1 => data[pos] = [0u8, 0xff, 0x7f, 0x80, b'/', b'9', b'\n', b' ', b'x', b'=', 0x1b][rng.gen_range(0..11)],
            2 => {
                let end = (pos + rng.gen_range(1..=8)).min(len);
                rng.fill(&mut data[pos..end]);
            }
            3 => {
                let end = (pos + rng.gen_range(1..=64)).min(len);
                data.drain(pos..end);
            }
            4 => {
                let start = rng.gen_range(0..len);
                let chunk: Vec<u8> = data[start..(start + rng.gen_range(1..=512)).min(len)].to_vec();
                data.splice(pos..pos, chunk);
            }
            5 => data.truncate(pos),
            6 => {
                // The run of ASCII digits around `pos`, or the next one, becomes a big number.
                let Some(start) = data[pos..].iter().position(u8::is_ascii_digit).map(|p| p + pos) else { continue };
                let end = data[start..].iter().position(|b| !b.is_ascii_digit()).map_or(len, |p| p + start);
                let number = NUMBERS[rng.gen_range(0..NUMBERS.len())].as_bytes().to_vec();
                data.splice(start..end, number);
            }
            _ => {
                let token = TOKENS[rng.gen_range(0..TOKENS.len())].as_bytes().to_vec();
                data.splice(pos..pos, token);
            }
        }
    }
    data
}

#[derive(Default, Clone)]
struct Tally {
    runs: usize,
    by_code: BTreeMap<i32, usize>,
    failures: Vec<String>,
}

/// Run one mutated input on `surface` inside `work` (this worker's directory); the failure, if any.
fn run_one(seeds: &Seeds, surface: Surface, index: usize, seed: u64, work: &Path) -> (Option<i32>, Option<String>) {
    let mut rng = StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (original, name) = &seeds.files[&surface];
    let input = if surface == Surface::InspectApk && rng.gen_bool(0.5) {
        // Past the gzip layer: the tar stream mutated, then gzipped again as one member.
        let mut tar = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(original.as_slice()), &mut tar).unwrap();
        crate::untrusted::gzip(&mutate(&tar, &mut rng, false))
    } else {
        mutate(original, &mut rng, surface.is_text())
    };
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    let mut dir = work.to_path_buf();
    let target = match surface {
        Surface::CheckManifest | Surface::PlanManifest | Surface::CheckUnit => work.join("project").join(name),
        Surface::Import => work.join("import").join(name),
        _ => work.join("input").join(name),
    };
    std::fs::write(&target, &input).unwrap();
    let bundle = work.join("input").join(&seeds.bundle_name);
    let public = work.join("fuzz.pub");
    match surface {
        Surface::InspectDeb
        | Surface::InspectDebPlain
        | Surface::InspectRpm
        | Surface::InspectArch
        | Surface::InspectArchPlain
        | Surface::InspectApk
        | Surface::InspectBundle => {
            args.push("inspect".into());
            if index % 2 == 1 {
                args.push("--json".into());
            }
            args.push(target.clone().into());
        }
        Surface::VerifyBundle | Surface::VerifySignature | Surface::VerifyResigned => {
            let signature = match surface {
                Surface::VerifyBundle => seeds.signature.clone(),
                Surface::VerifyResigned => sign(&seeds.keys, &input, &seeds.bundle_name),
                _ => input.clone(),
            };
            if surface == Surface::VerifySignature {
                std::fs::write(&bundle, &seeds.files[&Surface::VerifyBundle].0).unwrap();
            }
            std::fs::write(work.join("input").join(format!("{}.minisig", seeds.bundle_name)), signature).unwrap();
            args.extend(["verify".into(), bundle.clone().into(), "--pubkey".into(), public.into()]);
            if index.is_multiple_of(3) {
                args.push("--json".into());
            }
        }
        Surface::CheckManifest | Surface::CheckUnit => {
            args.extend(["check".into(), "-m".into(), work.join("project/packaging/distpack.toml").into()]);
        }
        Surface::PlanManifest => {
            args.extend([
                "plan".into(),
                "--json".into(),
                "-m".into(),
                work.join("project/packaging/distpack.toml").into(),
            ]);
        }
        Surface::Import => {
            args.extend(["import".into(), "--stdout".into()]);
            dir = work.join("import");
        }
    }
    let output = Command::new("timeout")
        .args(["-s", "KILL", TIME_LIMIT, "prlimit", &format!("--as={MEMORY_CAP}"), "--"])
        .arg(env!("CARGO_BIN_EXE_distpack"))
        .args(&args)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    // Put the mutated file back for the next run on this worker.
    std::fs::write(&target, original).unwrap();
    let code = output.status.code();
    let stderr = text(&output.stderr);
    if std::env::var_os("DISTPACK_FUZZ_DEBUG").is_some() {
        eprintln!("{}: {code:?}: {}", surface.name(), stderr.lines().take(4).collect::<Vec<_>>().join(" | "));
    }
    let why = match code {
        _ if stderr.contains("malformed input") || stderr.contains("panicked") => Some("panic".to_string()),
        Some(c) if DOCUMENTED.contains(&c) => None,
        Some(101) => Some("panic (101)".into()),
        Some(137) => Some("timeout or SIGKILL (137)".into()),
        Some(c) if c > 128 => Some(format!("signal {} (exit {c})", c - 128)),
        Some(c) => Some(format!("undocumented exit {c}")),
        None => Some("killed by a signal".into()),
    };
    let failure = why.map(|why| {
        let keep = repo().join("target/fuzz-failures");
        std::fs::create_dir_all(&keep).unwrap();
        let kept = keep.join(format!("{seed}-{index}-{}", name.replace('/', "_")));
        std::fs::write(&kept, &input).unwrap();
        let last = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        format!("{}: {why}; input kept as {} ({last})", surface.name(), kept.display())
    });
    (code, failure)
}

/// A worker's directory: copies of the projects and the key.
fn worker_dir(seeds: &Seeds) -> tempfile::TempDir {
    let dir = tempdir();
    copy_tree(&seeds.project, &dir.path().join("project"));
    let bin = format!("target/{}/release/healthd", host_triple());
    let project_bin = dir.path().join("project").join(&bin);
    std::fs::create_dir_all(project_bin.parent().unwrap()).unwrap();
    std::fs::copy(seeds.project.join(&bin), project_bin).unwrap();
    copy_tree(&seeds.import_project, &dir.path().join("import"));
    std::fs::create_dir_all(dir.path().join("input")).unwrap();
    std::fs::write(dir.path().join("fuzz.pub"), &seeds.public_key).unwrap();
    dir
}

fn table(tallies: &BTreeMap<Surface, Tally>) -> String {
    let mut out = format!("{:<30} {:>7}", "surface", "runs");
    for code in DOCUMENTED {
        out += &format!(" {:>6}", format!("exit {code}"));
    }
    out += &format!(" {:>8}\n", "failures");
    let mut total = Tally::default();
    for (surface, t) in tallies {
        out += &format!("{:<30} {:>7}", surface.name(), t.runs);
        for code in DOCUMENTED {
            out += &format!(" {:>6}", t.by_code.get(&code).copied().unwrap_or(0));
            *total.by_code.entry(code).or_default() += t.by_code.get(&code).copied().unwrap_or(0);
        }
        out += &format!(" {:>8}\n", t.failures.len());
        total.runs += t.runs;
        total.failures.extend(t.failures.iter().cloned());
    }
    out += &format!("{:<30} {:>7}", "all", total.runs);
    for code in DOCUMENTED {
        out += &format!(" {:>6}", total.by_code.get(&code).copied().unwrap_or(0));
    }
    out += &format!(" {:>8}\n", total.failures.len());
    out
}

#[test]
fn mutated_inputs_end_cleanly_on_every_surface() {
    let runs: usize = std::env::var("DISTPACK_FUZZ_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_040);
    let seed: u64 = std::env::var("DISTPACK_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let seeds = seeds();
    assert_eq!(seeds.files.len(), SURFACES.len(), "a seed for every surface");
    let next = AtomicUsize::new(0);
    let tallies: Mutex<BTreeMap<Surface, Tally>> = Mutex::new(BTreeMap::new());
    let started = std::time::Instant::now();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let dir = worker_dir(&seeds);
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= runs {
                        break;
                    }
                    let surface = SURFACES[index % SURFACES.len()];
                    let (code, failure) = run_one(&seeds, surface, index, seed, dir.path());
                    let mut tallies = tallies.lock().unwrap();
                    let t = tallies.entry(surface).or_default();
                    t.runs += 1;
                    if let Some(code) = code {
                        *t.by_code.entry(code).or_default() += 1;
                    }
                    t.failures.extend(failure);
                }
            });
        }
    });
    let tallies = tallies.into_inner().unwrap();
    let report = table(&tallies);
    println!("fuzz: {runs} runs, seed {seed}, {:.0} s\n{report}", started.elapsed().as_secs_f64());
    let total: usize = tallies.values().map(|t| t.runs).sum();
    assert_eq!(total, runs);
    let failures: Vec<&String> = tallies.values().flat_map(|t| &t.failures).collect();
    assert!(failures.is_empty(), "{} failing inputs (seed {seed}):\n{report}\n{failures:#?}", failures.len());
}
