//! Incremental reparsing: after an edit, read again only the top-level item the edit touched and
//! splice it into the previous document, moving the spans after it.
//!
//! [`reparse`] gives exactly what [`super::parse_document`] gives for the new text (a property
//! test checks this on random edits of generated corpora); when an edit is not confined to one
//! item it can read on its own (it crosses items, changes the indentation of the list, opens a
//! quote or a fence that would run past the item, touches front matter or headings around it),
//! it falls back to the full parse.
//!
//! - YAML scenario specs: one item of a top-level `scenarios`/`new_scenarios`/`chaos_scenarios`
//!   list, from its `-` line to the next item's line. The item is read on its own by the YAML
//!   reader (its spans moved to the document's place) and by the spec parser's item reader.
//! - Markdown specs: one scenario section, from its heading line to the next heading (an edit at
//!   the very start of a heading's line belongs to the section above it). It is read as a small
//!   document made of the context the walker carries into it (front matter, the heading lines
//!   above it, a `Background` section) followed by the section itself. The context is only
//!   trusted when it reads the section as it was before the edit exactly as the whole file did
//!   (state it leaves out, such as a `Tags:` line in a sibling section, shows up there).

use crate::diag::Diagnostic;
use crate::model::{DocKind, Document, Lineage, RelSpan, Scenario, ScenarioOrigin, Splice};
use crate::span::Span;

use super::{find_ignores, parse_document, IGNORE_MARKER};

/// One edit: bytes `start..old_end` of the old text became `start..new_end` of the new text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Edit {
    pub fn delta(&self) -> isize {
        self.new_end as isize - self.old_end as isize
    }

    /// This edit followed by `next` (an edit of the text this one made), as one edit of the
    /// first text: from the first byte either changed to the last, in both texts.
    pub fn then(self, next: Edit) -> Edit {
        let start = self.start.min(next.start);
        // The end of the changed bytes in the text between the two edits.
        let mid_end = self.new_end.max(next.old_end);
        // Bytes after `self.new_end` in that text are the first text's after `old_end`, and
        // bytes after `next.old_end` are the last text's after `next.new_end`.
        Edit {
            start,
            old_end: mid_end - self.new_end + self.old_end,
            new_end: mid_end - next.old_end + next.new_end,
        }
    }

    /// Whether this edit can describe `old` -> `new`: in bounds, on character boundaries, and
    /// the lengths agree (the bytes around it are not compared).
    pub fn fits(&self, old: &str, new: &str) -> bool {
        self.start <= self.old_end
            && self.start <= self.new_end
            && self.old_end <= old.len()
            && self.new_end <= new.len()
            && old.len() - self.old_end == new.len() - self.new_end
            && old.is_char_boundary(self.start)
            && old.is_char_boundary(self.old_end)
            && new.is_char_boundary(self.start)
            && new.is_char_boundary(self.new_end)
    }
}

/// The smallest single edit that turns `old` into `new`, given `hint`: an edit known to
/// describe them (every byte outside it is the same in both texts). Only the bytes inside the
/// hint are compared; without a hint that fits, the whole texts are ([`diff`]).
pub fn diff_within(old: &str, new: &str, hint: Option<Edit>) -> Edit {
    match hint {
        Some(h) if h.fits(old, new) => {
            debug_assert!(
                old[..h.start] == new[..h.start] && old[h.old_end..] == new[h.new_end..],
                "the hint {h:?} does not describe the edit"
            );
            let d = diff(&old[h.start..h.old_end], &new[h.start..h.new_end]);
            Edit {
                start: h.start + d.start,
                old_end: h.start + d.old_end,
                new_end: h.start + d.new_end,
            }
        }
        _ => diff(old, new),
    }
}

/// The smallest single edit that turns `old` into `new` (common prefix and suffix, on char
/// boundaries). Linear in the text, and a plain byte comparison.
pub fn diff(old: &str, new: &str) -> Edit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut start = common_prefix(a, b);
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let max_suffix = a.len().min(b.len()) - start;
    let mut suffix = common_suffix(&a[a.len() - max_suffix..], &b[b.len() - max_suffix..]);
    while !old.is_char_boundary(a.len() - suffix) || !new.is_char_boundary(b.len() - suffix) {
        suffix -= 1;
    }
    Edit {
        start,
        old_end: a.len() - suffix,
        new_end: b.len() - suffix,
    }
}

