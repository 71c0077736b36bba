//! The release `agora` binary run as an operator runs it: its own process on
//! a data directory, settings from the environment.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Binary {
    pub port: u16,
    pub base: String,
    child: Child,
}

/// A port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Whether `/healthz` on the port answers 200.
fn healthy(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port))
        .ok()
        .and_then(|mut s| {
            s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").ok()?;
            let mut buf = String::new();
            s.read_to_string(&mut buf).ok()?;
            buf.starts_with("HTTP/1.0 200").then_some(())
        })
        .is_some()
}

impl Binary {
    /// Starts `agora` on `dir` (its `data` directory and `agora.key`) and
    /// `port`, with `env` on top, logging errors only. Returns once
    /// `/healthz` answers 200, with the time that took.
    pub fn start(dir: &Path, port: u16, env: &[(&str, &str)]) -> (Self, Duration) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AGORA_")) {
            cmd.env_remove(k);
        }
        cmd.current_dir(dir)
            .env("AGORA_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("AGORA_STORAGE__PATH", dir.join("data"))
            .env("AGORA_SECURITY__MASTER_KEY_FILE", dir.join("agora.key"))
            .env("AGORA_LOG__LEVEL", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            // AGORA_BINARY_LOG=1 shows the server's own log, to see why it did not start.
            .stderr(if std::env::var_os("AGORA_BINARY_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        let started = Instant::now();
        let child = cmd.spawn().expect("start agora");
        let server = Binary {
            port,
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        while !healthy(port) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "agora never became healthy"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        (server, started.elapsed())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks it to stop (SIGTERM) and waits until it has: in-flight requests
    /// finish and the database closes.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// SIGKILL, as a crash would: nothing is flushed on the way out.
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
