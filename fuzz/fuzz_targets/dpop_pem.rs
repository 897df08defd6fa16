//! DPoP keys and proofs: the `dpopKey` PEM of a cache file (SEC1 from AWS CLI, PKCS#8 from the
//! JS SDK, or anything else), and compact DPoP proofs as login-core's verifier reads them (the
//! tests and both bindings check every peer's proofs with it).
//!
//! Input: `PEM \0 PROOF \0 HTU \0 JTI`. Invariants: the cheap key check and the full load agree;
//! a loaded key written as SEC1 and as PKCS#8 loads back to the same key (same JWK and
//! thumbprint) and SEC1 writing is a fixed point; any proof that verifies names a 43-character
//! thumbprint; a proof signed for any `htu`/`jti` verifies and gives them back exactly, and
//! fails once one signature character changes.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::{DpopKey, DpopProof};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 4);
    let pem = text(f[0]);
    let checked = DpopKey::check_pem(&pem);
    let loaded = DpopKey::from_pem(&pem);
    assert_eq!(
        checked.is_ok(),
        loaded.is_ok(),
        "check_pem and from_pem disagree: {checked:?} vs {:?}",
        loaded.as_ref().err()
    );
    if let Ok(key) = &loaded {
        let sec1 = key.to_sec1_pem();
        let pkcs8 = key.to_pkcs8_pem();
        for written in [&sec1, &pkcs8] {
            let back = DpopKey::from_pem(written.expose()).expect("our own PEM loads");
            assert_eq!(back.public_jwk(), key.public_jwk());
            assert_eq!(back.thumbprint(), key.thumbprint());
        }
        let again = DpopKey::from_pem(sec1.expose()).expect("SEC1 loads");
        assert_eq!(
            again.to_sec1_pem().expose(),
            sec1.expose(),
            "SEC1 writing is not a fixed point"
        );
    }

    if let Ok(v) = DpopProof::verify(&text(f[1])) {
        assert_eq!(v.thumbprint.len(), 43);
    }
    let key = match loaded {
        Ok(key) => key,
        Err(_) => DpopKey::from_scalar_bytes(&[7u8; 32]).expect("fixed key"),
    };
    let (htu, jti) = (text(f[2]), text(f[3]));
    let proof = key.proof("POST", &htu, 1_764_931_000, &jti);
    let v = DpopProof::verify(proof.as_str()).expect("our own proof verifies");
    assert_eq!(
        (v.htm.as_str(), v.htu.as_str(), v.jti.as_str(), v.iat),
        ("POST", htu.as_str(), jti.as_str(), 1_764_931_000)
    );
    assert_eq!(v.thumbprint, key.thumbprint());
    let compact = proof.as_str();
    let at = compact.len() - 6;
    let flipped = if compact.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let mut tampered = compact.to_owned();
    tampered.replace_range(at..at + 1, flipped);
    assert!(
        DpopProof::verify(&tampered).is_err(),
        "a tampered signature verified"
    );
});
