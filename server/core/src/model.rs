//! The spec model: plain data with byte ranges, produced by the parsers, consumed by checks and
//! every front end. All spans are byte ranges into the document's text.

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::span::Span;

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// Markdown spec: SpecSoloist `.spec.md`, OpenSpec `spec.md`, spec-kit `spec.md`, or any
    /// Markdown file with `Scenario:` headings.
    MarkdownSpec,
    /// YAML scenario spec (`feature`/`scenarios`/`constraints`/`domains`/`interaction`...).
    YamlSpec,
    /// SpecSoloist arrangement (`arrangement.yaml`, `*.arrangement.yaml`).
    Arrangement,
    /// Task blueprint: Markdown with `id`/`title`/`requirement_id` front matter and a guardian block.
    Blueprint,
}

/// A parsed document. Created by [`crate::parse::parse_document`] and never mutated afterwards.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Document {
    /// Path as the workspace names it (workspace-relative with `/` separators where possible).
    pub path: String,
    pub kind: Option<DocKind>,
    /// Spec name: front matter `name`, YAML `feature`/`domain`/`system`/`interaction`, else the
    /// file stem without `.spec`/`.arrangement` suffixes.
    pub name: String,
    /// Span of whatever gives the name (front matter value, `feature:` value), else empty at 0.
    pub name_span: Span,
    /// The spec's type (`function`, `type`, `bundle`, `module`, `workflow`, `reference`, or the
    /// legacy `typedef`/`class`/`orchestrator`/`specification`), where it has one.
    pub spec_type: Option<String>,
    pub status: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub front_matter: Option<FrontMatter>,
    pub sections: Vec<Section>,
    pub requirements: Vec<Requirement>,
    pub functions: Vec<Function>,
    pub scenarios: Vec<Scenario>,
    pub examples: Vec<ExampleRow>,
    pub constraints: Vec<Constraint>,
    pub dependencies: Vec<Dependency>,
    /// Domains declared by a YAML system spec (`domains:` items), each with its own
    /// dependencies (on other domains of the list or on specs). Their dependencies are not in
    /// `dependencies`, which holds what the spec itself depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    pub workflow_steps: Vec<WorkflowStep>,
    /// Fenced code blocks (Markdown) with their info strings, e.g. `yaml:schema`.
    pub blocks: Vec<CodeBlock>,
    /// For `DocKind::Arrangement`.
    pub arrangement: Option<Arrangement>,
    /// For `DocKind::Blueprint`.
    pub blueprint: Option<Blueprint>,
    /// Behaviour bullets (SpecSoloist "Behavior" sections, plain bullets under requirements):
    /// used by the completeness checks to find conditions without examples.
    pub behaviors: Vec<Behavior>,
    /// `specls-ignore CODE` markers found in the file.
    pub ignores: Vec<Ignore>,
    /// Diagnostics found while parsing.
    pub diagnostics: Vec<Diagnostic>,
    /// Which parse made this document, and how an incremental reparse made it from an earlier
    /// one. Not part of the document's value (see [`Lineage`]).
    #[serde(skip)]
    pub lineage: Lineage,
}

/// Where a document comes from, for caches: an id given by the parser, and, for a document an
/// incremental reparse made ([`crate::parse::incremental::reparse`]), the id of the document
/// it was made from and which scenarios it kept.
///
/// Not part of the document's value: two lineages are always equal and a lineage is never
/// serialized. A copy of a document has no lineage (cloning gives the default, id 0, "made by
/// no parse"), so a document changed after parsing never passes for the parser's output.
#[derive(Debug, Default)]
pub struct Lineage {
    /// 0: unknown (built by hand, or a copy).
    pub id: u64,
    pub splice: Option<Splice>,
    /// The text the document was read from does not contain `specls-ignore` (so it has no
    /// ignore marker, and an edit that does not write one leaves none). False when unknown.
    pub marker_free: bool,
}

