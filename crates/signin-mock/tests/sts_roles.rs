//! AssumeRole as the role-profile chain needs it: trust per identity and role, MFA
//! (`SerialNumber` + `TokenCode`, codes not reusable), `ExternalId`, `DurationSeconds` limits
//! with the role-chaining cap, role sessions assuming further roles, RegionDisabledException,
//! throttling through the fault plan, and per-role counts. One negative test per check.

mod common;

use common::*;
use serde_json::Value;
use signin_mock::{
    FaultPlan, FaultTarget, MfaDevice, MockConfig, Role, RunningMock, BUILTIN_MFA_SECRET,
};

const ACCOUNT: &str = "111122223333";
const ALICE_MFA: &str = "arn:aws:iam::111122223333:mfa/alice";
const BOB_MFA: &str = "arn:aws:iam::111122223333:mfa/bob";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// Roles for every check: Open (anyone), Mfa (MFA required), Partner (ExternalId), Long (12 h
/// max), Alice (trusts only the identity alice), Second (trusts only the role Open),
/// AccountWide (trusts the account root).
fn config() -> MockConfig {
    let mut config = MockConfig {
        roles: vec![
            Role::new(&role_arn("Open")),
            Role {
                mfa_required: true,
                ..Role::new(&role_arn("Mfa"))
            },
            Role {
                external_id: Some("partner-7".to_owned()),
                ..Role::new(&role_arn("Partner"))
            },
            Role {
                max_session_duration_secs: 43200,
                ..Role::new(&role_arn("Long"))
            },
            Role {
                trusted: vec!["alice".to_owned()],
                ..Role::new(&role_arn("Alice"))
            },
            Role {
                trusted: vec![role_arn("Open")],
                ..Role::new(&role_arn("Second"))
            },
            Role {
                trusted: vec![format!("arn:aws:iam::{ACCOUNT}:root")],
                ..Role::new(&role_arn("AccountWide"))
            },
        ],
        ..MockConfig::default()
    };
    config.mfa_devices.push(MfaDevice {
        serial: BOB_MFA.to_owned(),
        identity: "bob".to_owned(),
        secret: "bob-secret".to_owned(),
    });
    config
}

async fn alice(mock: &RunningMock) -> Creds {
    let (_, body) = login(&client(), mock.base_url(), "alice").await;
    Creds::from_token(&body)
}

fn assume_form(role: &str, extra: &[(&str, &str)]) -> String {
    let mut form = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s1",
        form_value(&role_arn(role))
    );
    for (key, value) in extra {
        form.push_str(&format!("&{key}={}", form_value(value)));
    }
    form
}

async fn assume(
    mock: &RunningMock,
    creds: &Creds,
    role: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    sts_call(
        &client(),
        mock.base_url(),
        Some(creds),
        &assume_form(role, extra),
        None,
    )
    .await
}

fn assert_error(result: &(u16, String), status: u16, code: &str, message: &str) {
    assert_eq!(result.0, status, "{}", result.1);
    assert_eq!(
        xml_value(&result.1, "Code").as_deref(),
        Some(code),
        "{}",
        result.1
    );
    let got = xml_value(&result.1, "Message")
        .unwrap_or_default()
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    assert!(
        got.contains(message),
        "message {got:?} should contain {message:?}"
    );
}

fn not_authorized(role: &str) -> String {
    format!(
        "is not authorized to perform: sts:AssumeRole on resource: {}",
        role_arn(role)
    )
}

/// A six-digit code that is none of the codes the mock accepts around now.
fn wrong_code(secret: &str) -> String {
    let now = now_secs();
    let valid: Vec<String> = (-2..=2).map(|k| totp(secret, now + 30 * k)).collect();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn mfa_required_role_accepts_a_valid_code_once() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let code = totp(BUILTIN_MFA_SECRET, now_secs());
    let mfa = [("SerialNumber", ALICE_MFA), ("TokenCode", code.as_str())];
    let (status, xml) = assume(&mock, &creds, "Mfa", &mfa).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        xml_value(&xml, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/Mfa/s1"
    );
    // The same code again is refused with the wrong-code answer, as AWS does.
    let replay = assume(&mock, &creds, "Mfa", &mfa).await;
    assert_error(
        &replay,
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
}

#[tokio::test]
async fn mfa_required_role_without_mfa_is_access_denied() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Mfa", &[]).await;
    assert_error(&result, 403, "AccessDenied", &not_authorized("Mfa"));
}

#[tokio::test]
async fn wrong_mfa_code_is_access_denied() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let code = wrong_code(BUILTIN_MFA_SECRET);
    let result = assume(
        &mock,
        &creds,
        "Open",
        &[("SerialNumber", ALICE_MFA), ("TokenCode", &code)],
    )
    .await;
    assert_error(
        &result,
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
}

#[tokio::test]
async fn mfa_device_of_another_user_is_refused() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    // A correct code of bob's device, presented by alice.
    let code = totp("bob-secret", now_secs());
    let result = assume(
        &mock,
        &creds,
        "Mfa",
        &[("SerialNumber", BOB_MFA), ("TokenCode", &code)],
    )
    .await;
    assert_error(
        &result,
        403,
        "AccessDenied",
        "unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    );
}

