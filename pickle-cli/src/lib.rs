//! The library behind the `pickle` command: a disassembler that prints what
//! `python3 -m pickletools` prints ([`dis`]), and the tagged JSON form of a
//! decoded pickle ([`json`], see `docs/json-format.md`), and the file-level
//! side of `pickle scan` ([`scan`]: containers and reports).
#![deny(missing_docs)]

mod base64;
pub mod dis;
pub mod json;
mod nonprintable;
mod repr;
pub mod scan;
