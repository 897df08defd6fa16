//! DPoP proof verification (RFC 9449), done here from first principles with p256 and sha2 so
//! that it can catch mistakes in the client's encoder rather than share them.

use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::EncodedPoint;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A proof whose shape, key and signature are good and whose claims match this request.
/// Replay (`jti`) is checked by the caller, against the server's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifiedProof {
    /// RFC 7638 thumbprint of the public key, base64url.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

/// Why a proof was refused, plus the key thumbprint when the key itself was readable
/// (so counters can attribute even failed calls to a key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProofRejected {
    pub reason: String,
    pub jkt: Option<String>,
}

fn reject(reason: impl Into<String>) -> ProofRejected {
    ProofRejected {
        reason: reason.into(),
        jkt: None,
    }
}

/// RFC 7638 thumbprint of a P-256 JWK: SHA-256 over the required members in lexical order.
pub(crate) fn jwk_thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()))
}

fn decode_segment(segment: &str, what: &str) -> Result<Vec<u8>, ProofRejected> {
    Base64UrlUnpadded::decode_vec(segment).map_err(|_| {
        reject(format!(
            "DPoP proof {what} is not base64url without padding"
        ))
    })
}

fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, ProofRejected> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(reject(format!("DPoP proof {what} is not a JSON object"))),
    }
}

fn str_member<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<&'a str, ProofRejected> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| reject(format!("DPoP proof {what} has no string \"{name}\"")))
}

fn coordinate(jwk: &Map<String, Value>, name: &str) -> Result<(String, [u8; 32]), ProofRejected> {
    let text = str_member(jwk, name, "jwk")?;
    let bytes = Base64UrlUnpadded::decode_vec(text).map_err(|_| {
        reject(format!(
            "DPoP jwk \"{name}\" is not base64url without padding"
        ))
    })?;
    let fixed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| reject(format!("DPoP jwk \"{name}\" must be exactly 32 bytes")))?;
    Ok((text.to_owned(), fixed))
}

/// Checks one `DPoP` header value against the request it arrived on.
pub(crate) fn verify_proof(
    header_values: &[&str],
    expected_htm: &str,
    expected_htu: &str,
    now_secs: i64,
    max_skew_secs: i64,
) -> Result<VerifiedProof, ProofRejected> {
    let proof = match header_values {
        [] => return Err(reject("missing DPoP header")),
        [one] => one.trim(),
        _ => return Err(reject("more than one DPoP header")),
    };
    let parts: Vec<&str> = proof.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err(reject(
            "DPoP proof is not a compact JWS (three dot-separated parts)",
        ));
    };

    let header = json_object(&decode_segment(header_b64, "header")?, "header")?;
    if str_member(&header, "typ", "header")? != "dpop+jwt" {
        return Err(reject("DPoP proof header \"typ\" must be \"dpop+jwt\""));
    }
    if str_member(&header, "alg", "header")? != "ES256" {
        return Err(reject("DPoP proof header \"alg\" must be \"ES256\""));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(reject("DPoP proof header has no \"jwk\" object"));
    };
    if str_member(jwk, "kty", "jwk")? != "EC" {
        return Err(reject("DPoP jwk \"kty\" must be \"EC\""));
    }
    if str_member(jwk, "crv", "jwk")? != "P-256" {
        return Err(reject("DPoP jwk \"crv\" must be \"P-256\""));
    }
    if jwk.contains_key("d") {
        return Err(reject(
            "DPoP jwk contains the private key (\"d\"); send only the public key",
        ));
    }
    let (x_text, x) = coordinate(jwk, "x")?;
    let (y_text, y) = coordinate(jwk, "y")?;
    let jkt = jwk_thumbprint(&x_text, &y_text);
    let with_key = |reason: String| ProofRejected {
        reason,
        jkt: Some(jkt.clone()),
    };

    let point = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    let key = VerifyingKey::from_encoded_point(&point)
        .map_err(|_| reject("DPoP jwk is not a point on P-256"))?;
    let signature_bytes = decode_segment(signature_b64, "signature")?;
    if signature_bytes.len() != 64 {
        return Err(with_key(format!(
            "DPoP signature must be raw r||s (64 bytes), got {} bytes",
            signature_bytes.len()
        )));
    }
    let signature = Signature::from_slice(&signature_bytes)
        .map_err(|_| with_key("DPoP signature is not a valid ES256 signature".to_owned()))?;
    let signing_input = format!("{header_b64}.{payload_b64}");
    key.verify(signing_input.as_bytes(), &signature)
        .map_err(|_| {
            with_key("DPoP signature does not verify with the jwk in the proof".to_owned())
        })?;

    let payload = json_object(&decode_segment(payload_b64, "payload")?, "payload")
        .map_err(|e| with_key(e.reason))?;
    let htm = str_member(&payload, "htm", "payload").map_err(|e| with_key(e.reason))?;
    if htm != expected_htm {
        return Err(with_key(format!(
            "DPoP \"htm\" is {htm:?}, expected {expected_htm:?}"
        )));
    }
    let htu = str_member(&payload, "htu", "payload").map_err(|e| with_key(e.reason))?;
    // RFC 9449 §4.3: compare ignoring query and fragment.
    let htu_base = htu.split(['?', '#']).next().unwrap_or("");
    if htu_base != expected_htu {
        return Err(with_key(format!(
            "DPoP \"htu\" is {htu:?}, but this request was sent to {expected_htu:?}"
        )));
    }
    let Some(iat) = payload.get("iat").and_then(Value::as_i64) else {
        return Err(with_key("DPoP payload has no integer \"iat\"".to_owned()));
    };
    if (now_secs - iat).abs() > max_skew_secs {
        return Err(with_key(format!(
            "DPoP \"iat\" {iat} is {}s away from the server clock {now_secs} (allowed: {max_skew_secs}s)",
            (now_secs - iat).abs()
        )));
    }
    let jti = str_member(&payload, "jti", "payload").map_err(|e| with_key(e.reason))?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(with_key(
            "DPoP \"jti\" must be 1 to 256 characters".to_owned(),
        ));
    }
    Ok(VerifiedProof {
        jkt,
        jti: jti.to_owned(),
        iat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc7638_shape() {
        // The thumbprint input has exactly the required members, sorted, no whitespace.
        let t = jwk_thumbprint("AAAA", "BBBB");
        let expected = Base64UrlUnpadded::encode_string(&Sha256::digest(
            br#"{"crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}"#,
        ));
        assert_eq!(t, expected);
        assert_eq!(t.len(), 43);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let err = verify_proof(&["a.b"], "POST", "http://x/v1/token", 0, 60).unwrap_err();
        assert!(err.reason.contains("three"), "{}", err.reason);
        let err = verify_proof(&[], "POST", "http://x/v1/token", 0, 60).unwrap_err();
        assert!(err.reason.contains("missing"), "{}", err.reason);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_hostile_proofs(proof in ".{0,400}", dots in proptest::collection::vec("[A-Za-z0-9_-]{0,120}", 0..5)) {
            let _ = verify_proof(&[proof.as_str()], "POST", "http://127.0.0.1:1/v1/token", 0, 300);
            let joined = dots.join(".");
            let _ = verify_proof(&[joined.as_str()], "POST", "http://127.0.0.1:1/v1/token", 0, 300);
        }
    }
}
