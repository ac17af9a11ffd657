//! The application: events in, model updated, commands out; the loop that drives it.

pub mod embedded;
pub mod event;

pub use event::Event;
