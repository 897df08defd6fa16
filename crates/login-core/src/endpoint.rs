//! Where the Sign-In service lives: region (+ FIPS / dual-stack) to base URL,
//! the same answers botocore's endpoint rules give, or an override URL.

use std::fmt;

/// An AWS partition, recognised from the region name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// `aws` (also any region no other partition claims).
    Aws,
    /// `aws-cn`
    AwsCn,
    /// `aws-us-gov`
    AwsUsGov,
    /// `aws-iso`
    AwsIso,
    /// `aws-iso-b`
    AwsIsoB,
    /// `aws-iso-e`
    AwsIsoE,
    /// `aws-iso-f`
    AwsIsoF,
    /// `aws-eusc`
    AwsEusc,
}

impl Partition {
    /// The partition a region belongs to (botocore's `regionRegex` rules).
    pub fn of_region(region: &str) -> Partition {
        let parts: Vec<&str> = region.split('-').collect();
        let tail_ok = |from: usize| {
            parts.len() == from + 2
                && !parts[from].is_empty()
                && !parts[from + 1].is_empty()
                && parts[from + 1].bytes().all(|b| b.is_ascii_digit())
        };
        match parts.as_slice() {
            ["cn", ..] if tail_ok(1) => Partition::AwsCn,
            ["us", "gov", ..] if tail_ok(2) => Partition::AwsUsGov,
            ["us", "iso", ..] if tail_ok(2) => Partition::AwsIso,
            ["us", "isob", ..] if tail_ok(2) => Partition::AwsIsoB,
            ["us", "isof", ..] if tail_ok(2) => Partition::AwsIsoF,
            ["eu", "isoe", ..] if tail_ok(2) => Partition::AwsIsoE,
            ["eusc", "de", ..] if tail_ok(2) => Partition::AwsEusc,
            _ => Partition::Aws,
        }
    }

    /// `aws`, `aws-cn`, …
    pub fn name(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
            Partition::AwsIsoE => "aws-iso-e",
            Partition::AwsIsoF => "aws-iso-f",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    fn signin_domain(self) -> &'static str {
        match self {
            Partition::Aws => "aws.amazon.com",
            Partition::AwsCn => "amazonaws.cn",
            Partition::AwsUsGov => "amazonaws-us-gov.com",
            Partition::AwsIso => "c2shome.ic.gov",
            Partition::AwsIsoB => "sc2shome.sgov.gov",
            Partition::AwsIsoE => "csphome.adc-e.uk",
            Partition::AwsIsoF => "csphome.hci.ic.gov",
            Partition::AwsEusc => "amazonaws-eusc.eu",
        }
    }

    /// The DNS suffix of service endpoints (`amazonaws.com`, `amazonaws.com.cn`, …).
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::AwsIso => "c2s.ic.gov",
            Partition::AwsIsoB => "sc2s.sgov.gov",
            Partition::AwsIsoE => "cloud.adc-e.uk",
            Partition::AwsIsoF => "csp.hci.ic.gov",
            Partition::AwsEusc => "amazonaws.eu",
        }
    }

    fn dual_stack_suffix(self) -> Option<&'static str> {
        match self {
            Partition::Aws | Partition::AwsUsGov => Some("api.aws"),
            Partition::AwsCn => Some("api.amazonwebservices.com.cn"),
            Partition::AwsIso => Some("api.aws.ic.gov"),
            Partition::AwsIsoB => Some("api.aws.scloud"),
            Partition::AwsEusc => Some("api.amazonwebservices.eu"),
            // botocore has no dual-stack Sign-In endpoint here.
            Partition::AwsIsoE | Partition::AwsIsoF => None,
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why no endpoint could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The region is empty or not a DNS label.
    #[error("`{0}` is not a valid AWS region name (expected something like us-east-1); pass --region or set `region` in the profile")]
    InvalidRegion(String),
    /// The partition has no such endpoint variant.
    #[error("the {partition} partition has no {variant} Sign-In endpoint for region {region}; turn off the {variant} setting or set AWS_ENDPOINT_URL_SIGNIN")]
    UnsupportedVariant {
        /// The region.
        region: String,
        /// The partition.
        partition: Partition,
        /// `dual-stack` or `FIPS`.
        variant: &'static str,
    },
    /// The override is not an absolute http(s) URL.
    #[error("the endpoint override `{0}` is not an absolute http:// or https:// URL without query or fragment")]
    InvalidOverride(String),
}

/// What decides the endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The region.
    pub region: String,
    /// `use_fips_endpoint` / `AWS_USE_FIPS_ENDPOINT`.
    pub use_fips: bool,
    /// `use_dualstack_endpoint` / `AWS_USE_DUALSTACK_ENDPOINT`.
    pub use_dual_stack: bool,
    /// `AWS_ENDPOINT_URL_SIGNIN`, `AWS_ENDPOINT_URL` or the profile's
    /// `endpoint_url`, already chosen by the caller; replaces the base.
    pub override_url: Option<String>,
}

/// The Sign-In base URL and the URLs derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
}

