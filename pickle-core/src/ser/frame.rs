//! CPython's framing (protocol 4+): frames of about 64 KiB, large payloads
//! outside any frame, and streaming to a writer frame by frame.

use super::{Encoder, FRAME_HEADER, FRAME_SIZE_MIN, FRAME_SIZE_TARGET};
use crate::error::{Error, Result};
use crate::format::opcodes as op;

impl<'w> Encoder<'w> {
    pub(super) fn open_frame(&mut self) {
        self.frame_start = self.out.len();
        self.cut_at = self.frame_start + FRAME_SIZE_TARGET + FRAME_HEADER;
        self.out.extend_from_slice(&[op::FRAME, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// Framing ends (the value's last frame is committed).
    pub(super) fn set_unframed(&mut self) {
        self.framing = false;
        self.cut_at = if self.sink.is_some() { FRAME_SIZE_TARGET } else { usize::MAX };
    }

    /// Closes the open frame: patches its length, or drops its header when
    /// the frame is smaller than CPython frames.
    pub(super) fn commit_frame(&mut self) -> Result<()> {
        let start = self.frame_start;
        let len = self.out.len() - start - FRAME_HEADER;
        if len >= FRAME_SIZE_MIN {
            self.out[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER);
        }
        self.flush()
    }

    pub(super) fn flush(&mut self) -> Result<()> {
        if let Some(sink) = self.sink.as_mut() {
            sink.write_all(&self.out).map_err(|e| Error::io(e, Some(self.flushed)))?;
            self.flushed += self.out.len() as u64;
            self.out.clear();
        }
        Ok(())
    }

    /// Called between values: cuts the frame once it is large enough, and
    /// streams to the writer.
    #[inline(always)]
    pub(crate) fn boundary(&mut self) -> Result<()> {
        if self.out.len() >= self.cut_at { self.cut() } else { Ok(()) }
    }

    /// What [`boundary`](Self::boundary) does when it acts.
    #[inline(never)]
    fn cut(&mut self) -> Result<()> {
        if self.framing {
            self.commit_frame()?;
            self.open_frame();
            Ok(())
        } else {
            self.flush()
        }
    }

    /// How many more bytes can be written before [`boundary`](Self::boundary)
    /// acts: 0 when it would act now, `usize::MAX` when it never does (no
    /// framing, no writer).
    #[inline(always)]
    pub(crate) fn bytes_before_boundary(&self) -> usize {
        self.cut_at.saturating_sub(self.out.len())
    }

    /// Writes an opcode header and a large payload outside any frame, as
    /// CPython does for payloads of 64 KiB and more.
    pub(super) fn write_payload(&mut self, header: &[u8], payload: &[u8]) -> Result<()> {
        if self.framing && payload.len() >= FRAME_SIZE_TARGET {
            self.commit_frame()?;
            self.out.extend_from_slice(header);
            if self.sink.is_some() {
                self.flush()?;
                if let Some(sink) = self.sink.as_mut() {
                    sink.write_all(payload).map_err(|e| Error::io(e, Some(self.flushed)))?;
                }
                self.flushed += payload.len() as u64;
            } else {
                self.out.extend_from_slice(payload);
            }
            self.open_frame();
            return Ok(());
        }
        self.out.extend_from_slice(header);
        self.out.extend_from_slice(payload);
        Ok(())
    }
}
