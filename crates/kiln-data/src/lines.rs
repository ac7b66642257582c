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
    /// Offsets of `\n` and `\r` bytes ahead of the last query, and whether each ends a line.
    pending: VecDeque<(u64, bool)>,
    /// A `\r` whose next byte has not been read yet.
    open_cr: Option<u64>,
    line: u64,
}

impl<R: Read> LineTracker<R> {
    pub(crate) fn new(source: R) -> Self {
        Self {
            source,
            breaks: Breaks::default(),
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
                buf.copy_within(3..n, 0);
                n -= 3;
                if n == 0 {
                    return self.read(buf); // 0 would mean the end of the file
                }
            }
        }
        let mut state = self.breaks.0.borrow_mut();
        let bytes = &buf[..n];
        if let (Some(cr), Some(&first)) = (state.open_cr, bytes.first()) {
            state.pending.push_back((cr, first != b'\n'));
            state.open_cr = None;
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let at = self.offset + i as u64;
            match (bytes[i], bytes.get(i + 1)) {
                (b'\n', _) => state.pending.push_back((at, true)),
                (_, Some(&next)) => state.pending.push_back((at, next != b'\n')),
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

impl Breaks {
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
