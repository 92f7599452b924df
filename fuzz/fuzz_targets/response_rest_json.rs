//! The rest-json response parser on arbitrary bodies, with lambda's model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::parse_as(
        "lambda",
        &[
            "GetFunction",
            "ListFunctions",
            "GetPolicy",
            "GetFunctionUrlConfig",
        ],
        data,
    );
});
