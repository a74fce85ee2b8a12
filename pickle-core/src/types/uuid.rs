//! Python's `uuid.UUID`: [`Uuid`] is its 128-bit value and its `is_safe`
//! flag; the `uuid` feature converts `uuid::Uuid` through it.
//!
//! CPython pickles a UUID as `NEWOBJ uuid.UUID()` with the state `{'int':
//! N}` plus `'is_safe': 0 | -1` when the flag is known
//! (`copyreg._reconstructor` at protocols 0 and 1); pickle-rs writes the
//! same, and reads that and `uuid.UUID('<hex>')`.
//!
//! ```
//! use pickle_core::uuid::{SafeUuid, Uuid};
//!
//! let id = Uuid { value: 0x12345678_1234_5678_1234_567812345678, is_safe: SafeUuid::Safe };
//! let bytes = pickle_core::to_vec(&id)?; // uuid.UUID('12345678-1234-5678-1234-567812345678')
//! assert_eq!(pickle_core::from_slice::<Uuid>(&bytes)?, id);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use crate::de::{Context, FromPickle};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Item};

/// `uuid.SafeUUID`: whether the UUID was generated in a multiprocessing-safe
/// way, as the platform reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SafeUuid {
    /// `SafeUUID.safe` (0).
    Safe,
    /// `SafeUUID.unsafe` (-1).
    Unsafe,
    /// `SafeUUID.unknown` (None): not written to the state.
    #[default]
    Unknown,
}

/// A Python `uuid.UUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Uuid {
    /// The 128-bit value, `UUID.int`.
    pub value: u128,
    /// `UUID.is_safe`.
    pub is_safe: SafeUuid,
}

impl ToPickle for Uuid {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        let fields = if self.is_safe == SafeUuid::Unknown { 1 } else { 2 };
        // UUID has __setstate__ taking the dict: the plain-dict form.
        enc.write_dict_instance("uuid", "UUID", fields, |s| {
            s.field("int", &self.value)?;
            match self.is_safe {
                SafeUuid::Safe => s.field("is_safe", &0i64),
                SafeUuid::Unsafe => s.field("is_safe", &-1i64),
                SafeUuid::Unknown => Ok(()),
            }
        })
    }
}

impl<'a> FromPickle<'a> for Uuid {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let v = cx.value();
        let obj = v.as_object(item).filter(|o| v.as_global(o.class).is_some_and(|g| g.is("uuid", "UUID")));
        let Some(obj) = obj else { return Err(cx.mismatch(item, "a uuid.UUID")) };
        if obj.construct == Construct::Call {
            let &[hex] = obj.args.as_slice() else {
                return Err(cx.error(item, "expected uuid.UUID(hex) or the NEWOBJ form with an 'int' state"));
            };
            let text = cx.str(hex)?;
            let digits: String = text
                .trim_start_matches("urn:")
                .trim_start_matches("uuid:")
                .chars()
                .filter(|c| !matches!(c, '{' | '}' | '-'))
                .collect();
            let value = (digits.len() == 32)
                .then(|| u128::from_str_radix(&digits, 16).ok())
                .flatten()
                .ok_or_else(|| cx.error(hex, format_args!("{text:?} is not a UUID's hex form")))?;
            return Ok(Uuid { value, is_safe: SafeUuid::Unknown });
        }
        let state = obj.state.ok_or_else(|| cx.error(item, "the uuid.UUID has no state"))?;
        if v.as_dict(state).is_none() {
            return Err(cx.mismatch(state, "the uuid.UUID's state dict"));
        }
        let int = v.dict_get(state, "int").ok_or_else(|| cx.error(state, "the uuid.UUID's state has no 'int'"))?;
        let value: u128 = cx.decode(int).map_err(|e| e.context("UUID.int"))?;
        let is_safe = match v.dict_get(state, "is_safe") {
            None | Some(Item::None) => SafeUuid::Unknown,
            Some(Item::Int(0)) => SafeUuid::Safe,
            Some(Item::Int(-1)) => SafeUuid::Unsafe,
            // uuid.SafeUUID(0) where a pickler wrote the enum member.
            Some(s) => match v.as_object(s).map(|o| o.args.as_slice()) {
                Some(&[Item::Int(0)]) => SafeUuid::Safe,
                Some(&[Item::Int(-1)]) => SafeUuid::Unsafe,
                Some(&[Item::None]) => SafeUuid::Unknown,
                _ => return Err(cx.error(s, format_args!("UUID.is_safe is {}, not 0, -1 or None", cx.describe(s)))),
            },
        };
        Ok(Uuid { value, is_safe })
    }
}

impl PyType for Uuid {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("uuid", "UUID")
    }
}
