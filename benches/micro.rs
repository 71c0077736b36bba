//! Micro-benchmarks of the hot paths: checking an API key, issuing an OAuth
//! token, sealing and opening a secret. (The Marketplace page render is in
//! `benches/marketplace.rs`.)
//!
//! Run: `cargo bench --bench micro`. Results go in docs/benchmarks.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use agora::clock::{Clock, ManualClock};
use agora::crypto::digest::hmac_sha256;
use agora::crypto::master_key::MasterKey;
use agora::crypto::vault::Vault;
use agora::domain::credential::{Desired, Wanted, secret_aad};
use agora::domain::ids::*;
use agora::domain::key_format::{self, KeyId};
use agora::domain::path::CanonicalPath;
use agora::domain::resource::CredentialType;
use agora::gateway::Gateway;
use agora::gateway::index::{Presented, Target};
use agora::store::{EmbeddedChange, EmbeddedCredential, Store};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("agora.key");
    let master = MasterKey::load_or_create(&key_file).unwrap();
    let store = Store::open(&dir.path().join("data"), &master, &key_file).unwrap();
    let clock = ManualClock::at_test_epoch();
    let now = clock.now();
    let pepper = master.derive("secret-pepper");
    let gateway = Gateway::load(&store, Arc::new(clock), pepper).unwrap();

    let resource = ResourceId::generate(now);
    let add = |kind: CredentialType| {
        let key_id = KeyId::generate();
        let secret = key_format::new_secret();
        gateway.apply(EmbeddedChange::Credential(EmbeddedCredential {
            credential: CredentialId::generate(now),
            key_id,
            kind,
            team: TeamId::generate(now),
            application: ApplicationId::generate(now),
            resource,
            access: AccessId::generate(now),
            active: true,
            secret_version: 1,
            hash: hex::encode(hmac_sha256(&pepper, &[secret.as_bytes()])),
            previous: None,
        }));
        gateway.set_desired(
            &key_id,
            Some(Wanted {
                desired: Desired::Active,
                expires_at: None,
                expired: false,
            }),
        );
        (key_id, secret)
    };
    let (api_id, api_secret) = add(CredentialType::ApiKey);
    let api_key = key_format::api_key(&api_id, &api_secret);
    let (client, client_secret) = add(CredentialType::OauthClient);

    c.bench_function("API key: parse, checksum and keyed-hash check", |b| {
        b.iter(|| {
            let (_, secret) = key_format::parse_api_key(black_box(&api_key)).unwrap();
            black_box(hmac_sha256(&pepper, &[secret.as_bytes()]))
        })
    });
    c.bench_function(
        "gateway decision for an API key (no access grant: 403)",
        |b| {
            b.iter(|| {
                black_box(gateway.authorize(
                    Some(Presented::ApiKey(black_box(&api_key))),
                    Target::Resource(resource),
                ))
            })
        },
    );
    c.bench_function("read a request path the canonical way", |b| {
        b.iter(|| {
            black_box(CanonicalPath::parse(black_box(
                "/weather/v1/today?city=Oslo",
            )))
        })
    });
    c.bench_function("OAuth token issue (client credentials)", |b| {
        b.iter(|| {
            black_box(gateway.issue_token(
                &client.client_id(),
                &client_secret,
                Duration::from_secs(3_600),
            ))
        })
    });
    let vault = Vault::new(&master);
    let id = CredentialId::generate(now);
    let aad = secret_aad(id, 1);
    let sealed = vault.seal(api_secret.as_bytes(), &aad);
    c.bench_function("seal a secret (AES-256-GCM)", |b| {
        b.iter(|| black_box(vault.seal(black_box(api_secret.as_bytes()), &aad)))
    });
    c.bench_function("open a sealed secret", |b| {
        b.iter(|| black_box(vault.open(black_box(&sealed), &aad).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
