//! Office documents: DOCX, PPTX, XLSX (Office Open XML) and ODT, read from their zip
//! containers with `quick-xml`, streaming, under the archive limits.
//!
//! Paragraphs become lines, table cells tabs, table rows lines; slides follow the
//! presentation's own order with their speaker notes; sheets come with their names and one
//! tab-separated line per row. Deleted tracked changes, field codes and formulas are left out.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use super::archive::Archive;
use super::{ExtractError, Output};

/// The events extractors care about: entity and character references arrive as text.
enum Ev<'e> {
    Start(&'e BytesStart<'e>),
    Empty(&'e BytesStart<'e>),
    End(&'e str),
    Text(&'e str),
}

fn local<'e>(e: &'e BytesStart<'e>) -> &'e str {
    e.local_name().into_inner()
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    let attribute = e.try_get_attribute(key).ok().flatten()?;
    attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned())
}

/// Streams one XML part through `f`, stopping when the text sink is full.
fn walk_xml(
    reader: &mut dyn BufRead,
    out: &mut Output<'_>,
    mut f: impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::new();
    loop {
        out.text.tick()?;
        if out.text.is_full() {
            return Ok(());
        }
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| ExtractError::parse(format!("malformed XML: {e}")))?;
        match event {
            Event::Start(ref e) => f(Ev::Start(e), out)?,
            Event::Empty(ref e) => f(Ev::Empty(e), out)?,
            Event::End(ref e) => f(Ev::End(e.local_name().into_inner()), out)?,
            Event::Text(ref t) => f(Ev::Text(&t.xml10_content()), out)?,
            Event::CData(ref t) => f(Ev::Text(&t.xml10_content()), out)?,
            Event::GeneralRef(ref r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_xml_entity(r).map(str::to_string),
                };
                if let Some(text) = resolved {
                    f(Ev::Text(&text), out)?;
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Streams a required part, or fails with `Parse` when it is missing.
fn required_part(
    archive: &mut Archive<'_>,
    name: &str,
    out: &mut Output<'_>,
    f: impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    archive
        .with_entry(name, |reader| walk_xml(reader, out, f))?
        .ok_or_else(|| ExtractError::parse(format!("the document has no {name}")))
}

/// Streams a part if it exists.
fn optional_part(
    archive: &mut Archive<'_>,
    name: &str,
    out: &mut Output<'_>,
    f: impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    archive.with_entry(name, |reader| walk_xml(reader, out, f)).map(|_| ())
}

/// Title and author from `docProps/core.xml` (OOXML) or `meta.xml` (ODF).
fn core_properties(
    archive: &mut Archive<'_>,
    part: &str,
    out: &mut Output<'_>,
) -> Result<(), ExtractError> {
    let mut current: Option<&'static str> = None;
    let mut title = String::new();
    let mut author = String::new();
    optional_part(archive, part, out, |ev, _| {
        match ev {
            Ev::Start(e) => {
                current = match local(e) {
                    "title" => Some("title"),
                    "creator" | "initial-creator" => Some("author"),
                    _ => None,
                }
            }
            Ev::End(_) => current = None,
            Ev::Text(t) if current == Some("title") && title.len() < 1024 => title.push_str(t),
            Ev::Text(t) if current == Some("author") && author.len() < 1024 => author.push_str(t),
            _ => {}
        }
        Ok(())
    })?;
    out.set_title(&title);
    let author = author.trim();
    if !author.is_empty() {
        out.metadata.insert("author".into(), Value::String(author.to_string()));
    }
    Ok(())
}

/// A relationships part: id → target path resolved against `base_dir`, plus the type.
fn relationships(
    archive: &mut Archive<'_>,
    part: &str,
    base_dir: &str,
) -> Result<HashMap<String, (String, String)>, ExtractError> {
    let Some(bytes) = archive.read(part)? else {
        return Ok(HashMap::new());
    };
    let mut rels = HashMap::new();
    let mut xml = quick_xml::Reader::from_reader(bytes.as_slice());
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(ref e) | Event::Empty(ref e)) if local(e) == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(e, "Id"), attr(e, "Target")) {
                    let kind = attr(e, "Type").unwrap_or_default();
                    rels.insert(id, (kind, resolve_target(base_dir, &target)));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(ExtractError::parse(format!("malformed {part}: {e}"))),
        }
    }
    Ok(rels)
}

