//! Content hashes the providers publish: OneDrive's QuickXorHash (base64), Dropbox's block
//! content hash (hex), and the plain digests Drive reports (`md5Checksum`, `sha256Checksum`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha2::{Digest, Sha256};

/// QuickXorHash, ported from the C# sample in OneDrive's `docs/code-snippets/quickxorhash.md`:
/// bytes are XORed into a 160-bit block at a position that advances 11 bits per byte, and
/// the input length is XORed into the last 8 bytes.
#[derive(Clone, Debug, Default)]
pub struct QuickXorHash {
    data: [u64; 3],
    length_so_far: u64,
    shift_so_far: usize,
}

const WIDTH_IN_BITS: usize = 160;
const SHIFT: usize = 11;
const BITS_IN_LAST_CELL: usize = 32;

impl QuickXorHash {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let size = bytes.len();
        let mut cell = self.shift_so_far / 64;
        let mut offset = self.shift_so_far % 64;
        // Bytes 160 apart land on the same bit position: XOR them together first.
        for i in 0..size.min(WIDTH_IN_BITS) {
            let is_last_cell = cell == self.data.len() - 1;
            let bits_in_cell = if is_last_cell { BITS_IN_LAST_CELL } else { 64 };
            let mut folded: u8 = 0;
            let mut j = i;
            while j < size {
                folded ^= bytes[j];
                j += WIDTH_IN_BITS;
            }
            if offset <= bits_in_cell - 8 {
                self.data[cell] ^= u64::from(folded) << offset;
            } else {
                // The byte straddles two cells (the last cell wraps around to the first).
                let next = if is_last_cell { 0 } else { cell + 1 };
                self.data[cell] ^= u64::from(folded) << offset;
                self.data[next] ^= u64::from(folded) >> (bits_in_cell - offset);
            }
            offset += SHIFT;
            while offset >= bits_in_cell {
                cell = if is_last_cell { 0 } else { cell + 1 };
                offset -= bits_in_cell;
            }
        }
        self.shift_so_far = (self.shift_so_far + SHIFT * (size % WIDTH_IN_BITS)) % WIDTH_IN_BITS;
        self.length_so_far += size as u64;
    }

    pub fn finalize(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[0..8].copy_from_slice(&self.data[0].to_le_bytes());
        out[8..16].copy_from_slice(&self.data[1].to_le_bytes());
        out[16..20].copy_from_slice(&self.data[2].to_le_bytes()[..4]);
        for (i, b) in self.length_so_far.to_le_bytes().iter().enumerate() {
            out[20 - 8 + i] ^= b;
        }
        out
    }
}

/// The base64 QuickXorHash Graph reports in `file.hashes.quickXorHash`.
pub fn quick_xor_hash(bytes: &[u8]) -> String {
    let mut hasher = QuickXorHash::new();
    hasher.update(bytes);
    STANDARD.encode(hasher.finalize())
}

/// Dropbox's block size for `content_hash`.
pub const DROPBOX_BLOCK_SIZE: usize = 4 * 1024 * 1024;

/// Dropbox `content_hash`: SHA-256 of the concatenated SHA-256 digests of 4 MiB blocks
/// (developers.dropbox.com/reference/content-hash), in lower-case hex.
pub fn dropbox_content_hash(bytes: &[u8]) -> String {
    let mut outer = Sha256::new();
    for block in bytes.chunks(DROPBOX_BLOCK_SIZE) {
        outer.update(Sha256::digest(block));
    }
    hex::encode(outer.finalize())
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(<Md5 as md5::Digest>::digest(bytes))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_xor_hash_is_independent_of_how_input_is_split() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = quick_xor_hash(&data);
        for chunk in [1, 7, 64, 160, 333] {
            let mut hasher = QuickXorHash::new();
            data.chunks(chunk).for_each(|c| hasher.update(c));
            assert_eq!(STANDARD.encode(hasher.finalize()), whole, "chunk size {chunk}");
        }
    }
}
