//! Headless verbs: the same config, client and poll as the console, printed for scripts; the
//! action verbs, through the same queue and journal; and `bench`, the console's costs measured
//! at scale.

pub mod act;
pub mod attach;
pub mod audit;
pub mod bench;
pub mod error;
pub mod get;
pub mod maintenance;
pub mod maintenance_walk;
pub mod place;
pub mod remote_migrate;
pub mod restore;
pub mod sim;
pub mod table;
pub mod trust;
pub mod verbs;
