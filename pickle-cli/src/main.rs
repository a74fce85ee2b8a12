//! The `pickle` command: argument parsing (clap) and file handling around
//! the library's disassembler, JSON writer and pickle-core's codec.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pickle_cli::dis::{DisOptions, Memo};
use pickle_core::scan::{Scanner, Verdict};
use pickle_core::{DecodeOptions, EncodeOptions, GlobalPolicy, PersistentIds, StringEncoding, Value};

/// Python's pickle format from the command line: disassemble, convert to
/// JSON, re-encode, and scan for what loading would run. Nothing in a
/// pickle is executed.
///
/// A FILE or IN of `-` reads standard input; an OUT of `-` writes standard
/// output. Exit status: 0 on success, 1 when the input or I/O fails, 2 on
/// bad usage (`scan`'s own is its verdict: see `pickle scan --help`).
#[derive(Parser, Debug)]
#[command(name = "pickle", version, about, long_about = None, after_help = TOP_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const TOP_HELP: &str = "\
A FILE or IN of `-` reads standard input; an OUT of `-` writes standard output.
Exit status: 0 on success, 1 when the input or I/O fails, 2 on bad usage;
`pickle scan` exits with its verdict (see `pickle scan --help`).";

const AFTER_HELP: &str = "\
A FILE or IN of `-` reads standard input; an OUT of `-` writes standard output.
Exit status: 0 on success, 1 when the input or I/O fails, 2 on bad usage.";

#[derive(Subcommand, Debug)]
enum Command {
    /// Disassemble the first pickle of each FILE, printing exactly what
    /// `python3 -m pickletools` prints with the same options.
    #[command(after_help = AFTER_HELP)]
    Dis {
        /// The pickle files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Annotate each line with a short description of the opcode.
        #[arg(short, long)]
        annotate: bool,
        /// The number of blanks by which to indent a new MARK level.
        #[arg(short = 'l', long = "indentlevel", value_name = "N", default_value_t = 4)]
        indent: usize,
        /// Keep the memo from one file's pickle to the next (several FILEs).
        #[arg(short, long)]
        memo: bool,
        /// Write the disassembly to OUT instead of standard output.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// With several FILEs, print this before each one's disassembly
        /// (`{name}` is the file's name).
        #[arg(short, long, value_name = "TEXT", default_value = "==> {name} <==", allow_hyphen_values = true)]
        preamble: String,
    },
    /// Print the decoded pickle as tagged JSON (docs/json-format.md).
    #[command(after_help = AFTER_HELP)]
    Json {
        /// The pickle file.
        #[arg(value_name = "FILE")]
        input: PathBuf,
        #[command(flatten)]
        decoding: Decoding,
    },
    /// Decode IN and write it to OUT again at another protocol.
    #[command(after_help = AFTER_HELP)]
    Recode {
        /// The pickle to read.
        #[arg(value_name = "IN")]
        input: PathBuf,
        /// Where to write it.
        #[arg(value_name = "OUT")]
        output: PathBuf,
        /// The protocol to write, 0 to 5 (Python's default, 4, when not given).
        #[arg(short, long, value_name = "N", default_value_t = 4,
              value_parser = clap::value_parser!(u8).range(0..=i64::from(pickle_core::opcodes::HIGHEST_PROTOCOL)))]
        protocol: u8,
        #[command(flatten)]
        decoding: Decoding,
    },
    /// Say whether loading each PATH in Python (pickle.load, torch.load,
    /// np.load with allow_pickle) would be safe, without loading it:
    /// `safe`, `unknown` (globals outside the allowlist, such as an
    /// application's own classes), `dangerous`, or `error`.
    #[command(after_help = SCAN_HELP)]
    Scan {
        /// Files to scan; a directory is scanned file by file, recursively,
        /// skipping files that are plainly not pickles (no opcode first, no
        /// known container).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The report's form.
        #[arg(short, long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also fail (exit 1) when a file is `unknown`.
        #[arg(long)]
        strict: bool,
        /// Also allow the globals FILE lists, one `module:qualname` or
        /// `module:*` per line (`#` comments). Known-dangerous globals stay
        /// dangerous.
        #[arg(long, value_name = "FILE")]
        policy: Vec<PathBuf>,
    },
}

const SCAN_HELP: &str = "\
Exit status: 0 when no file is dangerous (with --strict: none is unknown either),
1 when one is, 2 on bad usage or when a file could not be read to its end
and nothing dangerous was found in it.";

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
    Sarif,
}

/// Options of the commands that decode.
#[derive(clap::Args, Debug)]
struct Decoding {
    /// How to decode Python 2 `str` data, as `pickle.load`'s `encoding`
    /// argument does: `latin1` reads NumPy arrays and datetimes that Python
    /// 2 pickled, `bytes` keeps them as bytes.
    #[arg(short, long, value_enum, default_value_t = Encoding::Ascii)]
    encoding: Encoding,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Encoding {
    Ascii,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "latin1", alias = "latin-1")]
    Latin1,
    Bytes,
}

impl Decoding {
    /// `json` and `recode` show and keep persistent ids: they describe a
    /// pickle, they do not load it.
    fn options(&self) -> DecodeOptions {
        DecodeOptions::default()
            .encoding(match self.encoding {
                Encoding::Ascii => StringEncoding::Ascii,
                Encoding::Utf8 => StringEncoding::Utf8,
                Encoding::Latin1 => StringEncoding::Latin1,
                Encoding::Bytes => StringEncoding::Bytes,
            })
            .persistent_ids(PersistentIds::Keep)
    }
}