/// Resolves a relationship target ("slides/slide1.xml", "../notesSlides/n1.xml",
/// "/ppt/slides/slide1.xml") to a part name.
fn resolve_target(base_dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base_dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

pub(crate) fn extract_docx(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let mut archive = Archive::open(input, out.limits)?;
    core_properties(&mut archive, "docProps/core.xml", out)?;
    required_part(&mut archive, "word/document.xml", out, docx_events())?;
    for part in ["word/footnotes.xml", "word/endnotes.xml"] {
        out.text.paragraph();
        optional_part(&mut archive, part, out, docx_events())?;
    }
    Ok(())
}

/// WordprocessingML: text lives in `w:t` inside runs; `w:tab`/`w:br` count only inside runs
/// (`w:tabs` in paragraph properties holds tab stops, not tabs).
fn docx_events() -> impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError> {
    let mut in_text = false;
    let mut run_depth = 0u32;
    let mut cell_depth = 0u32;
    move |ev, out| {
        match ev {
            Ev::Start(e) => match local(e) {
                "t" => in_text = true,
                "r" => run_depth += 1,
                "tc" => cell_depth += 1,
                "tab" if run_depth > 0 => out.text.tab(),
                "br" | "cr" if run_depth > 0 => out.text.newline(),
                _ => {}
            },
            Ev::Empty(e) => match local(e) {
                "tab" if run_depth > 0 => out.text.tab(),
                "br" | "cr" if run_depth > 0 => out.text.newline(),
                _ => {}
            },
            Ev::End(name) => match name {
                "t" => in_text = false,
                "r" => run_depth = run_depth.saturating_sub(1),
                // Paragraphs inside a table cell stay on the row's line.
                "p" if cell_depth > 0 => out.text.space(),
                "p" | "tr" => out.text.newline(),
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    out.text.tab();
                }
                _ => {}
            },
            Ev::Text(t) if in_text => out.text.push(t),
            Ev::Text(_) => {}
        }
        Ok(())
    }
}

pub(crate) fn extract_pptx(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let mut archive = Archive::open(input, out.limits)?;
    core_properties(&mut archive, "docProps/core.xml", out)?;
    let slides = slide_order(&mut archive)?;
    out.metadata.insert("slide_count".into(), Value::from(slides.len()));
    for slide in slides {
        if out.text.is_full() {
            break;
        }
        out.text.paragraph();
        required_part(&mut archive, &slide, out, drawing_events(false))?;

        let (dir, file) = slide.rsplit_once('/').unwrap_or(("", &slide));
        let rels = relationships(&mut archive, &format!("{dir}/_rels/{file}.rels"), dir)?;
        let notes = rels.values().find(|(kind, _)| kind.ends_with("/notesSlide"));
        if let Some((_, notes)) = notes {
            out.text.newline();
            optional_part(&mut archive, notes, out, drawing_events(true))?;
        }
    }
    Ok(())
}

/// Slide part names in presentation order (`p:sldIdLst`), falling back to the numbers in the
/// part names when the presentation part does not say.
fn slide_order(archive: &mut Archive<'_>) -> Result<Vec<String>, ExtractError> {
    let rels = relationships(archive, "ppt/_rels/presentation.xml.rels", "ppt")?;
    let mut ids = Vec::new();
    if let Some(bytes) = archive.read("ppt/presentation.xml")? {
        let mut xml = quick_xml::Reader::from_reader(bytes.as_slice());
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(ref e) | Event::Empty(ref e)) if local(e) == "sldId" => {
                    if let Some(id) = attr(e, "r:id") {
                        ids.push(id);
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => return Err(ExtractError::parse(format!("malformed presentation: {e}"))),
            }
        }
    }
    let ordered: Vec<String> = ids
        .iter()
        .filter_map(|id| rels.get(id).map(|(_, target)| target.clone()))
        .filter(|target| archive.has(target))
        .collect();
    if !ordered.is_empty() {
        return Ok(ordered);
    }
    let mut numbered: Vec<(u32, String)> = archive
        .names()
        .into_iter()
        .filter_map(|name| {
            let n = name.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?.parse().ok()?;
            Some((n, name))
        })
        .collect();
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, name)| name).collect())
}

