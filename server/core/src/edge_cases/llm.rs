//! Edge cases from a model (pure part): the prompt, and reading the answer. The model gets the
//! spec, the scenarios (and example rows) to extend and the deterministic proposals, and must
//! answer with one JSON object `{"scenarios": [{"name", "derived_from", "kind", "rationale",
//! "given", "when", "then", "input", "expected"}]}`. One shape maps to every format the
//! generator writes: `given`/`when`/`then` make a Markdown scenario or a YAML item;
//! `input`/`expected` make a SpecSoloist table row or a `yaml:test_scenarios` entry (derived
//! from the row named in `derived_from`). Items that break the shape are dropped with a reason;
//! an answer with no usable item is an error with a clear message. What survives goes through
//! the same rendering and duplicate/conflict checks as the deterministic proposals
//! ([`super::propose_from_model`]).

use serde_json::Value;

use crate::compile::prompt::{Message, Prompt, Role};
use crate::model::Document;

use super::{EdgeKind, Proposal, KIND_NAMES};

/// At most this many model proposals are read from one answer.
pub const MAX_ITEMS: usize = 12;
const MAX_STEP: usize = 400;
const MAX_NAME: usize = 160;
/// The spec text sent is cut to this many bytes.
const MAX_SPEC: usize = 60_000;

/// One scenario the model proposed, shape-checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelItem {
    pub name: String,
    pub derived_from: Option<String>,
    pub kind: EdgeKind,
    pub rationale: String,
    pub given: Vec<String>,
    pub when: Vec<String>,
    pub then: Vec<String>,
    /// For an example row: its input as written in the row (the table's input cell, or the
    /// entry's `inputs` value); empty for a scenario.
    pub input: String,
    /// For an example row: its expected output; empty for a scenario.
    pub expected: String,
}

impl ModelItem {
    /// True when this item is an example row (`input` and `expected`), not a scenario.
    pub fn is_row(&self) -> bool {
        !self.input.is_empty()
    }
}

/// The JSON schema of the answer (for providers with a JSON-schema mode, and in the prompt),
/// with the row fields `input` and `expected`.
pub fn answer_schema() -> Value {
    answer_schema_for(true)
}

/// The answer's JSON schema; `rows`: whether the target has example rows, so items carry
/// `input` and `expected` (without rows they are left out, so that a schema-bound model is
/// not made to fill them in).
pub fn answer_schema_for(rows: bool) -> Value {
    let steps = serde_json::json!({"type": "array", "items": {"type": "string"}});
    let mut props = serde_json::json!({
        "name": {"type": "string"},
        "derived_from": {"type": "string"},
        "kind": {"type": "string"},
        "rationale": {"type": "string"},
        "given": steps,
        "when": steps,
        "then": steps
    });
    let mut required = vec![
        "name",
        "derived_from",
        "kind",
        "rationale",
        "given",
        "when",
        "then",
    ];
    if rows {
        props["input"] = serde_json::json!({"type": "string"});
        props["expected"] = serde_json::json!({"type": "string"});
        required.extend(["input", "expected"]);
    }
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["scenarios"],
        "properties": {
            "scenarios": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": required,
                    "properties": props
                }
            }
        }
    })
}

fn kind_of(s: &str) -> EdgeKind {
    let k = s.trim().to_lowercase().replace([' ', '_'], "-");
    serde_json::from_value(Value::String(k)).unwrap_or(EdgeKind::Model)
}

