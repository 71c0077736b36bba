//! What one commit costs: a sled transaction that writes what Create
//! Credential writes (about 15 keys in 8 trees), over as many trees as the
//! commit's transaction names — 24 before the expiry indexes and the
//! delivery outbox, 29 with them — alone and from 4 threads at once (sled
//! runs every multi-tree transaction under one database-wide lock).
//!
//! Run: `cargo bench --bench commit`. Results go in docs/benchmarks.md.

use std::sync::Arc;
use std::time::Instant;

use sled::transaction::{ConflictableTransactionError, Transactional};

const TXS: usize = 10_000;

fn run(db: &sled::Db, trees: &[sled::Tree], threads: usize) -> f64 {
    let trees = Arc::new(trees.to_vec());
    let value = vec![7u8; 400];
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (trees, value) = (trees.clone(), value.clone());
            s.spawn(move || {
                let refs: Vec<&sled::Tree> = trees.iter().collect();
                for i in 0..TXS / threads {
                    let k = ((t * TXS + i) as u64).to_be_bytes();
                    refs.as_slice()
                        .transaction(|v| {
                            // The credential and its three indexes, its key, the
                            // task and its due entry, the audit record and its two.
                            for (n, tree) in v.iter().take(8).enumerate() {
                                tree.insert(&k[..], if n < 2 { value.clone() } else { vec![1] })?;
                            }
                            for tree in v.iter().take(7) {
                                tree.insert([&k[..], b"x"].concat(), vec![1])?;
                            }
                            Ok::<_, ConflictableTransactionError<()>>(())
                        })
                        .unwrap();
                }
            });
        }
    });
    let rate = TXS as f64 / started.elapsed().as_secs_f64();
    db.flush().unwrap();
    rate
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::open(dir.path()).unwrap();
    let all: Vec<sled::Tree> = (0..29)
        .map(|i| db.open_tree(format!("t{i}")).unwrap())
        .collect();
    // A first pass warms the trees and the log; it is not reported.
    run(&db, &all, 1);
    println!("| trees in the transaction | threads | transactions/s |");
    println!("|---|---|---|");
    for n in [8, 24, 29] {
        for threads in [1, 4] {
            let rate = run(&db, &all[..n], threads);
            println!("| {n} | {threads} | {rate:.0} |");
        }
    }
}
