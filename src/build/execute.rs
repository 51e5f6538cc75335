//! Executing a `BuildPlan`: every step whose inputs are written runs, side by side with the others
//! that are ready (formats and targets are independent; each compressor also uses every core, so
//! the pool only keeps the cores busy between compression phases). A failed step leaves no
//! partial file; the steps that read its output are skipped, the rest still run, and SHA256SUMS
//! lists exactly the artifacts this build wrote. The first failure is reported at the end.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha512};

use super::Artifact;
use crate::error::{IoContext, Result};
use crate::format::Format;
use crate::formats::{Keys, apkbuild, pkgbuild};
use crate::plan::build_plan::{BuildPlan, Step};
use crate::plan::recipe::Flavour;
use crate::plan::{self, Package};
use crate::progress::Progress;

/// An output on disk: where, and its digest.
#[derive(Clone)]
struct Written {
    path: PathBuf,
    sha256: String,
    /// What `build --json` reports for it, when it is an artifact.
    artifact: Option<Artifact>,
}

impl Written {
    fn artifact(artifact: Artifact) -> Written {
        Written { path: artifact.path.clone(), sha256: artifact.sha256.clone(), artifact: Some(artifact) }
    }
}

/// A step's outputs, by output path.
type Outputs = Vec<(PathBuf, Written)>;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Pending,
    Done,
    /// Failed, or skipped because an input failed.
    Failed,
}

