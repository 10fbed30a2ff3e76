//! Constraint phrases into structure: "p95 latency < 100ms for all read operations" ->
//! metric latency, percentile 95, <, 100, ms, scope "for all read operations".
//!
//! The reader is a small tokenizer plus rules, not a grammar: it finds the percentile (`p95`,
//! `p(95)`, `95th percentile`, `median`, "95% of X ... within T"), the quantity that carries the
//! bound (a number with its unit and rate denominator, preferring one with a comparison before
//! it), the comparison (symbols and words: `under`, `at most`, `support`...), the metric (from
//! metric words, the unit and the comparison) and what is left as scope. Text with no quantity
//! ("must be fast", "All endpoints require valid JWT token") gives `None`; [`missing`] and
//! [`unmeasurable_message`] say what to add.
use crate::model::{Comparison, Measure};
use crate::span::Span;

/// Longest text analysed; longer constraint texts are not measured (they are prose).
const MAX_TEXT: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokKind {
    Word,
    Num,
    Sym,
}

#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    kind: TokKind,
    text: &'a str,
    start: usize,
    end: usize,
    /// No whitespace between this token and the previous one.
    glued: bool,
}

impl Tok<'_> {
    fn lower(&self) -> String {
        self.text.to_lowercase()
    }
    fn is_word(&self, w: &str) -> bool {
        self.kind == TokKind::Word && self.text.eq_ignore_ascii_case(w)
    }
    fn is_sym(&self, s: &str) -> bool {
        self.kind == TokKind::Sym && self.text == s
    }
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut toks: Vec<Tok<'_>> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prev_end = usize::MAX;
    while i < text.len() {
        let ch = match text[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        let clen = ch.len_utf8();
        if ch.is_whitespace() {
            i += clen;
            continue;
        }
        let start = i;
        let kind;
        if ch.is_ascii_digit() {
            kind = TokKind::Num;
            i += 1;
            while i < bytes.len() {
                let b = bytes[i];
                if b.is_ascii_digit() {
                    i += 1;
                } else if (b == b',' || b == b'_')
                    && i + 3 < bytes.len() + 1
                    && bytes
                        .get(i + 1..i + 4)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                    && !bytes.get(i + 4).is_some_and(u8::is_ascii_digit)
                {
                    i += 4;
                } else if b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' || ch == 'µ' {
            kind = TokKind::Word;
            i += clen;
            while i < text.len() {
                let c = match text[i..].chars().next() {
                    Some(c) => c,
                    None => break,
                };
                let apostrophe = (c == '\'' || c == '’')
                    && text[i + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphabetic);
                if c.is_alphanumeric() || c == '_' || apostrophe {
                    i += c.len_utf8();
                } else if c == '.'
                    && is_percentile_word(&text[start..i])
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                {
                    // p99.9
                    i += 1;
                } else {
                    break;
                }
            }
        } else {
            kind = TokKind::Sym;
            let two = text.get(i..i + 2);
            if matches!(two, Some("<=" | ">=" | "=<" | "=>" | "==" | "!=")) {
                i += 2;
            } else {
                i += clen;
            }
        }
        toks.push(Tok {
            kind,
            text: &text[start..i],
            start,
            end: i,
            glued: prev_end == start,
        });
        prev_end = i;
    }
    toks
}

/// `p95`, `P99`, `p99.9`, `p999`.
fn is_percentile_word(w: &str) -> bool {
    let mut cs = w.chars();
    matches!(cs.next(), Some('p' | 'P'))
        && w.len() >= 2
        && w[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        && w[1..].starts_with(|c: char| c.is_ascii_digit())
}

fn percentile_of_word(w: &str) -> Option<f64> {
    if !is_percentile_word(w) {
        return None;
    }
    let digits = &w[1..];
    let v: f64 = if !digits.contains('.') && digits.len() > 2 && digits.starts_with("99") {
        // p999 = 99.9, p9999 = 99.99
        format!("{}.{}", &digits[..2], &digits[2..]).parse().ok()?
    } else {
        digits.parse().ok()?
    };
    (v > 0.0 && v <= 100.0).then_some(v)
}

fn parse_number(s: &str) -> Option<f64> {
    let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
    cleaned.parse().ok()
}

fn time_unit(w: &str) -> Option<&'static str> {
    Some(match w.to_lowercase().as_str() {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" | "millis" => "ms",
        "us" | "µs" | "μs" | "microsecond" | "microseconds" => "us",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "day",
        "w" | "wk" | "week" | "weeks" => "week",
        _ => return None,
    })
}

fn size_unit(w: &str) -> Option<&'static str> {
    Some(match w.to_lowercase().as_str() {
        "b" | "byte" | "bytes" => "B",
        "kb" | "kib" | "kilobyte" | "kilobytes" => "KB",
        "mb" | "mib" | "megabyte" | "megabytes" => "MB",
        "gb" | "gib" | "gigabyte" | "gigabytes" => "GB",
        "tb" | "tib" | "terabyte" | "terabytes" => "TB",
        _ => return None,
    })
}

