//! The shared config file (`~/.aws/config`): a tolerant parser that follows
//! botocore's reading (configparser + nested values) and format-preserving
//! edits that leave every other byte untouched.

use std::fmt;

/// A section the tools know by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionId {
    /// `[default]`, `[profile default]` or `[profile NAME]`.
    Profile(String),
    /// `[sso-session NAME]`
    SsoSession(String),
    /// `[services NAME]`
    Services(String),
}

impl SectionId {
    /// A profile section id.
    pub fn profile(name: impl Into<String>) -> Self {
        SectionId::Profile(name.into())
    }

    /// The header to write when the section does not exist yet.
    pub fn header(&self) -> String {
        match self {
            SectionId::Profile(n) if n == "default" => "[default]".to_owned(),
            SectionId::Profile(n) => format!("[profile {n}]"),
            SectionId::SsoSession(n) => format!("[sso-session {n}]"),
            SectionId::Services(n) => format!("[services {n}]"),
        }
    }

    fn from_header(header: &str) -> Option<SectionId> {
        if header == "default" {
            return Some(SectionId::Profile("default".into()));
        }
        let named = |prefix: &str| -> Option<String> {
            if !header.starts_with(prefix) {
                return None;
            }
            let parts = shlex_split(header);
            (parts.len() == 2).then(|| parts[1].clone())
        };
        if let Some(n) = named("profile") {
            return Some(SectionId::Profile(n));
        }
        if let Some(n) = named("sso-session") {
            return Some(SectionId::SsoSession(n));
        }
        named("services").map(SectionId::Services)
    }
}

impl fmt::Display for SectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header())
    }
}

/// Enough of `shlex.split` for section headers: whitespace-separated words,
/// surrounding quotes removed.
fn shlex_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// One `key = value` with its continuation lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Property {
    /// Lowercased, as configparser does.
    key: String,
    /// The value on the key line (trimmed) plus continuation lines.
    value: String,
    /// `key = value` pairs of the indented lines under an empty value.
    sub: Vec<(String, String)>,
    /// Line index of the key line.
    line: usize,
    /// Line index of the last continuation line.
    last_line: usize,
    /// Byte offset (within the line) where the value begins.
    value_start: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    id: Option<SectionId>,
    header: String,
    header_line: usize,
    properties: Vec<Property>,
}

/// A line: where it starts, where its content ends, where its line ending ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

/// Errors from an edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigEditError {
    /// The key is empty or contains characters that would change its meaning.
    #[error("`{0}` cannot be used as a config key")]
    InvalidKey(String),
    /// The value has a line break or would be read back differently.
    #[error("the value for `{0}` contains a line break or surrounding whitespace")]
    InvalidValue(String),
    /// A new section's name could not be read back as the same name by
    /// every tool (the JS SDK accepts only `[A-Za-z0-9_-@+.%:/]`).
    #[error("`{0}` cannot be used as a profile or section name (use letters, digits and - _ . @ + % : /)")]
    InvalidSectionName(String),
}

/// A parsed config file that remembers its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    text: String,
    lines: Vec<Line>,
    sections: Vec<Section>,
}

/// The keys of one section (a key repeated in the section: the last wins).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SectionView {
    entries: Vec<ViewEntry>,
}

/// Key, value, nested sub-properties.
type ViewEntry = (String, String, Vec<(String, String)>);

impl SectionView {
    /// A key's value (keys are case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// Sub-properties of a nested key (`s3 =` followed by indented lines).
    pub fn sub_properties(&self, key: &str) -> Option<&[(String, String)]> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .find(|(k, _, sub)| *k == key && !sub.is_empty())
            .map(|(_, _, sub)| sub.as_slice())
    }

    /// One sub-property of a nested key.
    pub fn sub(&self, key: &str, sub_key: &str) -> Option<&str> {
        self.sub_properties(key)?
            .iter()
            .find(|(k, _)| k == sub_key)
            .map(|(_, v)| v.as_str())
    }

    /// The keys, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _, _)| k.as_str())
    }

    /// True if the key is present (even with an empty value).
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn merge(&mut self, props: &[Property]) {
        for p in props {
            let entry = (p.key.clone(), p.value.clone(), p.sub.clone());
            match self.entries.iter_mut().find(|(k, _, _)| *k == p.key) {
                Some(slot) => *slot = entry,
                None => self.entries.push(entry),
            }
        }
    }
}

