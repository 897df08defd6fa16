//! Start URLs as AWS CLI (≥ 2.35.13) treats them: `https` only; an AWS-owned portal host needs
//! no request (and `sso_region`); any other host is a "vanity" URL that is probed once — `HEAD`
//! (`GET` when the server answers 405 or 501), redirects not followed, at most one hop taken
//! from `Location` — and the portal it points to names the region. The probe is a value here;
//! login-io sends its requests.
//!
//! The configured URL stays the cache key and the token's `startUrl`; the resolved URL is what
//! `RegisterClient` (`issuerUrl`) and `StartDeviceAuthorization` (`startUrl`) are sent.

use crate::http::{HttpRequest, HttpResponse};

/// Host suffixes of AWS access portals (a host ends with one of these after a label).
const AWS_PORTAL_SUFFIXES: &[&str] = &[
    ".app.aws",
    ".portal.amazonaws.com",
    ".portal.amazonaws.com.cn",
    ".app.amazonwebservices.com.cn",
    ".portal.amazonaws.eu",
    ".api.amazonwebservices.eu",
    ".awsapps.com",
    ".awsapps.cn",
];

/// Whole hosts of AWS access portals.
const AWS_PORTAL_HOSTS: &[&str] = &[
    "identitycenter.amazonaws.com",
    "identitycenter.amazonaws.com.cn",
    "identitycenter.amazonaws.eu",
    "identitycenter.us-gov.amazonaws.com",
];

/// At most this many redirects are taken (AWS CLI's `_MAX_REDIRECTS`).
pub const MAX_REDIRECTS: usize = 1;

/// Why a start URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartUrlError {
    /// Not a URL with a host.
    #[error("the sso_start_url {0:?} is not a URL. Set it to your access portal URL, e.g. https://d-1234567890.awsapps.com/start")]
    Invalid(String),
    /// Not `https` (AWS CLI's message, then what to do).
    #[error("The sso_start_url must use the https scheme. Change {0} to its https:// form")]
    NotHttps(String),
}

/// What kind of start URL the config holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartUrlKind {
    /// An AWS access portal: used as is, no request; `sso_region` is required.
    AwsOwned,
    /// Any other host: probed once for the portal it redirects to.
    Vanity,
}

/// Which schemes a configured start URL may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemePolicy {
    /// `https` only: what every real use gets.
    HttpsOnly,
    /// Also `http` to a loopback IP literal, so a test can run a plain-HTTP vanity server.
    /// Only the configured URL is relaxed: the portal it redirects to must still be `https`
    /// and AWS-owned.
    AllowLoopbackHttp,
}

/// Whether `host` (lowercase, no port) is an AWS access portal.
pub fn is_aws_owned_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    AWS_PORTAL_HOSTS.contains(&host.as_str())
        || AWS_PORTAL_SUFFIXES
            .iter()
            .any(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
}

/// A region name as AWS spells them: `us-east-1`, `cn-north-1`, `us-gov-west-1`, `eusc-de-east-1`.
fn looks_like_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// The region in a portal host: `{id}.portal.{region}.app.aws`,
/// `{id}.{region}.portal.amazonaws.com(.cn)`, `{id}.portal.{region}.app.amazonwebservices.com.cn`,
/// `{id}.{region}.portal.amazonaws.eu`, `{id}.portal.{region}.api.amazonwebservices.eu`.
pub fn region_from_host(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    // (labels after the id, index of the region among them)
    let patterns: &[(&[&str], usize)] = &[
        (&["portal", "*", "app", "aws"], 1),
        (&["*", "portal", "amazonaws", "com"], 0),
        (&["*", "portal", "amazonaws", "com", "cn"], 0),
        (&["portal", "*", "app", "amazonwebservices", "com", "cn"], 1),
        (&["*", "portal", "amazonaws", "eu"], 0),
        (&["portal", "*", "api", "amazonwebservices", "eu"], 1),
    ];
    patterns.iter().find_map(|(tail, at)| {
        if labels.len() != tail.len() + 1 || labels[0].is_empty() {
            return None;
        }
        let rest = &labels[1..];
        let fits = tail
            .iter()
            .zip(rest)
            .all(|(want, got)| *want == "*" || want == got);
        let region = rest[*at];
        (fits && looks_like_region(region)).then(|| region.to_owned())
    })
}

