//! The console's state and its pure update: events in, state changed, effects out. Key handling
//! per pane, dialogs, forms and the line editor live here; no drawing and no I/O (the app carries
//! the effects out, the ui draws the state).

pub mod acting;
pub mod audit_row;
pub mod cluster_pick;
pub mod command;
pub mod dialog;
pub mod event;
pub mod fleet;
pub mod form;
pub mod help;
pub mod layout;
pub mod line_edit;
pub mod log_view;
pub mod model;
mod navigation;
pub mod panes;
pub mod task_row;
pub mod terminal;
pub mod update;
pub mod walk;

pub use event::Event;
pub use model::Model;
pub use update::{Effect, update};