/// `rps` -> (requests, s).
fn rate_unit(w: &str) -> Option<(&'static str, &'static str)> {
    Some(match w.to_lowercase().as_str() {
        "rps" => ("requests", "s"),
        "qps" => ("queries", "s"),
        "tps" => ("transactions", "s"),
        "ops" => ("operations", "s"),
        "rpm" => ("requests", "min"),
        "rph" => ("requests", "h"),
        _ => return None,
    })
}

fn scale_word(w: &str, glued: bool) -> Option<f64> {
    match w {
        "k" | "K" | "thousand" => Some(1e3),
        "M" | "million" | "mil" | "mn" => Some(1e6),
        "bn" | "billion" => Some(1e9),
        "B" if !glued => None,
        "Million" | "Thousand" | "Billion" => Some(match w {
            "Million" => 1e6,
            "Thousand" => 1e3,
            _ => 1e9,
        }),
        _ => None,
    }
}

/// Words that are never a count noun after a number.
const NOT_NOUN: &[&str] = &[
    "of",
    "per",
    "in",
    "for",
    "and",
    "or",
    "to",
    "with",
    "the",
    "a",
    "an",
    "at",
    "on",
    "by",
    "from",
    "under",
    "within",
    "across",
    "during",
    "without",
    "is",
    "are",
    "be",
    "must",
    "should",
    "shall",
    "will",
    "than",
    "more",
    "less",
    "fewer",
    "if",
    "when",
    "while",
    "after",
    "before",
    "as",
    "including",
    "via",
    "into",
    "over",
    "above",
    "below",
    "peak",
    "max",
    "min",
    "maximum",
    "minimum",
    "total",
    "each",
    "every",
    "all",
    "no",
    "not",
    "times",
    "x",
];

const ADJECTIVES: &[&str] = &[
    "concurrent",
    "simultaneous",
    "parallel",
    "active",
    "daily",
    "monthly",
    "unique",
    "distinct",
    "new",
    "registered",
];

fn noun_unit(w: &str) -> String {
    let l = w.to_lowercase();
    match l.as_str() {
        "req" | "reqs" | "request" => "requests".into(),
        "user" => "users".into(),
        "op" | "ops" | "operation" => "operations".into(),
        "conn" | "conns" | "connection" => "connections".into(),
        "tx" | "txn" | "txns" | "transaction" => "transactions".into(),
        "event" => "events".into(),
        "message" | "msg" | "msgs" => "messages".into(),
        "order" => "orders".into(),
        "item" => "items".into(),
        "task" => "tasks".into(),
        "product" => "products".into(),
        "tenant" => "tenants".into(),
        "node" => "nodes".into(),
        "record" => "records".into(),
        "retry" => "retries".into(),
        "attempt" => "attempts".into(),
        "query" => "queries".into(),
        _ => l,
    }
}

#[derive(Clone, Debug)]
enum UnitKind {
    None,
    Time,
    Percent,
    Size,
    Noun,
    Other,
}

#[derive(Clone, Debug)]
struct Candidate {
    /// Token index of the number.
    num: usize,
    value: f64,
    unit: Option<String>,
    unit_kind: UnitKind,
    per: Option<&'static str>,
    /// Comparison found around the number, with the token indexes it used.
    cmp: Option<(Comparison, Vec<usize>)>,
    /// Tokens making up number + unit + per (for value_span and scope).
    quantity: Vec<usize>,
    /// `concurrent`/`simultaneous`/`parallel` before the noun.
    concurrent: bool,
    /// The number is followed by `of` (as in "95% of products").
    followed_by_of: bool,
}

impl Candidate {
    fn score(&self) -> u32 {
        let cmp = if self.cmp.is_some() { 4 } else { 0 };
        let unit = match self.unit_kind {
            UnitKind::Time | UnitKind::Percent | UnitKind::Size => 2,
            UnitKind::Noun | UnitKind::Other => 1,
            UnitKind::None => 0,
        };
        let per = if self.per.is_some() { 1 } else { 0 };
        cmp + unit + per
    }
}

