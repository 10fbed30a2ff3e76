//! Line-level recognisers: Given/When/Then keywords in their Markdown spellings, requirement ids,
//! list markers, tag and status lines. Pure functions over one line; offsets are absolute.

use crate::model::StepKind;
use crate::span::Span;

/// The five step keywords. `And`/`But` continue the previous kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kw {
    Given,
    When,
    Then,
    And,
    But,
}

impl Kw {
    pub fn kind(self, previous: Option<StepKind>) -> StepKind {
        match self {
            Kw::Given => StepKind::Given,
            Kw::When => StepKind::When,
            Kw::Then => StepKind::Then,
            Kw::And | Kw::But => previous.unwrap_or(StepKind::Given),
        }
    }
}

/// A keyword found in a line.
#[derive(Clone, Copy, Debug)]
pub struct KwMatch {
    pub kw: Kw,
    /// The keyword with its markup (`**Given**`, `WHEN`, `Then:`).
    pub span: Span,
    /// Where the step text starts (after markup, colon and spaces).
    pub text_start: usize,
    /// Bold/italic or upper case: clearly a step even outside a scenario.
    pub styled: bool,
}

/// The content of a line after indentation, blockquote markers, a list marker and a task box.
#[derive(Clone, Copy, Debug)]
pub struct LineContent {
    /// Offset of the content.
    pub start: usize,
    /// Start of the list marker if the line starts a list item.
    pub marker: Option<usize>,
    /// The line starts with whitespace (after blockquote markers).
    pub indented: bool,
}

pub fn line_content(text: &str, start: usize, end: usize) -> LineContent {
    let b = text.as_bytes();
    let mut i = start;
    let mut indented = false;
    loop {
        while i < end && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
            indented = true;
        }
        if i < end && b[i] == b'>' {
            i += 1;
            indented = false;
            continue;
        }
        break;
    }
    let mut marker = None;
    let m = i;
    let mut j = i;
    if j < end && matches!(b[j], b'-' | b'*' | b'+') {
        j += 1;
    } else {
        let digits = b[j..end].iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=9).contains(&digits) && j + digits < end && matches!(b[j + digits], b'.' | b')') {
            j += digits + 1;
        }
    }
    if j > i && (j == end || b[j] == b' ' || b[j] == b'\t') {
        // `**Given**` starts with `*` but is not a marker: a marker is followed by a space.
        marker = Some(m);
        i = j;
        while i < end && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i + 3 <= end
            && b[i] == b'['
            && matches!(b[i + 1], b' ' | b'x' | b'X')
            && b[i + 2] == b']'
        {
            i += 3;
            while i < end && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
        }
    }
    LineContent {
        start: i,
        marker,
        indented,
    }
}

const KEYWORDS: [(&str, Kw); 5] = [
    ("given", Kw::Given),
    ("when", Kw::When),
    ("then", Kw::Then),
    ("and", Kw::And),
    ("but", Kw::But),
];

fn word_kw(word: &str, styled: bool) -> Option<(Kw, bool)> {
    let lower = word.to_ascii_lowercase();
    let (_, kw) = KEYWORDS.iter().find(|(k, _)| *k == lower)?;
    let upper = word.len() > 1 && word.bytes().all(|c| c.is_ascii_uppercase());
    let capital = word.as_bytes()[0].is_ascii_uppercase()
        && word[1..].bytes().all(|c| c.is_ascii_lowercase());
    if upper || capital || styled {
        Some((*kw, upper || styled))
    } else {
        None
    }
}

