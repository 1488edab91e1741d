//! The allocator every Truce binary uses, and its one setting.
//!
//! mimalloc, because an import allocates on the parser thread and frees on the writer thread,
//! which glibc's malloc serialises on an arena lock (ARCHITECTURE.md, Allocator).
//!
//! Its default is to give freed memory back to the OS a second later, inside whichever allocation
//! comes next. After an auto-plan or an import has freed hundreds of megabytes, that next
//! allocation may be a drop check on the board, which then took 6–8 ms instead of 1–3
//! (BENCHMARKS.md, planning engine). [`tune`] makes the purge immediate: the operation that
//! frees the memory pays for returning it. Imports measured the same either way, with a lower
//! peak RSS.
//!
//! A binary links this crate and calls [`tune`] first thing in `main`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_e` of mimalloc v3, which `libmimalloc-sys` builds
/// (the Rust bindings do not name it, "for stability reasons"; the test below checks the
/// number still means the purge delay).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the OS when it is freed, not inside a later allocation.
pub fn tune() {
    // SAFETY: setting an option is a plain store; it is done before other threads start.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

/// The purge delay now in force, in milliseconds.
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reading an option has no preconditions.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_15_is_the_purge_delay_and_tune_sets_it_to_zero() {
        // mimalloc v3's options.c gives the purge delay a default of 1000 ms, and no other
        // option that default (MIMALLOC_PURGE_DELAY in the environment would change it).
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay_ms(), 1000);
        }
        tune();
        assert_eq!(purge_delay_ms(), 0);
    }
}
