//! The Marketplace page with 1,000 published products: building the index at
//! start-up, and answering a page (search in the index + template render).
//!
//! Run: `cargo bench --bench marketplace`. Results go in docs/benchmarks.md.

use std::hint::black_box;

use askama::Template;
use criterion::{Criterion, criterion_group, criterion_main};

use agora::clock::Timestamp;
use agora::crypto::master_key::MasterKey;
use agora::domain::audit::{AuditRecord, Subject};
use agora::domain::ids::{AuditId, ProductId, TeamId};
use agora::domain::product::{Product, ProductDetails, ProductState};
use agora::domain::team::{Membership, Team, TeamName, TeamRole};
use agora::marketplace::Marketplace;
use agora::store::Store;
use agora::web::pages::marketplace::{SearchQuery, marketplace_page};
use agora::web::render::Layout;

const PRODUCTS: usize = 1_000;
const WORDS: [&str; 8] = [
    "weather", "maps", "payments", "search", "mail", "storage", "vision", "speech",
];

fn seeded_store(dir: &std::path::Path) -> Store {
    let key_file = dir.join("agora.key");
    let key = MasterKey::load_or_create(&key_file).expect("key");
    let store = Store::open(&dir.join("data"), &key, &key_file).expect("store");
    let now = Timestamp::from_millis(1_767_225_600_000);
    let audit = |team, subject| AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: None,
        team: Some(team),
        action: "seed".to_owned(),
        detail: String::new(),
        subject,
    };
    let mut providers = Vec::new();
    for i in 0..50 {
        let team = Team {
            id: TeamId::generate(now),
            name: TeamName::parse(&format!("Provider {i:02}")).unwrap(),
            description: String::new(),
            created_at: now,
            provider: true,
        };
        let admin = Membership {
            team_id: team.id,
            user_id: agora::domain::ids::UserId::generate(now),
            role: TeamRole::Admin,
            since: now,
        };
        store
            .create_team(&team, &admin, &audit(team.id, None))
            .unwrap();
        providers.push(team.id);
    }
    for i in 0..PRODUCTS {
        let word = WORDS[i % WORDS.len()];
        let details = ProductDetails::parse(
            &format!("{} API {i:04}", word.to_uppercase()),
            &format!("A {word} service for teams: fast, documented and metered ({i})."),
            "# About\n\nLong description.",
            &format!("{word}, tier-{}", i % 5),
        )
        .unwrap();
        let product = Product {
            id: ProductId::generate(now),
            provider: providers[i % providers.len()],
            details,
            state: ProductState::Published,
            created_at: now,
            updated_at: now,
            published_at: Some(now),
            description_html: None,
        };
        let a = audit(product.provider, Some(Subject::Product(product.id)));
        store.put_product(&product, true, &a).unwrap();
    }
    store
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path());

    c.bench_function("marketplace index build, 1000 products", |b| {
        b.iter(|| black_box(Marketplace::load(&store).unwrap().len()))
    });

    let market = Marketplace::load(&store).unwrap();
    assert_eq!(market.len(), PRODUCTS);
    let render = |query: SearchQuery| {
        let page = marketplace_page(&market, Layout::bare("Marketplace"), query);
        page.render().unwrap()
    };
    c.bench_function("marketplace page 1 of 1000 products", |b| {
        b.iter(|| black_box(render(SearchQuery::default()).len()))
    });
    c.bench_function("marketplace search 'weather' among 1000", |b| {
        b.iter(|| {
            black_box(
                render(SearchQuery {
                    q: "weather".to_owned(),
                    ..SearchQuery::default()
                })
                .len(),
            )
        })
    });
    c.bench_function("marketplace tag filter + search, page 3", |b| {
        b.iter(|| {
            black_box(
                render(SearchQuery {
                    q: "metered".to_owned(),
                    tag: "tier-2".to_owned(),
                    page: Some(3),
                })
                .len(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
