//! Shared helpers for integration tests.
#![allow(dead_code)]

pub mod diags;
pub mod drift;
pub mod fs;
pub mod render;
