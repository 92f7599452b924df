//! The json response parser on arbitrary bodies, with dynamodb's model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::parse_as(
        "dynamodb",
        &["DescribeTable", "Query", "GetItem", "ListTables"],
        data,
    );
});
