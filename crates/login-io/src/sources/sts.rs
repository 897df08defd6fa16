//! AssumeRole over HTTP: the STS endpoint of the profile (regional, or an override), SigV4 from
//! the `aws-sigv4` crate, and the same client, proxies, CA bundle and retries as Sign-In.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use login_core::{
    parse_assume_role_response, AssumeRoleArgs, AssumedRole, ConfigFile, HttpRequest, StsError,
};

use super::SigningCredentials;
use crate::error::{AssumeRoleFailure, LoginIoError};
use crate::http::{HttpError, HttpSettings, SigninHttp};
use crate::settings::{Environment, Source};

/// Where AssumeRole goes and the region its signature is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsEndpoint {
    pub url: String,
    pub signing_region: String,
    /// Where an override came from (`None`: the regional endpoint).
    pub override_source: Option<String>,
}

impl StsEndpoint {
    /// `host[:port]` for messages.
    pub fn host(&self) -> String {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                })
            })
            .unwrap_or_else(|| self.url.clone())
    }
}

/// The STS endpoint for `profile`: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then the
/// profile's `services` section (`sts = endpoint_url = …`), then its `endpoint_url` (the SDKs'
/// order; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls` turn all
/// four off); else the regional endpoint of `region` (the global one without a region).
pub fn sts_endpoint(
    env: &Environment,
    config: &ConfigFile,
    profile: &str,
    region: Option<&str>,
) -> Result<StsEndpoint, LoginIoError> {
    let view = config.profile(profile).unwrap_or_default();
    let flag = |env_name: &str, key: &str| {
        env.non_empty(env_name)
            .or_else(|| view.get(key).map(str::to_string))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    };
    let ignore = flag(
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "ignore_configured_endpoint_urls",
    );
    let signing_region = region.unwrap_or("us-east-1").to_string();
    if !ignore {
        let configured = env
            .first_of(&["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"])
            .map(|(name, url)| (url, Source::Env(name).to_string()))
            .or_else(|| {
                let services = view.get("services").and_then(|n| config.services(n))?;
                let url = services.sub("sts", "endpoint_url")?;
                Some((
                    url.to_string(),
                    format!("the services section of profile '{profile}'"),
                ))
            })
            .or_else(|| {
                view.get("endpoint_url").filter(|u| !u.is_empty()).map(|u| {
                    (
                        u.to_string(),
                        format!("endpoint_url of profile '{profile}'"),
                    )
                })
            });
        if let Some((url, source)) = configured {
            let parsed = url::Url::parse(url.trim()).map_err(|e| {
                LoginIoError::config(format!(
                    "The STS endpoint `{url}` from {source} is not a URL ({e})."
                ))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(LoginIoError::config(format!(
                    "The STS endpoint `{url}` from {source} must start with https:// (or http://)."
                )));
            }
            return Ok(StsEndpoint {
                url: parsed.to_string(),
                signing_region,
                override_source: Some(source),
            });
        }
    }
    let Some(region) = region else {
        return Ok(StsEndpoint {
            url: "https://sts.amazonaws.com/".into(),
            signing_region,
            override_source: None,
        });
    };
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(LoginIoError::config(format!(
            "Profile '{profile}': `{region}` is not a region name (e.g. us-east-1)."
        )));
    }
    let fips = flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
    let dual_stack = flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint");
    let service = if fips { "sts-fips" } else { "sts" };
    let url = if region.starts_with("cn-") {
        let suffix = if dual_stack {
            "api.amazonwebservices.com.cn"
        } else {
            "amazonaws.com.cn"
        };
        format!("https://{service}.{region}.{suffix}/")
    } else if dual_stack {
        format!("https://{service}.{region}.api.aws/")
    } else {
        format!("https://{service}.{region}.amazonaws.com/")
    };
    Ok(StsEndpoint {
        url,
        signing_region,
        override_source: None,
    })
}

/// Signs `request` for STS with `credentials` at `time` (headers added in place).
pub fn sign_request(
    request: &mut HttpRequest,
    credentials: &SigningCredentials,
    region: &str,
    time: SystemTime,
) -> Result<(), String> {
    let identity: Identity = AwsCredentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().to_string(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        None,
        "aws-login",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        request.url.as_str(),
        request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let added: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request.headers.extend(added);
    Ok(())
}

/// A successful AssumeRole and the cache file content botocore would write for it.
#[derive(Debug)]
pub struct AssumeRoleOutcome {
    pub role: AssumedRole,
    pub cache_json: String,
}

/// Why the call failed: STS's answer or no answer.
#[derive(Debug)]
pub enum AssumeRoleCallError {
    Sts(StsError),
    Http(HttpError),
    Signing(String),
}

/// One AssumeRole call. Throttling that STS answers with HTTP 400 is retried here (429 and 5xx
/// are retried by the HTTP layer).
pub async fn assume_role(
    http: &HttpSettings,
    endpoint: &StsEndpoint,
    source: &SigningCredentials,
    args: &AssumeRoleArgs,
    token_code: Option<&str>,
) -> Result<AssumeRoleOutcome, AssumeRoleCallError> {
    let client = SigninHttp::for_url(http, &endpoint.url).map_err(AssumeRoleCallError::Http)?;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let exchange = client
            .exchange(|sign_time| {
                let mut request = args.request(&endpoint.url, token_code);
                sign_request(&mut request, source, &endpoint.signing_region, sign_time)
                    .map(|()| request)
            })
            .await;
        let response = match exchange {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(AssumeRoleCallError::Http(e)),
            Err(e) => return Err(AssumeRoleCallError::Signing(e)),
        };
        match parse_assume_role_response(&response) {
            Ok(role) => {
                let cache_json = role.cache_json(response.status, &response.headers);
                return Ok(AssumeRoleOutcome { role, cache_json });
            }
            // A code is spent once STS saw it: never resend one.
            Err(e @ StsError::Throttled { .. })
                if attempt < http.policy.max_attempts && token_code.is_none() =>
            {
                let wait = http
                    .policy
                    .base_backoff
                    .saturating_mul(1 << attempt.min(8))
                    .min(http.policy.max_backoff);
                tracing::debug!(
                    code = e.code(),
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "AssumeRole throttled; retrying"
                );
                tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            }
            Err(e) => return Err(AssumeRoleCallError::Sts(e)),
        }
    }
}

