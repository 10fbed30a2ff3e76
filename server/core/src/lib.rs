//! The specls analysis core.
//!
//! Plain data with byte ranges and pure functions of a workspace snapshot. Nothing in this crate
//! knows about LSP, JSON-RPC, processes or the network; front ends (LSP, CLI, MCP) convert at
//! their edges.

pub mod checks;
pub mod compile;
pub mod config;
pub mod corpus;
pub mod diag;
pub mod drift;
pub mod edge_cases;
pub mod fxhash;
pub mod guardian;
pub mod ide;
pub mod kind;
pub mod limits;
pub mod manifest;
pub mod measurements;
pub mod model;
pub mod par;
pub mod parse;
pub mod span;
pub mod suggest;
pub mod testlinks;
pub mod workspace;
pub mod yaml;

pub use diag::{Diagnostic, Related, Severity};
pub use model::*;
pub use span::{LineCol, LineIndex, Span};
