//! What rackfile remembers between plans so that an unchanged rack costs no GetTemplate: for each live stack
//! built from a local template, the SHA-256 of the template body it had at a given LastUpdatedTime. A stack's
//! template only changes with an update, and every update moves LastUpdatedTime, so (StackId,
//! LastUpdatedTime) -> hash stays true for as long as the key matches.
//!
//! It lives in the user's cache directory (`$XDG_CACHE_HOME/rackfile/templates.json`, else
//! `~/.cache/rackfile/...`), holds hashes only (never a template body or a parameter value), and is safe to
//! delete: a missing or unreadable cache costs one GetTemplate per rack, nothing else. Without a home or cache
//! directory there is no cache.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A cache file larger than this is not ours (a few hundred bytes per rack); it is ignored.
const MAX_CACHE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    /// `StackId` -> (LastUpdatedTime, template SHA-256).
    stacks: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    last_updated: String,
    template_sha256: String,
}

#[derive(Debug, Default)]
pub struct TemplateCache {
    path: Option<PathBuf>,
    file: File,
    changed: bool,
}

impl TemplateCache {
    /// The user's cache, or an empty one that is never written when there is no cache directory.
    pub fn load() -> Self {
        let path = dirs::cache_dir().map(|dir| dir.join("rackfile").join("templates.json"));
        let file = path
            .as_deref()
            .and_then(|path| crate::config::read_regular_file(path, MAX_CACHE_BYTES).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            path,
            file,
            changed: false,
        }
    }

    /// The hash of the stack's template, if it was seen at this LastUpdatedTime.
    pub fn template_sha256(&self, stack_id: &str, last_updated: &str) -> Option<&str> {
        self.file
            .stacks
            .get(stack_id)
            .filter(|entry| entry.last_updated == last_updated)
            .map(|entry| entry.template_sha256.as_str())
    }

    /// Remembers the stack's template hash at this LastUpdatedTime, replacing what was known of the stack.
    pub fn remember(&mut self, stack_id: &str, last_updated: &str, template_sha256: String) {
        let entry = Entry {
            last_updated: last_updated.to_string(),
            template_sha256,
        };
        if self.file.stacks.get(stack_id) != Some(&entry) {
            self.file.stacks.insert(stack_id.to_string(), entry);
            self.changed = true;
        }
    }

    /// Writes the cache if anything was learnt, through a temporary file and a rename, so a concurrent run
    /// never reads half a file. A cache that cannot be written is only a cost, never an error.
    pub fn save(&self) {
        let (Some(path), true) = (&self.path, self.changed) else {
            return;
        };
        let Some(dir) = path.parent() else {
            return;
        };
        let Ok(text) = serde_json::to_vec(&self.file) else {
            return;
        };
        let temporary = dir.join(format!("templates.json.{}", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&temporary, text))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            tracing::debug!("template cache {} not written: {error}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_known_only_at_the_last_updated_time_it_was_seen() {
        let mut cache = TemplateCache::default();
        cache.remember("stack/1", "2026-11-27T10:00:00Z", "abc".into());
        assert_eq!(
            cache.template_sha256("stack/1", "2026-11-27T10:00:00Z"),
            Some("abc")
        );
        assert_eq!(
            cache.template_sha256("stack/1", "2026-11-27T11:00:00Z"),
            None
        );
        cache.remember("stack/1", "2026-11-27T11:00:00Z", "def".into());
        assert_eq!(
            cache.template_sha256("stack/1", "2026-11-27T10:00:00Z"),
            None,
            "one entry per stack: the old one is replaced"
        );
    }
}
