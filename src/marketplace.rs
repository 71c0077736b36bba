//! The Marketplace index: a card per published product, kept in memory so a
//! search reads no storage. Built from storage at start-up; the provider
//! team's actor refreshes a product's card after each change it commits.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::domain::ids::ProductId;
use crate::domain::product::Product;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Card {
    pub product: ProductId,
    pub name: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub provider: String,
    /// Lowercase name, summary and tags, searched by substring.
    haystack: String,
    /// Lowercase name, the listing order.
    sort_key: String,
}

impl Card {
    fn new(p: &Product, provider: String) -> Self {
        let d = &p.details;
        let tags: Vec<String> = d.tags.iter().map(|t| t.to_string()).collect();
        let haystack = format!("{}\n{}\n{}", d.name, d.summary, tags.join("\n")).to_lowercase();
        Self {
            product: p.id,
            name: d.name.clone(),
            summary: d.summary.clone(),
            tags,
            provider,
            haystack,
            sort_key: d.name.to_lowercase(),
        }
    }
}

/// What a Marketplace page shows.
pub struct SearchPage {
    pub cards: Vec<Card>,
    /// Cards matching the query, over all pages.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Tags of all published products, with how many products carry each.
    pub tags: Vec<(String, usize)>,
}

#[derive(Clone, Default)]
pub struct Marketplace {
    cards: Arc<RwLock<Vec<Card>>>,
}

impl Marketplace {
    pub fn load(store: &Store) -> Result<Self, StoreError> {
        let market = Self::default();
        for p in store.products()? {
            market.refresh_with(store, &p)?;
        }
        Ok(market)
    }

    /// Re-reads one product and shows, changes or removes its card.
    pub fn refresh(&self, store: &Store, id: ProductId) -> Result<(), StoreError> {
        match store.product(id)? {
            Some(p) => self.refresh_with(store, &p),
            None => {
                self.remove(id);
                Ok(())
            }
        }
    }

    fn refresh_with(&self, store: &Store, p: &Product) -> Result<(), StoreError> {
        if !p.is_published() {
            self.remove(p.id);
            return Ok(());
        }
        let provider = store
            .team(p.provider)?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        let card = Card::new(p, provider);
        let mut cards = self.cards.write().unwrap_or_else(|e| e.into_inner());
        cards.retain(|c| c.product != p.id);
        let at =
            cards.partition_point(|c| (&c.sort_key, c.product) < (&card.sort_key, card.product));
        cards.insert(at, card);
        Ok(())
    }

    fn remove(&self, id: ProductId) {
        let mut cards = self.cards.write().unwrap_or_else(|e| e.into_inner());
        cards.retain(|c| c.product != id);
    }

    pub fn len(&self) -> usize {
        self.cards.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_listed(&self, id: ProductId) -> bool {
        let cards = self.cards.read().unwrap_or_else(|e| e.into_inner());
        cards.iter().any(|c| c.product == id)
    }

    /// Cards whose name, summary or tags contain every word of `query`, and
    /// that carry `tag` when one is given; `page` counts from 1.
    pub fn search(
        &self,
        query: &str,
        tag: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> SearchPage {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let cards = self.cards.read().unwrap_or_else(|e| e.into_inner());
        let mut tag_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in cards.iter() {
            for t in &c.tags {
                *tag_counts.entry(t).or_default() += 1;
            }
        }
        let matching: Vec<&Card> = cards
            .iter()
            .filter(|c| tag.is_none_or(|t| c.tags.iter().any(|x| x == t)))
            .filter(|c| words.iter().all(|w| c.haystack.contains(w.as_str())))
            .collect();
        let total = matching.len();
        let pages = total.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        SearchPage {
            cards: matching
                .into_iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .cloned()
                .collect(),
            total,
            page,
            pages,
            tags: tag_counts
                .into_iter()
                .map(|(t, n)| (t.to_owned(), n))
                .collect(),
        }
    }
}
