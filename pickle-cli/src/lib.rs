//! The library behind the `pickle` command: disassembly and the tagged JSON
//! form (see `docs/json-format.md`).
#![deny(missing_docs)]
