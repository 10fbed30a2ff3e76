//! Positions at the edge: LSP `Position`s (line + column in the negotiated encoding) to byte
//! offsets and back. Everything inside specls works on byte offsets; only this module knows about
//! UTF-16.
//!
//! Rules (LSP 3.17):
//! - Lines end at `\n`, `\r\n` or a lone `\r`; a column past the end of a line means the end of
//!   that line (before its terminator).
//! - A column inside a character (the middle of a surrogate pair in UTF-16, or of a multi-byte
//!   sequence in UTF-8) is moved back to the start of that character.
//! - The line just past the last line (`line == line_count`) means the end of the document, as
//!   several clients send it for "replace everything"; lines beyond that are an error.

use tower_lsp_server::lsp_types::{Position, Range};

use specls_core::Span;

/// The position encoding negotiated with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

/// A position that does not lie in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange {
    pub line: u32,
    pub line_count: usize,
}

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} is outside the document ({} lines)",
            self.line, self.line_count
        )
    }
}

/// Byte offsets of line starts of one text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

/// Positions of offsets of one text, each line looked for from the line of the previous offset
/// (see [`LineIndex::cursor`]). A binary search of every line start reads a dozen places in an
/// array of tens of thousands: for the thousands of lenses of a big spec, right after an edit
/// (nothing in the processor's caches), that was most of the time of writing them.
pub struct Cursor<'a> {
    index: &'a LineIndex,
    text: &'a str,
    enc: Encoding,
    /// The line of the previous offset.
    line: usize,
}