/// Keys that make a profile use another credential style, with the style's
/// name as AWS CLI reports it.
const OTHER_STYLES: [(&str, &str); 6] = [
    ("web_identity_token_file", "Web Identity"),
    ("sso_role_name", "SSO"),
    ("sso_account_id", "SSO"),
    ("aws_access_key_id", "Access Key"),
    ("role_arn", "Assume Role"),
    ("credential_process", "Credential Process"),
];

impl ConfigFile {
    /// Parses the text. Never fails: lines it cannot read (text before the
    /// first section, lines without `=`) are kept as they are and ignored.
    pub fn parse(text: &str) -> ConfigFile {
        let lines = split_lines(text);
        let mut sections: Vec<Section> = Vec::new();
        // (indent of the key line) for continuation detection.
        let mut current_indent: Option<usize> = None;
        // Blank lines inside a value are kept (configparser's
        // `empty_lines_in_values`); comment lines are dropped.
        let mut blank_lines = 0usize;
        for (idx, line) in lines.iter().enumerate() {
            let content = &text[line.start..line.content_end];
            let trimmed = content.trim();
            if trimmed.is_empty() {
                blank_lines += 1;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let blanks_before = std::mem::take(&mut blank_lines);
            let indent = content.len() - content.trim_start().len();
            // Continuation of the current property.
            if let (Some(key_indent), Some(section)) = (current_indent, sections.last_mut()) {
                if indent > key_indent {
                    if let Some(prop) = section.properties.last_mut() {
                        prop.last_line = idx;
                        for _ in 0..blanks_before {
                            prop.value.push('\n');
                        }
                        prop.value.push('\n');
                        prop.value.push_str(trimmed);
                        if let Some((k, v)) = trimmed.split_once('=') {
                            prop.sub.push((k.trim().to_owned(), v.trim().to_owned()));
                        }
                        continue;
                    }
                }
            }
            if trimmed.starts_with('[') {
                if let Some(close) = trimmed.rfind(']') {
                    if close > 1 {
                        let header = &trimmed[1..close];
                        sections.push(Section {
                            id: SectionId::from_header(header),
                            header: header.to_owned(),
                            header_line: idx,
                            properties: Vec::new(),
                        });
                        current_indent = None;
                        continue;
                    }
                }
            }
            let Some(section) = sections.last_mut() else {
                continue; // before any section: botocore would refuse the file; we ignore the line
            };
            let Some(delim) = content.find(['=', ':']) else {
                current_indent = None;
                continue;
            };
            let key = content[..delim].trim();
            if key.is_empty() {
                current_indent = None;
                continue;
            }
            let after = &content[delim + 1..];
            let value_start = delim + 1 + (after.len() - after.trim_start().len());
            let value = after.trim().to_owned();
            section.properties.push(Property {
                key: key.to_ascii_lowercase(),
                value,
                sub: Vec::new(),
                line: idx,
                last_line: idx,
                value_start,
            });
            current_indent = Some(indent);
        }
        // Nested values are only those whose key line had no value.
        for section in &mut sections {
            for prop in &mut section.properties {
                if !prop.value.starts_with('\n') && !(prop.value.is_empty()) {
                    prop.sub.clear();
                }
            }
        }
        ConfigFile {
            text: text.to_owned(),
            lines,
            sections,
        }
    }

    /// The exact text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The keys of a section. When several sections have the same id
    /// (`[default]` and `[profile default]`, or `[profile a]` twice), the
    /// last one wins whole, as in botocore.
    pub fn section(&self, id: &SectionId) -> Option<SectionView> {
        let last = self
            .sections
            .iter()
            .rev()
            .find(|s| s.id.as_ref() == Some(id))?;
        let mut view = SectionView::default();
        view.merge(&last.properties);
        Some(view)
    }

    /// A profile by name (`default` is `[default]` or `[profile default]`).
    pub fn profile(&self, name: &str) -> Option<SectionView> {
        self.section(&SectionId::Profile(name.to_owned()))
    }

    /// An `[sso-session NAME]` section.
    pub fn sso_session(&self, name: &str) -> Option<SectionView> {
        self.section(&SectionId::SsoSession(name.to_owned()))
    }

    /// A `[services NAME]` section.
    pub fn services(&self, name: &str) -> Option<SectionView> {
        self.section(&SectionId::Services(name.to_owned()))
    }

    /// A section by its exact header text (`[NAME]` → `NAME`), as the shared credentials file
    /// names profiles: no `profile ` prefix. The last section with that header wins whole.
    pub fn raw_section(&self, header: &str) -> Option<SectionView> {
        let last = self.sections.iter().rev().find(|s| s.header == header)?;
        let mut view = SectionView::default();
        view.merge(&last.properties);
        Some(view)
    }

    /// Every section header in file order, without duplicates.
    pub fn raw_headers(&self) -> Vec<&str> {
        let mut headers: Vec<&str> = Vec::new();
        for s in &self.sections {
            if !headers.contains(&s.header.as_str()) {
                headers.push(&s.header);
            }
        }
        headers
    }

    /// Every known section id in file order, without duplicates.
    pub fn section_ids(&self) -> Vec<SectionId> {
        let mut ids: Vec<SectionId> = Vec::new();
        for id in self.sections.iter().filter_map(|s| s.id.as_ref()) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Profile names in file order, without duplicates.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for s in &self.sections {
            if let Some(SectionId::Profile(n)) = &s.id {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// If the profile already uses another credential style, its name
    /// (`Web Identity`, `SSO`, `Access Key`, `Assume Role`,
    /// `Credential Process`): such a profile must not become a login profile.
    pub fn credential_style(&self, profile: &str) -> Option<&'static str> {
        let view = self.profile(profile)?;
        OTHER_STYLES
            .iter()
            .find(|(key, _)| view.get(key).is_some_and(|v| !v.is_empty()))
            .map(|(_, style)| *style)
    }

    /// The endpoint override the profile sets for Sign-In: its `services`
    /// section's `signin` → `endpoint_url`, else the profile's `endpoint_url`.
    pub fn signin_endpoint_url(&self, profile: &str) -> Option<String> {
        let view = self.profile(profile)?;
        if let Some(services) = view.get("services").and_then(|name| self.services(name)) {
            if let Some(url) = services.sub("signin", "endpoint_url") {
                return Some(url.to_owned());
            }
        }
        view.get("endpoint_url")
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Returns the text with `key = value` set in the section: an existing
    /// key has only its value replaced (indentation, delimiter spacing and
    /// line ending kept); a new key goes after the section's last key; a
    /// missing section is appended as `[header]` + `key = value` (AWS CLI's
    /// layout). The file's line ending style is kept. Nothing else changes.
    pub fn set(&self, id: &SectionId, key: &str, value: &str) -> Result<String, ConfigEditError> {
        let key_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !key_ok {
            return Err(ConfigEditError::InvalidKey(key.to_owned()));
        }
        if value.contains(['\n', '\r']) || value.trim() != value {
            return Err(ConfigEditError::InvalidValue(key.to_owned()));
        }
        let eol = self.line_ending();
        let text = &self.text;
        let Some(section) = self
            .sections
            .iter()
            .rev()
            .find(|s| s.id.as_ref() == Some(id))
        else {
            let (SectionId::Profile(name)
            | SectionId::SsoSession(name)
            | SectionId::Services(name)) = id;
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@+%:/".contains(c));
            if !name_ok {
                return Err(ConfigEditError::InvalidSectionName(name.clone()));
            }
            let mut out = text.clone();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(&id.header());
            out.push_str(eol);
            out.push_str(&format!("{key} = {value}"));
            out.push_str(eol);
            return Ok(out);
        };
        let lower = key.to_ascii_lowercase();
        if let Some(prop) = section.properties.iter().rev().find(|p| p.key == lower) {
            let first = self.lines[prop.line];
            let last = self.lines[prop.last_line];
            let value_at = (first.start + prop.value_start).min(first.content_end);
            let mut out = String::with_capacity(text.len() + value.len() + 1);
            out.push_str(&text[..value_at]);
            // `key =` with nothing after it: add the space AWS CLI writes (not for an empty
            // value, or setting it twice would add the space the second time only).
            if value_at == first.content_end
                && !value.is_empty()
                && !text[..value_at].ends_with(char::is_whitespace)
            {
                out.push(' ');
            }
            out.push_str(value);
            out.push_str(&text[last.content_end..]);
            return Ok(out);
        }
        // Insert after the last key. In a section without keys, insert after its last line
        // that is neither blank nor a comment: an unreadable indented line right after the
        // header would otherwise become the new key's continuation.
        let anchor = match section.properties.last() {
            Some(last) => last.last_line,
            None => self.last_significant_line(section),
        };
        // The last key's indentation; deeper if the next line that counts is indented further
        // (an indented section header), which would otherwise read as the new value's
        // continuation.
        let mut indent = section
            .properties
            .last()
            .map_or("", |p| self.indent_of(p.line));
        if let Some(next) = (anchor + 1..self.lines.len()).find(|&idx| self.is_significant(idx)) {
            if self.indent_of(next).len() > indent.len() {
                indent = self.indent_of(next);
            }
        }
        let at = self.lines[anchor];
        let mut out = String::with_capacity(text.len() + key.len() + value.len() + 8);
        out.push_str(&text[..at.end]);
        if at.end == at.content_end {
            out.push_str(eol); // the anchor was the last line, without a newline
        }
        out.push_str(&format!("{indent}{key} = {value}"));
        out.push_str(eol);
        out.push_str(&text[at.end..]);
        Ok(out)
    }

    /// The last line of `section` that is not blank and not a comment (its header if none).
    fn last_significant_line(&self, section: &Section) -> usize {
        let end = self
            .sections
            .iter()
            .map(|s| s.header_line)
            .filter(|&line| line > section.header_line)
            .min()
            .unwrap_or(self.lines.len());
        (section.header_line + 1..end)
            .rev()
            .find(|&idx| self.is_significant(idx))
            .unwrap_or(section.header_line)
    }

    /// Neither blank nor a comment.
    fn is_significant(&self, idx: usize) -> bool {
        let line = self.lines[idx];
        let trimmed = self.text[line.start..line.content_end].trim();
        !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';'))
    }

    /// The whitespace a line starts with.
    fn indent_of(&self, idx: usize) -> &str {
        let line = self.lines[idx];
        let content = &self.text[line.start..line.content_end];
        &content[..content.len() - content.trim_start().len()]
    }

    /// `\r\n` if the file's first line ends that way, else `\n`.
    fn line_ending(&self) -> &'static str {
        match self.lines.iter().find(|l| l.end > l.content_end) {
            Some(l) if &self.text[l.content_end..l.end] == "\r\n" => "\r\n",
            _ => "\n",
        }
    }
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let nl = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| start + p);
        let (content_end, end) = match nl {
            Some(n) if n > start && bytes[n - 1] == b'\r' => (n - 1, n + 1),
            Some(n) => (n, n + 1),
            None => (bytes.len(), bytes.len()),
        };
        lines.push(Line {
            start,
            content_end,
            end,
        });
        start = end;
    }
    lines
}

