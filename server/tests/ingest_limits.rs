//! Hostile and broken inputs: each must end in the right error kind, quickly, without a
//! panic, and without inflating more than the limits allow. Plus the API around extraction
//! (blocking wrapper, support check, hashing, chunking of extracted text).

#[path = "fixtures/ingest/corpus.rs"]
mod corpus;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud_sources::ingest::{
    ChunkOptions, DocumentHint, ExtractErrorKind, Limits, chunk, content_hash, extract,
    extract_blocking, is_supported,
};
use corpus::{PdfFont, Prose, WordGaps};

fn kind(bytes: &[u8], name: &str, limits: &Limits) -> Result<String, ExtractErrorKind> {
    let hint = DocumentHint { name, mime_type: None };
    extract(bytes, &hint, limits).map(|x| x.text).map_err(|e| e.kind)
}

fn sample_pdf() -> Vec<u8> {
    let mut prose = Prose::new(1);
    let pages = vec![prose.lines(3), prose.lines(2)];
    corpus::pdf(&pages, PdfFont::Identity, WordGaps::Kerning, Some("Sample"))
}

#[test]
fn garbage_behind_a_pdf_header_is_a_parse_error() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    assert_eq!(kind(&bytes, "broken.pdf", &Limits::default()), Err(ExtractErrorKind::Parse));
}

#[test]
fn binary_garbage_declared_as_pdf_is_a_parse_error_not_unsupported() {
    let bytes: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(40503) >> 3) as u8).collect();
    assert_eq!(kind(&bytes, "scan.pdf", &Limits::default()), Err(ExtractErrorKind::Parse));
}

#[test]
fn damaged_pdfs_never_hang_and_end_in_text_or_a_parse_error() {
    let pdf = sample_pdf();
    let start = Instant::now();
    // Truncations and byte flips across the whole file.
    for cut in (16..pdf.len()).step_by(97) {
        let result = kind(&pdf[..cut], "cut.pdf", &Limits::default());
        assert!(matches!(result, Ok(_) | Err(ExtractErrorKind::Parse)), "cut at {cut}: {result:?}");
    }
    for at in (9..pdf.len()).step_by(31) {
        let mut flipped = pdf.clone();
        flipped[at] ^= 0x5a;
        let result = kind(&flipped, "flip.pdf", &Limits::default());
        assert!(matches!(result, Ok(_) | Err(ExtractErrorKind::Parse)), "flip at {at}: {result:?}");
    }
    assert!(start.elapsed() < Duration::from_secs(60), "took {:?}", start.elapsed());
}

#[test]
fn a_pdf_content_stream_that_inflates_past_the_budget_is_too_large() {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.4");
    // 64 MiB of spaces: about 64 KiB compressed, far over 100:1 and the 16 MiB floor.
    let mut content = Stream::new(dictionary! {}, vec![b' '; 64 << 20]);
    content.compress().expect("compress");
    let content = doc.add_object(content);
    let pages = doc.new_object_id();
    let page =
        doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages, "Contents" => content });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).expect("write pdf");
    assert!(pdf.len() < 1 << 20, "bomb is {} bytes", pdf.len());

    assert_eq!(kind(&pdf, "bomb.pdf", &Limits::default()), Err(ExtractErrorKind::TooLarge));
}

#[test]
fn damaged_office_files_end_in_text_or_a_parse_error() {
    let rows: Vec<Vec<String>> =
        (0..20).map(|i| vec![format!("row {i}"), "value".into()]).collect();
    let files = [
        (
            "a.docx",
            corpus::docx("t", &vec!["Some paragraph text.".to_string(); 5], &[vec!["a", "b"]]),
        ),
        ("a.xlsx", corpus::xlsx(&[("S", rows)])),
        ("a.pptx", corpus::pptx(&[("Title", "Body", "Notes")])),
    ];
    for (name, file) in &files {
        for at in (0..file.len()).step_by(7) {
            let mut damaged = file.clone();
            damaged[at] ^= 0xa5;
            let result = kind(&damaged, name, &Limits::default());
            assert!(
                matches!(result, Ok(_) | Err(ExtractErrorKind::Parse)),
                "{name} flip at {at}: {result:?}"
            );
        }
    }
}

