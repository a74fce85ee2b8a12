//! `#[derive(Pickle)]` on enums: unit-only enums are `enum.Enum` members,
//! data-carrying variants are instances of nested classes.

mod common;

use common::{DUMPS_PER_VALUE, all_protocols, python};
use pickle_core::{ErrorKind, Pickle, PyClass};

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
#[pickle(module = "app.colors")]
enum Color {
    Red = 1,
    Green = 2,
    #[pickle(value = -7)]
    Blue,
}

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
#[pickle(module = "app.colors")]
enum Mode {
    Fast,
    #[pickle(value = "slow-mode")]
    Slow,
}

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.shapes")]
enum Shape {
    Circle {
        r: f64,
        color: Color,
    },
    Rect(f64, f64),
    Empty,
    #[pickle(name = "Tri")]
    Triangle {
        sides: Vec<f64>,
    },
}

const SPEC: &str = r#"{
    "app.colors:Color": {"enum": [["Red", 1], ["Green", 2], ["Blue", -7]]},
    "app.colors:Mode": {"enum": [["Fast", "Fast"], ["Slow", "slow-mode"]]},
    "app.shapes:Shape.Circle": ["r", "color"],
    "app.shapes:Shape.Rect": ["_0", "_1"],
    "app.shapes:Shape.Empty": [],
    "app.shapes:Tri": ["sides"]
}"#;

/// The shared round trip with this file's classes.
fn round_trip(pickles: &str, modify: &str) -> (Vec<String>, common::Dumps) {
    common::round_trip(SPEC, pickles, modify)
}

#[test]
fn unit_enums_are_enum_members() {
    assert_eq!((Color::MODULE, Color::QUALNAME), ("app.colors", "Color"));
    for (color, desc) in [
        (Color::Red, r#"{"enum": "app.colors.Color", "name": "Red", "value": 1}"#),
        (Color::Blue, r#"{"enum": "app.colors.Color", "name": "Blue", "value": -7}"#),
    ] {
        let script = format!(
            "from derive_helper import *\nimport json\nclasses(json.loads('''{SPEC}'''))\n\
             for b in read_pickles():\n    emit(describe(pickle.loads(b)))\n    print(pickle.dumps(pickle.loads(b), 2).hex())\n"
        );
        let lines = python(&script, &all_protocols(&color));
        assert_eq!(lines.len(), 12);
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], desc);
            let back: Color = pickle_core::from_slice(&common::unhex(&pair[1])).expect("decodes");
            assert_eq!(back, color);
        }
    }
    let (described, _) = round_trip(&all_protocols(&Mode::Slow), "obj = obj");
    for d in &described {
        assert_eq!(d, r#"{"enum": "app.colors.Mode", "name": "Slow", "value": "slow-mode"}"#);
    }
}

#[test]
fn python_enum_members_at_every_protocol() {
    let script = format!(
        "from derive_helper import *\nimport json\nclasses(json.loads('''{SPEC}'''))\nm = sys.modules['app.colors']\n\
         for proto in range(6):\n    print(pickle.dumps([m.Color.Green, m.Mode.Fast, m.Color(-7)], proto).hex())\n"
    );
    for line in python(&script, "") {
        let bytes = common::unhex(&line);
        let got: TupleOf3 = pickle_core::from_slice(&bytes).expect("decodes");
        let got = (got.0, got.1, got.2);
        assert_eq!(got, (Color::Green, Mode::Fast, Color::Blue));
    }
}

/// A list of three enum members.
struct TupleOf3(Color, Mode, Color);

impl<'a> pickle_core::FromPickle<'a> for TupleOf3 {
    fn from_pickle(cx: &mut pickle_core::Context<'_, 'a>, item: pickle_core::Item) -> pickle_core::Result<Self> {
        let items = cx.sequence(item, "a list of 3")?;
        match *items {
            [a, b, c] => Ok(TupleOf3(cx.decode(a)?, cx.decode(b)?, cx.decode(c)?)),
            _ => Err(cx.error(item, "expected 3 items")),
        }
    }
}

#[test]
fn data_variants_are_nested_classes() {
    let cases = [
        (
            Shape::Circle { r: 1.5, color: Color::Green },
            r#"{"class": "app.shapes.Shape.Circle", "color": {"enum": "app.colors.Color", "name": "Green", "value": 2}, "r": {"float": "1.5"}}"#,
            "obj.r = 3.0",
            Shape::Circle { r: 3.0, color: Color::Green },
        ),
        (
            Shape::Rect(2.0, 4.0),
            r#"{"_0": {"float": "2.0"}, "_1": {"float": "4.0"}, "class": "app.shapes.Shape.Rect"}"#,
            "obj._1 = 8.0",
            Shape::Rect(2.0, 8.0),
        ),
        (Shape::Empty, r#"{"class": "app.shapes.Shape.Empty"}"#, "pass", Shape::Empty),
        (
            Shape::Triangle { sides: vec![3.0, 4.0, 5.0] },
            r#"{"class": "app.shapes.Tri", "sides": [{"float": "3.0"}, {"float": "4.0"}, {"float": "5.0"}]}"#,
            "obj.sides.reverse()",
            Shape::Triangle { sides: vec![5.0, 4.0, 3.0] },
        ),
    ];
    for (shape, desc, modify, want) in cases {
        let (described, back) = round_trip(&all_protocols(&shape), modify);
        for d in &described {
            assert_eq!(d, desc);
        }
        assert_eq!(back.len(), DUMPS_PER_VALUE);
        for (kind, proto, bytes) in back {
            let got: Shape = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
            assert_eq!(got, want, "{kind} p{proto}");
        }
    }
}

#[test]
fn enum_reading_errors() {
    let script = format!(
        "from derive_helper import *\nimport json\nclasses(json.loads('''{SPEC}'''))\nm = sys.modules['app.colors']\n\
         print(pickle.dumps(m.Mode.Fast, 2).hex())\nprint(pickle.dumps(m.Color.Red, 2).hex())\n"
    );
    let lines = python(&script, "");
    let err = pickle_core::from_slice::<Color>(&common::unhex(&lines[0])).expect_err("another enum");
    assert_eq!(err.kind(), ErrorKind::Mismatch);
    assert_eq!(err.message(), "expected a member of app.colors.Color, found an instance of app.colors.Mode at byte 35");
    // Color.Red read as Mode: same module, other class.
    let err = pickle_core::from_slice::<Mode>(&common::unhex(&lines[1])).expect_err("another enum");
    assert_eq!(err.message(), "expected a member of app.colors.Mode, found an instance of app.colors.Color at byte 27");
    let err = pickle_core::from_slice::<Shape>(&common::unhex(&lines[1])).expect_err("not a shape");
    assert_eq!(
        err.message(),
        "expected an instance of one of app.shapes.Shape.Circle, app.shapes.Shape.Rect, app.shapes.Shape.Empty, \
         app.shapes.Tri, found an instance of app.colors.Color at byte 27"
    );
    // A value no variant has: Python's Color is given a fourth member.
    let script = "from derive_helper import *\nimport enum\nC = install(enum.Enum('Color', [('Red', 1), ('Pink', 9)]), 'app.colors', 'Color')\n\
                  print(pickle.dumps(C.Pink, 2).hex())\n";
    let lines = python(script, "");
    let err = pickle_core::from_slice::<Color>(&common::unhex(&lines[0])).expect_err("unknown value");
    assert_eq!(err.message(), "app.colors.Color has no member with the value 9 at byte 27");
}