#[cfg(test)]
mod tests {
    /// Found by the `config` fuzz target: setting a key to an empty value gave `key=`, and
    /// setting it to the same empty value again gave `key= `.
    #[test]
    fn setting_the_same_empty_value_twice_changes_nothing() {
        let id = SectionId::profile("default");
        for text in [
            "[default]\nregion=us-east-1\n",
            "[default]\nregion =\n",
            "[default]\nregion=\n",
        ] {
            let once = ConfigFile::parse(text).set(&id, "region", "").unwrap();
            let twice = ConfigFile::parse(&once).set(&id, "region", "").unwrap();
            assert_eq!(once, twice, "{text:?}");
            assert_eq!(
                ConfigFile::parse(&once)
                    .profile("default")
                    .unwrap()
                    .get("region"),
                Some("")
            );
        }
        // A value after a bare `key =` still gets AWS CLI's space.
        let set = ConfigFile::parse("[default]\nregion =\n").set(&id, "region", "eu-west-1");
        assert_eq!(set.unwrap(), "[default]\nregion = eu-west-1\n");
    }

    /// Found by the `config` fuzz target: a line that starts with whitespace (a lone `\r`)
    /// right after the header is ignored on reading, but a key inserted after the header
    /// made it that key's continuation, so the key no longer read back.
    #[test]
    fn a_key_added_to_a_section_without_keys_never_absorbs_an_unreadable_line() {
        let id = SectionId::profile("default");
        for text in [
            "[default]i\n\re-nrof]i us-son\r\n",
            "[default]\n  stray\n\n# about the next one\n[profile next]\nregion = x\n",
            "[default]\n\t\tstray\n",
            // Found next: an indented header after the section would have become the value's
            // continuation; the key takes the header's indentation instead.
            "[default]\r\nregion\u{1}< us-east-1\r\n\n\r[profile dev]\r\noutput = json\r\n",
            "[default]\n\n  [profile dev]\nregion = x\n",
        ] {
            let out = ConfigFile::parse(text)
                .set(&id, "login_session", "arn:x")
                .unwrap();
            let parsed = ConfigFile::parse(&out);
            assert_eq!(
                parsed.profile("default").unwrap().get("login_session"),
                Some("arn:x"),
                "{text:?} -> {out:?}"
            );
            let again = parsed.set(&id, "login_session", "arn:x").unwrap();
            assert_eq!(again, out, "{text:?}");
            let before = ConfigFile::parse(text);
            for name in before.profile_names().iter().filter(|n| *n != "default") {
                let (old, new) = (before.profile(name).unwrap(), parsed.profile(name));
                let new = new.unwrap_or_else(|| panic!("{name} lost: {out:?}"));
                for key in old.keys() {
                    assert_eq!(old.get(key), new.get(key), "{name}.{key}: {out:?}");
                }
            }
        }
        // Without such a line the key still goes right under the header.
        let out = ConfigFile::parse("[default]\n\n# next\n[profile b]\n")
            .set(&id, "region", "us-east-1")
            .unwrap();
        assert_eq!(
            out,
            "[default]\nregion = us-east-1\n\n# next\n[profile b]\n"
        );
    }

