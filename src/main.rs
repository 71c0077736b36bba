//! The `agora` command: reads arguments and settings, then serves.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use agora::clock::SystemClock;
use agora::config::Config;
use agora::startup::Application;

#[derive(Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora: a self-hosted API marketplace in one binary"
)]
struct Cli {
    /// Settings file (default: ./config.toml when present)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default)
    Serve,
    /// Check the settings and print the effective values
    CheckConfig,
    /// Send one email through the [smtp] settings, to check them for real
    SendTestEmail {
        /// Where to send it
        address: String,
    },
    /// Ask the running server for a backup (through its control socket; run
    /// as the server's user) and write it to FILE
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Restore a backup into an empty directory (the server need not run);
    /// the master key is read from security.master_key_file
    Restore {
        /// The backup file
        file: PathBuf,
        /// The new database directory (missing or empty)
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Check the database (stopped) for broken indexes and secrets that do
    /// not open; changes nothing
    CheckData,
    /// Exit 0 when the running server answers /livez (for container health checks)
    Healthcheck,
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let version = format!(
        "{} (database schema {})",
        env!("CARGO_PKG_VERSION"),
        agora::store::SCHEMA_VERSION
    );
    let version: &'static str = Box::leak(version.into_boxed_str());
    let matches = Cli::command().version(version).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("agora: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            print!("{}", config.describe());
            println!("# configuration is valid");
            ExitCode::SUCCESS
        }
        Command::Serve => serve(config),
        Command::SendTestEmail { address } => send_test_email(&config, &address),
        Command::Backup { to } => answer(agora::operate::backup(&config, &to)),
        Command::Restore { file, data } => answer(agora::operate::restore(&config, &file, &data)),
        Command::CheckData => check_data(&config),
        Command::Healthcheck => match agora::operate::healthcheck(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("agora: unhealthy: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn answer(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agora: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check_data(config: &Config) -> ExitCode {
    match agora::operate::check_data(config) {
        Ok(report) if report.is_clean() => {
            println!("the data is consistent: {} entries checked", report.checked);
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for p in &report.problems {
                println!("{p}");
            }
            eprintln!(
                "agora: {} problems in {} entries checked{}; nothing was changed",
                report.count,
                report.checked,
                if report.count > report.problems.len() {
                    format!(" (the first {} are listed)", report.problems.len())
                } else {
                    String::new()
                }
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("agora: {e}");
            ExitCode::from(2)
        }
    }
}

fn send_test_email(config: &Config, address: &str) -> ExitCode {
    let Some(smtp) = &config.smtp else {
        eprintln!(
            "agora: email is not set up: put the SMTP server in [smtp] host (see config.toml)"
        );
        return ExitCode::from(2);
    };
    if !agora::config::is_address(address) {
        eprintln!("agora: {address} is not an email address");
        return ExitCode::from(2);
    }
    let result = actix_web::rt::System::new().block_on(async {
        let mailer = agora::mail::Mailer::new(smtp)?;
        let mail = agora::domain::delivery::Email {
            to: address.to_owned(),
            subject: "Agora test email".to_owned(),
            text: "This is a test email from Agora: its [smtp] settings work.".to_owned(),
            link: None,
        };
        let id = format!("test-{}", agora::crypto::random::token());
        mailer.send(&id, &mail, "").await.map_err(|r| r.message)
    });
    match result {
        Ok(()) => {
            println!(
                "sent a test email to {address} through {}:{} ({})",
                smtp.host,
                smtp.port,
                smtp.tls.as_str()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agora: the test email was not sent: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> ExitCode {
    agora::telemetry::init(&config.log);
    let result = actix_web::rt::System::new().block_on(async move {
        let bind = config.server.bind;
        let app = Application::build(config, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        tracing::info!(
            "Agora is running: open http://{}:{}/",
            bind.ip(),
            app.port()
        );
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agora: {e}");
            ExitCode::FAILURE
        }
    }
}
