//! The ec2 response parser on arbitrary bodies, with ec2's model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::parse_as(
        "ec2",
        &[
            "DescribeInstances",
            "DescribeSecurityGroups",
            "DescribeVpcs",
            "DescribeImages",
        ],
        data,
    );
});
