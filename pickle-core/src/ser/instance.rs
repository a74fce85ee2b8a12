//! Class references, calls and instances: globals as CPython writes them at
//! each protocol, and the state dicts of plain instances.

use super::batch::{BATCH_SIZE, Batch, Batched, batch_at};
use super::{Encoder, ToPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::format::compat;
use crate::format::opcodes as op;
use crate::identity::MemoKey;

impl<'w> Encoder<'w> {
    /// A reference to `module.qualname`, written as CPython writes it at the
    /// protocol: `STACK_GLOBAL` from 4, `GLOBAL` below (with Python 2 names
    /// below 3), and `getattr(...)` for a dotted qualname below 4.
    pub fn write_global(&mut self, module: &str, qualname: &str) -> Result<()> {
        if self.proto >= 4 {
            match self.modules.get(module) {
                Some(&idx) => self.write_get(idx),
                None => {
                    self.write_str(module)?;
                    let idx = self.memoize_top()?;
                    self.modules.insert(module.into(), idx);
                }
            }
            self.write_str(qualname)?;
            self.out.push(op::STACK_GLOBAL);
            return Ok(());
        }
        if qualname.split('.').any(str::is_empty) {
            // `getattr` chains need every part (a GLOBAL with an empty name
            // is refused on reading, as CPython refuses it).
            return Err(Error::new(
                ErrorKind::Unsupported,
                None,
                format!(
                    "cannot write the global {module}.{qualname} below protocol 4: its qualified name has an empty part"
                ),
            ));
        }
        let mut parts = qualname.split('.');
        let first = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        for _ in &rest {
            self.write_class("builtins", "getattr")?;
            if self.proto < 2 {
                self.out.push(op::MARK);
            }
        }
        self.write_plain_global(module, first)?;
        for attr in rest {
            self.write_str(attr)?;
            self.out.push(if self.proto >= 2 { op::TUPLE2 } else { op::TUPLE });
            self.out.push(op::REDUCE);
        }
        Ok(())
    }

    pub(super) fn write_plain_global(&mut self, module: &str, name: &str) -> Result<()> {
        let (module, name) =
            match (self.proto < 3 && self.fix_imports).then(|| compat::to_python2(module, name)).flatten() {
                Some((m, n)) => (m, n.unwrap_or(name)),
                None => (module, name),
            };
        if module.contains('\n') || name.contains('\n') {
            return Err(Error::new(
                ErrorKind::Unsupported,
                None,
                format!("cannot write the global {module}.{name} below protocol 4: its name holds a newline"),
            ));
        }
        self.out.push(op::GLOBAL);
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
        Ok(())
    }

    /// `REDUCE`: calls the callable with the argument tuple, both already
    /// written, as `callable(*args)`.
    pub fn write_reduce(&mut self) -> Result<()> {
        self.out.push(op::REDUCE);
        Ok(())
    }

    /// `BUILD`: sets the state written last on the object written before
    /// it, as `obj.__setstate__(state)` or an update of `obj.__dict__`.
    pub fn write_build(&mut self) -> Result<()> {
        self.out.push(op::BUILD);
        Ok(())
    }

    /// A class reference to `'static` names, memoized so that each class is
    /// written once per pickle and referenced afterwards, as CPython does.
    pub fn write_class(&mut self, module: &'static str, qualname: &'static str) -> Result<()> {
        let key = MemoKey::Global(module.as_ptr() as usize, module.len(), qualname.as_ptr() as usize, qualname.len());
        if let Some(idx) = self.class_memo(key) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_global(module, qualname)?;
        self.memoize(key)
    }

    /// A `'static` str, memoized: written once, referenced afterwards. Field
    /// names of derived types use it, as CPython's interned attribute names
    /// end up memoized.
    #[inline]
    pub fn write_static_str(&mut self, s: &'static str) -> Result<()> {
        // The hit in the cache of recent names inline, the rest out of line.
        if let Some(idx) = self.static_str_cached(s.as_ptr() as usize, s.len()) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_static_str_uncached(s)
    }

    #[inline(never)]
    fn write_static_str_uncached(&mut self, s: &'static str) -> Result<()> {
        if let Some(idx) = self.static_str_memo(s.as_ptr() as usize, s.len()) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_str(s)?;
        self.memoize(MemoKey::Static(s.as_ptr() as usize, s.len()))
    }

    /// An instance of the Python class `module.qualname` whose attributes
    /// are `fields` entries written by `write`, in a form that loads into a
    /// plain class, a `@dataclass`, a `@dataclass(slots=True)` and a class
    /// with `__slots__` alike: the state is `(None, {attributes})`, which
    /// `pickle` applies with `setattr`, as CPython writes slots instances.
    ///
    /// The instance is created as CPython creates one at the protocol: from
    /// protocol 2 `class EMPTY_TUPLE NEWOBJ state BUILD`, below it
    /// `copyreg._reconstructor(class, object, None)` and `BUILD`. An instance
    /// with no fields gets no `BUILD`, as in CPython.
    ///
    /// [`write_dict_instance`](Encoder::write_dict_instance) writes the
    /// state as a plain dict instead, as CPython writes instances with a
    /// `__dict__`: it loads only into classes with a `__dict__` (and frozen
    /// dataclasses, which refuse `setattr`), a little faster on old Pythons.
    pub fn write_instance(
        &mut self,
        module: &'static str,
        qualname: &'static str,
        fields: usize,
        write: impl FnOnce(&mut StateWriter<'_, 'w>) -> Result<()>,
    ) -> Result<()> {
        self.write_instance_as(module, qualname, fields, true, write)
    }

    /// [`write_instance`](Encoder::write_instance) with the state a plain
    /// dict, merged into the instance's `__dict__`: CPython's own form for
    /// instances of plain classes and dataclasses, byte for byte.
    pub fn write_dict_instance(
        &mut self,
        module: &'static str,
        qualname: &'static str,
        fields: usize,
        write: impl FnOnce(&mut StateWriter<'_, 'w>) -> Result<()>,
    ) -> Result<()> {
        self.write_instance_as(module, qualname, fields, false, write)
    }

    fn write_instance_as(
        &mut self,
        module: &'static str,
        qualname: &'static str,
        fields: usize,
        slots: bool,
        write: impl FnOnce(&mut StateWriter<'_, 'w>) -> Result<()>,
    ) -> Result<()> {
        if self.proto >= 2 && slots && (2..BATCH_SIZE).contains(&fields) {
            // The common case in one piece: `class () NEWOBJ (None, {`, a
            // MARK and one batch of every field.
            self.write_class(module, qualname)?;
            self.put([op::EMPTY_TUPLE, op::NEWOBJ, op::NONE, op::EMPTY_DICT, op::MARK, 0, 0, 0], 5);
            let batch = Batch { start: 0, end: fields, marked: true, closing: op::SETITEMS };
            let mut state = StateWriter { enc: self, total: fields, done: 0, batch };
            write(&mut state)?;
            if state.done != fields {
                return Err(fields_miscounted(module, qualname, fields, state.done));
            }
            self.put([op::TUPLE2, op::BUILD], 2);
            return Ok(());
        }
        if self.proto >= 2 {
            self.write_class(module, qualname)?;
            self.out.extend_from_slice(&[op::EMPTY_TUPLE, op::NEWOBJ]);
        } else {
            self.write_class("copyreg", "_reconstructor")?;
            self.out.push(op::MARK);
            self.write_class(module, qualname)?;
            self.write_class("builtins", "object")?;
            self.out.extend_from_slice(&[op::NONE, op::TUPLE, op::REDUCE]);
        }
        if fields == 0 {
            return write(&mut StateWriter { enc: self, total: 0, done: 0, batch: Batch::NONE });
        }
        if slots {
            if self.proto < 2 {
                self.out.push(op::MARK);
            }
            self.out.push(op::NONE);
        }
        self.begin_dict();
        // Fewer fields than a batch holds (every derived type but a huge
        // one) at protocol 1+: one batch, known now, and no empty batch
        // after it; field_with need not consult the rule.
        let batch = if self.proto >= 1 && fields < BATCH_SIZE {
            let many = fields > 1;
            Batch { start: 0, end: fields, marked: many, closing: if many { op::SETITEMS } else { op::SETITEM } }
        } else {
            Batch::NONE
        };
        if batch.marked {
            self.out.push(op::MARK);
        }
        let mut state = StateWriter { enc: self, total: fields, done: 0, batch };
        write(&mut state)?;
        if state.done != fields {
            return Err(fields_miscounted(module, qualname, fields, state.done));
        }
        if slots {
            self.out.push(if self.proto >= 2 { op::TUPLE2 } else { op::TUPLE });
        }
        self.out.push(op::BUILD);
        Ok(())
    }
}

#[cold]
fn fields_miscounted(module: &str, qualname: &str, told: usize, written: usize) -> Error {
    Error::custom(format!("{module}.{qualname}: write_instance was told {told} fields and {written} were written"))
}

/// Writes the fields of an instance's state dict; see
/// [`Encoder::write_instance`].
#[derive(Debug)]
pub struct StateWriter<'e, 'w> {
    enc: &'e mut Encoder<'w>,
    total: usize,
    done: usize,
    /// The batch the next field falls in, or before the first field an
    /// empty one that ends at 0.
    batch: Batch,
}

impl<'w> StateWriter<'_, 'w> {
    /// Writes one field: its name (memoized) and its value.
    #[inline(always)]
    pub fn field<T: ToPickle + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<()> {
        self.field_with(name, |enc| value.to_pickle(enc))
    }

    /// Writes one field whose value `write` writes.
    #[inline(always)]
    pub fn field_with(&mut self, name: &'static str, write: impl FnOnce(&mut Encoder<'w>) -> Result<()>) -> Result<()> {
        // Past the announced fields, or a batch starts here: out of line.
        if self.done >= self.total || self.done == self.batch.end {
            self.start_batch(name)?;
        }
        self.enc.write_static_str(name)?;
        write(self.enc)?;
        self.done += 1;
        if self.done == self.batch.end {
            self.enc.out.push(self.batch.closing);
            if self.done == self.total && self.total >= BATCH_SIZE {
                self.empty_batch();
            }
        }
        self.enc.boundary()
    }

    /// Before field `done`: refuses a field past the announced ones, and
    /// starts a batch where one starts (the rule is consulted once per
    /// batch).
    #[inline(never)]
    fn start_batch(&mut self, name: &str) -> Result<()> {
        if self.done >= self.total {
            return Err(Error::custom(format!("field `{name}` is more than the {} fields announced", self.total)));
        }
        let enc = &mut *self.enc;
        let per = if enc.proto == 0 { 1 } else { BATCH_SIZE };
        if let Some(b) = batch_at(Batched::Dict, enc.proto, self.total, self.done / per) {
            self.batch = b;
        }
        if self.batch.marked {
            enc.out.push(op::MARK);
        }
        Ok(())
    }

    /// After a full last batch, CPython writes an empty one.
    #[inline(never)]
    fn empty_batch(&mut self) {
        let enc = &mut *self.enc;
        let per = if enc.proto == 0 { 1 } else { BATCH_SIZE };
        if let Some(empty) = batch_at(Batched::Dict, enc.proto, self.total, (self.done - 1) / per + 1) {
            enc.out.extend_from_slice(&[op::MARK, empty.closing]);
        }
    }

    /// The encoder, for writing anything else.
    pub fn encoder(&mut self) -> &mut Encoder<'w> {
        self.enc
    }
}
