//! The remote flow's pasted code (base64 of `state=…&code=…`), whatever the person pastes.
//!
//! Input: `PASTED \0 CODE \0 STATE`. Invariants: an accepted paste carries exactly the expected
//! state and a non-empty code; a code the confirmation page would show (the standard base64 of a
//! form-encoded `state` + `code`), line-wrapped or with its padding cut as terminals do, decodes
//! to that code; another state is refused.
#![no_main]

use aws_login_fuzz::{fields, text};
use base64ct::{Base64, Encoding};
use libfuzzer_sys::fuzz_target;
use login_core::{decode_remote_code, RemoteCodeError};

const STATE: &str = "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11";

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let pasted = text(f[0]);
    if let Ok(code) = decode_remote_code(&pasted, STATE) {
        assert_eq!(code.state, STATE);
        assert!(!code.code.is_empty());
    }

    let code = text(f[1]);
    let state = if f[2].is_empty() {
        STATE.to_owned()
    } else {
        text(f[2])
    };
    if code.is_empty() {
        return;
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("state", &state)
        .append_pair("code", &code)
        .finish();
    let encoded = Base64::encode_string(query.as_bytes());
    let wrapped: String = encoded
        .trim_end_matches('=')
        .as_bytes()
        .chunks(20)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n  ");
    for paste in [encoded.clone(), format!(" {wrapped}\n")] {
        let result = decode_remote_code(&paste, STATE);
        if state == STATE {
            let got = result.unwrap_or_else(|e| panic!("{paste:?} for code {code:?}: {e}"));
            assert_eq!(got.code.expose(), code);
        } else if !state.is_empty() {
            assert_eq!(result.map(|c| c.code), Err(RemoteCodeError::StateMismatch));
        }
    }
});
