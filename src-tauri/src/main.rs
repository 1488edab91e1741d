// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// Imports allocate on the parser thread and free on the writer thread; glibc's malloc
// serialised those frees on an arena lock (8% of an import's time in perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    truce_app::run();
}
