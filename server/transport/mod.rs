//! The two ways clients reach the handler: Streamable HTTP and stdio.

pub mod body;
pub mod http;
pub mod stdio;
