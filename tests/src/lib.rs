//! Cross-crate and CPython interop tests; see the files under `tests/tests/`.
