//! An HTTP load generator for the benchmarks: keep-alive workers sending
//! requests back to back over loopback, reporting requests per second, p50,
//! p99 and errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Report {
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

impl Report {
    /// `requests/s | p50 | p99 | errors`, for a Markdown table row.
    pub fn cells(&self) -> String {
        format!(
            "{:.0} | {:.2} ms | {:.2} ms | {}",
            self.rps,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.errors
        )
    }

    /// A whole row: name, concurrency, the cells and the ratio to `hello` requests/s.
    pub fn row(&self, name: &str, concurrency: usize, hello: f64) -> String {
        format!(
            "| {name} | {concurrency} | {} | {:.0}% |",
            self.cells(),
            100.0 * self.rps / hello
        )
    }
}

/// Builds the `i`-th request of worker `w`.
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize, usize) -> reqwest::RequestBuilder>;

/// Runs `concurrency` workers until `stop` is set, each sending requests
/// back to back on its own keep-alive connection.
pub async fn drive(
    concurrency: usize,
    stop: Arc<AtomicBool>,
    make: MakeRequest,
    expect: u16,
) -> Report {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (client, make, stop) = (client.clone(), make.clone(), stop.clone());
        workers.push(actix_web::rt::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let req = make(&client, w, i);
                i += 1;
                let t = Instant::now();
                match req.send().await {
                    Ok(res) if res.status().as_u16() == expect => {
                        let _ = res.bytes().await;
                        latencies.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    if all.is_empty() {
        all.push(Duration::ZERO); // every call failed: the errors column says so
    }
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Report {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        errors,
    }
}

/// [`drive`] for a fixed time.
pub async fn drive_for(secs: u64, concurrency: usize, make: MakeRequest, expect: u16) -> Report {
    let stop = Arc::new(AtomicBool::new(false));
    let timer = stop.clone();
    actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(Duration::from_secs(secs)).await;
        timer.store(true, Ordering::Relaxed);
    });
    drive(concurrency, stop, make, expect).await
}

pub fn get(base: &str, path: &str, cookie: Option<&str>) -> MakeRequest {
    let url = format!("{base}{path}");
    let cookie = cookie.map(str::to_owned);
    Arc::new(move |c: &reqwest::Client, _, _| {
        let req = c.get(&url);
        match &cookie {
            Some(v) => req.header("cookie", v),
            None => req,
        }
    })
}

/// The plain series of `/metrics` (those without labels).
pub async fn gauges(base: &str) -> std::collections::HashMap<String, f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .and_then(|r| r.error_for_status())
        .expect("/metrics")
        .text()
        .await
        .expect("/metrics text");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.contains('{'))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The flushing thread's work between two readings of `/metrics`.
pub struct Flushes {
    flushes: f64,
    answers: f64,
    seconds: f64,
}

impl Flushes {
    pub fn between(
        a: &std::collections::HashMap<String, f64>,
        b: &std::collections::HashMap<String, f64>,
    ) -> Self {
        let d = |k: &str| b[k] - a[k];
        Flushes {
            flushes: d("agora_store_flushes_total"),
            answers: d("agora_store_flush_answers_total"),
            seconds: d("agora_store_flush_seconds_total"),
        }
    }
}

impl std::fmt::Display for Flushes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.flushes.max(1.0);
        write!(
            f,
            "{:.0} flushes, {:.1} answers and {:.2} ms each",
            self.flushes,
            self.answers / n,
            self.seconds * 1e3 / n
        )
    }
}
