//! What the load generator sends: which command, on which key, with what
//! value.
//!
//! Keys are named as redis-benchmark names them with `-r`: `key:` and the
//! key's number in twelve digits (`key:000000004711`), so that the two
//! tools touch the same keyspace and their figures can be compared. Key
//! numbers are drawn uniformly or from a Zipf distribution (key 0 the
//! hottest), the skew under which per-key and per-shard locks collide.

use crate::resp::write_command;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution as _, Zipf};
use std::fmt;
use std::str::FromStr;

/// `--distribution`: how key numbers are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Every key equally likely.
    Uniform,
    /// Key `k` (from 0) drawn with probability proportional to
    /// `1 / (k + 1)^s`.
    Zipf(f64),
}

impl FromStr for Distribution {
    type Err = String;

    fn from_str(s: &str) -> Result<Distribution, String> {
        if s == "uniform" {
            return Ok(Distribution::Uniform);
        }
        let exponent = s.strip_prefix("zipf:").ok_or_else(|| format!("expected uniform or zipf:S, not '{s}'"))?;
        match exponent.parse::<f64>() {
            Ok(e) if e.is_finite() && e >= 0.0 => Ok(Distribution::Zipf(e)),
            _ => Err(format!("the Zipf exponent must be a number >= 0, not '{exponent}'")),
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Uniform => write!(f, "uniform"),
            Distribution::Zipf(s) => write!(f, "zipf:{s}"),
        }
    }
}

/// `--ratio SET:GET[:DEL]`: relative weights of the commands. DEL is
/// optional (0 if left out): with it, keys come and go, which is what
/// makes a map unlink and reclaim nodes (overwrites only replace values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub set: u32,
    pub get: u32,
    pub del: u32,
}

impl FromStr for Ratio {
    type Err = String;

    fn from_str(s: &str) -> Result<Ratio, String> {
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(format!("expected SET:GET or SET:GET:DEL, e.g. 1:9, not '{s}'"));
        }
        let parse = |w: &str| w.parse::<u32>().map_err(|_| format!("'{w}' in '{s}' is not a whole number"));
        let ratio =
            Ratio { set: parse(parts[0])?, get: parse(parts[1])?, del: parts.get(2).map_or(Ok(0), |w| parse(w))? };
        if ratio.set as u64 + ratio.get as u64 + ratio.del as u64 == 0 {
            return Err("at least one command needs a weight above 0".into());
        }
        if ratio.set as u64 + ratio.get as u64 + ratio.del as u64 > u32::MAX as u64 {
            return Err(format!("the weights in '{s}' are too large"));
        }
        Ok(ratio)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.set, self.get)?;
        if self.del > 0 {
            write!(f, ":{}", self.del)?;
        }
        Ok(())
    }
}

/// One request's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Set,
    Get,
    Del,
}

/// One client's source of requests: its own random number generator, so
/// that clients draw independently and a run with `--seed` repeats exactly.
pub struct Workload {
    rng: SmallRng,
    keys: u64,
    zipf: Option<Zipf<f64>>,
    ratio: Ratio,
    value: Vec<u8>,
}