fn comparison_before(
    toks: &[Tok<'_>],
    num: usize,
    unit_kind: &UnitKind,
) -> Option<(Comparison, Vec<usize>)> {
    let mut j = num;
    // skip a currency sign or an opening parenthesis right before the number
    if j > 0 && (toks[j - 1].is_sym("$") || toks[j - 1].is_sym("€") || toks[j - 1].is_sym("£")) {
        j -= 1;
    }
    if j == 0 {
        return None;
    }
    let p = &toks[j - 1];
    if p.kind == TokKind::Sym {
        let c = match p.text {
            "<" => Comparison::Lt,
            "<=" | "=<" | "≤" | "⩽" => Comparison::Le,
            ">" => Comparison::Gt,
            ">=" | "=>" | "≥" | "⩾" => Comparison::Ge,
            "=" | "==" => Comparison::Eq,
            _ => return None,
        };
        return Some((c, vec![j - 1]));
    }
    if p.kind != TokKind::Word {
        return None;
    }
    let w = |k: usize| -> String {
        if k <= j {
            let t = &toks[j - k];
            if t.kind == TokKind::Word {
                return t.lower();
            }
        }
        String::new()
    };
    let (w1, w2, w3) = (w(1), w(2), w(3));
    let idx = |n: usize| -> Vec<usize> { (j - n..j).collect() };
    // three words
    let tri = format!("{w3} {w2} {w1}");
    let c3 = match tri.as_str() {
        "no more than" | "not more than" | "not to exceed" | "no longer than"
        | "not longer than" | "less than or" => Some(Comparison::Le),
        "no less than" | "not less than" | "no fewer than" | "not fewer than" => {
            Some(Comparison::Ge)
        }
        _ => None,
    };
    if let Some(c) = c3 {
        return Some((c, idx(3)));
    }
    let bi = format!("{w2} {w1}");
    let c2 = match bi.as_str() {
        "less than" | "fewer than" | "lower than" | "shorter than" | "faster than" => {
            Some(Comparison::Lt)
        }
        "at most" | "up to" | "maximum of" | "max of" | "not exceed" | "never exceed"
        | "not exceeding" | "below or" => Some(Comparison::Le),
        "more than" | "greater than" | "higher than" | "larger than" | "longer than" => {
            Some(Comparison::Gt)
        }
        "at least" | "minimum of" | "min of" => Some(Comparison::Ge),
        _ => None,
    };
    if let Some(c) = c2 {
        return Some((c, idx(2)));
    }
    let c1 = match w1.as_str() {
        "under" | "below" | "sub" => Some(Comparison::Lt),
        "within" | "max" | "maximum" | "upto" => Some(Comparison::Le),
        "over" | "above" | "exceeds" | "exceeding" | "exceed" => Some(Comparison::Gt),
        "minimum" | "min" | "least" | "support" | "supports" | "supporting" | "handle"
        | "handles" | "handling" | "sustain" | "sustains" | "serve" | "serves" => {
            Some(Comparison::Ge)
        }
        "exactly" | "equals" => Some(Comparison::Eq),
        "in" if matches!(unit_kind, UnitKind::Time) => Some(Comparison::Le),
        "after" if matches!(unit_kind, UnitKind::Time) => Some(Comparison::Eq),
        "for" if matches!(unit_kind, UnitKind::Time) => Some(Comparison::Ge),
        "with" if matches!(unit_kind, UnitKind::Noun) => Some(Comparison::Ge),
        _ => None,
    };
    c1.map(|c| (c, idx(1)))
}

fn comparison_after(toks: &[Tok<'_>], after: usize) -> Option<(Comparison, Vec<usize>)> {
    let t = toks.get(after)?;
    if t.is_sym("+") && t.glued {
        return Some((Comparison::Ge, vec![after]));
    }
    if !t.is_word("or") {
        return None;
    }
    let n = toks.get(after + 1)?;
    if n.kind != TokKind::Word {
        return None;
    }
    let c = match n.lower().as_str() {
        "less" | "fewer" | "lower" | "below" | "under" | "faster" | "better" => Comparison::Le,
        "more" | "greater" | "higher" | "above" | "over" => Comparison::Ge,
        _ => return None,
    };
    Some((c, vec![after, after + 1]))
}

/// Read the quantity starting at the number token `i`.
fn candidate_at(toks: &[Tok<'_>], i: usize) -> Option<Candidate> {
    let t = &toks[i];
    // a number glued to a word or separator before it is part of an identifier or version
    if t.glued && i > 0 {
        let p = &toks[i - 1];
        let allowed = p.kind == TokKind::Sym
            && matches!(
                p.text,
                "<" | "<="
                    | "=<"
                    | ">"
                    | ">="
                    | "=>"
                    | "="
                    | "=="
                    | "≤"
                    | "≥"
                    | "⩽"
                    | "⩾"
                    | "$"
                    | "€"
                    | "£"
                    | "("
                    | "~"
            );
        if !allowed {
            return None;
        }
    }
    // a version or date: 1.2.3, 2024-01-01
    if let Some(n) = toks.get(i + 1) {
        if n.glued
            && (n.is_sym(".") || n.is_sym("-"))
            && toks
                .get(i + 2)
                .is_some_and(|x| x.glued && x.kind == TokKind::Num)
        {
            return None;
        }
    }
    let mut value = parse_number(t.text)?;
    let mut quantity = vec![i];
    let mut k = i + 1;
    // scale: 10k, 1M, 10 million
    if let Some(n) = toks.get(k) {
        if n.kind == TokKind::Word {
            if let Some(m) = scale_word(n.text, n.glued) {
                value *= m;
                quantity.push(k);
                k += 1;
            }
        }
    }
    let mut unit: Option<String> = None;
    let mut unit_kind = UnitKind::None;
    let mut per: Option<&'static str> = None;
    let mut concurrent = false;
    if let Some(n) = toks.get(k) {
        if n.is_sym("%") {
            unit = Some("%".into());
            unit_kind = UnitKind::Percent;
            quantity.push(k);
            k += 1;
        } else if n.kind == TokKind::Word {
            let l = n.lower();
            if l == "percent" || l == "pct" {
                unit = Some("%".into());
                unit_kind = UnitKind::Percent;
                quantity.push(k);
                k += 1;
            } else if let Some((u, p)) = rate_unit(&l) {
                unit = Some(u.into());
                unit_kind = UnitKind::Noun;
                per = Some(p);
                quantity.push(k);
                k += 1;
            } else if let Some(u) = size_unit(n.text).filter(|_| n.glued || n.text != "B") {
                unit = Some(u.into());
                unit_kind = UnitKind::Size;
                quantity.push(k);
                k += 1;
            } else if let Some(u) = time_unit(n.text).filter(|_| {
                // a spaced single letter is a time unit only for s/h
                n.glued || n.text.len() > 1 || matches!(n.text, "s" | "h")
            }) {
                unit = Some(u.into());
                unit_kind = UnitKind::Time;
                quantity.push(k);
                k += 1;
            } else if n.glued {
                // 10x, 3pm...: a unit we do not know, kept as written
                unit = Some(l);
                unit_kind = UnitKind::Other;
                quantity.push(k);
                k += 1;
            } else {
                // count noun, possibly after adjectives: 10,000 concurrent users
                let mut m = k;
                let mut adjs = 0;
                while adjs < 2
                    && toks.get(m).is_some_and(|a| {
                        a.kind == TokKind::Word && ADJECTIVES.contains(&a.lower().as_str())
                    })
                {
                    if matches!(
                        toks[m].lower().as_str(),
                        "concurrent" | "simultaneous" | "parallel"
                    ) {
                        concurrent = true;
                    }
                    m += 1;
                    adjs += 1;
                }
                // a noun phrase of up to three words ("failed login attempts"); its last word
                // is the unit
                let acronym = |t: &Tok<'_>| {
                    (2..=6).contains(&t.text.len())
                        && t.text
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                };
                let nounish = |nn: &Tok<'_>, first: bool| {
                    let nl = nn.lower();
                    let lower_initial = nn.text.chars().next().is_some_and(|c| c.is_lowercase());
                    nn.kind == TokKind::Word
                        && (lower_initial
                            || !first
                            || adjs > 0
                            || quantity.len() > 1
                            || acronym(nn))
                        && !NOT_NOUN.contains(&nl.as_str())
                        && nl
                            .chars()
                            .all(|c| c.is_alphabetic() || c == '_' || c == '-')
                        && time_unit(&nl).is_none()
                        && rate_unit(&nl).is_none()
                };
                let mut phrase: Vec<usize> = Vec::new();
                let mut e = m;
                while e < m + 3
                    && toks
                        .get(e)
                        .is_some_and(|nn| nounish(nn, e == m) && (e == m || !nn.glued))
                {
                    phrase.push(e);
                    e += 1;
                }
                // the unit: the last plural-looking word ("failed login attempts", "stale
                // prices served"), else the first lower-case word that is not an adverb
                let plural = |x: &usize| {
                    let l = toks[*x].lower();
                    l.len() > 2 && l.ends_with('s') && !l.ends_with("ss") && !l.ends_with("ly")
                };
                let end = phrase.iter().rev().find(|x| plural(x)).or_else(|| {
                    phrase.iter().find(|x| {
                        let t = toks[**x].text;
                        t.chars().next().is_some_and(char::is_lowercase) && !t.ends_with("ly")
                    })
                });
                let end = end.copied();
                if let Some(end) = end {
                    unit = Some(noun_unit(toks[end].text));
                    unit_kind = UnitKind::Noun;
                    // adjectives and the unit are the quantity; other modifiers stay scope
                    quantity.extend(k..m);
                    quantity.push(end);
                    k = end + 1;
                } else {
                    concurrent = false;
                }
            }
        }
    }
    // rate denominator: /s, /hour, per second, a minute
    if per.is_none() && !matches!(unit_kind, UnitKind::Time | UnitKind::Percent) {
        if let (Some(a), Some(b)) = (toks.get(k), toks.get(k + 1)) {
            let sep = a.is_sym("/")
                || a.is_word("per")
                || a.is_word("a")
                || a.is_word("an")
                || a.is_word("every");
            if sep && b.kind == TokKind::Word {
                if let Some(p) = time_unit(b.text) {
                    per = Some(p);
                    quantity.push(k);
                    quantity.push(k + 1);
                    k += 2;
                }
            }
        }
    }
    let cmp = comparison_before(toks, i, &unit_kind).or_else(|| comparison_after(toks, k));
    let followed_by_of = toks.get(k).is_some_and(|n| n.is_word("of"));
    Some(Candidate {
        num: i,
        value,
        unit,
        unit_kind,
        per,
        cmp,
        quantity,
        concurrent,
        followed_by_of,
    })
}

fn has_any(words: &[String], list: &[&str]) -> Option<String> {
    words.iter().find(|w| list.contains(&w.as_str())).cloned()
}

/// Parse a constraint's text; `base` is the offset of `text` in the document (for spans).
/// Returns None when there is nothing to measure.
pub fn parse_measure(text: &str, base: usize) -> Option<Measure> {
    if text.len() > MAX_TEXT {
        return None;
    }
    let toks = tokenize(text);
    let mut consumed = vec![false; toks.len()];

    // k6: `http_req_duration: p(95)<500`, `http_req_failed: rate<0.01`
    let mut k6_metric: Option<(String, usize)> = None;
    if let Some(first) = toks.first() {
        if first.kind == TokKind::Word
            && first.text.contains('_')
            && toks.get(1).is_some_and(|t| t.is_sym(":"))
        {
            k6_metric = Some((first.text.to_string(), 0));
        }
    }

    // percentile
    let mut percentile: Option<f64> = None;
    let mut k6_form = false;
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokKind::Word {
            continue;
        }
        if let Some(p) = percentile_of_word(t.text) {
            percentile = Some(p);
            consumed[i] = true;
            break;
        }
        // p(95)
        if t.text.eq_ignore_ascii_case("p")
            && toks.get(i + 1).is_some_and(|x| x.is_sym("(") && x.glued)
            && toks.get(i + 2).is_some_and(|x| x.kind == TokKind::Num)
            && toks.get(i + 3).is_some_and(|x| x.is_sym(")"))
        {
            if let Some(p) = parse_number(toks[i + 2].text).filter(|p| *p > 0.0 && *p <= 100.0) {
                percentile = Some(p);
                k6_form = true;
                for c in consumed.iter_mut().skip(i).take(4) {
                    *c = true;
                }
                break;
            }
        }
        let l = t.lower();
        if l == "median" {
            percentile = Some(50.0);
            consumed[i] = true;
            break;
        }
        // 95th percentile
        if (l == "percentile" || l == "pctl") && i >= 2 {
            let (n, suf) = (&toks[i - 2], &toks[i - 1]);
            if n.kind == TokKind::Num && suf.glued && matches!(suf.text, "th" | "st" | "nd" | "rd")
            {
                if let Some(p) = parse_number(n.text).filter(|p| *p > 0.0 && *p <= 100.0) {
                    percentile = Some(p);
                    consumed[i - 2] = true;
                    consumed[i - 1] = true;
                    consumed[i] = true;
                    break;
                }
            }
        }
    }

    // k6 `rate<0.01`: a ratio
    let mut k6_rate = false;
    // candidates
    let mut cands: Vec<Candidate> = Vec::new();
    for i in 0..toks.len() {
        if toks[i].kind != TokKind::Num || consumed[i] {
            continue;
        }
        if let Some(c) = candidate_at(&toks, i) {
            if c.cmp.is_none() && matches!(c.unit_kind, UnitKind::None) {
                continue;
            }
            cands.push(c);
        }
    }
    if cands.is_empty() {
        return None;
    }
    // best: highest score, earliest on ties
    let best_idx = cands
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| a.score().cmp(&b.score()).then(ib.cmp(ia)))
        .map(|(i, _)| i)?;
    let best = cands[best_idx].clone();
    // "95% of products ... within 2 minutes": the percentage is a percentile
    if percentile.is_none() && matches!(best.unit_kind, UnitKind::Time) {
        if let Some(p) = cands.iter().find(|c| {
            c.num != best.num
                && matches!(c.unit_kind, UnitKind::Percent)
                && c.followed_by_of
                && c.value > 0.0
                && c.value <= 100.0
        }) {
            percentile = Some(p.value);
            for &q in &p.quantity {
                consumed[q] = true;
            }
            if let Some(o) = toks.get(p.quantity.last().copied().unwrap_or(p.num) + 1) {
                if o.is_word("of") {
                    consumed[p.quantity.last().copied().unwrap_or(p.num) + 1] = true;
                }
            }
        }
    }
    for &q in &best.quantity {
        consumed[q] = true;
    }
    if let Some((_, idx)) = &best.cmp {
        for &q in idx {
            consumed[q] = true;
        }
    }
    if let Some((_, i)) = &k6_metric {
        consumed[*i] = true;
        if let Some(c) = consumed.get_mut(i + 1) {
            *c = true;
        }
        if let Some(pr) = best.num.checked_sub(2) {
            if toks[pr].is_word("rate") {
                k6_rate = true;
                consumed[pr] = true;
            }
        }
    }

    let words: Vec<String> = toks
        .iter()
        .filter(|t| t.kind == TokKind::Word)
        .map(|t| t.lower())
        .collect();
    let mut value = best.value;
    let mut unit = best.unit.clone();
    let mut metric_words: Vec<String> = Vec::new();
    let metric: String = if let Some((name, _)) = &k6_metric {
        let n = name.to_lowercase();
        if k6_rate || n.ends_with("_failed") || n.contains("error") {
            if k6_rate && unit.is_none() {
                value *= 100.0;
                unit = Some("%".into());
            }
            "error_rate".into()
        } else if n.contains("duration")
            || n.contains("waiting")
            || n.contains("latency")
            || n.contains("_time")
        {
            if unit.is_none() {
                unit = Some("ms".into());
            }
            "latency".into()
        } else if n.contains("reqs") || n.contains("iterations") {
            "throughput".into()
        } else {
            n
        }
    } else {
        let pick = |list: &[&str], mw: &mut Vec<String>| -> bool {
            if let Some(w) = has_any(&words, list) {
                mw.push(w);
                true
            } else {
                false
            }
        };
        match best.unit_kind {
            UnitKind::Time => {
                if pick(
                    &[
                        "latency",
                        "latencies",
                        "response",
                        "responses",
                        "respond",
                        "responds",
                        "ttfb",
                        "rtt",
                    ],
                    &mut metric_words,
                ) {
                    "latency".into()
                } else if pick(
                    &[
                        "downtime",
                        "outage",
                        "outages",
                        "errors",
                        "unavailable",
                        "unavailability",
                    ],
                    &mut metric_words,
                ) {
                    "downtime".into()
                } else if pick(
                    &[
                        "consistent",
                        "consistency",
                        "propagated",
                        "propagate",
                        "propagates",
                        "replicated",
                        "lag",
                    ],
                    &mut metric_words,
                ) {
                    "consistency".into()
                } else if pick(&["timeout", "timeouts"], &mut metric_words) {
                    "timeout".into()
                } else if pick(
                    &[
                        "recover", "recovers", "recovery", "rto", "restore", "restored",
                    ],
                    &mut metric_words,
                ) {
                    "recovery_time".into()
                } else if pick(&["rpo"], &mut metric_words) {
                    "recovery_point".into()
                } else if pick(&["duration", "durations"], &mut metric_words) {
                    "duration".into()
                } else if percentile.is_some() {
                    "latency".into()
                } else {
                    "duration".into()
                }
            }
            UnitKind::Percent => {
                if pick(
                    &["availability", "available", "uptime", "sla"],
                    &mut metric_words,
                ) {
                    "availability".into()
                } else if pick(
                    &["error", "errors", "failure", "failures", "failed", "fail"],
                    &mut metric_words,
                ) {
                    "error_rate".into()
                } else if pick(&["success", "successful", "succeed"], &mut metric_words) {
                    "success_rate".into()
                } else if pick(&["cpu", "utilization", "utilisation"], &mut metric_words) {
                    "cpu".into()
                } else if pick(&["memory", "ram", "heap"], &mut metric_words) {
                    "memory".into()
                } else if pick(&["coverage"], &mut metric_words) {
                    "coverage".into()
                } else if pick(&["hit", "hits"], &mut metric_words) {
                    "hit_rate".into()
                } else if pick(&["durability", "durable"], &mut metric_words) {
                    "durability".into()
                } else {
                    "percentage".into()
                }
            }
            UnitKind::Size => {
                if pick(&["memory", "ram", "heap", "rss"], &mut metric_words) {
                    "memory".into()
                } else {
                    "size".into()
                }
            }
            _ if best.per.is_some() => {
                let upper = best.cmp.as_ref().is_some_and(|(c, _)| c.is_upper());
                if pick(&["throughput"], &mut metric_words) {
                    "throughput".into()
                } else if upper
                    || words
                        .iter()
                        .any(|w| w == "limit" || w == "limiting" || w == "limited")
                {
                    "rate".into()
                } else {
                    "throughput".into()
                }
            }
            UnitKind::Noun if best.concurrent => {
                format!("concurrent_{}", best.unit.as_deref().unwrap_or("users"))
            }
            UnitKind::Noun | UnitKind::Other => "count".into(),
            UnitKind::None => {
                if percentile.is_some() {
                    if k6_form {
                        unit = Some("ms".into());
                    }
                    pick(&["latency", "response"], &mut metric_words);
                    "latency".into()
                } else if pick(&["availability", "uptime"], &mut metric_words) {
                    "availability".into()
                } else if pick(&["throughput"], &mut metric_words) {
                    "throughput".into()
                } else {
                    "value".into()
                }
            }
        }
    };
    // consume the metric words (and `time` after `response`)
    for (i, t) in toks.iter().enumerate() {
        if t.kind == TokKind::Word {
            let l = t.lower();
            if metric_words.contains(&l)
                || (l == "time" || l == "times") && i > 0 && toks[i - 1].is_word("response")
                || l == "rate"
                    && i > 0
                    && metric.ends_with("_rate")
                    && metric_words.contains(&toks[i - 1].lower())
                || (metric == "latency"
                    || metric == "error_rate"
                    || metric == "availability"
                    || metric == "throughput")
                    && l == metric.replace('_', " ").split(' ').next().unwrap_or("")
                || metric.starts_with("concurrent_")
                    && matches!(l.as_str(), "concurrent" | "simultaneous" | "parallel")
                || metric == "error_rate" && l == "rate"
            {
                consumed[i] = true;
            }
        }
    }

    // "0 records readable" is a ceiling of zero
    let comparison = best.cmp.as_ref().map(|(c, _)| *c).unwrap_or_else(|| {
        if value == 0.0 {
            Comparison::Le
        } else {
            default_comparison(&metric)
        }
    });

    // scope: what is left, minus filler words
    const FILLER: &[&str] = &[
        "must",
        "should",
        "shall",
        "will",
        "would",
        "be",
        "is",
        "are",
        "been",
        "the",
        "a",
        "an",
        "can",
        "to",
        "of",
        "in",
        "with",
        "than",
        "that",
        "it",
        "its",
        "eventually",
        "always",
        "maintain",
        "maintains",
        "support",
        "supports",
        "ensure",
        "ensures",
        "guarantee",
        "need",
        "needs",
        "have",
        "has",
        "keep",
        "stay",
        "remain",
        "less",
        "more",
        "at",
        "most",
        "least",
        "max",
        "maximum",
        "min",
        "minimum",
        "up",
        "under",
        "below",
        "within",
        "over",
        "above",
        "time",
        "rate",
    ];
    let mut scope_words: Vec<String> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        match t.kind {
            TokKind::Word | TokKind::Num => {
                let l = t.lower();
                if t.kind == TokKind::Word && FILLER.contains(&l.as_str()) {
                    continue;
                }
                if t.glued
                    && i > 0
                    && (toks[i - 1].kind == TokKind::Num
                        || toks[i - 1].glued && matches!(toks[i - 1].text, "/" | "-"))
                {
                    if let Some(last) = scope_words.last_mut() {
                        last.push_str(&l);
                        continue;
                    }
                }
                scope_words.push(l);
            }
            TokKind::Sym => {
                if matches!(t.text, "/" | "-" | "+" | "%") && t.glued {
                    if let Some(last) = scope_words.last_mut() {
                        last.push_str(t.text);
                    }
                }
            }
        }
    }
    let scope = (!scope_words.is_empty()).then(|| scope_words.join(" "));

    let first = best.quantity.first().copied().unwrap_or(best.num);
    let last = best.quantity.last().copied().unwrap_or(best.num);
    let value_span = Span::new(base + toks[first].start, base + toks[last].end);
    Some(Measure {
        metric,
        percentile,
        comparison,
        value,
        unit,
        per: best.per.map(str::to_string),
        scope,
        value_span,
    })
}

