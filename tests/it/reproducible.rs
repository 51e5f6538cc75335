//! Same inputs and SOURCE_DATE_EPOCH → the same bytes.

use std::process::Command;

use crate::support::*;

#[test]
fn two_builds_with_the_same_source_date_epoch_are_byte_identical() {
    let first = rebuild_example(&[("SOURCE_DATE_EPOCH", "1700000000")]);
    let second = rebuild_example(&[("SOURCE_DATE_EPOCH", "1700000000")]);
    assert_ne!(first, second);
    let (a, b) = (std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap());
    assert!(a == b, "{} and {} differ", first.display(), second.display());

    // The epoch is what every entry carries, and a different one changes the bytes.
    let listing = text(&run(Command::new("dpkg-deb").arg("--contents").arg(&first)).stdout);
    assert!(listing.lines().all(|l| l.contains(" 2023-11-14 22:13 ")), "{listing}");
    let other = rebuild_example(&[("SOURCE_DATE_EPOCH", "1600000000")]);
    assert!(std::fs::read(other).unwrap() != a);
}

#[test]
fn no_temporary_files_are_left_in_the_output_directory() {
    let deb = rebuild_example(&[]);
    let names: Vec<String> = std::fs::read_dir(deb.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["SHA256SUMS".to_string(), deb.file_name().unwrap().to_string_lossy().into_owned()]);
}

/// `--jobs` and `--memory-limit` change how many compressor threads run, never the bytes: a
/// payload of several xz blocks and zstd jobs (low levels keep them small and the test quick)
/// built with one thread and a tight budget, and with every core, gives identical packages.
#[test]
fn jobs_and_memory_limit_change_threads_not_bytes() {
    let manifest = format!(
        "{PACKAGE}\n[deb]\ncompression-level = 1\n\n[rpm]\ncompression-level = 3\n\n[[files]]\nsrc = \"payload\"\ndest = \"/usr/share/fixture/payload\"\nkind = \"data\"\n"
    );
    let fx = Fixture::new(&manifest, &[]);
    // ~24 MB of text that compresses, in distinct lines (xz -1 blocks are 3 MiB, zstd -3 jobs 8 MiB).
    let mut payload = String::with_capacity(24 << 20);
    let mut i: u64 = 0;
    while payload.len() < 24 << 20 {
        i += 1;
        payload.push_str(&format!(
            "{i:>10} {:016x} the quick brown fox jumps over the lazy dog\n",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ));
    }
    std::fs::write(fx.dir.path().join("payload"), payload).unwrap();
    let build = |out: &str, extra: &[&str]| -> Vec<(String, Vec<u8>)> {
        let dir = fx.dir.path().join(out);
        let built = run(distpack()
            .args(["build", "-f", "deb,rpm,arch", "--no-build"])
            .args(extra)
            .arg("-m")
            .arg(fx.manifest())
            .arg("-o")
            .arg(&dir)
            .env("SOURCE_DATE_EPOCH", "1700000000"));
        let mut files: Vec<(String, Vec<u8>)> = text(&built.stdout)
            .lines()
            .map(|p| (p.rsplit('/').next().unwrap().to_string(), std::fs::read(p).unwrap()))
            .collect();
        files.sort();
        files
    };
    let one = build("one", &["--jobs", "1", "--memory-limit", "64M"]);
    let all = build("all", &["--jobs", "2"]);
    assert_eq!(one.len(), 3, "{:?}", one.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, a), (other, b)) in one.iter().zip(&all) {
        assert_eq!(name, other);
        assert!(a == b, "{name} differs between --jobs 1 --memory-limit 64M and --jobs 2");
    }
    let refused = distpack().args(["build", "--memory-limit", "lots", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("is not a size such as 512M or 2G"), "{}", text(&refused.stderr));
}
