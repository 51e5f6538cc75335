//! `distpack plan` without `--json`: one line per step, in the order `build` takes them.

use std::fmt::Write;

use super::build_plan::{BuildPlan, Prepare, Step};

pub fn render(plan: &BuildPlan) -> String {
    let mut out = String::new();
    for step in &plan.prepare {
        let _ = match step {
            Prepare::CargoBuild { target, .. } => writeln!(out, "run cargo build --release --target {target}"),
            Prepare::BeforePackage { command, location, .. } => writeln!(out, "run `{command}` ({location})"),
            Prepare::SplitDebug { source, stripped, debug, .. } => {
                writeln!(out, "split {} -> {}, {}", source.display(), stripped.display(), debug.display())
            }
        };
    }
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    for step in &plan.steps {
        let _ = match step {
            Step::Package { package, output, .. } => {
                let p = plan.package(*package);
                writeln!(
                    out,
                    "{} {} {} {} ({}, {}) -> {}",
                    p.format,
                    p.name,
                    super::version::display(p.format, &p.version),
                    p.arch,
                    count(p.files.len(), "file"),
                    count(p.scripts.len(), "script"),
                    output.display()
                )
            }
            Step::ApkTarball { output, .. } => writeln!(out, "release tarball -> {}", output.display()),
            Step::Recipe { recipe, outputs, .. } => {
                let names: Vec<String> = outputs.iter().map(|o| o.display().to_string()).collect();
                let what = match recipe.flavour {
                    super::recipe::Flavour::Aur => "AUR recipe",
                    super::recipe::Flavour::Alpine => "APKBUILD",
                };
                writeln!(out, "{what} -> {}", names.join(", "))
            }
            Step::Checksums { output, of } => {
                writeln!(out, "checksums of {} -> {}", count(of.len(), "artifact"), output.display())
            }
            Step::Signature { of, outputs, .. } => {
                let names: Vec<String> = outputs.iter().map(|o| o.display().to_string()).collect();
                writeln!(out, "sign {} -> {}", of.display(), names.join(", "))
            }
        };
    }
    out
}
