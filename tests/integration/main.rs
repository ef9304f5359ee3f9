//! Herald's integration tests: fixture repositories, the real binary.

mod harness;

mod config;
mod dry_run;
mod examples;
mod front_matter;
mod json;
mod schedule;
mod templates;
mod workflows;