/// The user-facing failure for an STS error.
pub fn failure_of(error: AssumeRoleCallError) -> Result<AssumeRoleFailure, LoginIoError> {
    Ok(match error {
        AssumeRoleCallError::Sts(e) => match e {
            StsError::AccessDenied { message } => AssumeRoleFailure::AccessDenied { message },
            StsError::MfaFailed { message } => AssumeRoleFailure::MfaFailed { message },
            StsError::RegionDisabled { message } => AssumeRoleFailure::RegionDisabled { message },
            StsError::Invalid { code, message } => AssumeRoleFailure::Invalid { code, message },
            StsError::ExpiredToken { message } => AssumeRoleFailure::SourceRejected {
                code: "ExpiredToken".into(),
                message,
            },
            StsError::InvalidSourceCredentials { code, message } => {
                AssumeRoleFailure::SourceRejected { code, message }
            }
            other => AssumeRoleFailure::Unavailable {
                detail: other.to_string(),
            },
        },
        AssumeRoleCallError::Http(HttpError::Transport {
            host,
            proxy,
            attempts,
            cause,
        }) => {
            let detail = HttpError::Transport {
                host,
                proxy: proxy.clone(),
                attempts,
                cause,
            }
            .to_string();
            AssumeRoleFailure::Network { detail, proxy }
        }
        AssumeRoleCallError::Http(other) => return Err(LoginIoError::config(format!("{other}."))),
        AssumeRoleCallError::Signing(e) => {
            return Err(LoginIoError::config(format!(
                "Cannot sign the AssumeRole request: {e}."
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(config: &str, env: &[(&str, &str)], region: Option<&str>) -> StsEndpoint {
        sts_endpoint(
            &Environment::from_pairs(env.iter().copied()),
            &ConfigFile::parse(config),
            "p",
            region,
        )
        .unwrap()
    }

    #[test]
    fn endpoint_precedence() {
        assert_eq!(
            endpoint("", &[], Some("eu-west-1")).url,
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(endpoint("", &[], None).url, "https://sts.amazonaws.com/");
        assert_eq!(
            endpoint("", &[], Some("cn-north-1")).url,
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        let cfg = "[profile p]\nservices = s\nendpoint_url = http://profile:1\n[services s]\nsts =\n  endpoint_url = http://services:2\n";
        assert_eq!(
            endpoint(cfg, &[], Some("us-east-1")).url,
            "http://services:2/"
        );
        assert_eq!(
            endpoint(
                "[profile p]\nendpoint_url = http://profile:1\n",
                &[],
                Some("us-east-1")
            )
            .url,
            "http://profile:1/"
        );
        assert_eq!(
            endpoint(cfg, &[("AWS_ENDPOINT_URL", "http://all:3")], None).url,
            "http://all:3/"
        );
        let e = endpoint(
            cfg,
            &[
                ("AWS_ENDPOINT_URL", "http://all:3"),
                ("AWS_ENDPOINT_URL_STS", "http://sts:4"),
            ],
            Some("eu-west-1"),
        );
        assert_eq!(
            (e.url.as_str(), e.signing_region.as_str()),
            ("http://sts:4/", "eu-west-1")
        );
        let e = endpoint(
            cfg,
            &[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ("AWS_ENDPOINT_URL_STS", "http://sts:4"),
            ],
            Some("eu-west-1"),
        );
        assert_eq!(e.url, "https://sts.eu-west-1.amazonaws.com/");
        assert!(sts_endpoint(
            &Environment::default(),
            &ConfigFile::parse(""),
            "p",
            Some("EU WEST")
        )
        .is_err());
        assert!(sts_endpoint(
            &Environment::from_pairs([("AWS_ENDPOINT_URL_STS", "ftp://x")]),
            &ConfigFile::parse(""),
            "p",
            None
        )
        .is_err());
    }

    #[test]
    fn signs_with_sigv4() {
        let mut request = HttpRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:9/".into(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: b"Action=AssumeRole".to_vec(),
        };
        let creds = SigningCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("token".into()),
        };
        sign_request(
            &mut request,
            &creds,
            "us-east-1",
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )
        .unwrap();
        let auth = request.header("authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20270115/us-east-1/sts/aws4_request"
            ),
            "{auth}"
        );
        assert_eq!(request.header("x-amz-security-token"), Some("token"));
        assert_eq!(request.header("x-amz-date"), Some("20270115T080000Z"));
    }
}
