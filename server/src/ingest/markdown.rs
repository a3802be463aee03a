//! Markdown to plain text with `pulldown-cmark`: headings, paragraphs, list items, table cells
//! and code blocks keep their text and line structure; emphasis, link and image syntax go.
//! Front matter is not interpreted (it reads as text); raw HTML blocks are converted like HTML.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{ExtractError, Output, html};

pub(crate) fn extract(text: &str, out: &mut Output<'_>) -> Result<(), ExtractError> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut heading: Option<String> = None;
    let mut in_code_block = false;
    for event in Parser::new_ext(text, options) {
        out.text.tick()?;
        if out.text.is_full() {
            break;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { .. } => {
                    out.text.paragraph();
                    if out.title.is_none() {
                        heading = Some(String::new());
                    }
                }
                Tag::Paragraph | Tag::BlockQuote(_) | Tag::List(_) | Tag::Table(_) => {
                    out.text.paragraph()
                }
                Tag::CodeBlock(_) => {
                    out.text.paragraph();
                    in_code_block = true;
                }
                Tag::Item | Tag::TableRow | Tag::TableHead | Tag::FootnoteDefinition(_) => {
                    out.text.newline()
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) => {
                    if let Some(h) = heading.take() {
                        out.set_title(&h);
                    }
                    out.text.paragraph();
                }
                TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Table => {
                    out.text.paragraph()
                }
                TagEnd::CodeBlock => {
                    in_code_block = false;
                    out.text.paragraph();
                }
                TagEnd::TableCell => out.text.tab(),
                TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead => out.text.newline(),
                _ => {}
            },
            Event::Text(t) if in_code_block => {
                let mut lines = t.trim_end_matches('\n').lines().peekable();
                while let Some(line) = lines.next() {
                    out.text.push(line.trim_end());
                    if lines.peek().is_some() {
                        out.text.newline();
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
                out.text.push_collapsed(&t);
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let before = out.title.clone();
                html::extract_html(&t, out)?;
                // A stray <title> in Markdown is not the document's title.
                out.title = before;
            }
            Event::SoftBreak => out.text.space(),
            Event::HardBreak | Event::Rule => out.text.newline(),
            Event::TaskListMarker(done) => out.text.push(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }
    Ok(())
}
