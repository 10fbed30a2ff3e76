//! Normalisation of step text for the duplicate and conflict checks.
//!
//! Two levels:
//! - [`step_key`]: the *duplicate* key. Case, whitespace and punctuation are dropped, the articles
//!   `a`/`an`/`the` removed, quoted values (`"..."`, `'...'`, `` `...` ``) kept verbatim, numbers
//!   kept as written (without thousands separators). Two steps with the same key say the same.
//! - [`Clause`]: the *conflict* view of a Then step. Modal verbs are dropped, copulas (`is`,
//!   `should be`, `equals`, `becomes`) become `=`, plurals are folded, antonyms (`succeeds` /
//!   `fails`, `enabled` / `disabled`...) become one word plus a polarity, negations (`not`, `no`,
//!   `never`, `n't`) flip the polarity, and every quoted value and number becomes a placeholder
//!   whose value is kept aside. Numbers with a unit of time, size or percent are converted to a
//!   base unit (`5 seconds` and `5000 ms` are the same value); other words after a number stay
//!   in the skeleton (`2 tasks` and `2 items` are different subjects).

use std::fmt::Write as _;

/// One lexical piece of step text.
#[derive(Clone, Debug, PartialEq)]
pub enum Lex {
    /// A lower-cased word (letters and digits, inner apostrophes kept: `doesn't`).
    Word(String),
    /// A quoted value, verbatim, without its quotes.
    Quoted(String),
    /// A number and its canonical text (thousands separators removed).
    Number(f64, String),
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '\u{201c}' => Some('\u{201d}'),
        '\'' => Some('\''),
        '\u{2018}' => Some('\u{2019}'),
        '`' => Some('`'),
        _ => None,
    }
}

/// Split text into words, quoted values and numbers; punctuation is dropped.
pub fn lex(text: &str) -> Vec<Lex> {
    with_lexed(text, |l| {
        l.items
            .iter()
            .map(|it| {
                let t = l.text(it).to_string();
                match it.kind {
                    Kind::Word => Lex::Word(t),
                    Kind::Quoted => Lex::Quoted(t),
                    Kind::Number => Lex::Number(it.value, t),
                }
            })
            .collect()
    })
}

/// What a lexed piece is (see [`Lex`]).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Word,
    Quoted,
    Number,
}

/// One piece of [`Lexed`]: its text is `buf[start..end]`.
struct Item {
    kind: Kind,
    start: usize,
    end: usize,
    /// A number's value.
    value: f64,
}

/// Text split as [`lex`] splits it, into buffers that are reused: the checks lex every step of
/// every scenario of the workspace, and a `String` per word was most of their time.
#[derive(Default)]
struct Lexed {
    chars: Vec<char>,
    /// Every piece's text (lower-cased words, quoted values, numbers' canonical text), one
    /// after the other.
    buf: String,
    items: Vec<Item>,
}

impl Lexed {
    fn text(&self, it: &Item) -> &str {
        &self.buf[it.start..it.end]
    }

    fn push(&mut self, kind: Kind, value: f64, start: usize) {
        let end = self.buf.len();
        self.items.push(Item {
            kind,
            start,
            end,
            value,
        });
    }
}

/// Run `f` on `text` lexed, with this thread's buffers (fresh ones when they are in use).
fn with_lexed<R>(text: &str, f: impl FnOnce(&Lexed) -> R) -> R {
    thread_local! {
        static LEXED: std::cell::RefCell<Lexed> = std::cell::RefCell::new(Lexed::default());
    }
    LEXED.with(|cell| {
        let mut fresh = Lexed::default(); // empty buffers: no allocation unless used
        let mut mine = cell.try_borrow_mut();
        let l = match &mut mine {
            Ok(l) => &mut **l,
            Err(_) => &mut fresh,
        };
        lex_into(text, l);
        f(l)
    })
}

/// Append a word of `chars`, lower-cased (`\u{2019}` read as `'`).
fn push_lower_word(buf: &mut String, chars: &[char]) {
    if chars.iter().all(char::is_ascii) {
        buf.extend(chars.iter().map(|c| c.to_ascii_lowercase()));
    } else {
        // `str::to_lowercase` on the whole word (final sigma depends on its context).
        let word: String = chars
            .iter()
            .map(|&ch| if ch == '\u{2019}' { '\'' } else { ch })
            .collect();
        buf.push_str(&word.to_lowercase());
    }
}

fn lex_into(text: &str, l: &mut Lexed) {
    l.buf.clear();
    l.items.clear();
    if text.is_ascii() {
        // Most step text: lexed on its bytes, without decoding it into chars first.
        lex_units(text, text.as_bytes(), l);
    } else {
        let mut chars = std::mem::take(&mut l.chars);
        chars.clear();
        chars.extend(text.chars());
        lex_units(text, &chars, l);
        l.chars = chars;
    }
}

