//! The views of an apply: plain lines (`lines`), bars on a terminal (`bars`), the JSON stream
//! (`json_stream`) and the closing summary (`summary`). They word what the executor reports as data
//! (`apply::reporter::{Work, Progress}`, `apply::RackResult`); none of them decides anything.

pub mod bars;
mod failures;
pub mod json_stream;
pub mod lines;
mod stack_events;
pub mod summary;
mod words;

pub use bars::BarReporter;
pub use lines::LineReporter;
pub use words::{elapsed, outcome_words, progress_words};
