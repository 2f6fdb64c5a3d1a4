//! Random identifiers: our payment ids (YooKassa's Idempotence-Key) and admin adjustment keys.

use crate::error::{Error, Result};
use std::io::Read;

/// `prefix` followed by 32 random hex digits from the kernel's CSPRNG. Random rather than a counter
/// so that a database restored from an old backup never reuses a key YooKassa has already seen.
pub fn random_id(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("reading /dev/urandom", e))?;
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}
