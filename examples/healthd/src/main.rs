//! healthd: answers `GET /health` with `ok`.
//!
//! Configuration: `/etc/healthd/healthd.toml` (or the path in `HEALTHD_CONFIG`), one
//! `listen = "ADDR:PORT"` line. Std-only on purpose: the example must build offline in seconds.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::{env, fs, thread};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn listen_address(config: &str) -> String {
    config
        .lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("listen"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').to_string())
        .next()
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string())
}

fn respond(mut stream: TcpStream) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = match path {
        "/health" => ("200 OK", "ok\n".to_string()),
        "/version" => ("200 OK", format!("{VERSION}\n")),
        _ => ("404 Not Found", "not found\n".to_string()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn main() {
    if env::args().any(|a| a == "--version") {
        println!("healthd {VERSION}");
        return;
    }
    let config_path =
        env::var("HEALTHD_CONFIG").unwrap_or_else(|_| "/etc/healthd/healthd.toml".to_string());
    let config = fs::read_to_string(&config_path).unwrap_or_default();
    let address = listen_address(&config);
    let listener = match TcpListener::bind(&address) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("healthd: cannot listen on {address}: {err}");
            std::process::exit(1);
        }
    };
    eprintln!("healthd {VERSION} listening on {address}");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || {
            let _ = respond(stream);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::listen_address;

    #[test]
    fn reads_listen_line() {
        assert_eq!(listen_address("listen = \"0.0.0.0:9000\"\n"), "0.0.0.0:9000");
        assert_eq!(listen_address("# nothing\n"), "127.0.0.1:8080");
    }
}