    use super::*;

    const SAMPLE: &str = "# top comment\n[default]\nregion = us-east-1\n\n[profile dev]\n; note\nRegion=eu-west-1\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\nlogin_session = arn:aws:iam::123456789012:user/alice\n\n[sso-session corp]\nsso_region = us-east-1\n\n[services local]\nsignin =\n  endpoint_url = http://127.0.0.1:9000\n\n[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n\n[profile withsvc]\nservices = local\n[plugins]\nfoo = bar\n";

    #[test]
    fn reads_profiles_and_sections() {
        let c = ConfigFile::parse(SAMPLE);
        assert_eq!(
            c.profile("default").unwrap().get("region"),
            Some("us-east-1")
        );
        let dev = c.profile("dev").unwrap();
        assert_eq!(dev.get("region"), Some("eu-west-1"));
        assert_eq!(dev.sub("s3", "max_concurrent_requests"), Some("20"));
        assert_eq!(
            dev.get("login_session"),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        assert_eq!(
            c.sso_session("corp").unwrap().get("sso_region"),
            Some("us-east-1")
        );
        assert_eq!(
            c.signin_endpoint_url("withsvc").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(c.profile_names(), ["default", "dev", "sso", "withsvc"]);
        assert!(c.profile("plugins").is_none());
    }

    #[test]
    fn credential_styles() {
        let c = ConfigFile::parse(SAMPLE);
        assert_eq!(c.credential_style("sso"), Some("SSO"));
        assert_eq!(c.credential_style("dev"), None);
        let c = ConfigFile::parse("[profile k]\naws_access_key_id = AKIA\n[profile r]\nrole_arn = x\nsource_profile = k\n[profile p]\ncredential_process = foo\n[profile w]\nweb_identity_token_file = /t\n");
        assert_eq!(c.credential_style("k"), Some("Access Key"));
        assert_eq!(c.credential_style("r"), Some("Assume Role"));
        assert_eq!(c.credential_style("p"), Some("Credential Process"));
        assert_eq!(c.credential_style("w"), Some("Web Identity"));
    }

    #[test]
    fn duplicate_sections_last_wins_whole() {
        let c = ConfigFile::parse("[profile default]\na = 1\nb = 2\n[default]\nb = 3\n");
        let d = c.profile("default").unwrap();
        assert_eq!((d.get("a"), d.get("b")), (None, Some("3")));
        let out = c.set(&SectionId::profile("default"), "a", "9").unwrap();
        assert_eq!(
            out,
            "[profile default]\na = 1\nb = 2\n[default]\nb = 3\na = 9\n"
        );
    }

    #[test]
    fn set_existing_key_changes_only_the_value() {
        let c = ConfigFile::parse(SAMPLE);
        let out = c
            .set(&SectionId::profile("dev"), "region", "ap-south-1")
            .unwrap();
        assert_eq!(out, SAMPLE.replace("Region=eu-west-1", "Region=ap-south-1"));
    }

    #[test]
    fn set_new_key_goes_after_last_key() {
        let c = ConfigFile::parse(SAMPLE);
        let out = c
            .set(&SectionId::profile("default"), "login_session", "arn:x")
            .unwrap();
        assert_eq!(
            out,
            SAMPLE.replacen(
                "region = us-east-1\n",
                "region = us-east-1\nlogin_session = arn:x\n",
                1
            )
        );
        let out = c.set(&SectionId::profile("dev"), "output", "json").unwrap();
        assert!(out.contains("login_session = arn:aws:iam::123456789012:user/alice\noutput = json\n\n[sso-session corp]"));
    }

    #[test]
    fn set_new_section_is_appended() {
        let c = ConfigFile::parse("[default]\nregion = us-east-1");
        let out = c
            .set(&SectionId::profile("new"), "login_session", "arn:x")
            .unwrap();
        assert_eq!(
            out,
            "[default]\nregion = us-east-1\n[profile new]\nlogin_session = arn:x\n"
        );
        let c = ConfigFile::parse("");
        assert_eq!(
            c.set(&SectionId::profile("default"), "region", "us-east-1")
                .unwrap(),
            "[default]\nregion = us-east-1\n"
        );
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let text = "[profile a]\r\nregion = x\r\n\r\n[profile b]\r\noutput = json";
        let c = ConfigFile::parse(text);
        let out = c.set(&SectionId::profile("b"), "region", "y").unwrap();
        assert_eq!(
            out,
            "[profile a]\r\nregion = x\r\n\r\n[profile b]\r\noutput = json\r\nregion = y\r\n"
        );
        let out = c.set(&SectionId::profile("a"), "region", "z").unwrap();
        assert_eq!(out, text.replace("region = x", "region = z"));
    }

    #[test]
    fn nested_value_replaced_whole() {
        let text = "[profile a]\ns3 =\n  x = 1\nregion = r\n";
        let out = ConfigFile::parse(text)
            .set(&SectionId::profile("a"), "s3", "flat")
            .unwrap();
        assert_eq!(out, "[profile a]\ns3 = flat\nregion = r\n");
    }

    #[test]
    fn indented_keys_keep_indentation() {
        let text = "[profile a]\n  region = r\n";
        let out = ConfigFile::parse(text)
            .set(&SectionId::profile("a"), "output", "json")
            .unwrap();
        assert_eq!(out, "[profile a]\n  region = r\n  output = json\n");
    }

    #[test]
    fn bad_edits_are_refused() {
        let c = ConfigFile::parse("");
        assert!(c.set(&SectionId::profile("a"), "a=b", "v").is_err());
        assert!(c.set(&SectionId::profile("a"), "k", "v\n[evil]").is_err());
        for name in ["", "two words", "a]b", "x=y", "quo\"te"] {
            assert_eq!(
                c.set(&SectionId::profile(name), "k", "v"),
                Err(ConfigEditError::InvalidSectionName(name.into()))
            );
        }
        // Existing sections with such names can still be edited.
        let c = ConfigFile::parse("[profile \"two words\"]\nk = 1\n");
        assert_eq!(
            c.set(&SectionId::profile("two words"), "k", "2").unwrap(),
            "[profile \"two words\"]\nk = 2\n"
        );
    }

    #[test]
    fn odd_lines_are_tolerated() {
        let c = ConfigFile::parse("stray = 1\n[profile a]\njunk line\nregion = r\n[]\n[profile\n");
        assert_eq!(c.profile("a").unwrap().get("region"), Some("r"));
    }
}
