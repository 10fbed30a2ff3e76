//! The MCP tools and resources over the analysis core. Every tool has a JSON Schema for its
//! input and its output; arguments are checked before a tool runs and every failure is a tool
//! error (`isError: true`) with text that says what to do.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use specls_core::checks::check_workspace;
use specls_core::config::Config;
use specls_core::diag::Diagnostic;
use specls_core::edge_cases::{self, Target};
use specls_core::model::{Document, Scenario, Step};
use specls_core::span::{LineIndex, Span};
use specls_core::testlinks::link::ScenarioRef;
use specls_core::testlinks::status::ScenarioStatus;
use specls_core::workspace::{SourceFile, Workspace};

use super::schema;
use super::status::{self, TestState};

pub struct Server {
    pub root: PathBuf,
    pub allow_run: bool,
    pub initialized: bool,
}

/// A failure the agent should read: becomes `isError: true` with this text.
struct ToolError(String);

impl<T: Into<String>> From<T> for ToolError {
    fn from(s: T) -> ToolError {
        ToolError(s.into())
    }
}

type ToolResult = Result<Value, ToolError>;

fn obj_schema(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

fn diagnostic_schema() -> Value {
    json!({"type": "object", "properties": {
        "path": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"},
        "endLine": {"type": "integer"}, "endColumn": {"type": "integer"},
        "severity": {"type": "string", "enum": ["error", "warning", "information", "hint"]},
        "code": {"type": "string"}, "message": {"type": "string"},
        "related": {"type": "array", "items": {"type": "object"}}
    }, "required": ["path", "line", "column", "severity", "code", "message"]})
}

fn scenario_schema() -> Value {
    json!({"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "spec": {"type": "string"},
        "path": {"type": "string"}, "line": {"type": "integer"},
        "given": {"type": "array", "items": {"type": "string"}},
        "when": {"type": "array", "items": {"type": "string"}},
        "then": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "status": {"type": ["string", "null"]},
        "parent": {"type": ["string", "null"]},
        "testStatus": {"type": "string", "enum": ["untested", "not-run", "failing", "passing"]},
        "drifted": {"type": "boolean"},
        "failure": {"type": "string"}
    }, "required": ["id", "name", "spec", "path", "line", "given", "when", "then"]})
}

fn spec_summary_schema() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string"}, "path": {"type": "string"}, "kind": {"type": "string"},
        "type": {"type": ["string", "null"]}, "status": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "scenarios": {"type": "integer"}, "requirements": {"type": "integer"},
        "constraints": {"type": "integer"}, "dependencies": {"type": "array", "items": {"type": "string"}}
    }, "required": ["name", "path", "kind", "scenarios", "requirements", "constraints", "dependencies"]})
}

/// One read-only tool description.
fn tool(name: &str, title: &str, description: &str, input: Value, output: Value) -> Value {
    json!({
        "name": name, "title": title, "description": description,
        "inputSchema": input, "outputSchema": output,
        "annotations": {"readOnlyHint": true}
    })
}

fn string_list() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn spec_arg(what: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": format!("{what}: its name (as list_specs gives it) or its workspace-relative path.")})
}

fn changes_schema() -> Value {
    let item = obj_schema(
        json!({"id": {"type": "string"}, "name": {"type": "string"}, "line": {"type": "integer"}}),
        &["id", "name", "line"],
    );
    obj_schema(
        json!({"changed": {"type": "array", "items": item.clone()}, "added": {"type": "array", "items": item}, "removed": string_list()}),
        &["changed", "added", "removed"],
    )
}

fn proposal_schema() -> Value {
    obj_schema(
        json!({
            "name": {"type": "string"}, "id": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": specls_core::edge_cases::KIND_NAMES},
            "rationale": {"type": "string"}, "derivedFrom": {"type": "string"},
            "given": string_list(), "when": string_list(), "then": string_list(),
            "input": {"type": "string"}, "expected": {"type": "string"},
            "edit": obj_schema(json!({
                "path": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"},
                "newText": {"type": "string"}
            }), &["path", "line", "column", "newText"])
        }),
        &[
            "name",
            "kind",
            "rationale",
            "derivedFrom",
            "given",
            "when",
            "then",
            "edit",
        ],
    )
}

/// Scenario statuses an agent can filter on.
pub const STATUSES: &[&str] = &["untested", "failing", "passing", "drifted"];

