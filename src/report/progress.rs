//! The run on a terminal ([`Terminal`], the engine's observer), with a progress line for long
//! runs ([`Progress`]): tests done, requests per second
//! and failures so far, on stderr. Nothing is drawn unless both stdout and stderr are
//! terminals, so CI logs and piped output stay as they are.
//!
//! The test list is printed by libtest on stdout, a whole line as each test ends; the progress
//! line steps aside (clears itself and waits a moment) whenever a test ends, so the two never
//! share a line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::human;
use crate::engine::observe::{DocumentNotes, Header, Observer};
use crate::engine::outcome::CaseResult;
use crate::engine::setup::SetupCause;
use crate::redact::Redactor;

/// How long the line stays away after a test ends, for libtest to print its line.
const STEP_ASIDE: Duration = Duration::from_millis(250);
const REDRAW: Duration = Duration::from_millis(200);

pub struct Progress {
    bar: ProgressBar,
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    /// Until when the line stays away, and whether it is drawn now. Held while drawing, so a
    /// test that ends never sees the line half drawn.
    screen: Mutex<(Instant, bool)>,
    finished: AtomicBool,
}

impl Progress {
    /// A progress line for `total` tests, reading the requests sent so far from `requests`; or
    /// `None` when the output is not a terminal.
    pub fn start(
        total: usize,
        requests: impl Fn() -> u64 + Send + 'static,
    ) -> Option<Arc<Progress>> {
        if !(std::io::stdout().is_terminal() && std::io::stderr().is_terminal()) {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} {pos}/{len} tests {msg}")
        {
            bar.set_style(style);
        }
        let progress = Arc::new(Progress {
            bar,
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            screen: Mutex::new((Instant::now(), false)),
            finished: AtomicBool::new(false),
        });
        let ticking = progress.clone();
        let started = Instant::now();
        let spawned = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || ticking.tick_until_finished(&requests, started));
        spawned.ok().map(|_| progress)
    }

    fn tick_until_finished(&self, requests: &dyn Fn() -> u64, started: Instant) {
        while !self.finished.load(Ordering::SeqCst) {
            std::thread::sleep(REDRAW);
            let mut screen = self.screen.lock().unwrap_or_else(|p| p.into_inner());
            if Instant::now() < screen.0 || self.finished.load(Ordering::SeqCst) {
                continue;
            }
            if !screen.1 {
                self.bar.set_draw_target(ProgressDrawTarget::stderr());
                screen.1 = true;
            }
            let requests = requests();
            let rate = requests as f64 / started.elapsed().as_secs_f64().max(0.001);
            self.bar.set_message(format!(
                "· {requests} requests ({rate:.0}/s) · {} failed",
                self.failed.load(Ordering::Relaxed)
            ));
            self.bar.tick();
        }
    }

    /// A test ended: count it and step aside so libtest can print its line; after the last,
    /// go away for good, before libtest prints the failures and its summary.
    pub fn test_done(&self, failed: bool) {
        self.failed
            .fetch_add(usize::from(failed), Ordering::Relaxed);
        {
            let mut screen = self.screen.lock().unwrap_or_else(|p| p.into_inner());
            *screen = (Instant::now() + STEP_ASIDE, false);
            self.bar.set_draw_target(ProgressDrawTarget::hidden());
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
        self.bar.inc(1);
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if done >= self.total {
            self.finish();
        }
    }

    pub fn finish(&self) {
        let _screen = self.screen.lock().unwrap_or_else(|p| p.into_inner());
        if !self.finished.swap(true, Ordering::SeqCst) {
            self.bar.set_draw_target(ProgressDrawTarget::hidden());
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
    }
}

/// The run as the terminal shows it: the header, the set-up causes before the test list, the
/// failure texts libtest prints, and the progress line. What the engine tells it
/// ([`Observer`]) goes to stdout, notes to stderr.
#[derive(Default)]
pub struct Terminal {
    /// The progress line, once the test list starts (none when the output is not a terminal).
    progress: OnceLock<Option<Arc<Progress>>>,
}

impl Terminal {
    fn progress(&self) -> Option<&Progress> {
        self.progress.get().and_then(|p| p.as_deref())
    }
}

impl Observer for Terminal {
    fn header(&self, h: &Header<'_>) {
        if h.embedded {
            println!(
                "target: {} (no --base-url given; pass --base-url to test a real workspace)",
                h.target
            );
        } else {
            println!("target: {}", h.target);
        }
        if h.insecure_http {
            println!(
                "warning: the token goes over plain HTTP to another host, in clear (--allow-insecure-http)"
            );
        }
        if let Some(seed) = h.seed {
            println!("seed: {seed} (replay the same generated bodies with --seed {seed})");
        }
    }

    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn document_notes(&self, notes: &DocumentNotes<'_>) {
        for line in human::document_lines(notes) {
            if notes.listing {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
    }

    fn setup_causes(&self, causes: &[&SetupCause], redactor: &Redactor) {
        for cause in causes {
            println!("{}", redactor.for_terminal(&human::setup_line(cause)));
        }
    }

    fn tests_starting(&self, total: usize, requests: Box<dyn Fn() -> u64 + Send>) {
        let _ = self.progress.set(Progress::start(total, requests));
    }

    fn test_done(&self, failed: bool) {
        if let Some(p) = self.progress() {
            p.test_done(failed);
        }
    }

    fn tests_finished(&self) {
        if let Some(p) = self.progress() {
            p.finish();
        }
    }

    fn failure_text(
        &self,
        result: &CaseResult,
        cause: Option<&SetupCause>,
        redactor: &Redactor,
    ) -> String {
        match cause {
            Some(cause) => human::grouped_failure_text(result, cause, redactor),
            None => human::failure_text(result, redactor),
        }
    }

    fn not_tested_reason(&self, result: &CaseResult) -> String {
        human::not_tested_reason(result)
    }
}
