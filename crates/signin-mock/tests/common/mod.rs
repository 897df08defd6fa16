//! A small independent client for driving the mock over real loopback HTTP: DPoP proofs, PKCE,
//! the sign-in page, and a SigV4 signer. Written here from the specs (not shared with the
//! server's modules or with login-core), so a shared misunderstanding would have to be made twice.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use signin_mock::{MockConfig, MockServer, RunningMock};

pub const SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
pub const CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";
pub const CALLBACK: &str = "http://127.0.0.1:53127/oauth/callback";

pub fn b64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One DPoP key pair, as a client holds it for a login.
pub struct DpopKey {
    pub key: SigningKey,
}

impl DpopKey {
    pub fn generate() -> Self {
        DpopKey {
            key: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    pub fn coordinates(&self) -> (String, String) {
        let point = self.key.verifying_key().to_encoded_point(false);
        (b64url(point.x().unwrap()), b64url(point.y().unwrap()))
    }

    pub fn jwk(&self) -> Value {
        let (x, y) = self.coordinates();
        json!({"kty": "EC", "x": x, "y": y, "crv": "P-256"})
    }

    /// RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> String {
        let (x, y) = self.coordinates();
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        b64url(&Sha256::digest(canonical.as_bytes()))
    }

    /// A correct proof for `POST htu` now.
    pub fn proof(&self, htu: &str) -> String {
        self.proof_with(&self.default_header(), &default_payload(htu, now_secs()))
    }

    pub fn default_header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()})
    }

    /// Signs whatever header and payload it is given (for negative tests).
    pub fn proof_with(&self, header: &Value, payload: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(payload.to_string().as_bytes())
        );
        let signature: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64url(&signature.to_bytes()))
    }
}

