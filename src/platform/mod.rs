//! Platform facts: what Herald knows about each kind of network, without any channel:
//! how it reads text ([`text`]) and what images it takes ([`media`]).
//!
//! This module imports neither rendering nor channels: both build on it.

pub mod media;
pub mod text;
