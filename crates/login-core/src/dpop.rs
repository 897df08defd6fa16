//! DPoP (RFC 9449): the per-login P-256 key and the proofs signed with it.

use std::fmt;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use p256::{PublicKey, SecretKey};
use rand_core::CryptoRngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::pyjson;
use crate::secret::SecretString;

/// Why a PEM private key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopKeyError {
    /// No `-----BEGIN …-----` block and no bare base64.
    #[error("the DPoP key is not a PEM private key")]
    NotPem,
    /// A PEM block of another kind (e.g. `RSA PRIVATE KEY`).
    #[error("the DPoP key has PEM label `{0}`; expected `EC PRIVATE KEY` (SEC1) or `PRIVATE KEY` (PKCS#8)")]
    UnsupportedLabel(String),
    /// The body is not valid base64.
    #[error("the DPoP key's PEM body is not valid base64")]
    BadBase64,
    /// The DER does not hold a P-256 private key.
    #[error("the DPoP key is not a valid P-256 private key ({0})")]
    InvalidKey(&'static str),
}

/// The P-256 key pair that binds a login session's refresh token.
///
/// The private scalar is zeroized on drop; `Debug` shows only the public
/// thumbprint.
#[derive(Clone)]
pub struct DpopKey {
    signing: SigningKey,
    /// `{"kty":"EC","x":…,"y":…,"crv":"P-256"}` computed once, since every
    /// proof header repeats it.
    jwk_json: String,
    x: String,
    y: String,
}

