//! Herald's integration tests: fixture repositories, the real binary.

mod harness;

mod approval;

mod browser;
mod config;
mod conformance;
mod crash;
mod dry_run;
mod email;
mod email_crash;
mod examples;
mod front_matter;
mod json;
mod mastodon;
mod mock_mastodon;
mod mock_webhook;
mod preview;
mod publish;
mod schedule;
mod secrets;
mod smtp_peer;
mod snapshots;
mod templates;
mod webhooks;
mod workflows;
