//! The IAM Identity Center part of `aws-login status`: each configured `[sso-session]` (and
//! legacy SSO profile) with its start URL, region, token expiry, whether it can refresh and when
//! its client registration expires, read from ~/.aws/sso/cache without refreshing. Never a token.

use std::fmt::Write as _;

use login_io::sso::logout::{sso_session_statuses, SsoSessionStatus};
use login_io::sso::SsoContext;
use login_io::ResolveOptions;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// The SSO sessions to show: all, or the one a profile uses.
pub(crate) fn sessions(
    options: &ResolveOptions,
    profile: Option<&str>,
) -> Result<Vec<SsoSessionStatus>, login_io::LoginIoError> {
    let ctx = SsoContext::load(options)?;
    let all = sso_session_statuses(&ctx);
    let Some(profile) = profile else {
        return Ok(all);
    };
    let target = ctx.target_for_profile(profile)?;
    Ok(all
        .into_iter()
        .filter(|s| {
            s.start_url == target.start_url()
                && s.legacy == target.session_name().is_none()
                && (s.legacy || Some(s.name.as_str()) == target.session_name())
        })
        .collect())
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
