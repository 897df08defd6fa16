//! STS over loopback: credentials issued by /v1/token work for GetCallerIdentity and AssumeRole;
//! unsigned, badly signed, tampered, unknown and expired calls are refused the way STS does.

mod common;

use common::*;
use signin_mock::{MockConfig, Role};

const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

async fn logged_in(mock: &signin_mock::RunningMock, identity: &str) -> Creds {
    let (_, body) = login(&client(), mock.base_url(), identity).await;
    Creds::from_token(&body)
}

fn assert_sts_error(result: &(u16, String), status: u16, code: &str) {
    assert_eq!(result.0, status, "{}", result.1);
    assert_eq!(
        xml_value(&result.1, "Code").as_deref(),
        Some(code),
        "{}",
        result.1
    );
    assert_eq!(xml_value(&result.1, "Type").as_deref(), Some("Sender"));
}

#[tokio::test]
async fn get_caller_identity_with_issued_credentials() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let (status, xml) = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        xml_value(&xml, "Arn").unwrap(),
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(xml_value(&xml, "Account").unwrap(), "111122223333");
    assert!(xml_value(&xml, "UserId").unwrap().starts_with("AIDA"));
    assert_eq!(mock.stats().sts_outcome("GetCallerIdentity", "ok"), 1);

    let creds = logged_in(&mock, "admin").await;
    let (_, xml) = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_eq!(
        xml_value(&xml, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    );
    assert!(xml_value(&xml, "UserId").unwrap().ends_with(":alice"));
}

#[tokio::test]
async fn unsigned_call_is_missing_authentication_token() {
    let mock = start(MockConfig::default()).await;
    let result = sts_call(&client(), mock.base_url(), None, GET_CALLER_IDENTITY, None).await;
    assert_sts_error(&result, 403, "MissingAuthenticationToken");
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let mock = start(MockConfig::default()).await;
    let mut creds = logged_in(&mock, "alice").await;
    creds.secret_access_key.replace_range(
        0..1,
        if creds.secret_access_key.starts_with('A') {
            "B"
        } else {
            "A"
        },
    );
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_sts_error(&result, 403, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn tampered_body_is_signature_does_not_match() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let http = client();
    let (status, _) = sts_call(
        &http,
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let base = mock.base_url();
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    // A valid signature for GetCallerIdentity, sent with a different body.
    let signed = signed_headers_for(
        &creds,
        base,
        "Action=GetCallerIdentity&Version=2011-06-15",
        &amz_date,
    );
    let response = http
        .post(format!("{base}/"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("x-amz-date", &amz_date)
        .header(
            "x-amz-security-token",
            creds.session_token.as_deref().unwrap(),
        )
        .header("authorization", signed)
        .body("Action=AssumeRole&Version=2011-06-15&RoleArn=x")
        .send()
        .await
        .unwrap();
    let result = (response.status().as_u16(), response.text().await.unwrap());
    assert_sts_error(&result, 403, "SignatureDoesNotMatch");
}

/// The Authorization header a correct signer would send for this body.
fn signed_headers_for(creds: &Creds, base: &str, form: &str, amz_date: &str) -> String {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let host = base.trim_start_matches("http://");
    let canonical_headers = format!(
        "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:{host}\nx-amz-date:{amz_date}\nx-amz-security-token:{}\n",
        creds.session_token.as_deref().unwrap()
    );
    let signed_headers = "content-type;host;x-amz-date;x-amz-security-token";
    let canonical = format!(
        "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(form.as_bytes()))
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/us-east-1/sts/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mac = |key: &[u8], data: &str| {
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let k = mac(format!("AWS4{}", creds.secret_access_key).as_bytes(), date);
    let k = mac(&mac(&mac(&k, "us-east-1"), "sts"), "aws4_request");
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={}",
        creds.access_key_id,
        hex::encode(mac(&k, &to_sign))
    )
}

#[tokio::test]
async fn unknown_key_and_tampered_session_token_are_invalid_client_token_id() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let mut unknown = creds.clone();
    unknown.access_key_id = "ASIAAAAAAAAAAAAAAAAA".to_owned();
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&unknown),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_sts_error(&result, 403, "InvalidClientTokenId");

    let mut tampered = creds.clone();
    tampered.session_token = Some(format!("{}x", creds.session_token.clone().unwrap()));
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&tampered),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_sts_error(&result, 403, "InvalidClientTokenId");

    let mut missing = creds.clone();
    missing.session_token = None;
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&missing),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_sts_error(&result, 403, "InvalidClientTokenId");
}

#[tokio::test]
async fn expired_credentials_are_expired_token() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    mock.expire_credentials();
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_sts_error(&result, 403, "ExpiredToken");
}

