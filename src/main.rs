fn main() {
    std::process::exit(distpack::cli::main(std::env::args_os().collect()));
}
