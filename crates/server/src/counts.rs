//! The finding counts of a filter, kept per store version: counting a run of 700,000 findings takes a
//! second, a page of them a few milliseconds. Every committed write changes the version
//! ([`origin_store::Store::version`]), so a kept count is never stale; requests that arrive together
//! for the same uncounted filter wait for one count instead of each making its own.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use origin_store::{FindingCounts, FindingFilter};
use tokio::sync::OnceCell;

use crate::AppState;
use crate::error::AppError;

/// How many (filter, version) counts are kept; the oldest goes first.
const KEPT: usize = 256;

type Slot = Arc<OnceCell<Arc<FindingCounts>>>;

/// The kept counts.
#[derive(Debug, Default)]
pub struct CountCache {
    inner: Mutex<(VecDeque<String>, HashMap<String, Slot>)>,
}

impl CountCache {
    fn slot(&self, key: &str) -> Result<Slot, AppError> {
        let mut guard = self.inner.lock().map_err(AppError::internal)?;
        let (order, map) = &mut *guard;
        if let Some(s) = map.get(key) {
            return Ok(s.clone());
        }
        if order.len() >= KEPT
            && let Some(old) = order.pop_front()
        {
            map.remove(&old);
        }
        let s = Slot::default();
        order.push_back(key.to_string());
        map.insert(key.to_string(), s.clone());
        Ok(s)
    }
}

/// The counts of the findings matching `f`, from the cache or counted now.
pub async fn counts(state: &AppState, f: &FindingFilter) -> Result<Arc<FindingCounts>, AppError> {
    let version = state.store().version().await?;
    let key =
        serde_json::json!([version, f.run, f.status, f.severity, f.code, f.good, f.supplier, f.chapter]).to_string();
    let slot = state.counts().slot(&key)?;
    let got = slot.get_or_try_init(|| async { state.store().finding_counts(f).await.map(Arc::new) }).await?;
    Ok(got.clone())
}
