//! Integration tests: each builds real artifacts with the `distpack` binary and reads them back with
//! the distributions' own tools (dpkg-deb, dpkg, lintian, shellcheck). `ci/test` installs those tools.

mod addon;
mod apk;
mod arch;
mod autodeps;
mod base_users;
mod build;
mod checks;
mod ci;
mod corpus;
mod deb;
mod debug_symbols;
mod docs;
mod errors;
mod files;
mod function_length;
mod fuzz;
mod import;
mod init;
mod inspect;
mod layers;
mod pkgbuild;
mod plan;
mod profiles;
mod readme;
mod real;
mod repo_pacman;
mod reproducible;
mod rpm;
mod scripts;
mod services;
mod sudoers;
mod support;
mod trees;
mod untrusted;
mod vm;
