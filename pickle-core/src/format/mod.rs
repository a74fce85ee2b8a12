//! The wire vocabulary, shared by the decoder, the encoder and the CLI: the
//! opcodes and their table, Python's text codecs for protocol 0, and the
//! Python 2 name mapping. A leaf: it depends on nothing above `error`.

pub(crate) mod compat;
pub mod opcodes;
#[doc(hidden)]
pub mod text;
