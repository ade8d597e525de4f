//! Active expiry: a thread of its own that removes keys whose time has
//! come even if nobody reads them, `hz` times a second (`--hz`, or
//! `CONFIG SET hz`).
//!
//! Like Redis's active expire cycle, each cycle stops after a time budget
//! (a quarter of the period) so it never hogs a core; unlike Redis, it runs
//! beside the workers instead of inside the event loop, so clients are not
//! stalled while it works: it takes only per-key locks, one key at a time,
//! plus the gate's shared side, so it never interleaves with a multi-key
//! command.
//!
//! The same thread samples INFO's instantaneous rates (see
//! [`crate::metrics::rate`]) every 100 ms, as Redis's cron does: every
//! cycle when `hz` is 10 or less, every `hz / 10`-th cycle above. It
//! already wakes on a clock; a thread of its own would only add one more
//! wake-up.

use super::Shared;
use crate::keyspace::{now_ms, Keyspace};
use crate::metrics::rate::SAMPLE_PERIOD;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Keys removed per batch before the budget is checked again.
const BATCH: usize = 64;

pub struct ExpiryThread {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ExpiryThread {
    pub fn stop(mut self) {
        // Relaxed: the flag carries no data; the unpark wakes the thread.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

pub fn start<K: Keyspace>(shared: Arc<Shared<K>>) -> ExpiryThread {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("convoy-expire".into())
        .spawn(move || {
            let mut cycles: u64 = 0;
            while !flag.load(Ordering::Relaxed) {
                let start = Instant::now();
                // Read each cycle: CONFIG SET hz takes effect at once.
                let hz = shared.settings.read().hz.max(1);
                let period = Duration::from_micros(1_000_000 / hz as u64);
                let budget = period / 4;
                // Redis's `run_with_period(100)`.
                let every = (SAMPLE_PERIOD.as_micros() / period.as_micros()).max(1) as u64;
                if cycles % every == 0 {
                    shared.sample_rates(start);
                }
                cycles += 1;
                'cycle: for (index, db) in shared.dbs.iter().enumerate() {
                    loop {
                        let removed = {
                            let _gate = shared.gate.shared();
                            db.expire_due(now_ms(), BATCH, |key, remove| match &shared.wal {
                                // The removal's DEL record must be ordered
                                // with the key's writes: hold its stripe.
                                Some(wal) => {
                                    let _stripe = wal.order.lock_keys(index, std::iter::once(key));
                                    remove()
                                }
                                None => remove(),
                            })
                        };
                        if removed < BATCH {
                            break;
                        }
                        if start.elapsed() >= budget {
                            break 'cycle;
                        }
                    }
                }
                std::thread::park_timeout(period.saturating_sub(start.elapsed()));
            }
        })
        .expect("spawn expiry thread");
    ExpiryThread { stop, thread: Some(thread) }
}
