//! What a build reports on stderr: one progress bar per artifact on a terminal, plain lines
//! otherwise (CI logs). Payload bytes are counted where every writer reads them, in
//! `digest::HashingReader`, which adds them to the bar of the artifact its thread is writing.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

thread_local! {
    static CURRENT: RefCell<Option<ProgressBar>> = const { RefCell::new(None) };
}

/// Count `bytes` read for the artifact being written on this thread, if it has a bar.
pub fn add_bytes(bytes: u64) {
    CURRENT.with(|current| {
        if let Some(bar) = current.borrow().as_ref() {
            bar.inc(bytes);
        }
    });
}

/// How much `-q`/`-v` asked for: 0 quiet (errors and findings only), 1 normal, 2 verbose.
static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

pub fn set_level(quiet: bool, verbose: bool) {
    let level = if quiet {
        0
    } else if verbose {
        2
    } else {
        1
    };
    LEVEL.store(level, std::sync::atomic::Ordering::Relaxed);
}

fn level() -> u8 {
    LEVEL.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn verbose() -> bool {
    level() >= 2
}

pub fn quiet() -> bool {
    level() == 0
}

/// An informational line on stderr, unless `-q`.
pub fn info(message: &str) {
    if level() >= 1 {
        eprintln!("distpack: {message}");
    }
}

pub struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    /// Bars when stderr is a terminal that can draw them, plain lines otherwise.
    pub fn for_stderr() -> Progress {
        use std::io::IsTerminal;
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Progress {
            bars: (std::io::stderr().is_terminal() && !dumb && level() >= 1)
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// Plain lines only.
    pub fn plain() -> Progress {
        Progress { bars: None }
    }

    pub fn log(&self, message: &str) {
        if level() == 0 {
            return;
        }
        // Messages name paths and manifest values: no control character reaches the terminal.
        let line = format!("distpack: {}", crate::limits::printable_lines(message, false));
        match &self.bars {
            Some(bars) => {
                let _ = bars.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Run `work` (writing the artifact `name`, which reads `total` payload bytes) with its own
    /// bar; returns what `work` returns and how long it took.
    pub fn artifact<T>(&self, name: &str, total: u64, work: impl FnOnce() -> T) -> (T, Duration) {
        let started = Instant::now();
        let Some(bars) = &self.bars else {
            self.log(&format!("packaging {name}"));
            return (work(), started.elapsed());
        };
        let bar = bars.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:40!} [{bar:30}] {binary_bytes:>10}/{binary_total_bytes} {elapsed:>4} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        CURRENT.with(|current| *current.borrow_mut() = Some(bar.clone()));
        let result = work();
        CURRENT.with(|current| *current.borrow_mut() = None);
        bar.finish_and_clear();
        bars.remove(&bar);
        (result, started.elapsed())
    }
}
