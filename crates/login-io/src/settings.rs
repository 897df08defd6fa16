//! Settings discovery with the AWS conventions: which profile, which config file, which cache
//! directory, region, endpoint override, CA bundle and proxies. Explicit options win over the
//! environment, which wins over the profile.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::paths::expand_path;

/// A snapshot of the environment variables settings discovery reads. Tests and bindings can
/// build one from pairs; the CLI takes the process environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
}

impl Environment {
    /// The current process environment (variables that are not valid UTF-8 are skipped).
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v): (OsString, OsString)| {
                Some((k.into_string().ok()?, v.into_string().ok()?))
            })
            .collect();
        Environment { vars }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The variable's value; on Windows names are case-insensitive.
    pub fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        if cfg!(windows) {
            return self
                .vars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone());
        }
        None
    }

    /// The variable's value when set and not empty (how the SDKs treat most AWS_* variables).
    pub fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set and not empty, with the name it came from.
    pub fn first_of(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names
            .iter()
            .find_map(|n| self.non_empty(n).map(|v| (*n, v)))
    }

    pub fn home_dir(&self) -> Option<PathBuf> {
        if let Some(home) = self.non_empty("HOME") {
            return Some(PathBuf::from(home));
        }
        if cfg!(windows) {
            if let Some(profile) = self.non_empty("USERPROFILE") {
                return Some(PathBuf::from(profile));
            }
            if let (Some(drive), Some(path)) =
                (self.non_empty("HOMEDRIVE"), self.non_empty("HOMEPATH"))
            {
                return Some(PathBuf::from(format!("{drive}{path}")));
            }
        }
        None
    }
}

