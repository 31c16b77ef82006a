//! twilio-mcp: Twilio's REST API as MCP tools.
pub mod catalog;
