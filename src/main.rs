use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = media_lab::cli::Cli::parse();
    match media_lab::cli::execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("media-lab: {e}");
            ExitCode::FAILURE
        }
    }
}