impl Workload {
    /// The workload of client number `client`.
    pub fn new(seed: u64, client: u64, keys: u64, distribution: Distribution, ratio: Ratio, value_size: usize) -> Self {
        let keys = keys.max(1);
        let zipf = match distribution {
            Distribution::Uniform => None,
            Distribution::Zipf(s) => Some(Zipf::new(keys as f64, s).expect("n >= 1 and s >= 0 were checked")),
        };
        // Distinct, well-mixed seeds per client from one run seed.
        let rng = SmallRng::seed_from_u64(seed ^ client.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // redis-benchmark's values are "x" repeated; so are ours.
        Workload { rng, keys, zipf, ratio, value: vec![b'x'; value_size] }
    }

    /// The next request's command and key number.
    pub fn draw(&mut self) -> (Op, u64) {
        let r = self.ratio;
        let pick = self.rng.random_range(0..r.set + r.get + r.del);
        let op = if pick < r.set {
            Op::Set
        } else if pick < r.set + r.get {
            Op::Get
        } else {
            Op::Del
        };
        let key = match &self.zipf {
            // Zipf draws ranks 1..=n as floats.
            Some(zipf) => (zipf.sample(&mut self.rng) as u64).clamp(1, self.keys) - 1,
            None => self.rng.random_range(0..self.keys),
        };
        (op, key)
    }

    /// Append the next request, in RESP, to `out`; returns its command.
    pub fn encode_next(&mut self, out: &mut Vec<u8>) -> Op {
        let (op, key) = self.draw();
        let key = key_name(key);
        match op {
            Op::Set => write_command(&[b"SET", &key, &self.value], out),
            Op::Get => write_command(&[b"GET", &key], out),
            Op::Del => write_command(&[b"DEL", &key], out),
        }
        op
    }
}

/// redis-benchmark's name for key number `n` under `-r`.
pub fn key_name(n: u64) -> Vec<u8> {
    format!("key:{n:012}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags' syntax: what parses, what is refused, and that each
    /// prints back as given.
    #[test]
    fn parses_distribution_and_ratio() {
        assert_eq!("uniform".parse(), Ok(Distribution::Uniform));
        assert_eq!("zipf:0.99".parse(), Ok(Distribution::Zipf(0.99)));
        assert!("zipf:-1".parse::<Distribution>().is_err());
        assert!("zipf".parse::<Distribution>().is_err());
        assert_eq!("1:9".parse(), Ok(Ratio { set: 1, get: 9, del: 0 }));
        assert_eq!("0:1".parse(), Ok(Ratio { set: 0, get: 1, del: 0 }));
        assert_eq!("1:0:1".parse(), Ok(Ratio { set: 1, get: 0, del: 1 }));
        assert!("0:0".parse::<Ratio>().is_err());
        assert!("0:0:0".parse::<Ratio>().is_err());
        assert!("1-9".parse::<Ratio>().is_err());
        assert!("1:2:3:4".parse::<Ratio>().is_err());
        assert_eq!(Ratio { set: 3, get: 7, del: 0 }.to_string(), "3:7");
        assert_eq!(Ratio { set: 3, get: 0, del: 2 }.to_string(), "3:0:2");
        assert_eq!(Distribution::Zipf(0.99).to_string(), "zipf:0.99");
    }

    /// Requests follow the ratio and stay inside the keyspace; Zipf puts
    /// far more of them on the first key than uniform does; a seed
    /// repeats a client's sequence and clients differ.
    #[test]
    fn draws_follow_the_parameters() {
        let draws = 20_000;
        let count = |d: Distribution| {
            let mut w = Workload::new(7, 0, 1000, d, Ratio { set: 1, get: 3, del: 0 }, 3);
            let (mut sets, mut first) = (0, 0);
            for _ in 0..draws {
                let (op, key) = w.draw();
                assert!(key < 1000);
                sets += (op == Op::Set) as u32;
                first += (key == 0) as u32;
            }
            (sets, first)
        };
        let (sets, first_uniform) = count(Distribution::Uniform);
        // 1:3 means a quarter SETs: 5,000 expected, sd about 61.
        assert!((4_600..5_400).contains(&sets), "{sets} SETs of {draws}");
        // Uniform: 20 expected on key 0. Zipf 0.99 over 1000 keys: about
        // 13% of draws.
        let (_, first_zipf) = count(Distribution::Zipf(0.99));
        assert!(first_uniform < 60, "{first_uniform}");
        assert!(first_zipf > 2_000, "{first_zipf}");
        let seq = |seed, client| {
            let mut w =
                Workload::new(seed, client, 1_000_000, Distribution::Uniform, Ratio { set: 1, get: 1, del: 0 }, 3);
            (0..8).map(|_| w.draw()).collect::<Vec<_>>()
        };
        assert_eq!(seq(1, 2), seq(1, 2));
        assert_ne!(seq(1, 2), seq(1, 3));
    }

    /// The requests are RESP with redis-benchmark's key names.
    #[test]
    fn encodes_redis_benchmark_keys() {
        assert_eq!(key_name(4711), b"key:000000004711");
        let mut w = Workload::new(1, 0, 10, Distribution::Uniform, Ratio { set: 1, get: 0, del: 0 }, 3);
        let mut out = Vec::new();
        assert_eq!(w.encode_next(&mut out), Op::Set);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("*3\r\n$3\r\nSET\r\n$16\r\nkey:0000000000"), "{text:?}");
        assert!(text.ends_with("\r\n$3\r\nxxx\r\n"), "{text:?}");
    }
}
