#pragma once

// Pure HTTP helpers for webd: MIME types, HTTP dates, ETags, Host values, the Range header
// and request targets. No sockets, no clocks, no files: every function is total over its input.
// One header per job; this one includes them all.

#include <netlab/common/http/date.hpp>
#include <netlab/common/http/etag.hpp>
#include <netlab/common/http/host.hpp>
#include <netlab/common/http/mime.hpp>
#include <netlab/common/http/range.hpp>
#include <netlab/common/http/target.hpp>
