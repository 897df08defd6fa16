//! HTTP exchanges as plain values: the core builds requests and reads
//! responses; a driver moves the bytes.

use std::fmt;

/// A request the driver must send as is.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `POST`, `GET`, …
    pub method: String,
    /// The full URL; for the token endpoint, exactly the DPoP `htu`.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (JSON for the token endpoint). It holds secrets (codes,
    /// refresh tokens), so `Debug` shows only its length and it is zeroized
    /// on drop.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// First header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A response as received: status, headers and raw body.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes (may hold tokens; `Debug` shows only the length;
    /// zeroized on drop).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Builds a response value.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// First header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The server's `Date` header, for clock-skew correction of DPoP `iat`.
    pub fn date(&self) -> Option<time::OffsetDateTime> {
        self.header("date")
            .and_then(crate::timefmt::parse_http_date)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

// Bodies carry refresh tokens, codes and credentials: wipe them on drop.
// (To take a body out, use `std::mem::take(&mut request.body)`.)
impl Drop for HttpRequest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
}

impl Drop for HttpResponse {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive() {
        let r = HttpResponse::new(
            200,
            vec![("Date".into(), "Sun, 06 Nov 1994 08:49:37 GMT".into())],
            "",
        );
        assert_eq!(r.header("date"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(r.date().is_some());
        assert_eq!(r.header("x"), None);
    }

    #[test]
    fn debug_hides_body() {
        let r = HttpRequest {
            method: "POST".into(),
            url: "u".into(),
            headers: vec![],
            body: b"refreshToken".to_vec(),
        };
        assert!(!format!("{r:?}").contains("refreshToken"));
    }
}
