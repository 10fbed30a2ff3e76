//! Hard limits that keep every parser bounded in time and memory on hostile input.
//! Each limit, when hit, produces a diagnostic with a clear message instead of a failure.

/// Files larger than this are not parsed (a `file-too-large` diagnostic is reported).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Maximum nesting depth of YAML collections / Markdown lists that is descended into.
pub const MAX_DEPTH: usize = 64;
/// Maximum number of nodes an alias may expand to in total per document (alias bombs).
pub const MAX_ALIAS_EXPANSION: usize = 10_000;
/// Maximum diagnostics kept per file; further ones are summarised in one diagnostic.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1_000;
/// Lines longer than this are not analysed for steps/requirements (but do not break parsing).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
