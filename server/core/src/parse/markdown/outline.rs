//! The block structure of a Markdown body, from pulldown-cmark's offset iterator: headings, code
//! blocks, list items, tables and HTML blocks, each with exact byte ranges in document offsets.
//! One pass, iterative (no recursion), so deep nesting cannot overflow the stack; containers
//! nested deeper than [`limits::MAX_DEPTH`] are walked but not recorded.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::limits;
use crate::span::Span;

#[derive(Debug, Clone)]
pub struct Heading {
    pub level: u8,
    /// The heading line(s), trimmed.
    pub span: Span,
    /// The heading's inline content (without `#`s or the setext underline).
    pub content: Span,
    pub setext: bool,
}

#[derive(Debug, Clone)]
pub struct Fence {
    pub fenced: bool,
    pub info: String,
    pub span: Span,
    pub content_span: Span,
    pub closed: bool,
    /// Content pieces in document order (one per line for blocks inside containers).
    pub segments: Vec<Span>,
}

impl Fence {
    /// The content as one string (segments joined) and a map from content offsets to
    /// document offsets.
    pub fn content(&self, text: &str) -> (String, SegMap) {
        let mut content = String::new();
        let mut pieces = Vec::new();
        for s in &self.segments {
            pieces.push((content.len(), *s));
            content.push_str(s.slice(text));
        }
        (
            content,
            SegMap {
                pieces,
                fallback: self.content_span.start,
            },
        )
    }
}

/// Content offset -> document offset for text assembled from pieces.
#[derive(Debug, Clone)]
pub struct SegMap {
    pieces: Vec<(usize, Span)>,
    fallback: usize,
}

impl SegMap {
    pub fn map(&self, o: usize) -> usize {
        let k = self
            .pieces
            .partition_point(|&(c, _)| c <= o)
            .saturating_sub(1);
        match self.pieces.get(k) {
            Some(&(c, s)) => s.start + (o - c.min(o)).min(s.len()),
            None => self.fallback,
        }
    }
    pub fn span(&self, s: Span) -> Span {
        let a = self.map(s.start);
        Span::new(a, self.map(s.end).max(a))
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub span: Span,
    /// The item's own text: after the marker (and task box) to the end of its first paragraph.
    pub text: Span,
    pub task: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub span: Span,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub span: Span,
    pub header: Vec<Cell>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Default)]
pub struct Outline {
    pub headings: Vec<Heading>,
    pub fences: Vec<Fence>,
    pub items: Vec<Item>,
    pub tables: Vec<Table>,
    pub html: Vec<Span>,
    /// Thematic breaks (`---`, `***`).
    pub rules: Vec<Span>,
    /// Where nesting first went deeper than the limit.
    pub too_deep: Option<Span>,
}

#[derive(Debug)]
enum Frame {
    Heading(usize),
    Item {
        idx: Option<usize>,
        block_seen: bool,
    },
    /// A paragraph whose text belongs to an item (its first block).
    ItemParagraph(usize),
    Table(Option<usize>),
    Head,
    Row,
    Cell,
    Code(Option<usize>),
    Container,
    Other,
}

fn trim_span(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail >= s.len() {
        return Span::empty(span.start + lead.min(s.len()));
    }
    Span::new(span.start + lead, span.end - trail)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

/// Skip the list marker (and a task box) at the start of an item.
fn after_marker(text: &str, item_start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = item_start;
    let end = line_end(text, item_start);
    while i < end && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    if i < end && matches!(bytes[i], b'-' | b'*' | b'+') {
        i += 1;
    } else {
        while i < end && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i < end && matches!(bytes[i], b'.' | b')') {
            i += 1;
        }
    }
    while i < end && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    if i + 3 <= end
        && bytes[i] == b'['
        && matches!(bytes[i + 1], b' ' | b'x' | b'X')
        && bytes[i + 2] == b']'
    {
        i += 3;
        while i < end && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
    }
    i
}

fn is_fence_line(line: &str, ch: u8, min: usize) -> bool {
    let t = line.trim_start_matches([' ', '\t', '>']).trim_end();
    t.len() >= min && t.bytes().all(|b| b == ch)
}

fn fence_opener(text: &str, start: usize) -> (u8, usize) {
    let line = &text[start..line_end(text, start)];
    let t = line.trim_start_matches([' ', '\t', '>', '-', '*', '+']);
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')');
    let t = t.trim_start();
    let ch = if t.starts_with('~') { b'~' } else { b'`' };
    let n = t.bytes().take_while(|&b| b == ch).count();
    (ch, n.max(3))
}

