//! `aws-login configure process-profile`: writes a profile whose `credential_process` runs
//! `aws-login credential-process` for a login profile, for tools whose AWS SDK cannot read
//! login sessions. The edit is format-preserving: every other line of the config file stays.

use clap::{Args, Subcommand};
use login_core::{ConfigFile, SectionId};
use login_io::login::write_config_file;
use login_io::settings::{EnvSettings, Environment, Overrides};

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

const PROCESS_PROFILE_LONG_ABOUT: &str = "\
Write a profile (--profile NAME) whose credential_process runs
`aws-login credential-process --profile LOGIN_PROFILE`, plus the region, into ~/.aws/config.

Needed by tools whose AWS SDK cannot read login sessions (`login_session`), which otherwise fail
with \"Unable to locate credentials\" or \"Could not resolve AWS account\":
  - boto3 / botocore older than 1.41 (and tools pinned to them)
  - the AWS SDK for JavaScript v3 inside older AWS CDK versions
  - Terraform and OpenTofu (the AWS provider), Packer
  - any tool built on an AWS SDK without console-credentials login support
Tools that understand login sessions (AWS CLI v2.32+, boto3 >= 1.41, current JS SDK) can use the
login profile directly.

Because credential-process signs in by itself when the session is missing or expired, the new
profile also works for tools started outside a terminal.";

const PROCESS_PROFILE_EXAMPLES: &str = "\
Examples:
  aws-login login --profile dev
  aws-login configure process-profile --profile dev-process --login-profile dev
  terraform plan          # with AWS_PROFILE=dev-process
  cdk deploy --profile dev-process";

/// Write profiles that use aws-login.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    #[command(subcommand)]
    pub command: ConfigureCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigureCommand {
    /// Write a credential_process profile for tools whose SDK cannot read login sessions
    /// (boto3 < 1.41, older AWS CDK, Terraform).
    #[command(long_about = PROCESS_PROFILE_LONG_ABOUT, after_help = PROCESS_PROFILE_EXAMPLES)]
    ProcessProfile(ProcessProfileArgs),
}

#[derive(Debug, Args)]
pub struct ProcessProfileArgs {
    /// The profile to hand out: a login profile (the one `aws-login login --profile` wrote), or a
    /// role profile (`role_arn` with `source_profile`) over one.
    #[arg(long, value_name = "PROFILE")]
    pub login_profile: String,
    /// Replace a different credential_process the profile already has.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(global: &GlobalArgs, args: &ConfigureArgs) -> CommandResult {
    match &args.command {
        ConfigureCommand::ProcessProfile(process) => process_profile(global, process),
    }
}

