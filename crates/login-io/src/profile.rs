//! A login profile made concrete: settings discovered, the config file read, the session and
//! its cache file located, the Sign-In endpoint and HTTP settings chosen.

use std::path::{Path, PathBuf};
use std::time::Duration;

use login_core::{cache_file_name, ConfigFile, Endpoint, EndpointConfig};

use crate::cache_store::CacheStore;
use crate::error::LoginIoError;
use crate::http::{HttpPolicy, HttpSettings};
use crate::paths::expand_path;
use crate::settings::{EnvSettings, Environment, Overrides, Source};

/// What to resolve and how. `None` fields are discovered from the environment and the config
/// file exactly as the CLI does (`AWS_PROFILE`, `AWS_CONFIG_FILE`, `AWS_LOGIN_CACHE_DIRECTORY`,
/// `AWS_REGION`, `AWS_ENDPOINT_URL_SIGNIN`, `AWS_CA_BUNDLE`, `HTTPS_PROXY`, …).
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    pub profile: Option<String>,
    pub config_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub region: Option<String>,
    /// Replaces every configured Sign-In endpoint (like `--endpoint-url`).
    pub endpoint_url: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    /// The environment to discover from; `None` reads the process environment at call time.
    /// Bindings whose host may change the environment from other threads pass a snapshot.
    pub env: Option<Environment>,
    pub http: HttpPolicy,
    /// How long to wait for another process that is refreshing the same session.
    pub lock_timeout: Duration,
    /// Refresh even when the cached credentials have more than five minutes left (for a role
    /// profile: assume the role again even when its cached credentials are fresh).
    pub force_refresh: bool,
    /// How long a cache file that looks torn (empty or cut short: another tool is rewriting it
    /// in place) is re-read before it counts as broken; once before and once after taking the
    /// session lock. See [`CacheStore::read_settled`].
    pub torn_read_wait: Duration,
    /// The shared credentials file (default: `AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/credentials`).
    pub credentials_file: Option<PathBuf>,
    /// The role credential cache shared with AWS CLI v2 (default: `~/.aws/cli/cache`).
    pub role_cache_dir: Option<PathBuf>,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            profile: None,
            config_file: None,
            cache_dir: None,
            region: None,
            endpoint_url: None,
            ca_bundle: None,
            env: None,
            http: HttpPolicy::default(),
            // Longer than a refresh can take (3 attempts of 20 s plus backoff).
            lock_timeout: Duration::from_secs(90),
            force_refresh: false,
            torn_read_wait: crate::cache_store::TORN_READ_WAIT,
            credentials_file: None,
            role_cache_dir: None,
        }
    }
}

impl ResolveOptions {
    pub fn for_profile(profile: impl Into<String>) -> Self {
        ResolveOptions {
            profile: Some(profile.into()),
            ..Default::default()
        }
    }

    pub(crate) fn env_settings(&self) -> Result<(EnvSettings, Environment), LoginIoError> {
        let env = self.env.clone().unwrap_or_else(Environment::from_process);
        let overrides = Overrides {
            profile: self.profile.clone(),
            config_file: self.config_file.clone(),
            cache_dir: self.cache_dir.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            ca_bundle: self.ca_bundle.clone(),
        };
        let settings = EnvSettings::discover(&overrides, &env).map_err(LoginIoError::config)?;
        Ok((settings, env))
    }
}

/// The shared config file as read from disk (a missing file reads as empty, like botocore).
#[derive(Debug)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub file: ConfigFile,
    pub exists: bool,
}

pub fn load_config(path: &Path) -> Result<LoadedConfig, LoginIoError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| {
                LoginIoError::config(format!(
                    "The AWS config file {} is not valid UTF-8 text.",
                    path.display()
                ))
            })?;
            Ok(LoadedConfig {
                path: path.to_path_buf(),
                file: ConfigFile::parse(&text),
                exists: true,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LoadedConfig {
            path: path.to_path_buf(),
            file: ConfigFile::parse(""),
            exists: false,
        }),
        Err(e) => Err(LoginIoError::config(format!(
            "Cannot read the AWS config file {}: {e}.",
            path.display()
        ))),
    }
}

/// A profile that has a `login_session`, with everything needed to use or refresh it.
#[derive(Debug, Clone)]
pub struct LoginProfileContext {
    pub profile: String,
    pub profile_source: Source,
    pub config_file: PathBuf,
    pub login_session: String,
    pub store: CacheStore,
    pub cache_path: PathBuf,
    /// `--region`/env first, then the profile's `region`. The cache's `signInRegion` wins for
    /// refreshes, as it does for botocore and the JS SDK.
    pub region: Option<String>,
    /// The chosen endpoint override and where it came from.
    pub endpoint_override: Option<(String, String)>,
    pub use_fips: bool,
    pub use_dual_stack: bool,
    pub http: HttpSettings,
    pub lock_timeout: Duration,
}

