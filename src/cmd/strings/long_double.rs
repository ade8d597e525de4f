//! INCRBYFLOAT's arithmetic: Redis's `long double`, emulated exactly.
//!
//! Redis parses INCRBYFLOAT's operands with `strtold`, adds them as C
//! `long double`s, and replies with the sum printed by `"%.17Lf"` with its
//! trailing zeros (and a final `.`) removed, `-0` becoming `0`
//! (`ld2string(..., LD_STR_HUMAN)` in Redis's `util.c`). On x86-64, where
//! Redis is nearly always built, `long double` is the x87 *extended* format:
//! a 64-bit significand and a 15-bit exponent. The replies are therefore not
//! what `f64` would give:
//!
//! - `0.1 + 0.2` is `0.3`: the extended sum's error lies far below the 17th
//!   decimal, where `f64` shows `0.30000000000000004`;
//! - `10.5 + 0.1` is `10.6`, `5.0e3 + 2.0e2` is `5200`;
//! - but a value in the thousands with a fraction shows the binary error in
//!   its 17th decimal, because 64 bits are about 19.3 significant digits.
//!
//! To give the same bytes, this module implements just what INCRBYFLOAT
//! needs of that format: a value is a sign, a 64-bit significand and a
//! binary exponent; [`parse`] (strtold), [`LongDouble::checked_add`] (the x87 FPU)
//! and [`LongDouble::to_human`] (glibc's printf) are each correctly
//! rounded, to nearest with ties to even, as those three are. Only parsing
//! and printing of very large or very small numbers need integers wider
//! than 128 bits; a small `Big` covers them.

use std::cmp::Ordering;

/// The longest string Redis accepts as a long double
/// (`MAX_LONG_DOUBLE_CHARS`): anything at least this long is not a float.
const MAX_CHARS: usize = 5 * 1024;

/// The smallest binary exponent: the x87 denormals are `m * 2^-16445`.
const MIN_EXP: i64 = -16445;

/// The largest binary exponent of a finite value: `(2^64-1) * 2^16320` is
/// just below `2^16384`, the format's overflow threshold.
const MAX_EXP: i64 = 16320;

/// A finite x87 extended-precision value: `(-1)^neg * mant * 2^exp`.
///
/// `mant` has its top bit set except for zero and denormals (whose `exp`
/// is `MIN_EXP`); zero is `mant == 0` and keeps its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// What `strtold` made of a string Redis accepts as a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Finite(LongDouble),
    /// `inf` or `infinity`, either sign: valid input, but any sum with it
    /// is infinite or NaN, which INCRBYFLOAT refuses.
    Infinite,
}

impl LongDouble {
    /// Positive zero: the value of a missing key.
    pub const ZERO: LongDouble = LongDouble { neg: false, mant: 0, exp: 0 };

    /// The correctly rounded sum, or `None` if it overflows to infinity.
    ///
    /// Both significands are widened to 126 bits (62 guard bits) before
    /// the smaller is shifted into place; bits shifted out are folded into
    /// the lowest bit ("jamming"), which cannot land on a rounding boundary
    /// since those lie 60 or more bits higher.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        if self.mant == 0 {
            // -0 + -0 is -0; +0 + -0 is +0 when rounding to nearest.
            return Some(if other.mant == 0 { LongDouble { neg: self.neg && other.neg, ..other } } else { other });
        }
        if other.mant == 0 {
            return Some(self);
        }
        let (hi, lo) = if self.exp >= other.exp { (self, other) } else { (other, self) };
        let x = (hi.mant as u128) << 62;
        let wide = (lo.mant as u128) << 62;
        let d = (hi.exp - lo.exp) as u64;
        let mut y = if d >= 127 { 0 } else { wide >> d };
        let lost = d >= 127 || (d > 0 && wide & ((1u128 << d) - 1) != 0);
        if lost {
            y |= 1;
        }
        let e = hi.exp - 62;
        if hi.neg == lo.neg {
            // Two values below 2^(126 - 62) * 2^hi.exp: the sum fits in 127 bits.
            round_pack(hi.neg, x + y, e, false)
        } else {
            match x.cmp(&y) {
                Ordering::Equal => Some(LongDouble::ZERO),
                Ordering::Greater => round_pack(hi.neg, x - y, e, false),
                Ordering::Less => round_pack(lo.neg, y - x, e, false),
            }
        }
    }

    /// The value as Redis replies with it: `"%.17Lf"`, trailing zeros and
    /// a trailing `.` removed, and `-0` written `0`.
    pub fn to_human(self) -> String {
        let sign = if self.neg { "-" } else { "" };
        let text = if self.exp >= 0 {
            // An integer: its 17 decimals are all zeros and are trimmed.
            let int = Big::from_u64(self.mant).shl(self.exp as u64);
            format!("{sign}{}", int.to_decimal())
        } else {
            // round(|v| * 10^17): the product is below 2^64 * 10^17 < 2^121.
            let p = self.mant as u128 * 10u128.pow(17);
            let s = (-self.exp) as u64;
            let n = if s >= 128 {
                0 // p < 2^121 is below half a unit.
            } else {
                let q = p >> s;
                let rem = p & ((1u128 << s) - 1);
                let half = 1u128 << (s - 1);
                q + (rem > half || (rem == half && q & 1 == 1)) as u128
            };
            let digits = format!("{n:018}");
            let (int, frac) = digits.split_at(digits.len() - 17);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        };
        if text == "-0" {
            "0".to_string()
        } else {
            text
        }
    }
}

