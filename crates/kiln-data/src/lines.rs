//! Physical line numbers for records of a streamed CSV file.

use std::collections::VecDeque;
use std::io::Read;

/// A reader that notes where lines break as the csv crate pulls bytes through it, so that a
/// record's byte offset can be turned into its physical line without holding the file. The csv
/// crate's own line count treats `\r\n` as nothing and a lone `\r` as nothing too, so errors
/// would point at the wrong line in files saved on Windows; this counts `\n`, and a `\r` not
/// followed by `\n`, as a line break. A leading UTF-8 byte-order mark is dropped.
pub(crate) struct LineTracker<R> {
    source: R,
    pub(crate) breaks: Breaks,
    offset: u64,
    started: bool,
}

/// The line-break bytes read but not yet passed by a query, shared between the reader (which
/// the csv crate owns) and the table builder.
#[derive(Clone, Default)]
pub(crate) struct Breaks(std::rc::Rc<std::cell::RefCell<BreakState>>);

#[derive(Default)]
struct BreakState {
    quotes: Quotes,
    /// Every byte read, for [`Breaks::fingerprint`].
    checksum: crc32fast::Hasher,
    bytes: u64,
    /// Whether the end of the file has been read.
    ended: bool,
    /// Offsets of `\n` and `\r` bytes ahead of the last query, and whether each ends a line.
    pending: VecDeque<(u64, bool)>,
    /// A `\r` whose next byte has not been read yet.
    open_cr: Option<u64>,
    line: u64,
    /// Whether the file starts with a UTF-8 byte-order mark.
    bom: bool,
    /// Whether the first line ends in `\r\n` (`None` before its end is read).
    crlf: Option<bool>,
}

