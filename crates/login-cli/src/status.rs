//! `aws-login status`: each login profile's session ARN, account, credential expiry and health;
//! for a role profile, its chain (roles, base, cached role credentials) and the base session;
//! for an IAM Identity Center profile, its session, account, role and both expiries.
//! Read from the caches without refreshing or assuming anything, and without any secret.

use std::fmt::Write as _;

use clap::Args;
use login_io::sso::SsoProfileStatus;
use login_io::{ProfileStatus, RoleProfileStatus, SessionHealth, SessionStatus};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

/// Show the login session of a profile (or of every login profile with --all): ARN, account, credential expiry, health; for a role profile, its chain and cached role credentials.
#[derive(Debug, Args)]
#[command(after_help = crate::exit::EXIT_CODES_HELP)]
pub struct StatusArgs {
    /// Show every profile of the config file that has a login_session.
    #[arg(long)]
    pub all: bool,
    /// Print JSON for scripts instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &StatusArgs) -> CommandResult {
    let options = global.resolve_options();
    let now = OffsetDateTime::now_utc();
    let (statuses, sso) = if args.all {
        if global.profile.is_some() {
            return Err(CommandError::new(
                ExitCode::Usage,
                "use either --profile or --all, not both",
            ));
        }
        (
            login_io::all_session_statuses(&options)?,
            crate::sso_status::sessions(&options)?,
        )
    } else {
        match login_io::profile_status(&options) {
            Ok(ProfileStatus::Login(status)) => (vec![*status], Vec::new()),
            Ok(ProfileStatus::Role(role)) => return show_role(&role, args.json),
            Ok(ProfileStatus::Sso(sso)) => return show_sso(&sso, args.json),
            Err(e) => return Err(e.into()),
        }
    };
    let needs_login = statuses.iter().any(|s| !s.health.usable())
        || sso.iter().any(|s| crate::sso_status::needs_login(s, now));
    if args.json {
        let profiles: Vec<Value> = statuses.iter().map(to_json).collect();
        let sessions: Vec<Value> = sso
            .iter()
            .map(|s| crate::sso_status::to_json(s, now))
            .collect();
        let doc = json!({ "profiles": profiles, "ssoSessions": sessions });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if statuses.is_empty() && sso.is_empty() {
        println!(
            "No profile has a login_session. Run `aws-login login --profile NAME` to create one."
        );
    } else {
        let mut blocks: Vec<String> = statuses.iter().map(|s| to_text(s, now)).collect();
        blocks.extend(
            sso.iter()
                .map(|s| crate::sso_status::to_text(s, now, human_duration)),
        );
        print!("{}", blocks.join("\n"));
    }
    if needs_login {
        // Scripts can branch on the code; the text above already says what to do.
        return Err(CommandError::new(
            ExitCode::LoginNeeded,
            "a login session needs a new login (see above)",
        ));
    }
    Ok(())
}

fn show_sso(sso: &SsoProfileStatus, json: bool) -> CommandResult {
    let now = OffsetDateTime::now_utc();
    if json {
        let doc = crate::sso_status::profile_json(sso, now);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!(
            "{}",
            crate::sso_status::profile_text(sso, now, human_duration)
        );
    }
    if sso.needs_sign_in {
        return Err(CommandError::new(
            ExitCode::LoginNeeded,
            "the IAM Identity Center session needs a new sign-in (see above)",
        ));
    }
    Ok(())
}

fn show_role(role: &RoleProfileStatus, json: bool) -> CommandResult {
    let now = OffsetDateTime::now_utc();
    if json {
        let roles: Vec<Value> = role
            .roles
            .iter()
            .map(|r| {
                json!({
                    "profile": r.profile,
                    "roleArn": r.role_arn,
                    "mfaSerial": r.mfa_serial,
                    "cacheFile": r.cache_file.display().to_string(),
                    "cachedUntil": r.cached_until.map(login_core::timefmt::format_expires_at),
                    "reusable": r.reusable,
                    "assumedRoleArn": r.assumed_role_arn,
                })
            })
            .collect();
        let doc = json!({
            "profile": role.profile,
            "chain": role.profiles,
            "roles": roles,
            "base": role.base,
            "baseSession": role.base_session.as_ref().map(to_json),
            "baseSso": role.base_sso.as_ref().map(|s| crate::sso_status::profile_json(s, now)),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", role_text(role, now));
    }
    if !role.usable() {
        return Err(CommandError::new(
            ExitCode::LoginNeeded,
            "the session under this role needs a new sign-in (see above)",
        ));
    }
    Ok(())
}

fn role_text(role: &RoleProfileStatus, now: OffsetDateTime) -> String {
    let mut out = String::new();
    let Some(last) = role.roles.last() else {
        return out;
    };
    let _ = writeln!(out, "Profile {}", role.profile);
    let _ = writeln!(out, "  assumes      {}", last.role_arn);
    for step in role.roles.iter().rev().skip(1) {
        let _ = writeln!(out, "  via          {} ({})", step.profile, step.role_arn);
    }
    let _ = writeln!(out, "  from         {}", role.base);
    let _ = writeln!(out, "  chain        {}", role.profiles.join(" -> "));
    if let Some(serial) = &last.mfa_serial {
        let _ = writeln!(out, "  mfa          {serial}");
    }
    let _ = writeln!(out, "  role cache   {}", last.cache_file.display());
    let cached = match last.cached_until {
        Some(at) if last.reusable => format!(
            "role credentials cached until {} (in {})",
            login_core::timefmt::format_expires_at(at),
            human_duration((at - now).whole_seconds())
        ),
        Some(at) => format!(
            "cached role credentials expire {}: the next use assumes the role again{}",
            login_core::timefmt::format_expires_at(at),
            if last.mfa_serial.is_some() {
                " (asking for an MFA code)"
            } else {
                ""
            }
        ),
        None => format!(
            "no cached role credentials: the next use assumes the role{}",
            if last.mfa_serial.is_some() {
                " (asking for an MFA code)"
            } else {
                ""
            }
        ),
    };
    let _ = writeln!(out, "  credentials  {cached}");
    if let Some(session) = &role.base_session {
        out.push('\n');
        out.push_str(&to_text(session, now));
    }
    if let Some(sso) = &role.base_sso {
        out.push('\n');
        out.push_str(&crate::sso_status::profile_text(sso, now, human_duration));
    }
    out
}

fn expires(health: &SessionHealth) -> Option<(OffsetDateTime, i64)> {
    match health {
        SessionHealth::Active {
            expires_at,
            seconds_left,
        }
        | SessionHealth::RefreshDue {
            expires_at,
            seconds_left,
        }
        | SessionHealth::CredentialsExpired {
            expires_at,
            seconds_left,
        } => Some((*expires_at, *seconds_left)),
        SessionHealth::SessionEnded { expires_at, .. } => Some((
            *expires_at,
            (*expires_at - OffsetDateTime::now_utc()).whole_seconds(),
        )),
        _ => None,
    }
}

fn to_json(s: &SessionStatus) -> Value {
    let (expires_at, seconds_left) = match expires(&s.health) {
        Some((at, left)) => (
            Value::from(login_core::timefmt::format_expires_at(at)),
            Value::from(left),
        ),
        None => (Value::Null, Value::Null),
    };
    json!({
        "profile": s.profile,
        "loginSession": s.login_session,
        "accountId": s.account_id,
        "region": s.region,
        "signInRegion": s.sign_in_region,
        "accessKeyId": s.access_key_id,
        "signedInAt": s.signed_in_at.map(login_core::timefmt::format_expires_at),
        "cacheFile": s.cache_file.display().to_string(),
        "expiresAt": expires_at,
        "secondsLeft": seconds_left,
        "health": s.health.name(),
        "detail": match &s.health { SessionHealth::Unusable { detail } => Value::from(detail.clone()), _ => Value::Null },
    })
}

fn human_duration(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

fn login_command(profile: &str) -> String {
    if profile == "default" {
        "aws-login login".into()
    } else {
        format!("aws-login login --profile {profile}")
    }
}

fn to_text(s: &SessionStatus, now: OffsetDateTime) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Profile {}", s.profile);
    let _ = writeln!(out, "  session      {}", s.login_session);
    let _ = writeln!(
        out,
        "  account      {}",
        s.account_id.as_deref().unwrap_or("unknown")
    );
    if let Some(region) = s.sign_in_region.as_ref().or(s.region.as_ref()) {
        let _ = writeln!(out, "  region       {region}");
    }
    let _ = writeln!(out, "  cache        {}", s.cache_file.display());
    if let Some(at) = s.signed_in_at {
        let ago = human_duration((now - at).whole_seconds());
        let when = login_core::timefmt::format_expires_at(at);
        let _ = writeln!(
            out,
            "  signed in    {when} ({ago} ago; a session lasts at most 12 hours)"
        );
    }
    if let Some((at, left)) = expires(&s.health) {
        let when = login_core::timefmt::format_expires_at(at);
        let rel = if left > 0 {
            format!("in {}", human_duration(left))
        } else {
            format!("{} ago", human_duration(left))
        };
        let _ = writeln!(out, "  credentials  expire {when} ({rel})");
    }
    let health = match &s.health {
        SessionHealth::Active { .. } => "active".to_string(),
        SessionHealth::RefreshDue { .. } => "refresh due: the next use refreshes the credentials".to_string(),
        SessionHealth::CredentialsExpired { .. } => {
            "credentials expired: the next use refreshes them while the session lasts (up to 12 hours after login)".to_string()
        }
        SessionHealth::SessionEnded { .. } => format!(
            "session ended: the login is more than 12 hours old; run `{}`",
            login_command(&s.profile)
        ),
        SessionHealth::NoCache => format!("no cached session: run `{}`", login_command(&s.profile)),
        SessionHealth::Unusable { detail } => format!("unusable cache ({detail}): run `{}`", login_command(&s.profile)),
    };
    let _ = writeln!(out, "  health       {health}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(-125), "2m 05s");
        assert_eq!(human_duration(3 * 3600 + 60), "3h 01m");
    }
}
