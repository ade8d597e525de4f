//! Metrics: counters and figures the server reports (INFO, MEMORY); this branch adds only the allocator's.

pub mod alloc;
