//! Python types for other crates' types, each behind the cargo feature of
//! the crate's name, in a file named after the crate and its major version.
//! Most convert through a type of `types/` (a chrono `NaiveDate` through
//! [`Date`](crate::datetime::Date)), so each Python form is read and written
//! in one place.

/// `ToPickle`, `FromPickle` and `PyType` for `$t` through the core type
/// `$core`: `to` converts for writing (an error for values Python cannot
/// hold), `from` for reading (a message for values `$t` cannot hold, which
/// becomes a `Mismatch` at the value's offset).
#[allow(unused_macros)] // used only by the enabled features
macro_rules! via_core {
    ($t:ty, $core:ty, $module:literal, $class:literal, to = $to:expr, from = $from:expr $(,)?) => {
        impl $crate::ser::ToPickle for $t {
            fn to_pickle(&self, enc: &mut $crate::ser::Encoder<'_>) -> $crate::error::Result<()> {
                let to: fn(&$t) -> $crate::error::Result<$core> = $to;
                $crate::ser::ToPickle::to_pickle(&to(self)?, enc)
            }
        }

        via_core!($t, $core, $module, $class, from = $from);
    };
    // Reading only: the type writes itself.
    ($t:ty, $core:ty, $module:literal, $class:literal, from = $from:expr $(,)?) => {
        impl<'a> $crate::de::FromPickle<'a> for $t {
            fn from_pickle(
                cx: &mut $crate::de::Context<'_, 'a>,
                item: $crate::value::Item,
            ) -> $crate::error::Result<Self> {
                let core = <$core as $crate::de::FromPickle<'a>>::from_pickle(cx, item)?;
                let from: fn($core) -> ::std::result::Result<$t, String> = $from;
                from(core).map_err(|m| cx.error(item, m))
            }

            fn from_direct(rd: &mut $crate::de::Direct<'_, '_, 'a>) -> Option<Self> {
                let core = <$core as $crate::de::FromPickle<'a>>::from_direct(rd)?;
                let from: fn($core) -> ::std::result::Result<$t, String> = $from;
                from(core).ok()
            }
        }

        impl $crate::pyclass::PyType for $t {
            fn py_type(_: &mut $crate::pyclass::PyModuleBuilder) -> $crate::pyclass::TypeHint {
                $crate::pyclass::TypeHint::class($module, $class)
            }
        }
    };
}

#[cfg(feature = "chrono")]
mod chrono_0;
#[cfg(feature = "half")]
mod half_2;
#[cfg(feature = "indexmap")]
mod indexmap_2;
#[cfg(feature = "jiff")]
mod jiff_1;
#[cfg(feature = "ndarray")]
mod ndarray_0;
#[cfg(feature = "num-complex")]
mod num_complex_0;
#[cfg(feature = "rust_decimal")]
mod rust_decimal_1;
#[cfg(feature = "uuid")]
mod uuid_1;
