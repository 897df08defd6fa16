//! `aws-login export-credentials`: prints the profile's temporary credentials in the formats of
//! `aws configure export-credentials` (plus the account id, unless `--no-account-id`), refreshing
//! the session under the cache lock when fewer than five minutes remain.

use std::io::Write;

use clap::Args;
use login_core::credentials::ExportFormat;

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

/// Print the profile's temporary credentials (refreshing the login session when it is about to expire)
///
/// The formats are those of `aws configure export-credentials` (AWS CLI v2), with one
/// addition: the account id, as "AccountId" (last key of the process JSON) or an
/// AWS_ACCOUNT_ID line (last, in the other formats). AWS CLI v2 2.36.7 prints neither; SDKs
/// read them (botocore and the JS SDK, in their credential_process and environment
/// providers) for account-based endpoints such as DynamoDB's. With --no-account-id the
/// output is byte for byte what AWS CLI v2 2.36.7 prints.
///
/// Tools whose AWS SDK cannot read login sessions can use them through another profile:
///
///     [profile dev-process]
///     credential_process = aws-login export-credentials --profile dev
#[derive(Debug, Args)]
#[command(after_help = crate::exit::EXIT_CODES_HELP, verbatim_doc_comment)]
pub struct ExportCredentialsArgs {
    /// Output format: `process` is the JSON `credential_process` expects.
    #[arg(long, default_value = "process", value_parser = clap::builder::PossibleValuesParser::new(ExportFormat::ALL.map(ExportFormat::name)))]
    pub format: String,
    /// Leave out AccountId / AWS_ACCOUNT_ID: print exactly what AWS CLI v2 2.36.7 prints.
    #[arg(long)]
    pub no_account_id: bool,
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
    let text = if args.no_account_id {
        format.render_aws_cli(resolved.credentials())
    } else {
        format.render(resolved.credentials())
    };
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