fn skip_spaces(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// A step keyword at `at`: `Given`, `GIVEN`, `**Given**`, `**Given:**`, `*Given*`, `__Given__`,
/// optionally followed by `:`. Requires text after it.
pub fn keyword_at(text: &str, at: usize, end: usize) -> Option<KwMatch> {
    let b = text.as_bytes();
    let mut i = at;
    let mut markup = "";
    for m in ["**", "__", "*", "_"] {
        if text[i..end].starts_with(m) {
            markup = m;
            i += m.len();
            break;
        }
    }
    let word_start = i;
    while i < end && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    if i == word_start || i - word_start > 5 {
        return None;
    }
    let word = &text[word_start..i];
    let (kw, styled) = word_kw(word, !markup.is_empty())?;
    if i < end && b[i] == b':' && !markup.is_empty() {
        i += 1;
    }
    if !markup.is_empty() {
        if !text[i..end].starts_with(markup) {
            return None;
        }
        i += markup.len();
    }
    let kw_end = i;
    if i < end && b[i] == b':' {
        i += 1;
    }
    if i < end && !(b[i] == b' ' || b[i] == b'\t') {
        return None;
    }
    let text_start = skip_spaces(b, i, end);
    if text_start >= end {
        return None;
    }
    Some(KwMatch {
        kw,
        span: Span::new(at, kw_end),
        text_start,
        styled,
    })
}

/// Styled keywords (bold/italic/upper case) anywhere in the content, for spec-kit's one-line
/// form `**Given** a, **When** b, **Then** c`. The first must be at `start`.
pub fn keywords_in_line(text: &str, start: usize, end: usize) -> Vec<KwMatch> {
    let mut out = Vec::new();
    let Some(first) = keyword_at(text, start, end) else {
        return out;
    };
    out.push(first);
    if !first.styled {
        return out;
    }
    let b = text.as_bytes();
    let mut i = first.text_start;
    while i < end {
        let prev_ok = i > 0 && matches!(b[i - 1], b' ' | b'\t' | b',' | b';');
        if prev_ok && (b[i] == b'*' || b[i] == b'_' || b[i].is_ascii_uppercase()) {
            if let Some(k) = keyword_at(text, i, end) {
                let upper_plain = !matches!(b[i], b'*' | b'_');
                // A plain capitalised word mid-sentence ("And") is prose; upper case or
                // markup is a keyword.
                let word = &text[k.span.start..k.span.end];
                if !upper_plain || word.bytes().all(|c| !c.is_ascii_lowercase()) {
                    out.push(k);
                    i = k.text_start;
                    continue;
                }
            }
        }
        i += 1;
        while i < end && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    out
}

/// Trim whitespace and trailing `,`, `;`, `.` from a span.
pub fn trim_step_text(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let lead = s.len() - s.trim_start().len();
    let t = s
        .trim_start()
        .trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '.');
    Span::new(span.start + lead, span.start + lead + t.len())
}

/// A requirement id such as `FR-01`, `NFR-Performance`, `REQ-12`, `SC-001`.
pub fn is_requirement_id(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(prefix) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    s.len() <= 40
        && !prefix.is_empty()
        && prefix.len() <= 8
        && prefix.bytes().all(|c| c.is_ascii_uppercase())
        && !rest.is_empty()
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
}

/// A requirement bullet's id and text: `**FR-01**: text`, `**FR-01:** text`, `**[NFR-01]**:
/// text`, `[FR-01]: text`, `FR-01: text`. Returns (id span, text start).
pub fn requirement_prefix(text: &str, span: Span) -> Option<(Span, usize)> {
    let s = span.slice(text);
    let b = s.as_bytes();
    let mut i = 0;
    let bold = s.starts_with("**") || s.starts_with("__");
    if bold {
        i += 2;
    }
    let bracket = b.get(i) == Some(&b'[');
    if bracket {
        i += 1;
    }
    let id_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_') {
        i += 1;
    }
    let id = &s[id_start..i];
    if !is_requirement_id(id) {
        return None;
    }
    let id_end = i;
    if bracket {
        if b.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
    }
    let mut colon = false;
    if b.get(i) == Some(&b':') {
        colon = true;
        i += 1;
    }
    if bold {
        if !s[i..].starts_with(&s[..2]) {
            return None;
        }
        i += 2;
    }
    if b.get(i) == Some(&b':') {
        colon = true;
        i += 1;
    }
    let mut j = i;
    while j < b.len() && b[j] == b' ' {
        j += 1;
    }
    if !colon {
        // `**FR-01** text` and `[FR-01] text` are fine; a bare `FR-01 text` needs a dash.
        if s[j..].starts_with("- ") || s[j..].starts_with("— ") || s[j..].starts_with("– ") {
            j += s[j..].find(' ').unwrap_or(0);
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
        } else if !(bold || bracket) || j == i {
            return None;
        }
    }
    if j >= b.len() {
        return None;
    }
    Some((
        Span::new(span.start + id_start, span.start + id_end),
        span.start + j,
    ))
}

/// True when the text uses RFC 2119 SHALL/MUST (upper case, whole word).
pub fn is_normative(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "SHALL" || w == "MUST")
}

