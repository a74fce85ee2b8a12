//! `PyModuleBuilder`: Python source for derived types, checked with python3.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{all_protocols, python_with_path};
use pickle_core::{Pickle, PyModuleBuilder};

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "geo.shapes")]
enum Shape {
    Circle { r: f64 },
    Poly(Vec<(i32, i32)>),
    Nothing,
}

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
#[pickle(module = "geo.style")]
enum Fill {
    Solid = 1,
    Hatched = 2,
    None = 3,
}

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "geo")]
struct Drawing {
    title: String,
    shapes: Vec<Shape>,
    fill: Option<Fill>,
    meta: BTreeMap<String, Vec<u8>>,
    #[pickle(skip)]
    dirty: bool,
    children: Vec<Drawing>,
}

fn drawing() -> Drawing {
    Drawing {
        title: "map".into(),
        shapes: vec![Shape::Circle { r: 1.0 }, Shape::Poly(vec![(0, 0), (1, 2)]), Shape::Nothing],
        fill: Some(Fill::Hatched),
        meta: BTreeMap::from([("k".to_owned(), vec![1, 2])]),
        dirty: false,
        children: vec![Drawing {
            title: "inner".into(),
            shapes: Vec::new(),
            fill: None,
            meta: BTreeMap::new(),
            dirty: false,
            children: Vec::new(),
        }],
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pickle-derive-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn renders_one_module_exactly() {
    let source = PyModuleBuilder::new().add::<Shape>().render().expect("renders");
    assert_eq!(
        source,
        "\"\"\"Classes of Rust types pickled by pickle-rs (generated: do not edit).\"\"\"\n\n\
         from __future__ import annotations\n\nimport dataclasses\nimport enum\nimport typing\n\n\n\
         class Shape:\n    \"\"\"The variants of the Rust enum `Shape`.\"\"\"\n\n\
         \x20   @dataclasses.dataclass\n    class Circle:\n        r: float\n\n\
         \x20   @dataclasses.dataclass\n    class Poly:\n        _0: list[tuple[int, int]]\n\n\
         \x20   @dataclasses.dataclass\n    class Nothing:\n        pass\n"
    );
    let err = PyModuleBuilder::new().add::<Drawing>().render().expect_err("three modules");
    assert_eq!(
        err.message(),
        "the classes live in 3 modules (geo, geo.shapes, geo.style); use render_module or write_package"
    );
}

#[test]
fn generated_package_compiles_and_loads_rust_pickles() {
    let dir = temp_dir("package");
    let builder = PyModuleBuilder::new().add::<Drawing>();
    assert_eq!(builder.module_names(), ["geo", "geo.shapes", "geo.style"]);
    let written = builder.write_package(&dir).expect("writes");
    let names: Vec<String> =
        written.iter().map(|p| p.strip_prefix(&dir).expect("inside").display().to_string()).collect();
    assert_eq!(names, ["geo/__init__.py", "geo/shapes.py", "geo/style.py"]);
    let geo = std::fs::read_to_string(dir.join("geo/__init__.py")).expect("reads");
    assert!(geo.contains(
        "import geo.shapes\nimport geo.style\n\n\n@dataclasses.dataclass\nclass Drawing:\n    title: str\n    \
         shapes: list[geo.shapes.Shape.Circle | geo.shapes.Shape.Poly | geo.shapes.Shape.Nothing]\n    \
         fill: geo.style.Fill | None\n    meta: dict[str, bytes]\n    children: list[Drawing]\n"
    ));
    let style = std::fs::read_to_string(dir.join("geo/style.py")).expect("reads");
    assert!(style.ends_with("class Fill(enum.Enum):\n    Solid = 1\n    Hatched = 2\n    None_ = 3\n"), "{style}");

    let script = "import sys, pickle, py_compile, json, dataclasses\nfrom derive_helper import describe, read_pickles, emit\n\
                  for f in sys.argv[1:] if len(sys.argv) > 1 else []:\n    py_compile.compile(f, doraise=True)\n\
                  import geo, geo.shapes, geo.style\n\
                  for b in read_pickles():\n    d = pickle.loads(b)\n\
                  \x20   assert type(d) is geo.Drawing and dataclasses.is_dataclass(d)\n\
                  \x20   assert type(d.shapes[0]) is geo.shapes.Shape.Circle and d.fill is geo.style.Fill.Hatched\n\
                  \x20   emit(describe(d))\n\
                  \x20   d.title = 'changed'; d.shapes[0].r = 9.5; d.fill = geo.style.Fill['None_']; d.children = []\n\
                  \x20   d.shapes.append(geo.shapes.Shape.Poly([(5, 6)]))\n\
                  \x20   for proto in range(6):\n        print(pickle.dumps(d, proto).hex())\n";
    let lines = python_with_path(script, &all_protocols(&drawing()), Some(&dir));
    assert_eq!(lines.len(), 6 * 7);
    let mut want = drawing();
    want.title = "changed".into();
    want.shapes[0] = Shape::Circle { r: 9.5 };
    want.shapes.push(Shape::Poly(vec![(5, 6)]));
    want.fill = Some(Fill::None);
    want.children.clear();
    for chunk in lines.chunks(7) {
        assert!(chunk[0].starts_with(
            r#"{"children": [{"children": [], "class": "geo.Drawing", "fill": null, "meta": {"dict": []}, "shapes": [], "title": "inner"}], "class": "geo.Drawing", "fill": {"enum": "geo.style.Fill", "name": "Hatched", "value": 2}"#
        ), "{}", chunk[0]);
        for (proto, line) in chunk[1..].iter().enumerate() {
            let got: Drawing =
                pickle_core::from_slice(&common::unhex(line)).unwrap_or_else(|e| panic!("p{proto}: {e}"));
            assert_eq!(got, want, "protocol {proto}");
        }
    }
    let compiled =
        std::process::Command::new("python3").args(["-m", "py_compile"]).args(&written).status().expect("python3 runs");
    assert!(compiled.success());
    let _ = std::fs::remove_dir_all(&dir);
}
