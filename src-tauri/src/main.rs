// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    truce_alloc::tune(); // mimalloc, purging freed memory at once (crates/truce-alloc)
    truce_app::run();
}