/// DrawingML text (`a:t`, `a:p`, `a:br`, tables). For notes pages only the body placeholder
/// is kept: the others repeat the slide image and the slide number.
fn drawing_events(notes: bool) -> impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError> {
    let mut in_text = false;
    let mut shape = String::new();
    let mut shape_is_body = false;
    let mut started_notes = false;
    let mut cell_depth = 0u32;
    move |ev, out| {
        match ev {
            Ev::Start(e) | Ev::Empty(e) => match local(e) {
                "t" => in_text = matches!(ev, Ev::Start(_)),
                "tc" if matches!(ev, Ev::Start(_)) => cell_depth += 1,
                "br" if notes => shape.push('\n'),
                "br" => out.text.newline(),
                "sp" if notes => {
                    shape.clear();
                    shape_is_body = false;
                }
                "ph" if notes => shape_is_body = attr(e, "type").as_deref() == Some("body"),
                _ => {}
            },
            Ev::End(name) => match name {
                "t" => in_text = false,
                "p" if notes => shape.push('\n'),
                "p" if cell_depth > 0 => out.text.space(),
                "p" | "tr" => out.text.newline(),
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    out.text.tab();
                }
                "sp" if notes && shape_is_body && !shape.trim().is_empty() => {
                    if !started_notes {
                        out.text.push("Notes: ");
                        started_notes = true;
                    }
                    for line in shape.lines().filter(|l| !l.trim().is_empty()) {
                        out.text.push(line.trim_end());
                        out.text.newline();
                    }
                }
                _ => {}
            },
            Ev::Text(t) if in_text && notes => {
                if shape.len() < out.limits.max_text_chars {
                    shape.push_str(t);
                }
            }
            Ev::Text(t) if in_text => out.text.push(t),
            Ev::Text(_) => {}
        }
        Ok(())
    }
}

pub(crate) fn extract_xlsx(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let mut archive = Archive::open(input, out.limits)?;
    core_properties(&mut archive, "docProps/core.xml", out)?;
    let shared = shared_strings(&mut archive, out)?;
    let rels = relationships(&mut archive, "xl/_rels/workbook.xml.rels", "xl")?;

    let mut sheets: Vec<(String, String)> = Vec::new();
    required_part(&mut archive, "xl/workbook.xml", out, |ev, _| {
        if let Ev::Start(e) | Ev::Empty(e) = ev
            && local(e) == "sheet"
        {
            let name = attr(e, "name").unwrap_or_default();
            if let Some((_, target)) = attr(e, "r:id").and_then(|id| rels.get(&id)) {
                sheets.push((name, target.clone()));
            }
        }
        Ok(())
    })?;
    let names: Vec<Value> = sheets.iter().map(|(name, _)| Value::String(name.clone())).collect();
    out.metadata.insert("sheet_names".into(), Value::Array(names));

    for (name, part) in &sheets {
        if out.text.is_full() {
            break;
        }
        out.text.paragraph();
        out.text.push(name);
        out.text.newline();
        optional_part(&mut archive, part, out, sheet_events(&shared))?;
    }
    Ok(())
}

