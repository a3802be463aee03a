//! Extraction of every supported format from real files: fixtures made by real producers
//! (Chromium's PDF, Atlassian's published issue example) and documents built here the way
//! their producers write them.

#[path = "fixtures/ingest/corpus.rs"]
mod corpus;

use std::path::Path;

use cloud_sources::ingest::{DocumentHint, Extracted, Limits, extract};
use corpus::{PdfFont, WordGaps};
use lopdf::{Document, Object, Stream, dictionary};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(bytes: &[u8], name: &str, mime: Option<&str>) -> Extracted {
    let hint = DocumentHint { name, mime_type: mime };
    extract(bytes, &hint, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

// ---------------------------------------------------------------- PDF

#[test]
fn chromium_pdf_with_identity_h_font_gives_its_text_title_and_pages() {
    let x = run(&fixture("chromium-travel-policy.pdf"), "policy.pdf", Some("application/pdf"));
    assert_eq!(x.mime_type, "application/pdf");
    assert_eq!(x.title.as_deref(), Some("Travel policy"));
    assert_eq!(x.metadata["page_count"], 2);
    assert!(
        x.text.contains(
            "Employees book trains for trips under 600 km. Hotel costs are refunded up to €150 per night in Zürich."
        ),
        "{}",
        x.text
    );
    // Paragraphs stay apart and pages are in order.
    let receipts = x.text.find("Receipts are submitted within 30 days.").unwrap_or(usize::MAX);
    let page_two = x.text.find("Page two: approvals by the team lead.").unwrap_or(0);
    assert!(receipts < page_two, "{}", x.text);
    assert!(x.text.contains("days.\n\nPage two"), "{}", x.text);
}

/// Ghostscript (ps2pdf) output: Type 1C subset fonts, one with a custom (ISO Latin-1) encoding.
#[test]
fn ghostscript_pdf_with_custom_encoded_type1c_fonts_reads_back() {
    let x = run(&fixture("ghostscript-memo.pdf"), "memo.pdf", None);
    assert_eq!(x.metadata["page_count"], 2);
    assert_eq!(
        lines(&x.text),
        vec![
            "Office memo",
            "",
            "The quarterly review meeting moves to Thursday. Please bring",
            "the updated figures for the café in Zürich, 12% growth.",
            "",
            "Fine print: ligatures like office, file and fluffy.",
            "",
            "Second page, with a hyphen\u{2212}ated word."
        ]
    );
}

#[test]
fn pdf_fonts_and_word_gaps_of_common_producers_all_read_back_exactly() {
    let pages = vec![
        vec![
            "Quarterly report for Zürich café, 12% growth.".to_string(),
            String::new(),
            "Second paragraph here.".into(),
        ],
        vec!["Page two begins.".to_string()],
    ];
    for font in [PdfFont::Helvetica, PdfFont::Differences, PdfFont::Identity] {
        for gaps in [WordGaps::Spaces, WordGaps::Kerning, WordGaps::Positioned] {
            let pdf = corpus::pdf(&pages, font, gaps, Some("Report"));
            let x = run(&pdf, "r.pdf", None);
            assert_eq!(
                lines(&x.text),
                vec![
                    "Quarterly report for Zürich café, 12% growth.",
                    "",
                    "Second paragraph here.",
                    "",
                    "Page two begins."
                ],
                "{font:?} {gaps:?}"
            );
            assert_eq!(x.title.as_deref(), Some("Report"));
            assert_eq!(x.metadata["page_count"], 2);
        }
    }
}

/// Subset TrueType fonts often name glyphs /g1, /g2…; only the ToUnicode map knows the text.
#[test]
fn pdf_tounicode_map_wins_over_an_encoding_with_meaningless_glyph_names() {
    let mut doc = Document::with_version("1.4");
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<00> <FF>\nendcodespacerange\n3 beginbfchar\n<01> <0048>\n<02> <0069>\n<03> <0021>\nendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n";
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.to_vec()));
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "ABCDEF+Calibri",
        "Encoding" => dictionary! { "Type" => "Encoding", "BaseEncoding" => "WinAnsiEncoding",
            "Differences" => vec![1.into(), Object::Name(b"g43".to_vec()), Object::Name(b"g76".to_vec()), Object::Name(b"g4".to_vec())] },
        "FirstChar" => 1, "LastChar" => 3, "Widths" => vec![600.into(), 250.into(), 300.into()],
        "ToUnicode" => to_unicode,
    });
    let content = b"BT /F1 12 Tf 72 700 Td <010203> Tj ET".to_vec();
    let content = doc.add_object(Stream::new(dictionary! {}, content));
    let pages = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
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

    assert_eq!(run(&pdf, "hi.pdf", None).text, "Hi!");
}