impl DpopKey {
    /// A fresh key from the caller's CSPRNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self::from_secret(SecretKey::random(rng))
    }

    /// A key from its 32-byte big-endian private scalar.
    pub fn from_scalar_bytes(bytes: &[u8]) -> Result<Self, DpopKeyError> {
        SecretKey::from_slice(bytes)
            .map(Self::from_secret)
            .map_err(|_| {
                DpopKeyError::InvalidKey("the scalar is zero or not below the curve order")
            })
    }

    fn from_secret(secret: SecretKey) -> Self {
        let signing = SigningKey::from(&secret);
        let point = signing.verifying_key().to_encoded_point(false);
        // An uncompressed point of a valid public key always has both coordinates.
        let x = Base64UrlUnpadded::encode_string(point.x().map(|c| &c[..]).unwrap_or(&[]));
        let y = Base64UrlUnpadded::encode_string(point.y().map(|c| &c[..]).unwrap_or(&[]));
        let jwk_json = format!(r#"{{"kty":"EC","x":"{x}","y":"{y}","crv":"P-256"}}"#);
        Self {
            signing,
            jwk_json,
            x,
            y,
        }
    }

    /// Reads a PEM private key: SEC1 (`EC PRIVATE KEY`, what AWS CLI writes)
    /// or PKCS#8 (`PRIVATE KEY`). Like botocore, it tolerates odd line
    /// wrapping, CRLF and surrounding whitespace. The public key is derived
    /// from the private scalar (an embedded public key is not trusted).
    pub fn from_pem(pem: &str) -> Result<Self, DpopKeyError> {
        let scalar = pem_scalar(pem)?;
        SecretKey::from_slice(&scalar[..])
            .map(Self::from_secret)
            .map_err(|_| {
                DpopKeyError::InvalidKey("the scalar is zero or not below the curve order")
            })
    }

    /// Checks that `pem` holds a P-256 private key without deriving its
    /// public key (no curve arithmetic): cheap enough for every cache read.
    pub fn check_pem(pem: &str) -> Result<(), DpopKeyError> {
        let scalar = pem_scalar(pem)?;
        p256::NonZeroScalar::try_from(&scalar[..])
            .map(|_| ())
            .map_err(|_| {
                DpopKeyError::InvalidKey("the scalar is zero or not below the curve order")
            })
    }

    fn secret_key(&self) -> SecretKey {
        SecretKey::from(self.signing.as_nonzero_scalar())
    }

    /// SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`, 64-column lines, LF, with
    /// the curve OID and public key), the same bytes OpenSSL and AWS CLI write.
    ///
    /// Built by hand because `elliptic-curve` leaves out the `[0]` curve
    /// parameters, and OpenSSL (so Node's `createPrivateKey`) then refuses
    /// the key.
    pub fn to_sec1_pem(&self) -> SecretString {
        use sec1::der::EncodePem;
        let scalar = zeroize::Zeroizing::new(self.signing.to_bytes());
        let point = self.signing.verifying_key().to_encoded_point(false);
        let key = sec1::EcPrivateKey {
            private_key: &scalar,
            parameters: Some(sec1::EcParameters::NamedCurve(
                sec1::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
            )),
            public_key: Some(point.as_bytes()),
        };
        match key.to_pem(LineEnding::LF) {
            Ok(pem) => SecretString::new(pem),
            Err(_) => SecretString::default(),
        }
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> SecretString {
        match self.secret_key().to_pkcs8_pem(LineEnding::LF) {
            Ok(pem) => SecretString::new(pem.as_str()),
            Err(_) => SecretString::default(),
        }
    }

    /// The public JWK, compact, in the key order the proof header uses:
    /// `{"kty":"EC","x":"…","y":"…","crv":"P-256"}`.
    pub fn public_jwk(&self) -> &str {
        &self.jwk_json
    }

    /// The public JWK's `x` coordinate (base64url, no padding).
    pub fn jwk_x(&self) -> &str {
        &self.x
    }

    /// The public JWK's `y` coordinate (base64url, no padding).
    pub fn jwk_y(&self) -> &str {
        &self.y
    }

    /// RFC 7638 JWK thumbprint (base64url SHA-256 of the canonical JWK): the
    /// `cnf.jkt` the service binds the refresh token to.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.x, &self.y)
    }

    /// Builds the DPoP proof for one request. `iat` (unix seconds) and `jti`
    /// (a fresh UUIDv4 per request) come from the caller; the ES256 signature
    /// is deterministic (RFC 6979), so equal inputs give equal proofs.
    pub fn proof(&self, htm: &str, htu: &str, iat: i64, jti: &str) -> DpopProof {
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#,
            self.jwk_json
        );
        let payload = format!(
            r#"{{"htm":{},"htu":{},"iat":{iat},"jti":{}}}"#,
            pyjson::dumps(htm),
            pyjson::dumps(htu),
            pyjson::dumps(jti)
        );
        let mut compact = String::with_capacity(512);
        compact.push_str(&Base64UrlUnpadded::encode_string(header.as_bytes()));
        compact.push('.');
        compact.push_str(&Base64UrlUnpadded::encode_string(payload.as_bytes()));
        let signature: Signature = self.signing.sign(compact.as_bytes());
        compact.push('.');
        compact.push_str(&Base64UrlUnpadded::encode_string(&signature.to_bytes()));
        DpopProof(compact)
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint())
            .field("private", &"[redacted]")
            .finish()
    }
}

/// RFC 7638 thumbprint of a P-256 JWK given its coordinates.
pub fn jwk_thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()))
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_PRIME256V1: &str = "1.2.840.10045.3.1.7";

/// The 32-byte private scalar of a SEC1 or PKCS#8 PEM P-256 key.
fn pem_scalar(pem: &str) -> Result<zeroize::Zeroizing<[u8; 32]>, DpopKeyError> {
    use sec1::der::Decode;
    let (label, body) = split_pem(pem)?;
    let der =
        zeroize::Zeroizing::new(Base64::decode_vec(&body).map_err(|_| DpopKeyError::BadBase64)?);
    let sec1_der: &[u8] = match label.as_deref() {
        Some("EC PRIVATE KEY") => &der,
        Some("PRIVATE KEY") => pkcs8_inner(&der)?,
        Some(other) => return Err(DpopKeyError::UnsupportedLabel(other.to_owned())),
        // Bare base64 (no BEGIN line): botocore accepts it, so do we.
        None => pkcs8_inner(&der).unwrap_or(&der),
    };
    let key = sec1::EcPrivateKey::from_der(sec1_der)
        .map_err(|_| DpopKeyError::InvalidKey("bad SEC1 structure"))?;
    if let Some(params) = key.parameters {
        let oid = params.named_curve().map(|o| o.to_string());
        if oid.as_deref() != Some(OID_PRIME256V1) {
            return Err(DpopKeyError::InvalidKey("not a P-256 (prime256v1) key"));
        }
    }
    let bytes: [u8; 32] = key
        .private_key
        .try_into()
        .map_err(|_| DpopKeyError::InvalidKey("the private key is not 32 bytes"))?;
    Ok(zeroize::Zeroizing::new(bytes))
}

