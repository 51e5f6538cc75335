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
