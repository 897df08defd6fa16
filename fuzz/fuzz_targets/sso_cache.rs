//! IAM Identity Center inputs: the token cache (`~/.aws/sso/cache/<sha1>.json`, written by AWS
//! CLI, the SDKs or aws-login), client registrations, SSO role-credential caches, and the OIDC
//! and portal responses (status + headers + body).
//!
//! Input: `STATUS \0 HEADERS \0 BODY`; the body is read as each file and each response.
//! Invariants: a token file that reads is rewritten to one that reads back the same; the same
//! for registrations and SSO role caches (an SSO role cache is recognised as one); responses
//! never panic.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::sso::{
    oidc, portal, registration::Registration, role_cache::RoleCredentialsCache, token::SsoToken,
};
use login_core::HttpResponse;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let body = f[2];
    if let Ok(token) = SsoToken::from_json(body) {
        let written = token.to_json();
        let back = SsoToken::from_json(written.as_bytes()).expect("our own token file reads back");
        assert_eq!(
            back.to_json(),
            written,
            "token write → read → write is not a fixed point"
        );
    }
    if let Some(registration) = Registration::from_json(body) {
        let written = registration.to_json();
        let back =
            Registration::from_json(written.as_bytes()).expect("our own registration reads back");
        assert_eq!(back.to_json(), written);
    }
    if let Ok(credentials) = RoleCredentialsCache::from_json(body) {
        let written = RoleCredentialsCache::to_json(&credentials);
        assert!(RoleCredentialsCache::is_sso_entry(written.as_bytes()));
        let back = RoleCredentialsCache::from_json(written.as_bytes())
            .expect("our own role cache reads back");
        assert_eq!(back.access_key_id, credentials.access_key_id);
        assert_eq!(
            back.secret_access_key.expose(),
            credentials.secret_access_key.expose()
        );
        assert_eq!(back.expiration_unix(), credentials.expiration_unix());
    }
    let status: u16 = text(f[0]).trim().parse().unwrap_or(200);
    let headers: Vec<(String, String)> = text(f[1])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = HttpResponse::new(status, headers, body.to_vec());
    let _ = oidc::parse_register_client(&response);
    let _ = oidc::parse_create_token(&response);
    let _ = oidc::parse_device_authorization(&response);
    let _ = portal::parse_accounts(&response);
    let _ = portal::parse_roles(&response);
    let _ = portal::parse_logout(&response);
    let _ = portal::parse_role_credentials(&response, "111122223333");
});
