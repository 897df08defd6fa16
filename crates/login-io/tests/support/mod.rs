//! Test sandbox shared by login-io's and login-cli's integration tests: a throw-away HOME with a
//! config file and a cache directory, a real signin-mock on loopback, and real login sessions
//! made through the mock's authorize + token endpoints (auto-approved, no browser).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use login_core::{Endpoint, LoginFlow, LoginMode, OffsetDateTime};
use login_io::{Environment, ResolveOptions};
use signin_mock::{BlockingMock, MockConfig};

pub const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";

/// A login session created in the sandbox.
#[derive(Debug, Clone)]
pub struct Session {
    pub profile: String,
    pub arn: String,
    pub cache_file: PathBuf,
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub config_file: PathBuf,
    pub cache_dir: PathBuf,
    pub mock: BlockingMock,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::with_mock(MockConfig::default())
    }

    pub fn with_mock(config: MockConfig) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let config_file = home.join(".aws").join("config");
        let cache_dir = home.join(".aws").join("login").join("cache");
        std::fs::create_dir_all(config_file.parent().unwrap()).unwrap();
        std::fs::write(&config_file, "").unwrap();
        let mock = BlockingMock::start(config).expect("signin-mock starts");
        Sandbox {
            dir,
            home,
            config_file,
            cache_dir,
            mock,
        }
    }

    pub fn base_url(&self) -> String {
        self.mock.base_url().to_string()
    }

    /// The environment a user of this sandbox has: HOME, the endpoint overrides, and no proxy.
    pub fn env_pairs(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.home.display().to_string()),
            (
                "AWS_CONFIG_FILE".into(),
                self.config_file.display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                self.home.join(".aws/credentials").display().to_string(),
            ),
            (
                "AWS_LOGIN_CACHE_DIRECTORY".into(),
                self.cache_dir.display().to_string(),
            ),
            ("AWS_ENDPOINT_URL_SIGNIN".into(), self.base_url()),
            ("AWS_ENDPOINT_URL_STS".into(), self.base_url()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]
    }

    pub fn environment(&self) -> Environment {
        Environment::from_pairs(self.env_pairs())
    }

    pub fn options(&self, profile: &str) -> ResolveOptions {
        ResolveOptions {
            profile: Some(profile.into()),
            env: Some(self.environment()),
            ..Default::default()
        }
    }

    /// Options for profile `dev` that reach Sign-In at `endpoint` (a proxy or TLS front of the
    /// mock) with `extra` variables, and retry fast.
    pub fn options_via(&self, endpoint: String, extra: &[(&str, String)]) -> ResolveOptions {
        let mut pairs = self.env_pairs();
        pairs.retain(|(k, _)| k != "AWS_ENDPOINT_URL_SIGNIN");
        pairs.push(("AWS_ENDPOINT_URL_SIGNIN".into(), endpoint));
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let mut options = ResolveOptions {
            profile: Some("dev".into()),
            env: Some(Environment::from_pairs(pairs)),
            ..Default::default()
        };
        options.http.base_backoff = std::time::Duration::from_millis(5);
        options.http.max_backoff = std::time::Duration::from_millis(10);
        options
    }

    /// A command with a clean AWS environment: inherited AWS_* and proxy variables removed,
    /// the sandbox's set.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("AWS_") && !upper.starts_with("AWS_LOGIN_TEST")
                || upper.ends_with("_PROXY")
            {
                command.env_remove(key);
            }
        }
        command.envs(self.env_pairs());
        command
    }

    /// Logs `identity` in through the mock (auto-approve, real PKCE + DPoP token exchange) and
    /// writes the cache file and the profile, as `aws login` would.
    pub fn login(&self, profile: &str, identity: &str) -> Session {
        self.mock
            .set_auto_approve(Some(identity))
            .expect("known identity");
        let endpoint = Endpoint::from_override(&self.base_url()).unwrap();
        let flow = LoginFlow::start(
            login_core::login::LoginParams {
                endpoint,
                region: Some("us-east-1".into()),
                mode: LoginMode::SameDevice { redirect_port: 9 },
            },
            &mut rand::rngs::OsRng,
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let logged_in = runtime.block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap();
            let response = client
                .get(flow.authorize_url())
                .send()
                .await
                .expect("authorize");
            let location = response
                .headers()
                .get("location")
                .expect("auto-approve redirects")
                .to_str()
                .unwrap()
                .to_string();
            let query = location
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or("")
                .to_string();
            let exchange = flow.on_callback(&query).expect("callback parses");
            let request = exchange.request(
                OffsetDateTime::now_utc().unix_timestamp(),
                &uuid::Uuid::new_v4().to_string(),
            );
            let mut builder = client.post(&request.url).body(request.body.clone());
            for (k, v) in &request.headers {
                builder = builder.header(k, v);
            }
            let response = builder.send().await.expect("token");
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let body = response.bytes().await.unwrap().to_vec();
            exchange
                .on_response(
                    &login_core::HttpResponse::new(status, headers, body),
                    OffsetDateTime::now_utc(),
                )
                .expect("login succeeds")
        });
        self.mock.set_auto_approve(None).unwrap();
        let arn = logged_in.session.arn().to_string();
        std::fs::create_dir_all(&self.cache_dir).unwrap();
        let cache_file = self.cache_dir.join(logged_in.session.cache_file_name());
        std::fs::write(&cache_file, logged_in.entry.to_json()).unwrap();
        self.add_profile(profile, &[("region", "us-east-1"), ("login_session", &arn)]);
        Session {
            profile: profile.into(),
            arn,
            cache_file,
        }
    }

    /// Appends a profile section to the config file.
    pub fn add_profile(&self, profile: &str, keys: &[(&str, &str)]) {
        let header = if profile == "default" {
            "[default]".to_string()
        } else {
            format!("[profile {profile}]")
        };
        let mut text = std::fs::read_to_string(&self.config_file).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&header);
        text.push('\n');
        for (k, v) in keys {
            text.push_str(&format!("{k} = {v}\n"));
        }
        std::fs::write(&self.config_file, text).unwrap();
    }

    /// Rewrites the session's `expiresAt` to now + `seconds_left` (negative: already expired),
    /// keeping every other byte of meaning.
    pub fn set_seconds_left(&self, session: &Session, seconds_left: i64) {
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&session.cache_file).unwrap()).unwrap();
        let at = OffsetDateTime::now_utc() + time::Duration::seconds(seconds_left);
        json["accessToken"]["expiresAt"] = login_core::timefmt::format_expires_at(at).into();
        std::fs::write(&session.cache_file, serde_json::to_string(&json).unwrap()).unwrap();
    }

    pub fn refresh_calls(&self) -> u64 {
        self.mock.stats().token_calls("refresh_token")
    }

    pub fn read_cache(&self, session: &Session) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&session.cache_file).unwrap()).unwrap()
    }
}

pub fn cache_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
