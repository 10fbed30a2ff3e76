//! Reading the files out of a model's answer: fenced code blocks tagged with their paths.
//!
//! Accepted tags (the prompt asks for the first):
//! - in the info string: ```` ```python path=src/x.py ````, ```` ```python file=src/x.py ````,
//!   ```` ```python src/x.py ````, ```` ```src/x.py ````, ```` ```python:src/x.py ````;
//! - on the line just before the fence (blank lines allowed in between): `File: src/x.py`,
//!   `Path: src/x.py`, `### src/x.py`, `**src/x.py**`, `` `src/x.py` ``.
//!
//! Blocks without a path are ignored (explanations, examples). An answer with no tagged block,
//! a tagged block that is never closed (answer cut off), or two blocks for the same path is
//! malformed; the error says what is wrong in words a model can act on.

use crate::span::Span;

/// One file of an answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileBlock {
    /// The path as the model wrote it.
    pub path: String,
    pub content: String,
    /// The whole block in the answer, fences included.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer contains no fenced code block tagged with a file path; each file must be a block opened with ```<language> path=<file path>")]
    NoFiles,
    #[error("the code block for `{0}` is never closed with ``` (the answer looks cut off)")]
    Unclosed(String),
    #[error("the answer contains two blocks for `{0}`; give each file exactly once")]
    Duplicate(String),
}

struct Fence {
    ch: u8,
    len: usize,
    info: String,
}

/// A fence opening or closing line (up to 3 spaces of indent).
fn fence(line: &str) -> Option<Fence> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some(Fence {
        ch,
        len,
        info: info.to_string(),
    })
}

fn looks_like_path(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && (s.contains('/')
            || s.rsplit_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && b.starts_with(|c: char| c.is_ascii_alphabetic())
                    && b.chars().all(|c| c.is_ascii_alphanumeric())
            }))
        && !s.contains("://")
}

fn path_from_info(info: &str) -> Option<String> {
    for word in info.split_whitespace() {
        for key in ["path=", "file=", "filename=", "title="] {
            if let Some(v) = word.strip_prefix(key) {
                let v = v.trim_matches(['"', '\'']);
                if !v.is_empty() {
                    return Some(v.to_string());
                }
            }
        }
    }
    let words: Vec<&str> = info.split_whitespace().collect();
    if let Some((_, p)) = words.first().and_then(|w| w.split_once(':')) {
        if looks_like_path(p) {
            return Some(p.to_string());
        }
    }
    // `python src/x.py` or `src/x.py`.
    words
        .iter()
        .rev()
        .find(|w| looks_like_path(w) && (w.contains('/') || words.len() > 1 || w.contains('.')))
        .map(|w| w.to_string())
}

fn path_from_line(line: &str) -> Option<String> {
    let mut s = line.trim();
    s = s.trim_start_matches('#').trim();
    for prefix in [
        "File:",
        "file:",
        "FILE:",
        "Path:",
        "path:",
        "Filename:",
        "filename:",
    ] {
        if let Some(r) = s.strip_prefix(prefix) {
            s = r.trim();
            break;
        }
    }
    let s = s
        .trim_matches(|c| c == '*' || c == '`' || c == '_')
        .trim_end_matches(':')
        .trim_matches(|c| c == '*' || c == '`' || c == '_')
        .trim();
    looks_like_path(s).then(|| s.to_string())
}

