//! Chunking for embedding: windows of at most `size_chars` characters that end, by
//! preference, at a paragraph break, then a sentence end, then a word boundary (and only when
//! there is none in the window's second half, mid-word), each starting `overlap_chars` before
//! the previous one ended, at a word start. Sizes count characters, never bytes, so a chunk
//! never splits a UTF-8 sequence. `char_start` is the offset of the chunk's first character in
//! the text, so `text.chars().skip(char_start).take(n)` gives the chunk back.

use app::model::Chunk;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// The most characters in one chunk (at least 1).
    pub size_chars: usize,
    /// How many characters a chunk repeats from the end of the one before; at most half the
    /// size, so every step advances.
    pub overlap_chars: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self { size_chars: 1_000, overlap_chars: 150 }
    }
}

pub fn chunk(text: &str, options: &ChunkOptions) -> Vec<Chunk> {
    let size = options.size_chars.max(1);
    let overlap = options.overlap_chars.min(size / 2);
    let mut chunks = Vec::new();
    // (byte offset, char offset) of the next chunk's start.
    let (mut start, mut start_char) = skip_whitespace(text, 0, 0);
    while start < text.len() {
        let rest = &text[start..];
        let window_end = byte_after_chars(rest, size);
        let end = if window_end == rest.len() {
            rest.len()
        } else {
            split_point(&rest[..window_end], size)
        };
        let piece = rest[..end].trim_end();
        chunks.push(Chunk {
            index: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
            text: piece.to_string(),
            char_start: start_char as u64,
        });
        if end == rest.len() {
            break;
        }
        // Step back `overlap` characters from the end, then forward to a word start, but
        // always move on past the previous start.
        let end_chars = rest[..end].chars().count();
        let back = overlap.min(end_chars.saturating_sub(1));
        let mut next = byte_after_chars(rest, end_chars - back);
        if back > 0 {
            let overlap_text = &rest[next..end];
            if let Some(ws) = overlap_text.find(char::is_whitespace)
                && !starts_word(rest, next)
            {
                next += ws;
            }
        }
        let next_chars = start_char + rest[..next].chars().count();
        (start, start_char) = skip_whitespace(text, start + next, next_chars);
    }
    chunks
}

/// Where to end a window that is `size` characters long: the last paragraph break, else the
/// last sentence end, else the last whitespace in its second half; else the whole window.
fn split_point(window: &str, size: usize) -> usize {
    let min = byte_after_chars(window, size / 2);
    let tail = &window[min..];
    if let Some(at) = tail.rfind("\n\n") {
        return min + at + 2;
    }
    if let Some(at) = last_sentence_end(tail) {
        return min + at;
    }
    if let Some((at, c)) = tail.char_indices().rev().find(|(_, c)| c.is_whitespace()) {
        return min + at + c.len_utf8();
    }
    window.len()
}

/// The byte offset just after the last sentence terminator followed by whitespace.
fn last_sentence_end(s: &str) -> Option<usize> {
    let mut best = None;
    let mut prev: Option<(usize, char)> = None;
    for (i, c) in s.char_indices() {
        if let Some((p, pc)) = prev {
            let terminator = matches!(pc, '.' | '!' | '?' | '…') && c.is_whitespace();
            let cjk = matches!(pc, '。' | '！' | '？');
            if terminator || cjk {
                best = Some(p + pc.len_utf8());
            }
        }
        prev = Some((i, c));
    }
    if let Some((p, pc)) = prev
        && matches!(pc, '。' | '！' | '？')
    {
        best = Some(p + pc.len_utf8());
    }
    best
}

fn starts_word(s: &str, at: usize) -> bool {
    at == 0 || s[..at].ends_with(char::is_whitespace)
}

