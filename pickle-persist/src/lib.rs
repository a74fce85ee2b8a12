//! Crash-safe, memory-mapped pickle checkpoints that Python opens with plain
//! `pickle.load`.
//!
//! - [`save`] and [`load`] write and read single files: atomic (temporary
//!   file, fsync, rename, directory fsync) and checksummed.
//! - [`Mapped`] maps a file and decodes values that borrow from the map, so
//!   opening a large checkpoint and reading one field is cheap.
//! - [`Checkpointer`] keeps a directory of step-numbered checkpoints with a
//!   lock, retention, resume from the newest valid one, and background saves.
//!
//! Every file is a plain pickle followed by a 24-byte trailer after `STOP`
//! (format version, length, CRC-32C) that Python's `pickle.load` never reads;
//! see the `trailer` module docs for the layout. Plain pickles without a
//! trailer load too.
#![deny(missing_docs)]

mod checkpointer;
mod commit;
mod error;
mod file;
mod meta;
mod policy;
mod store;
pub mod trailer;

pub use checkpointer::{Checkpointer, Skipped};
pub use error::{Error, ErrorKind, Result};
pub use file::{Mapped, load, load_value, save, save_with};
pub use meta::StepInfo;
pub use policy::{Keep, Order, SaveEvery};
