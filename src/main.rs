fn main() {
    std::process::exit(provisionr_conformance::cli::main());
}