/// The value in a base unit, so that bounds written in different units compare: durations in
/// milliseconds, sizes in megabytes, rates per second; other units unchanged. Returns the value
/// and the base unit (`ms`, `MB`, `%`, the count noun...) with `/s` appended for rates.
pub fn base_value(m: &Measure) -> (f64, String) {
    let (mut v, mut unit) = match m.unit.as_deref() {
        Some(u) => match time_factor_ms(u) {
            Some(f) => (m.value * f, "ms".to_string()),
            None => match size_factor_mb(u) {
                Some(f) => (m.value * f, "MB".to_string()),
                None => (m.value, u.to_string()),
            },
        },
        None => (m.value, String::new()),
    };
    if let Some(per) = m.per.as_deref() {
        if let Some(f) = time_factor_ms(per) {
            // per `per` -> per second
            v *= 1000.0 / f;
            unit.push_str("/s");
        }
    }
    (v, unit)
}

fn time_factor_ms(u: &str) -> Option<f64> {
    Some(match u {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "day" => 86_400_000.0,
        "week" => 604_800_000.0,
        _ => return None,
    })
}

fn size_factor_mb(u: &str) -> Option<f64> {
    Some(match u {
        "B" => 1.0 / (1024.0 * 1024.0),
        "KB" => 1.0 / 1024.0,
        "MB" => 1.0,
        "GB" => 1024.0,
        "TB" => 1024.0 * 1024.0,
        _ => return None,
    })
}