/// `@tag @other` tokens filling a whole line.
pub fn tag_line(s: &str) -> Option<Vec<String>> {
    // Most lines are not: told by their first character, without splitting them.
    if !s.trim_start().starts_with('@') {
        return None;
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.is_empty() || !tokens.iter().all(|t| t.starts_with('@') && t.len() > 1) {
        return None;
    }
    Some(
        tokens
            .iter()
            .map(|t| t.trim_start_matches('@').to_string())
            .collect(),
    )
}

/// `Label: value` / `**Label**: value` / `**Label:** value` with the label compared
/// case-insensitively. Returns the value span.
pub fn labelled(text: &str, span: Span, label: &str) -> Option<Span> {
    let s = span.slice(text);
    let (inner, markup) = if let Some(r) = s.strip_prefix("**") {
        (r, "**")
    } else {
        (s, "")
    };
    if inner.len() < label.len()
        || !inner.is_char_boundary(label.len())
        || !inner[..label.len()].eq_ignore_ascii_case(label)
    {
        return None;
    }
    let mut r = &inner[label.len()..];
    let mut colon = false;
    if let Some(x) = r.strip_prefix(':') {
        r = x;
        colon = true;
    }
    if !markup.is_empty() {
        r = r.strip_prefix(markup)?;
    }
    if let Some(x) = r.strip_prefix(':') {
        r = x;
        colon = true;
    }
    if !colon {
        return None;
    }
    let value = r.trim();
    if value.is_empty() {
        return None;
    }
    let start = span.end - r.len() + (r.len() - r.trim_start().len());
    Some(Span::new(start, start + value.len()))
}

/// Split a comma/space separated tag list (`@a, b`) into tags without `@`.
pub fn split_tags(s: &str) -> Vec<String> {
    s.split([',', ' ', '\t'])
        .map(|t| t.trim().trim_matches('`').trim_start_matches('@'))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(s: &str) -> Option<(Kw, &str, &str, bool)> {
        keyword_at(s, 0, s.len()).map(|k| (k.kw, k.span.slice(s), &s[k.text_start..], k.styled))
    }

    #[test]
    fn keyword_spellings() {
        assert_eq!(
            kw("Given a user"),
            Some((Kw::Given, "Given", "a user", false))
        );
        assert_eq!(kw("**WHEN** x"), Some((Kw::When, "**WHEN**", "x", true)));
        assert_eq!(kw("**Then:** y"), Some((Kw::Then, "**Then:**", "y", true)));
        assert_eq!(kw("THEN y"), Some((Kw::Then, "THEN", "y", true)));
        assert_eq!(kw("And: z"), Some((Kw::And, "And", "z", false)));
        assert_eq!(kw("given a"), None);
        assert_eq!(kw("Whenever a"), None);
        assert_eq!(kw("Given"), None);
        assert_eq!(kw("**Given a"), None);
    }

    #[test]
    fn one_line_form() {
        let s = "**Given** a cart, **When** I pay, **Then** I get a receipt.";
        let k = keywords_in_line(s, 0, s.len());
        assert_eq!(k.len(), 3);
        assert_eq!(k[2].span.slice(s), "**Then**");
        let s = "Given a and Then b";
        assert_eq!(keywords_in_line(s, 0, s.len()).len(), 1);
    }

    #[test]
    fn requirement_prefixes() {
        let cases = [
            ("**FR-01**: Do x", Some(("FR-01", "Do x"))),
            ("**FR-01:** Do x", Some(("FR-01", "Do x"))),
            ("**[NFR-01]**: Do x", Some(("NFR-01", "Do x"))),
            ("[FR-01]: Do x", Some(("FR-01", "Do x"))),
            ("FR-01: Do x", Some(("FR-01", "Do x"))),
            (
                "NFR-Performance - p95 < 1s",
                Some(("NFR-Performance", "p95 < 1s")),
            ),
            ("**FR-001**: System MUST", Some(("FR-001", "System MUST"))),
            ("FR-01 Do x", None),
            ("Fr-01: x", None),
            ("**Bold**: x", None),
            ("[FR-01](http://x)", None),
        ];
        for (s, want) in cases {
            let got =
                requirement_prefix(s, Span::new(0, s.len())).map(|(id, t)| (id.slice(s), &s[t..]));
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn line_contents() {
        let s = "  > - [x] **Given** a";
        let c = line_content(s, 0, s.len());
        assert_eq!(&s[c.start..], "**Given** a");
        assert!(c.marker.is_some());
        let s = "**Given** a";
        let c = line_content(s, 0, s.len());
        assert_eq!(c.start, 0);
        assert!(c.marker.is_none());
        let s = "12. x";
        assert_eq!(&s[line_content(s, 0, s.len()).start..], "x");
    }

    #[test]
    fn labels_and_tags() {
        let s = "**Status**: passing";
        assert_eq!(
            labelled(s, Span::new(0, s.len()), "status")
                .unwrap()
                .slice(s),
            "passing"
        );
        let s = "Tags: @smoke, fast";
        let v = labelled(s, Span::new(0, s.len()), "tags").unwrap();
        assert_eq!(split_tags(v.slice(s)), vec!["smoke", "fast"]);
        assert_eq!(split_tags("`@a` `@b`"), vec!["a", "b"]);
        assert_eq!(tag_line("@a @b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(tag_line("@a b"), None);
        assert!(is_normative("The system SHALL do"));
        assert!(!is_normative("we shall see"));
    }
}