#[test]
fn a_truncated_docx_is_a_parse_error() {
    let docx = corpus::docx("t", &["Some text that is long enough to matter.".to_string()], &[]);
    let truncated = &docx[..docx.len() / 2];
    assert_eq!(kind(truncated, "report.docx", &Limits::default()), Err(ExtractErrorKind::Parse));
}

#[test]
fn a_zip_bomb_docx_is_too_large_after_reading_little_of_it() {
    // 64 MiB of one letter compresses to about 64 KiB: a 1000:1 ratio.
    let bomb = corpus::zip_bomb_docx(64 << 20);
    assert!(bomb.len() < 200_000, "bomb is {} bytes", bomb.len());
    let start = Instant::now();
    assert_eq!(kind(&bomb, "bomb.docx", &Limits::default()), Err(ExtractErrorKind::TooLarge));
    // Inflating all 64 MiB through the XML parser takes far longer than stopping at ~1 MiB.
    assert!(start.elapsed() < Duration::from_millis(1500), "took {:?}", start.elapsed());
}

#[test]
fn the_total_inflated_size_limit_holds_even_at_a_modest_ratio() {
    let bomb = corpus::zip_bomb_docx(8 << 20);
    let limits =
        Limits { max_archive_ratio: 100_000, max_archive_bytes: 2 << 20, ..Limits::default() };
    assert_eq!(kind(&bomb, "big.docx", &limits), Err(ExtractErrorKind::TooLarge));
    // Under generous limits the same file is fine.
    let generous =
        Limits { max_archive_ratio: 100_000, max_text_chars: 10 << 20, ..Limits::default() };
    let text = kind(&bomb, "big.docx", &generous).expect("within limits");
    assert_eq!(text.len(), 8 << 20);
}

#[test]
fn an_archive_with_too_many_entries_is_refused_before_it_is_read() {
    let docx = corpus::docx("t", &["x".to_string()], &[]);
    let limits = Limits { max_archive_entries: 2, ..Limits::default() };
    assert_eq!(kind(&docx, "a.docx", &limits), Err(ExtractErrorKind::TooLarge));
    assert!(kind(&docx, "a.docx", &Limits::default()).is_ok());
}

#[test]
fn input_over_the_byte_limit_is_too_large_before_parsing() {
    let limits = Limits { max_input_bytes: 100, ..Limits::default() };
    assert_eq!(kind(&[b'a'; 101], "a.txt", &limits), Err(ExtractErrorKind::TooLarge));
    assert_eq!(kind(&[b'a'; 100], "a.txt", &limits).map(|t| t.len()), Ok(100));
}

#[test]
fn text_beyond_the_character_cap_is_truncated_and_flagged() {
    let limits = Limits { max_text_chars: 1000, ..Limits::default() };
    let text = "ü".repeat(5000);
    let hint = DocumentHint { name: "big.txt", mime_type: None };
    let x = extract(text.as_bytes(), &hint, &limits).expect("truncation is not an error");
    assert!(x.truncated);
    assert_eq!(x.text.chars().count(), 1000);

    let small = extract("short".as_bytes(), &hint, &limits).expect("ok");
    assert!(!small.truncated);
}

#[test]
fn the_character_cap_also_stops_pdf_and_spreadsheet_extraction() {
    let limits = Limits { max_text_chars: 50, ..Limits::default() };
    let hint = DocumentHint { name: "a.pdf", mime_type: None };
    let x = extract(&sample_pdf(), &hint, &limits).expect("ok");
    assert!(x.truncated && x.text.chars().count() == 50, "{:?}", x.text);

    let rows: Vec<Vec<String>> =
        (0..500).map(|i| vec![format!("row {i}"), "text".into()]).collect();
    let xlsx = corpus::xlsx(&[("S", rows)]);
    let hint = DocumentHint { name: "a.xlsx", mime_type: None };
    let x = extract(&xlsx, &hint, &limits).expect("ok");
    assert!(x.truncated && x.text.chars().count() == 50);
}

#[test]
fn unknown_binaries_and_non_document_files_are_unsupported() {
    let limits = Limits::default();
    let noise: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2246822519) >> 7) as u8).collect();
    assert_eq!(kind(&noise, "blob.bin", &limits), Err(ExtractErrorKind::Unsupported));
    assert_eq!(
        kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "photo.png", &limits),
        Err(ExtractErrorKind::Unsupported)
    );
    assert_eq!(kind(b"\x7fELF\x02\x01\x01\0", "tool", &limits), Err(ExtractErrorKind::Unsupported));
    // A plain zip of something else.
    let other_zip = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let _ = zip.start_file("photo.jpg", zip::write::SimpleFileOptions::default());
        let _ = std::io::Write::write_all(&mut zip, b"\xff\xd8\xff");
        zip.finish().map(|c| c.into_inner()).unwrap_or_default()
    };
    assert_eq!(kind(&other_zip, "photos.zip", &limits), Err(ExtractErrorKind::Unsupported));
}

