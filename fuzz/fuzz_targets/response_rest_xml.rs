//! The rest-xml response parser on arbitrary bodies, with s3's model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gapfill_fuzz::parse_as(
        "s3",
        &[
            "ListObjectsV2",
            "GetBucketLifecycleConfiguration",
            "GetObjectAttributes",
            "HeadObject",
        ],
        data,
    );
});
