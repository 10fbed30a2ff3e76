//! The prompt that asks a model to compile a spec: the spec's full text, the arrangement
//! (language, constraints, build commands), the interfaces of the specs it depends on, and the
//! files to produce, with the answer format ([`super::answer`]) spelled out.

use crate::model::{Arrangement, Document};

use super::targets::Targets;

/// Longest interface of one dependency put in a prompt (the rest is cut with a note).
pub const MAX_INTERFACE_CHARS: usize = 6_000;
/// Longest part of a malformed answer quoted back to the model when asking again.
pub const MAX_QUOTED_ANSWER_CHARS: usize = 4_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// A conversation for a chat model: a system text and alternating messages, starting with the
/// user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Prompt {
    pub system: String,
    pub messages: Vec<Message>,
}

/// One spec the compiled spec depends on.
pub struct Dependency<'a> {
    pub doc: &'a Document,
    pub text: &'a str,
}

pub struct Input<'a> {
    pub spec: &'a Document,
    pub spec_text: &'a str,
    pub arrangement: &'a Arrangement,
    pub targets: &'a Targets,
    pub dependencies: Vec<Dependency<'a>>,
}

const SYSTEM: &str = "You are a careful software engineer. You turn a specification into source code and tests. \
Answer only with files. Write every file as one fenced code block whose opening line is three backticks, \
the language and `path=` followed by the file's path, for example:\n\n\
```python path=src/example.py\n\
def example() -> int:\n    return 1\n\
```\n\n\
Give each file once, complete, and close every block with three backticks. Write only the files listed as targets \
(or new files inside their folders). Do not explain.";

