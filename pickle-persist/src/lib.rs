//! Crash-safe, memory-mapped pickle checkpoints.
//!
//! This crate is a skeleton; its issue delivers atomic saves, mapped loads and
//! the `Checkpointer`.
#![deny(missing_docs)]
