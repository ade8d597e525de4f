//! The `convoy` binary: parse flags, then run the server (picking the
//! backend) or, given a subcommand, one of the tools.

use convoy::config::{Tool, WalTool};
use std::process::ExitCode;

fn main() -> ExitCode {
    // The flags, and the config file they name, if any (see configfile).
    let mut config = match convoy::configfile::load(std::env::args_os().collect()) {
        Ok(config) => config,
        Err(fatal) => {
            eprintln!("{fatal}");
            return ExitCode::FAILURE;
        }
    };
    match config.tool.take() {
        Some(Tool::Wal(WalTool::Inspect(options))) => ExitCode::from(convoy::wal::inspect::run(&options)),
        Some(Tool::Bench(options)) => ExitCode::from(convoy::bench::main(&options)),
        None => match convoy::server::run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("convoy: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
