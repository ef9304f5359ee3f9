//! Herald: approved announcements in Git → posts and emails, exactly once.
//!
//! The pipeline is visible in the module tree: [`announcement`] loads and validates the
//! files, [`render`] turns each variant into a [`render::Post`] per [`channel`], and the
//! commands in [`cmd`] either print (check, dry run, status) or publish. Below them all,
//! [`platform`] holds what Herald knows of each kind of network.

pub mod announcement;
pub mod approval;
pub mod archive;
pub mod channel;
pub mod cli;
pub mod cmd;
pub mod diagnostic;
pub mod dry_run;
pub mod email;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod github;
pub mod html;
pub mod ledger;
pub mod limits;
pub mod pacing;
pub mod parallel;
pub mod paths;
pub mod plan;
pub mod platform;
pub mod preview;
pub mod render;
pub mod rules;
pub mod schedule;
pub mod settings;
pub mod state;
pub mod suggest;
pub mod time;
