//! Minimal but valid document bytes for the seeded files and Google Docs exports, so a text
//! extractor has something real to read: a hand-built PDF with text objects and a correct
//! cross-reference table, and DOCX / XLSX / PPTX as zip packages with the required parts.
//!
//! Output is deterministic (zip timestamps are the 1980 default), so hashes are stable.

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

pub const MIME_PDF: &str = "application/pdf";
pub const MIME_DOCX: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const MIME_XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const MIME_PPTX: &str =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";
pub const MIME_MARKDOWN: &str = "text/markdown";
pub const MIME_TEXT: &str = "text/plain";
pub const MIME_HTML: &str = "text/html";

/// The MIME type providers report for a file name (by extension).
pub fn mime_for_name(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => MIME_PDF,
        "docx" => MIME_DOCX,
        "xlsx" => MIME_XLSX,
        "pptx" => MIME_PPTX,
        "md" | "markdown" => MIME_MARKDOWN,
        "txt" | "log" => MIME_TEXT,
        "html" | "htm" => MIME_HTML,
        "csv" => "text/csv",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// A PDF with one text object per line (Helvetica, WinAnsi), paginated at 48 lines.
pub fn pdf(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut pages: Vec<String> = Vec::new();
    let mut all: Vec<(f32, String)> = vec![(18.0, title.to_string())];
    all.extend(lines.iter().map(|l| (11.0, l.to_string())));
    for chunk in all.chunks(48) {
        let mut stream = String::from("BT\n72 740 Td\n");
        for (i, (size, text)) in chunk.iter().enumerate() {
            if i > 0 {
                stream.push_str("0 -16 Td\n");
            }
            stream.push_str(&format!("/F1 {size} Tf\n({}) Tj\n", pdf_escape(text)));
        }
        stream.push_str("ET\n");
        pages.push(stream);
    }

    // Objects: 1 catalog, 2 pages, 3 font, 4 info, then (page, contents) pairs.
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| 5 + 2 * i).collect();
    let kids = page_ids.iter().map(|id| format!("{id} 0 R")).collect::<Vec<_>>().join(" ");
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{kids}] /Count {} >>", pages.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        format!("<< /Title ({}) /Producer (RecallHub sandbox) >>", pdf_escape(title)),
    ];
    for (i, stream) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            page_ids[i] + 1
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()));
    }

    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn pdf_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

fn xml_escape(text: &str) -> String {
    super::util::html_escape(text)
}

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const REL_OFFICE_DOC: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";
const REL_CORE: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties";

fn core_props(title: &str) -> String {
    format!(
        r#"{XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>RecallHub sandbox</dc:creator></cp:coreProperties>"#,
        xml_escape(title)
    )
}

