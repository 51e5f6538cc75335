use std::io::IsTerminal;

use clap::Parser;

fn main() {
    let cli = distpack::cli::Cli::parse();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Always the graphical report: it names `file:line:column` and shows the offending line.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .force_graphical(true)
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .wrap_lines(false)
                .build(),
        )
    }));
    if let Err(error) = distpack::cli::run(cli) {
        let code = error.exit_code();
        eprintln!("{:?}", miette::Report::new(error));
        std::process::exit(code);
    }
}