/// The prompt: the spec, the scenarios to extend (by id) and what is already proposed.
pub fn prompt(
    path: &str,
    text: &str,
    doc: &Document,
    targets: &[String],
    rows: &[String],
    already: &[Proposal],
) -> Prompt {
    let system = format!(
        "You review behaviour specs and propose the edge-case scenarios their authors forgot: \
boundaries of numbers and ranges, empty/blank/very long/Unicode/injection text, the action done \
twice, concurrently or on something missing, the precondition negated (not signed in, no \
permission, other tenant), each outcome's failure path, and loads for constraints.\n\
Answer with ONE JSON object and nothing else, of this shape:\n{}\n\
Rules: `derived_from` is the id of the scenario{} the proposal extends (one of the ids given). \
`kind` is one of: {}. For a scenario, `given`, `when` and `then` are lists of plain sentences \
without the Given/When/Then keywords, `when` and `then` never empty{}. Each proposal must be \
new: not one of the spec's scenarios or rows and not one already proposed. Propose at most 8, \
only those that matter for this spec.",
        answer_schema_for(!rows.is_empty()),
        if rows.is_empty() {
            ""
        } else {
            " or example row"
        },
        KIND_NAMES
            .iter()
            .filter(|k| **k != "model")
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        if rows.is_empty() {
            ""
        } else {
            ", and `input` and `expected` are \"\". For an example row (ids listed under \
\"Example rows\"), `input` is the new row's input written like the row's own (for example \
`f(n=0)` or `{n: 0}`), `expected` its expected output, and `given`, `when`, `then` are empty \
lists"
        }
    );
    let mut spec = text.to_string();
    if spec.len() > MAX_SPEC {
        let mut end = MAX_SPEC;
        while !spec.is_char_boundary(end) {
            end -= 1;
        }
        spec.truncate(end);
    }
    let mut user = format!("The spec `{path}`:\n\n````\n{spec}\n````\n");
    if !targets.is_empty() {
        user.push_str("\nScenarios to extend (ids):\n");
    }
    for id in targets {
        let name = doc
            .scenarios
            .iter()
            .find(|s| &s.id == id)
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        user.push_str(&format!("- {id}: {name}\n"));
    }
    if !rows.is_empty() {
        user.push_str("\nExample rows to extend (ids, input -> expected):\n");
    }
    for id in rows {
        let row = (0..doc.examples.len())
            .find(|&i| &super::row_id(doc, i) == id)
            .map(|i| &doc.examples[i]);
        if let Some(r) = row {
            user.push_str(&format!(
                "- {id}: {} -> {}\n",
                r.input.trim(),
                r.expected.trim()
            ));
        }
    }
    if !already.is_empty() {
        user.push_str("\nAlready proposed (do not repeat these):\n");
        for p in already {
            user.push_str(&format!("- {}\n", p.name));
        }
    }
    Prompt {
        system,
        messages: vec![Message {
            role: Role::User,
            content: user,
        }],
    }
}

/// The JSON object in an answer: the whole text, or inside a code fence, or from the first `{`
/// to the last `}`.
fn json_of(answer: &str) -> Option<Value> {
    let t = answer.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    let (a, b) = (t.find('{')?, t.rfind('}')?);
    (a < b)
        .then(|| serde_json::from_str::<Value>(&t[a..=b]).ok())
        .flatten()
}

fn steps(v: Option<&Value>, key: &str, required: bool) -> Result<Vec<String>, String> {
    let list: Vec<Value> = match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![Value::String(s.clone())],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(format!("`{key}` is not a list of sentences")),
    };
    let mut out = Vec::new();
    for s in list {
        let Value::String(s) = s else {
            return Err(format!("`{key}` holds something other than text"));
        };
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            continue;
        }
        if s.len() > MAX_STEP {
            return Err(format!("a `{key}` step is longer than {MAX_STEP} bytes"));
        }
        out.push(s);
    }
    if required && out.is_empty() {
        return Err(format!("`{key}` is empty"));
    }
    Ok(out)
}

