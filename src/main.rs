//! The `herald` binary: parse arguments, run the library, map the result to an exit code.

use clap::Parser;
use herald::cmd::{self, Exit, UsageError};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = herald::cli::Cli::parse();
    // One TLS crypto provider for the process (ring: pure Rust, quick to build).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    match cmd::run(cli, &env) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            let mut err = anstream::stderr().lock();
            let red = anstyle::AnsiColor::Red.on_default().bold();
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                for line in &usage.0 {
                    let _ = writeln!(err, "{red}error{red:#}: {line}");
                }
                return ExitCode::from(Exit::Usage.code());
            }
            let _ = writeln!(err, "{red}error{red:#}: {e}");
            for cause in e.chain().skip(1) {
                let _ = writeln!(err, "  caused by: {cause}");
            }
            ExitCode::from(Exit::Problems.code())
        }
    }
}