impl LoginProfileContext {
    pub fn load(options: &ResolveOptions) -> Result<Self, LoginIoError> {
        let (settings, env) = options.env_settings()?;
        let config = load_config(&settings.config_file)?;
        Self::from_parts(options, &settings, &env, &config)
    }

    pub(crate) fn from_parts(
        options: &ResolveOptions,
        settings: &EnvSettings,
        env: &Environment,
        config: &LoadedConfig,
    ) -> Result<Self, LoginIoError> {
        let profile = settings.profile.clone();
        let Some(view) = config.file.profile(&profile) else {
            return Err(LoginIoError::ProfileNotFound {
                profile,
                config_file: config.path.clone(),
            });
        };
        let login_session = match view.get("login_session").map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                return Err(LoginIoError::NoLoginSession {
                    profile,
                    config_file: config.path.clone(),
                })
            }
        };
        let store =
            CacheStore::new(settings.cache_dir.clone()).with_torn_read_wait(options.torn_read_wait);
        let cache_path = store.path_of(&cache_file_name(&login_session));

        let region = settings
            .region
            .as_ref()
            .map(|(r, _)| r.clone())
            .or_else(|| {
                view.get("region")
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
            });

        let ignore_endpoints = settings.ignore_configured_endpoint_urls
            || view
                .get("ignore_configured_endpoint_urls")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let endpoint_override = match &settings.endpoint_url {
            Some((url, source)) => Some((url.clone(), source.to_string())),
            None if ignore_endpoints => None,
            None => {
                if let Some(name) = view.get("services").filter(|n| !n.is_empty()) {
                    if config.file.services(name).is_none() {
                        return Err(LoginIoError::config(format!(
                            "Profile '{profile}' uses the services section '{name}', but {} has no [services {name}] section.",
                            config.path.display()
                        )));
                    }
                }
                config.file.signin_endpoint_url(&profile).map(|u| {
                    (
                        u,
                        format!("profile '{profile}' in {}", config.path.display()),
                    )
                })
            }
        };

        let flag = |env_name: &str, key: &str| {
            env.non_empty(env_name)
                .or_else(|| view.get(key).map(str::to_string))
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let use_fips = flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
        let use_dual_stack = flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint");

        let ca_bundle = settings
            .ca_bundle
            .as_ref()
            .map(|(p, _)| p.clone())
            .or_else(|| {
                view.get("ca_bundle")
                    .filter(|p| !p.is_empty())
                    .map(|p| expand_path(p, env))
            });

        Ok(LoginProfileContext {
            profile,
            profile_source: settings.profile_source,
            config_file: config.path.clone(),
            login_session,
            store,
            cache_path,
            region,
            endpoint_override,
            use_fips,
            use_dual_stack,
            http: HttpSettings {
                policy: options.http.clone(),
                ca_bundle,
                proxy: settings.proxy.clone(),
            },
            lock_timeout: options.lock_timeout,
        })
    }

    /// The Sign-In endpoint for a refresh of this session: an override wins; else the cache
    /// entry's `signInRegion`, then the configured region.
    pub fn endpoint(&self, sign_in_region: Option<&str>) -> Result<Endpoint, LoginIoError> {
        if let Some((url, source)) = &self.endpoint_override {
            return Endpoint::from_override(url).map_err(|e| {
                LoginIoError::config(format!(
                    "The Sign-In endpoint from {source} is unusable: {e}."
                ))
            });
        }
        let Some(region) = sign_in_region
            .map(str::to_string)
            .or_else(|| self.region.clone())
        else {
            return Err(LoginIoError::config(format!(
                "No region is configured for profile '{}', so the Sign-In endpoint to refresh its session is unknown. Set `region` in the profile, pass --region, or set AWS_REGION.",
                self.profile
            )));
        };
        let config = EndpointConfig {
            region,
            use_fips: self.use_fips,
            use_dual_stack: self.use_dual_stack,
            override_url: None,
        };
        Endpoint::resolve(&config)
            .map_err(|e| LoginIoError::config(format!("Profile '{}': {e}.", self.profile)))
    }
}

/// A profile of the config file that has a `login_session`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    pub name: String,
    pub session_arn: String,
    /// The account field of the session ARN.
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// Every profile with a `login_session`, in file order (`[default]` is named `default`).
pub fn login_profiles(options: &ResolveOptions) -> Result<Vec<LoginProfile>, LoginIoError> {
    let (settings, _) = options.env_settings()?;
    let config = load_config(&settings.config_file)?;
    Ok(login_profiles_in(&config.file))
}

pub(crate) fn login_profiles_in(file: &ConfigFile) -> Vec<LoginProfile> {
    file.profile_names()
        .into_iter()
        .filter_map(|name| {
            let view = file.profile(&name)?;
            let session = view
                .get("login_session")
                .map(str::trim)
                .filter(|s| !s.is_empty())?
                .to_string();
            Some(LoginProfile {
                account_id: account_of_arn(&session),
                region: view
                    .get("region")
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                session_arn: session,
                name,
            })
        })
        .collect()
}

