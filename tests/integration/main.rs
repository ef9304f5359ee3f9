//! Herald's integration tests: fixture repositories, the real binary.

mod harness;
mod http;

mod answer_without_id;
mod approval;
mod approval_history;
mod approval_pins;

mod bluesky;
mod bluesky_contract;
mod browser;
mod config;
mod config_types;
mod conformance;
mod crash;
mod doctor;
mod dry_run;
mod email;
mod email_crash;
mod examples;
mod facebook;
mod feed;
mod files;
mod front_matter;
mod json;
mod linkedin;
mod links;
mod mastodon;
mod mastodon_media;
mod mastodon_server;
mod mock_mastodon;
mod mock_webhook;
mod odd_addresses;
mod pds;
mod preview;
mod publish;
mod schedule;
mod secrets;
mod smtp_echo;
mod smtp_peer;
mod snapshots;
mod templates;
mod webhooks;
mod workflow_steps;
mod workflows;
mod x;