/// What the lexer walks: the bytes of ASCII text (where each is a char) or the chars of any
/// text. One algorithm, [`lex_units`], for both.
trait Unit: Copy + PartialEq {
    fn is_alnum(self) -> bool;
    fn is_alpha(self) -> bool;
    fn is_digit(self) -> bool;
    /// This unit is the ASCII char `c`.
    fn is(self, c: u8) -> bool;
    /// The quote that closes the one this unit opens.
    fn closing_quote(self) -> Option<Self>;
    /// A quote that is an apostrophe when it follows a letter or digit (`'`, `\u{2018}`).
    fn apostrophe_quote(self) -> bool;
    /// An apostrophe inside a word when a letter follows (`'`, `\u{2019}`).
    fn inner_apostrophe(self) -> bool;
    /// Append `units[from..to]` (of `text`) to `buf`.
    fn push(buf: &mut String, text: &str, units: &[Self], from: usize, to: usize);
    /// Append the word `units[from..to]` (of `text`) to `buf`, lower-cased.
    fn push_lower(buf: &mut String, text: &str, units: &[Self], from: usize, to: usize);
}

impl Unit for u8 {
    fn is_alnum(self) -> bool {
        self.is_ascii_alphanumeric()
    }
    fn is_alpha(self) -> bool {
        self.is_ascii_alphabetic()
    }
    fn is_digit(self) -> bool {
        self.is_ascii_digit()
    }
    fn is(self, c: u8) -> bool {
        self == c
    }
    fn closing_quote(self) -> Option<u8> {
        matches!(self, b'"' | b'\'' | b'`').then_some(self)
    }
    fn apostrophe_quote(self) -> bool {
        self == b'\''
    }
    fn inner_apostrophe(self) -> bool {
        self == b'\''
    }
    fn push(buf: &mut String, text: &str, _: &[u8], from: usize, to: usize) {
        buf.push_str(&text[from..to]);
    }
    fn push_lower(buf: &mut String, text: &str, _: &[u8], from: usize, to: usize) {
        let start = buf.len();
        buf.push_str(&text[from..to]);
        buf[start..].make_ascii_lowercase();
    }
}

impl Unit for char {
    fn is_alnum(self) -> bool {
        self.is_alphanumeric()
    }
    fn is_alpha(self) -> bool {
        self.is_alphabetic()
    }
    fn is_digit(self) -> bool {
        self.is_ascii_digit()
    }
    fn is(self, c: u8) -> bool {
        self == char::from(c)
    }
    fn closing_quote(self) -> Option<char> {
        closing_quote(self)
    }
    fn apostrophe_quote(self) -> bool {
        matches!(self, '\'' | '\u{2018}')
    }
    fn inner_apostrophe(self) -> bool {
        matches!(self, '\'' | '\u{2019}')
    }
    fn push(buf: &mut String, _: &str, units: &[char], from: usize, to: usize) {
        buf.extend(&units[from..to]);
    }
    fn push_lower(buf: &mut String, _: &str, units: &[char], from: usize, to: usize) {
        push_lower_word(buf, &units[from..to]);
    }
}

/// Split `text`, walked as `u` (its bytes or its chars), into words, quoted values and
/// numbers (see [`lex`]).
fn lex_units<U: Unit>(text: &str, u: &[U], l: &mut Lexed) {
    let mut i = 0;
    while i < u.len() {
        let c = u[i];
        let prev_alnum = i > 0 && u[i - 1].is_alnum();
        if let Some(close) = c.closing_quote() {
            // A single quote inside a word is an apostrophe, not a quote.
            if !(c.apostrophe_quote() && prev_alnum) {
                if let Some(len) = u[i + 1..].iter().position(|&ch| ch == close) {
                    // `'s` possessives and stray apostrophes: a closing quote must not be
                    // followed directly by a letter.
                    if !u.get(i + 2 + len).is_some_and(|a| a.is_alnum()) {
                        let start = l.buf.len();
                        U::push(&mut l.buf, text, u, i + 1, i + 1 + len);
                        l.push(Kind::Quoted, 0.0, start);
                        i += len + 2;
                        continue;
                    }
                }
            }
            i += 1;
            continue;
        }
        let signed =
            (c.is(b'-') || c.is(b'+')) && !prev_alnum && u.get(i + 1).is_some_and(|d| d.is_digit());
        if c.is_digit() || signed {
            let from = i;
            i += 1;
            while i < u.len() {
                let ch = u[i];
                let separator = (ch.is(b',') || ch.is(b'.') || ch.is(b'_'))
                    && u.get(i + 1).is_some_and(|d| d.is_digit());
                if ch.is_digit() || separator {
                    i += 1;
                } else {
                    break;
                }
            }
            let start = l.buf.len();
            U::push(&mut l.buf, text, u, from, i);
            if l.buf[start..].contains([',', '_']) {
                let digits: String = l.buf[start..]
                    .chars()
                    .filter(|&ch| ch != ',' && ch != '_')
                    .collect();
                l.buf.truncate(start);
                l.buf.push_str(&digits);
            }
            let value = l.buf[start..].parse::<f64>().unwrap_or(0.0);
            l.push(Kind::Number, value, start);
            // A unit glued to the number (`100ms`, `5s`, `99.9%`).
            if u.get(i).is_some_and(|p| p.is(b'%')) {
                let start = l.buf.len();
                l.buf.push('%');
                l.push(Kind::Word, 0.0, start);
                i += 1;
            }
            continue;
        }
        if c.is(b'%') {
            let start = l.buf.len();
            l.buf.push('%');
            l.push(Kind::Word, 0.0, start);
            i += 1;
            continue;
        }
        if c.is_alnum() {
            let from = i;
            while i < u.len() {
                let ch = u[i];
                let inner_apostrophe =
                    ch.inner_apostrophe() && u.get(i + 1).is_some_and(|n| n.is_alpha());
                if ch.is_alnum() || inner_apostrophe {
                    i += 1;
                } else {
                    break;
                }
            }
            let start = l.buf.len();
            U::push_lower(&mut l.buf, text, u, from, i);
            l.push(Kind::Word, 0.0, start);
            continue;
        }
        i += 1;
    }
}

