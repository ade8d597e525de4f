//! The `convoy` binary: parse flags, then run the server (picking the
//! backend) or, given a subcommand, one of the tools.

use clap::Parser;
use convoy::config::{Config, Tool, WalTool};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut config = Config::parse();
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