/// The shared string table; kept within the text cap, since no sheet can show more.
fn shared_strings(
    archive: &mut Archive<'_>,
    out: &mut Output<'_>,
) -> Result<Vec<String>, ExtractError> {
    let mut strings = Vec::new();
    let mut current = String::new();
    let mut in_text = false;
    let mut in_phonetic = false;
    let mut total = 0usize;
    let max = out.limits.max_text_chars;
    optional_part(archive, "xl/sharedStrings.xml", out, |ev, _| {
        match ev {
            Ev::Start(e) => match local(e) {
                "si" => current.clear(),
                "t" => in_text = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Ev::Empty(e) if local(e) == "si" => strings.push(String::new()),
            Ev::End("t") => in_text = false,
            Ev::End("rPh") => in_phonetic = false,
            Ev::End("si") => {
                total += current.len();
                strings.push(if total <= max {
                    std::mem::take(&mut current)
                } else {
                    String::new()
                });
            }
            Ev::Text(t) if in_text && !in_phonetic && total + current.len() <= max => {
                current.push_str(t)
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(strings)
}

/// One line per row, cells separated by tabs; skipped columns keep their tab (up to a bound,
/// so a lone cell in column XFD does not become 16,000 tabs).
fn sheet_events(
    shared: &[String],
) -> impl FnMut(Ev<'_>, &mut Output<'_>) -> Result<(), ExtractError> {
    const MAX_GAP: u32 = 32;
    let mut cell_type = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut column = 0u32;
    let mut next_column = 1u32;
    move |ev, out| {
        match ev {
            Ev::Start(e) | Ev::Empty(e) => match local(e) {
                "row" => next_column = 1,
                "c" => {
                    cell_type = attr(e, "t").unwrap_or_default();
                    column = attr(e, "r").map_or(next_column, |r| column_number(&r));
                    value.clear();
                }
                "v" | "t" => in_value = matches!(ev, Ev::Start(_)),
                _ => {}
            },
            Ev::End(name) => match name {
                "v" | "t" => in_value = false,
                "c" => {
                    let text = match cell_type.as_str() {
                        "s" => value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| shared.get(i))
                            .map_or("", String::as_str),
                        "b" if value.trim() == "1" => "TRUE",
                        "b" => "FALSE",
                        _ => value.as_str(),
                    };
                    if !text.trim().is_empty() {
                        if next_column > 1 {
                            out.text.push("\t");
                        }
                        for _ in 0..column.saturating_sub(next_column).min(MAX_GAP) {
                            out.text.push("\t");
                        }
                        out.text.push(text.trim());
                        next_column = column.max(next_column).saturating_add(1);
                    }
                }
                "row" if next_column > 1 => out.text.newline(),
                _ => {}
            },
            Ev::Text(t) if in_value && value.len() < out.limits.max_text_chars => value.push_str(t),
            Ev::Text(_) => {}
        }
        Ok(())
    }
}

/// "C12" → 3.
fn column_number(reference: &str) -> u32 {
    reference.bytes().take_while(u8::is_ascii_alphabetic).fold(0u32, |n, b| {
        n.saturating_mul(26).saturating_add(u32::from(b.to_ascii_uppercase() - b'A' + 1))
    })
}

pub(crate) fn extract_odt(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let mut archive = Archive::open(input, out.limits)?;
    core_properties(&mut archive, "meta.xml", out)?;
    // Deleted text of tracked changes and annotations are not part of the document.
    let mut skip_depth = 0u32;
    let mut paragraph_depth = 0u32;
    let mut cell_depth = 0u32;
    required_part(&mut archive, "content.xml", out, move |ev, out| {
        match ev {
            Ev::Start(e)
                if skip_depth > 0 || matches!(local(e), "tracked-changes" | "annotation") =>
            {
                skip_depth += 1
            }
            Ev::End(_) if skip_depth > 0 => skip_depth -= 1,
            _ if skip_depth > 0 => {}
            Ev::Start(e) | Ev::Empty(e) => match local(e) {
                "p" | "h" if matches!(ev, Ev::Start(_)) => paragraph_depth += 1,
                "table-cell" if matches!(ev, Ev::Start(_)) => cell_depth += 1,
                "p" | "h" => out.text.newline(),
                "s" => {
                    let count = attr(e, "text:c").and_then(|c| c.parse().ok()).unwrap_or(1usize);
                    out.text.push(&" ".repeat(count.min(64)));
                }
                "tab" => out.text.push("\t"),
                "line-break" => out.text.newline(),
                _ => {}
            },
            Ev::End(name) => match name {
                "p" | "h" => {
                    paragraph_depth = paragraph_depth.saturating_sub(1);
                    if cell_depth > 0 { out.text.space() } else { out.text.newline() }
                }
                "table-row" => out.text.newline(),
                "table-cell" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    out.text.tab();
                }
                _ => {}
            },
            // ODF collapses white space in paragraphs like HTML does (`text:s` spells out more).
            Ev::Text(t) if paragraph_depth > 0 => out.text.push_collapsed(t),
            Ev::Text(_) => {}
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_relative_and_absolute() {
        assert_eq!(resolve_target("ppt", "slides/slide1.xml"), "ppt/slides/slide1.xml");
        assert_eq!(resolve_target("ppt/slides", "../notesSlides/n.xml"), "ppt/notesSlides/n.xml");
        assert_eq!(resolve_target("xl", "/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
    }

    #[test]
    fn column_letters_become_numbers() {
        assert_eq!(column_number("A1"), 1);
        assert_eq!(column_number("c12"), 3);
        assert_eq!(column_number("AA3"), 27);
    }
}
