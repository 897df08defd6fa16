//! Looking at and removing cached sessions: `status` and `logout`. Nothing here refreshes, and
//! nothing returned holds a secret.

use std::path::PathBuf;

use login_core::cache::REFRESH_WINDOW_SECONDS;
use login_core::{is_login_cache_entry, CacheEntry};
use time::OffsetDateTime;

use crate::cache_store::{CacheStore, SettledRead};
use crate::error::LoginIoError;
use crate::profile::{
    account_of_arn, load_config, login_profiles_in, LoginProfileContext, ResolveOptions,
};
use crate::resolve::block_on;

/// No login session lives longer than this (12 hours for IAM users, at most 12 h for roles).
const MAX_SESSION_SECONDS: i64 = 12 * 3600;

/// How a profile's cached session looks right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionHealth {
    /// Credentials valid for more than five minutes.
    Active {
        expires_at: OffsetDateTime,
        seconds_left: i64,
    },
    /// Five minutes or less left: the next use refreshes.
    RefreshDue {
        expires_at: OffsetDateTime,
        seconds_left: i64,
    },
    /// The credentials expired; the next use refreshes if the session is still alive.
    CredentialsExpired {
        expires_at: OffsetDateTime,
        seconds_left: i64,
    },
    /// The credentials need a refresh, but the login is more than 12 hours old: no session
    /// lives that long, so only a new login helps.
    SessionEnded {
        expires_at: OffsetDateTime,
        signed_in_at: OffsetDateTime,
    },
    /// The profile names a session, but no cache file exists (logged out, or never logged in here).
    NoCache,
    /// The cache file cannot be used.
    Unusable { detail: String },
}

impl SessionHealth {
    /// A stable name for `--json`: `active`, `refresh-due`, `credentials-expired`, `no-cache`, `unusable`.
    pub fn name(&self) -> &'static str {
        match self {
            SessionHealth::Active { .. } => "active",
            SessionHealth::RefreshDue { .. } => "refresh-due",
            SessionHealth::CredentialsExpired { .. } => "credentials-expired",
            SessionHealth::SessionEnded { .. } => "session-ended",
            SessionHealth::NoCache => "no-cache",
            SessionHealth::Unusable { .. } => "unusable",
        }
    }

    /// True when the next use can deliver credentials without a new browser login (as far as
    /// the cache can tell: the service may still say the session ended).
    pub fn usable(&self) -> bool {
        matches!(
            self,
            SessionHealth::Active { .. }
                | SessionHealth::RefreshDue { .. }
                | SessionHealth::CredentialsExpired { .. }
        )
    }
}

/// One login profile's session, without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    pub profile: String,
    pub login_session: String,
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// `signInRegion` from the cache, when set.
    pub sign_in_region: Option<String>,
    pub access_key_id: Option<String>,
    /// When the user signed in (from the cached id token), if known.
    pub signed_in_at: Option<OffsetDateTime>,
    pub cache_file: PathBuf,
    pub health: SessionHealth,
}

/// The selected profile's session (`ProfileNotFound` / `NoLoginSession` when it is not a login profile).
pub fn session_status(options: &ResolveOptions) -> Result<SessionStatus, LoginIoError> {
    let context = LoginProfileContext::load(options)?;
    Ok(status_of(&context, OffsetDateTime::now_utc()))
}

/// Every login profile of the config file, in file order.
pub fn all_session_statuses(options: &ResolveOptions) -> Result<Vec<SessionStatus>, LoginIoError> {
    let (settings, env) = options.env_settings()?;
    let config = load_config(&settings.config_file)?;
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for profile in login_profiles_in(&config.file) {
        let mut settings = settings.clone();
        settings.profile = profile.name.clone();
        let context = LoginProfileContext::from_parts(options, &settings, &env, &config)?;
        out.push(status_of(&context, now));
    }
    Ok(out)
}

