//! Python's `pathlib`: `PathBuf` and `Path` as `pathlib.PurePosixPath`.
//!
//! Written as `pathlib.PurePosixPath('<the whole path>')`, one str argument
//! under the `pathlib` name, which every CPython from 3.8 loads (3.13 itself
//! writes `pathlib._local`, which older Pythons cannot import). Reading
//! accepts `PurePosixPath`, `PosixPath`, `Path` and `PurePath`, the Windows
//! classes, under `pathlib` and 3.13's `pathlib._local`, with any number of
//! str parts (3.8-3.12 write one per component), joined as pathlib joins
//! them.
//!
//! ```
//! use std::path::PathBuf;
//!
//! let p = PathBuf::from("/usr/lib/x.txt");
//! let bytes = pickle_core::to_vec(&p)?; // PurePosixPath('/usr/lib/x.txt')
//! assert_eq!(pickle_core::from_slice::<PathBuf>(&bytes)?, p);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::path::{Path, PathBuf};

use crate::de::{Context, FromPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Item};

const CLASSES: &[&str] = &["PurePosixPath", "PosixPath", "Path", "PurePath", "PureWindowsPath", "WindowsPath"];

impl ToPickle for Path {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        let Some(text) = self.to_str() else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                None,
                format!("the path {} is not UTF-8, which a Python str needs", self.display()),
            ));
        };
        enc.write_class("pathlib", "PurePosixPath")?;
        enc.write_tuple_raw(1, |enc| enc.write_str(text))?;
        enc.write_reduce()
    }
}

impl ToPickle for PathBuf {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        self.as_path().to_pickle(enc)
    }
}

impl<'a> FromPickle<'a> for PathBuf {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let v = cx.value();
        let class = v.as_object(item).filter(|o| o.construct == Construct::Call).and_then(|o| {
            let g = v.as_global(o.class)?;
            (matches!(g.module.as_ref(), "pathlib" | "pathlib._local") && CLASSES.contains(&g.name.as_ref()))
                .then_some((o, g.name.contains("Windows")))
        });
        let Some((obj, windows)) = class else { return Err(cx.mismatch(item, "a pathlib path")) };
        let mut out = String::new();
        for &part in &obj.args {
            let part = cx.str(part)?;
            let absolute = if windows {
                part.starts_with(['\\', '/']) || part.as_bytes().get(1) == Some(&b':')
            } else {
                part.starts_with('/')
            };
            let sep = if windows { '\\' } else { '/' };
            if absolute || out.is_empty() {
                out = part.to_owned();
            } else if !part.is_empty() {
                if !out.ends_with(sep) {
                    out.push(sep);
                }
                out.push_str(part);
            }
        }
        if out.is_empty() {
            out.push('.');
        }
        Ok(PathBuf::from(out))
    }
}

impl PyType for Path {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("pathlib", "PurePosixPath")
    }
}

impl PyType for PathBuf {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("pathlib", "PurePosixPath")
    }
}
