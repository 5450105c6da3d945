// One event of a DMA trace (docs/trace.md): a DMA a function sends, or a
// map or unmap the host makes in the address space a (function, PASID) is
// attached to. The CSV and binary forms hold the same records; the rules
// here are the ones every record obeys whatever its form.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iommu_sim {

enum class TraceOp : std::uint8_t { Read = 0, Write = 1, Map = 2, Unmap = 3 };

constexpr std::uint32_t kTraceMaxPasid = (1u << 20) - 1;  // 20-bit PASIDs
constexpr std::uint64_t kTracePageBytes = 4096;
// A map or unmap is at most what a config mapping may be (mappings[].size).
constexpr std::uint64_t kTraceMaxMapBytes = 64ull << 30;

struct TraceRecord {
  std::uint64_t time_ps = 0;  // simulated time; the CSV writes it in ns
  std::uint64_t address = 0;  // the IOVA the device sends, or the mapping's
  std::uint64_t size = 0;     // bytes of the DMA, or the mapping's length
  std::uint32_t pasid = 0;
  bool pasid_present = false;
  std::uint16_t device = 0;  // index into the trace's device names
  TraceOp op = TraceOp::Read;

  bool is_dma() const { return op == TraceOp::Read || op == TraceOp::Write; }
  bool operator==(const TraceRecord&) const = default;
};

// Bad input: the message names the file, the line or record, the field
// and why ("t.csv:7: pasid: 1048576 is out of range 0..1048575").
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FieldError {
  std::string field, reason;
};

// The rules of docs/trace.md every record obeys: PASID range, DMA size and
// page crossing, map/unmap alignment and length, time order (against the
// previous record's time).
std::optional<FieldError> check_record(const TraceRecord& r, std::uint64_t previous_ps);

// Why a PASID is refused, for a value as the input spelt it.
std::string pasid_out_of_range(std::string_view value);
std::string_view op_name(TraceOp op);
std::optional<TraceOp> parse_op(std::string_view text);
// Picoseconds as ns with up to three decimals, trailing zeros dropped:
// 84310 -> "84.31", 5000 -> "5".
std::string format_time_ns(std::uint64_t ps);

}  // namespace iommu_sim
