//! The application: events in, model updated, commands out; the loop that drives it.

pub mod acting;
pub mod action;
pub mod dialog;
pub mod embedded;
pub mod event;
pub mod form;
pub mod line_edit;
pub mod model;
pub mod pane;
pub mod run;
pub mod update;

pub use action::Action;
pub use event::Event;
pub use model::Model;
pub use pane::Pane;
pub use update::{Command, update};

pub use crate::model::SortKey;
