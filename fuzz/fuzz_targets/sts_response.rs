//! STS `AssumeRole` responses (status + headers + XML body, success or error) and the role
//! cache files AWS CLI, botocore and aws-login write for them (`~/.aws/cli/cache/*.json`).
//!
//! Input: `STATUS \0 HEADERS \0 BODY`; the body is also read as a role cache file. Invariants: a
//! parsed success written as botocore's cache file reads back to the same credentials and ARN;
//! any role cache file that reads, read again after rewriting, gives the same credentials.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::sts::{parse_assume_role_response, RoleCacheEntry};
use login_core::HttpResponse;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let status: u16 = text(f[0]).trim().parse().unwrap_or(200);
    let headers: Vec<(String, String)> = text(f[1])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = HttpResponse::new(status, headers.clone(), f[2].to_vec());
    if let Ok(role) = parse_assume_role_response(&response) {
        let cached = role.cache_json(status, &headers);
        let back =
            RoleCacheEntry::from_json(cached.as_bytes()).expect("our own role cache reads back");
        assert_eq!(
            back.credentials.access_key_id,
            role.credentials.access_key_id
        );
        assert_eq!(
            back.credentials.secret_access_key.expose(),
            role.credentials.secret_access_key.expose()
        );
        assert_eq!(
            back.credentials.session_token.expose(),
            role.credentials.session_token.expose()
        );
        assert_eq!(
            back.credentials.expiration_unix(),
            role.credentials.expiration_unix()
        );
        assert_eq!(
            back.assumed_role_arn.as_deref(),
            Some(role.assumed_role_arn.as_str())
        );
    }
    if let Ok(entry) = RoleCacheEntry::from_json(f[2]) {
        let _ = entry.credentials.expiration_iso();
    }
});
