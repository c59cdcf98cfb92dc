// Resident memory of this process, for the engine benchmark's per-instance memory figure.
#pragma once

namespace gridswarm::app {

/// VmRSS of the calling process in KiB, read from /proc/self/status; -1 when unavailable (non-Linux).
long rss_kb();

}  // namespace gridswarm::app
