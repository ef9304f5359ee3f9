//! The event that started a workflow run (`GITHUB_EVENT_PATH`): for a pull request, its
//! number and whether it comes from a fork (whose runs get a read-only token).

use serde_json::Value;
use std::path::Path;

/// The pull request a `pull_request` or `pull_request_review` run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullEvent {
    pub number: u64,
    /// `owner/name` of the branch's repository.
    pub head_repo: Option<String>,
    /// `owner/name` of the repository the pull request is for.
    pub base_repo: Option<String>,
    pub head_sha: Option<String>,
    /// Who opened it.
    pub author: Option<String>,
}

impl PullEvent {
    /// Whether the pull request comes from another repository (a fork): GitHub gives
    /// such runs a read-only token and no secrets.
    pub fn from_fork(&self) -> bool {
        match (&self.head_repo, &self.base_repo) {
            (Some(h), Some(b)) => !h.eq_ignore_ascii_case(b),
            // A deleted fork has no head repository.
            (None, _) => true,
            _ => false,
        }
    }
}

/// The pull request in the event file at `path`, if the event is about one.
pub fn pull_request(path: &Path) -> Result<Option<PullEvent>, String> {
    let bytes = crate::limits::read_limited(path, 25 << 20, "event file")
        .map_err(|e| format!("cannot read the workflow's event ({}): {e}", path.display()))?;
    let event: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the workflow's event ({}) is not JSON: {e}", path.display()))?;
    Ok(from_value(&event))
}

fn from_value(event: &Value) -> Option<PullEvent> {
    let pr = event.get("pull_request")?;
    let number = pr.get("number")?.as_u64()?;
    let repo = |side: &str| {
        pr.get(side)
            .and_then(|s| s.get("repo"))
            .and_then(|r| r.get("full_name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Some(PullEvent {
        number,
        head_repo: repo("head"),
        base_repo: repo("base"),
        head_sha: pr
            .get("head")
            .and_then(|h| h.get("sha"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        author: pr
            .get("user")
            .and_then(|u| u.get("login"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pull_request_from_the_same_repository_or_a_fork() {
        let same = json!({"action": "synchronize", "pull_request": {"number": 12,
            "head": {"sha": "abc", "repo": {"full_name": "tartu/news"}},
            "base": {"repo": {"full_name": "tartu/news"}}}});
        let e = from_value(&same).unwrap();
        assert_eq!(e.number, 12);
        assert!(!e.from_fork());
        let fork = json!({"pull_request": {"number": 3,
            "head": {"repo": {"full_name": "someone/news"}},
            "base": {"repo": {"full_name": "tartu/news"}}}});
        assert!(from_value(&fork).unwrap().from_fork());
        let deleted = json!({"pull_request": {"number": 4, "head": {"repo": null},
            "base": {"repo": {"full_name": "tartu/news"}}}});
        assert!(from_value(&deleted).unwrap().from_fork());
        assert_eq!(from_value(&json!({"ref": "refs/heads/main"})), None);
    }
}
