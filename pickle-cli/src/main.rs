//! The `pickle` command: argument parsing and file handling around the
//! library's disassembler, JSON writer and pickle-core's codec.

use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use pickle_core::{EncodeOptions, Value};

const USAGE: &str = "\
usage: pickle dis FILE
       pickle json FILE
       pickle recode [--protocol N] IN OUT
       pickle --help

commands:
  dis FILE      disassemble the first pickle in FILE; prints exactly what
                `python3 -m pickletools FILE` prints
  json FILE     print the decoded pickle as tagged JSON (docs/json-format.md)
  recode        decode IN and write it to OUT again at protocol N
                (0 to 5; 4 when --protocol is not given, as Python's default)

A FILE or IN of `-` reads standard input; an OUT of `-` writes standard output.
Exit status: 0 on success, 1 when the input or I/O fails, 2 on bad usage.
";

/// The default protocol of `recode`: CPython's `pickle.DEFAULT_PROTOCOL`.
const DEFAULT_PROTOCOL: u8 = 4;

#[derive(Debug)]
enum Command {
    Help,
    Dis { input: String },
    Json { input: String },
    Recode { protocol: u8, input: String, output: String },
}

/// A failure that is not bad usage: the file (or `-`) it concerns and why.
struct Failure {
    path: String,
    message: String,
}

impl Failure {
    fn new(path: &str, message: impl fmt::Display) -> Failure {
        let path = if path == "-" { "<stdin>".to_string() } else { path.to_string() };
        Failure { path, message: message.to_string() }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("pickle: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("pickle: {}: {}", failure.path, failure.message);
            ExitCode::from(1)
        }
    }
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    match name.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "dis" => Ok(Command::Dis { input: one_file(name, rest)? }),
        "json" => Ok(Command::Json { input: one_file(name, rest)? }),
        "recode" => parse_recode(rest),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn one_file(command: &str, rest: &[String]) -> Result<String, String> {
    match rest {
        [file] if !is_option(file) => Ok(file.clone()),
        [file] => Err(format!("unknown option `{file}` for `{command}`")),
        [] => Err(format!("`{command}` needs a FILE")),
        _ => Err(format!("`{command}` takes one FILE, got {}", rest.len())),
    }
}

/// `-` alone is a file name (standard input or output), not an option.
fn is_option(arg: &str) -> bool {
    arg.starts_with('-') && arg != "-"
}

fn parse_recode(rest: &[String]) -> Result<Command, String> {
    let mut protocol = None;
    let mut files = Vec::new();
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        let value = if let Some(value) = arg.strip_prefix("--protocol=") {
            value
        } else if arg == "--protocol" || arg == "-p" {
            args.next().ok_or("`--protocol` needs a value")?
        } else if is_option(arg) {
            return Err(format!("unknown option `{arg}` for `recode`"));
        } else {
            files.push(arg.clone());
            continue;
        };
        if protocol.is_some() {
            return Err("`--protocol` given twice".into());
        }
        match value.parse::<u8>() {
            Ok(p) if p <= pickle_core::opcodes::HIGHEST_PROTOCOL => protocol = Some(p),
            _ => return Err(format!("the protocol must be 0 to 5, not `{value}`")),
        }
    }
    let [input, output]: [String; 2] = files
        .try_into()
        .map_err(|files: Vec<String>| format!("`recode` takes IN and OUT, got {} files", files.len()))?;
    Ok(Command::Recode { protocol: protocol.unwrap_or(DEFAULT_PROTOCOL), input, output })
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::Dis { input } => {
            let data = read_input(&input)?;
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let result = pickle_cli::dis::dis(&data, &mut out);
            // Whatever was disassembled before a failure is part of the output.
            let flushed = out.flush();
            result.map_err(|e| Failure::new(&input, e))?;
            flushed.map_err(|e| Failure::new("<stdout>", e))
        }
        Command::Json { input } => {
            let data = read_input(&input)?;
            let value: Value<'_> = pickle_core::from_slice(&data).map_err(|e| Failure::new(&input, e))?;
            let mut text = pickle_cli::json::value_to_json(&value);
            text.push('\n');
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| Failure::new("<stdout>", e))
        }
        Command::Recode { protocol, input, output } => {
            let data = read_input(&input)?;
            let value: Value<'_> = pickle_core::from_slice(&data).map_err(|e| Failure::new(&input, e))?;
            let bytes = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(protocol))
                .map_err(|e| Failure::new(&input, e))?;
            write_output(&output, &bytes)
        }
    }
}

fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        let mut data = Vec::new();
        io::stdin().lock().read_to_end(&mut data).map_err(|e| Failure::new(path, e))?;
        Ok(data)
    } else {
        std::fs::read(path).map_err(|e| Failure::new(path, e))
    }
}

fn write_output(path: &str, bytes: &[u8]) -> Result<(), Failure> {
    if path == "-" {
        let mut out = io::stdout().lock();
        out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Failure::new("<stdout>", e))
    } else {
        std::fs::write(path, bytes).map_err(|e| Failure::new(path, e))
    }
}