impl Endpoint {
    /// Resolves a config: the override if any, else the region's endpoint.
    pub fn resolve(config: &EndpointConfig) -> Result<Endpoint, EndpointError> {
        match &config.override_url {
            Some(url) => Endpoint::from_override(url),
            None => Endpoint::for_region(&config.region, config.use_fips, config.use_dual_stack),
        }
    }

    /// The regional endpoint.
    pub fn for_region(
        region: &str,
        use_fips: bool,
        use_dual_stack: bool,
    ) -> Result<Endpoint, EndpointError> {
        if !is_host_label(region) {
            return Err(EndpointError::InvalidRegion(region.to_owned()));
        }
        let partition = Partition::of_region(region);
        let base = match (use_fips, use_dual_stack) {
            (false, false) => format!("https://{region}.signin.{}", partition.signin_domain()),
            (true, false) => match partition {
                Partition::AwsUsGov if region == "us-gov-west-1" => {
                    "https://signin-fips.amazonaws-us-gov.com".to_owned()
                }
                Partition::AwsUsGov => format!("https://{region}.signin-fips.amazonaws-us-gov.com"),
                _ => format!("https://signin-fips.{region}.{}", partition.dns_suffix()),
            },
            (fips, true) => {
                let suffix = partition.dual_stack_suffix().ok_or_else(|| {
                    EndpointError::UnsupportedVariant {
                        region: region.to_owned(),
                        partition,
                        variant: "dual-stack",
                    }
                })?;
                let host = if fips { "signin-fips" } else { "signin" };
                format!("https://{host}.{region}.{suffix}")
            }
        };
        Ok(Endpoint { base })
    }

    /// An override base URL (a trailing `/` is dropped).
    pub fn from_override(url: &str) -> Result<Endpoint, EndpointError> {
        let trimmed = url.trim();
        let parsed =
            url::Url::parse(trimmed).map_err(|_| EndpointError::InvalidOverride(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none_or(str::is_empty)
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(EndpointError::InvalidOverride(url.to_owned()));
        }
        Ok(Endpoint {
            base: trimmed.trim_end_matches('/').to_owned(),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `{base}/v1/token`
    pub fn token_url(&self) -> String {
        format!("{}/v1/token", self.base)
    }

    /// `{base}/v1/authorize`
    pub fn authorize_url(&self) -> String {
        format!("{}/v1/authorize", self.base)
    }

    /// `{base}/v1/sessions/confirmation`: the remote flow's redirect URI.
    pub fn confirmation_url(&self) -> String {
        format!("{}/v1/sessions/confirmation", self.base)
    }
}

fn is_host_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_partitions() {
        let base = |r| {
            Endpoint::for_region(r, false, false)
                .unwrap()
                .base()
                .to_owned()
        };
        assert_eq!(base("us-east-1"), "https://us-east-1.signin.aws.amazon.com");
        assert_eq!(base("cn-north-1"), "https://cn-north-1.signin.amazonaws.cn");
        assert_eq!(
            base("us-gov-west-1"),
            "https://us-gov-west-1.signin.amazonaws-us-gov.com"
        );
    }

    #[test]
    fn fips_and_dual_stack() {
        let base = |r, f, d| Endpoint::for_region(r, f, d).unwrap().base().to_owned();
        assert_eq!(
            base("us-east-1", true, false),
            "https://signin-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            base("us-east-1", false, true),
            "https://signin.us-east-1.api.aws"
        );
        assert_eq!(
            base("us-east-1", true, true),
            "https://signin-fips.us-east-1.api.aws"
        );
        assert_eq!(
            base("us-gov-west-1", true, false),
            "https://signin-fips.amazonaws-us-gov.com"
        );
        assert_eq!(
            base("us-gov-east-1", true, false),
            "https://us-gov-east-1.signin-fips.amazonaws-us-gov.com"
        );
        assert!(Endpoint::for_region("us-isof-south-1", false, true).is_err());
    }

    #[test]
    fn bad_regions_are_rejected() {
        for r in ["", "US-EAST-1", "us-east-1/evil", "a.b", "-x"] {
            assert!(
                matches!(
                    Endpoint::for_region(r, false, false),
                    Err(EndpointError::InvalidRegion(_))
                ),
                "{r}"
            );
        }
    }

    #[test]
    fn override_replaces_base() {
        let cfg = EndpointConfig {
            region: "us-east-1".into(),
            override_url: Some("http://127.0.0.1:8080/".into()),
            ..Default::default()
        };
        let e = Endpoint::resolve(&cfg).unwrap();
        assert_eq!(e.token_url(), "http://127.0.0.1:8080/v1/token");
        assert_eq!(e.authorize_url(), "http://127.0.0.1:8080/v1/authorize");
        assert_eq!(
            e.confirmation_url(),
            "http://127.0.0.1:8080/v1/sessions/confirmation"
        );
        assert!(Endpoint::from_override("ftp://x").is_err());
        assert!(Endpoint::from_override("not a url").is_err());
        assert!(Endpoint::from_override("http://x/?a=b").is_err());
    }
}