/// Run every step; the artifacts (with the signatures over them) in plan order.
pub fn run(plan: &BuildPlan, out_dir: &Path, keys: &Keys, progress: &Progress) -> Result<Vec<Artifact>> {
    let producer: HashMap<PathBuf, usize> =
        plan.steps.iter().enumerate().flat_map(|(i, s)| s.outputs().into_iter().map(move |o| (o, i))).collect();
    let mut states = vec![State::Pending; plan.steps.len()];
    // Every output written so far, by path.
    let mut written: HashMap<PathBuf, Written> = HashMap::new();
    let mut failure = None;
    loop {
        let ready: Vec<usize> = (0..plan.steps.len())
            .filter(|&i| states[i] == State::Pending)
            .filter(|&i| {
                let inputs = plan.steps[i].inputs();
                inputs.iter().all(|input| producer.get(input).is_none_or(|&p| states[p] != State::Pending))
            })
            .collect();
        if ready.is_empty() {
            break;
        }
        let results: Vec<(usize, Result<Option<Outputs>>)> =
            ready.par_iter().map(|&i| (i, run_step(plan, &plan.steps[i], &written, out_dir, keys, progress))).collect();
        for (i, result) in results {
            states[i] = match result {
                Ok(Some(outputs)) => {
                    written.extend(outputs);
                    State::Done
                }
                Ok(None) => State::Failed,
                Err(e) => {
                    failure = failure.or(Some(e));
                    State::Failed
                }
            };
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(artifacts(plan, &states, &written, out_dir))
}

/// The listed artifacts in step order, each with the signature steps' outputs over it.
fn artifacts(plan: &BuildPlan, states: &[State], written: &HashMap<PathBuf, Written>, out_dir: &Path) -> Vec<Artifact> {
    let mut artifacts: Vec<(PathBuf, Artifact)> = plan
        .steps
        .iter()
        .filter_map(|s| s.listed())
        .filter_map(|path| Some((path.clone(), written.get(&path)?.artifact.clone()?)))
        .collect();
    for (step, state) in plan.steps.iter().zip(states) {
        if let (Step::Signature { of, outputs, .. }, State::Done) = (step, state)
            && let Some((_, artifact)) = artifacts.iter_mut().find(|(path, _)| path == of)
        {
            artifact.signatures = outputs.iter().map(|o| out_dir.join(o)).collect();
        }
    }
    artifacts.into_iter().map(|(_, a)| a).collect()
}

/// One step. `Ok(None)` when it was skipped because an input it needs was not written.
fn run_step(
    plan: &BuildPlan,
    step: &Step,
    written: &HashMap<PathBuf, Written>,
    out_dir: &Path,
    keys: &Keys,
    progress: &Progress,
) -> Result<Option<Outputs>> {
    let inputs: Option<Vec<&Written>> = step.inputs().iter().map(|i| written.get(i)).collect();
    let done = match step {
        Step::Checksums { output, of } => {
            let listed: Vec<&Written> = of.iter().filter_map(|i| written.get(i)).collect();
            if listed.is_empty() {
                return Ok(None);
            }
            let path = write_sha256sums(out_dir, output, &listed)?;
            progress.log(&format!("wrote {}", path.display()));
            vec![(output.clone(), Written { path, sha256: String::new(), artifact: None })]
        }
        _ if inputs.is_none() => return Ok(None),
        Step::Package { package, output, .. } => {
            let artifact = write_package(plan.package(*package), output, out_dir, keys, progress)?;
            vec![(output.clone(), Written::artifact(artifact))]
        }
        Step::ApkTarball { package, top, output } => {
            let package = &plan.packages[*package];
            let path = crate::output::write_atomically(out_dir, &output.to_string_lossy(), |file| {
                apkbuild::write_tarball(package, top, file)
            })?;
            progress.log(&format!("wrote {}", path.display()));
            vec![(output.clone(), Written { path, sha256: String::new(), artifact: None })]
        }
        Step::Recipe { recipe, packages, outputs } => {
            let packages: Vec<&Package> = packages.iter().map(|&i| &plan.packages[i]).collect();
            let inputs = inputs.unwrap_or_default();
            let files = match recipe.flavour {
                Flavour::Aur => pkgbuild::render(recipe, &packages, &sha256s(&inputs))?,
                Flavour::Alpine => apkbuild::render(recipe, &packages, &sha512s(&inputs)?)?,
            };
            let dir = out_dir.join(&recipe.dir);
            crate::output::write_files(&dir, &files)?;
            let (format, what) = match recipe.flavour {
                Flavour::Aur => (Format::Pkgbuild, "the AUR recipe"),
                Flavour::Alpine => (Format::Apk, "the APKBUILD"),
            };
            progress.log(&format!("wrote {what} in {}", dir.display()));
            let main = &outputs[0];
            let artifact = Artifact::new(format, &packages[0].target, "any", out_dir.join(main))?;
            vec![(main.clone(), Written::artifact(artifact))]
        }
        Step::Signature { of, outputs, bundle } => {
            let Some(signer) = &keys.minisign else { return Ok(None) };
            let input = inputs.unwrap_or_default()[0];
            let written = match bundle {
                Some(identity) => crate::sign::minisign::sign_with_comment(
                    signer,
                    &input.path,
                    &identity.bind(&input.sha256).trusted_comment(),
                    outputs.len() > 1,
                )?,
                None => crate::bundle::sign_file(signer, &out_dir.join(of), false)?,
            };
            for signature in &written {
                progress.log(&format!("wrote {}", signature.display()));
            }
            Vec::new()
        }
    };
    Ok(Some(done))
}

fn sha256s(inputs: &[&Written]) -> Vec<String> {
    inputs.iter().map(|a| a.sha256.clone()).collect()
}

/// abuild checks sources by SHA-512.
fn sha512s(inputs: &[&Written]) -> Result<Vec<String>> {
    inputs
        .iter()
        .map(|a| {
            let bytes = std::fs::read(&a.path).io("cannot read", &a.path)?;
            Ok(hex::encode(Sha512::digest(&bytes)))
        })
        .collect()
}

/// Write one package atomically into `out_dir`.
fn write_package(
    package: &Package,
    output: &Path,
    out_dir: &Path,
    keys: &Keys,
    progress: &Progress,
) -> Result<Artifact> {
    let packager = crate::formats::packager(package.format);
    let name = output.to_string_lossy().into_owned();
    let payload: u64 = package
        .files
        .iter()
        .filter(|f| matches!(f.source, plan::Source::File { .. } | plan::Source::Generated { .. }))
        .map(|f| f.size)
        .sum();
    let (path, took) = progress.artifact(&name, payload * packager.reads(), || {
        crate::output::write_atomically(out_dir, &name, |file| packager.write(package, file, out_dir, keys))
    });
    let artifact = Artifact::new(package.format, &package.target, &package.arch, path?)?;
    progress.log(&format!(
        "wrote {} ({}, {} files) in {:.1}s",
        artifact.path.display(),
        human_size(artifact.size),
        package.files.len(),
        took.as_secs_f64()
    ));
    Ok(artifact)
}

/// `SHA256SUMS` in the format `sha256sum -c` reads.
fn write_sha256sums(out_dir: &Path, output: &Path, artifacts: &[&Written]) -> Result<PathBuf> {
    let mut text = String::new();
    for artifact in artifacts {
        let relative = artifact.path.strip_prefix(out_dir).unwrap_or(&artifact.path);
        text.push_str(&format!("{}  {}\n", artifact.sha256, relative.display()));
    }
    let name = output.to_string_lossy();
    crate::output::write_atomically(out_dir, &name, |f| {
        f.write_all(text.as_bytes()).io("cannot write", &out_dir.join(output))
    })
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
