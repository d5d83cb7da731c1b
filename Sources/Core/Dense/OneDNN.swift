import CDNNL
import Foundation

/// The one source of dense math: oneDNN (Debian's libdnnl), which picks its kernels from the
/// CPU's features at run time (AVX2, AVX-512, AMX), so it stays fast on CPUs newer than the
/// distribution. OpenBLAS 0.3.21, which it replaced, fell back to SSE3 "Prescott" kernels on
/// a recent Intel Xeon (17 GFLOP/s against oneDNN's ~120 on one core).
enum OneDNN {
    /// oneDNN's CPU engine and an in-order stream, shared by every primitive; nil when
    /// unavailable or when `DESCENT_CONV=im2col` switches the convolution primitives off.
    static let context: (engine: dnnl_engine_t, stream: dnnl_stream_t)? = {
        guard ProcessInfo.processInfo.environment["DESCENT_CONV"] != "im2col" else { return nil }
        var engine: dnnl_engine_t?, stream: dnnl_stream_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine,
              dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream
        else { return nil }
        return (engine, stream)
    }()

    /// Primitive attributes asking for a scratchpad the caller passes (each primitive owns one).
    static let userScratchpad: dnnl_primitive_attr_t? = {
        var attr: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attr) == dnnl_success else { return nil }
        dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)
        return attr
    }()

    private static let setOpenMPThreads = descent_omp_set_num_threads()

    /// Keeps oneDNN's calls from the calling thread on that thread: Descent's pool
    /// (`WorkerPool`) runs the pieces in parallel, and an OpenMP team beside it would fight it for
    /// the cores. OpenMP keeps the cap per thread, and oneDNN fixes a primitive's work split when
    /// it is created, so this runs before every creation and execution.
    static func useOneThread() {
        setOpenMPThreads?(1)
    }
}
