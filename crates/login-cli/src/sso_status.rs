//! The IAM Identity Center part of `aws-login status`: each configured `[sso-session]` (and
//! legacy SSO profile) with its start URL, region, token expiry, whether it can refresh and when
//! its client registration expires, read from ~/.aws/sso/cache without refreshing; and one SSO
//! profile (account, role, cached role credentials, token). Never a token.

use std::fmt::Write as _;

use login_io::sso::logout::{sso_session_statuses, SsoSessionStatus};
use login_io::sso::{SsoContext, SsoProfileStatus};
use login_io::ResolveOptions;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Every SSO session (and legacy SSO profile) of the config, for `status --all`.
pub(crate) fn sessions(
    options: &ResolveOptions,
) -> Result<Vec<SsoSessionStatus>, login_io::LoginIoError> {
    Ok(sso_session_statuses(&SsoContext::load(options)?))
}

/// True when only `sso login` helps: no token, an unusable file, or expired and not refreshable.
pub(crate) fn needs_login(s: &SsoSessionStatus, now: OffsetDateTime) -> bool {
    s.problem.is_some()
        || match s.token_expires_at {
            None => true,
            Some(at) => at <= now && !s.refreshable,
        }
}

fn login_command(s: &SsoSessionStatus) -> String {
    if s.legacy {
        format!("aws-login sso login --profile {}", s.name)
    } else {
        format!("aws-login sso login --sso-session {}", s.name)
    }
}

fn stamp(at: OffsetDateTime) -> String {
    login_core::timefmt::format_expires_at(at)
}

pub(crate) fn to_json(s: &SsoSessionStatus, now: OffsetDateTime) -> Value {
    json!({
        "ssoSession": if s.legacy { Value::Null } else { Value::from(s.name.clone()) },
        "profile": if s.legacy { Value::from(s.name.clone()) } else { Value::Null },
        "startUrl": s.start_url,
        "region": s.region,
        "tokenExpiresAt": s.token_expires_at.map(stamp),
        "secondsLeft": s.token_expires_at.map(|at| (at - now).whole_seconds()),
        "refreshable": s.refreshable,
        "registrationExpiresAt": s.registration_expires_at.map(stamp),
        "needsLogin": needs_login(s, now),
        "problem": s.problem,
    })
}

pub(crate) fn to_text(
    s: &SsoSessionStatus,
    now: OffsetDateTime,
    human: impl Fn(i64) -> String,
) -> String {
    let mut out = String::new();
    if s.legacy {
        let _ = writeln!(out, "SSO profile {} (legacy, no sso-session)", s.name);
    } else {
        let _ = writeln!(out, "SSO session {}", s.name);
    }
    let _ = writeln!(out, "  start URL    {}", s.start_url);
    let _ = writeln!(out, "  region       {}", s.region);
    if let Some(at) = s.token_expires_at {
        let left = (at - now).whole_seconds();
        let rel = if left > 0 {
            format!("in {}", human(left))
        } else {
            format!("{} ago", human(left))
        };
        let refresh = if s.refreshable {
            "can refresh"
        } else {
            "cannot refresh"
        };
        let _ = writeln!(
            out,
            "  token        expires {} ({rel}), {refresh}",
            stamp(at)
        );
    }
    if let Some(at) = s.registration_expires_at {
        let _ = writeln!(out, "  registration expires {}", stamp(at));
    }
    let health = match (&s.problem, s.token_expires_at) {
        (Some(p), _) => format!("unusable token file ({p}): run `{}`", login_command(s)),
        (None, None) => format!("not signed in: run `{}`", login_command(s)),
        (None, Some(_)) if needs_login(s, now) => format!("expired: run `{}`", login_command(s)),
        (None, Some(at)) if at <= now => "token expired: the next use refreshes it".to_string(),
        (None, Some(_)) => "active".to_string(),
    };
    let _ = writeln!(out, "  health       {health}");
    out
}

fn relative(at: OffsetDateTime, now: OffsetDateTime, human: &impl Fn(i64) -> String) -> String {
    let left = (at - now).whole_seconds();
    if left > 0 {
        format!("in {}", human(left))
    } else {
        format!("{} ago", human(left))
    }
}

/// One SSO profile, as text.
pub(crate) fn profile_text(
    s: &SsoProfileStatus,
    now: OffsetDateTime,
    human: impl Fn(i64) -> String,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Profile {} (IAM Identity Center)", s.profile);
    match &s.sso_session {
        Some(name) => {
            let _ = writeln!(out, "  sso session  {name}");
        }
        None => {
            let _ = writeln!(out, "  sso session  none (legacy profile)");
        }
    }
    let _ = writeln!(out, "  start URL    {}", s.start_url);
    let _ = writeln!(out, "  region       {}", s.region);
    let _ = writeln!(out, "  account      {}", s.account_id);
    let _ = writeln!(out, "  role         {}", s.role_name);
    let _ = writeln!(out, "  role cache   {}", s.role_cache_file.display());
    let credentials = match s.role_cached_until {
        Some(at) if s.role_reusable => format!(
            "role credentials cached until {} ({})",
            stamp(at),
            relative(at, now, &human)
        ),
        Some(at) => format!(
            "cached role credentials expire {} ({}): the next use gets new ones with the token",
            stamp(at),
            relative(at, now, &human)
        ),
        None => "no cached role credentials: the next use gets them with the token".to_string(),
    };
    let _ = writeln!(out, "  credentials  {credentials}");
    if let Some(at) = s.token_expires_at {
        let refresh = if s.token_refreshable {
            "can refresh"
        } else {
            "cannot refresh"
        };
        let _ = writeln!(
            out,
            "  token        expires {} ({}), {refresh}",
            stamp(at),
            relative(at, now, &human)
        );
    }
    // Cached role credentials outlive an ended session: say until when they still work.
    let sign_in = match s.role_cached_until {
        Some(at) if s.role_reusable => format!(
            "run `{}` (the cached role credentials work until {})",
            s.login_command,
            stamp(at)
        ),
        _ => format!("run `{}`", s.login_command),
    };
    let health = match (&s.token_problem, s.token_expires_at) {
        (Some(p), _) => format!("unusable token file ({p}): {sign_in}"),
        (None, None) => format!("not signed in: {sign_in}"),
        (None, Some(at)) if at <= now && !s.token_refreshable => format!("expired: {sign_in}"),
        (None, Some(at)) if at <= now => "token expired: the next use refreshes it".to_string(),
        (None, Some(_)) => "active".to_string(),
    };
    let _ = writeln!(out, "  health       {health}");
    out
}

/// One SSO profile, as JSON for scripts.
pub(crate) fn profile_json(s: &SsoProfileStatus, now: OffsetDateTime) -> Value {
    json!({
        "profile": s.profile,
        "ssoSession": s.sso_session,
        "startUrl": s.start_url,
        "region": s.region,
        "accountId": s.account_id,
        "roleName": s.role_name,
        "roleCacheFile": s.role_cache_file.display().to_string(),
        "roleCredentialsCachedUntil": s.role_cached_until.map(stamp),
        "roleCredentialsReusable": s.role_reusable,
        "tokenFile": s.token_file.display().to_string(),
        "tokenExpiresAt": s.token_expires_at.map(stamp),
        "tokenSecondsLeft": s.token_expires_at.map(|at| (at - now).whole_seconds()),
        "tokenRefreshable": s.token_refreshable,
        "needsLogin": s.needs_sign_in,
        "problem": s.token_problem,
    })
}
