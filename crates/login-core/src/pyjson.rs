//! JSON spelled the way Python's `json.dumps` spells it, so files and output
//! we write are byte-identical to what botocore and AWS CLI write.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

/// `json.dumps(value)`: one line, `", "` and `": "` separators, non-ASCII
/// escaped as `\uXXXX` (`ensure_ascii=True`).
pub fn dumps<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(512);
    let mut ser = Serializer::with_formatter(&mut out, PythonCompact);
    // Serializing plain data into a Vec cannot fail.
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    ensure_ascii(out)
}

/// `json.dumps(value, indent=2, separators=(',', ': '))`.
pub fn dumps_indent2<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(512);
    let mut ser = Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(b"  "));
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    ensure_ascii(out)
}

/// `json.dumps(value, separators=(",", ":"))`: no spaces at all, non-ASCII
/// escaped (`ensure_ascii=True`). Cache keys are hashed from this spelling.
pub fn dumps_tight<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_vec(value) {
        Ok(out) => ensure_ascii(out),
        Err(_) => String::new(),
    }
}

/// Outside strings JSON is pure ASCII, so escaping every non-ASCII char of
/// the output is exactly Python's `ensure_ascii`.
fn ensure_ascii(bytes: Vec<u8>) -> String {
    let text = String::from_utf8(bytes).unwrap_or_default();
    if text.is_ascii() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

struct PythonCompact;

impl Formatter for PythonCompact {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_matches_python_defaults() {
        let v = json!({"a": 1, "b": {"c": [1, 2], "d": "é/x"}});
        assert_eq!(
            dumps(&v),
            r#"{"a": 1, "b": {"c": [1, 2], "d": "\u00e9/x"}}"#
        );
    }

    #[test]
    fn astral_chars_become_surrogate_pairs() {
        assert_eq!(dumps(&json!("😀")), r#""\ud83d\ude00""#);
    }

    #[test]
    fn indent2_matches_python() {
        let v = json!({"Version": 1, "A": "b"});
        assert_eq!(dumps_indent2(&v), "{\n  \"Version\": 1,\n  \"A\": \"b\"\n}");
    }
}