/// The comparison a bare number implies for a metric ("99.9% availability" is a floor,
/// "p95 latency 100ms" a ceiling).
fn default_comparison(metric: &str) -> Comparison {
    match metric {
        "availability" | "throughput" | "count" | "success_rate" | "durability" | "hit_rate"
        | "coverage" | "percentage" => Comparison::Ge,
        m if m.starts_with("concurrent_") => Comparison::Ge,
        _ => Comparison::Le,
    }
}

/// What an unmeasurable constraint lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    /// It speaks of latency/response time but names no percentile.
    pub percentile: bool,
    /// No number at all.
    pub number: bool,
    /// A number without a unit.
    pub unit: bool,
    /// It speaks of scale/capacity but names no load.
    pub load: bool,
}

const LATENCY_WORDS: &[&str] = &[
    "fast",
    "faster",
    "quick",
    "quickly",
    "slow",
    "latency",
    "response",
    "responsive",
    "responds",
    "respond",
    "snappy",
    "performant",
    "performance",
    "speed",
    "instant",
    "instantly",
    "real-time",
    "realtime",
];
const LOAD_WORDS: &[&str] = &[
    "scale",
    "scales",
    "scalable",
    "scaling",
    "load",
    "concurrent",
    "users",
    "traffic",
    "throughput",
    "capacity",
    "volume",
    "peak",
    "heavy",
];
const AVAILABILITY_WORDS: &[&str] = &[
    "available",
    "availability",
    "uptime",
    "reliable",
    "reliably",
];

