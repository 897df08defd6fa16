//! Token endpoint responses: status, headers and raw body, as the network delivers them
//! (including truncated and hostile ones).
//!
//! Input: `STATUS \0 HEADERS \0 BODY` (STATUS decimal text, HEADERS `Name: value` lines).
//! Invariants: a success has every credential field non-empty and a positive lifetime, and folds
//! into a cache entry that reads back; an error says whether to retry or log in again, never both;
//! and no error message ever quotes a secret the body carried (a truncated 200 holds the new
//! secret key and session token).
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::{parse_token_response, CacheEntry, HttpResponse, Refresh};
use time::OffsetDateTime;

const CACHE: &[u8] = include_bytes!(
    "../../fixtures/cache/4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
);

/// Values of the secret fields as they appear in the raw body, even when it is cut short.
fn secrets_in(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["secretAccessKey", "sessionToken", "refreshToken", "idToken"] {
        let needle = format!("\"{field}\"");
        let mut rest = body;
        while let Some(at) = rest.find(&needle) {
            rest = &rest[at + needle.len()..];
            let after = rest.trim_start().strip_prefix(':').map(str::trim_start);
            if let Some(value) = after.and_then(|a| a.strip_prefix('"')) {
                let value: String = value
                    .chars()
                    .take_while(|c| *c != '"' && *c != '\\')
                    .collect();
                // Short fragments match ordinary words; eight characters are a secret's worth.
                // Secrets hold no white space (and the excerpt shows control bytes as spaces).
                if value.chars().count() >= 8 && !value.chars().any(char::is_whitespace) {
                    out.push(value);
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let status: u16 = text(f[0]).trim().parse().unwrap_or(200);
    let headers: Vec<(String, String)> = text(f[1])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = HttpResponse::new(status, headers, f[2].to_vec());
    let _ = response.date();
    match parse_token_response(&response) {
        Ok(output) => {
            assert!((200..300).contains(&status));
            assert!(!output.access_key_id.is_empty());
            assert!(!output.secret_access_key.is_empty());
            assert!(!output.session_token.is_empty());
            assert!(!output.refresh_token.is_empty());
            assert!(output.expires_in > 0);
            let entry = CacheEntry::from_json(CACHE).expect("fixture cache reads");
            let now = OffsetDateTime::from_unix_timestamp(1_764_931_000).expect("fixed now");
            let pending = match Refresh::plan(entry.clone(), now) {
                Ok(Refresh::Send(p)) => p,
                _ => Refresh::force(entry).expect("fixture key loads"),
            };
            let refreshed = pending
                .on_response(&response, now)
                .expect("parsed once, parses again");
            let back = CacheEntry::from_json(refreshed.entry.to_json().as_bytes())
                .expect("a refreshed entry reads back");
            assert_eq!(back.access_token.access_key_id, output.access_key_id);
            assert_eq!(back.refresh_token.expose(), output.refresh_token.expose());
        }
        Err(error) => {
            assert!(!(error.is_retryable() && error.needs_login()), "{error:?}");
            let message = error.to_string();
            let _ = error.user_action();
            let body = String::from_utf8_lossy(&response.body);
            // Text before the first secret field is not secret (a captive portal's page, an
            // error); a value that also occurs there may be quoted.
            let lower = body.to_ascii_lowercase();
            let public_end = ["secretaccesskey", "sessiontoken", "refreshtoken", "idtoken"]
                .iter()
                .filter_map(|f| lower.find(f))
                .min()
                .unwrap_or(body.len());
            for secret in secrets_in(&body) {
                if body[..public_end].contains(secret.as_str()) {
                    continue;
                }
                assert!(
                    !message.contains(&secret),
                    "the error message quotes a secret from the body: {message}"
                );
            }
        }
    }
});
