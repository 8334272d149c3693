//! Listings as what the SDK's use cases read: the export of a listing (its records mapped to
//! users, counted), the export of a listing whose mapping needs an index of every record
//! first, and the first records a connection test decodes.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::Listing;
use crate::error::Result;
use crate::http::HttpClient;
use crate::{User, UserExport};

impl Listing {
    /// The export of this listing: each page's records mapped to users by `map` (a closure:
    /// a mapping may depend on the settings), pages and malformed records counted and named
    /// by the listing's path ([`UserExport::from_pages`]). Fails before any request as
    /// [`pages`](Self::pages) does.
    pub fn users<T>(
        self,
        http: &HttpClient,
        map: impl Fn(T) -> User + Send + 'static,
    ) -> Result<UserExport>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let label = self.request.path_label();
        let pages = self.pages::<T>(http)?;
        Ok(UserExport::from_pages(pages, label, map, |e| e))
    }

    /// [`users`](Self::users) for a mapping that needs to look every record up first: an API
    /// that names a manager by e-mail while the export names them by id. `index` (a listing
    /// of the same records, small: `fields=id,email`) is read to the end first, each record
    /// giving an `entry` (a key and a value; none for a record without a key); then each record of this listing is mapped with
    /// that index. A failing first pass ends the export before any user; its pages are not
    /// counted in the export's statistics.
    pub fn users_indexed<T, R>(
        self,
        http: &HttpClient,
        index: Listing,
        entry: impl Fn(R) -> Option<(String, String)> + Send + 'static,
        map: impl Fn(T, &HashMap<String, String>) -> User + Send + Sync + 'static,
    ) -> Result<UserExport>
    where
        T: DeserializeOwned + Send + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        let index = index.pages::<R>(http)?;
        let built: Arc<OnceLock<HashMap<String, String>>> = Arc::default();
        let known = built.clone();
        let export = self.users(http, move |record| match known.get() {
            Some(index) => map(record, index),
            None => map(record, &HashMap::new()),
        })?;
        Ok(export.after(async move {
            let (mut pages, mut entries) = (index, HashMap::new());
            while let Some(page) = pages.next().await {
                entries.extend(page?.items.into_iter().filter_map(&entry));
            }
            let _ = built.set(entries);
            Ok(())
        }))
    }

    /// The first `count` records, decoded strictly (a record the export would skip as
    /// malformed fails here, naming the field), one request: what a connection test reads to
    /// prove that the export's records decode. The listing's permission names a 403.
    pub async fn first_records<T>(&self, http: &HttpClient, count: u32) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let mut probe = self.clone().page_size(count).look_ahead(1);
        probe.lenient = false;
        probe.max_page_size = None;
        match probe.pages::<T>(http)?.next().await {
            Some(page) => Ok(page?.items),
            None => Ok(Vec::new()),
        }
    }
}
