//! What keeps reads from repeating or crowding: `Memo` (one read per key however many ask for it) and
//! `StackTemplatePermits` (GetTemplate at most `STACK_TEMPLATE_CONCURRENCY` at a time per (account,
//! region)).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;

use crate::cloud::{Cloud, CloudError, RegionKey, StackKey};

/// At most this many GetTemplate calls at once per (account, region), to stay clear of throttling.
const STACK_TEMPLATE_CONCURRENCY: usize = 8;

/// One read per key however many racks ask for it: the first asker starts it, every asker awaits the same
/// answer.
pub(super) struct Memo<'a, K, V: Clone> {
    reads: Mutex<HashMap<K, Shared<BoxFuture<'a, V>>>>,
}

impl<K, V: Clone> Default for Memo<'_, K, V> {
    fn default() -> Self {
        Self {
            reads: Mutex::new(HashMap::new()),
        }
    }
}

impl<'a, K: Eq + Hash, V: Clone> Memo<'a, K, V> {
    pub(super) fn get(
        &self,
        key: K,
        read: impl FnOnce() -> BoxFuture<'a, V>,
    ) -> Shared<BoxFuture<'a, V>> {
        self.reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| read().shared())
            .clone()
    }
}

/// The permits of each (account, region)'s GetTemplate calls.
#[derive(Default)]
pub(super) struct StackTemplatePermits {
    regions: Mutex<HashMap<RegionKey, Arc<Semaphore>>>,
}

impl StackTemplatePermits {
    /// GetTemplate of the stack, waiting for a permit of its (account, region).
    pub(super) async fn stack_template(
        &self,
        key: &StackKey,
        cloud: &dyn Cloud,
    ) -> Result<String, CloudError> {
        let permits = self
            .regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.region_key())
            .or_insert_with(|| Arc::new(Semaphore::new(STACK_TEMPLATE_CONCURRENCY)))
            .clone();
        // The semaphore is never closed, so a permit always comes.
        let _permit = permits.acquire().await.ok();
        cloud.stack_template(&key.name).await
    }
}
