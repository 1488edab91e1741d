// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // mimalloc, purging freed memory at once (crates/truce-alloc).
    truce_alloc::tune();
    truce_app::run();
}
