//! Process-level guards for the binary: a closed or failing output must not end a run before
//! it has written its reports ([`relay_pipes`]), nor a terminal that went away
//! ([`silence_terminals`]).
//!
//! SIGPIPE stays ignored (Rust's default), so a server that closes its socket while a large
//! body is still uploading is a transport error, not the end of the process. Writes to a
//! closed stdout would then fail, and the test harness and `println!` panic on a failed write;
//! so when stdout or stderr is not a terminal (a pipe, a socket, a file, `/dev/full`), it is
//! relayed through a pipe of our own by a thread that stops forwarding, but keeps draining,
//! once a write has failed (`run | head`, `run > /dev/full`, a full disk).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::thread::JoinHandle;

/// The relays of a process, finished before it exits so no output is lost.
#[derive(Default)]
pub struct Relays(Vec<(RawFd, JoinHandle<()>)>);

/// Relays stdout and stderr when they are not terminals; a no-op for terminals.
pub fn relay_pipes() -> Relays {
    Relays([1, 2].into_iter().filter_map(relay).collect())
}

impl Relays {
    /// Flushes what the process wrote, closes the relay pipes and waits for the relays to
    /// forward the rest.
    pub fn finish(self) {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        for (fd, thread) in self.0 {
            // SAFETY: plain descriptor calls on descriptors this process owns. Pointing `fd` at
            // /dev/null closes our pipe's only write end, so the relay sees end of file.
            unsafe {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if null >= 0 {
                    libc::dup2(null, fd);
                    libc::close(null);
                }
            }
            let _ = thread.join();
        }
    }
}

/// Points stdout and stderr at /dev/null where they are terminals: after SIGHUP the terminal
/// is gone, and a write to it would fail (and panic in `println!`) before the reports are
/// written. Relayed outputs are left alone: their reader may still be there.
pub fn silence_terminals() {
    for fd in [1, 2] {
        // SAFETY: isatty, open, dup2 and close on descriptors this process owns.
        unsafe {
            if libc::isatty(fd) != 1 {
                continue;
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if null >= 0 {
                libc::dup2(null, fd);
                libc::close(null);
            }
        }
    }
}

fn relay(fd: RawFd) -> Option<(RawFd, JoinHandle<()>)> {
    // SAFETY: fstat, isatty, fcntl, pipe2, dup2 and close on descriptors this process owns; the new
    // descriptors are owned by the `File`s made from them and by nothing else.
    let (reader, real) = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return None;
        }
        if libc::isatty(fd) == 1 {
            return None;
        }
        let real = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
        if real < 0 {
            return None;
        }
        let mut ends = [0; 2];
        if libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            libc::close(real);
            return None;
        }
        if libc::dup2(ends[1], fd) < 0 {
            libc::close(real);
            libc::close(ends[0]);
            libc::close(ends[1]);
            return None;
        }
        libc::close(ends[1]);
        (File::from_raw_fd(ends[0]), File::from_raw_fd(real))
    };
    let thread = std::thread::Builder::new()
        .name(format!("relay-{fd}"))
        .spawn(move || forward(reader, real))
        .ok()?;
    Some((fd, thread))
}

/// Copies until end of file; after the first failed write (the reader is gone), only drains.
fn forward(mut from: File, mut to: File) {
    let mut buf = [0u8; 16 * 1024];
    let mut open = true;
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if open && to.write_all(&buf[..n]).is_err() {
                    open = false;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}
