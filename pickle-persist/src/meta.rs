//! What is recorded with each step: when, by whom, of which Rust type, and
//! the metrics the caller gave ([`StepInfo`]). It travels as a plain pickled
//! dict: in a local checkpoint's trailer extension, and in an object-store
//! commit marker, so Python reads it with `pickle.loads` too.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pickle_core::{Context, Encoder, FromPickle, Item, ToPickle};

/// The metadata of one committed step, as [`Checkpointer::list_info`]
/// returns it.
///
/// In Python, the same fields are a dict: `step` (int), `time` (float, Unix
/// seconds), `type` (str), `writer` (str), `shards` (int) and `metrics`
/// (dict of str to float).
///
/// [`Checkpointer::list_info`]: crate::Checkpointer::list_info
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    /// The step.
    pub step: u64,
    /// When the step was saved (the writer's clock).
    pub time: SystemTime,
    /// The Rust type of the state (`std::any::type_name`).
    pub type_name: String,
    /// Who wrote it: `host:pid`.
    pub writer: String,
    /// How many shards the step has (1 for a plain save).
    pub shards: u32,
    /// The metrics recorded with [`Checkpointer::metric`](crate::Checkpointer::metric).
    pub metrics: BTreeMap<String, f64>,
    /// Where the arrays' payloads are, for loaders that map them: the
    /// offset of each payload's `BYTEARRAY8` opcode in the pickle (the
    /// payload follows its 9 bytes) and the payload's length (see
    /// [`Checkpointer::zero_copy_arrays`](crate::Checkpointer::zero_copy_arrays)).
    pub buffers: Vec<(u64, u64)>,
}

impl StepInfo {
    pub(crate) fn now<T: ?Sized>(step: u64, shards: u32, metrics: BTreeMap<String, f64>) -> StepInfo {
        StepInfo {
            step,
            time: SystemTime::now(),
            type_name: std::any::type_name::<T>().to_owned(),
            writer: writer_id(),
            shards,
            metrics,
            buffers: Vec::new(),
        }
    }

    /// Metadata for a file that carries none (written before format 2):
    /// the step from its name, the time from the file system.
    pub(crate) fn bare(step: u64, time: SystemTime) -> StepInfo {
        StepInfo {
            step,
            time,
            type_name: String::new(),
            writer: String::new(),
            shards: 1,
            metrics: BTreeMap::new(),
            buffers: Vec::new(),
        }
    }

    /// The metric `name`, if it was recorded.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied()
    }

    /// The bytes of the dict (protocol 2, which every Python 3 reads).
    pub(crate) fn to_pickle_bytes(&self) -> Vec<u8> {
        let opts = pickle_core::EncodeOptions::default().protocol(2);
        // A dict of ints, floats and strs always encodes.
        pickle_core::to_vec_with(self, opts).unwrap_or_default()
    }

    fn seconds(&self) -> f64 {
        match self.time.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }
}

/// `host:pid` of this process.
pub(crate) fn writer_id() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for writes of its length for the call;
    // gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let host = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown-host".to_owned()
    };
    format!("{host}:{}", std::process::id())
}

impl ToPickle for StepInfo {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> pickle_core::Result<()> {
        let fields: [(&str, &dyn ToPickle); 6] = [
            ("step", &self.step),
            ("time", &self.seconds()),
            ("type", &self.type_name),
            ("writer", &self.writer),
            ("shards", &self.shards),
            ("metrics", &self.metrics),
        ];
        let buffers: [(&str, &dyn ToPickle); 1] = [("buffers", &self.buffers)];
        let with_buffers = if self.buffers.is_empty() { &buffers[..0] } else { &buffers[..] };
        enc.write_dict(fields.iter().chain(with_buffers).copied())
    }
}

impl<'a> FromPickle<'a> for StepInfo {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let mut info = StepInfo::bare(0, UNIX_EPOCH);
        let mut has_step = false;
        for (k, v) in cx.dict(item)?.iter().copied() {
            match cx.str(k)? {
                "step" => {
                    info.step = cx.decode(v)?;
                    has_step = true;
                }
                "time" => {
                    let secs: f64 = cx.decode(v)?;
                    let d = Duration::try_from_secs_f64(secs.abs()).map_err(|e| cx.error(v, e))?;
                    info.time = if secs >= 0.0 { UNIX_EPOCH + d } else { UNIX_EPOCH - d };
                }
                "type" => info.type_name = cx.decode(v)?,
                "writer" => info.writer = cx.decode(v)?,
                "shards" => info.shards = cx.decode(v)?,
                "metrics" => info.metrics = cx.decode(v)?,
                "buffers" => info.buffers = cx.decode(v)?,
                // Newer writers may add keys.
                _ => {}
            }
        }
        if !has_step {
            return Err(cx.error(item, "the step's metadata has no \"step\""));
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_ignores_new_keys() {
        let mut metrics = BTreeMap::new();
        metrics.insert("loss".to_owned(), 0.25);
        let info = StepInfo::now::<Vec<f64>>(42, 4, metrics);
        assert_eq!(info.type_name, "alloc::vec::Vec<f64>");
        let bytes = info.to_pickle_bytes();
        let back: StepInfo = pickle_core::from_slice(&bytes).expect("decode");
        // The time goes through a float of seconds: equal to the microsecond.
        let drift = back.time.duration_since(info.time).unwrap_or_else(|e| e.duration());
        assert!(drift < Duration::from_micros(1), "{drift:?}");
        assert_eq!(StepInfo { time: info.time, ..back }, info);

        let err = pickle_core::from_slice::<StepInfo>(b"\x80\x02}q\x00.").expect_err("no step");
        assert!(err.to_string().contains("has no \"step\""), "{err}");
    }
}