/// The SEC1 key inside a PKCS#8 `PrivateKeyInfo` for P-256.
fn pkcs8_inner(der: &[u8]) -> Result<&[u8], DpopKeyError> {
    let info = p256::pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|_| DpopKeyError::InvalidKey("bad PKCS#8 structure"))?;
    if info.algorithm.oid.to_string() != OID_EC_PUBLIC_KEY {
        return Err(DpopKeyError::InvalidKey("not an EC key"));
    }
    match info.algorithm.parameters_oid() {
        Ok(oid) if oid.to_string() == OID_PRIME256V1 => Ok(info.private_key),
        _ => Err(DpopKeyError::InvalidKey("not a P-256 (prime256v1) key")),
    }
}

/// Splits a PEM text into its label (if there is a BEGIN line) and its
/// base64 body with all whitespace removed.
fn split_pem(pem: &str) -> Result<(Option<String>, String), DpopKeyError> {
    let mut label = None;
    let mut body = String::with_capacity(pem.len());
    let mut in_block = false;
    let mut saw_end = false;
    for line in pem.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            if label.is_some() {
                break; // only the first block counts
            }
            let name = rest.strip_suffix("-----").ok_or(DpopKeyError::NotPem)?;
            label = Some(name.trim().to_owned());
            in_block = true;
            continue;
        }
        if line.starts_with("-----END ") {
            saw_end = true;
            break;
        }
        if in_block || label.is_none() {
            body.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    if label.is_some() && !saw_end {
        return Err(DpopKeyError::NotPem);
    }
    if body.is_empty() {
        return Err(DpopKeyError::NotPem);
    }
    Ok((label, body))
}

/// A compact DPoP JWS, ready for the `DPoP` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof(String);

