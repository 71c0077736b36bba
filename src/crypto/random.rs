//! Randomness from the operating system.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Fills `buf` from the OS generator. Failure means the OS cannot give
/// randomness, and nothing secure can be done: stopping is the only safe answer.
pub fn fill(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("the operating system's random generator failed: {e}");
    }
}

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

/// A 256-bit token as URL-safe text (43 characters).
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// A uniformly random number in [0, 1), for jitter.
pub fn unit() -> f64 {
    (u64::from_be_bytes(bytes::<8>()) >> 11) as f64 / (1u64 << 53) as f64
}
