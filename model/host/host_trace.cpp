#include "model/host/host_trace.h"

#include <systemc>

#include "model/hex.h"

namespace iommu_sim {

namespace {

std::string track_of(unsigned cpu) {
  return "host.cpu" + std::to_string(cpu);
}

// Small numbers (IDs, PASIDs, page counts) in decimal, addresses and
// lengths of a page or more in hex, as a reader of a call expects them.
std::string value(std::uint64_t v) {
  return v < 0x1000 ? std::to_string(v) : hex(v);
}

}  // namespace

void TracedCall::begin(const HostCpu& cpu, std::string_view what, Args args,
                       std::string_view note) {
  id_ = trace::next_id();
  cpu_ = cpu.index();
  what_ = what;
  trace::Event e;
  e.category = trace::Category::Host;
  e.phase = trace::Phase::Begin;
  e.what = what;
  e.time_ps = sc_core::sc_time_stamp().value();
  std::string text = "CPU " + std::to_string(cpu_) + ": ";
  text += what;
  text += '(';
  for (const auto& [name, v] : args) {
    if (text.back() != '(') text += ", ";
    text += name;
    text += '=';
    text += value(v);
  }
  text += ')';
  if (!note.empty()) {
    text += ' ';
    text += note;
  }
  e.text = std::move(text);
  e.fields.assign(args.begin(), args.end());
  e.track = track_of(cpu_);
  e.id = id_;
  trace::emit(e);
}

void TracedCall::end() {
  trace::Event e;
  e.category = trace::Category::Host;
  e.phase = trace::Phase::End;
  e.what = what_;
  e.time_ps = sc_core::sc_time_stamp().value();
  e.text = "CPU " + std::to_string(cpu_) + ": " + std::string(what_) + " returns";
  e.track = track_of(cpu_);
  e.id = id_;
  trace::emit(e);
}

}  // namespace iommu_sim
