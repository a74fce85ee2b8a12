//! `#[pickle(...)]` attributes: module/name/alias, transparent,
//! deny_unknown_fields, rename, skip, default, with.

mod common;

use common::{all_protocols, dumps, python};
use pickle_core::{Context, Encoder, ErrorKind, Item, Pickle, PyClass, Result};

/// Writes a `u32` as its hex str.
mod hex_u32 {
    use super::*;

    pub fn to_pickle(v: &u32, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_str(&format!("{v:#x}"))
    }

    pub fn from_pickle(cx: &mut Context<'_, '_>, item: Item) -> Result<u32> {
        let s = cx.str(item)?;
        u32::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| cx.error(item, format_args!("bad hex: {e}")))
    }
}

fn seven() -> u32 {
    7
}

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
#[pickle(transparent)]
struct UserId(u64);

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.accounts", name = "Account", alias = "legacy.models.User", alias = "old:Acc.Nested")]
struct Account {
    id: UserId,
    #[pickle(rename = "userName")]
    name: String,
    #[pickle(skip)]
    cache: Vec<u8>,
    #[pickle(default)]
    score: i32,
    #[pickle(default = "seven")]
    level: u32,
    #[pickle(with = "hex_u32")]
    flags: u32,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.accounts", deny_unknown_fields)]
struct Strict {
    a: i32,
}

fn account() -> Account {
    Account { id: UserId(42), name: "ada".into(), cache: vec![1], score: 3, level: 4, flags: 255 }
}

#[test]
fn attributes_shape_the_python_object() {
    assert_eq!((Account::MODULE, Account::QUALNAME), ("app.accounts", "Account"));
    assert_eq!(Account::ALIASES, &[("legacy.models", "User"), ("old", "Acc.Nested")]);
    let spec = r#"{"app.accounts:Account": ["id", "userName", "score", "level", "flags"]}"#;
    let script = format!(
        "from derive_helper import *\nimport json\nspec = json.loads('''{spec}''')\nclasses(spec)\n\
         raws = read_pickles()\nfor b in raws:\n    emit(describe(pickle.loads(b)))\n\
         def make():\n    obj = pickle.loads(raws[0])\n    obj.flags = '0x10'\n    del obj.score\n    del obj.level\n    obj.extra = 1\n    return obj\n\
         dump_all(make, {{'app.accounts:Account': ['id', 'userName', 'flags', 'extra']}})\n"
    );
    let lines = python(&script, &all_protocols(&account()));
    for d in &lines[..6] {
        assert_eq!(
            d,
            r#"{"class": "app.accounts.Account", "flags": "0xff", "id": 42, "level": 4, "score": 3, "userName": "ada"}"#
        );
    }
    let back = dumps(&lines[6..]);
    assert_eq!(back.len(), common::DUMPS_PER_VALUE);
    for (kind, proto, bytes) in back {
        let got: Account = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
        let want = Account { cache: Vec::new(), score: 0, level: 7, flags: 16, ..account() };
        assert_eq!(got, want, "{kind} p{proto}");
    }
}

#[test]
fn aliases_are_accepted_when_reading() {
    let script = "from derive_helper import *\n\
                  classes({'legacy.models:User': ['id', 'userName', 'flags'], 'old:Acc.Nested': ['id', 'userName', 'flags']})\n\
                  for key in ('legacy.models', 'old'):\n    m = sys.modules[key]\n    cls = m.User if key != 'old' else m.Acc.Nested\n\
                  \x20   u = cls(); u.id = 1; u.userName = 'bob'; u.flags = '0x1'\n\
                  \x20   for proto in (0, 2, 4):\n        print(pickle.dumps(u, proto).hex())\n";
    let lines = python(script, "");
    assert_eq!(lines.len(), 6);
    for line in lines {
        let got: Account = pickle_core::from_slice(&common::unhex(&line)).expect("alias accepted");
        assert_eq!((got.id, got.name.as_str(), got.flags, got.level), (UserId(1), "bob", 1, 7));
    }
}

#[test]
fn transparent_is_the_inner_value() {
    assert_eq!(pickle_core::to_vec(&UserId(5)).expect("encodes"), pickle_core::to_vec(&5u64).expect("encodes"));
    let back: UserId = pickle_core::from_slice(&pickle_core::to_vec(&9u64).expect("encodes")).expect("decodes");
    assert_eq!(back, UserId(9));
}

#[test]
fn deny_unknown_fields_and_with_errors() {
    let script = "from derive_helper import *\nclasses({'app.accounts:Strict': ['a', 'b'], 'app.accounts:Account': ['id', 'userName', 'flags']})\n\
                  m = sys.modules['app.accounts']\ns = m.Strict(); s.a = 1; s.b = 2\nprint(pickle.dumps(s, 2).hex())\n\
                  s = m.Strict(); s.a = 1\nprint(pickle.dumps(s, 2).hex())\n\
                  a = m.Account(); a.id = 1; a.userName = 'x'; a.flags = 'zz'\nprint(pickle.dumps(a, 2).hex())\n";
    let lines = python(script, "");
    let err = pickle_core::from_slice::<Strict>(&common::unhex(&lines[0])).expect_err("unknown attribute");
    assert_eq!(err.kind(), ErrorKind::Mismatch);
    assert_eq!(err.message(), "the app.accounts.Strict instance has an unknown attribute `b` at byte 26");
    let ok: Strict = pickle_core::from_slice(&common::unhex(&lines[1])).expect("no unknown attribute");
    assert_eq!(ok, Strict { a: 1 });
    let err = pickle_core::from_slice::<Account>(&common::unhex(&lines[2])).expect_err("bad hex");
    assert_eq!(
        err.message(),
        "field `flags` of app.accounts.Account: bad hex: invalid digit found in string at byte 80"
    );
}