/// The tools, with their schemas.
pub fn list() -> Vec<Value> {
    let scenarios = obj_schema(
        json!({"scenarios": {"type": "array", "items": scenario_schema()}}),
        &["scenarios"],
    );
    vec![
        tool(
            "list_specs",
            "List specs",
            "Every spec of the workspace (Markdown and YAML specs, arrangements, task blueprints) with its kind, type and counts of scenarios, requirements and constraints.",
            obj_schema(json!({
                "kind": {"type": "string", "enum": ["markdown-spec", "yaml-spec", "arrangement", "blueprint"], "description": "Only specs of this kind."}
            }), &[]),
            obj_schema(json!({"specs": {"type": "array", "items": spec_summary_schema()}}), &["specs"]),
        ),
        tool(
            "get_spec",
            "Get a spec's model",
            "The parsed model of one spec: scenarios with their Given/When/Then steps, requirements, constraints (with the parsed metric, percentile, bound and unit), dependencies, functions and example rows, each with its file and line.",
            obj_schema(json!({"spec": spec_arg("The spec")}), &["spec"]),
            json!({"type": "object", "properties": {
                "name": {"type": "string"}, "path": {"type": "string"}, "kind": {"type": "string"},
                "scenarios": {"type": "array", "items": scenario_schema()},
                "requirements": {"type": "array", "items": {"type": "object"}},
                "constraints": {"type": "array", "items": {"type": "object"}},
                "dependencies": {"type": "array", "items": {"type": "object"}},
                "functions": {"type": "array", "items": {"type": "object"}},
                "examples": {"type": "array", "items": {"type": "object"}},
                "diagnostics": {"type": "array", "items": diagnostic_schema()}
            }, "required": ["name", "path", "kind", "scenarios", "requirements", "constraints", "dependencies"]}),
        ),
        tool(
            "get_scenarios",
            "Find scenarios",
            "Scenarios of the workspace, optionally only those of one spec, with one tag and/or in one status: `untested` (no test is linked), `failing` (a linked test failed in the last run), `passing` (the linked tests passed in the last run), `drifted` (changed since the last compile).",
            obj_schema(json!({
                "spec": spec_arg("Only scenarios of this spec"),
                "tag": {"type": "string", "description": "Only scenarios with this tag (with or without a leading @)."},
                "status": {"type": "string", "enum": STATUSES, "description": "Only scenarios in this status."}
            }), &[]),
            scenarios,
        ),
        tool(
            "check",
            "Check specs",
            "Diagnostics (the same codes as `specls check`) for the whole workspace, one spec, or the specs under a path.",
            obj_schema(json!({
                "path": {"type": "string", "description": "A workspace-relative file or folder."},
                "spec": {"type": "string", "description": "A spec name."}
            }), &[]),
            obj_schema(json!({
                "diagnostics": {"type": "array", "items": diagnostic_schema()},
                "summary": obj_schema(json!({
                    "files": {"type": "integer"}, "errors": {"type": "integer"}, "warnings": {"type": "integer"},
                    "information": {"type": "integer"}, "hints": {"type": "integer"}
                }), &["files", "errors", "warnings", "information", "hints"])
            }), &["diagnostics", "summary"]),
        ),
        tool(
            "validate_scenario",
            "Validate a proposed scenario",
            "Check a scenario you are about to write against the workspace, before writing it: it is parsed as a YAML scenario item (`name`, `given`, `when`, `then`) or a Markdown `Scenario:` block, placed in the given spec, and checked for duplicates and conflicts with every existing scenario.",
            obj_schema(json!({
                "text": {"type": "string", "minLength": 1, "description": "The scenario, as YAML (a mapping with name/given/when/then, or a `scenarios:` list) or Markdown (`## Scenario: ...` with Given/When/Then lines)."},
                "spec": {"type": "string", "description": "The spec it would be added to (name or path); default: a new spec of its own."},
                "format": {"type": "string", "enum": ["yaml", "markdown"], "description": "Default: guessed from the text."}
            }), &["text"]),
            obj_schema(json!({
                "valid": {"type": "boolean"},
                "scenarios": {"type": "array", "items": scenario_schema()},
                "findings": {"type": "array", "items": diagnostic_schema()}
            }), &["valid", "scenarios", "findings"]),
        ),
        tool(
            "coverage",
            "Coverage of the specs",
            "What the specs leave uncovered: scenarios no test is linked to, scenarios whose tests failed in the last run (results under `.specls/results/`), and requirements that no scenario or example exercises.",
            obj_schema(json!({"spec": spec_arg("Only this spec")}), &[]),
            obj_schema(json!({
                "untested": {"type": "array", "items": scenario_schema()},
                "failing": {"type": "array", "items": scenario_schema()},
                "requirementsWithoutScenarios": {"type": "array", "items": obj_schema(json!({
                    "spec": {"type": "string"}, "path": {"type": "string"}, "id": {"type": "string"},
                    "text": {"type": "string"}, "line": {"type": "integer"}
                }), &["spec", "path", "id", "text", "line"])},
                "summary": obj_schema(json!({
                    "scenarios": {"type": "integer"}, "untested": {"type": "integer"}, "failing": {"type": "integer"},
                    "passing": {"type": "integer"}, "requirements": {"type": "integer"},
                    "requirementsWithoutScenarios": {"type": "integer"}, "resultsRead": {"type": "integer"}
                }), &["scenarios", "untested", "failing", "passing", "requirements", "requirementsWithoutScenarios", "resultsRead"])
            }), &["untested", "failing", "requirementsWithoutScenarios", "summary"]),
        ),
        tool(
            "drift",
            "Drift since the last compile",
            "What changed since each spec was last compiled (`.specls/manifest.json`, SpecSoloist build manifests): per spec whether it drifted or was never compiled, which scenarios and requirements changed, were added or removed, which dependencies changed, and which generated files were edited by hand or are missing.",
            obj_schema(json!({"spec": spec_arg("Only this spec")}), &[]),
            obj_schema(json!({
                "specs": {"type": "array", "items": obj_schema(json!({
                    "spec": {"type": "string"}, "path": {"type": "string"}, "drifted": {"type": "boolean"},
                    "neverCompiled": {"type": "boolean"}, "compiledAt": {"type": ["string", "null"]},
                    "specChanged": {"type": "boolean"},
                    "scenarios": changes_schema(), "requirements": changes_schema(),
                    "dependenciesAdded": string_list(), "dependenciesRemoved": string_list(),
                    "dependenciesChanged": string_list(), "editedFiles": string_list(), "missingFiles": string_list()
                }), &["spec", "path", "drifted", "neverCompiled", "specChanged", "scenarios", "requirements", "editedFiles", "missingFiles"])},
                "manifestProblems": string_list()
            }), &["specs", "manifestProblems"]),
        ),
        json!({
            "name": "run_tests",
            "title": "Run the tests of scenarios",
            "description": "Run the project's test command for some scenarios (by id), a spec, or everything, and return each scenario's outcome (passed, failed with the first failure line, skipped, not run, untested). Results are stored under `.specls/results/` as the editor's runs are. Off unless the user started the server with `specls mcp --allow-run`.",
            "inputSchema": obj_schema(json!({
                "scenarios": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Scenario ids (as get_spec gives them), spec files or folders."},
                "spec": spec_arg("Every scenario of this spec")
            }), &[]),
            "outputSchema": obj_schema(json!({
                "command": {"type": "string"}, "exit": {}, "durationMs": {"type": "integer"},
                "totals": {"type": "object"}, "reportErrors": string_list(),
                "scenarios": {"type": "array", "items": obj_schema(json!({
                    "path": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
                    "line": {"type": "integer"},
                    "outcome": {"type": "string", "enum": ["passed", "failed", "skipped", "not run", "untested"]},
                    "tests": {"type": "integer"}, "failed": {"type": "integer"}, "message": {"type": ["string", "null"]}
                }), &["path", "id", "name", "line", "outcome"])}
            }), &["command", "exit", "scenarios"]),
            "annotations": {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": true}
        }),
        tool(
            "propose_edge_cases",
            "Propose edge-case scenarios",
            "The deterministic edge-case generator: scenarios (or example rows) the spec probably forgot — boundaries of stated limits, empty/long/Unicode/injection text, not signed in, no permission, not found, done twice, two at once, the failure path, a constraint's stated load and just above it — each in the file's own format, placed after what it derives from, marked as proposed, and already checked to duplicate or conflict with nothing. Nothing is written: apply `edit` yourself (insert `newText` at `line`/`column`).",
            obj_schema(json!({
                "spec": spec_arg("The spec"),
                "scenario": {"type": "string", "minLength": 1, "description": "Only for this scenario (its id, as get_spec gives it)."},
                "requirement": {"type": "string", "minLength": 1, "description": "Only for the scenarios under this requirement."},
                "llm": {"type": "boolean", "description": "Also ask the model configured in [llm] of specls.toml for proposals (validated and checked the same way); an unusable answer is an error and nothing is proposed."}
            }), &["spec"]),
            obj_schema(json!({"spec": {"type": "string"}, "proposals": {"type": "array", "items": proposal_schema()}, "heldBack": {"type": "integer", "description": "Distinct ideas the cap of 6 per scenario held back (an upper bound): once these proposals are in the file, proposing again offers them."}, "note": {"type": "string"}}), &["spec", "proposals", "heldBack"]),
        ),
    ]
}

fn kind_name(doc: &Document) -> &'static str {
    match doc.kind {
        Some(specls_core::model::DocKind::MarkdownSpec) => "markdown-spec",
        Some(specls_core::model::DocKind::YamlSpec) => "yaml-spec",
        Some(specls_core::model::DocKind::Arrangement) => "arrangement",
        Some(specls_core::model::DocKind::Blueprint) => "blueprint",
        None => "unknown",
    }
}