/// Read the model's answer. `Err` (a message for the user) when it is not the JSON asked for
/// or holds no usable scenario; else the usable items and, for each dropped one, why.
pub fn parse_answer(answer: &str) -> Result<(Vec<ModelItem>, Vec<String>), String> {
    if answer.trim().is_empty() {
        return Err("the model's answer is empty".into());
    }
    let Some(v) = json_of(answer) else {
        return Err("the model's answer is not the JSON object asked for".into());
    };
    let Some(items) = v.get("scenarios").and_then(Value::as_array) else {
        return Err("the model's answer has no `scenarios` list".into());
    };
    if items.is_empty() {
        return Err("the model proposed no scenario".into());
    }
    let mut out = Vec::new();
    let mut dropped = Vec::new();
    for (i, it) in items.iter().enumerate().take(MAX_ITEMS) {
        let n = i + 1;
        let name = it
            .get("name")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        if name.is_empty() || name.len() > MAX_NAME {
            dropped.push(format!("item {n}: no usable `name`"));
            continue;
        }
        let parsed = (|| -> Result<ModelItem, String> {
            let text = |key: &str| -> Result<String, String> {
                match it.get(key) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(s)) if s.len() <= MAX_STEP => Ok(s.trim().to_string()),
                    Some(Value::String(_)) => {
                        Err(format!("`{key}` is longer than {MAX_STEP} bytes"))
                    }
                    Some(_) => Err(format!("`{key}` is not text")),
                }
            };
            let (input, expected) = (text("input")?, text("expected")?);
            if !input.is_empty() {
                if expected.is_empty() {
                    return Err("`expected` is empty for a row with an `input`".into());
                }
                if input.contains('\n') || expected.contains('\n') {
                    return Err("a row's `input` or `expected` spans lines".into());
                }
            }
            let row = !input.is_empty();
            Ok(ModelItem {
                name: name.clone(),
                derived_from: it
                    .get("derived_from")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
                kind: kind_of(it.get("kind").and_then(Value::as_str).unwrap_or("")),
                rationale: it
                    .get("rationale")
                    .and_then(Value::as_str)
                    .unwrap_or("Proposed by the model.")
                    .trim()
                    .to_string(),
                given: steps(it.get("given"), "given", false)?,
                when: steps(it.get("when"), "when", !row)?,
                then: steps(it.get("then"), "then", !row)?,
                input,
                expected,
            })
        })();
        match parsed {
            Ok(m) => out.push(m),
            Err(e) => dropped.push(format!("`{name}`: {e}")),
        }
    }
    if items.len() > MAX_ITEMS {
        dropped.push(format!(
            "{} items past the first {MAX_ITEMS} were not read",
            items.len() - MAX_ITEMS
        ));
    }
    if out.is_empty() {
        return Err(format!(
            "the model proposed no usable scenario ({})",
            dropped.join("; ")
        ));
    }
    Ok((out, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert!(parse_answer("").unwrap_err().contains("empty"));
        assert!(parse_answer("Sure! Here you go.")
            .unwrap_err()
            .contains("not the JSON"));
        assert!(parse_answer("{\"items\": []}")
            .unwrap_err()
            .contains("no `scenarios`"));
        assert!(parse_answer("{\"scenarios\": []}")
            .unwrap_err()
            .contains("no scenario"));
        let bad = r#"{"scenarios": [{"name": "x", "when": [], "then": ["y"]}]}"#;
        assert!(parse_answer(bad).unwrap_err().contains("`when` is empty"));
        let ok = "```json\n{\"scenarios\": [{\"name\": \"Pay twice\", \"derived_from\": \"pay\", \"kind\": \"idempotency\", \"rationale\": \"r\", \"given\": [], \"when\": \"I pay  twice\", \"then\": [\"one charge\"]}, {\"name\": \"\", \"when\": [\"a\"], \"then\": [\"b\"]}]}\n```";
        let (items, dropped) = parse_answer(ok).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].kind, EdgeKind::Idempotency);
        assert_eq!(items[0].when, vec!["I pay twice".to_string()]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(kind_of("something else"), EdgeKind::Model);
        // A row: `input` and `expected`, no steps needed; an input without an expected is not.
        let row = r#"{"scenarios": [{"name": "zero", "derived_from": "f/a", "kind": "boundary", "rationale": "r", "given": [], "when": [], "then": [], "input": "f(n=0)", "expected": "raises ValueError"}, {"name": "half", "input": "f(n=1)", "expected": ""}]}"#;
        let (items, dropped) = parse_answer(row).unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_row());
        assert_eq!(items[0].input, "f(n=0)");
        assert!(dropped[0].contains("`expected` is empty"), "{dropped:?}");
    }
}
