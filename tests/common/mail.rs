//! A real SMTP server for the tests: Debian's aiosmtpd on 127.0.0.1,
//! storing what it receives in a maildir the tests read.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::binary::free_port;

pub struct Smtp {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

/// Debian's Python, which has python3-aiosmtpd (`.ci/run` installs it).
const PYTHON: &str = "/usr/bin/python3";

/// Whether aiosmtpd can run here; under CI it must.
pub fn available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3-aiosmtpd is required under CI"
        );
        eprintln!("skipping: python3-aiosmtpd is not installed");
    }
    ok
}

impl Smtp {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut s = Self {
            port,
            dir,
            child: None,
        };
        s.resume();
        s
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Starts (again) on the same port.
    pub fn resume(&mut self) {
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "aiosmtpd listens"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server, as an outage would.
    pub fn pause(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The messages received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    out.push(text);
                }
            }
        }
        out
    }

    /// Waits until at least `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "expected {n} messages, got {}",
                m.len()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Settings that point Agora at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_SMTP__HOST", "127.0.0.1".to_owned()),
            ("AGORA_SMTP__PORT", self.port.to_string()),
            ("AGORA_SMTP__TLS", "none".to_owned()),
            ("AGORA_SMTP__FROM", "Agora <agora@example.test>".to_owned()),
            ("AGORA_SMTP__TIMEOUT", "3s".to_owned()),
        ]
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.pause();
    }
}

/// A raw message with quoted-printable soft breaks and `=3D` undone, for
/// reading its text.
pub fn text_of(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The link in an email's text that goes to `path`.
pub fn link_in(mail: &str, path: &str) -> String {
    let text = text_of(mail);
    let at = text.find(path).expect("the link is in the email");
    let start = text[..at].rfind("http").expect("the link starts with http");
    text[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_owned()
}
