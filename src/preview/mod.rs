//! Previews for people: the HTML page and the pull-request comment (Markdown).

mod comment;
mod fate_words;
mod html;
mod md;
mod page;

pub use comment::{MARKER, MAX_BYTES, markdown};
pub use page::page;