impl<R: Read> LineTracker<R> {
    /// Tracks `source`, whose cells are separated by `separator`.
    pub(crate) fn new(source: R, separator: u8) -> Self {
        let breaks = Breaks::default();
        breaks.0.borrow_mut().quotes.separator = separator;
        Self {
            source,
            breaks,
            offset: 0,
            started: false,
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = self.source.read(buf)?;
        if !self.started && n > 0 {
            self.started = true;
            // Read the whole byte-order mark even from a source that yields one byte at a time.
            // (A caller's buffer shorter than the mark only ever sees it whole or not at all.)
            while n < 3 && buf.len() >= 3 && buf[..n] == b"\xEF\xBB\xBF"[..n] {
                match self.source.read(&mut buf[n..3])? {
                    0 => break,
                    more => n += more,
                }
            }
            if buf[..n].starts_with(b"\xEF\xBB\xBF") {
                self.breaks.0.borrow_mut().bom = true;
                buf.copy_within(3..n, 0);
                n -= 3;
                if n == 0 {
                    return self.read(buf); // 0 would mean the end of the file
                }
            }
        }
        let mut state = self.breaks.0.borrow_mut();
        let bytes = &buf[..n];
        state.quotes.pass(self.offset, bytes);
        state.checksum.update(bytes);
        state.bytes += n as u64;
        state.ended |= n == 0;
        if let (Some(cr), Some(&first)) = (state.open_cr, bytes.first()) {
            state.pending.push_back((cr, first != b'\n'));
            state.crlf.get_or_insert(first == b'\n');
            state.open_cr = None;
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let at = self.offset + i as u64;
            match (bytes[i], bytes.get(i + 1)) {
                (b'\n', _) => {
                    // A `\n` right after a `\r` settled the line's ending already.
                    state.crlf.get_or_insert(false);
                    state.pending.push_back((at, true));
                }
                (_, Some(&next)) => {
                    state.crlf.get_or_insert(next == b'\n');
                    state.pending.push_back((at, next != b'\n'));
                }
                (_, None) => state.open_cr = Some(at),
            }
        }
        if n == 0
            && let Some(cr) = state.open_cr.take()
        {
            state.pending.push_back((cr, true));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Where quoted fields open and close, as the csv crate reads them, to catch the one fault it
/// passes over in silence: a quote that never closes turns the rest of the file into one cell.
/// A quote opens a field only as the field's first byte; inside, `""` is a quote and any other
/// `"` closes the field (what follows, up to the next separator, is read unquoted).
#[derive(Default)]
struct Quotes {
    /// Offset of the quote that opened the field being read, while inside one.
    open: Option<u64>,
    /// A quote inside a quoted field was the last byte read: the next byte decides.
    pending: bool,
    /// The byte before the current read (`None` at the start of the file: a field start).
    last: Option<u8>,
    /// The byte between cells.
    separator: u8,
}

impl Quotes {
    fn pass(&mut self, offset: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            // A quote at the very end of the file closes its field.
            if self.pending {
                (self.open, self.pending) = (None, false);
            }
            return;
        }
        let mut i = 0;
        if self.pending {
            self.pending = false;
            if bytes[0] == b'"' {
                i = 1; // `""`: an escaped quote, still inside
            } else {
                self.open = None;
            }
        }
        while let Some(found) = memchr::memchr(b'"', &bytes[i..]) {
            let at = i + found;
            if self.open.is_some() {
                match bytes.get(at + 1) {
                    Some(b'"') => i = at + 2,
                    Some(_) => {
                        self.open = None;
                        i = at + 1;
                    }
                    None => {
                        self.pending = true;
                        i = at + 1;
                    }
                }
            } else {
                let before = if at == 0 {
                    self.last
                } else {
                    Some(bytes[at - 1])
                };
                if before.is_none_or(|b| b == self.separator || b == b'\n' || b == b'\r') {
                    self.open = Some(offset + at as u64);
                }
                i = at + 1;
            }
            if i >= bytes.len() {
                break;
            }
        }
        self.last = bytes.last().copied();
    }
}

impl Breaks {
    /// What tells this content from other content, once the file is read: its length and
    /// CRC-32 (of the bytes after any byte-order mark).
    pub(crate) fn fingerprint(&self) -> String {
        let state = self.0.borrow();
        described(state.bytes, state.checksum.clone().finalize())
    }

    /// How the file ends its lines and starts: `(byte-order mark, CRLF)`, for writing rows back
    /// the way they came.
    pub(crate) fn layout(&self) -> (bool, bool) {
        let state = self.0.borrow();
        (state.bom, state.crlf.unwrap_or(false))
    }

    /// The byte offset of a quote whose field was still open when the file ended (`None`
    /// before the end is read: a quoted field may span the bytes read so far).
    pub(crate) fn unclosed_quote(&self) -> Option<u64> {
        let state = self.0.borrow();
        state.quotes.open.filter(|_| state.ended)
    }

    /// The line of the record that starts at byte `offset`; offsets must not decrease between
    /// calls. With CRLF endings the csv crate puts a record's start on the `\n` ending the line
    /// before it, so line-break bytes at `offset` are passed first.
    pub(crate) fn line_at(&self, offset: u64) -> u64 {
        let mut state = self.0.borrow_mut();
        let mut end = offset;
        let mut passed = 0;
        // `pending` is sorted: count the breaks before `offset`, then those right at it.
        while let Some(&(at, ends_line)) = state.pending.front() {
            if at <= end {
                if at == end {
                    end += 1;
                }
                passed += u64::from(ends_line);
                state.pending.pop_front();
            } else {
                break;
            }
        }
        if let Some(cr) = state.open_cr
            && cr == end
        {
            // A `\r` at the very end of what has been read: it ends this line either way.
            passed += 1;
            state.open_cr = None;
        }
        state.line += passed;
        state.line + 1
    }
}

/// The length and CRC-32 of `bytes`, written as a file's fingerprint is (`12 bytes, crc32
/// 0a1b2c3d`): what tells one file's content from another's.
pub fn fingerprint(bytes: &[u8]) -> String {
    described(bytes.len() as u64, crc32fast::hash(bytes))
}

fn described(bytes: u64, crc: u32) -> String {
    format!("{bytes} bytes, crc32 {crc:08x}")
}
