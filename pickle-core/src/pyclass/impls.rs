//! [`PyType`] for std types: the type hints of the generated Python module.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use super::module::{PyModuleBuilder, PyType, TypeHint};
use crate::value::Value;

macro_rules! builtin_hints {
    ($($name:literal: $($t:ty),*;)*) => {$($(
        impl PyType for $t {
            fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
                TypeHint::builtin($name)
            }
        }
    )*)*};
}
builtin_hints! {
    "int": i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize, BigInt;
    "float": f32, f64;
    "bool": bool;
    "str": str, String, char;
    "None": ();
}

impl PyType for u8 {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("int")
    }

    fn py_list_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("bytes")
    }
}

impl PyType for Value<'_> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::any()
    }
}

impl PyType for Cow<'_, str> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("str")
    }
}

macro_rules! wrapper_hints {
    ($($t:ident),*) => {$(
        impl<T: PyType + ?Sized> PyType for $t<T> {
            fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
                T::py_type(b)
            }
        }
    )*};
}
wrapper_hints!(Box, Rc, Arc);

impl<T: PyType + ?Sized> PyType for &T {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_type(b)
    }
}

impl<T: PyType> PyType for Option<T> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_type(b).optional()
    }
}

impl<T: PyType> PyType for [T] {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_list_type(b)
    }
}

impl<T: PyType, const N: usize> PyType for [T; N] {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_list_type(b)
    }
}

impl<T: PyType> PyType for Vec<T> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_list_type(b)
    }
}

impl<T: PyType> PyType for VecDeque<T> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        T::py_list_type(b)
    }
}

impl<K: PyType, V: PyType, S> PyType for HashMap<K, V, S> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("dict", vec![K::py_type(b), V::py_type(b)])
    }
}

impl<K: PyType, V: PyType> PyType for BTreeMap<K, V> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("dict", vec![K::py_type(b), V::py_type(b)])
    }
}

impl<T: PyType, S> PyType for HashSet<T, S> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("set", vec![T::py_type(b)])
    }
}

impl<T: PyType> PyType for BTreeSet<T> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("set", vec![T::py_type(b)])
    }
}

macro_rules! tuple_hints {
    ($(($($t:ident),+))*) => {$(
        impl<$($t: PyType),+> PyType for ($($t,)+) {
            fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
                TypeHint::generic("tuple", vec![$($t::py_type(b)),+])
            }
        }
    )*};
}
tuple_hints! {
    (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F)
    (A, B, C, D, E, F, G) (A, B, C, D, E, F, G, H) (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J) (A, B, C, D, E, F, G, H, I, J, K) (A, B, C, D, E, F, G, H, I, J, K, L)
}