#[tokio::test]
async fn credentials_expire_with_their_lifetime() {
    let mock = start(MockConfig {
        access_token_lifetime_secs: 60,
        ..MockConfig::default()
    })
    .await;
    let creds = logged_in(&mock, "alice").await;
    mock.set_clock_offset(61);
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let shifted = (time::OffsetDateTime::now_utc() + time::Duration::seconds(61))
        .format(format)
        .unwrap();
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        Some(shifted),
    )
    .await;
    assert_sts_error(&result, 403, "ExpiredToken");
}

#[tokio::test]
async fn old_signature_date_is_refused() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let old = (time::OffsetDateTime::now_utc() - time::Duration::minutes(20))
        .format(format)
        .unwrap();
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        GET_CALLER_IDENTITY,
        Some(old),
    )
    .await;
    assert_sts_error(&result, 403, "SignatureDoesNotMatch");
    assert!(result.1.contains("Signature expired"), "{}", result.1);
}

#[tokio::test]
async fn assume_role_then_call_as_the_role() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let form = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FDeploy&RoleSessionName=ci-run";
    let (status, xml) = sts_call(&client(), mock.base_url(), Some(&creds), form, None).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        xml_value(&xml, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/Deploy/ci-run"
    );
    let role_creds = Creds {
        access_key_id: xml_value(&xml, "AccessKeyId").unwrap(),
        secret_access_key: xml_value(&xml, "SecretAccessKey").unwrap(),
        session_token: xml_value(&xml, "SessionToken"),
    };
    assert!(xml_value(&xml, "Expiration").unwrap().ends_with('Z'));
    let (status, who) = sts_call(
        &client(),
        mock.base_url(),
        Some(&role_creds),
        GET_CALLER_IDENTITY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        xml_value(&who, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/Deploy/ci-run"
    );

    // Role chaining is capped at one hour.
    let chained = format!("{form}&DurationSeconds=7200");
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&role_creds),
        &chained,
        None,
    )
    .await;
    assert_sts_error(&result, 400, "ValidationError");
}

#[tokio::test]
async fn assume_role_refusals() {
    let mock = start(MockConfig {
        roles: vec![Role {
            trusted: vec!["admin".to_owned()],
            ..Role::new("arn:aws:iam::111122223333:role/OnlyAdmin")
        }],
        ..MockConfig::default()
    })
    .await;
    let creds = logged_in(&mock, "alice").await;
    let base = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FOnlyAdmin";
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        &format!("{base}&RoleSessionName=s1"),
        None,
    )
    .await;
    assert_sts_error(&result, 403, "AccessDenied");
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        &format!("{base}&RoleSessionName=bad%20name"),
        None,
    )
    .await;
    assert_sts_error(&result, 400, "ValidationError");

    let admin = logged_in(&mock, "admin").await;
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&admin),
        &format!("{base}&RoleSessionName=s1&DurationSeconds=7200"),
        None,
    )
    .await;
    assert_sts_error(&result, 400, "ValidationError");
    let (status, _) = sts_call(
        &client(),
        mock.base_url(),
        Some(&admin),
        &format!("{base}&RoleSessionName=s1"),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_action_and_version() {
    let mock = start(MockConfig::default()).await;
    let creds = logged_in(&mock, "alice").await;
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        "Action=GetSessionToken&Version=2011-06-15",
        None,
    )
    .await;
    assert_sts_error(&result, 400, "InvalidAction");
    let result = sts_call(
        &client(),
        mock.base_url(),
        Some(&creds),
        "Action=GetCallerIdentity",
        None,
    )
    .await;
    assert_sts_error(&result, 400, "MissingParameter");
}
