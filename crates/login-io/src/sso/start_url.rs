//! Vanity start URLs: runs login-core's one-hop probe over HTTP (no redirect following), and
//! after a sign-in writes the region the portal named into `sso_region`, as AWS CLI does.
//!
//! Tests cannot easily serve HTTPS on loopback, so `AWS_LOGIN_TEST_LOOPBACK_START_URL=1` lets a
//! configured start URL be plain `http://` to a loopback IP literal (127.0.0.0/8, ::1). It
//! relaxes nothing else: the portal the URL redirects to must still be `https` and AWS-owned,
//! so the knob cannot make a sign-in go to a host AWS does not own. A warning says it is on.

use login_core::sso::{
    start_url, ProbeStep, ResolvedStartUrl, SchemePolicy, SsoLoginTarget, StartUrlKind,
    StartUrlProbe, TargetSelector,
};
use login_core::{ConfigFile, SectionId};

use crate::error::{ErrorKind, LoginIoError};

use super::{sso_error, SsoContext};

/// The test-only switch described in the module docs.
pub const LOOPBACK_HTTP_VAR: &str = "AWS_LOGIN_TEST_LOOPBACK_START_URL";

/// What a sign-in goes to once its start URL is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginDestination {
    /// The configured target (cache keys, the token's `startUrl`), in the effective region.
    pub target: SsoLoginTarget,
    /// The URL sent as `issuerUrl` / `startUrl`: the portal a vanity URL led to, else the
    /// configured one.
    pub issuer_url: String,
    /// `sso_region` to write after a successful sign-in, when the portal named another region
    /// than the config has.
    pub region_update: Option<RegionUpdate>,
}

impl LoginDestination {
    /// A target whose start URL needs no resolution.
    pub fn unresolved(target: SsoLoginTarget) -> Self {
        LoginDestination {
            issuer_url: target.start_url().to_owned(),
            target,
            region_update: None,
        }
    }
}

/// `sso_region = region` in `section`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionUpdate {
    pub section: SectionId,
    pub region: String,
}

fn scheme_policy(ctx: &SsoContext) -> SchemePolicy {
    if ctx.env.non_empty(LOOPBACK_HTTP_VAR).as_deref() == Some("1") {
        tracing::warn!(
            "{LOOPBACK_HTTP_VAR}=1: accepting an http:// start URL on a loopback address (tests only)"
        );
        SchemePolicy::AllowLoopbackHttp
    } else {
        SchemePolicy::HttpsOnly
    }
}

/// Resolves `start_url`: `Ok(None)` for an AWS-owned portal (no request made), else where the
/// one-hop probe led (the configured URL itself when it found no portal). Fails only on a URL
/// that is not https or not a URL.
pub async fn resolve_start_url(
    ctx: &SsoContext,
    start_url: &str,
) -> Result<Option<ResolvedStartUrl>, LoginIoError> {
    let kind = start_url::classify(start_url, scheme_policy(ctx))
        .map_err(|e| LoginIoError::config(format!("{e}.")))?;
    if kind == StartUrlKind::AwsOwned {
        return Ok(None);
    }
    let (mut probe, mut step) = StartUrlProbe::start(start_url);
    let resolved = loop {
        match step {
            ProbeStep::Resolved(resolved) => break resolved,
            ProbeStep::Send(request) => {
                tracing::debug!(method = %request.method, url = %request.url, "probing the vanity start URL");
                step = match ctx.send(request, "resolve the start URL").await {
                    Ok(response) => probe.on_response(&response),
                    Err(e) => probe.on_transport_error(&e.to_string()),
                };
            }
        }
    };
    match &resolved.unresolved {
        Some(why) => {
            tracing::debug!(%why, "the vanity start URL did not resolve; using it as configured")
        }
        None => {
            tracing::debug!(url = %resolved.url, region = ?resolved.region, "the vanity start URL resolved")
        }
    }
    Ok(Some(resolved))
}

/// What `sso login` for `selector` signs in to, resolving a vanity start URL first. The region
/// its portal names wins over `sso_region` (and is written back after the sign-in); without
/// one, `sso_region` is required.
pub async fn login_destination(
    ctx: &SsoContext,
    selector: &TargetSelector,
) -> Result<LoginDestination, LoginIoError> {
    let profile = match selector {
        TargetSelector::Profile(p) => Some(p.as_str()),
        TargetSelector::Session(_) => None,
    };
    let target_in = |region: Option<&str>| match selector {
        TargetSelector::Session(name) => {
            login_core::sso::SsoSessionConfig::from_config_in_region(&ctx.config.file, name, region)
                .map(SsoLoginTarget::Session)
        }
        TargetSelector::Profile(p) => {
            SsoLoginTarget::for_profile_in_region(&ctx.config.file, p, region)
        }
    };
    let configured = SsoLoginTarget::configured_start_url(&ctx.config.file, selector);
    let Some(configured) = configured else {
        // Missing settings: the normal checks name them.
        let target = target_in(None).map_err(|e| ctx.profile_error(e))?;
        return Ok(LoginDestination::unresolved(target));
    };
    let Some(resolved) = resolve_start_url(ctx, &configured).await? else {
        let target = target_in(None).map_err(|e| ctx.profile_error(e))?;
        return Ok(LoginDestination::unresolved(target));
    };
    let target = match target_in(resolved.region.as_deref()) {
        Ok(target) => target,
        Err(login_core::sso::SsoProfileError::SessionMissingKeys { .. })
        | Err(login_core::sso::SsoProfileError::MissingKeys { .. })
            if resolved.region.is_none() =>
        {
            return Err(sso_error(
                ErrorKind::Config,
                format!(
                    "Cannot tell the region of the start URL {configured} ({}). Set sso_region in the config file {} to your IAM Identity Center region.",
                    resolved
                        .unresolved
                        .as_deref()
                        .unwrap_or("its access portal names no region"),
                    ctx.config_path().display()
                ),
            ))
        }
        Err(e) => return Err(ctx.profile_error(e)),
    };
    let region_update = resolved.region.as_ref().and_then(|region| {
        let section = target.region_section(profile)?;
        let current = ctx
            .config
            .file
            .section(&section)
            .and_then(|v| v.get("sso_region").map(str::to_owned));
        (current.as_deref() != Some(region.as_str())).then(|| RegionUpdate {
            section,
            region: region.clone(),
        })
    });
    Ok(LoginDestination {
        target,
        issuer_url: resolved.url,
        region_update,
    })
}

/// Writes `update` into the config file (re-read first; every other byte kept).
pub fn write_region(ctx: &SsoContext, update: &RegionUpdate) -> Result<(), LoginIoError> {
    let path = ctx.config_path();
    let text = std::fs::read_to_string(path).map_err(|e| {
        LoginIoError::config(format!(
            "Cannot read the config file {}: {e}.",
            path.display()
        ))
    })?;
    let edited = ConfigFile::parse(&text)
        .set(&update.section, "sso_region", &update.region)
        .map_err(|e| {
            LoginIoError::config(format!(
                "Cannot set sso_region in {}: {e}. Set `sso_region = {}` in {} yourself.",
                update.section.header(),
                update.region,
                path.display()
            ))
        })?;
    crate::login::write_config_file(path, &edited).map_err(|e| {
        LoginIoError::config(format!(
            "Cannot write the config file {}: {e}. Set `sso_region = {}` in {} yourself.",
            path.display(),
            update.region,
            update.section.header()
        ))
    })
}