#[test]
fn invalid_json_and_jira_payloads_are_parse_errors() {
    let limits = Limits::default();
    assert_eq!(kind(b"{\"a\": [1, 2", "x.json", &limits), Err(ExtractErrorKind::Parse));
    let hint =
        DocumentHint { name: "ED-1", mime_type: Some("application/vnd.atlassian.jira.issue+json") };
    assert_eq!(
        extract(b"{\"key\": \"ED-1\"}", &hint, &limits).map_err(|e| e.kind).err(),
        Some(ExtractErrorKind::Parse)
    );
    let deep = "[".repeat(100_000);
    assert_eq!(kind(deep.as_bytes(), "deep.json", &limits), Err(ExtractErrorKind::Parse));
}

#[test]
fn an_exhausted_deadline_stops_extraction_with_timeout() {
    let limits = Limits { timeout: Duration::ZERO, ..Limits::default() };
    let text = "line\n".repeat(10_000);
    assert_eq!(kind(text.as_bytes(), "log.txt", &limits), Err(ExtractErrorKind::Timeout));
    assert_eq!(kind(&sample_pdf(), "a.pdf", &limits), Err(ExtractErrorKind::Timeout));
}

#[test]
fn error_kinds_map_to_the_job_error_types() {
    use app::model::FileErrorType;
    assert_eq!(ExtractErrorKind::Unsupported.file_error_type(), FileErrorType::UnsupportedType);
    assert_eq!(ExtractErrorKind::Parse.file_error_type(), FileErrorType::ParseError);
    assert_eq!(ExtractErrorKind::TooLarge.file_error_type(), FileErrorType::TooLarge);
    assert_eq!(ExtractErrorKind::Timeout.file_error_type(), FileErrorType::TooLarge);
    assert_eq!(ExtractErrorKind::Unsupported.as_str(), "unsupported_type");
}

#[tokio::test]
async fn extract_blocking_returns_the_extraction_and_its_errors() {
    let bytes: Arc<[u8]> = Arc::from(sample_pdf());
    let x = extract_blocking(bytes, "a.pdf".into(), None, Limits::default()).await.expect("ok");
    assert_eq!(x.title.as_deref(), Some("Sample"));
    let err = extract_blocking(
        Arc::from(&b"\x89PNG\r\n\x1a\n"[..]),
        "p.png".into(),
        None,
        Limits::default(),
    )
    .await
    .expect_err("png");
    assert_eq!(err.kind, ExtractErrorKind::Unsupported);
}

#[test]
fn support_is_decided_from_name_and_type_without_content() {
    assert!(is_supported("Q3 report.pdf", Some("application/pdf")));
    assert!(is_supported("notes", Some("text/markdown")));
    assert!(is_supported("ED-1", Some("application/vnd.atlassian.jira.issue+json")));
    assert!(is_supported("mail.EML", None));
    assert!(!is_supported("holiday.jpg", Some("image/jpeg")));
    assert!(!is_supported("setup.exe", Some("application/octet-stream")));
}

#[test]
fn content_hash_is_sha256_hex() {
    assert_eq!(
        content_hash(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        content_hash(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn extracted_text_chunks_with_the_default_options() {
    let mut prose = Prose::new(3);
    let pages: Vec<Vec<String>> = (0..6).map(|_| prose.lines(4)).collect();
    let pdf = corpus::pdf(&pages, PdfFont::Helvetica, WordGaps::Spaces, None);
    let x = extract(&pdf, &DocumentHint { name: "a.pdf", mime_type: None }, &Limits::default())
        .expect("ok");
    let chunks = chunk(&x.text, &ChunkOptions::default());
    assert!(chunks.len() >= 3, "{} chunks for {} chars", chunks.len(), x.text.len());
    for c in &chunks {
        assert!(c.text.chars().count() <= 1000);
        let at: String =
            x.text.chars().skip(c.char_start as usize).take(c.text.chars().count()).collect();
        assert_eq!(at, c.text);
    }
}