/// The account field (5th) of an ARN, when it is 12 digits.
pub fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(
        config: &str,
        env: &[(&str, &str)],
        options: ResolveOptions,
    ) -> Result<LoginProfileContext, LoginIoError> {
        let env = Environment::from_pairs(env.iter().copied().chain([("HOME", "/home/u")]));
        let options = ResolveOptions {
            env: Some(env.clone()),
            ..options
        };
        let (settings, env) = options.env_settings()?;
        let loaded = LoadedConfig {
            path: "/home/u/.aws/config".into(),
            file: ConfigFile::parse(config),
            exists: true,
        };
        LoginProfileContext::from_parts(&options, &settings, &env, &loaded)
    }

    const CONFIG: &str = "[default]\nregion = us-west-2\nlogin_session = arn:aws:iam::123456789012:user/alice\n\n[profile plain]\nregion = eu-west-1\n\n[profile svc]\nlogin_session = arn:aws:sts::012345678910:assumed-role/Admin/admin\nservices = local\nendpoint_url = http://global.invalid\n\n[services local]\nsignin =\n  endpoint_url = http://127.0.0.1:9999\n";

    #[test]
    fn resolves_a_login_profile() {
        let c = context(CONFIG, &[], ResolveOptions::default()).unwrap();
        assert_eq!(c.profile, "default");
        assert_eq!(c.login_session, "arn:aws:iam::123456789012:user/alice");
        assert_eq!(c.region.as_deref(), Some("us-west-2"));
        assert!(c.cache_path.starts_with("/home/u/.aws/login/cache"));
        assert_eq!(
            c.endpoint(None).unwrap().token_url(),
            "https://us-west-2.signin.aws.amazon.com/v1/token"
        );
        assert_eq!(
            c.endpoint(Some("eu-central-1")).unwrap().token_url(),
            "https://eu-central-1.signin.aws.amazon.com/v1/token"
        );
    }

    #[test]
    fn errors_for_missing_and_non_login_profiles() {
        let e = context(
            CONFIG,
            &[("AWS_PROFILE", "nope")],
            ResolveOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, LoginIoError::ProfileNotFound { .. }), "{e}");
        let e = context(CONFIG, &[], ResolveOptions::for_profile("plain")).unwrap_err();
        assert!(matches!(e, LoginIoError::NoLoginSession { .. }), "{e}");
        assert!(e.to_string().contains("aws-login login --profile plain"));
    }

    #[test]
    fn endpoint_precedence() {
        let c = context(CONFIG, &[], ResolveOptions::for_profile("svc")).unwrap();
        assert_eq!(
            c.endpoint(None).unwrap().token_url(),
            "http://127.0.0.1:9999/v1/token"
        );
        let c = context(
            CONFIG,
            &[("AWS_ENDPOINT_URL", "http://env.invalid:1")],
            ResolveOptions::for_profile("svc"),
        )
        .unwrap();
        assert_eq!(
            c.endpoint(None).unwrap().token_url(),
            "http://env.invalid:1/v1/token"
        );
        let c = context(
            CONFIG,
            &[
                ("AWS_ENDPOINT_URL", "http://e:1"),
                ("AWS_ENDPOINT_URL_SIGNIN", "http://s:2/"),
            ],
            ResolveOptions::for_profile("svc"),
        )
        .unwrap();
        assert_eq!(c.endpoint(None).unwrap().token_url(), "http://s:2/v1/token");
        let c = context(
            CONFIG,
            &[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ("AWS_ENDPOINT_URL", "http://e:1"),
            ],
            ResolveOptions::for_profile("svc"),
        )
        .unwrap();
        assert!(c.endpoint_override.is_none());
        let e = c.endpoint(None).unwrap_err();
        assert!(e.to_string().contains("No region"), "{e}");
        let c = context(
            CONFIG,
            &[("AWS_REGION", "ap-south-1")],
            ResolveOptions::for_profile("svc"),
        )
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("ap-south-1"));
        let broken =
            "[profile b]\nlogin_session = arn:aws:iam::123456789012:user/b\nservices = missing\n";
        let e = context(broken, &[], ResolveOptions::for_profile("b")).unwrap_err();
        assert!(e.to_string().contains("[services missing]"), "{e}");
    }

    #[test]
    fn lists_login_profiles_in_file_order() {
        let profiles = login_profiles_in(&ConfigFile::parse(CONFIG));
        let names: Vec<_> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "svc"]);
        assert_eq!(profiles[0].account_id.as_deref(), Some("123456789012"));
        assert_eq!(profiles[1].account_id.as_deref(), Some("012345678910"));
        assert_eq!(account_of_arn("arn:aws:iam::12:user/x"), None);
    }
}