/// How a reparse made a document from an earlier one (the document with id `from`): the
/// scenario at `index` was read again; all the others, and every other part of the document,
/// are the earlier document's, moved to their new place. Scenarios `..head` are the earlier
/// document's first `head`, unmoved, each with every span before the edited region; the last
/// `tail` scenarios are its last `tail`, moved by `delta`, with every span after the region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splice {
    pub from: u64,
    pub index: usize,
    pub head: usize,
    pub tail: usize,
    pub delta: isize,
}

impl Lineage {
    /// A new id, unique in this process.
    pub fn fresh() -> Lineage {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Lineage {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            splice: None,
            marker_free: false,
        }
    }

    /// The splice, when this document was made from the document with lineage `from` (with a
    /// known id).
    pub fn spliced_from(&self, from: &Lineage) -> Option<Splice> {
        self.splice.filter(|s| from.id != 0 && s.from == from.id)
    }
}

impl Clone for Lineage {
    fn clone(&self) -> Lineage {
        Lineage::default()
    }
}

impl PartialEq for Lineage {
    fn eq(&self, _: &Lineage) -> bool {
        true
    }
}

impl Document {
    /// Give back the spare capacity of its lists (parsers push as they read; the document then
    /// lives as long as its text is unchanged).
    pub fn shrink_to_fit(&mut self) {
        self.tags.shrink_to_fit();
        self.sections.shrink_to_fit();
        self.requirements.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.scenarios.shrink_to_fit();
        self.examples.shrink_to_fit();
        self.constraints.shrink_to_fit();
        self.dependencies.shrink_to_fit();
        self.domains.shrink_to_fit();
        self.workflow_steps.shrink_to_fit();
        self.blocks.shrink_to_fit();
        self.behaviors.shrink_to_fit();
        self.ignores.shrink_to_fit();
        self.diagnostics.shrink_to_fit();
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrontMatter {
    /// The whole block including both `---` lines.
    pub span: Span,
    pub fields: Vec<Field>,
}

/// A key/value of front matter or of a YAML mapping that the model keeps verbatim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub key_span: Span,
    /// Scalar value as text, or a list joined by ", "; empty for mappings.
    pub value: String,
    pub value_span: Span,
}

/// Serde for `Arc<str>` fields (as plain strings).
mod arc_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        Ok(String::deserialize(d)?.into())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Heading text without `#`s, numbering (`1.`, `2.3`) and surrounding whitespace. Shared
    /// (an incremental reparse moves every section of a big file: it copies no title).
    #[serde(with = "arc_str")]
    pub title: std::sync::Arc<str>,
    /// The numbering prefix as written (`1.`), if any.
    pub number: Option<String>,
    pub level: u8,
    /// The heading line.
    pub heading_span: Span,
    /// Heading plus content up to the next heading of the same or a higher level.
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// `FR-01`, `NFR-Performance`, or for OpenSpec `### Requirement: <name>` the name.
    pub id: String,
    pub id_span: Span,
    pub text: String,
    /// The whole requirement (bullet or heading section).
    pub span: Span,
    /// True when the text contains SHALL/MUST (RFC 2119 style).
    pub normative: bool,
}

/// A function of a SpecSoloist spec: a heading like ``## `add_todo(item: str) -> int` `` or an
/// entry of a `yaml:functions` block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    pub signature: String,
    pub span: Span,
    pub name_span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Given,
    When,
    Then,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    /// The keyword as written (`Given`, `And`, `But`, `**WHEN**`) or empty for YAML list items.
    pub keyword: String,
    /// The step's text without keyword and markup.
    pub text: String,
    /// The whole step (line or YAML item), relative to the start of its scenario: the
    /// document's place is [`Scenario::abs`] of it. (In a [`ScenarioDraft`], relative to 0.)
    pub span: RelSpan,
    /// Just the text (relative like `span`).
    pub text_span: RelSpan,
}

