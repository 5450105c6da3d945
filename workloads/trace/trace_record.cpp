#include "workloads/trace/trace_record.h"

#include <array>
#include <cstdio>

namespace iommu_sim {

namespace {

constexpr std::array<std::string_view, 4> kOpNames{"read", "write", "map", "unmap"};

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<FieldError> check_dma(const TraceRecord& r) {
  if (r.size == 0 || r.size > kTracePageBytes) {
    return FieldError{"size", std::to_string(r.size) + " is out of range 1..4096 for a DMA"};
  }
  // PCIe Base spec 2.2.7: a request must not cross a 4 KiB boundary.
  if (r.address % kTracePageBytes + r.size > kTracePageBytes) {
    return FieldError{"size", hex(r.address) + " + " + std::to_string(r.size) +
                                  " crosses a 4 KiB page (PCIe Base spec 2.2.7)"};
  }
  return std::nullopt;
}

std::optional<FieldError> check_mapping(const TraceRecord& r) {
  if (r.address % kTracePageBytes != 0) {
    return FieldError{"address", hex(r.address) + " is not 4 KiB aligned (" +
                                     std::string(op_name(r.op)) + " takes whole pages)"};
  }
  if (r.size == 0 || r.size % kTracePageBytes != 0 || r.size > kTraceMaxMapBytes) {
    return FieldError{"size",
                      std::to_string(r.size) + " is not a multiple of 4096 in 4096..64 GiB"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<FieldError> check_record(const TraceRecord& r, std::uint64_t previous_ps) {
  if (r.time_ps < previous_ps) {
    return FieldError{"time_ns", format_time_ns(r.time_ps) + " is before the previous record's " +
                                     format_time_ns(previous_ps) +
                                     ": a trace must be sorted by time"};
  }
  if (r.pasid_present && r.pasid > kTraceMaxPasid) {
    return FieldError{"pasid", pasid_out_of_range(std::to_string(r.pasid))};
  }
  return r.is_dma() ? check_dma(r) : check_mapping(r);
}

std::string pasid_out_of_range(std::string_view value) {
  return std::string(value) + " is out of range 0..1048575 (- for a request without PASID)";
}

std::string_view op_name(TraceOp op) {
  return kOpNames.at(static_cast<std::size_t>(op));
}

std::optional<TraceOp> parse_op(std::string_view text) {
  for (std::size_t i = 0; i < kOpNames.size(); ++i) {
    if (text == kOpNames[i]) return static_cast<TraceOp>(i);
  }
  return std::nullopt;
}

std::string format_time_ns(std::uint64_t ps) {
  char buf[32];
  const int n =
      std::snprintf(buf, sizeof buf, "%llu.%03u", static_cast<unsigned long long>(ps / 1000),
                    static_cast<unsigned>(ps % 1000));
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (text.back() == '0') text.remove_suffix(1);
  if (text.back() == '.') text.remove_suffix(1);
  return std::string(text);
}

}  // namespace iommu_sim
