//! loom model of `StripedCounter`.
#![cfg(loom)]

use loom::sync::Arc;
use structures::counter::StripedCounter;

/// Two threads adding concurrently (on one stripe or two): after both join,
/// the sum is exact, and a racing read sees a value between the counts
/// before and after.
#[test]
fn concurrent_adds_are_all_counted() {
    loom::model(|| {
        let c = Arc::new(StripedCounter::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let c = c.clone();
                loom::thread::spawn(move || {
                    c.add(1);
                    c.add(2);
                })
            })
            .collect();
        let seen = c.sum();
        assert!(seen <= 6, "a racing read saw {seen}");
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(c.sum(), 6);
    });
}