fn relationships(rels: &[(&str, &str, &str)]) -> String {
    let mut xml = format!(
        r#"{XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    );
    for (id, kind, target) in rels {
        xml.push_str(&format!(r#"<Relationship Id="{id}" Type="{kind}" Target="{target}"/>"#));
    }
    xml.push_str("</Relationships>");
    xml
}

fn content_types(overrides: &[(String, &str)]) -> String {
    let mut xml = format!(
        r#"{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>"#
    );
    for (part, kind) in overrides {
        xml.push_str(&format!(r#"<Override PartName="{part}" ContentType="{kind}"/>"#));
    }
    xml.push_str(r#"<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#);
    xml
}

/// A zip package with stored entries. Writing to memory cannot fail in practice; if it
/// ever did, an empty body is better than a panic inside a request.
fn zip_package(parts: &[(String, String)]) -> Vec<u8> {
    fn build(parts: &[(String, String)]) -> zip::result::ZipResult<Vec<u8>> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for (name, body) in parts {
            writer.start_file(name.as_str(), options)?;
            writer.write_all(body.as_bytes())?;
        }
        Ok(writer.finish()?.into_inner())
    }
    build(parts).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot build a sandbox zip package");
        Vec::new()
    })
}

/// A Word document: a bold title paragraph, then one paragraph per entry.
pub fn docx(title: &str, paragraphs: &[&str]) -> Vec<u8> {
    let mut body = format!(
        r#"<w:p><w:r><w:rPr><w:b/><w:sz w:val="32"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        xml_escape(title)
    );
    for p in paragraphs {
        body.push_str(&format!(
            r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
            xml_escape(p)
        ));
    }
    let document = format!(
        r#"{XML_DECL}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    zip_package(&[
        (
            "[Content_Types].xml".into(),
            content_types(&[(
                "/word/document.xml".into(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            )]),
        ),
        (
            "_rels/.rels".into(),
            relationships(&[
                ("rId1", REL_OFFICE_DOC, "word/document.xml"),
                ("rId2", REL_CORE, "docProps/core.xml"),
            ]),
        ),
        ("word/document.xml".into(), document),
        ("docProps/core.xml".into(), core_props(title)),
    ])
}

/// A spreadsheet cell.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_string())
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

/// An Excel workbook with one sheet; text cells go through the shared-strings table.
pub fn xlsx(title: &str, sheet_name: &str, rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut strings: Vec<String> = Vec::new();
    let mut sheet_rows = String::new();
    for (r, row) in rows.iter().enumerate() {
        sheet_rows.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let reference = format!("{}{}", column_name(c), r + 1);
            match cell {
                Cell::Text(text) => {
                    sheet_rows.push_str(&format!(
                        r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                        strings.len()
                    ));
                    strings.push(text.clone());
                }
                Cell::Number(n) => {
                    sheet_rows.push_str(&format!(r#"<c r="{reference}"><v>{n}</v></c>"#))
                }
            }
        }
        sheet_rows.push_str("</row>");
    }
    let shared =
        strings.iter().map(|s| format!("<si><t>{}</t></si>", xml_escape(s))).collect::<String>();
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    zip_package(&[
        (
            "[Content_Types].xml".into(),
            content_types(&[
                (
                    "/xl/workbook.xml".into(),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                ),
                (
                    "/xl/worksheets/sheet1.xml".into(),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
                ),
                (
                    "/xl/sharedStrings.xml".into(),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
                ),
            ]),
        ),
        (
            "_rels/.rels".into(),
            relationships(&[
                ("rId1", REL_OFFICE_DOC, "xl/workbook.xml"),
                ("rId2", REL_CORE, "docProps/core.xml"),
            ]),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                r#"{XML_DECL}<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
                xml_escape(sheet_name)
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            relationships(&[
                ("rId1", &format!("{rel}/worksheet"), "worksheets/sheet1.xml"),
                ("rId2", &format!("{rel}/sharedStrings"), "sharedStrings.xml"),
            ]),
        ),
        (
            "xl/worksheets/sheet1.xml".into(),
            format!(
                r#"{XML_DECL}<worksheet xmlns="{main}"><sheetData>{sheet_rows}</sheetData></worksheet>"#
            ),
        ),
        (
            "xl/sharedStrings.xml".into(),
            format!(
                r#"{XML_DECL}<sst xmlns="{main}" count="{n}" uniqueCount="{n}">{shared}</sst>"#,
                n = strings.len()
            ),
        ),
        ("docProps/core.xml".into(), core_props(title)),
    ])
}

fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A PowerPoint deck: one slide per (heading, body lines), with the master, layout and
/// theme parts PowerPoint requires to open it.
pub fn pptx(title: &str, slides: &[(&str, &[&str])]) -> Vec<u8> {
    let a = "http://schemas.openxmlformats.org/drawingml/2006/main";
    let p = "http://schemas.openxmlformats.org/presentationml/2006/main";
    let r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let empty_tree = r#"<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>"#;

    let mut parts: Vec<(String, String)> = Vec::new();
    let mut overrides: Vec<(String, &str)> = vec![
        (
            "/ppt/presentation.xml".into(),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        ),
        (
            "/ppt/slideMasters/slideMaster1.xml".into(),
            "application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml",
        ),
        (
            "/ppt/slideLayouts/slideLayout1.xml".into(),
            "application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml",
        ),
        ("/ppt/theme/theme1.xml".into(), "application/vnd.openxmlformats-officedocument.theme+xml"),
    ];
    let mut presentation_rels = vec![
        (
            "rId1".to_string(),
            format!("{r}/slideMaster"),
            "slideMasters/slideMaster1.xml".to_string(),
        ),
        ("rId2".to_string(), format!("{r}/theme"), "theme/theme1.xml".to_string()),
    ];
    let mut slide_ids = String::new();
    for (i, (heading, lines)) in slides.iter().enumerate() {
        let n = i + 1;
        let text_box = |id: usize, name: &str, y: u32, paragraphs: &[&str]| {
            let paras = paragraphs
                .iter()
                .map(|t| {
                    format!(
                        r#"<a:p><a:r><a:rPr lang="en-US"/><a:t>{}</a:t></a:r></a:p>"#,
                        xml_escape(t)
                    )
                })
                .collect::<String>();
            format!(
                r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{name}"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="{y}"/><a:ext cx="8229600" cy="1143000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>{paras}</p:txBody></p:sp>"#
            )
        };
        let shapes =
            text_box(2, "Title", 274638, &[heading]) + &text_box(3, "Body", 1600200, lines);
        parts.push((
            format!("ppt/slides/slide{n}.xml"),
            format!(r#"{XML_DECL}<p:sld xmlns:a="{a}" xmlns:p="{p}" xmlns:r="{r}"><p:cSld><p:spTree>{empty_tree}{shapes}</p:spTree></p:cSld></p:sld>"#),
        ));
        parts.push((
            format!("ppt/slides/_rels/slide{n}.xml.rels"),
            relationships(&[(
                "rId1",
                &format!("{r}/slideLayout"),
                "../slideLayouts/slideLayout1.xml",
            )]),
        ));
        overrides.push((
            format!("/ppt/slides/slide{n}.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.slide+xml",
        ));
        presentation_rels.push((
            format!("rId{}", n + 2),
            format!("{r}/slide"),
            format!("slides/slide{n}.xml"),
        ));
        slide_ids.push_str(&format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + n, n + 2));
    }
    let rels: Vec<(&str, &str, &str)> =
        presentation_rels.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    parts.push(("ppt/_rels/presentation.xml.rels".into(), relationships(&rels)));
    parts.push((
        "ppt/presentation.xml".into(),
        format!(r#"{XML_DECL}<p:presentation xmlns:a="{a}" xmlns:p="{p}" xmlns:r="{r}"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>{slide_ids}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#),
    ));
    parts.push((
        "ppt/slideMasters/slideMaster1.xml".into(),
        format!(r#"{XML_DECL}<p:sldMaster xmlns:a="{a}" xmlns:p="{p}" xmlns:r="{r}"><p:cSld><p:spTree>{empty_tree}</p:spTree></p:cSld><p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>"#),
    ));
    parts.push((
        "ppt/slideMasters/_rels/slideMaster1.xml.rels".into(),
        relationships(&[
            ("rId1", &format!("{r}/slideLayout"), "../slideLayouts/slideLayout1.xml"),
            ("rId2", &format!("{r}/theme"), "../theme/theme1.xml"),
        ]),
    ));
    parts.push((
        "ppt/slideLayouts/slideLayout1.xml".into(),
        format!(r#"{XML_DECL}<p:sldLayout xmlns:a="{a}" xmlns:p="{p}" xmlns:r="{r}" type="blank"><p:cSld name="Blank"><p:spTree>{empty_tree}</p:spTree></p:cSld></p:sldLayout>"#),
    ));
    parts.push((
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels".into(),
        relationships(&[("rId1", &format!("{r}/slideMaster"), "../slideMasters/slideMaster1.xml")]),
    ));
    parts.push(("ppt/theme/theme1.xml".into(), theme(a)));
    parts.push(("docProps/core.xml".into(), core_props(title)));
    parts.push((
        "_rels/.rels".into(),
        relationships(&[
            ("rId1", REL_OFFICE_DOC, "ppt/presentation.xml"),
            ("rId2", REL_CORE, "docProps/core.xml"),
        ]),
    ));
    parts.insert(0, ("[Content_Types].xml".into(), content_types(&overrides)));
    zip_package(&parts)
}

/// The smallest theme PowerPoint accepts: colour, font and format schemes (three of each style).
fn theme(a: &str) -> String {
    let colors = [
        ("dk1", "000000"),
        ("lt1", "FFFFFF"),
        ("dk2", "1F497D"),
        ("lt2", "EEECE1"),
        ("accent1", "4F81BD"),
        ("accent2", "C0504D"),
        ("accent3", "9BBB59"),
        ("accent4", "8064A2"),
        ("accent5", "4BACC6"),
        ("accent6", "F79646"),
        ("hlink", "0000FF"),
        ("folHlink", "800080"),
    ]
    .iter()
    .map(|(name, rgb)| format!(r#"<a:{name}><a:srgbClr val="{rgb}"/></a:{name}>"#))
    .collect::<String>();
    let solid = r#"<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>"#;
    let fills = solid.repeat(3);
    let lines =
        r#"<a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>"#.repeat(3);
    let effects = "<a:effectStyle><a:effectLst/></a:effectStyle>".repeat(3);
    format!(
        r#"{XML_DECL}<a:theme xmlns:a="{a}" name="Sandbox"><a:themeElements><a:clrScheme name="Sandbox">{colors}</a:clrScheme><a:fontScheme name="Sandbox"><a:majorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="Sandbox"><a:fillStyleLst>{fills}</a:fillStyleLst><a:lnStyleLst>{lines}</a:lnStyleLst><a:effectStyleLst>{effects}</a:effectStyleLst><a:bgFillStyleLst>{fills}</a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"#
    )
}

/// An HTML page (Google Docs' `text/html` export).
pub fn html(title: &str, paragraphs: &[&str]) -> Vec<u8> {
    let body = paragraphs.iter().map(|p| format!("<p>{}</p>", xml_escape(p))).collect::<String>();
    format!(
        "<!DOCTYPE html><html><head><meta content=\"text/html; charset=UTF-8\" http-equiv=\"content-type\"><title>{t}</title></head><body><h1>{t}</h1>{body}</body></html>",
        t = xml_escape(title)
    )
    .into_bytes()
}

/// RTF (one of Google Docs' export formats).
pub fn rtf(title: &str, paragraphs: &[&str]) -> Vec<u8> {
    let escape = |s: &str| {
        s.chars()
            .map(|c| match c {
                '\\' | '{' | '}' => format!("\\{c}"),
                c if c.is_ascii() => c.to_string(),
                c => format!("\\u{}?", c as u32 as i16),
            })
            .collect::<String>()
    };
    let mut out = format!(
        "{{\\rtf1\\ansi\\deff0{{\\fonttbl{{\\f0 Arial;}}}}\\b {}\\b0\\par\n",
        escape(title)
    );
    for p in paragraphs {
        out.push_str(&format!("{}\\par\n", escape(p)));
    }
    out.push('}');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_continue_past_z() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
    }
}
