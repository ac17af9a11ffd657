//! Headless verbs: the same config, client and poll as the console, printed for scripts; and
//! `bench`, the console's costs measured at scale.

pub mod bench;
pub mod get;
pub mod table;
