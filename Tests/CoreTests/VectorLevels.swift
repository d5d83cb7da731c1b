import CKernels

/// Runs `body` with each vector body the CPU has (AVX-512, AVX2, portable; see ckernels.h) in
/// force, then restores the level that was.
func forEachVectorLevel(_ body: (Int32) throws -> Void) rethrows {
    let was = descent_vector_level()
    defer { descent_set_vector_level(was) }
    for level in Set((0...2).map { descent_set_vector_level(Int32($0)) }).sorted(by: >) {
        descent_set_vector_level(level)
        try body(level)
    }
}
