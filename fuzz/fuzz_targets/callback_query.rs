//! The loopback callback's query (`code=…&state=…` or `error=…`), as any page may send it.
//!
//! Input: `QUERY \0 CODE`. Invariants: an accepted callback carries the expected state and a
//! non-empty code; a redirect the sign-in service would send (form-encoded `code` + `state`, in
//! either order, as a bare query, a path or a full URL) yields exactly that code; a denial is
//! never taken as a code; the error text shown is free of control characters.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::{parse_callback, CallbackError};

const STATE: &str = "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11";

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let query = text(f[0]);
    match parse_callback(&query, STATE) {
        Ok(code) => {
            assert_eq!(code.state, STATE);
            assert!(!code.code.is_empty());
        }
        Err(CallbackError::Denied { error, description }) => {
            assert!(!error.chars().any(char::is_control));
            assert!(!description
                .unwrap_or_default()
                .chars()
                .any(char::is_control));
        }
        Err(_) => {}
    }
    let code = text(f[1]);
    if code.is_empty() {
        return;
    }
    let forward = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", STATE)
        .finish();
    let backward = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("state", STATE)
        .append_pair("code", &code)
        .finish();
    for q in [
        forward.clone(),
        backward,
        format!("/oauth/callback?{forward}"),
        format!("http://127.0.0.1:4242/oauth/callback?{forward}#"),
    ] {
        let got = parse_callback(&q, STATE).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        assert_eq!(got.code.expose(), code);
    }
    let denied = format!("error=access_denied&state={STATE}&code=x{forward}");
    assert!(
        parse_callback(&denied, STATE).is_err(),
        "a denial was taken as a code"
    );
});
