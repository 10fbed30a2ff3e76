//! Small text helpers shared by the editor features. All are total: any offset, any text.

use crate::span::Span;

/// `offset` clamped to `text` and moved back to a char boundary.
pub(crate) fn clamp(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// True when the span lies inside `text` on char boundaries.
pub(crate) fn valid(text: &str, span: Span) -> bool {
    span.start <= span.end && text.get(span.start..span.end).is_some()
}

/// The line around `offset`: (start, end) with `end` before the line terminator.
pub(crate) fn line_at(text: &str, offset: usize) -> Span {
    let o = clamp(text, offset);
    let start = text[..o].rfind('\n').map_or(0, |i| i + 1);
    let mut end = text[o..].find('\n').map_or(text.len(), |i| o + i);
    if end > start && text.as_bytes()[end - 1] == b'\r' {
        end -= 1;
    }
    Span::new(start, end)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// The identifier-like token (letters, digits, `-`, `_`, inner `.`) at `offset`, if any.
pub(crate) fn id_token_at(text: &str, offset: usize) -> Option<Span> {
    let o = clamp(text, offset);
    let mut start = o;
    for (i, c) in text[..o].char_indices().rev() {
        if is_id_char(c) {
            start = i;
        } else {
            break;
        }
    }
    let mut end = o;
    for (i, c) in text[o..].char_indices() {
        if is_id_char(c) {
            end = o + i + c.len_utf8();
        } else {
            break;
        }
    }
    // Trim punctuation that ends a sentence or starts a range.
    let tok = &text[start..end];
    let trimmed_start = tok.len() - tok.trim_start_matches(['.', '-', '_']).len();
    let tok2 = tok.trim_end_matches(['.', '-', '_']);
    let span = Span::new(start + trimmed_start, start + tok2.len().max(trimmed_start));
    if span.is_empty() || !(span.start <= o && o <= span.end) {
        return None;
    }
    Some(span)
}

/// True for requirement ids such as `FR-01`, `NFR-Performance`, `REQ-1.2`, `SEC_01`:
/// an upper-case prefix, a `-` or `_`, and at least one more letter or digit.
pub fn looks_like_requirement_id(s: &str) -> bool {
    let Some(sep) = s.find(['-', '_']) else {
        return false;
    };
    let (prefix, rest) = (&s[..sep], &s[sep + 1..]);
    !prefix.is_empty()
        && prefix.len() <= 12
        && prefix.chars().all(|c| c.is_ascii_uppercase())
        && !rest.is_empty()
        && rest.chars().all(is_id_char)
        && rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && rest
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Every occurrence of `needle` in `text` that is not part of a longer identifier: the bytes
/// around it are not letters, digits, `-` or `_` (a `.` after it counts as a boundary unless a
/// letter or digit follows it, so `FR-01.` matches but `FR-01.2` does not).
pub(crate) fn find_word(text: &str, needle: &str) -> Vec<Span> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(needle) {
        let end = i + needle.len();
        let before_ok = i == 0 || !is_word_byte(bytes[i - 1]);
        let after_ok = match bytes.get(end) {
            None => true,
            Some(&b'.') => !bytes
                .get(end + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric()),
            Some(&b) => !is_word_byte(b),
        };
        if before_ok && after_ok {
            out.push(Span::new(i, end));
        }
    }
    out
}

/// The form in which two steps count as "the same step": lower case, whitespace collapsed,
/// Markdown emphasis and code markers dropped, trailing punctuation removed.
pub fn normalize_step(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.chars() {
        if matches!(ch, '*' | '`') {
            continue;
        }
        if ch.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(ch.to_lowercase());
    }
    while out.ends_with(['.', ',', ';', ':', '!']) {
        out.pop();
    }
    out
}

/// Format a span as `line:col` (1-based, byte columns) for messages.
pub(crate) fn line_col(text: &str, offset: usize) -> String {
    let o = clamp(text, offset);
    let line = text[..o].matches('\n').count() + 1;
    let col = o - text[..o].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_inside_multibyte() {
        let t = "aé";
        assert_eq!(clamp(t, 2), 1);
        assert_eq!(clamp(t, 99), 3);
    }

    #[test]
    fn tokens_and_words() {
        let t = "see FR-01, NFR-01 and FR-010 or FR-01.2 and FR-01.";
        let s = id_token_at(t, 5).unwrap();
        assert_eq!(s.slice(t), "FR-01");
        assert_eq!(id_token_at(t, 4).unwrap().slice(t), "FR-01");
        let hits: Vec<usize> = find_word(t, "FR-01").iter().map(|s| s.start).collect();
        assert_eq!(hits, vec![4, t.rfind("FR-01").unwrap()]);
        assert!(looks_like_requirement_id("FR-01"));
        assert!(looks_like_requirement_id("NFR-Performance"));
        assert!(!looks_like_requirement_id("x-1"));
        assert!(!looks_like_requirement_id("FR-"));
        assert_eq!(id_token_at("", 0), None);
        assert_eq!(id_token_at("a b", 1).unwrap().slice("a b"), "a");
    }

    #[test]
    fn lines_and_normalisation() {
        let t = "a\r\nbc\n\nd";
        assert_eq!(line_at(t, 4).slice(t), "bc");
        assert_eq!(
            normalize_step("  I **create**  a Task. "),
            normalize_step("i create a task")
        );
        assert_eq!(line_col("ab\ncd", 4), "2:2");
    }
}