pub fn default_payload(htu: &str, iat: i64) -> Value {
    json!({"htm": "POST", "htu": htu, "iat": iat, "jti": uuid::Uuid::new_v4().to_string()})
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Self {
        const ALPHABET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
        let mut rng = rand::rngs::OsRng;
        let verifier: String = (0..64)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        let challenge = b64url(&Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// Percent-encodes leaving only `A-Z a-z 0-9 - _ . ~` bare, as the CLI does.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn authorize_url(
    base: &str,
    client_id: &str,
    state: &str,
    redirect_uri: &str,
    challenge: &str,
) -> String {
    format!(
        "{base}/v1/authorize?response_type=code&client_id={}&state={}&code_challenge_method=SHA-256&scope=openid&redirect_uri={}&code_challenge={}",
        encode(client_id),
        encode(state),
        encode(redirect_uri),
        encode(challenge)
    )
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

pub async fn start(config: MockConfig) -> RunningMock {
    MockServer::start(config).await.expect("mock starts")
}

/// Query parameters of a redirect `Location`.
pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

/// Walks the sign-in page like a person: open it, pick `identity`, press Allow.
/// Returns the redirect `Location`.
pub async fn approve_on_page(
    http: &reqwest::Client,
    authorize_url: &str,
    identity: &str,
    decision: &str,
) -> String {
    let page = http.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "sign-in page should be shown");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"identity-{identity}\"")),
        "page lists {identity}"
    );
    assert!(html.contains("id=\"allow\"") && html.contains("id=\"deny\""));
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).expect("hidden request field") + marker.len();
    let request_id = &html[start..start + html[start..].find('"').unwrap()];
    let base = authorize_url.split("/v1/authorize").next().unwrap();
    let response = http
        .post(format!("{base}/v1/authorize/decision"))
        .form(&[
            ("request", request_id),
            ("identity", identity),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "decision redirects");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// POSTs a token request with the given DPoP header (if any). Returns (status, error-type header, body).
pub async fn post_token(
    http: &reqwest::Client,
    base: &str,
    dpop: Option<&str>,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut request = http
        .post(format!("{base}/v1/token"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(dpop) = dpop {
        request = request.header("DPoP", dpop);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, error_type, body)
}

pub struct Login {
    pub key: DpopKey,
    pub pkce: Pkce,
    pub code: String,
}

/// Gets an authorization code for `identity` through the page (same-device flow).
pub async fn code_for(http: &reqwest::Client, base: &str, identity: &str) -> Login {
    let pkce = Pkce::generate();
    let state = uuid::Uuid::new_v4().to_string();
    let url = authorize_url(base, SAME_DEVICE, &state, CALLBACK, &pkce.challenge);
    let location = approve_on_page(http, &url, identity, "allow").await;
    assert!(location.starts_with(CALLBACK), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], state);
    Login {
        key: DpopKey::generate(),
        pkce,
        code: query["code"].clone(),
    }
}

pub fn code_body(login: &Login) -> Value {
    json!({
        "clientId": SAME_DEVICE,
        "grantType": "authorization_code",
        "code": login.code,
        "codeVerifier": login.pkce.verifier,
        "redirectUri": CALLBACK,
    })
}

pub fn refresh_body(refresh_token: &str) -> Value {
    json!({"clientId": SAME_DEVICE, "grantType": "refresh_token", "refreshToken": refresh_token})
}

/// Logs in as `identity` and redeems the code. Returns the login and the token response.
pub async fn login(http: &reqwest::Client, base: &str, identity: &str) -> (Login, Value) {
    let login = code_for(http, base, identity).await;
    let proof = login.key.proof(&format!("{base}/v1/token"));
    let (status, _, body) = post_token(http, base, Some(&proof), &code_body(&login)).await;
    assert_eq!(status, 200, "{body}");
    (login, body)
}

/// Credentials to sign STS calls with.
#[derive(Clone, Debug)]
pub struct Creds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Creds {
    pub fn from_token(body: &Value) -> Self {
        Creds {
            access_key_id: body["accessToken"]["accessKeyId"]
                .as_str()
                .unwrap()
                .to_owned(),
            secret_access_key: body["accessToken"]["secretAccessKey"]
                .as_str()
                .unwrap()
                .to_owned(),
            session_token: Some(
                body["accessToken"]["sessionToken"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
        }
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A form-encoded awsQuery POST to `{base}/`, SigV4-signed like botocore does.
pub async fn sts_call(
    http: &reqwest::Client,
    base: &str,
    creds: Option<&Creds>,
    form: &str,
    amz_date: Option<String>,
) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let amz_date = amz_date.unwrap_or_else(|| {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        time::OffsetDateTime::now_utc().format(format).unwrap()
    });
    let mut request = http
        .post(format!("{base}/"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("x-amz-date", &amz_date)
        .body(form.to_owned());
    if let Some(creds) = creds {
        let mut headers = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("host", host.to_owned()),
            ("x-amz-date", amz_date.clone()),
        ];
        if let Some(token) = &creds.session_token {
            headers.push(("x-amz-security-token", token.clone()));
            request = request.header("x-amz-security-token", token);
        }
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed_headers = headers
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
            hex::encode(Sha256::digest(form.as_bytes()))
        );
        let date = &amz_date[..8];
        let scope = format!("{date}/us-east-1/sts/aws4_request");
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", creds.secret_access_key).as_bytes(), date);
        let k = hmac(&k, "us-east-1");
        let k = hmac(&k, "sts");
        let k = hmac(&k, "aws4_request");
        let signature = hex::encode(hmac(&k, &string_to_sign));
        request = request.header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                creds.access_key_id
            ),
        );
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The text of `<tag>…</tag>` in an XML body.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_owned())
}

/// RFC 6238 TOTP with HMAC-SHA256, 30-second steps, six digits, keyed by the secret's UTF-8
/// bytes: what the mock's MFA devices expect (written here from the RFC, not shared with it).
pub fn totp(secret: &str, unix_secs: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&((unix_secs / 30) as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[31] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// Percent-encodes a form value (only unreserved characters left bare).
pub fn form_value(text: &str) -> String {
    encode(text)
}

/// Credentials from an AssumeRole XML answer.
pub fn creds_from_assume_role(xml: &str) -> Creds {
    Creds {
        access_key_id: xml_value(xml, "AccessKeyId").unwrap(),
        secret_access_key: xml_value(xml, "SecretAccessKey").unwrap(),
        session_token: xml_value(xml, "SessionToken"),
    }
}