/// Blocks compared at once by [`common_prefix`] and [`common_suffix`] (slice equality is a
/// `memcmp`, many times faster than comparing byte by byte on a megabyte file).
const BLOCK: usize = 256;

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The length of the longest common suffix of `a` and `b`.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut k = 0;
    while k + BLOCK <= n && a[n - k - BLOCK..n - k] == b[n - k - BLOCK..n - k] {
        k += BLOCK;
    }
    k + a[..n - k]
        .iter()
        .rev()
        .zip(b[..n - k].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// The document of `new_text`, reusing `old` (the document of `old_text`) where the edit allows.
/// Always equal to `parse_document(&old.path, new_text, kind)` with `old`'s kind.
pub fn reparse(old: &Document, old_text: &str, new_text: &str) -> Document {
    reparse_edited(old, old_text, new_text, None)
}

/// [`reparse`] told what changed: `edit` (when known) describes `old_text` -> `new_text`
/// (every byte outside it is the same in both; it need not be the smallest such edit), so the
/// texts are not compared outside it.
pub fn reparse_edited(
    old: &Document,
    old_text: &str,
    new_text: &str,
    edit: Option<Edit>,
) -> Document {
    if let Some(doc) = try_reparse_edited(old, old_text, new_text, edit) {
        return doc;
    }
    let kind = old.kind.unwrap_or(DocKind::MarkdownSpec);
    parse_document(&old.path, new_text, kind)
}

/// The incremental path only: None when the edit needs a full parse.
pub fn try_reparse(old: &Document, old_text: &str, new_text: &str) -> Option<Document> {
    try_reparse_edited(old, old_text, new_text, None)
}

/// [`try_reparse`] told what changed (see [`reparse_edited`]).
pub fn try_reparse_edited(
    old: &Document,
    old_text: &str,
    new_text: &str,
    edit: Option<Edit>,
) -> Option<Document> {
    if new_text.len() > crate::limits::MAX_FILE_BYTES
        || old_text.len() > crate::limits::MAX_FILE_BYTES
        || old
            .diagnostics
            .iter()
            .any(|d| d.code == "too-many-diagnostics")
    {
        return None;
    }
    let edit = diff_within(old_text, new_text, edit);
    if edit.start == edit.old_end && edit.start == edit.new_end {
        return Some(old.clone());
    }
    match old.kind? {
        DocKind::YamlSpec => yaml_item(old, old_text, new_text, edit),
        DocKind::MarkdownSpec => markdown_section(old, old_text, new_text, edit),
        _ => None,
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Where an old span goes once the old region `start..end` has been replaced by `delta` more
/// bytes.
#[derive(Clone, Copy, Debug)]
struct Region {
    start: usize,
    end: usize,
    delta: isize,
}

#[derive(PartialEq, Eq)]
enum Place {
    /// Before or after the region, or around it: moved (in place).
    Kept,
    /// Inside the region: replaced by what the region reads as now.
    Inside,
    /// Across one end of the region: the incremental path does not apply.
    Across,
}

impl Region {
    fn add(x: usize, d: isize) -> usize {
        (x as isize + d) as usize
    }
    fn place(&self, s: &mut Span) -> Place {
        if s.start >= self.end {
            s.start = Self::add(s.start, self.delta);
            s.end = Self::add(s.end, self.delta);
            Place::Kept
        } else if s.end <= self.start {
            Place::Kept
        } else if s.start >= self.start && s.end <= self.end {
            Place::Inside
        } else if s.start < self.start && s.end >= self.end {
            s.end = Self::add(s.end, self.delta);
            Place::Kept
        } else {
            Place::Across
        }
    }
    /// Move a span that must not be inside the region.
    fn keep(&self, s: &mut Span) -> Option<()> {
        (self.place(s) == Place::Kept).then_some(())
    }
}

/// Move every span of a diagnostic in this document (its related places and fix edits in the
/// same file too). None when one is inside or across the region.
fn move_diag(d: &mut Diagnostic, r: &Region, path: &str) -> Option<()> {
    let mut ok = true;
    d.local_spans_mut(path, &mut |s| ok &= r.keep(s).is_some());
    ok.then_some(())
}

/// A scenario that is not read again, moved to its place in the new document. Its body (name,
/// steps...) is shared with the old document's when its steps move with it, as they do when
/// they lie within its span and its span lies before or after the region; otherwise each of
/// its spans is moved on its own (a Background's steps before an edit, a scenario after it).
/// None when a span is inside or across the region.
fn move_scenario(sc: &Scenario, r: &Region) -> Option<Scenario> {
    let (mut span, mut name_span) = (sc.span, sc.name_span);
    r.keep(&mut span)?;
    r.keep(&mut name_span)?;
    let before = sc.span.end <= r.start;
    let after = sc.span.start >= r.end;
    if sc.steps_inside() && (before || after) {
        let moved = if after { sc.moved(r.delta) } else { sc.clone() };
        debug_assert!(moved.span == span && moved.name_span == name_span);
        return Some(moved);
    }
    let mut d = sc.to_draft();
    d.span = span;
    d.name_span = name_span;
    for st in d.given.iter_mut().chain(&mut d.when).chain(&mut d.then) {
        let (mut a, mut b) = (st.span.abs0(), st.text_span.abs0());
        r.keep(&mut a)?;
        r.keep(&mut b)?;
        st.span = RelSpan::absolute(a);
        st.text_span = RelSpan::absolute(b);
    }
    Some(d.finish())
}

/// The old scenarios moved, with scenario `k` replaced by `new_sc`.
fn moved_scenarios(
    old: &[Scenario],
    k: usize,
    new_sc: Scenario,
    r: &Region,
) -> Option<Vec<Scenario>> {
    let mut out = Vec::with_capacity(old.len());
    for s in &old[..k] {
        out.push(move_scenario(s, r)?);
    }
    out.push(new_sc);
    for s in &old[k + 1..] {
        out.push(move_scenario(s, r)?);
    }
    Some(out)
}

/// Move every span of the document that lies outside the region (scenarios and diagnostics are
/// the caller's). None when a span is inside or across it.
fn move_rest(doc: &mut Document, r: &Region) -> Option<()> {
    r.keep(&mut doc.name_span)?;
    if let Some(fm) = &mut doc.front_matter {
        r.keep(&mut fm.span)?;
        for f in &mut fm.fields {
            r.keep(&mut f.key_span)?;
            r.keep(&mut f.value_span)?;
        }
    }
    for s in &mut doc.sections {
        r.keep(&mut s.heading_span)?;
        r.keep(&mut s.span)?;
    }
    for q in &mut doc.requirements {
        r.keep(&mut q.id_span)?;
        r.keep(&mut q.span)?;
    }
    for f in &mut doc.functions {
        r.keep(&mut f.span)?;
        r.keep(&mut f.name_span)?;
    }
    for e in &mut doc.examples {
        r.keep(&mut e.span)?;
    }
    for c in &mut doc.constraints {
        r.keep(&mut c.span)?;
        r.keep(&mut c.text_span)?;
        if let Some(m) = &mut c.measure {
            r.keep(&mut m.value_span)?;
        }
    }
    for d in &mut doc.dependencies {
        r.keep(&mut d.span)?;
    }
    for d in &mut doc.domains {
        r.keep(&mut d.name_span)?;
        r.keep(&mut d.span)?;
        for x in &mut d.dependencies {
            r.keep(&mut x.span)?;
        }
    }
    for w in &mut doc.workflow_steps {
        r.keep(&mut w.span)?;
    }
    for b in &mut doc.blocks {
        r.keep(&mut b.span)?;
        r.keep(&mut b.content_span)?;
    }
    for b in &mut doc.behaviors {
        r.keep(&mut b.span)?;
    }
    if doc.arrangement.is_some() || doc.blueprint.is_some() {
        return None;
    }
    Some(())
}

/// The ignore markers of `new_text` (made from `old`'s text by `edit`), and whether it is
/// free of the marker word. When the old text was, only the bytes around the edit can hold
/// the word (an occurrence elsewhere would have been in the old text): the new text is not
/// searched, nor split into lines, when they do not.
fn ignores_after(
    old: &Document,
    new_text: &str,
    kind: DocKind,
    edit: Edit,
) -> (Vec<crate::model::Ignore>, bool) {
    let w = IGNORE_MARKER.len();
    if old.lineage.marker_free {
        let lo = edit.start.saturating_sub(w - 1);
        let hi = (edit.new_end + w - 1).min(new_text.len());
        let near = new_text.as_bytes()[lo..hi.max(lo)]
            .windows(w)
            .any(|x| x == IGNORE_MARKER.as_bytes());
        if !near {
            return (Vec::new(), true);
        }
    }
    let free = !new_text.contains(IGNORE_MARKER);
    let ignores = if free {
        Vec::new()
    } else {
        find_ignores(new_text, kind)
    };
    (ignores, free)
}

/// Old diagnostics outside the region (moved) plus the region's new ones, in the order the full
/// parse gives (stable by position, region's own order kept), capped like the full parse.
fn splice_diagnostics(
    old: &[Diagnostic],
    r: &Region,
    path: &str,
    fresh: Vec<Diagnostic>,
) -> Option<Vec<Diagnostic>> {
    let mut out = Vec::with_capacity(old.len() + fresh.len());
    for d in old {
        let mut span = d.span;
        match r.place(&mut span) {
            Place::Inside => continue,
            Place::Across => return None,
            Place::Kept => {
                let mut d = d.clone();
                move_diag(&mut d, r, path)?;
                out.push(d);
            }
        }
    }
    out.extend(fresh);
    out.sort_by_key(|d| (d.span.start, d.span.end));
    crate::diag::cap(&mut out);
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// YAML

fn yaml_item(old: &Document, old_text: &str, new_text: &str, edit: Edit) -> Option<Document> {
    let scs = &old.scenarios;
    let starts = |k: usize| line_start(old_text, scs[k].span.start);
    // The last scenario whose item line starts at or before the edit.
    let k = scs
        .partition_point(|s| line_start(old_text, s.span.start) <= edit.start)
        .checked_sub(1)?;
    let (sc, next) = (&scs[k], scs.get(k + 1)?);
    let top = |s: &Scenario| {
        s.parent.is_none()
            && matches!(
                s.origin,
                ScenarioOrigin::Yaml | ScenarioOrigin::YamlNew | ScenarioOrigin::YamlChaos
            )
    };
    if !top(sc) || next.origin != sc.origin || next.parent.is_some() {
        return None;
    }
    let (start, end) = (starts(k), starts(k + 1));
    if start >= end || sc.span.end > end || edit.old_end > end {
        return None;
    }
    let r = Region {
        start,
        end,
        delta: edit.delta(),
    };
    let new_end = Region::add(end, r.delta);
    let old_item = &old_text[start..end];
    let item_text = new_text.get(start..new_end)?;
    let dash = item_dash_column(old_item)?;
    if item_dash_column(item_text)? != dash || !self_contained(item_text, dash) {
        return None;
    }
    let mut y = crate::yaml::parse(item_text);
    if !y.diagnostics.is_empty() {
        return None;
    }
    y.shift(start);
    let root = y.root?;
    let [item] = root.items() else { return None };
    let index = scs[..k].iter().filter(|s| s.origin == sc.origin).count();
    let (new_sc, fresh) =
        super::yaml_spec::scenario_item(new_text, &old.name, item, sc.origin, index)?;
    if fresh.iter().any(|d| d.code == "scenario-missing-name") {
        return None;
    }
    let mut doc = Document {
        sections: old.sections.clone(),
        ..old.clone_without_lists()
    };
    move_rest(&mut doc, &r)?;
    doc.scenarios = moved_scenarios(scs, k, new_sc, &r)?;
    doc.diagnostics = splice_diagnostics(&old.diagnostics, &r, &old.path, fresh)?;
    let (ignores, marker_free) = ignores_after(old, new_text, DocKind::YamlSpec, edit);
    doc.ignores = ignores;
    doc.lineage = spliced(old, k, &r, marker_free);
    Some(doc)
}

/// The column of the `-` that starts the item's first line.
fn item_dash_column(item: &str) -> Option<usize> {
    let first = item.lines().next()?;
    let col = first.len() - first.trim_start_matches(' ').len();
    let rest = &first[col..];
    (rest.starts_with("- ") || rest == "-").then_some(col)
}

/// Every line after the first is blank, a comment, or indented past the item's `-`; nothing
/// the reader could resolve against the rest of the document (tabs, anchors, aliases,
/// directives); the item ends with a line break.
fn self_contained(item: &str, dash: usize) -> bool {
    if !item.ends_with('\n') || item.contains(['\t', '&', '*', '%', '\r']) {
        return false;
    }
    item.lines().skip(1).all(|l| {
        let t = l.trim_start_matches(' ');
        t.is_empty() || t.starts_with('#') || l.len() - t.len() > dash
    })
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Does anything but sections, scenarios and diagnostics have a span that meets `r`?
fn other_items_meet(doc: &Document, r: Span) -> bool {
    let meets = |s: Span| s.start < r.end && s.end > r.start;
    doc.requirements.iter().any(|x| meets(x.span))
        || doc.functions.iter().any(|x| meets(x.span))
        || doc.examples.iter().any(|x| meets(x.span))
        || doc.constraints.iter().any(|x| meets(x.span))
        || doc.dependencies.iter().any(|x| meets(x.span))
        || doc.workflow_steps.iter().any(|x| meets(x.span))
        || doc.blocks.iter().any(|x| meets(x.span))
        || doc.behaviors.iter().any(|x| meets(x.span))
        || doc.front_matter.as_ref().is_some_and(|f| meets(f.span))
}

fn is_background(title: &str) -> bool {
    const B: &str = "background";
    title.eq_ignore_ascii_case(B)
        || (title.len() > B.len()
            && title.is_char_boundary(B.len() + 1)
            && title[..B.len() + 1].eq_ignore_ascii_case("background:"))
}

/// The last non-blank line of `text`.
fn last_line(text: &str) -> &str {
    text.trim_end().rsplit('\n').next().unwrap_or("")
}

fn markdown_section(
    old: &Document,
    old_text: &str,
    new_text: &str,
    edit: Edit,
) -> Option<Document> {
    // Example rows may take their target from a function anywhere in the file; a scenario
    // without a name has an id made from its offset.
    if !old.functions.is_empty() || old.scenarios.iter().any(|s| s.name.is_empty()) {
        return None;
    }
    let secs = &old.sections;
    let line_of = |s: &crate::model::Section| line_start(old_text, s.heading_span.start);
    // The last section whose heading line starts before the edit, and the one after it. An
    // edit at the very start of a heading's line belongs to the section above: what it inserts
    // there (an indented line, a paragraph) ends that section, not the next one.
    let j = secs
        .partition_point(|s| line_of(s) < edit.start)
        .checked_sub(1)?;
    let (sec, next) = (&secs[j], secs.get(j + 1)?);
    if next.level > sec.level || is_background(&sec.title) {
        return None;
    }
    let (start, end) = (line_of(sec), line_of(next));
    if edit.old_end > end || start >= end {
        return None;
    }
    // Exactly one scenario, from this section's heading.
    let in_region = |s: Span| s.start >= start && s.end <= end;
    let k = old.scenarios.partition_point(|s| s.span.start < start);
    let sc = old.scenarios.get(k)?;
    if !in_region(sc.span)
        || old.scenarios.get(k + 1).is_some_and(|s| s.span.start < end)
        || !sec.heading_span.touches(sc.name_span.start)
        || sc.origin != ScenarioOrigin::MarkdownHeading
    {
        return None;
    }
    let region = Span::new(start, end);
    if other_items_meet(old, region) {
        return None;
    }
    let r = Region {
        start,
        end,
        delta: edit.delta(),
    };
    let new_end = Region::add(end, r.delta);
    let section = new_text.get(start..new_end)?;
    // Nothing that could reach past the section (a fence or HTML block left open) or attach
    // to the heading after it (tags above a heading); no tags above this one from before.
    let tags = |l: &str| super::markdown::lines::tag_line(l.trim()).is_some();
    if section.contains("```")
        || section.contains("~~~")
        || section.contains('<')
        || section.contains('\r')
        || old_text[start..end].contains("```")
        || old_text[start..end].contains("~~~")
        || old_text[start..end].contains('<')
        || tags(last_line(section))
        || tags(last_line(&old_text[start..end]))
        || tags(last_line(&old_text[..start]))
        || !section.ends_with('\n')
        || !new_text[new_end..].starts_with('#')
    {
        return None;
    }
    // The context the walker carries into this section: everything before the first heading
    // (front matter, intro), each enclosing heading with its text before its first
    // sub-heading, and a Background of this level under the same parent.
    let mut context = String::new();
    let first = secs.first().map(line_of)?;
    context.push_str(&old_text[..first]);
    let mut last_parent = 0;
    for (i, a) in secs[..j].iter().enumerate() {
        let contains = a.span.start <= sec.heading_span.start && a.span.end >= sec.span.end;
        if a.level < sec.level && contains {
            let until = secs.get(i + 1).map_or(start, line_of).min(start);
            context.push_str(&old_text[line_of(a)..until]);
            last_parent = line_of(a);
        }
    }
    for (i, b) in secs[..j].iter().enumerate() {
        if is_background(&b.title) && line_of(b) > last_parent {
            if b.level != sec.level {
                return None;
            }
            let until = secs.get(i + 1).map_or(start, line_of).min(start);
            context.push_str(&old_text[line_of(b)..until]);
        }
    }
    if context.len() > 64 * 1024 {
        return None;
    }
    if !context.is_empty() && !context.ends_with("\n\n") {
        context.push('\n');
    }
    // The context is right when it reads the section as it was exactly as the whole file did
    // (a tags line or a heading in a section the context leaves out changes what it carries).
    let old_section = &old_text[start..end];
    let (was, was_sec, was_diags) =
        read_section(&old.name, &old.path, &context, old_section, start)?;
    let old_diags = old.diagnostics.iter().filter(|d| {
        let mut span = d.span;
        r.place(&mut span) == Place::Inside
    });
    if was != *sc || was_sec != *sec || !was_diags.iter().eq(old_diags) {
        return None;
    }
    let (new_sc, new_sec, fresh_diags) =
        read_section(&old.name, &old.path, &context, section, start)?;
    if new_sec.level != sec.level {
        return None;
    }
    let mut doc = old.clone_without_lists();
    move_rest(&mut doc, &r)?;
    // Sections: the edited one replaced, the others moved (their titles shared).
    doc.sections.reserve_exact(secs.len());
    for (i, s) in secs.iter().enumerate() {
        if i == j {
            doc.sections.push(new_sec.clone());
            continue;
        }
        let mut s = s.clone();
        r.keep(&mut s.heading_span)?;
        r.keep(&mut s.span)?;
        doc.sections.push(s);
    }
    doc.scenarios = moved_scenarios(&old.scenarios, k, new_sc, &r)?;
    doc.diagnostics = splice_diagnostics(&old.diagnostics, &r, &old.path, fresh_diags)?;
    let (ignores, marker_free) = ignores_after(old, new_text, DocKind::MarkdownSpec, edit);
    doc.ignores = ignores;
    doc.lineage = spliced(old, k, &r, marker_free);
    Some(doc)
}

/// Read one scenario section after `context` (the part of the file the walker needs before it)
/// and move what it reads as to `start`, its place in the file: its scenario, its section and
/// its diagnostics. None when it does not read as exactly one named heading scenario in one
/// section with nothing else in it, or anything it found points into the context.
fn read_section(
    name: &str,
    path: &str,
    context: &str,
    section: &str,
    start: usize,
) -> Option<(Scenario, crate::model::Section, Vec<Diagnostic>)> {
    let base = context.len();
    let mut text = String::with_capacity(base + section.len());
    text.push_str(context);
    text.push_str(section);
    let part = super::markdown::parse(path, &text);
    if part.name != name || other_items_meet(&part, Span::new(base, text.len())) {
        return None;
    }
    let mut ok = true;
    let mut to_doc = |s: &mut Span| {
        ok &= s.start >= base;
        if ok {
            *s = Span::new(s.start - base + start, s.end - base + start);
        }
    };
    let mut scs = part.scenarios.into_iter().filter(|s| s.span.start >= base);
    let (sc, None) = (scs.next()?, scs.next()) else {
        return None;
    };
    // A scenario without a name gets an id from its offset: read it with the whole file.
    if sc.origin != ScenarioOrigin::MarkdownHeading || sc.name.is_empty() {
        return None;
    }
    // Background steps come from the context, before the section: not moved with it.
    if sc
        .steps()
        .any(|st| sc.abs(st.span).start < base || sc.abs(st.text_span).start < base)
        || sc.span.start < base
        || sc.name_span.start < base
    {
        return None;
    }
    let sc = sc.moved(start as isize - base as isize);
    let mut secs = part
        .sections
        .into_iter()
        .filter(|s| s.heading_span.start >= base);
    let (mut sec, None) = (secs.next()?, secs.next()) else {
        return None;
    };
    to_doc(&mut sec.heading_span);
    to_doc(&mut sec.span);
    let mut diags: Vec<Diagnostic> = part
        .diagnostics
        .into_iter()
        .filter(|d| d.span.start >= base)
        .collect();
    for d in &mut diags {
        d.local_spans_mut(path, &mut to_doc);
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    ok.then_some((sc, sec, diags))
}

impl Document {
    /// A copy without the (large) per-item lists that an incremental reparse rebuilds
    /// (scenarios, sections, ignores, diagnostics).
    fn clone_without_lists(&self) -> Document {
        Document {
            path: self.path.clone(),
            kind: self.kind,
            name: self.name.clone(),
            name_span: self.name_span,
            spec_type: self.spec_type.clone(),
            status: self.status.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            front_matter: self.front_matter.clone(),
            sections: Vec::new(),
            requirements: self.requirements.clone(),
            functions: self.functions.clone(),
            scenarios: Vec::new(),
            examples: self.examples.clone(),
            constraints: self.constraints.clone(),
            dependencies: self.dependencies.clone(),
            domains: self.domains.clone(),
            workflow_steps: self.workflow_steps.clone(),
            blocks: self.blocks.clone(),
            arrangement: self.arrangement.clone(),
            blueprint: self.blueprint.clone(),
            behaviors: self.behaviors.clone(),
            ignores: Vec::new(),
            diagnostics: Vec::new(),
            lineage: Lineage::default(),
        }
    }
}

/// The lineage of a document made from `old` by reading scenario `k` again (the region `r`)
/// and moving everything else: see [`Splice`]. `head` and `tail` count the scenarios around
/// `k` all of whose spans lie before, or after, the region.
fn spliced(old: &Document, k: usize, r: &Region, marker_free: bool) -> Lineage {
    // Every span of the scenario passes `test` (its steps' only when they may lie outside it).
    let all = |s: &Scenario, test: &dyn Fn(Span) -> bool| {
        test(s.span)
            && test(s.name_span)
            && (s.steps_inside()
                || s.steps()
                    .all(|st| test(s.abs(st.span)) && test(s.abs(st.text_span))))
    };
    let before = |s: &Scenario| all(s, &|x: Span| x.end <= r.start);
    let after = |s: &Scenario| all(s, &|x: Span| x.start >= r.end);
    let head = old.scenarios[..k].iter().take_while(|s| before(s)).count();
    let tail = old.scenarios[k + 1..]
        .iter()
        .rev()
        .take_while(|s| after(s))
        .count();
    Lineage {
        splice: Some(Splice {
            from: old.lineage.id,
            index: k,
            head,
            tail,
            delta: r.delta,
        }),
        marker_free,
        ..Lineage::fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Corpus, Format, Shape};
    use proptest::prelude::*;

    fn parse(path: &str, text: &str, kind: DocKind) -> Document {
        parse_document(path, text, kind)
    }

    #[test]
    fn block_comparisons_match_byte_by_byte() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..3 * BLOCK + 17).map(|i| (i % 251) as u8).collect();
        for at in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            2 * BLOCK + 5,
            base.len() - 1,
        ] {
            let mut other = base.clone();
            other[at] ^= 0xff;
            for cut in [0, 3, BLOCK, base.len()] {
                let b = &other[..other.len().min(cut.max(at + 1))];
                assert_eq!(common_prefix(&base, b), naive_prefix(&base, b));
                assert_eq!(common_prefix(b, &base), naive_prefix(b, &base));
                assert_eq!(common_suffix(&base, b), naive_suffix(&base, b));
                assert_eq!(common_suffix(b, &base), naive_suffix(b, &base));
            }
            assert_eq!(common_prefix(&base, &other), at);
            assert_eq!(common_suffix(&base, &other), base.len() - at - 1);
        }
        assert_eq!(common_prefix(&base, &base), base.len());
        assert_eq!(common_suffix(&base, &base), base.len());
    }

    #[test]
    fn diff_finds_the_edit() {
        assert_eq!(
            diff("abcdef", "abXdef"),
            Edit {
                start: 2,
                old_end: 3,
                new_end: 3
            }
        );
        assert_eq!(
            diff("aaa", "aaaa"),
            Edit {
                start: 3,
                old_end: 3,
                new_end: 4
            }
        );
        // Never inside a character.
        let e = diff("é", "è");
        assert_eq!((e.start, e.old_end, e.new_end), (0, 2, 2));
        // As the language server uses it for a change that sends the whole text: equal texts,
        // an empty old text, a line ending split, and texts longer than a block.
        let at = |a: &str, b: &str| {
            let e = diff(a, b);
            let mut t = a.to_string();
            t.replace_range(e.start..e.old_end, &b[e.start..e.new_end]);
            assert_eq!(t, b);
            (e.start, e.old_end, e.new_end)
        };
        assert_eq!(at("abc", "abc"), (3, 3, 3));
        assert_eq!(at("", "x"), (0, 0, 1));
        assert_eq!(at("aaaa", "aa"), (2, 4, 2));
        assert_eq!(at("xéy", "xèy"), (1, 3, 3));
        assert_eq!(at("a\r\nb", "a\rb"), (2, 3, 2));
        let long = "0123456789".repeat(100);
        let mut other = long.clone();
        other.replace_range(600..601, "日本");
        assert_eq!(at(&long, &other), (600, 601, 606));
        assert_eq!(at(&long, &long[..999]), (999, 1000, 999));
    }

    fn corpus_file(format: Format, n: usize) -> (String, String, DocKind) {
        let c = Corpus::generate(format, Shape::new(1, n, 3));
        let f = &c.files[0];
        let kind = crate::kind::detect(&f.path, &f.text).unwrap();
        (f.path.clone(), f.text.clone(), kind)
    }

    #[test]
    fn a_name_edit_in_a_yaml_item_is_incremental() {
        let (path, text, kind) = corpus_file(Format::Yaml, 40);
        let old = parse(&path, &text, kind);
        let at = text.find("number 17").unwrap();
        let new = format!("{}number 16{}", &text[..at], &text[at + 9..]);
        let inc = try_reparse(&old, &text, &new).expect("the fast path applies");
        assert_eq!(inc, parse(&path, &new, kind));
    }

    /// Insert `ins` at the first `at` of `text`: the incremental result (None: full parse), the
    /// full parse of the new text (`reparse` must give it) and the new text.
    fn insert_at(text: &str, at: &str, ins: &str) -> (Option<Document>, Document, String) {
        let kind = DocKind::MarkdownSpec;
        let old = parse("specs/f.spec.md", text, kind);
        let i = text.find(at).unwrap();
        let new = format!("{}{ins}{}", &text[..i], &text[i..]);
        let inc = try_reparse(&old, text, &new);
        let full = parse("specs/f.spec.md", &new, kind);
        assert_eq!(reparse(&old, text, &new), full);
        (inc, full, new)
    }

    const TWO: &str = "# Feature\n\n## Scenario: One\n\nGiven a\nWhen b\nThen c\n\n\
                       ## Scenario: Two\n\nGiven d\nWhen e\nThen f\n";

    #[test]
    fn a_markdown_step_edit_is_incremental() {
        let (inc, full, _) = insert_at(TWO, "b\n", "b");
        assert_eq!(inc, Some(full));
    }

    /// Typed at the very start of a heading's line, an indented line ends the section above
    /// (its span grows), not the section of the heading.
    #[test]
    fn text_typed_before_a_heading_belongs_to_the_section_above() {
        let (inc, full, new) = insert_at(TWO, "## Scenario: Two", "    then: done\n");
        assert!(full.sections[1].span.slice(&new).ends_with("then: done"));
        assert_eq!(inc, Some(full));
    }

    /// A `Tags:` line under a sibling heading replaces the feature's tags and the next heading
    /// drops them: the context (the feature's intro) would tag the scenario, so the reparse
    /// sees that the context does not read the section as the file did and parses it all.
    #[test]
    fn state_from_a_sibling_section_is_not_guessed() {
        let text = "# Feature\n\n**Tags:** `@all`\n\n## Notes\n\n**Tags:** `@notes`\n\n\
                    ## Scenario: One\n\nGiven a\nWhen b\nThen c\n\n\
                    ## Scenario: Two\n\nGiven d\nWhen e\nThen f\n";
        let (inc, full, _) = insert_at(text, "b\n", "b");
        assert!(full.scenarios[0].tags.is_empty());
        assert_eq!(inc, None);
    }

    /// An ignore marker made by joining two pieces of text (a deletion between them) is
    /// found: the old text had none, and the new one has it only around the edit.
    #[test]
    fn an_ignore_marker_made_by_an_edit_is_found() {
        for (text, cut, kind) in [
            (
                "# Feature\n\n## Scenario: One\n\nGiven a\nWhen b\nThen c\n\n<!-- specls-Xignore -->\n## Scenario: Two\n\nGiven d\nWhen e\nThen f\n\n## Scenario: Three\n\nGiven g\nWhen h\nThen i\n",
                "X",
                DocKind::MarkdownSpec,
            ),
            (
                "feature: F\nscenarios:\n  - name: One\n    when: a\n    then: b\n  - name: Two\n    # specls-Xignore\n    when: c\n    then: d\n  - name: Three\n    when: e\n    then: f\n",
                "X",
                DocKind::YamlSpec,
            ),
        ] {
            let path = if kind == DocKind::YamlSpec { "f.spec.yaml" } else { "f.spec.md" };
            let old = parse(path, text, kind);
            assert!(old.ignores.is_empty() && old.lineage.marker_free);
            let at = text.find(cut).unwrap();
            let new = format!("{}{}", &text[..at], &text[at + cut.len()..]);
            let full = parse(path, &new, kind);
            assert_eq!(full.ignores.len(), 1);
            // (A Markdown section with an HTML comment is read with the whole file.)
            let inc = match kind {
                DocKind::YamlSpec => try_reparse(&old, text, &new).expect("the fast path applies"),
                _ => reparse(&old, text, &new),
            };
            assert_eq!(inc, full);
            assert!(!inc.lineage.marker_free);
            // And typing next to it, with the marker elsewhere in the text, keeps it.
            let at = new.find("Three").unwrap();
            let newer = format!("{}x{}", &new[..at], &new[at..]);
            let inc2 = reparse(&inc, &new, &newer);
            assert_eq!(inc2, parse(path, &newer, kind));
            assert_eq!(inc2.ignores.len(), 1);
        }
    }

    /// Edits applied one after the other are described by their composition, and the
    /// smallest edit found inside it is as small as the one `diff` finds comparing the whole
    /// texts.
    #[test]
    fn composed_edits_describe_the_change() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let base: String = (0..next(40))
                .map(|i| ["a", "b", "é", "\n"][(i + next(4)) % 4])
                .collect();
            let mut text = base.clone();
            let mut total: Option<Edit> = None;
            for _ in 0..1 + next(4) {
                let mut s = next(text.len() + 1);
                while !text.is_char_boundary(s) {
                    s -= 1;
                }
                let mut e = (s + next(5)).min(text.len());
                while !text.is_char_boundary(e) {
                    e += 1;
                }
                let ins: String = (0..next(4)).map(|_| ["x", "é", "\n"][next(3)]).collect();
                let edit = Edit {
                    start: s,
                    old_end: e,
                    new_end: s + ins.len(),
                };
                text.replace_range(s..e, &ins);
                total = Some(match total {
                    None => edit,
                    Some(t) => t.then(edit),
                });
            }
            let t = total.unwrap();
            assert!(t.fits(&base, &text), "{t:?} {base:?} -> {text:?}");
            assert_eq!(&base[..t.start], &text[..t.start]);
            assert_eq!(&base[t.old_end..], &text[t.new_end..]);
            let d = diff_within(&base, &text, Some(t));
            assert!(d.fits(&base, &text) && d.start >= t.start && d.old_end <= t.old_end);
            assert_eq!(&base[..d.start], &text[..d.start]);
            assert_eq!(&base[d.old_end..], &text[d.new_end..]);
            assert_eq!(
                d.old_end - d.start + d.new_end - d.start,
                {
                    let w = diff(&base, &text);
                    w.old_end - w.start + w.new_end - w.start
                },
                "as small as the whole texts' diff"
            );
        }
    }

    /// A random edit: where (a fraction of the text), how much to delete, what to insert.
    fn edits() -> impl Strategy<Value = Vec<(f64, usize, String)>> {
        let piece = prop_oneof![
            Just("x".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\n  - ".to_string()),
            Just(": ".to_string()),
            Just("- ".to_string()),
            Just("\"".to_string()),
            Just("#".to_string()),
            Just("## Scenario: ".to_string()),
            Just("**Given** ".to_string()),
            Just("```".to_string()),
            Just("é".to_string()),
            Just("    then: done\n".to_string()),
            // Ignore markers (and a piece of one, which a later edit may complete).
            Just("# specls-ignore\n".to_string()),
            Just("<!-- specls-ignore duplicate-scenario-name -->\n".to_string()),
            Just("specls-ig".to_string()),
            Just("nore".to_string()),
            "[a-z ]{0,6}",
        ];
        prop::collection::vec((0.0..1.0f64, 0usize..12, piece), 1..6)
    }

    fn check_edits(format: Format, edits: Vec<(f64, usize, String)>) {
        let (path, mut text, kind) = corpus_file(format, 12);
        let mut doc = parse(&path, &text, kind);
        for (at, del, ins) in edits {
            let mut start = ((text.len() as f64) * at) as usize;
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + del).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let new = format!("{}{}{}", &text[..start], ins, &text[end..]);
            let inc = reparse(&doc, &text, &new);
            let full = parse(&path, &new, kind);
            assert_eq!(inc, full, "edit {start}..{end} -> {ins:?}");
            // Told the edit (as the language server is), the same document.
            let hint = Edit {
                start,
                old_end: end,
                new_end: start + ins.len(),
            };
            assert_eq!(
                reparse_edited(&doc, &text, &new, Some(hint)),
                full,
                "edit {start}..{end} -> {ins:?}, told"
            );
            // The checks' summaries reuse what did not change, with the same result.
            let prev = crate::checks::summary::summarize(&doc, &text);
            assert_eq!(
                crate::checks::summary::summarize_reusing(&inc, &new, Some((&doc, &text, prev))),
                crate::checks::summary::summarize(&full, &new)
            );
            text = new;
            doc = inc;
        }
    }

    /// Typing letters anywhere in the scenarios takes the incremental path nearly always.
    fn fast_path_share(format: Format) -> f64 {
        let (path, text, kind) = corpus_file(format, 60);
        let doc = parse(&path, &text, kind);
        let mut fast = 0;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut at = (seed % text.len() as u64) as usize;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let new = format!("{}q{}", &text[..at], &text[at..]);
            if let Some(inc) = try_reparse(&doc, &text, &new) {
                assert_eq!(inc, parse(&path, &new, kind));
                fast += 1;
            }
        }
        fast as f64 / 200.0
    }

    #[test]
    fn typing_is_mostly_incremental() {
        let y = fast_path_share(Format::Yaml);
        assert!(y > 0.7, "yaml {y}");
        for f in [
            Format::Markdown,
            Format::SpecSoloist,
            Format::GherkinMarkdown,
        ] {
            let m = fast_path_share(f);
            assert!(m > 0.7, "{f:?} {m}");
        }
    }

    proptest! {
        // 200 cases by default; `PROPTEST_CASES=20000` for a long run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
        ))]
        #[test]
        fn yaml_incremental_equals_full(e in edits()) {
            check_edits(Format::Yaml, e);
        }
        #[test]
        fn markdown_incremental_equals_full(e in edits()) {
            check_edits(Format::Markdown, e);
        }
        #[test]
        fn specsoloist_incremental_equals_full(e in edits()) {
            check_edits(Format::SpecSoloist, e);
        }
        #[test]
        fn gherkin_markdown_incremental_equals_full(e in edits()) {
            check_edits(Format::GherkinMarkdown, e);
        }
    }
}
