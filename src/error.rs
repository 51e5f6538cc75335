//! The crate's error type. Manifest problems carry the source text and a span so that miette can
//! show `file:line:column` with the offending line; everything else carries a path and a help text.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem in a manifest, pointing at the bytes that cause it.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct ManifestError {
    pub message: String,
    #[source_code]
    pub source_code: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// Every problem found in one manifest, reported together so a user fixes them in one pass.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{} has {} problem{}", path.display(), errors.len(), if errors.len() == 1 { "" } else { "s" })]
pub struct ManifestErrors {
    pub path: PathBuf,
    #[related]
    pub errors: Vec<ManifestError>,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(Box<ManifestErrors>),

    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Writing an artifact failed (a full disk, a vanished directory): what was being written,
    /// with the I/O error and its kind kept.
    #[error("cannot write {what}: {source}")]
    Write {
        what: String,
        #[source]
        source: std::io::Error,
        #[help]
        help: &'static str,
    },

    /// Like `Io`, for a failure whose remedy the place it happens knows better than the error's
    /// kind does (a corrupt package being read, a full disk while an artifact is written), and
    /// whose action may name the part of the file (`cannot read the data archive of`). `Io` has
    /// no help field so that its `IoContext` call sites stay one short line.
    #[error("{action} {}: {source}", path.display())]
    IoHelp {
        action: Cow<'static, str>,
        path: PathBuf,
        #[source]
        source: std::io::Error,
        #[help]
        help: Cow<'static, str>,
    },

    /// An external program (git, cargo, a `before-package` command) could not be started, or ran
    /// and failed.
    #[error("`{command}` {failure}")]
    Command {
        /// The program and its arguments, as a user would type them.
        command: String,
        #[source]
        failure: CommandFailure,
        #[help]
        help: Cow<'static, str>,
    },

    /// `distpack check` (or the checks `build` runs) found errors; the findings were printed.
    #[error("{count} check error{} (see above)", if *count == 1 { "" } else { "s" })]
    #[diagnostic(help("fix the units or manifest as each finding says; `build --allow-check-errors` packages anyway"))]
    Check { count: usize },

    /// `distpack repo check` found errors in a repository tree; the findings were printed.
    #[error("{count} error{} in the repository tree (see above)", if *count == 1 { "" } else { "s" })]
    #[diagnostic(help(
        "restore the files named above, or publish into the tree again (`distpack repo publish`) to rewrite and re-sign its indices"
    ))]
    RepoCheck { count: usize },

    /// A command-line value that cannot be used (a malformed key, a conflicting option).
    #[error("{message}")]
    Usage {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A signature is missing or invalid, or binds something other than what was presented.
    #[error("{message}")]
    Signature {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A signed bundle's contents break the bundle rules (names, types, sizes, index).
    #[error("{message}")]
    #[diagnostic(help("do not stage this bundle; rebuild it with `distpack build -f addon`"))]
    Contents { message: String },

    /// Bad input that is not a manifest line: a command-line value, a package to inspect, a
    /// failed external command.
    #[error("{message}")]
    Invalid {
        message: String,
        #[help]
        help: Option<String>,
    },
}

/// How an external command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandFailure {
    #[error("cannot be started: {0}")]
    Start(#[source] std::io::Error),
    #[error("failed ({status}): {stderr}")]
    Failed { status: std::process::ExitStatus, stderr: String },
    /// It failed after printing its own output to the terminal.
    #[error("failed ({0}); its output is above")]
    Exited(std::process::ExitStatus),
}

/// Run `command` (shown in messages as `shown`) to completion with its output captured: an
/// `Error::Command` when it cannot start (`start_help`) or exits non-zero (`failed_help`, with
/// what it printed on stderr).
pub fn run_captured(
    command: &mut std::process::Command,
    shown: String,
    start_help: Cow<'static, str>,
    failed_help: Cow<'static, str>,
) -> Result<std::process::Output> {
    let out = command.output().map_err(|e| Error::Command {
        command: shown.clone(),
        failure: CommandFailure::Start(e),
        help: start_help,
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Error::Command {
            command: shown,
            failure: CommandFailure::Failed { status: out.status, stderr },
            help: failed_help,
        });
    }
    Ok(out)
}

impl Error {
    pub fn invalid(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Invalid { message: message.into(), help: Some(help.into()) }
    }

    pub fn usage(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Usage { message: message.into(), help: Some(help.into()) }
    }

    pub fn signature(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Signature { message: message.into(), help: Some(help.into()) }
    }

    pub fn contents(message: impl Into<String>) -> Self {
        Error::Contents { message: message.into() }
    }

    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } => 2,
            Error::Manifest(_) => 3,
            Error::Check { .. } | Error::RepoCheck { .. } => 4,
            Error::Signature { .. } => 5,
            Error::Contents { .. } => 6,
            Error::Invalid { .. } => 1,
            Error::Io { .. } | Error::IoHelp { .. } | Error::Command { .. } | Error::Write { .. } => 1,
        }
    }
}