fn line_of(idx: &LineIndex, offset: usize) -> u32 {
    idx.line_col(offset).line + 1
}

fn position(idx: &LineIndex, text: &str, span: Span) -> (u32, u32, u32, u32) {
    let col = |off: usize| {
        let lc = idx.line_col(off);
        let start = idx.line_start(lc.line as usize).unwrap_or(0);
        text.get(start..off.min(text.len()))
            .map(|s| s.chars().count() as u32 + 1)
            .unwrap_or(lc.col + 1)
    };
    let s = idx.line_col(span.start);
    let e = idx.line_col(span.end);
    (s.line + 1, col(span.start), e.line + 1, col(span.end))
}

fn diagnostic_json(path: &str, file: Option<&SourceFile>, d: &Diagnostic) -> Value {
    let (line, column, end_line, end_column) = match file {
        Some(f) => position(&LineIndex::new(&f.text), &f.text, d.span),
        None => (1, 1, 1, 1),
    };
    json!({
        "path": path, "line": line, "column": column, "endLine": end_line, "endColumn": end_column,
        "severity": d.severity.as_str(), "code": d.code, "message": d.message,
        "related": d.related.iter().map(|r| json!({"path": if r.path.is_empty() { path } else { &r.path }, "message": r.message})).collect::<Vec<_>>()
    })
}

