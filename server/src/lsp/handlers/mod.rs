//! Request handlers, one small module per request: convert the parameters (from_proto), call a
//! pure function of a snapshot, convert the result (to_proto).

pub mod code_action;
pub mod commands;
pub mod pull;
