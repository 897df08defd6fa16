//! Fault injection: latency, error statuses, malformed bodies, dropped connections, a wrong `Date`.

use serde::{Deserialize, Serialize};

/// Which requests a fault applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTarget {
    /// `POST /v1/token` (the default).
    #[default]
    Token,
    /// `/v1/authorize` and `/v1/sessions/confirmation`, and IAM Identity Center's browser
    /// pages (`/authorize`, `/device`).
    Authorize,
    /// The STS endpoint.
    Sts,
    /// IAM Identity Center OIDC: `/client/register`, `/device_authorization`, `/token`.
    #[serde(rename = "sso_oidc")]
    SsoOidc,
    /// The IAM Identity Center portal: `/federation/credentials`, `/assignment/*`, `/logout`.
    Sso,
    /// Every non-admin request.
    Any,
}

impl FaultTarget {
    pub(crate) fn matches(self, path: &str) -> bool {
        let target = FaultTarget::of_path(path);
        self == FaultTarget::Any || Some(self) == target
    }

    pub(crate) fn of_path(path: &str) -> Option<FaultTarget> {
        match path {
            "/v1/token" => Some(FaultTarget::Token),
            "/" => Some(FaultTarget::Sts),
            p if p.starts_with("/v1/authorize") || p.starts_with("/v1/sessions/") => {
                Some(FaultTarget::Authorize)
            }
            "/client/register" | "/device_authorization" | "/token" => Some(FaultTarget::SsoOidc),
            "/authorize" | "/authorize/decision" | "/device" | "/device/decision" => {
                Some(FaultTarget::Authorize)
            }
            "/federation/credentials"
            | "/assignment/accounts"
            | "/assignment/roles"
            | "/logout" => Some(FaultTarget::Sso),
            _ => None,
        }
    }
}

/// The faults in force. Counts go down by one for each request they hit.
///
/// As JSON (admin API): `{"target":"token","latency_ms":0,"error_status":429,"error_count":2,
/// "malformed_count":0,"drop_count":0,"date_offset_secs":0}`; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    pub target: FaultTarget,
    /// Delay added before each matching request is handled.
    pub latency_ms: u64,
    /// Status for the next `error_count` matching requests (429 or 5xx), answered without
    /// handling the request.
    pub error_status: Option<u16>,
    pub error_count: u32,
    /// The next N matching requests get `200` with a truncated JSON body (not handled).
    pub malformed_count: u32,
    /// The next N matching requests have their connection closed with no response (not handled).
    pub drop_count: u32,
    /// Added to the `Date` header of every response (not to the server clock).
    pub date_offset_secs: i64,
}

impl FaultPlan {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(status) = self.error_status {
            if !(400..=599).contains(&status) {
                return Err(format!("error_status {status} is not a 4xx or 5xx status"));
            }
        }
        if self.error_count > 0 && self.error_status.is_none() {
            return Err("error_count needs error_status (429, 500, …)".to_owned());
        }
        if self.latency_ms > 120_000 {
            return Err("latency_ms is capped at 120000".to_owned());
        }
        Ok(())
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultAction {
    Drop,
    Status(u16),
    Malformed,
}

impl FaultPlan {
    /// Takes the next one-shot fault for this request, if any, in the order drop, status, malformed.
    pub(crate) fn take(&mut self, path: &str) -> Option<FaultAction> {
        if !self.target.matches(path) {
            return None;
        }
        if self.drop_count > 0 {
            self.drop_count -= 1;
            return Some(FaultAction::Drop);
        }
        if self.error_count > 0 {
            if let Some(status) = self.error_status {
                self.error_count -= 1;
                return Some(FaultAction::Status(status));
            }
        }
        if self.malformed_count > 0 {
            self.malformed_count -= 1;
            return Some(FaultAction::Malformed);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_run_down_in_order_and_respect_target() {
        let mut plan = FaultPlan {
            error_status: Some(429),
            error_count: 1,
            drop_count: 1,
            malformed_count: 1,
            ..FaultPlan::default()
        };
        assert_eq!(plan.take("/"), None, "STS is not the token target");
        assert_eq!(plan.take("/v1/token"), Some(FaultAction::Drop));
        assert_eq!(plan.take("/v1/token"), Some(FaultAction::Status(429)));
        assert_eq!(plan.take("/v1/token"), Some(FaultAction::Malformed));
        assert_eq!(plan.take("/v1/token"), None);
    }

    #[test]
    fn rejects_nonsense() {
        let plan = FaultPlan {
            error_status: Some(200),
            error_count: 1,
            ..FaultPlan::default()
        };
        assert!(plan.validate().is_err());
        let plan = FaultPlan {
            error_count: 1,
            ..FaultPlan::default()
        };
        assert!(plan.validate().is_err());
    }
}
