//! pandas: [`DataFrame`], [`Series`], [`Index`] and [`Column`], both ways.
//!
//! **Writing** calls pandas' public constructors through `REDUCE`, so that
//! `pickle.load` and `pd.read_pickle` return a real frame on pandas 1.5, 2.x
//! and 3.x with NumPy 1.26 and 2.x: `pandas.DataFrame({name: column, ...},
//! index)`, where a numeric, bool, datetime64 or timedelta64 column is a
//! NumPy array (the forms of [`numpy`](crate::numpy)), a str column a list
//! of str and None, a tz-aware column `DatetimeIndex(utc, tz='UTC')`
//! converted with `tz_convert`, a categorical column
//! `Categorical.from_codes(codes, categories, ordered)` and a nullable
//! column `IntegerArray(values, mask)` or `BooleanArray(values, mask)`.
//!
//! **Reading** accepts those forms and the native pickles that
//! `pickle.dumps(df)` and `df.to_pickle()` write on pandas 1.5, 2.x and
//! 3.x: the `BlockManager` of `_unpickle_block`s (NumPy blocks, masked
//! arrays, `DatetimeArray`, `TimedeltaArray`, `Categorical`, pandas 3's
//! `StringArray`), and the `_new_Index` / `_new_DatetimeIndex` indexes.
//!
//! What a [`Column`] cannot hold is an error that names the column and
//! what it holds: a MultiIndex, an object column holding other objects than
//! str (and missing values), a sparse or interval array, a categorical
//! whose categories are not str, a column label that is not a str.
//!
//! ```
//! use pickle_core::pandas::{Column, DataFrame};
//!
//! let df = DataFrame::from_columns([
//!     ("step", Column::from(vec![1i64, 2, 3])),
//!     ("loss", Column::from(vec![0.9, 0.5, 0.25])),
//!     ("note", Column::from(vec![Some("a".to_string()), None, Some("c".to_string())])),
//! ])?;
//! let bytes = pickle_core::to_vec(&df)?; // pd.read_pickle gives the frame
//! let back: DataFrame = pickle_core::from_slice(&bytes)?;
//! assert_eq!(back.column("loss").and_then(|c| c.as_f64()), Some(&[0.9, 0.5, 0.25][..]));
//! assert_eq!(back.len(), 3);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use crate::de::dtype::Dtype;
use crate::de::{Context, FromPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::types::datetime::TzInfo;
use crate::types::numpy::{self, Element, RawArray, TimeUnit};
use crate::value::{Construct, Item, Node, Object, Value};

/// One column of a [`DataFrame`] (or the values of a [`Series`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Column {
    /// `int64`.
    Int64(Vec<i64>),
    /// `int32`.
    Int32(Vec<i32>),
    /// `int16`.
    Int16(Vec<i16>),
    /// `int8`.
    Int8(Vec<i8>),
    /// `uint64`.
    UInt64(Vec<u64>),
    /// `uint32`.
    UInt32(Vec<u32>),
    /// `uint16`.
    UInt16(Vec<u16>),
    /// `uint8`.
    UInt8(Vec<u8>),
    /// `float64` (NaN for missing values).
    Float64(Vec<f64>),
    /// `float32`.
    Float32(Vec<f32>),
    /// `bool`.
    Bool(Vec<bool>),
    /// Strings with missing values: an `object` column of str and
    /// None/NaN, or pandas 3's `str` dtype.
    Str(Vec<Option<String>>),
    /// `datetime64[unit]`, naive or with a time zone: counts of `unit`
    /// since the epoch in UTC ([`NAT`](crate::numpy::NAT) for missing values).
    DateTime {
        /// The unit (pandas 1.x has only nanoseconds).
        unit: TimeUnit,
        /// The values.
        values: Vec<i64>,
        /// The time zone (an IANA name, or `UTC`), `None` for naive.
        tz: Option<String>,
    },
    /// `timedelta64[unit]` ([`NAT`](crate::numpy::NAT) for missing values).
    TimeDelta {
        /// The unit.
        unit: TimeUnit,
        /// The values.
        values: Vec<i64>,
    },
    /// `category` with str categories: codes into `categories`, -1 for a
    /// missing value.
    Categorical {
        /// The codes.
        codes: Vec<i32>,
        /// The categories.
        categories: Vec<String>,
        /// Whether the categories are ordered.
        ordered: bool,
    },
    /// The nullable `Int64` extension type.
    NullableInt64(Vec<Option<i64>>),
    /// The nullable `boolean` extension type.
    NullableBool(Vec<Option<bool>>),
}

macro_rules! column_from {
    ($($t:ty => $variant:ident;)*) => {$(
        impl From<Vec<$t>> for Column {
            fn from(v: Vec<$t>) -> Column {
                Column::$variant(v)
            }
        }
    )*};
}

column_from! {
    i64 => Int64; i32 => Int32; i16 => Int16; i8 => Int8;
    u64 => UInt64; u32 => UInt32; u16 => UInt16; u8 => UInt8;
    f64 => Float64; f32 => Float32; bool => Bool;
    Option<String> => Str; Option<i64> => NullableInt64; Option<bool> => NullableBool;
}

impl From<Vec<String>> for Column {
    fn from(v: Vec<String>) -> Column {
        Column::Str(v.into_iter().map(Some).collect())
    }
}

impl From<Vec<&str>> for Column {
    fn from(v: Vec<&str>) -> Column {
        Column::Str(v.into_iter().map(|s| Some(s.to_owned())).collect())
    }
}