/// The byte offset after `n` characters of `s` (or its length).
fn byte_after_chars(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

fn skip_whitespace(text: &str, byte: usize, chars: usize) -> (usize, usize) {
    let rest = &text[byte..];
    let trimmed = rest.trim_start();
    let skipped = &rest[..rest.len() - trimmed.len()];
    (byte + skipped.len(), chars + skipped.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(size: usize, overlap: usize) -> ChunkOptions {
        ChunkOptions { size_chars: size, overlap_chars: overlap }
    }

    /// Every chunk must be the text found at its `char_start`.
    fn assert_offsets(text: &str, chunks: &[Chunk]) {
        for c in chunks {
            let at: String =
                text.chars().skip(c.char_start as usize).take(c.text.chars().count()).collect();
            assert_eq!(at, c.text, "chunk {} is not at its char_start", c.index);
        }
    }

    #[test]
    fn empty_and_blank_text_give_no_chunks() {
        assert!(chunk("", &ChunkOptions::default()).is_empty());
        assert!(chunk(" \n\t ", &ChunkOptions::default()).is_empty());
    }

    #[test]
    fn short_text_is_one_chunk() {
        let chunks = chunk("  hello world  ", &opts(100, 10));
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "hello world");
        assert_eq!(chunks[0].char_start, 2);
    }

    #[test]
    fn text_of_exactly_the_size_is_one_chunk_and_one_more_char_makes_two() {
        let exact = "a".repeat(10);
        assert_eq!(chunk(&exact, &opts(10, 0)).len(), 1);
        let over = "a".repeat(11);
        let chunks = chunk(&over, &opts(10, 0));
        assert_eq!(chunks.iter().map(|c| c.text.len()).collect::<Vec<_>>(), vec![10, 1]);
        assert_eq!(chunks[1].char_start, 10);
    }

    #[test]
    fn paragraph_breaks_are_preferred_over_sentences_and_words() {
        let text =
            "First paragraph here. It has two sentences.\n\nSecond one follows and is long enough.";
        let chunks = chunk(text, &opts(60, 0));
        assert_eq!(chunks[0].text, "First paragraph here. It has two sentences.");
        assert!(chunks[1].text.starts_with("Second one"));
        assert_offsets(text, &chunks);
    }

    #[test]
    fn sentences_are_preferred_over_words() {
        let text = "One two three four. Five six seven eight nine ten eleven twelve";
        let chunks = chunk(text, &opts(30, 0));
        assert_eq!(chunks[0].text, "One two three four.");
        assert_offsets(text, &chunks);
    }

    #[test]
    fn words_are_not_split_when_a_boundary_exists() {
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
        for c in chunk(text, &opts(16, 0)) {
            for word in c.text.split(' ') {
                assert!(text.split(' ').any(|w| w == word), "split word {word:?}");
            }
        }
    }

    #[test]
    fn overlap_repeats_the_end_of_the_previous_chunk_from_a_word_start() {
        let text = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll";
        let chunks = chunk(text, &opts(20, 8));
        assert!(chunks.len() > 2);
        for pair in chunks.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let a_end = a.char_start + a.text.chars().count() as u64;
            assert!(b.char_start < a_end, "no overlap between {a:?} and {b:?}");
            assert!(b.char_start > a.char_start);
            assert!(text[..b.char_start as usize].ends_with(' '), "overlap starts mid-word: {b:?}");
        }
        assert_offsets(text, &chunks);
        assert!(chunks.last().is_some_and(|c| c.text.ends_with("llll")));
    }

    #[test]
    fn multibyte_text_is_cut_by_characters_not_bytes() {
        let text = "ééééé€€€€€😀😀😀😀😀日本語日本語";
        let chunks = chunk(text, &opts(4, 1));
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 4));
        assert_offsets(text, &chunks);
        let rebuilt: String =
            chunks.iter().map(|c| c.text.chars().skip(1).collect::<String>()).collect();
        assert!(rebuilt.len() < text.len());
        assert_eq!(chunks[0].text, "éééé");
        assert_eq!(chunks[1].char_start, 3);
    }

    #[test]
    fn indexes_count_up_and_every_character_is_covered() {
        let text = "word ".repeat(500);
        let chunks = chunk(&text, &opts(100, 20));
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.index as usize, i);
            assert!(c.text.chars().count() <= 100);
        }
        let mut covered = 0u64;
        for c in &chunks {
            assert!(c.char_start <= covered, "gap before chunk {}", c.index);
            covered = c.char_start + c.text.chars().count() as u64;
        }
        assert_eq!(covered, text.trim_end().chars().count() as u64);
    }

    #[test]
    fn an_overlap_larger_than_the_size_still_advances() {
        let text = "x".repeat(50);
        let chunks = chunk(&text, &opts(10, 100));
        assert!(chunks.len() >= 5 && chunks.len() <= 10);
    }
}