impl Cursor<'_> {
    /// The position of `offset`, as [`LineIndex::position`] gives it.
    pub fn position(&mut self, offset: usize) -> Position {
        let ix = self.index;
        let offset = ix.clamp(self.text, offset);
        let starts = &ix.starts;
        if starts.is_empty() {
            return ix.position(self.text, offset, self.enc);
        }
        let line = if starts[self.line] <= offset {
            // Forward from the previous line: steps of 1, 2, 4, ... then a search in the last.
            let (mut lo, mut step) = (self.line, 1);
            while lo + step < starts.len() && starts[lo + step] <= offset {
                lo += step;
                step *= 2;
            }
            let hi = (lo + step).min(starts.len());
            lo + starts[lo..hi].partition_point(|&s| s <= offset) - 1
        } else {
            starts[..self.line].partition_point(|&s| s <= offset) - 1
        };
        self.line = line;
        ix.position_in(self.text, offset, line, self.enc)
    }
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 40 + 1);
        starts.push(0);
        if text.contains('\r') {
            let bytes = text.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                    starts.push(i + 1);
                }
            }
        } else {
            // Fast path (memchr): no carriage returns.
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The index of `new`: the indexed text with `span` replaced by `inserted` bytes (`new` is
    /// the result). Same as `LineIndex::new(new)`, in time proportional to the edit plus a copy
    /// of the line starts: the starts before the edit are kept, those of the edited bytes read
    /// again, those after it moved.
    pub fn edited(&self, new: &str, span: Span, inserted: usize) -> LineIndex {
        // A line starts at `p` when byte `p - 1` is `\n`, or a `\r` not followed by `\n` at
        // `p`: only starts whose two bytes both lie outside the edit are taken as they were.
        let bytes = new.as_bytes();
        let new_end = span.start + inserted;
        let keep = self.starts.partition_point(|&s| s < span.start);
        let after = self.starts.partition_point(|&s| s <= span.end);
        let mut starts = Vec::with_capacity(self.starts.len() + inserted / 40 + 1);
        starts.extend_from_slice(&self.starts[..keep]);
        if starts.is_empty() {
            starts.push(0);
        }
        for p in span.start.max(1)..=new_end.min(bytes.len()) {
            let b = bytes[p - 1];
            if b == b'\n' || (b == b'\r' && bytes.get(p) != Some(&b'\n')) {
                starts.push(p);
            }
        }
        starts.extend(self.starts[after..].iter().map(|&s| s - span.end + new_end));
        LineIndex {
            starts,
            len: new.len(),
        }
    }

    /// The length of the text it indexes.
    pub fn text_len(&self) -> usize {
        self.len
    }

    /// Number of lines (a text ending in `\n` has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of line `line`'s content, without its terminator.
    fn content(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.starts[line];
        let mut end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        } else if end > start && line + 1 < self.starts.len() && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    /// The LSP position of a byte offset (clamped to the text, moved back to a char boundary;
    /// an offset inside a `\r\n` pair is the end of its line).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let offset = self.clamp(text, offset);
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        self.position_in(text, offset, line, enc)
    }

    /// `offset` clamped to the text and moved back to a char boundary.
    fn clamp(&self, text: &str, offset: usize) -> usize {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The position of `offset` (clamped) on `line`, the line it lies on.
    fn position_in(&self, text: &str, offset: usize, line: usize, enc: Encoding) -> Position {
        let (start, end) = self.content(text, line);
        let offset = offset.min(end);
        let slice = &text[start..offset];
        let character = match enc {
            Encoding::Utf8 => slice.len(),
            Encoding::Utf16 if slice.is_ascii() => slice.len(),
            Encoding::Utf16 => slice.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    /// [`LineIndex::position`] for many offsets, fastest when they come in increasing order.
    pub fn cursor<'a>(&'a self, text: &'a str, enc: Encoding) -> Cursor<'a> {
        Cursor {
            index: self,
            text,
            enc,
            line: 0,
        }
    }

    /// The LSP range of a byte span. An end inside a character is moved forward, past it, so
    /// a span that covers part of a character still covers that character.
    pub fn range(&self, text: &str, span: Span, enc: Encoding) -> Range {
        let mut end = span.end.max(span.start).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        Range::new(
            self.position(text, span.start, enc),
            self.position(text, end, enc),
        )
    }

    /// The byte offset of an LSP position (see the module docs for the rules).
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> Result<usize, OutOfRange> {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            if line == self.starts.len() {
                return Ok(self.len);
            }
            return Err(OutOfRange {
                line: pos.line,
                line_count: self.starts.len(),
            });
        }
        let (start, end) = self.content(text, line);
        let want = pos.character as usize;
        let line_text = &text[start..end];
        match enc {
            Encoding::Utf8 => {
                let mut at = want.min(line_text.len());
                while !line_text.is_char_boundary(at) {
                    at -= 1;
                }
                Ok(start + at)
            }
            Encoding::Utf16 => {
                if line_text.is_ascii() {
                    return Ok(start + want.min(line_text.len()));
                }
                let mut units = 0;
                for (i, ch) in line_text.char_indices() {
                    let next = units + ch.len_utf16();
                    if next > want {
                        return Ok(start + i);
                    }
                    units = next;
                }
                Ok(end)
            }
        }
    }

    pub fn span(&self, text: &str, range: Range, enc: Encoding) -> Result<Span, OutOfRange> {
        let a = self.offset(text, range.start, enc)?;
        let b = self.offset(text, range.end, enc)?;
        Ok(Span::new(a.min(b), a.max(b)))
    }
}

#[cfg(test)]
mod edited_tests {
    use super::*;

    /// Random edits of texts made of line breaks of every kind and other characters: the
    /// index kept up to date equals the index built from scratch.
    /// A seeded generator of numbers below `n` (xorshift), for the random texts below.
    fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        }
    }

    /// Up to `most` pieces drawn from `pieces`, joined.
    fn text_of(next: &mut impl FnMut(usize) -> usize, pieces: &[&str], most: usize) -> String {
        (0..next(most))
            .map(|_| pieces[next(pieces.len())])
            .collect()
    }

    #[test]
    fn edited_index_equals_a_new_one() {
        let pieces = ["a", "\n", "\r", "\r\n", "é", "bc", ""];
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let mut text = text_of(&mut next, &pieces, 30);
            let mut idx = LineIndex::new(&text);
            for _ in 0..20 {
                let mut a = next(text.len() + 1);
                while !text.is_char_boundary(a) {
                    a -= 1;
                }
                let mut b = (a + next(4)).min(text.len());
                while !text.is_char_boundary(b) {
                    b += 1;
                }
                let ins = text_of(&mut next, &pieces, 4);
                let new = format!("{}{}{}", &text[..a], ins, &text[b..]);
                idx = idx.edited(&new, Span::new(a, b), ins.len());
                assert_eq!(idx, LineIndex::new(&new), "{text:?} {a}..{b} <- {ins:?}");
                text = new;
            }
        }
    }

    /// A cursor gives the positions `position` gives, for offsets in increasing order (as
    /// lenses ask) and in any order, past the end and inside characters included.
    #[test]
    fn cursor_positions_equal_positions() {
        let pieces = ["a", "\n", "\r", "\r\n", "é", "😀", "bc", "\n\n\n\n\n"];
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
        for _ in 0..300 {
            let text = text_of(&mut next, &pieces, 60);
            let idx = LineIndex::new(&text);
            let mut offsets: Vec<usize> = (0..next(40)).map(|_| next(text.len() + 3)).collect();
            for enc in [Encoding::Utf8, Encoding::Utf16] {
                for sorted in [true, false] {
                    if sorted {
                        offsets.sort_unstable();
                    }
                    let mut cursor = idx.cursor(&text, enc);
                    for &o in &offsets {
                        assert_eq!(
                            cursor.position(o),
                            idx.position(&text, o, enc),
                            "{text:?} {o}"
                        );
                    }
                }
                offsets.reverse();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn utf16_and_utf8_columns() {
        let text = "aé日😀b\r\nx\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        // 'b' is at byte 1+2+3+4 = 10; UTF-16 column 1+1+1+2 = 5.
        assert_eq!(idx.position(text, 10, Encoding::Utf16), p(0, 5));
        assert_eq!(idx.position(text, 10, Encoding::Utf8), p(0, 10));
        assert_eq!(idx.offset(text, p(0, 5), Encoding::Utf16), Ok(10));
        assert_eq!(idx.offset(text, p(0, 10), Encoding::Utf8), Ok(10));
        // Inside the surrogate pair of the emoji: back to its start.
        assert_eq!(idx.offset(text, p(0, 4), Encoding::Utf16), Ok(6));
        // Inside the UTF-8 bytes of 日: back to its start.
        assert_eq!(idx.offset(text, p(0, 4), Encoding::Utf8), Ok(3));
        // Past the end of the line: before the \r\n.
        assert_eq!(idx.offset(text, p(0, 99), Encoding::Utf16), Ok(11));
        assert_eq!(idx.offset(text, p(0, 99), Encoding::Utf8), Ok(11));
        // Offsets inside \r\n map to the line end.
        assert_eq!(idx.position(text, 12, Encoding::Utf16), p(0, 6));
        assert_eq!(idx.position(text, 13, Encoding::Utf16), p(1, 0));
        // The empty last line, and one past it = end of document.
        assert_eq!(idx.offset(text, p(2, 0), Encoding::Utf16), Ok(text.len()));
        assert_eq!(idx.offset(text, p(3, 7), Encoding::Utf16), Ok(text.len()));
        assert_eq!(
            idx.offset(text, p(4, 0), Encoding::Utf16),
            Err(OutOfRange {
                line: 4,
                line_count: 3
            })
        );
        // A span ending inside a character covers the whole character.
        let r = idx.range(text, Span::new(3, 4), Encoding::Utf16);
        assert_eq!((r.start, r.end), (p(0, 2), p(0, 3)));
        // Offsets past the text or inside a char are clamped / moved back.
        assert_eq!(idx.position(text, 999, Encoding::Utf8), p(2, 0));
        assert_eq!(idx.position(text, 2, Encoding::Utf8), p(0, 1));
    }

    #[test]
    fn lone_carriage_return_ends_a_line() {
        let text = "a\rb\r\nc\r";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.position(text, 2, Encoding::Utf8), p(1, 0));
        assert_eq!(idx.offset(text, p(1, 9), Encoding::Utf8), Ok(3));
        assert_eq!(idx.offset(text, p(2, 9), Encoding::Utf8), Ok(6));
        assert_eq!(idx.offset(text, p(3, 0), Encoding::Utf8), Ok(7));
    }

    #[test]
    fn round_trip_every_boundary() {
        let text = "# Titre é\r\n\r\n日本語 😀 x\nlast";
        let idx = LineIndex::new(text);
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for (off, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let pos = idx.position(text, off, enc);
                let back = idx.offset(text, pos, enc).unwrap();
                // Offsets of '\n' after '\r' are not line content; they map to the line end.
                let expect = if text[..off].ends_with('\r') {
                    off - 1
                } else {
                    off
                };
                assert_eq!(back, expect, "offset {off} {enc:?}");
            }
        }
    }
}