fn process_profile(global: &GlobalArgs, args: &ProcessProfileArgs) -> CommandResult {
    let Some(name) = global.profile.clone().filter(|p| !p.is_empty()) else {
        return Err(CommandError::new(
            ExitCode::Usage,
            "--profile NAME is required: the name of the profile to write (e.g. --profile dev-process)",
        ));
    };
    let login_profile = args.login_profile.trim().to_owned();
    if login_profile.is_empty() || !is_profile_name(&login_profile) || !is_profile_name(&name) {
        return Err(CommandError::new(
            ExitCode::Usage,
            "profile names may contain letters, digits and - _ . @ + only",
        ));
    }
    if name == login_profile {
        return Err(CommandError::new(
            ExitCode::Usage,
            format!(
                "--profile and --login-profile must differ: profile '{name}' holds the login session; \
                 write the process profile under another name, e.g. --profile {name}-process"
            ),
        ));
    }
    let overrides = Overrides {
        profile: Some(name.clone()),
        ..Overrides::default()
    };
    let settings = EnvSettings::discover(&overrides, &Environment::from_process())
        .map_err(|e| CommandError::new(ExitCode::Config, e))?;
    let config = login_io::profile::load_config(&settings.config_file)?;
    let file = &config.file;

    let executable = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| {
            CommandError::new(
                ExitCode::Unexpected,
                format!("cannot find the path of aws-login itself: {e}"),
            )
        })?;
    let executable = executable.to_str().ok_or_else(|| {
        CommandError::new(
            ExitCode::Config,
            "the path of aws-login is not valid UTF-8; move it to a plain path",
        )
    })?;
    let command = format!(
        "{} credential-process --profile {}",
        quote(executable),
        quote(&login_profile)
    );

    let existing = file.profile(&name);
    if let Some(view) = &existing {
        if view
            .get("login_session")
            .is_some_and(|v| !v.trim().is_empty())
        {
            return Err(CommandError::new(
                ExitCode::Config,
                format!("Profile '{name}' is a login profile (it has login_session); choose another name for the process profile."),
            ));
        }
        if let Some(style) = file
            .credential_style(&name)
            .filter(|s| *s != "Credential Process")
        {
            return Err(CommandError::new(
                ExitCode::Config,
                format!("Profile '{name}' already uses {style} credentials; choose another name for the process profile."),
            ));
        }
        if let Some(current) = view
            .get("credential_process")
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            if current != command && !args.yes {
                return Err(CommandError::new(
                    ExitCode::Config,
                    format!("Profile '{name}' already has `credential_process = {current}`. Re-run with --yes to replace it."),
                ));
            }
        }
    }
    let login_view = file.profile(&login_profile);
    // A role profile resolves through its chain; only a bare profile needs a login first.
    let login_has_session = login_view.as_ref().is_some_and(|v| {
        ["login_session", "role_arn"]
            .iter()
            .any(|k| v.get(k).is_some_and(|x| !x.trim().is_empty()))
    });
    let region = global
        .region
        .clone()
        .or_else(|| {
            login_view
                .as_ref()
                .and_then(|v| v.get("region"))
                .map(|r| r.trim().to_owned())
        })
        .filter(|r| !r.is_empty());

    let section = SectionId::profile(name.clone());
    let edit = |text: &str, key: &str, value: &str| {
        ConfigFile::parse(text)
            .set(&section, key, value)
            .map_err(|e| {
                CommandError::new(
                    ExitCode::Config,
                    format!("cannot edit profile '{name}': {e}"),
                )
            })
    };
    let mut text = edit(file.text(), "credential_process", &command)?;
    let keep_region =
        existing.as_ref().and_then(|v| v.get("region")).is_some() && global.region.is_none();
    if let (Some(region), false) = (&region, keep_region) {
        text = edit(&text, "region", region)?;
    }
    if text != file.text() {
        write_config_file(&config.path, &text).map_err(|e| {
            CommandError::new(
                ExitCode::Config,
                format!("could not write {}: {e}", config.path.display()),
            )
        })?;
    }

    println!("Wrote profile '{name}' to {}:", config.path.display());
    println!("    credential_process = {command}");
    if let (Some(region), false) = (&region, keep_region) {
        println!("    region = {region}");
    }
    println!(
        "Tools whose SDK cannot read login sessions (boto3 < 1.41, older AWS CDK, Terraform) can now use --profile {name} or AWS_PROFILE={name}."
    );
    if !login_has_session {
        eprintln!(
            "note: profile '{login_profile}' has no login session yet; sign in with `aws-login login --profile {login_profile}` \
             (or let the first tool that uses '{name}' open the browser sign-in)."
        );
    }
    Ok(())
}

fn is_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
}

/// Quotes a word for both readers of `credential_process`: botocore splits it like a POSIX
/// shell, the JS SDK hands it to a shell.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@+:=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(
            quote("/usr/local/bin/aws-login"),
            "/usr/local/bin/aws-login"
        );
        assert_eq!(
            quote("/opt/my tools/aws-login"),
            "'/opt/my tools/aws-login'"
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
        let words = login_io::browser::split_words(&format!("{} x", quote("/a b/it's"))).unwrap();
        assert_eq!(words, ["/a b/it's", "x"]);
    }

    #[test]
    fn profile_names_are_plain() {
        assert!(is_profile_name("dev-process"));
        assert!(is_profile_name("team.dev@corp"));
        assert!(!is_profile_name("a b"));
        assert!(!is_profile_name("a]b"));
        assert!(!is_profile_name(""));
    }
}