/// A failure that is not bad usage: the file (or `-`) it concerns and why.
struct Failure {
    path: String,
    message: String,
}

impl Failure {
    fn new(path: &Path, message: impl fmt::Display) -> Failure {
        let path = if path == Path::new("-") { "<stdin>".to_string() } else { path.display().to_string() };
        Failure { path, message: message.to_string() }
    }

    fn stdout(message: impl fmt::Display) -> Failure {
        Failure { path: "<stdout>".into(), message: message.to_string() }
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print on stdout and succeed; the rest
            // is bad usage, exit status 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("pickle: {}: {}", failure.path, failure.message);
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Scan { paths, format, strict, policy } => Ok(scan(&paths, format, strict, &policy)),
        Command::Dis { files, annotate, indent, memo, output, preamble } => {
            let opts = DisOptions { indent, annotate: if annotate { 30 } else { 0 } };
            let sink: Box<dyn Write> = match &output {
                Some(path) if path != Path::new("-") => {
                    Box::new(File::create(path).map_err(|e| Failure::new(path, e))?)
                }
                _ => Box::new(io::stdout().lock()),
            };
            let out_name = output.as_deref().filter(|p| *p != Path::new("-"));
            let out_failure = |e: io::Error| match out_name {
                Some(path) => Failure::new(path, e),
                None => Failure::stdout(e),
            };
            let mut out = BufWriter::new(sink);
            // As pickletools: one file keeps no memo; several share one only with -m.
            let mut shared = Memo::default();
            let several = files.len() > 1;
            for file in &files {
                let data = read_input(file)?;
                if several {
                    let name = if file == Path::new("-") { "<stdin>".into() } else { file.display().to_string() };
                    writeln!(out, "{}", preamble.replace("{name}", &name)).map_err(out_failure)?;
                }
                let mut fresh = Memo::default();
                let memo = if memo && several { &mut shared } else { &mut fresh };
                let result = pickle_cli::dis::dis_with(&data, &mut out, &opts, memo);
                // Whatever was disassembled before a failure is part of the output.
                let flushed = out.flush();
                result.map_err(|e| Failure::new(file, e))?;
                flushed.map_err(out_failure)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Json { input, decoding } => {
            let data = read_input(&input)?;
            let value: Value<'_> =
                pickle_core::from_slice_with(&data, decoding.options()).map_err(|e| Failure::new(&input, e))?;
            let mut text = pickle_cli::json::value_to_json(&value);
            text.push('\n');
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Failure::stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recode { protocol, input, output, decoding } => {
            let data = read_input(&input)?;
            let value: Value<'_> =
                pickle_core::from_slice_with(&data, decoding.options()).map_err(|e| Failure::new(&input, e))?;
            let bytes = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(protocol))
                .map_err(|e| Failure::new(&input, e))?;
            write_output(&output, &bytes)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `pickle scan`: its exit status is the verdict, so it reports its own
/// failures.
fn scan(paths: &[PathBuf], format: Format, strict: bool, policies: &[PathBuf]) -> ExitCode {
    let mut policy = GlobalPolicy::builtin();
    for file in policies {
        let read = std::fs::read_to_string(file).map_err(|e| e.to_string());
        policy = match read.and_then(|text| policy.parse(&text).map_err(|e| e.to_string())) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("pickle: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
    }
    let scanner = Scanner::new().policy(policy);
    let mut reports = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let walked = path.is_dir();
        for file in files_under(path) {
            let name = if file == Path::new("-") { "<stdin>".to_string() } else { file.display().to_string() };
            let report = match read_input(&file) {
                Ok(data) => pickle_cli::scan::scan_bytes(&name, &data, &scanner),
                Err(failure) => pickle_cli::scan::FileReport::unreadable(&name, failure.message),
            };
            // A README or a .py found in a directory is no error; a file
            // named on the command line must be a pickle.
            if walked && report.is_not_a_pickle() {
                skipped.push(name);
            } else {
                reports.push(report);
            }
        }
    }
    let text = match format {
        Format::Text => pickle_cli::scan::report::text(&reports, &skipped),
        Format::Json => pickle_cli::scan::report::json(&reports, &skipped),
        Format::Sarif => pickle_cli::scan::report::sarif(&reports),
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("pickle: <stdout>: {e}");
        return ExitCode::from(2);
    }
    let verdicts: Vec<Verdict> = reports.iter().map(pickle_cli::scan::FileReport::verdict).collect();
    let fails = |v: &Verdict| *v == Verdict::Dangerous || (strict && *v == Verdict::Unknown);
    if verdicts.iter().any(fails) {
        ExitCode::from(1)
    } else if verdicts.contains(&Verdict::Error) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// `path`, or every file under it when it is a directory, sorted.
fn files_under(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            files.push(dir);
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            // Symlinked directories are not followed (no loops).
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(p),
                _ => files.push(p),
            }
        }
    }
    files.sort();
    files
}

fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut data = Vec::new();
        io::stdin().lock().read_to_end(&mut data).map_err(|e| Failure::new(path, e))?;
        Ok(data)
    } else {
        std::fs::read(path).map_err(|e| Failure::new(path, e))
    }
}

fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if path == Path::new("-") {
        let mut out = io::stdout().lock();
        out.write_all(bytes).and_then(|()| out.flush()).map_err(Failure::stdout)
    } else {
        std::fs::write(path, bytes).map_err(|e| Failure::new(path, e))
    }
}
