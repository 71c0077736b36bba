//! One reading of a request path, shared by the gateway and the route checks.
//!
//! A proxy routes a call on its own normalised reading of the path, and the
//! gateway must see the same one: otherwise an allowed prefix covers another
//! API (`/weather/../billing/`). The rules are RFC 3986's — percent-decoding of
//! unreserved characters (§6.2.2.2) and removal of dot segments (§5.2.4) — and
//! whatever proxies read differently is refused instead of guessed: an encoded
//! `/` or `\`, a `\`, NUL or another control character, a malformed escape,
//! an empty segment (`//`, which nginx merges and Traefik and Caddy clean),
//! a path that climbs above the root, and any target that is not a path
//! (absolute-form `http://host/…`, `*`).

use std::fmt;

/// Longer request targets are refused: no route is near this long, and the
/// work per call stays bounded.
pub const MAX_TARGET_BYTES: usize = 8_192;

/// Why a request target has no canonical path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRejection {
    /// Absolute-form, authority-form, `*`, or empty: not a path.
    NotAPath,
    TooLong,
    /// `%` not followed by two hex digits.
    MalformedEscape,
    /// `%2F` or `%5C`: a separator some readers split on and others do not.
    EncodedSeparator,
    /// A literal `\`, which some proxies take as `/`.
    Backslash,
    /// NUL or another control character, literal or encoded.
    ControlCharacter,
    /// A byte outside visible ASCII, sent unencoded.
    UnencodedByte,
    /// `//`: merged by some proxies, kept by others.
    EmptySegment,
    /// More `..` than segments above it.
    AboveRoot,
}

impl PathRejection {
    /// Why, in a few words, for the refusal's body.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAPath => "path refused: the request target is not a path",
            Self::TooLong => "path refused: too long",
            Self::MalformedEscape => "path refused: malformed percent escape",
            Self::EncodedSeparator => "path refused: encoded slash or backslash",
            Self::Backslash => "path refused: backslash",
            Self::ControlCharacter => "path refused: control character",
            Self::UnencodedByte => "path refused: unencoded byte",
            Self::EmptySegment => "path refused: empty segment (//)",
            Self::AboveRoot => "path refused: climbs above the root",
        }
    }
}

impl fmt::Display for PathRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// A path read the one canonical way: starts with `/`, no dot segments, no
/// empty segments, unreserved characters decoded, other escapes kept with
/// upper-case hex. Made only by [`CanonicalPath::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath(String);

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one segment's escapes of unreserved characters; keeps the others.
fn decode_segment(raw: &[u8], out: &mut String) -> Result<(), PathRejection> {
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        match b {
            b'%' => {
                let (Some(hi), Some(lo)) = (
                    raw.get(i + 1).copied().and_then(hex),
                    raw.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(PathRejection::MalformedEscape);
                };
                let decoded = hi << 4 | lo;
                match decoded {
                    b'/' | b'\\' => return Err(PathRejection::EncodedSeparator),
                    0..=0x1f | 0x7f => return Err(PathRejection::ControlCharacter),
                    d if unreserved(d) => out.push(d as char),
                    d => {
                        out.push('%');
                        out.push(char::from(b"0123456789ABCDEF"[usize::from(d >> 4)]));
                        out.push(char::from(b"0123456789ABCDEF"[usize::from(d & 15)]));
                    }
                }
                i += 3;
            }
            b'\\' => return Err(PathRejection::Backslash),
            0..=0x1f | 0x7f => return Err(PathRejection::ControlCharacter),
            0x80..=0xff | b' ' => return Err(PathRejection::UnencodedByte),
            b => {
                out.push(b as char);
                i += 1;
            }
        }
    }
    Ok(())
}