/// Round `q * 2^e` (plus a little more if `sticky`: nonzero bits below `q`)
/// to a 64-bit significand, or to a denormal if the exponent would drop
/// below [`MIN_EXP`]. `None` on overflow. `sticky` may be set only when `q`
/// has more than 64 bits.
fn round_pack(neg: bool, q: u128, e: i64, sticky: bool) -> Option<LongDouble> {
    if q == 0 {
        return Some(LongDouble { neg, mant: 0, exp: 0 });
    }
    let bits = 128 - q.leading_zeros() as i64;
    let mut shift = bits - 64;
    if e + shift < MIN_EXP {
        shift = MIN_EXP - e;
    }
    let mut exp = e + shift;
    let mant = if shift <= 0 {
        (q << -shift) as u64
    } else {
        let (kept, up) = if shift >= 128 {
            // Everything is below the last place; only exactly 2^127 against
            // a half of 2^127 can be a tie (which goes to the even 0).
            let above_half = shift == 128 && (q > 1 << 127 || (q == 1 << 127 && sticky));
            (0u128, above_half)
        } else {
            let kept = q >> shift;
            let rem = q & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            (kept, rem > half || (rem == half && (sticky || kept & 1 == 1)))
        };
        let mut m = kept + up as u128;
        if m >> 64 != 0 {
            // Rounding carried into a 65th bit: m is exactly 2^64.
            m >>= 1;
            exp += 1;
        }
        m as u64
    };
    if mant == 0 {
        return Some(LongDouble { neg, mant: 0, exp: 0 });
    }
    if exp > MAX_EXP {
        return None;
    }
    Some(LongDouble { neg, mant, exp })
}

/// Round the big integer `n * 2^e` as [`round_pack`] does.
fn round_big(neg: bool, n: &Big, e: i64) -> Option<LongDouble> {
    let bits = n.bits();
    if bits <= 126 {
        return round_pack(neg, n.low_u128(0), e, false);
    }
    let k = bits - 126;
    round_pack(neg, n.low_u128(k), e + k as i64, n.any_below(k))
}

/// Parse a float as Redis's `string2ld` does: the whole string must be
/// what `strtold` reads (no leading space, nothing left over), neither NaN
/// nor out of range (overflow, or underflow to zero). `None` if Redis
/// would reply `ERR value is not a valid float`.
///
/// Accepted, like `strtold`: an optional sign, then decimal digits with an
/// optional `.` and `e` exponent, or hexadecimal (`0x1.8p3`), or `inf` /
/// `infinity` in any case.
pub fn parse(s: &[u8]) -> Option<Parsed> {
    if s.is_empty() || s.len() >= MAX_CHARS || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(Parsed::Infinite);
    }
    let value = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        parse_hex(neg, &body[2..])?
    } else {
        parse_decimal(neg, body)?
    };
    Some(Parsed::Finite(value))
}

/// Split `digits[.digits]` in the given radix off the front of `s`:
/// (all digits, number after the point, rest). `None` without any digit.
fn split_mantissa(s: &[u8], is_digit: fn(&u8) -> bool) -> Option<(Vec<u8>, usize, &[u8])> {
    let int_len = s.iter().take_while(|b| is_digit(b)).count();
    let mut digits = s[..int_len].to_vec();
    let mut rest = &s[int_len..];
    let mut frac_len = 0;
    if let Some(after) = rest.strip_prefix(b".") {
        frac_len = after.iter().take_while(|b| is_digit(b)).count();
        digits.extend_from_slice(&after[..frac_len]);
        rest = &after[frac_len..];
    }
    if digits.is_empty() {
        return None;
    }
    Some((digits, frac_len, rest))
}

