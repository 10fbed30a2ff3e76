//! `specls/scenarios` (every scenario of the workspace or of one spec, with its test status and
//! drift: what an editor's test explorer lists) and the `specls.workspaceHealth` command (the
//! counts an editor's status bar shows).
//!
//! Both are pure functions of a snapshot: the per-scenario status (passed with duration, failed
//! with message and the failing test, skipped, not run, untested) comes from the test view
//! (links and the last run's results); a scenario is drifted when a diagnostic of the `drift`
//! area lies on it. Without a test view, the status is read from the `scenario-failed` and
//! `scenario-untested` diagnostics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::{self as lsp, Uri};

use specls_core::diag::{self, Diagnostic};
use specls_core::model::DocKind;
use specls_core::testlinks::status::ScenarioStatus;
use specls_core::workspace::Workspace;
use specls_core::Span;

use crate::lsp::diagnostics::Lines;
use crate::lsp::server::{blocking, Backend};
use crate::lsp::state::Snapshot;
use crate::lsp::testing::TestView;

/// The custom request an editor sends for the scenario list.
pub const METHOD: &str = "specls/scenarios";

/// What the last run says about a scenario, as far as the server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Passed,
    Failed,
    Skipped,
    /// Tests are linked but have no result.
    NotRun,
    Untested,
    /// Linked or not, nothing is known about a run.
    Unknown,
}

/// One scenario's status, in byte spans (converted at the edge).
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub state: State,
    pub message: Option<String>,
    pub duration_ms: Option<f64>,
    /// Linked tests.
    pub tests: Option<usize>,
    /// Where the failure is (a test), as (document key, span).
    pub location: Option<(String, Span)>,
}

/// One scenario of a spec.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioInfo {
    pub id: String,
    pub name: String,
    pub index: usize,
    pub span: Span,
    pub name_span: Span,
    pub tags: Vec<String>,
    pub status: Status,
    /// The drift diagnostics on it (empty: in step with the last compile, or never compiled).
    pub drift: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SpecInfo {
    pub key: String,
    pub name: String,
    pub scenarios: Vec<ScenarioInfo>,
}

fn inside(outer: Span, inner: Span) -> bool {
    inner.start >= outer.start && inner.start <= outer.end
}

fn is_drift(code: &str) -> bool {
    diag::code_info(code).is_some_and(|c| c.area == "drift")
}

/// The status of the scenario spanning `span`, from the diagnostics of its file.
fn status_from_diagnostics(span: Span, diags: &[Diagnostic]) -> Status {
    let on = |code: &str| {
        diags
            .iter()
            .find(|d| d.code == code && inside(span, d.span))
    };
    if let Some(d) = on("scenario-failed") {
        let location = d
            .related
            .first()
            .filter(|r| !r.path.is_empty())
            .map(|r| (r.path.clone(), r.span));
        return Status {
            state: State::Failed,
            message: Some(d.message.clone()),
            duration_ms: None,
            tests: None,
            location,
        };
    }
    let state = if on("scenario-untested").is_some() {
        State::Untested
    } else {
        State::Unknown
    };
    Status {
        state,
        message: None,
        duration_ms: None,
        tests: None,
        location: None,
    }
}

/// The status the test view gives a scenario.
fn status_from_view(s: &ScenarioStatus) -> Status {
    let plain = |state, tests| Status {
        state,
        message: None,
        duration_ms: None,
        tests,
        location: None,
    };
    match s {
        ScenarioStatus::Untested => plain(State::Untested, Some(0)),
        ScenarioStatus::NotRun { tests } => plain(State::NotRun, Some(*tests)),
        ScenarioStatus::Skipped { tests } => plain(State::Skipped, Some(*tests)),
        ScenarioStatus::Passed {
            tests, duration_ms, ..
        } => Status {
            duration_ms: *duration_ms,
            ..plain(State::Passed, Some(*tests))
        },
        ScenarioStatus::Failed {
            tests,
            message,
            location,
            ..
        } => Status {
            message: Some(message.clone()),
            location: location.as_ref().map(|l| (l.path.clone(), l.selection)),
            ..plain(State::Failed, Some(*tests))
        },
    }
}