/// The files of an answer, in order.
pub fn parse(answer: &str) -> Result<Vec<FileBlock>, AnswerError> {
    let mut files: Vec<FileBlock> = Vec::new();
    let mut pos = 0;
    let mut last_text_line: Option<&str> = None;
    let mut lines = answer.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let start = pos;
        pos += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        let Some(open) = fence(text) else {
            if !text.trim().is_empty() {
                last_text_line = Some(text);
            }
            continue;
        };
        let tagged = path_from_info(&open.info).or_else(|| last_text_line.and_then(path_from_line));
        last_text_line = None;
        let content_start = pos;
        let mut closed = None;
        for l in lines.by_ref() {
            let l_start = pos;
            pos += l.len();
            let t = l.trim_end_matches(['\n', '\r']);
            if let Some(f) = fence(t) {
                if f.ch == open.ch && f.len >= open.len && f.info.is_empty() {
                    closed = Some(l_start);
                    break;
                }
            }
        }
        let Some(path) = tagged else {
            continue;
        };
        let Some(content_end) = closed else {
            return Err(AnswerError::Unclosed(path));
        };
        if files.iter().any(|f| f.path == path) {
            return Err(AnswerError::Duplicate(path));
        }
        files.push(FileBlock {
            path,
            content: answer[content_start..content_end].to_string(),
            span: Span::new(start, pos),
        });
    }
    if files.is_empty() {
        return Err(AnswerError::NoFiles);
    }
    Ok(files)
}

/// How many tagged blocks of a partial answer are complete (for progress while streaming).
pub fn complete_blocks(partial: &str) -> usize {
    let mut n = 0;
    let mut open: Option<Fence> = None;
    for line in partial.split_inclusive('\n') {
        if !line.ends_with('\n') {
            break;
        }
        let t = line.trim_end_matches(['\n', '\r']);
        match (&open, fence(t)) {
            (None, Some(f)) => open = Some(f),
            (Some(o), Some(f)) if f.ch == o.ch && f.len >= o.len && f.info.is_empty() => {
                n += 1;
                open = None;
            }
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(a: &str) -> Vec<(String, String)> {
        parse(a)
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.content))
            .collect()
    }

    #[test]
    fn every_tag_form() {
        let a =
            "Here you go.\n\n```python path=src/a.py\nx = 1\n```\n\n```python:src/b.py\ny\n```\n\
File: src/c.py\n\n```python\nz\n```\n**src/d.py**\n~~~\nw\n~~~\n```src/e.rs\nfn e() {}\n```\n\
```rust src/f.rs\n```\n```python\nprint('no path: ignored')\n```\n";
        assert_eq!(
            paths(a),
            vec![
                ("src/a.py".into(), "x = 1\n".into()),
                ("src/b.py".into(), "y\n".into()),
                ("src/c.py".into(), "z\n".into()),
                ("src/d.py".into(), "w\n".into()),
                ("src/e.rs".into(), "fn e() {}\n".into()),
                ("src/f.rs".into(), "".into()),
            ]
        );
    }

    #[test]
    fn nested_fences_and_longer_closers() {
        let a = "````markdown path=docs/x.md\n```python\ninner\n```\n````\n";
        assert_eq!(
            paths(a),
            vec![("docs/x.md".into(), "```python\ninner\n```\n".into())]
        );
        // Without a final newline the closing fence still counts.
        assert_eq!(paths("```py path=a.py\nq\n```").len(), 1);
    }

    #[test]
    fn malformed_answers() {
        assert_eq!(parse("no code at all"), Err(AnswerError::NoFiles));
        assert_eq!(parse("```python\nx\n```\n"), Err(AnswerError::NoFiles));
        assert_eq!(parse(""), Err(AnswerError::NoFiles));
        assert_eq!(
            parse("```python path=a.py\nx = 1\n"),
            Err(AnswerError::Unclosed("a.py".into()))
        );
        assert_eq!(
            parse("```py path=a.py\n1\n```\n```py path=a.py\n2\n```\n"),
            Err(AnswerError::Duplicate("a.py".into()))
        );
        // An info string is not a path when it is only a language.
        assert_eq!(parse("```python\nx\n```"), Err(AnswerError::NoFiles));
        // A URL in the preceding line is not a path.
        assert_eq!(
            parse("See https://x.org/a.py\n```python\nx\n```\n"),
            Err(AnswerError::NoFiles)
        );
    }

    #[test]
    fn progress_counts_closed_blocks() {
        assert_eq!(complete_blocks("```py path=a.py\nx\n"), 0);
        assert_eq!(complete_blocks("```py path=a.py\nx\n```\n```py path=b"), 1);
        assert_eq!(
            complete_blocks("```py path=a.py\nx\n```\n```py path=b.py\ny\n```\n"),
            2
        );
    }
}