pub const ARTICLES: &[&str] = &["a", "an", "the"];

/// The duplicate key of a step: lower case, no punctuation, no articles, quoted values verbatim.
pub fn step_key(text: &str) -> String {
    with_lexed(text, |l| key_of(text.len(), l))
}

/// [`step_key`] and [`Clause::parse`] of one text, lexed once.
pub fn key_and_clause(text: &str) -> (String, Clause) {
    with_lexed(text, |l| {
        (key_of(text.len(), l), Clause::from_lexed(text.len(), l))
    })
}

fn key_of(len: usize, l: &Lexed) -> String {
    let mut out = String::with_capacity(len);
    for it in &l.items {
        let t = l.text(it);
        if it.kind == Kind::Word && ARTICLES.contains(&t) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        match it.kind {
            Kind::Quoted => {
                out.push('"');
                out.push_str(t);
                out.push('"');
            }
            Kind::Word | Kind::Number => out.push_str(t),
        }
    }
    out
}

/// Sorted, de-duplicated keys of a list of step texts (the order of `And` lines does not matter).
pub fn key_set<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    // Short-lived: a scenario's summary keeps its keys in one `StepKeys` buffer.
    let mut keys: Vec<String> = Vec::with_capacity(texts.size_hint().0);
    keys.extend(texts.map(step_key).filter(|k| !k.is_empty()));
    keys.sort();
    keys.dedup();
    keys
}

/// Whether every key of `a` is in `b` (both sorted, once each): one walk over both.
pub fn is_subset<'a>(a: impl Iterator<Item = &'a str>, b: impl Iterator<Item = &'a str>) -> bool {
    let mut b = b.peekable();
    for k in a {
        while b.next_if(|x| *x < k).is_some() {}
        if b.next_if(|x| *x == k).is_none() {
            return false;
        }
    }
    true
}

/// A value taken out of a clause's skeleton.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
}

impl Value {
    fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            _ => false,
        }
    }
}

/// What a Then clause says about the result of the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Neutral,
    Success,
    Error,
}

/// The conflict view of one Then step.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// Words with placeholders (`#q` for quoted values, `#n` / `#n:time` for numbers), each
    /// followed by one space (no word holds a space), in one allocation: the checks keep a
    /// clause for every Then step of the workspace. See [`Clause::words`].
    pub skeleton: String,
    pub values: Vec<Value>,
    /// False when the clause is negated (an odd number of negations and negative antonyms).
    pub positive: bool,
    pub outcome: Outcome,
}

const MODALS: &[&str] = &[
    "should", "must", "will", "shall", "would", "can", "could", "may", "might", "do", "does",
    "did", "then", "also", "still", "now", "only", "just",
];
const COPULAS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "equals", "equal", "becomes", "become",
];
const NEGATIONS: &[&str] = &["not", "no", "never"];

/// Antonym groups: canonical word, positive forms, negative forms.
const ANTONYMS: &[(&str, &[&str], &[&str])] = &[
    (
        "succeed",
        &[
            "succeed",
            "succeeds",
            "succeeded",
            "success",
            "successful",
            "successfully",
            "pass",
            "passes",
            "passed",
        ],
        &["fail", "fails", "failed", "failure", "unsuccessful"],
    ),
    (
        "accept",
        &[
            "accept", "accepts", "accepted", "approve", "approves", "approved",
        ],
        &[
            "reject", "rejects", "rejected", "decline", "declines", "declined", "refuse",
            "refuses", "refused",
        ],
    ),
    (
        "allow",
        &[
            "allow",
            "allows",
            "allowed",
            "permit",
            "permits",
            "permitted",
            "grant",
            "grants",
            "granted",
        ],
        &[
            "deny",
            "denies",
            "denied",
            "forbid",
            "forbids",
            "forbidden",
            "block",
            "blocks",
            "blocked",
            "prevent",
            "prevents",
            "prevented",
            "disallowed",
        ],
    ),
    ("valid", &["valid"], &["invalid"]),
    (
        "enable",
        &["enable", "enables", "enabled"],
        &["disable", "disables", "disabled"],
    ),
    (
        "visible",
        &[
            "visible",
            "shown",
            "displayed",
            "show",
            "shows",
            "display",
            "displays",
        ],
        &["hidden", "hide", "hides", "invisible"],
    ),
    (
        "lock",
        &["lock", "locks", "locked"],
        &["unlock", "unlocks", "unlocked"],
    ),
    ("true", &["true"], &["false"]),
    ("active", &["active"], &["inactive"]),
    (
        "include",
        &[
            "include",
            "includes",
            "included",
            "contain",
            "contains",
            "contained",
        ],
        &[
            "exclude", "excludes", "excluded", "omit", "omits", "omitted",
        ],
    ),
    (
        "exist",
        &["exist", "exists", "present"],
        &["absent", "missing"],
    ),
    ("online", &["online"], &["offline"]),
    ("available", &["available"], &["unavailable"]),
    (
        "authorized",
        &["authorized", "authorised"],
        &["unauthorized", "unauthorised"],
    ),
    ("authenticated", &["authenticated"], &["unauthenticated"]),
    ("verified", &["verified"], &["unverified"]),
    ("paid", &["paid"], &["unpaid"]),
    ("published", &["published"], &["unpublished"]),
    ("read", &["read"], &["unread"]),
];