fn lower_words(text: &str) -> Vec<String> {
    tokenize(text)
        .iter()
        .filter(|t| t.kind == TokKind::Word)
        .map(Tok::lower)
        .collect()
}

/// What to add to an unmeasurable constraint (call when [`parse_measure`] gave None).
pub fn missing(text: &str) -> Missing {
    let toks = tokenize(text);
    let words = lower_words(text);
    let has_number = toks.iter().any(|t| t.kind == TokKind::Num);
    let has_percentile = words
        .iter()
        .any(|w| percentile_of_word(w).is_some() || w == "percentile" || w == "median");
    let latency = words.iter().any(|w| LATENCY_WORDS.contains(&w.as_str()));
    let load = words.iter().any(|w| LOAD_WORDS.contains(&w.as_str()));
    Missing {
        percentile: latency && !has_percentile,
        number: !has_number,
        unit: has_number,
        load: load && !has_number,
    }
}

/// The message of a `constraint-unmeasurable` diagnostic: what to add, with an example.
pub fn unmeasurable_message(text: &str) -> String {
    let m = missing(text);
    let words = lower_words(text);
    let mut parts: Vec<&str> = Vec::new();
    if m.percentile {
        parts.push("a percentile");
    }
    if m.number {
        parts.push(if m.percentile { "a bound" } else { "a number" });
    }
    if m.unit {
        parts.push("a unit");
    }
    if m.load {
        parts.push("a load");
    }
    if parts.is_empty() {
        parts.push("a number and a unit");
    }
    let what = match parts.len() {
        1 => parts[0].to_string(),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    let example = if m.load && !m.percentile {
        "`Support 10,000 concurrent users`"
    } else if words
        .iter()
        .any(|w| AVAILABILITY_WORDS.contains(&w.as_str()))
    {
        "`99.9% availability`"
    } else if m.percentile || m.number {
        "`p95 < 200ms`"
    } else {
        "`p95 < 200ms` or `at most 3 retries`"
    };
    format!("constraint has nothing to measure: add {what}, e.g. {example}")
}

/// Categories whose constraints are meant to be measured.
const QUANTITATIVE_CATEGORIES: &[&str] = &[
    "performance",
    "scalability",
    "scale",
    "capacity",
    "load",
    "latency",
    "throughput",
    "availability",
    "speed",
];

/// Whether an unmeasured constraint should be flagged: its category is a quantitative one
/// (performance, scalability...), or its text uses vague quantitative words ("fast", "scale").
/// Qualitative constraints (security, compliance, "No data loss on single node failure") are
/// not flagged.
pub fn should_be_measurable(category: Option<&str>, text: &str) -> bool {
    if let Some(c) = category {
        let c = c.to_lowercase().replace(['-', ' '], "_");
        if QUANTITATIVE_CATEGORIES
            .iter()
            .any(|q| c == *q || c.starts_with(&format!("{q}_")))
        {
            return true;
        }
    }
    const VAGUE: &[&str] = &[
        "fast",
        "faster",
        "quick",
        "quickly",
        "slow",
        "responsive",
        "snappy",
        "scale",
        "scales",
        "scalable",
        "performant",
        "efficient",
        "efficiently",
        "instant",
        "instantly",
        "latency",
        "response",
        "throughput",
        "uptime",
        "availability",
    ];
    let words = lower_words(text);
    words.iter().any(|w| VAGUE.contains(&w.as_str()))
        || words.windows(2).any(|p| {
            matches!(
                (p[0].as_str(), p[1].as_str()),
                ("low", "latency")
                    | ("high", "throughput")
                    | ("high", "availability")
                    | ("highly", "available")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Measure {
        parse_measure(text, 0).unwrap_or_else(|| panic!("no measure for {text:?}"))
    }

    #[test]
    fn latency_with_scope() {
        let x = m("p95 latency < 100ms for all read operations");
        assert_eq!(x.metric, "latency");
        assert_eq!(x.percentile, Some(95.0));
        assert_eq!(x.comparison, Comparison::Lt);
        assert_eq!(x.value, 100.0);
        assert_eq!(x.unit.as_deref(), Some("ms"));
        assert_eq!(x.scope.as_deref(), Some("for all read operations"));
        assert_eq!(x.value_span, Span::new(14, 19));
    }

    #[test]
    fn base_offsets_spans() {
        let x = parse_measure("≤ 50 ms", 10).unwrap();
        assert_eq!(x.comparison, Comparison::Le);
        assert_eq!(x.value_span, Span::new(14, 19));
    }

    #[test]
    fn base_values_compare_across_units() {
        let a = m("response time under 2 seconds");
        let b = m("p95 < 2000ms");
        assert_eq!(base_value(&a), (2000.0, "ms".to_string()));
        assert_eq!(base_value(&a), base_value(&b));
        let r = m("Max 120 requests per minute per user");
        assert_eq!(base_value(&r), (2.0, "requests/s".to_string()));
        assert_eq!(base_value(&m("at most 1 GB")).0, 1024.0);
        assert_eq!(
            base_value(&m("at most 3 retries")),
            (3.0, "retries".to_string())
        );
    }

    #[test]
    fn unmeasurable() {
        for t in [
            "must be fast",
            "All endpoints require valid JWT token",
            "must scale",
            "PCI DSS Level 1",
            "SOC 2 Type II",
            "",
        ] {
            assert!(parse_measure(t, 0).is_none(), "{t}");
        }
        let msg = unmeasurable_message("must be fast");
        assert!(msg.contains("a percentile"), "{msg}");
        assert!(should_be_measurable(None, "must be fast"));
        assert!(!should_be_measurable(
            Some("security"),
            "All endpoints require valid JWT token"
        ));
        assert!(should_be_measurable(
            Some("performance"),
            "All endpoints require valid JWT token"
        ));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_and_spans_in_bounds(s in "\\PC{0,80}", base in 0usize..1000) {
            if let Some(m) = parse_measure(&s, base) {
                prop_assert!(m.value_span.start >= base && m.value_span.end <= base + s.len());
                prop_assert!(m.value_span.start < m.value_span.end);
            }
            let _ = unmeasurable_message(&s);
        }

        #[test]
        fn phrase_like_inputs(s in "(p9[59]|p\\(99\\)|at most|under|Max|Support|[<>]=?|≤|\\$| |[0-9]{1,3}(,[0-9]{3})?(\\.[0-9])?|k|M|ms|%|req/s|per|minute|users|of|within|[a-z]{1,5}){0,10}") {
            if let Some(m) = parse_measure(&s, 0) {
                prop_assert!(s.get(m.value_span.start..m.value_span.end).is_some());
            }
        }
    }
}
