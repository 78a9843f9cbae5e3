//! Exact parsing of Kubernetes resource quantities ("250m", "1.5", "2Gi", "512Mi", "1e3").
//!
//! Follows the grammar of `k8s.io/apimachinery/pkg/api/resource/quantity.go`:
//! `<sign><number><suffix>` where the suffix is a binary SI suffix (`Ki` … `Ei`), a decimal SI
//! suffix (`n`, `u`, `m`, `""`, `k`, `M`, `G`, `T`, `P`, `E`) or a decimal exponent (`e3`, `E-2`).
//! Values are converted exactly (no floating point) and rounded **up** to the requested scale, as
//! `Quantity.Value()` and `Quantity.MilliValue()` do upstream. Negative values are rejected because
//! no resource amount in a scenario may be negative.

/// The integer scale a quantity is converted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityScale {
    /// Whole units (bytes for memory, pods for the pod count).
    Unit,
    /// Thousandths of a unit (millicores for cpu, milli-GPUs for gpu).
    Milli,
}

/// Parses a Kubernetes quantity into an integer amount at `scale`, rounding up like upstream.
///
/// Errors describe what was wrong and what is expected.
pub fn parse_quantity(text: &str, scale: QuantityScale) -> Result<u64, String> {
    let s = text.trim();
    if let Some(v) = parse_plain(s, scale) {
        return Ok(v);
    }
    let expected = "expected a Kubernetes quantity such as \"250m\", \"1.5\", \"2Gi\" or \"1e3\"";
    if s.is_empty() {
        return Err(format!("empty quantity; {expected}"));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut negative = false;
    if bytes[0] == b'+' || bytes[0] == b'-' {
        negative = bytes[0] == b'-';
        i = 1;
    }
    // Mantissa: digits, optional '.', digits.
    let mut digits: u128 = 0;
    let mut frac_digits: i32 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut significant = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            seen_digit = true;
            if digits != 0 || c != b'0' {
                significant += 1;
            }
            if significant > 30 {
                return Err(format!("quantity {text:?} has too many digits"));
            }
            digits = digits * 10 + u128::from(c - b'0');
            if seen_dot {
                frac_digits += 1;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return Err(format!("invalid quantity {text:?}: {expected}"));
    }
    let suffix = &s[i..];
    // value = digits * 10^exp10 * 2^exp2
    let mut exp10: i32 = -frac_digits;
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        _ if suffix.starts_with(['e', 'E']) => {
            let exp: i32 = suffix[1..].parse().map_err(|_| {
                format!("invalid quantity {text:?}: bad exponent {suffix:?}; {expected}")
            })?;
            if !(-40..=40).contains(&exp) {
                return Err(format!("quantity {text:?} is out of range"));
            }
            exp10 += exp;
        }
        _ => {
            return Err(format!(
                "invalid quantity {text:?}: unknown suffix {suffix:?}; expected one of \
                 Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent like e3"
            ));
        }
    }
    if negative && digits != 0 {
        return Err(format!(
            "quantity {text:?} is negative; resource amounts must be >= 0"
        ));
    }
    if scale == QuantityScale::Milli {
        exp10 += 3;
    }
    let too_large = || format!("quantity {text:?} is too large");
    let mut numerator = digits
        .checked_mul(1u128.checked_shl(exp2).ok_or_else(too_large)?)
        .ok_or_else(too_large)?;
    let value = if exp10 >= 0 {
        for _ in 0..exp10 {
            numerator = numerator.checked_mul(10).ok_or_else(too_large)?;
        }
        numerator
    } else {
        let mut denominator: u128 = 1;
        for _ in 0..(-exp10) {
            denominator = match denominator.checked_mul(10) {
                Some(d) => d,
                // The value is below one unit of the scale: it rounds up to 1 (or is 0).
                None => return Ok(u64::from(numerator != 0)),
            };
        }
        numerator.div_ceil(denominator)
    };
    u64::try_from(value).map_err(|_| too_large())
}