impl DpopProof {
    /// The compact serialization.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The compact serialization, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DpopProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a received DPoP proof was rejected (for servers and tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopProofError {
    /// Not three base64url segments of JSON objects.
    #[error("malformed DPoP proof: {0}")]
    Malformed(&'static str),
    /// `typ`, `alg` or `jwk` are not what DPoP with ES256 requires.
    #[error("unsupported DPoP header: {0}")]
    BadHeader(&'static str),
    /// A required claim is missing or of the wrong type.
    #[error("DPoP payload claim `{0}` is missing or has the wrong type")]
    BadClaim(&'static str),
    /// The signature does not verify against the embedded key.
    #[error("DPoP signature does not verify")]
    BadSignature,
}

/// The checked contents of a DPoP proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// `htm` claim.
    pub htm: String,
    /// `htu` claim.
    pub htu: String,
    /// `iat` claim (unix seconds).
    pub iat: i64,
    /// `jti` claim.
    pub jti: String,
    /// RFC 7638 thumbprint of the embedded public key.
    pub thumbprint: String,
}

impl DpopProof {
    /// Parses and verifies a compact DPoP proof (either peer's key order):
    /// checks `typ`, `alg`, the P-256 `jwk`, the raw r||s ES256 signature,
    /// and returns the claims. Freshness and replay checks are the caller's.
    pub fn verify(compact: &str) -> Result<VerifiedProof, DpopProofError> {
        let mut parts = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DpopProofError::Malformed(
                "expected three dot-separated segments",
            ));
        };
        let header = decode_json_segment(h)?;
        let payload = decode_json_segment(p)?;
        if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
            return Err(DpopProofError::BadHeader("typ must be dpop+jwt"));
        }
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return Err(DpopProofError::BadHeader("alg must be ES256"));
        }
        let jwk = header
            .get("jwk")
            .ok_or(DpopProofError::BadHeader("jwk missing"))?;
        if jwk.get("kty").and_then(Value::as_str) != Some("EC")
            || jwk.get("crv").and_then(Value::as_str) != Some("P-256")
        {
            return Err(DpopProofError::BadHeader("jwk must be an EC P-256 key"));
        }
        if jwk.get("d").is_some() {
            return Err(DpopProofError::BadHeader(
                "jwk must not contain a private key",
            ));
        }
        let x = jwk
            .get("x")
            .and_then(Value::as_str)
            .ok_or(DpopProofError::BadHeader("jwk x missing"))?;
        let y = jwk
            .get("y")
            .and_then(Value::as_str)
            .ok_or(DpopProofError::BadHeader("jwk y missing"))?;
        let xb = Base64UrlUnpadded::decode_vec(x)
            .map_err(|_| DpopProofError::BadHeader("jwk x is not base64url"))?;
        let yb = Base64UrlUnpadded::decode_vec(y)
            .map_err(|_| DpopProofError::BadHeader("jwk y is not base64url"))?;
        if xb.len() != 32 || yb.len() != 32 {
            return Err(DpopProofError::BadHeader(
                "jwk coordinates must be 32 bytes",
            ));
        }
        let mut sec1 = Vec::with_capacity(65);
        sec1.push(0x04);
        sec1.extend_from_slice(&xb);
        sec1.extend_from_slice(&yb);
        let public = PublicKey::from_sec1_bytes(&sec1)
            .map_err(|_| DpopProofError::BadHeader("jwk is not a point on P-256"))?;
        let sig_bytes = Base64UrlUnpadded::decode_vec(s)
            .map_err(|_| DpopProofError::Malformed("signature is not base64url"))?;
        let signature =
            Signature::from_slice(&sig_bytes).map_err(|_| DpopProofError::BadSignature)?;
        let signing_input = &compact[..h.len() + 1 + p.len()];
        VerifyingKey::from(&public)
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| DpopProofError::BadSignature)?;
        let claim_str = |name: &'static str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(DpopProofError::BadClaim(name))
        };
        Ok(VerifiedProof {
            htm: claim_str("htm")?,
            htu: claim_str("htu")?,
            iat: payload
                .get("iat")
                .and_then(Value::as_i64)
                .ok_or(DpopProofError::BadClaim("iat"))?,
            jti: claim_str("jti")?,
            thumbprint: jwk_thumbprint(x, y),
        })
    }
}

