//! SpecSoloist arrangements (`arrangement.yaml`, `*.arrangement.yaml`): how specs become code in
//! one language. Only parsing lives here; placeholders, paths and tools are checked by
//! `checks`.
//!
//! ```yaml
//! target_language: typescript
//! specs_path: specs/
//! output_paths:
//!   implementation: build/src/{name}.ts
//!   tests: build/tests/{name}.test.ts
//!   overrides:
//!     core: { implementation: src/core/index.ts, tests: tests/core.test.ts }
//! environment:
//!   tools: [node, npm]
//!   setup_commands: [npm install]
//! build_commands:
//!   compile: npx tsc --noEmit
//!   test: npx vitest run {file}
//! constraints: [Use strict TypeScript]
//! env_vars: { NODE_ENV: test }
//! model: claude-sonnet-4
//! ```
use crate::diag::Diagnostic;
use crate::model::{Arrangement, Document, Field};
use crate::parse::yaml_spec::{effective_entries, text_span};
use crate::span::Span;
use crate::yaml::{self, Entry, Node, Value};

/// Parse an arrangement. Never fails; bad shapes become `wrong-type` diagnostics.
pub fn parse(path: &str, text: &str) -> Document {
    let ydoc = yaml::parse(text);
    let mut p = P {
        text,
        diags: ydoc.diagnostics,
        arr: Arrangement::default(),
    };
    match &ydoc.root {
        None => {}
        Some(root) if root.is_map() => p.root(root),
        Some(root) if root.is_null() => {}
        Some(root) => p.wrong(
            root.span,
            format!(
                "an arrangement must be a mapping of keys such as `target_language`, `output_paths` and `build_commands`; found {}",
                shape(root)
            ),
        ),
    }
    Document {
        path: path.to_string(),
        name: crate::parse::default_name(path),
        arrangement: Some(p.arr),
        diagnostics: p.diags,
        ..Default::default()
    }
}

fn shape(node: &Node) -> &'static str {
    match &node.value {
        Value::Null => "an empty value",
        Value::Scalar { .. } => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

struct P<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    arr: Arrangement,
}

