//! `aws-login export-credentials`: prints the profile's temporary credentials in the formats of
//! `aws configure export-credentials`, byte for byte, refreshing the session under the cache lock
//! when fewer than five minutes remain.

use std::io::Write;

use clap::Args;
use login_core::credentials::ExportFormat;

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

/// Print the profile's temporary credentials (refreshing the login session when it is about to expire)
///
/// The output is byte-identical to `aws configure export-credentials`. Tools whose AWS SDK
/// cannot read login sessions can use them through another profile:
///
///     [profile dev-process]
///     credential_process = aws-login export-credentials --profile dev
#[derive(Debug, Args)]
#[command(after_help = crate::exit::EXIT_CODES_HELP, verbatim_doc_comment)]
pub struct ExportCredentialsArgs {
    /// Output format: `process` is the JSON `credential_process` expects.
    #[arg(long, default_value = "process", value_parser = clap::builder::PossibleValuesParser::new(ExportFormat::ALL.map(ExportFormat::name)))]
    pub format: String,
}

pub fn run(global: &GlobalArgs, args: &ExportCredentialsArgs) -> CommandResult {
    let format: ExportFormat =
        args.format
            .parse()
            .map_err(|e: login_core::credentials::UnknownExportFormat| {
                CommandError::new(ExitCode::Usage, e.to_string())
            })?;
    let resolved = login_io::resolve_credentials_blocking(&global.resolve_options())?;
    for warning in resolved.warnings() {
        eprintln!("aws-login: warning: {warning}");
    }
    let text = format.render(resolved.credentials());
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            CommandError::new(
                ExitCode::Unexpected,
                format!("cannot write the credentials to stdout: {e}"),
            )
        })
}