/// AWS CLI's normal form of a resolved URL: default port dropped, query and fragment dropped,
/// trailing `/` stripped. `None` when `url` is not absolute.
pub fn normalize(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.host_str()?;
    parsed.set_query(None);
    parsed.set_fragment(None);
    // `url` already leaves out a scheme's default port.
    Some(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Classifies the configured start URL.
pub fn classify(start_url: &str, policy: SchemePolicy) -> Result<StartUrlKind, StartUrlError> {
    let parsed = url::Url::parse(start_url.trim())
        .map_err(|_| StartUrlError::Invalid(start_url.to_owned()))?;
    let host = parsed
        .host()
        .ok_or_else(|| StartUrlError::Invalid(start_url.to_owned()))?;
    match parsed.scheme() {
        "https" => {}
        "http"
            if policy == SchemePolicy::AllowLoopbackHttp
                && match host {
                    url::Host::Ipv4(ip) => ip.is_loopback(),
                    url::Host::Ipv6(ip) => ip.is_loopback(),
                    url::Host::Domain(_) => false,
                } =>
        {
            return Ok(StartUrlKind::Vanity)
        }
        _ => return Err(StartUrlError::NotHttps(start_url.to_owned())),
    }
    match host {
        url::Host::Domain(name) if is_aws_owned_host(name) => Ok(StartUrlKind::AwsOwned),
        _ => Ok(StartUrlKind::Vanity),
    }
}

/// Where a vanity URL led.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedStartUrl {
    /// The portal URL to send as `issuerUrl` / `startUrl` (normalised), or the configured URL
    /// when the probe found no AWS portal.
    pub url: String,
    /// The region named by the portal's host, when it names one.
    pub region: Option<String>,
    /// Why the configured URL is used as is, when it is (for a debug line or a warning).
    pub unresolved: Option<String>,
}

/// The next thing the probe needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStep {
    /// Send this request (no redirect following) and feed the answer to `on_response`.
    Send(HttpRequest),
    /// Done.
    Resolved(ResolvedStartUrl),
}

/// The probe of one vanity start URL.
#[derive(Debug, Clone)]
pub struct StartUrlProbe {
    configured: String,
    /// The URL the last request went to.
    current: String,
    method: &'static str,
    redirects: usize,
}

fn request(method: &str, url: &str) -> HttpRequest {
    HttpRequest {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: vec![("Accept".to_owned(), "*/*".to_owned())],
        body: Vec::new(),
    }
}

impl StartUrlProbe {
    /// Starts probing `configured` (classify it first: only vanity URLs are probed).
    pub fn start(configured: &str) -> (StartUrlProbe, ProbeStep) {
        let probe = StartUrlProbe {
            configured: configured.to_owned(),
            current: configured.to_owned(),
            method: "HEAD",
            redirects: 0,
        };
        let step = ProbeStep::Send(request("HEAD", configured));
        (probe, step)
    }

    fn unresolved(&self, why: impl Into<String>) -> ProbeStep {
        ProbeStep::Resolved(ResolvedStartUrl {
            url: self.configured.clone(),
            region: None,
            unresolved: Some(why.into()),
        })
    }

