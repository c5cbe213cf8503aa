fn main() {
    // Output piped into `head` should end quietly, as it does for other Unix tools, rather than
    // panic inside the test harness's printer on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(provisionr_conformance::cli::main());
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
