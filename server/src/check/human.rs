//! rustc-style output: header, location, source line with the range underlined, related places
//! as notes, fixes as help lines, and a closing summary line.

use std::fmt::Write;
use std::io::IsTerminal;

use specls_core::diag::Severity;

use super::{sanitize, Finding, Location, Report, Summary};

/// Source lines longer than this (in characters) are shown as a window around the range.
const MAX_SHOWN: usize = 160;

/// Colour only on a terminal, never with `NO_COLOR` set (to anything but "") or `TERM=dumb`.
pub fn use_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb && std::io::stdout().is_terminal()
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Information => "1;36",
            Severity::Hint => "1;32",
        };
        self.paint(code, s)
    }
    fn gutter(&self, s: &str) -> String {
        self.paint("1;34", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

pub fn severity_word(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "info",
        Severity::Hint => "hint",
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let style = Style { on: color };
    let mut out = String::new();
    for f in &report.findings {
        finding(&mut out, f, &style);
        out.push('\n');
    }
    out.push_str(&summary_line(&report.summary));
    out.push('\n');
    out
}

/// `specls: 3 errors, 2 warnings in 12 files (40 scenarios)`.
pub fn summary_line(s: &Summary) -> String {
    let mut parts = Vec::new();
    for (n, one, many) in [
        (s.errors, "error", "errors"),
        (s.warnings, "warning", "warnings"),
        (s.information, "info", "info"),
        (s.hints, "hint", "hints"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let found = if parts.is_empty() {
        "no problems".to_string()
    } else {
        parts.join(", ")
    };
    format!(
        "specls: {found} in {} {} ({} {})",
        s.files,
        if s.files == 1 { "file" } else { "files" },
        s.scenarios,
        if s.scenarios == 1 {
            "scenario"
        } else {
            "scenarios"
        }
    )
}

fn finding(out: &mut String, f: &Finding, style: &Style) {
    let mut width = digits(f.location.start.line);
    for r in &f.related {
        if let Some(l) = &r.location {
            width = width.max(digits(l.start.line));
        }
    }
    let head = format!("{}[{}]", severity_word(f.severity), f.code);
    let _ = writeln!(
        out,
        "{}{}",
        style.severity(f.severity, &head),
        style.bold(&format!(": {}", sanitize(&f.message)))
    );
    snippet(out, &f.location, width, '^', Some(f.severity), style);
    for fix in &f.fixes {
        let _ = writeln!(
            out,
            "{}{} {}",
            " ".repeat(width + 1),
            style.gutter("="),
            style.bold(&format!("help: {}", sanitize(&fix.title)))
        );
    }
    for r in &f.related {
        match &r.location {
            Some(loc) => {
                let _ = writeln!(
                    out,
                    "{}{}",
                    style.paint("1;32", "note"),
                    style.bold(&format!(": {}", sanitize(&r.message)))
                );
                snippet(out, loc, width, '-', None, style);
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}{}",
                    style.paint("1;32", "note"),
                    style.bold(&format!(
                        ": {} (in {}, which could not be read)",
                        sanitize(&r.message),
                        sanitize(&r.path)
                    ))
                );
            }
        }
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

fn snippet(
    out: &mut String,
    loc: &Location,
    width: usize,
    mark: char,
    severity: Option<Severity>,
    style: &Style,
) {
    let pad = " ".repeat(width);
    let _ = writeln!(
        out,
        "{pad}{} {}:{}:{}",
        style.gutter("-->"),
        sanitize(&loc.path),
        loc.start.line,
        loc.start.column
    );
    let Some(source) = &loc.source else {
        return;
    };
    let line: Vec<char> = sanitize(source.line_text(loc.start.line)).chars().collect();
    let start = (loc.start.column - 1).min(line.len());
    let mut len = if loc.end.line == loc.start.line {
        loc.end.column.saturating_sub(loc.start.column)
    } else {
        line.len().saturating_sub(start)
    };
    len = len.max(1);
    // A window around the range for very long lines.
    let (shown, caret_at) = if line.len() > MAX_SHOWN {
        let from = start.saturating_sub(MAX_SHOWN / 4);
        let to = (from + MAX_SHOWN).min(line.len());
        let mut s = String::new();
        if from > 0 {
            s.push_str("...");
        }
        s.extend(&line[from..to]);
        if to < line.len() {
            s.push_str("...");
        }
        let lead = if from > 0 { 3 } else { 0 };
        len = len.min(to.saturating_sub(start).max(1));
        (s, start - from + lead)
    } else {
        (line.iter().collect::<String>(), start)
    };
    let bar = style.gutter("|");
    let _ = writeln!(out, "{pad} {bar}");
    let number = style.gutter(&format!("{:>width$}", loc.start.line));
    let _ = writeln!(out, "{number} {bar} {}", shown.trim_end());
    let marks: String = std::iter::repeat_n(mark, len).collect();
    let marks = match severity {
        Some(sev) => style.severity(sev, &marks),
        None => style.gutter(&marks),
    };
    let _ = writeln!(out, "{pad} {bar} {}{marks}", " ".repeat(caret_at));
}
