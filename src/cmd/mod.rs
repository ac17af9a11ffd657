//! Headless verbs: the same config, client and poll as the console, printed for scripts.

pub mod get;
pub mod table;
