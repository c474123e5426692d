#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| origin_fuzz::batch::bom_csv(data));
