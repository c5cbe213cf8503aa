//! Stopping a run early ([`Stop`]): on SIGINT, SIGTERM or SIGHUP, or when the target has stopped
//! answering. Once raised, no new request is sent; requests in flight are cut at once for a dead
//! target, and after a short grace for a signal. The run then writes its reports as usual.

use std::time::Duration;

use tokio::sync::watch;

/// Why a run stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// SIGINT (Ctrl-C), SIGTERM or SIGHUP; the number of the signal.
    Signal(i32),
    /// This many transport errors in a row, with no answer in between.
    DeadTarget(u32),
}

impl Reason {
    /// The exit code a stopped run ends with, when a signal stopped it: 128 plus the signal.
    pub fn exit_code(self) -> Option<i32> {
        match self {
            Reason::Signal(n) => Some(crate::exit::SIGNALLED_BASE + n),
            Reason::DeadTarget(_) => None,
        }
    }

    /// Why a request was not sent, or was cut, for the report.
    pub fn describe(self) -> String {
        match self {
            Reason::Signal(n) => format!(
                "not tested: the run was interrupted by {}",
                signal_name(n)
            ),
            Reason::DeadTarget(n) => format!(
                "not tested: the run stopped sending after {n} transport errors in a row with no answer in between"
            ),
        }
    }
}

/// The name of a signal the run listens for.
pub fn signal_name(n: i32) -> &'static str {
    match n {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Shared by everything that sends: whether to stop, and why.
#[derive(Debug)]
pub struct Stop {
    reason: watch::Sender<Option<Reason>>,
    /// How long requests in flight may go on after a signal.
    grace: Duration,
}

impl Default for Stop {
    fn default() -> Self {
        Stop::new(Duration::from_secs(2))
    }
}

impl Stop {
    pub fn new(grace: Duration) -> Self {
        Stop {
            reason: watch::Sender::new(None),
            grace,
        }
    }

    /// Raises the stop; the first reason wins.
    pub fn raise(&self, reason: Reason) {
        self.reason.send_if_modified(|r| {
            if r.is_none() {
                *r = Some(reason);
                true
            } else {
                false
            }
        });
    }

    pub fn reason(&self) -> Option<Reason> {
        *self.reason.borrow()
    }

    /// Resolves when requests in flight should be cut: at once for a dead target, after the
    /// grace for a signal. Never resolves if the stop is not raised.
    pub async fn cut(&self) -> Reason {
        let mut rx = self.reason.subscribe();
        let raised: Option<Reason> = rx.wait_for(Option::is_some).await.ok().and_then(|r| *r);
        // The sender lives as long as `self`, so `None` cannot happen; never cut then.
        let Some(reason) = raised else {
            return std::future::pending().await;
        };
        if let Reason::Signal(_) = reason {
            tokio::time::sleep(self.grace).await;
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_wins_and_signals_give_their_exit_codes() {
        let stop = Stop::default();
        assert_eq!(stop.reason(), None);
        stop.raise(Reason::Signal(15));
        stop.raise(Reason::DeadTarget(5));
        assert_eq!(stop.reason(), Some(Reason::Signal(15)));
        assert_eq!(Reason::Signal(15).exit_code(), Some(143));
        assert_eq!(Reason::Signal(2).exit_code(), Some(130));
        assert_eq!(Reason::Signal(libc::SIGHUP).exit_code(), Some(129));
        assert_eq!(signal_name(libc::SIGHUP), "SIGHUP");
        assert_eq!(Reason::DeadTarget(5).exit_code(), None);
    }

    #[test]
    fn a_dead_target_cuts_at_once_and_a_signal_after_the_grace() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let stop = Stop::new(Duration::from_millis(200));
        rt.block_on(async {
            stop.raise(Reason::DeadTarget(5));
            assert_eq!(stop.cut().await, Reason::DeadTarget(5));
        });
        let stop = Stop::new(Duration::from_millis(200));
        rt.block_on(async {
            let started = tokio::time::Instant::now();
            stop.raise(Reason::Signal(2));
            assert_eq!(stop.cut().await, Reason::Signal(2));
            assert!(started.elapsed() >= Duration::from_millis(200));
        });
    }
}