/// A span relative to a base offset (a step's span relative to the start of its scenario, so
/// that a scenario moved by an edit elsewhere keeps its steps as they are, shared). Signed: a
/// Background step of a Markdown scenario lies before the scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelSpan {
    pub rel_start: isize,
    pub rel_end: isize,
}

impl RelSpan {
    /// `span` relative to `base`.
    pub fn new(span: Span, base: usize) -> RelSpan {
        RelSpan {
            rel_start: span.start as isize - base as isize,
            rel_end: span.end as isize - base as isize,
        }
    }
    /// `span` relative to 0 (as parsers build steps, before the scenario is finished).
    pub fn absolute(span: Span) -> RelSpan {
        RelSpan::new(span, 0)
    }
    /// The span at `base`.
    pub fn at(self, base: usize) -> Span {
        let abs = |x: isize| (base as isize + x).max(0) as usize;
        Span::new(abs(self.rel_start), abs(self.rel_end))
    }
    /// The span of a [`ScenarioDraft`]'s step (relative to 0).
    pub fn abs0(self) -> Span {
        self.at(0)
    }
}

/// Where a scenario came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioOrigin {
    /// `Scenario: name` heading in Markdown with step lines.
    MarkdownHeading,
    /// spec-kit's one-line `1. **Given** ..., **When** ..., **Then** ...`.
    MarkdownOneLine,
    /// An item of `scenarios:` in a YAML spec.
    Yaml,
    /// An item of `new_scenarios:` (feature evolution).
    YamlNew,
    /// An item of `chaos_scenarios:` (`verify` becomes the Then).
    YamlChaos,
    /// A `failure_handling` item of an interaction flow.
    YamlFailure,
}

/// A scenario: where it is (its span and its name's, in the document) and what it says (its
/// [`ScenarioBody`], read through `Deref`: `sc.name`, `sc.given`...). The body is shared, not
/// copied, between the versions of a document that an incremental reparse makes: an edit
/// elsewhere only moves the two spans (step spans are relative to `span.start`: see
/// [`Scenario::abs`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The whole scenario.
    pub span: Span,
    pub name_span: Span,
    /// Every step span lies within `span` (so the steps move with the scenario).
    steps_inside: bool,
    body: std::sync::Arc<ScenarioBody>,
}

/// What a scenario says (see [`Scenario`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioBody {
    /// Explicit id where the format has one, else `slug(spec name) + "/" + slug(scenario name)`.
    pub id: String,
    pub explicit_id: bool,
    pub name: String,
    /// Steps, their spans relative to the scenario's start.
    pub given: Vec<Step>,
    pub when: Vec<Step>,
    pub then: Vec<Step>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    /// The requirement (or domain/flow) it sits under, if any.
    pub parent: Option<String>,
    pub origin: ScenarioOrigin,
}

impl std::ops::Deref for Scenario {
    type Target = ScenarioBody;
    fn deref(&self) -> &ScenarioBody {
        &self.body
    }
}

/// A scenario as a parser builds it: every span absolute (step spans relative to 0). Made a
/// [`Scenario`] by [`ScenarioDraft::finish`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioDraft {
    pub id: String,
    pub explicit_id: bool,
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub given: Vec<Step>,
    pub when: Vec<Step>,
    pub then: Vec<Step>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    pub parent: Option<String>,
    pub origin: ScenarioOrigin,
}

impl ScenarioDraft {
    /// Give back the spare capacity of its lists (a workspace holds tens of thousands of
    /// scenarios, most with one or two steps of each kind).
    pub fn shrink_to_fit(&mut self) {
        self.given.shrink_to_fit();
        self.when.shrink_to_fit();
        self.then.shrink_to_fit();
        self.tags.shrink_to_fit();
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.given
            .iter()
            .chain(self.when.iter())
            .chain(self.then.iter())
    }