impl Column {
    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::Int64(v) => v.len(),
            Column::Int32(v) => v.len(),
            Column::Int16(v) => v.len(),
            Column::Int8(v) => v.len(),
            Column::UInt64(v) => v.len(),
            Column::UInt32(v) => v.len(),
            Column::UInt16(v) => v.len(),
            Column::UInt8(v) => v.len(),
            Column::Float64(v) => v.len(),
            Column::Float32(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Str(v) => v.len(),
            Column::DateTime { values, .. } | Column::TimeDelta { values, .. } => values.len(),
            Column::Categorical { codes, .. } => codes.len(),
            Column::NullableInt64(v) => v.len(),
            Column::NullableBool(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of an `int64` column.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match self {
            Column::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The values of a `float64` column.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match self {
            Column::Float64(v) => Some(v),
            _ => None,
        }
    }

    /// The values of a str column.
    pub fn as_str(&self) -> Option<&[Option<String>]> {
        match self {
            Column::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The values of a `bool` column.
    pub fn as_bool(&self) -> Option<&[bool]> {
        match self {
            Column::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// pandas' name for the dtype: `int64`, `float64`, `object`,
    /// `datetime64[ns, UTC]`, `category`, `Int64`, ...
    pub fn dtype_name(&self) -> String {
        match self {
            Column::Int64(_) => "int64".into(),
            Column::Int32(_) => "int32".into(),
            Column::Int16(_) => "int16".into(),
            Column::Int8(_) => "int8".into(),
            Column::UInt64(_) => "uint64".into(),
            Column::UInt32(_) => "uint32".into(),
            Column::UInt16(_) => "uint16".into(),
            Column::UInt8(_) => "uint8".into(),
            Column::Float64(_) => "float64".into(),
            Column::Float32(_) => "float32".into(),
            Column::Bool(_) => "bool".into(),
            Column::Str(_) => "str".into(),
            Column::DateTime { unit, tz: None, .. } => format!("datetime64[{}]", unit.code()),
            Column::DateTime { unit, tz: Some(tz), .. } => format!("datetime64[{}, {tz}]", unit.code()),
            Column::TimeDelta { unit, .. } => format!("timedelta64[{}]", unit.code()),
            Column::Categorical { .. } => "category".into(),
            Column::NullableInt64(_) => "Int64".into(),
            Column::NullableBool(_) => "boolean".into(),
        }
    }
}

/// A pandas index: a range, or labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The index's name.
    pub name: Option<String>,
    /// Its labels.
    pub values: IndexValues,
}

/// The labels of an [`Index`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexValues {
    /// `RangeIndex(start, stop, step)`.
    Range {
        /// The first label.
        start: i64,
        /// The end (exclusive).
        stop: i64,
        /// The step (not 0).
        step: i64,
    },
    /// An `int64` index.
    Int64(Vec<i64>),
    /// A str index.
    Str(Vec<String>),
    /// A `DatetimeIndex`, as a [`Column::DateTime`] holds it.
    DateTime {
        /// The unit.
        unit: TimeUnit,
        /// The values, in UTC.
        values: Vec<i64>,
        /// The time zone, `None` for naive.
        tz: Option<String>,
    },
}

impl Index {
    /// `RangeIndex(0, len)`, pandas' default.
    pub fn range(len: usize) -> Index {
        Index { name: None, values: IndexValues::Range { start: 0, stop: len as i64, step: 1 } }
    }

    /// The number of labels.
    pub fn len(&self) -> usize {
        match &self.values {
            IndexValues::Range { start, stop, step } => range_len(*start, *stop, *step),
            IndexValues::Int64(v) => v.len(),
            IndexValues::Str(v) => v.len(),
            IndexValues::DateTime { values, .. } => values.len(),
        }
    }

    /// Whether the index has no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn range_len(start: i64, stop: i64, step: i64) -> usize {
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let n = if step > 0 && stop > start {
        (stop - start + step - 1) / step
    } else if step < 0 && stop < start {
        (start - stop - step - 1) / -step
    } else {
        0
    };
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A pandas `DataFrame`: named columns of equal length and a row index.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFrame {
    columns: Vec<(String, Column)>,
    index: Index,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::Unsupported, None, message)
}

impl DataFrame {
    /// A frame of the columns, in order, with the default `RangeIndex`;
    /// columns of unequal length are an error.
    pub fn from_columns<I, S>(columns: I) -> Result<DataFrame>
    where
        I: IntoIterator<Item = (S, Column)>,
        S: Into<String>,
    {
        let columns: Vec<(String, Column)> = columns.into_iter().map(|(n, c)| (n.into(), c)).collect();
        let len = columns.first().map_or(0, |(_, c)| c.len());
        DataFrame { columns, index: Index::range(len) }.checked()
    }

    /// The frame with another row index, which must have one label per row.
    pub fn with_index(mut self, index: Index) -> Result<DataFrame> {
        self.index = index;
        self.checked()
    }

    fn checked(self) -> Result<DataFrame> {
        let rows = self.index.len();
        for (name, c) in &self.columns {
            if c.len() != rows {
                return Err(invalid(format!(
                    "column {name:?} has {} values, and the frame {rows} rows (the index's length)",
                    c.len()
                )));
            }
        }
        Ok(self)
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The column `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The columns with their names, in order.
    pub fn columns(&self) -> &[(String, Column)] {
        &self.columns
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row index.
    pub fn index(&self) -> &Index {
        &self.index
    }
}

/// A pandas `Series`: values, a row index and a name.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name.
    pub name: Option<String>,
    /// The values.
    pub values: Column,
    /// The row index, one label per value.
    pub index: Index,
}

impl Series {
    /// A series of `values` with the default `RangeIndex`.
    pub fn new(name: Option<String>, values: Column) -> Series {
        let index = Index::range(values.len());
        Series { name, values, index }
    }
}

// ----- writing ---------------------------------------------------------------

fn write_array<T: Element>(enc: &mut Encoder<'_>, data: &[T]) -> Result<()> {
    numpy::vec::to_pickle(data, enc)
}

fn write_opt_str(enc: &mut Encoder<'_>, s: &Option<String>) -> Result<()> {
    match s {
        Some(s) => enc.write_str(s),
        None => enc.write_none(),
    }
}

/// `functools.partial(func, **{key: value})`, as pickle builds it: the
/// partial of `func` with its state `(func, (), kwargs, None)`.
fn write_partial(
    enc: &mut Encoder<'_>,
    func: (&'static str, &'static str),
    kwargs: &[(&'static str, &WriteFn<'_>)],
) -> Result<()> {
    enc.write_class("functools", "partial")?;
    enc.write_tuple_raw(1, |enc| enc.write_class(func.0, func.1))?;
    enc.write_reduce()?;
    enc.write_tuple_raw(4, |enc| {
        enc.write_class(func.0, func.1)?;
        enc.write_tuple_raw(0, |_| Ok(()))?;
        enc.write_dict(kwargs.iter().map(|(k, write)| (*k, Written(write))))?;
        enc.write_none()
    })?;
    enc.write_build()
}

/// Writes one value.
type WriteFn<'f> = dyn Fn(&mut Encoder<'_>) -> Result<()> + 'f;

/// A value written by a closure, for `write_dict`.
struct Written<'f>(&'f dyn Fn(&mut Encoder<'_>) -> Result<()>);

impl ToPickle for Written<'_> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        (self.0)(enc)
    }
}

/// `getattr(<object written by write>, name)`.
fn write_method(
    enc: &mut Encoder<'_>,
    name: &'static str,
    write: impl FnOnce(&mut Encoder<'_>) -> Result<()>,
) -> Result<()> {
    enc.write_class("builtins", "getattr")?;
    enc.write_tuple_raw(2, |enc| {
        write(enc)?;
        enc.write_static_str(name)
    })?;
    enc.write_reduce()
}

/// A `DatetimeIndex` of UTC values in `tz` (naive when `None`) named `name`:
/// `partial(DatetimeIndex, tz='UTC', name=name)(utc).tz_convert(tz)`.
fn write_datetimes(
    enc: &mut Encoder<'_>,
    unit: TimeUnit,
    values: &[i64],
    tz: &str,
    name: &Option<String>,
) -> Result<()> {
    let array = |enc: &mut Encoder<'_>| {
        numpy::DateTime64Array { unit, values: numpy::NdArray::from_vec(values.to_vec()) }.to_pickle(enc)
    };
    let index = |enc: &mut Encoder<'_>| {
        let utc = |enc: &mut Encoder<'_>| enc.write_static_str("UTC");
        let named = |enc: &mut Encoder<'_>| write_opt_str(enc, name);
        write_partial(enc, ("pandas", "DatetimeIndex"), &[("tz", &utc), ("name", &named)])?;
        enc.write_tuple_raw(1, array)?;
        enc.write_reduce()
    };
    if tz == "UTC" {
        return index(enc);
    }
    write_method(enc, "tz_convert", index)?;
    enc.write_tuple_raw(1, |enc| enc.write_str(tz))?;
    enc.write_reduce()
}

fn write_column(enc: &mut Encoder<'_>, c: &Column) -> Result<()> {
    match c {
        Column::Int64(v) => write_array(enc, v),
        Column::Int32(v) => write_array(enc, v),
        Column::Int16(v) => write_array(enc, v),
        Column::Int8(v) => write_array(enc, v),
        Column::UInt64(v) => write_array(enc, v),
        Column::UInt32(v) => write_array(enc, v),
        Column::UInt16(v) => write_array(enc, v),
        Column::UInt8(v) => write_array(enc, v),
        Column::Float64(v) => write_array(enc, v),
        Column::Float32(v) => write_array(enc, v),
        Column::Bool(v) => write_array(enc, v),
        Column::Str(v) => enc.write_list(v.iter().map(Option::as_deref)),
        Column::DateTime { unit, values, tz: None } => {
            numpy::DateTime64Array { unit: *unit, values: numpy::NdArray::from_vec(values.clone()) }.to_pickle(enc)
        }
        Column::DateTime { unit, values, tz: Some(tz) } => write_datetimes(enc, *unit, values, tz, &None),
        Column::TimeDelta { unit, values } => {
            numpy::TimeDelta64Array { unit: *unit, values: numpy::NdArray::from_vec(values.clone()) }.to_pickle(enc)
        }
        Column::Categorical { codes, categories, ordered } => {
            write_method(enc, "from_codes", |enc| enc.write_class("pandas", "Categorical"))?;
            enc.write_tuple_raw(3, |enc| {
                write_array(enc, codes)?;
                enc.write_list(categories.iter())?;
                enc.write_bool(*ordered)
            })?;
            enc.write_reduce()
        }
        Column::NullableInt64(v) => {
            let values: Vec<i64> = v.iter().map(|x| x.unwrap_or(0)).collect();
            write_masked(enc, "IntegerArray", |enc| write_array(enc, &values), v.iter().map(Option::is_none))
        }
        Column::NullableBool(v) => {
            let values: Vec<bool> = v.iter().map(|x| x.unwrap_or(false)).collect();
            write_masked(enc, "BooleanArray", |enc| write_array(enc, &values), v.iter().map(Option::is_none))
        }
    }
}

/// `pandas.arrays.<class>(values, mask)`.
fn write_masked(
    enc: &mut Encoder<'_>,
    class: &'static str,
    values: impl FnOnce(&mut Encoder<'_>) -> Result<()>,
    mask: impl Iterator<Item = bool>,
) -> Result<()> {
    let mask: Vec<bool> = mask.collect();
    enc.write_class("pandas.arrays", class)?;
    enc.write_tuple_raw(2, |enc| {
        values(enc)?;
        write_array(enc, &mask)
    })?;
    enc.write_reduce()
}

fn write_index(enc: &mut Encoder<'_>, index: &Index) -> Result<()> {
    let name = &index.name;
    match &index.values {
        IndexValues::Range { start, stop, step } => {
            enc.write_class("pandas", "RangeIndex")?;
            enc.write_tuple_raw(6, |enc| {
                enc.write_i64(*start)?;
                enc.write_i64(*stop)?;
                enc.write_i64(*step)?;
                enc.write_none()?;
                enc.write_bool(false)?;
                write_opt_str(enc, name)
            })?;
            enc.write_reduce()
        }
        IndexValues::DateTime { unit, values, tz: Some(tz) } => write_datetimes(enc, *unit, values, tz, name),
        values => {
            enc.write_class("pandas", "Index")?;
            enc.write_tuple_raw(4, |enc| {
                match values {
                    IndexValues::Int64(v) => write_array(enc, v)?,
                    IndexValues::Str(v) => enc.write_list(v.iter())?,
                    IndexValues::DateTime { unit, values, .. } => {
                        numpy::DateTime64Array { unit: *unit, values: numpy::NdArray::from_vec(values.clone()) }
                            .to_pickle(enc)?
                    }
                    IndexValues::Range { .. } => unreachable!("written above"),
                }
                enc.write_none()?;
                enc.write_bool(false)?;
                write_opt_str(enc, name)
            })?;
            enc.write_reduce()
        }
    }
}

impl ToPickle for DataFrame {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_class("pandas", "DataFrame")?;
        enc.write_tuple_raw(2, |enc| {
            enc.write_dict(self.columns.iter().map(|(n, c)| (n.as_str(), ColumnRef(c))))?;
            write_index(enc, &self.index)
        })?;
        enc.write_reduce()
    }
}

struct ColumnRef<'c>(&'c Column);

impl ToPickle for ColumnRef<'_> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_column(enc, self.0)
    }
}

impl ToPickle for Series {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        if self.values.len() != self.index.len() {
            return Err(invalid(format!(
                "the series has {} values and an index of {}",
                self.values.len(),
                self.index.len()
            )));
        }
        // pandas.Series(data, index, dtype, name)
        enc.write_class("pandas", "Series")?;
        enc.write_tuple_raw(4, |enc| {
            write_column(enc, &self.values)?;
            write_index(enc, &self.index)?;
            enc.write_none()?;
            write_opt_str(enc, &self.name)
        })?;
        enc.write_reduce()
    }
}

impl ToPickle for Index {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_index(enc, self)
    }
}

// ----- reading ---------------------------------------------------------------

/// Whether `g` is pandas' class `name` under its public or private paths.
fn is_pandas(v: &Value<'_>, class: Item, name: &str) -> bool {
    v.as_global(class).is_some_and(|g| g.name == name && (g.module == "pandas" || g.module.starts_with("pandas.")))
}

fn class_name<'v>(v: &'v Value<'_>, class: Item) -> Option<&'v str> {
    v.as_global(class).filter(|g| g.module == "pandas" || g.module.starts_with("pandas.")).map(|g| g.name.as_ref())
}

fn object<'c>(cx: &Context<'c, '_>, item: Item, what: &str) -> Result<&'c Object> {
    cx.value().as_object(item).ok_or_else(|| cx.mismatch(item, what))
}

/// A `functools.partial` object's function and keyword arguments.
fn partial<'c>(v: &'c Value<'_>, item: Item) -> Option<(Item, &'c [(Item, Item)])> {
    let obj = v.as_object(item)?;
    let g = v.as_global(obj.class)?;
    if !g.is("functools", "partial") {
        return None;
    }
    let state = v.as_tuple(obj.state?)?;
    let (&func, &kwargs) = (state.first()?, state.get(2)?);
    let kwargs = match kwargs {
        Item::None => &[][..],
        k => v.as_dict(k)?,
    };
    Some((func, kwargs))
}

fn tz_name(cx: &mut Context<'_, '_>, tz: Item) -> Result<Option<String>> {
    if tz == Item::None {
        return Ok(None);
    }
    if let Some(s) = cx.value().as_str(tz) {
        return Ok(Some(s.to_owned()));
    }
    match cx.decode::<TzInfo>(tz)? {
        TzInfo::Zone { key } => Ok(Some(key)),
        t if t.is_utc() => Ok(Some("UTC".into())),
        TzInfo::Fixed { offset_micros, .. } => Err(cx.error(
            tz,
            format_args!("a fixed time zone offset of {offset_micros} µs is not supported; only IANA zones and UTC"),
        )),
    }
}

fn unit_of(cx: &Context<'_, '_>, dt: &Dtype, at: Item) -> Result<TimeUnit> {
    match &dt.unit {
        Some((code, 1)) => {
            TimeUnit::from_code(code).ok_or_else(|| cx.error(at, format_args!("unsupported unit {code}")))
        }
        _ => Err(cx.error(at, format_args!("expected a datetime64 or timedelta64 dtype, found {}", dt.name()))),
    }
}

/// The rows of a (possibly 2-D block) array: for a 1-D array one row of
/// all its elements; for a 2-D `(k, n)` block k rows of n, in C order.
fn rows(raw: &RawArray<'_>) -> (usize, usize) {
    match raw.shape.as_slice() {
        [n] => (1, *n),
        [k, n] => (*k, *n),
        [] => (1, 1),
        _ => (0, 0),
    }
}

fn typed_rows<T: Element>(raw: &RawArray<'_>) -> Vec<Vec<T>> {
    let (k, n) = rows(raw);
    let size = raw.dtype.size;
    let all: Vec<T> = raw.bytes.chunks_exact(size).map(|c| T::from_bytes(c, raw.dtype.big_endian)).collect();
    let all = if raw.fortran { numpy::fortran_to_c(&raw.shape, all) } else { all };
    (0..k).map(|r| all[r * n..(r + 1) * n].to_vec()).collect()
}

/// A str, None or NaN of an object array or list, as a str column's value.
fn str_value(cx: &mut Context<'_, '_>, item: Item, column: &str) -> Result<Option<String>> {
    match item {
        Item::None => Ok(None),
        Item::Float(x) if x.is_nan() => Ok(None),
        _ => match cx.value().get(item) {
            Some(Node::Str(s)) => {
                let s = s.to_string();
                cx.charge(item, s.len())?;
                Ok(Some(s))
            }
            // pandas' NA and NaT singletons.
            Some(Node::Global(g)) if g.name == "NA" || g.name == "NaT" => Ok(None),
            Some(Node::Object(o))
                if is_pandas(cx.value(), o.class, "_nat_unpickle")
                    || is_pandas(cx.value(), o.class, "__nat_unpickle") =>
            {
                Ok(None)
            }
            _ => Err(cx.error(
                item,
                format_args!("column {column:?} holds {}, not str or a missing value", cx.describe(item)),
            )),
        },
    }
}

/// The columns a NumPy array (or a 2-D block of one) holds.
fn numpy_columns(cx: &mut Context<'_, '_>, item: Item, column: &str) -> Result<Vec<Column>> {
    let raw = numpy::read_raw(cx, item)?;
    cx.charge(item, raw.bytes.len().saturating_add(raw.objects.len().saturating_mul(size_of::<Option<String>>())))?;
    if raw.shape.len() > 2 {
        return Err(cx.error(item, format_args!("column {column:?}: an array of {} dimensions", raw.shape.len())));
    }
    let dt = raw.dtype.clone();
    let cols = match (dt.kind, dt.size) {
        (b'i', 8) => typed_rows::<i64>(&raw).into_iter().map(Column::Int64).collect(),
        (b'i', 4) => typed_rows::<i32>(&raw).into_iter().map(Column::Int32).collect(),
        (b'i', 2) => typed_rows::<i16>(&raw).into_iter().map(Column::Int16).collect(),
        (b'i', 1) => typed_rows::<i8>(&raw).into_iter().map(Column::Int8).collect(),
        (b'u', 8) => typed_rows::<u64>(&raw).into_iter().map(Column::UInt64).collect(),
        (b'u', 4) => typed_rows::<u32>(&raw).into_iter().map(Column::UInt32).collect(),
        (b'u', 2) => typed_rows::<u16>(&raw).into_iter().map(Column::UInt16).collect(),
        (b'u', 1) => typed_rows::<u8>(&raw).into_iter().map(Column::UInt8).collect(),
        (b'f', 8) => typed_rows::<f64>(&raw).into_iter().map(Column::Float64).collect(),
        (b'f', 4) => typed_rows::<f32>(&raw).into_iter().map(Column::Float32).collect(),
        (b'b', 1) => typed_rows::<bool>(&raw).into_iter().map(Column::Bool).collect(),
        (b'M', 8) => {
            let unit = unit_of(cx, &dt, raw.dtype_item)?;
            typed_rows::<i64>(&raw).into_iter().map(|values| Column::DateTime { unit, values, tz: None }).collect()
        }
        (b'm', 8) => {
            let unit = unit_of(cx, &dt, raw.dtype_item)?;
            typed_rows::<i64>(&raw).into_iter().map(|values| Column::TimeDelta { unit, values }).collect()
        }
        (b'O', _) => {
            let (k, n) = rows(&raw);
            let items: Vec<Item> =
                if raw.fortran { numpy::fortran_to_c(&raw.shape, raw.objects.to_vec()) } else { raw.objects.to_vec() };
            let mut cols = Vec::with_capacity(k);
            for r in 0..k {
                let mut out = Vec::with_capacity(n);
                for &it in &items[r * n..(r + 1) * n] {
                    out.push(str_value(cx, it, column)?);
                }
                cols.push(Column::Str(out));
            }
            cols
        }
        _ => {
            return Err(cx.error(
                raw.dtype_item,
                format_args!("column {column:?} has the NumPy dtype {}, which Column does not hold", dt.name()),
            ));
        }
    };
    Ok(cols)
}

/// The value of a `(dtype, ndarray[, attrs])` state of an `NDArrayBacked`
/// extension array of class `class`.
fn ndarray_backed(cx: &mut Context<'_, '_>, item: Item, class: &str, state: Item, column: &str) -> Result<Vec<Column>> {
    let v = cx.value();
    let Some(&[dtype, data, ..]) = v.as_tuple(state) else {
        return Err(cx.error(item, format_args!("column {column:?}: the {class}'s state is not (dtype, data, attrs)")));
    };
    match class {
        "DatetimeArray" => {
            let tz = match v.as_object(dtype) {
                Some(o) if is_pandas(v, o.class, "DatetimeTZDtype") => {
                    let tz = o.state.and_then(|s| v.dict_get(s, "tz")).unwrap_or(Item::None);
                    tz_name(cx, tz)?
                }
                _ => None,
            };
            let mut cols = numpy_columns(cx, data, column)?;
            for c in &mut cols {
                if let Column::DateTime { tz: t, .. } = c {
                    *t = tz.clone();
                }
            }
            Ok(cols)
        }
        "TimedeltaArray" => numpy_columns(cx, data, column),
        "StringArray" | "NumpyExtensionArray" | "PandasArray" => numpy_columns(cx, data, column),
        "Categorical" => {
            let Some(dt) = v.as_object(dtype).filter(|o| is_pandas(v, o.class, "CategoricalDtype")) else {
                return Err(
                    cx.error(dtype, format_args!("column {column:?}: a Categorical without a CategoricalDtype"))
                );
            };
            let state = dt.state.unwrap_or(Item::None);
            let cats = v.dict_get(state, "categories").unwrap_or(Item::None);
            let ordered = matches!(v.dict_get(state, "ordered"), Some(Item::Bool(true)));
            let categories = match read_index(cx, cats)?.values {
                IndexValues::Str(s) => s,
                other => {
                    return Err(cx.error(
                        cats,
                        format_args!(
                            "column {column:?}: categories of {other:?} are not supported; only str categories"
                        ),
                    ));
                }
            };
            let codes = numpy_columns(cx, data, column)?;
            codes
                .into_iter()
                .map(|c| {
                    let codes: Vec<i32> = match c {
                        Column::Int8(v) => v.into_iter().map(i32::from).collect(),
                        Column::Int16(v) => v.into_iter().map(i32::from).collect(),
                        Column::Int32(v) => v,
                        _ => {
                            return Err(
                                cx.error(data, format_args!("column {column:?}: categorical codes of another type"))
                            );
                        }
                    };
                    if let Some(bad) = codes.iter().find(|&&c| c < -1 || c as i64 >= categories.len() as i64) {
                        return Err(cx.error(data, format_args!("column {column:?}: the code {bad} names no category")));
                    }
                    Ok(Column::Categorical { codes, categories: categories.clone(), ordered })
                })
                .collect()
        }
        other => {
            Err(cx.error(item, format_args!("column {column:?} holds a pandas {other}, which Column does not hold")))
        }
    }
}

/// A masked array (`IntegerArray`, `BooleanArray`): values and mask.
fn masked(cx: &mut Context<'_, '_>, values: Item, mask: Item, column: &str) -> Result<Vec<Column>> {
    let values = numpy_columns(cx, values, column)?;
    let masks = numpy_columns(cx, mask, column)?;
    if values.len() != masks.len() {
        return Err(cx.error(mask, format_args!("column {column:?}: the mask's shape differs from the values'")));
    }
    values
        .into_iter()
        .zip(masks)
        .map(|(v, m)| {
            let Column::Bool(m) = m else {
                return Err(cx.error(mask, format_args!("column {column:?}: the mask is not bool")));
            };
            if m.len() != v.len() {
                return Err(
                    cx.error(mask, format_args!("column {column:?}: {} mask values for {} values", m.len(), v.len()))
                );
            }
            let pick = |missing: bool| !missing;
            Ok(match v {
                Column::Int64(v) => {
                    Column::NullableInt64(v.into_iter().zip(m).map(|(x, k)| pick(k).then_some(x)).collect())
                }
                Column::Bool(v) => {
                    Column::NullableBool(v.into_iter().zip(m).map(|(x, k)| pick(k).then_some(x)).collect())
                }
                other => {
                    return Err(cx.error(
                        mask,
                        format_args!(
                            "column {column:?}: a masked array of {}, which Column does not hold",
                            other.dtype_name()
                        ),
                    ));
                }
            })
        })
        .collect()
}

/// The columns a block's values (or a column value of the constructor form)
/// hold.
fn column_values(cx: &mut Context<'_, '_>, item: Item, column: &str) -> Result<Vec<Column>> {
    let v = cx.value();
    if let Some(Node::List(items)) = v.get(item) {
        cx.charge(item, items.len().saturating_mul(size_of::<Option<String>>()))?;
        let mut out = Vec::with_capacity(items.len());
        for &it in items.iter() {
            out.push(str_value(cx, it, column)?);
        }
        return Ok(vec![Column::Str(out)]);
    }
    let obj = object(cx, item, "a column's values")?;
    // A partial's call: partial(DatetimeIndex, tz=..)(array).
    if let Some((func, kwargs)) = partial(v, obj.class)
        && is_pandas(v, func, "DatetimeIndex")
    {
        let tz = kwargs.iter().find(|(k, _)| v.as_str(*k) == Some("tz")).map_or(Item::None, |&(_, t)| t);
        return datetime_values(cx, obj.args.first().copied().unwrap_or(Item::None), tz, column);
    }
    // getattr(x, 'tz_convert')(tz) and getattr(Categorical, 'from_codes')(...)
    if let Some(g) = v.as_global(obj.class)
        && g.name == "Categorical.from_codes"
        && g.module.starts_with("pandas")
    {
        return categorical_from_codes(cx, item, &obj.args, column);
    }
    if let Some(bound) = v.as_object(obj.class)
        && let (Some(g), &[target, name]) = (v.as_global(bound.class), bound.args.as_slice())
        && g.is("builtins", "getattr")
        && v.as_str(name) == Some("tz_convert")
    {
        let mut cols = column_values(cx, target, column)?;
        let tz = tz_name(cx, obj.args.first().copied().unwrap_or(Item::None))?;
        for c in &mut cols {
            if let Column::DateTime { tz: t, .. } = c {
                *t = tz.clone();
            }
        }
        return Ok(cols);
    }
    match class_name(v, obj.class) {
        Some("_unpickle_block") => block_columns(cx, item, column),
        Some("__pyx_unpickle_NDArrayBacked") => {
            let class = obj.args.first().and_then(|&c| v.as_global(c)).map(|g| g.name.to_string()).unwrap_or_default();
            let state =
                obj.state.ok_or_else(|| cx.error(item, format_args!("column {column:?}: the {class} has no state")))?;
            ndarray_backed(cx, item, &class, state, column)
        }
        Some("IntegerArray" | "BooleanArray" | "FloatingArray") if obj.construct == Construct::Call => {
            match obj.args.as_slice() {
                &[values, mask, ..] => masked(cx, values, mask, column),
                _ => Err(cx.error(item, format_args!("column {column:?}: expected a masked array of (values, mask)"))),
            }
        }
        Some("IntegerArray" | "BooleanArray" | "FloatingArray") => {
            let state = obj.state.unwrap_or(Item::None);
            match (v.dict_get(state, "_data"), v.dict_get(state, "_mask")) {
                (Some(values), Some(mask)) => masked(cx, values, mask, column),
                _ => Err(cx.error(item, format_args!("column {column:?}: a masked array without _data and _mask"))),
            }
        }
        Some("Categorical") if obj.construct == Construct::Call => {
            Err(cx
                .error(item, format_args!("column {column:?}: Categorical(values, ...) is not read; write from_codes")))
        }
        Some(other) if !is_numpy(v, obj.class) => Err(cx.error(
            item,
            format_args!(
                "column {column:?} holds a pandas {other}, which Column does not hold (a sparse or interval array?)"
            ),
        )),
        _ => numpy_columns(cx, item, column),
    }
}

fn is_numpy(v: &Value<'_>, class: Item) -> bool {
    v.as_global(class).is_some_and(|g| g.module.starts_with("numpy"))
}

fn datetime_values(cx: &mut Context<'_, '_>, array: Item, tz: Item, column: &str) -> Result<Vec<Column>> {
    let tz = tz_name(cx, tz)?;
    let mut cols = column_values(cx, array, column)?;
    for c in &mut cols {
        match c {
            Column::DateTime { tz: t, .. } => *t = tz.clone(),
            _ => return Err(cx.error(array, format_args!("column {column:?}: a DatetimeIndex of non-datetime values"))),
        }
    }
    Ok(cols)
}

fn categorical_from_codes(cx: &mut Context<'_, '_>, item: Item, args: &[Item], column: &str) -> Result<Vec<Column>> {
    let &[codes, cats, ..] = args else {
        return Err(cx.error(item, format_args!("column {column:?}: from_codes(codes, categories, ordered)")));
    };
    let ordered = matches!(args.get(2), Some(Item::Bool(true)));
    let categories: Vec<String> = cx.decode(cats)?;
    let codes = match numpy_columns(cx, codes, column)?.pop() {
        Some(Column::Int8(v)) => v.into_iter().map(i32::from).collect(),
        Some(Column::Int16(v)) => v.into_iter().map(i32::from).collect(),
        Some(Column::Int32(v)) => v,
        Some(Column::Int64(v)) => v.into_iter().map(|c| c as i32).collect(),
        _ => return Err(cx.error(codes, format_args!("column {column:?}: categorical codes that are not ints"))),
    };
    Ok(vec![Column::Categorical { codes, categories, ordered }])
}

/// The columns of one `_unpickle_block(values, placement, ndim)`, in the
/// block's order.
fn block_columns(cx: &mut Context<'_, '_>, item: Item, column: &str) -> Result<Vec<Column>> {
    let obj = object(cx, item, "a pandas block")?;
    let Some(&values) = obj.args.first() else {
        return Err(cx.error(item, "the block has no values"));
    };
    column_values(cx, values, column)
}

/// A `slice` or `RangeIndex` bound: an int, or `default` where it is
/// missing or None; `None` for anything else.
fn int_or(item: Option<Item>, default: i64) -> Option<i64> {
    match item {
        Some(Item::Int(x)) => Some(x),
        Some(Item::None) | None => Some(default),
        _ => None,
    }
}

/// The column positions of a block's placement: `slice(start, stop, step)`
/// or an int array.
fn placement(cx: &mut Context<'_, '_>, item: Item) -> Result<Vec<usize>> {
    let v = cx.value();
    if let Some(obj) = v.as_object(item)
        && v.as_global(obj.class)
            .is_some_and(|g| g.name == "slice" && matches!(g.module.as_ref(), "builtins" | "__builtin__"))
    {
        let int = |i: usize, default: i64| int_or(obj.args.get(i).copied(), default);
        let (Some(start), Some(stop), Some(step)) = (int(0, 0), int(1, 0), int(2, 1)) else {
            return Err(cx.error(item, "a block placement slice of other than ints"));
        };
        if start < 0 || stop < start || step <= 0 {
            return Err(cx.error(
                item,
                format_args!("the block placement slice({start}, {stop}, {step}) is not a forward range"),
            ));
        }
        return Ok((start..stop).step_by(step as usize).map(|i| i as usize).collect());
    }
    let positions: numpy::NdArray<i64> = cx.decode(item)?;
    positions
        .into_vec()
        .into_iter()
        .map(|p| usize::try_from(p).map_err(|_| cx.error(item, format_args!("the block placement {p} is negative"))))
        .collect()
}

/// An index: `_new_Index(cls, {...})`, `_new_DatetimeIndex(cls, {...})`, or
/// the constructors pickle-rs writes.
fn read_index(cx: &mut Context<'_, '_>, item: Item) -> Result<Index> {
    let v = cx.value();
    let obj = object(cx, item, "a pandas Index")?;
    let name_of = |cx: &mut Context<'_, '_>, d: Item| -> Result<Option<String>> {
        match cx.value().dict_get(d, "name") {
            None | Some(Item::None) => Ok(None),
            Some(n) => cx.decode::<String>(n).map(Some).map_err(|e| e.context("the index's name")),
        }
    };
    match class_name(v, obj.class) {
        Some("_new_Index" | "_new_DatetimeIndex") => {
            let &[cls, d, ..] = obj.args.as_slice() else {
                return Err(cx.error(item, "expected _new_Index(cls, dict)"));
            };
            let cls = class_name(v, cls).unwrap_or("");
            let name = name_of(cx, d)?;
            match cls {
                "RangeIndex" => {
                    let get = |k: &str, default: i64| int_or(v.dict_get(d, k), default);
                    let (Some(start), Some(stop), Some(step)) = (get("start", 0), get("stop", 0), get("step", 1))
                    else {
                        return Err(cx.error(d, "a RangeIndex of other than ints"));
                    };
                    if step == 0 {
                        return Err(cx.error(d, "a RangeIndex with step 0"));
                    }
                    Ok(Index { name, values: IndexValues::Range { start, stop, step } })
                }
                "MultiIndex" => Err(cx.error(item, "a MultiIndex is not supported")),
                _ => {
                    let data = v.dict_get(d, "data").ok_or_else(|| cx.error(d, "the index has no data"))?;
                    let tz = v.dict_get(d, "tz").unwrap_or(Item::None);
                    let mut values = index_values(cx, data)?;
                    if tz != Item::None
                        && let IndexValues::DateTime { tz: t, .. } = &mut values
                    {
                        *t = tz_name(cx, tz)?;
                    }
                    Ok(Index { name, values })
                }
            }
        }
        Some("RangeIndex") if obj.construct == Construct::Call => {
            let a = &obj.args;
            let int = |i: usize, default: i64| int_or(a.get(i).copied(), default);
            let (Some(start), Some(stop), Some(step)) = (int(0, 0), int(1, 0), int(2, 1)) else {
                return Err(cx.error(item, "a RangeIndex of other than ints"));
            };
            let name = match a.get(5) {
                None | Some(Item::None) => None,
                Some(&n) => Some(cx.decode::<String>(n)?),
            };
            Ok(Index { name, values: IndexValues::Range { start, stop, step } })
        }
        Some("Index") if obj.construct == Construct::Call => {
            let data = obj.args.first().copied().unwrap_or(Item::None);
            let name = match obj.args.get(3) {
                None | Some(Item::None) => None,
                Some(&n) => Some(cx.decode::<String>(n)?),
            };
            Ok(Index { name, values: index_values(cx, data)? })
        }
        _ => {
            // partial(DatetimeIndex, tz=.., name=..)(array), maybe tz_converted.
            let cols = column_values(cx, item, "the index")?;
            let name = match partial(v, obj.class).or_else(|| {
                v.as_object(obj.class)
                    .and_then(|b| b.args.first())
                    .and_then(|&t| v.as_object(t))
                    .and_then(|o| partial(v, o.class))
            }) {
                Some((_, kwargs)) => match kwargs.iter().find(|(k, _)| v.as_str(*k) == Some("name")) {
                    Some(&(_, n)) if n != Item::None => Some(cx.decode::<String>(n)?),
                    _ => None,
                },
                None => None,
            };
            match cols.into_iter().next() {
                Some(Column::DateTime { unit, values, tz }) => {
                    Ok(Index { name, values: IndexValues::DateTime { unit, values, tz } })
                }
                _ => Err(cx.mismatch(item, "a pandas Index")),
            }
        }
    }
}

fn index_values(cx: &mut Context<'_, '_>, data: Item) -> Result<IndexValues> {
    let cols = column_values(cx, data, "the index")?;
    match cols.into_iter().next() {
        Some(Column::Int64(v)) => Ok(IndexValues::Int64(v)),
        Some(Column::Str(v)) => v
            .into_iter()
            .map(|s| s.ok_or_else(|| cx.error(data, "an index label is missing")))
            .collect::<Result<Vec<String>>>()
            .map(IndexValues::Str),
        Some(Column::DateTime { unit, values, tz }) => Ok(IndexValues::DateTime { unit, values, tz }),
        Some(other) => Err(cx.error(data, format_args!("an index of {} is not supported", other.dtype_name()))),
        None => Err(cx.error(data, "an index without values")),
    }
}

/// The blocks and axes of a `BlockManager`, in either form.
/// A `BlockManager`'s `(block, placement)` pairs and its two axes.
struct Manager {
    blocks: Vec<(Item, Item)>,
    columns: Item,
    rows: Item,
}

fn manager(cx: &Context<'_, '_>, mgr: Item) -> Result<Manager> {
    let v = cx.value();
    let obj = v.as_object(mgr).ok_or_else(|| cx.mismatch(mgr, "a pandas BlockManager"))?;
    let blocks_of = |blocks: Item| -> Result<Vec<(Item, Item)>> {
        let items =
            v.as_tuple(blocks).or_else(|| v.as_list(blocks)).ok_or_else(|| cx.mismatch(blocks, "the blocks"))?;
        items
            .iter()
            .map(|&b| match v.as_object(b).map(|o| o.args.as_slice()) {
                Some(&[_, placement, ..]) => Ok((b, placement)),
                _ => match (v.dict_get(b, "values"), v.dict_get(b, "mgr_locs")) {
                    (Some(_), Some(p)) => Ok((b, p)),
                    _ => Err(cx.error(b, "expected a block made by _unpickle_block(values, placement, ndim)")),
                },
            })
            .collect()
    };
    if obj.construct == Construct::Call {
        let &[blocks, axes, ..] = obj.args.as_slice() else {
            return Err(cx.error(mgr, "expected BlockManager(blocks, axes)"));
        };
        let axes = v.as_list(axes).or_else(|| v.as_tuple(axes)).ok_or_else(|| cx.mismatch(axes, "the axes list"))?;
        let &[columns, rows] = axes else {
            return Err(cx.error(mgr, format_args!("a frame has 2 axes, not {}", axes.len())));
        };
        return Ok(Manager { blocks: blocks_of(blocks)?, columns, rows });
    }
    // The legacy state: (axes, values, items, {'0.14.1': {'axes', 'blocks'}}).
    let state = obj.state.ok_or_else(|| cx.error(mgr, "the BlockManager has no state"))?;
    let legacy = v.as_tuple(state).and_then(|t| t.get(3).copied()).and_then(|d| v.dict_get(d, "0.14.1"));
    let Some(legacy) = legacy else { return Err(cx.error(state, "an unknown BlockManager state")) };
    let (Some(axes), Some(blocks)) = (v.dict_get(legacy, "axes"), v.dict_get(legacy, "blocks")) else {
        return Err(cx.error(legacy, "the BlockManager state has no axes or blocks"));
    };
    let axes = v.as_list(axes).or_else(|| v.as_tuple(axes)).ok_or_else(|| cx.mismatch(axes, "the axes list"))?;
    let (columns, rows) = match *axes {
        [columns, rows] => (columns, rows),
        [rows] => (Item::None, rows),
        _ => return Err(cx.error(legacy, "a block manager of more than 2 axes")),
    };
    Ok(Manager { blocks: blocks_of(blocks)?, columns, rows })
}

/// The columns of a block: through `_unpickle_block`'s values, or a legacy
/// `{'values', 'mgr_locs'}` dict.
fn block_values(cx: &mut Context<'_, '_>, block: Item, label: &str) -> Result<Vec<Column>> {
    let v = cx.value();
    match v.dict_get(block, "values") {
        Some(values) => column_values(cx, values, label),
        None => column_values(cx, block, label),
    }
}

fn read_frame(cx: &mut Context<'_, '_>, item: Item) -> Result<DataFrame> {
    let v = cx.value();
    let obj = v.as_object(item).filter(|o| is_pandas(v, o.class, "DataFrame"));
    let Some(obj) = obj else { return Err(cx.mismatch(item, "a pandas.DataFrame")) };
    if obj.construct == Construct::Call {
        // DataFrame(data, index) as pickle-rs writes it.
        let data = obj.args.first().copied().unwrap_or(Item::None);
        let pairs = cx.dict(data)?;
        let mut columns = Vec::with_capacity(pairs.len());
        for &(k, c) in pairs.iter() {
            let name: String = cx.decode(k).map_err(|e| e.context("a column label"))?;
            let col = column_values(cx, c, &name)?.pop().ok_or_else(|| cx.error(c, "an empty column"))?;
            columns.push((name, col));
        }
        let index = match obj.args.get(1) {
            None | Some(Item::None) => Index::range(columns.first().map_or(0, |(_, c)| c.len())),
            Some(&i) => read_index(cx, i)?,
        };
        return DataFrame { columns, index }.checked().map_err(|e| cx.error(item, e.message()));
    }
    let state = obj.state.ok_or_else(|| cx.error(item, "the DataFrame has no state"))?;
    let mgr = v
        .dict_get(state, "_mgr")
        .or_else(|| v.dict_get(state, "_data"))
        .ok_or_else(|| cx.error(state, "the DataFrame's state has no _mgr"))?;
    let Manager { blocks, columns: columns_axis, rows: rows_axis } = manager(cx, mgr)?;
    let labels = match read_index(cx, columns_axis)?.values {
        IndexValues::Str(s) => s,
        IndexValues::Range { start, stop, step } if range_len(start, stop, step) == 0 => Vec::new(),
        other => {
            let kind = match other {
                IndexValues::Range { .. } | IndexValues::Int64(_) => "ints",
                IndexValues::DateTime { .. } => "datetimes",
                _ => "not str",
            };
            return Err(cx.error(columns_axis, format_args!("the column labels are {kind}, not str")));
        }
    };
    let index = read_index(cx, rows_axis)?;
    let mut slots: Vec<Option<Column>> = vec![None; labels.len()];
    for (block, place) in blocks {
        let positions = placement(cx, place)?;
        let label = positions.first().and_then(|&p| labels.get(p)).map_or("?", String::as_str).to_owned();
        let cols = block_values(cx, block, &label)?;
        if cols.len() != positions.len() {
            return Err(cx.error(
                block,
                format_args!("the block holds {} columns and its placement names {}", cols.len(), positions.len()),
            ));
        }
        for (p, col) in positions.into_iter().zip(cols) {
            let Some(slot) = slots.get_mut(p) else {
                return Err(
                    cx.error(place, format_args!("the block placement {p} is beyond the {} columns", labels.len()))
                );
            };
            if col.len() != index.len() {
                return Err(cx.error(
                    block,
                    format_args!("column {:?} has {} values and the index {}", labels[p], col.len(), index.len()),
                ));
            }
            *slot = Some(col);
        }
    }
    let mut columns = Vec::with_capacity(labels.len());
    for (label, slot) in labels.into_iter().zip(slots) {
        let col = slot.ok_or_else(|| cx.error(mgr, format_args!("no block holds column {label:?}")))?;
        columns.push((label, col));
    }
    Ok(DataFrame { columns, index })
}

fn read_series(cx: &mut Context<'_, '_>, item: Item) -> Result<Series> {
    let v = cx.value();
    let obj = v.as_object(item).filter(|o| is_pandas(v, o.class, "Series"));
    let Some(obj) = obj else { return Err(cx.mismatch(item, "a pandas.Series")) };
    if obj.construct == Construct::Call {
        let data = obj.args.first().copied().unwrap_or(Item::None);
        let values = column_values(cx, data, "the series")?.pop().ok_or_else(|| cx.error(data, "no values"))?;
        let index = match obj.args.get(1) {
            None | Some(Item::None) => Index::range(values.len()),
            Some(&i) => read_index(cx, i)?,
        };
        let name = match obj.args.get(3) {
            None | Some(Item::None) => None,
            Some(&n) => Some(cx.decode::<String>(n)?),
        };
        if values.len() != index.len() {
            return Err(
                cx.error(item, format_args!("the series has {} values and an index of {}", values.len(), index.len()))
            );
        }
        return Ok(Series { name, values, index });
    }
    let state = obj.state.ok_or_else(|| cx.error(item, "the Series has no state"))?;
    let mgr = v
        .dict_get(state, "_mgr")
        .or_else(|| v.dict_get(state, "_data"))
        .ok_or_else(|| cx.error(state, "the Series' state has no _mgr"))?;
    // `_name` (`name` in the protocol 0 and 1 state of pandas 1.5).
    let name = match v.dict_get(state, "_name").or_else(|| v.dict_get(state, "name")) {
        None | Some(Item::None) => None,
        Some(n) => Some(cx.decode::<String>(n).map_err(|e| e.context("the series' name"))?),
    };
    let Manager { blocks, rows: rows_axis, .. } = manager(cx, mgr)?;
    let index = read_index(cx, rows_axis)?;
    let &[(block, _)] = blocks.as_slice() else {
        return Err(cx.error(mgr, format_args!("a Series has one block, not {}", blocks.len())));
    };
    let values = block_values(cx, block, "the series")?.pop().ok_or_else(|| cx.error(block, "no values"))?;
    if values.len() != index.len() {
        return Err(
            cx.error(block, format_args!("the series has {} values and an index of {}", values.len(), index.len()))
        );
    }
    Ok(Series { name, values, index })
}

impl<'a> FromPickle<'a> for DataFrame {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_frame(cx, item)
    }
}

impl<'a> FromPickle<'a> for Series {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_series(cx, item)
    }
}

impl<'a> FromPickle<'a> for Index {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_index(cx, item)
    }
}

impl PyType for DataFrame {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("pandas", "DataFrame")
    }
}

impl PyType for Series {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("pandas", "Series")
    }
}

impl PyType for Index {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("pandas", "Index")
    }
}
