//! NumPy's dtypes and scalars as a pickle holds them, read from the graph
//! alone: the parser that `de::numpy`, `Context::describe` and
//! `types::numpy` share.
//!
//! NumPy writes a dtype as `numpy.dtype('f8', False, True)` with a `BUILD`
//! state that holds the byte order, and pickle-rs as the plain
//! `numpy.dtype('<f8')`; a scalar is `numpy.core.multiarray.scalar(dtype,
//! raw)` (`numpy._core` from NumPy 2).

use crate::value::{Construct, Global, Item, Node, Value};

/// The modules NumPy's internal reconstructors live in, NumPy 1.x then 2.x.
pub(crate) const MULTIARRAY: &[&str] = &["numpy.core.multiarray", "numpy._core.multiarray"];

/// Whether `global` is one of `modules` `.name`.
pub(crate) fn is_global(global: Option<&Global<'_>>, modules: &[&str], name: &str) -> bool {
    global.is_some_and(|g| g.name == name && modules.contains(&g.module.as_ref()))
}

/// Why a dtype or scalar node could not be read: the item at fault, and
/// either what was expected there or the whole message.
#[derive(Debug)]
pub(crate) enum Bad {
    /// `item` is not what the text names.
    Mismatch(Item, &'static str),
    /// `item` is wrong in the way the message says.
    Error(Item, String),
}

/// A parsed `numpy.dtype`: what reading an array or scalar of it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dtype {
    /// NumPy's kind character: `b` bool, `i` int, `u` unsigned, `f` float,
    /// `c` complex, `M` datetime64, `m` timedelta64, `U` str, `S` bytes,
    /// `V` void (structured), `O` object.
    pub kind: u8,
    /// The size of one element in bytes (for `U`, 4 per character).
    pub size: usize,
    /// Whether the data is big-endian.
    pub big_endian: bool,
    /// The unit of a datetime64/timedelta64 (`ns`, `s`, ...), and its count
    /// (`M8[10ms]` has 10).
    pub unit: Option<(String, i64)>,
}

impl Dtype {
    /// NumPy's name for the dtype, for messages: `<f8`, `|b1`, `<M8[ns]`.
    pub fn name(&self) -> String {
        let order = if self.size <= 1 || matches!(self.kind, b'S' | b'V' | b'O' | b'b') {
            '|'
        } else if self.big_endian {
            '>'
        } else {
            '<'
        };
        let size = if self.kind == b'U' { self.size / 4 } else { self.size };
        let unit = match &self.unit {
            Some((u, 1)) => format!("[{u}]"),
            Some((u, n)) => format!("[{n}{u}]"),
            None => String::new(),
        };
        format!("{order}{}{size}{unit}", char::from(self.kind))
    }
}

/// Parses a dtype string: `f8`, `<f8`, `|b1`, `U5`, `M8[ns]`, `O8`, and the
/// single-character codes `d`, `f`, `q`, `?` NumPy accepts.
fn parse_dtype_str(s: &str) -> Option<Dtype> {
    let (order, rest) = match s.as_bytes().first()? {
        b'<' | b'|' | b'=' => (Some(false), &s[1..]),
        b'>' => (Some(true), &s[1..]),
        _ => (None, s),
    };
    let (code, unit) = match rest.find('[') {
        Some(i) => (&rest[..i], Some(rest[i + 1..].strip_suffix(']')?)),
        None => (rest, None),
    };
    if !code.is_ascii() {
        return None;
    }
    let kind = *code.as_bytes().first()?;
    let digits = &code[1..];
    let (kind, size) = match (kind, digits) {
        (b'?', "") => (b'b', 1),
        (b'd', "") => (b'f', 8),
        (b'f', "") => (b'f', 4),
        (b'e', "") => (b'f', 2),
        (b'q' | b'l', "") => (b'i', 8),
        (b'i', "") => (b'i', 4),
        (b'h', "") => (b'i', 2),
        (b'B', "") => (b'u', 1),
        (b'Q' | b'L', "") => (b'u', 8),
        (b'I', "") => (b'u', 4),
        (b'H', "") => (b'u', 2),
        (b'O', "") => (b'O', 8),
        (b'M' | b'm', "") => (kind, 8),
        (b'b' | b'i' | b'u' | b'f' | b'c' | b'M' | b'm' | b'S' | b'V' | b'O', d) => (kind, d.parse().ok()?),
        (b'U', d) => (b'U', d.parse::<usize>().ok()?.checked_mul(4)?),
        _ => return None,
    };
    let unit = match unit {
        None => None,
        Some(u) => {
            let split = u.find(|c: char| !c.is_ascii_digit()).unwrap_or(u.len());
            let count = if split == 0 { 1 } else { u[..split].parse().ok()? };
            Some((u[split..].to_owned(), count))
        }
    };
    Some(Dtype { kind, size, big_endian: order.unwrap_or(false), unit })
}