/// Words that say the action went wrong.
const ERROR_WORDS: &[&str] = &[
    "error",
    "errors",
    "fail",
    "fails",
    "failed",
    "failure",
    "unsuccessful",
    "reject",
    "rejects",
    "rejected",
    "deny",
    "denies",
    "denied",
    "refuse",
    "refuses",
    "refused",
    "decline",
    "declines",
    "declined",
    "forbidden",
    "unauthorized",
    "unauthorised",
    "exception",
    "raise",
    "raises",
    "raised",
    "throw",
    "throws",
    "thrown",
    "invalid",
    "blocked",
    "prevented",
];

/// Words that say the action went through.
const SUCCESS_WORDS: &[&str] = &[
    "succeed",
    "succeeds",
    "succeeded",
    "success",
    "successful",
    "successfully",
    "accepted",
    "approved",
    "granted",
    "allowed",
    "created",
    "saved",
    "added",
    "stored",
    "updated",
    "confirmed",
    "completes",
    "registered",
    "processed",
    "placed",
    "published",
    "delivered",
    "activated",
    "uploaded",
    "imported",
    "booked",
    "reserved",
    "charged",
    "refunded",
    "authenticated",
    "verified",
    "welcome",
];

/// Words that may follow a copula as a state value (`status is pending`, `user is logged out`).
const STATE_WORDS: &[&str] = &[
    "pending",
    "completed",
    "complete",
    "incomplete",
    "done",
    "todo",
    "new",
    "draft",
    "open",
    "closed",
    "archived",
    "cancelled",
    "canceled",
    "paid",
    "unpaid",
    "shipped",
    "delivered",
    "processing",
    "queued",
    "running",
    "started",
    "stopped",
    "expired",
    "suspended",
    "confirmed",
    "in",
    "out",
    "on",
    "off",
    "empty",
    "full",
    "yes",
    "high",
    "medium",
    "low",
    "public",
    "private",
    "admin",
    "guest",
    "red",
    "green",
    "yellow",
    "blue",
];

/// Words after a copula that describe what happens to a subject rather than give its value.
const NOT_VALUES: &[&str] = &[
    "shown",
    "displayed",
    "updated",
    "changed",
    "unchanged",
    "saved",
    "set",
    "cleared",
    "reset",
    "returned",
    "sent",
    "stored",
    "refreshed",
    "highlighted",
    "logged",
    "recorded",
    "correct",
    "incorrect",
    "known",
    "unknown",
    "required",
    "optional",
    "editable",
    "kept",
    "preserved",
    "persisted",
    "cached",
    "recalculated",
    "validated",
    "checked",
];

/// Subjects whose value is a single word (`status`, `role`...).
const STATE_SUBJECTS: &[&str] = &[
    "status", "state", "role", "type", "mode", "level", "priority", "result", "value", "category",
    "stage", "phase", "plan", "tier", "color", "colour", "language", "currency", "format",
    "outcome", "answer", "kind", "severity",
];

/// (unit words, dimension, factor to the base unit).
const UNITS: &[(&[&str], &str, f64)] = &[
    (
        &["ms", "msec", "msecs", "millisecond", "milliseconds"],
        "time",
        1.0,
    ),
    (&["s", "sec", "secs", "second", "seconds"], "time", 1_000.0),
    (&["min", "mins", "minute", "minutes"], "time", 60_000.0),
    (&["h", "hr", "hrs", "hour", "hours"], "time", 3_600_000.0),
    (&["day", "days"], "time", 86_400_000.0),
    (&["week", "weeks"], "time", 604_800_000.0),
    (&["b", "byte", "bytes"], "size", 1.0),
    (&["kb", "kib", "kilobyte", "kilobytes"], "size", 1_024.0),
    (&["mb", "mib", "megabyte", "megabytes"], "size", 1_048_576.0),
    (
        &["gb", "gib", "gigabyte", "gigabytes"],
        "size",
        1_073_741_824.0,
    ),
    (&["%", "percent", "pct"], "%", 1.0),
];

fn unit(word: &str) -> Option<(&'static str, f64)> {
    UNITS
        .iter()
        .find(|(words, _, _)| words.contains(&word))
        .map(|(_, dim, f)| (*dim, *f))
}

fn antonym(word: &str) -> Option<(&'static str, bool)> {
    for (canon, pos, neg) in ANTONYMS {
        if pos.contains(&word) {
            return Some((canon, true));
        }
        if neg.contains(&word) {
            return Some((canon, false));
        }
    }
    None
}

/// Fold plurals so `1 task` and `2 tasks` share a subject.
pub fn stem(word: &str) -> String {
    let (base, suffix) = stem_parts(word);
    format!("{base}{suffix}")
}