/// Build the outline of `text[body_start..]`; all spans are offsets into `text`.
pub fn build(text: &str, body_start: usize) -> Outline {
    let body = &text[body_start..];
    let mut out = Outline::default();
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut stack: Vec<Frame> = Vec::new();
    let mut container_depth = 0usize;
    let mut heading_content: Vec<Option<Span>> = Vec::new();
    // Inline extent of the current item text / heading content.
    for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
        let span = Span::new(range.start + body_start, range.end + body_start);
        match event {
            Event::Start(tag) => {
                // Block children of an item end its own text.
                let is_block = matches!(
                    tag,
                    Tag::Paragraph
                        | Tag::Heading { .. }
                        | Tag::BlockQuote(_)
                        | Tag::CodeBlock(_)
                        | Tag::HtmlBlock
                        | Tag::List(_)
                        | Tag::Table(_)
                        | Tag::FootnoteDefinition(_)
                );
                let mut item_para = None;
                if is_block {
                    if let Some(Frame::Item { idx, block_seen }) = stack.last_mut() {
                        if !*block_seen && matches!(tag, Tag::Paragraph) {
                            item_para = *idx;
                        }
                        *block_seen = true;
                    }
                }
                let deep = container_depth >= limits::MAX_DEPTH;
                let frame = match tag {
                    Tag::Heading { level, .. } => {
                        let setext = !span.slice(text).trim_start().starts_with('#');
                        out.headings.push(Heading {
                            level: level as u8,
                            span: trim_span(text, span),
                            content: Span::empty(span.start),
                            setext,
                        });
                        heading_content.push(None);
                        Frame::Heading(out.headings.len() - 1)
                    }
                    Tag::Paragraph => match item_para {
                        Some(i) => Frame::ItemParagraph(i),
                        None => Frame::Other,
                    },
                    Tag::Item => {
                        container_depth += 1;
                        let idx = if deep {
                            if out.too_deep.is_none() {
                                out.too_deep = Some(Span::new(
                                    span.start,
                                    line_end(text, span.start).min(span.end.max(span.start)),
                                ));
                            }
                            None
                        } else {
                            let start = after_marker(text, span.start).min(span.end);
                            out.items.push(Item {
                                span: trim_span(text, span),
                                text: Span::empty(start),
                                task: None,
                            });
                            Some(out.items.len() - 1)
                        };
                        Frame::Item {
                            idx,
                            block_seen: false,
                        }
                    }
                    Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_) => {
                        container_depth += 1;
                        if deep && out.too_deep.is_none() {
                            out.too_deep = Some(Span::new(
                                span.start,
                                line_end(text, span.start).min(span.end.max(span.start)),
                            ));
                        }
                        Frame::Container
                    }
                    Tag::CodeBlock(kind) => {
                        let (fenced, info) = match kind {
                            CodeBlockKind::Fenced(info) => (true, info.trim().to_string()),
                            CodeBlockKind::Indented => (false, String::new()),
                        };
                        let closed = if fenced {
                            let (ch, n) = fence_opener(text, span.start);
                            let s = span.slice(text).trim_end_matches(['\n', '\r']);
                            let mut lines = s.lines();
                            lines.next();
                            lines.last().is_some_and(|l| is_fence_line(l, ch, n))
                        } else {
                            true
                        };
                        let first_line_end = line_end(text, span.start).min(span.end);
                        let content_at = if fenced {
                            (first_line_end + 1).min(span.end)
                        } else {
                            span.start
                        };
                        out.fences.push(Fence {
                            fenced,
                            info,
                            span: trim_span(text, span),
                            content_span: Span::empty(content_at),
                            closed,
                            segments: Vec::new(),
                        });
                        Frame::Code(Some(out.fences.len() - 1))
                    }
                    Tag::HtmlBlock => {
                        out.html.push(span);
                        Frame::Other
                    }
                    Tag::Table(_) => {
                        if deep {
                            Frame::Table(None)
                        } else {
                            out.tables.push(Table {
                                span: trim_span(text, span),
                                header: Vec::new(),
                                rows: Vec::new(),
                            });
                            Frame::Table(Some(out.tables.len() - 1))
                        }
                    }
                    Tag::TableHead => Frame::Head,
                    Tag::TableRow => {
                        if let Some(Frame::Table(Some(t))) = stack.last() {
                            out.tables[*t].rows.push(Row {
                                span: trim_span(text, span),
                                cells: Vec::new(),
                            });
                        }
                        Frame::Row
                    }
                    Tag::TableCell => {
                        // Table > Head/Row > Cell.
                        let table = match stack.iter().rev().nth(1) {
                            Some(Frame::Table(Some(t))) => Some(*t),
                            _ => None,
                        };
                        if let Some(t) = table {
                            let cspan = trim_span(text, span);
                            let raw = cspan.slice(text).trim_matches('|').trim();
                            let cell = Cell {
                                text: raw.replace("\\|", "|"),
                            };
                            let tab = &mut out.tables[t];
                            match (stack.last(), tab.rows.last_mut()) {
                                (Some(Frame::Row), Some(r)) => r.cells.push(cell),
                                (Some(Frame::Head), _) => tab.header.push(cell),
                                _ => {}
                            }
                        }
                        Frame::Cell
                    }
                    _ => {
                        // Inline tags: extend the owner's text.
                        extend_inline(&mut out, &mut heading_content, &stack, span);
                        continue;
                    }
                };
                stack.push(frame);
            }
            Event::End(end) => {
                if matches!(
                    end,
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough
                ) || matches!(
                    end,
                    TagEnd::Link | TagEnd::Image | TagEnd::Superscript | TagEnd::Subscript
                ) {
                    continue;
                }
                match stack.pop() {
                    Some(Frame::Item { .. }) => {
                        container_depth = container_depth.saturating_sub(1);
                    }
                    Some(Frame::Container) => {
                        container_depth = container_depth.saturating_sub(1);
                    }
                    _ => {}
                }
            }
            Event::Text(_)
            | Event::Code(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::SoftBreak
            | Event::HardBreak => {
                if let Some(Frame::Code(Some(f))) = stack.last() {
                    let fence = &mut out.fences[*f];
                    fence.segments.push(span);
                    fence.content_span = Span::new(
                        fence
                            .segments
                            .first()
                            .map_or(span.start, |s: &Span| s.start),
                        span.end,
                    );
                } else {
                    extend_inline(&mut out, &mut heading_content, &stack, span);
                }
            }
            Event::TaskListMarker(done) => {
                if let Some(Frame::Item { idx: Some(i), .. }) = stack.last() {
                    out.items[*i].task = Some(done);
                }
            }
            Event::Html(_) => {}
            Event::Rule => out.rules.push(trim_span(text, span)),
        }
    }
    // Item texts: from after the marker to the end of the first paragraph (at least the first
    // line, so link-reference-like text such as `[FR-01]: x` is kept).
    for item in &mut out.items {
        let start = item.text.start;
        let end = item.text.end.max(line_end(text, start).min(item.span.end));
        item.text = trim_span(text, Span::new(start, end.max(start)));
    }
    for (h, c) in out.headings.iter_mut().zip(heading_content) {
        h.content = match c {
            Some(c) => trim_span(text, c),
            None => Span::empty(h.span.end),
        };
    }
    out
}

fn extend_inline(
    out: &mut Outline,
    heading_content: &mut [Option<Span>],
    stack: &[Frame],
    span: Span,
) {
    match stack.last() {
        Some(Frame::Heading(h)) => {
            let c = &mut heading_content[*h];
            *c = Some(c.map_or(span, |c| c.cover(span)));
        }
        Some(Frame::ItemParagraph(i)) | Some(Frame::Item { idx: Some(i), .. }) => {
            let item = &mut out.items[*i];
            if let Some(Frame::Item {
                block_seen: true, ..
            }) = stack.last()
            {
                return;
            }
            item.text.end = item.text.end.max(span.end);
        }
        _ => {}
    }
}