/// Reads a `numpy.dtype` node: `numpy.dtype('<f8')`, or NumPy's
/// `numpy.dtype('f8', False, True)` with its `BUILD` state (byte order in
/// slot 1, element size in slot 5 for flexible types, datetime metadata in
/// slot 8).
pub(crate) fn dtype(v: &Value<'_>, item: Item) -> Result<Dtype, Bad> {
    let obj = v
        .as_object(item)
        .filter(|o| o.construct == Construct::Call && is_global(v.as_global(o.class), &["numpy"], "dtype"));
    let Some(obj) = obj else { return Err(Bad::Mismatch(item, "a numpy.dtype")) };
    let name = obj.args.first().and_then(|&a| v.as_str(a)).ok_or_else(|| {
        Bad::Error(item, "the numpy.dtype has no dtype string as its first argument (a structured dtype?)".into())
    })?;
    let mut dtype =
        parse_dtype_str(name).ok_or_else(|| Bad::Error(item, format!("unsupported numpy dtype {name:?}")))?;
    let Some(state) = obj.state else { return Ok(dtype) };
    let Some(state) = v.as_tuple(state) else {
        return Err(Bad::Error(state, "the numpy.dtype's state is not a tuple".into()));
    };
    let order = state.get(1).and_then(|&o| v.as_str(o).map(str::as_bytes).or_else(|| v.as_bytes(o)));
    match order {
        Some(b">") => dtype.big_endian = true,
        Some(b"<" | b"|" | b"=") => dtype.big_endian = false,
        _ => return Err(Bad::Error(item, "the numpy.dtype's state has no byte order".into())),
    }
    if matches!(dtype.kind, b'U' | b'S' | b'V')
        && let Some(&Item::Int(size)) = state.get(5)
        && size > 0
    {
        dtype.size = size as usize;
    }
    if matches!(dtype.kind, b'M' | b'm')
        && let Some(&meta) = state.get(8)
        && let Some(&[_, unit]) = v.as_tuple(meta)
        && let Some(&[unit, Item::Int(count), ..]) = v.as_tuple(unit)
    {
        let unit = v.as_bytes(unit).map(<[u8]>::to_vec).or_else(|| v.as_str(unit).map(|s| s.as_bytes().to_vec()));
        if let Some(unit) = unit.and_then(|u| String::from_utf8(u).ok()) {
            dtype.unit = Some((unit, count));
        }
    }
    Ok(dtype)
}

/// The dtype and raw bytes of a NumPy scalar node, or `None` when `item`
/// is not one.
pub(crate) fn scalar_parts<'c>(v: &'c Value<'_>, item: Item) -> Option<Result<(Dtype, &'c [u8]), Bad>> {
    let obj = v.as_object(item)?;
    if obj.construct != Construct::Call || !is_global(v.as_global(obj.class), MULTIARRAY, "scalar") {
        return None;
    }
    let &[dtype_item, data] = obj.args.as_slice() else {
        return Some(Err(Bad::Error(item, "expected a numpy scalar made as scalar(dtype, data)".into())));
    };
    Some(dtype(v, dtype_item).and_then(|dt| match v.get(data) {
        Some(Node::Bytes(b)) if b.len() == dt.size => Ok((dt, &b[..])),
        Some(Node::Bytes(b)) => {
            Err(Bad::Error(data, format!("the numpy {} scalar holds {} bytes, not {}", dt.name(), b.len(), dt.size)))
        }
        _ => Err(Bad::Mismatch(data, "the numpy scalar's data as bytes")),
    }))
}

