//! specls front ends over the analysis core (`specls-core`): the command line, the language
//! server and (later) the MCP server. Only `lsp` knows LSP types.

pub mod check;
pub mod compile;
pub mod drift;
pub mod edge_cases;
pub mod files;
pub mod fsutil;
pub mod logging;
pub mod lsp;
pub mod mcp;
pub mod testrun;
