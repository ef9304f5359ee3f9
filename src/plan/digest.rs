//! What an approval pins for each channel: the digest of the requests the channel would
//! make for a post, found by running the channel's own sending code offline on a
//! recording transport ([`crate::dry_run::record_offline`]); nothing leaves the machine.
//! The digest's format is [`crate::approval::requests_digest`].

use crate::channel::Channel;
use crate::render::Post;
use std::path::Path;

/// The digest of what `post` would send through `channel` (the channel it was rendered
/// for), or `None` when the post is skipped (`overrides.<channel>.skip`, which the content
/// hash already pins). Email lists, sent whole, digest the message the dry run shows.
pub fn post_digest(post: &Post<'_>, channel: &dyn Channel, root: &Path) -> Option<String> {
    if post.skipped {
        return None;
    }
    let requests = match channel.email() {
        Some(config) => vec![crate::channel::email_request(config, post)],
        // A failure (an unreadable image) is not pinned: it depends on the machine, not
        // on what was approved, and the run reports it.
        None => crate::dry_run::record_offline(channel, post, root).requests,
    };
    Some(crate::approval::requests_digest(
        channel.kind().name(),
        requests.iter().map(|r| &r.body),
    ))
}
