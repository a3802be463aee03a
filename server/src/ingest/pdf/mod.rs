//! PDF text extraction: `lopdf` parses the file, decrypts (empty user password), inflates
//! streams under a size limit and resolves font encodings (standard, WinAnsi, MacRoman,
//! `Differences`, ToUnicode CMaps); this module interprets the page content streams.
//!
//! Text is emitted in content-stream order, like `pdftotext -raw`. Word and line breaks are
//! recovered from positions: every shown string is placed with the text and graphics matrices
//! and the font's glyph widths, so a horizontal gap wider than a fraction of the font size
//! becomes a space, and a baseline change a line break (a paragraph break when it is large).
//!
//! Hostile files: stream inflation is bounded per stream by lopdf and in total here, form
//! XObjects nest at most [`MAX_FORM_DEPTH`] deep without cycles, and the deadline and the text
//! cap are checked per operator. (Like every extractor, this one runs under `catch_unwind` in
//! [`super::extract`], the last defence against a parser panic.)

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

mod lexer;

use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};
use serde_json::Value;

use super::{ExtractError, Output};
use lexer::{Lexer, Operand};

const MAX_FORM_DEPTH: usize = 8;
/// `q` nesting kept on the stack; deeper saves are ignored (their restores then pop less).
const MAX_STATE_DEPTH: usize = 256;
/// Inflated size allowed per compressed byte is `Limits::max_archive_ratio`, but never less
/// than this, so tiny files with normal compression are not refused.
const MIN_STREAM_BUDGET: u64 = 16 * 1024 * 1024;

pub(crate) fn extract(input: &[u8], out: &mut Output<'_>) -> Result<(), ExtractError> {
    let limits = out.limits;
    let budget = (input.len() as u64)
        .saturating_mul(limits.max_archive_ratio)
        .max(MIN_STREAM_BUDGET)
        .min(limits.max_archive_bytes);
    let per_stream = usize::try_from(budget).unwrap_or(usize::MAX);
    let options = LoadOptions { max_decompressed_size: Some(per_stream), ..LoadOptions::default() };
    let doc = Document::load_mem_with_options(input, options).map_err(pdf_error)?;
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(ExtractError::parse("the PDF is encrypted with a password"));
    }
    out.text.check_deadline()?;

    if let Some(title) = info_string(&doc, b"Title") {
        out.set_title(&title);
    }
    if let Some(author) = info_string(&doc, b"Author").filter(|a| !a.trim().is_empty()) {
        out.metadata.insert("author".into(), Value::String(author.trim().to_string()));
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::parse("the PDF has no pages"));
    }
    out.metadata.insert("page_count".into(), Value::from(pages.len()));

    let mut interpreter = Interpreter {
        doc: &doc,
        fonts: HashMap::new(),
        remaining: budget,
        last: None,
        forms: Vec::new(),
    };
    let mut failed_pages = 0usize;
    for page_id in pages.values() {
        out.text.check_deadline()?;
        if out.text.is_full() {
            break;
        }
        out.text.paragraph();
        interpreter.last = None;
        match interpreter.page(*page_id, out) {
            Ok(()) => {}
            Err(PageError::Fatal(e)) => return Err(e),
            // One broken page does not lose the others (pdftotext behaves the same).
            Err(PageError::Skipped) => failed_pages += 1,
        }
    }
    if failed_pages > 0 && failed_pages == pages.len() {
        return Err(ExtractError::parse("no page of the PDF could be read"));
    }
    Ok(())
}

fn pdf_error(error: lopdf::Error) -> ExtractError {
    match error {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { limit }) => {
            ExtractError::too_large(format!("a PDF stream inflates beyond {limit} bytes"))
        }
        other => ExtractError::parse(format!("not a readable PDF: {other}")),
    }
}

fn info_string(doc: &Document, key: &[u8]) -> Option<String> {
    let info = doc.trailer.get_deref(b"Info", doc).ok()?.as_dict().ok()?;
    lopdf::decode_text_string(info.get_deref(key, doc).ok()?).ok()
}

enum PageError {
    Fatal(ExtractError),
    Skipped,
}

impl From<ExtractError> for PageError {
    fn from(e: ExtractError) -> Self {
        PageError::Fatal(e)
    }
}

/// 2D affine matrix `[a b c d e f]`, row-vector convention as in the PDF specification.
type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn translate(m: &Matrix, tx: f32, ty: f32) -> Matrix {
    [m[0], m[1], m[2], m[3], tx * m[0] + ty * m[2] + m[4], tx * m[1] + ty * m[3] + m[5]]
}

