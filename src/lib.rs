//! distpack: one TOML manifest in, distribution packages out.
//!
//! manifest (as written) → plan (one resolved `Package` per format × target) → format writers.
//!
//! # Layers
//!
//! The top-level modules form layers, lowest first. A module imports only modules on lower
//! lines, never one on its own line or above, so the module graph has no cycle: a low module
//! can be read, tested and changed without the ones that use it. `tests/it/layers.rs` reads every
//! `crate::` path in `src/` and fails on an import that breaks this order or closes a cycle; a
//! new top-level module gets a line here.
//!
//! 1. `error`, `format`, `elf`, `unit`, `walk`, `budget`: leaves, importing nothing of the crate.
//! 2. `limits`, `output`, `epoch`, `target`: bounded reading, atomic writing, dates, targets.
//! 3. `manifest`, `progress`: the manifest as written; progress bars.
//! 4. `compress`, `digest`: compressors configured by the manifest; streaming digests.
//! 5. `sign`: keys and signatures over bytes, with the trusted comment as given.
//! 6. `bundle`: the add-on bundle format (index, binding), its reader and verifier.
//! 7. `plan`: the manifest resolved into packages, defaults applied once.
//! 8. `formats`, `check`: the pure writers of a plan (and `formats::packager`); its checks.
//! 9. `build`, `inspect`, `import`, `init`, `aur`: commands over plans, packages and manifests.
//! 10. `ci`, `repo`: CI workflows, which run builds; package repositories, which read packages.
//! 11. `cli`: the command line, which may use everything.

pub mod aur;
pub mod budget;
pub mod build;
pub mod bundle;
pub mod check;
pub mod ci;
pub mod cli;
pub mod compress;
pub mod digest;
pub mod elf;
pub mod epoch;
pub mod error;
pub mod format;
pub mod formats;
pub mod import;
pub mod init;
pub mod inspect;
pub mod limits;
pub mod manifest;
pub mod output;
pub mod plan;
pub mod progress;
pub mod repo;
pub mod sign;
pub mod target;
pub mod unit;
pub mod walk;