fn steps(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|s| s.text.as_str()).collect()
}

fn scenario_json(doc: &Document, idx: &LineIndex, s: &Scenario) -> Value {
    json!({
        "id": s.id, "name": s.name, "spec": doc.name, "path": doc.path, "line": line_of(idx, s.span.start),
        "given": steps(&s.given), "when": steps(&s.when), "then": steps(&s.then),
        "tags": s.tags, "status": s.status, "parent": s.parent
    })
}

impl Server {
    pub fn new(root: PathBuf, allow_run: bool) -> Server {
        Server {
            root,
            allow_run,
            initialized: false,
        }
    }

    /// The workspace as it is on disk now, with the root's `specls.toml` (if any).
    fn workspace(&self) -> (Workspace, Config) {
        let config = std::fs::read(self.root.join(specls_core::config::CONFIG_FILE))
            .map(|b| Config::from_toml(&String::from_utf8_lossy(&b)).0)
            .unwrap_or_default();
        let (ws, errors) =
            crate::files::load_with(&self.root, std::slice::from_ref(&self.root), &config);
        for (path, e) in errors {
            tracing::warn!("cannot read {path}: {e}");
        }
        (ws, config)
    }

    /// Resolve a workspace-relative (or absolute) path; refuse anything outside the root.
    fn confine(&self, path: &str) -> Result<(PathBuf, String), ToolError> {
        let outside = || {
            ToolError(format!(
                "path `{path}` is outside the workspace `{}`; specls reads only inside its workspace",
                self.root.display()
            ))
        };
        // Lexically first (`..` that leaves the root is refused whether or not it exists),
        // then once more after links are resolved.
        let candidate = crate::files::absolute(&self.root, Path::new(path));
        if !candidate.starts_with(&self.root) {
            return Err(outside());
        }
        let resolved = candidate
            .canonicalize()
            .map_err(|e| ToolError(format!("path `{path}` cannot be opened: {e}")))?;
        if !resolved.starts_with(&self.root) {
            return Err(outside());
        }
        let rel = crate::files::rel_path(&self.root, &resolved);
        Ok((resolved, rel))
    }

