//! The order of a run's operations: those that change or delete what exists run last, on what
//! the others created. Tests of PUT and PATCH operations start once every test of the GET, HEAD,
//! POST (and other) operations has ended, and tests of DELETE operations once every other test
//! has. Each group is a wave; a wave's valid cases run before its other tests, for the set-up
//! causes ([`crate::engine::setup`]).

use std::sync::{Condvar, Mutex, OnceLock};

/// How many waves there are: [`wave`] gives `0..WAVES`.
pub const WAVES: usize = 3;

/// The wave of an operation's tests, by its method: 0 for what reads or creates, 1 for PUT and
/// PATCH, 2 for DELETE.
pub fn wave(method: &str) -> usize {
    if method.eq_ignore_ascii_case("DELETE") {
        2
    } else if method.eq_ignore_ascii_case("PUT") || method.eq_ignore_ascii_case("PATCH") {
        1
    } else {
        0
    }
}

/// Holds the tests of a wave until every selected test of the earlier waves has ended, and runs
/// each wave's first pass (its valid cases) once, before any other test of the wave.
pub struct Gate {
    /// Per wave, the selected tests that have not ended.
    left: Mutex<Vec<usize>>,
    ended: Condvar,
    first: Vec<OnceLock<()>>,
}

impl Gate {
    /// A gate for these selected tests, given by their waves.
    pub fn new(waves: impl IntoIterator<Item = usize>) -> Self {
        let mut left = vec![0; WAVES];
        for w in waves {
            left[w.min(WAVES - 1)] += 1;
        }
        Gate {
            left: Mutex::new(left),
            ended: Condvar::new(),
            first: (0..WAVES).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Blocks until every test of the waves before `wave` has ended.
    pub fn wait(&self, wave: usize) {
        let mut left = self.left.lock().unwrap_or_else(|p| p.into_inner());
        while left[..wave.min(WAVES)].iter().any(|n| *n > 0) {
            left = self.ended.wait(left).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Waits for the earlier waves ([`Gate::wait`]); the test of `wave` ends when the guard
    /// is dropped, even if it panics.
    pub fn enter(&self, wave: usize) -> Entered<'_> {
        self.wait(wave);
        Entered { gate: self, wave }
    }

    /// A test of `wave` ended.
    pub fn end(&self, wave: usize) {
        let mut left = self.left.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = left.get_mut(wave) {
            *n = n.saturating_sub(1);
        }
        self.ended.notify_all();
    }

    /// Runs `pass` if it is the first call for `wave`; later callers wait until it has run.
    pub fn first_pass(&self, wave: usize, pass: impl FnOnce()) {
        if let Some(once) = self.first.get(wave) {
            once.get_or_init(pass);
        }
    }
}

/// A test of a wave, running: ends it when dropped.
pub struct Entered<'a> {
    gate: &'a Gate,
    wave: usize,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.gate.end(self.wave);
    }
}

/// Hands the items to `threads` worker threads, one at a time, until none is left.
pub(super) fn on_workers<T: Send>(
    threads: usize,
    items: impl Iterator<Item = (usize, T)> + Send,
    work: impl Fn(usize, T) + Sync,
) {
    let queue = Mutex::new(items);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                let Some((index, item)) = next else { break };
                work(index, item);
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn what_changes_or_deletes_runs_last() {
        let waves: Vec<usize> = ["GET", "head", "POST", "OPTIONS", "PUT", "patch", "DELETE"]
            .iter()
            .map(|m| wave(m))
            .collect();
        assert_eq!(waves, [0, 0, 0, 0, 1, 1, 2]);
    }

    #[test]
    fn a_wave_waits_for_the_earlier_ones() {
        let gate = Arc::new(Gate::new([0, 2]));
        let order = Arc::new(Mutex::new(Vec::new()));
        let (g, o) = (gate.clone(), order.clone());
        let late = std::thread::spawn(move || {
            g.wait(2);
            o.lock().unwrap().push(2);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        order.lock().unwrap().push(0);
        gate.end(0);
        late.join().unwrap();
        assert_eq!(*order.lock().unwrap(), [0, 2]);
        // The first pass of a wave runs once.
        let runs = Mutex::new(0);
        for _ in 0..3 {
            gate.first_pass(1, || *runs.lock().unwrap() += 1);
        }
        assert_eq!(*runs.lock().unwrap(), 1);
    }
}
