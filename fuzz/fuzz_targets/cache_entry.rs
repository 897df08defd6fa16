//! The login token cache file (`~/.aws/login/cache/<sha256>.json`), as AWS CLI, botocore, the JS
//! SDK or a stranger may have written it.
//!
//! Invariants for any file that reads: what `logout --all` would delete is a login entry; its
//! DPoP key, accepted by the cheap read check, also loads for signing; write → read → write is a
//! fixed point in both writers' layouts (botocore's one line, the JS SDK's indent 2) with the
//! same credentials; a refresh folded in keeps `accountId`, the key and every unknown field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use login_core::{CacheEntry, RefreshPlan, SecretString, TokenOutput};
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let listed = login_core::is_login_cache_entry(data);
    let Ok(entry) = CacheEntry::from_json(data) else {
        return;
    };
    assert!(
        listed,
        "a readable entry must be one that logout --all recognises"
    );
    entry
        .dpop_key()
        .expect("a key that passed the read check must load for signing");

    let one_line = entry.to_json();
    let reread = CacheEntry::from_json(one_line.as_bytes()).expect("our own file must read back");
    assert_eq!(
        reread.to_json(),
        one_line,
        "write → read → write is not a fixed point"
    );
    let pretty = entry.to_json_pretty();
    let reread_pretty =
        CacheEntry::from_json(pretty.as_bytes()).expect("our own pretty file must read back");
    assert_eq!(
        reread_pretty, reread,
        "the two layouts read back differently"
    );

    // Whole seconds are what is written; everything else is exact.
    let (a, b) = (entry.credentials(), reread.credentials());
    assert_eq!(a.access_key_id, b.access_key_id);
    assert_eq!(a.secret_access_key.expose(), b.secret_access_key.expose());
    assert_eq!(a.session_token.expose(), b.session_token.expose());
    assert_eq!(a.account_id, b.account_id);
    assert_eq!(a.expiration_unix(), b.expiration_unix());
    assert_eq!(entry.refresh_token.expose(), reread.refresh_token.expose());
    assert_eq!(entry.dpop_key.expose(), reread.dpop_key.expose());
    assert_eq!(entry.extra, reread.extra);

    // The refresh decision never panics, whatever the expiry.
    let now = OffsetDateTime::from_unix_timestamp(1_764_931_000).expect("fixed now");
    let _ = RefreshPlan::decide(&entry, now);
    let _ = entry.seconds_left(now);
    let _ = entry.signed_in_at();

    let output = TokenOutput {
        access_key_id: "ASIAFUZZREFRESHED001".into(),
        secret_access_key: SecretString::new("fuzz-secret"),
        session_token: SecretString::new("fuzz-session"),
        token_type: "aws_sigv4".into(),
        expires_in: 900,
        refresh_token: SecretString::new("fuzz-refresh-2"),
        id_token: None,
    };
    let mut refreshed = reread.clone();
    refreshed.apply_refresh(&output, now);
    let written = CacheEntry::from_json(refreshed.to_json().as_bytes())
        .expect("a refreshed entry must read back");
    assert_eq!(written.access_token.access_key_id, "ASIAFUZZREFRESHED001");
    assert_eq!(written.refresh_token.expose(), "fuzz-refresh-2");
    assert_eq!(
        written.access_token.account_id,
        reread.access_token.account_id
    );
    assert_eq!(written.dpop_key.expose(), reread.dpop_key.expose());
    assert_eq!(written.extra, reread.extra);
    assert_eq!(written.access_token.extra, reread.access_token.extra);
    assert_eq!(written.seconds_left(now), 900);
});
