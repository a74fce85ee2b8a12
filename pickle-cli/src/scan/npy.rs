//! `.npy` files: a header dict, then the array's bytes, or, for an array
//! of objects, a pickle of it (what `np.load(allow_pickle=True)` unpickles).

pub(crate) const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Where the pickle of an object array starts, `Ok(None)` for an array of
/// plain data, or why the header cannot be read.
pub(crate) fn object_payload(bytes: &[u8]) -> Result<Option<usize>, String> {
    let major = *bytes.get(6).ok_or("the .npy header is truncated")?;
    let (len, start): (Option<usize>, usize) = match major {
        1 => (bytes.get(8..10).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))), 10),
        2 | 3 => (bytes.get(8..12).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize), 12),
        v => return Err(format!(".npy format version {v} is unknown")),
    };
    let len = len.ok_or("the .npy header is truncated")?;
    let header = bytes.get(start..start.saturating_add(len)).ok_or("the .npy header is truncated")?;
    let header = String::from_utf8_lossy(header);
    let descr = header.find("'descr'").or_else(|| header.find("\"descr\"")).ok_or("the .npy header has no descr")?;
    // The descr runs to the next key; a structured dtype lists several
    // fields, any of which may be an object.
    let rest = &header[descr + 7..];
    let stop = ["'fortran_order'", "'shape'", "\"fortran_order\"", "\"shape\""]
        .iter()
        .filter_map(|k| rest.find(k))
        .min()
        .unwrap_or(rest.len());
    Ok(has_object_code(&rest[..stop]).then_some(start + len))
}

/// Whether a dtype description names the object type code `O` in one of
/// its type strings (`'|O'`, `('f0', 'O')`, `'O8'`). A quoted string right
/// after `(` is a field's name, not a type.
fn has_object_code(descr: &str) -> bool {
    let mut rest = descr;
    let mut before = ' ';
    while let Some(i) = rest.find(['\'', '"']) {
        let quote = rest[i..].chars().next().unwrap_or('\'');
        let prev = rest[..i].trim_end().chars().last().unwrap_or(before);
        let Some(len) = rest[i + 1..].find(quote) else { return false };
        let s = &rest[i + 1..i + 1 + len];
        let code = s.trim_start_matches(['<', '>', '|', '=']);
        if prev != '(' && code.starts_with('O') && code[1..].chars().all(|c| c.is_ascii_digit()) {
            return true;
        }
        before = quote;
        rest = &rest[i + 2 + len..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_object_code;

    #[test]
    fn object_codes() {
        assert!(has_object_code(": '|O', "));
        assert!(has_object_code(": [('a', '<f8'), ('b', '|O')], "));
        assert!(!has_object_code(": '<f8', "));
        assert!(!has_object_code(": [('O', '<i4')], "), "a field named O is not an object field");
    }
}
