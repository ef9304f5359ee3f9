//! Previews for people: the HTML page and the Markdown summary.

mod fate_words;
mod html;
mod page;
mod summary;

pub use page::page;
pub use summary::markdown;
