//! rust_decimal 1 (feature `rust_decimal`): `rust_decimal::Decimal` as
//! Python's `decimal.Decimal`, through [`crate::decimal::Decimal`].
//!
//! Writing keeps the scale (`1.50` stays `Decimal('1.50')`). Reading is
//! exact or an error: a NaN, an infinity, a coefficient beyond 96 bits or
//! more than 28 digits after the point (after dropping trailing zeros,
//! which changes no value) does not fit, and is never rounded.

use rust_decimal::Decimal;

use crate::types::decimal::Decimal as PyDecimal;

/// The largest coefficient rust_decimal holds, 2^96 - 1.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

fn from_py(d: PyDecimal) -> Result<Decimal, String> {
    let Some(exponent) = d.exponent() else {
        return Err(format!("Decimal('{d}') is not a number, which rust_decimal cannot hold"));
    };
    let too_big = || format!("Decimal('{d}') has more than the 96 bits of coefficient rust_decimal holds");
    let mut coeff: u128 = d.coefficient().parse().map_err(|_| too_big())?;
    let mut scale: i64 = -exponent;
    if scale < 0 {
        // A positive exponent: scale the coefficient up to an integer.
        let factor = u32::try_from(-scale).ok().and_then(|e| 10u128.checked_pow(e)).ok_or_else(too_big)?;
        coeff = coeff.checked_mul(factor).ok_or_else(too_big)?;
        scale = 0;
    }
    while scale > 28 && coeff.is_multiple_of(10) && coeff != 0 {
        coeff /= 10;
        scale -= 1;
    }
    if scale > 28 && coeff == 0 {
        scale = 28;
    }
    if scale > 28 {
        return Err(format!("Decimal('{d}') has {scale} digits after the point; rust_decimal holds 28"));
    }
    if coeff > MAX_MANTISSA {
        return Err(too_big());
    }
    let mut out = Decimal::from_i128_with_scale(coeff as i128, scale as u32);
    out.set_sign_negative(d.is_sign_negative());
    Ok(out)
}

/// Written as [`PyDecimal::from_parts`] of the same parts writes, without
/// building it.
impl crate::ser::ToPickle for Decimal {
    fn to_pickle(&self, enc: &mut crate::ser::Encoder<'_>) -> crate::error::Result<()> {
        let (negative, coefficient, exponent) = parts(self);
        crate::types::decimal::write_finite(enc, negative, coefficient, exponent)
    }
}

fn parts(d: &Decimal) -> (bool, u128, i64) {
    (d.is_sign_negative(), d.mantissa().unsigned_abs(), -i64::from(d.scale()))
}

via_core!(Decimal, PyDecimal, "decimal", "Decimal", from = from_py);

#[cfg(test)]
mod tests {
    use super::*;

    /// Writing a rust_decimal straight gives the bytes of writing the core
    /// Decimal of the same parts, and Python's str of every scale (plain,
    /// `0.000…`, scientific past six zeros).
    #[test]
    fn writes_what_the_core_decimal_writes() {
        let mut checked = 0;
        for mantissa in [0i128, 1, -1, 7, 150, -12_345_678_901, MAX_MANTISSA as i128, -(MAX_MANTISSA as i128)] {
            for scale in [0u32, 1, 2, 6, 7, 12, 28] {
                let d = Decimal::from_i128_with_scale(mantissa, scale);
                let (negative, coefficient, exponent) = parts(&d);
                let core = PyDecimal::from_parts(negative, coefficient, exponent);
                let ours = crate::to_vec(&d).expect("rust_decimal");
                assert_eq!(ours, crate::to_vec(&core).expect("core"), "{d}");
                let back: PyDecimal = crate::from_slice(&ours).expect("decodes");
                assert_eq!(back.to_string(), core.to_string(), "{d}");
                checked += 1;
            }
        }
        assert_eq!(checked, 56);
        let tiny = crate::to_vec(&Decimal::from_i128_with_scale(5, 28)).expect("encode");
        assert_eq!(crate::from_slice::<PyDecimal>(&tiny).expect("decode").to_string(), "5E-28");
    }
}