/// Every spec with scenarios (or only `only`, a document key), in path order.
pub fn scenarios(
    ws: &Workspace,
    diags: &BTreeMap<String, std::sync::Arc<Vec<Diagnostic>>>,
    view: Option<&TestView>,
    only: Option<&str>,
) -> Vec<SpecInfo> {
    let none = std::sync::Arc::new(Vec::new());
    ws.files
        .iter()
        .filter(|(key, _)| only.is_none_or(|o| o == key.as_str()))
        .filter(|(_, f)| {
            !f.doc.scenarios.is_empty() && !matches!(f.doc.kind, Some(DocKind::Arrangement) | None)
        })
        .map(|(key, f)| {
            let file_diags = diags.get(key).unwrap_or(&none);
            SpecInfo {
                key: key.clone(),
                name: f.doc.name.clone(),
                scenarios: f
                    .doc
                    .scenarios
                    .iter()
                    .enumerate()
                    .map(|(index, s)| ScenarioInfo {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        index,
                        span: s.span,
                        name_span: s.name_span,
                        tags: s.tags.clone(),
                        status: match view.and_then(|v| v.status(key, index)) {
                            Some(st) => status_from_view(st),
                            None => status_from_diagnostics(s.span, file_diags),
                        },
                        drift: file_diags
                            .iter()
                            .filter(|d| is_drift(d.code) && inside(s.span, d.span))
                            .map(|d| d.message.clone())
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The workspace's health: what a status bar shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub specs: usize,
    pub scenarios: usize,
    pub passing: usize,
    pub failing: usize,
    pub untested: usize,
    /// Linked to tests without a result (not run, skipped, or unknown).
    pub not_run: usize,
    pub drifted: usize,
    /// Errors and warnings over every spec (all codes).
    pub errors: usize,
    pub warnings: usize,
}

pub fn health(
    ws: &Workspace,
    diags: &BTreeMap<String, std::sync::Arc<Vec<Diagnostic>>>,
    view: Option<&TestView>,
) -> Health {
    let mut h = Health {
        specs: ws
            .docs()
            .filter(|d| !matches!(d.kind, Some(DocKind::Arrangement) | None))
            .count(),
        ..Health::default()
    };
    for spec in scenarios(ws, diags, view, None) {
        for s in &spec.scenarios {
            h.scenarios += 1;
            match s.status.state {
                State::Passed => h.passing += 1,
                State::Failed => h.failing += 1,
                State::Untested => h.untested += 1,
                State::NotRun | State::Skipped | State::Unknown => h.not_run += 1,
            }
            if !s.drift.is_empty() {
                h.drifted += 1;
            }
        }
    }
    for d in diags.values().flat_map(|v| v.iter()) {
        match d.severity {
            diag::Severity::Error => h.errors += 1,
            diag::Severity::Warning => h.warnings += 1,
            _ => {}
        }
    }
    h
}

/// Parameters of `specls/scenarios`: one spec, or the whole workspace.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenariosParams {
    #[serde(default)]
    pub uri: Option<Uri>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioJson {
    pub id: String,
    pub name: String,
    pub index: usize,
    pub range: lsp::Range,
    pub selection_range: lsp::Range,
    pub tags: Vec<String>,
    pub status: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<lsp::Location>,
    pub drift: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecJson {
    pub uri: Uri,
    pub name: String,
    pub scenarios: Vec<ScenarioJson>,
}

#[derive(Debug, Serialize)]
pub struct ScenariosResult {
    pub specs: Vec<SpecJson>,
}

fn to_proto(snap: &Snapshot, specs: Vec<SpecInfo>) -> ScenariosResult {
    let mut lines = Lines::default();
    let specs = specs
        .into_iter()
        .filter_map(|spec| {
            let uri = snap.uri(&spec.key)?;
            let scenarios = spec
                .scenarios
                .into_iter()
                .map(|s| ScenarioJson {
                    range: lines.range(snap, &spec.key, s.span),
                    selection_range: lines.range(snap, &spec.key, s.name_span),
                    location: s.status.location.as_ref().and_then(|(key, span)| {
                        super::convert::location(snap, &mut lines, key, *span)
                    }),
                    id: s.id,
                    name: s.name,
                    index: s.index,
                    tags: s.tags,
                    status: s.status.state,
                    message: s.status.message,
                    duration_ms: s.status.duration_ms,
                    tests: s.status.tests,
                    drift: s.drift,
                })
                .collect();
            Some(SpecJson {
                uri,
                name: spec.name,
                scenarios,
            })
        })
        .collect();
    ScenariosResult { specs }
}

/// `specls/scenarios`.
pub async fn handle(backend: &Backend, params: ScenariosParams) -> Result<ScenariosResult> {
    let snap = backend.snapshot().await?;
    let diags = backend.cache.results(&snap).await.unwrap_or_default();
    blocking(METHOD, move || {
        let only = params.uri.as_ref().map(|u| snap.key(u));
        let view = snap.test_view();
        let found = scenarios(&snap.ws, &diags, Some(&view), only.as_deref());
        to_proto(&snap, found)
    })
    .await
}

/// `specls.workspaceHealth`: the counts as JSON.
pub async fn workspace_health(backend: &Backend) -> Result<Option<Value>> {
    let snap = backend.snapshot().await?;
    let diags = backend.cache.results(&snap).await.unwrap_or_default();
    blocking("specls.workspaceHealth", move || {
        let view = snap.test_view();
        serde_json::to_value(health(&snap.ws, &diags, Some(&view))).ok()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        let mut ws = Workspace::new();
        ws.upsert_bytes(
            "a.spec.yaml",
            b"feature: A\nscenarios:\n  - id: one\n    name: One\n    when: x\n    then: y\n  - id: two\n    name: Two\n    when: x2\n    then: y2\n",
        );
        ws.upsert_bytes("arrangement.yaml", b"target_language: python\n");
        ws
    }

    #[test]
    fn status_and_counts_come_from_the_diagnostics_on_each_scenario() {
        let ws = ws();
        let doc = &ws.get("a.spec.yaml").unwrap().doc;
        let one = doc.scenarios[0].span;
        let two = doc.scenarios[1].span;
        let mut failed = Diagnostic::new("scenario-failed", Span::empty(one.start), "boom");
        failed.related.push(diag::Related {
            path: "tests/test_a.py".into(),
            span: Span::new(3, 9),
            message: "test_one".into(),
        });
        let untested = Diagnostic::new("scenario-untested", Span::empty(two.start), "no test");
        let diags = BTreeMap::from([(
            "a.spec.yaml".to_string(),
            std::sync::Arc::new(vec![failed, untested]),
        )]);
        let found = scenarios(&ws, &diags, None, None);
        assert_eq!(found.len(), 1, "the arrangement is not listed");
        let s = &found[0].scenarios;
        assert_eq!(s[0].id, "one");
        assert_eq!(s[0].status.state, State::Failed);
        assert_eq!(s[0].status.message.as_deref(), Some("boom"));
        assert_eq!(
            s[0].status.location,
            Some(("tests/test_a.py".to_string(), Span::new(3, 9)))
        );
        assert_eq!(s[1].status.state, State::Untested);
        let h = health(&ws, &diags, None);
        assert_eq!(
            (h.specs, h.scenarios, h.failing, h.untested, h.passing),
            (1, 2, 1, 1, 0)
        );
        assert_eq!((h.errors, h.warnings), (1, 1));
        assert!(scenarios(&ws, &diags, None, Some("nope.spec.yaml")).is_empty());
    }
}