/// The fast path of [`parse_quantity`] for the commonest forms in traces: 1 to 15 decimal
/// digits, optionally followed by `m` (`"134217728"`, `"250m"`); `None` for anything else. The
/// result is the one the general path gives (`m` at unit scale rounds up).
fn parse_plain(s: &str, scale: QuantityScale) -> Option<u64> {
    let (digits, milli) = match s.strip_suffix('m') {
        Some(d) => (d, true),
        None => (s, false),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = digits
        .bytes()
        .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    Some(match (scale, milli) {
        (QuantityScale::Unit, false) | (QuantityScale::Milli, true) => n,
        (QuantityScale::Unit, true) => n.div_ceil(1000),
        (QuantityScale::Milli, false) => n * 1000,
    })
}

#[cfg(test)]
mod tests {
    use super::QuantityScale::{Milli, Unit};
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_general_one() {
        for text in [
            "0",
            "1",
            "250",
            "134217728",
            "999999999999999",
            "0m",
            "1m",
            "999m",
            "1000m",
            "1001m",
            "000250m",
            "123456789012345m",
        ] {
            for scale in [Milli, Unit] {
                let fast = parse_plain(text, scale);
                // The general path alone: a leading '+' keeps the text off the fast path.
                let general = parse_quantity(&format!("+{text}"), scale).ok();
                assert_eq!(fast, general, "{text} at {scale:?}");
            }
        }
        for text in [
            "",
            "m",
            "1.5",
            "2Gi",
            "1e3",
            "-1",
            "1000000000000000",
            "12mm",
            " 1",
        ] {
            assert_eq!(parse_plain(text, Milli), None, "{text:?}");
        }
    }

    #[test]
    fn cpu_quantities_in_millicores() {
        assert_eq!(parse_quantity("250m", Milli), Ok(250));
        assert_eq!(parse_quantity("1.5", Milli), Ok(1500));
        assert_eq!(parse_quantity("2", Milli), Ok(2000));
        assert_eq!(parse_quantity("0.1", Milli), Ok(100));
        assert_eq!(parse_quantity(".5", Milli), Ok(500));
        assert_eq!(parse_quantity("1e3", Milli), Ok(1_000_000));
        assert_eq!(parse_quantity("1E-3", Milli), Ok(1));
        assert_eq!(parse_quantity("1k", Milli), Ok(1_000_000));
        // Rounds up like Quantity.MilliValue().
        assert_eq!(parse_quantity("0.0001", Milli), Ok(1));
        assert_eq!(parse_quantity("100u", Milli), Ok(1));
        assert_eq!(parse_quantity("1n", Milli), Ok(1));
        assert_eq!(parse_quantity("0", Milli), Ok(0));
        assert_eq!(parse_quantity("+3", Milli), Ok(3000));
    }

    #[test]
    fn memory_quantities_in_bytes() {
        assert_eq!(parse_quantity("2Gi", Unit), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_quantity("512Mi", Unit), Ok(512 * 1024 * 1024));
        assert_eq!(parse_quantity("1.5Gi", Unit), Ok(1_610_612_736));
        assert_eq!(parse_quantity("1G", Unit), Ok(1_000_000_000));
        assert_eq!(parse_quantity("128974848", Unit), Ok(128_974_848));
        assert_eq!(parse_quantity("129e6", Unit), Ok(129_000_000));
        assert_eq!(parse_quantity("123Mi", Unit), Ok(128_974_848));
        // Fractional bytes round up like Quantity.Value().
        assert_eq!(parse_quantity("1.5", Unit), Ok(2));
        assert_eq!(parse_quantity("100m", Unit), Ok(1));
        assert_eq!(parse_quantity("1Ki", Unit), Ok(1024));
        assert_eq!(parse_quantity("8Ei", Unit), Ok(1 << 63));
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "", "abc", "1.2.3", "5x", "1Gb", "Gi", "-1", "-0.5Gi", "1e", "1e999", "1 Gi", "16Ei",
            "..5",
        ] {
            assert!(
                parse_quantity(bad, Unit).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