    fn find_spec<'a>(
        &self,
        ws: &'a Workspace,
        spec: &str,
    ) -> Result<(&'a String, &'a SourceFile), ToolError> {
        if let Some((path, file)) = ws.files.iter().find(|(_, f)| f.doc.name == spec) {
            return Ok((path, file));
        }
        if spec.contains('/') || spec.contains('.') {
            let (_, rel) = self.confine(spec)?;
            if let Some((path, file)) = ws.files.get_key_value(&rel) {
                return Ok((path, file));
            }
        }
        let names: Vec<&str> = ws.docs().map(|d| d.name.as_str()).collect();
        Err(ToolError(format!(
            "no spec named `{spec}` in the workspace; specs: {}",
            names.join(", ")
        )))
    }

    /// Run a tool: the MCP `CallToolResult`.
    pub fn call(&mut self, name: &str, args: &Value) -> Value {
        let Some(tool) = list().into_iter().find(|t| t["name"] == name) else {
            let names: Vec<String> = list()
                .iter()
                .map(|t| t["name"].as_str().unwrap_or_default().to_string())
                .collect();
            return tool_error(format!(
                "unknown tool `{name}`; the tools are: {}",
                names.join(", ")
            ));
        };
        let args = if args.is_null() {
            json!({})
        } else {
            args.clone()
        };
        if let Err(e) = schema::validate(&tool["inputSchema"], &args) {
            return tool_error(format!("invalid arguments for `{name}`: {e}"));
        }
        let outcome = match name {
            "list_specs" => self.list_specs(&args),
            "get_spec" => self.get_spec(&args),
            "get_scenarios" => self.get_scenarios(&args),
            "check" => self.check(&args),
            "validate_scenario" => self.validate_scenario(&args),
            "coverage" => self.coverage(&args),
            "propose_edge_cases" => self.propose_edge_cases(&args),
            "drift" => self.drift(&args),
            "run_tests" => self.run_tests(&args),
            _ => Err(ToolError(format!("tool `{name}` is not available"))),
        };
        match outcome {
            Ok(value) => json!({
                "content": [{"type": "text", "text": serde_json::to_string_pretty(&value).unwrap_or_default()}],
                "structuredContent": value,
                "isError": false
            }),
            Err(ToolError(msg)) => tool_error(msg),
        }
    }

    fn list_specs(&self, args: &Value) -> ToolResult {
        let (ws, _) = self.workspace();
        let kind = args.get("kind").and_then(Value::as_str);
        let specs: Vec<Value> = ws
            .docs()
            .filter(|d| kind.is_none_or(|k| kind_name(d) == k))
            .map(|d| {
                json!({
                    "name": d.name, "path": d.path, "kind": kind_name(d), "type": d.spec_type,
                    "status": d.status, "description": d.description,
                    "scenarios": d.scenarios.len(), "requirements": d.requirements.len(),
                    "constraints": d.constraints.len(),
                    "dependencies": d.dependencies.iter().map(|x| x.name.clone()).collect::<Vec<_>>()
                })
            })
            .collect();
        Ok(json!({ "specs": specs }))
    }

    fn get_spec(&self, args: &Value) -> ToolResult {
        let (ws, _) = self.workspace();
        let (path, file) = self.find_spec(&ws, args["spec"].as_str().unwrap_or_default())?;
        let doc = &file.doc;
        let idx = LineIndex::new(&file.text);
        let line = |s: Span| line_of(&idx, s.start);
        Ok(json!({
            "name": doc.name, "path": path, "kind": kind_name(doc), "type": doc.spec_type,
            "status": doc.status, "version": doc.version, "description": doc.description, "tags": doc.tags,
            "scenarios": doc.scenarios.iter().map(|s| scenario_json(doc, &idx, s)).collect::<Vec<_>>(),
            "requirements": doc.requirements.iter().map(|r| json!({"id": r.id, "text": r.text, "line": line(r.span)})).collect::<Vec<_>>(),
            "constraints": doc.constraints.iter().map(|c| json!({
                "id": c.id, "name": c.name, "category": c.category, "text": c.text, "line": line(c.span),
                "measure": c.measure, "measurement": c.measurement, "verification": c.verification, "exception": c.exception
            })).collect::<Vec<_>>(),
            "dependencies": doc.dependencies.iter().map(|d| json!({"name": d.name, "from": d.from, "line": line(d.span)})).collect::<Vec<_>>(),
            "functions": doc.functions.iter().map(|f| json!({"name": f.name, "signature": f.signature, "line": line(f.span)})).collect::<Vec<_>>(),
            "examples": doc.examples.iter().map(|e| json!({"target": e.target, "name": e.name, "input": e.input, "expected": e.expected, "line": line(e.span)})).collect::<Vec<_>>(),
            "diagnostics": doc.diagnostics.iter().map(|d| diagnostic_json(path, Some(file), d)).collect::<Vec<_>>()
        }))
    }

    /// The scenario with its test status (and the failure's first line when it failed).
    fn scenario_with_status(
        doc: &Document,
        idx: &LineIndex,
        i: usize,
        tests: &TestState,
    ) -> (Value, Option<&'static str>) {
        let mut v = scenario_json(doc, idx, &doc.scenarios[i]);
        let key = ScenarioRef {
            path: doc.path.clone(),
            index: i,
        };
        let st = tests.statuses.get(&key);
        if let (Some(st), Value::Object(m)) = (st, &mut v) {
            m.insert("testStatus".into(), json!(status::word(st)));
            if let ScenarioStatus::Failed { message, .. } = st {
                m.insert("failure".into(), json!(message));
            }
        }
        (v, st.map(status::word))
    }

    fn get_scenarios(&self, args: &Value) -> ToolResult {
        let (ws, config) = self.workspace();
        let tag = args
            .get("tag")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches('@').to_string());
        let wanted = args.get("status").and_then(Value::as_str);
        let only: Option<String> = match args.get("spec").and_then(Value::as_str) {
            Some(s) => Some(self.find_spec(&ws, s)?.0.clone()),
            None => None,
        };
        let tests = status::compute(&self.root, &ws, &config);
        let drift = (wanted == Some("drifted")).then(|| self.drift_of(&ws).0);
        let mut out = Vec::new();
        for (path, file) in &ws.files {
            if only.as_ref().is_some_and(|o| o != path) {
                continue;
            }
            let idx = LineIndex::new(&file.text);
            let drifted: Vec<&str> = drift
                .as_ref()
                .and_then(|d| d.get(path))
                .map(|d| {
                    let c = &d.scenarios;
                    c.changed
                        .iter()
                        .chain(&c.added)
                        .map(|i| i.id.as_str())
                        .collect()
                })
                .unwrap_or_default();
            for (i, s) in file.doc.scenarios.iter().enumerate() {
                if drift.is_some() {
                    if drifted.contains(&s.id.as_str()) {
                        let mut v = Self::scenario_with_status(&file.doc, &idx, i, &tests).0;
                        v["drifted"] = json!(true);
                        out.push(v);
                    }
                    continue;
                }
                if tag
                    .as_ref()
                    .is_some_and(|t| !s.tags.iter().any(|x| x.trim_start_matches('@') == t))
                {
                    continue;
                }
                let (v, st) = Self::scenario_with_status(&file.doc, &idx, i, &tests);
                if wanted.is_some_and(|w| st != Some(w)) {
                    continue;
                }
                out.push(v);
            }
        }
        Ok(json!({ "scenarios": out }))
    }

    /// Drift of the workspace since the last compile, and the manifest problems met.
    fn drift_of(&self, ws: &Workspace) -> (specls_core::drift::Drift, Vec<String>) {
        let loaded = crate::drift::load_manifest(&self.root, ws);
        let hashes = crate::drift::hash_outputs(&self.root, &loaded.manifest);
        let problems = loaded.problems.iter().map(|p| p.to_string()).collect();
        (
            specls_core::drift::drift(ws, &loaded.manifest, &hashes),
            problems,
        )
    }

    fn drift(&self, args: &Value) -> ToolResult {
        let (ws, _) = self.workspace();
        let only: Option<String> = match args.get("spec").and_then(Value::as_str) {
            Some(s) => Some(self.find_spec(&ws, s)?.0.clone()),
            None => None,
        };
        let (drift, problems) = self.drift_of(&ws);
        let item = |file: &SourceFile, i: &specls_core::drift::Item| {
            let idx = LineIndex::new(&file.text);
            json!({"id": i.id, "name": i.name, "line": line_of(&idx, i.span.start)})
        };
        let changes = |file: &SourceFile, c: &specls_core::drift::Changes| {
            json!({
                "changed": c.changed.iter().map(|i| item(file, i)).collect::<Vec<_>>(),
                "added": c.added.iter().map(|i| item(file, i)).collect::<Vec<_>>(),
                "removed": c.removed
            })
        };
        let specs: Vec<Value> = drift
            .specs
            .iter()
            .filter(|d| only.as_ref().is_none_or(|o| *o == d.path))
            .filter_map(|d| {
                let file = ws.get(&d.path)?;
                Some(json!({
                    "spec": d.name, "path": d.path, "drifted": d.drifted,
                    "neverCompiled": d.never_compiled, "compiledAt": d.compiled_at,
                    "specChanged": d.spec_changed,
                    "scenarios": changes(file, &d.scenarios),
                    "requirements": changes(file, &d.requirements),
                    "dependenciesAdded": d.dependencies_added,
                    "dependenciesRemoved": d.dependencies_removed,
                    "dependenciesChanged": d.dependencies_changed,
                    "editedFiles": d.edited_files, "missingFiles": d.missing_files
                }))
            })
            .collect();
        Ok(json!({ "specs": specs, "manifestProblems": problems }))
    }

    fn run_tests(&self, args: &Value) -> ToolResult {
        use crate::testrun;
        if !self.allow_run {
            return Err(ToolError(
                "running tests is off: the user must start the server with `specls mcp --allow-run` (in the agent's MCP configuration: args [\"mcp\", \"--allow-run\"]) to let an agent run the project's test command".into(),
            ));
        }
        let mut wanted: Vec<String> = args
            .get("scenarios")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let (project, _, _) = testrun::load_project(&self.root);
        if let Some(spec) = args.get("spec").and_then(Value::as_str) {
            wanted.push(self.find_spec(&project.ws, spec)?.0.clone());
        }
        let selection = testrun::select(&project, &self.root, &wanted)
            .map_err(|problems| ToolError(problems.join("; ")))?;
        let plan = testrun::plan_run(&project, &selection).map_err(|e| ToolError(e.to_string()))?;
        let options = testrun::RunOptions::from_config(&project.config);
        let cancel = testrun::process::CancelToken::new();
        let report = testrun::run(&project, &plan, &options, &cancel, &mut |_| {})
            .map_err(|e| ToolError(e.to_string()))?;
        let last = &report.last;
        let scenarios: Vec<Value> = last
            .own_results()
            .map(|s| {
                json!({
                    "path": s.path, "id": s.id, "name": s.name, "line": s.line,
                    "outcome": s.outcome.as_str(), "tests": s.tests, "failed": s.failed,
                    "message": s.message
                })
            })
            .collect();
        Ok(json!({
            "command": plan.display(), "exit": last.exit, "durationMs": last.duration_ms,
            "totals": last.totals, "reportErrors": last.report_errors, "scenarios": scenarios
        }))
    }

    fn coverage(&self, args: &Value) -> ToolResult {
        let (ws, config) = self.workspace();
        let only: Option<String> = match args.get("spec").and_then(Value::as_str) {
            Some(s) => Some(self.find_spec(&ws, s)?.0.clone()),
            None => None,
        };
        let tests = status::compute(&self.root, &ws, &config);
        let findings = check_workspace(&ws, &config);
        let (mut untested, mut failing, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        let (mut scenarios, mut passing, mut requirements) = (0, 0, 0);
        for (path, file) in &ws.files {
            if only.as_ref().is_some_and(|o| o != path) {
                continue;
            }
            let doc = &file.doc;
            let idx = LineIndex::new(&file.text);
            for i in 0..doc.scenarios.len() {
                scenarios += 1;
                let (v, st) = Self::scenario_with_status(doc, &idx, i, &tests);
                match st {
                    Some("untested") => untested.push(v),
                    Some("failing") => failing.push(v),
                    Some("passing") => passing += 1,
                    _ => {}
                }
            }
            requirements += doc.requirements.len();
            let unexercised = findings
                .get(path)
                .into_iter()
                .flatten()
                .filter(|d| d.code == "requirement-without-scenario");
            for d in unexercised {
                let Some(r) = doc
                    .requirements
                    .iter()
                    .find(|r| r.span.start <= d.span.start && d.span.start <= r.span.end)
                else {
                    continue;
                };
                missing.push(json!({
                    "spec": doc.name, "path": path, "id": r.id, "text": r.text,
                    "line": line_of(&idx, r.span.start)
                }));
            }
        }
        let summary = json!({
            "scenarios": scenarios, "untested": untested.len(), "failing": failing.len(),
            "passing": passing, "requirements": requirements,
            "requirementsWithoutScenarios": missing.len(), "resultsRead": tests.results_read
        });
        Ok(json!({
            "untested": untested, "failing": failing,
            "requirementsWithoutScenarios": missing, "summary": summary
        }))
    }

    fn propose_edge_cases(&self, args: &Value) -> ToolResult {
        let (ws, config) = self.workspace();
        let (path, file) = self.find_spec(&ws, args["spec"].as_str().unwrap_or_default())?;
        let doc = &file.doc;
        let target = match (
            args.get("scenario").and_then(Value::as_str),
            args.get("requirement").and_then(Value::as_str),
        ) {
            (Some(_), Some(_)) => {
                return Err(ToolError(
                    "give either `scenario` or `requirement`, not both".into(),
                ))
            }
            (Some(id), None) => {
                if !doc.scenarios.iter().any(|s| s.id == id) {
                    let ids: Vec<&str> = doc.scenarios.iter().map(|s| s.id.as_str()).collect();
                    return Err(ToolError(format!(
                        "no scenario `{id}` in {path}; its scenarios: {}",
                        ids.join(", ")
                    )));
                }
                Target::Scenario(id.to_string())
            }
            (None, Some(r)) => {
                if !doc.requirements.iter().any(|x| x.id == r) {
                    let ids: Vec<&str> = doc.requirements.iter().map(|x| x.id.as_str()).collect();
                    return Err(ToolError(format!(
                        "no requirement `{r}` in {path}; its requirements: {}",
                        ids.join(", ")
                    )));
                }
                Target::Requirement(r.to_string())
            }
            (None, None) => Target::Spec,
        };
        let idx = LineIndex::new(&file.text);
        let counted = edge_cases::propose_counted(&ws, path, target.clone());
        let note = counted.cap_note();
        let held_back = counted.held_back;
        let mut all = counted.proposals;
        if args.get("llm").and_then(Value::as_bool) == Some(true) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ToolError(format!("cannot start the runtime: {e}")))?;
            let m = rt
                .block_on(crate::edge_cases::ask_model(
                    &self.root,
                    &ws,
                    &config,
                    path,
                    &target,
                    &all,
                    &crate::compile::Cancel::new(),
                    &mut |_| {},
                ))
                .map_err(ToolError)?;
            all.extend(m.proposals);
        }
        let proposals: Vec<Value> = all
            .into_iter()
            .map(|p| {
                let (line, column, _, _) = position(&idx, &file.text, p.edit.span);
                let mut v = json!({
                    "name": p.name, "id": p.id, "kind": p.kind, "rationale": p.rationale,
                    "derivedFrom": p.derived_from, "given": p.given, "when": p.when, "then": p.then,
                    "edit": {"path": path, "line": line, "column": column, "newText": p.edit.new_text}
                });
                if let (Some(i), Some(e)) = (p.input, p.expected) {
                    v["input"] = json!(i);
                    v["expected"] = json!(e);
                }
                v
            })
            .collect();
        let mut out = json!({ "spec": path, "proposals": proposals, "heldBack": held_back });
        if let Some(n) = note {
            out["note"] = json!(n);
        }
        Ok(out)
    }

    fn summarize(files: usize, diags: &[Value]) -> Value {
        let count = |s: &str| diags.iter().filter(|d| d["severity"] == s).count();
        json!({"files": files, "errors": count("error"), "warnings": count("warning"), "information": count("information"), "hints": count("hint")})
    }

    fn check(&self, args: &Value) -> ToolResult {
        let (ws, config) = self.workspace();
        let mut all = check_workspace(&ws, &config);
        for (path, diags) in status::compute(&self.root, &ws, &config).diagnostics(&ws, &config) {
            all.entry(path).or_default().extend(diags);
        }
        let selected: Vec<&String> = match (
            args.get("path").and_then(Value::as_str),
            args.get("spec").and_then(Value::as_str),
        ) {
            (Some(p), _) => {
                let (resolved, rel) = self.confine(p)?;
                let prefix = if resolved.is_dir() && !rel.is_empty() {
                    format!("{rel}/")
                } else {
                    rel.clone()
                };
                ws.files
                    .keys()
                    .filter(|k| rel.is_empty() || **k == rel || k.starts_with(&prefix))
                    .collect()
            }
            (None, Some(s)) => vec![self.find_spec(&ws, s)?.0],
            (None, None) => ws.files.keys().collect(),
        };
        let mut diags = Vec::new();
        for path in &selected {
            for d in all.get(*path).map(Vec::as_slice).unwrap_or_default() {
                diags.push(diagnostic_json(path, ws.get(path), d));
            }
        }
        let summary = Self::summarize(selected.len(), &diags);
        Ok(json!({ "diagnostics": diags, "summary": summary }))
    }

    fn validate_scenario(&self, args: &Value) -> ToolResult {
        let (mut ws, config) = self.workspace();
        let text = args["text"].as_str().unwrap_or_default();
        let markdown = match args.get("format").and_then(Value::as_str) {
            Some(f) => f == "markdown",
            None => text
                .lines()
                .any(|l| l.trim_start().starts_with('#') && l.contains("Scenario")),
        };
        let (spec_name, dir) = match args.get("spec").and_then(Value::as_str) {
            Some(s) => {
                let (path, file) = self.find_spec(&ws, s)?;
                (
                    file.doc.name.clone(),
                    path.rsplit_once('/')
                        .map(|(d, _)| d.to_string())
                        .unwrap_or_default(),
                )
            }
            None => ("proposed".to_string(), String::new()),
        };
        let (candidate_path, source) = if markdown {
            let mut body = format!("---\nname: {spec_name}\n---\n\n");
            body.push_str(text);
            (
                format!(
                    "{}{}.proposed.spec.md",
                    if dir.is_empty() { "" } else { "/" },
                    spec_name
                ),
                body,
            )
        } else {
            let trimmed = text.trim_start();
            let items = if trimmed.starts_with("scenarios:") {
                trimmed.to_string()
            } else if trimmed.starts_with("- ") {
                format!("scenarios:\n{text}")
            } else {
                let indented: Vec<String> = text
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        if i == 0 {
                            format!("  - {l}")
                        } else {
                            format!("    {l}")
                        }
                    })
                    .collect();
                format!("scenarios:\n{}\n", indented.join("\n"))
            };
            (
                format!(
                    "{}{}.proposed.spec.yaml",
                    if dir.is_empty() { "" } else { "/" },
                    spec_name
                ),
                format!("feature: {spec_name}\n{items}"),
            )
        };
        let candidate_path = format!("{dir}{candidate_path}")
            .trim_start_matches('/')
            .to_string();
        let kind = if markdown {
            specls_core::model::DocKind::MarkdownSpec
        } else {
            specls_core::model::DocKind::YamlSpec
        };
        ws.upsert(&candidate_path, &source, kind);
        let file = ws
            .get(&candidate_path)
            .cloned()
            .ok_or("the scenario could not be placed in the workspace")?;
        if file.doc.scenarios.is_empty() {
            let why: Vec<String> = file
                .doc
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect();
            return Err(ToolError(format!(
                "no scenario found in the text; write a {} scenario{}",
                if markdown {
                    "Markdown `## Scenario: <name>` block with Given/When/Then lines"
                } else {
                    "YAML mapping with `name`, `given`, `when` and `then`"
                },
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                }
            )));
        }
        let all = check_workspace(&ws, &config);
        let mut findings = Vec::new();
        // Findings on the proposed scenario, and findings elsewhere that point at it (a
        // duplicate or conflict may be reported on the existing scenario).
        for (path, diags) in &all {
            for d in diags {
                let involves =
                    path == &candidate_path || d.related.iter().any(|r| r.path == candidate_path);
                if !involves {
                    continue;
                }
                let mut v = diagnostic_json(path, ws.get(path), d);
                if let Value::Object(m) = &mut v {
                    if path == &candidate_path {
                        m.insert("path".into(), json!("<proposed>"));
                    }
                    if let Some(Value::Array(related)) = m.get_mut("related") {
                        for r in related {
                            if r["path"] == candidate_path.as_str() {
                                r["path"] = json!("<proposed>");
                            }
                        }
                    }
                }
                findings.push(v);
            }
        }
        let idx = LineIndex::new(&file.text);
        let scenarios: Vec<Value> = file
            .doc
            .scenarios
            .iter()
            .map(|s| {
                let mut v = scenario_json(&file.doc, &idx, s);
                if let Value::Object(m) = &mut v {
                    m.insert("path".into(), json!("<proposed>"));
                }
                v
            })
            .collect();
        let valid = !findings
            .iter()
            .any(|f| f["severity"] == "error" || f["severity"] == "warning");
        Ok(json!({ "valid": valid, "scenarios": scenarios, "findings": findings }))
    }

    /// Every spec file as a resource: `specls:///<workspace-relative path>`.
    pub fn resources(&self) -> Vec<Value> {
        let (ws, _) = self.workspace();
        ws.files
            .iter()
            .map(|(path, f)| {
                json!({
                    "uri": format!("specls:///{path}"),
                    "name": f.doc.name,
                    "title": format!("{} ({})", f.doc.name, path),
                    "description": format!("{} with {} scenarios; its parsed model as JSON is the second content item", kind_name(&f.doc), f.doc.scenarios.len()),
                    "mimeType": mime(path)
                })
            })
            .collect()
    }

    pub fn read_resource(&self, uri: &str) -> Result<Value, String> {
        let rel = uri
            .strip_prefix("specls:///")
            .ok_or_else(|| format!("unknown resource `{uri}`: specls resources are `specls:///<path>` (see resources/list)"))?;
        let (_, rel) = self.confine(rel).map_err(|e| e.0)?;
        let (ws, _) = self.workspace();
        let file = ws
            .get(&rel)
            .ok_or_else(|| format!("`{rel}` is not a spec of this workspace"))?;
        let model = serde_json::to_string_pretty(file.doc.as_ref()).unwrap_or_default();
        Ok(json!({"contents": [
            {"uri": uri, "mimeType": mime(&rel), "text": file.text.as_ref()},
            {"uri": format!("{uri}#model"), "mimeType": "application/json", "text": model}
        ]}))
    }
}

fn mime(path: &str) -> &'static str {
    if path.ends_with(".md") || path.ends_with(".markdown") {
        "text/markdown"
    } else {
        "application/yaml"
    }
}

fn tool_error(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}
