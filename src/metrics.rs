//! Prometheus counters and a latency histogram per route, the outcomes of
//! provisioning and delivery work, and the process's own figures, rendered
//! as text. Every label comes from a fixed set (methods, route patterns,
//! configured data planes, outcomes): no request can add a series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

pub struct Metrics {
    inner: Mutex<Inner>,
    /// When this process started (seconds since the epoch).
    started: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            inner: Mutex::default(),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    /// (work, target, outcome): provisioning per data plane, deliveries per
    /// channel.
    outcomes: BTreeMap<(&'static str, String, &'static str), u64>,
    /// (data plane, outcome): the calls its gateway decided.
    calls: BTreeMap<(String, &'static str), u64>,
}

/// The methods a series is kept for; any other is counted as `other`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

impl Metrics {
    /// Counts one piece of background work: `work` is `provisioning` (the
    /// target a data plane's name) or `delivery` (`email` or `webhook`).
    pub fn outcome(&self, work: &'static str, target: &str, outcome: &'static str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .outcomes
            .entry((work, target.to_owned(), outcome))
            .or_default() += 1;
    }

    /// Adds `n` calls a data plane's gateway decided with `outcome` (the
    /// usage job's words: `allowed`, `suspended` …). Never per credential.
    pub fn calls(&self, dataplane: &str, outcome: &'static str, n: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .calls
            .entry((dataplane.to_owned(), outcome))
            .or_default() += n;
    }

    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .requests
            .entry((method_label(method), route.to_owned(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// The text of `/metrics`, with the caller's gauges and counters (name,
    /// help, value) beside the ones kept here.
    pub fn render(&self, extra: &[(&str, &str, f64)], counters: &[(&str, &str, f64)]) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP agora_build_info Build information.\n# TYPE agora_build_info gauge"
        );
        let _ = writeln!(
            out,
            "agora_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        process(&mut out, self.started);
        let _ = writeln!(
            out,
            "# HELP agora_work_total Background work by kind, target (data plane, or email and webhook) and outcome.\n# TYPE agora_work_total counter"
        );
        for ((work, target, outcome), n) in &inner.outcomes {
            let _ = writeln!(
                out,
                "agora_work_total{{work=\"{work}\",target=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(target)
            );
        }
        let _ = writeln!(
            out,
            "# HELP agora_gateway_calls_total Calls a data plane's gateway decided, by outcome (counted when the usage job writes them).\n# TYPE agora_gateway_calls_total counter"
        );
        for ((plane, outcome), n) in &inner.calls {
            let _ = writeln!(
                out,
                "agora_gateway_calls_total{{dataplane=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(plane)
            );
        }
        let _ = writeln!(
            out,
            "# HELP agora_http_requests_total HTTP requests by route and status.\n# TYPE agora_http_requests_total counter"
        );
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "agora_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP agora_http_request_duration_seconds Time to answer, by route.\n# TYPE agora_http_request_duration_seconds histogram"
        );
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "agora_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out
    }
}

/// The process's CPU time, resident memory, open files and start time, read
/// from /proc where there is one.
fn process(out: &mut String, started: f64) {
    let _ = writeln!(
        out,
        "# HELP process_start_time_seconds Start time of the process since the epoch.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {started:.3}"
    );
    // Fields 14 and 15 of /proc/self/stat: user and system time in clock
    // ticks (100 a second on Linux), after the parenthesised command name.
    if let Some(ticks) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(") ")?.1;
            let f: Vec<&str> = rest.split(' ').collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
    {
        let _ = writeln!(
            out,
            "# HELP process_cpu_seconds_total User and system CPU time spent.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {:.2}",
            ticks / 100.0
        );
    }
    if let Some(kb) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
    {
        let _ = writeln!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}",
            kb * 1024
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        let _ = writeln!(
            out,
            "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds {}",
            fds.count()
        );
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_accumulate() {
        let m = Metrics::default();
        m.record("GET", "/teams/{team_id}", 200, Duration::from_millis(3));
        m.record("GET", "/teams/{team_id}", 200, Duration::from_millis(30));
        let text = m.render(&[], &[]);
        assert!(text.contains(
            "agora_http_requests_total{method=\"GET\",route=\"/teams/{team_id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(
            text.contains(
                "agora_http_request_duration_seconds_count{route=\"/teams/{team_id}\"} 2"
            )
        );
    }

    #[test]
    fn an_unknown_method_adds_no_series() {
        let m = Metrics::default();
        for method in ["FOO", "BAR", "get", "PROPFIND"] {
            m.record(method, "unmatched", 404, Duration::from_millis(1));
        }
        let text = m.render(&[], &[]);
        assert!(
            text.contains("method=\"other\",route=\"unmatched\",status=\"404\"} 4"),
            "{text}"
        );
        for method in ["FOO", "BAR", "get", "PROPFIND"] {
            assert!(!text.contains(&format!("method=\"{method}\"")), "{method}");
        }
    }

    #[test]
    fn work_outcomes_and_the_process_are_reported() {
        let m = Metrics::default();
        m.outcome("provisioning", "embedded", "done");
        m.outcome("provisioning", "embedded", "done");
        m.outcome("delivery", "webhook", "retry");
        let text = m.render(&[], &[]);
        assert!(text.contains(
            "agora_work_total{work=\"provisioning\",target=\"embedded\",outcome=\"done\"} 2"
        ));
        assert!(text.contains(
            "agora_work_total{work=\"delivery\",target=\"webhook\",outcome=\"retry\"} 1"
        ));
        for name in [
            "process_start_time_seconds",
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
        ] {
            assert!(text.contains(&format!("\n{name} ")), "{name} in {text}");
        }
    }
}