#[tokio::test]
async fn serial_number_without_token_code_is_access_denied() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Mfa", &[("SerialNumber", ALICE_MFA)]).await;
    assert_error(
        &result,
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
}

#[tokio::test]
async fn token_code_without_serial_number_is_a_validation_error() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let code = totp(BUILTIN_MFA_SECRET, now_secs());
    let result = assume(&mock, &creds, "Mfa", &[("TokenCode", &code)]).await;
    assert_error(&result, 400, "ValidationError", "SerialNumber");
}

#[tokio::test]
async fn malformed_token_code_is_a_validation_error() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(
        &mock,
        &creds,
        "Mfa",
        &[("SerialNumber", ALICE_MFA), ("TokenCode", "12ab56")],
    )
    .await;
    assert_error(
        &result,
        400,
        "ValidationError",
        "at 'tokenCode' failed to satisfy constraint",
    );
}

#[tokio::test]
async fn mfa_session_can_chain_into_an_mfa_role_without_a_new_code() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let code = totp(BUILTIN_MFA_SECRET, now_secs());
    let (status, xml) = assume(
        &mock,
        &creds,
        "Open",
        &[("SerialNumber", ALICE_MFA), ("TokenCode", &code)],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let open = creds_from_assume_role(&xml);
    let (status, xml) = assume(&mock, &open, "Mfa", &[]).await;
    assert_eq!(
        status, 200,
        "MFA context carries into the chained session: {xml}"
    );
}

#[tokio::test]
async fn admin_mfa_code_endpoint_gives_an_unspent_code() {
    let mock = start(config()).await;
    let http = client();
    let url = format!(
        "{}/__admin/mfa/code?serial={}",
        mock.base_url(),
        form_value(ALICE_MFA)
    );
    let answer: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    let code = answer["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    assert!(answer["valid_for_secs"].as_i64().unwrap() > 0);
    let creds = alice(&mock).await;
    let (status, xml) = assume(
        &mock,
        &creds,
        "Mfa",
        &[("SerialNumber", ALICE_MFA), ("TokenCode", &code)],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let next: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_ne!(
        next["code"], answer["code"],
        "a spent code is not offered again"
    );
    assert_eq!(
        mock.mfa_code(ALICE_MFA).unwrap(),
        next["code"].as_str().unwrap()
    );

    let unknown = http
        .get(format!(
            "{}/__admin/mfa/code?serial={}",
            mock.base_url(),
            form_value("arn:aws:iam::111122223333:mfa/nobody")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn external_id_is_required_and_checked() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, xml) = assume(&mock, &creds, "Partner", &[("ExternalId", "partner-7")]).await;
    assert_eq!(status, 200, "{xml}");
    let missing = assume(&mock, &creds, "Partner", &[]).await;
    assert_error(&missing, 403, "AccessDenied", &not_authorized("Partner"));
}

#[tokio::test]
async fn wrong_external_id_is_access_denied() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Partner", &[("ExternalId", "partner-8")]).await;
    assert_error(&result, 403, "AccessDenied", &not_authorized("Partner"));
}

#[tokio::test]
async fn malformed_external_id_is_a_validation_error() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Partner", &[("ExternalId", "x")]).await;
    assert_error(
        &result,
        400,
        "ValidationError",
        "at 'externalId' failed to satisfy constraint",
    );
}

#[tokio::test]
async fn duration_within_the_role_maximum_is_granted() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, xml) = assume(&mock, &creds, "Long", &[("DurationSeconds", "43200")]).await;
    assert_eq!(status, 200, "{xml}");
    let expiration = xml_value(&xml, "Expiration").unwrap();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let expires = time::PrimitiveDateTime::parse(&expiration, format)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    assert!((expires - now_secs() - 43200).abs() <= 5, "{expiration}");
}

#[tokio::test]
async fn duration_below_900_is_a_validation_error() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Open", &[("DurationSeconds", "899")]).await;
    assert_error(
        &result,
        400,
        "ValidationError",
        "at 'durationSeconds' failed to satisfy constraint",
    );
}

#[tokio::test]
async fn duration_above_the_role_maximum_is_a_validation_error() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Open", &[("DurationSeconds", "3601")]).await;
    assert_error(
        &result,
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
}

#[tokio::test]
async fn role_chaining_is_capped_at_one_hour() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, xml) = assume(&mock, &creds, "Open", &[]).await;
    assert_eq!(status, 200, "{xml}");
    let open = creds_from_assume_role(&xml);
    let result = assume(&mock, &open, "Long", &[("DurationSeconds", "3601")]).await;
    assert_error(
        &result,
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    let (status, xml) = assume(&mock, &open, "Long", &[("DurationSeconds", "3600")]).await;
    assert_eq!(status, 200, "{xml}");
}

