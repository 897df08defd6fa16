//! `aws-login logout`: removes cached login sessions with AWS CLI semantics. The profile's
//! `login_session` setting stays, so the next use says to log in again; `--all` removes only
//! files that are login sessions (JSON with an `accessToken.accessKeyId`).

use clap::Args;
use login_io::{LoginIoError, LogoutOutcome};

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

/// AWS CLI v2's note after a logout (2.36.7, word for word): removing the cache revokes nothing.
/// Printed once, after the summary, whenever a session file was removed.
pub const STILL_VALID_NOTE: &str = "Note, any local developer tools that have already loaded the access token may continue to use it until its expiration. Access tokens expire in 15 minutes.";

/// Remove the cached login session of a profile, or every cached login session with --all.
///
/// Removing the cache revokes nothing: tools that already loaded the credentials may keep using
/// them until they expire, up to 15 minutes.
#[derive(Debug, Args)]
#[command(after_help = crate::exit::EXIT_CODES_HELP)]
pub struct LogoutArgs {
    /// Remove every cached login session in the cache directory (other files are left alone).
    #[arg(long)]
    pub all: bool,
}

pub fn run(global: &GlobalArgs, args: &LogoutArgs) -> CommandResult {
    let options = global.resolve_options();
    if args.all {
        if global.profile.is_some() {
            return Err(CommandError::new(
                ExitCode::Usage,
                "--all removes every cached login session; do not combine it with --profile",
            ));
        }
        let removed = login_io::logout_all(&options)?;
        let noun = if removed.removed == 1 {
            "session"
        } else {
            "sessions"
        };
        println!(
            "Removed {} cached login {noun} from {}.",
            removed.removed,
            removed.cache_dir.display()
        );
        if removed.removed > 0 {
            println!("{STILL_VALID_NOTE}");
        }
        for (path, problem) in &removed.failed {
            eprintln!("warning: could not remove {}: {problem}", path.display());
        }
        return if removed.failed.is_empty() {
            Ok(())
        } else {
            Err(CommandError::new(
                ExitCode::CacheWrite,
                format!(
                    "{} cached session file(s) could not be removed",
                    removed.failed.len()
                ),
            ))
        };
    }
    match login_io::logout(&options) {
        Ok(LogoutOutcome::Removed {
            profile, session, ..
        }) => {
            println!(
                "Logged out of profile '{profile}': removed the cached credentials of {session}."
            );
            println!("{STILL_VALID_NOTE}");
            Ok(())
        }
        Ok(LogoutOutcome::NothingCached {
            profile,
            session,
            path,
        }) => {
            eprintln!(
                "warning: profile '{profile}' has no cached login session to remove ({session}; {} does not exist).",
                path.display()
            );
            Ok(())
        }
        Err(LoginIoError::NoLoginSession {
            profile,
            config_file,
        }) => {
            eprintln!(
                "warning: profile '{profile}' in {} has no login_session; there is no login session to log out of.",
                config_file.display()
            );
            Ok(())
        }
        // Logging out is idempotent: a profile that does not exist has no session either.
        Err(LoginIoError::ProfileNotFound {
            profile,
            config_file,
        }) => {
            eprintln!(
                "warning: profile '{profile}' does not exist in {}; there is no login session to log out of.",
                config_file.display()
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