/// [`stem`] as two parts to write one after the other (no allocation).
fn stem_parts(word: &str) -> (&str, &'static str) {
    if word.len() > 4 && word.ends_with("ies") {
        return (&word[..word.len() - 3], "y");
    }
    if word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return (&word[..word.len() - 1], "");
    }
    (word, "")
}

/// What the word lists of this module say about one word.
#[derive(Clone, Copy, Default)]
struct WordClass {
    error: bool,
    success: bool,
    negation: bool,
    article_or_modal: bool,
    copula: bool,
    antonym: Option<(&'static str, bool)>,
    unit: Option<(&'static str, f64)>,
}

/// The words of `lists`, of the antonym groups and of the units.
fn listed_words(lists: &[&[&'static str]]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = lists.concat();
    for (canon, pos, neg) in ANTONYMS {
        words.push(canon);
        words.extend_from_slice(pos);
        words.extend_from_slice(neg);
    }
    for (list, _, _) in UNITS {
        words.extend_from_slice(list);
    }
    words
}

/// The word lists a [`WordClass`] reads (besides the antonyms and the units).
const CLASSIFYING: &[&[&str]] = &[
    ERROR_WORDS,
    SUCCESS_WORDS,
    NEGATIONS,
    ARTICLES,
    MODALS,
    COPULAS,
];

/// [`WordClass`] of `word`, from one table built from the word lists (the lists are searched
/// once per listed word, by the same functions, so the answers are theirs); a word in no list
/// has the default class.
fn word_class(word: &str) -> WordClass {
    /// The table, and for each ASCII first byte the lengths (below 32) of the listed words
    /// that start with it: most words of a step are in no list, and are told so without a
    /// lookup.
    type Table = (crate::fxhash::HashMap<&'static str, WordClass>, [u32; 128]);
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    let (table, shapes) = TABLE.get_or_init(|| {
        let words = listed_words(CLASSIFYING);
        let mut shapes = [0u32; 128];
        for w in &words {
            if let Some(&first) = w.as_bytes().first() {
                if first < 128 && w.len() < 32 {
                    shapes[usize::from(first)] |= 1 << w.len();
                }
            }
        }
        let table = words
            .into_iter()
            .map(|w| {
                let class = WordClass {
                    error: ERROR_WORDS.contains(&w),
                    success: SUCCESS_WORDS.contains(&w),
                    negation: NEGATIONS.contains(&w),
                    article_or_modal: ARTICLES.contains(&w) || MODALS.contains(&w),
                    copula: COPULAS.contains(&w),
                    antonym: antonym(w),
                    unit: unit(w),
                };
                (w, class)
            })
            .collect();
        (table, shapes)
    });
    if let Some(&first) = word.as_bytes().first() {
        if first < 128 && word.len() < 32 && shapes[usize::from(first)] & (1 << word.len()) == 0 {
            return WordClass::default();
        }
    }
    table.get(word).copied().unwrap_or_default()
}

/// Split a contraction: `doesn't` -> (`does`, negated).
fn contraction(word: &str) -> Option<&str> {
    let base = word.strip_suffix("n't")?;
    Some(match base {
        "wo" => "will",
        "ca" => "can",
        "sha" => "shall",
        other => other,
    })
}

/// A word that negates as written: a negation, `cannot`, or a contraction (`doesn't`).
fn explicit_negation(w: &str) -> bool {
    word_class(w).negation || w == "cannot" || contraction(w).is_some()
}

/// Append a word of a skeleton (see [`Clause::skeleton`]).
fn push_word(skeleton: &mut String, word: &str) {
    skeleton.push_str(word);
    skeleton.push(' ');
}

/// The last word of a skeleton and the words before it (without their last space).
fn split_last(skeleton: &str) -> Option<(&str, &str)> {
    let body = skeleton.strip_suffix(' ')?;
    Some(body.rsplit_once(' ').unwrap_or(("", body)))
}

impl Clause {
    /// The words of the skeleton, in order.
    pub fn words(&self) -> std::str::SplitTerminator<'_, char> {
        self.skeleton.split_terminator(' ')
    }

    pub fn parse(text: &str) -> Clause {
        with_lexed(text, |l| Clause::from_lexed(text.len(), l))
    }

    fn from_lexed(len: usize, l: &Lexed) -> Clause {
        let items = &l.items;
        let mut skeleton = String::with_capacity(len + 8);
        let mut values = Vec::new();
        let mut negations = 0usize;
        // Negations written out (`not`, `cannot`, `doesn't`), not those of antonyms.
        let mut explicit_neg = 0usize;
        let mut error = false;
        let mut success = false;
        let mut i = 0;
        while i < items.len() {
            let it = &items[i];
            match it.kind {
                Kind::Quoted => {
                    push_word(&mut skeleton, "#q");
                    values.push(Value::Text(l.text(it).to_string()));
                }
                Kind::Number => {
                    let next_unit = match items.get(i + 1) {
                        Some(next) if next.kind == Kind::Word => {
                            let w = l.text(next);
                            word_class(w).unit.map(|u| (u, explicit_negation(w)))
                        }
                        _ => None,
                    };
                    if let Some(((dim, factor), negation)) = next_unit {
                        skeleton.push_str("#n:");
                        push_word(&mut skeleton, dim);
                        values.push(Value::Number(it.value * factor));
                        explicit_neg += usize::from(negation);
                        i += 1;
                    } else {
                        push_word(&mut skeleton, "#n");
                        values.push(Value::Number(it.value));
                    }
                }
                Kind::Word => {
                    let mut word = l.text(it);
                    if word == "cannot" {
                        negations += 1;
                        explicit_neg += 1;
                        i += 1;
                        continue;
                    }
                    let contracted = contraction(word);
                    if let Some(base) = contracted {
                        negations += 1;
                        word = base;
                    }
                    let class = word_class(word);
                    // As `explicit_negation` tells of the word as written: a contraction, or a
                    // negation (the class of the word itself when it is no contraction).
                    if contracted.is_some() || class.negation {
                        explicit_neg += 1;
                    }
                    if class.error {
                        error = true;
                    } else if class.success {
                        success = true;
                    }
                    if class.negation {
                        negations += 1;
                    } else if class.article_or_modal {
                    } else if class.copula {
                        if split_last(&skeleton).map(|(_, last)| last) != Some("=") {
                            push_word(&mut skeleton, "=");
                        }
                    } else if let Some((canon, pos)) = class.antonym {
                        if !pos {
                            negations += 1;
                        }
                        push_word(&mut skeleton, canon);
                    } else {
                        let (base, suffix) = stem_parts(word);
                        skeleton.push_str(base);
                        push_word(&mut skeleton, suffix);
                    }
                }
            }
            i += 1;
        }
        let positive = negations % 2 == 0;
        let raw = if error {
            Outcome::Error
        } else if success {
            Outcome::Success
        } else {
            Outcome::Neutral
        };
        // Negation flips the outcome of the words: "no error" is success, "is not created" an
        // error. (Antonyms already count as negations, so only explicit negations count here.)
        let outcome = if explicit_neg % 2 == 1 {
            match raw {
                Outcome::Error => Outcome::Success,
                Outcome::Success => Outcome::Error,
                Outcome::Neutral => Outcome::Neutral,
            }
        } else {
            raw
        };
        skeleton.shrink_to_fit();
        values.shrink_to_fit();
        Clause {
            skeleton,
            values,
            positive,
            outcome,
        }
    }

    /// Why this clause and `other` cannot both hold, if they cannot.
    pub fn contradicts(&self, other: &Clause) -> Option<&'static str> {
        if self.skeleton == other.skeleton {
            let same_values = self.values.len() == other.values.len()
                && self
                    .values
                    .iter()
                    .zip(&other.values)
                    .all(|(a, b)| a.same(b));
            if same_values && self.positive != other.positive {
                return Some("one states what the other negates");
            }
            if !same_values && self.positive && other.positive {
                return Some("the same subject with a different value");
            }
            return None;
        }
        // `status is pending` vs `status is completed`: same subject, a different state word.
        if self.positive
            && other.positive
            && self.words().count() >= 3
            && self.values.is_empty()
            && other.values.is_empty()
        {
            let (Some((prefix, a)), Some((other_prefix, b))) =
                (split_last(&self.skeleton), split_last(&other.skeleton))
            else {
                return None;
            };
            // The same words before the last one (so the same number of words).
            if prefix == other_prefix {
                let words: Vec<&str> = prefix.split(' ').collect();
                let copula = words.iter().position(|w| *w == "=");
                if let Some(at) = copula {
                    let subject = &words[..at];
                    let stateful = subject.iter().any(|w| STATE_SUBJECTS.contains(w));
                    let states = STATE_WORDS.contains(&a) && STATE_WORDS.contains(&b);
                    // `status is shown` says something about the status, not its value.
                    let not_value = |w: &str| {
                        NOT_VALUES.contains(&w) || ANTONYMS.iter().any(|(c, _, _)| *c == w)
                    };
                    let values = !not_value(a) && !not_value(b);
                    if !subject.is_empty() && values && (stateful || states) {
                        return Some("the same subject in a different state");
                    }
                }
            }
        }
        None
    }
}

/// The skeleton with values filled back in, for messages and tests.
pub fn describe(c: &Clause) -> String {
    let mut out = String::new();
    let mut values = c.values.iter();
    for (i, w) in c.words().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if w.starts_with('#') {
            match values.next() {
                Some(Value::Text(t)) => {
                    let _ = write!(out, "\"{t}\"");
                }
                Some(Value::Number(n)) => {
                    let _ = write!(out, "{n}{}", w.strip_prefix("#n").unwrap_or(""));
                }
                None => out.push_str(w),
            }
        } else {
            out.push_str(w);
        }
    }
    if !c.positive {
        out.insert_str(0, "NOT ");
    }
    out
}

/// Words that carry meaning for matching conditions to examples: lower case, stemmed, without
/// stop words. Quoted values and numbers are kept as words too.
pub fn significant_words(text: &str) -> Vec<String> {
    // Quoted values count by their words: `"tomorrow"` and tomorrow match.
    let unquoted: String = text
        .chars()
        .map(|c| {
            if matches!(c, '"' | '`' | '\u{201c}' | '\u{201d}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    for lex in lex(&unquoted) {
        let w = match lex {
            Lex::Word(w) => {
                if STOP_WORDS.contains(&w.as_str()) || w.len() < 2 {
                    continue;
                }
                stem(&w)
            }
            Lex::Quoted(q) => q.to_lowercase(),
            Lex::Number(_, raw) => raw,
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

pub const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "and",
    "or",
    "but",
    "if",
    "when",
    "whenever",
    "unless",
    "otherwise",
    "else",
    "then",
    "than",
    "so",
    "should",
    "must",
    "shall",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "not",
    "no",
    "any",
    "all",
    "each",
    "every",
    "there",
    "their",
    "they",
    "them",
    "which",
    "who",
    "what",
    "where",
    "into",
    "onto",
    "out",
    "up",
    "we",
    "you",
    "your",
    "our",
    "returns",
    "return",
    "returned",
    "given",
    "after",
    "before",
    "while",
    "also",
    "only",
    "otherwise",
    "such",
    "via",
    "per",
    "i",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    /// The table gives, for every listed word (and for unlisted ones), what searching the
    /// lists gives.
    #[test]
    fn word_classes_are_what_the_lists_say() {
        let mut words: Vec<&str> = vec!["", "unlisted", "tasks", "cannot", "doesn't", "n't"];
        words.extend(listed_words(
            &[CLASSIFYING, &[STATE_WORDS, NOT_VALUES, STOP_WORDS]].concat(),
        ));
        for w in words {
            let c = word_class(w);
            assert_eq!(c.error, ERROR_WORDS.contains(&w), "{w}");
            assert_eq!(c.success, SUCCESS_WORDS.contains(&w), "{w}");
            assert_eq!(c.negation, NEGATIONS.contains(&w), "{w}");
            assert_eq!(
                c.article_or_modal,
                ARTICLES.contains(&w) || MODALS.contains(&w),
                "{w}"
            );
            assert_eq!(c.copula, COPULAS.contains(&w), "{w}");
            assert_eq!(c.antonym, antonym(w), "{w}");
            assert_eq!(c.unit, unit(w), "{w}");
        }
    }

    /// The duplicate key as the module documents it, built from [`lex`]'s pieces.
    fn step_key_from_lex(text: &str) -> String {
        let parts: Vec<String> = lex(text)
            .into_iter()
            .filter(|l| !matches!(l, Lex::Word(w) if ARTICLES.contains(&w.as_str())))
            .map(|l| match l {
                Lex::Word(w) => w,
                Lex::Quoted(q) => format!("\"{q}\""),
                Lex::Number(_, raw) => raw,
            })
            .collect();
        parts.join(" ")
    }

    proptest::proptest! {
        /// Keys and clauses built from the reused buffers are those of the pieces [`lex`]
        /// returns (itself built from them), on text of listed words, numbers, quotes and
        /// punctuation; lexing one text twice (buffers reused) gives the same pieces.
        #[test]
        fn keys_and_clauses_from_buffers(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    "The", "a", "status", "is", "not", "isn't", "cannot", "fails", "succeeds",
                    "error", "tasks", "5", "1,500", "-2", "ms", "seconds", "%", "\"Done\"",
                    "'x'", "user's", "\u{201c}Q\u{201d}", "\u{0130}stanbul", "\u{03a3}\u{03a3}",
                    "must", "be", "equals", "no", "never", "enabled", "disabled", ",", ".", "99.9%",
                    "100ms", "`v`", "can't", "won't", "Stories", "bus",
                ]).prop_map(str::to_string),
                "[a-zA-Z0-9 '\".,%-]{0,12}",
            ],
            0..14,
        )) {
            let text = parts.join(" ");
            proptest::prop_assert_eq!(step_key(&text), step_key_from_lex(&text));
            proptest::prop_assert_eq!(lex(&text), lex(&text));
            let c = Clause::parse(&text);
            let words = c.words().count();
            let holes = c.words().filter(|w| w.starts_with('#')).count();
            proptest::prop_assert_eq!(holes, c.values.len());
            proptest::prop_assert!(words <= lex(&text).len());
            proptest::prop_assert_eq!(&c, &Clause::parse(&text));
            // The explicit negations counted along the way are those of every word written.
            let explicit = with_lexed(&text, |l| {
                l.items
                    .iter()
                    .filter(|it| it.kind == Kind::Word && explicit_negation(l.text(it)))
                    .count()
            });
            let raw = if text_has(&text, |c| c.error) {
                Outcome::Error
            } else if text_has(&text, |c| c.success) {
                Outcome::Success
            } else {
                Outcome::Neutral
            };
            let expected = match (explicit % 2, raw) {
                (1, Outcome::Error) => Outcome::Success,
                (1, Outcome::Success) => Outcome::Error,
                (_, o) => o,
            };
            proptest::prop_assert_eq!(c.outcome, expected, "{}", text);
            proptest::prop_assert_eq!(key_and_clause(&text), (step_key(&text), c));
        }
    }

    /// Whether a word of `text` (not a unit after a number, as the clause reads it) has a
    /// class `f` accepts, after splitting contractions.
    fn text_has(text: &str, f: impl Fn(&WordClass) -> bool) -> bool {
        with_lexed(text, |l| {
            let mut i = 0;
            let mut found = false;
            while i < l.items.len() {
                let it = &l.items[i];
                match it.kind {
                    Kind::Number => {
                        if let Some(next) = l.items.get(i + 1) {
                            if next.kind == Kind::Word && word_class(l.text(next)).unit.is_some() {
                                i += 1;
                            }
                        }
                    }
                    Kind::Word => {
                        let w = l.text(it);
                        if w != "cannot" {
                            found |= f(&word_class(contraction(w).unwrap_or(w)));
                        }
                    }
                    Kind::Quoted => {}
                }
                i += 1;
            }
            found
        })
    }

    /// The pieces of a lexed text, comparable.
    fn pieces(l: &Lexed) -> Vec<(u8, String, u64)> {
        l.items
            .iter()
            .map(|it| (it.kind as u8, l.text(it).to_string(), it.value.to_bits()))
            .collect()
    }

    proptest::proptest! {
        /// ASCII text lexed on its bytes gives the pieces it gives lexed on its chars.
        #[test]
        fn ascii_text_lexes_on_bytes_as_on_chars(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    "The", "user's", "'x'", "\"Done\"", "`v`", "1,500", "-2", "+3", "99.9%",
                    "100ms", "1_000", "1.2.3", "5,", "%", "a'b", "'", "\"", "`", "x-1", "--4",
                    "can't", "O'Neil's", "'quoted'word", "3'", "7\"",
                ]).prop_map(str::to_string),
                "[ -~]{0,10}",
            ],
            0..12,
        )) {
            let text = parts.concat();
            let (mut bytes, mut chars) = (Lexed::default(), Lexed::default());
            lex_units(&text, text.as_bytes(), &mut bytes);
            let units: Vec<char> = text.chars().collect();
            lex_units(&text, &units, &mut chars);
            proptest::prop_assert_eq!(pieces(&bytes), pieces(&chars), "{:?}", text);
            proptest::prop_assert_eq!(&bytes.buf, &chars.buf);
        }
    }

    #[test]
    fn lexes_quotes_numbers_and_apostrophes() {
        assert_eq!(
            lex("The user's status isn't \"In Progress\" after 1,500ms (99.9%)"),
            vec![
                Lex::Word("the".into()),
                Lex::Word("user's".into()),
                Lex::Word("status".into()),
                Lex::Word("isn't".into()),
                Lex::Quoted("In Progress".into()),
                Lex::Word("after".into()),
                Lex::Number(1500.0, "1500".into()),
                Lex::Word("ms".into()),
                Lex::Number(99.9, "99.9".into()),
                Lex::Word("%".into()),
            ]
        );
        // An unclosed quote is punctuation.
        assert_eq!(
            lex("say \"hi"),
            vec![Lex::Word("say".into()), Lex::Word("hi".into())]
        );
    }

    #[test]
    fn duplicate_keys_ignore_case_punctuation_articles() {
        assert_eq!(
            step_key("The user  opens THE app."),
            step_key("user opens app")
        );
        assert_ne!(step_key("title is \"Buy\""), step_key("title is \"buy\""));
        assert_eq!(step_key("a task \"X\""), "task \"X\"");
    }

    fn conflict(a: &str, b: &str) -> bool {
        Clause::parse(a).contradicts(&Clause::parse(b)).is_some()
    }

    #[test]
    fn clause_conflicts() {
        assert!(conflict(
            "the status should be \"pending\"",
            "the status should be \"completed\""
        ));
        assert!(conflict("I see exactly 2 tasks", "I see exactly 3 tasks"));
        assert!(conflict("I see exactly 1 task", "I see exactly 3 tasks"));
        assert!(conflict(
            "the user should receive an error",
            "the user should not receive an error"
        ));
        assert!(conflict("the login succeeds", "the login fails"));
        assert!(conflict(
            "the request is accepted",
            "the request is rejected"
        ));
        assert!(conflict("the status is pending", "the status is completed"));
        assert!(conflict("the user is logged in", "the user is logged out"));
        assert!(conflict("no error is shown", "an error is shown"));
        assert!(conflict("it doesn't retry", "it retries"));
        // Near misses.
        assert!(!conflict("I see 2 tasks", "I see 2 items"));
        assert!(!conflict(
            "the response arrives within 5 seconds",
            "the response arrives within 5000 ms"
        ));
        assert!(!conflict(
            "the task is created",
            "the task is created with a due date"
        ));
        assert!(!conflict("status is not \"a\"", "status is not \"b\""));
        assert!(!conflict(
            "the response is returned",
            "the response is cached"
        ));
    }

    #[test]
    fn outcomes() {
        assert_eq!(Clause::parse("an error is shown").outcome, Outcome::Error);
        assert_eq!(Clause::parse("no error is shown").outcome, Outcome::Success);
        assert_eq!(
            Clause::parse("the task is created").outcome,
            Outcome::Success
        );
        assert_eq!(
            Clause::parse("the task is not created").outcome,
            Outcome::Error
        );
        assert_eq!(
            Clause::parse("the list shows 3 tasks").outcome,
            Outcome::Neutral
        );
    }

    #[test]
    fn describes() {
        let c = Clause::parse("the response must arrive within 2 seconds");
        assert_eq!(describe(&c), "response arrive within 2000:time");
    }
}
