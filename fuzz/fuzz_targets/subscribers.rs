#![no_main]
// Invariants live in herald::fuzzing, where the normal test run replays the corpus too.
libfuzzer_sys::fuzz_target!(|data: &[u8]| herald::fuzzing::subscribers(data));
