//! Maintenance of a node: the plan (pure: pre-checks, where each guest goes, the steps), and —
//! in later steps — the walkthrough that carries it out through the action queue.

pub mod checks;
pub mod plan;
pub mod report;
#[cfg(test)]
mod tests;
pub mod updates;
pub mod walk;
mod walk_exit;
mod walk_outcome;
pub mod walk_report;
#[cfg(test)]
mod walk_tests;
mod walk_words;

pub use checks::{Check, Verdict};
pub use plan::{How, Inputs, Move, Plan, Settings, Step, plan};
pub use updates::Updates;