    /// The scenario: step spans made relative to its start.
    pub fn finish(self) -> Scenario {
        let ScenarioDraft {
            id,
            explicit_id,
            name,
            name_span,
            span,
            mut given,
            mut when,
            mut then,
            tags,
            status,
            parent,
            origin,
        } = self;
        let mut steps_inside = true;
        for st in given.iter_mut().chain(&mut when).chain(&mut then) {
            let (a, b) = (st.span.abs0(), st.text_span.abs0());
            steps_inside &= a.start >= span.start
                && a.end <= span.end
                && b.start >= span.start
                && b.end <= span.end;
            st.span = RelSpan::new(a, span.start);
            st.text_span = RelSpan::new(b, span.start);
        }
        Scenario {
            span,
            name_span,
            steps_inside,
            body: std::sync::Arc::new(ScenarioBody {
                id,
                explicit_id,
                name,
                given,
                when,
                then,
                tags,
                status,
                parent,
                origin,
            }),
        }
    }
}

impl Scenario {
    /// What it says, shared (the checks' summary of it keeps this rather than copies).
    pub fn body(&self) -> &std::sync::Arc<ScenarioBody> {
        &self.body
    }

    /// The document's place of a span of one of its steps.
    pub fn abs(&self, rel: RelSpan) -> Span {
        rel.at(self.span.start)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.body.steps()
    }

    /// The scenario as a draft (absolute spans), to change it or build another from it.
    pub fn to_draft(&self) -> ScenarioDraft {
        let base = self.span.start;
        let abs = |steps: &[Step]| -> Vec<Step> {
            steps
                .iter()
                .map(|st| Step {
                    span: RelSpan::absolute(st.span.at(base)),
                    text_span: RelSpan::absolute(st.text_span.at(base)),
                    ..st.clone()
                })
                .collect()
        };
        ScenarioDraft {
            id: self.id.clone(),
            explicit_id: self.explicit_id,
            name: self.name.clone(),
            name_span: self.name_span,
            span: self.span,
            given: abs(&self.given),
            when: abs(&self.when),
            then: abs(&self.then),
            tags: self.tags.clone(),
            status: self.status.clone(),
            parent: self.parent.clone(),
            origin: self.origin,
        }
    }

    /// Every step span lies within the scenario's span.
    pub fn steps_inside(&self) -> bool {
        self.steps_inside
    }

    /// The same scenario moved by `delta` bytes (its body shared): for a scenario all of whose
    /// spans lie after an edit.
    pub fn moved(&self, delta: isize) -> Scenario {
        let add = |x: usize| (x as isize + delta) as usize;
        Scenario {
            span: Span::new(add(self.span.start), add(self.span.end)),
            name_span: Span::new(add(self.name_span.start), add(self.name_span.end)),
            steps_inside: self.steps_inside,
            body: self.body.clone(),
        }
    }

    /// Whether two scenarios share their body (the same allocation: one was made from the
    /// other by an incremental reparse that did not read it again).
    pub fn shares_body(&self, other: &Scenario) -> bool {
        std::sync::Arc::ptr_eq(&self.body, &other.body)
    }
}

impl ScenarioBody {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.given
            .iter()
            .chain(self.when.iter())
            .chain(self.then.iter())
    }
}

#[derive(Serialize)]
struct AbsStep<'a> {
    kind: StepKind,
    keyword: &'a str,
    text: &'a str,
    span: Span,
    text_span: Span,
}

#[derive(Serialize)]
struct AbsScenario<'a> {
    id: &'a str,
    explicit_id: bool,
    name: &'a str,
    name_span: Span,
    span: Span,
    given: Vec<AbsStep<'a>>,
    when: Vec<AbsStep<'a>>,
    then: Vec<AbsStep<'a>>,
    tags: &'a [String],
    status: &'a Option<String>,
    parent: &'a Option<String>,
    origin: ScenarioOrigin,
}

fn abs_steps<'a>(sc: &Scenario, v: &'a [Step]) -> Vec<AbsStep<'a>> {
    v.iter()
        .map(|st| AbsStep {
            kind: st.kind,
            keyword: &st.keyword,
            text: &st.text,
            span: sc.abs(st.span),
            text_span: sc.abs(st.text_span),
        })
        .collect()
}

