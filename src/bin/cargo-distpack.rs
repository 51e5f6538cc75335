//! `cargo distpack …`: cargo runs `cargo-distpack distpack …`, so the subcommand's own name is
//! dropped before the arguments reach the same command line as `distpack …`.

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "distpack") {
        args.remove(1);
    }
    std::process::exit(distpack::cli::main(args));
}