/// Where a setting came from, so messages and `--debug` can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Option,
    Env(&'static str),
    Profile,
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Option => f.write_str("command-line option"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Profile => f.write_str("profile"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// Proxy settings from `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy` and
/// `NO_PROXY`/`no_proxy`. Loopback hosts never go through a proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<String>,
    pub http: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    pub fn from_env(env: &Environment) -> Self {
        // curl and the SDKs accept `host:port`; reqwest wants a URL.
        let with_scheme = |(_, v): (&str, String)| {
            if v.contains("://") {
                v
            } else {
                format!("http://{v}")
            }
        };
        ProxySettings {
            https: env
                .first_of(&["HTTPS_PROXY", "https_proxy"])
                .map(with_scheme),
            http: env.first_of(&["HTTP_PROXY", "http_proxy"]).map(with_scheme),
            no_proxy: env.first_of(&["NO_PROXY", "no_proxy"]).map(|(_, v)| v),
        }
    }

    /// The proxy a request to `url` goes through, if any (as configured; may hold a password,
    /// so show it with [`redact_url_userinfo`]).
    pub fn proxy_for(&self, url: &url::Url) -> Option<&str> {
        let host = url.host_str()?;
        if is_loopback_host(host) || self.bypasses(host) {
            return None;
        }
        match url.scheme() {
            "https" => self.https.as_deref(),
            "http" => self.http.as_deref(),
            _ => None,
        }
    }

    /// `NO_PROXY` matching as curl and the SDKs do it: `*`, exact hosts, and domain suffixes
    /// (`.example.com` or `example.com` both match `a.example.com`). Ports are ignored.
    fn bypasses(&self, host: &str) -> bool {
        let Some(list) = &self.no_proxy else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        list.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .any(|entry| {
                if entry == "*" {
                    return true;
                }
                let entry = entry.to_ascii_lowercase();
                let entry = entry
                    .rsplit_once(':')
                    .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(entry.as_str(), |(h, _)| h);
                let entry = entry.trim_start_matches("*.").trim_start_matches('.');
                host == entry || host.ends_with(&format!(".{entry}"))
            })
    }

    /// The `NO_PROXY` list handed to the HTTP client: the user's plus loopback.
    pub fn no_proxy_with_loopback(&self) -> String {
        let mut list = String::from("localhost,127.0.0.1,::1");
        if let Some(user) = &self.no_proxy {
            list.push(',');
            list.push_str(user);
        }
        list
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Removes `user:password@` from a URL for display.
pub fn redact_url_userinfo(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("redacted");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("[redacted]@{host}"),
            None => raw.to_string(),
        },
    }
}

/// Everything discovered from explicit options and the environment, before the config file is
/// read. The profile's own values (`region`, `endpoint_url`, `ca_bundle`, …) are layered on top
/// by the resolver.
#[derive(Debug, Clone)]
pub struct EnvSettings {
    pub profile: String,
    pub profile_source: Source,
    pub config_file: PathBuf,
    pub cache_dir: PathBuf,
    /// `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`; the profile's `region` comes later.
    pub region: Option<(String, Source)>,
    /// `AWS_ENDPOINT_URL_SIGNIN`, then `AWS_ENDPOINT_URL` (or an explicit option).
    pub endpoint_url: Option<(String, Source)>,
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`: ignore every configured endpoint.
    pub ignore_configured_endpoint_urls: bool,
    /// `AWS_CA_BUNDLE` (or an explicit option); the profile's `ca_bundle` comes later.
    pub ca_bundle: Option<(PathBuf, Source)>,
    pub proxy: ProxySettings,
}

/// Explicit choices that win over the environment (`None` = discover).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<String>,
    pub config_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub ca_bundle: Option<PathBuf>,
}

impl EnvSettings {
    pub fn discover(overrides: &Overrides, env: &Environment) -> Result<Self, String> {
        let (profile, profile_source) = match &overrides.profile {
            Some(p) if !p.is_empty() => (p.clone(), Source::Option),
            _ => match env.first_of(&["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]) {
                Some((name, p)) => (p, Source::Env(name)),
                None => ("default".to_string(), Source::Default),
            },
        };

        let home = env.home_dir();
        let config_file = match &overrides.config_file {
            Some(p) => p.clone(),
            None => match env.non_empty("AWS_CONFIG_FILE") {
                Some(p) => expand_path(&p, env),
                None => match &home {
                    Some(h) => h.join(".aws").join("config"),
                    None => return Err(no_home("the AWS config file", "AWS_CONFIG_FILE")),
                },
            },
        };

        let cache_dir = match &overrides.cache_dir {
            Some(p) => p.clone(),
            // botocore honours the variable even when empty; an empty path would mean the
            // current directory, which is never what anyone wants for secrets.
            None => match env.non_empty("AWS_LOGIN_CACHE_DIRECTORY") {
                Some(p) => expand_path(&p, env),
                None => match &home {
                    Some(h) => h.join(".aws").join("login").join("cache"),
                    None => return Err(no_home("the login cache", "AWS_LOGIN_CACHE_DIRECTORY")),
                },
            },
        };

        let region = match &overrides.region {
            Some(r) if !r.is_empty() => Some((r.clone(), Source::Option)),
            _ => env
                .first_of(&["AWS_REGION", "AWS_DEFAULT_REGION"])
                .map(|(n, v)| (v, Source::Env(n))),
        };

        let ignore_configured_endpoint_urls = env
            .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let endpoint_url = match &overrides.endpoint_url {
            Some(u) if !u.is_empty() => Some((u.clone(), Source::Option)),
            _ if ignore_configured_endpoint_urls => None,
            _ => env
                .first_of(&["AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"])
                .map(|(n, v)| (v, Source::Env(n))),
        };

        let ca_bundle = match &overrides.ca_bundle {
            Some(p) => Some((p.clone(), Source::Option)),
            None => env
                .non_empty("AWS_CA_BUNDLE")
                .map(|p| (expand_path(&p, env), Source::Env("AWS_CA_BUNDLE"))),
        };

        Ok(EnvSettings {
            profile,
            profile_source,
            config_file,
            cache_dir,
            region,
            endpoint_url,
            ignore_configured_endpoint_urls,
            ca_bundle,
            proxy: ProxySettings::from_env(env),
        })
    }
}

fn no_home(what: &str, var: &str) -> String {
    format!("cannot find {what}: the home directory is unknown (HOME is not set); set {var} to its path")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover(pairs: &[(&str, &str)]) -> EnvSettings {
        EnvSettings::discover(
            &Overrides::default(),
            &Environment::from_pairs(pairs.iter().copied()),
        )
        .unwrap()
    }

    #[test]
    fn profile_precedence() {
        assert_eq!(discover(&[("HOME", "/h")]).profile, "default");
        let s = discover(&[("HOME", "/h"), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(
            (s.profile.as_str(), s.profile_source),
            ("b", Source::Env("AWS_DEFAULT_PROFILE"))
        );
        assert_eq!(
            discover(&[
                ("HOME", "/h"),
                ("AWS_DEFAULT_PROFILE", "b"),
                ("AWS_PROFILE", "a")
            ])
            .profile,
            "a"
        );
        let env = Environment::from_pairs([("HOME", "/h"), ("AWS_PROFILE", "a")]);
        let o = Overrides {
            profile: Some("cli".into()),
            ..Default::default()
        };
        assert_eq!(EnvSettings::discover(&o, &env).unwrap().profile, "cli");
    }

    #[test]
    fn files_and_dirs() {
        let s = discover(&[("HOME", "/h")]);
        assert_eq!(s.config_file, PathBuf::from("/h/.aws/config"));
        assert_eq!(s.cache_dir, PathBuf::from("/h/.aws/login/cache"));
        let s = discover(&[
            ("HOME", "/h"),
            ("AWS_CONFIG_FILE", "~/cfg"),
            ("AWS_LOGIN_CACHE_DIRECTORY", "$T/c"),
            ("T", "/tmp"),
        ]);
        assert_eq!(s.config_file, PathBuf::from("/h/cfg"));
        assert_eq!(s.cache_dir, PathBuf::from("/tmp/c"));
        assert!(EnvSettings::discover(&Overrides::default(), &Environment::default()).is_err());
    }

    #[test]
    fn region_and_endpoint() {
        let s = discover(&[("HOME", "/h"), ("AWS_DEFAULT_REGION", "eu-west-1")]);
        assert_eq!(
            s.region,
            Some(("eu-west-1".into(), Source::Env("AWS_DEFAULT_REGION")))
        );
        let s = discover(&[
            ("HOME", "/h"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_REGION", "us-west-2"),
        ]);
        assert_eq!(s.region.unwrap().0, "us-west-2");
        let s = discover(&[
            ("HOME", "/h"),
            ("AWS_ENDPOINT_URL", "http://a"),
            ("AWS_ENDPOINT_URL_SIGNIN", "http://b"),
        ]);
        assert_eq!(s.endpoint_url.unwrap().0, "http://b");
        let s = discover(&[("HOME", "/h"), ("AWS_ENDPOINT_URL", "http://a")]);
        assert_eq!(s.endpoint_url.unwrap().0, "http://a");
        let s = discover(&[
            ("HOME", "/h"),
            ("AWS_ENDPOINT_URL", "http://a"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ]);
        assert!(s.endpoint_url.is_none() && s.ignore_configured_endpoint_urls);
    }

    #[test]
    fn proxies() {
        let env = Environment::from_pairs([
            ("HTTPS_PROXY", "http://user:pw@proxy:3128"),
            ("NO_PROXY", ".corp.example,internal:8443"),
        ]);
        let p = ProxySettings::from_env(&env);
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            p.proxy_for(&u("https://us-east-1.signin.aws.amazon.com/v1/token")),
            Some("http://user:pw@proxy:3128")
        );
        assert_eq!(p.proxy_for(&u("https://a.corp.example/x")), None);
        assert_eq!(p.proxy_for(&u("https://internal/x")), None);
        assert_eq!(p.proxy_for(&u("http://127.0.0.1:9/x")), None);
        assert_eq!(
            p.proxy_for(&u("http://example.com/x")),
            None,
            "no HTTP_PROXY set"
        );
        assert_eq!(
            redact_url_userinfo("http://user:pw@proxy:3128"),
            "http://redacted@proxy:3128/"
        );
        let bare = ProxySettings::from_env(&Environment::from_pairs([(
            "https_proxy",
            "proxy.corp:3128",
        )]));
        assert_eq!(bare.https.as_deref(), Some("http://proxy.corp:3128"));
        assert!(!redact_url_userinfo("http://user:pw@proxy:3128").contains("pw"));
    }
}
