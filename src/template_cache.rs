//! What rackfile remembers between plans so that an unchanged rack costs no GetTemplate: for each live stack
//! built from a local template, the SHA-256 of the template body it had at a given LastUpdatedTime. A stack's
//! template only changes with an update, and every update moves LastUpdatedTime, so (StackId,
//! LastUpdatedTime) -> hash stays true for as long as the key matches.
//!
//! It lives in the user's cache directory (`$XDG_CACHE_HOME/rackfile/templates.json`, else
//! `~/.cache/rackfile/...`), holds hashes only (never a template body or a parameter value), and is safe to
//! delete: a missing or unreadable cache costs one GetTemplate per rack, nothing else. Without a home or cache
//! directory there is no cache. Only `plan` trusts it: it is the user's file and can be edited, so apply
//! reads every live template it compares (a cache can make a plan cheap, never make apply skip a change).

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
    /// Answers nothing, only checks what it is told against what it holds (`distrust`).
    distrusted: bool,
    /// Stacks whose cached hash, at the very LastUpdatedTime read now, is not their template's.
    contradicted: Vec<String>,
}

impl TemplateCache {
    /// Where the user's cache lives (`$XDG_CACHE_HOME/rackfile/templates.json`, else
    /// `~/.cache/rackfile/...`); `None` without a cache directory.
    pub fn user_path() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("rackfile").join("templates.json"))
    }

    /// The cache at `path` (empty when it is missing or not ours); `None`: an empty cache never written.
    pub fn load(path: Option<PathBuf>) -> Self {
        let file = path
            .as_deref()
            .and_then(|path| crate::config::read_regular_file(path, MAX_CACHE_BYTES).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            path,
            file,
            ..Self::default()
        }
    }

    /// Whether a run in this environment may trust the cache: not in CI (`CI` set, as every CI service sets
    /// it), where the cache directory is typically restored from a cache shared with other branches' jobs,
    /// which anyone who can open a pull request can fill.
    pub fn trusted_in(ci: Option<&str>) -> bool {
        ci.is_none_or(|value| matches!(value.trim(), "" | "0" | "false"))
    }

    /// Stops answering: every template is read as if the cache were empty, and what is read is checked
    /// against what the cache says (`contradictions`).
    pub fn distrust(&mut self) {
        self.distrusted = true;
    }

    /// The stacks for which the cache held a hash that is not their template's at the same LastUpdatedTime:
    /// a template only changes with an update, which moves that time, so such an entry was written by
    /// someone else.
    pub fn contradictions(&self) -> &[String] {
        &self.contradicted
    }

    /// The hash of the stack's template, if it was seen at this LastUpdatedTime.
    pub fn template_sha256(&self, stack_id: &str, last_updated: &str) -> Option<&str> {
        if self.distrusted {
            return None;
        }
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
        if let Some(held) = self.file.stacks.get(stack_id)
            && held.last_updated == entry.last_updated
            && held.template_sha256 != entry.template_sha256
        {
            self.contradicted.push(stack_id.to_string());
        }
        if self.file.stacks.get(stack_id) != Some(&entry) {
            self.file.stacks.insert(stack_id.to_string(), entry);
            self.changed = true;
        }
    }

    /// Writes the cache if anything was learnt, atomically and without following a link planted at its
    /// path (`atomic_file`). A cache that cannot be written is only a cost, never an error.
    pub fn save(&self) {
        let (Some(path), true) = (&self.path, self.changed) else {
            return;
        };
        let Ok(text) = serde_json::to_vec(&self.file) else {
            return;
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| crate::atomic_file::write(path, &text));
        if let Err(error) = written {
            tracing::debug!("template cache {} not written: {error}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_ci_the_cache_answers_nothing_and_an_entry_contradicting_a_read_template_is_reported() {
        assert!(TemplateCache::trusted_in(None));
        assert!(TemplateCache::trusted_in(Some("false")));
        assert!(!TemplateCache::trusted_in(Some("true")));
        assert!(!TemplateCache::trusted_in(Some("1")));
        let mut cache = TemplateCache::default();
        cache.remember("stack/1", "2026-11-27T10:00:00Z", "planted".into());
        cache.remember("stack/2", "2026-11-27T10:00:00Z", "same".into());
        cache.distrust();
        assert_eq!(
            cache.template_sha256("stack/1", "2026-11-27T10:00:00Z"),
            None
        );
        // What a plan reads now: stack 1's template is not what the cache says at that very time.
        cache.remember("stack/1", "2026-11-27T10:00:00Z", "real".into());
        cache.remember("stack/2", "2026-11-27T10:00:00Z", "same".into());
        cache.remember("stack/3", "2026-11-27T10:00:00Z", "new".into());
        assert_eq!(cache.contradictions(), ["stack/1".to_string()]);
    }

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