impl P<'_> {
    fn wrong(&mut self, span: Span, message: String) {
        self.diags
            .push(Diagnostic::new("wrong-type", span, message));
    }

    /// A scalar's text; other shapes are flagged and give None.
    fn scalar(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } => Some(text.trim().to_string()),
            Value::Null => None,
            _ => {
                self.wrong(
                    node.span,
                    format!("`{what}` should be a string; found {}", shape(node)),
                );
                None
            }
        }
    }

    fn field(&self, key: String, key_span: Span, value: &Node) -> Field {
        let value_text = match &value.value {
            Value::Scalar { text, .. } => text.trim().to_string(),
            _ => String::new(),
        };
        let value_span = if value.is_null() {
            Span::empty(key_span.end)
        } else {
            text_span(self.text, value)
        };
        Field {
            key,
            key_span,
            value: value_text,
            value_span,
        }
    }

    /// A scalar entry as a field (flagging other shapes).
    fn scalar_field(&mut self, key: String, e: &Entry, what: &str) -> Option<Field> {
        match &e.value.value {
            Value::Scalar { .. } | Value::Null => Some(self.field(key, e.key_span, &e.value)),
            _ => {
                self.wrong(
                    e.value.span,
                    format!("`{what}` should be a string; found {}", shape(&e.value)),
                );
                None
            }
        }
    }

    /// A string or list of strings, each item one field keyed `key`.
    fn list_fields(&mut self, key: &str, e: &Entry, what: &str) -> Vec<Field> {
        match &e.value.value {
            Value::Null => Vec::new(),
            Value::Scalar { .. } => vec![self.field(key.to_string(), e.key_span, &e.value)],
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Scalar { .. } => {
                            out.push(self.field(key.to_string(), e.key_span, item))
                        }
                        Value::Null => {}
                        _ => self.wrong(
                            item.span,
                            format!("items of `{what}` should be strings; found {}", shape(item)),
                        ),
                    }
                }
                out
            }
            Value::Map(_) => {
                self.wrong(
                    e.value.span,
                    format!("`{what}` should be a list of strings; found a mapping"),
                );
                Vec::new()
            }
        }
    }

    /// The entries of a mapping (later duplicates win), flagging other shapes.
    fn expect_map<'n>(&mut self, e: &'n Entry, what: &str) -> Vec<&'n Entry> {
        match &e.value.value {
            Value::Map(_) => effective_entries(&e.value).collect(),
            Value::Null => Vec::new(),
            _ => {
                self.wrong(
                    e.value.span,
                    format!("`{what}` should be a mapping; found {}", shape(&e.value)),
                );
                Vec::new()
            }
        }
    }

    fn root(&mut self, root: &Node) {
        for e in effective_entries(root) {
            match e.key.as_str() {
                "target_language" | "language" => {
                    self.arr.target_language = self.scalar(&e.value, &e.key);
                }
                "specs_path" => self.arr.specs_path = self.scalar(&e.value, "specs_path"),
                "model" => self.arr.model = self.scalar(&e.value, "model"),
                "output_paths" => {
                    for o in self.expect_map(e, "output_paths") {
                        if o.key == "overrides" {
                            self.overrides(o);
                        } else if let Some(f) =
                            self.scalar_field(o.key.clone(), o, &format!("output_paths.{}", o.key))
                        {
                            self.arr.output_paths.push(f);
                        }
                    }
                }
                "environment" => {
                    for o in self.expect_map(e, "environment") {
                        match o.key.as_str() {
                            "tools" => {
                                let f = self.list_fields("tools", o, "environment.tools");
                                self.arr.tools.extend(f);
                            }
                            "setup_commands" => {
                                let f = self.list_fields(
                                    "setup_commands",
                                    o,
                                    "environment.setup_commands",
                                );
                                self.arr.setup_commands.extend(f);
                            }
                            _ => {}
                        }
                    }
                }
                "build_commands" => {
                    for o in self.expect_map(e, "build_commands") {
                        match &o.value.value {
                            // `test: [cmd1, cmd2]` is not a form SpecSoloist runs
                            Value::Seq(_) | Value::Map(_) => self.wrong(
                                o.value.span,
                                format!(
                                    "`build_commands.{}` should be one command string; found {}",
                                    o.key,
                                    shape(&o.value)
                                ),
                            ),
                            _ => {
                                let f = self.field(o.key.clone(), o.key_span, &o.value);
                                self.arr.build_commands.push(f);
                            }
                        }
                    }
                }
                "constraints" => {
                    let f = self.list_fields("constraints", e, "constraints");
                    self.arr.constraints.extend(f);
                }
                "env_vars" => self.env_vars(e),
                _ => {}
            }
        }
    }

    fn overrides(&mut self, o: &Entry) {
        for spec in self.expect_map(o, "output_paths.overrides") {
            match &spec.value.value {
                Value::Map(_) => {
                    for k in effective_entries(&spec.value) {
                        let key = format!("overrides.{}.{}", spec.key, k.key);
                        if let Some(f) = self.scalar_field(key.clone(), k, &format!("output_paths.{key}")) {
                            self.arr.output_paths.push(f);
                        }
                    }
                }
                Value::Null => {}
                _ => self.wrong(
                    spec.value.span,
                    format!(
                        "`output_paths.overrides.{}` should be a mapping with `implementation` and `tests`; found {}",
                        spec.key,
                        shape(&spec.value)
                    ),
                ),
            }
        }
    }

    /// `env_vars` as a mapping (`NAME: value`) or a list (`NAME`, `NAME=value`, or
    /// `{name: NAME, ...}` items).
    fn env_vars(&mut self, e: &Entry) {
        match &e.value.value {
            Value::Null => {}
            Value::Map(_) => {
                for v in effective_entries(&e.value) {
                    match &v.value.value {
                        Value::Scalar { .. } | Value::Null => {
                            let f = self.field(v.key.clone(), v.key_span, &v.value);
                            self.arr.env_vars.push(f);
                        }
                        // `NAME: {description: ..., required: true}`
                        Value::Map(_) => {
                            let mut f = self.field(v.key.clone(), v.key_span, &v.value);
                            if let Some(d) = v.value.get("value").or_else(|| v.value.get("default"))
                            {
                                if let Some(t) = d.as_str() {
                                    f.value = t.trim().to_string();
                                    f.value_span = text_span(self.text, d);
                                }
                            }
                            self.arr.env_vars.push(f);
                        }
                        Value::Seq(_) => self.wrong(
                            v.value.span,
                            format!("`env_vars.{}` should be a string; found a list", v.key),
                        ),
                    }
                }
            }
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::Scalar { text, .. } => {
                            let ts = text_span(self.text, item);
                            let raw = ts.slice(self.text);
                            let (name, value) = match text.split_once('=') {
                                Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
                                None => (text.trim().to_string(), String::new()),
                            };
                            // exact spans when the source is the plain text
                            let (key_span, value_span) = if raw == text.as_str() {
                                match raw.find('=') {
                                    Some(at) => (
                                        Span::new(ts.start, ts.start + raw[..at].trim_end().len()),
                                        Span::new(ts.start + at + 1, ts.end),
                                    ),
                                    None => (ts, Span::empty(ts.end)),
                                }
                            } else {
                                (ts, ts)
                            };
                            self.arr.env_vars.push(Field {
                                key: name,
                                key_span,
                                value,
                                value_span,
                            });
                        }
                        Value::Map(_) => {
                            let name = item.get("name").and_then(Node::as_str);
                            match name {
                                Some(n) => {
                                    let nn = item.get("name").map(|x| text_span(self.text, x));
                                    let key_span = nn.unwrap_or(item.span);
                                    let value_node =
                                        item.get("value").or_else(|| item.get("default"));
                                    let (value, value_span) = match value_node {
                                        Some(v) => (
                                            v.as_str().unwrap_or("").trim().to_string(),
                                            text_span(self.text, v),
                                        ),
                                        None => (String::new(), Span::empty(key_span.end)),
                                    };
                                    self.arr.env_vars.push(Field {
                                        key: n.trim().to_string(),
                                        key_span,
                                        value,
                                        value_span,
                                    });
                                }
                                None => {
                                    // `- NAME: value`
                                    let entries: Vec<(String, Span, Node)> = item
                                        .entries()
                                        .iter()
                                        .map(|x| (x.key.clone(), x.key_span, x.value.clone()))
                                        .collect();
                                    for (k, ks, v) in entries {
                                        let f = self.field(k, ks, &v);
                                        self.arr.env_vars.push(f);
                                    }
                                }
                            }
                        }
                        Value::Null => {}
                        Value::Seq(_) => self.wrong(
                            item.span,
                            "items of `env_vars` should be `NAME`, `NAME=value` or `NAME: value`; found a list"
                                .to_string(),
                        ),
                    }
                }
            }
            Value::Scalar { .. } => self.wrong(
                e.value.span,
                "`env_vars` should be a mapping (`NAME: value`) or a list of names; found a string"
                    .to_string(),
            ),
        }
    }
}
