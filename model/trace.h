// Tracing by category, as gem5's debug flags and QEMU's trace events: a
// block that makes a decision worth seeing (an IOTLB probe, a structure
// read, a descriptor executed, a TLP on a link) reports it as an Event
// when its category is on. Off, a site costs one load of a global mask and
// one predictable branch (bench/ measures it on the hit path); building the
// event happens out of line, in a small function named after the decision.
//
// Events go to sinks: the text printer of `--trace`, the step recorder of
// `iommu-sim explain`, the timeline writer of `--timeline`. A sink
// subscribes to the categories it wants for as long as it lives; the
// global mask is the union of the live subscriptions. The simulator runs
// one SystemC kernel at a time per process, so one global set of sinks is
// what the run has (gem5 keeps its debug flags global for the same reason).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iommu_sim::trace {

enum class Category : std::uint8_t {
  Walk,     // structure reads of a page walk, PSC resumes, A/D updates
  Iotlb,    // IOTLB probes, fills
  Psc,      // paging-structure-cache probes
  Context,  // context-cache probes and root/context entry reads
  Pasid,    // PASID-cache probes and PASID directory/table entry reads
  Qi,       // invalidation descriptors executed
  Fault,    // faults recorded or suppressed
  Ats,      // translation requests, device-TLB invalidations
  Fabric,   // DMAs issued and completed, TLPs on links
  Memory,   // memory requests served
  Host,     // driver and manager calls
  Oracle,   // the oracle's findings
  Count
};
constexpr std::size_t kCategories = static_cast<std::size_t>(Category::Count);
std::string_view category_name(Category c);
constexpr std::uint32_t bit(Category c) {
  return 1u << static_cast<unsigned>(c);
}
constexpr std::uint32_t kAll = (1u << kCategories) - 1;

// Parses "walk,iotlb" or "all" into a mask; an unknown name gives an error
// that lists the known ones.
struct Parsed {
  std::uint32_t mask = 0;
  std::string error;
};
Parsed parse_categories(std::string_view list);

// Slices (Begin/End, matched by `id` on one `track`) and counters are for
// timelines; the text printer shows every phase but Counter. Complete is a
// whole slice in one event, for a block that reports once it is done and
// knows when it started (an invalidation descriptor): it began at time_ps
// and lasted duration_ps. Counter events carry the counter's new value in
// `fields` and go only to sinks subscribed with Counters::Yes (timelines):
// a text printer or a step recorder has no use for them.
enum class Phase : std::uint8_t { Instant, Begin, End, Counter, Complete };

struct Event {
  Category category = Category::Walk;
  Phase phase = Phase::Instant;
  std::uint64_t time_ps = 0;    // when it happened (Functional mode: now plus the local delay)
  std::int32_t requester = -1;  // requester ID; -1: none
  std::int64_t pasid = -1;      // -1: none
  std::string_view what;        // stable name: "iotlb.probe", "walk.read", ...
  std::string text;             // for people: what was decided, decoded
  // For tools: named values (addresses, raw entries, decoded fields).
  std::vector<std::pair<std::string_view, std::uint64_t>> fields;
  std::string track;              // timeline track ("iommu.walk", "pcie.nic0.up"); empty: none
  std::uint64_t id = 0;           // slice or flow id on the track; 0: none
  std::uint64_t flow = 0;         // a DMA's id, to draw an arrow to what it caused; 0: none
  std::uint64_t duration_ps = 0;  // Complete: how long the slice lasted
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void event(const Event& e) = 0;
};

namespace detail {
struct Subscriber {
  Sink* sink;
  std::uint32_t mask;
  bool counters;
};
struct State {
  std::uint32_t mask = 0;
  std::vector<Subscriber> subscribers;
};
inline State state;
}  // namespace detail

// A fresh id for a traced DMA or slice (never 0).
inline std::uint64_t next_id() {
  static std::uint64_t last = 0;
  return ++last;
}

// The one branch a site pays.
inline bool on(Category c) noexcept {
  return (detail::state.mask & bit(c)) != 0;
}
// Hands the event to every sink subscribed to its category (a Counter
// event: only to those that asked for counters).
void emit(const Event& e);

enum class Counters : bool { No, Yes };

// A counter's new value (Phase::Counter) on a timeline `track`: `label`
// names the counter for people ("IOTLB occupancy"), `field` its unit.
void counter(Category c, std::string_view what, std::string track, std::string label,
             std::uint64_t time_ps, std::string_view field, std::uint64_t value);

// Subscribes a sink to `mask` while alive, with the counters of those
// categories if asked.
class Subscription {
 public:
  Subscription(Sink& sink, std::uint32_t mask, Counters counters = Counters::No);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  Sink* sink_;
};

// `--trace`: one line per event, "<time ns> <category> <requester> pasid
// <n>: <text>".
class TextPrinter : public Sink {
 public:
  explicit TextPrinter(std::ostream& out) : out_(out) {}
  void event(const Event& e) override;

 private:
  std::ostream& out_;
};

// Requester IDs as lspci writes them: "01:00.0".
std::string bdf_string(std::uint16_t rid);
// Picoseconds as nanoseconds with three decimals: "90.000".
std::string ns(std::uint64_t ps);

}  // namespace iommu_sim::trace