impl CanonicalPath {
    /// Reads a request target (`/weather/today?city=Oslo`): the query and
    /// fragment are dropped, the path is made canonical or refused.
    pub fn parse(target: &str) -> Result<Self, PathRejection> {
        if target.len() > MAX_TARGET_BYTES {
            return Err(PathRejection::TooLong);
        }
        let path = target.split(['?', '#']).next().unwrap_or("");
        let Some(rest) = path.strip_prefix('/') else {
            return Err(PathRejection::NotAPath);
        };
        let raw: Vec<&[u8]> = rest.as_bytes().split(|b| *b == b'/').collect();
        let mut kept: Vec<String> = Vec::with_capacity(raw.len());
        // Whether the path names a folder: it ends in `/`, `.` or `..`.
        let mut trailing_slash = false;
        for (i, seg) in raw.iter().enumerate() {
            let last = i + 1 == raw.len();
            let mut decoded = String::with_capacity(seg.len());
            decode_segment(seg, &mut decoded)?;
            match decoded.as_str() {
                "" if last => trailing_slash = true,
                "" => return Err(PathRejection::EmptySegment),
                "." => trailing_slash = last,
                ".." => {
                    if kept.pop().is_none() {
                        return Err(PathRejection::AboveRoot);
                    }
                    trailing_slash = last;
                }
                _ => {
                    kept.push(decoded);
                    trailing_slash = false;
                }
            }
        }
        let mut out = String::with_capacity(path.len());
        for seg in &kept {
            out.push('/');
            out.push_str(seg);
        }
        if trailing_slash || kept.is_empty() {
            out.push('/');
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this path lies under `prefix` (which ends in `/`) on whole
    /// segments: `/weather/` covers `/weather` and `/weather/today`, never
    /// `/weatherx`.
    pub fn is_under(&self, prefix: &str) -> bool {
        debug_assert!(prefix.ends_with('/'));
        self.0.starts_with(prefix) || self.0 == prefix[..prefix.len() - 1]
    }
}

impl fmt::Display for CanonicalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PathRejection::*;
    use super::*;

    fn canon(s: &str) -> Result<String, PathRejection> {
        CanonicalPath::parse(s).map(|p| p.0)
    }

    #[test]
    fn plain_paths_are_kept_without_their_query() {
        assert_eq!(canon("/weather/today?city=Oslo").unwrap(), "/weather/today");
        assert_eq!(canon("/weather/").unwrap(), "/weather/");
        assert_eq!(canon("/weather").unwrap(), "/weather");
        assert_eq!(canon("/").unwrap(), "/");
        assert_eq!(canon("/a/b#frag").unwrap(), "/a/b");
    }

    #[test]
    fn dot_segments_are_removed_as_rfc_3986_says() {
        assert_eq!(canon("/weather/../billing/x").unwrap(), "/billing/x");
        assert_eq!(canon("/weather/./today").unwrap(), "/weather/today");
        assert_eq!(canon("/weather/today/..").unwrap(), "/weather/");
        assert_eq!(canon("/weather/today/.").unwrap(), "/weather/today/");
        assert_eq!(canon("/a/b/c/../../d").unwrap(), "/a/d");
        assert_eq!(canon("/weather/..").unwrap(), "/");
    }

    #[test]
    fn unreserved_escapes_are_decoded_before_dots_are_removed() {
        assert_eq!(canon("/weather/%2e%2e/billing/").unwrap(), "/billing/");
        assert_eq!(canon("/weather/.%2E/billing/").unwrap(), "/billing/");
        assert_eq!(canon("/%77eather/today").unwrap(), "/weather/today");
        assert_eq!(canon("/weather/%7Ex").unwrap(), "/weather/~x");
    }

    #[test]
    fn other_escapes_are_kept_in_upper_case() {
        assert_eq!(canon("/weather/a%20b").unwrap(), "/weather/a%20b");
        assert_eq!(canon("/weather/a%3fb").unwrap(), "/weather/a%3Fb");
        assert_eq!(canon("/weather/%C3%A9").unwrap(), "/weather/%C3%A9");
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        assert_eq!(canon("/weather%2F..%2Fbilling/"), Err(EncodedSeparator));
        assert_eq!(canon("/weather/%2f"), Err(EncodedSeparator));
        assert_eq!(canon("/weather/%5C../billing"), Err(EncodedSeparator));
        assert_eq!(canon("/weather\\..\\billing"), Err(Backslash));
        assert_eq!(canon("/weather/%00"), Err(ControlCharacter));
        assert_eq!(canon("/weather/%0d%0a"), Err(ControlCharacter));
        assert_eq!(canon("/weather/\t"), Err(ControlCharacter));
        assert_eq!(canon("/weather/%"), Err(MalformedEscape));
        assert_eq!(canon("/weather/%2"), Err(MalformedEscape));
        assert_eq!(canon("/weather/%zz"), Err(MalformedEscape));
        assert_eq!(canon("/weather//../billing/"), Err(EmptySegment));
        assert_eq!(canon("//billing/"), Err(EmptySegment));
        assert_eq!(canon("/../billing/"), Err(AboveRoot));
        assert_eq!(canon("/weather/../../billing/"), Err(AboveRoot));
        assert_eq!(canon("/weather/é"), Err(UnencodedByte));
        assert_eq!(canon("http://api.example.com/billing/"), Err(NotAPath));
        assert_eq!(canon("*"), Err(NotAPath));
        assert_eq!(canon(""), Err(NotAPath));
        assert_eq!(
            canon(&format!("/{}", "a".repeat(MAX_TARGET_BYTES))),
            Err(TooLong)
        );
    }

    #[test]
    fn prefixes_match_on_whole_segments() {
        let p = |s| CanonicalPath::parse(s).unwrap();
        assert!(p("/weather/today").is_under("/weather/"));
        assert!(p("/weather").is_under("/weather/"));
        assert!(p("/weather/").is_under("/weather/"));
        assert!(!p("/weatherx").is_under("/weather/"));
        assert!(!p("/weatherx/today").is_under("/weather/"));
        assert!(!p("/Weather/today").is_under("/weather/"));
        assert!(!p("/billing/").is_under("/weather/"));
    }

    proptest::proptest! {
        /// Whatever comes in, what comes out is canonical: reading it again
        /// changes nothing, and it holds no dot or empty segment.
        #[test]
        fn the_canonical_reading_is_a_fixed_point(raw in "(/(\\.|\\.\\.|%2[eE]|[a-c]|%4[1-3]|%2[fF]|%25|%20|)){0,8}") {
            if let Ok(once) = CanonicalPath::parse(&raw) {
                let twice = CanonicalPath::parse(once.as_str()).expect("a canonical path reads again");
                proptest::prop_assert_eq!(&once, &twice);
                let inner = &once.as_str()[1..];
                let inner = inner.strip_suffix('/').unwrap_or(inner);
                if !inner.is_empty() {
                    for seg in inner.split('/') {
                        proptest::prop_assert!(!seg.is_empty() && seg != "." && seg != "..");
                    }
                }
            }
        }
    }
}
