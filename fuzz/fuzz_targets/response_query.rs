//! The query response parser on arbitrary bodies, with iam's model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::parse_as(
        "iam",
        &[
            "GetRole",
            "ListRoles",
            "GetAccountAuthorizationDetails",
            "GetPolicyVersion",
        ],
        data,
    );
});
