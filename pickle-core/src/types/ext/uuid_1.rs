//! uuid 1 (feature `uuid`): `uuid::Uuid` as Python's `uuid.UUID`, through
//! [`crate::uuid::Uuid`]. `uuid::Uuid` has no `is_safe`: it is written as
//! unknown and ignored when read; use [`crate::uuid::Uuid`] to keep it.

use uuid::Uuid;

use crate::types::uuid::{SafeUuid, Uuid as PyUuid};

via_core!(
    Uuid,
    PyUuid,
    "uuid",
    "UUID",
    to = |u| Ok(PyUuid { value: u.as_u128(), is_safe: SafeUuid::Unknown }),
    from = |u| Ok(Uuid::from_u128(u.value)),
);