fn decode_json_segment(segment: &str) -> Result<serde_json::Map<String, Value>, DpopProofError> {
    let bytes = Base64UrlUnpadded::decode_vec(segment)
        .map_err(|_| DpopProofError::Malformed("segment is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(DpopProofError::Malformed("segment is not a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed, valid scalar for reproducible tests.
    const SCALAR: [u8; 32] = [
        0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21, 0x57, 0x67, 0xb1, 0xd6,
        0x93, 0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8, 0x9b, 0x12, 0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f,
        0x67, 0x21,
    ];

    fn key() -> DpopKey {
        DpopKey::from_scalar_bytes(&SCALAR).unwrap()
    }

    #[test]
    fn sec1_pem_round_trips_and_wraps_at_64() {
        let pem = key().to_sec1_pem();
        let text = pem.expose();
        assert!(text.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        assert!(text.ends_with("-----END EC PRIVATE KEY-----\n"));
        assert!(text.lines().all(|l| l.len() <= 64));
        let back = DpopKey::from_pem(text).unwrap();
        assert_eq!(back.thumbprint(), key().thumbprint());
    }

    #[test]
    fn pkcs8_pem_is_read() {
        let pem = key().to_pkcs8_pem();
        assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = DpopKey::from_pem(pem.expose()).unwrap();
        assert_eq!(back.public_jwk(), key().public_jwk());
    }

    #[test]
    fn tolerant_pem_reading() {
        let pem = key().to_sec1_pem();
        let crlf = pem.expose().replace('\n', "\r\n");
        assert!(DpopKey::from_pem(&crlf).is_ok());
        let one_line_body: String = {
            let lines: Vec<&str> = pem.expose().lines().collect();
            format!(
                "{}\n{}\n{}\n",
                lines[0],
                lines[1..lines.len() - 1].concat(),
                lines[lines.len() - 1]
            )
        };
        assert!(DpopKey::from_pem(&one_line_body).is_ok());
        assert!(DpopKey::from_pem(&format!("  \n{}  \n", pem.expose())).is_ok());
    }

    #[test]
    fn pem_errors_are_typed() {
        assert_eq!(DpopKey::from_pem("").unwrap_err(), DpopKeyError::NotPem);
        assert_eq!(
            DpopKey::from_pem(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
            )
            .unwrap_err(),
            DpopKeyError::UnsupportedLabel("RSA PRIVATE KEY".into())
        );
        assert_eq!(
            DpopKey::from_pem(
                "-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE KEY-----\n"
            )
            .unwrap_err(),
            DpopKeyError::BadBase64
        );
        assert!(matches!(
            DpopKey::from_pem(
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
            )
            .unwrap_err(),
            DpopKeyError::InvalidKey(_)
        ));
        assert_eq!(
            DpopKey::from_pem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n").unwrap_err(),
            DpopKeyError::NotPem
        );
    }

    #[test]
    fn proof_has_exact_segments_and_verifies() {
        let k = key();
        let proof = k.proof(
            "POST",
            "https://us-east-1.signin.aws.amazon.com/v1/token",
            1_764_931_891,
            "3f1c1f5e-5b8a-4e47-9a36-1b2d9c8f0e11",
        );
        let parts: Vec<&str> = proof.as_str().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = String::from_utf8(Base64UrlUnpadded::decode_vec(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            format!(
                r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{{"kty":"EC","x":"{}","y":"{}","crv":"P-256"}}}}"#,
                k.jwk_x(),
                k.jwk_y()
            )
        );
        let payload = String::from_utf8(Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap();
        assert_eq!(
            payload,
            r#"{"htm":"POST","htu":"https://us-east-1.signin.aws.amazon.com/v1/token","iat":1764931891,"jti":"3f1c1f5e-5b8a-4e47-9a36-1b2d9c8f0e11"}"#
        );
        assert_eq!(Base64UrlUnpadded::decode_vec(parts[2]).unwrap().len(), 64);
        let verified = DpopProof::verify(proof.as_str()).unwrap();
        assert_eq!(verified.iat, 1_764_931_891);
        assert_eq!(verified.thumbprint, k.thumbprint());
        // Deterministic signatures: same inputs, same proof.
        assert_eq!(
            proof,
            k.proof(
                "POST",
                "https://us-east-1.signin.aws.amazon.com/v1/token",
                1_764_931_891,
                "3f1c1f5e-5b8a-4e47-9a36-1b2d9c8f0e11"
            )
        );
    }

    #[test]
    fn tampered_proof_fails() {
        let proof = key()
            .proof("POST", "https://x/v1/token", 1, "j")
            .into_string();
        let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
        parts[1] = Base64UrlUnpadded::encode_string(
            br#"{"htm":"POST","htu":"https://evil/v1/token","iat":1,"jti":"j"}"#,
        );
        assert_eq!(
            DpopProof::verify(&parts.join(".")).unwrap_err(),
            DpopProofError::BadSignature
        );
        assert!(DpopProof::verify("a.b").is_err());
    }

    #[test]
    fn thumbprint_matches_rfc7638_example_shape() {
        // RFC 7638 §3.1 uses RSA; for EC, check against an independent
        // computation of the canonical member order.
        let k = key();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            k.jwk_x(),
            k.jwk_y()
        );
        assert_eq!(
            k.thumbprint(),
            Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()))
        );
        assert_eq!(k.thumbprint().len(), 43);
    }

    #[test]
    fn debug_hides_the_private_key() {
        let text = format!("{:?}", key());
        assert!(text.contains("redacted"));
    }
}
