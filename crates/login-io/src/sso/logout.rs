//! `sso logout` (what AWS CLI's does: every token file in `~/.aws/sso/cache` is signed out at
//! the portal and deleted, client registrations are kept, and every `"ProviderType": "sso"`
//! file in `~/.aws/cli/cache` is deleted) and the SSO part of `status` (never a token).

use login_core::sso::{portal, RoleCredentialsCache, SsoLoginTarget, SsoToken};
use time::OffsetDateTime;

use crate::cache_store::CacheRead;

use super::SsoContext;

/// What `sso logout` did.
#[derive(Debug, Clone, Default)]
pub struct SsoLogoutSummary {
    /// Token files deleted.
    pub tokens_removed: usize,
    /// Portal `Logout` calls that succeeded.
    pub portal_logouts: usize,
    /// Role-credential files deleted.
    pub role_credentials_removed: usize,
    /// Problems that did not stop the logout (an unreachable portal, an undeletable file).
    pub warnings: Vec<String>,
}

impl SsoLogoutSummary {
    /// `Removed 2 SSO tokens (2 signed out at the portal) and 3 cached role credentials; client registrations kept.`
    pub fn line(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        format!(
            "Removed {} ({} signed out at the portal) and {}; client registrations kept.",
            plural(self.tokens_removed, "SSO token", "SSO tokens"),
            self.portal_logouts,
            plural(
                self.role_credentials_removed,
                "cached SSO role credential",
                "cached SSO role credentials"
            ),
        )
    }
}

/// Signs out every cached SSO token and deletes it and the SSO role credentials.
pub async fn sso_logout(ctx: &SsoContext) -> SsoLogoutSummary {
    let mut summary = SsoLogoutSummary::default();
    let files = ctx.token_store.json_files().unwrap_or_default();
    for path in files {
        let Ok(CacheRead::Found(bytes)) = ctx.token_store.read(&path) else {
            continue;
        };
        // Registration files and files we cannot read are kept (as AWS CLI keeps them).
        let Ok(token) = SsoToken::from_json(&bytes) else {
            continue;
        };
        if let Some(region) = token.region.as_deref() {
            let base = ctx.portal_base(region, None);
            match ctx
                .send(portal::logout(&base, &token.access_token), "sign out")
                .await
            {
                Ok(resp) => match portal::parse_logout(&resp) {
                    Ok(()) => summary.portal_logouts += 1,
                    Err(e) => {
                        tracing::debug!(error = %e, "portal Logout refused; deleting the token anyway")
                    }
                },
                Err(e) => summary.warnings.push(e.to_string()),
            }
        }
        match ctx.token_store.remove(&path) {
            Ok(true) => summary.tokens_removed += 1,
            Ok(false) => {}
            Err(e) => summary
                .warnings
                .push(format!("Could not delete {}: {e}", path.display())),
        }
    }
    for path in ctx.role_store.json_files().unwrap_or_default() {
        let Ok(CacheRead::Found(bytes)) = ctx.role_store.read(&path) else {
            continue;
        };
        if !RoleCredentialsCache::is_sso_entry(&bytes) {
            continue;
        }
        match ctx.role_store.remove(&path) {
            Ok(true) => summary.role_credentials_removed += 1,
            Ok(false) => {}
            Err(e) => summary
                .warnings
                .push(format!("Could not delete {}: {e}", path.display())),
        }
    }
    summary
}

/// One configured SSO session (or legacy start URL) as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSessionStatus {
    /// `sso-session NAME` or the legacy profile's name.
    pub name: String,
    pub legacy: bool,
    pub start_url: String,
    pub region: String,
    /// Token expiry, when a token is cached.
    pub token_expires_at: Option<OffsetDateTime>,
    /// The token can be refreshed (refresh token and a registration that has not expired).
    pub refreshable: bool,
    pub registration_expires_at: Option<OffsetDateTime>,
    /// Why the cached file cannot be used, when it cannot.
    pub problem: Option<String>,
}

/// Every `[sso-session]` and every legacy SSO profile of the config, in file order.
pub fn sso_session_statuses(ctx: &SsoContext) -> Vec<SsoSessionStatus> {
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    let mut targets = Vec::new();
    for id in ctx.config.file.section_ids() {
        match id {
            login_core::SectionId::SsoSession(name) => {
                if let Ok(t) = ctx.target_for_session(&name) {
                    targets.push((name, false, t));
                }
            }
            login_core::SectionId::Profile(name) => {
                if let Ok(t @ SsoLoginTarget::Legacy { .. }) = ctx.target_for_profile(&name) {
                    if !targets.iter().any(|(_, _, x)| x == &t) {
                        targets.push((name, true, t));
                    }
                }
            }
            _ => {}
        }
    }
    for (name, legacy, target) in targets {
        let mut status = SsoSessionStatus {
            name,
            legacy,
            start_url: target.start_url().to_owned(),
            region: target.region().to_owned(),
            token_expires_at: None,
            refreshable: false,
            registration_expires_at: None,
            problem: None,
        };
        match ctx.token_store.read(&ctx.token_path(&target)) {
            Ok(CacheRead::Found(bytes)) => match SsoToken::from_json(&bytes) {
                Ok(t) => {
                    status.token_expires_at = Some(t.expires_at);
                    status.refreshable = t.unrefreshable(now).is_none();
                    status.registration_expires_at = t.registration_expires_at;
                }
                Err(e) => status.problem = Some(e.to_string()),
            },
            Ok(CacheRead::Missing) => {}
            Err(e) => status.problem = Some(e.to_string()),
        }
        out.push(status);
    }
    out
}