#[tokio::test]
async fn a_console_role_session_is_chaining_too() {
    let mock = start(config()).await;
    let (_, body) = login(&client(), mock.base_url(), "admin").await;
    let admin = Creds::from_token(&body);
    let result = assume(&mock, &admin, "Long", &[("DurationSeconds", "7200")]).await;
    assert_error(&result, 400, "ValidationError", "1 hour session limit");
}

#[tokio::test]
async fn a_role_session_assumes_a_role_that_trusts_its_role() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, xml) = assume(&mock, &creds, "Open", &[]).await;
    assert_eq!(status, 200, "{xml}");
    let open = creds_from_assume_role(&xml);
    let (status, xml) = assume(&mock, &open, "Second", &[]).await;
    assert_eq!(status, 200, "{xml}");
    let second = creds_from_assume_role(&xml);
    let (status, who) = sts_call(
        &client(),
        mock.base_url(),
        Some(&second),
        "Action=GetCallerIdentity&Version=2011-06-15",
        None,
    )
    .await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        xml_value(&who, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/Second/s1"
    );
}

#[tokio::test]
async fn a_role_trusting_a_role_refuses_the_user_directly() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Second", &[]).await;
    assert_error(&result, 403, "AccessDenied", &not_authorized("Second"));
}

#[tokio::test]
async fn trust_in_an_identity_does_not_extend_to_its_role_sessions() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, _) = assume(&mock, &creds, "Alice", &[]).await;
    assert_eq!(status, 200, "alice herself is trusted");
    let (_, xml) = assume(&mock, &creds, "Open", &[]).await;
    let open = creds_from_assume_role(&xml);
    let result = assume(&mock, &open, "Alice", &[]).await;
    assert_error(&result, 403, "AccessDenied", &not_authorized("Alice"));
}

#[tokio::test]
async fn account_root_trust_admits_any_principal_of_the_account() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    let (status, xml) = assume(&mock, &creds, "AccountWide", &[]).await;
    assert_eq!(status, 200, "{xml}");
    let unknown = assume(&mock, &creds, "Nope", &[]).await;
    assert_error(&unknown, 403, "AccessDenied", &not_authorized("Nope"));
}

#[tokio::test]
async fn disabled_region_is_region_disabled_exception() {
    let mock = start(MockConfig {
        sts_disabled_regions: vec!["us-east-1".to_owned()],
        ..config()
    })
    .await;
    let creds = alice(&mock).await;
    let result = assume(&mock, &creds, "Open", &[]).await;
    assert_error(
        &result,
        403,
        "RegionDisabledException",
        "STS is not activated in this region for account:111122223333.",
    );
    // Over the admin API: enable it again.
    let http = client();
    let answer: Value = http
        .post(format!("{}/__admin/sts/regions", mock.base_url()))
        .body(r#"{"disabled":[]}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["disabled"], serde_json::json!([]));
    let (status, xml) = assume(&mock, &creds, "Open", &[]).await;
    assert_eq!(status, 200, "{xml}");
    mock.set_sts_disabled_regions(&["us-east-1"]);
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        "Action=GetCallerIdentity&Version=2011-06-15",
        None,
    )
    .await;
    assert_error(&result, 403, "RegionDisabledException", "not activated");
}

#[tokio::test]
async fn throttling_fault_answers_like_sts() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    mock.set_faults(FaultPlan {
        target: FaultTarget::Sts,
        error_status: Some(400),
        error_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let result = assume(&mock, &creds, "Open", &[]).await;
    assert_error(&result, 400, "Throttling", "Rate exceeded");
    let (status, _) = assume(&mock, &creds, "Open", &[]).await;
    assert_eq!(status, 200, "the next call goes through");
}

#[tokio::test]
async fn assume_role_is_counted_per_role() {
    let mock = start(config()).await;
    let creds = alice(&mock).await;
    assume(&mock, &creds, "Open", &[]).await;
    assume(&mock, &creds, "Open", &[]).await;
    assume(&mock, &creds, "Partner", &[]).await;
    let stats = mock.stats();
    assert_eq!(stats.assume_role_outcome(&role_arn("Open"), "ok"), 2);
    assert_eq!(
        stats.assume_role_outcome(&role_arn("Partner"), "AccessDenied"),
        1
    );
    assert_eq!(stats.assume_role_calls(&role_arn("Mfa")), 0);
    assert_eq!(stats.sts_outcome("AssumeRole", "ok"), 2);
    let json: Value = client()
        .get(format!("{}/__admin/stats", mock.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["assume_role"][role_arn("Open")]["ok"], 2);
}

#[test]
fn config_refuses_an_mfa_device_of_an_unknown_identity() {
    let mut config = MockConfig::default();
    config.mfa_devices.push(MfaDevice {
        serial: "arn:aws:iam::111122223333:mfa/ghost".to_owned(),
        identity: "ghost".to_owned(),
        secret: "x".to_owned(),
    });
    assert!(config.validate().is_err());
}

#[test]
fn config_refuses_a_malformed_external_id() {
    let config = MockConfig {
        roles: vec![Role {
            external_id: Some("has space".to_owned()),
            ..Role::new(&role_arn("X"))
        }],
        ..MockConfig::default()
    };
    assert!(config.validate().is_err());
}
