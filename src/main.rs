//! The gapfill binary: everything lives in the library.

fn main() {
    std::process::exit(gapfill::main_with_args(std::env::args_os().collect()));
}