    /// Feeds the answer to the last request.
    pub fn on_response(&mut self, response: &HttpResponse) -> ProbeStep {
        let status = response.status;
        if (status == 405 || status == 501) && self.method == "HEAD" {
            self.method = "GET";
            return ProbeStep::Send(request("GET", &self.current));
        }
        if !(300..400).contains(&status) {
            return self.unresolved(format!(
                "{} answered HTTP {status} without a redirect to an AWS access portal",
                self.current
            ));
        }
        let Some(location) = response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.trim())
        else {
            return self.unresolved(format!(
                "{} redirected without a Location header",
                self.current
            ));
        };
        let Some(next) = url::Url::parse(&self.current)
            .ok()
            .and_then(|base| base.join(location).ok())
        else {
            return self.unresolved(format!(
                "{} redirected to an unusable Location",
                self.current
            ));
        };
        self.redirects += 1;
        let is_portal = next.scheme() == "https" && next.host_str().is_some_and(is_aws_owned_host);
        if is_portal {
            let Some(url) = normalize(next.as_str()) else {
                return self.unresolved("the redirect target is not an absolute URL");
            };
            return ProbeStep::Resolved(ResolvedStartUrl {
                region: next.host_str().and_then(region_from_host),
                url,
                unresolved: None,
            });
        }
        if self.redirects >= MAX_REDIRECTS {
            return self.unresolved(format!(
                "{} does not redirect to an https AWS access portal within {MAX_REDIRECTS} hop",
                self.configured
            ));
        }
        self.current = next.to_string();
        self.method = "HEAD";
        ProbeStep::Send(request("HEAD", &self.current))
    }

    /// The request failed on the network: the configured URL is used as is.
    pub fn on_transport_error(&self, detail: &str) -> ProbeStep {
        self.unresolved(format!("{} could not be reached: {detail}", self.current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, location: Option<&str>) -> HttpResponse {
        HttpResponse {
            status,
            headers: location
                .map(|l| vec![("Location".to_owned(), l.to_owned())])
                .unwrap_or_default(),
            body: Vec::new(),
        }
    }

    #[test]
    fn aws_owned_hosts_are_recognised_by_suffix_and_whole_name() {
        for host in [
            "d-1234567890.awsapps.com",
            "ssoins-1.portal.us-east-1.app.aws",
            "x.eu-west-1.portal.amazonaws.com",
            "x.cn-north-1.portal.amazonaws.com.cn",
            "x.portal.cn-north-1.app.amazonwebservices.com.cn",
            "x.eusc-de-east-1.portal.amazonaws.eu",
            "x.portal.eusc-de-east-1.api.amazonwebservices.eu",
            "d-1.awsapps.cn",
            "identitycenter.amazonaws.com",
            "identitycenter.us-gov.amazonaws.com",
            "D-1234567890.AWSAPPS.COM",
        ] {
            assert!(is_aws_owned_host(host), "{host}");
        }
        for host in [
            "awsapps.com",
            "evilawsapps.com",
            "sso.example.com",
            "awsapps.com.example.com",
            "identitycenter.amazonaws.com.example.com",
            "app.aws",
        ] {
            assert!(!is_aws_owned_host(host), "{host}");
        }
    }

    #[test]
    fn regions_come_from_the_host_patterns_only() {
        let cases = [
            ("ssoins-72.portal.us-west-2.app.aws", Some("us-west-2")),
            (
                "abc.eu-central-1.portal.amazonaws.com",
                Some("eu-central-1"),
            ),
            (
                "abc.cn-northwest-1.portal.amazonaws.com.cn",
                Some("cn-northwest-1"),
            ),
            (
                "abc.portal.cn-north-1.app.amazonwebservices.com.cn",
                Some("cn-north-1"),
            ),
            (
                "abc.eusc-de-east-1.portal.amazonaws.eu",
                Some("eusc-de-east-1"),
            ),
            (
                "abc.portal.eusc-de-east-1.api.amazonwebservices.eu",
                Some("eusc-de-east-1"),
            ),
            (
                "abc.us-gov-west-1.portal.amazonaws.com",
                Some("us-gov-west-1"),
            ),
            ("d-1234567890.awsapps.com", None),
            ("identitycenter.amazonaws.com", None),
            ("a.b.portal.us-west-2.app.aws", None),
            ("x.portal.notaregion.app.aws", None),
            ("x.portal.us-west-x.app.aws", None),
        ];
        for (host, region) in cases {
            assert_eq!(region_from_host(host).as_deref(), region, "{host}");
        }
    }

    #[test]
    fn resolved_urls_are_normalised() {
        assert_eq!(
            normalize("https://x.portal.us-east-1.app.aws:443/start/?a=1#f").as_deref(),
            Some("https://x.portal.us-east-1.app.aws/start")
        );
        assert_eq!(
            normalize("https://x.portal.us-east-1.app.aws/").as_deref(),
            Some("https://x.portal.us-east-1.app.aws")
        );
        assert_eq!(
            normalize("https://x.awsapps.com:8443/start").as_deref(),
            Some("https://x.awsapps.com:8443/start")
        );
        assert_eq!(normalize("/start"), None);
    }

    #[test]
    fn only_https_start_urls_unless_a_test_allows_loopback_http() {
        use SchemePolicy::*;
        assert_eq!(
            classify("https://d-1.awsapps.com/start", HttpsOnly),
            Ok(StartUrlKind::AwsOwned)
        );
        assert_eq!(
            classify("https://sso.example.com", HttpsOnly),
            Ok(StartUrlKind::Vanity)
        );
        let e = classify("http://d-1.awsapps.com/start", HttpsOnly).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("The sso_start_url must use the https scheme."));
        assert!(matches!(
            classify("http://127.0.0.1:9/start", HttpsOnly),
            Err(StartUrlError::NotHttps(_))
        ));
        assert_eq!(
            classify("http://127.0.0.1:9/start", AllowLoopbackHttp),
            Ok(StartUrlKind::Vanity)
        );
        // The knob covers loopback IP literals only, never names or other hosts.
        for url in [
            "http://localhost:9/",
            "http://sso.example.com/",
            "http://10.0.0.1/",
        ] {
            assert!(
                matches!(
                    classify(url, AllowLoopbackHttp),
                    Err(StartUrlError::NotHttps(_))
                ),
                "{url}"
            );
        }
        assert!(matches!(
            classify("not a url", HttpsOnly),
            Err(StartUrlError::Invalid(_))
        ));
    }

    #[test]
    fn a_redirect_to_a_portal_resolves_url_and_region() {
        let (mut probe, step) = StartUrlProbe::start("https://sso.example.com/start");
        let ProbeStep::Send(first) = step else {
            panic!("{step:?}")
        };
        assert_eq!(
            (first.method.as_str(), first.url.as_str()),
            ("HEAD", "https://sso.example.com/start")
        );
        let done = probe.on_response(&answer(
            302,
            Some("https://ssoins-72.portal.eu-west-1.app.aws/?from=vanity"),
        ));
        assert_eq!(
            done,
            ProbeStep::Resolved(ResolvedStartUrl {
                url: "https://ssoins-72.portal.eu-west-1.app.aws".into(),
                region: Some("eu-west-1".into()),
                unresolved: None,
            })
        );
    }

    #[test]
    fn head_refused_falls_back_to_get() {
        for status in [405, 501] {
            let (mut probe, _) = StartUrlProbe::start("https://sso.example.com");
            let ProbeStep::Send(get) = probe.on_response(&answer(status, None)) else {
                panic!()
            };
            assert_eq!(get.method, "GET");
            let done = probe.on_response(&answer(301, Some("https://d-1.awsapps.com/start")));
            assert_eq!(
                done,
                ProbeStep::Resolved(ResolvedStartUrl {
                    url: "https://d-1.awsapps.com/start".into(),
                    region: None,
                    unresolved: None,
                })
            );
        }
    }

    #[test]
    fn no_portal_within_one_hop_keeps_the_configured_url() {
        let configured = "https://sso.example.com/start";
        // A second hop is not taken.
        let (mut probe, _) = StartUrlProbe::start(configured);
        let step = probe.on_response(&answer(302, Some("/elsewhere")));
        let ProbeStep::Resolved(r) = step else {
            panic!("{step:?}")
        };
        assert_eq!((r.url.as_str(), r.region.as_ref()), (configured, None));
        assert!(r.unresolved.is_some());
        // A redirect to plain http, or to a host AWS does not own, is not a portal.
        for location in [
            "http://ssoins-1.portal.us-east-1.app.aws/",
            "https://ssoins-1.portal.us-east-1.app.aws.example.com/",
        ] {
            let (mut probe, _) = StartUrlProbe::start(configured);
            let ProbeStep::Resolved(r) = probe.on_response(&answer(302, Some(location))) else {
                panic!()
            };
            assert_eq!(r.url, configured, "{location}");
            assert!(r.region.is_none());
        }
        // No redirect at all, a redirect without Location, a network failure.
        let (mut probe, _) = StartUrlProbe::start(configured);
        assert!(matches!(
            probe.on_response(&answer(200, None)),
            ProbeStep::Resolved(ResolvedStartUrl {
                unresolved: Some(_),
                ..
            })
        ));
        let (mut probe, _) = StartUrlProbe::start(configured);
        assert!(matches!(
            probe.on_response(&answer(302, None)),
            ProbeStep::Resolved(ResolvedStartUrl {
                unresolved: Some(_),
                ..
            })
        ));
        let (probe, _) = StartUrlProbe::start(configured);
        let ProbeStep::Resolved(r) = probe.on_transport_error("connection refused") else {
            panic!()
        };
        assert!(r.unresolved.unwrap().contains("connection refused"));
    }
}