/// Reads `N` bytes in the dtype's byte order into a little-endian array.
fn ordered<const N: usize>(bytes: &[u8], big_endian: bool) -> [u8; N] {
    let mut raw = [0u8; N];
    raw.copy_from_slice(&bytes[..N]);
    if big_endian {
        raw.reverse();
    }
    raw
}

/// An IEEE half-precision float, widened exactly.
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        0x1f if frac == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// Converts one element of a numeric dtype.
pub(crate) fn element(dt: &Dtype, b: &[u8]) -> Option<Scalar> {
    let be = dt.big_endian;
    Some(match (dt.kind, dt.size) {
        (b'b', 1) => Scalar::Bool(b[0] != 0),
        (b'i', 1) => Scalar::Int(i128::from(b[0] as i8)),
        (b'i', 2) => Scalar::Int(i128::from(i16::from_le_bytes(ordered(b, be)))),
        (b'i', 4) => Scalar::Int(i128::from(i32::from_le_bytes(ordered(b, be)))),
        (b'i', 8) => Scalar::Int(i128::from(i64::from_le_bytes(ordered(b, be)))),
        (b'u', 1) => Scalar::Int(i128::from(b[0])),
        (b'u', 2) => Scalar::Int(i128::from(u16::from_le_bytes(ordered(b, be)))),
        (b'u', 4) => Scalar::Int(i128::from(u32::from_le_bytes(ordered(b, be)))),
        (b'u', 8) => Scalar::Int(i128::from(u64::from_le_bytes(ordered(b, be)))),
        (b'f', 2) => Scalar::Float(f16_to_f64(u16::from_le_bytes(ordered(b, be)))),
        (b'f', 4) => Scalar::Float(f64::from(f32::from_le_bytes(ordered(b, be)))),
        (b'f', 8) => Scalar::Float(f64::from_le_bytes(ordered(b, be))),
        (b'c', 8) => Scalar::Complex(
            f64::from(f32::from_le_bytes(ordered(&b[..4], be))),
            f64::from(f32::from_le_bytes(ordered(&b[4..], be))),
        ),
        (b'c', 16) => {
            Scalar::Complex(f64::from_le_bytes(ordered(&b[..8], be)), f64::from_le_bytes(ordered(&b[8..], be)))
        }
        _ => return None,
    })
}

/// A NumPy scalar's value, widened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar {
    /// `np.bool_`.
    Bool(bool),
    /// A signed or unsigned integer of any width.
    Int(i128),
    /// `np.float16/32/64`, widened to f64.
    Float(f64),
    /// `np.complex64/128`.
    Complex(f64, f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_strings_parse_as_numpy_reads_them() {
        let d = parse_dtype_str("<f8").unwrap();
        assert_eq!((d.kind, d.size, d.big_endian), (b'f', 8, false));
        assert!(parse_dtype_str(">i4").unwrap().big_endian);
        assert_eq!(parse_dtype_str("U5").unwrap().size, 20);
        assert_eq!(parse_dtype_str("M8[ns]").unwrap().unit, Some(("ns".into(), 1)));
        assert_eq!(parse_dtype_str("<m8[10ms]").unwrap().unit, Some(("ms".into(), 10)));
        assert_eq!(parse_dtype_str("?").unwrap().kind, b'b');
        assert_eq!(parse_dtype_str("U").map(|d| d.kind), None);
        assert_eq!(parse_dtype_str(""), None);
        assert_eq!(parse_dtype_str("x8"), None);
        assert_eq!(parse_dtype_str("<M8[ns").map(|d| d.kind), None);
        assert_eq!(parse_dtype_str("<M8[ns]").unwrap().name(), "<M8[ns]");
        assert_eq!(parse_dtype_str("b1").unwrap().name(), "|b1");
    }

    #[test]
    fn half_floats_widen_exactly() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }
}
