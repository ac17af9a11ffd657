//! The app: `App`, the one driver of the console (it feeds `update` with terminal input,
//! snapshots and job updates and carries out its effects), its terminal loop, and the embedded
//! demo cluster it can run on.

pub mod asking;
pub mod driver;
pub mod embedded;
mod logs;
mod migrating;
pub mod run;
mod terminals;
mod trusting;
mod walking;

pub use driver::{App, Settings, connect};
pub use migrating::migration_check;
