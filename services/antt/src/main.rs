//! `antt`: the command-line client of antt-ledger.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;

use antt::cli::{AdminCommand, Cli, Command, WitnessCommand};
use antt::{
    append, audit, backup, demo, export, forget, health, import, projections_admin, read, recover, report, tail,
    verify, witness,
};
use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = antt::client::use_credentials(&cli.credentials) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Append(args) => append::run(&cli.server, args).await,
        Command::Read(args) => read::run(&cli.server, args).await,
        Command::Tail(args) => tail::run(&cli.server, args).await,
        Command::Admin(AdminCommand::Verify { data, checkpoints }) => verify::run(data, checkpoints).await,
        Command::Admin(AdminCommand::Recover { data, reason, operator }) => recover::run(data, reason, operator).await,
        Command::Admin(AdminCommand::ForgetPerson(args)) => forget::run(&cli.server, args).await,
        Command::Admin(AdminCommand::Rebuild { data }) => projections_admin::rebuild(data).await,
        Command::Admin(AdminCommand::Backup(args)) => backup::online::run(&cli.server, args).await,
        Command::Admin(AdminCommand::Restore(args)) => backup::restore::run(args).await,
        Command::Admin(AdminCommand::BackupKeys(args)) => backup::keys::backup(args).await,
        Command::Admin(AdminCommand::RestoreKeys(args)) => backup::keys::restore(&cli.server, args).await,
        Command::Admin(AdminCommand::Status { rebuild }) => projections_admin::status(&cli.server, rebuild).await,
        Command::Admin(AdminCommand::Health { service }) => health::run(&cli.server, &service).await,
        // Import prints its own errors: they name the unit that failed.
        Command::Import(command) => return import::main(&cli.server, command).await,
        // So does the demo.
        Command::Demo(command) => return demo::main(&cli.server, command).await,
        Command::Audit(command) => audit::run_audit(&cli.server, command).await,
        Command::Verify(command) => audit::run_verify(&cli.server, command).await,
        Command::Witness(WitnessCommand::Serve(args)) => witness::serve(args).await,
        Command::Report(args) => report::run(&cli.server, args).await,
        Command::Export(args) => export::run(&cli.server, args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("antt: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
