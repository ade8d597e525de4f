//! The `convoy` binary: parse flags, pick the backend, run the server.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let config = convoy::config::Config::parse();
    match convoy::server::run(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convoy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