#[test]
fn pdf_form_xobjects_are_drawn_and_cannot_recurse_forever() {
    let mut doc = Document::with_version("1.4");
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let form_id = doc.new_object_id();
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 600.into(), 800.into()],
            // The form draws itself: a cycle the interpreter must cut.
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => dictionary! { "X1" => form_id } },
        },
        b"BT /F1 10 Tf 72 60 Td (Confidential footer) Tj ET /X1 Do".to_vec(),
    );
    doc.objects.insert(form_id, Object::Stream(form));
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 12 Tf 72 700 Td (Body text) Tj ET /X1 Do".to_vec(),
    ));
    let pages = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => dictionary! { "X1" => form_id } },
    });
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

    let x = run(&pdf, "form.pdf", None);
    assert_eq!(lines(&x.text)[0], "Body text");
    assert_eq!(x.text.matches("Confidential footer").count(), 1, "{}", x.text);
}

// ---------------------------------------------------------------- Office

#[test]
fn docx_paragraphs_become_lines_and_tables_tab_separated_rows() {
    let paragraphs = vec!["Hello wonderful world.".to_string(), "Second paragraph & more.".into()];
    let docx =
        corpus::docx("Plan 2024", &paragraphs, &[vec!["Item", "Cost"], vec!["Coffee", "12"]]);
    // No extension and a generic type: the content decides.
    let x = run(&docx, "download", Some("application/octet-stream"));
    assert_eq!(
        x.mime_type,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(x.title.as_deref(), Some("Plan 2024"));
    assert_eq!(x.metadata["author"], "Ada");
    assert_eq!(
        lines(&x.text),
        vec!["Hello wonderful world.", "Second paragraph & more.", "Item\tCost", "Coffee\t12"]
    );
}

#[test]
fn xlsx_sheets_come_with_names_and_rows_with_shared_strings_and_numbers() {
    let rows =
        |r: &[&[&str]]| r.iter().map(|row| row.iter().map(|c| c.to_string()).collect()).collect();
    let xlsx = corpus::xlsx(&[
        ("Budget", rows(&[&["Item", "Amount"], &["Coffee", "12.5"], &["Tea", ""], &["", "7"]])),
        ("Notes", rows(&[&["Item", "Reviewed by finance"]])),
    ]);
    let x = run(&xlsx, "budget.xlsx", None);
    assert_eq!(x.metadata["sheet_names"], serde_json::json!(["Budget", "Notes"]));
    assert_eq!(
        lines(&x.text),
        vec![
            "Budget",
            "Item\tAmount",
            "Coffee\t12.5",
            "Tea",
            "\t7",
            "",
            "Notes",
            "Item\tReviewed by finance"
        ]
    );
}

#[test]
fn pptx_slides_follow_presentation_order_with_speaker_notes() {
    let pptx = corpus::pptx(&[
        ("Welcome", "Agenda for today", "Greet everyone"),
        ("Results", "Revenue up 12%", "Mention the new region"),
    ]);
    let x = run(&pptx, "deck.pptx", None);
    assert_eq!(x.metadata["slide_count"], 2);
    assert_eq!(
        lines(&x.text),
        vec![
            "Welcome",
            "Agenda for today",
            "Notes: Greet everyone",
            "",
            "Results",
            "Revenue up 12%",
            "Notes: Mention the new region"
        ]
    );
}

#[test]
fn odt_headings_paragraphs_and_tables_are_read_and_deleted_changes_are_not() {
    let odt = corpus::odt("Minutes", &["First   point  &  more.", "Second point."]);
    let x = run(&odt, "minutes", None);
    assert_eq!(x.mime_type, "application/vnd.oasis.opendocument.text");
    assert_eq!(x.title.as_deref(), Some("Minutes"));
    assert_eq!(lines(&x.text), vec!["Minutes", "First point & more.", "Second point.", "a\tb"]);
}

// ---------------------------------------------------------------- Markup and text

#[test]
fn html_drops_scripts_and_styles_keeps_blocks_and_decodes_entities() {
    let html = br#"<!DOCTYPE html><html><head><title>Team &amp; Goals</title>
        <style>p { color: red }</style><script>var x = "<p>not text</p>";</script></head>
        <body><h1>Goals</h1><p>Ship   the <b>new</b>
        release&nbsp;by Friday &mdash; no slips.</p><ul><li>One</li><li>Two &#x2713;</li></ul>
        <table><tr><td>a</td><td>b</td></tr></table><!-- <p>comment</p> --><pre>line 1
  line 2</pre></body></html>"#;
    let x = run(html, "page.html", None);
    assert_eq!(x.title.as_deref(), Some("Team & Goals"));
    assert_eq!(
        lines(&x.text),
        vec![
            "Goals",
            "",
            "Ship the new release by Friday — no slips.",
            "",
            "One",
            "Two ✓",
            "",
            "a\tb",
            "",
            "line 1",
            "  line 2"
        ]
    );
}

#[test]
fn markdown_keeps_heading_and_list_text_and_drops_markup() {
    let md = b"# Onboarding guide\n\nRead the **handbook** and the [wiki](https://wiki.example.com).\n\n- First *item*\n- Second `code`\n\n```rust\nfn main() {}\n```\n";
    let x = run(md, "README.md", None);
    assert_eq!(x.title.as_deref(), Some("Onboarding guide"));
    assert_eq!(
        lines(&x.text),
        vec![
            "Onboarding guide",
            "",
            "Read the handbook and the wiki.",
            "",
            "First item",
            "Second code",
            "",
            "fn main() {}"
        ]
    );
}

#[test]
fn utf16_text_with_bom_and_windows_1252_text_are_decoded() {
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend("Grüße aus Köln\r\nZeile zwei".encode_utf16().flat_map(u16::to_le_bytes));
    let x = run(&utf16, "notes.txt", None);
    assert_eq!(x.text, "Grüße aus Köln\nZeile zwei");
    assert_eq!(x.mime_type, "text/plain");

    let x = run(b"Men\xfc: Caf\xe9 cr\xe8me \x80 3", "menu.txt", None);
    assert_eq!(x.text, "Menü: Café crème € 3");
}

#[test]
fn csv_rows_become_tab_separated_lines_with_quoted_fields_intact() {
    let csv = b"name,comment\r\n\"Smith, Jane\",\"said \"\"hi\"\"\nand left\"\r\nBob,ok\r\n";
    let x = run(csv, "people.csv", None);
    assert_eq!(
        lines(&x.text),
        vec!["name\tcomment", "Smith, Jane\tsaid \"hi\" and left", "Bob\tok"]
    );
}

#[test]
fn json_becomes_path_value_lines() {
    let json = br#"{"name": "Widget", "tags": ["a", "b"], "price": {"amount": 9.5, "currency": "EUR"}, "gone": null}"#;
    let x = run(json, "item.json", None);
    assert_eq!(
        lines(&x.text),
        vec![
            "name: Widget",
            "tags[0]: a",
            "tags[1]: b",
            "price.amount: 9.5",
            "price.currency: EUR"
        ]
    );
}

// ---------------------------------------------------------------- E-mail

const MAIL: &str = "From: \"Ana Lima\" <ana@example.com>\r
To: Bob <bob@example.com>, carol@example.com\r
Cc: dan@example.com\r
Subject: =?UTF-8?Q?Budget_f=C3=BCr_2025?=\r
Date: Tue, 14 May 2024 09:30:00 +0200\r
Message-ID: <CAF123@mail.example.com>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"outer\"\r
\r
--outer\r
Content-Type: text/html; charset=utf-8\r
\r
<html><head><title>ignored</title></head><body><p>Hi Bob,</p><p>the budget is <b>attached</b>.</p></body></html>\r
--outer\r
Content-Type: text/csv; name=\"budget.csv\"\r
Content-Disposition: attachment; filename=\"../../budget.csv\"\r
Content-Transfer-Encoding: base64\r
\r
aXRlbSxhbW91bnQKY29mZmVlLDEyCg==\r
--outer--\r
";

#[test]
fn email_headers_html_only_body_and_attachments_are_extracted() {
    let x = run(MAIL.as_bytes(), "1234.eml", None);
    assert_eq!(x.mime_type, "message/rfc822");
    assert_eq!(x.title.as_deref(), Some("Budget für 2025"));
    assert_eq!(x.metadata["message_id"], "CAF123@mail.example.com");
    assert_eq!(x.metadata["from"], "Ana Lima <ana@example.com>");
    assert_eq!(x.metadata["to"], serde_json::json!(["Bob <bob@example.com>", "carol@example.com"]));
    assert_eq!(x.metadata["cc"], serde_json::json!(["dan@example.com"]));
    assert_eq!(x.metadata["date"], "2024-05-14T09:30:00+02:00");
    assert!(x.text.starts_with("From: Ana Lima <ana@example.com>\n"), "{}", x.text);
    assert!(
        x.text.contains("Subject: Budget für 2025\n\nHi Bob,\n\nthe budget is attached."),
        "{}",
        x.text
    );
    assert!(!x.text.contains("ignored"));

    assert_eq!(x.attachments.len(), 1);
    let attachment = &x.attachments[0];
    assert_eq!(attachment.name, "budget.csv", "path components are stripped");
    assert_eq!(attachment.mime_type, "text/csv");
    assert_eq!(attachment.bytes, b"item,amount\ncoffee,12\n");
}

#[test]
fn email_without_a_name_or_type_is_recognised_by_its_headers() {
    let x = run(MAIL.as_bytes(), "INBOX/42", None);
    assert_eq!(x.mime_type, "message/rfc822");
    assert_eq!(x.metadata["message_id"], "CAF123@mail.example.com");
}

// ---------------------------------------------------------------- Atlassian

#[test]
fn confluence_storage_keeps_text_headings_tables_and_code_and_drops_macro_parameters() {
    let page = fixture("confluence-storage-page.xml");
    let x =
        run(&page, "Release checklist", Some("application/vnd.atlassian.confluence.storage+xml"));
    assert_eq!(x.mime_type, "application/vnd.atlassian.confluence.storage+xml");
    assert_eq!(x.title.as_deref(), Some("Release checklist"));
    assert_eq!(
        lines(&x.text),
        vec![
            "Release checklist",
            "",
            "Owner: , due 2024-05-01.",
            "",
            "Freeze the main branch first – no exceptions.",
            "",
            "Steps",
            "",
            "Tag the release",
            "Publish the notes on Release notes 2.4",
            "See the rollback plan",
            "",
            "git tag -s v2.4.0",
            "git push origin v2.4.0",
            "",
            "Service\tVersion",
            "api\t2.4.0",
            "worker\t2.3.9",
            "",
            "Notify support",
            "",
            "Thanks!"
        ]
    );
    for parameter in ["Before you start", "bash", "linenumbers", "incomplete", "smile"] {
        assert!(!x.text.contains(parameter), "macro parameter {parameter:?} leaked");
    }
}

#[test]
fn jira_issue_from_the_official_example_gives_summary_description_and_comments() {
    let issue = fixture("jira-issue-ED-1.json");
    let x = run(&issue, "ED-1", Some("application/vnd.atlassian.jira.issue+json"));
    assert_eq!(x.metadata["issue_key"], "ED-1");
    assert_eq!(x.metadata["project"], "EX");
    assert!(x.text.contains("Main order flow broken"), "{}", x.text);
    assert!(
        x.text.contains(
            "Comments\n\nMia Krystof (2021-01-17T12:34:00.000+0000):\n\nLorem ipsum dolor sit amet"
        ),
        "{}",
        x.text
    );
}

#[test]
fn jira_adf_renders_headings_lists_code_mentions_links_and_cards() {
    let issue = serde_json::json!({
        "key": "OPS-7",
        "fields": {
            "summary": "Rotate the keys",
            "status": {"name": "In Progress"},
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Plan"}]},
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "Ask "},
                    {"type": "mention", "attrs": {"id": "123", "text": "@Ana Lima"}},
                    {"type": "text", "text": " and read "},
                    {"type": "text", "text": "the runbook", "marks": [{"type": "link", "attrs": {"href": "https://wiki.example.com/runbook"}}]},
                    {"type": "text", "text": "."},
                    {"type": "hardBreak"},
                    {"type": "inlineCard", "attrs": {"url": "https://jira.example.com/browse/OPS-1"}}
                ]},
                {"type": "orderedList", "attrs": {"order": 1}, "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Generate"}]}]},
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Deploy"}]}]}
                ]},
                {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [{"type": "text", "text": "vault rotate\nsystemctl restart api"}]},
                {"type": "paragraph", "content": [{"type": "status", "attrs": {"text": "BLOCKED"}}, {"type": "text", "text": " until "}, {"type": "date", "attrs": {"timestamp": "1714521600000"}}]}
            ]},
            "comment": {"comments": [], "total": 0}
        }
    });
    let x = run(
        issue.to_string().as_bytes(),
        "OPS-7",
        Some("application/vnd.atlassian.jira.issue+json"),
    );
    assert_eq!(x.title.as_deref(), Some("OPS-7: Rotate the keys"));
    assert_eq!(x.metadata["status"], "In Progress");
    assert_eq!(
        lines(&x.text),
        vec![
            "OPS-7: Rotate the keys",
            "",
            "Plan",
            "",
            "Ask @Ana Lima and read the runbook (https://wiki.example.com/runbook).",
            "https://jira.example.com/browse/OPS-1",
            "",
            "1. Generate",
            "2. Deploy",
            "",
            "vault rotate",
            "systemctl restart api",
            "",
            "[BLOCKED] until 2024-05-01"
        ]
    );
}