/// Serialized as before the body was shared: every span absolute, fields in this order.
impl Serialize for Scenario {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AbsScenario {
            id: &self.id,
            explicit_id: self.explicit_id,
            name: &self.name,
            name_span: self.name_span,
            span: self.span,
            given: abs_steps(self, &self.given),
            when: abs_steps(self, &self.when),
            then: abs_steps(self, &self.then),
            tags: &self.tags,
            status: &self.status,
            parent: &self.parent,
            origin: self.origin,
        }
        .serialize(s)
    }
}

/// A row of an Examples/Test Scenarios table, an `input -> output` line, or a
/// `yaml:test_scenarios` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExampleRow {
    /// The function or scenario this row belongs to (nearest function heading, or the table's
    /// own "Scenario" column), if known.
    pub target: Option<String>,
    /// Row name (the "Scenario"/"Description" column or the entry's `name`/`description`).
    pub name: Option<String>,
    pub input: String,
    pub expected: String,
    /// `Some(true)` for rows of a "Valid" table, `Some(false)` for "Invalid", else None.
    pub valid: Option<bool>,
    /// All cells as (header, value), in order.
    pub cells: Vec<(String, String)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "=")]
    Eq,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "=",
        }
    }
    /// True for `<`/`<=` (an upper bound).
    pub fn is_upper(self) -> bool {
        matches!(self, Comparison::Lt | Comparison::Le)
    }
    pub fn is_lower(self) -> bool {
        matches!(self, Comparison::Gt | Comparison::Ge)
    }
}

/// The measurable part of a constraint, where the text allows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Normalised metric: `latency`, `duration`, `availability`, `concurrent_users`, `rate`,
    /// `throughput`, `error_rate`, `count`, `size`, `memory`, `consistency`...
    pub metric: String,
    /// 95.0 for p95 / `p(95)`.
    pub percentile: Option<f64>,
    pub comparison: Comparison,
    pub value: f64,
    /// Normalised unit: `ms`, `s`, `min`, `h`, `%`, `users`, `requests`, `MB`... or None.
    pub unit: Option<String>,
    /// For rates: the time unit of the denominator (`s`, `min`, `h`, `day`).
    pub per: Option<String>,
    /// Remaining scope words ("for all read operations", "per user"), normalised lower case.
    pub scope: Option<String>,
    /// Span of the number (with unit) in the source.
    pub value_span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    /// Stable id: slug of the spec name + `/` + slug of the constraint's name (or text).
    pub id: String,
    pub name: Option<String>,
    /// Category: performance, scalability, security, reliability, ... (YAML key above the list).
    pub category: Option<String>,
    /// The requirement text ("p95 latency < 100ms for all read operations").
    pub text: String,
    pub span: Span,
    pub text_span: Span,
    pub measure: Option<Measure>,
    pub measurement: Option<String>,
    pub verification: Option<String>,
    pub exception: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// The spec name depended on (file stem for `from: x.spec.md`).
    pub name: String,
    /// `from:` path as written, if given.
    pub from: Option<String>,
    pub span: Span,
}

