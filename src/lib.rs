//! distpack: one TOML manifest in, distribution packages out.
//!
//! manifest (as written) → plan (one resolved `Package` per format × target) → format writers.

pub mod aur;
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
pub mod sign;
pub mod target;
pub mod unit;
pub mod walk;
