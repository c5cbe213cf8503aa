fn main() {
    // A closed output pipe (`run | head`) must not cost the run its reports: stdout and stderr
    // are relayed when they are pipes, and SIGPIPE stays ignored, as Rust leaves it.
    let relays = provisionr_conformance::process::relay_pipes();
    let code = provisionr_conformance::app::main();
    relays.finish();
    std::process::exit(code);
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