/// A domain of a YAML system spec: `- name: product_catalog` with `dependencies: [...]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    pub name: String,
    pub name_span: Span,
    /// The whole `domains:` item.
    pub span: Span,
    pub dependencies: Vec<Dependency>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowStep {
    pub name: String,
    pub spec: Option<String>,
    /// Inputs as (name, reference such as `step1.outputs.result` or `inputs.x`).
    pub inputs: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeBlock {
    /// Info string: `yaml:schema`, `json`, `guardian`...
    pub info: String,
    /// The whole fence including delimiters.
    pub span: Span,
    /// The content between the fences.
    pub content_span: Span,
    pub closed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Behavior {
    pub text: String,
    pub span: Span,
    /// The function or requirement it belongs to, if any.
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ignore {
    /// Codes silenced; empty means all.
    pub codes: Vec<String>,
    pub span: Span,
    /// The span of the element the marker applies to (the next non-blank line/item); a marker on
    /// its own line as the first content of the file applies to the whole file.
    pub applies_to: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Arrangement {
    pub target_language: Option<String>,
    pub specs_path: Option<String>,
    /// `output_paths.implementation`, `output_paths.tests` and overrides, with spans.
    pub output_paths: Vec<Field>,
    pub tools: Vec<Field>,
    pub setup_commands: Vec<Field>,
    /// `build_commands.compile/lint/test` with spans.
    pub build_commands: Vec<Field>,
    pub constraints: Vec<Field>,
    pub env_vars: Vec<Field>,
    pub model: Option<String>,
}

impl Arrangement {
    pub fn output_path(&self, key: &str) -> Option<&Field> {
        self.output_paths.iter().find(|f| f.key == key)
    }
    pub fn build_command(&self, key: &str) -> Option<&Field> {
        self.build_commands.iter().find(|f| f.key == key)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    pub id: Option<String>,
    pub title: Option<String>,
    pub requirement_id: Option<String>,
    pub status: Option<String>,
    pub branch: Option<String>,
    pub relevant_tests: Vec<Field>,
    pub criteria: Vec<Criterion>,
    pub guardian: Vec<GuardianStep>,
    pub guardian_span: Option<Span>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub text: String,
    pub done: bool,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardianStep {
    pub description: String,
    pub stage: String,
    pub command: String,
    pub expects: String,
    pub span: Span,
}

/// Lower-case ASCII slug: letters and digits kept, runs of anything else become one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    slug_into(&mut out, s);
    out
}

/// [`slug`] of `s`, appended to `out`.
fn slug_into(out: &mut String, s: &str) {
    if !s.is_ascii() {
        return slug_chars_into(out, s);
    }
    // Most names: on the bytes, as `slug_chars_into` does on the chars.
    let start = out.len();
    let mut dash = false;
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() {
            if dash && out.len() > start {
                out.push('-');
            }
            dash = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            dash = true;
        }
    }
}

/// [`slug_into`] of any text, char by char.
fn slug_chars_into(out: &mut String, s: &str) {
    let start = out.len();
    let mut dash = false;
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            if dash && out.len() > start {
                out.push('-');
            }
            dash = false;
            if ch.is_ascii() {
                out.push(ch.to_ascii_lowercase());
            } else {
                out.extend(ch.to_lowercase());
            }
        } else {
            dash = true;
        }
    }
}

/// The stable id of a scenario without an explicit id: `slug(spec)/slug(scenario)`, made in one
/// string (every scenario without an id gets one when its spec is parsed).
pub fn scenario_id(spec_name: &str, scenario_name: &str) -> String {
    let mut out = String::with_capacity(spec_name.len() + scenario_name.len() + 1);
    slug_into(&mut out, spec_name);
    out.push('/');
    slug_into(&mut out, scenario_name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte path of `slug_into` (ASCII text) makes what the char path makes.
        #[test]
        fn ascii_slugs_are_made_on_bytes(s in "[ -~]{0,24}", before in "[a-z-]{0,3}") {
            let (mut a, mut b) = (before.clone(), before);
            slug_into(&mut a, &s);
            slug_chars_into(&mut b, &s);
            proptest::prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Create a simple task"), "create-a-simple-task");
        assert_eq!(
            slug("  Task Management System!! "),
            "task-management-system"
        );
        assert_eq!(scenario_id("todo", "Add: item"), "todo/add-item");
        for (spec, sc) in [
            ("", ""),
            ("!!", "--x"),
            ("Ünïcode Spec", "  İstanbul: ÇAY "),
            ("a", ""),
        ] {
            assert_eq!(
                scenario_id(spec, sc),
                format!("{}/{}", slug(spec), slug(sc))
            );
        }
    }
}