fn cut(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// What other code may rely on in a spec: its description, functions, schema blocks,
/// requirements and scenario names; at most [`MAX_INTERFACE_CHARS`].
pub fn interface(doc: &Document, text: &str) -> String {
    let mut s = format!("### {} ({})\n", doc.name, doc.path);
    if let Some(d) = &doc.description {
        s.push_str(d.trim());
        s.push('\n');
    }
    if !doc.functions.is_empty() {
        s.push_str("Functions:\n");
        for f in &doc.functions {
            let sig = if f.signature.is_empty() {
                &f.name
            } else {
                &f.signature
            };
            s.push_str(&format!("- `{sig}`\n"));
        }
    }
    for b in &doc.blocks {
        let info = b.info.to_ascii_lowercase();
        if info.contains("schema")
            || info.contains("functions")
            || info.contains("types")
            || info.contains("interface")
        {
            let body = b.content_span.slice(text);
            s.push_str(&format!("```{}\n{}", b.info, body));
            if !body.ends_with('\n') {
                s.push('\n');
            }
            s.push_str("```\n");
        }
    }
    if !doc.requirements.is_empty() {
        s.push_str("Requirements:\n");
        for r in &doc.requirements {
            s.push_str(&format!("- {}: {}\n", r.id, r.text.trim()));
        }
    }
    if !doc.scenarios.is_empty() {
        s.push_str("Scenarios:\n");
        for sc in &doc.scenarios {
            s.push_str(&format!("- {}\n", sc.name));
        }
    }
    let (head, was_cut) = cut(&s, MAX_INTERFACE_CHARS);
    let mut out = head.to_string();
    if was_cut {
        out.push_str("\n[... interface cut here ...]\n");
    }
    out
}

/// The prompt for a first attempt.
pub fn build(input: &Input<'_>) -> Prompt {
    let a = input.arrangement;
    let mut u = String::new();
    u.push_str(&format!(
        "Compile the specification `{}` ({}) into code.\n\n",
        input.spec.name, input.spec.path
    ));
    u.push_str("## Arrangement\n");
    if let Some(lang) = &a.target_language {
        u.push_str(&format!("Language: {lang}\n"));
    }
    if !a.constraints.is_empty() {
        u.push_str("Constraints:\n");
        for c in &a.constraints {
            u.push_str(&format!("- {}\n", c.value));
        }
    }
    if !a.build_commands.is_empty() {
        u.push_str("Build commands (the code must pass them):\n");
        for c in &a.build_commands {
            u.push_str(&format!("- {}: `{}`\n", c.key, c.value));
        }
    }
    if !a.tools.is_empty() {
        let tools: Vec<&str> = a.tools.iter().map(|t| t.value.as_str()).collect();
        u.push_str(&format!("Tools available: {}\n", tools.join(", ")));
    }
    u.push_str("\n## Target files\n");
    for (path, key) in &input.targets.files {
        u.push_str(&format!("- {path} ({key})\n"));
    }
    if !input.targets.folders.is_empty() {
        let f: Vec<String> = input
            .targets
            .folders
            .iter()
            .map(|f| format!("{f}/"))
            .collect();
        u.push_str(&format!("New files may also go in: {}\n", f.join(", ")));
    }
    if !input.dependencies.is_empty() {
        u.push_str(
            "\n## Interfaces of the specs it depends on (already compiled; use, do not rewrite)\n",
        );
        for d in &input.dependencies {
            u.push_str(&interface(d.doc, d.text));
        }
    }
    u.push_str(&format!("\n## Specification ({})\n", input.spec.path));
    // A fence longer than any backtick run inside, so the spec cannot close it.
    let longest = longest_backtick_run(input.spec_text);
    let fence = "`".repeat(longest.max(2) + 1);
    u.push_str(&format!("{fence}\n{}", input.spec_text));
    if !input.spec_text.ends_with('\n') {
        u.push('\n');
    }
    u.push_str(&format!("{fence}\n\n"));
    u.push_str("Answer with the target files only, each as a fenced block: ```<language> path=<file path>\n");
    Prompt {
        system: SYSTEM.to_string(),
        messages: vec![Message {
            role: Role::User,
            content: u,
        }],
    }
}

fn longest_backtick_run(s: &str) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c == '`' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

impl Prompt {
    /// The conversation for another attempt after a malformed or refused answer: the answer
    /// (cut) and what was wrong with it.
    pub fn with_feedback(&self, answer: &str, error: &str) -> Prompt {
        let (quoted, was_cut) = cut(answer, MAX_QUOTED_ANSWER_CHARS);
        let mut content = quoted.to_string();
        if was_cut {
            content.push_str("\n[...]");
        }
        if content.trim().is_empty() {
            content = "(empty answer)".into();
        }
        let mut p = self.clone();
        p.messages.push(Message {
            role: Role::Assistant,
            content,
        });
        p.messages.push(Message {
            role: Role::User,
            content: format!(
                "Your answer could not be used: {error}. Answer again with every target file as a fenced block opened with ```<language> path=<file path> and closed with ```."
            ),
        });
        p
    }

    /// The whole conversation as one text (for agent CLIs, which take a prompt file).
    pub fn to_text(&self) -> String {
        let mut s = self.system.clone();
        for m in &self.messages {
            s.push_str("\n\n");
            if m.role == Role::Assistant {
                s.push_str("(your previous answer)\n");
            }
            s.push_str(&m.content);
        }
        s
    }

    /// Total characters (for logs and progress).
    pub fn len(&self) -> usize {
        self.system.len() + self.messages.iter().map(|m| m.content.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::targets;
    use crate::model::DocKind;
    use crate::workspace::Workspace;

    #[test]
    fn prompt_holds_spec_arrangement_dependencies_and_targets() {
        let mut ws = Workspace::new();
        ws.upsert(
            "arrangement.yaml",
            "target_language: python\noutput_paths:\n  implementation: src/{name}.py\n  tests: tests/test_{name}.py\nbuild_commands:\n  compile: python -m compileall src\nconstraints:\n  - Standard library only\n",
            DocKind::Arrangement,
        );
        ws.upsert(
            "store.spec.md",
            "---\nname: store\ndescription: Keeps items.\n---\n# Store\n\n## `put(key: str, value: str) -> None`\n\nStores a value.\n",
            DocKind::MarkdownSpec,
        );
        let spec_text = "---\nname: cache\ndependencies:\n  - store\n---\n# Cache\n\n```\nnested ``` fence\n```\n";
        ws.upsert("cache.spec.md", spec_text, DocKind::MarkdownSpec);
        let (ap, af) = targets::arrangement_for(&ws, "cache.spec.md").unwrap();
        let arr = af.doc.arrangement.clone().unwrap();
        let spec = ws.get("cache.spec.md").unwrap();
        let t = targets::targets(ap, &arr, &spec.doc).unwrap();
        let store = ws.get("store.spec.md").unwrap();
        let p = build(&Input {
            spec: &spec.doc,
            spec_text,
            arrangement: &arr,
            targets: &t,
            dependencies: vec![Dependency {
                doc: &store.doc,
                text: &store.text,
            }],
        });
        insta::assert_snapshot!(p.messages[0].content);
        assert!(p.system.contains("path="));
        let again = p.with_feedback("garbage", "no blocks");
        assert_eq!(again.messages.len(), 3);
        assert_eq!(again.messages[1].content, "garbage");
        assert!(again.messages[2].content.contains("no blocks"));
        assert!(again.to_text().contains("(your previous answer)\ngarbage"));
    }

    #[test]
    fn long_interfaces_are_cut_on_a_char_boundary() {
        let doc = Document {
            name: "big".into(),
            path: "big.spec.md".into(),
            description: Some("é".repeat(MAX_INTERFACE_CHARS)),
            ..Default::default()
        };
        let i = interface(&doc, "");
        assert!(i.ends_with("[... interface cut here ...]\n"));
        assert!(i.len() < MAX_INTERFACE_CHARS + 100);
    }
}
