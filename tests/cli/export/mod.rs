//! `connector <provider> users`, end to end: one file per area.

mod content;
mod output;
mod verdicts;