impl Error {
    /// An error writing `what`, for writers that hold an open file rather than a path.
    pub fn write(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Write { what, help: write_help(&source), source }
    }
}

impl From<ManifestErrors> for Error {
    fn from(value: ManifestErrors) -> Self {
        Error::Manifest(Box::new(value))
    }
}

/// Attach a path and what was being done to an I/O error.
pub trait IoContext<T> {
    fn io(self, action: &'static str, path: &Path) -> Result<T>;

    /// `io`, with what to do about the failure here (an `Error::IoHelp`).
    fn io_help(
        self,
        action: impl Into<Cow<'static, str>>,
        path: &Path,
        help: impl Into<Cow<'static, str>>,
    ) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io(self, action: &'static str, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io { action, path: path.to_path_buf(), source })
    }

    fn io_help(
        self,
        action: impl Into<Cow<'static, str>>,
        path: &Path,
        help: impl Into<Cow<'static, str>>,
    ) -> Result<T> {
        self.map_err(|source| Error::IoHelp {
            action: action.into(),
            path: path.to_path_buf(),
            source,
            help: help.into(),
        })
    }
}

/// What to do about a failed write, by its cause: "check free space" only when space ran out.
pub fn write_help(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull => "check free space in the output directory",
        ErrorKind::FileTooLarge => "the file is over a size limit: the file system's, or the process's (`ulimit -f`)",
        ErrorKind::QuotaExceeded => "a disk quota is exceeded; free space or raise the quota",
        ErrorKind::InvalidInput | ErrorKind::InvalidFilename => {
            "a path or name is invalid (a NUL byte, or too long); fix it in the manifest"
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => "make the output directory writable",
        _ => "check the output directory (free space, permissions) and the files being packaged",
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;

    #[test]
    fn io_errors_keep_their_kind_and_path_and_exit_1() {
        let missing = || Err::<(), _>(std::io::Error::from(ErrorKind::NotFound));
        let plain = missing().io("cannot read", Path::new("a.toml")).unwrap_err();
        let helped = missing().io_help("cannot read the lead of", Path::new("b.rpm"), "not an rpm").unwrap_err();
        for (error, text) in [(&plain, "cannot read a.toml: "), (&helped, "cannot read the lead of b.rpm: ")] {
            assert!(error.to_string().starts_with(text), "{error}");
            assert_eq!(error.exit_code(), 1);
            let source = std::error::Error::source(error).and_then(|s| s.downcast_ref::<std::io::Error>());
            assert_eq!(source.map(std::io::Error::kind), Some(ErrorKind::NotFound));
        }
        assert_eq!(Diagnostic::help(&helped).map(|h| h.to_string()).as_deref(), Some("not an rpm"));
    }

    #[test]
    fn a_failed_command_names_it_and_exits_1() {
        let start = Error::Command {
            command: "git push".into(),
            failure: CommandFailure::Start(std::io::Error::from(ErrorKind::NotFound)),
            help: "install git".into(),
        };
        assert!(start.to_string().starts_with("`git push` cannot be started: "), "{start}");
        assert_eq!(start.exit_code(), 1);
        assert_eq!(Diagnostic::help(&start).map(|h| h.to_string()).as_deref(), Some("install git"));
    }
}