/// Graphics and text state saved by `q` and restored by `Q`.
#[derive(Clone)]
struct GState<'d> {
    ctm: Matrix,
    font: Option<Rc<Font<'d>>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    scale: f32,
    leading: f32,
    rise: f32,
}

impl GState<'_> {
    fn new(ctm: Matrix) -> Self {
        Self {
            ctm,
            font: None,
            size: 1.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// Where the previous string ended, in device space.
#[derive(Clone, Copy)]
struct Pen {
    x: f32,
    y: f32,
    size: f32,
}

struct Interpreter<'d> {
    doc: &'d Document,
    fonts: HashMap<FontKey, Rc<Font<'d>>>,
    /// Inflated bytes still allowed for content streams.
    remaining: u64,
    last: Option<Pen>,
    /// Form XObjects being drawn (cycle guard).
    forms: Vec<ObjectId>,
}

impl<'d> Interpreter<'d> {
    fn page(&mut self, page_id: ObjectId, out: &mut Output<'_>) -> Result<(), PageError> {
        let limit = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        let content = match self.doc.get_page_content_with_limit(page_id, limit) {
            Ok(content) => content,
            Err(
                e @ lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }),
            ) => {
                return Err(PageError::Fatal(pdf_error(e)));
            }
            Err(_) => return Err(PageError::Skipped),
        };
        self.remaining = self.remaining.saturating_sub(content.len() as u64);
        let resources = self.page_resources(page_id);
        let mut state = GState::new(IDENTITY);
        self.run(&content, &resources, &mut state, out)
    }

    fn page_resources(&self, page_id: ObjectId) -> Vec<&'d Dictionary> {
        let Ok((inline, ids)) = self.doc.get_page_resources(page_id) else {
            return Vec::new();
        };
        inline
            .into_iter()
            .chain(ids.into_iter().filter_map(|id| self.doc.get_dictionary(id).ok()))
            .collect()
    }

    /// Interprets one content stream.
    fn run(
        &mut self,
        content: &[u8],
        resources: &[&'d Dictionary],
        state: &mut GState<'d>,
        out: &mut Output<'_>,
    ) -> Result<(), PageError> {
        let mut lexer = Lexer::new(content);
        let mut args: Vec<Operand<'_>> = Vec::new();
        let mut stack: Vec<GState<'d>> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        while let Some(operator) = lexer.next_op(&mut args) {
            out.text.tick()?;
            if out.text.is_full() {
                return Ok(());
            }
            let num = |i: usize| args.get(i).and_then(Operand::number).unwrap_or(0.0);
            match operator {
                b"q" if stack.len() < MAX_STATE_DEPTH => stack.push(state.clone()),
                b"Q" => {
                    if let Some(saved) = stack.pop() {
                        *state = saved;
                    }
                }
                b"cm" => {
                    let m = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    state.ctm = mul(&m, &state.ctm);
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    state.font = match args.first() {
                        Some(Operand::Name(name)) => self.font(resources, name),
                        _ => None,
                    };
                    state.size = num(1);
                }
                b"Tc" => state.char_spacing = num(0),
                b"Tw" => state.word_spacing = num(0),
                b"Tz" => state.scale = num(0) / 100.0,
                b"TL" => state.leading = num(0),
                b"Ts" => state.rise = num(0),
                b"Td" => {
                    tlm = translate(&tlm, num(0), num(1));
                    tm = tlm;
                }
                b"TD" => {
                    state.leading = -num(1);
                    tlm = translate(&tlm, num(0), num(1));
                    tm = tlm;
                }
                b"Tm" => {
                    tlm = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    tm = tlm;
                }
                b"T*" => {
                    tlm = translate(&tlm, 0.0, -state.leading);
                    tm = tlm;
                }
                b"Tj" => {
                    if let Some(Operand::Str(bytes)) = args.first() {
                        self.show(bytes, state, &mut tm, out);
                    }
                }
                b"'" | b"\"" => {
                    if operator == b"\"" {
                        state.word_spacing = num(0);
                        state.char_spacing = num(1);
                    }
                    tlm = translate(&tlm, 0.0, -state.leading);
                    tm = tlm;
                    if let Some(Operand::Str(bytes)) = args.last() {
                        self.show(bytes, state, &mut tm, out);
                    }
                }
                b"TJ" => {
                    let Some(Operand::Array(items)) = args.first() else {
                        continue;
                    };
                    for item in items {
                        match item {
                            Operand::Str(bytes) => self.show(bytes, state, &mut tm, out),
                            Operand::Number(adjust) => {
                                let tx = -adjust / 1000.0 * state.size * state.scale;
                                tm = translate(&tm, tx, 0.0);
                            }
                            _ => {}
                        }
                    }
                }
                b"Do" => {
                    if let Some(Operand::Name(name)) = args.first() {
                        self.form(resources, name, state, out)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Draws a form XObject (reusable content, e.g. headers or whole imported pages).
    fn form(
        &mut self,
        resources: &[&'d Dictionary],
        name: &[u8],
        state: &GState<'d>,
        out: &mut Output<'_>,
    ) -> Result<(), PageError> {
        let Some(Object::Reference(id)) = lookup(self.doc, resources, b"XObject", name) else {
            return Ok(());
        };
        let id = *id;
        if self.forms.contains(&id) || self.forms.len() >= MAX_FORM_DEPTH {
            return Ok(());
        }
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
            return Ok(());
        }
        let limit = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        let content = match stream.get_plain_content_with_limit(limit) {
            Ok(content) => content,
            Err(
                e @ lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }),
            ) => {
                return Err(PageError::Fatal(pdf_error(e)));
            }
            Err(_) => return Ok(()),
        };
        self.remaining = self.remaining.saturating_sub(content.len() as u64);

        let matrix = match stream.dict.get(b"Matrix").and_then(Object::as_array) {
            Ok(m) if m.len() == 6 => {
                let n = |i: usize| m[i].as_float().unwrap_or(0.0);
                [n(0), n(1), n(2), n(3), n(4), n(5)]
            }
            _ => IDENTITY,
        };
        let mut form_resources = Vec::with_capacity(resources.len() + 1);
        if let Ok(own) = stream.dict.get_deref(b"Resources", self.doc).and_then(Object::as_dict) {
            form_resources.push(own);
        }
        // Old producers rely on the page's resources inside forms.
        form_resources.extend_from_slice(resources);

        let mut form_state = state.clone();
        form_state.ctm = mul(&matrix, &state.ctm);
        self.forms.push(id);
        let result = self.run(&content, &form_resources, &mut form_state, out);
        self.forms.pop();
        match result {
            Err(PageError::Skipped) => Ok(()),
            other => other,
        }
    }

    /// Decodes and places one string: a space or line break before it when its position
    /// says so, then its text; advances the text matrix by its width.
    fn show(&mut self, bytes: &[u8], state: &GState<'d>, tm: &mut Matrix, out: &mut Output<'_>) {
        let Some(font) = state.font.clone() else {
            return;
        };
        let trm = mul(
            &[state.size * state.scale, 0.0, 0.0, state.size, 0.0, state.rise],
            &mul(tm, &state.ctm),
        );
        let (x, y) = (trm[4], trm[5]);
        let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt().max(0.01);

        let mut text = String::new();
        font.decode(bytes, &mut text);

        if let Some(last) = self.last {
            let reference = size.min(last.size);
            let dy = (y - last.y).abs();
            let starts_blank = text.starts_with(char::is_whitespace);
            if dy > 1.7 * reference && dy > 0.5 * size.max(last.size) {
                out.text.paragraph();
            } else if dy > 0.5 * reference {
                out.text.newline();
            } else if !starts_blank {
                let gap = x - last.x;
                if gap > 0.15 * reference || gap < -reference {
                    out.text.space();
                }
            }
        }
        out.text.push_collapsed(&text);

        // Advance by the glyph widths, in unscaled text space.
        let mut advance = 0.0f32;
        font.for_each_code(bytes, |code, single_byte_space| {
            let w = font.width(code) * state.size + state.char_spacing;
            let w = if single_byte_space { w + state.word_spacing } else { w };
            advance += w * state.scale;
        });
        *tm = translate(tm, advance, 0.0);
        let end = mul(
            &[state.size * state.scale, 0.0, 0.0, state.size, 0.0, state.rise],
            &mul(tm, &state.ctm),
        );
        self.last = Some(Pen { x: end[4], y, size });
    }

    /// The font a `Tf` names, from the nearest resources that have it. Fonts are loaded once
    /// per document: by object id, or for a font written inline, by the dictionary's address.
    fn font(&mut self, resources: &[&'d Dictionary], name: &[u8]) -> Option<Rc<Font<'d>>> {
        let (key, dict) = match lookup(self.doc, resources, b"Font", name)? {
            Object::Reference(id) => (FontKey::Object(*id), self.doc.get_dictionary(*id).ok()?),
            object => {
                let dict = object.as_dict().ok()?;
                (FontKey::Inline(std::ptr::from_ref(dict) as usize), dict)
            }
        };
        let font = self.fonts.entry(key).or_insert_with(|| Rc::new(Font::load(self.doc, dict)));
        Some(font.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FontKey {
    Object(ObjectId),
    Inline(usize),
}

/// `resources[category][name]`, searching the resource dictionaries in order.
fn lookup<'d>(
    doc: &'d Document,
    resources: &[&'d Dictionary],
    category: &[u8],
    name: &[u8],
) -> Option<&'d Object> {
    resources.iter().find_map(|res| {
        let table = res.get_deref(category, doc).ok()?.as_dict().ok()?;
        table.get(name).ok()
    })
}

/// What text extraction needs from a font: how to turn codes into text and how wide each
/// glyph is.
struct Font<'d> {
    decoder: Decoder<'d>,
    widths: Widths,
    /// Glyph space to text space (1/1000 except for Type 3 fonts).
    width_scale: f32,
}

enum Decoder<'d> {
    /// Simple fonts: one byte per code, decoded through a 256-entry table.
    Simple(Box<[Box<str>]>),
    /// Composite (Type 0) fonts: two-byte codes, decoded by lopdf's CMap.
    Composite(Option<Encoding<'d>>),
}

enum Widths {
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
    },
    /// Ranges keyed by their first CID: (last CID, width).
    Composite {
        default: f32,
        ranges: BTreeMap<u32, (u32, f32)>,
    },
}

impl<'d> Font<'d> {
    fn load(doc: &'d Document, dict: &'d Dictionary) -> Self {
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        if subtype == b"Type0" {
            return Self::composite(doc, dict);
        }
        let width_scale = if subtype == b"Type3" {
            dict.get(b"FontMatrix")
                .and_then(Object::as_array)
                .ok()
                .and_then(|m| m.first()?.as_float().ok())
                .unwrap_or(0.001)
        } else {
            0.001
        };
        Self {
            decoder: Decoder::Simple(simple_table(doc, dict)),
            widths: simple_widths(doc, dict),
            width_scale,
        }
    }

    fn composite(doc: &'d Document, dict: &'d Dictionary) -> Self {
        // Without a ToUnicode map lopdf would decode two-byte codes as single bytes; better
        // to produce nothing than noise.
        let encoding = if dict.has(b"ToUnicode") { dict.get_font_encoding(doc).ok() } else { None };
        let descendant = dict
            .get_deref(b"DescendantFonts", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|fonts| fonts.first())
            .and_then(|f| doc.dereference(f).ok())
            .and_then(|(_, f)| f.as_dict().ok());
        let mut default = 1000.0;
        let mut ranges = BTreeMap::new();
        if let Some(cid_font) = descendant {
            if let Ok(dw) = cid_font.get_deref(b"DW", doc).and_then(Object::as_float) {
                default = dw;
            }
            if let Ok(w) = cid_font.get_deref(b"W", doc).and_then(Object::as_array) {
                parse_cid_widths(doc, w, &mut ranges);
            }
        }
        Self {
            decoder: Decoder::Composite(encoding),
            widths: Widths::Composite { default, ranges },
            width_scale: 0.001,
        }
    }

    fn decode(&self, bytes: &[u8], out: &mut String) {
        match &self.decoder {
            Decoder::Simple(table) => {
                for &b in bytes {
                    out.push_str(&table[usize::from(b)]);
                }
            }
            Decoder::Composite(Some(encoding)) => {
                let _ = encoding.write_to_string(bytes, out);
            }
            Decoder::Composite(None) => {}
        }
    }

    /// Calls `f(code, is_single_byte_space)` for each character code in `bytes`.
    fn for_each_code(&self, bytes: &[u8], mut f: impl FnMut(u32, bool)) {
        match self.decoder {
            Decoder::Simple(_) => bytes.iter().for_each(|&b| f(u32::from(b), b == b' ')),
            Decoder::Composite(_) => bytes.chunks(2).for_each(|pair| {
                f(pair.iter().fold(0u32, |code, &b| code << 8 | u32::from(b)), false)
            }),
        }
    }

    fn width(&self, code: u32) -> f32 {
        let glyph = match &self.widths {
            Widths::Simple { first, widths, missing } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize))
                .copied()
                .unwrap_or(*missing),
            Widths::Composite { default, ranges } => ranges
                .range(..=code)
                .next_back()
                .filter(|(_, (last, _))| code <= *last)
                .map_or(*default, |(_, (_, w))| *w),
        };
        glyph * self.width_scale
    }
}

/// The 256 codes of a simple font as text. A ToUnicode map wins where it maps a code (it is
/// how producers spell out subset and symbolic fonts); the font's encoding fills in the rest.
fn simple_table(doc: &Document, dict: &Dictionary) -> Box<[Box<str>]> {
    // Owned edited copies of the font dictionary; the encodings borrow them.
    let (base_dict, unicode_dict);
    let (base, unicode) = if dict.has(b"ToUnicode") {
        // The base: the encoding without ToUnicode, and without a Differences array, whose
        // glyph names in such fonts are often private (/g43) and only make lopdf complain.
        let mut base = dict.clone();
        base.remove(b"ToUnicode");
        let base_name = dict.get_deref(b"Encoding", doc).ok().and_then(|e| match e {
            Object::Name(name) => Some(name.clone()),
            Object::Dictionary(d) => {
                d.get(b"BaseEncoding").and_then(Object::as_name).ok().map(<[u8]>::to_vec)
            }
            _ => None,
        });
        match base_name {
            Some(name) => base.set("Encoding", Object::Name(name)),
            None => {
                base.remove(b"Encoding");
            }
        }
        let mut unicode = dict.clone();
        unicode.remove(b"Encoding");
        base_dict = base;
        unicode_dict = unicode;
        (base_dict.get_font_encoding(doc).ok(), unicode_dict.get_font_encoding(doc).ok())
    } else {
        (dict.get_font_encoding(doc).ok(), None)
    };
    (0u8..=255)
        .map(|b| {
            let mapped = decode_one(unicode.as_ref(), b);
            let text = if mapped.is_empty() { decode_one(base.as_ref(), b) } else { mapped };
            // Control codes in a text string are never wanted in the output.
            let text: String = text.chars().filter(|c| !c.is_control()).collect();
            text.into_boxed_str()
        })
        .collect()
}

fn decode_one(encoding: Option<&Encoding<'_>>, byte: u8) -> Box<str> {
    let mut out = String::new();
    if let Some(encoding) = encoding {
        let _ = encoding.write_to_string(&[byte], &mut out);
    }
    // Unmapped codes come back as replacement characters: let the next source try.
    if out.contains('\u{fffd}') {
        out.clear();
    }
    out.into_boxed_str()
}

fn simple_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let first = dict.get_deref(b"FirstChar", doc).and_then(Object::as_i64).unwrap_or(0);
    let widths: Vec<f32> = dict
        .get_deref(b"Widths", doc)
        .and_then(Object::as_array)
        .map(|w| {
            w.iter()
                .take(256)
                .map(|o| {
                    doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok()).unwrap_or(0.0)
                })
                .collect()
        })
        .unwrap_or_default();
    let missing = dict
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict)
        .and_then(|d| d.get_deref(b"MissingWidth", doc))
        .and_then(Object::as_float)
        .ok()
        .filter(|w| *w > 0.0)
        // The standard 14 fonts come without widths: half an em is close for text fonts.
        .unwrap_or(if widths.is_empty() { 500.0 } else { 0.0 });
    Widths::Simple { first: u32::try_from(first).unwrap_or(0), widths, missing }
}

/// `/W` entries: `c [w1 w2 …]` (consecutive CIDs from c) or `c_first c_last w`.
fn parse_cid_widths(doc: &Document, w: &[Object], ranges: &mut BTreeMap<u32, (u32, f32)>) {
    let number = |o: &Object| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok());
    let mut i = 0;
    while i < w.len() {
        let Some(first) = number(&w[i]).map(|f| f as u32) else {
            return;
        };
        match w.get(i + 1).map(|o| doc.dereference(o).map(|(_, o)| o)) {
            Some(Ok(Object::Array(list))) => {
                for (n, width) in list.iter().enumerate() {
                    if let Some(width) = number(width) {
                        let cid = first.saturating_add(n as u32);
                        ranges.insert(cid, (cid, width));
                    }
                }
                i += 2;
            }
            Some(Ok(_)) => {
                let (Some(last), Some(width)) =
                    (w.get(i + 1).and_then(number), w.get(i + 2).and_then(number))
                else {
                    return;
                };
                ranges.insert(first, (last as u32, width));
                i += 3;
            }
            _ => return,
        }
    }
}
