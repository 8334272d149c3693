//! One file per command, each with its definition (`cli`) and its handler (`exec`), as cargo
//! does. Provider commands are built from the provider's descriptor: a flag appears only
//! when the provider supports it.

pub mod completions;
pub mod config;
pub mod connections;
pub mod docs;
pub mod entrypoints;
pub mod list;
pub mod man;
pub mod sandbox;
pub mod schema;
pub mod serve;
pub mod sync;
pub mod test;
pub mod users;