fn status_of(context: &LoginProfileContext, now: OffsetDateTime) -> SessionStatus {
    let mut status = SessionStatus {
        profile: context.profile.clone(),
        login_session: context.login_session.clone(),
        account_id: account_of_arn(&context.login_session),
        region: context.region.clone(),
        sign_in_region: None,
        access_key_id: None,
        signed_in_at: None,
        cache_file: context.cache_path.clone(),
        health: SessionHealth::NoCache,
    };
    let read = block_on(
        context
            .store
            .read_untorn(&context.cache_path, context.lock_timeout),
    );
    let bytes = match read {
        Ok(SettledRead::Whole(b)) => b,
        Ok(SettledRead::Missing) => return status,
        Ok(SettledRead::Torn(torn)) => {
            status.health = SessionHealth::Unusable {
                detail: torn.describe(),
            };
            return status;
        }
        Err(e) => {
            status.health = SessionHealth::Unusable {
                detail: format!("it cannot be read: {e}"),
            };
            return status;
        }
    };
    let entry = match CacheEntry::from_json(&bytes) {
        Ok(entry) => entry,
        Err(e) => {
            status.health = SessionHealth::Unusable {
                detail: crate::resolve::cache_problem(&e),
            };
            return status;
        }
    };
    if let Some(account) = &entry.access_token.account_id {
        status.account_id = Some(account.clone());
    }
    status.sign_in_region = entry.sign_in_region.clone();
    status.access_key_id = Some(entry.access_token.access_key_id.clone());
    status.signed_in_at = entry.signed_in_at();
    let expires_at = entry.access_token.expires_at;
    let seconds_left = entry.seconds_left(now);
    let login_age = status.signed_in_at.map(|at| (now - at).whole_seconds());
    status.health = if seconds_left <= REFRESH_WINDOW_SECONDS
        && login_age.is_some_and(|age| age > MAX_SESSION_SECONDS)
    {
        SessionHealth::SessionEnded {
            expires_at,
            signed_in_at: status.signed_in_at.unwrap_or(expires_at),
        }
    } else if seconds_left <= 0 {
        SessionHealth::CredentialsExpired {
            expires_at,
            seconds_left,
        }
    } else if seconds_left <= REFRESH_WINDOW_SECONDS {
        SessionHealth::RefreshDue {
            expires_at,
            seconds_left,
        }
    } else {
        SessionHealth::Active {
            expires_at,
            seconds_left,
        }
    };
    status
}

/// What `logout` did for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    Removed {
        profile: String,
        session: String,
        path: PathBuf,
    },
    /// The profile is a login profile, but there was no cache file to remove.
    NothingCached {
        profile: String,
        session: String,
        path: PathBuf,
    },
}

/// Removes the selected profile's cached session (under its lock, so a refresh in flight cannot
/// write it back). The profile keeps its `login_session`.
pub fn logout(options: &ResolveOptions) -> Result<LogoutOutcome, LoginIoError> {
    let context = LoginProfileContext::load(options)?;
    let removed = block_on(remove_locked(
        &context.store,
        context.cache_path.clone(),
        context.lock_timeout,
    ))?;
    let (profile, session, path) = (context.profile, context.login_session, context.cache_path);
    Ok(if removed {
        LogoutOutcome::Removed {
            profile,
            session,
            path,
        }
    } else {
        LogoutOutcome::NothingCached {
            profile,
            session,
            path,
        }
    })
}

/// What `logout --all` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutAll {
    pub removed: usize,
    pub cache_dir: PathBuf,
    /// Login cache files that could not be removed, with the reason.
    pub failed: Vec<(PathBuf, String)>,
}

/// Removes every login cache file in the cache directory: `*.json` files whose JSON has an
/// `accessToken` object with `accessKeyId`. Other files are left alone.
pub fn logout_all(options: &ResolveOptions) -> Result<LogoutAll, LoginIoError> {
    let (settings, _) = options.env_settings()?;
    let store =
        CacheStore::new(settings.cache_dir.clone()).with_torn_read_wait(options.torn_read_wait);
    let files = store.json_files().map_err(|e| {
        LoginIoError::config(format!(
            "Cannot list the login cache directory {}: {e}.",
            settings.cache_dir.display()
        ))
    })?;
    let mut result = LogoutAll {
        removed: 0,
        cache_dir: settings.cache_dir.clone(),
        failed: Vec::new(),
    };
    for path in files {
        // A peer rewriting a session file in place must not make it look like someone else's.
        let read = block_on(store.read_untorn(&path, options.lock_timeout));
        let is_login =
            matches!(read, Ok(SettledRead::Whole(bytes)) if is_login_cache_entry(&bytes));
        if !is_login {
            continue;
        }
        match block_on(remove_locked(&store, path.clone(), options.lock_timeout)) {
            Ok(true) => result.removed += 1,
            Ok(false) => {}
            Err(e) => result.failed.push((path, e.to_string())),
        }
    }
    Ok(result)
}

async fn remove_locked(
    store: &CacheStore,
    path: PathBuf,
    timeout: std::time::Duration,
) -> Result<bool, LoginIoError> {
    if !path.exists() {
        // Nothing to remove, and no reason to create the cache directory for a lock file.
        return Ok(false);
    }
    let _lock = store
        .lock(&path, timeout)
        .await
        .map_err(|e| LoginIoError::CacheWrite {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    store.remove(&path).map_err(|e| LoginIoError::CacheWrite {
        path: path.clone(),
        detail: e.to_string(),
    })
}
