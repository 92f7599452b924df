//! The project loader and planner on arbitrary bytes in place of the project file, a
//! template or a step file: no panic, and every refusal positioned.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::load_project(data);
});