/// An exponent suffix (`e12`, `p-3`): the whole of `rest`, or nothing.
/// Saturates far beyond any finite value's range.
fn parse_exponent(rest: &[u8], marker: u8) -> Option<i64> {
    if rest.is_empty() {
        return Some(0);
    }
    if rest[0] | 0x20 != marker {
        return None;
    }
    let (neg, digits) = match rest.get(1) {
        Some(b'-') => (true, &rest[2..]),
        Some(b'+') => (false, &rest[2..]),
        _ => (false, &rest[1..]),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i64, |v, d| (v * 10 + (d - b'0') as i64).min(100_000_000));
    Some(if neg { -v } else { v })
}

/// `digits[.digits][e[+-]digits]`, correctly rounded.
fn parse_decimal(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let (digits, frac_len, rest) = split_mantissa(s, u8::is_ascii_digit)?;
    let mut exp10 = parse_exponent(rest, b'e')? - frac_len as i64;
    // The value is digits * 10^exp10, digits without leading or trailing zeros.
    let first = digits.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some(LongDouble { neg, mant: 0, exp: 0 }); // An exact zero: no range error.
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    exp10 += (digits.len() - 1 - last) as i64;
    let digits = &digits[first..=last];
    // 10^(n-1+exp10) <= value < 10^(n+exp10). The extended format ends
    // near 1.19e4932 above and 3.6e-4951 (its smallest denormal) below.
    let magnitude = digits.len() as i64 + exp10;
    if magnitude > 4934 {
        return None; // Overflow: strtold says ERANGE with HUGE_VALL.
    }
    if magnitude < -4952 {
        return None; // Underflow to zero: ERANGE with 0.
    }
    let mut n = Big::zero();
    for chunk in digits.chunks(9) {
        let v = chunk.iter().fold(0u32, |v, d| v * 10 + (d - b'0') as u32);
        n.mul_add_small(10u32.pow(chunk.len() as u32), v);
    }
    let r = if exp10 >= 0 {
        n.mul_pow10(exp10 as u64);
        round_big(neg, &n, 0)
    } else {
        let mut den = Big::from_u64(1);
        den.mul_pow10((-exp10) as u64);
        // Scale so that the quotient has 126 or 127 bits, then divide;
        // the remainder tells whether anything was cut off.
        let s = 126 + den.bits() as i64 - n.bits() as i64;
        let (num, den) = if s >= 0 { (n.shl(s as u64), den) } else { (n, den.shl((-s) as u64)) };
        let (q, inexact) = num.div_small_quotient(&den);
        round_pack(neg, q, -s, inexact)
    };
    match r {
        Some(v) if v.mant == 0 => None, // Underflow to zero.
        r => r,
    }
}

/// `hexdigits[.hexdigits][p[+-]digits]`, correctly rounded.
fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let (digits, frac_len, rest) = split_mantissa(s, u8::is_ascii_hexdigit)?;
    let exp2 = parse_exponent(rest, b'p')? - 4 * frac_len as i64;
    let mut n = Big::zero();
    for d in &digits {
        let v = (*d as char).to_digit(16).unwrap_or(0);
        n.mul_add_small(16, v);
    }
    if n.is_zero() {
        return Some(LongDouble { neg, mant: 0, exp: 0 });
    }
    if exp2 + n.bits() as i64 > 16400 {
        return None;
    }
    match round_big(neg, &n, exp2.max(-100_000)) {
        Some(v) if v.mant == 0 => None,
        r => r,
    }
}

