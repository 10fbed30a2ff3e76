//! Request handlers, one small module per request: convert the parameters (from_proto), call a
//! pure function of a snapshot, convert the result (to_proto).

pub mod code_action;
pub mod code_lens;
pub mod commands;
pub mod completion;
pub mod convert;
pub mod edge_cases;
pub mod formatting;
pub mod hover;
pub mod inlay_hints;
pub mod navigation;
pub mod pull;
pub mod ranges;
pub mod rename;
pub mod scenarios;
pub mod semantic_tokens;
pub mod symbols;
