//! One workload's figures, and the one-line form a workload's child process
//! prints them in for the parent.

use std::time::Duration;

/// One workload's figures.
#[derive(Default, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub rs_enc: Option<Duration>,
    pub rs_enc_value: Option<Duration>,
    pub serde_enc: Option<Duration>,
    pub py_dumps: Option<Duration>,
    pub rs_dec: Option<Duration>,
    pub rs_dec_value: Option<Duration>,
    pub serde_dec: Option<Duration>,
    pub py_loads: Option<Duration>,
    /// (protocol, our file's size, CPython's).
    pub sizes: Vec<(u8, usize, usize)>,
    pub py_loads_ours: Option<Duration>,
    pub py_loads_own: Option<Duration>,
    /// The encode floor: copying the output's bytes into a fresh buffer.
    pub enc_floor: Option<Duration>,
    /// The decode floor: building the same value from data already in
    /// memory with the same std operations (a clone).
    pub dec_floor: Option<Duration>,
    /// Peak RSS growth while decoding; the data's size by its capacities
    /// and by malloc's allocation sizes; the RSS the result retains.
    pub rss: Option<(u64, usize, usize, u64)>,
    pub notes: Vec<String>,
}

/// Separates the fields of the line; notes never contain it.
const SEP: char = '\t';
/// Separates notes within their field.
const NOTE_SEP: char = '\u{1f}';

fn dur(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| d.as_nanos().to_string())
}

fn parse_dur(s: &str) -> Option<Option<Duration>> {
    if s == "-" { Some(None) } else { s.parse().ok().map(|n| Some(Duration::from_nanos(n))) }
}

impl Row {
    /// The row as one line: tab-separated fields, durations in nanoseconds,
    /// `-` for a figure not taken.
    pub fn to_line(&self) -> String {
        let sizes: Vec<String> = self.sizes.iter().map(|(p, ours, cpy)| format!("{p}:{ours}:{cpy}")).collect();
        let rss = self.rss.map_or("-".into(), |(a, b, c, d)| format!("{a}:{b}:{c}:{d}"));
        let notes: Vec<&str> = self.notes.iter().map(String::as_str).collect();
        let fields = [
            self.name.clone(),
            dur(self.rs_enc),
            dur(self.rs_enc_value),
            dur(self.serde_enc),
            dur(self.py_dumps),
            dur(self.rs_dec),
            dur(self.rs_dec_value),
            dur(self.serde_dec),
            dur(self.py_loads),
            sizes.join(","),
            dur(self.py_loads_ours),
            dur(self.py_loads_own),
            dur(self.enc_floor),
            dur(self.dec_floor),
            rss,
            notes.join(&NOTE_SEP.to_string()),
        ];
        format!("{}\n", fields.join(&SEP.to_string()))
    }

    /// Reads back [`Row::to_line`]'s form.
    pub fn parse(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.trim_end_matches('\n').split(SEP).collect();
        if f.len() != 16 {
            return None;
        }
        let sizes = f[9]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let mut it = s.split(':');
                Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?))
            })
            .collect::<Option<Vec<_>>>()?;
        let rss = if f[14] == "-" {
            None
        } else {
            let n: Vec<u64> = f[14].split(':').map(|s| s.parse().ok()).collect::<Option<_>>()?;
            match n[..] {
                [a, b, c, d] => Some((a, b as usize, c as usize, d)),
                _ => return None,
            }
        };
        Some(Row {
            name: f[0].to_string(),
            rs_enc: parse_dur(f[1])?,
            rs_enc_value: parse_dur(f[2])?,
            serde_enc: parse_dur(f[3])?,
            py_dumps: parse_dur(f[4])?,
            rs_dec: parse_dur(f[5])?,
            rs_dec_value: parse_dur(f[6])?,
            serde_dec: parse_dur(f[7])?,
            py_loads: parse_dur(f[8])?,
            sizes,
            py_loads_ours: parse_dur(f[10])?,
            py_loads_own: parse_dur(f[11])?,
            enc_floor: parse_dur(f[12])?,
            dec_floor: parse_dur(f[13])?,
            rss,
            notes: f[15].split(NOTE_SEP).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_survives_its_line() {
        let row = Row {
            name: "(e) 1M refs".into(),
            rs_enc: Some(Duration::from_nanos(4_123_456)),
            serde_dec: Some(Duration::from_millis(240)),
            sizes: vec![(2, 100, 101), (4, 90, 90)],
            rss: Some((1 << 30, 12, 34, 56)),
            dec_floor: Some(Duration::from_nanos(77)),
            notes: vec!["linear: 2.01".into(), "second note".into()],
            ..Row::default()
        };
        assert_eq!(Row::parse(&row.to_line()), Some(row));
        let empty = Row { name: "(f) nested".into(), ..Row::default() };
        assert_eq!(Row::parse(&empty.to_line()), Some(empty));
        assert_eq!(Row::parse("too\tfew"), None);
    }
}