/// A minimal unsigned big integer: little-endian 32-bit limbs, no
/// trailing zero limbs. Only what parsing and printing need.
#[derive(Debug, Clone)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(top) => 32 * self.0.len() as u64 - top.leading_zeros() as u64,
        }
    }

    /// `self = self * m + a`.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for limb in &mut self.0 {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut k: u64) {
        while k > 0 {
            let step = k.min(9);
            self.mul_add_small(10u32.pow(step as u32), 0);
            k -= step;
        }
    }

    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let (words, bits) = ((n / 32) as usize, (n % 32) as u32);
        let mut out = vec![0u32; words];
        let mut carry = 0u32;
        for &limb in &self.0 {
            out.push(if bits == 0 { limb } else { (limb << bits) | carry });
            carry = if bits == 0 { 0 } else { limb >> (32 - bits) };
        }
        out.push(carry);
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let next = *limb & 1;
            *limb = (*limb >> 1) | (carry << 31);
            carry = next;
        }
        self.trim();
    }

    fn bit(&self, i: u64) -> bool {
        self.0.get((i / 32) as usize).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// Bits `k .. k + 128` as a `u128`.
    fn low_u128(&self, k: u64) -> u128 {
        (0..128).filter(|&i| self.bit(k + i)).fold(0u128, |v, i| v | 1 << i)
    }

    /// Whether any of the bits below `k` is set.
    fn any_below(&self, k: u64) -> bool {
        let (words, bits) = ((k / 32) as usize, k % 32);
        self.0.iter().take(words).any(|&l| l != 0)
            || (bits > 0 && self.0.get(words).is_some_and(|&l| l & ((1u32 << bits) - 1) != 0))
    }

    fn compare(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = *limb as i64 - *other.0.get(i).unwrap_or(&0) as i64 - borrow;
            borrow = (v < 0) as i64;
            *limb = v.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    /// `self / den` when the quotient fits in 128 bits, by shift and
    /// subtract, and whether the division left a remainder.
    fn div_small_quotient(mut self, den: &Big) -> (u128, bool) {
        let t = self.bits().saturating_sub(den.bits()).min(127);
        let mut d = den.shl(t);
        let mut q = 0u128;
        for i in (0..=t).rev() {
            if self.compare(&d) != Ordering::Less {
                self.sub_assign(&d);
                q |= 1 << i;
            }
            d.shr1();
        }
        (q, !self.is_zero())
    }

    /// Decimal digits, by repeated division by 10^9.
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            let mut rem = 0u64;
            for limb in n.0.iter_mut().rev() {
                let v = (rem << 32) | *limb as u64;
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            n.trim();
            chunks.push(rem as u32);
        }
        let mut out = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            out.push_str(&format!("{c:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> LongDouble {
        match parse(s.as_bytes()) {
            Some(Parsed::Finite(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn incr(a: &str, b: &str) -> String {
        num(a).checked_add(num(b)).expect("finite").to_human()
    }

    /// Sums print as Redis's documentation and test suite show them.
    #[test]
    fn redis_examples() {
        assert_eq!(incr("10.50", "0.1"), "10.6");
        assert_eq!(incr("10.6", "-5"), "5.6");
        assert_eq!(incr("5.0e3", "2.0e2"), "5200");
        assert_eq!(incr("0", "1"), "1");
        assert_eq!(incr("1", "0.25"), "1.25");
        assert_eq!(incr("1.5", "1.5"), "3");
        assert_eq!(incr("17179869184", "1.5"), "17179869185.5");
        assert_eq!(incr("17179869184", "17179869184"), "34359738368");
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(incr("1", "-1.1"), "-0.1");
        assert_eq!(incr("0.024390243902439025", "-0.024390243902439025"), "0");
        assert_eq!(incr("-0", "-0"), "0");
        assert_eq!(incr("3.0e3", "1"), "3001");
    }

    /// Values print with the x87 format's own rounding error, exactly (the
    /// expected strings are Redis 7.0.15's replies on x86-64).
    #[test]
    fn exact_binary_values() {
        // 0.1 as a long double is 0xCCCCCCCCCCCCCCCD * 2^-67.
        assert_eq!(num("0.1"), LongDouble { neg: false, mant: 0xCCCC_CCCC_CCCC_CCCD, exp: -67 });
        // 1000.1 is stored as 1000.09999999999999997779553950749686919152736663818359375.
        assert_eq!(incr("1000.1", "0"), "1000.09999999999999998");
        assert_eq!(incr("0x1p-1", "0"), "0.5");
        assert_eq!(incr("1e18", "0"), "1000000000000000000");
        assert_eq!(incr("1e30", "0"), "1000000000000000000024696061952");
        assert_eq!(incr("1.2345678901234567", "0"), "1.2345678901234567");
        assert_eq!(incr("1e-30", "0"), "0");
        assert_eq!(incr("-1e-30", "0"), "0");
    }

    /// strtold's grammar, with Redis's extra refusals.
    #[test]
    fn parse_rules() {
        for bad in
            ["", " 1", "1 ", "abc", "1e", "1e+", ".", "nan", "-nan", "1\u{0}2", "0x", "1e99999", "1e-99999", "--1"]
        {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
        for good in ["1", "-1", "+1", ".5", "5.", "1e5", "1E-5", "0x10", "0X1.8p1", "-0"] {
            assert!(matches!(parse(good.as_bytes()), Some(Parsed::Finite(_))), "{good:?}");
        }
        assert_eq!(parse(b"inf"), Some(Parsed::Infinite));
        assert_eq!(parse(b"-Infinity"), Some(Parsed::Infinite));
        assert_eq!(parse(&[b'1'; 5120]), None);
        assert!(matches!(parse(b"1.18e4932"), Some(Parsed::Finite(_))));
        assert_eq!(parse(b"1.19e4932"), None);
        assert!(matches!(parse(b"4e-4951"), Some(Parsed::Finite(_))));
    }

    /// Overflow of a sum is reported, not wrapped.
    #[test]
    fn overflow() {
        assert_eq!(num("1.1e4932").checked_add(num("1.1e4932")), None);
        assert!(num("1.1e4932").checked_add(num("-1.1e4932")).is_some());
    }
}
