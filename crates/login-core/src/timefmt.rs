//! Time stamps in the exact spellings the peers use.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `2025-12-05T10:51:31Z`: the cache's `expiresAt` as AWS CLI and botocore
/// write it (`strftime('%Y-%m-%dT%H:%M:%SZ')`), always in UTC.
pub fn format_expires_at(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    // The format has only fixed-width numeric fields, so it cannot fail for
    // years 0..=9999; fall back to RFC 3339 for anything beyond.
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_else(|_| at.format(&Rfc3339).unwrap_or_default())
}

/// `2025-12-05T10:51:31+00:00`: Python's `datetime.isoformat()` of a UTC
/// time, as `aws configure export-credentials` prints it. Like Python, a
/// non-zero fraction (a JS-written `expiresAt` has milliseconds) is printed
/// as six-digit microseconds: `2025-12-05T10:51:31.123000+00:00`.
pub fn format_iso_offset(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let micros = at.microsecond();
    let base = at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Reads a time stamp as the peers write it: RFC 3339 with `Z` or an offset,
/// with or without fractional seconds (the JS SDK writes milliseconds), and
/// a bare `YYYY-MM-DDTHH:MM:SS` taken as UTC.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(at) = PrimitiveDateTime::parse(text, naive) {
        return Some(at.assume_utc());
    }
    let naive_fraction =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    PrimitiveDateTime::parse(text, naive_fraction)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Parses an HTTP `Date` header (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`),
/// so a driver can correct the DPoP `iat` for clock skew.
pub fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let imf = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(text.trim(), imf)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn expires_at_is_second_precision_with_z() {
        let at = datetime!(2025-12-05 10:51:31.987 UTC);
        assert_eq!(format_expires_at(at), "2025-12-05T10:51:31Z");
        let at = datetime!(2025-12-05 12:51:31 +02:00);
        assert_eq!(format_expires_at(at), "2025-12-05T10:51:31Z");
    }

    #[test]
    fn iso_offset_matches_python_isoformat() {
        let at = datetime!(2025-12-05 10:51:31 UTC);
        assert_eq!(format_iso_offset(at), "2025-12-05T10:51:31+00:00");
        let at = datetime!(2025-12-05 10:51:31.123 UTC);
        assert_eq!(format_iso_offset(at), "2025-12-05T10:51:31.123000+00:00");
    }

    #[test]
    fn parses_peer_spellings() {
        let want = datetime!(2025-12-05 10:51:31 UTC);
        assert_eq!(parse_timestamp("2025-12-05T10:51:31Z"), Some(want));
        assert_eq!(parse_timestamp("2025-12-05T10:51:31+00:00"), Some(want));
        assert_eq!(parse_timestamp("2025-12-05T11:51:31+01:00"), Some(want));
        assert_eq!(parse_timestamp("2025-12-05T10:51:31"), Some(want));
        assert_eq!(
            parse_timestamp("2025-12-05T10:51:31.123Z"),
            Some(datetime!(2025-12-05 10:51:31.123 UTC))
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn parses_http_date() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(datetime!(1994-11-06 08:49:37 UTC))
        );
        assert_eq!(parse_http_date("not a date"), None);
    }
}
