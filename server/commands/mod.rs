//! The subcommands: `serve`, `tools`, `audit`, `sign`, `specs diff`.

pub mod audit;
pub mod serve;
pub mod sign;
pub mod specs;
pub mod tools;
